"""Every GET page of the demo, for each role, opened with real ids: none shows "nan", "None" or a raw code
where a label belongs, and the downloads (XLSX, CSV) carry no "nan" / "None" either."""
import io
import re
from html.parser import HTMLParser

import pytest

from marketplace import codes
from marketplace.services import breakdowns, workdays
from seed.accounts import DEMO_PASSWORD

from . import demo_city

ROLE_PREFIX = {"enterprise": "/enterprise", "bank": "/bank", "commission": "/commission"}
NOT_A_PAGE = {"static", "auth.login", "auth.register", "commission.import_report"}  # login pages: anonymous only
MISSING = re.compile(r"(?<![A-Za-z])(nan|NaN|None|null|undefined)(?![A-Za-z])")
REGION = re.compile(r"(?<![0-9A-Z如])3701\d\d(?![0-9A-Z])")
# Pages reached with a query string: apply is opened from a need's recommendations.
QUERY = {"enterprise.apply": lambda a: f"?need_id={a['need_id'][0]}&product_ids={a['product_id'][0]}",
         "commission.joint_cases_export": lambda a: f"?month={workdays.today():%Y-%m}"}
WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
CODE_LISTS = (codes.APPLICATION_STATUSES, codes.PRODUCT_KINDS, codes.GUARANTEE_KINDS, codes.SIZES,
              codes.OPERATING_STATUSES, codes.INSTITUTION_KINDS, codes.PRODUCT_STATUSES, codes.NEED_STATUSES,
              codes.URGENCIES, codes.REJECT_REASONS, codes.OBJECTION_KINDS, codes.OBJECTION_SOURCES,
              codes.OBJECTION_STATUSES, codes.LIST_TYPES, codes.AUTHORIZATION_SCOPES, codes.DISHONESTY_RULES,
              codes.COMMITMENT_TYPES, codes.ROLES)
RAW_CODES = {k for mapping in CODE_LISTS for k in mapping if len(k) > 1 and not k.isupper()}


class VisibleText(HTMLParser):
    """The text a person reads: text nodes outside <script>, <style> and <code> (documented field names),
    plus titles, labels and placeholders."""

    SKIP = {"script", "style", "code"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def problems_in_html(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    found = []
    for text in parser.parts:
        if MISSING.search(text):
            found.append(f"missing value: {text[:80]!r}")
        if REGION.search(text):
            found.append("district code instead of its name")
        raw = [w for w in WORD.findall(text) if w in RAW_CODES]
        if raw:
            found.append(f"raw code {raw}: {text[:80]!r}")
    return found


def problems_in_download(data: bytes, name: str) -> list[str]:
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True)
        cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row
                 if c is not None]
    else:
        cells = data.decode("utf-8-sig").replace("\n", ",").split(",")
    return [f"missing value in {name}: {c[:60]!r}" for c in cells if MISSING.fullmatch(c.strip())]


# Endpoints that answer with a file (a browser downloads it instead of showing a page). Each is requested
# through a real gunicorn in test_downloads_on_gunicorn; a new one must be added here.
DOWNLOAD_ENDPOINTS = {"commission.indicator_records", "commission.indicators_report", "commission.statistics_export",
                      "commission.sharing_download", "commission.import_report", "commission.joint_cases_export",
                      "commission.commitment_export", "commission.access_log_export",
                      "commission.compensation_export", "commission.model_scorecard", "commission.job_result"}
# Not a page for a browser to show: the files (the records page also exports, with ?format=) and the
# JSON a job's page polls for its progress.
NOT_HTML = (DOWNLOAD_ENDPOINTS - {"commission.indicator_records"}) | {"commission.job_status"}


def urls_for(app, role: str, args: dict[str, list], *, html_only: bool = False) -> list[str]:
    """Every GET rule this role may open, once per real id of each argument (pages without ids once);
    only the HTML pages when `html_only` (a browser walking pages)."""
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_A_PAGE or rule.rule.startswith("/api/"):
            continue
        if html_only and rule.endpoint in NOT_HTML:
            continue
        prefix = rule.rule.split("/")[1]
        if f"/{prefix}" in ROLE_PREFIX.values() and ROLE_PREFIX[role] != f"/{prefix}":
            continue
        names = sorted(rule.arguments)
        if not names:
            out.append(rule.rule + QUERY.get(rule.endpoint, lambda a: "")(args))
            continue
        if "fmt" in names:  # downloads: each format of the first id
            fmts = ("jsonl", "csv") if "batch_id" in names else ("xlsx", "csv")
            keys = args["batch_id"] if "batch_id" in names else [*breakdowns.DIMENSIONS, "funnel", "late", "totals"]
            key_name = "batch_id" if "batch_id" in names else "key"
            out += [rule.build({key_name: k, "fmt": f}, append_unknown=False)[1] for k in keys for f in fmts]
            continue
        (name,) = names
        assert args.get(name), f"no real id for {rule.rule} as {role}: the demo city must have one"
        out += [rule.build({name: v}, append_unknown=False)[1] for v in args[name]]
    return sorted(set(out))


@pytest.fixture
def demo(app, runner):
    with app.app_context():
        demo_city.build(runner)
        args = {role: demo_city.url_arguments(role) for role in ROLE_PREFIX}
    return args


def test_every_page_of_each_role_shows_labels_not_nan_none_or_codes(app, client, auth, demo):
    seen, problems = 0, []
    for role in ROLE_PREFIX:
        auth.login({"enterprise": "sme_demo", "bank": "bank_demo", "commission": "admin_demo"}[role],
                   password=DEMO_PASSWORD)
        for url in urls_for(app, role, demo[role]):
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, f"{role} {url}: {response.status_code}"
            assert response.request.path.startswith(url.split("?")[0].rsplit("/", 1)[0]), f"{role} {url} left"
            seen += 1
            if response.mimetype == "text/html":
                problems += [f"{role} {url}: {p}" for p in problems_in_html(response.get_data(as_text=True))]
            elif url.endswith((".csv", ".xlsx")):
                problems += [f"{role} {url}: {p}" for p in problems_in_download(response.data, url)]
        auth.logout()
    assert seen > 60
    auth.login("bank_demo", password=DEMO_PASSWORD)
    matches = client.get("/bank/matches").get_data(as_text=True)
    assert "未评级" in matches, "the unrated firm's need is listed with 未评级"
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_walk_catches_what_it_looks_for():
    """The checker itself: each kind of slip is found, clean pages pass."""
    assert problems_in_html("<td>信用等级 nan</td>")
    assert problems_in_html("<td>None</td>")
    assert problems_in_html("<p>所在区县（370105）</p>")
    assert problems_in_html("<span>submitted</span>")
    assert problems_in_html('<a title="dishonest_judgment_debtor">x</a>')
    assert not problems_in_html("<p>历下区 · 91370102MA3C4XKL85 · 已提交</p><script>var a = null;</script>")
    assert not problems_in_html("<p>所属区县（区县代码（如370102）或名称）</p>")
    assert problems_in_download(b"uscc,amount\r\nx,nan\r\n", "a.csv")
