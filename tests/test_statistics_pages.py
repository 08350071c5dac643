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
        denominators.set_figure(kind="gdp", period_kind="year", start=date(2026, 1, 1), value=10**12,
                                source="市统计局", actor_id=None)
    _login_staff(client, city)
    response = client.get("/commission/indicators/report.xlsx?month=2026-10")
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames[:3] == ["封面", "指标汇总", "分母录入记录"]
    # One sheet of records per indicator and scope, named in Chinese (no cut "平台与融-十三").
    for scope in ("当月", "年初至今", "累计"):
        assert f"十三·{scope}·通过信易贷平台实现的信用融资规模占GDP比重"[:31] in wb.sheetnames
        assert f"三十六·{scope}·异议平均处理时限" in wb.sheetnames
    assert {"贷款余额与累计放款", "按区县", "融资对接漏斗"} <= set(wb.sheetnames)
    assert not any("-" in name and name[:4] in ("平台与融", "信用信息", "异议处理") for name in wb.sheetnames)

    cover = {r[0].value: r[1] for r in wb["封面"].iter_rows(min_row=3)}
    assert cover["统计期"].value == "2026年10月" and "生成时间" in cover
    # As of 31 Oct: 甲 乙 丙 (丁 registered on 1 Nov Shanghai time, so today's total of 4 is not the cover's).
    firms = cover["入驻企业（家，截至2026-10-31）"]
    assert firms.value == 3 and firms.number_format == "#,##0"
    # Disbursed by 31 Oct: 1,000,000 + 5,000,000 + 300,000 + 700,000 (2025) = 7,000,000 yuan = 700 万元.
    money = cover["累计融资（万元，截至2026-10-31）"]
    assert float(money.value) == 700 and money.number_format == "#,##0.00"
    assert "数据来源：在营企业数据库（最近一次导入）" in cover
    assert not any("registry" in str(k) or "list_entries" in str(k) for k in cover)

    # Summary: notes on rows 1–3, header on row 4. Columns: code, name, labels, then per scope num/den/value.
    summary = {r[0].value: r for r in wb["指标汇总"].iter_rows(min_row=5)}
    t13, t12, t36 = summary["（十三）"], summary["（十二）"], summary["（三十六）"]
    assert t13[4].value == 1_000_000 and t13[4].number_format == "#,##0"  # yuan
    assert float(t13[6].value) == 1e-6 and t13[6].number_format == "0.0000%"  # 0.0001 %, not 0.00 %
    assert t12[4].value == 3 and t12[4].number_format == "#,##0"  # a count: no decimals
    assert t12[6].value == "不可用"
    assert float(t36[6].value) == 8 and t36[6].number_format == "0.00"  # days, not a percentage
    assert summary["（二十四）"][6].number_format == "0.00%"

    dens = list(wb["分母录入记录"].iter_rows(min_row=4, values_only=True))
    assert dens == [("地区生产总值（GDP）", "年度", dens[0][2], 10**12, "市统计局", "命令行", dens[0][6], "是")]


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


def test_indicator_pages_show_amounts_in_wan_and_the_pack_keeps_yuan(client, city):  # noqa: F811
    with city.app_context():
        denominators.set_figure(kind="gdp", period_kind="year", start=date(2026, 1, 1), value=10**12,
                                source="市统计局", actor_id=None)
    _login_staff(client, city)
    # (十三) October: 甲's 1,000,000 yuan = 100 万元 over GDP 10^12 yuan = 100,000,000 万元.
    for url in ("/commission/indicators?month=2026-10", "/commission/indicators/十三?month=2026-10"):
        html = client.get(url).get_data(as_text=True)
        assert "平台中小微企业信易贷放款额（万元）" in html and "地区生产总值（万元）" in html, url
        assert "100,000,000" in html and "1,000,000,000,000" not in html, url
        assert "（元）" not in html, url
    html = client.get("/commission/indicators/十三?month=2026-10").get_data(as_text=True)
    assert "<b>100</b>" in html and "1,000,000" not in html
    # (十七) is a count of firms: no 万元 there.
    assert "<b>2</b>" in client.get("/commission/indicators/十七?month=2026-10").get_data(as_text=True)
    wb = load_workbook(io.BytesIO(client.get("/commission/indicators/report.xlsx?month=2026-10").data))
    summary = wb["指标汇总"]
    header = [c.value for c in summary[3]] if summary["A3"].value == "指标" else None
    rows = {r[0]: r for r in summary.iter_rows(values_only=True) if r and r[0] == "（十三）"}
    assert rows["（十三）"][2] == "平台中小微企业信易贷放款额（元）", header
    assert 1_000_000 in rows["（十三）"] and 10**12 in rows["（十三）"]
    # GDP is entered and shown in 亿元 on the denominators page, its history too.
    html = client.get("/commission/denominators").get_data(as_text=True)
    assert "10,000.00 亿元" in html and "万元" not in html.split("修改记录")[1]
