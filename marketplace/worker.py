"""The job queue (huey) and its one task. The worker process is

    huey_consumer marketplace.worker.huey

which `flask demo` starts beside gunicorn. Storage: Redis when REDIS_URL is set (production: several web
processes and the worker share it), otherwise a SQLite file in the instance folder (the embedded default,
nothing to install; JOBS_SQLITE moves that file). The work and its bookkeeping live in services/jobs.py; this module only carries ids.
"""
import os
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


@huey.task(retries=0)
def run_job(job_id: int) -> None:
    """Run one job row; inside a request (huey's immediate mode in tests) it uses that app."""
    from flask import has_app_context

    from .services import jobs

    if has_app_context():
        jobs.run(job_id)
        return
    with _app().app_context():
        jobs.run(job_id)
