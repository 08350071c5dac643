"""Races, really run: two threads, each with its own database connection, meet at a barrier placed after
the service's own duplicate check and before its commit, so both pass the check and both write. The
database must keep one row and the loser must get a RuleViolation (a clean 4xx), never an IntegrityError
(a 500). PostgreSQL only: SQLite locks the whole file, so the second writer fails with "database is locked"
instead of racing."""
import os
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import codes
from marketplace.extensions import db
from marketplace.models import Application, FinancingNeed, OffPlatformLoan, User
from marketplace.services import (
    RuleViolation,
    accounts,
    applications,
    matching,
    needs,
    off_platform,
    submissions,
)
from marketplace.services.applications import Actor

from .conftest import PASSWORD, USCC_A, USCC_B, make_enterprise, make_institution, make_product

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL): SQLite cannot race two writers")


def race(app, *calls, barrier: threading.Barrier | None = None):
    """Run the calls in parallel threads (each in its own app context and session); returns their results:
    the value, or the RuleViolation raised. Any other exception fails the test."""
    results: list = [None] * len(calls)

    def run(i, call):
        with app.app_context():
            try:
                results[i] = call()
            except RuleViolation as e:
                results[i] = e
            except Exception as e:  # noqa: BLE001 — reported below with the thread's result
                results[i] = ("unexpected", repr(e))
                if barrier is not None:
                    barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(isinstance(r, tuple) for r in results), results
    return results


def _wait_at(barrier):
    def wrapper(fn):
        def inner(*args, **kwargs):
            barrier.wait()
            return fn(*args, **kwargs)
        return inner
    return wrapper


def test_two_registrations_with_one_login_name(app, monkeypatch):
    barrier = threading.Barrier(2, timeout=20)
    monkeypatch.setattr(accounts, "_check_password", _wait_at(barrier)(accounts._check_password))

    def register(uscc, name):
        return lambda: accounts.register_enterprise(
            uscc=uscc, name=name, industry="C", size="small", legal_representative="张三",
            username="same-name", password=PASSWORD).id

    results = race(app, register(USCC_A, "甲公司"), register(USCC_B, "乙公司"), barrier=barrier)
    losers = [r for r in results if isinstance(r, RuleViolation)]
    assert len(losers) == 1 and losers[0].field == "username" and "登录名已被使用" in losers[0].message
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.username == "same-name")) == 1


def test_two_off_platform_reports_for_one_firm_and_month(app, monkeypatch):
    with app.app_context():
        inst_id = make_institution().id
    barrier = threading.Barrier(2, timeout=20)
    monkeypatch.setattr(off_platform, "_commit", _wait_at(barrier)(off_platform._commit))
    month = date(2026, 9, 1)
    report = lambda amount: lambda: off_platform.report(  # noqa: E731
        inst_id, month, uscc=USCC_A, enterprise_name="甲", amount=amount, loan_count=1).id
    results = race(app, report(100_000), report(200_000), barrier=barrier)
    losers = [r for r in results if isinstance(r, RuleViolation)]
    assert len(losers) == 1 and "刚刚已由他人提交" in losers[0].message
    with app.app_context():
        assert db.session.scalar(select(func.count(OffPlatformLoan.id))) == 1


def test_two_one_click_applications_to_one_product(app, monkeypatch):
    """8 rounds, as the issue measured: each round both requests pass the service's own check, and the
    partial unique index keeps exactly one open application."""
    with app.app_context():
        firm = make_enterprise()
        product_id = make_product(make_institution()).id
        sme = accounts.create_user(username="sme", password=PASSWORD, role="enterprise", enterprise_id=firm.id)
        actor = Actor.of_user(sme)
    check = matching.check_eligibility
    for _ in range(8):
        barrier = threading.Barrier(2, timeout=20)
        monkeypatch.setattr(matching, "check_eligibility", _wait_at(barrier)(check))
        apply = lambda: [a.id for a in applications.submit(  # noqa: E731
            actor, product_ids=[product_id], amount=500_000, term_months=12,
            authorize_until=date.today() + timedelta(days=30), commitment_accepted=True,
            scopes=list(codes.AUTHORIZATION_SCOPES))]
        results = race(app, apply, apply, barrier=barrier)
        losers = [r for r in results if isinstance(r, RuleViolation)]
        assert len(losers) == 1 and "已有一笔处理中的申请" in losers[0].message, results
        with app.app_context():
            open_ = db.session.scalars(select(Application).where(Application.status.in_(("submitted", "accepted"))))
            open_ = list(open_)
            assert len(open_) == 1
            applications.withdraw(open_[0].id, actor)  # the next round starts with none open


def test_double_submitted_need_is_created_once(app):
    with app.app_context():
        firm_id = make_enterprise().id
    barrier = threading.Barrier(2, timeout=20)

    def publish():
        barrier.wait()
        submissions.claim("the-same-token-0123456789", None)
        return needs.publish_need(firm_id, amount=300_000, term_months=6, purpose="备货").id

    results = race(app, publish, publish, barrier=barrier)
    assert sum(isinstance(r, submissions.DuplicateSubmission) for r in results) == 1, results
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 1


def _registry_firm(uscc=USCC_B, legal="王建国"):
    from marketplace.models import ImportBatch, RegistryEnterprise

    batch = ImportBatch(source="registry", file_name="在营企业.csv", sha256="0" * 64)
    db.session.add(batch)
    db.session.flush()
    db.session.add(RegistryEnterprise(uscc=uscc, name="泉城精密机械有限公司", region_code="370112", industry="C",
                                      size="small", operating_status="active", legal_representative=legal,
                                      batch_id=batch.id))
    db.session.commit()


def _claim(username, legal="王建国"):
    return lambda: accounts.register_enterprise(
        uscc=USCC_B, name="泉城精密机械有限公司", industry="C", size="small", legal_representative=legal,
        username=username, password=PASSWORD).id


@pytest.mark.parametrize("squatter_first", [False, True], ids=["new-code", "over-a-pending-squatter"])
def test_two_claimants_proving_one_firm_at_once_exactly_one_wins(app, monkeypatch, squatter_first):
    """Both type the registry's details (e.g. two employees, or a squatter who learnt the legal
    representative). Both pass the check that no account proved the firm, meet at the barrier, then write: the
    firm row's lock lets exactly one claim prove it; the other is told the firm is taken and leaves nothing."""
    from marketplace.models import Enterprise, IdentityCheck

    with app.app_context():
        _registry_firm()
        if squatter_first:
            _claim("squatter", legal="李四")()
    barrier = threading.Barrier(2, timeout=20)
    if squatter_first:
        monkeypatch.setattr(accounts, "_claim_existing", _wait_at(barrier)(accounts._claim_existing))
    else:
        monkeypatch.setattr(accounts, "_register_new", _wait_at(barrier)(accounts._register_new))
    results = race(app, _claim("alpha"), _claim("beta"), barrier=barrier)
    losers = [r for r in results if isinstance(r, RuleViolation)]
    assert len(losers) == 1 and "已注册并已通过实名核验" in losers[0].message, results
    with app.app_context():
        firm = db.session.scalar(select(Enterprise))
        assert db.session.scalar(select(func.count(Enterprise.id))) == 1 and firm.identity_status == "verified"
        enterprise_users = {u.username: u.active for u in db.session.scalars(select(User))}
        winners = [n for n in ("alpha", "beta") if enterprise_users.get(n)]
        assert len(winners) == 1 and len([n for n in ("alpha", "beta") if n in enterprise_users]) == 1
        if squatter_first:
            assert enterprise_users["squatter"] is False
        verified = db.session.scalars(select(IdentityCheck).where(IdentityCheck.outcome == "verified")).all()
        assert len(verified) == 1 and verified[0].user.username == winners[0]
