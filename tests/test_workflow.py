"""services/workflow.transition: the one lock-event-audit mechanism behind every state change."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from marketplace.extensions import db
from marketplace.models import ApiKey, AuditLog, DataAuthorization, Product
from marketplace.services import RuleViolation, api_keys, authorizations, products, workflow
from marketplace.services.workdays import today

from .conftest import make_enterprise, make_institution, make_product


def test_product_pause_is_audited_and_status_locked(app):
    with app.app_context():
        inst = make_institution()
        product = make_product(inst)
        products.set_status(product, inst.id, "paused", user_id=None)
        row = db.session.scalar(select(AuditLog))
        assert (row.action, row.object_id) == ("products.paused", str(product.id))
        assert row.detail["from_status"] == "active" and row.detail["to_status"] == "paused"

        # This officer sees it paused; meanwhile a colleague resumes it (another connection, committed).
        assert product.status == "paused"
        with db.engine.begin() as other:
            other.execute(update(Product).where(Product.id == product.id).values(status="active"))
        with pytest.raises(workflow.ConcurrentChange, match="该产品刚刚已被其他人员处理"):
            products.set_status(product, inst.id, "active")
        db.session.expire_all()
        assert db.session.get(Product, product.id).status == "active"
        assert db.session.scalar(select(func.count(AuditLog.id))) == 1


def test_refused_transition_names_the_state_and_writes_nothing(app):
    with app.app_context():
        inst = make_institution()
        product = make_product(inst)
        with pytest.raises(RuleViolation, match="产品当前状态为“在售”，不能停售"):
            workflow.transition(product, "stop", subject="产品", label="停售", allowed_from=("paused",),
                                statuses={"active": "在售"}, apply=lambda p: ("paused", {}))
        assert db.session.scalar(select(func.count(AuditLog.id))) == 0
        with pytest.raises(RuleViolation, match="只有金融机构可以停售"):
            workflow.transition(product, "stop", subject="产品", label="停售", role="bank", actor_role="enterprise",
                                apply=lambda p: ("paused", {}))


def test_keys_and_authorizations_leave_one_audit_row_per_change(app):
    with app.app_context():
        inst = make_institution()
        firm = make_enterprise()
        key, clear = api_keys.issue(inst.id, "信贷系统")
        api_keys.revoke(key.id)
        api_keys.revoke(key.id)  # revoking twice is harmless and not audited twice
        auth = authorizations.grant(firm.id, inst.id, scopes=["profile"], valid_until=today() + timedelta(days=30))
        with pytest.raises(RuleViolation, match="须勾选确认"):  # never widened silently
            authorizations.grant(firm.id, inst.id, scopes=["score"], valid_until=today() + timedelta(days=60))
        authorizations.grant(firm.id, inst.id, scopes=["score"], valid_until=today() + timedelta(days=60),
                             widen=True)
        authorizations.revoke(auth, firm.id)
        actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
        assert actions == ["api_keys.issue", "api_keys.revoke", "data_authorizations.grant",
                           "data_authorizations.grant", "data_authorizations.revoke"]
        assert db.session.get(ApiKey, key.id).revoked_at is not None
        assert db.session.scalar(select(func.count(DataAuthorization.id))) == 1
        assert api_keys.authenticate(clear) is None
