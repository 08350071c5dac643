"""融资申请 and its state machine — the ONE place an application's status changes.

    submitted 已提交 ─accept→ accepted 已受理 ─grant→ granted 已授信 ─confirm→ confirmed 已确认 ─disburse→ disbursed
        │                       └─reject→ rejected 已拒绝    └─decline→ declined 已谢绝 (closed)
        └─withdraw (also from accepted)→ withdrawn 已撤回
    disbursed 已放款 ─overdue (system)→ overdue 逾期 ─default (system)→ defaulted 不良
        ├─repay (the last instalment)→ repaid 已结清        overdue ─repay→ disbursed (caught up) / repaid

Who acts: the bank accepts, grants (inside the product's amount, rate and term ranges), rejects with a
reason, disburses (only after the firm confirmed — 授信确认) and records repayments; the firm withdraws
before a decision and confirms or declines a grant; the system (role 'system') moves a loan to overdue
and default from its repayment schedule, never on a click: `schedules.refresh` finds an instalment past
due and unpaid (overdue) and the days past due reaching the product's or the commission's rule
(defaulted). Disbursement draws the 还款计划 (services/schedules.py) and repayments are applied to it.

Status groups other services read (indicators, breakdowns, sharing) are defined here, once:
DISBURSED_STATUSES (a loan was made), GRANTED_STATUSES (a grant in force: offered, confirmed or drawn —
a declined grant is not one), DECIDED_STATUSES (the bank decided: granted, rejected, or granted and then
declined by the firm) and BANK_GRANTED_STATUSES (the bank said yes, whatever the firm did next).
    defaulted 不良 ─write_off (bank)→ defaulted, written_off_on set: the loan leaves the 贷款余额 that day (核销)

Every transition goes through services/workflow.transition: it checks who may make it and from which
status, writes an ApplicationEvent (the audit row), queues the 站内消息, and commits once. A concurrent
change by someone else is caught by the optimistic lock (Application.version) and nothing is written.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import codes, limits
from ..clock import now
from ..extensions import db
from ..models import (
    Application,
    ApplicationEvent,
    CreditCommitment,
    FinancingNeed,
    Product,
)
from . import (
    RuleViolation,
    authorizations,
    compensation,
    identity,
    joint,
    notifications,
    ownership,
    schedules,
    workflow,
)
from .workdays import add_working_days, local_date, today, working_days_between

STATUS = codes.APPLICATION_STATUSES
DISBURSED_STATUSES = ("disbursed", "repaid", "overdue", "defaulted")
GRANTED_STATUSES = ("granted", "confirmed") + DISBURSED_STATUSES
BANK_GRANTED_STATUSES = GRANTED_STATUSES + ("declined",)
DECIDED_STATUSES = BANK_GRANTED_STATUSES + ("rejected",)

COMMITMENT_TEXT = (
    "本企业郑重承诺：所提交的融资申请信息及授权平台归集的数据真实、准确、完整；"
    "所获贷款按约定用途使用，不挪作他用；按期足额还本付息；如有违反，自愿接受相关部门依法依规"
    "实施的失信惩戒，并记入本企业信用记录。"
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user (web) or an institution's API key (api)."""

    role: str  # 'enterprise' | 'bank' | 'commission' | 'system' (schedule-driven steps)
    user_id: int | None = None
    enterprise_id: int | None = None
    institution_id: int | None = None
    api_key_id: int | None = None

    @classmethod
    def of_user(cls, user) -> "Actor":
        return cls(role=user.role, user_id=user.id, enterprise_id=user.enterprise_id,
                   institution_id=user.institution_id)

    @classmethod
    def of_api_key(cls, key) -> "Actor":
        return cls(role="bank", institution_id=key.institution_id, api_key_id=key.id)


SYSTEM = Actor(role="system")


class NotPermitted(ownership.NotOwned):
    """Not this actor's application (callers answer 404 so ids of others' records are not confirmed)."""

    def __init__(self):
        super().__init__("申请不存在。")


ConcurrentChange = workflow.ConcurrentChange  # someone else changed the application first; nothing written


# action: (statuses it may start from, the role that may take it, Chinese label)
TRANSITIONS = {
    "accept": (("submitted",), "bank", "受理"),
    "grant": (("accepted",), "bank", "授信"),
    "reject": (("accepted",), "bank", "拒绝"),
    "withdraw": (("submitted", "accepted"), "enterprise", "撤回"),
    "confirm": (("granted",), "enterprise", "确认授信"),
    "decline": (("granted",), "enterprise", "谢绝授信"),
    "disburse": (("confirmed",), "bank", "放款"),
    "repay": (("disbursed", "overdue"), "bank", "登记还款"),
    "overdue": (("disbursed",), "system", "转入逾期"),
    "default": (("overdue",), "system", "认定不良"),
    "write_off": (("defaulted",), "bank", "核销"),
}
ACTION_LABELS = {"submit": "提交申请", **{k: v[2] for k, v in TRANSITIONS.items()}}


def allowed_actions(app: Application, role: str) -> list[str]:
    """Actions this role may take on the application now (for showing only the buttons that work)."""
    return [a for a, (froms, who, _) in TRANSITIONS.items() if who == role and app.status in froms
            and not (a == "write_off" and app.written_off_on is not None)]


# Test seam: called after the application is loaded and checked, before anything is changed.
def _loaded(app: Application) -> None:
    return None


def get_for(application_id: int, actor: Actor) -> Application:
    """The application if this actor may see it (its firm, its bank, commission staff), else NotPermitted."""
    return ownership.owned(Application, application_id, not_found=NotPermitted, **ownership.scope_of(actor))


def _transition(application_id: int, action: str, actor: Actor, expected_version: int | None,
                change: Callable[[Application], tuple[str, dict]]) -> Application:
    froms, role, label = TRANSITIONS[action]
    app = get_for(application_id, actor)

    def event(app, from_status, to_status, detail):
        db.session.add(ApplicationEvent(application_id=app.id, action=action, from_status=from_status,
                                        to_status=to_status, actor_user_id=actor.user_id,
                                        actor_api_key_id=actor.api_key_id, detail=detail))

    return workflow.transition(app, action, subject="申请", label=label, apply=change, allowed_from=froms,
                               statuses=STATUS, role=role, actor_role=actor.role, actor_id=actor.user_id,
                               expected_version=expected_version, event=event,
                               notify=lambda app, to_status, detail: _notify(app, action, to_status, detail),
                               before_change=lambda app: _loaded(app))


def _notify(app: Application, action: str, to_status: str, detail: dict) -> None:
    product = app.product.name
    texts = {
        "accept": f"您申请的“{product}”已被受理，银行将在 {app.decision_due} 前作出决定。",
        "grant": f"“{product}”已授信：{_wan(app.granted_amount)} 万元，年利率 {app.granted_rate}%，"
                 f"期限 {app.granted_term} 个月，{codes.REPAYMENT_METHODS.get(app.repayment_method, '')}。"
                 "请在申请详情中确认接受或谢绝，确认后银行方可放款。",
        "confirm": f"您已确认接受“{product}”的授信，等待银行放款。",
        "decline": f"您已谢绝“{product}”的授信，该申请已关闭。",
        "reject": f"“{product}”未获批准：{codes.REJECT_REASONS.get(app.reject_reason, '')}。{app.reject_note or ''}",
        "withdraw": f"您已撤回对“{product}”的申请。",
        "disburse": f"“{product}”已放款 {_wan(app.disbursed_amount)} 万元（{app.disbursed_on}），"
                    "还款计划已生成，可在申请详情中查看。",
        "repay": f"“{product}”登记还款 {_wan(detail.get('paid'))} 万元（其中本金 {_wan(detail.get('amount'))} 万元），"
                 f"贷款余额 {_wan(app.balance)} 万元。",
        "overdue": f"“{product}”第 {detail.get('seq')} 期（应还日 {detail.get('due_on')}）未按期足额还款，"
                   f"已逾期 {detail.get('days_past_due')} 天，请尽快联系银行还款。",
        "default": f"“{product}”贷款逾期已达 {detail.get('days_past_due')} 天，按规则认定为不良。",
    }
    if action not in texts:  # 核销 is the bank's own bookkeeping: the firm still owes the loan
        return
    title = f"申请状态：{STATUS[to_status]}" if action != "repay" or to_status == "repaid" else "还款已登记"
    notifications.to_enterprise(app.enterprise_id, title, texts[action], app.id)
    if action == "withdraw":
        notifications.to_institution(app.institution_id, "企业撤回申请",
                                     f"{app.enterprise.name} 撤回了对“{product}”的申请。", app.id)
    if action in ("confirm", "decline"):
        notifications.to_institution(app.institution_id, "企业已确认授信" if action == "confirm" else "企业谢绝授信",
                                     f"{app.enterprise.name} {'确认接受' if action == 'confirm' else '谢绝了'}"
                                     f"“{product}”的授信。", app.id)


def _wan(yuan) -> str:
    from ..money import wan  # the same 万元 text the pages show

    return wan(yuan)


# ---------------------------------------------------------------------------------------------- submit

def submit(actor: Actor, *, product_ids: list[int], amount: int, term_months: int, need_id: int | None = None,
           authorize_until: date | None, commitment_accepted: bool, scopes: list | None = None,
           widen_institution_ids=()) -> list[Application]:
    """一键申请: apply to one or several products at once. In the same transaction the firm signs its
    主动承诺型 credit commitment and authorizes each product's institution to see its data: an institution
    without an authorization gets exactly `scopes` until `authorize_until`; one with a valid authorization
    keeps it as it is, unless its id is in `widen_institution_ids` (the firm ticked 扩大 on the page)."""
    from . import matching

    if actor.role != "enterprise" or not actor.enterprise_id:
        raise RuleViolation("只有企业用户可以申请。")
    firm = identity.require_verified(actor.enterprise_id)
    product_ids = list(dict.fromkeys(int(p) for p in product_ids or []))
    if not product_ids:
        raise RuleViolation("请至少选择一个产品。", "product_ids")
    if not commitment_accepted:
        raise RuleViolation("申请前须签署信用承诺。", "commitment")
    if not isinstance(amount, int) or amount <= 0:
        raise RuleViolation("申请金额应大于0。", "amount_wan")
    if not 0 < term_months <= 360:
        raise RuleViolation("申请期限应为1–360个月。", "term_months")
    need = None
    if need_id is not None:
        need = db.session.get(FinancingNeed, need_id)
        if need is None or need.enterprise_id != firm.id or need.status != "open":
            raise RuleViolation("融资需求不存在或已关闭。", "need_id")
    products = db.session.scalars(select(Product).where(Product.id.in_(product_ids))).all()
    if len(products) != len(product_ids) or any(p.status != "active" for p in products):
        raise RuleViolation("所选产品不存在或已暂停。", "product_ids")
    open_ids = set(db.session.scalars(select(Application.product_id).where(
        Application.enterprise_id == firm.id, Application.product_id.in_(product_ids),
        Application.status.in_(codes.OPEN_APPLICATION_STATUSES))))
    checks = matching.check_eligibility(firm, products, amount, term_months)
    screened_on = today()
    hits = joint.serious_hits(firm, screened_on)  # 联合奖惩: the lists in force today
    for p in products:
        if p.id in open_ids:
            raise RuleViolation(f"您对“{p.name}”已有一笔处理中的申请，请勿重复申请。", "product_ids")
        failed = checks[p.id]["failed"]
        if hits and p.dishonesty_rule == "block":
            joint.record_block(firm, p, hits, screened_on, actor.user_id)
        if failed:
            raise RuleViolation(f"不符合“{p.name}”的准入条件：{'；'.join(failed)}。", "product_ids")
    try:
        commitment = CreditCommitment(enterprise_id=firm.id, kind="proactive", text=COMMITMENT_TEXT,
                                      signed_by=actor.user_id,
                                      purpose=f"融资申请：{'、'.join(p.name for p in products)}"[:128])
        db.session.add(commitment)
        widen = {int(i) for i in widen_institution_ids or ()}
        for inst_id in sorted({p.institution_id for p in products}):
            current = authorizations.valid_authorization(firm.id, inst_id)
            if current is None or inst_id in widen:
                authorizations.grant(firm.id, inst_id, scopes=list(scopes or []), valid_until=authorize_until,
                                     user_id=actor.user_id, commit=False, widen=inst_id in widen)
        created = []
        for p in products:
            app = Application(enterprise_id=firm.id, product_id=p.id, institution_id=p.institution_id,
                              need_id=need.id if need else None, commitment=commitment, amount=amount,
                              term_months=term_months, status="submitted",
                              dishonesty_flag=checks[p.id]["flagged"], product=p, enterprise=firm)
            db.session.add(app)
            db.session.flush()
            joint.record_screening(app, hits, screened_on)
            db.session.add(ApplicationEvent(application_id=app.id, action="submit", from_status=None,
                                            to_status="submitted", actor_user_id=actor.user_id,
                                            detail={"amount": amount, "term_months": term_months}))
            notifications.to_enterprise(firm.id, "申请已提交",
                                        f"您已向{p.institution.name}申请“{p.name}” {_wan(amount)} 万元。", app.id)
            notifications.to_institution(p.institution_id, "新的融资申请",
                                         f"{firm.name} 申请“{p.name}” {_wan(amount)} 万元，期限 {term_months} 个月。",
                                         app.id)
            created.append(app)
        db.session.commit()
    except IntegrityError:
        # A concurrent 一键申请 to the same product landed first: the database keeps one open application
        # per firm and product (uq_applications_open_per_product).
        db.session.rollback()
        raise RuleViolation("您对所选产品已有一笔处理中的申请，请勿重复申请。", "product_ids") from None
    except Exception:
        db.session.rollback()
        raise
    return created


# ------------------------------------------------------------------------------------------ bank steps

def accept(application_id: int, actor: Actor, *, expected_version: int | None = None) -> Application:
    """受理: starts the decision clock — DECISION_DEADLINE_WORKING_DAYS working days from today."""
    def change(app):
        moment = now()
        app.accepted_at = moment
        app.decision_due = decision_deadline(local_date(moment))
        return "accepted", {"decision_due": app.decision_due.isoformat()}

    return _transition(application_id, "accept", actor, expected_version, change)


def decision_working_days() -> int:
    """The decision term in working days (the setting DECISION_DEADLINE_WORKING_DAYS, 10 by default): the
    ONE figure the deadlines and every page that names the term use."""
    return current_app.config["DECISION_DEADLINE_WORKING_DAYS"]


def decision_deadline(accepted_on: date) -> date:
    return add_working_days(accepted_on, decision_working_days())


def _rate(value) -> Decimal:
    try:
        rate = Decimal(str(value)).quantize(Decimal("0.001"))
    except (InvalidOperation, TypeError, ValueError):
        raise RuleViolation("请填写有效的年利率。", "rate") from None
    if not Decimal("0") < rate <= limits.RATE.hi:
        raise RuleViolation("年利率应大于0且不超过36%。", "rate")
    return rate


def check_terms(product: Product, *, amount: int, rate, term_months: int) -> Decimal:
    """The product's published ranges bind a grant: amount, annual rate and term each inside them.
    Returns the rate as a Decimal; a term outside raises RuleViolation naming the range."""
    r = _rate(rate)
    if not isinstance(amount, int) or amount <= 0:
        raise RuleViolation("授信金额应大于0。", "amount")
    if not product.amount_min <= amount <= product.amount_max:
        raise RuleViolation(f"授信金额应在产品额度范围内（{_wan(product.amount_min)}–{_wan(product.amount_max)} 万元）。",
                            "amount")
    if not Decimal(product.rate_min) <= r <= Decimal(product.rate_max):
        raise RuleViolation(f"年利率应在产品利率范围内（{Decimal(product.rate_min):.2f}%–{Decimal(product.rate_max):.2f}%）。",
                            "rate")
    if not isinstance(term_months, int) or not product.term_min <= term_months <= product.term_max:
        raise RuleViolation(f"授信期限应在产品期限范围内（{product.term_min}–{product.term_max} 个月）。", "term_months")
    return r


def grant(application_id: int, actor: Actor, *, amount: int, rate, term_months: int,
          expected_version: int | None = None) -> Application:
    """授信: amount (yuan), annual rate (%) and term (months), each within the product's ranges; the firm is
    then asked to confirm (授信确认) before the bank may disburse."""
    def change(app):
        r = check_terms(app.product, amount=amount, rate=rate, term_months=term_months)
        app.granted_amount, app.granted_rate, app.granted_term = amount, r, term_months
        app.repayment_method = app.product.repayment_method
        app.decided_at = now()
        return "granted", {"amount": amount, "rate": str(r), "term_months": term_months,
                           "repayment_method": app.repayment_method, "late": is_late(app)}

    return _transition(application_id, "grant", actor, expected_version, change)


def reject(application_id: int, actor: Actor, *, reason: str, note: str,
           expected_version: int | None = None) -> Application:
    """拒绝: a reason from the list and a written explanation, both required."""
    def change(app):
        if reason not in codes.REJECT_REASONS:
            raise RuleViolation("请选择拒绝原因。", "reason")
        if not (note or "").strip():
            raise RuleViolation("请填写拒绝的具体说明。", "note")
        app.reject_reason, app.reject_note = reason, note.strip()
        app.decided_at = now()
        return "rejected", {"reason": reason, "note": note.strip(), "late": is_late(app)}

    return _transition(application_id, "reject", actor, expected_version, change)


def _day(value, field: str, *, not_before: date | None, label: str) -> date:
    if not isinstance(value, date):
        raise RuleViolation(f"请填写{label}。", field)
    if value > today():
        raise RuleViolation(f"{label}不能晚于今天。", field)
    if not_before and value < not_before:
        raise RuleViolation(f"{label}不能早于{not_before}。", field)
    return value


def confirm(application_id: int, actor: Actor, *, expected_version: int | None = None) -> Application:
    """授信确认: the firm accepts the granted amount, rate, term and repayment method."""
    return _transition(application_id, "confirm", actor, expected_version, lambda app: ("confirmed", {}))


def decline(application_id: int, actor: Actor, *, expected_version: int | None = None) -> Application:
    """The firm declines the grant: the application closes (a declined grant is not a grant that counts)."""
    def change(app):
        app.closed_on = today()
        return "declined", {}

    return _transition(application_id, "decline", actor, expected_version, change)


def disburse(application_id: int, actor: Actor, *, amount: int, on: date,
             expected_version: int | None = None) -> Application:
    """放款: the amount actually lent (at most the grant) and the date; draws the 还款计划."""
    def change(app):
        if not isinstance(amount, int) or amount <= 0:
            raise RuleViolation("放款金额应大于0。", "amount")
        if amount > app.granted_amount:
            raise RuleViolation("放款金额不能超过授信金额。", "amount")
        day = _day(on, "on", not_before=local_date(app.decided_at), label="放款日期")
        app.disbursed_amount, app.disbursed_on = amount, day
        compensation.enrol(app)  # 风险补偿: an eligible loan joins its fund on disbursement
        lines = schedules.draw(amount, app.granted_rate, app.granted_term, app.repayment_method, day)
        schedules.attach(app, lines)
        return "disbursed", {"amount": amount, "on": day.isoformat(), "instalments": len(lines),
                             "repayment_method": app.repayment_method}

    return _transition(application_id, "disburse", actor, expected_version, change)


def repay(application_id: int, actor: Actor, *, amount: int, on: date,
          expected_version: int | None = None) -> Application:
    """登记还款: the amount paid (yuan) is applied to the schedule, oldest instalment first, interest before
    principal. Paying the last instalment settles the loan (已结清); catching up ends 逾期."""
    def change(app):
        if not isinstance(amount, int) or amount <= 0:
            raise RuleViolation("还款金额应大于0。", "amount")
        owed = schedules.outstanding(app)
        if amount > owed:
            raise RuleViolation(f"还款金额超过尚欠本息（{_wan(owed)} 万元）。", "amount")
        day = _day(on, "on", not_before=app.disbursed_on, label="还款日期")
        principal, interest = schedules.apply_payment(app, amount, day)
        app.repaid_amount = (app.repaid_amount or 0) + principal
        detail = {"paid": amount, "amount": principal, "interest": interest, "on": day.isoformat(),
                  "balance": app.balance}
        if schedules.outstanding(app) == 0:
            app.closed_on = day
            return "repaid", detail
        if app.status == "overdue" and schedules.days_past_due(app, today()) == 0:
            return "disbursed", detail
        return app.status, detail

    return _transition(application_id, "repay", actor, expected_version, change)


def mark_overdue(application_id: int, *, on: date) -> Application:
    """转入逾期 — by the system only, when an instalment is past due and unpaid on `on`."""
    def change(app):
        first = schedules.first_unpaid_past_due(app, on)
        if first is None:
            raise RuleViolation("还款计划中没有逾期未还的期次，不能转入逾期。")
        return "overdue", {"seq": first.seq, "due_on": first.due_on.isoformat(),
                           "days_past_due": (on - first.due_on).days, "on": on.isoformat()}

    return _transition(application_id, "overdue", SYSTEM, None, change)


def mark_defaulted(application_id: int, *, on: date) -> Application:
    """认定不良 — by the system only, when the days past due reach the product's or the commission's rule;
    the loan is closed on the day the rule was reached."""
    def change(app):
        dpd, limit = schedules.days_past_due(app, on), schedules.default_after(app)
        if dpd < limit:
            raise RuleViolation(f"逾期 {dpd} 天，未达到认定不良的 {limit} 天。")
        app.closed_on = on - timedelta(days=dpd - limit)
        return "defaulted", {"days_past_due": dpd, "rule_days": limit, "on": app.closed_on.isoformat(),
                             "balance": app.balance}

    return _transition(application_id, "default", SYSTEM, None, change)


def write_off(application_id: int, actor: Actor, *, on: date, note: str = "",
              expected_version: int | None = None) -> Application:
    """核销 of a 不良 loan: until then it stays in the 贷款余额; from `on` it leaves it. Once only."""
    def change(app):
        if app.written_off_on is not None:
            raise RuleViolation(f"该笔贷款已于 {app.written_off_on:%Y-%m-%d} 核销。")
        day = _day(on, "on", not_before=app.closed_on, label="核销日期")
        app.written_off_on = day
        return "defaulted", {"on": day.isoformat(), "note": (note or "").strip(), "balance": app.balance}

    return _transition(application_id, "write_off", actor, expected_version, change)


def withdraw(application_id: int, actor: Actor, *, expected_version: int | None = None) -> Application:
    """撤回 by the firm, before the bank decides."""
    return _transition(application_id, "withdraw", actor, expected_version, lambda app: ("withdrawn", {}))


# ------------------------------------------------------------------------------------------- deadlines

def is_late(app: Application, on: date | None = None) -> bool:
    """Past the decision deadline: still undecided after it, or decided after it."""
    if app.decision_due is None:
        return False
    if app.decided_at is not None:
        return local_date(app.decided_at) > app.decision_due
    return app.status == "accepted" and (on or today()) > app.decision_due


def late_condition(on: date | None = None):
    """SQL form of is_late for undecided applications: accepted and past the decision deadline."""
    return and_(Application.status == "accepted", Application.decision_due < (on or today()))


def late_applications(institution_id: int | None = None, on: date | None = None):
    """Accepted applications past their decision deadline (flagged for the bank and the commission)."""
    # The pages list each one's institution, product and firm: loaded with it (no query per row).
    stmt = select(Application).where(late_condition(on)).options(
        joinedload(Application.institution), joinedload(Application.product), joinedload(Application.enterprise))
    if institution_id:
        stmt = stmt.where(Application.institution_id == institution_id)
    return db.session.scalars(stmt.order_by(Application.decision_due, Application.id)).all()


def disbursed_total() -> int:
    """累计融资 via the platform: the SQL sum of disbursed amounts (yuan)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Application.disbursed_amount), 0))
                                 .where(Application.disbursed_amount.is_not(None))))


# ------------------------------------------------------------------------------------- the bank's queue

def queue_order():
    """What needs action first: 已提交 (oldest first), then 已受理 by decision deadline, then everything
    else newest first."""
    group = case((Application.status == "submitted", 0), (Application.status == "accepted", 1), else_=2)
    return (group, case((Application.status == "accepted", Application.decision_due), else_=None),
            case((Application.status == "submitted", Application.submitted_at), else_=None), Application.id.desc())


def queue(institution_id: int, *, status: str | None = None, product_id: int | None = None, late: bool = False):
    """The bank's queue (申请队列) as a select in queue_order(), narrowed by status, product and 超期; the firm
    and product of each row are loaded with the page's rows after the limit (selectin: two small selects
    of at most one page of ids), never joined to every application of the institution before the sort."""
    stmt = (select(Application).where(Application.institution_id == institution_id)
            .options(selectinload(Application.enterprise), selectinload(Application.product)))
    if status:
        stmt = stmt.where(Application.status == status)
    if product_id:
        stmt = stmt.where(Application.product_id == product_id)
    if late:
        stmt = stmt.where(late_condition())
    return stmt.order_by(*queue_order())


def working_days_left(app: Application, on: date | None = None) -> int | None:
    """Working days until an accepted application's decision deadline (0 = due today; negative = late by
    that many working days); None when no decision is pending."""
    if app.status != "accepted" or app.decision_due is None:
        return None
    on = on or today()
    if app.decision_due >= on:
        return working_days_between(on, app.decision_due)
    return -working_days_between(app.decision_due, on)


DUE_SOON_WORKING_DAYS = 3


def to_do(institution_id: int, on: date | None = None) -> dict[str, list]:
    """待办 of an institution: applications waiting to be accepted, decisions overdue, decisions due within
    DUE_SOON_WORKING_DAYS working days, and instalments to collect (schedules.instalments_to_collect):
    past due and unpaid (one line per loan, its oldest), and due within the same DUE_SOON_WORKING_DAYS."""
    on = on or today()
    collect = schedules.instalments_to_collect(institution_id, on, within_working_days=DUE_SOON_WORKING_DAYS)
    mine = select(Application).where(Application.institution_id == institution_id).options(
        selectinload(Application.enterprise), selectinload(Application.product))  # each line shows them
    soon = add_working_days(on, DUE_SOON_WORKING_DAYS)
    return {
        "submitted": db.session.scalars(mine.where(Application.status == "submitted")
                                        .order_by(Application.submitted_at).limit(20)).all(),
        "overdue": late_applications(institution_id, on),
        "due_soon": db.session.scalars(mine.where(Application.status == "accepted", Application.decision_due >= on,
                                                  Application.decision_due <= soon)
                                       .order_by(Application.decision_due, Application.id)).all(),
        "instalments_overdue": collect["overdue"],
        "instalments_due": collect["due_soon"],
    }
