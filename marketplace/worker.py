"""The job queue (huey), its one task and its one daily schedule. The worker process is

    huey_consumer marketplace.worker.huey

which `flask demo` starts beside gunicorn. Besides running queued jobs, the worker runs `refresh_loans`
every day at LOAN_REFRESH_AT Beijing time (逾期 / 不良 from the repayment schedules; `flask refresh-loans`
does the same by hand). Storage: Redis when REDIS_URL is set (production: several web
processes and the worker share it), otherwise a SQLite file in the instance folder (the embedded default,
nothing to install; JOBS_SQLITE moves that file). The work and its bookkeeping live in services/jobs.py; this module only carries ids.
"""
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from huey import RedisHuey, SqliteHuey

ROOT = Path(__file__).resolve().parent.parent


def make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("xinyidai", url=redis_url)
    instance = Path(os.environ.get("INSTANCE_PATH", str(ROOT / "instance")))
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("xinyidai", filename=os.environ.get("JOBS_SQLITE", str(instance / "jobs.sqlite3")))


huey = make_huey()


@cache
def _app():
    from . import create_app

    return create_app()


def _in_app(work):
    """Run `work()` in the app; inside a request (huey's immediate mode in tests) in that app."""
    from flask import has_app_context

    if has_app_context():
        return work()
    with _app().app_context():
        return work()


@huey.task(retries=0)
def run_job(job_id: int) -> None:
    """Run one job row."""
    from .services import jobs

    _in_app(lambda: jobs.run(job_id))


# 01:30 Beijing time: after midnight, so the day that has just begun is the one whose missed due dates
# count, and before anyone opens the bank's queue in the morning.
LOAN_REFRESH_AT = (1, 30)


def at_beijing_time(hour: int, minute: int):
    """A huey schedule firing once a day at hour:minute Asia/Shanghai. huey hands the validator its own
    clock's minute (naive UTC when huey.utc, the default; naive local time otherwise)."""
    from .clock import SHANGHAI

    def due(moment: datetime) -> bool:
        aware = moment.replace(tzinfo=UTC) if huey.utc else moment.astimezone()
        local = aware.astimezone(SHANGHAI)
        return (local.hour, local.minute) == (hour, minute)
    return due


@huey.periodic_task(at_beijing_time(*LOAN_REFRESH_AT), retries=2, retry_delay=600)
def refresh_loans() -> dict:
    """The daily 还款计划 check: loans with an instalment past due and unpaid go to 逾期, and to 不良 at the
    days-past-due rule (services/schedules.refresh, idempotent: a second run the same day moves nothing)."""
    from .services import schedules

    return _in_app(schedules.refresh)
