"""Department data import: encodings, XLSX, all-or-nothing validation, period replacement, the registry's
code findings, the generator's files, the upload and coverage pages, and the CLI."""
import io

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import ImportBatch, RegistryCodeFinding, RegistryEnterprise, TaxRecord
from marketplace.services import RuleViolation, ingest
from seed import departments, export

from .conftest import USCC_A

CITY = departments.generate(40, months=3, seed=11)
FIRMS = CITY["registry"]["uscc"].tolist()
REGISTRY_CSV = export.department_format("registry", CITY["registry"]).to_csv(index=False)
TAX_HEADER = "统一社会信用代码,所属期,营业收入（元）,实缴增值税,实缴所得税,欠税金额\n"


def tax_csv(rows: list[tuple]) -> str:
    return TAX_HEADER + "".join(",".join(map(str, r)) + "\n" for r in rows)


def good_tax_rows(period="2026-10", n=10, revenue=100_000):
    return [(code, period, revenue + i, 3000, 0, 0) for i, code in enumerate(FIRMS[:n])]


def count(model, **where):
    stmt = select(func.count()).select_from(model)
    for k, v in where.items():
        stmt = stmt.where(getattr(model, k) == v)
    return db.session.scalar(stmt)


@pytest.fixture
def registry(app):
    with app.app_context():
        result = ingest.import_file("registry", REGISTRY_CSV.encode("utf-8-sig"), "企业名录.csv")
        assert result.ok, result.checked.errors
    return FIRMS


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_each_encoding_imports(app, registry, encoding):
    text = tax_csv(good_tax_rows()).replace("营业收入（元）", "营业收入（元）")
    with app.app_context():
        result = ingest.import_file("tax_records", text.encode(encoding), "纳税.csv")
        assert result.ok and result.rows_accepted == 10
        assert result.checked.encoding == {"utf-8": "UTF-8", "utf-8-sig": "UTF-8（带BOM）", "gbk": "GBK"}[encoding]
        assert count(TaxRecord) == 10
        assert db.session.scalar(select(TaxRecord.revenue).where(TaxRecord.uscc == FIRMS[3])) == 100_003


def test_xlsx_imports_with_english_headers_and_excel_dates(app, registry):
    book = Workbook()
    sheet = book.active
    sheet.append(["uscc", "period", "revenue", "vat_paid", "income_tax_paid", "arrears", "备注"])
    for code in FIRMS[:5]:
        sheet.append([code, pd.Timestamp("2026-09-15").to_pydatetime(), 120000.4, 3600, 0, 0, "无"])
    buffer = io.BytesIO()
    book.save(buffer)
    with app.app_context():
        result = ingest.import_file("tax_records", buffer.getvalue(), "tax.xlsx")
        assert result.ok, result.checked.errors
        assert result.checked.ignored_columns == ["备注"]
        row = db.session.execute(select(TaxRecord.period, TaxRecord.revenue)).first()
        assert str(row.period) == "2026-09-01" and row.revenue == 120_000


def test_one_bad_row_in_the_middle_rejects_the_whole_file(app, registry):
    rows = good_tax_rows()
    rows[4] = (FIRMS[4], "2026-13", "-5", "abc", 0, 0)
    with app.app_context():
        before = (count(TaxRecord), count(ImportBatch))
        result = ingest.import_file("tax_records", tax_csv(rows).encode(), "纳税.csv")
        assert not result.ok and result.batch_id is None
        errors = result.checked.errors
        assert set(errors["行号"]) == {6}  # header is row 1, so the fifth data row is row 6
        assert set(errors["列"]) == {"所属期", "营业收入", "实缴增值税"}
        assert "金额不能为负数" in errors["问题"].tolist()
        assert (count(TaxRecord), count(ImportBatch)) == before
        report = ingest.report_csv(errors).decode("utf-8-sig")
        assert report.startswith("行号,列,值,问题") and "所属期格式无法识别" in report
        assert report.splitlines()[1].startswith("6,") and errors["行号"].dtype.kind == "i"  # never "6.0"


def test_reimporting_a_period_replaces_it(app, registry):
    with app.app_context():
        ingest.import_file("tax_records", tax_csv(good_tax_rows("2026-09") + good_tax_rows("202610")).encode(), "a.csv")
        assert count(TaxRecord) == 20
        result = ingest.import_file("tax_records", tax_csv(good_tax_rows("2026/10", n=6, revenue=7)).encode(), "b.csv")
        assert result.ok and result.rows_replaced == 10
        assert count(TaxRecord) == 16
        october = db.session.scalars(select(TaxRecord.revenue).where(TaxRecord.period == pd.Timestamp("2026-10-01").date()))
        assert sorted(october) == [7, 8, 9, 10, 11, 12]
        batch = db.session.get(ImportBatch, result.batch_id)
        assert (batch.rows_accepted, str(batch.period_from), str(batch.period_to)) == (6, "2026-10-01", "2026-10-01")
        assert len(batch.sha256) == 64


def test_unknown_and_invalid_codes_are_reported_with_their_rows(app, registry):
    rows = good_tax_rows(n=3) + [(USCC_A, "2026-10", 1, 0, 0, 0), ("91370102MA3C4XKL86", "2026-10", 1, 0, 0, 0),
                                 (FIRMS[0], "2026-10", 5, 0, 0, 0)]
    with app.app_context():
        result = ingest.import_file("tax_records", tax_csv(rows).encode(), "纳税.csv")
        errors = result.checked.errors.set_index("行号")["问题"]
        assert "不在在营企业数据库中" in errors[5]
        assert errors[6] == "统一社会信用代码校验位错误"
        assert "与第2行重复" in errors[7]
        assert count(TaxRecord) == 0


def test_registry_import_reports_duplicates_and_invalid_codes(app):
    lines = REGISTRY_CSV.splitlines()
    bad = lines[3].replace(FIRMS[2], FIRMS[2][:-1] + ("0" if FIRMS[2][-1] != "0" else "1"))
    text = "\n".join(lines[:4] + [bad, lines[2], lines[5]]) + "\n"  # 5 rows: 1 invalid, 1 repeated
    with app.app_context():
        result = ingest.import_file("registry", text.encode("gbk"), "名录.csv")
        assert result.ok
        findings = result.checked.findings
        assert list(findings["行号"]) == [5, 6]
        assert findings["问题"].iloc[0] == "统一社会信用代码校验位错误"
        assert findings["问题"].iloc[1] == "重复的统一社会信用代码（首次出现于第3行）"
        assert count(RegistryEnterprise) == 4 - 1 + 1  # rows 2, 3, 4 and 7
        batch = db.session.get(ImportBatch, result.batch_id)
        assert (batch.codes_total, batch.codes_invalid, batch.codes_duplicate) == (6, 1, 1)
        nine = ingest.indicator_9()  # the indicator page's own function, as of today
        assert (nine.numerator, nine.denominator) == (2, 6)
        stored = db.session.execute(select(RegistryCodeFinding.line, RegistryCodeFinding.problem)
                                    .order_by(RegistryCodeFinding.line)).all()
        assert [tuple(r) for r in stored] == [(5, "invalid"), (6, "duplicate")]  # the bad codes themselves


def test_file_level_problems_are_refused_in_chinese(app, registry):
    with app.app_context():
        with pytest.raises(RuleViolation, match="缺少必需的列：所属期"):
            ingest.check("tax_records", "统一社会信用代码,营业收入,实缴增值税,实缴所得税,欠税金额\n".encode(), "x.csv")
        with pytest.raises(RuleViolation, match="无法识别文件编码"):
            ingest.check("tax_records", b"\xff\xfe\x00\x81\x00", "x.csv")
        with pytest.raises(RuleViolation, match="没有数据行"):
            ingest.check("tax_records", TAX_HEADER.encode(), "x.csv")


def test_period_and_date_spellings():
    values = pd.Series(["2026-10", "202610", "2026/10", "2026年10月", "2026-10-31", "20261031", "2026-02-30",
                        "2026-13", "10/2026", "2026-10-05 00:00:00"])
    periods = ingest.parse_dates(values, month_only_ok=True)
    assert periods[:6].dt.strftime("%Y-%m").tolist() == ["2026-10"] * 6
    assert periods[6:9].isna().all() and periods[9].month == 10
    dates = ingest.parse_dates(values, month_only_ok=False)
    assert dates[:4].isna().all() and dates[4].day == 31 and dates[5].day == 31


def test_customs_certifications_import_and_registry_as_of_date(app, registry):
    """海关高级认证 is an importable source; a registry file names its own 数据截止日期."""
    from marketplace.models import CustomsCertification

    with app.app_context():
        text = "统一社会信用代码,认证日期,撤销日期,认证证书编号\n" + f"{registry[0]},2024-03-01,,AEO0001\n"
        result = ingest.import_file("customs_certifications", text.encode("gbk"), "海关.csv")
        assert result.ok and count(CustomsCertification) == 1
        bad = "统一社会信用代码,认证日期,撤销日期\n" + f"{registry[0]},2024-03-01,2023-01-01\n"
        assert not ingest.check("customs_certifications", bad.encode(), "x.csv").ok  # revoked before certified
        reg = ("统一社会信用代码,企业名称,所属区县,行业门类,企业规模,经营状态,数据截止日期\n"
               f"{registry[0]},甲,历下区,C,小型,存续,2026-10-20\n")
        result = ingest.import_file("registry", reg.encode(), "名录.csv")
        assert result.ok
        assert db.session.get(ImportBatch, result.batch_id).as_of.isoformat() == "2026-10-20"


def test_generated_city_files_import_cleanly(app, tmp_path):
    paths = export.export(tmp_path, enterprises=120, months=4, seed=3)
    city = departments.generate(120, months=4, seed=3)
    assert not (tmp_path / "departments" / "truth.csv").exists() and (tmp_path / "truth.csv").exists()
    with app.app_context():
        for source in ingest.SOURCES:
            if city[source].empty:  # 120 firms hold no 海关高级认证企业 (about 1 % of non-micro firms)
                assert paths[source].read_text(encoding="utf-8-sig").count("\n") == 1, source
                continue
            result = ingest.import_file(source, paths[source].read_bytes(), paths[source].name)
            assert result.ok, (source, result.checked.errors.head())
            assert result.rows_accepted == len(city[source]), source
            assert count(ingest.SOURCES[source].table) == len(city[source])
        sample = paths["sample_tax_records"]
        assert ingest.check("tax_records", sample.read_bytes(), sample.name).ok
        stored = pd.read_sql(select(TaxRecord.uscc, TaxRecord.period, TaxRecord.revenue), db.engine)
    merged = city["tax_records"].merge(stored.assign(period=pd.to_datetime(stored["period"])), on=["uscc", "period"])
    assert len(merged) == len(city["tax_records"]) and (merged["revenue_x"] == merged["revenue_y"]).all()


# ---- pages and CLI ---------------------------------------------------------------------------

def upload(client, source, content: bytes, name="data.csv"):
    token = client.csrf_token("/commission/data/import")
    return client.post("/commission/data/import", data={"csrf_token": token, "source": source,
                                                        "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def test_upload_page_imports_for_commission_staff(client, auth, users, app):
    auth.login(users["commission"])
    page = upload(client, "registry", REGISTRY_CSV.encode("utf-8-sig"), "名录.csv").get_data(as_text=True)
    assert "已导入在营企业数据库 40 行" in page
    page = upload(client, "tax_records", tax_csv(good_tax_rows()).encode("gbk"), "纳税.csv").get_data(as_text=True)
    assert "已导入 10 行" in page and "GBK" in page
    with app.app_context():
        batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
        assert batch.source == "tax_records" and batch.created_by is not None and batch.file_name == "纳税.csv"


def test_upload_page_shows_rejected_rows_and_the_report_downloads(client, auth, users, app, registry):
    auth.login(users["commission"])
    rows = good_tax_rows()
    rows[5] = (FIRMS[5], "2026-10", "一百", 0, 0, 0)
    response = upload(client, "tax_records", tax_csv(rows).encode(), "纳税.csv")
    page = response.get_data(as_text=True)
    assert "文件未导入" in page and "金额应为数字" in page and "<td>7</td>" in page
    link = page.split('href="/commission/data/import/reports/')[1].split('"')[0]
    report = client.get("/commission/data/import/reports/" + link)
    assert report.status_code == 200 and "金额应为数字" in report.get_data().decode("utf-8-sig")
    assert client.get("/commission/data/import/reports/" + "0" * 32 + ".csv").status_code == 404
    with app.app_context():
        assert count(TaxRecord) == 0


def test_upload_page_is_forbidden_to_other_roles(client, auth, users):
    for role in ("enterprise", "bank"):
        auth.login(users[role])
        assert client.get("/commission/data/import").status_code == 403
        assert client.get("/commission/data/coverage").status_code == 403
        auth.logout()
    assert client.get("/commission/data/import").status_code == 302  # anonymous: to the login page


def test_upload_without_csrf_token_is_refused(client, auth, users, app):
    auth.login(users["commission"])
    response = client.post("/commission/data/import", data={"source": "registry", "file": (
        io.BytesIO(REGISTRY_CSV.encode()), "r.csv")}, content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        assert count(RegistryEnterprise) == 0


def test_oversized_upload_gets_a_clear_message(client, auth, users, app):
    auth.login(users["commission"])
    token = client.csrf_token("/commission/data/import")
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post("/commission/data/import", data={"csrf_token": token, "source": "registry",
                                                            "file": (io.BytesIO(b"x" * 20_000), "big.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "文件过大" in response.get_data(as_text=True)


def test_coverage_and_formats_pages_show_figures(client, auth, users, app, registry):
    with app.app_context():
        ingest.import_file("tax_records", tax_csv(good_tax_rows(n=10)).encode(), "纳税.csv")
    auth.login(users["commission"])
    page = client.get("/commission/data/coverage").get_data(as_text=True)
    assert "在营企业数据库共 <strong>40</strong> 家企业" in page
    assert "2026-10" in page and "25.0%" in page and "纳税.csv" in page
    formats = client.get("/commission/data/formats").get_data(as_text=True)
    assert "统一社会信用代码" in formats and "实缴增值税" in formats and "<code>vat_paid</code>" in formats


def test_import_data_command(app, runner, tmp_path):
    registry_file = tmp_path / "registry.csv"
    registry_file.write_bytes(REGISTRY_CSV.encode("gbk"))
    result = runner.invoke(args=["import-data", "registry", str(registry_file)])
    assert result.exit_code == 0 and "已导入在营企业数据库 40 行" in result.output
    bad = tmp_path / "tax.csv"
    bad.write_text(tax_csv([(FIRMS[0], "2026-10", -1, 0, 0, 0)]), encoding="utf-8")
    result = runner.invoke(args=["import-data", "tax_records", str(bad), "--report", str(tmp_path / "r.csv")])
    assert result.exit_code == 1 and "整个文件未导入" in result.output
    assert "金额不能为负数" in (tmp_path / "r.csv").read_bytes().decode("utf-8-sig")
    with app.app_context():
        assert count(TaxRecord) == 0
