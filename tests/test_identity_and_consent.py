"""实名核验 and 授权: who a firm is, and nothing given to a bank without the firm's explicit act."""
import re
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    AccessLog,
    AuditLog,
    DataAuthorization,
    EnterpriseScore,
    FinancingNeed,
    IdentityCheck,
    ImportBatch,
    Institution,
    Notification,
    RegistryEnterprise,
    User,
)
from marketplace.services import authorizations, identity, workdays

from .conftest import PASSWORD, USCC_A, USCC_B, make_enterprise, make_product

REGISTRY_NAME = "济南泉城精密机械有限公司"
USCC_C = "91370105MA3C4XKL8G"


def _registry(uscc=USCC_B, name=REGISTRY_NAME, legal="王建国", region="370112"):
    batch = ImportBatch(source="registry", file_name="在营企业.csv", sha256="0" * 64)
    db.session.add(batch)
    db.session.flush()
    db.session.add(RegistryEnterprise(uscc=uscc, name=name, region_code=region, industry="C", size="small",
                                      established_on=date(2015, 3, 1), registered_capital=8_000_000,
                                      operating_status="active", legal_representative=legal, batch_id=batch.id))
    db.session.commit()


def _form(**overrides):
    data = {"uscc": USCC_B, "name": REGISTRY_NAME, "legal_representative": "王建国", "industry": "F",
            "size": "micro", "registered_capital_wan": "1", "username": "newfirm", "password": PASSWORD,
            "confirm": PASSWORD}
    data.update(overrides)
    return data


def test_stranger_with_the_wrong_legal_representative_stays_pending_and_sees_nothing(client, app):
    with app.app_context():
        _registry()
    r = client.submit("/auth/register", _form(legal_representative="李四"), follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "待平台人工核验" in html and "法定代表人与登记信息不一致" in html
    assert "王建国" not in html, "the registry's legal representative is never shown to the applicant"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "newfirm"))
        firm = user.enterprise
        assert firm.identity_status == "pending" and firm.region_code == "370112"
        check = db.session.scalar(select(IdentityCheck))
        assert check.mismatches == ["legal_representative"] and check.outcome == "pending"
        # The real firm's data exists: a score the stranger must not see.
        db.session.add(EnterpriseScore(enterprise_id=firm.id, model_version="v1", as_of=date(2026, 10, 31),
                                       pd="0.02", score=733, grade="AA", reasons=["按时纳税"]))
        db.session.commit()
    home = client.get("/enterprise/")
    assert home.status_code == 200 and "733" not in home.get_data(as_text=True)
    for page in ("/enterprise/credit", "/enterprise/authorizations", "/enterprise/needs/new",
                 "/enterprise/objections", "/enterprise/applications"):
        r = client.get(page)
        assert r.status_code == 403 and "尚未通过实名核验" in r.get_data(as_text=True), page
        assert "733" not in r.get_data(as_text=True) and "AA" not in r.get_data(as_text=True)
    assert client.get("/enterprise/messages").status_code == 200
    # Nor can it act: a need posted straight to the endpoint is refused and nothing is written.
    token = client.csrf_token("/enterprise/messages")
    r = client.post("/enterprise/needs/new", data={"csrf_token": token, "amount_wan": "10", "term_months": "6",
                                                   "guarantee": "credit", "urgency": "normal", "purpose": "x"})
    assert r.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0
        bank = Institution(name="某银行", kind="bank", licence_no="B1", region_code="370102")
        db.session.add(bank)
        db.session.commit()
        firm_id = db.session.scalar(select(User.enterprise_id).where(User.username == "newfirm"))
        try:
            authorizations.grant(firm_id, bank.id, scopes=["score"], valid_until=workdays.today())
        except identity.NotVerified:
            pass
        else:
            raise AssertionError("an unverified account authorized a bank")
        assert db.session.scalar(select(func.count(DataAuthorization.id))) == 0


def test_matching_details_verify_at_once_and_the_district_comes_from_the_registry(client, app):
    with app.app_context():
        _registry()
    # Full-width brackets and spaces are the same name; the form's industry and size give way to the registry's.
    r = client.submit("/auth/register", _form(name=" 济南泉城精密机械有限公司 ", legal_representative="王 建国"),
                      follow_redirects=True)
    assert "已通过实名核验" in r.get_data(as_text=True)
    with app.app_context():
        firm = db.session.scalar(select(User).where(User.username == "newfirm")).enterprise
        assert firm.identity_status == "verified"
        assert (firm.region_code, firm.industry, firm.size, firm.registered_capital) == ("370112", "C", "small",
                                                                                      8_000_000)
    assert client.get("/enterprise/credit").status_code == 200
    assert client.get("/enterprise/needs/new").status_code == 200


def test_unknown_code_is_pending_and_the_form_has_no_district(client, app):
    assert 'name="region_code"' not in client.get("/auth/register").get_data(as_text=True)
    client.submit("/auth/register", _form())
    with app.app_context():
        firm = db.session.scalar(select(User).where(User.username == "newfirm")).enterprise
        assert firm.identity_status == "pending"
        assert db.session.scalar(select(IdentityCheck)).mismatches == ["not_in_registry"]


def _pending(client, app):
    from marketplace.services import accounts

    with app.app_context():
        _registry()
        accounts.create_user(username="staff", password=PASSWORD, role="commission", display_name="信用办 小刘")
    client.submit("/auth/register", _form(name="济南泉城精密机械公司"))  # 少了“有限”: a name mismatch
    with app.app_context():
        check = db.session.scalar(select(IdentityCheck))
        return check.id, check.enterprise_id


def test_staff_approve_from_the_queue_with_a_reason(client, auth, app):
    check_id, firm_id = _pending(client, app)
    auth.logout()
    auth.login("staff")
    queue = client.get("/commission/identity").get_data(as_text=True)
    assert "济南泉城精密机械公司" in queue and REGISTRY_NAME in queue and "企业名称与登记信息不一致" in queue
    url = f"/commission/identity/{check_id}/approve"
    no_reason = client.submit(url, {"reason": ""}, page="/commission/identity", follow_redirects=True)
    assert "请填写核验意见" in no_reason.get_data(as_text=True)
    client.submit(url, {"reason": "已电话核实，营业执照名称为全称"}, page="/commission/identity")
    with app.app_context():
        check = db.session.get(IdentityCheck, check_id)
        assert check.decision == "approved" and check.enterprise.identity_status == "verified"
        log = db.session.scalar(select(AuditLog).where(AuditLog.action == "enterprises.verify"))
        assert log.object_id == str(firm_id) and log.detail["reason"] == "已电话核实，营业执照名称为全称"
        assert (log.detail["from_status"], log.detail["to_status"]) == ("pending", "verified")
        note = db.session.scalar(select(Notification).where(Notification.enterprise_id == firm_id))
        assert note.title == "实名核验已通过" and "已电话核实" in note.body
    again = client.submit(url, {"reason": "再次"}, page="/commission/identity", follow_redirects=True)
    assert "该核验已处理" in again.get_data(as_text=True)
    auth.logout()
    auth.login("newfirm")
    assert client.get("/enterprise/credit").status_code == 200


def test_staff_refuse_keeps_the_account_out_and_tells_it_why(client, auth, app):
    check_id, firm_id = _pending(client, app)
    auth.logout()
    auth.login("staff")
    client.submit(f"/commission/identity/{check_id}/refuse", {"reason": "法定代表人无法核实"},
                  page="/commission/identity")
    with app.app_context():
        assert db.session.get(IdentityCheck, check_id).enterprise.identity_status == "refused"
        assert db.session.scalar(select(AuditLog.action).where(AuditLog.action.like("enterprises.%"))) == \
            "enterprises.refuse"
    auth.logout()
    auth.login("newfirm")
    html = client.get("/enterprise/").get_data(as_text=True)
    assert "核验未通过" in html and "法定代表人无法核实" in html
    assert client.get("/enterprise/credit").status_code == 403
    assert "实名核验未通过" in client.get("/enterprise/messages").get_data(as_text=True)


def test_only_staff_open_the_queue(client, auth, users):
    auth.login(users["enterprise"])
    assert client.get("/commission/identity").status_code == 403


def test_registry_pass_verifies_seeded_firms_like_a_registration(app):
    with app.app_context():
        _registry(uscc=USCC_A, name="济南测试科技有限公司", legal="张三")
        firm = make_enterprise(identity_status="pending")
        other = make_enterprise(USCC_B, "别的公司", identity_status="pending")  # no registry row
        _registry(uscc=USCC_C, name="旧名称公司", legal="赵六")  # a registry row that does not match
        wrong = make_enterprise(USCC_C, "新名称公司", identity_status="pending", legal_representative="赵六")
        assert identity.verify_pending_against_registry() == {"checked": 2, "verified": 1}
        db.session.expire_all()
        assert (firm.identity_status, other.identity_status, wrong.identity_status) == \
            ("verified", "pending", "pending")
        assert [c.enterprise_id for c in identity.queue()] == [wrong.id], "the mismatch waits for staff"
        assert identity.verify_pending_against_registry() == {"checked": 1, "verified": 0}
        assert len(identity.queue()) == 1, "a second run adds no second check"


# ------------------------------------------------------------------------------------------- consent

def test_authorization_form_without_choices_grants_nothing(client, auth, users, app):
    auth.login(users["enterprise"])
    page = client.get("/enterprise/authorizations").get_data(as_text=True)
    form = page[page.index("新增授权"):]
    assert "checked" not in form and "selected" not in form, "no institution or scope pre-chosen"
    assert re.search(r'name="valid_until"[^>]*value=""', form), "no end date pre-filled"
    r = client.submit("/enterprise/authorizations", {"institution_id": "0"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "请选择" in html
    with app.app_context():
        inst_id = db.session.scalar(select(Institution.id))
    r = client.submit("/enterprise/authorizations", {"institution_id": str(inst_id)})
    assert "请选择授权范围" in r.get_data(as_text=True) or "请填写授权截止日期" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(DataAuthorization.id))) == 0


def test_widening_on_the_authorization_page_needs_the_tick(client, auth, users, app):
    auth.login(users["enterprise"])
    with app.app_context():
        inst_id = db.session.scalar(select(Institution.id))
    until = str(workdays.today() + timedelta(days=30))
    client.submit("/enterprise/authorizations", {"institution_id": str(inst_id), "scopes": ["profile"],
                                                 "valid_until": until})
    r = client.submit("/enterprise/authorizations", {"institution_id": str(inst_id), "scopes": ["score"],
                                                     "valid_until": until})
    assert "须勾选确认" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DataAuthorization.scopes)) == ["profile"]
    client.submit("/enterprise/authorizations", {"institution_id": str(inst_id), "scopes": ["score"],
                                                 "valid_until": until, "widen": "y"})
    with app.app_context():
        assert db.session.scalar(select(DataAuthorization.scopes)) == ["profile", "score"]


def test_apply_shows_the_scopes_and_never_widens_without_the_tick(client, auth, users, app):
    with app.app_context():
        bank = db.session.scalar(select(Institution))
        pid, bank_id = make_product(bank).id, bank.id
        firm_id = db.session.scalar(select(User.enterprise_id).where(User.username == users["enterprise"]))
        authorizations.grant(firm_id, bank_id, scopes=["profile"], valid_until=workdays.today() + timedelta(days=20))
    auth.login(users["enterprise"])
    page = f"/enterprise/apply?product_ids={pid}"
    html = client.get(page).get_data(as_text=True)
    plan = html[html.index('id="authorization-plan"'):]
    assert "企业基本信息" in plan and "保持现有授权不变" in plan
    assert "checked" not in plan and "checked" not in html[html.index("信用承诺书"):], \
        "no scope, widening, consent or commitment pre-ticked"
    form = {"product_ids": str(pid), "amount_wan": "50", "term_months": "6", "authorize": "y", "commitment": "y",
            "scopes": ["profile", "score", "department", "records"],
            "authorize_until": str(workdays.today() + timedelta(days=365))}
    assert client.submit(page, form).status_code == 302
    with app.app_context():
        auths = db.session.scalars(select(DataAuthorization)).all()
        assert [(a.scopes, a.valid_until) for a in auths] == [(["profile"], workdays.today() + timedelta(days=20))]
    with app.app_context():  # a second product of the same bank, this time ticking 扩大
        pid2 = make_product(db.session.get(Institution, bank_id), name="第二个产品").id
    page2 = f"/enterprise/apply?product_ids={pid2}"
    assert client.submit(page2, {**form, "product_ids": str(pid2), "widen_institution_ids": [str(bank_id)]},
                         page=page2).status_code == 302
    with app.app_context():
        auth_row = db.session.scalar(select(DataAuthorization))
        assert auth_row.scopes == ["profile", "score", "department", "records"]


def test_apply_to_a_new_institution_needs_chosen_scopes(client, auth, users, app):
    with app.app_context():
        pid = make_product(db.session.scalar(select(Institution))).id
    auth.login(users["enterprise"])
    page = f"/enterprise/apply?product_ids={pid}"
    r = client.submit(page, {"product_ids": str(pid), "amount_wan": "50", "term_months": "6", "authorize": "y",
                             "commitment": "y", "authorize_until": str(workdays.today() + timedelta(days=30))})
    assert r.status_code == 200 and "请选择授权范围" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(DataAuthorization.id))) == 0


def test_recommendations_pre_tick_nothing(client, auth, users, app):
    with app.app_context():
        bank = db.session.scalar(select(Institution))
        for name in ("一号", "二号", "三号", "四号"):
            make_product(bank, name=name)
    auth.login(users["enterprise"])
    r = client.submit("/enterprise/needs/new", {"amount_wan": "50", "term_months": "6", "guarantee": "credit",
                                                "urgency": "normal", "purpose": "采购"})
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert html.count('name="product_ids"') == 4 and "checked" not in html


def test_bank_matches_show_no_grade_or_firm_data_before_authorization(client, auth, users, app):
    with app.app_context():
        bank = db.session.scalar(select(Institution))
        make_product(bank, name="撮合产品", min_grade="BBB")
        firm = make_enterprise(USCC_B, "隐藏的公司", region_code="370105")
        db.session.add(EnterpriseScore(enterprise_id=firm.id, model_version="v1", as_of=date(2026, 10, 31),
                                       pd="0.01", score=777, grade="AAA", reasons=[]))
        db.session.add(FinancingNeed(enterprise_id=firm.id, amount=1_230_000, term_months=12, purpose="购置数控机床",
                                     status="open"))
        db.session.commit()
        firm_id, bank_id = firm.id, bank.id
    auth.login(users["bank"])
    html = client.get("/bank/matches").get_data(as_text=True)
    rows = html[html.index("<tbody>"):]
    assert "123" in rows and "购置数控机床" in rows and "未授权企业" in rows
    for secret in ("隐藏的公司", "AAA", "777", "天桥区", f"/bank/firms/{firm_id}"):
        assert secret not in rows, secret
    with app.app_context():
        assert db.session.scalar(select(func.count(AccessLog.id))) == 0  # nothing of the firm was read
        authorizations.grant(firm_id, bank_id, scopes=["profile"], valid_until=workdays.today())
    rows = client.get("/bank/matches").get_data(as_text=True)
    assert "隐藏的公司" in rows and "AAA" in rows
    with app.app_context():  # its grade and district on the list are a read of its data: logged
        logged = db.session.execute(select(AccessLog.enterprise_id, AccessLog.institution_id, AccessLog.what,
                                           AccessLog.user_id)).all()
        officer = db.session.scalar(select(User.id).where(User.username == users["bank"]))
        assert logged == [(firm_id, bank_id, "matches_list", officer)]


# ------------------------------------------------------------------------------ competing claims of one USCC

def _squat(client, app, legal="李四", username="squatter"):
    """A stranger who knows the public USCC claims the registry firm first, with the wrong legal representative."""
    with app.app_context():
        if db.session.scalar(select(RegistryEnterprise.id)) is None:
            _registry()
    client.submit("/auth/register", _form(legal_representative=legal, username=username))
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.enterprise.identity_status == "pending"
        return user.id, user.enterprise_id


def _browser(app):
    from .conftest import FormClient

    return FormClient(app.test_client())


def test_a_pending_squatter_never_blocks_the_real_firm_and_the_first_to_prove_wins(client, app):
    from marketplace.services import accounts

    squatter_id, firm_id = _squat(client, app)  # `client` stays logged in as the squatter
    assert client.get("/enterprise/").status_code == 200
    real = _browser(app)
    html = real.submit("/auth/register", _form(username="realfirm"), follow_redirects=True).get_data(as_text=True)
    assert "已注册" not in html
    assert real.get("/enterprise/credit").status_code == 200, "the real firm proved itself at once"
    with app.app_context():
        firm = db.session.scalar(select(User).where(User.username == "realfirm")).enterprise
        assert firm.id == firm_id and firm.identity_status == "verified"
        assert (firm.name, firm.legal_representative) == (REGISTRY_NAME, "王建国")
        lost = db.session.scalar(select(IdentityCheck).where(IdentityCheck.user_id == squatter_id))
        assert db.session.get(User, squatter_id).active is False and lost.decision == "superseded"
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "enterprises.claim")) == 1
    # the squatter's open session has ended: it sees nothing of the firm now that the firm is verified
    assert client.get("/enterprise/credit").status_code == 302
    assert client.get("/enterprise/").status_code == 302
    r = client.submit("/auth/login", {"username": "squatter", "password": PASSWORD})
    assert "已由另一账号先行通过实名核验" in r.get_data(as_text=True)
    assert client.get("/enterprise/credit").status_code == 302
    with app.app_context():
        assert accounts.authenticate("squatter", "wrong-password-1") is None, "a wrong password learns nothing"


def test_a_refused_squatter_does_not_block_the_real_firm_either(client, auth, app):
    from marketplace.services import accounts

    squatter_id, firm_id = _squat(client, app)
    with app.app_context():
        accounts.create_user(username="staff", password=PASSWORD, role="commission", display_name="信用办")
        check_id = db.session.scalar(select(IdentityCheck.id).where(IdentityCheck.user_id == squatter_id))
        identity.decide(check_id, db.session.scalar(select(User.id).where(User.username == "staff")),
                        approve=False, reason="法定代表人不符")
        assert db.session.get(IdentityCheck, check_id).enterprise.identity_status == "refused"
    real = _browser(app)
    real.submit("/auth/register", _form(username="realfirm"))
    assert real.get("/enterprise/credit").status_code == 200
    with app.app_context():
        assert db.session.get(User, squatter_id).active is False
        # the refusal was addressed to the squatter's account: the real firm never reads it
        texts = [n.title for n in db.session.scalars(select(Notification).where(
            Notification.enterprise_id == firm_id, Notification.user_id.is_(None)))]
        assert "实名核验未通过" not in texts
    assert "实名核验未通过" not in real.get("/enterprise/messages").get_data(as_text=True)


def test_competing_pending_claims_stand_side_by_side_each_sees_only_its_own_and_staff_decide(client, auth, app):
    from marketplace.services import accounts

    with app.app_context():
        _registry(legal="")  # no legal representative in the registry: neither claim can verify itself
        accounts.create_user(username="staff", password=PASSWORD, role="commission", display_name="信用办")
    first = _browser(app)
    first.submit("/auth/register", _form(username="first", legal_representative="赵一"))
    second = _browser(app)
    second.submit("/auth/register", _form(username="second", legal_representative="钱二"))
    html1, html2 = first.get("/enterprise/").get_data(as_text=True), second.get("/enterprise/").get_data(as_text=True)
    assert "赵一" in html1 and "钱二" not in html1, "a claimant never sees another claimant's typing"
    assert "钱二" in html2 and "赵一" not in html2
    with app.app_context():
        checks = {c.user.username: c.id for c in db.session.scalars(select(IdentityCheck))}
        assert len({c.enterprise_id for c in db.session.scalars(select(IdentityCheck))}) == 1
    auth.login("staff")
    queue = client.get("/commission/identity").get_data(as_text=True)
    assert "竞争申请 2 个" in queue and "赵一" in queue and "钱二" in queue
    client.submit(f"/commission/identity/{checks['first']}/refuse", {"reason": "无法核实"}, page="/commission/identity")
    with app.app_context():
        assert db.session.get(IdentityCheck, checks["first"]).enterprise.identity_status == "pending", \
            "another claim still waits: the firm is not refused"
    assert "实名核验未通过" in first.get("/enterprise/messages").get_data(as_text=True)
    assert "实名核验未通过" not in second.get("/enterprise/messages").get_data(as_text=True)
    client.submit(f"/commission/identity/{checks['second']}/approve", {"reason": "营业执照与法人身份证已核"},
                  page="/commission/identity")
    assert second.get("/enterprise/credit").status_code == 200
    assert first.get("/enterprise/").status_code == 302, "the refused claimant's session ended"
    with app.app_context():
        users = {u.username: u.active for u in db.session.scalars(select(User).where(User.role == "enterprise"))}
        assert users == {"first": False, "second": True}
        firm = db.session.get(IdentityCheck, checks["second"]).enterprise
        assert (firm.identity_status, firm.legal_representative) == ("verified", "钱二")


def test_a_claim_racing_one_that_proved_first_is_refused_and_leaves_nothing(app):
    """The race of two claimants, run in one thread: the firm row this registration read says pending, but
    another claim proved it before this one locked the row (the compare-and-set sees the change)."""
    from sqlalchemy import update

    from marketplace.models import Enterprise
    from marketplace.services import accounts

    with app.app_context():
        _registry()
        accounts.register_enterprise(uscc=USCC_B, name=REGISTRY_NAME, legal_representative="李四", industry="F",
                                     size="micro", username="squatter", password=PASSWORD)
        firm = db.session.scalar(select(Enterprise))
        assert firm.identity_status == "pending"
        # the winner's commit, as another connection would make it (the object in hand still says pending)
        db.session.execute(update(Enterprise).where(Enterprise.id == firm.id).values(identity_status="verified")
                           .execution_options(synchronize_session=False))
        claim = identity.Claim(USCC_B, REGISTRY_NAME, "王建国")
        try:
            accounts._claim_existing(firm, claim, "latecomer", PASSWORD)
        except identity.FirmTaken as e:
            assert "已注册并已通过实名核验" in e.message
        else:
            raise AssertionError("a second claim may not win a firm proved meanwhile")
        db.session.rollback()
        assert db.session.scalar(select(User.id).where(User.username == "latecomer")) is None
        assert db.session.scalar(select(func.count(IdentityCheck.id))) == 1
