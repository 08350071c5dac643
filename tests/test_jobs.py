"""Background jobs (services/jobs.py): state, progress, failures that leave nothing behind, the pages, and a
real huey consumer process running a job end to end (SQLite queue; Redis too when TEST_REDIS_URL is set)."""
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey
from sqlalchemy import func, select

from marketplace import worker
from marketplace.extensions import db
from marketplace.models import AuditLog, Job, RegistryEnterprise, TaxRecord
from marketplace.services import jobs

from .test_ingest import REGISTRY_CSV, good_tax_rows, tax_csv

ROOT = Path(__file__).resolve().parent.parent


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def upload(client, source, content: bytes, name="data.csv"):
    token = client.csrf_token("/commission/data/import")
    return client.post("/commission/data/import", data={"csrf_token": token, "source": source,
                                                        "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_import_runs_as_a_job_and_its_page_shows_the_outcome(client, auth, users, app):
    auth.login(users["commission"])
    response = upload(client, "registry", REGISTRY_CSV.encode("utf-8-sig"), "名录.csv")
    assert response.status_code == 302 and "/commission/jobs/" in response.headers["Location"]
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    status = client.get(f"/commission/jobs/{job_id}.json").get_json()
    assert status["state"] == "done" and status["percent"] == 100 and status["counts"]["rows"] == 40
    assert status["kind_label"] == "部门数据导入" and status["finished_at"]
    page = client.get(f"/commission/jobs/{job_id}").get_data(as_text=True)
    assert "已完成" in page and "已导入在营企业数据库 40 行" in page and "job_progress.js" in page
    assert "<script>" not in page  # CSP: the progress bar is driven by a static file
    listing = client.get("/commission/jobs").get_data(as_text=True)
    assert f'/commission/jobs/{job_id}"' in listing and "部门数据导入" in listing
    with app.app_context():
        assert count(RegistryEnterprise) == 40
        job = db.session.get(Job, job_id)
        assert job.created_by is not None and job.started_at <= job.finished_at
        assert not list((Path(app.instance_path) / "job_inputs").glob(job.params["input"]))  # upload removed


def test_a_rejected_file_fails_the_job_with_what_to_do_and_saves_nothing(client, auth, users, app):
    auth.login(users["commission"])
    upload(client, "registry", REGISTRY_CSV.encode("utf-8-sig"), "名录.csv")
    rows = good_tax_rows()
    rows[5] = (rows[5][0], "2026-10", "一百", 0, 0, 0)
    page = upload(client, "tax_records", tax_csv(rows).encode(), "纳税.csv")
    page = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "失败" in page and "文件未导入" in page and "改正后重新上传" in page
    assert "金额应为数字" in page and "<td>7</td>" in page  # the row-by-row report, shown and downloadable
    link = page.split('href="/commission/data/import/reports/')[1].split('"')[0]
    assert "金额应为数字" in client.get("/commission/data/import/reports/" + link).get_data().decode("utf-8-sig")
    with app.app_context():
        assert count(TaxRecord) == 0
        assert db.session.scalar(select(Job.state).order_by(Job.id.desc())) == "failed"


def test_a_crashing_job_rolls_back_and_shows_no_raw_error(app, users, monkeypatch):
    def crash(job, progress):
        db.session.add(AuditLog(actor_id=None, action="half.written", object_type="x", object_id="1", detail={}))
        db.session.flush()
        raise KeyError("internal detail")
    monkeypatch.setitem(jobs.HANDLERS, "sharing_batch", crash)
    with app.app_context():
        job = jobs.enqueue("sharing_batch", None, month="2026-10-01")
        assert job.state == "failed"
        assert "已全部回滚" in job.error and f"任务编号 {job.id}" in job.error and "internal detail" not in job.error
        assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "half.written")) == 0
        assert jobs.status(job)["finished"] is True


def test_progress_of_a_running_job_is_read_from_the_queue_store(app, monkeypatch):
    monkeypatch.setattr(jobs, "PUSH_EVERY", 0)
    with app.app_context():
        job = Job(kind="score_all", state="running", params={}, counts={}, result={})
        db.session.add(job)
        db.session.commit()
        progress = jobs.Progress(job.id)
        progress.start("评分并写入", 2_000)
        progress.advance(500)
        s = jobs.status(job)
        assert (s["phase"], s["done"], s["total"], s["percent"]) == ("评分并写入", 500, 2_000, 25)
        progress.start("计算特征")  # no known end: no percentage is invented
        assert jobs.status(job)["percent"] is None


def test_report_pack_job_gives_a_download(client, auth, users):
    auth.login(users["commission"])
    response = client.submit("/commission/indicators/report-job?month=2026-10", {},
                             page="/commission/indicators?month=2026-10")
    job_url = response.headers["Location"]
    page = client.get(job_url).get_data(as_text=True)
    assert "月度报表包已生成" in page
    result = client.get(job_url + "/result")
    assert result.status_code == 200 and result.data[:2] == b"PK"  # an XLSX (zip) workbook
    assert "xinyidai-indicators-2026-10.xlsx" in result.headers["Content-Disposition"]
    assert client.post("/commission/indicators/report-job?month=2026-10").status_code == 400  # no CSRF token


def test_job_pages_belong_to_commission_staff(client, auth, users, app):
    with app.app_context():
        job = jobs.enqueue("report_pack", None, month="2026-10-01")
    for role in ("enterprise", "bank"):
        auth.login(users[role])
        for url in ("/commission/jobs", f"/commission/jobs/{job.id}", f"/commission/jobs/{job.id}.json",
                    f"/commission/jobs/{job.id}/result"):
            assert client.get(url).status_code == 403, url
        auth.logout()
    assert client.get(f"/commission/jobs/{job.id}.json").status_code == 302  # anonymous: to the login page
    auth.login(users["commission"])
    assert client.get("/commission/jobs/999999").status_code == 404


# ---- a real consumer process ------------------------------------------------------------------------

def _queue(tmp_path):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if redis_url:
        return RedisHuey("xinyidai", url=redis_url), {"REDIS_URL": redis_url}
    path = str(tmp_path / "queue.sqlite3")
    return SqliteHuey("xinyidai", filename=path), {"JOBS_SQLITE": path}


def test_a_real_worker_process_runs_an_import_end_to_end(app, users, tmp_path):
    queue, queue_env = _queue(tmp_path)
    queue.flush()
    with app.app_context():
        job = Job(kind="import", state="queued", created_by=None, counts={}, result={},
                  params={"source": "registry", "source_label": "在营企业数据库", "file_name": "名录.csv",
                          "input": jobs.stash_input(REGISTRY_CSV.encode("utf-8-sig"), ".csv")})
        db.session.add(job)
        db.session.commit()
        job_id, url = job.id, app.config["SQLALCHEMY_DATABASE_URI"]
        db.session.remove()
        db.engine.dispose()  # SQLite: no connection of ours holds the file while the worker writes
    queue.task(retries=0)(worker.run_job.func)(job_id)  # the same task, on the worker's queue store
    env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=app.instance_path, MODEL_DIR=app.config["MODEL_DIR"],
               **queue_env)
    if "REDIS_URL" not in queue_env:
        env.pop("REDIS_URL", None)
    consumer = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "marketplace.worker.huey",
                                 "--workers", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300  # a bound against a hung worker, not a speed assertion
        state = "queued"
        while state in ("queued", "running") and time.monotonic() < deadline and consumer.poll() is None:
            time.sleep(0.5)
            with app.app_context():
                state = db.session.scalar(select(Job.state).where(Job.id == job_id))
                db.session.remove()
    finally:
        consumer.terminate()
        output = consumer.communicate(timeout=60)[0].decode(errors="replace")
    assert state == "done", output[-3000:]
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.counts["rows"] == 40 and job.started_at is not None
        assert count(RegistryEnterprise) == 40


def test_rescore_all_job_needs_a_model_and_says_so(client, auth, users, app):
    auth.login(users["commission"])
    assert client.post("/commission/models/rescore").status_code == 400  # no CSRF token
    response = client.submit("/commission/models/rescore", {}, page="/commission/jobs")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "任务失败" in page and "尚无启用的评分模型" in page


def test_demo_stops_the_worker_when_the_web_server_stops(monkeypatch, tmp_path):
    from marketplace import cli

    pid_file = tmp_path / "worker.pid"
    worker_code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(600)"
    monkeypatch.setattr(cli, "WORKER_COMMAND", [sys.executable, "-c", worker_code])
    web = [sys.executable, "-c", f"import os, time\nwhile not os.path.exists({str(pid_file)!r}): time.sleep(0.1)\n"
                                 "raise SystemExit(3)"]
    assert cli.serve_with_worker(web, dict(os.environ)) == 3  # the web server's exit code
    worker_pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # reaped: no process with that id any more
        os.kill(worker_pid, 0)
