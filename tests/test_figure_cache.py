"""The closed-period figure cache of 信易贷指标 and 统计分析 (services/figure_cache): a closed month is computed once
and kept for every worker; any write that can change it — whichever path writes — drops it; other writes don't."""
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from marketplace import clock
from marketplace.extensions import db
from marketplace.models import (
    AccessLog,
    Application,
    Enterprise,
    FigureCacheEntry,
    FigureGeneration,
    FigureInvalidation,
    FinancingNeed,
    LoanRepayment,
    Notification,
    Product,
)
from marketplace.services import access_log, bulk, figure_cache, indicators, needs, reports

from .conftest import FormClient
from .test_indicators import city  # noqa: F401  (the shared hand-built city: October 2026)
from .test_statistics_pages import _login_staff

OCTOBER = "month=2026-10"


@pytest.fixture(autouse=True)
def late_november(monkeypatch):
    """Today is 20 November 2026 in Shanghai: October is closed, November open."""
    monkeypatch.setattr(clock, "_source", lambda: datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


def _entries(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(FigureCacheEntry.key, FigureCacheEntry.month, FigureCacheEntry.scope,
                                         FigureCacheEntry.computed_at)).all()
        return {(r.key, r.month, r.scope): r.computed_at for r in rows}


def _generation(app) -> int:
    with app.app_context():
        return db.session.scalar(select(FigureGeneration.generation).where(FigureGeneration.id == 1)) or 0


def _last_invalidation(app):
    with app.app_context():
        return db.session.scalar(select(FigureInvalidation.dirty_from)
                                 .order_by(FigureInvalidation.generation.desc()).limit(1))


def _numerator_13(html: str) -> str:
    cell = re.search(r"（十三）</td>.*?<td class=\"text-end\">(.*?)</td>", html, re.S).group(1)
    return re.sub(r"<[^>]+>|\s", "", cell)


def _computed_at(html: str) -> str:
    return re.search(r"computed-at\">(.*?)</p>", html, re.S).group(1)


def _add_loan(app, amount: int, on: date) -> None:
    with app.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "甲"))
        product = db.session.scalar(select(Product))
        db.session.add(Application(enterprise_id=firm.id, product_id=product.id, institution_id=product.institution_id,
                                   amount=amount, term_months=12, status="disbursed", granted_amount=amount,
                                   granted_rate=Decimal("4.000"), disbursed_amount=amount, disbursed_on=on))
        db.session.commit()


def _size_total(client) -> float:
    ws = load_workbook(io.BytesIO(client.get(f"/commission/statistics/size.xlsx?{OCTOBER}").data)).active
    return float([r for r in ws.iter_rows(min_row=3, values_only=True)][-1][2])


def _pack_13(client) -> int:
    ws = load_workbook(io.BytesIO(client.get(f"/commission/indicators/report.xlsx?{OCTOBER}").data))["指标汇总"]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "（十三）")
    return int(row[4])  # 当月分子, yuan


def test_every_table_is_classified_as_an_input_or_not(app):
    """A new model must be placed in INPUTS or NOT_INPUTS (with its reason) before the cache can be trusted."""
    tables = set(db.metadata.tables)
    assert not set(figure_cache.INPUTS) & set(figure_cache.NOT_INPUTS)
    unclassified = tables - set(figure_cache.INPUTS) - set(figure_cache.NOT_INPUTS)
    assert not unclassified, f"classify these tables in services/figure_cache.py: {sorted(unclassified)}"
    for name, anchors in figure_cache.INPUTS.items():
        assert name in tables and all(a in db.metadata.tables[name].c for a in anchors), name
    # every column of applications has its rule (unread, its own date, read with a date, or wherever it counted)
    ruled = (set(figure_cache.INPUTS["applications"]) | figure_cache._APPLICATION_UNREAD
             | set(figure_cache._APPLICATION_DATED_BY) | figure_cache._APPLICATION_EVERYWHERE)
    assert set(db.metadata.tables["applications"].c.keys()) <= ruled


def test_a_backdated_disbursement_changes_the_cached_page_and_exports(client, city):  # noqa: F811
    _login_staff(client, city)
    html = client.get(f"/commission/indicators?{OCTOBER}").get_data(as_text=True)
    assert _numerator_13(html) == "100"  # 甲's 1,000,000 yuan in October (万元)
    assert "数字计算于 2026-11-20 10:00:00（北京时间）" in html
    assert _size_total(client) == 600 and _pack_13(client) == 1_000_000
    cumulative = "/commission/indicators?month=2026-10&scope=cumulative"
    assert _numerator_13(client.get(cumulative).get_data(as_text=True)) == "200"  # + September's 30, 2025's 70
    cached = _entries(city)
    assert {("figures", date(2026, 10, 1), "month"), ("flows", date(2026, 10, 1), "month"),
            ("analysis", date(2026, 10, 1), "month")} <= set(cached)
    with city.app_context():  # the copy is what is read: change it behind the cache's back and the page follows
        assert reports.figures(date(2026, 10, 1))[1] == cached[("figures", date(2026, 10, 1), "month")]

    _add_loan(city, 500_000, date(2026, 10, 15))  # recorded today, dated in October
    assert ("figures", date(2026, 10, 1), "month") not in _entries(city)
    html = client.get(f"/commission/indicators?{OCTOBER}").get_data(as_text=True)
    assert _numerator_13(html) == "150"
    assert _size_total(client) == 650 and _pack_13(client) == 1_500_000
    assert _numerator_13(client.get(cumulative).get_data(as_text=True)) == "250"  # the cumulative copy went too


def test_a_write_dated_after_the_period_keeps_the_copy(client, city):  # noqa: F811
    _login_staff(client, city)
    first = client.get(f"/commission/indicators?{OCTOBER}").get_data(as_text=True)
    before, generation = _entries(city), _generation(city)
    _add_loan(city, 500_000, date(2026, 11, 3))
    with city.app_context():
        loan = db.session.scalar(select(Application).where(Application.disbursed_on == date(2026, 11, 3)))
        db.session.add(LoanRepayment(application_id=loan.id, amount=10_000, paid_on=date(2026, 11, 10)))
        db.session.commit()
    assert _generation(city) == generation + 2  # both writes were seen …
    assert _last_invalidation(city) >= date(2026, 11, 1)  # … as reaching back to November only
    assert _entries(city) == before
    again = client.get(f"/commission/indicators?{OCTOBER}").get_data(as_text=True)
    assert _computed_at(again) == _computed_at(first) and _numerator_13(again) == "100"


def test_access_log_logins_and_messages_do_not_invalidate(client, city):  # noqa: F811
    _login_staff(client, city)
    client.get(f"/commission/statistics?{OCTOBER}")
    before, generation = _entries(city), _generation(city)
    second = FormClient(city.test_client())  # a login: the user's session token and counters are written
    assert second.submit("/auth/login", {"username": "staff", "password": "correct-horse-1"}).status_code == 302
    assert second.get(f"/commission/statistics?{OCTOBER}").status_code == 200
    with city.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "甲"))
        staff = db.session.scalar(text("SELECT id FROM users WHERE username = 'staff'"))
        access_log.log_staff_opening(staff, firm.id)
        db.session.add(Notification(enterprise_id=firm.id, title="消息", body="正文"))
        db.session.commit()
        assert db.session.scalar(select(func.count(AccessLog.id))) >= 1
    assert _generation(city) == generation and _entries(city) == before


def test_the_open_month_is_computed_on_every_request(client, city):  # noqa: F811
    _login_staff(client, city)
    for url in ("/commission/indicators?month=2026-11", "/commission/statistics?month=2026-11&scope=ytd"):
        html = client.get(url).get_data(as_text=True)
        assert "本月尚未结束" in html, url
    assert not [k for k in _entries(city) if k[1] >= date(2026, 11, 1)]


def test_every_write_path_reaches_back_to_its_day(city):  # noqa: F811
    """Core statements, the bulk writer, raw SQL and ORM updates each name the earliest day they can change."""
    with city.app_context():
        loan = db.session.scalar(select(Application).where(Application.disbursed_on == date(2026, 10, 9)))
        loan_id = loan.id
        frame = pd.DataFrame({"application_id": [loan_id], "amount": [1000], "paid_on": [pd.Timestamp("2026-09-03")]})
        with db.engine.begin() as conn:
            bulk.write_frame(conn, LoanRepayment.__table__, frame)
        assert _last_invalidation(city) == date(2026, 9, 3)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE products SET xinyidai = xinyidai"))
        assert _last_invalidation(city) is None  # not tied to a day: every period
        generation = _generation(city)
        loan = db.session.get(Application, loan_id)
        loan.reject_note = "备注"  # a column no figure reads
        db.session.commit()
        assert _generation(city) == generation
        loan = db.session.get(Application, loan_id)
        loan.status = "defaulted"  # a status change of an October loan: from its disbursement on
        db.session.commit()
        assert _last_invalidation(city) == date(2026, 10, 9)
        loan = db.session.get(Application, loan_id)
        db.session.expire(loan, ["disbursed_on"])  # a date never loaded: its day is unknown, so every period
        loan.status = "overdue"
        db.session.commit()
        assert _last_invalidation(city) is None
        firm = db.session.scalar(select(Enterprise).where(Enterprise.name == "甲"))
        need = FinancingNeed(enterprise_id=firm.id, amount=100_000, term_months=12, purpose="周转",
                             created_at=datetime(2026, 10, 20, 2, tzinfo=UTC))
        db.session.add(need)
        db.session.commit()
        needs.close_need(need, firm.id)  # workflow's compare-and-set, then the ORM's update: from its publication on
        assert _last_invalidation(city) == date(2026, 10, 19)  # its timestamp's Shanghai day, less a day's margin


def test_a_write_committed_while_figures_were_computed_is_not_hidden(city):  # noqa: F811
    """The reader noted the generation before computing; a write touching its period committed meanwhile, so the
    stale result is shown once but never kept."""
    period = indicators.Period(date(2026, 10, 1))

    def compute():
        result = indicators.compute(period.month)
        with db.engine.begin() as conn:  # another worker records an October disbursement meanwhile
            conn.execute(LoanRepayment.__table__.insert().values(
                application_id=db.session.scalar(select(Application.id).limit(1)), amount=1,
                paid_on=date(2026, 10, 30), created_at=clock.now()))
        return result

    with city.app_context():
        figure_cache.cached("figures", period, compute)
        assert db.session.scalar(select(func.count(FigureCacheEntry.id))) == 0
        figure_cache.cached("figures", period, lambda: indicators.compute(period.month))
        assert db.session.scalar(select(func.count(FigureCacheEntry.id))) == 1
