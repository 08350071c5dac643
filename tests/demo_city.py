"""A small demo city for the tests that walk every page: seeded firms with department data and lending
history, a trained model and scores, one account per role, and the records a page can be opened on
(an authorization, a need, an objection, a sharing batch, an unrated firm with an open need)."""
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import (
    Application,
    Enterprise,
    FinancingNeed,
    Institution,
    Objection,
    Product,
    ShareBatch,
)
from marketplace.services import (
    applications,
    authorizations,
    indicators,
    needs,
    objections,
    scoring,
    sharing,
    workdays,
)
from marketplace.services.applications import Actor
from seed.accounts import ensure_demo_accounts

from .conftest import make_enterprise, make_product

USCC_UNRATED = "91370112MA3MFJ2X64"  # valid, and not in the seeded registry: the firm stays 未评级


def build(runner, firms: int = 500) -> dict:
    """Seed, train (and so score) and add the records every page needs; returns {role: username}."""
    for args in (["seed", "--enterprises", str(firms), "--institutions", "3", "--products", "12",
                  "--applications", str(firms // 2)],
                 ["train-model"]):  # the city's first model: signed off by the system, every firm scored
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    from seed import load

    load.load_denominators(registered_enterprises=firms * 10)
    accounts = ensure_demo_accounts()
    firm = db.session.scalar(select(Enterprise).order_by(Enterprise.id))
    institution = db.session.scalar(select(Institution).order_by(Institution.id))
    # The bank's officer can open a firm that applied to it and authorized it.
    applicant = db.session.scalar(select(Application.enterprise_id).where(
        Application.institution_id == institution.id).order_by(Application.id))
    authorizations.grant(applicant or firm.id, institution.id, scopes=authorizations.ALL_SCOPES,
                         valid_until=date.today() + timedelta(days=200), user_id=None)
    # The demo firm's own loan at the demo bank, through every step, and a second application still waiting.
    open_product = make_product(institution, name="演示信用贷", amount_min=100_000, amount_max=3_000_000)
    other_product = make_product(institution, name="演示供应链贷", kind="supply_chain")
    me = Actor(role="enterprise", enterprise_id=firm.id)
    bank = Actor(role="bank", institution_id=institution.id)
    until = date.today() + timedelta(days=365)
    (loan,) = applications.submit(me, product_ids=[open_product.id], amount=1_000_000, term_months=12,
                                  authorize_until=until, commitment_accepted=True,
                                  scopes=list(authorizations.ALL_SCOPES))
    applications.accept(loan.id, bank)
    applications.grant(loan.id, bank, amount=800_000, rate="4.35", term_months=12)
    applications.confirm(loan.id, me)
    applications.disburse(loan.id, bank, amount=800_000, on=workdays.today())
    applications.repay(loan.id, bank, amount=200_000, on=workdays.today())
    applications.submit(me, product_ids=[other_product.id], amount=500_000, term_months=6,
                        authorize_until=until, commitment_accepted=True,
                                  scopes=list(authorizations.ALL_SCOPES))
    needs.publish_need(firm.id, amount=500_000, term_months=12, purpose="购置设备", guarantee="credit")
    unrated = make_enterprise(uscc=USCC_UNRATED, name="济南未评级商贸有限公司", size="micro")
    authorizations.grant(unrated.id, institution.id, scopes=authorizations.ALL_SCOPES, valid_until=until,
                         user_id=None)  # so 需求撮合 shows its grade: 未评级
    needs.publish_need(unrated.id, amount=300_000, term_months=12, purpose="备货", guarantee="credit")
    from marketplace.models import TaxRecord

    record_id = db.session.scalar(select(TaxRecord.id).where(TaxRecord.uscc == firm.uscc).limit(1))
    objections.raise_objection(firm.id, record_source="tax_records", record_id=record_id, kind="error",
                               description="2026年9月营业收入有误", actor_id=None)
    # A credit repair (信用修复) waiting for staff, on a seeded penalty past its minimum publication period.
    from marketplace.models import Penalty
    from marketplace.services import compensation, repairs

    penalty = next(p for p in db.session.scalars(select(Penalty).where(Penalty.repaired_on.is_(None))
                                                 .order_by(Penalty.id))
                   if repairs.repairable_from(p) <= workdays.today()
                   and db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == p.uscc)))
    repairs.apply(db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == penalty.uscc)),
                  penalty_id=penalty.id, evidence="罚款已缴清，整改完成", commitment_accepted=True, actor_id=None)
    # A risk compensation fund (风险补偿资金池) covering the demo products.
    compensation.create_fund(name="市级风险补偿资金池", share="33.33", per_loan_cap=300_000, budget=5_000_000,
                             product_ids=[open_product.id], institution_ids=[], actor_id=None)
    last_month = (workdays.today().replace(day=1) - timedelta(days=1)).replace(day=1)
    sharing.produce(last_month, actor_id=None)
    from marketplace.services import jobs  # a finished background job (the report pack) for the jobs pages

    jobs.enqueue("report_pack", None, month=last_month.isoformat())
    assert scoring.active_model() is not None
    return {"enterprise": "sme_demo", "bank": "bank_demo", "commission": "admin_demo",
            "_accounts": accounts}


def url_arguments(role: str) -> dict[str, list]:
    """Real ids for each URL argument, as the user of this role would reach them."""
    from marketplace.models import CompensationFund, CreditRepair, Job, User

    user = db.session.scalar(select(User).where(User.username == {"enterprise": "sme_demo", "bank": "bank_demo",
                                                                  "commission": "admin_demo"}[role]))
    apps = select(Application.id)
    if role == "bank":
        apps = apps.where(Application.institution_id == user.institution_id)
    elif role == "enterprise":
        apps = apps.where(Application.enterprise_id == user.enterprise_id)
    app_ids = []
    for status in ("submitted", "accepted", "granted", "rejected", "disbursed", "repaid", "overdue", "defaulted",
                   "withdrawn"):
        app_ids += db.session.scalars(apps.where(Application.status == status).limit(1)).all()
    product_ids = select(Product.id).order_by(Product.id)
    if role == "bank":
        product_ids = product_ids.where(Product.institution_id == user.institution_id)
    firm_ids = []
    if role == "bank":
        firm_ids = sorted(authorizations.authorized_enterprise_ids(
            user.institution_id, db.session.scalars(select(Enterprise.id))))[:2]
    if role == "commission":  # staff open any firm's file (企业档案)
        firm_ids = db.session.scalars(select(Enterprise.id).order_by(Enterprise.id).limit(2)).all()
    need_ids = db.session.scalars(select(FinancingNeed.id).where(
        FinancingNeed.enterprise_id == user.enterprise_id)).all() if role == "enterprise" else []
    versions = [v["version"] for v in scoring.registry.versions(scoring.model_dir())]
    return {
        "application_id": app_ids,
        "product_id": db.session.scalars(product_ids.limit(3)).all(),
        "enterprise_id": firm_ids,
        "need_id": need_ids,
        "objection_id": db.session.scalars(select(Objection.id)).all()[:2],
        "version": versions,
        "code": list(indicators.INDICATORS),
        "batch_id": db.session.scalars(select(ShareBatch.id)).all()[:1],
        "repair_id": db.session.scalars(select(CreditRepair.id).order_by(CreditRepair.id)).all()[:1],
        "fund_id": db.session.scalars(select(CompensationFund.id).order_by(CompensationFund.id)).all()[:1],
        "job_id": db.session.scalars(select(Job.id).order_by(Job.id)).all()[:1],
    }
