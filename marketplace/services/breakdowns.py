"""Breakdowns of platform lending for the commission: by district, institution, product kind, size and
industry; credit versus secured; first-time borrowers (首贷户); rates, approval, days to decision; the
funnel; late decisions. Each is pandas over one SQL query of the period's applications.
"""
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from .. import codes
from ..extensions import db
from ..models import Application, Enterprise, FinancingNeed, Institution, Product
from . import applications
from .exports import Column, Table
from .indicators import DISBURSED_STATUSES, Period
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


def applications_frame() -> pd.DataFrame:
    """Every application with its firm, product and institution attributes (one query)."""
    stmt = (select(Application.id, Application.enterprise_id, Application.need_id, Application.status,
                   Application.amount,
                   Application.submitted_at, Application.accepted_at, Application.decided_at,
                   Application.decision_due, Application.granted_amount, Application.granted_rate,
                   Application.disbursed_amount, Application.disbursed_on,
                   Enterprise.region_code.label("region"), Enterprise.size, Enterprise.industry,
                   Institution.name.label("institution"), Product.kind.label("product_kind"))
            .join(Enterprise, Enterprise.id == Application.enterprise_id)
            .join(Institution, Institution.id == Application.institution_id)
            .join(Product, Product.id == Application.product_id))
    df = _frame(stmt)
    df["credit"] = np.where(df["product_kind"] == "credit", "credit", "secured")
    for col in ("submitted_at", "accepted_at", "decided_at"):
        df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert(SHANGHAI)
    df["disbursed_on"] = pd.to_datetime(df["disbursed_on"])
    df["decision_due"] = pd.to_datetime(df["decision_due"])
    first = df.loc[df["disbursed_on"].notna()].groupby("enterprise_id")["disbursed_on"].min()
    df["first_loan_on"] = pd.to_datetime(df["enterprise_id"].map(first.to_dict()))
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
    df = applications_frame() if df is None else df
    d = disbursed_in(df, p).copy()
    d["first_time"] = d["first_loan_on"] == d["disbursed_on"]
    d["rate_x_amount"] = d["granted_rate"].astype(float) * d["disbursed_amount"]
    g = d.groupby(dimension).agg(loans=("id", "count"), amount=("disbursed_amount", "sum"),
                                 firms=("enterprise_id", "nunique"), rate_x=("rate_x_amount", "sum"))
    first = d.loc[d["first_time"]].groupby(dimension)["enterprise_id"].nunique()
    g["first_time_firms"] = first.reindex(g.index).fillna(0).astype(int)
    g["avg_rate"] = (g["rate_x"] / g["amount"]).round(3)
    g = g.drop(columns="rate_x").sort_values("amount", ascending=False).reset_index()
    g["label"] = g[dimension].map(lambda v: labels.get(v, v) if labels else v)
    rows = g.to_dict("records")
    if rows:
        rows.append({"label": "合计", "loans": int(g["loans"].sum()), "amount": int(g["amount"].sum()),
                     "firms": int(d["enterprise_id"].nunique()),
                     "first_time_firms": int(d.loc[d["first_time"], "enterprise_id"].nunique()),
                     "avg_rate": round(float(d["rate_x_amount"].sum() / d["disbursed_amount"].sum()), 3)})
    return Table(f"按{title}", [Column("label", title), Column("loans", "放款笔数", "int"),
                                Column("amount", "放款金额（万元）", "wan"), Column("firms", "获贷企业数", "int"),
                                Column("first_time_firms", "首贷户数", "int"),
                                Column("avg_rate", "加权平均年利率（%）", "percent")], rows,
                 notes=[f"统计期：{p.label}；首贷户：在本平台的首笔放款落在本期的企业"])


def decisions(p: Period, df: pd.DataFrame | None = None) -> dict:
    """Approval rate and days from submission to decision, over applications decided in the period."""
    df = applications_frame() if df is None else df
    d = df.loc[df["status"].isin(DECIDED_STATUSES) & df["decided_at"].notna() & _in(df["decided_at"], p)]
    granted = int(d["status"].isin(GRANTED_STATUSES).sum())
    days = (d["decided_at"] - d["submitted_at"]).dt.total_seconds() / 86400
    return {"decided": len(d), "granted": granted, "rejected": len(d) - granted,
            "approval_rate": granted / len(d) if len(d) else None,
            "avg_days_to_decision": round(float(days.mean()), 1) if len(d) else None}


def funnel(p: Period, df: pd.DataFrame | None = None) -> Table:
    """需求 → 匹配 → 申请 → 授信 → 放款 for the period."""
    from . import matching

    df = applications_frame() if df is None else df
    need_stmt = select(FinancingNeed.id, FinancingNeed.created_at)
    needs = _frame(need_stmt.where(p.instants(FinancingNeed.created_at)))
    # Matched: the need led to an application, or (still open) fits at least one product today.
    applied = set(needs["id"]) & set(df["need_id"].dropna().astype(int))
    fits: set = set()
    open_needs = matching.load_needs(need_ids=needs["id"].tolist()) if len(needs) else None
    if open_needs is not None and len(open_needs):
        ok, _ = matching.eligible(open_needs, matching.load_products())
        fits = set(open_needs["need_id"][ok.any(axis=1)])
    matched = len(applied | fits)
    steps = [("发布融资需求", len(needs)), ("匹配到产品", matched),
             ("提交申请", int(_in(df["submitted_at"], p).sum())),
             ("获得授信", int((df["status"].isin(GRANTED_STATUSES) & _in(df["decided_at"], p)).sum())),
             ("完成放款", len(disbursed_in(df, p)))]
    return Table("融资对接漏斗", [Column("step", "环节"), Column("count", "数量", "int")],
                 [{"step": s, "count": c} for s, c in steps], notes=[f"统计期：{p.label}"])


def late_decisions(p: Period, df: pd.DataFrame | None = None) -> Table:
    """Per institution: applications past their decision deadline at the period's end (decided late, or still
    undecided after the deadline)."""
    df = applications_frame() if df is None else df
    end = pd.Timestamp(p.last_day)
    decided_day = df["decided_at"].dt.tz_localize(None).dt.normalize()
    late = df["decision_due"].notna() & (
        (decided_day.notna() & (decided_day > df["decision_due"]) & (decided_day <= end))
        | (df["status"].eq("accepted") & (df["decision_due"] < end)))
    g = (df.loc[late].groupby("institution").agg(late=("id", "count")).reset_index()
         .sort_values("late", ascending=False))
    return Table("超期未决", [Column("institution", "金融机构"), Column("late", "超期件数", "int")],
                 g.to_dict("records"), notes=[f"截至 {p.last_day:%Y-%m-%d}；答复时限为受理后{applications.decision_working_days()}个工作日"])


def running_totals(months: list[date]) -> Table:
    """The platform's running totals at each month end: 入驻企业, 入驻金融机构, 发布产品, 累计融资."""
    rows = []
    for m in months:
        p = Period(m)
        rows.append({
            "month": m,
            "enterprises": db.session.scalar(select(func.count(Enterprise.id))
                                             .where(Enterprise.registered_at < p.end_instant)),
            "institutions": db.session.scalar(select(func.count(Institution.id))
                                              .where(Institution.joined_at < p.end_instant)),
            "products": db.session.scalar(select(func.count(Product.id)).where(Product.created_at < p.end_instant)),
            "financing": int(db.session.scalar(select(func.coalesce(func.sum(Application.disbursed_amount), 0))
                                               .where(Application.disbursed_on <= p.last_day)) or 0),
        })
    return Table("平台运行总量", [Column("month", "月份", "date"), Column("enterprises", "入驻企业（家）", "int"),
                                  Column("institutions", "入驻金融机构（家）", "int"),
                                  Column("products", "发布产品（个）", "int"),
                                  Column("financing", "累计融资（万元）", "wan")], rows)
