"""The one-click monthly report pack (月度报送材料): one XLSX workbook for the city credit office."""
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select

from ..clock import months_back, now
from ..extensions import db
from ..models import Application, ImportBatch, LoanRepayment
from . import breakdowns, denominators, figure_cache, indicators, ingest
from .exports import Column, Table, to_xlsx
from .workdays import SHANGHAI

GROUPS = {
    "平台与融资规模": ("十二", "十三", "十四"),
    "信用信息": ("九", "十七", "二十", "二十四"),
    "异议处理": ("三十五", "三十六"),
}
def _kinds(f: indicators.Figure) -> dict:
    """What the numerator and denominator count: yuan (the pack keeps yuan, named in the label), or a count
    (户、件、条、份、天); ratios to GDP get enough digits to be read."""
    amount = "yuan" if f.money else "int"
    value = "days" if f.unit == "days" else ("small_ratio" if f.money else "ratio")
    kinds = {}
    for scope in indicators.SCOPES:
        kinds |= {f"{scope}_num": amount, f"{scope}_den": amount, f"{scope}_value": value}
    return kinds


def figures(month: date, scope: str = "month") -> tuple[list[indicators.Figure], datetime]:
    """(the indicators of the period, when they were computed): what the dashboard and the pack show — a closed
    period's from the figure cache (services/figure_cache), the open month's computed now."""
    return figure_cache.cached("figures", indicators.Period(month, scope), lambda: indicators.compute(month, scope))


def balances_and_flows(month: date) -> tuple[tuple[Table, Table], datetime]:
    """((balance_table, monthly_flows) of the 24 months ending with `month`, when they were computed): cached like
    figures()."""
    return figure_cache.cached("flows", indicators.Period(month), lambda: (balance_table(month), monthly_flows(month)))


def summary_rows(month: date) -> list[dict]:
    by_scope = {scope: {f.code: f for f in figures(month, scope)[0]} for scope in indicators.SCOPES}
    rows = []
    for code, d in indicators.DEFINITIONS.items():
        f = by_scope["month"][code]
        notes = [f.note, f.secondary, "；".join(f.missing)]
        row = {"code": f"（{code}）", "name": f.name, "numerator_label": f.numerator_label,
               "denominator_label": f.denominator_label, "scheme": d.scheme, "convention": d.convention,
               "note": "；".join(n for n in notes if n), "_kinds": _kinds(f)}
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
        cols += [Column(f"{scope}_num", f"{label}分子", "int"), Column(f"{scope}_den", f"{label}分母", "int"),
                 Column(f"{scope}_value", f"{label}比值（三十六为天）", "ratio")]
    cols += [Column("note", "说明"), Column("scheme", "监测方案原文"), Column("convention", "本平台口径")]
    return Table("指标汇总", cols, summary_rows(month),
                 notes=[f"统计期：{month:%Y年%m月}（当月、年初至今、累计，均截至月末）", denominators.MONTHLY_CONVENTION,
                        "比值保留四舍五入；与GDP之比显示四位小数的百分数；（三十六）为平均自然日数"])


def denominators_table(month: date) -> Table:
    """The denominators staff entered, with who entered each, when and from which source; the ones this
    period's figures use are marked."""
    gdp_used = denominators.annual_gdp(month.year)[1]
    rows = []
    for r in denominators.entered():
        used = (r["kind"] == "registered_enterprises" and r["period_start"] == month.replace(day=1)) or \
            (r["kind"] == "gdp" and gdp_used.startswith(f"{r['period_start'].year}年") and
             (r["period_kind"] == "year") == gdp_used.endswith("全年GDP"))
        rows.append({**r, "kind": denominators.KINDS[r["kind"]],
                     "period_kind": {"year": "年度", "quarter": "季度", "month": "月度"}[r["period_kind"]],
                     "used": "是" if used else "", "_kinds": {"value": "yuan" if r["kind"] == "gdp" else "int"}})
    return Table("分母录入记录", [Column("kind", "分母"), Column("period_kind", "期间类型"),
                                  Column("period_start", "期间起始", "date"), Column("value", "数值（GDP为元，企业为户）", "int"),
                                  Column("source", "数据来源"), Column("entered_by", "录入人"),
                                  Column("entered_at", "录入时间", "datetime"), Column("used", "本期使用")], rows,
                 notes=[f"统计期：{month:%Y年%m月}", denominators.MONTHLY_CONVENTION])


def balance_table(month: date, n: int = 24) -> Table:
    """Month-end 贷款余额 and cumulative disbursement for n months: one pass over the loans and one over the
    repayments (a CASE sum per month end), on the same rule as indicators.loan_balance (a test holds them)."""
    months = months_back(month, n)
    ends = [indicators.Period(m).last_day for m in months]
    live = lambda end: or_(Application.written_off_on.is_(None), Application.written_off_on > end)  # noqa: E731
    loans = db.session.execute(select(
        *[func.coalesce(func.sum(case((and_(Application.disbursed_on <= end, live(end)),
                                      Application.disbursed_amount), else_=0)), 0) for end in ends],
        *[func.coalesce(func.sum(case((Application.disbursed_on <= end, Application.disbursed_amount), else_=0)), 0)
          for end in ends]).where(Application.disbursed_on.is_not(None))).one()
    back = db.session.execute(select(
        *[func.coalesce(func.sum(case((and_(LoanRepayment.paid_on <= end, live(end)), LoanRepayment.amount),
                                     else_=0)), 0) for end in ends])
        .join(Application, Application.id == LoanRepayment.application_id)).one()
    rows = [{"month": m, "balance": int(loans[i]) - int(back[i]), "cumulative": int(loans[n + i])}
            for i, m in enumerate(months)]
    return Table("贷款余额与累计放款", [Column("month", "月份", "date"), Column("balance", "月末贷款余额（万元）", "wan"),
                                       Column("cumulative", "累计放款（万元）", "wan")], rows,
                 notes=["贷款余额：已放款本金减已还本金；不良贷款在核销（核销日期）前仍计入余额"])


def monthly_flows(month: date, n: int = 24) -> Table:
    """Per month: SME loans disbursed through the platform (十三's numerator) beside the loans banks reported
    as made outside it (十四's numerator) — never added together. A CASE sum per month over each indicator's own
    record select (its readings: 信易贷 products, SME by the registry, reports not double-counted)."""
    months = months_back(month, n)
    span = indicators.Period(month, "cumulative")

    def per_month(code: str, column: str) -> list[int]:
        sq = indicators.DEFINITIONS[code].rows(span).order_by(None).subquery()
        on, amount = sq.c[column], sq.c["disbursed_amount" if code == "十三" else "amount"]
        sums = [func.coalesce(func.sum(case((and_(on >= m, on <= indicators.Period(m).last_day), amount),
                                           else_=0)), 0) for m in months]
        return [int(v) for v in db.session.execute(select(*sums).where(on >= months[0])).one()]

    platform, outside = per_month("十三", "disbursed_on"), per_month("十四", "month")
    rows = [{"month": m, "platform": platform[i], "outside": outside[i]} for i, m in enumerate(months)]
    return Table("月度信易贷放款", [Column("month", "月份", "date"),
                                    Column("platform", "平台中小微企业放款（万元，十三）", "wan"),
                                    Column("outside", "平台外信易贷放款（万元，十四）", "wan")], rows)


def last_imports(before) -> list[dict]:
    """Per source, the last import made before `before` (UTC) and the latest data period it had reached."""
    rows = db.session.execute(select(ImportBatch.source, func.max(ImportBatch.created_at).label("at"),
                                     func.max(ImportBatch.period_to).label("period_to"))
                              .where(ImportBatch.created_at < before)
                              .group_by(ImportBatch.source).order_by(ImportBatch.source)).all()
    return [dict(r._mapping) for r in rows]


def cover_table(month: date) -> Table:
    """The pack's cover: every figure as of the period's end (not today's totals)."""
    period = indicators.Period(month)
    totals = breakdowns.running_totals([month]).rows[0]
    lines = [
        {"item": "统计期", "value": f"{month:%Y年%m月}"},
        {"item": "生成时间", "value": now().astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")},
        {"item": f"入驻企业（家，截至{period.last_day:%Y-%m-%d}）", "value": totals["enterprises"], "_kinds": {"value": "int"}},
        {"item": f"入驻金融机构（家，截至{period.last_day:%Y-%m-%d}）", "value": totals["institutions"],
         "_kinds": {"value": "int"}},
        {"item": f"发布产品（个，截至{period.last_day:%Y-%m-%d}）", "value": totals["products"], "_kinds": {"value": "int"}},
        {"item": f"累计融资（万元，截至{period.last_day:%Y-%m-%d}）", "value": totals["financing"], "_kinds": {"value": "wan"}},
    ]
    imports = last_imports(period.end_instant + timedelta(days=25))  # what was known by the 25th reporting day
    for imp in imports:
        label = ingest.SOURCES[imp["source"]].label if imp["source"] in ingest.SOURCES else "其他数据"
        reached = f"，数据截至 {imp['period_to']:%Y年%m月}" if imp["period_to"] else ""
        lines.append({"item": f"数据来源：{label}（最近一次导入）",
                      "value": imp["at"].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") + reached})
    if not imports:
        lines.append({"item": "部门数据", "value": "尚未导入"})
    return Table("封面", [Column("item", "项目"), Column("value", "内容")], lines,
                 notes=["济南市信易贷平台 月度信易贷指标报送材料"])


def monthly_pack(month: date) -> bytes:
    """Cover, summary, denominators, the records behind each indicator for the month, the year to date and
    the cumulative total, balances, then the breakdowns — every figure as of the period."""
    tables = [cover_table(month), summary_table(month), denominators_table(month)]
    for codes_ in GROUPS.values():
        for code in codes_:
            for scope, label in indicators.SCOPES.items():
                table = indicators.records(code, indicators.Period(month, scope))
                table.title = f"{code}·{label}·{indicators.DEFINITIONS[code].name}"
                tables.append(table)
    tables += list(balances_and_flows(month)[0])
    analysis = breakdowns.analysis(indicators.Period(month))[0]
    analysis.pop("decisions")
    tables += analysis.values()  # by each dimension, the funnel, late decisions, the running totals
    return to_xlsx(tables)
