"""Breakdowns of platform lending for the commission: by district, institution, product kind, size and
industry; credit versus secured; first-time borrowers (首贷户); rates, approval, days to decision; the
funnel; late decisions. Each is pandas over one SQL query of the applications that touch the period (the
page runs that query once and hands the frame to every table); no parameter list grows with the data.
"""
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, exists, func, or_, select

from .. import codes
from ..extensions import db
from ..models import Application, Enterprise, FinancingNeed, Institution, Product
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
DECIDED_STATUSES = ("granted", "rejected") + DISBURSED_STATUSES
GRANTED_STATUSES = ("granted",) + DISBURSED_STATUSES


def _frame(stmt) -> pd.DataFrame:
    return pd.DataFrame(db.session.execute(stmt).all(), columns=list(stmt.selected_columns.keys()))


def applications_frame(p: Period | None = None) -> pd.DataFrame:
    """The applications that touch period `p` (submitted, decided or disbursed in it, or undecided at its start;
    every application when `p` is None) with firm, product and institution attributes, the firm's first
    platform loan date and the withdrawal time — one query."""
    first = (select(Application.enterprise_id, func.min(Application.disbursed_on).label("first_loan_on"))
             .where(Application.disbursed_on.is_not(None)).group_by(Application.enterprise_id).subquery())
    stmt = (select(Application.id, Application.enterprise_id, Application.need_id, Application.status,
                   Application.amount,
                   Application.submitted_at, Application.accepted_at, Application.decided_at,
                   Application.decision_due, Application.granted_amount, Application.granted_rate,
                   Application.disbursed_amount, Application.disbursed_on,
                   Enterprise.region_code.label("region"), Enterprise.size, Enterprise.industry,
                   Institution.name.label("institution"), Product.kind.label("product_kind"),
                   first.c.first_loan_on,
                   # 撤回 is final: the row's last change is the withdrawal
                   case((Application.status == "withdrawn", Application.updated_at)).label("withdrawn_at"))
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Institution, Institution.id == Application.institution_id)
            .join(Product, Product.id == Application.product_id)
            .outerjoin(first, first.c.enterprise_id == Application.enterprise_id))
    if p is not None:
        undecided_at_start = or_(Application.decided_at.is_(None), Application.decided_at >= p.start_instant) \
            if p.start_instant is not None else True
        stmt = stmt.where(or_(p.instants(Application.submitted_at), p.instants(Application.decided_at),
                              p.dates(Application.disbursed_on),
                              and_(Application.submitted_at < p.end_instant, undecided_at_start)))
    df = _frame(stmt)
    df["credit"] = np.where(df["product_kind"] == "credit", "credit", "secured")
    for col in ("submitted_at", "accepted_at", "decided_at", "withdrawn_at"):
        df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert(SHANGHAI)
    for col in ("disbursed_on", "decision_due", "first_loan_on"):
        df[col] = pd.to_datetime(df[col])
    return df


def _in(series: pd.Series, p: Period) -> pd.Series:
    s = series.dt.tz_localize(None) if getattr(series.dt, "tz", None) is not None else series
    end = pd.Timestamp(p.last_day) + pd.Timedelta(days=1)
    cond = s < end
    if p.first_day:
        cond &= s >= pd.Timestamp(p.first_day)
    return cond.fillna(False)


def disbursed_in(df: pd.DataFrame, p: Period) -> pd.DataFrame:
    return df.loc[df["status"].isin(DISBURSED_STATUSES) & _in(df["disbursed_on"], p)]


def by_dimension(p: Period, dimension: str, df: pd.DataFrame | None = None) -> Table:
    """Loans disbursed in the period grouped by one dimension: count, amount, firms, first-time, rate."""
    title, labels = DIMENSIONS[dimension]
    df = applications_frame(p) if df is None else df
    d = disbursed_in(df, p).copy()
    d["first_time"] = d["first_loan_on"] == d["disbursed_on"]
    d["rate_x_amount"] = d["granted_rate"].astype(float) * d["disbursed_amount"]
    g = d.groupby(dimension).agg(loans=("id", "count"), amount=("disbursed_amount", "sum"),
                                 firms=("enterprise_id", "nunique"), rate_x=("rate_x_amount", "sum"))
    first = d.loc[d["first_time"]].groupby(dimension)["enterprise_id"].nunique()
    g["first_time_firms"] = first.reindex(g.index).fillna(0).astype(int)
    g["avg_rate"] = [half_up(v, 3) for v in g["rate_x"] / g["amount"]]
    g = g.drop(columns="rate_x").sort_values("amount", ascending=False).reset_index()
    g["label"] = g[dimension].map(lambda v: labels.get(v, v) if labels else v)
    rows = g.to_dict("records")
    if rows:
        rows.append({"label": "合计", "loans": int(g["loans"].sum()), "amount": int(g["amount"].sum()),
                     "firms": int(d["enterprise_id"].nunique()),
                     "first_time_firms": int(d.loc[d["first_time"], "enterprise_id"].nunique()),
                     "avg_rate": half_up(d["rate_x_amount"].sum() / d["disbursed_amount"].sum(), 3)})
    return Table(f"按{title}", [Column("label", title), Column("loans", "放款笔数", "int"),
                                Column("amount", "放款金额（万元）", "wan"), Column("firms", "获贷企业数", "int"),
                                Column("first_time_firms", "首贷户数", "int"),
                                Column("avg_rate", "加权平均年利率（%）", "percent")], rows,
                 notes=[f"统计期：{p.label}；首贷户：在本平台的首笔放款落在本期的企业"])


def decisions(p: Period, df: pd.DataFrame | None = None) -> dict:
    """Approval rate and days from submission to decision, over applications decided in the period."""
    df = applications_frame(p) if df is None else df
    d = df.loc[df["status"].isin(DECIDED_STATUSES) & df["decided_at"].notna() & _in(df["decided_at"], p)]
    granted = int(d["status"].isin(GRANTED_STATUSES).sum())
    days = (d["decided_at"] - d["submitted_at"]).dt.total_seconds() / 86400
    return {"decided": len(d), "granted": granted, "rejected": len(d) - granted,
            "approval_rate": granted / len(d) if len(d) else None,
            "avg_days_to_decision": half_up(days.mean(), 1) if len(d) else None}


def funnel(p: Period, df: pd.DataFrame | None = None) -> Table:
    """需求 → 匹配 → 申请 → 授信 → 放款 for the period."""
    from . import matching

    df = applications_frame(p) if df is None else df
    created = p.instants(FinancingNeed.created_at)
    applied = exists().where(Application.need_id == FinancingNeed.id)
    published = db.session.scalar(select(func.count(FinancingNeed.id)).where(created)) or 0
    # Matched: the need led to an application (SQL count), or — still open, no application — fits at least
    # one product today (the matcher over those needs only).
    matched = db.session.scalar(select(func.count(FinancingNeed.id)).where(created, applied)) or 0
    open_unapplied = and_(created, ~applied, FinancingNeed.status == "open")
    has_waiting = db.session.scalar(select(FinancingNeed.id).where(open_unapplied).limit(1)) is not None
    waiting = matching.load_needs(where=open_unapplied) if has_waiting else []
    if len(waiting):
        ok, _ = matching.eligible(waiting, matching.load_products())
        matched += int(ok.any(axis=1).sum())
    steps = [("发布融资需求", published), ("匹配到产品", matched),
             ("提交申请", int(_in(df["submitted_at"], p).sum())),
             ("获得授信", int((df["status"].isin(GRANTED_STATUSES) & _in(df["decided_at"], p)).sum())),
             ("完成放款", len(disbursed_in(df, p)))]
    return Table("融资对接漏斗", [Column("step", "环节"), Column("count", "数量", "int")],
                 [{"step": s, "count": c} for s, c in steps], notes=[f"统计期：{p.label}"])


def late_decisions(p: Period, df: pd.DataFrame | None = None) -> Table:
    """超期未决 per institution, as the period's end saw it (from the dated steps, not today's status): decided in
    the period after the deadline, or accepted by the end, undecided at the end (decided later or never, not
    withdrawn by then) with the deadline passed."""
    df = applications_frame(p) if df is None else df
    end = pd.Timestamp(p.last_day)
    end_instant = pd.Timestamp(p.end_instant).tz_convert(SHANGHAI)
    decided_day = df["decided_at"].dt.tz_localize(None).dt.normalize()
    decided_late = decided_day.notna() & (decided_day > df["decision_due"]) & _in(df["decided_at"], p)
    open_at_end = (df["accepted_at"].notna() & (df["accepted_at"] < end_instant)
                   & ~(df["decided_at"] < end_instant).fillna(False)
                   & ~(df["withdrawn_at"] < end_instant).fillna(False))
    late = df["decision_due"].notna() & (decided_late | (open_at_end & (df["decision_due"] < end)))
    g = (df.loc[late].groupby("institution").agg(late=("id", "count")).reset_index()
         .sort_values("late", ascending=False))
    return Table("超期未决", [Column("institution", "金融机构"), Column("late", "超期件数", "int")],
                 g.to_dict("records"), notes=[f"截至 {p.last_day:%Y-%m-%d}（按当时状态）；答复时限为受理后10个工作日"])


def running_totals(months: list[date]) -> Table:
    """The platform's running totals at each month end: 入驻企业, 入驻金融机构, 发布产品, 累计融资."""
    ends = [Period(m) for m in months]
    columns = []
    for i, p in enumerate(ends):  # one statement: four scalar subqueries per month end (bounded by the months)
        columns += [
            select(func.count(Enterprise.id)).where(Enterprise.registered_at < p.end_instant)
            .scalar_subquery().label(f"e{i}"),
            select(func.count(Institution.id)).where(Institution.joined_at < p.end_instant)
            .scalar_subquery().label(f"i{i}"),
            select(func.count(Product.id)).where(Product.created_at < p.end_instant).scalar_subquery().label(f"p{i}"),
            select(func.coalesce(func.sum(Application.disbursed_amount), 0))
            .where(Application.disbursed_on <= p.last_day).scalar_subquery().label(f"f{i}")]
    values = db.session.execute(select(*columns)).one()._mapping if columns else {}
    rows = [{"month": m, "enterprises": int(values[f"e{i}"]), "institutions": int(values[f"i{i}"]),
             "products": int(values[f"p{i}"]), "financing": int(values[f"f{i}"] or 0)}
            for i, m in enumerate(months)]
    return Table("平台运行总量", [Column("month", "月份", "date"), Column("enterprises", "入驻企业（家）", "int"),
                                  Column("institutions", "入驻金融机构（家）", "int"),
                                  Column("products", "发布产品（个）", "int"),
                                  Column("financing", "累计融资（万元）", "wan")], rows)
