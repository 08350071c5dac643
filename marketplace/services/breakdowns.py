"""Breakdowns of platform lending for the commission: by district, institution, product kind, size and
industry; credit versus secured; first-time borrowers (首贷户); rates, approval, days to decision; the
funnel; late decisions. Each is an SQL aggregate over the period's applications (grouped in the database), or
pandas over one narrow filtered query; no application outside the period is loaded, and no parameter list
grows with the data.
"""
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, case, exists, func, or_, select

from .. import codes
from ..clock import months_back
from ..extensions import db
from ..models import Application, Enterprise, FinancingNeed, Institution, Product
from . import applications, figure_cache
from .applications import BANK_GRANTED_STATUSES, DECIDED_STATUSES, GRANTED_STATUSES
from .exports import Column, Table
from .indicators import DISBURSED_STATUSES, Period, half_up
from .workdays import SHANGHAI

DIMENSIONS = {
    "region": ("区县", codes.REGIONS),
    "institution": ("金融机构", None),
    "product_kind": ("产品类型", codes.PRODUCT_KINDS),
    "size": ("企业规模", codes.SIZES),
    "industry": ("行业门类", codes.INDUSTRIES),
    "credit": ("担保方式", {"credit": "信用", "secured": "非信用（抵押、担保、质押等）"}),
}
# Bank decisions count a grant the firm later declined as the bank's yes; 获得授信 counts grants in force.


def _frame(stmt) -> pd.DataFrame:
    """The rows of a column select as a DataFrame. Executed as Core (no ORM row processing) and handed to pandas as
    plain tuples: pandas probes each Row for namedtuple fields, which cost 0.5 s over 57,000 loans."""
    rows = db.session.connection().execute(stmt).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=list(stmt.selected_columns.keys()))


def _dimension(dimension: str):
    return {"region": Enterprise.region_code, "institution": Institution.name, "product_kind": Product.kind,
            "size": Enterprise.size, "industry": Enterprise.industry,
            "credit": case((Product.kind == "credit", "credit"), else_="secured")}[dimension]


def disbursed_frame(p: Period) -> pd.DataFrame:
    """The loans disbursed in the period, narrow: each dimension's key, firm, amount, rate × amount and whether it
    is the firm's first platform loan (首贷) — one query; the page groups it by every dimension."""
    first = (select(Application.enterprise_id, func.min(Application.disbursed_on).label("first_loan_on"))
             .where(Application.disbursed_on.is_not(None)).group_by(Application.enterprise_id).subquery())
    stmt = (select(*[_dimension(d).label(d) for d in DIMENSIONS], Application.enterprise_id,
                   Application.disbursed_amount.label("amount"),
                   (Application.granted_rate * Application.disbursed_amount).label("rate_x"),
                   (first.c.first_loan_on == Application.disbursed_on).label("first_time"))
            .select_from(Application)
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Institution, Institution.id == Application.institution_id)
            .join(Product, Product.id == Application.product_id)
            .join(first, first.c.enterprise_id == Application.enterprise_id)
            .where(Application.status.in_(DISBURSED_STATUSES), p.dates(Application.disbursed_on)))
    df = _frame(stmt)
    df["rate_x"] = pd.to_numeric(df["rate_x"]).fillna(0).astype(float)  # a 3-decimal average: float is exact enough
    df["first_time"] = df["first_time"].astype(bool)
    return df


def _summaries(d: pd.DataFrame, by: str) -> dict:
    """{key of column `by`: its loans, amount, firms, first-time firms and weighted rate}, each measure one
    vectorised pass over the groups (a summary built group by group cost 1 ms a group)."""
    g = d.groupby(by)
    loans, amount, firms, rate_x = g.size(), g["amount"].sum(), g["enterprise_id"].nunique(), g["rate_x"].sum()
    first = d.loc[d["first_time"]].groupby(by)["enterprise_id"].nunique()
    return {key: {"loans": int(loans[key]), "amount": int(amount[key]), "firms": int(firms[key]),
                  "first_time_firms": int(first.get(key, 0)),
                  "avg_rate": half_up(rate_x[key] / amount[key], 3) if amount[key] else None}
            for key in loans.index}


def by_dimension(p: Period, dimension: str, frame: pd.DataFrame | None = None) -> Table:
    """Loans disbursed in the period grouped by one dimension: count, amount, firms, first-time, rate."""
    title, labels = DIMENSIONS[dimension]
    d = disbursed_frame(p) if frame is None else frame
    rows = sorted(({"label": labels.get(key, key) if labels else key, **summary}
                   for key, summary in _summaries(d, dimension).items()), key=lambda r: -r["amount"])
    if rows:
        rows.append({"label": "合计", **_summaries(d.assign(total=0), "total")[0]})
    return Table(f"按{title}", [Column("label", title), Column("loans", "放款笔数", "int"),
                                Column("amount", "放款金额（万元）", "wan"), Column("firms", "获贷企业数", "int"),
                                Column("first_time_firms", "首贷户数", "int"),
                                Column("avg_rate", "加权平均年利率（%）", "percent")], rows,
                 notes=[f"统计期：{p.label}；首贷户：在本平台的首笔放款落在本期的企业"])


def _seconds(later, earlier):
    """SQL: seconds between two timestamps (PostgreSQL or SQLite)."""
    if db.engine.dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400


def decisions(p: Period) -> dict:
    """Approval rate and days from submission to decision, over applications decided in the period (one SQL
    aggregate)."""
    granted = func.count(case((Application.status.in_(BANK_GRANTED_STATUSES), Application.id)))
    r = db.session.execute(select(func.count(Application.id), granted,
                                  func.avg(_seconds(Application.decided_at, Application.submitted_at)))
                           .where(Application.status.in_(DECIDED_STATUSES), Application.decided_at.is_not(None),
                                  p.instants(Application.decided_at))).one()
    decided, granted_n, seconds = int(r[0]), int(r[1]), r[2]
    if not decided:
        return {"decided": 0, "granted": 0, "rejected": 0, "approval_rate": None, "avg_days_to_decision": None}
    return {"decided": decided, "granted": granted_n, "rejected": decided - granted_n,
            "approval_rate": granted_n / decided, "avg_days_to_decision": half_up(Decimal(str(seconds)) / 86400, 1)}


def _count(*conditions) -> int:
    return int(db.session.scalar(select(func.count(Application.id)).where(*conditions)) or 0)


def funnel(p: Period) -> Table:
    """需求 → 匹配 → 申请 → 授信 → 放款 for the period (SQL counts; the matcher only for open needs with no
    application)."""
    from . import matching

    created = p.instants(FinancingNeed.created_at)
    applied = exists().where(Application.need_id == FinancingNeed.id)
    published = db.session.scalar(select(func.count(FinancingNeed.id)).where(created)) or 0
    # Matched: the need led to an application, or — still open, no application — fits at least one product today.
    matched = db.session.scalar(select(func.count(FinancingNeed.id)).where(created, applied)) or 0
    open_unapplied = and_(created, ~applied, FinancingNeed.status == "open")
    if db.session.scalar(select(FinancingNeed.id).where(open_unapplied).limit(1)) is not None:
        waiting = matching.load_needs(where=open_unapplied)
        ok, _ = matching.eligible(waiting, matching.load_products())
        matched += int(ok.any(axis=1).sum())
    steps = [("发布融资需求", published), ("匹配到产品", matched),
             ("提交申请", _count(p.instants(Application.submitted_at))),
             ("获得授信", _count(Application.status.in_(GRANTED_STATUSES), p.instants(Application.decided_at))),
             ("完成放款", _count(Application.status.in_(DISBURSED_STATUSES), p.dates(Application.disbursed_on)))]
    return Table("融资对接漏斗", [Column("step", "环节"), Column("count", "数量", "int")],
                 [{"step": s, "count": c} for s, c in steps], notes=[f"统计期：{p.label}"])


def late_decisions(p: Period) -> Table:
    """超期未决 per institution, as the period's end saw it (from the dated steps, not today's status): decided in
    the period after the deadline, or accepted by the end, undecided at the end (decided later or never, not
    withdrawn by then) with the deadline passed. Pandas over one query of just those candidates."""
    end_instant = p.end_instant
    # 撤回 is final, so a withdrawn row's last change (updated_at) is its withdrawal.
    withdrawn_at = case((Application.status == "withdrawn", Application.updated_at))
    df = _frame(select(Institution.name.label("institution"), Application.id, Application.accepted_at,
                       Application.decided_at, Application.decision_due, withdrawn_at.label("withdrawn_at"))
                .join(Institution, Institution.id == Application.institution_id)
                .where(Application.decision_due.is_not(None), Application.decision_due <= p.last_day,
                       # decided in the period, and not before the deadline day began (a superset of "late")
                       or_(and_(p.instants(Application.decided_at), Application.decided_at >= Application.decision_due),
                           and_(Application.accepted_at < end_instant,
                                or_(Application.decided_at.is_(None), Application.decided_at >= end_instant)))))
    if df.empty:
        rows = []
    else:
        for col in ("accepted_at", "decided_at", "withdrawn_at"):
            df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert(SHANGHAI)
        due = pd.to_datetime(df["decision_due"])
        end = pd.Timestamp(end_instant).tz_convert(SHANGHAI)
        decided_day = df["decided_at"].dt.tz_localize(None).dt.normalize()
        decided_late = (df["decided_at"] < end).fillna(False) & (decided_day > due)
        open_at_end = ~(df["decided_at"] < end).fillna(False) & ~(df["withdrawn_at"] < end).fillna(False)
        late = decided_late | (open_at_end & (due < pd.Timestamp(p.last_day)))
        rows = (df.loc[late].groupby("institution").agg(late=("id", "count")).reset_index()
                .sort_values("late", ascending=False).to_dict("records"))
    return Table("超期未决", [Column("institution", "金融机构"), Column("late", "超期件数", "int")], rows,
                 notes=[f"截至 {p.last_day:%Y-%m-%d}（按当时状态）；答复时限为受理后{applications.decision_working_days()}个工作日"])


def analysis(period: Period) -> tuple[dict, datetime]:
    """(every table of 统计分析 keyed for its export link, plus "decisions"; when they were computed): what the
    page, its exports and the report pack show — a closed period's from the figure cache (services/figure_cache),
    the open month's computed now."""
    return figure_cache.cached("analysis", period, lambda: _analysis(period))


def _analysis(period: Period) -> dict:
    loans = disbursed_frame(period)  # one query feeds every dimension
    tables = {dim: by_dimension(period, dim, loans) for dim in DIMENSIONS}
    tables["funnel"] = funnel(period)
    tables["late"] = late_decisions(period)
    tables["totals"] = running_totals(months_back(period.month, 24))
    tables["decisions"] = decisions(period)
    return tables


def running_totals(months: list[date]) -> Table:
    """The platform's running totals at each month end: 入驻企业, 入驻金融机构, 发布产品, 累计融资."""
    ends = [Period(m) for m in months]

    def at_each_end(aggregate, column, before_end) -> list:
        """One scan of the table: the aggregate of the rows before each month end (FILTER per month end)."""
        if not ends:
            return []
        return list(db.session.execute(select(*[aggregate(column).filter(before_end(p)) for p in ends])).one())

    values = {}
    for key, aggregate, column, before_end in (
            ("e", func.count, Enterprise.id, lambda p: Enterprise.registered_at < p.end_instant),
            ("i", func.count, Institution.id, lambda p: Institution.joined_at < p.end_instant),
            ("p", func.count, Product.id, lambda p: Product.created_at < p.end_instant),
            ("f", func.sum, Application.disbursed_amount, lambda p: Application.disbursed_on <= p.last_day)):
        values.update({f"{key}{i}": v for i, v in enumerate(at_each_end(aggregate, column, before_end))})
    rows = [{"month": m, "enterprises": int(values[f"e{i}"]), "institutions": int(values[f"i{i}"]),
             "products": int(values[f"p{i}"]), "financing": int(values[f"f{i}"] or 0)}
            for i, m in enumerate(months)]
    return Table("平台运行总量", [Column("month", "月份", "date"), Column("enterprises", "入驻企业（家）", "int"),
                                  Column("institutions", "入驻金融机构（家）", "int"),
                                  Column("products", "发布产品（个）", "int"),
                                  Column("financing", "累计融资（万元）", "wan")], rows)
