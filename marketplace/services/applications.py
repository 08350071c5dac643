"""融资申请 and its state machine — the ONE place an application's status changes.

    submitted 已提交 → accepted 已受理 → granted 已授信 → disbursed 已放款 → repaid 已结清
                                    ↘ rejected 已拒绝              ↘ overdue 逾期 → repaid / defaulted 不良
    submitted / accepted → withdrawn 已撤回 (by the firm, before a decision)

Every transition goes through services/workflow.transition: it checks who may make it and from which
status, writes an ApplicationEvent (the audit row), queues the 站内消息, and commits once. A concurrent
change by someone else is caught by the optimistic lock (Application.version) and nothing is written.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError

from .. import codes, limits
from ..clock import now
from ..extensions import db
from ..models import (
    Application,
    ApplicationEvent,
    CreditCommitment,
    Enterprise,
    FinancingNeed,
    LoanRepayment,
    Product,
)
from . import RuleViolation, authorizations, notifications, ownership, workflow
from .workdays import add_working_days, local_date, today

STATUS = codes.APPLICATION_STATUSES

COMMITMENT_TEXT = (
    "本企业郑重承诺：所提交的融资申请信息及授权平台归集的数据真实、准确、完整；"
    "所获贷款按约定用途使用，不挪作他用；按期足额还本付息；如有违反，自愿接受相关部门依法依规"
    "实施的失信惩戒，并记入本企业信用记录。"
)


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user (web) or an institution's API key (api)."""

    role: str  # 'enterprise' | 'bank' | 'commission' | 'system'
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
    "disburse": (("granted",), "bank", "放款"),
    "repay": (("disbursed", "overdue"), "bank", "登记还款"),
    "overdue": (("disbursed",), "bank", "标记逾期"),
    "default": (("overdue",), "bank", "认定不良"),
}
ACTION_LABELS = {"submit": "提交申请", **{k: v[2] for k, v in TRANSITIONS.items()}}


def allowed_actions(app: Application, role: str) -> list[str]:
    """Actions this role may take on the application now (for showing only the buttons that work)."""
    return [a for a, (froms, who, _) in TRANSITIONS.items() if who == role and app.status in froms]


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
                 f"期限 {app.granted_term} 个月。",
        "reject": f"“{product}”未获批准：{codes.REJECT_REASONS.get(app.reject_reason, '')}。{app.reject_note or ''}",
        "withdraw": f"您已撤回对“{product}”的申请。",
        "disburse": f"“{product}”已放款 {_wan(app.disbursed_amount)} 万元（{app.disbursed_on}）。",
        "repay": f"“{product}”登记还款 {_wan(detail.get('amount'))} 万元，贷款余额 {_wan(app.balance)} 万元。",
        "overdue": f"“{product}”贷款已逾期，请尽快联系银行还款。",
        "default": f"“{product}”贷款已被认定为不良。",
    }
    title = f"申请状态：{STATUS[to_status]}" if action != "repay" or to_status == "repaid" else "还款已登记"
    notifications.to_enterprise(app.enterprise_id, title, texts[action], app.id)
    if action == "withdraw":
        notifications.to_institution(app.institution_id, "企业撤回申请",
                                     f"{app.enterprise.name} 撤回了对“{product}”的申请。", app.id)


def _wan(yuan) -> str:
    from ..money import wan  # the same 万元 text the pages show

    return wan(yuan)


# ---------------------------------------------------------------------------------------------- submit

def submit(actor: Actor, *, product_ids: list[int], amount: int, term_months: int, need_id: int | None = None,
           authorize_until: date, commitment_accepted: bool, scopes: list | None = None) -> list[Application]:
    """一键申请: apply to one or several products at once. In the same transaction the firm signs its
    主动承诺型 credit commitment and authorizes each product's institution to see its data."""
    from . import matching

    if actor.role != "enterprise" or not actor.enterprise_id:
        raise RuleViolation("只有企业用户可以申请。")
    firm = db.session.get(Enterprise, actor.enterprise_id)
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
    for p in products:
        if p.id in open_ids:
            raise RuleViolation(f"您对“{p.name}”已有一笔处理中的申请，请勿重复申请。", "product_ids")
        failed = checks[p.id]["failed"]
        if failed:
            raise RuleViolation(f"不符合“{p.name}”的准入条件：{'；'.join(failed)}。", "product_ids")
    try:
        commitment = CreditCommitment(enterprise_id=firm.id, kind="proactive", text=COMMITMENT_TEXT,
                                      signed_by=actor.user_id)
        db.session.add(commitment)
        for inst_id in {p.institution_id for p in products}:
            authorizations.grant(firm.id, inst_id, scopes=scopes or authorizations.ALL_SCOPES,
                                 valid_until=authorize_until, user_id=actor.user_id, commit=False)
        created = []
        for p in products:
            app = Application(enterprise_id=firm.id, product_id=p.id, institution_id=p.institution_id,
                              need_id=need.id if need else None, commitment=commitment, amount=amount,
                              term_months=term_months, status="submitted",
                              dishonesty_flag=checks[p.id]["flagged"], product=p, enterprise=firm)
            db.session.add(app)
            db.session.flush()
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


def grant(application_id: int, actor: Actor, *, amount: int, rate, term_months: int,
          expected_version: int | None = None) -> Application:
    """授信: amount (yuan), annual rate (%) and term (months)."""
    def change(app):
        r = _rate(rate)
        if not isinstance(amount, int) or amount <= 0:
            raise RuleViolation("授信金额应大于0。", "amount")
        if amount > app.product.amount_max:
            raise RuleViolation("授信金额超过产品最高额度。", "amount")
        if not isinstance(term_months, int) or not 0 < term_months <= 360:
            raise RuleViolation("授信期限应为1–360个月。", "term_months")
        app.granted_amount, app.granted_rate, app.granted_term = amount, r, term_months
        app.decided_at = now()
        return "granted", {"amount": amount, "rate": str(r), "term_months": term_months, "late": is_late(app)}

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


def disburse(application_id: int, actor: Actor, *, amount: int, on: date,
             expected_version: int | None = None) -> Application:
    """放款: the amount actually lent (at most the grant) and the date."""
    def change(app):
        if not isinstance(amount, int) or amount <= 0:
            raise RuleViolation("放款金额应大于0。", "amount")
        if amount > app.granted_amount:
            raise RuleViolation("放款金额不能超过授信金额。", "amount")
        day = _day(on, "on", not_before=local_date(app.decided_at), label="放款日期")
        app.disbursed_amount, app.disbursed_on = amount, day
        return "disbursed", {"amount": amount, "on": day.isoformat()}

    return _transition(application_id, "disburse", actor, expected_version, change)


def repay(application_id: int, actor: Actor, *, amount: int, on: date,
          expected_version: int | None = None) -> Application:
    """登记还款 (principal). Repaying the whole balance settles the loan (已结清)."""
    def change(app):
        if not isinstance(amount, int) or amount <= 0:
            raise RuleViolation("还款金额应大于0。", "amount")
        if amount > app.balance:
            raise RuleViolation(f"还款金额超过贷款余额（{_wan(app.balance)} 万元）。", "amount")
        day = _day(on, "on", not_before=app.disbursed_on, label="还款日期")
        db.session.add(LoanRepayment(application_id=app.id, amount=amount, paid_on=day))
        app.repaid_amount = (app.repaid_amount or 0) + amount
        if app.balance == 0:
            app.closed_on = day
            return "repaid", {"amount": amount, "on": day.isoformat()}
        return app.status, {"amount": amount, "on": day.isoformat(), "balance": app.balance}

    return _transition(application_id, "repay", actor, expected_version, change)


def mark_overdue(application_id: int, actor: Actor, *, note: str = "",
                 expected_version: int | None = None) -> Application:
    return _transition(application_id, "overdue", actor, expected_version,
                       lambda app: ("overdue", {"note": (note or "").strip()}))


def mark_defaulted(application_id: int, actor: Actor, *, on: date, note: str = "",
                   expected_version: int | None = None) -> Application:
    def change(app):
        day = _day(on, "on", not_before=app.disbursed_on, label="认定日期")
        app.closed_on = day
        return "defaulted", {"on": day.isoformat(), "note": (note or "").strip(), "balance": app.balance}

    return _transition(application_id, "default", actor, expected_version, change)


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
    stmt = select(Application).where(late_condition(on))
    if institution_id:
        stmt = stmt.where(Application.institution_id == institution_id)
    return db.session.scalars(stmt.order_by(Application.decision_due, Application.id)).all()


def disbursed_total() -> int:
    """累计融资 via the platform: the SQL sum of disbursed amounts (yuan)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Application.disbursed_amount), 0))
                                 .where(Application.disbursed_amount.is_not(None))))
