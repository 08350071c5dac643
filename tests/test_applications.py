"""The application state machine: every legal step, every illegal one, audit, deadlines, concurrency."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import (
    Application,
    ApplicationEvent,
    CreditCommitment,
    DataAuthorization,
    Institution,
    Notification,
    User,
)
from marketplace.services import RuleViolation, applications, schedules, workdays
from marketplace.services.applications import Actor, ConcurrentChange, NotPermitted

from .conftest import PASSWORD, make_enterprise, make_institution, make_product

ALL_ACTIONS = ("accept", "grant", "reject", "withdraw", "confirm", "decline", "disburse", "repay", "overdue",
               "default")
SCOPES = ["profile", "score", "department", "records"]
# Overdue and default are read from the schedule on a day: a loan disbursed today has its first monthly
# instalment due in a month, so 60 days on it is past due, and 400 days on past the 90-day default rule.
LATER, MUCH_LATER = timedelta(days=60), timedelta(days=400)


@pytest.fixture
def world(app):
    """A firm, a bank with a product, a second bank; actors for each."""
    from marketplace.services import accounts

    with app.app_context():
        firm = make_enterprise()
        bank = make_institution()
        other_bank = make_institution("他行")
        product = make_product(bank)
        sme = accounts.create_user(username="sme", password=PASSWORD, role="enterprise", enterprise_id=firm.id)
        officer = accounts.create_user(username="banker", password=PASSWORD, role="bank", institution_id=bank.id)
        officer2 = accounts.create_user(username="banker2", password=PASSWORD, role="bank", institution_id=bank.id)
        stranger = accounts.create_user(username="other", password=PASSWORD, role="bank",
                                        institution_id=other_bank.id)
        yield {"firm": firm.id, "bank": bank.id, "product": product.id,
               "sme": Actor.of_user(sme), "officer": Actor.of_user(officer), "officer2": Actor.of_user(officer2),
               "stranger": Actor.of_user(stranger)}


def submit(w, amount=1_000_000, term=12, fresh_product=True):
    """Apply (each time to a new product of the bank, so the one-open-application rule does not bite)."""
    product_id = make_product(db.session.get(Institution, w["bank"])).id if fresh_product else w["product"]
    apps = applications.submit(w["sme"], product_ids=[product_id], amount=amount, term_months=term,
                               authorize_until=workdays.today() + timedelta(days=365), commitment_accepted=True,
                               scopes=SCOPES)
    return apps[0].id


def to_status(w, status):
    """An application driven along the legal path to `status`."""
    app_id = submit(w)
    o = w["officer"]
    day = workdays.today()
    steps = {
        "submitted": [],
        "accepted": [lambda: applications.accept(app_id, o)],
        "granted": [lambda: applications.accept(app_id, o),
                    lambda: applications.grant(app_id, o, amount=800_000, rate="4.35", term_months=12)],
        "rejected": [lambda: applications.accept(app_id, o),
                     lambda: applications.reject(app_id, o, reason="repayment_capacity", note="流水不足")],
        "withdrawn": [lambda: applications.withdraw(app_id, w["sme"])],
    }
    steps["confirmed"] = steps["granted"] + [lambda: applications.confirm(app_id, w["sme"])]
    steps["declined"] = steps["granted"] + [lambda: applications.decline(app_id, w["sme"])]
    steps["disbursed"] = steps["confirmed"] + [lambda: applications.disburse(app_id, o, amount=500_000, on=day)]
    steps["overdue"] = steps["disbursed"] + [lambda: applications.mark_overdue(app_id, on=day + LATER)]
    steps["repaid"] = steps["disbursed"] + [lambda: applications.repay(
        app_id, o, amount=schedules.outstanding(db.session.get(Application, app_id)), on=day)]
    steps["defaulted"] = steps["overdue"] + [lambda: applications.mark_defaulted(app_id, on=day + MUCH_LATER)]
    for step in steps[status]:
        step()
    return app_id


def do(w, action, app_id):
    o, day = w["officer"], workdays.today()
    calls = {
        "accept": lambda: applications.accept(app_id, o),
        "grant": lambda: applications.grant(app_id, o, amount=800_000, rate="4.35", term_months=12),
        "reject": lambda: applications.reject(app_id, o, reason="other", note="说明"),
        "withdraw": lambda: applications.withdraw(app_id, w["sme"]),
        "confirm": lambda: applications.confirm(app_id, w["sme"]),
        "decline": lambda: applications.decline(app_id, w["sme"]),
        "disburse": lambda: applications.disburse(app_id, o, amount=100_000, on=day),
        "repay": lambda: applications.repay(app_id, o, amount=1, on=day),
        "overdue": lambda: applications.mark_overdue(app_id, on=day + LATER),
        "default": lambda: applications.mark_defaulted(app_id, on=day + MUCH_LATER),
    }
    return calls[action]()


LEGAL = {
    "submitted": {"accept": "accepted", "withdraw": "withdrawn"},
    "accepted": {"grant": "granted", "reject": "rejected", "withdraw": "withdrawn"},
    "granted": {"confirm": "confirmed", "decline": "declined"},
    "confirmed": {"disburse": "disbursed"},
    "declined": {},
    "rejected": {},
    "withdrawn": {},
    "disbursed": {"repay": "disbursed", "overdue": "overdue"},
    # Overdue as of a day two months on; a payment recorded today finds nothing past due today: 逾期 ends.
    "overdue": {"repay": "disbursed", "default": "defaulted"},
    "repaid": {},
    "defaulted": {},
}


def test_write_off_is_recorded_once_and_the_loan_leaves_the_balance_that_day(app, world, monkeypatch):
    from datetime import UTC, datetime

    from marketplace import clock
    from marketplace.services import indicators

    with app.app_context():
        app_id = to_status(world, "defaulted")
        closed = db.session.get(Application, app_id).closed_on  # the day the default rule was reached
        later = closed + timedelta(days=30)
        monkeypatch.setattr(clock, "_source", lambda: datetime(later.year, later.month, later.day, 4, tzinfo=UTC))
        # 不良 but not written off: the 500,000 disbursed is still in the balance.
        assert indicators.loan_balance(later) == 500_000
        assert "write_off" in applications.allowed_actions(db.session.get(Application, app_id), "bank")
        with pytest.raises(RuleViolation, match="不能早于"):
            applications.write_off(app_id, world["officer"], on=closed - timedelta(days=1))
        a = applications.write_off(app_id, world["officer"], on=later, note="董事会批准核销")
        assert a.written_off_on == later and a.status == "defaulted"
        assert indicators.loan_balance(later) == 0 and indicators.loan_balance(later - timedelta(days=1)) == 500_000
        assert "write_off" not in applications.allowed_actions(a, "bank")
        with pytest.raises(RuleViolation, match="已于"):
            applications.write_off(app_id, world["officer"], on=later)


@pytest.mark.parametrize("status", list(LEGAL))
def test_every_action_from_every_status(app, world, status):
    """Legal transitions land where the diagram says and write one audit row; illegal ones are refused
    and change nothing."""
    with app.app_context():
        for action in ALL_ACTIONS:
            app_id = to_status(world, status)
            before = db.session.scalar(select(func.count(ApplicationEvent.id)))
            if action in LEGAL[status]:
                result = do(world, action, app_id)
                assert result.status == LEGAL[status][action], (status, action)
                event = db.session.scalars(select(ApplicationEvent).order_by(ApplicationEvent.id.desc())).first()
                assert (event.action, event.from_status, event.to_status) == (action, status, result.status)
                assert db.session.scalar(select(func.count(ApplicationEvent.id))) == before + 1
            else:
                with pytest.raises(RuleViolation) as err:
                    do(world, action, app_id)
                assert "不能" in err.value.message, (status, action)
                db.session.expire_all()
                assert db.session.get(Application, app_id).status == status
                assert db.session.scalar(select(func.count(ApplicationEvent.id))) == before


def test_submit_signs_commitment_authorizes_and_notifies(app, world):
    with app.app_context():
        app_id = submit(world)
        a = db.session.get(Application, app_id)
        assert a.status == "submitted" and a.institution_id == world["bank"] and a.version == 1
        commitment = db.session.get(CreditCommitment, a.commitment_id)
        assert commitment.kind == "proactive" and "承诺" in commitment.text and commitment.signed_at
        auth = db.session.scalar(select(DataAuthorization))
        assert (auth.enterprise_id, auth.institution_id) == (world["firm"], world["bank"])
        assert auth.valid_until == workdays.today() + timedelta(days=365) and auth.scopes == SCOPES
        notes = db.session.scalars(select(Notification)).all()
        assert {n.enterprise_id for n in notes if n.enterprise_id} == {world["firm"]}
        assert any(n.institution_id == world["bank"] and "新的融资申请" in n.title for n in notes)
        first = db.session.scalar(select(ApplicationEvent))
        assert (first.action, first.from_status, first.to_status) == ("submit", None, "submitted")


def test_submit_without_commitment_writes_nothing(app, world):
    with app.app_context():
        with pytest.raises(RuleViolation, match="信用承诺"):
            applications.submit(world["sme"], product_ids=[world["product"]], amount=1_000_000, term_months=12,
                                authorize_until=workdays.today(), commitment_accepted=False)
        assert db.session.scalar(select(func.count(Application.id))) == 0
        assert db.session.scalar(select(func.count(DataAuthorization.id))) == 0


def test_duplicate_open_application_is_refused(app, world):
    with app.app_context():
        submit(world, fresh_product=False)
        with pytest.raises(RuleViolation, match="请勿重复申请"):
            submit(world, fresh_product=False)


def test_every_status_change_notifies_the_firm(app, world):
    with app.app_context():
        app_id = to_status(world, "repaid")
        titles = [n.title for n in db.session.scalars(select(Notification).where(
            Notification.enterprise_id == world["firm"]).order_by(Notification.id))]
        assert titles == ["申请已提交", "申请状态：已受理", "申请状态：已授信（待企业确认）", "申请状态：企业已确认授信",
                          "申请状态：已放款", "申请状态：已结清"]
        assert db.session.get(Application, app_id).balance == 0


def test_grant_reject_disburse_validation(app, world):
    with app.app_context():
        app_id = to_status(world, "accepted")
        o = world["officer"]
        with pytest.raises(RuleViolation, match="请填写拒绝的具体说明"):
            applications.reject(app_id, o, reason="other", note="  ")
        with pytest.raises(RuleViolation, match="请选择拒绝原因"):
            applications.reject(app_id, o, reason="bogus", note="x")
        with pytest.raises(RuleViolation, match="年利率"):
            applications.grant(app_id, o, amount=100_000, rate="40", term_months=12)
        with pytest.raises(RuleViolation, match="授信金额应在产品额度范围内"):
            applications.grant(app_id, o, amount=30_000_001, rate="4", term_months=12)
        db.session.expire_all()
        a = db.session.get(Application, app_id)
        assert a.status == "accepted" and a.granted_amount is None and a.reject_reason is None
        applications.grant(app_id, o, amount=800_000, rate="4.35", term_months=12)
        with pytest.raises(RuleViolation, match="不能放款"):
            applications.disburse(app_id, o, amount=600_000, on=workdays.today())  # not confirmed yet
        applications.confirm(app_id, world["sme"])
        with pytest.raises(RuleViolation, match="不能超过授信金额"):
            applications.disburse(app_id, o, amount=800_001, on=workdays.today())
        with pytest.raises(RuleViolation, match="不能晚于今天"):
            applications.disburse(app_id, o, amount=1, on=workdays.today() + timedelta(days=1))
        a = applications.disburse(app_id, o, amount=600_000, on=workdays.today())
        assert (a.disbursed_amount, a.granted_amount, str(a.granted_rate)) == (600_000, 800_000, "4.350")
        # The product's default method is 等额本息: 100,000 pays the first instalments' interest, then principal.
        first = a.instalments[0]
        a = applications.repay(app_id, o, amount=100_000, on=workdays.today())
        assert a.status == "disbursed" and a.balance == 600_000 - (100_000 - sum(
            x.interest_paid for x in a.instalments)) and first.settled_on == workdays.today()
        owed = schedules.outstanding(a)
        with pytest.raises(RuleViolation, match="超过尚欠本息"):
            applications.repay(app_id, o, amount=owed + 1, on=workdays.today())
        a = applications.repay(app_id, o, amount=owed, on=workdays.today())
        assert a.status == "repaid" and a.balance == 0


def test_only_the_owners_may_act(app, world):
    with app.app_context():
        app_id = submit(world)
        with pytest.raises(NotPermitted):
            applications.accept(app_id, world["stranger"])
        with pytest.raises(RuleViolation, match="只有金融机构可以受理"):
            applications.accept(app_id, world["sme"])
        with pytest.raises(RuleViolation, match="只有申请企业可以撤回"):
            applications.withdraw(app_id, world["officer"])
        assert db.session.get(Application, app_id).status == "submitted"


def test_deadline_is_ten_working_days_across_national_day(app, world):
    """Accepted Wednesday 30 Sept 2026: 1–7 Oct are 国庆 holidays, Sat 10 Oct is a 调休 working day."""
    with app.app_context():
        assert applications.decision_deadline(date(2026, 9, 30)) == date(2026, 10, 20)
        # Across a plain weekend: Friday 6 Nov 2026 → 10 working days → Friday 20 Nov.
        assert applications.decision_deadline(date(2026, 11, 6)) == date(2026, 11, 20)
        assert workdays.is_workday(date(2026, 10, 10)) and not workdays.is_workday(date(2026, 10, 5))
        assert workdays.working_days_between(date(2026, 9, 30), date(2026, 10, 20)) == 10


def test_late_decisions_are_flagged(app, world):
    with app.app_context():
        app_id = to_status(world, "accepted")
        a = db.session.get(Application, app_id)
        assert a.decision_due == applications.decision_deadline(workdays.today())
        assert not applications.is_late(a)
        a.decision_due = workdays.today() - timedelta(days=1)
        db.session.commit()
        assert applications.is_late(a)
        assert [x.id for x in applications.late_applications(world["bank"])] == [app_id]
        granted = applications.grant(app_id, world["officer"], amount=100_000, rate="4", term_months=6)
        assert applications.is_late(granted) and granted.events[-1].detail["late"] is True
        assert applications.late_applications() == []


def test_stale_page_decision_is_refused(app, world):
    """Both officers opened the page at version 2; the first decision wins, the second is told so."""
    with app.app_context():
        app_id = to_status(world, "accepted")
        seen = db.session.get(Application, app_id).version
        applications.grant(app_id, world["officer"], amount=100_000, rate="4", term_months=6,
                           expected_version=seen)
        with pytest.raises(ConcurrentChange, match="已被其他人员处理"):
            applications.reject(app_id, world["officer2"], reason="other", note="x", expected_version=seen)
        db.session.expire_all()
        a = db.session.get(Application, app_id)
        assert a.status == "granted" and a.reject_reason is None


def test_simultaneous_decisions_exactly_one_wins(app, world, monkeypatch):
    """Two officers in two threads load the same application, then both write: the optimistic lock lets
    exactly one through; the other gets ConcurrentChange and nothing of it is written."""
    with app.app_context():
        app_id = to_status(world, "accepted")
        events_before = db.session.scalar(select(func.count(ApplicationEvent.id)))
    barrier = threading.Barrier(2, timeout=10)
    monkeypatch.setattr(applications, "_loaded", lambda a: barrier.wait())
    results = {}

    def officer(name, call):
        with app.app_context():
            try:
                results[name] = call().status
            except ConcurrentChange as e:
                results[name] = e
            finally:
                db.session.remove()

    t1 = threading.Thread(target=officer, args=("grant", lambda: applications.grant(
        app_id, world["officer"], amount=200_000, rate="4.1", term_months=12)))
    t2 = threading.Thread(target=officer, args=("reject", lambda: applications.reject(
        app_id, world["officer2"], reason="other", note="不符合")))
    t1.start(), t2.start()
    t1.join(30), t2.join(30)
    winners = [k for k, v in results.items() if isinstance(v, str)]
    losers = [k for k, v in results.items() if isinstance(v, ConcurrentChange)]
    assert len(winners) == 1 and len(losers) == 1, results
    with app.app_context():
        a = db.session.get(Application, app_id)
        assert a.status == results[winners[0]]
        assert (a.granted_amount is None) == (winners[0] == "reject")
        assert (a.reject_reason is None) == (winners[0] == "grant")
        assert db.session.scalar(select(func.count(ApplicationEvent.id))) == events_before + 1
        assert a.version == 3


def test_disbursement_moves_platform_total(app, world):
    from marketplace.services import catalogue

    with app.app_context():
        assert catalogue.platform_totals()["financing"] == 0
        to_status(world, "disbursed")
        assert catalogue.platform_totals()["financing"] == 500_000


def test_user_model_unchanged_roles(app, world):
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 4
