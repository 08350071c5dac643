"""后台任务: the one owner of background jobs. `enqueue` records a job row (who, what, queued) and hands its
id to the queue (marketplace/worker.py); the worker calls `run`, which marks it running, does the work in
the work's own transaction, and records done (counts, result) or failed (what went wrong, what to do, and
the work rolled back: nothing half-written). Live progress — phase text, done of total — is kept in the
queue's store (Redis or the SQLite file), so the page can poll it while the work holds its transaction.
"""
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import codes
from ..clock import SHANGHAI, now
from ..extensions import db
from ..models import Enterprise, Job
from . import RuleViolation

ACTIVE_STATES = ("queued", "running")
PUSH_EVERY = 0.5  # seconds between progress writes to the queue's store


# ---------------------------------------------------------------------------------------------- files

def _folder(name: str) -> Path:
    path = Path(current_app.instance_path) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def stash_input(data: bytes, suffix: str) -> str:
    """Keep an uploaded file for the worker (same host, shared instance folder); returns its name."""
    name = uuid.uuid4().hex + "".join(c for c in suffix[-8:] if c.isalnum() or c == ".")
    (_folder("job_inputs") / name).write_bytes(data)
    return name


def result_path(job: Job) -> Path | None:
    """The job's result file, when it has one and it is still there."""
    name = (job.result or {}).get("file")
    if not name:
        return None
    path = _folder("job_results") / Path(name).name
    return path if path.is_file() else None


# ---------------------------------------------------------------------------------------------- progress

def _queue():
    from ..worker import huey

    return huey


def _key(job_id: int) -> str:
    return f"job-progress:{job_id}"


@dataclass
class Progress:
    """What a running job tells the page: phase text and done of total (total None: no known end)."""

    job_id: int
    phase: str = ""
    done: int = 0
    total: int | None = None
    _pushed: float = 0.0

    def start(self, phase: str, total: int | None = None) -> None:
        self.phase, self.done, self.total = phase, 0, total
        self.push(force=True)

    def advance(self, n: int) -> None:
        self.done += int(n)
        self.push()

    def push(self, force: bool = False) -> None:
        if force or time.monotonic() - self._pushed >= PUSH_EVERY:
            self._pushed = time.monotonic()
            # the queue's key-value store overwrites: one small value per running job
            _queue().put(_key(self.job_id), {"phase": self.phase, "done": self.done, "total": self.total})


def live_progress(job_id: int) -> dict:
    return _queue().get(_key(job_id), peek=True) or {}


# ---------------------------------------------------------------------------------------------- enqueue / run

def enqueue(kind: str, user_id: int | None, **params) -> Job:
    """Record the job and queue it; returns the row (its page is /commission/jobs/<id>)."""
    if kind not in HANDLERS:
        raise RuleViolation("未知的任务类型。")
    job = Job(kind=kind, state="queued", params=params, counts={}, result={}, created_by=user_id)
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    from ..worker import run_job

    try:
        run_job(job_id)
    except Exception:  # the queue's store is down: say so on the job, do not leave it queued forever
        current_app.logger.exception("could not queue job %s", job_id)
        db.session.rollback()
        _finish(job_id, "failed", error="任务队列不可用，任务未开始，未写入任何数据。请联系平台运维检查后台任务进程"
                                        "（huey_consumer）与 Redis，然后重新提交。")
    return db.session.get(Job, job_id)


def run(job_id: int) -> None:
    """Do one queued job (called by the worker). Idempotent: a job already started is left alone."""
    job = db.session.get(Job, job_id)
    if job is None or job.state != "queued":
        return
    job.state, job.started_at = "running", now()
    db.session.commit()
    progress = Progress(job_id)
    progress.start("开始")
    try:
        counts, result = HANDLERS[job.kind](job, progress)
    except RuleViolation as e:
        db.session.rollback()
        _finish(job_id, "failed", error=e.message)
    except Exception:
        current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
        db.session.rollback()
        _finish(job_id, "failed", error=f"任务执行出错，已全部回滚，未写入任何数据。请稍后重试；如仍失败，请联系平台运维"
                                        f"查看后台任务日志（任务编号 {job_id}）。")
    else:
        _finish(job_id, "done", counts=counts, result=result)
    finally:
        _cleanup_input(db.session.get(Job, job_id))


def _finish(job_id: int, state: str, *, error: str | None = None, counts: dict | None = None,
            result: dict | None = None) -> None:
    job = db.session.get(Job, job_id)
    job.state, job.finished_at, job.error = state, now(), error
    if counts is not None:
        job.counts = counts
    if result is not None:
        job.result = result
    db.session.commit()
    _queue().get(_key(job_id))  # the row now says everything: drop the live progress


def _cleanup_input(job: Job | None) -> None:
    name = (job.params or {}).get("input") if job else None
    if name:
        (_folder("job_inputs") / Path(name).name).unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------- reading

def recent(limit: int = 100, kind: str | None = None) -> list[Job]:
    stmt = select(Job).options(joinedload(Job.creator)).order_by(Job.id.desc()).limit(limit)
    return db.session.scalars(stmt.where(Job.kind == kind) if kind else stmt).all()


def _local(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def status(job: Job) -> dict:
    """The job as the page and its JSON endpoint show it (times in Beijing time)."""
    live = live_progress(job.id) if job.state == "running" else {}
    done, total = live.get("done", 0), live.get("total")
    if job.state == "done":
        percent = 100
    elif total:
        percent = min(99, int(100 * done / total))
    else:
        percent = None  # no known end: the bar shows movement, not a number
    return {"id": job.id, "kind": job.kind, "kind_label": codes.JOB_KINDS.get(job.kind, job.kind),
            "state": job.state, "state_label": codes.JOB_STATES[job.state],
            "phase": live.get("phase", "") if job.state == "running" else "",
            "done": done, "total": total, "percent": percent, "counts": job.counts or {},
            "error": job.error or "", "finished": job.state not in ACTIVE_STATES,
            "created_at": _local(job.created_at), "started_at": _local(job.started_at),
            "finished_at": _local(job.finished_at)}


# ---------------------------------------------------------------------------------------------- the work

def _platform_firms() -> int:
    return db.session.scalar(select(func.count(Enterprise.id))) or 0


def _scoring_progress(progress: Progress) -> Callable[[int], None]:
    """score_firms reports per written chunk; until the first chunk it builds features (no known end)."""
    progress.start("读取部门数据、计算特征")
    total = _platform_firms()

    def step(n: int) -> None:
        if progress.total is None:
            progress.start("评分并写入", total)
        progress.advance(n)
    return step


def _import(job: Job, progress: Progress):
    from . import ingest

    p = job.params
    data = (_folder("job_inputs") / Path(p["input"]).name).read_bytes()
    progress.start("校验文件")
    checked = ingest.check(p["source"], data, p["file_name"], p.get("max_rows"))
    report = checked.errors if not checked.ok else checked.findings
    result = {}
    if not report.empty:
        token = ingest.save_report(report, Path(current_app.instance_path) / "import_reports")
        result = {"route": "commission.import_report", "args": {"token": token},
                  "label": "下载逐行报告（CSV）"}
    if not checked.ok:
        n = len(checked.errors)
        job.result = result  # the report stays reachable from the failed job
        db.session.commit()
        raise RuleViolation(f"文件有 {n:,} 处错误，未导入任何数据。请下载逐行报告，改正后重新上传。")
    rows = len(checked.rows)
    progress.start("写入数据", rows)

    def step(n: int) -> None:
        progress.advance(n)
        if progress.done >= rows:
            progress.start("重新评分受影响的平台企业")
    saved = ingest.save(checked, user_id=job.created_by, progress=step)
    counts = {"rows": saved.rows_accepted, "replaced": saved.rows_replaced, "findings": len(checked.findings),
              "rescored": saved.rescored, "batch": saved.batch_id, "encoding": checked.encoding,
              "in_file": checked.rows_in_file, "ignored_columns": list(checked.ignored_columns or []),
              "kept": ingest.governed.describe(saved.kept)}
    first, last = checked.period_range()
    if first:
        counts["period"] = f"{first:%Y-%m} 至 {last:%Y-%m}"
    return counts, result


def _score_all(job: Job, progress: Progress):
    from . import scoring

    try:
        out = scoring.score_firms(progress=_scoring_progress(progress))
    except scoring.ScoringError as e:  # its message is written for people (e.g. no active model yet)
        raise RuleViolation(str(e)) from None
    return {"scored": out["scored"], "unscored": out["unscored"]}, {}


def _report_pack(job: Job, progress: Progress):
    from . import reports

    month = date.fromisoformat(job.params["month"])
    progress.start("生成报表包")
    data = reports.monthly_pack(month)
    name = f"{job.id}-xinyidai-indicators-{month:%Y-%m}.xlsx"
    (_folder("job_results") / name).write_bytes(data)
    return ({"bytes": len(data)},
            {"file": name, "download_name": f"xinyidai-indicators-{month:%Y-%m}.xlsx", "label": "下载报表包（XLSX）"})


def _sharing_batch(job: Job, progress: Progress):
    from . import sharing

    month = date.fromisoformat(job.params["month"])
    progress.start("比对已报送记录、生成批次")
    batch = sharing.produce(month, job.created_by)
    return (dict(batch.counts),
            {"route": "commission.sharing_download", "args": {"batch_id": batch.id, "fmt": "jsonl"},
             "label": f"下载第 {batch.id} 批（JSON Lines）"})


def _activate_model(job: Job, progress: Progress):
    """The re-score behind a staff sign-off (scoring.request_activation): the version active once every
    platform firm is re-scored with it (scoring.run_activation; a failure leaves the previous model)."""
    from . import scoring

    version = job.params["version"]
    try:
        out = scoring.run_activation(job.params["activation"], progress=_scoring_progress(progress))
    except scoring.ScoringError as e:
        raise RuleViolation(str(e)) from None
    return ({"scored": out["scored"], "unscored": out["unscored"], "previous": out["previous"] or ""},
            {"route": "commission.model_card", "args": {"version": version}, "label": f"查看模型 {version}"})


def unfinished(kind: str) -> Job | None:
    """A job of this kind still queued or running (e.g. one model activation at a time)."""
    return db.session.scalar(select(Job).where(Job.kind == kind, Job.state.in_(ACTIVE_STATES))
                             .order_by(Job.id).limit(1))


HANDLERS: dict[str, Callable[[Job, Progress], tuple[dict, dict]]] = {
    "import": _import, "score_all": _score_all, "report_pack": _report_pack, "sharing_batch": _sharing_batch,
    "activate_model": _activate_model,
}
assert set(HANDLERS) == set(codes.JOB_KINDS)
