"""Breakdowns, funnel, decisions and running totals on the hand-built city of test_indicators."""
from datetime import UTC, date, datetime
from decimal import Decimal

from marketplace.extensions import db
from marketplace.models import Application, Enterprise, FinancingNeed, Institution
from marketplace.services import breakdowns, indicators
from marketplace.services.indicators import Period

from .test_indicators import C, city  # noqa: F401  (the shared hand-built city)

OCT = Period(date(2026, 10, 1))


def rows_by_label(table):
    return {r["label"]: r for r in table.rows}


def test_by_size_counts_first_time_borrowers_and_weighted_rate(city):  # noqa: F811
    with city.app_context():
        t = rows_by_label(breakdowns.by_dimension(OCT, "size"))
        # October: 甲 (small) 1,000,000 at 4 % — but 甲 borrowed in 2025, so not a first-time borrower;
        # 乙 (large) 5,000,000 at 5 %, first loan ever.
        assert (t["小型"]["loans"], t["小型"]["amount"], t["小型"]["first_time_firms"]) == (1, 1_000_000, 0)
        assert (t["大型"]["amount"], t["大型"]["first_time_firms"]) == (5_000_000, 1)
        total = t["合计"]
        assert (total["loans"], total["amount"], total["firms"]) == (2, 6_000_000, 2)
        assert total["avg_rate"] == Decimal("4.833")  # weighted by amount: (4 × 1 + 5 × 5) ÷ 6 = 4.8333…


def test_rounding_is_half_up_everywhere():
    from marketplace.filters import half_up as shown
    from marketplace.filters import pct

    # 8.25 days: Python's round() gives 8.2 (half to even); the scheme's 四舍五入 gives 8.3.
    assert indicators.half_up(8.25, 1) == Decimal("8.3") and shown(Decimal("8.25"), 1) == "8.3"
    assert indicators.half_up(Decimal("0.125"), 2) == Decimal("0.13")
    # A ratio of 4.1e-05 is not shown as 0.00 %: it gets the places it needs.
    assert pct(Decimal("0.000041")) == "0.0041%" and pct(Decimal("0.5")) == "50.00%"


def test_credit_versus_secured_and_ytd(city):  # noqa: F811
    with city.app_context():
        t = rows_by_label(breakdowns.by_dimension(Period(date(2026, 10, 1), "ytd"), "credit"))
        assert t["信用"]["amount"] == 6_300_000  # the test product is a 纯信用 product; + 丙's September loan
        assert "非信用（抵押、担保、质押等）" not in t


def test_decisions_funnel_and_late_per_institution(city):  # noqa: F811
    with city.app_context():
        firm_id = db.session.scalar(db.select(Application.enterprise_id).limit(1))
        inst = db.session.scalar(db.select(Institution))
        product_id = db.session.scalar(db.select(Application.product_id).limit(1))
        # 丙's need fits the test product; 甲's does not: 甲 is on a serious-dishonesty list and the product blocks.
        bing = db.session.scalar(db.select(Enterprise.id).where(Enterprise.uscc == C))
        for owner in (bing, firm_id):
            db.session.add(FinancingNeed(enterprise_id=owner, amount=500_000, term_months=12, purpose="周转",
                                         status="open", created_at=datetime(2026, 10, 5, tzinfo=UTC)))
        for status, decided, due in (("granted", datetime(2026, 10, 20, 2, tzinfo=UTC), date(2026, 10, 16)),
                                     ("rejected", datetime(2026, 10, 21, 2, tzinfo=UTC), date(2026, 10, 30)),
                                     ("accepted", None, date(2026, 10, 22))):
            db.session.add(Application(enterprise_id=firm_id, product_id=product_id, institution_id=inst.id,
                                       amount=100_000, term_months=6, status=status,
                                       submitted_at=datetime(2026, 10, 12, 2, tzinfo=UTC),
                                       accepted_at=datetime(2026, 10, 12, 3, tzinfo=UTC), decided_at=decided,
                                       decision_due=due))
        db.session.commit()
        d = breakdowns.decisions(OCT)
        assert (d["decided"], d["granted"], d["rejected"]) == (2, 1, 1) and d["approval_rate"] == 0.5
        assert d["avg_days_to_decision"] == 8.5  # 8 and 9 days after submission
        steps = {r["step"]: r["count"] for r in breakdowns.funnel(OCT).rows}
        assert steps == {"发布融资需求": 2, "匹配到产品": 1, "提交申请": 3, "获得授信": 1, "完成放款": 2}
        # Granted on 20 Oct after a 16 Oct deadline; the accepted one is undecided past 22 Oct.
        assert breakdowns.late_decisions(OCT).rows == [{"institution": "测试银行", "late": 2}]


def test_late_is_judged_as_the_period_end_saw_it(city):  # noqa: F811
    with city.app_context():
        firm_id = db.session.scalar(db.select(Application.enterprise_id).limit(1))
        product_id = db.session.scalar(db.select(Application.product_id).limit(1))
        inst = db.session.scalar(db.select(Institution))
        # Accepted 12 Oct, due 26 Oct, still undecided on 31 Oct, granted on 3 Nov: late in October's report
        # even though today it is granted. Decided on 3 Nov after its deadline: late in November too.
        db.session.add(Application(enterprise_id=firm_id, product_id=product_id, institution_id=inst.id,
                                   amount=100_000, term_months=6, status="granted",
                                   submitted_at=datetime(2026, 10, 12, 2, tzinfo=UTC),
                                   accepted_at=datetime(2026, 10, 12, 3, tzinfo=UTC),
                                   decided_at=datetime(2026, 11, 3, 2, tzinfo=UTC), decision_due=date(2026, 10, 26)))
        db.session.commit()
        assert breakdowns.late_decisions(OCT).rows == [{"institution": "测试银行", "late": 1}]
        assert breakdowns.late_decisions(Period(date(2026, 11, 1))).rows == [{"institution": "测试银行", "late": 1}]
        assert breakdowns.late_decisions(Period(date(2026, 9, 1))).rows == []  # not yet submitted


def test_running_totals_per_month_end(city):  # noqa: F811
    with city.app_context():
        t = breakdowns.running_totals([date(2026, 9, 1), date(2026, 10, 1)])
        sep, oct_ = t.rows
        assert (sep["enterprises"], oct_["enterprises"]) == (1, 3)
        assert (sep["financing"], oct_["financing"]) == (1_000_000, 7_000_000)


def test_funnel_counts_a_closed_need_that_led_to_an_application(city):  # noqa: F811
    with city.app_context():
        app_ = db.session.scalar(db.select(Application).limit(1))
        need = FinancingNeed(enterprise_id=app_.enterprise_id, amount=100_000, term_months=6, purpose="周转",
                             status="closed", created_at=datetime(2026, 10, 2, tzinfo=UTC))
        db.session.add(need)
        db.session.flush()
        app_.need_id = need.id
        db.session.commit()
        steps = {r["step"]: r["count"] for r in breakdowns.funnel(OCT).rows}
        assert (steps["发布融资需求"], steps["匹配到产品"]) == (1, 1)
