"""The parties of the access-control matrix and the hostile-input tests: SME A and SME B, bank X and bank Y,
commission staff, and records of A and X for the others to reach for."""
from datetime import date, timedelta

from marketplace import codes
from marketplace.models import CreditCommitment, IdentityCheck, ShareBatch
from marketplace.services import (
    accounts,
    api_keys,
    applications,
    authorizations,
    indicators,
    needs,
    objections,
    off_platform,
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
                                          commitment_accepted=True, scopes=list(codes.AUTHORIZATION_SCOPES))[0]
        auth = authorizations.valid_authorization(firm_a.id, bank_x.id)
        from .test_governance import add_penalty

        penalty_a = add_penalty(USCC_A)
        objection = objections.raise_objection(firm_a.id, record_source="penalties", record_id=penalty_a.id, kind="error",
                                               description="纳税记录有误", actor_id=users["sme_a"].id)
        key_row, key_x = api_keys.issue(bank_x.id, "X系统")
        off_platform_x = off_platform.report(bank_x.id, date(2026, 10, 1), uscc=USCC_B, enterprise_name="乙企业",
                                             amount=300_000, loan_count=1, user_id=users["bank_x"].id)
        # A registration waiting in staff's 实名核验 queue (SME B's account typed another legal representative).
        check_b = IdentityCheck(enterprise_id=firm_b.id, user_id=users["sme_b"].id, typed_name="乙企业",
                                typed_legal_representative="李四", mismatches=["legal_representative"],
                                outcome="pending")
        db.session.add(check_b)
        commitment = db.session.scalar(db.select(CreditCommitment).where(CreditCommitment.enterprise_id == firm_a.id))
        _, key_y = api_keys.issue(bank_y.id, "Y系统")
        batch = ShareBatch(period=date(2026, 10, 1), counts={}, sha256="0" * 64, content="")
        db.session.add(batch)
        db.session.commit()
        return {"firm_a": firm_a.id, "bank_x": bank_x.id, "product_x": product_x.id, "need_a": need.id, "application_a": application.id,
                "authorization_a": auth.id,
                "off_platform_x": off_platform_x.id, "identity_check_b": check_b.id,
                "commitment_a": commitment.id, "objection_a": objection.id, "key_x": key_row.id, "batch": batch.id,
                "first_indicator": next(iter(indicators.INDICATORS)),
                "api_keys": {"bank_x": key_x, "bank_y": key_y}}
