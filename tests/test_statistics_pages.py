"""The commission's indicator pages, drill-downs, exports and the monthly report pack."""
import io
from datetime import date

from openpyxl import load_workbook

from marketplace.services import denominators

from .test_indicators import city  # noqa: F401  (the shared hand-built city)


def _login_staff(client, app):
    from marketplace.services import accounts

    with app.app_context():
        accounts.create_user(username="staff", password="correct-horse-1", role="commission")
    client.submit("/auth/login", {"username": "staff", "password": "correct-horse-1"})


def test_dashboard_shows_figures_and_not_available(client, city):  # noqa: F811
    _login_staff(client, city)
    html = client.get("/commission/indicators?month=2026-10").get_data(as_text=True)
    assert "信易贷月度指标 · 2026年10月" in html
    assert "（十三）" in html and "不可用" in html and "GDP 未录入" in html
    assert "/commission/indicators/%E5%8D%81%E4%B8%89?month=2026-10&amp;scope=month" in html, "figures link to records"
    assert "chart.umd.min.js" in html


def test_pages_are_for_commission_only(client, auth, users):
    auth.login(users["bank"])
    for url in ("/commission/indicators", "/commission/statistics", "/commission/indicators/report.xlsx",
                "/commission/indicators/十三"):
        assert client.get(url).status_code == 403, url


def test_drill_down_lists_records_and_exports_them(client, city):  # noqa: F811
    _login_staff(client, city)
    html = client.get("/commission/indicators/十三?month=2026-10").get_data(as_text=True)
    assert "甲" in html and "100" in html and "乙" not in html  # 乙 is a large firm
    xlsx = client.get("/commission/indicators/十三?month=2026-10&format=xlsx")
    ws = load_workbook(io.BytesIO(xlsx.data)).active
    assert ws["A2"].value.startswith("口径：")  # the reading implemented, above the header
    assert ws["A3"].value == "申请编号" and float(ws["I4"].value) == 100.0  # 1,000,000 yuan = 100 万元
    assert ws["I4"].number_format == "#,##0.00" and ws["E4"].value == "在营企业数据库"  # size from the registry
    csv = client.get("/commission/indicators/十三?month=2026-10&format=csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "text/csv" in csv.headers["Content-Type"]
    assert client.get("/commission/indicators/九十九").status_code == 404


def test_report_pack_has_cover_summary_and_groups(client, city):  # noqa: F811
    with city.app_context():
        denominators.set_figure(kind="gdp", period_kind="year", start=date(2026, 1, 1), value=10**12, source="",
                                actor_id=None)
    _login_staff(client, city)
    response = client.get("/commission/indicators/report.xlsx?month=2026-10")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames[:2] == ["封面", "指标汇总"]
    assert {"平台与融-十三", "信用信息-二十四", "异议处理-三十六", "贷款余额与累计放款", "按区县", "融资对接漏斗"} <= set(wb.sheetnames)
    cover = {r[0]: r[1] for r in wb["封面"].iter_rows(min_row=3, values_only=True)}
    assert cover["统计期"] == "2026年10月" and "生成时间" in cover
    assert any(k.startswith("数据来源 registry") for k in cover), "last import date of each source"
    summary = {r[0]: r for r in wb["指标汇总"].iter_rows(min_row=4, values_only=True)}
    row = summary["（十三）"]
    assert float(row[4]) == 1_000_000 and float(row[6]) == 1e-6  # month numerator and ratio
    assert summary["（十二）"][6] == "不可用"


def test_statistics_page_and_export(client, city):  # noqa: F811
    _login_staff(client, city)
    html = client.get("/commission/statistics?month=2026-10").get_data(as_text=True)
    for label in ("融资对接漏斗", "按区县", "按金融机构", "按担保方式", "超期未决", "平台运行总量", "审批通过率"):
        assert label in html
    ws = load_workbook(io.BytesIO(client.get("/commission/statistics/size.xlsx?month=2026-10").data)).active
    values = [[c for c in r] for r in ws.iter_rows(min_row=3, values_only=True)]
    assert values[-1][0] == "合计" and float(values[-1][2]) == 600  # 6,000,000 yuan in October
    assert client.get("/commission/statistics/nope.xlsx").status_code == 404


def test_export_indicators_command(runner, city, tmp_path):  # noqa: F811
    out = tmp_path / "pack.xlsx"
    result = runner.invoke(args=["export-indicators", "--month", "2026-10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "封面" in load_workbook(out).sheetnames
    bad = runner.invoke(args=["export-indicators", "--month", "2026/13", "--out", str(out)])
    assert bad.exit_code != 0 and "YYYY-MM" in bad.output


def test_pages_work_on_an_empty_platform(client, auth, users):
    auth.login(users["commission"])
    for url in ("/commission/indicators", "/commission/statistics", "/commission/indicators/十三",
                "/commission/indicators/report.xlsx", "/commission/sharing"):
        assert client.get(url).status_code == 200, url
