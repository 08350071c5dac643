"""The one CSV writer (formula cells, odd line separators) behind every CSV the platform writes, download
file names, and uploads that cannot stall the site: limits per route, row caps, XLSX bombs, capped reports."""
import csv
import io
import os
import time
from datetime import date

import pandas as pd
import pytest
from openpyxl import Workbook

from marketplace.extensions import db
from marketplace.services import RuleViolation, csv_files, ingest, off_platform, sharing

from .conftest import make_enterprise
from .test_ingest import FIRMS, good_tax_rows, registry, tax_csv, upload  # noqa: F401 (fixture)

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-1+2",
           "\t=1+1", "\r=1+1"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_cells_are_neutralised(value):
    rows = read_csv(csv_files.write(["名称"], [[value]]))
    assert rows[1][0] == "'" + value
    assert not rows[1][0].startswith(tuple("=+-@\t\r"))


@pytest.mark.parametrize("value, expected", [(-12.5, "-12.5"), ("-12.5", "-12.5"), ("+3", "+3"), (7, "7"),
                                             ("济南=测试", "济南=测试"), (None, ""), (True, "是"),
                                             (date(2026, 10, 31), "2026-10-31")])
def test_ordinary_values_are_unchanged(value, expected):
    assert read_csv(csv_files.write(["v"], [[value]]))[1] == [expected]


def test_odd_line_separators_cannot_split_a_record():
    name = "济南\u2028换行\u2029公司\x85有限\x0b\x0c\x1c\x1d\x1e"
    data = csv_files.write(["名称", "备注"], [[name, "第一行\r\n第二行"]])
    text = data.decode("utf-8-sig")
    # header + one record, split only at the quoted CR LF inside the note (which a CSV reader keeps)
    assert len(text.splitlines()) == 3
    rows = read_csv(data)
    assert rows[1] == ["济南 换行 公司 有限     ", "第一行\r\n第二行"]


def test_sharing_csv_with_u2028_in_a_firm_name_and_formula_names(app):
    """The batch CSV used to be a permanent 500 (splitlines on the JSON Lines)."""
    from marketplace.models import ShareBatch

    with app.app_context():
        records = [{"record_type": "financing_need", "op": "new", "record_id": 1, "uscc": "91370102MA3C4XKL85",
                    "enterprise_name": "泉城\u2028科技=HYPERLINK(\"x\")", "institution": "@银行", "amount": 100000},
                   {"record_type": "financing_need", "op": "new", "record_id": 2, "uscc": "91370112MA3MFJ2X64",
                    "enterprise_name": "=1+1", "amount": 5}]
        import json

        content = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
        batch = ShareBatch(period=date(2026, 10, 1), counts={}, content=content, sha256="0" * 64)
        rows = read_csv(sharing.as_csv(batch))
    assert len(rows) == 3
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["enterprise_name"] == "泉城 科技=HYPERLINK(\"x\")" and first["institution"] == "'@银行"
    assert dict(zip(header, rows[2], strict=True))["enterprise_name"] == "'=1+1"


def test_import_report_neutralises_values_and_is_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest.reports, "MAX_REPORT_ROWS", 5)  # the owner since ingest became a package
    report = pd.DataFrame({"行号": range(2, 14), "列": ["营业收入"] * 8 + ["所属期"] * 4,
                           "值": ["=cmd|' /C calc'!A0"] * 12, "问题": ["金额应为数字"] * 12})
    rows = read_csv(ingest.report_csv(report))
    assert rows[0] == ingest.REPORT_COLUMNS
    assert len(rows) == 1 + 5 + 1
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert "另有 7 个问题未列出（共 12 个）" in rows[-1][3] and "营业收入 3 条" in rows[-1][3] \
        and "所属期 4 条" in rows[-1][3]


def test_old_import_reports_are_removed(tmp_path):
    old = tmp_path / ("a" * 32 + ".csv")
    old.write_text("x")
    past = time.time() - ingest.REPORT_KEPT.total_seconds() - 60
    os.utime(old, (past, past))
    recent = tmp_path / ("b" * 32 + ".csv")
    recent.write_text("y")
    token = ingest.save_report(pd.DataFrame(columns=ingest.REPORT_COLUMNS), tmp_path)
    assert not old.exists() and recent.exists() and (tmp_path / f"{token}.csv").exists()


def test_indicator_csv_neutralises_a_firm_name(app, client, auth, users):
    """A firm registered as =HYPERLINK(…) appears in 指标十二's records as text, not as a formula."""
    with app.app_context():
        make_enterprise(uscc="91370112MA3MFJ2X64", name='=HYPERLINK("http://evil.example","点我")')
    auth.login(users["commission"])
    month = date.today().strftime("%Y-%m")
    r = client.get(f"/commission/indicators/十二?month={month}&format=csv")
    assert r.status_code == 200
    names = [cell for row in read_csv(r.data) for cell in row if "HYPERLINK" in cell]
    assert names and all(n.startswith("'=") for n in names)


def test_download_names_use_rfc_6266(app, client, auth, users):
    auth.login(users["commission"])
    month = date.today().strftime("%Y-%m")
    r = client.get(f"/commission/indicators/十二?month={month}&format=xlsx")
    assert r.status_code == 200
    disposition = r.headers["Content-Disposition"]
    disposition.encode("latin-1")  # what a WSGI server can send
    assert disposition.startswith("attachment; filename=") and "filename*=UTF-8''" in disposition
    assert "%E5%8D%81%E4%BA%8C" in disposition  # 十二, percent-encoded


# ---- uploads -----------------------------------------------------------------------------------------

def test_each_upload_route_has_its_own_limit(app, client, auth, users):
    auth.login(users["commission"])
    # 3 MB: over the limit of an ordinary form, within the department import's
    big = b"uscc\n" + b"x" * (3 * 1024 * 1024)
    assert upload(client, "registry", big, "big.csv").status_code == 200
    token = client.csrf_token("/commission/data/import")
    r = client.post("/commission/institutions/new", data={"csrf_token": token, "name": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 413 and "2 MB" in r.get_data(as_text=True)


def test_off_platform_upload_is_limited(app, client, auth, users):
    auth.login(users["bank"])
    token = client.csrf_token("/bank/off-platform")
    r = client.post("/bank/off-platform/upload", data={
        "csrf_token": token, "csv-csrf_token": token, "csv-month": "2026-10",
        "csv-file": (io.BytesIO(b"x" * (3 * 1024 * 1024)), "big.csv")}, content_type="multipart/form-data")
    assert r.status_code == 413


def test_off_platform_csv_row_cap(app, monkeypatch):
    monkeypatch.setattr(off_platform, "MAX_CSV_ROWS", 3)
    data = ("统一社会信用代码,放款金额（元）\n" + "91370102MA3C4XKL85,100\n" * 6).encode()
    with app.app_context(), pytest.raises(RuleViolation, match="超过 3 行"):
        off_platform.import_csv(1, date(2026, 10, 1), data)


def test_csv_over_the_row_cap_is_refused_before_parsing(app, registry):  # noqa: F811
    data = tax_csv(good_tax_rows(n=30)).encode()
    with app.app_context():
        with pytest.raises(RuleViolation, match="超过 20 行"):
            ingest.check("tax_records", data, "纳税.csv", max_rows=20)
        assert ingest.check("tax_records", data, "纳税.csv", max_rows=30).ok


def xlsx_bomb(rows: int, *, dimension: bool = True) -> bytes:
    """A sheet of `rows` identical rows; Excel (and openpyxl's normal mode) writes the sheet's <dimension>,
    openpyxl's write-only mode leaves it out, so the reader has to count while reading."""
    wb = Workbook(write_only=not dimension)
    ws = wb.active if dimension else wb.create_sheet()
    ws.append(["统一社会信用代码", "所属期", "营业收入", "实缴增值税", "实缴所得税", "欠税金额"])
    for _ in range(rows):
        ws.append([FIRMS[0], "2026-10", 1, 0, 0, 0])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("dimension", [True, False])
def test_xlsx_over_the_row_cap_is_refused(app, dimension):
    data = xlsx_bomb(60, dimension=dimension)
    with app.app_context(), pytest.raises(RuleViolation, match="超过 50 行"):
        ingest.check("tax_records", data, "纳税.xlsx", max_rows=50)


@pytest.mark.parametrize("dimension", [True, False])
def test_xlsx_bomb_is_refused_before_openpyxl_parses_it(app, monkeypatch, dimension):
    """Without a <dimension>, openpyxl parses the whole sheet just to open it (50 s for 250,000 rows)."""
    data = xlsx_bomb(300, dimension=dimension)

    def no_parsing(*args, **kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr("openpyxl.load_workbook", no_parsing)
    with app.app_context(), pytest.raises(RuleViolation, match="超过 100 行"):
        ingest.check("tax_records", data, "纳税.xlsx", max_rows=100)


def test_xlsx_that_unpacks_too_big_is_refused(app, monkeypatch):
    monkeypatch.setattr(ingest.reading, "MAX_XLSX_UNPACKED", 10_000)
    with app.app_context(), pytest.raises(RuleViolation, match="解压后过大"):
        ingest.check("tax_records", xlsx_bomb(500), "纳税.xlsx", max_rows=None)


def test_web_upload_applies_the_row_cap(app, client, auth, users, registry):  # noqa: F811
    app.config["IMPORT_MAX_ROWS"] = 5
    auth.login(users["commission"])
    page = upload(client, "tax_records", tax_csv(good_tax_rows(n=10)).encode(), "纳税.csv").get_data(as_text=True)
    assert "超过 5 行" in page and "flask import-data" in page
    with app.app_context():
        from marketplace.models import TaxRecord

        assert db.session.query(TaxRecord).count() == 0
