"""The one-click monthly report pack (月度报送材料): one XLSX workbook for the city credit office."""
from datetime import date

import pandas as pd
from sqlalchemy import func, select

from .. import codes
from ..clock import months_back, now
from ..extensions import db
from ..models import Application, Enterprise, ImportBatch, LoanRepayment, OffPlatformLoan
from . import breakdowns, catalogue, denominators, indicators
from .exports import Column, Table, to_xlsx
from .workdays import SHANGHAI

GROUPS = {
    "平台与融资规模": ("十二", "十三", "十四"),
    "信用信息": ("九", "十七", "二十", "二十四"),
    "异议处理": ("三十五", "三十六"),
}




def summary_rows(month: date) -> list[dict]:
    by_scope = {scope: {f.code: f for f in indicators.compute(month, scope)} for scope in indicators.SCOPES}
    rows = []
    for code in indicators.INDICATORS:
        f = by_scope["month"][code]
        row = {"code": f"（{code}）", "name": f.name, "numerator_label": f.numerator_label,
               "denominator_label": f.denominator_label, "note": f.note or "；".join(f.missing)}
        for scope, figs in by_scope.items():
            g = figs[code]
            row[f"{scope}_num"] = g.numerator
            row[f"{scope}_den"] = g.denominator
            row[f"{scope}_value"] = g.value if g.available else "不可用"
        rows.append(row)
    return rows


def summary_table(month: date) -> Table:
    cols = [Column("code", "指标"), Column("name", "名称"), Column("numerator_label", "分子口径"),
            Column("denominator_label", "分母口径")]
    for scope, label in indicators.SCOPES.items():
        cols += [Column(f"{scope}_num", f"{label}分子", "decimal"), Column(f"{scope}_den", f"{label}分母", "decimal"),
                 Column(f"{scope}_value", f"{label}比值", "ratio")]
    cols.append(Column("note", "说明"))
    return Table("指标汇总", cols, summary_rows(month), notes=[f"统计期：{month:%Y年%m月}", denominators.MONTHLY_CONVENTION])


def balance_table(month: date, n: int = 24) -> Table:
    """Month-end 贷款余额 and cumulative disbursement for n months: pandas over one query of loans and one
    of repayments (the same rule as indicators.loan_balance, which a test holds them to)."""
    months = months_back(month, n)
    ends = pd.to_datetime([indicators.Period(m).last_day for m in months])
    loans = pd.DataFrame(db.session.execute(
        select(Application.id, Application.disbursed_amount, Application.disbursed_on, Application.status,
               Application.closed_on).where(Application.disbursed_on.is_not(None))).all(),
        columns=["id", "amount", "on", "status", "closed_on"])
    repaid = pd.DataFrame(db.session.execute(select(LoanRepayment.application_id, LoanRepayment.amount,
                                                    LoanRepayment.paid_on)).all(), columns=["id", "amount", "on"])
    loans["on"], loans["closed_on"] = pd.to_datetime(loans["on"]), pd.to_datetime(loans["closed_on"])
    repaid["on"] = pd.to_datetime(repaid["on"])
    written_off_on = loans.loc[loans["status"] == "defaulted"].set_index("id")["closed_on"]
    repaid["written_off_on"] = pd.to_datetime(repaid["id"].map(written_off_on.to_dict()))
    rows = []
    for m, end in zip(months, ends, strict=True):
        live = ~((loans["status"] == "defaulted") & (loans["closed_on"] <= end))
        live_repaid = ~(repaid["written_off_on"] <= end)
        disbursed = int(loans.loc[(loans["on"] <= end) & live, "amount"].sum())
        back = int(repaid.loc[(repaid["on"] <= end) & live_repaid, "amount"].sum())
        rows.append({"month": m, "balance": disbursed - back,
                     "cumulative": int(loans.loc[loans["on"] <= end, "amount"].sum())})
    return Table("贷款余额与累计放款", [Column("month", "月份", "date"), Column("balance", "月末贷款余额（万元）", "wan"),
                                       Column("cumulative", "累计放款（万元）", "wan")], rows)


def monthly_flows(month: date, n: int = 24) -> Table:
    """Per month: SME loans disbursed through the platform (十三's numerator) beside the loans banks reported
    as made outside it (十四's numerator) — never added together. Pandas over one query of each."""
    months = months_back(month, n)
    start = months[0]
    platform = pd.DataFrame(db.session.execute(
        select(Application.disbursed_on, Application.disbursed_amount)
        .join(Enterprise, Enterprise.id == Application.enterprise_id)
        .where(Application.status.in_(indicators.DISBURSED_STATUSES), Application.disbursed_on >= start,
               Enterprise.size.in_(codes.SME_SIZES))).all(), columns=["on", "amount"])
    outside = pd.DataFrame(db.session.execute(
        select(OffPlatformLoan.month, OffPlatformLoan.amount).where(OffPlatformLoan.month >= start)).all(),
        columns=["on", "amount"])

    def by_month(df: pd.DataFrame) -> dict:
        if df.empty:
            return {}
        return df.groupby(pd.to_datetime(df["on"]).dt.to_period("M"))["amount"].sum().to_dict()

    p, o = by_month(platform), by_month(outside)
    rows = [{"month": m, "platform": int(p.get(pd.Period(m, "M"), 0)), "outside": int(o.get(pd.Period(m, "M"), 0))}
            for m in months]
    return Table("月度信易贷放款", [Column("month", "月份", "date"),
                                    Column("platform", "平台中小微企业放款（万元，十三）", "wan"),
                                    Column("outside", "平台外信易贷放款（万元，十四）", "wan")], rows)


def last_imports() -> list[dict]:
    rows = db.session.execute(select(ImportBatch.source, func.max(ImportBatch.created_at).label("at"),
                                     func.max(ImportBatch.period_to).label("period_to"))
                              .group_by(ImportBatch.source).order_by(ImportBatch.source)).all()
    return [dict(r._mapping) for r in rows]


def cover_table(month: date) -> Table:
    totals = catalogue.platform_totals()
    lines = [
        {"item": "统计期", "value": f"{month:%Y年%m月}"},
        {"item": "生成时间", "value": now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")},
        {"item": "入驻企业（家）", "value": totals["enterprises"]},
        {"item": "入驻金融机构（家）", "value": totals["institutions"]},
        {"item": "发布产品（个）", "value": totals["products"]},
        {"item": "累计融资（万元）", "value": float(totals["financing"]) / 10000},
    ]
    for imp in last_imports():
        period = f"，数据截至 {imp['period_to']:%Y-%m}" if imp["period_to"] else ""
        lines.append({"item": f"数据来源 {imp['source']} 最近导入",
                      "value": imp["at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + period})
    if not last_imports():
        lines.append({"item": "部门数据", "value": "尚未导入"})
    return Table("封面", [Column("item", "项目"), Column("value", "内容")], lines,
                 notes=["济南市信易贷平台 月度信易贷指标报送材料"])


def monthly_pack(month: date) -> bytes:
    """Cover, summary, one sheet per indicator with the records behind it, balances, then the breakdowns."""
    period = indicators.Period(month)
    tables = [cover_table(month), summary_table(month)]
    for group, codes_ in GROUPS.items():
        for code in codes_:
            table = indicators.records(code, period)
            table.title = f"{group[:4]}-{code}"
            tables.append(table)
    tables += [balance_table(month), monthly_flows(month)]
    df = breakdowns.applications_frame()
    tables += [breakdowns.by_dimension(period, dim, df) for dim in breakdowns.DIMENSIONS]
    tables += [breakdowns.funnel(period, df), breakdowns.late_decisions(period, df),
               breakdowns.running_totals(months_back(month, 24))]
    return to_xlsx(tables)
