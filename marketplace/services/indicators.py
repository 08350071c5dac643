"""The monthly 信易贷 indicators of the city credit-monitoring scheme, each traceable to its records.

Each indicator is one definition: a select of the records behind its numerator, and the numerator is an
aggregate over that very select, so the figure and its drill-down can never disagree. Periods end with a month:
  scope 'month'      — that calendar month (Asia/Shanghai days);
  scope 'ytd'        — 1 January of that year to the month's end;
  scope 'cumulative' — everything up to the month's end.
Stock figures (registered enterprises, lists, balances) are taken at the period's end whatever the scope.
A figure whose data is missing is *not available* (不可用) with the reason, never zero.
The wording each one follows is the city monitoring scheme's (2020 edition); `Definition.scheme` quotes it
and `Definition.convention` says how it is read here (shown on the page and in the report pack).
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, distinct, exists, func, literal, or_, select, union
from sqlalchemy.sql import Select

from .. import codes
from ..clock import month_end
from ..extensions import db
from ..models import (
    Application,
    CreditCommitment,
    CustomsCertification,
    Enterprise,
    ImportBatch,
    Institution,
    LoanRepayment,
    Objection,
    OffPlatformLoan,
    Product,
    RegistryCodeFinding,
    RegistryEnterprise,
    TaxGrade,
)
from . import denominators, in_force, registry
from .applications import DISBURSED_STATUSES
from .exports import Column, Table
from .workdays import SHANGHAI, local_date, working_days_between

SCOPES = {"month": "当月", "ytd": "年初至今", "cumulative": "累计"}


@dataclass(frozen=True)
class Period:
    """A span of Shanghai calendar days ending with the last day of `month`."""

    month: date  # first day of the month
    scope: str = "month"
    # Figures several indicators share (the registry population's size), computed once per Period object.
    shared: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

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


def half_up(value, places: int = 2) -> Decimal | None:
    """四舍五入: 8.25 → 8.3 at one place (Python's round() would give 8.2, half to even)."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass
class Figure:
    """One indicator for one period: numerator ÷ denominator, or not available with the reason."""

    code: str
    name: str
    numerator_label: str
    denominator_label: str
    numerator: int | Decimal | None
    denominator: int | Decimal | None
    unit: str = "ratio"  # 'ratio' (shown as %), or 'days' for an average in calendar days
    note: str = ""
    missing: list[str] = field(default_factory=list)
    secondary: str = ""  # a second reading shown beside the figure (三十六 in working days)
    money: bool = False  # numerator and denominator are integer yuan (exports keep yuan; pages show 万元)

    @property
    def available(self) -> bool:
        return not self.missing and self.numerator is not None and bool(self.denominator)

    @property
    def labels_shown(self) -> tuple[str, str]:
        """(numerator, denominator) labels as a page shows them: amounts in 万元 (exports name yuan, 元)."""
        if not self.money:
            return self.numerator_label, self.denominator_label
        return tuple(label.replace("（元）", "（万元）") for label in (self.numerator_label, self.denominator_label))

    @property
    def value(self) -> Decimal | None:
        if not self.available:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)


@dataclass(frozen=True)
class Definition:
    """An indicator: the scheme's words, the reading implemented, the select of its records, and the numerator
    and denominator, each computed from that select (so figure and records come from one query)."""

    code: str
    name: str
    scheme: str  # the monitoring scheme's own words
    convention: str  # how the platform reads them (on the page and in the pack)
    numerator_label: str
    denominator_label: str
    rows: Callable[["Period"], Select]
    columns: tuple[Column, ...]
    numerator: Callable[[Select, "Period"], int | None]
    denominator: Callable[[Select, "Period"], tuple[int | None, list[str], str]]  # value, missing, note
    unit: str = "ratio"
    labels: dict = field(default_factory=dict)  # column → code labels
    secondary: Callable[[Select, "Period"], str] | None = None
    money: bool = False  # numerator and denominator in integer yuan


def _scalar(stmt) -> int:
    return int(db.session.scalar(stmt) or 0)


def _count(stmt: Select, _p=None) -> int:
    return _scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def _sum(column: str):
    def total(stmt: Select, _p=None) -> int:
        sq = stmt.order_by(None).subquery()
        return _scalar(select(func.coalesce(func.sum(sq.c[column]), 0)))
    return total


# ---- populations shared by several indicators ---------------------------------------------------------

def registry_population(p: Period):
    """SQL condition on RegistryEnterprise: operating (存续) on the period's last day and established by then, as
    the registry files delivered up to that day reported it (services/registry) — the denominator population of
    (十七) (二十) (二十四), and the numerator is restricted to it as well."""
    return registry.operating_on(p.last_day)


def _registry_denominator(_stmt: Select, p: Period) -> tuple[int | None, list[str], str]:
    if "registry_population" not in p.shared:  # (十七) (二十) (二十四) share it: one count per page
        p.shared["registry_population"] = _scalar(select(func.count(RegistryEnterprise.id))
                                                  .where(registry_population(p)))
    n = p.shared["registry_population"]
    return (n or None), ([] if n else ["在营企业数据库尚未导入"]), ""


def _firm_size():
    """The registry's size classification, the size the firm declared where the registry has none."""
    return func.coalesce(RegistryEnterprise.size, Enterprise.size)


def _size_basis():
    return case((RegistryEnterprise.size.is_not(None), "在营企业数据库"), else_="企业自报")


def _gdp(_stmt: Select, p: Period) -> tuple[int | None, list[str], str]:
    gdp, note = denominators.annual_gdp(p.month.year)
    return gdp, ([] if gdp else ["GDP 未录入"]), (note if gdp else "")


# ---- (十二) ------------------------------------------------------------------------------------------------

def _rows_12(p: Period) -> Select:
    return (select(Enterprise.uscc, Enterprise.name, Enterprise.region_code, Enterprise.size,
                   Enterprise.registered_at).where(Enterprise.registered_at < p.end_instant)
            .order_by(Enterprise.registered_at, Enterprise.id))


def _registered(_stmt: Select, p: Period) -> tuple[int | None, list[str], str]:
    d = denominators.registered_enterprises(p.month)
    return d, ([] if d else [f"{p.month:%Y年%m月}本地登记注册企业数未录入"]), ""


# ---- (十三) (十四) -----------------------------------------------------------------------------------------

def _rows_13(p: Period) -> Select:
    size = _firm_size()
    return (select(Application.id, Enterprise.uscc, Enterprise.name, size.label("size"),
                   _size_basis().label("size_basis"), Institution.name.label("institution"),
                   Product.name.label("product"), Application.disbursed_on, Application.disbursed_amount)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Product, Product.id == Application.product_id)
            .join(Institution, Institution.id == Application.institution_id)
            .outerjoin(RegistryEnterprise, RegistryEnterprise.uscc == Enterprise.uscc)
            .where(Application.status.in_(DISBURSED_STATUSES), p.dates(Application.disbursed_on),
                   Product.xinyidai.is_(True), _is_sme())
            .order_by(Application.disbursed_on, Application.id))


def _is_sme():
    """coalesce(registry size, declared size) IN (中型, 小型, 微型), written so that PostgreSQL can estimate it from
    each column's statistics: on the coalesce it guessed 1.5 % of firms (420 rows for 27,440) and chose a nested
    loop over applications per firm."""
    return or_(RegistryEnterprise.size.in_(codes.SME_SIZES),
               and_(RegistryEnterprise.size.is_(None), Enterprise.size.in_(codes.SME_SIZES)))


def off_platform_counted():
    """SQL condition on OffPlatformLoan: counted in (十四) — not a large firm (registry size, else the platform's
    declared size; a firm known to neither counts as reported), and not matching a platform loan unless the
    bank confirmed it is a different loan."""
    size = _firm_size()
    return and_(or_(size.is_(None), size != "large"),
                or_(OffPlatformLoan.platform_application_id.is_(None), OffPlatformLoan.confirmed_at.is_not(None)))


def _rows_14(p: Period) -> Select:
    return (select(OffPlatformLoan.id, Institution.name.label("institution"), OffPlatformLoan.month,
                   OffPlatformLoan.uscc, OffPlatformLoan.enterprise_name, _firm_size().label("size"),
                   OffPlatformLoan.loan_count, OffPlatformLoan.amount)
            .join(Institution, Institution.id == OffPlatformLoan.institution_id)
            .outerjoin(Enterprise, Enterprise.uscc == OffPlatformLoan.uscc)
            .outerjoin(RegistryEnterprise, RegistryEnterprise.uscc == OffPlatformLoan.uscc)
            .where(p.dates(OffPlatformLoan.month), off_platform_counted())
            .order_by(OffPlatformLoan.month, Institution.name, OffPlatformLoan.uscc))


# ---- (十七) ------------------------------------------------------------------------------------------------

def grade_year_in_force(day: date) -> int | None:
    """The 纳税信用等级 evaluation year in force on `day`: year Y's grades are published in April of Y+1, so
    until then Y−1's stand; the latest imported year up to that one."""
    year = day.year - 1 if day.month >= 4 else day.year - 2
    return db.session.scalar(select(func.max(TaxGrade.year)).where(TaxGrade.year <= year))


def _rows_17(p: Period) -> Select:
    year = grade_year_in_force(p.last_day)
    a_grade = exists().where(TaxGrade.uscc == RegistryEnterprise.uscc, TaxGrade.year == year, TaxGrade.grade == "A") \
        if year else literal(False)
    aeo = exists().where(CustomsCertification.uscc == RegistryEnterprise.uscc,
                         CustomsCertification.in_force_on(p.last_day))
    # The holders (a few thousand codes) drive the query: joined to the registry by code, instead of two EXISTS
    # OR-ed over all 580,000 registry rows (planned at 6.5M cost, which also set off a 0.4 s JIT compile).
    aeo_codes = select(CustomsCertification.uscc).where(CustomsCertification.in_force_on(p.last_day))
    holders = (union(select(TaxGrade.uscc).where(TaxGrade.year == year, TaxGrade.grade == "A"), aeo_codes)
               if year else aeo_codes).subquery()
    return (select(RegistryEnterprise.uscc, RegistryEnterprise.name,
                   case((a_grade, f"A（{year}年度）"), else_=None).label("tax_grade"),
                   case((aeo, "海关高级认证企业"), else_=None).label("customs"))
            .join(holders, holders.c.uscc == RegistryEnterprise.uscc)
            .where(registry_population(p)).order_by(RegistryEnterprise.uscc))


def _denominator_17(stmt: Select, p: Period) -> tuple[int | None, list[str], str]:
    d, missing, _ = _registry_denominator(stmt, p)
    year = grade_year_in_force(p.last_day)
    if year is None:
        missing = missing + ["纳税信用等级尚未导入"]
    has_aeo = db.session.scalar(select(CustomsCertification.id).limit(1)) is not None
    notes = [f"纳税信用等级：{year}年度评价（{p.last_day:%Y-%m-%d}有效）"] if year else []
    notes += [] if has_aeo else ["海关高级认证企业数据尚未导入，仅含A级纳税人"]
    note = "；".join(notes)
    return d, missing, note


# ---- (二十) (二十四) ---------------------------------------------------------------------------------------

def _rows_20(p: Period) -> Select:
    return (select(CreditCommitment.id, Enterprise.uscc, Enterprise.name, CreditCommitment.kind,
                   CreditCommitment.signed_at)
            .join(Enterprise, Enterprise.id == CreditCommitment.enterprise_id)
            .where(p.instants(CreditCommitment.signed_at)).order_by(CreditCommitment.signed_at, CreditCommitment.id))


def _rows_24(p: Period) -> Select:
    """One row per firm (not per list entry): the firms of the registry population on a serious list on the
    period's last day (in_force: an entry withdrawn later still counts before its withdrawal)."""
    entries = in_force.list_entries(p.last_day, codes.SERIOUS_LIST_TYPES).subquery()
    # The listed firms (a few thousand) are grouped first and then looked up in the registry by its unique code:
    # grouped after the join, PostgreSQL hashed all 560,000 registry rows to meet them (0.25 s, spilling to disk).
    firms = (select(entries.c.uscc, func.count(entries.c.id).label("entries"),
                    func.min(entries.c.start_on).label("since"),
                    func.aggregate_strings(entries.c.list_type, ",").label("list_types"))
             .group_by(entries.c.uscc).subquery())
    return (select(RegistryEnterprise.uscc, RegistryEnterprise.name, firms.c.entries, firms.c.since,
                   firms.c.list_types)
            .join(firms, firms.c.uscc == RegistryEnterprise.uscc)
            .where(registry_population(p)).order_by(RegistryEnterprise.uscc))


# ---- (三十五) (三十六) -------------------------------------------------------------------------------------

# Objections on these sources concern credit information publicly shown (公示) and sourced from the city's
# credit-information sharing platform; tax, social-insurance or utility records are not publicly shown.
PUBLIC_RECORD_SOURCES = {"penalties": "行政处罚", "list_entries": "名单"}


def publicly_shown(day: date) -> tuple[Select, Select]:
    """(penalties, list entries) publicly shown on `day` (services/in_force: a penalty from its decision to its
    publication end until repaired, a list entry while the firm is on the list, each until withdrawn)."""
    return in_force.penalties_shown(day), in_force.list_entries(day)


def _rows_objections(p: Period) -> Select:
    return (select(Objection.id, Enterprise.uscc, Enterprise.name, Objection.record_source, Objection.kind,
                   Objection.submitted_at, Objection.resolved_at)
            .join(Enterprise, Enterprise.id == Objection.enterprise_id)
            .where(Objection.status == "upheld", p.instants(Objection.resolved_at),
                   Objection.record_source.in_(PUBLIC_RECORD_SOURCES))
            .order_by(Objection.resolved_at, Objection.id))


def _public_records(_stmt: Select, p: Period) -> tuple[int | None, list[str], str]:
    n = sum(_count(shown) for shown in publicly_shown(p.last_day))
    return (n or None), ([] if n else ["期末无公示中的公共信用记录"]), ""


def handling_days(row) -> tuple[int, int]:
    """(calendar days, working days) from filing to resolution, by Shanghai date; resolved on the filing day
    counts 0 days."""
    start, end = local_date(row["submitted_at"]), local_date(row["resolved_at"])
    return (end - start).days, working_days_between(start, end)


def _objection_rows(stmt: Select) -> list[dict]:
    return [dict(r._mapping) for r in db.session.execute(stmt)]


def _days_total(stmt: Select, _p) -> int:
    return sum(handling_days(r)[0] for r in _objection_rows(stmt))


def _objections_count(stmt: Select, _p) -> tuple[int | None, list[str], str]:
    n = _count(stmt)
    return (n or None), ([] if n else ["本期无已办结的有效异议"]), ""


def _working_days_reading(stmt: Select, _p) -> str:
    rows = _objection_rows(stmt)
    if not rows:
        return ""
    total = sum(handling_days(r)[1] for r in rows)
    return f"按工作日计：合计 {total} 个工作日，平均 {half_up(Decimal(total) / len(rows))} 个工作日"


# ---- (九) --------------------------------------------------------------------------------------------------

def registry_batch_for(p: Period) -> ImportBatch | None:
    """The latest registry file whose as-of date (数据截止日期; the import day when the file gave none) is in
    or before the period's last day — whenever it was imported."""
    batches = db.session.scalars(select(ImportBatch).where(ImportBatch.source == "registry",
                                                           ImportBatch.codes_total.is_not(None))).all()
    dated = [(b.as_of or local_date(b.created_at), b.id, b) for b in batches]
    dated = [d for d in dated if d[0] <= p.last_day]
    return max(dated, key=lambda d: (d[0], d[1]))[2] if dated else None


def _rows_9(p: Period) -> Select:
    batch = registry_batch_for(p)
    return (select(RegistryCodeFinding.batch_id, RegistryCodeFinding.line, RegistryCodeFinding.code,
                   RegistryCodeFinding.problem, RegistryCodeFinding.detail)
            .where(RegistryCodeFinding.batch_id == (batch.id if batch else None))
            .order_by(RegistryCodeFinding.line))


def _codes_total(stmt: Select, p: Period) -> tuple[int | None, list[str], str]:
    batch = registry_batch_for(p)
    if batch is None or not batch.codes_total:
        return None, ["本期末前无数据截止日期在期内的在营企业数据库"], ""
    as_of = batch.as_of or local_date(batch.created_at)
    note = f"在营企业数据库第{batch.id}批（{batch.file_name}，数据截止{as_of:%Y-%m-%d}）"
    counted = (batch.codes_invalid or 0) + (batch.codes_duplicate or 0)
    if counted and not _count(stmt):  # imported before each bad code was kept: a figure without its records
        return batch.codes_total, [
            f"第{batch.id}批导入于逐条保存重错码之前（导入时记录错码{batch.codes_invalid or 0}个、重码"
            f"{batch.codes_duplicate or 0}个，无明细，不能追溯）：请用原文件补录明细——"
            f"flask registry-findings {batch.id} 原文件路径"], note
    return batch.codes_total, [], note


# ---- the definitions ---------------------------------------------------------------------------------------

REGISTRY_AS_OF = ("存续企业以期末适用的在营企业数据库为准：成立日期不晚于期末，经营状态取数据截止日期不晚于期末的各份"
                  "文件所报；之后的文件所报注销、吊销或新增企业自其数据截止日期起生效，不改变以前各期")

C = Column
_OBJECTION_COLUMNS = (C("id", "异议编号", "int"), C("uscc", "统一社会信用代码"), C("name", "企业名称"),
                      C("record_source", "异议信息类别"), C("kind", "异议类型"),
                      C("submitted_at", "提交时间", "datetime"), C("resolved_at", "办结时间", "datetime"),
                      C("calendar_days", "处理用时（天）", "int"), C("working_days", "处理用时（工作日）", "int"))
_OBJECTION_LABELS = {"record_source": PUBLIC_RECORD_SOURCES, "kind": codes.OBJECTION_KINDS}

DEFINITIONS: dict[str, Definition] = {d.code: d for d in (
    Definition(
        "十二", "信易贷平台注册企业占比",
        "在全国信易贷平台和本地信易贷平台注册的企业占当地注册企业的比例",
        "分子：期末前在本平台注册的企业（按统一社会信用代码去重）；分母：发改委录入的当月本地登记注册企业数",
        "平台注册企业数（户，期末）", "本地登记注册企业数（户）", _rows_12,
        (C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("region_code", "区划代码"), C("size", "规模"),
         C("registered_at", "入驻时间", "datetime")),
        lambda stmt, p: _scalar(select(func.count(distinct(stmt.order_by(None).subquery().c.uscc)))),
        _registered, labels={"size": codes.SIZES, "region_code": codes.REGIONS}),
    Definition(
        "十三", "通过信易贷平台实现的信用融资规模占GDP比重",
        "通过全国信易贷平台或本地信易贷平台实现的信易贷规模——发放中小微企业贷款总额占城市GDP的比例",
        "分子：期内经本平台放款、产品标注为信易贷产品、借款企业为中型/小型/微型的贷款金额；企业规模以在营企业数据库的"
        "划型为准，库中没有的用企业注册时自报的规模（明细注明依据）；分母：年度GDP（见GDP口径）",
        "平台中小微企业信易贷放款额（元）", "地区生产总值（元）", _rows_13,
        (C("id", "申请编号", "int"), C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("size", "规模"),
         C("size_basis", "规模依据"), C("institution", "金融机构"), C("product", "产品"),
         C("disbursed_on", "放款日期", "date"), C("disbursed_amount", "放款金额（万元）", "wan")),
        _sum("disbursed_amount"), _gdp, labels={"size": codes.SIZES}, money=True),
    Definition(
        "十四", "平台外信易贷融资规模占GDP比重",
        "未通过信易贷平台实现的信易贷规模占城市GDP的比例",
        "分子：金融机构报送的期内平台外信易贷放款额，只含中型/小型/微型企业（大型企业的报送被拒收）；与本平台同一机构、"
        "同一企业、同月同额的放款相符的报送待机构确认为另一笔贷款后才计入，避免重复统计；从不与（十三）相加",
        "金融机构报送的平台外信易贷放款额（元）", "地区生产总值（元）", _rows_14,
        (C("institution", "报送机构"), C("month", "月份", "date"), C("uscc", "统一社会信用代码"),
         C("enterprise_name", "企业名称"), C("size", "规模"), C("loan_count", "笔数", "int"),
         C("amount", "放款金额（万元）", "wan")),
        _sum("amount"), _gdp, labels={"size": codes.SIZES}, money=True),
    Definition(
        "十七", "A级纳税人和海关高级认证企业占比",
        "A级纳税人和海关高级认证企业占法人企业比例",
        "分子：期末存续的企业里，期末有效的纳税信用等级为A级（某年度等级于次年4月发布后生效）或期末"
        "持有海关高级认证的企业（去重）；分母：同一口径的存续企业数。" + REGISTRY_AS_OF,
        "A级纳税人和海关高级认证企业数（户）", "存续法人企业数（户）", _rows_17,
        (C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("tax_grade", "纳税信用等级"),
         C("customs", "海关认证")),
        _count, _denominator_17),
    Definition(
        "二十", "信用承诺占比",
        "信用承诺信息上报数量占城市企业总量的比例（审批替代型、主动承诺型、信用修复型等）",
        "分子：期内在本平台签署的信用承诺份数；分母：期末存续的企业数。" + REGISTRY_AS_OF,
        "信用承诺数（份）", "存续企业数（户）", _rows_20,
        (C("id", "承诺编号", "int"), C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("kind", "承诺类型"),
         C("signed_at", "签署时间", "datetime")),
        _count, _registry_denominator, labels={"kind": codes.COMMITMENT_TYPES}),
    Definition(
        "二十四", "严重失信主体占比",
        "严重失信名单主体数量占城市法人企业总数的比例",
        "分子：期末存续企业中，期末在严重失信名单上的企业数（按企业去重，一家企业多条名单只计一次；移出名单或经异议"
        "撤下公示的，自该日起不再计入，此前各期照计）；分母：同一口径的存续企业数。" + REGISTRY_AS_OF,
        "严重失信主体数（户，期末）", "存续企业数（户）", _rows_24,
        (C("uscc", "统一社会信用代码"), C("name", "企业名称"), C("list_types", "所在名单"),
         C("entries", "名单条数", "int"), C("since", "最早列入日期", "date")),
        _count, _registry_denominator),
    Definition(
        "三十五", "异议率",
        "有效异议信息数量占信用中国网站公开信息总量的比例——有效异议指针对公示信息（错误、遗漏、重复公示、不应公示、"
        "超期公示）、经核实、且信息来源于本市的异议",
        "分子：期内办结且异议成立、针对本市公示信用信息（行政处罚、名单）的异议；对纳税、社保、水电气等不公示数据的异议"
        "不计入；分母：期末仍在公示期内的行政处罚与在列名单条数——信用修复或经异议撤下公示的记录自修复、撤下当日起"
        "不再计入，此前各期照计",
        "有效异议数（件）", "期末公示中的公共信用记录（条）", _rows_objections,
        _OBJECTION_COLUMNS, _count, _public_records, labels=_OBJECTION_LABELS),
    Definition(
        "三十六", "异议平均处理时限",
        "平均时间 = 有效异议协同处理时间总和（单位：天）÷ 有效异议数量",
        "按自然日计：办结日期减提交日期（北京时间，当日办结计0天），工作日数并列显示；"
        "“1个工作日”是来源部门核实时限，不是本指标的单位",
        "有效异议处理时间总和（天）", "有效异议数（件）", _rows_objections,
        _OBJECTION_COLUMNS, _days_total, _objections_count, unit="days", labels=_OBJECTION_LABELS,
        secondary=_working_days_reading),
    Definition(
        "九", "城市重错码数量占全市代码总量比率",
        "城市重错码数量占全市代码总量比率",
        "取数据截止日期在期末之前（含）的最新一份在营企业数据库：错码（校验不通过）与重码（同一代码再次出现）条数 ÷ "
        "文件中的代码总数；每个重错码连同行号保存，可追溯",
        "重码及错码数", "代码总数", _rows_9,
        (C("batch_id", "批次", "int"), C("line", "行号", "int"), C("code", "代码"), C("problem", "问题类型"),
         C("detail", "问题")),
        _count, _codes_total, labels={"problem": {"invalid": "错码", "duplicate": "重码"}}),
)}
del C


def figure(code: str, p: Period) -> Figure:
    """One indicator for one period, computed from the select of its records."""
    d = DEFINITIONS[code]
    stmt = d.rows(p)
    den, missing, note = d.denominator(stmt, p)
    num = d.numerator(stmt, p)
    return Figure(code, d.name, d.numerator_label, d.denominator_label, num, den, unit=d.unit, note=note,
                  missing=missing, secondary=d.secondary(stmt, p) if d.secondary else "", money=d.money)


def records(code: str, p: Period) -> Table:
    """The rows that make up an indicator's numerator, as an exportable table (Chinese headers, labels)."""
    d = DEFINITIONS[code]
    rows = [dict(r._mapping) for r in db.session.execute(d.rows(p))]
    for row in rows:
        for key, labels in d.labels.items():
            if row.get(key) is not None:
                row[key] = labels.get(row[key], row[key])
        if code in ("三十五", "三十六"):
            row["calendar_days"], row["working_days"] = handling_days(row)
        if code == "二十四":
            row["list_types"] = "、".join(sorted(codes.LIST_TYPES.get(t, t) for t in set(row["list_types"].split(","))))
    return Table(title=f"（{code}）{d.name}", columns=d.columns, rows=rows,
                 notes=[f"统计期：{p.label}", f"口径：{d.convention}"])


INDICATORS: dict[str, Callable[[Period], Figure]] = {code: (lambda p, c=code: figure(c, p)) for code in DEFINITIONS}


def compute(month: date, scope: str = "month") -> list[Figure]:
    period = Period(month, scope)
    return [figure(code, period) for code in DEFINITIONS]


# ---- stock: outstanding balance ---------------------------------------------------------------------------

def balance_at(day: date):
    """SQL scalar: 贷款余额 of platform loans at the end of `day` — principal disbursed by then, less principal
    repaid by then, of loans not written off (核销) by then. A 不良 loan stays in the balance until written off."""
    written_off = select(Application.id).where(Application.written_off_on <= day)
    disbursed = select(func.coalesce(func.sum(Application.disbursed_amount), 0)).where(
        Application.disbursed_on <= day, Application.id.not_in(written_off)).scalar_subquery()
    repaid = select(func.coalesce(func.sum(LoanRepayment.amount), 0)).where(
        LoanRepayment.paid_on <= day, LoanRepayment.application_id.not_in(written_off)).scalar_subquery()
    return disbursed - repaid


def loan_balance(day: date) -> int:
    """贷款余额 at the end of `day` (see balance_at)."""
    return _scalar(select(balance_at(day)))
