"""还款计划: a loan's repayment schedule — drawn at disbursement, repayments applied to it, and what is
overdue (逾期) and for how many days read from it. The one owner of `loan_instalments`.

Repayment methods (codes.REPAYMENT_METHODS, set on the product and fixed on the application at the grant):
- equal_instalment 等额本息: the same monthly payment M = P·i·(1+i)^n / ((1+i)^n − 1), i = annual rate / 12;
  each month's interest is the balance × i, the rest of M is principal;
- interest_only 先息后本: monthly interest on the whole principal, the principal with the last payment;
- bullet 到期一次还本付息: one payment at maturity, principal + P × annual rate × months / 12.
Instalments fall due monthly on the disbursement's day of the month (the month's last day when it has
no such day). Money is whole yuan, rounded half up per line; the last line takes what rounding left, so
the principal lines sum to the disbursed amount exactly.

A payment is applied oldest instalment first, interest before principal; paying more than the current
instalment pays the next ones in order (no re-amortisation). An instalment is past due the day after its
due date while anything of it is unpaid; days past due count from the oldest such instalment.
`refresh` moves loans to 逾期 and to 不良 (at the product's or the commission's days-past-due rule)
through the state machine; the worker runs it for all loans daily at 01:30 Beijing time
(worker.refresh_loans; `flask refresh-loans` by hand), and the bank's and the firm's loan pages run it for
the loans they show.
"""
import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..models import Application, LoanInstalment, LoanRepayment, Product
from . import RuleViolation
from .workdays import add_working_days, today

METHODS = ("equal_instalment", "interest_only", "bullet")


def _yuan(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, or that month's last day."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def draw(principal: int, annual_rate, term_months: int, method: str, start: date) -> list[dict]:
    """The schedule lines (seq, due_on, principal, interest) of a loan; pure, used by the seed too."""
    if method not in METHODS:
        raise RuleViolation("产品未设置有效的还款方式。")
    if principal <= 0 or term_months <= 0:
        raise RuleViolation("放款金额和期限应大于0。")
    rate = Decimal(str(annual_rate)) / 100
    if method == "bullet":
        return [{"seq": 1, "due_on": add_months(start, term_months), "principal": principal,
                 "interest": _yuan(Decimal(principal) * rate * term_months / 12)}]
    i = rate / 12
    n = term_months
    if method == "equal_instalment" and i > 0:
        payment = Decimal(principal) * i * (1 + i) ** n / ((1 + i) ** n - 1)
    else:
        payment = None  # interest-only, or an interest-free equal-principal loan
    lines, balance = [], principal
    for k in range(1, n + 1):
        interest = _yuan(Decimal(balance) * i)
        if k == n:
            part = balance
        elif method == "interest_only":
            part = 0
        elif payment is None:
            part = _yuan(Decimal(principal) / n)
        else:
            part = min(max(_yuan(payment) - interest, 0), balance)
        lines.append({"seq": k, "due_on": add_months(start, k), "principal": part, "interest": interest})
        balance -= part
    return lines


def attach(app: Application, lines: list[dict]) -> None:
    """Give a newly disbursed application its schedule (added, committed by the caller's transition)."""
    if app.instalments:
        raise RuleViolation("该贷款已有还款计划。")
    for line in lines:
        app.instalments.append(LoanInstalment(principal_paid=0, interest_paid=0, **line))


def outstanding(app: Application) -> int:
    """Principal and interest still owed under the schedule (yuan)."""
    return sum(x.outstanding for x in app.instalments)


def apply_payment(app: Application, amount: int, day: date) -> tuple[int, int]:
    """Apply a payment to the schedule; records the LoanRepayment; returns (principal, interest) paid."""
    left, principal, interest = amount, 0, 0
    for line in app.instalments:
        if left == 0:
            break
        pay_i = min(left, line.interest - line.interest_paid)
        line.interest_paid += pay_i
        left -= pay_i
        pay_p = min(left, line.principal - line.principal_paid)
        line.principal_paid += pay_p
        left -= pay_p
        interest, principal = interest + pay_i, principal + pay_p
        if line.outstanding == 0 and line.settled_on is None:
            line.settled_on = day
    if left:
        raise RuleViolation("还款金额超过尚欠本息。", "amount")
    db.session.add(LoanRepayment(application_id=app.id, amount=principal, interest=interest, paid_on=day))
    return principal, interest


def first_unpaid_past_due(app: Application, on: date) -> LoanInstalment | None:
    return next((x for x in app.instalments if x.due_on < on and x.outstanding > 0), None)


def days_past_due(app: Application, on: date | None = None) -> int:
    """逾期天数: days since the oldest instalment that is past due and unpaid (0 when none is)."""
    on = on or today()
    first = first_unpaid_past_due(app, on)
    return (on - first.due_on).days if first else 0


def next_due(app: Application) -> LoanInstalment | None:
    """What is due next: the oldest instalment not yet paid in full."""
    return next((x for x in app.instalments if x.outstanding > 0), None)


def default_after(app: Application) -> int:
    """Days past due after which the loan is 不良: the product's rule, else the commission's."""
    return default_days(app.product.default_days_past_due)


def default_days(product_rule: int | None) -> int:
    """default_after from the product's own rule (None: the commission's)."""
    return product_rule or current_app.config["DEFAULT_DAYS_PAST_DUE"]


def summary(app: Application, on: date | None = None) -> dict:
    """What the bank's and the firm's pages show beside the schedule."""
    on = on or today()
    return {"next": next_due(app), "outstanding": outstanding(app), "days_past_due": days_past_due(app, on),
            "default_after": default_after(app), "past_due": [x for x in app.instalments
                                                              if x.due_on < on and x.outstanding > 0]}


def refresh(on: date | None = None, *, institution_id: int | None = None, enterprise_id: int | None = None,
            application_ids=None) -> dict:
    """Move loans whose schedule says so to 逾期, and to 不良 at the days-past-due rule, through the state
    machine (audited, the firm notified). Idempotent; returns how many moved."""
    from . import applications

    on = on or today()
    # One grouped query finds the loans that move today: 已放款 with an instalment past due and unpaid, or 逾期
    # whose oldest such instalment has reached the default rule (only these are then loaded and moved).
    stmt = (select(Application.id, Application.status, func.min(LoanInstalment.due_on),
                   Product.default_days_past_due)
            .join(LoanInstalment, LoanInstalment.application_id == Application.id)
            .join(Product, Product.id == Application.product_id)
            .where(Application.status.in_(COLLECTING), LoanInstalment.due_on < on, LoanInstalment.settled_on.is_(None))
            .group_by(Application.id, Application.status, Product.default_days_past_due))
    if institution_id is not None:
        stmt = stmt.where(Application.institution_id == institution_id)
    if enterprise_id is not None:
        stmt = stmt.where(Application.enterprise_id == enterprise_id)
    if application_ids is not None:
        stmt = stmt.where(Application.id.in_(list(application_ids)))
    due = [app_id for app_id, status, oldest, days in db.session.execute(stmt.order_by(Application.id))
           if status == "disbursed" or (on - oldest).days >= default_days(days)]
    moved = {"overdue": 0, "defaulted": 0}
    for app_id in due:
        try:
            app = db.session.get(Application, app_id)
            if app.status == "disbursed":
                app = applications.mark_overdue(app_id, on=on)
                moved["overdue"] += 1
            if app.status == "overdue" and days_past_due(app, on) >= default_after(app):
                applications.mark_defaulted(app_id, on=on)
                moved["defaulted"] += 1
        except RuleViolation:  # someone else moved it first (optimistic lock): the next run sees it
            db.session.rollback()
    return moved


# Loans whose instalments the bank still collects (a 不良 loan has left the schedule's day-to-day work).
COLLECTING = ("disbursed", "overdue")


def instalments_to_collect(institution_id: int, on: date | None = None, *, within_working_days: int = 3,
                           limit: int = 50) -> dict[str, list[LoanInstalment]]:
    """The bank's instalments to collect (待办): `overdue` — per loan its oldest instalment past due and unpaid
    (days past due count from it), and `due_soon` — unpaid instalments due from today to `within_working_days`
    working days on. Each carries its application (firm, product) for the link to where the repayment is
    recorded."""
    on = on or today()
    unpaid = (Application.institution_id == institution_id, Application.status.in_(COLLECTING),
              LoanInstalment.settled_on.is_(None))
    base = (select(LoanInstalment).join(LoanInstalment.application).where(*unpaid)
            # The firm and product of the (at most 2 × limit) lines shown: two small selects after the lines,
            # not joined before the sort (which would read every firm of the city).
            .options(contains_eager(LoanInstalment.application).options(
                selectinload(Application.enterprise), selectinload(Application.product))))
    oldest = (select(LoanInstalment.application_id, func.min(LoanInstalment.due_on).label("due_on"))
              .join(LoanInstalment.application).where(*unpaid, LoanInstalment.due_on < on)
              .group_by(LoanInstalment.application_id).subquery())  # the loan's oldest unpaid: its days past due
    late = db.session.scalars(base.join(oldest, and_(oldest.c.application_id == LoanInstalment.application_id,
                                                     oldest.c.due_on == LoanInstalment.due_on))
                              .order_by(LoanInstalment.due_on, LoanInstalment.application_id)
                              .limit(limit)).unique().all()
    soon = db.session.scalars(base.where(LoanInstalment.due_on >= on,
                                         LoanInstalment.due_on <= add_working_days(on, within_working_days))
                              .order_by(LoanInstalment.due_on, LoanInstalment.application_id)
                              .limit(limit)).unique().all()
    return {"overdue": late, "due_soon": soon}
