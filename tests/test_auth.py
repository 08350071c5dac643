from sqlalchemy import select
from stdnum.cn import uscc

from marketplace.extensions import db
from marketplace.models import Enterprise, User

from .conftest import PASSWORD, USCC_A, USCC_B

WORKSPACES = {"enterprise": ("/enterprise/", "企业中心"), "bank": ("/bank/", "金融机构工作台"),
              "commission": ("/commission/", "发改委管理后台")}


def registration(**overrides):
    data = {"uscc": USCC_B, "name": "济南新注册商贸有限公司", "legal_representative": "李四",
            "region_code": "370112", "industry": "F", "size": "micro", "registered_capital_wan": "100",
            "established_on": "2020-03-15", "username": "newfirm", "password": PASSWORD, "confirm": PASSWORD}
    data.update(overrides)
    return data


def test_fixture_codes_are_valid():
    assert uscc.is_valid(USCC_A) and uscc.is_valid(USCC_B)


def test_register_with_valid_uscc(client, app):
    response = client.submit("/auth/register", registration(uscc=USCC_B.lower()))
    assert response.status_code == 302 and response.headers["Location"].endswith("/enterprise/")
    with app.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.uscc == USCC_B))
        assert firm is not None, "USCC stored upper-case"
        assert firm.registered_capital == 1_000_000
        user = db.session.scalar(select(User).where(User.username == "newfirm"))
        assert user.role == "enterprise" and user.enterprise_id == firm.id
        assert user.password_hash != PASSWORD and user.check_password(PASSWORD)
    assert "济南新注册商贸有限公司" in client.get("/enterprise/").get_data(as_text=True)


def test_register_with_wrong_check_character(client, app):
    bad = USCC_B[:-1] + ("0" if USCC_B[-1] != "0" else "1")
    response = client.submit("/auth/register", registration(uscc=bad))
    assert response.status_code == 200
    assert "统一社会信用代码校验位错误" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "newfirm")) is None
        assert db.session.scalar(select(Enterprise).where(Enterprise.uscc == bad)) is None


def test_register_with_wrong_length(client):
    response = client.submit("/auth/register", registration(uscc="91370102MA3C4"))
    assert "统一社会信用代码应为18位" in response.get_data(as_text=True)


def test_register_duplicate_uscc(client, app, users):
    response = client.submit("/auth/register", registration(uscc=USCC_A))
    assert response.status_code == 200
    assert "该统一社会信用代码已注册" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "newfirm")) is None


def test_register_duplicate_username(client, users):
    response = client.submit("/auth/register", registration(username="sme"))
    assert "该登录名已被使用" in response.get_data(as_text=True)


def test_login_and_logout(client, auth, users):
    response = auth.login("sme")
    assert response.status_code == 302 and response.headers["Location"].endswith("/enterprise/")
    assert client.get("/enterprise/").status_code == 200
    auth.logout()
    response = client.get("/enterprise/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_login_wrong_password(client, auth, users):
    response = auth.login("sme", "wrong-password")
    assert response.status_code == 200
    assert "登录名或密码错误" in response.get_data(as_text=True)
    assert client.get("/enterprise/").status_code == 302


def test_inactive_account_cannot_log_in(client, auth, users, app):
    with app.app_context():
        db.session.scalar(select(User).where(User.username == "sme")).active = False
        db.session.commit()
    assert "登录名或密码错误" in auth.login("sme").get_data(as_text=True)


def test_login_does_not_redirect_off_site(client, users):
    token = client.csrf_token("/auth/login")
    response = client.post("/auth/login?next=//evil.example/", data={
        "username": "sme", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/enterprise/")


def test_each_role_reaches_its_own_workspace_and_only_that(client, auth, users):
    for role, username in users.items():
        response = auth.login(username)
        own_url, title = WORKSPACES[role]
        assert response.headers["Location"].endswith(own_url)
        page = client.get(own_url)
        assert page.status_code == 200 and title in page.get_data(as_text=True)
        for other, (url, _) in WORKSPACES.items():
            if other != role:
                denied = client.get(url)
                assert denied.status_code == 403, (role, url)
                assert "无权访问" in denied.get_data(as_text=True)
        auth.logout()


def test_anonymous_visitor_is_sent_to_login(client):
    for url, _ in WORKSPACES.values():
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_form_posted_without_csrf_token_is_rejected(client, app):
    response = client.post("/auth/register", data=registration())
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "newfirm")) is None
