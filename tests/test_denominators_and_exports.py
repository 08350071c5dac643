"""Denominators entered by staff (audited) and the XLSX / CSV writers every export uses."""
import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditLog, CityFigure
from marketplace.services import denominators, exports


def test_staff_enter_gdp_and_correction_is_audited(client, auth, users, app):
    auth.login(users["commission"])
    page = "/commission/denominators"
    assert client.submit(page, {"what": "gdp:year", "year": "2025", "value": "12757.4",
                                "source": "市统计局"}).status_code == 302
    client.submit(page, {"what": "gdp:year", "year": "2025", "value": "12800", "source": "修正"})
    with app.app_context():
        figure = db.session.scalar(select(CityFigure))
        assert figure.value == 1_280_000_000_000 and figure.period_start == date(2025, 1, 1)
        log = db.session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        assert [(r.detail["old_value"], r.detail["new_value"]) for r in log] == [
            (None, 1_275_740_000_000), (1_275_740_000_000, 1_280_000_000_000)]
        assert {r.actor.username for r in log} == {"staff"}
    html = client.get(page).get_data(as_text=True)
    assert "12,800.00 亿元" in html and "修正" in html


def test_denominators_page_is_for_commission_only(client, auth, users):
    auth.login(users["bank"])
    assert client.get("/commission/denominators").status_code == 403


def test_bad_denominator_is_refused(client, auth, users, app):
    auth.login(users["commission"])
    response = client.submit("/commission/denominators", {"what": "registered_enterprises:month", "year": "2026",
                                                          "part": "13", "value": "580000"})
    assert "季度 / 月份（年度数据不填）应为 1 至 12 之间的整数" in response.get_data(as_text=True)
    response = client.submit("/commission/denominators", {"what": "gdp:quarter", "year": "2026",
                                                          "part": "5", "value": "580"})
    assert "季度应为1–4" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CityFigure)) is None


def test_annual_gdp_convention(app):
    with app.app_context():
        assert denominators.annual_gdp(2026) == (None, "未录入GDP")
        for q, v in enumerate((100, 200, 300, 400), start=1):
            denominators.set_figure(kind="gdp", period_kind="quarter", start=denominators.period_start(
                "quarter", 2025, q), value=v, source="", actor_id=None)
        assert denominators.annual_gdp(2025) == (1000, "2025年四个季度GDP之和")
        assert denominators.annual_gdp(2026) == (1000, "2025年四个季度GDP之和"), "falls back to last year"
        denominators.set_figure(kind="gdp", period_kind="year", start=date(2026, 1, 1), value=1500, source="",
                                actor_id=None)
        assert denominators.annual_gdp(2026) == (1500, "2026年全年GDP")
        assert denominators.registered_enterprises(date(2026, 10, 15)) is None


TABLE = exports.Table(
    title="放款明细",
    columns=[exports.Column("name", "企业名称"), exports.Column("amount", "放款金额（万元）", "wan"),
             exports.Column("share", "占比", "ratio"), exports.Column("on", "放款日期", "date"),
             exports.Column("at", "登记时间", "datetime")],
    rows=[{"name": "济南甲公司", "amount": 1_234_500, "share": 0.125, "on": date(2026, 10, 9),
           "at": datetime(2026, 10, 9, 2, 30, tzinfo=UTC)}],
    notes=["统计期：2026年10月"])


def test_xlsx_has_chinese_headers_wan_and_formats():
    wb = load_workbook(io.BytesIO(exports.to_xlsx([TABLE])))
    ws = wb["放款明细"]
    assert ws["A1"].value == "统计期：2026年10月"
    assert [c.value for c in ws[2]] == ["企业名称", "放款金额（万元）", "占比", "放款日期", "登记时间"]
    assert float(ws["B3"].value) == 123.45 and ws["B3"].number_format == "#,##0.00"
    assert ws["C3"].number_format == "0.00%"
    assert ws["E3"].value == datetime(2026, 10, 9, 10, 30), "times in Asia/Shanghai"


def test_csv_starts_with_bom_and_converts_money():
    data = exports.to_csv(TABLE)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "企业名称,放款金额（万元）,占比,放款日期,登记时间"
    assert lines[1] == "济南甲公司,123.45,0.125,2026-10-09,2026-10-09 10:30"
