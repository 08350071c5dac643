"""风险补偿 (risk compensation fund): staff configure a fund (share of the principal loss, per-loan cap,
eligible products and institutions, budget); a disbursed loan that qualifies is enrolled automatically;
when it defaults the institution files a claim and staff approve or reject it with a reason. Amounts are
whole yuan: a claim is min(cap, ⌊share × principal outstanding⌋), and an approval never exceeds the
fund's balance."""
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from sqlalchemy import func, select

from .. import codes
from ..clock import local_date, now
from ..extensions import db
from ..limits import TEXT
from ..models import Application, CompensationClaim, CompensationEnrolment, CompensationFund
from . import RuleViolation, audit, notifications, workflow

REASON_MAX = TEXT["decision"]  # compensation_claims.reason: column, form and check
YUAN_MAX = 10 ** 13


def parse_share(value) -> Decimal:
    """The share covered, given in % (e.g. 30 → 0.3000); more than 0, at most 100."""
    try:
        pct = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RuleViolation("请填写补偿比例（%）。", "share_pct") from None
    if not Decimal(0) < pct <= Decimal(100):
        raise RuleViolation("补偿比例应大于0且不超过100%。", "share_pct")
    return (pct / 100).quantize(Decimal("0.0001"))


def _ids(values, model, field: str, label: str) -> list[int]:
    raw = [str(v) for v in values or []]
    if any(not v.isdigit() or len(v) > 9 for v in raw):
        raise RuleViolation(f"请选择有效的{label}。", field)
    ids = sorted({int(v) for v in raw})
    if ids and db.session.scalar(select(func.count(model.id)).where(model.id.in_(ids))) != len(ids):
        raise RuleViolation(f"请选择有效的{label}。", field)
    return ids


def create_fund(*, name: str, share, per_loan_cap: int, budget: int, product_ids: list,
                institution_ids: list, actor_id: int | None) -> CompensationFund:
    """A fund; empty product / institution lists mean every product / institution."""
    from ..models import Institution, Product

    product_ids = _ids(product_ids, Product, "products", "适用产品")
    institution_ids = _ids(institution_ids, Institution, "institutions", "适用机构")
    name = (name or "").strip()
    if not 0 < len(name) <= 64:
        raise RuleViolation("请填写资金池名称（最多64个字符）。", "name")
    for value, field, label in ((per_loan_cap, "cap_wan", "单笔补偿上限"), (budget, "budget_wan", "资金规模")):
        if not isinstance(value, int) or not 0 < value <= YUAN_MAX:
            raise RuleViolation(f"{label}应大于0。", field)
    fund = CompensationFund(name=name, share=parse_share(share), per_loan_cap=per_loan_cap, budget=budget,
                            eligible_product_ids=product_ids, eligible_institution_ids=institution_ids,
                            active=True, created_by=actor_id)
    db.session.add(fund)
    db.session.flush()
    audit.record(actor_id, "compensation_fund.created", fund, share=fund.share, cap=per_loan_cap, budget=budget)
    db.session.commit()
    return fund


def _covers(fund: CompensationFund, app: Application) -> bool:
    return ((not fund.eligible_product_ids or app.product_id in fund.eligible_product_ids)
            and (not fund.eligible_institution_ids or app.institution_id in fund.eligible_institution_ids))


def enrol(app: Application) -> CompensationEnrolment | None:
    """Called by the disbursement (same transaction): enrol the loan in the first active fund covering it."""
    funds = db.session.scalars(select(CompensationFund).where(CompensationFund.active.is_(True))
                               .order_by(CompensationFund.id)).all()
    for fund in funds:
        if _covers(fund, app):
            enrolment = CompensationEnrolment(fund_id=fund.id, application_id=app.id, principal=app.disbursed_amount,
                                              enrolled_on=app.disbursed_on)
            db.session.add(enrolment)
            return enrolment
    return None


def claim_amount(fund: CompensationFund, loss: int) -> int:
    share = (Decimal(loss) * Decimal(fund.share)).to_integral_value(rounding=ROUND_DOWN)
    return int(min(Decimal(fund.per_loan_cap), share))


def enrolment_of(application_id: int) -> CompensationEnrolment | None:
    return db.session.scalar(select(CompensationEnrolment).where(CompensationEnrolment.application_id == application_id))


def claims_of(enrolment_id: int) -> list[CompensationClaim]:
    return db.session.scalars(select(CompensationClaim).where(CompensationClaim.enrolment_id == enrolment_id)
                              .order_by(CompensationClaim.id)).all()


def file_claim(application_id: int, *, institution_id: int, actor_id: int | None) -> CompensationClaim:
    """The institution claims on a defaulted, enrolled loan of its own (one claim open or paid at a time)."""
    app = db.session.get(Application, application_id)
    if app is None or app.institution_id != institution_id:
        raise RuleViolation("申请不存在。")
    if app.status != "defaulted":
        raise RuleViolation("只有已认定不良的贷款可以申请风险补偿。")
    enrolment = enrolment_of(app.id)
    if enrolment is None:
        raise RuleViolation("该贷款未纳入风险补偿资金池。")
    if any(c.status in ("filed", "approved") for c in claims_of(enrolment.id)):
        raise RuleViolation("该贷款已有待审核或已代偿的补偿申请。")
    loss = app.balance
    if loss <= 0:
        raise RuleViolation("该贷款没有未偿本金，无需补偿。")
    claim = CompensationClaim(enrolment_id=enrolment.id, institution_id=institution_id, loss=loss,
                              amount=claim_amount(enrolment.fund, loss), filed_by=actor_id)
    return workflow.transition(claim, "filed", subject="补偿申请", label="提交", actor_id=actor_id,
                               apply=lambda c: ("filed", {"application_id": app.id, "loss": loss, "amount": c.amount}))


def decide_claim(claim: CompensationClaim, *, approve: bool, reason: str, actor_id: int | None,
                 expected_version: int | None = None) -> CompensationClaim:
    """Approve (paid from the fund, never beyond its balance) or reject — a reason either way."""
    reason = (reason or "").strip()
    to_status = "approved" if approve else "rejected"

    def apply(c):
        if not reason:
            raise RuleViolation("请填写审核意见。", "reason")
        if len(reason) > REASON_MAX:
            raise RuleViolation(f"审核意见最多{REASON_MAX}个字符。", "reason")
        if approve and c.amount > summary(c.enrolment.fund)["balance"]:
            raise RuleViolation("资金池余额不足，不能代偿。", "reason")
        c.decided_by, c.decided_at, c.reason = actor_id, now(), reason
        return to_status, {"amount": c.amount, "reason": reason}

    def notify(c, to, detail):
        app = c.enrolment.application
        text = (f"“{app.product.name}”（申请 {app.id}）风险补偿 {c.amount} 元已核准代偿。" if approve
                else f"“{app.product.name}”（申请 {app.id}）风险补偿申请已驳回：{reason}")
        notifications.to_institution(c.institution_id, f"风险补偿：{codes.CLAIM_STATUSES[to]}", text, app.id)

    workflow.transition(claim, to_status, subject="补偿申请", label="核准代偿" if approve else "驳回",
                        allowed_from=("filed",), statuses=codes.CLAIM_STATUSES, apply=apply, actor_id=actor_id,
                        expected_version=expected_version, notify=notify)
    return claim


def summary(fund: CompensationFund) -> dict:
    """budget, paid (approved claims), pending (claims filed), exposure (what the fund may still owe on its
    enrolled loans without a decided claim: Σ min(cap, ⌊share × balance⌋)), balance = budget − paid; yuan."""
    paid = int(db.session.scalar(select(func.coalesce(func.sum(CompensationClaim.amount), 0))
                                 .join(CompensationEnrolment).where(CompensationEnrolment.fund_id == fund.id,
                                                                    CompensationClaim.status == "approved")))
    pending = int(db.session.scalar(select(func.coalesce(func.sum(CompensationClaim.amount), 0))
                                    .join(CompensationEnrolment).where(CompensationEnrolment.fund_id == fund.id,
                                                                       CompensationClaim.status == "filed")))
    rows = enrolment_rows(fund)
    exposure = sum(r["exposure"] for r in rows)
    return {"budget": fund.budget, "paid": paid, "pending": pending, "exposure": exposure,
            "balance": fund.budget - paid, "loans": len(rows)}


def enrolment_rows(fund: CompensationFund) -> list[dict]:
    """Each enrolled loan with its balance, exposure and claims (the page and the export)."""
    rows = []
    enrolments = db.session.scalars(select(CompensationEnrolment).where(CompensationEnrolment.fund_id == fund.id)
                                    .order_by(CompensationEnrolment.id)).all()
    for e in enrolments:
        app = e.application
        claims = claims_of(e.id)
        settled = any(c.status == "approved" for c in claims) or app.status == "repaid"
        paid = sum(c.amount for c in claims if c.status == "approved")
        rows.append({"application_id": app.id, "uscc": app.enterprise.uscc, "name": app.enterprise.name,
                     "institution": app.institution.name, "product": app.product.name, "enrolled_on": e.enrolled_on,
                     "principal": e.principal, "balance": app.balance,
                     "status": codes.APPLICATION_STATUSES[app.status],
                     "exposure": 0 if settled else claim_amount(fund, app.balance) if app.balance else 0,
                     "paid": paid, "claim_status": codes.CLAIM_STATUSES[claims[-1].status] if claims else ""})
    return rows


def claim_decided_on(claim: CompensationClaim):
    return local_date(claim.decided_at) if claim.decided_at else None
