"""The monthly indicators on a hand-built city; every expected value is worked out by hand in the comments."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from marketplace.extensions import db
from marketplace.models import (
    Application,
    CreditCommitment,
    CustomsCertification,
    Enterprise,
    ImportBatch,
    Institution,
    ListEntry,
    LoanRepayment,
    Objection,
    OffPlatformLoan,
    Penalty,
    Product,
    RegistryCodeFinding,
    RegistryEnterprise,
    TaxGrade,
)
from marketplace.services import denominators, indicators

from .conftest import make_enterprise, make_institution, make_product

# Valid USCCs for the hand-built firms.
A, B, C, D = "91370102MA3C4XKL85", "91370112MA3MFJ2X64", "91370103MA3N4QGK1H", "91370104MA3P0F0W9R"


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def _batch(source="registry", **kw):
    batch = ImportBatch(source=source, file_name=f"{source}.csv", sha256="0" * 64, rows_accepted=0, **kw)
    db.session.add(batch)
    db.session.flush()
    return batch


@pytest.fixture
def city(app):
    with app.app_context():
        # Platform registrations, stored in UTC; October in Shanghai is 2026-09-30 16:00 … 2026-10-31 16:00 UTC.
        a = make_enterprise(A, "甲", size="small", registered_at=utc(2026, 9, 10))
        b = make_enterprise(B, "乙", size="large", registered_at=utc(2026, 10, 5))
        c = make_enterprise(C, "丙", size="micro", registered_at=utc(2026, 10, 31, 15, 30))  # 23:30 on 31 Oct
        make_enterprise(D, "丁", size="micro", registered_at=utc(2026, 10, 31, 16, 10))  # 00:10 on 1 Nov
        inst = make_institution()
        product = make_product(inst)

        def loan(firm, amount, on, status="disbursed", rate="4.000", **kw):
            app_ = Application(enterprise_id=firm.id, product_id=product.id, institution_id=inst.id, amount=amount,
                               term_months=12, status=status, granted_amount=amount, granted_rate=Decimal(rate),
                               disbursed_amount=amount, disbursed_on=on, **kw)
            db.session.add(app_)
            db.session.flush()
            return app_

        loan(a, 1_000_000, date(2026, 10, 9))       # small: counts
        loan(b, 5_000_000, date(2026, 10, 10), rate="5.000")  # large: never counts in (十三)
        c_loan = loan(c, 300_000, date(2026, 9, 30))  # micro, September: year-to-date only
        # 不良 on 30 June 2026 and written off (核销) the same day: it leaves the balance on 30 June.
        loan(a, 700_000, date(2025, 12, 1), status="defaulted", closed_on=date(2026, 6, 30),
             written_off_on=date(2026, 6, 30))
        db.session.add(LoanRepayment(application_id=c_loan.id, amount=100_000, paid_on=date(2026, 10, 20)))
        db.session.add(OffPlatformLoan(institution_id=inst.id, month=date(2026, 10, 1), uscc=C, amount=2_000_000,
                                       loan_count=1))

        batch = _batch(codes_total=100, codes_invalid=3, codes_duplicate=2, created_at=utc(2026, 10, 2))
        for i, line in enumerate((7, 9, 30, 41, 88)):  # 3 invalid and 2 repeated codes, with their lines
            db.session.add(RegistryCodeFinding(batch_id=batch.id, line=line, code=f"BAD{i}",
                                               problem="invalid" if i < 3 else "duplicate", detail="x"))
        for uscc, size, status in ((A, "small", "active"), (B, "large", "active"), (C, "micro", "active"),
                                   (D, "micro", "active"), ("X" * 18, "small", "cancelled")):
            db.session.add(RegistryEnterprise(uscc=uscc, name=uscc, region_code="370102", industry="C",
                                              size=size, operating_status=status, batch_id=batch.id))
        grades = _batch("tax_grades")
        for uscc, grade in ((A, "A"), (B, "A"), (C, "B"), (A, "B")):
            db.session.add(TaxGrade(uscc=uscc, year=2025 if uscc != A or grade == "A" else 2024, grade=grade,
                                    batch_id=grades.id))
        for signed in (utc(2026, 10, 3), utc(2026, 10, 28), utc(2026, 9, 1)):
            db.session.add(CreditCommitment(enterprise_id=a.id, kind="proactive", text="承诺", signed_at=signed))
        lists = _batch("list_entries")
        for uscc, kind, start, end in ((A, "dishonest_judgment_debtor", date(2026, 1, 5), None),
                                       (B, "major_tax_violation", date(2025, 3, 1), date(2026, 10, 15)),
                                       (C, "abnormal_operation", date(2026, 5, 1), None),
                                       (D, "wage_arrears", date(2026, 12, 1), None)):
            db.session.add(ListEntry(uscc=uscc, list_type=kind, start_on=start, end_on=end, document_no="文号",
                                     batch_id=lists.id))
        pens = _batch("penalties")
        for decided in (date(2025, 4, 1), date(2026, 8, 1), date(2026, 10, 30)):
            db.session.add(Penalty(uscc=A, decided_on=decided, authority="市场监管局", category="x",
                                   severity="minor", fine=1000, document_no="文号", publication_end=date(2027, 1, 1),
                                   batch_id=pens.id))
        # Objections: submitted Wed 30 Sep, resolved Mon 12 Oct → 8, 9, 10 (调休 Saturday), 12 Oct = 4 working
        # days across the National Day holiday; submitted Fri 16 Oct, resolved Tue 20 Oct → 19, 20 = 2.
        for sub, res, status in ((utc(2026, 9, 30, 2), utc(2026, 10, 12, 2), "upheld"),
                                 (utc(2026, 10, 16, 2), utc(2026, 10, 20, 2), "upheld"),
                                 (utc(2026, 10, 13, 2), utc(2026, 10, 14, 2), "rejected")):
            db.session.add(Objection(enterprise_id=a.id, record_source="penalties", kind="error", description="x",
                                     status=status, submitted_at=sub, resolved_at=res))
        db.session.commit()
    return app


def figures(month=date(2026, 10, 1), scope="month"):
    return {f.code: f for f in indicators.compute(month, scope)}


def test_missing_denominators_are_not_available_not_zero(city):
    with city.app_context():
        f = figures()
        for code in ("十二", "十三", "十四"):
            assert not f[code].available and f[code].value is None, code
        assert "本地登记注册企业数未录入" in f["十二"].missing[0]
        assert f["十三"].missing == ["GDP 未录入"]
        assert f["十三"].numerator == 1_000_000, "the numerator is still shown"


def test_indicator_12_counts_registrations_by_shanghai_month_end(city):
    with city.app_context():
        denominators.set_figure(kind="registered_enterprises", period_kind="month", start=date(2026, 10, 1),
                                value=1000, source="", actor_id=None)
        f = figures()["十二"]
        assert (f.numerator, f.denominator, f.value) == (3, 1000, Decimal("0.003"))  # 甲 乙 丙, not 丁


def test_indicator_13_counts_only_sme_platform_loans_and_14_stays_apart(city):
    with city.app_context():
        denominators.set_figure(kind="gdp", period_kind="year", start=date(2025, 1, 1), value=10**12, source="",
                                actor_id=None)
        month, ytd = figures(), figures(scope="ytd")
        assert month["十三"].numerator == 1_000_000  # 甲's small-firm loan; 乙 is large
        assert ytd["十三"].numerator == 1_300_000  # plus 丙's September loan
        assert month["十三"].value == Decimal("0.000001")
        assert month["十三"].note == "2025年全年GDP"  # 2026 not entered yet: last year's GDP
        assert month["十四"].numerator == 2_000_000 and month["十四"].value == Decimal("0.000002")
        cumulative = figures(scope="cumulative")
        assert cumulative["十三"].numerator == 2_000_000  # + the 2025 loan to 甲 (small), later written off


def test_indicators_17_20_24_over_active_registry_firms(city):
    with city.app_context():
        f = figures()
        assert (f["十七"].numerator, f["十七"].denominator) == (2, 4)  # 甲 乙 A-grade in 2025; 4 active firms
        assert (f["二十"].numerator, f["二十"].denominator) == (2, 4)  # two commitments signed in October
        assert figures(scope="ytd")["二十"].numerator == 3
        # 甲 on a serious list; 乙's entry ended 15 Oct (off the list from that day); 丙's list is not a
        # serious-dishonesty list; 丁's starts in December.
        assert (f["二十四"].numerator, f["二十四"].denominator) == (1, 4)
        assert figures(date(2026, 9, 1))["二十四"].numerator == 2


def test_objection_indicators_35_36_in_days_and_working_days(city):
    with city.app_context():
        f = figures()
        # Publicly shown on 31 Oct: the 3 penalties (published until 2027, none repaired) + the list entries still
        # on a list: 甲's and 丙's (乙's ended 15 Oct, 丁's starts in December) = 5.
        assert (f["三十五"].numerator, f["三十五"].denominator) == (2, 5)
        # In calendar days (the scheme's unit): 30 Sep → 12 Oct = 12 days, 16 Oct → 20 Oct = 4 days; 16 ÷ 2 = 8.
        # In working days beside it: 4 (8, 9, 10 调休 Saturday, 12 Oct) + 2 (19, 20 Oct) = 6, average 3.00.
        assert (f["三十六"].numerator, f["三十六"].denominator, f["三十六"].value) == (16, 2, Decimal(8))
        assert f["三十六"].secondary == "按工作日计：合计 6 个工作日，平均 3.00 个工作日"
        assert not figures(date(2026, 8, 1))["三十六"].available


def test_indicator_9_from_the_latest_registry_import(city):
    with city.app_context():
        f = figures()["九"]
        assert (f.numerator, f.denominator, f.value) == (5, 100, Decimal("0.05"))
        assert not figures(date(2026, 9, 1))["九"].available, "no registry import before October"


def test_loan_balance_at_month_end(city):
    with city.app_context():
        # 31 Oct: 1,000,000 + 5,000,000 + 300,000 disbursed − 100,000 repaid; the 2025 loan was written off.
        assert indicators.loan_balance(date(2026, 10, 31)) == 6_200_000
        assert indicators.loan_balance(date(2026, 9, 30)) == 300_000
        assert indicators.loan_balance(date(2026, 1, 31)) == 700_000  # before the write-off


def test_balance_table_agrees_with_loan_balance(city):
    from marketplace.services import reports

    with city.app_context():
        table = reports.balance_table(date(2026, 10, 1), n=14)
        for row in table.rows:
            end = indicators.Period(row["month"]).last_day
            assert row["balance"] == indicators.loan_balance(end), row["month"]
        assert [r["balance"] for r in table.rows][-2:] == [300_000, 6_200_000]  # the 2025 loan written off in June


def test_monthly_flows_keep_platform_and_outside_apart(city):
    from marketplace.services import reports

    with city.app_context():
        rows = {r["month"]: r for r in reports.monthly_flows(date(2026, 10, 1), n=3).rows}
        assert rows[date(2026, 10, 1)] == {"month": date(2026, 10, 1), "platform": 1_000_000, "outside": 2_000_000}
        assert rows[date(2026, 9, 1)]["platform"] == 300_000 and rows[date(2026, 8, 1)]["platform"] == 0


# ---- the scheme's readings, one case each (issue 11) -----------------------------------------------------

E_USCC, F_USCC = "91370105MA3Q1R2T08", "91370112MA3R5W7U01"


def _registry_firm(uscc, size="small", status="active", established_on=None):
    batch = db.session.scalar(db.select(ImportBatch).where(ImportBatch.source == "registry").limit(1))
    db.session.add(RegistryEnterprise(uscc=uscc, name=uscc, region_code="370102", industry="C", size=size,
                                      operating_status=status, established_on=established_on, batch_id=batch.id))


def _october_loan(firm, amount, product):
    inst = db.session.get(Institution, product.institution_id)
    db.session.add(Application(enterprise_id=firm.id, product_id=product.id, institution_id=inst.id, amount=amount,
                               term_months=12, status="disbursed", granted_amount=amount, granted_rate=Decimal("4"),
                               disbursed_amount=amount, disbursed_on=date(2026, 10, 15)))


def test_13_counts_only_xinyidai_products_and_sme_by_the_registry(city):
    with city.app_context():
        a = db.session.scalar(db.select(Enterprise).where(Enterprise.uscc == A))
        inst = db.session.scalar(db.select(Institution))
        plain = make_product(inst, name="普通经营贷", xinyidai=False)
        xyd = db.session.scalar(db.select(Product).where(Product.xinyidai.is_(True)))
        _october_loan(a, 200_000, plain)  # 甲 is small, but the product is not a 信易贷 product: out
        # 戊 declared itself small on the platform; the registry classes it large: out.
        e = make_enterprise(E_USCC, "戊", size="small", registered_at=utc(2026, 10, 2))
        _registry_firm(E_USCC, size="large")
        _october_loan(e, 400_000, xyd)
        # 己 declared micro and is not in the registry: the declared size stands, and the record says so.
        f = make_enterprise(F_USCC, "己", size="micro", registered_at=utc(2026, 10, 2))
        _october_loan(f, 250_000, xyd)
        db.session.commit()
        # October: 甲's 1,000,000 (信易贷, small in the registry) + 己's 250,000 = 1,250,000.
        assert figures()["十三"].numerator == 1_250_000
        rows = {r["name"]: r for r in indicators.records("十三", indicators.Period(date(2026, 10, 1))).rows}
        assert set(rows) == {"甲", "己"}
        assert (rows["甲"]["size_basis"], rows["己"]["size_basis"]) == ("在营企业数据库", "企业自报")
        assert rows["己"]["size"] == "微型"


def test_17_counts_a_and_aeo_within_the_population_with_the_grade_in_force(city):
    with city.app_context():
        grades = db.session.scalar(db.select(ImportBatch).where(ImportBatch.source == "tax_grades"))
        # 己: A-grade in 2025 but revoked (吊销): outside the denominator, so outside the numerator too.
        _registry_firm(F_USCC, status="revoked")
        db.session.add(TaxGrade(uscc=F_USCC, year=2025, grade="A", batch_id=grades.id))
        # 丁 holds 海关高级认证 from 1 Jun 2026: counts although its tax grade is not A.
        db.session.add(CustomsCertification(uscc=D, certified_on=date(2026, 6, 1), batch_id=grades.id))
        # 丙 is graded A for 2026, published April 2027: not in force on 31 Oct 2026.
        db.session.add(TaxGrade(uscc=C, year=2026, grade="A", batch_id=grades.id))
        db.session.commit()
        f = figures()["十七"]
        # 甲 乙 (A for 2025, in force from April 2026) + 丁 (AEO) = 3, over the 4 active firms.
        assert (f.numerator, f.denominator) == (3, 4)
        assert "2025年度" in f.note
        # February 2026: the 2025 grades are not yet published; 2024's stand (甲 was B in 2024), no AEO yet.
        assert indicators.grade_year_in_force(date(2026, 2, 28)) == 2024
        assert figures(date(2026, 2, 1))["十七"].numerator == 0
        rows = indicators.records("十七", indicators.Period(date(2026, 10, 1))).rows
        assert {r["uscc"]: (r["tax_grade"], r["customs"]) for r in rows}[D] == (None, "海关高级认证企业")


def test_24_counts_firms_of_the_population_once(city):
    with city.app_context():
        lists = db.session.scalar(db.select(ImportBatch).where(ImportBatch.source == "list_entries"))
        # 己 is on a serious list but cancelled (注销) in the registry: not in the denominator, so not counted.
        _registry_firm(F_USCC, status="cancelled")
        db.session.add(ListEntry(uscc=F_USCC, list_type="wage_arrears", start_on=date(2026, 3, 1),
                                 document_no="文号", batch_id=lists.id))
        # 甲 on a second serious list: still one firm.
        db.session.add(ListEntry(uscc=A, list_type="major_tax_violation", start_on=date(2026, 2, 1),
                                 document_no="文号2", batch_id=lists.id))
        db.session.commit()
        f = figures()["二十四"]
        assert (f.numerator, f.denominator) == (1, 4)
        rows = indicators.records("二十四", indicators.Period(date(2026, 10, 1))).rows
        assert len(rows) == 1 and rows[0]["entries"] == 2 and rows[0]["list_types"] == "失信被执行人、重大税收违法失信主体"


def test_35_leaves_out_objections_on_data_that_is_not_publicly_shown(city):
    with city.app_context():
        a = db.session.scalar(db.select(Enterprise).where(Enterprise.uscc == A))
        # Upheld, resolved in October, but about tax records (not publicly shown): not a valid objection.
        db.session.add(Objection(enterprise_id=a.id, record_source="tax_records", kind="error", description="x",
                                 status="upheld", submitted_at=utc(2026, 10, 19, 2), resolved_at=utc(2026, 10, 21, 2)))
        db.session.commit()
        assert figures()["三十五"].numerator == 2
        sources = {r["record_source"] for r in indicators.records("三十五", indicators.Period(date(2026, 10, 1))).rows}
        assert sources == {"行政处罚"}, "Chinese labels, never table names"


def test_9_uses_a_registry_whose_as_of_date_is_in_the_period_even_if_imported_later(city):
    with city.app_context():
        # Imported on 5 Nov, 数据截止 20 Oct: October's (九) reads it (it is later than the 2 Oct file).
        late = _batch(codes_total=50, codes_invalid=1, codes_duplicate=0, created_at=utc(2026, 11, 5),
                      as_of=date(2026, 10, 20))
        db.session.add(RegistryCodeFinding(batch_id=late.id, line=12, code="91370102MA3C4XKL8X", problem="invalid",
                                           detail="统一社会信用代码校验位错误"))
        # Imported on 6 Nov with as-of 3 Nov: not October's.
        _batch(codes_total=10, codes_invalid=5, codes_duplicate=5, created_at=utc(2026, 11, 6), as_of=date(2026, 11, 3))
        db.session.commit()
        f = figures()["九"]
        assert (f.numerator, f.denominator) == (1, 50) and "数据截止2026-10-20" in f.note
        rows = indicators.records("九", indicators.Period(date(2026, 10, 1))).rows
        assert [(r["line"], r["problem"]) for r in rows] == [(12, "错码")]
        assert not figures(date(2026, 9, 1))["九"].available


def test_balance_keeps_a_defaulted_loan_until_it_is_written_off(city):
    with city.app_context():
        loan = db.session.scalar(db.select(Application).where(Application.status == "defaulted"))
        loan.written_off_on = None  # 不良 since 30 June, never written off: still owed, still in the balance
        db.session.commit()
        assert indicators.loan_balance(date(2026, 10, 31)) == 6_900_000  # 6,200,000 + the 700,000
        loan.written_off_on = date(2026, 9, 15)
        db.session.commit()
        assert indicators.loan_balance(date(2026, 8, 31)) == 700_000  # before the write-off
        assert indicators.loan_balance(date(2026, 10, 31)) == 6_200_000


def test_36_counts_a_same_day_resolution_as_zero_days(city):
    with city.app_context():
        a = db.session.scalar(db.select(Enterprise).where(Enterprise.uscc == A))
        db.session.add(Objection(enterprise_id=a.id, record_source="list_entries", kind="error", description="x",
                                 status="upheld", submitted_at=utc(2026, 10, 22, 1), resolved_at=utc(2026, 10, 22, 8)))
        db.session.commit()
        f = figures()["三十六"]
        # 12 + 4 + 0 calendar days over 3 valid objections = 5.33…; working days 4 + 2 + 0 = 6, average 2.00.
        assert (f.numerator, f.denominator) == (16, 3)
        assert f.secondary == "按工作日计：合计 6 个工作日，平均 2.00 个工作日"
