"""Every download of the site through a REAL gunicorn: the Flask test client accepted a raw Chinese file name
in Content-Disposition that gunicorn refuses (every indicator record download was a 500 in production).

A small seeded city in a temporary SQLite instance, gunicorn on a free port, a commission user logged in
with a cookie jar as a browser would; each file must come back 200 and parse (CSV, XLSX, JSON Lines)."""
import csv
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from .test_every_page import DOWNLOAD_ENDPOINTS

ROOT = Path(__file__).resolve().parent.parent
SECRET = "9c1f6a0e3b7d2c5a8f4e1b6d0a3c7e9f5b2d8a4c6e0f3b7d"
STAFF, STAFF_PASSWORD = "download_staff", "Gunicorn-check-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed(instance: Path) -> dict:
    """The instance gunicorn will serve: migrated, a small city with history, a share batch, a staff user."""
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.services import accounts, compensation, sharing
    from seed import city, load

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'marketplace.db'}",
                      "SECRET_KEY": SECRET, "MODEL_DIR": str(instance / "models")})
    app.instance_path = str(instance)  # the share batch's file is written where gunicorn will read it
    with app.app_context():
        upgrade()
        load.load_city(db.engine, enterprises=120, institutions=4, products=12, seed=5)
        load.load_departments(db.engine, enterprises=120, months=3, seed=5)
        load.load_history(db.engine, applications=60, seed=5)
        load.load_denominators(registered_enterprises=120)
        accounts.create_user(username=STAFF, password=STAFF_PASSWORD, role="commission")
        month = city.AS_OF.replace(day=1)
        batch = sharing.produce(month, None)
        fund = compensation.create_fund(name="市级风险补偿资金池", share="33.33", per_loan_cap=300_000,
                                        budget=5_000_000, product_ids=[], institution_ids=[], actor_id=None)
        # A model version with its WOE scorecard challenger (points per attribute, a download of its own).
        import pandas as pd

        from marketplace.services import scoring
        from tests.risk.conftest import feature_frame
        X, y = feature_frame(800, seed=3)
        trained = scoring.train(X, pd.DataFrame({"uscc": X.index, "defaulted_12m": y.to_numpy()}), as_of=city.AS_OF,
                                source={"kind": "test"}, activate=False, challenger=True)
        info = {"month": f"{month:%Y-%m}", "batch": batch.id, "fund": fund.id, "version": trained["version"]}
        db.session.remove()
        db.engine.dispose()
    return info


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    instance = tmp_path_factory.mktemp("gunicorn-instance")
    info = _seed(instance)
    port = _free_port()
    env = dict(os.environ, SECRET_KEY=SECRET, INSTANCE_PATH=str(instance),
               DATABASE_URL=f"sqlite:///{instance / 'marketplace.db'}", MODEL_DIR=str(instance / "models"))
    env.pop("FLASK_DEBUG", None)
    log = open(instance / "gunicorn.log", "w+b")
    # Its own session (no signal meant for gunicorn's group reaches pytest) and no control socket: the
    # default one (~/.gunicorn/gunicorn.ctl) is shared by every gunicorn of the user on the machine.
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                             "--timeout", "120", "--no-control-socket", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    # The background-job worker beside it, as `flask demo` and production run it (imports are jobs).
    worker = subprocess.Popen([sys.executable, "-m", "huey.bin.huey_consumer", "marketplace.worker.huey",
                               "--workers", "1"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail("gunicorn exited: " + log.read().decode(errors="replace")[-3000:])
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not open its port within 60 s")
                time.sleep(0.2)
        yield {**info, "base": f"http://127.0.0.1:{port}", "log": log}
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Browser:
    """urllib with a cookie jar: reads the CSRF token from forms and posts them, as a browser does."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str):
        try:
            return self.opener.open(self.base + path, timeout=120)
        except urllib.error.HTTPError as e:
            return e

    def token(self, path: str) -> str:
        html = self.get(path).read().decode()
        return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)

    def post(self, path: str, fields: dict, files: dict | None = None):
        if files:
            boundary = uuid.uuid4().hex
            body = b""
            for name, value in fields.items():
                body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
            for name, (filename, content) in files.items():
                body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                         "Content-Type: text/csv\r\n\r\n").encode() + content + b"\r\n"
            body += f"--{boundary}--\r\n".encode()
            headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        else:
            body, headers = urllib.parse.urlencode(fields).encode(), {}
        request = urllib.request.Request(self.base + path, data=body, headers=headers, method="POST")
        try:
            return self.opener.open(request, timeout=120)
        except urllib.error.HTTPError as e:
            return e


@pytest.fixture(scope="module")
def staff(server):
    browser = Browser(server["base"])
    response = browser.post("/auth/login", {"csrf_token": browser.token("/auth/login"), "username": STAFF,
                                            "password": STAFF_PASSWORD})
    assert response.status == 200 and response.url.endswith("/commission/")
    return browser


def _fetch(staff, path):
    response = staff.get(path)
    body = response.read()
    assert response.status == 200, f"{path}: {response.status} {body[:300]!r}"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename="), disposition
    return response, body


def _check_file(path: str, response, body: bytes) -> None:
    kind = path.split("?")[0].rsplit(".", 1)[-1] if "format=" not in path else path.rsplit("format=", 1)[1]
    if kind == "csv":
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
        assert rows and all(rows[0]), f"{path}: no header"
    elif kind == "xlsx":
        book = load_workbook(io.BytesIO(body), read_only=True)
        assert book.worksheets and book.worksheets[0].max_row >= 1
    elif kind == "jsonl":
        lines = [json.loads(line) for line in body.decode().split("\n") if line.strip()]
        assert lines and all("record_type" in r for r in lines)
    else:
        raise AssertionError(f"unknown download kind {kind} for {path}")


def _download_paths(server) -> list[str]:
    from marketplace.services import breakdowns, indicators

    month = server["month"]
    paths = [f"/commission/indicators/{urllib.parse.quote(code)}?month={month}&scope={scope}&format={fmt}"
             for code in indicators.INDICATORS for fmt in ("xlsx", "csv")
             for scope in (["month", "cumulative"] if code == "十二" else ["month"])]
    paths.append(f"/commission/indicators/report.xlsx?month={month}")
    keys = [*breakdowns.DIMENSIONS, "funnel", "late", "totals"]
    paths += [f"/commission/statistics/{key}.{fmt}?month={month}" for key in keys for fmt in ("xlsx", "csv")]
    paths += [f"/commission/sharing/{server['batch']}.{fmt}" for fmt in ("jsonl", "csv")]
    paths += [f"/commission/joint/cases.csv?month={month}", "/commission/commitments.csv",
              "/commission/access-log.csv", f"/commission/compensation/{server['fund']}.csv",
              f"/commission/models/{server['version']}/scorecard.csv"]
    return paths


def test_every_download_endpoint_is_covered(app):
    file_like = {rule.endpoint for rule in app.url_map.iter_rules()
                 if re.search(r"(\.(csv|xlsx|jsonl|<fmt>)|/result)$", rule.rule)
                 or rule.endpoint == "commission.indicator_records"}
    assert file_like <= DOWNLOAD_ENDPOINTS, f"download routes not covered by this test: {file_like - DOWNLOAD_ENDPOINTS}"


def test_every_download_through_gunicorn(server, staff):
    paths = _download_paths(server)
    assert len([p for p in paths if "/indicators/" in p and "format=" in p and "scope=month" in p]) == 18
    for path in paths:
        response, body = _fetch(staff, path)
        _check_file(path, response, body)
        assert response.headers["Cache-Control"] == "no-store"


def _wait_for(staff, job_page: str) -> str:
    """The job's page once the worker beside gunicorn has finished it."""
    deadline = time.monotonic() + 120
    while not json.loads(staff.get(job_page + ".json").read())["finished"]:
        assert time.monotonic() < deadline, f"the worker did not finish {job_page} within 120 s"
        time.sleep(0.5)
    return staff.get(job_page).read().decode()


def test_job_result_download_through_gunicorn(server, staff):
    """The monthly report pack built by the worker: its page links the file, which opens as a workbook."""
    path = f"/commission/indicators/report-job?month={server['month']}"
    page = staff.post(path, {"csrf_token": staff.token(f"/commission/indicators?month={server['month']}")})
    job_page = urllib.parse.urlsplit(page.geturl()).path
    assert re.fullmatch(r"/commission/jobs/\d+", job_page), job_page
    page = _wait_for(staff, job_page)
    link = re.search(r'href="(/commission/jobs/\d+/result)"', page).group(1)
    response, body = _fetch(staff, link)
    assert f"xinyidai-indicators-{server['month']}.xlsx" in response.headers["Content-Disposition"]
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(body), read_only=True)
    assert len(book.worksheets) > 1


def test_import_report_download_through_gunicorn(server, staff):
    bad = "统一社会信用代码,所属期,营业收入,实缴增值税,实缴所得税,欠税金额\n91370102MA3C4XKL85,2026-10,一百,0,0,0\n"
    page = staff.post("/commission/data/import", {"csrf_token": staff.token("/commission/data/import"),
                                                   "source": "tax_records"},
                      files={"file": ("纳税.csv", bad.encode())})
    job_page = urllib.parse.urlsplit(page.geturl()).path  # the upload answers with its job's page
    assert re.fullmatch(r"/commission/jobs/\d+", job_page), job_page
    page = _wait_for(staff, job_page)
    link = re.search(r'href="(/commission/data/import/reports/[0-9a-f]{32}\.csv)"', page).group(1)
    response, body = _fetch(staff, link)
    assert "filename*=UTF-8''%E5%AF%BC%E5%85%A5%E6%8A%A5%E5%91%8A" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["行号", "列", "值", "问题"] and len(rows) >= 2


def test_gunicorn_logged_no_server_error(server, staff):
    server["log"].flush()
    server["log"].seek(0)
    log = server["log"].read().decode(errors="replace")
    assert "Traceback" not in log and "Error handling request" not in log, log[-3000:]
