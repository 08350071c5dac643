"""Working days on the official calendar (法定节假日 and 调休 via chinese_calendar) and 'today' in Shanghai."""
from datetime import date, timedelta

import chinese_calendar

from ..clock import SHANGHAI, local_date, parse_month, today  # noqa: F401 — the one clock, re-exported here


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

