"""The bodies of /api/v1/ as pydantic models: the views validate every request with them and openapi.py
generates the OpenAPI document from the same models. Bounds come from marketplace/limits.py, code lists
(statuses, reject reasons) from codes.py — nothing is repeated here."""
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, ValidationError

from .. import codes, limits
from ..models import Application
from ..models.base import text_length


def _int(bound: limits.Bound, description: str, *, strict: bool = True):
    return Annotated[int, Field(strict=strict, ge=int(bound.lo), le=int(bound.hi), description=description)]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能含有空字符（NUL）")
    return value


def _text(column, description: str):
    n = text_length(column)
    return Annotated[str, Field(max_length=n, description=f"{description}（最多{n}个字符）"), AfterValidator(_no_nul)]


Yuan = _int(limits.YUAN, "金额（元，整数）")
Months = _int(limits.TERM_MONTHS, "期限（月）")
Version = _int(limits.VERSION, "调用方看到的申请版本号（乐观锁）；不一致时返回409")
Rate = Annotated[Decimal, Field(ge=limits.RATE.lo, le=limits.RATE.hi, decimal_places=limits.RATE.places,
                                description="年利率（%），十进制字符串，如 \"4.350\"")]
Day = Annotated[date, Field(strict=True, description="日期 YYYY-MM-DD")]
Note = _text(Application.reject_note, "说明，将告知企业")
Status = Literal[tuple(codes.APPLICATION_STATUSES)]
RejectReason = Literal[tuple(codes.REJECT_REASONS)]
RepaymentMethod = Literal[tuple(codes.REPAYMENT_METHODS)]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AcceptBody(Body):
    """受理: submitted → accepted; 答复期限为受理日后第10个工作日。"""

    version: Version | None = None


class GrantBody(Body):
    decision: Literal["grant"]
    amount: Yuan
    rate: Rate
    term_months: Months
    version: Version | None = None


class RejectBody(Body):
    decision: Literal["reject"]
    reason: RejectReason
    note: Note
    version: Version | None = None


class DecisionBody(RootModel[Annotated[GrantBody | RejectBody, Field(discriminator="decision")]]):
    """accepted → granted（须 amount、rate、term_months）或 rejected（须 reason 与 note）。"""


class LoanEventBody(Body):
    """放款 or 还款: amount (yuan) and date."""

    amount: Yuan
    date: Day
    version: Version | None = None


class ListQuery(Body):
    status: Status | None = None
    page: _int(limits.PAGE, "页码", strict=False) = 1
    per_page: _int(limits.PER_PAGE, "每页条数", strict=False) = 50


# ----------------------------------------------------------------------------------------- responses

class Party(BaseModel):
    id: int
    name: str
    uscc: str | None = None


class Grant(BaseModel):
    amount: int
    rate: str
    term_months: int


class Rejection(BaseModel):
    reason: RejectReason
    note: str


class Disbursement(BaseModel):
    amount: int
    date: date


class Instalment(BaseModel):
    """One period of the 还款计划 (services/schedules.py), in yuan."""

    seq: int
    due_on: date
    principal: int
    interest: int
    principal_paid: int
    interest_paid: int
    settled_on: date | None


class ApplicationOut(BaseModel):
    """融资申请 as the API shows it; amounts in yuan."""

    id: int
    status: Status
    status_label: str
    version: int
    enterprise: Party
    product: Party
    amount: int
    term_months: int
    dishonesty_flag: bool
    submitted_at: str
    accepted_at: str | None
    decision_due: date | None
    late: bool
    decided_at: str | None
    grant: Grant | None
    rejection: Rejection | None
    disbursement: Disbursement | None
    repaid_amount: int
    balance: int
    repayment_method: RepaymentMethod | None
    days_past_due: int
    schedule: list[Instalment]

    @classmethod
    def of(cls, a: Application, late: bool, days_past_due: int) -> "ApplicationOut":
        iso = lambda t: t.isoformat() if t else None  # noqa: E731
        return cls(
            id=a.id, status=a.status, status_label=codes.APPLICATION_STATUSES[a.status], version=a.version,
            enterprise=Party(id=a.enterprise_id, name=a.enterprise.name, uscc=a.enterprise.uscc),
            product=Party(id=a.product_id, name=a.product.name), amount=a.amount, term_months=a.term_months,
            dishonesty_flag=a.dishonesty_flag, submitted_at=a.submitted_at.isoformat(),
            accepted_at=iso(a.accepted_at), decision_due=a.decision_due, late=late, decided_at=iso(a.decided_at),
            grant=(Grant(amount=a.granted_amount, rate=str(a.granted_rate), term_months=a.granted_term)
                   if a.granted_amount else None),
            rejection=Rejection(reason=a.reject_reason, note=a.reject_note or "") if a.reject_reason else None,
            disbursement=(Disbursement(amount=a.disbursed_amount, date=a.disbursed_on)
                          if a.disbursed_amount else None),
            repaid_amount=a.repaid_amount or 0, balance=a.balance, repayment_method=a.repayment_method,
            # 还款计划: overdue and default follow from it (services/schedules.py), never from a call.
            days_past_due=days_past_due,
            schedule=[Instalment(seq=x.seq, due_on=x.due_on, principal=x.principal, interest=x.interest,
                                 principal_paid=x.principal_paid, interest_paid=x.interest_paid,
                                 settled_on=x.settled_on) for x in a.instalments])


class ApplicationPage(BaseModel):
    items: list[ApplicationOut]
    page: int
    per_page: int
    total: int


class Error(BaseModel):
    """错误（中文说明）; `field` names the input concerned."""

    error: str
    message: str
    field: str | None = None


# ------------------------------------------------------------------------------ errors in Chinese

_EXPLAIN = {
    "missing": "缺少此字段",
    "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
    "greater_than_equal": "应不小于 {ge}", "less_than_equal": "应不大于 {le}",
    "greater_than": "应大于 {gt}", "less_than": "应小于 {lt}",
    "decimal_type": "应为数字或数字字符串", "decimal_parsing": "应为数字", "finite_number": "应为有限的数字",
    "decimal_max_places": "最多 {decimal_places} 位小数", "decimal_max_digits": "数字位数过多",
    "decimal_whole_digits": "数字位数过多",
    "string_type": "应为字符串", "string_too_long": "最长 {max_length} 个字符",
    "bool_type": "应为 true 或 false",
    "literal_error": "应为以下之一：{expected}",
    "date_type": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "union_tag_invalid": "应为以下之一：{expected_tags}", "union_tag_not_found": "缺少字段 {discriminator}",
    "model_type": "应为JSON对象", "model_attributes_type": "应为JSON对象", "dict_type": "应为JSON对象",
    "json_invalid": "不是有效的JSON（或嵌套过深）", "json_type": "不是有效的JSON",
    "recursion_loop": "嵌套过深",
}


def explain(error: ValidationError) -> tuple[str, str | None]:
    """The first problem of a ValidationError as (Chinese message, field name or None)."""
    e = error.errors(include_url=False)[0]
    ctx = {k: v for k, v in (e.get("ctx") or {}).items()}
    if e["type"] == "value_error":
        text = str(ctx.get("error", e["msg"]))
    else:
        try:
            text = _EXPLAIN.get(e["type"], "取值无效").format(**ctx)
        except (KeyError, IndexError):
            text = "取值无效"
    names = [str(x) for x in e["loc"] if isinstance(x, str) and x not in ("grant", "reject")]
    field = names[-1] if names else None
    return (f"{field}：{text}。" if field else f"请求体{text}。"), field
