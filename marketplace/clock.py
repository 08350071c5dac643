"""The ONE clock and the one month arithmetic of the platform (no Flask, importable from models).

Stored instants are UTC-aware (`now()`); the days people see — deadlines, validity dates, report
months — are Shanghai days (`today()`, `local_date()`). Tests move time by replacing `_source`
(e.g. `monkeypatch.setattr(clock, "_source", lambda: FIXED)`): every timestamp default of the models,
every service and the working-day deadlines follow it.
"""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _source() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """The current instant, timezone-aware UTC (what is stored)."""
    return _source()


def today() -> date:
    """The calendar day in Shanghai: deadlines and validity dates are local days."""
    return local_date(now())


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


# ------------------------------------------------------------------------------------------------ months

def add_months(month: date, n: int) -> date:
    """The first day of the month n months after (n < 0: before) `month`'s month."""
    k = month.year * 12 + month.month - 1 + n
    return date(k // 12, k % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return add_months(month, 1) - timedelta(days=1)


def months_back(month: date, n: int) -> list[date]:
    """The n months ending with `month`, oldest first (first days)."""
    return [add_months(month, -k) for k in range(n - 1, -1, -1)]


def parse_month(value: str | None) -> date:
    """'2026-10' (or '2026-10-xx') → date(2026, 10, 1), between limits.FIRST_MONTH and LAST_MONTH (so that
    9999-12 or 0001-01 never reach the month arithmetic); ValueError with a Chinese message otherwise."""
    from .limits import FIRST_MONTH, LAST_MONTH

    message = f"月份应为“年-月”格式，介于 {FIRST_MONTH:%Y-%m} 与 {LAST_MONTH:%Y-%m} 之间，如 2026-10。"
    try:
        year, month = (int(x) for x in (value or "").strip().split("-")[:2])
        first = date(year, month, 1)
    except ValueError:
        raise ValueError(message) from None
    if not FIRST_MONTH <= first <= LAST_MONTH:
        raise ValueError(message)
    return first
