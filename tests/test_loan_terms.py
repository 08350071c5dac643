"""The product's terms bind the bank; the firm confirms or declines a grant; the 还款计划 says what is due,
what is overdue and when a loan is 不良."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Application, Institution, User
from marketplace.services import RuleViolation, applications, breakdowns, schedules, sharing, workdays
from marketplace.services.applications import Actor
from marketplace.services.indicators import Period

from .conftest import make_product


@pytest.fixture
def loan(app, users):
    """A submitted and accepted application of the demo firm to a 3.45–5.5 %, 3–12 month, 10–300万 product."""
    def make(**product):
        bank = db.session.scalar(select(Institution))
        p = make_product(bank, **product)
        sme = Actor.of_user(db.session.scalar(select(User).where(User.username == users["enterprise"])))
        officer = Actor.of_user(db.session.scalar(select(User).where(User.username == users["bank"])))
        a = applications.submit(sme, product_ids=[p.id], amount=1_000_000, term_months=12,
                                authorize_until=workdays.today() + timedelta(days=30), commitment_accepted=True,
                                scopes=["profile"])[0]
        applications.accept(a.id, officer)
        return a.id, sme, officer

    with app.app_context():
        yield make


@pytest.mark.parametrize("terms, message", [
    ({"amount": 50_000, "rate": "4.0", "term_months": 12}, "授信金额应在产品额度范围内（10–300 万元）"),
    ({"amount": 3_000_001, "rate": "4.0", "term_months": 12}, "授信金额应在产品额度范围内"),
    ({"amount": 500_000, "rate": "15", "term_months": 12}, "年利率应在产品利率范围内（3.45%–5.50%）"),
    ({"amount": 500_000, "rate": "3.44", "term_months": 12}, "年利率应在产品利率范围内"),
    ({"amount": 500_000, "rate": "4.0", "term_months": 48}, "授信期限应在产品期限范围内（3–12 个月）"),
    ({"amount": 500_000, "rate": "4.0", "term_months": 2}, "授信期限应在产品期限范围内"),
])
def test_a_grant_outside_the_products_ranges_is_refused(loan, terms, message):
    app_id, _, officer = loan()
    with pytest.raises(RuleViolation) as err:
        applications.grant(app_id, officer, **terms)
    assert message in err.value.message
    db.session.expire_all()
    a = db.session.get(Application, app_id)
    assert a.status == "accepted" and a.granted_amount is None and len(a.events) == 2


def test_the_bank_page_says_why_a_grant_is_refused(client, auth, users, app, loan):
    app_id, _, _ = loan()
    auth.login(users["bank"])
    page = f"/bank/applications/{app_id}"
    r = client.submit(f"{page}/grant", {"version": "2", "amount_wan": "100", "rate": "15", "term_months": "48"},
                      page=page, follow_redirects=True)
    assert "年利率应在产品利率范围内（3.45%–5.50%）" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Application, app_id).status == "accepted"


def test_equal_instalments_sum_to_the_principal():
    lines = schedules.draw(120_000, "12", 12, "equal_instalment", date(2026, 1, 31))
    assert [x["due_on"] for x in lines[:3]] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    # M = 120000 × 1% × 1.01^12 / (1.01^12 − 1) = 10,661.85 → 10,662 a month; month 1: interest 1,200.
    assert (lines[0]["interest"], lines[0]["principal"]) == (1_200, 9_462)
    assert sum(x["principal"] for x in lines) == 120_000
    assert {x["principal"] + x["interest"] for x in lines[:-1]} == {10_662}
    assert abs(lines[-1]["principal"] + lines[-1]["interest"] - 10_662) <= 2


def test_interest_only_then_bullet_principal():
    lines = schedules.draw(100_000, "6", 6, "interest_only", date(2026, 3, 15))
    assert [x["interest"] for x in lines] == [500] * 6
    assert [x["principal"] for x in lines] == [0, 0, 0, 0, 0, 100_000]
    assert lines[-1]["due_on"] == date(2026, 9, 15)


def test_bullet_is_one_payment_at_maturity():
    lines = schedules.draw(100_000, "4.35", 12, "bullet", date(2026, 3, 15))
    assert lines == [{"seq": 1, "due_on": date(2027, 3, 15), "principal": 100_000, "interest": 4_350}]
    odd = schedules.draw(333_333, "3.7", 7, "bullet", date(2026, 1, 1))
    assert odd[0]["principal"] == 333_333 and odd[0]["interest"] == 7_194  # 333,333 × 3.7 % × 7/12 = 7,194.4


@pytest.mark.parametrize("method, lines", [("equal_instalment", 12), ("interest_only", 12), ("bullet", 1)])
def test_disbursement_draws_the_products_schedule(loan, method, lines):
    app_id, sme, officer = loan(repayment_method=method)
    applications.grant(app_id, officer, amount=777_777, rate="4.35", term_months=12)
    applications.confirm(app_id, sme)
    a = applications.disburse(app_id, officer, amount=654_321, on=workdays.today())
    assert a.repayment_method == method and len(a.instalments) == lines
    assert sum(x.principal for x in a.instalments) == 654_321
    assert a.instalments[0].due_on == schedules.add_months(workdays.today(), 12 if method == "bullet" else 1)


def test_overdue_only_after_a_missed_due_date_and_default_by_the_products_rule(loan):
    app_id, sme, officer = loan(default_days_past_due=30)
    applications.grant(app_id, officer, amount=600_000, rate="4.8", term_months=6)
    applications.confirm(app_id, sme)
    day0 = workdays.today()
    applications.disburse(app_id, officer, amount=600_000, on=day0)
    due = db.session.get(Application, app_id).instalments[0].due_on
    assert schedules.refresh(on=due) == {"overdue": 0, "defaulted": 0}, "due today is not late"
    assert db.session.get(Application, app_id).status == "disbursed"
    assert schedules.refresh(on=due + timedelta(days=1)) == {"overdue": 1, "defaulted": 0}
    a = db.session.get(Application, app_id)
    assert a.status == "overdue" and schedules.days_past_due(a, due + timedelta(days=1)) == 1
    event = a.events[-1]
    assert (event.action, event.actor_user_id, event.detail["seq"], event.detail["days_past_due"]) == \
        ("overdue", None, 1, 1)
    assert schedules.refresh(on=due + timedelta(days=29)) == {"overdue": 0, "defaulted": 0}
    assert schedules.refresh(on=due + timedelta(days=30)) == {"overdue": 0, "defaulted": 1}
    a = db.session.get(Application, app_id)
    assert a.status == "defaulted" and a.closed_on == due + timedelta(days=30)
    assert a.events[-1].detail["rule_days"] == 30


def test_the_commissions_rule_applies_when_the_product_has_none(loan, app):
    app_id, sme, officer = loan()
    applications.grant(app_id, officer, amount=600_000, rate="4.8", term_months=6)
    applications.confirm(app_id, sme)
    applications.disburse(app_id, officer, amount=600_000, on=workdays.today())
    due = db.session.get(Application, app_id).instalments[0].due_on
    assert app.config["DEFAULT_DAYS_PAST_DUE"] == 90
    schedules.refresh(on=due + timedelta(days=89))
    assert db.session.get(Application, app_id).status == "overdue"
    schedules.refresh(on=due + timedelta(days=90))
    assert db.session.get(Application, app_id).status == "defaulted"


def test_nobody_marks_a_loan_overdue_by_hand(loan):
    app_id, sme, officer = loan()
    applications.grant(app_id, officer, amount=600_000, rate="4.8", term_months=6)
    applications.confirm(app_id, sme)
    applications.disburse(app_id, officer, amount=600_000, on=workdays.today())
    with pytest.raises(RuleViolation, match="没有逾期未还的期次"):
        applications.mark_overdue(app_id, on=workdays.today())
    assert "overdue" not in applications.allowed_actions(db.session.get(Application, app_id), "bank")


def test_repayments_are_applied_to_the_schedule_interest_first(loan):
    app_id, sme, officer = loan(repayment_method="interest_only")
    applications.grant(app_id, officer, amount=1_200_000, rate="5", term_months=3)
    applications.confirm(app_id, sme)
    a = applications.disburse(app_id, officer, amount=1_200_000, on=workdays.today())
    assert [x.interest for x in a.instalments] == [5_000, 5_000, 5_000]
    a = applications.repay(app_id, officer, amount=7_000, on=workdays.today())
    first, second = a.instalments[:2]
    assert (first.interest_paid, first.settled_on, second.interest_paid) == (5_000, workdays.today(), 2_000)
    assert a.balance == 1_200_000 and a.repayments[-1].interest == 7_000 and a.repayments[-1].amount == 0
    assert schedules.next_due(a).seq == 2 and schedules.next_due(a).outstanding == 3_000
    a = applications.repay(app_id, officer, amount=schedules.outstanding(a), on=workdays.today())
    assert a.status == "repaid" and a.balance == 0 and a.repaid_amount == 1_200_000


def test_both_sides_see_the_schedule_and_what_is_due_next(client, auth, users, app, loan):
    app_id, sme, officer = loan(repayment_method="interest_only")
    applications.grant(app_id, officer, amount=1_200_000, rate="5", term_months=3)
    applications.confirm(app_id, sme)
    applications.disburse(app_id, officer, amount=1_200_000, on=workdays.today())
    due = schedules.add_months(workdays.today(), 1)
    for who, page in ((users["bank"], f"/bank/applications/{app_id}"),
                      (users["enterprise"], f"/enterprise/applications/{app_id}")):
        auth.login(who)
        html = client.get(page).get_data(as_text=True)
        assert "还款计划" in html and "先息后本" in html and f"应还日 <b>{due}</b>" in html, who
        assert "应还 <b>5,000</b> 元" in html and "1,200,000" in html
        auth.logout()


def test_the_firms_decline_closes_the_application_and_is_no_grant(loan, app):
    app_id, sme, officer = loan()
    applications.grant(app_id, officer, amount=800_000, rate="4.35", term_months=12)
    with pytest.raises(RuleViolation, match="不能放款"):
        applications.disburse(app_id, officer, amount=800_000, on=workdays.today())
    with pytest.raises(RuleViolation, match="只有申请企业可以谢绝授信"):
        applications.decline(app_id, officer)
    a = applications.decline(app_id, sme)
    assert a.status == "declined" and a.closed_on == workdays.today()
    for step in (lambda: applications.confirm(app_id, sme),
                 lambda: applications.disburse(app_id, officer, amount=1, on=workdays.today())):
        with pytest.raises(RuleViolation, match="企业已谢绝授信"):
            step()
    # Not shared as a credit grant, not counted as 获得授信; still the bank's yes in its approval rate.
    assert not [r for r in sharing.pending(workdays.today().replace(day=1)) if r["record_type"] == "credit_grant"]
    period = Period(workdays.today().replace(day=1), "month")
    funnel = {r["step"]: r["count"] for r in breakdowns.funnel(period).rows}
    assert (funnel["提交申请"], funnel["获得授信"]) == (1, 0)
    decisions = breakdowns.decisions(period)
    assert (decisions["decided"], decisions["granted"], decisions["rejected"]) == (1, 1, 0)


def test_the_worker_runs_the_loan_check_daily_at_0130_beijing_time_and_a_second_run_moves_nothing(loan, monkeypatch):
    from datetime import UTC, datetime

    from marketplace import clock, worker

    # huey's scheduler asks every minute which periodic tasks are due (naive UTC): 01:30 Beijing is 17:30 UTC
    due_at = {t.name for t in worker.huey.read_periodic(datetime(2026, 11, 24, 17, 30))}
    assert "refresh_loans" in due_at
    for other in (datetime(2026, 11, 25, 1, 30), datetime(2026, 11, 24, 17, 31), datetime(2026, 11, 24, 9, 30)):
        assert "refresh_loans" not in {t.name for t in worker.huey.read_periodic(other)}, other

    app_id, sme, officer = loan()
    applications.grant(app_id, officer, amount=600_000, rate="4.8", term_months=6)
    applications.confirm(app_id, sme)
    applications.disburse(app_id, officer, amount=600_000, on=workdays.today())
    due = db.session.get(Application, app_id).instalments[0].due_on
    # the worker's run in the night after the due date (01:30 Beijing time = 17:30 UTC the evening before)
    night = datetime(due.year, due.month, due.day, 17, 30, tzinfo=UTC)
    monkeypatch.setattr(clock, "_source", lambda: night)
    assert clock.today() == due + timedelta(days=1)
    worker.refresh_loans()  # queued, and run at once by huey's immediate mode (periodic tasks keep no result)
    db.session.expire_all()
    a = db.session.get(Application, app_id)
    events = len(a.events)
    assert a.status == "overdue" and a.events[-1].action == "overdue"
    assert worker.refresh_loans.call_local() == {"overdue": 0, "defaulted": 0}
    db.session.expire_all()
    assert len(db.session.get(Application, app_id).events) == events, "idempotent: nothing written twice"
