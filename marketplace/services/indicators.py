"""The monthly 信易贷 indicators of the city credit-monitoring scheme, each traceable to its records.

Every figure is a SQL aggregate over the platform's own tables for a period ending with a month:
  scope 'month'      — that calendar month (Asia/Shanghai days);
  scope 'ytd'        — 1 January of that year to the month's end;
  scope 'cumulative' — everything up to the month's end.
Stock figures (registered enterprises, lists, balances) are taken at the period's end whatever the scope.
A figure whose data is missing is *not available* (不可用) with the reason, never zero.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import and_, distinct, func, select

from .. import codes
from ..clock import month_end
from ..extensions import db
from ..models import (
    Application,
    CreditCommitment,
    Enterprise,
    ImportBatch,
    Institution,
    ListEntry,
    LoanRepayment,
    Objection,
    OffPlatformLoan,
    Penalty,
    Product,
    RegistryEnterprise,
    TaxGrade,
)
from . import denominators
from .exports import Column, Table
from .workdays import SHANGHAI, local_date, working_days_between

SCOPES = {"month": "当月", "ytd": "年初至今", "cumulative": "累计"}
DISBURSED_STATUSES = ("disbursed", "repaid", "overdue", "defaulted")


@dataclass(frozen=True)
class Period:
    """A span of Shanghai calendar days ending with the last day of `month`."""

    month: date  # first day of the month
    scope: str = "month"

    def __post_init__(self):
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}")
        object.__setattr__(self, "month", self.month.replace(day=1))

    @property
    def first_day(self) -> date | None:
        return {"month": self.month, "ytd": self.month.replace(month=1), "cumulative": None}[self.scope]

    @property
    def last_day(self) -> date:
        return month_end(self.month)

    def instant(self, day: date) -> datetime:
        """Midnight Shanghai at the start of `day`, in UTC (how timestamps are stored)."""
        return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)

    @property
    def start_instant(self) -> datetime | None:
        return self.instant(self.first_day) if self.first_day else None

    @property
    def end_instant(self) -> datetime:
        return self.instant(self.last_day + timedelta(days=1))

    def dates(self, column):
        """SQL condition: a DATE column inside the period."""
        cond = column <= self.last_day
        return and_(column >= self.first_day, cond) if self.first_day else cond

    def instants(self, column):
        """SQL condition: a UTC timestamp column inside the period."""
        cond = column < self.end_instant
        return and_(column >= self.start_instant, cond) if self.start_instant else cond

    @property
    def label(self) -> str:
        return f"{self.month:%Y年%m月}（{SCOPES[self.scope]}）"


@dataclass
class Figure:
    """One indicator for one period: numerator ÷ denominator, or not available with the reason."""

    code: str
    name: str
    numerator_label: str
    denominator_label: str
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    unit: str = "ratio"  # 'ratio' (shown as %), or 'days' for an average
    note: str = ""
    missing: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not self.missing and self.numerator is not None and bool(self.denominator)

    @property
    def value(self) -> Decimal | None:
        if not self.available:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)


def _scalar(stmt) -> int:
    return int(db.session.scalar(stmt) or 0)


def _sme_disbursed(period: Period):
    """Platform loans disbursed in the period to small, medium and micro firms (indicator 十三's records)."""
    return (select(Application).join(Enterprise, Enterprise.id == Application.enterprise_id)
            .where(Application.status.in_(DISBURSED_STATUSES), period.dates(Application.disbursed_on),
                   Enterprise.size.in_(codes.SME_SIZES)))


def _registry_count() -> tuple[int, list[str]]:
    n = _scalar(select(func.count(RegistryEnterprise.id)).where(RegistryEnterprise.operating_status == "active"))
    return n, ([] if n else ["在营企业数据库尚未导入"])


# ---- the indicators -------------------------------------------------------------------------------------

def indicator_12(p: Period) -> Figure:
    """(十二) enterprises registered on the platform ÷ enterprises registered in the city (stock at period end)."""
    n = _scalar(select(func.count(distinct(Enterprise.uscc))).where(Enterprise.registered_at < p.end_instant))
    d = denominators.registered_enterprises(p.month)
    return Figure("十二", "信易贷平台注册企业占比", "平台注册企业数（户，期末）", "本地登记注册企业数（户）", n, d,
                  missing=[] if d else [f"{p.month:%Y年%m月}本地登记注册企业数未录入"])


def _gdp_figure(code: str, name: str, label: str, amount: int, p: Period) -> Figure:
    gdp, note = denominators.annual_gdp(p.month.year)
    return Figure(code, name, label, "地区生产总值（元）", amount, gdp, note=note if gdp else "",
                  missing=[] if gdp else ["GDP 未录入"])


def indicator_13(p: Period) -> Figure:
    """(十三) SME loans disbursed through the platform ÷ city GDP."""
    stmt = _sme_disbursed(p).with_only_columns(func.coalesce(func.sum(Application.disbursed_amount), 0))
    return _gdp_figure("十三", "通过信易贷平台实现的信用融资规模占GDP比重", "平台中小微企业放款额（元）", _scalar(stmt), p)


def indicator_14(p: Period) -> Figure:
    """(十四) 信易贷 loans banks made outside any platform ÷ city GDP — from banks' reports only."""
    amount = _scalar(select(func.coalesce(func.sum(OffPlatformLoan.amount), 0)).where(p.dates(OffPlatformLoan.month)))
    return _gdp_figure("十四", "平台外信易贷融资规模占GDP比重", "金融机构报送的平台外信易贷放款额（元）", amount, p)


def indicator_17(p: Period) -> Figure:
    """(十七) A-grade taxpayers ÷ legal-person enterprises, on the latest grade year known at period end."""
    year = db.session.scalar(select(func.max(TaxGrade.year)).where(TaxGrade.year <= p.month.year))
    d, missing = _registry_count()
    n = _scalar(select(func.count(distinct(TaxGrade.uscc))).where(TaxGrade.year == year, TaxGrade.grade == "A")) \
        if year else None
    if year is None:
        missing = missing + ["纳税信用等级尚未导入"]
    return Figure("十七", "A级纳税人占比", f"A级纳税人数（{year or '—'}年度评价）", "在营企业数（户）", n, d,
                  missing=missing)


def indicator_20(p: Period) -> Figure:
    """(二十) credit commitments signed in the period ÷ enterprises."""
    n = _scalar(select(func.count(CreditCommitment.id)).where(p.instants(CreditCommitment.signed_at)))
    d, missing = _registry_count()
    return Figure("二十", "信用承诺占比", "信用承诺数（份）", "在营企业数（户）", n, d, missing=missing)


def indicator_24(p: Period) -> Figure:
    """(二十四) enterprises on a serious-dishonesty list at period end ÷ enterprises."""
    n = _scalar(select(func.count(distinct(ListEntry.uscc))).where(
        ListEntry.list_type.in_(codes.SERIOUS_LIST_TYPES), ListEntry.active_on(p.last_day)))
    d, missing = _registry_count()
    return Figure("二十四", "严重失信主体占比", "列入严重失信主体名单的企业数（户，期末）", "在营企业数（户）", n, d,
                  missing=missing)


def _valid_objections(p: Period):
    return select(Objection).where(Objection.status == "upheld", p.instants(Objection.resolved_at))


def indicator_35(p: Period) -> Figure:
    """(三十五) valid objections resolved in the period ÷ public credit records held at period end."""
    n = _scalar(_valid_objections(p).with_only_columns(func.count(Objection.id)))
    records = _scalar(select(func.count(Penalty.id)).where(Penalty.decided_on <= p.last_day)) + \
        _scalar(select(func.count(ListEntry.id)).where(ListEntry.start_on <= p.last_day))
    return Figure("三十五", "异议率", "有效异议数（件）", "公共信用记录数（条，期末）", n, records,
                  missing=[] if records else ["尚无公共信用记录"])


def indicator_36(p: Period) -> Figure:
    """(三十六) Σ handling working days ÷ number of valid objections resolved in the period."""
    rows = db.session.execute(_valid_objections(p).with_only_columns(Objection.submitted_at,
                                                                    Objection.resolved_at)).all()
    total = sum(working_days_between(local_date(r.submitted_at), local_date(r.resolved_at)) for r in rows)
    return Figure("三十六", "异议平均处理时限", "处理用时合计（工作日）", "有效异议数（件）", total, len(rows),
                  unit="days", missing=[] if rows else ["本期无已办结的有效异议"])


def indicator_9(p: Period) -> Figure:
    """(九) duplicate or invalid USCCs ÷ all codes, in the latest registry import up to the period end."""
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.source == "registry",
                                                         ImportBatch.created_at < p.end_instant)
                              .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(1))
    if batch is None or not batch.codes_total:
        return Figure("九", "统一社会信用代码重错码率", "重码及错码数", "代码总数", None, None,
                      missing=["本期末前未导入在营企业数据库"])
    return Figure("九", "统一社会信用代码重错码率", "重码及错码数", "代码总数",
                  (batch.codes_invalid or 0) + (batch.codes_duplicate or 0), batch.codes_total,
                  note=f"在营企业数据库第{batch.id}批（{batch.file_name}）")


INDICATORS: dict[str, Callable[[Period], Figure]] = {
    "十二": indicator_12, "十三": indicator_13, "十四": indicator_14, "十七": indicator_17, "二十": indicator_20,
    "二十四": indicator_24, "三十五": indicator_35, "三十六": indicator_36, "九": indicator_9,
}


def compute(month: date, scope: str = "month") -> list[Figure]:
    period = Period(month, scope)
    return [fn(period) for fn in INDICATORS.values()]


# ---- stock: outstanding balance ---------------------------------------------------------------------------

def loan_balance(day: date) -> int:
    """贷款余额 of platform loans at the end of `day`: principal disbursed by then, less principal repaid by
    then, less loans written off (不良, closed) by then."""
    written_off = select(Application.id).where(Application.status == "defaulted", Application.closed_on <= day)
    disbursed = _scalar(select(func.coalesce(func.sum(Application.disbursed_amount), 0)).where(
        Application.disbursed_on <= day, Application.id.not_in(written_off)))
    repaid = _scalar(select(func.coalesce(func.sum(LoanRepayment.amount), 0)).where(
        LoanRepayment.paid_on <= day, LoanRepayment.application_id.not_in(written_off)))
    return disbursed - repaid


# ---- the records behind each numerator -------------------------------------------------------------------

def records(code: str, p: Period) -> Table:
    """The rows that make up an indicator's numerator, as an exportable table (Chinese headers)."""
    C = Column
    if code == "十二":
        stmt = (select(Enterprise.uscc, Enterprise.name, Enterprise.region_code, Enterprise.size,
                       Enterprise.registered_at).where(Enterprise.registered_at < p.end_instant)
                .order_by(Enterprise.registered_at))
        cols = [C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("region_code", "区划代码"),
                C("size", "规模"), C("registered_at", "入驻时间", "datetime")]
    elif code == "十三":
        stmt = (_sme_disbursed(p).with_only_columns(
            Application.id, Enterprise.uscc, Enterprise.name, Enterprise.size, Institution.name.label("institution"),
            Product.name.label("product"), Application.disbursed_on, Application.disbursed_amount)
            .join(Institution, Institution.id == Application.institution_id)
            .join(Product, Product.id == Application.product_id).order_by(Application.disbursed_on, Application.id))
        cols = [C("id", "申请编号", "int"), C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("size", "规模"),
                C("institution", "金融机构"), C("product", "产品"), C("disbursed_on", "放款日期", "date"),
                C("disbursed_amount", "放款金额（万元）", "wan")]
    elif code == "十四":
        stmt = (select(Institution.name.label("institution"), OffPlatformLoan.month, OffPlatformLoan.uscc,
                       OffPlatformLoan.enterprise_name, OffPlatformLoan.loan_count, OffPlatformLoan.amount)
                .join(Institution, Institution.id == OffPlatformLoan.institution_id)
                .where(p.dates(OffPlatformLoan.month)).order_by(OffPlatformLoan.month, Institution.name))
        cols = [C("institution", "报送机构"), C("month", "月份", "date"), C("uscc", "统一社会信用代码"),
                C("enterprise_name", "企业名称"), C("loan_count", "笔数", "int"), C("amount", "放款金额（万元）", "wan")]
    elif code == "十七":
        year = db.session.scalar(select(func.max(TaxGrade.year)).where(TaxGrade.year <= p.month.year))
        stmt = (select(TaxGrade.uscc, TaxGrade.year, TaxGrade.grade)
                .where(TaxGrade.year == year, TaxGrade.grade == "A").order_by(TaxGrade.uscc))
        cols = [C("uscc", "统一社会信用代码"), C("year", "评价年度", "int"), C("grade", "纳税信用等级")]
    elif code == "二十":
        stmt = (select(Enterprise.uscc, Enterprise.name, CreditCommitment.kind, CreditCommitment.signed_at)
                .join(Enterprise, Enterprise.id == CreditCommitment.enterprise_id)
                .where(p.instants(CreditCommitment.signed_at)).order_by(CreditCommitment.signed_at))
        cols = [C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("kind", "承诺类型"),
                C("signed_at", "签署时间", "datetime")]
    elif code == "二十四":
        stmt = (select(ListEntry.uscc, ListEntry.list_type, ListEntry.start_on, ListEntry.end_on,
                       ListEntry.document_no)
                .where(ListEntry.list_type.in_(codes.SERIOUS_LIST_TYPES), ListEntry.active_on(p.last_day))
                .order_by(ListEntry.uscc))
        cols = [C("uscc", "统一社会信用代码"), C("list_type", "名单类型"), C("start_on", "列入日期", "date"),
                C("end_on", "移出日期", "date"), C("document_no", "依据文号")]
    elif code in ("三十五", "三十六"):
        stmt = (_valid_objections(p).with_only_columns(
            Objection.id, Enterprise.uscc, Enterprise.name, Objection.record_source, Objection.kind,
            Objection.submitted_at, Objection.resolved_at)
            .join(Enterprise, Enterprise.id == Objection.enterprise_id).order_by(Objection.resolved_at))
        cols = [C("id", "异议编号", "int"), C("uscc", "统一社会信用代码"), C("name", "企业名称"),
                C("record_source", "数据来源"), C("kind", "异议类型"), C("submitted_at", "提交时间", "datetime"),
                C("resolved_at", "办结时间", "datetime"), C("working_days", "处理用时（工作日）", "int")]
    elif code == "九":
        stmt = (select(ImportBatch.id, ImportBatch.file_name, ImportBatch.sha256, ImportBatch.created_at,
                       ImportBatch.codes_total, ImportBatch.codes_invalid, ImportBatch.codes_duplicate)
                .where(ImportBatch.source == "registry", ImportBatch.created_at < p.end_instant)
                .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()).limit(1))
        cols = [C("id", "批次", "int"), C("file_name", "文件名"), C("sha256", "SHA-256"),
                C("created_at", "导入时间", "datetime"), C("codes_total", "代码总数", "int"),
                C("codes_invalid", "错码数", "int"), C("codes_duplicate", "重码数", "int")]
    else:
        raise KeyError(code)
    labels = {"size": codes.SIZES, "list_type": codes.LIST_TYPES,
              "kind": codes.COMMITMENT_TYPES if code == "二十" else codes.OBJECTION_KINDS}
    rows = [dict(r._mapping) for r in db.session.execute(stmt)]
    for row in rows:
        for key in labels.keys() & row.keys():
            row[key] = labels[key].get(row[key], row[key])
        if code in ("三十五", "三十六"):
            row["working_days"] = working_days_between(local_date(row["submitted_at"]),
                                                       local_date(row["resolved_at"]))
    name = INDICATORS[code](p).name
    return Table(title=f"（{code}）{name}"[:31], columns=cols, rows=rows, notes=[f"统计期：{p.label}"])
