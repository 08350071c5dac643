"""/api/v1/ for institutions' systems: keys, the same state machine, OpenAPI."""
import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import ApiKey, Application, ApplicationEvent, Institution, User
from marketplace.services import api_keys, applications, workdays
from marketplace.services.applications import Actor

from .conftest import PASSWORD, make_institution, make_product


def _setup(app):
    from marketplace.services import accounts

    with app.app_context():
        from .conftest import make_enterprise

        firm = make_enterprise()
        bank = make_institution()
        other = make_institution("他行")
        product = make_product(bank)
        sme = accounts.create_user(username="sme", password=PASSWORD, role="enterprise", enterprise_id=firm.id)
        a = applications.submit(Actor.of_user(sme), product_ids=[product.id], amount=800_000, term_months=12,
                                authorize_until=workdays.today() + timedelta(days=30), commitment_accepted=True,
                                scopes=["profile", "score"])[0]
        _, key = api_keys.issue(bank.id, "核心系统")
        _, other_key = api_keys.issue(other.id, "他行系统")
        return a.id, key, other_key


def h(key):
    return {"Authorization": f"Bearer {key}"}


def test_wrong_or_missing_key_is_401(client, app):
    app_id, key, _ = _setup(app)
    for headers in ({}, h("xyd_nope_nope"), h(key[:-2] + "xx"), {"X-API-Key": "garbage"}):
        r = client.get("/api/v1/applications", headers=headers)
        assert r.status_code == 401 and r.json["error"] == "未认证"
    r = client.post(f"/api/v1/applications/{app_id}/accept", headers=h("xyd_bad_key"))
    assert r.status_code == 401
    with app.app_context():
        assert db.session.get(Application, app_id).status == "submitted"


def test_key_is_stored_hashed_and_revocable(client, app):
    app_id, key, _ = _setup(app)
    with app.app_context():
        row = db.session.scalar(select(ApiKey).where(ApiKey.name == "核心系统"))
        assert key not in (row.key_hash, row.prefix) and len(row.key_hash) == 64
        assert client.get("/api/v1/applications", headers={"X-API-Key": key}).status_code == 200
        api_keys.revoke(row.id)
    assert client.get("/api/v1/applications", headers=h(key)).status_code == 401


def test_full_loan_cycle_over_the_api(client, app):
    app_id, key, other_key = _setup(app)
    listing = client.get("/api/v1/applications?status=submitted", headers=h(key)).json
    assert listing["total"] == 1 and listing["items"][0]["amount"] == 800_000
    assert client.get("/api/v1/applications", headers=h(other_key)).json["total"] == 0
    assert client.get(f"/api/v1/applications/{app_id}", headers=h(other_key)).status_code == 404
    assert client.post(f"/api/v1/applications/{app_id}/accept", headers=h(other_key)).status_code == 404

    r = client.post(f"/api/v1/applications/{app_id}/accept", headers=h(key), json={"version": 1})
    assert r.status_code == 200 and r.json["status"] == "accepted" and r.json["decision_due"]
    stale = client.post(f"/api/v1/applications/{app_id}/decision", headers=h(key),
                        json={"decision": "reject", "reason": "other", "note": "x", "version": 1})
    assert stale.status_code == 409 and "已被其他人员处理" in stale.json["message"]
    bad = client.post(f"/api/v1/applications/{app_id}/decision", headers=h(key),
                      json={"decision": "reject", "reason": "other", "note": ""})
    assert bad.status_code == 422 and bad.json["field"] == "note"
    float_money = client.post(f"/api/v1/applications/{app_id}/decision", headers=h(key),
                              json={"decision": "grant", "amount": 500000.5, "rate": "4.1", "term_months": 12})
    assert float_money.status_code == 422
    r = client.post(f"/api/v1/applications/{app_id}/decision", headers=h(key),
                    json={"decision": "grant", "amount": 600_000, "rate": "4.10", "term_months": 12})
    assert r.json["grant"] == {"amount": 600_000, "rate": "4.100", "term_months": 12}
    illegal = client.post(f"/api/v1/applications/{app_id}/repayments", headers=h(key),
                          json={"amount": 1, "date": str(workdays.today())})
    assert illegal.status_code == 422 and "不能登记还款" in illegal.json["message"]
    today = str(workdays.today())
    # 授信确认: no disbursement before the firm accepted the grant.
    early = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=h(key),
                        json={"amount": 600_000, "date": today})
    assert early.status_code == 422 and "不能放款" in early.json["message"]
    with app.app_context():
        sme = db.session.scalar(select(User).where(User.username == "sme"))
        applications.confirm(app_id, Actor.of_user(sme))
    r = client.post(f"/api/v1/applications/{app_id}/disbursement", headers=h(key),
                    json={"amount": 600_000, "date": today})
    assert r.json["status"] == "disbursed" and r.json["balance"] == 600_000
    schedule = r.json["schedule"]
    assert len(schedule) == 12 and sum(x["principal"] for x in schedule) == 600_000
    assert r.json["repayment_method"] == "equal_instalment" and r.json["days_past_due"] == 0
    r = client.post(f"/api/v1/applications/{app_id}/repayments", headers=h(key), json={"amount": 100_000, "date": today})
    paid_interest = sum(x["interest_paid"] for x in r.json["schedule"])
    assert r.json["balance"] == 500_000 + paid_interest and r.json["status"] == "disbursed"
    # Overdue is never reported: it follows from the schedule.
    assert client.post(f"/api/v1/applications/{app_id}/loan-status", headers=h(key),
                       json={"status": "overdue"}).status_code == 404
    owed = sum(x["principal"] + x["interest"] - x["principal_paid"] - x["interest_paid"] for x in r.json["schedule"])
    r = client.post(f"/api/v1/applications/{app_id}/repayments", headers=h(key), json={"amount": owed, "date": today})
    assert r.json["status"] == "repaid" and r.json["balance"] == 0
    with app.app_context():
        events = db.session.scalars(select(ApplicationEvent).where(ApplicationEvent.application_id == app_id)
                                    .order_by(ApplicationEvent.id)).all()
        assert [e.action for e in events] == ["submit", "accept", "grant", "confirm", "disburse", "repay", "repay"]
        assert all(e.actor_api_key_id for e in events[1:] if e.action != "confirm")


def test_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert {"/applications", "/applications/{application_id}", "/applications/{application_id}/decision",
            "/applications/{application_id}/disbursement", "/applications/{application_id}/repayments"} <= set(spec["paths"])


def test_commission_issues_a_key_shown_once(client, auth, users, app):
    auth.login(users["commission"])
    with app.app_context():
        inst_id = db.session.scalar(select(Institution.id))
    html = client.submit("/commission/api-keys", {"institution_id": str(inst_id), "name": "信贷系统"}).get_data(
        as_text=True)
    key = re.search(r'<code id="new-key">([^<]+)</code>', html).group(1)
    assert 'id="new-key"' not in client.get("/commission/api-keys").get_data(as_text=True)
    auth.logout()
    assert client.get("/api/v1/applications", headers=h(key)).status_code == 200
