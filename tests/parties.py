"""The parties of the access-control matrix and the hostile-input tests: SME A and SME B, bank X and bank Y,
commission staff, and records of A and X for the others to reach for."""
from datetime import date, timedelta

from marketplace.models import ShareBatch
from marketplace.services import (
    accounts,
    api_keys,
    applications,
    authorizations,
    indicators,
    needs,
    objections,
)
from marketplace.services.applications import Actor

from .conftest import PASSWORD, USCC_A, USCC_B, make_enterprise, make_institution, make_product


def build_parties(app) -> dict:
    """Two firms, two banks and staff; SME A has a need, an application to bank X's product (so bank X is
    authorized), an objection; bank X has an API key; one share batch exists."""
    with app.app_context():
        from marketplace.extensions import db

        firm_a, firm_b = make_enterprise(USCC_A, "甲企业"), make_enterprise(USCC_B, "乙企业")
        bank_x, bank_y = make_institution("X银行"), make_institution("Y银行")
        product_x, _ = make_product(bank_x, name="X信用贷"), make_product(bank_y, name="Y信用贷")
        users = {
            "sme_a": accounts.create_user(username="sme_a", password=PASSWORD, role="enterprise", enterprise_id=firm_a.id),
            "sme_b": accounts.create_user(username="sme_b", password=PASSWORD, role="enterprise", enterprise_id=firm_b.id),
            "bank_x": accounts.create_user(username="bank_x", password=PASSWORD, role="bank", institution_id=bank_x.id),
            "bank_y": accounts.create_user(username="bank_y", password=PASSWORD, role="bank", institution_id=bank_y.id),
            "staff": accounts.create_user(username="staff", password=PASSWORD, role="commission"),
        }
        need = needs.publish_need(firm_a.id, amount=500_000, term_months=12, purpose="购置设备")
        application = applications.submit(Actor.of_user(users["sme_a"]), product_ids=[product_x.id], amount=500_000,
                                          term_months=12, authorize_until=date.today() + timedelta(days=30),
                                          commitment_accepted=True)[0]
        auth = authorizations.valid_authorization(firm_a.id, bank_x.id)
        objection = objections.raise_objection(firm_a.id, record_source="tax_records", record_id=None, kind="error",
                                               description="纳税记录有误", actor_id=users["sme_a"].id)
        key_row, key_x = api_keys.issue(bank_x.id, "X系统")
        _, key_y = api_keys.issue(bank_y.id, "Y系统")
        batch = ShareBatch(period=date(2026, 10, 1), counts={}, sha256="0" * 64, content="")
        db.session.add(batch)
        db.session.commit()
        return {"firm_a": firm_a.id, "bank_x": bank_x.id, "product_x": product_x.id, "need_a": need.id, "application_a": application.id,
                "authorization_a": auth.id, "objection_a": objection.id, "key_x": key_row.id, "batch": batch.id,
                "first_indicator": next(iter(indicators.INDICATORS)),
                "api_keys": {"bank_x": key_x, "bank_y": key_y}}
