"""Sessions, login and response headers: lockout and rate limits, logout that ends the session on the
server, password policy and changes, staff resets, redirects that stay on the site, headers on every page."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Enterprise, User
from marketplace.services import RuleViolation, accounts, passwords

from .conftest import PASSWORD, USCC_B


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


# ---- lockout and rate limits -------------------------------------------------------------------

def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, auth, users):
    for _ in range(30):
        r = auth.login("sme", "wrong-password-x")
        assert r.status_code in (200, 429)
    r = auth.login("sme")
    assert r.status_code in (200, 429)  # no redirect into the workspace
    assert client.get("/enterprise/").status_code == 302  # still anonymous: sent to the login page


def test_locked_account_says_so_and_staff_reset_unlocks(app, client, auth, users):
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"  # the account lock, not the address limit
    for _ in range(passwords.MAX_FAILED_LOGINS):
        auth.login("sme", "wrong-password-x")
    page = auth.login("sme").get_data(as_text=True)
    assert "账号已临时锁定" in page
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.username == "staff"))
        sme = db.session.scalar(select(User).where(User.username == "sme"))
        _, temporary = accounts.reset_password(sme.id, staff.id)
    r = auth.login("sme", temporary)
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/password")


def test_login_attempts_from_one_address_are_rate_limited_with_a_chinese_page(app, client, auth, users):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for name in ("a1", "a2", "a3"):
        assert auth.login(name, "wrong-password-x").status_code == 200
    r = auth.login("sme")
    assert r.status_code == 429
    assert "请求过于频繁" in r.get_data(as_text=True)
    assert "Retry-After" in r.headers


def test_api_is_rate_limited_per_key(app, client):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    headers = {"Authorization": "Bearer xyd_abcd_notakey"}
    assert client.get("/api/v1/applications", headers=headers).status_code == 401
    assert client.get("/api/v1/applications", headers=headers).status_code == 401
    r = client.get("/api/v1/applications", headers=headers)
    assert r.status_code == 429
    assert r.is_json and r.get_json()["error"] == "请求过于频繁"
    # another key has its own allowance
    other = client.get("/api/v1/applications", headers={"Authorization": "Bearer xyd_ef01_other"})
    assert other.status_code == 401


# ---- logout and password changes end sessions on the server ---------------------------------------

def test_a_cookie_captured_before_logout_no_longer_works(app, client, auth, users):
    auth.login("sme")
    assert client.get("/enterprise/").status_code == 200
    stolen = _session_cookie(client)
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    r = thief.get("/enterprise/")
    assert r.status_code == 302 and "/auth/login" in r.headers["Location"]


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client, auth, users):
    auth.login("sme")
    other = app.test_client()
    other.set_cookie("session", _session_cookie(client))
    assert other.get("/enterprise/").status_code == 200
    r = client.submit("/auth/password", {"current_password": PASSWORD, "password": "Quiet-river-2031",
                                         "confirm": "Quiet-river-2031"})
    assert r.status_code == 302
    assert client.get("/enterprise/").status_code == 200
    assert other.get("/enterprise/").status_code == 302
    auth.logout()
    assert auth.login("sme", PASSWORD).status_code == 200  # the old password is gone
    assert auth.login("sme", "Quiet-river-2031").status_code == 302


def test_password_change_needs_the_current_password_and_the_policy(client, auth, users):
    auth.login("banker")
    page = client.submit("/auth/password", {"current_password": "nope-nope-nope", "password": "Quiet-river-2031",
                                            "confirm": "Quiet-river-2031"}).get_data(as_text=True)
    assert "当前密码不正确" in page
    page = client.submit("/auth/password", {"current_password": PASSWORD, "password": "1234567890",
                                            "confirm": "1234567890"}).get_data(as_text=True)
    assert "过于常见" in page


def test_every_role_has_a_password_page(client, auth, users):
    for username in users.values():
        auth.login(username)
        assert "修改密码" in client.get("/auth/password").get_data(as_text=True)
        auth.logout()


def test_staff_issued_password_must_be_changed_at_first_login(app, client, auth, users):
    auth.login("staff")
    r = client.submit("/commission/institutions/new", {
        "name": "泉城银行", "kind": "bank", "licence_no": "B9999", "region_code": "370102",
        "officer_name": "王五", "officer_username": "quancheng", "officer_password": "Initial-pass-77"})
    assert r.status_code == 302
    auth.logout()
    r = auth.login("quancheng", "Initial-pass-77")
    assert r.headers["Location"].endswith("/auth/password")
    r = client.get("/bank/")
    assert r.status_code == 302 and r.headers["Location"].endswith("/auth/password")
    client.submit("/auth/password", {"current_password": "Initial-pass-77", "password": "Own-choice-2027",
                                     "confirm": "Own-choice-2027"})
    assert client.get("/bank/").status_code == 200


def test_staff_reset_from_the_accounts_page(app, client, auth, users):
    auth.login("sme")
    sme_client_cookie = _session_cookie(client)
    auth.logout()
    auth.login("staff")
    with app.app_context():
        sme_id = db.session.scalar(select(User.id).where(User.username == "sme"))
    page = client.submit(f"/commission/users/{sme_id}/reset-password", {}, page="/commission/users",
                         follow_redirects=True).get_data(as_text=True)
    temporary = re.search(r'<code class="temporary-password">([^<]+)</code>', page).group(1)
    passwords.check(temporary, "sme")
    auth.logout()
    other = app.test_client()
    other.set_cookie("session", sme_client_cookie)
    assert other.get("/enterprise/").status_code == 302
    assert auth.login("sme", temporary).headers["Location"].endswith("/auth/password")


@pytest.mark.parametrize("password, message", [
    ("short-1", "至少10位"), ("1234567890", "常见"), ("qwertyuiop", "常见"), ("PASSWORD123", "常见"),
    ("aaaaaaaaaaaa", "常见"), ("xinyidai-newuser", "登录名"), ("NEWUSER", "至少10位"), ("x" * 200, "不能超过"),
])
def test_password_policy(app, password, message):
    with app.app_context(), pytest.raises(RuleViolation, match=message):
        accounts.create_user(username="newuser", password=password, role="commission")


@pytest.mark.parametrize("password, message", [("1234567890", "过于常见"), ("newfirm-2026", "登录名"),
                                               ("Short-12", "密码至少10位")])
def test_registration_applies_the_policy(app, client, password, message):
    from .test_auth import registration

    r = client.submit("/auth/register", registration(uscc=USCC_B, password=password, confirm=password))
    assert r.status_code == 200 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == USCC_B)) is None


def test_common_password_list_is_shipped():
    common = passwords.common_passwords()
    assert len(common) >= 10_000 and "password" in common and "woaini1314" in common


def test_demo_password_meets_the_policy():
    from seed.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    for username, _, _ in DEMO_ACCOUNTS:
        passwords.check(DEMO_PASSWORD, username)


# ---- redirects after login stay on the site --------------------------------------------------------

OFF_SITE = ["//evil.example/", "/%09/evil.example/", "/\t/evil.example/", "/\n/evil.example", "/\r/evil.example",
            "/\\evil.example", "\\\\evil.example", "/\\/evil.example", "https://evil.example/", "http:evil.example",
            "javascript:alert(1)", "/ /evil.example", "//%2fevil.example", "///evil.example", "evil.example",
            " //evil.example", "/\x00/evil.example", "/\u3000/evil.example", "\t//evil.example", "/\x0b/evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, users, target):
    # %09 in the query string is what an attacker sends; other variants are sent raw (percent-encoded here).
    raw = target if target.startswith("/%") else quote(target, safe="")
    token = client.csrf_token("/auth/login")
    r = client.post(f"/auth/login?next={raw}", data={"username": "sme", "password": PASSWORD, "csrf_token": token})
    if "\x00" in target:  # a NUL anywhere in a request is refused outright (400), before any redirect
        assert r.status_code == 400 and "Location" not in r.headers
        return
    assert r.status_code == 302
    assert r.headers["Location"] in ("/enterprise/", "http://localhost/enterprise/")


def test_login_follows_a_same_site_next(client, users):
    token = client.csrf_token("/auth/login")
    r = client.post("/auth/login?next=/enterprise/applications",
                    data={"username": "sme", "password": PASSWORD, "csrf_token": token})
    assert r.headers["Location"].endswith("/enterprise/applications")


# ---- cookies and headers ---------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite(client, auth, users):
    r = auth.login("sme")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_cookie_secure_setting(monkeypatch, tmp_path, migrated_database):
    from marketplace import create_app

    monkeypatch.setenv("COOKIE_SECURE", "1")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True, "SECRET_KEY": "x"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    r = app.test_client().get("/auth/login")
    assert "Secure" in r.headers["Set-Cookie"]
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", ["/", "/auth/login", "/products", "/nope", "/static/css/site.css"])
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "same-origin"


def test_authenticated_pages_are_not_cached(client, auth, users):
    assert "no-store" not in client.get("/products").headers.get("Cache-Control", "")
    auth.login("sme")
    for path in ("/enterprise/", "/enterprise/credit", "/products"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    for template in root.rglob("*.html"):
        text = template.read_text("utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {template}: {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template}"
        assert "style=" not in text, f"inline style in {template}"


def test_credit_page_carries_its_trend_charts_as_json_data(app, client, auth, users):
    """The charts are drawn by static/js/charts.js from JSON blocks (no inline script): the data must be there."""
    import json
    from datetime import date

    from marketplace.models import ImportBatch, TaxRecord

    from .conftest import USCC_A

    with app.app_context():
        batch = ImportBatch(source="tax", file_name="tax.csv", sha256="0" * 64)
        db.session.add(batch)
        db.session.flush()
        for period, revenue in ((date(2026, 9, 1), 1_000_000), (date(2026, 10, 1), 1_200_000)):
            db.session.add(TaxRecord(uscc=USCC_A, period=period, revenue=revenue, vat_paid=30_000,
                                     income_tax_paid=10_000, arrears=0, batch_id=batch.id))
        db.session.commit()
    auth.login("sme")
    page = client.get("/enterprise/credit").get_data(as_text=True)
    assert '<canvas id="trend1"' in page and 'data-chart="trend1-data"' in page and "js/charts.js" in page
    spec = json.loads(re.search(r'<script id="trend1-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert spec["type"] == "line" and spec["labels"] == ["2026-09", "2026-10"]
    assert spec["datasets"][0]["data"] == [100.0, 120.0] and spec["datasets"][0]["label"].startswith("营业收入")
