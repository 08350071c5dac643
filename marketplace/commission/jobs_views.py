"""后台任务 pages: the list, one job's page (a progress bar fed by a small JSON endpoint), its result file."""
from flask import abort, jsonify, render_template, url_for

from ..extensions import db
from ..models import Job
from ..services import ingest, jobs
from ..web import download
from . import bp
from .views import _reports_dir


def _result_link(job: Job) -> dict | None:
    result = job.result or {}
    if result.get("file"):
        return {"url": url_for(".job_result", job_id=job.id), "label": result.get("label", "下载结果")}
    if result.get("route"):
        return {"url": url_for(result["route"], **result.get("args", {})), "label": result.get("label", "查看结果")}
    return None


@bp.route("/jobs")
def job_list():
    rows = jobs.recent()
    return render_template("commission/jobs.html", jobs=[(j, jobs.status(j), _result_link(j)) for j in rows])


@bp.route("/jobs/<int:job_id>")
def job_page(job_id: int):
    job = db.get_or_404(Job, job_id)
    report = None
    token = (job.result or {}).get("args", {}).get("token") if job.kind == "import" else None
    if token and (path := ingest.report_path(_reports_dir(), token)):
        import pandas as pd

        report = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False,
                             nrows=ingest.MAX_SHOWN_ERRORS + 1)
    return render_template("commission/job.html", job=job, s=jobs.status(job), link=_result_link(job),
                           report=report, shown=ingest.MAX_SHOWN_ERRORS)


@bp.route("/jobs/<int:job_id>.json")
def job_status(job_id: int):
    job = db.get_or_404(Job, job_id)
    return jsonify(jobs.status(job))


@bp.route("/jobs/<int:job_id>/result")
def job_result(job_id: int):
    job = db.get_or_404(Job, job_id)
    path = jobs.result_path(job)
    if path is None:
        abort(404)
    return download(path, job.result.get("download_name", path.name))
