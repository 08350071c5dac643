"""Denominators staff enter for the indicators: city GDP (year or quarter) and registered enterprises (month).

Monthly convention for GDP (stated on the page too): a ratio for a month, a year-to-date span or the
cumulative total uses the annual GDP of the year it ends in — the yearly figure if entered, else the sum
of that year's four quarters if all four are entered; with neither, the previous year's annual GDP; with
none of these the ratio is not available (不可用), never zero.
"""
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..clock import now
from ..extensions import db
from ..models import CityFigure, User
from . import RuleViolation, audit

KINDS = {"gdp": "地区生产总值（GDP）", "registered_enterprises": "本地登记注册企业数"}
PERIOD_KINDS = {"gdp": ("year", "quarter"), "registered_enterprises": ("month",)}
MONTHLY_CONVENTION = ("GDP 口径：月度、年初至今及累计比值均除以该期末所在年度的全年 GDP（已录入年度数优先，否则为"
                      "四个季度之和）；当年尚无数据时使用上一年度 GDP；均无数据时显示“不可用”。")


def period_start(period_kind: str, year: int, part: int = 1) -> date:
    """First day of a year, quarter (part 1–4) or month (part 1–12)."""
    if period_kind == "year":
        return date(year, 1, 1)
    if period_kind == "quarter":
        if not 1 <= part <= 4:
            raise RuleViolation("季度应为1–4。", "part")
        return date(year, 3 * (part - 1) + 1, 1)
    if not 1 <= part <= 12:
        raise RuleViolation("月份应为1–12。", "part")
    return date(year, part, 1)


def set_figure(*, kind: str, period_kind: str, start: date, value: int, source: str, actor_id: int | None
               ) -> CityFigure:
    """Enter or correct a denominator; the old and new values go to the audit log in the same commit."""
    if kind not in KINDS:
        raise RuleViolation("未知的分母类型。", "kind")
    if period_kind not in PERIOD_KINDS[kind]:
        raise RuleViolation(f"{KINDS[kind]}只能按{'、'.join(PERIOD_KINDS[kind])}录入。", "period_kind")
    if value is None or value <= 0:
        raise RuleViolation("数值应大于0。", "value")
    figure = db.session.scalar(select(CityFigure).where(
        CityFigure.kind == kind, CityFigure.period_kind == period_kind, CityFigure.period_start == start))
    old = figure.value if figure else None
    if figure is None:
        figure = CityFigure(kind=kind, period_kind=period_kind, period_start=start)
        db.session.add(figure)
    figure.value, figure.source, figure.entered_by = value, (source or "").strip(), actor_id
    figure.entered_at = now()
    try:
        db.session.flush()
        audit.record(actor_id, "city_figure.set", figure, kind=kind, period_kind=period_kind, period_start=start,
                     old_value=old, new_value=value, source=figure.source)
        db.session.commit()
    except IntegrityError:  # a colleague entered the same period at the same moment: the unique key keeps one
        db.session.rollback()
        raise RuleViolation("该期数值刚刚已由他人录入，请刷新页面核对后再修改。", "value") from None
    return figure


def annual_gdp(year: int) -> tuple[int | None, str]:
    """GDP (yuan) used for ratios ending in `year`, and a Chinese note saying which figure it is."""
    for y in (year, year - 1):
        rows = db.session.execute(select(CityFigure.period_kind, CityFigure.period_start, CityFigure.value).where(
            CityFigure.kind == "gdp", CityFigure.period_start >= date(y, 1, 1),
            CityFigure.period_start < date(y + 1, 1, 1))).all()
        yearly = [r.value for r in rows if r.period_kind == "year"]
        quarters = {r.period_start.month: r.value for r in rows if r.period_kind == "quarter"}
        if yearly:
            return yearly[0], f"{y}年全年GDP"
        if len(quarters) == 4:
            return sum(quarters.values()), f"{y}年四个季度GDP之和"
    return None, "未录入GDP"


def registered_enterprises(month: date) -> int | None:
    """Enterprises registered in the city in that month, as entered by staff (None if not entered)."""
    return db.session.scalar(select(CityFigure.value).where(
        CityFigure.kind == "registered_enterprises", CityFigure.period_kind == "month",
        CityFigure.period_start == month.replace(day=1)))


def entered() -> list[dict]:
    """Every denominator entered: kind, period, value, source, who entered it and when (one query)."""
    rows = db.session.execute(
        select(CityFigure.kind, CityFigure.period_kind, CityFigure.period_start, CityFigure.value, CityFigure.source,
               User.display_name.label("entered_by"), CityFigure.entered_at)
        .outerjoin(User, User.id == CityFigure.entered_by)
        .order_by(CityFigure.kind, CityFigure.period_start.desc(), CityFigure.period_kind)).all()
    return [{**r._mapping, "entered_by": r.entered_by or "命令行"} for r in rows]
