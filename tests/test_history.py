"""The demo city's lending history: consistent with the state machine and visible in the statistics."""

from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import Application, ApplicationEvent, OffPlatformLoan
from marketplace.services import catalogue, indicators, workdays
from seed import load


def test_history_loads_consistent_applications(app, runner):
    assert runner.invoke(args=["seed", "--enterprises", "300", "--no-departments"]).exit_code == 0
    with app.app_context():
        counts = load.load_history(db.engine, applications=300, seed=5)
        assert counts["applications"] == 300
        apps = db.session.scalars(select(Application)).all()
        for a in apps:
            steps = [e.action for e in sorted(a.events, key=lambda e: e.id)]
            assert steps[0] == "submit" and a.events[-1].to_status == a.status, (a.id, steps)
            if a.status in ("disbursed", "repaid", "defaulted"):
                assert a.disbursed_amount <= a.granted_amount <= a.amount
                assert a.disbursed_on >= a.decided_at.date()
            if a.status == "repaid":
                assert a.repaid_amount == a.disbursed_amount and a.balance == 0
        assert db.session.scalar(select(func.count(OffPlatformLoan.id))) > 0
        total = catalogue.platform_totals()["financing"]
        assert total == sum(a.disbursed_amount or 0 for a in apps) > 0
        # Performing loans have paid what fell due up to today (load_history's paid_through); a 不良 loan stays
        # in the balance until its 核销 (180 days after default in the demo history).
        end = workdays.today()
        assert indicators.loan_balance(end) == sum(a.balance for a in apps if not (a.written_off_on and
                                                                                   a.written_off_on <= end))
        written_off = [a for a in apps if a.written_off_on]
        assert all(a.status == "defaulted" and a.events[-1].action == "write_off" for a in written_off)
        # A second history would double every figure: refused.
        try:
            load.load_history(db.engine, applications=10, seed=5)
        except RuntimeError:
            pass
        else:
            raise AssertionError("history loaded twice")
        assert db.session.scalar(select(func.count(ApplicationEvent.id))) >= 300


def test_seed_says_each_phase_of_the_history(app, runner):
    result = runner.invoke(args=["seed", "--enterprises", "120", "--no-departments", "--applications", "60"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    generate = next(i for i, line in enumerate(lines) if "生成融资历史：60 笔申请，120 家企业" in line)
    written = [i for i, line in enumerate(lines) if "写入 " in line and "行）" in line]
    # seven tables of the lending history, and the data authorizations its one-click applications gave
    assert "写入 applications（60 行）" in result.output and "写入 data_authorizations（" in result.output
    assert len(written) == 8 and generate < written[0]
