"""异议: a firm disputes a record, staff verify and decide it, every step audited and told to the firm."""
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditLog, Notification, Objection
from marketplace.services import RuleViolation, objections

from .conftest import USCC_A, USCC_B, make_enterprise


def a_penalty(uscc=USCC_A) -> int:
    from .test_governance import add_penalty

    return add_penalty(uscc).id


def raise_one(client, auth, users, app):
    with app.app_context():
        penalty_id = a_penalty()
    auth.login(users["enterprise"])
    return client.submit("/enterprise/objections", {"record": f"penalties:{penalty_id}", "kind": "expired",
                                                    "description": "2023年的处罚已超过公示期限"})


def test_firm_raises_and_staff_uphold(client, auth, users, app):
    assert raise_one(client, auth, users, app).status_code == 302
    page = client.get("/enterprise/objections").get_data(as_text=True)
    assert "行政处罚" in page and "已提交" in page
    auth.logout()
    auth.login(users["commission"])
    with app.app_context():
        objection_id = db.session.scalar(select(Objection.id))
    queue = client.get("/commission/objections").get_data(as_text=True)
    assert "济南测试科技有限公司" in queue
    detail = f"/commission/objections/{objection_id}"
    client.submit(detail, {"to_status": "verifying", "resolution": ""})
    client.submit(detail, {"to_status": "upheld", "resolution": "经核实已超过公示期，已撤下", "outcome": "withdrawn"})
    with app.app_context():
        o = db.session.get(Objection, objection_id)
        assert o.status == "upheld" and o.resolved_at is not None and o.handled_by is not None
        actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["objection.submitted", "objection.verifying", "objection.upheld"]
        titles = db.session.scalars(select(Notification.title).order_by(Notification.id)).all()
        assert titles[-1] == "异议处理：异议成立（已更正）"
    assert "经核实已超过公示期" in client.get(detail).get_data(as_text=True)


def test_decision_needs_a_resolution_and_a_legal_transition(app, users):
    with app.app_context():
        o = objections.raise_objection(1, record_source="penalties", record_id=a_penalty(), kind="error",
                                       description="所属期错误", actor_id=None)
        for to, resolution, message in (("rejected", "", "请填写处理意见"), ("submitted", "x", "不能改为")):
            try:
                objections.move(o, to, actor_id=None, resolution=resolution)
            except RuleViolation as e:
                assert message in e.message
            else:
                raise AssertionError(f"{to} should be refused")
        objections.move(o, "rejected", actor_id=None, resolution="数据无误")
        try:
            objections.move(o, "upheld", actor_id=None, resolution="x")
        except RuleViolation:
            pass
        else:
            raise AssertionError("a decided objection is final")
        assert db.session.get(Objection, o.id).status == "rejected"


def test_bad_objection_is_refused_and_nothing_saved(client, auth, users, app):
    auth.login(users["enterprise"])
    response = client.submit("/enterprise/objections", {"record": "petitions:1", "kind": "error",
                                                        "description": "x"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Objection)) is None


def test_firms_see_only_their_own_and_banks_none(client, auth, users, app):
    with app.app_context():
        other = make_enterprise(uscc=USCC_B, name="别家公司")
        objections.raise_objection(other.id, record_source="penalties", record_id=a_penalty(USCC_B), kind="error",
                                   description="别家的异议", actor_id=None)
    auth.login(users["enterprise"])
    assert "别家的异议" not in client.get("/enterprise/objections").get_data(as_text=True)
    auth.logout()
    auth.login(users["bank"])
    assert client.get("/commission/objections").status_code == 403
