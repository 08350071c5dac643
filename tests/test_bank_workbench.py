"""金融机构工作台: queue, decisions, firm pages under authorization, 需求撮合, off-platform reports —
and the whole journey from a published need to the home page totals."""
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    AccessLog,
    Application,
    DataAuthorization,
    EnterpriseScore,
    FinancingNeed,
    ImportBatch,
    Institution,
    Notification,
    OffPlatformLoan,
)
from marketplace.services import accounts, applications, authorizations, workdays
from marketplace.services.applications import Actor

from .conftest import PASSWORD, USCC_A, USCC_B, make_enterprise, make_institution, make_product


def _submitted(app, users, **product):
    """The demo firm applies to a product of the bank; returns (application id, enterprise id)."""
    with app.app_context():
        bank = db.session.scalar(select(Institution).where(Institution.name == "测试银行"))
        p = make_product(bank, **product)
        from marketplace.models import User

        sme = db.session.scalar(select(User).where(User.username == users["enterprise"]))
        a = applications.submit(Actor.of_user(sme), product_ids=[p.id], amount=500_000, term_months=12,
                                authorize_until=workdays.today() + timedelta(days=90), commitment_accepted=True,
                                scopes=["profile", "score", "department", "records"])[0]
        db.session.add(EnterpriseScore(enterprise_id=sme.enterprise_id, model_version="v1", as_of=date(2026, 10, 31),
                                       pd="0.02", score=712, grade="A", reasons=["按时缴纳社保36个月"]))
        db.session.commit()
        return a.id, sme.enterprise_id


def test_firm_page_needs_authorization_and_logs_each_opening(client, auth, users, app):
    app_id, firm_id = _submitted(app, users)
    auth.login(users["bank"])
    html = client.get(f"/bank/firms/{firm_id}").get_data(as_text=True)
    assert "712" in html and "按时缴纳社保36个月" in html and "暂无部门数据" in html and USCC_A in html
    client.get(f"/bank/firms/{firm_id}")
    with app.app_context():
        logs = db.session.scalars(select(AccessLog)).all()
        assert [(x.enterprise_id, x.what) for x in logs] == [(firm_id, "firm_page")] * 2
        assert logs[0].user.username == "banker" and logs[0].institution.name == "测试银行"
        authorizations.revoke(db.session.scalar(select(DataAuthorization)), firm_id)
    denied = client.get(f"/bank/firms/{firm_id}")
    text = denied.get_data(as_text=True)
    assert denied.status_code == 403 and "712" not in text and USCC_A not in text, "revocation works at once"
    assert "企业未授权" in client.get(f"/bank/applications/{app_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(AccessLog.id))) == 2, "refused openings show nothing"
    auth.logout()
    auth.login(users["enterprise"])
    page = client.get("/enterprise/authorizations").get_data(as_text=True)
    history = page[page.index("查阅记录"):]
    assert history.count("测试银行") == 2 and history.count("企业信用画像") == 2, "the firm sees who looked"


def test_bank_without_authorization_gets_403(client, auth, users, app):
    with app.app_context():
        other = make_enterprise(USCC_B, "未授权公司")
        other_id = other.id
    auth.login(users["bank"])
    response = client.get(f"/bank/firms/{other_id}")
    assert response.status_code == 403 and "未授权公司" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(AccessLog)) is None


def test_authorization_of_another_institution_does_not_count(client, auth, users, app):
    with app.app_context():
        firm_id = db.session.scalar(select(FinancingNeed.enterprise_id)) or 1
        other = make_institution("他行")
        authorizations.grant(firm_id, other.id, scopes=["score"], valid_until=workdays.today())
    auth.login(users["bank"])
    assert client.get(f"/bank/firms/{firm_id}").status_code == 403


def test_queue_filters_and_other_institutions_applications(client, auth, users, app):
    app_id, _ = _submitted(app, users, name="队列产品")
    with app.app_context():
        other = make_institution("他行")
        accounts.create_user(username="otherbanker", password=PASSWORD, role="bank", institution_id=other.id)
    auth.login(users["bank"])
    assert "队列产品" in client.get("/bank/applications").get_data(as_text=True)
    assert "#1<" not in client.get("/bank/applications?status=granted").get_data(as_text=True)
    assert "#1<" in client.get("/bank/applications?status=submitted").get_data(as_text=True)
    assert "新的融资申请" in client.get("/bank/messages").get_data(as_text=True)
    auth.logout()
    auth.login("otherbanker")
    assert "队列产品" not in client.get("/bank/applications").get_data(as_text=True)
    assert client.get(f"/bank/applications/{app_id}").status_code == 404


def test_decisions_through_the_pages_and_stale_page(client, auth, users, app):
    app_id, _ = _submitted(app, users)
    auth.login(users["bank"])
    page = f"/bank/applications/{app_id}"
    client.submit(f"{page}/accept", {"version": "1"}, page=page)
    # An officer whose page still shows version 1 tries to reject: refused, clear message.
    stale = client.submit(f"{page}/reject", {"version": "1", "reason": "other", "note": "x"}, page=page,
                          follow_redirects=True)
    assert "已被其他人员处理" in stale.get_data(as_text=True)
    missing_note = client.submit(f"{page}/reject", {"version": "2", "reason": "other", "note": ""}, page=page,
                                 follow_redirects=True)
    assert "请填写拒绝的具体说明" in missing_note.get_data(as_text=True)
    client.submit(f"{page}/grant", {"version": "2", "amount_wan": "40", "rate": "4.2", "term_months": "12"}, page=page)
    with app.app_context():
        a = db.session.get(Application, app_id)
        assert (a.status, a.granted_amount, str(a.granted_rate)) == ("granted", 400_000, "4.200")
        assert a.decision_due == applications.decision_deadline(workdays.local_date(a.accepted_at))
    assert "授信" in client.get(page).get_data(as_text=True)


def test_off_platform_report_by_form_and_csv(client, auth, users, app):
    auth.login(users["bank"])
    r = client.submit("/bank/off-platform", {"month": "2026-10", "uscc": USCC_A.lower(), "enterprise_name": "甲",
                                             "amount_wan": "50", "loan_count": "2"})
    assert r.status_code == 302
    bad = client.submit("/bank/off-platform", {"month": "2026-10", "uscc": "123", "amount_wan": "5",
                                               "loan_count": "1"})
    assert "统一社会信用代码应为18位" in bad.get_data(as_text=True)
    token = client.csrf_token("/bank/off-platform")
    csv_text = f"统一社会信用代码,企业名称,放款金额（元）,笔数\n{USCC_A},甲,300000,1\n{USCC_B},乙,200000,1\n"
    r = client.post("/bank/off-platform/upload", data={"csv-csrf_token": token, "csv-month": "2026-10",
                                                       "csv-file": (io.BytesIO(csv_text.encode("gbk")), "m.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    broken = f"统一社会信用代码,放款金额（元）\n{USCC_A},abc\n"
    r = client.post("/bank/off-platform/upload", data={"csv-csrf_token": token, "csv-month": "2026-09",
                                                       "csv-file": (io.BytesIO(broken.encode()), "m.csv")},
                    content_type="multipart/form-data")
    assert "第2行" in r.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(OffPlatformLoan).order_by(OffPlatformLoan.uscc)).all()
        assert [(x.month, x.uscc, x.amount) for x in rows] == [(date(2026, 10, 1), USCC_A, 300_000),
                                                               (date(2026, 10, 1), USCC_B, 200_000)]
        from marketplace.services import catalogue

        assert catalogue.platform_totals()["financing"] == 0, "off-platform loans never count as platform loans"


def test_off_platform_reports_one_unit_large_firms_refused_matches_flagged_each_correctable(client, auth, users, app):
    from marketplace.models import AuditLog, RegistryEnterprise
    from marketplace.services import indicators

    with app.app_context():
        batch = ImportBatch(source="registry", file_name="r.csv", sha256="0" * 64, rows_accepted=2)
        db.session.add(batch)
        db.session.flush()
        for code, size in ((USCC_A, "small"), (USCC_B, "large")):
            db.session.add(RegistryEnterprise(uscc=code, name=code, region_code="370102", industry="C", size=size,
                                              operating_status="active", batch_id=batch.id))
        db.session.commit()
    auth.login(users["bank"])
    token = client.csrf_token("/bank/off-platform")

    def upload(text, month="2026-10"):
        return client.post("/bank/off-platform/upload", data={
            "csv-csrf_token": token, "csv-month": month, "csv-file": (io.BytesIO(text.encode("gbk")), "m.csv")},
            content_type="multipart/form-data")

    # The unit is named in the header, and either is accepted: 30 万元 = 300,000 yuan.
    assert upload(f"统一社会信用代码,放款金额（万元）,笔数\n{USCC_A},30,1\n").status_code == 302
    # A header without its unit is refused rather than guessed.
    assert "注明单位" in upload(f"统一社会信用代码,放款金额\n{USCC_A},30\n").get_data(as_text=True)
    # 乙 is large in the registry: refused, naming the line.
    html = upload(f"统一社会信用代码,放款金额（元）\n{USCC_B},200000\n").get_data(as_text=True)
    assert "第2行" in html and "大型企业" in html
    with app.app_context():
        loan = db.session.scalar(select(OffPlatformLoan))
        assert (loan.amount, loan.platform_application_id) == (300_000, None)
        loan_id = loan.id
    # Each report is listed on its own and can be corrected (in 万元), audited with old and new values.
    page = client.get("/bank/off-platform?month=2026-10").get_data(as_text=True)
    assert USCC_A in page and "更正" in page and "计入（十四）" in page
    r = client.post(f"/bank/off-platform/{loan_id}/correct?month=2026-10", data={
        "csrf_token": token, f"c{loan_id}-csrf_token": token, f"c{loan_id}-enterprise_name": "甲",
        f"c{loan_id}-amount_wan": "45.5", f"c{loan_id}-loan_count": "2"})
    assert r.status_code == 302
    with app.app_context():
        loan = db.session.get(OffPlatformLoan, loan_id)
        assert (loan.amount, loan.loan_count, loan.enterprise_name) == (455_000, 2, "甲")
        row = db.session.scalar(select(AuditLog).where(AuditLog.action == "off_platform.corrected"))
        assert row.detail["old"]["amount"] == 300_000 and row.detail["new"]["amount"] == 455_000
        # A platform loan of the same bank, firm, month and amount: the report is flagged and left out of (十四)
        # until the bank confirms it is a different loan.
        bank = db.session.scalar(select(Institution))
        from marketplace.models import Enterprise

        firm = db.session.scalar(select(Enterprise).where(Enterprise.uscc == USCC_A))  # the users fixture's firm
        product = make_product(bank, name="核对用信用贷")
        db.session.add(Application(enterprise_id=firm.id, product_id=product.id, institution_id=bank.id,
                                   amount=455_000, term_months=12, status="disbursed", disbursed_amount=455_000,
                                   disbursed_on=date(2026, 10, 8)))
        db.session.commit()
        from marketplace.services import off_platform

        bank_user = db.session.scalar(select(OffPlatformLoan.reported_by))
        flagged = off_platform.report(bank.id, date(2026, 10, 1), uscc=USCC_A, enterprise_name="甲",
                                      amount=455_000, loan_count=2, user_id=bank_user)
        assert flagged.platform_application_id is not None and flagged.confirmed_at is None
        oct_ = indicators.Period(date(2026, 10, 1))
        assert indicators.figure("十四", oct_).numerator == 0
    assert "待确认" in client.get("/bank/off-platform?month=2026-10").get_data(as_text=True)
    assert client.post(f"/bank/off-platform/{loan_id}/confirm?month=2026-10",
                       data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert indicators.figure("十四", indicators.Period(date(2026, 10, 1))).numerator == 455_000
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "off_platform.confirmed_distinct"))
    assert client.post(f"/bank/off-platform/{loan_id}/remove?month=2026-10", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(OffPlatformLoan, loan_id) is None


def test_full_journey_need_to_home_page_totals(client, auth, users, app):
    with app.app_context():
        bank = db.session.scalar(select(Institution))
        product_id = make_product(bank, name="旅程信用贷").id
    home = client.get("/").get_data(as_text=True)
    assert '<div class="fs-3 fw-bold">0</div>' in home[home.index('id="totals"'):]

    auth.login(users["enterprise"])
    r = client.submit("/enterprise/needs/new", {"amount_wan": "120", "term_months": "12", "guarantee": "credit",
                                                "urgency": "soon", "purpose": "购置设备"})
    recs = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "旅程信用贷" in recs
    with app.app_context():
        need_id = db.session.scalar(select(FinancingNeed.id))
    page = f"/enterprise/apply?need_id={need_id}&product_ids={product_id}"
    client.submit(page, {"product_ids": str(product_id), "need_id": str(need_id), "amount_wan": "120",
                         "term_months": "12", "authorize": "y", "commitment": "y", "scopes": ["profile", "score"],
                         "authorize_until": str(workdays.today() + timedelta(days=365))})
    with app.app_context():
        app_id = db.session.scalar(select(Application.id))
    auth.logout()

    auth.login(users["bank"])
    detail = f"/bank/applications/{app_id}"
    assert "120" in client.get(detail).get_data(as_text=True)
    client.submit(f"{detail}/accept", {"version": "1"}, page=detail)
    client.submit(f"{detail}/grant", {"version": "2", "amount_wan": "100", "rate": "3.95", "term_months": "12"},
                  page=detail)
    auth.logout()
    auth.login(users["enterprise"])  # 授信确认
    mine = f"/enterprise/applications/{app_id}"
    assert "确认接受授信" in client.get(mine).get_data(as_text=True)
    client.submit(f"{mine}/confirm", {"version": "3"}, page=mine)
    auth.logout()
    auth.login(users["bank"])
    client.submit(f"{detail}/disburse", {"version": "4", "amount_wan": "90", "on": str(workdays.today())},
                  page=detail)
    assert "还款计划" in client.get(detail).get_data(as_text=True)
    auth.logout()

    with app.app_context():
        a = db.session.get(Application, app_id)
        assert (a.status, a.disbursed_amount, [e.action for e in a.events]) == \
            ("disbursed", 900_000, ["submit", "accept", "grant", "confirm", "disburse"])
        assert sum(x.principal for x in a.instalments) == 900_000
        titles = db.session.scalars(select(Notification.title).where(Notification.enterprise_id == a.enterprise_id)
                                    .order_by(Notification.id)).all()
        assert titles == ["申请已提交", "申请状态：已受理", "申请状态：已授信（待企业确认）", "申请状态：企业已确认授信",
                          "申请状态：已放款"]
    home = client.get("/").get_data(as_text=True)
    assert '<div class="fs-3 fw-bold">90</div>' in home[home.index('id="totals"'):], "累计融资 moved to 90 万元"
    auth.login(users["enterprise"])
    mine = client.get("/enterprise/applications").get_data(as_text=True)
    assert "已放款" in mine and "已放款 90 万元" in mine
