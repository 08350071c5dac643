"""Working days on the official calendar (法定节假日 and 调休 via chinese_calendar) and 'today' in Shanghai."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    """The calendar day in Shanghai: deadlines and validity dates are local days."""
    return datetime.now(SHANGHAI).date()


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def is_workday(day: date) -> bool:
    """Official working day: weekdays that are not public holidays, plus adjusted Saturdays/Sundays (调休)."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        # Years the calendar package does not know yet (the State Council publishes each year's
        # arrangement in November): count weekends only until the package is updated.
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (start itself is not counted): the deadline of an n-day term."""
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        n += is_workday(day)
    return n


def parse_month(value: str | None) -> date:
    """'2026-10' (or '2026-10-xx') → date(2026, 10, 1), between limits.FIRST_MONTH and LAST_MONTH;
    ValueError with a Chinese message for anything else."""
    from ..limits import FIRST_MONTH, LAST_MONTH

    message = f"月份应为“年-月”格式，介于 {FIRST_MONTH:%Y-%m} 与 {LAST_MONTH:%Y-%m} 之间，如 2026-10。"
    try:
        year, month = (int(x) for x in (value or "").strip().split("-")[:2])
        first = date(year, month, 1)
    except ValueError:
        raise ValueError(message) from None
    if not FIRST_MONTH <= first <= LAST_MONTH:
        raise ValueError(message)
    return first
