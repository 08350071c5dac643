"""marketplace/clock.py: the one clock (with its test seam) and the one month arithmetic."""
from datetime import UTC, date, datetime

from marketplace import clock
from marketplace.services import workdays


def test_month_arithmetic_across_years():
    assert clock.add_months(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert clock.add_months(date(2025, 12, 15), 1) == date(2026, 1, 1)
    assert clock.add_months(date(2026, 3, 1), -26) == date(2024, 1, 1)
    assert clock.month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert clock.months_back(date(2026, 2, 20), 3) == [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1)]


def test_the_seam_moves_every_clock(monkeypatch):
    # 2026-01-31 17:00 UTC is already 1 February in Shanghai.
    monkeypatch.setattr(clock, "_source", lambda: datetime(2026, 1, 31, 17, 0, tzinfo=UTC))
    assert clock.now() == datetime(2026, 1, 31, 17, 0, tzinfo=UTC)
    assert clock.today() == date(2026, 2, 1) == workdays.today()
