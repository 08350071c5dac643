"""Feature rows from the department tables: the right numbers, no leakage, no unlawful data."""
import numpy as np
import pandas as pd
import pytest

from risk import catalogue, features

from .conftest import AS_OF, FIRMS


def test_one_row_per_firm_founded_before_as_of(tables):
    X = features.build(tables, AS_OF)
    assert list(X.index) == FIRMS[:3]  # FIRMS[3] is founded after AS_OF
    assert list(X.columns) == catalogue.NAMES


def test_healthy_and_shrinking_firm_read_as_such(tables):
    X = features.build(tables, AS_OF)
    good, bad, young = X.loc[FIRMS[0]], X.loc[FIRMS[1]], X.loc[FIRMS[2]]
    assert good.tax_trend_12m > 0 > bad.tax_trend_12m
    assert good.tax_yoy > 0 > bad.tax_yoy
    assert bad.tax_zero_months_12m == 8  # every third month and the last six months paid nothing
    assert young.tax_zero_months_12m == 1  # founded in January, first tax in February: only months since founding
    assert bad.tax_arrears_months_12m == 9 and bad.tax_arrears_latest == 8_000
    assert (good.tax_grade_rank, bad.tax_grade_rank) == (2, 5)  # the 2025 grade, published April 2026
    assert bad.si_arrears_months == 11 and bad.si_headcount_trend_12m < 0 < good.si_headcount_trend_12m
    assert bad.pf_unpaid_months_12m == 6 and good.pf_unpaid_months_12m == 0
    assert bad.util_electricity_yoy_12m < 0 < good.util_electricity_yoy_12m
    assert bad.util_late_12m == 9 and bad.util_days_late_max_12m == 20


def test_penalties_by_severity_and_window_without_repaired_ones(tables):
    X = features.build(tables, AS_OF)
    bad, good = X.loc[FIRMS[1]], X.loc[FIRMS[0]]
    assert (bad.pen_minor_12m, bad.pen_general_12m, bad.pen_serious_12m) == (1, 1, 0)
    assert (bad.pen_minor_36m, bad.pen_general_36m, bad.pen_serious_36m) == (1, 1, 1)
    assert good.pen_general_12m == 0  # repaired (信用修复) before AS_OF: no longer counts


def test_list_flags_follow_start_and_end_dates(tables):
    X = features.build(tables, AS_OF)
    assert X.loc[FIRMS[1], "list_serious_dishonest"] == 1
    assert X.loc[FIRMS[1], "list_abnormal_operation"] == 0  # left the list in February: off from that day
    assert X.loc[FIRMS[0], "list_red"] == 1  # the second red list starts only in August
    later = features.build(tables, "2026-08-15")
    assert later.loc[FIRMS[0], "list_red"] == 2


def _scramble_after(tables, as_of):
    """Change, add and end every kind of record dated on or after as_of."""
    t = {k: v.copy() for k, v in tables.items()}
    cut = pd.Timestamp(as_of)
    for name in ("tax_records", "social_insurance_records", "provident_fund_records", "utility_records"):
        df = t[name]
        late = df["period"] >= cut
        for col in df.columns:
            if col not in ("uscc", "period", "kind"):
                df.loc[late, col] = df.loc[late, col] * 7 + 3
    t["tax_grades"] = pd.concat([t["tax_grades"], pd.DataFrame({"uscc": FIRMS[:2], "year": 2026, "grade": "D"})])
    p = t["penalties"]
    p.loc[p["repaired_on"].isna(), "repaired_on"] = pd.Timestamp("2026-09-01")  # repairs after as_of
    p = pd.concat([p, p.assign(decided_on=pd.Timestamp("2026-07-01"), document_no="new")], ignore_index=True)
    t["penalties"] = p
    le = t["list_entries"]
    le.loc[le["end_on"].isna(), "end_on"] = cut  # lists left on as_of itself
    t["list_entries"] = pd.concat([le, le.assign(start_on=cut, end_on=pd.NaT)], ignore_index=True)
    return t


def test_no_leakage_across_the_as_of_date(tables):
    before = features.build(tables, AS_OF)
    after = features.build(_scramble_after(tables, AS_OF), AS_OF)
    pd.testing.assert_frame_equal(before, after)
    # ... and the scrambling is visible to a later as-of date, so the test above could fail.
    later = pd.Timestamp(AS_OF) + pd.DateOffset(months=3)
    assert not features.build(tables, later).equals(features.build(_scramble_after(tables, AS_OF), later))


def test_missing_tables_read_as_no_records(tables):
    X = features.build({"registry": tables["registry"]}, AS_OF)
    assert (X["tax_paid_12m"] == 0).all() and X["tax_yoy"].isna().all()
    assert (X["list_serious_dishonest"] == 0).all()


def test_restrict_to_some_firms(tables):
    X = features.build(tables, AS_OF, usccs=[FIRMS[1]])
    full = features.build(tables, AS_OF)
    pd.testing.assert_frame_equal(X, full.loc[[FIRMS[1]]], check_categorical=False)


@pytest.mark.parametrize("term", catalogue.FORBIDDEN_TERMS)
def test_catalogue_holds_no_unlawful_data(term):
    for f in catalogue.FEATURES:
        for text in (f.name, f.label, f.source, f.reason, f.plain):
            assert term not in text.lower(), (f.name, term)


@pytest.mark.parametrize("column", ["petition_count", "信访次数", "unpaid_property_fee", "闯红灯次数",
                                    "dog_walking_fines", "garbage_sorting_score"])
def test_build_refuses_unlawful_columns(tables, column):
    tables["registry"][column] = 1
    with pytest.raises(catalogue.ForbiddenDataError, match="not lawful credit data"):
        features.build(tables, AS_OF)


def test_build_refuses_unlawful_tables(tables):
    tables["信访记录"] = pd.DataFrame({"uscc": FIRMS, "n": 1})
    with pytest.raises(catalogue.ForbiddenDataError):
        features.build(tables, AS_OF)


def test_every_feature_has_a_direction_and_chinese_reasons():
    for f in catalogue.FEATURES:
        assert f.direction in (-1, 0, 1)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in f.reason + f.label + f.plain)
    assert set(catalogue.MONOTONE) == set(catalogue.NAMES) - set(catalogue.CATEGORICAL)
    assert np.isin(list(catalogue.CATEGORICAL), ["size", "industry", "region_code"]).all()


def test_a_seasonal_dip_compared_like_with_like_is_no_decline():
    """A firm whose February dips the same way every year: the seasonally adjusted ratios read no change."""
    from risk import features as F

    per = pd.date_range("2024-01-01", "2026-02-01", freq="MS")
    season = np.where(per.month == 2, 0.5, np.where(per.month == 1, 0.8, 1.0))
    reg = pd.DataFrame({"uscc": ["91370102MA3C4XKL85"], "name": ["甲"], "region_code": ["370102"],
                        "industry": ["C"], "size": ["small"], "established_on": pd.to_datetime(["2015-01-01"]),
                        "registered_capital": [1_000_000], "operating_status": ["active"]})
    tax = pd.DataFrame({"uscc": "91370102MA3C4XKL85", "period": per, "revenue": 1_000_000 * season,
                        "vat_paid": 30_000 * season, "income_tax_paid": 0, "arrears": 0})
    X = F.build({"registry": reg, "tax_records": tax}, "2026-03-01")
    assert abs(X["revenue_1m_vs_12m"].iloc[0]) < 1e-9
    assert abs(X["revenue_3m_vs_12m"].iloc[0]) < 1e-9 and abs(X["revenue_trend_6m"].iloc[0]) < 1e-9


def test_zero_revenue_is_zero_and_no_records_is_missing(tables):
    from risk import features as F

    t = dict(tables)
    tax = t["tax_records"].copy()
    tax.loc[tax["uscc"] == FIRMS[2], "revenue"] = 0
    t["tax_records"] = tax
    X = F.build(t, AS_OF)
    assert X.loc[FIRMS[2], "revenue_12m"] == 0
    t["tax_records"] = tax[tax["uscc"] != FIRMS[2]]
    assert np.isnan(F.build(t, AS_OF).loc[FIRMS[2], "revenue_12m"])


def test_broken_commitments_count_as_negative_records_before_as_of_only(tables):
    a, b, _, _ = FIRMS
    tables["broken_commitments"] = pd.DataFrame({
        "uscc": [a, a, a, b],
        # a: one within 36 months, one older than 36 months, one on AS_OF itself (not yet known)
        "broken_on": pd.to_datetime(["2025-03-10", "2023-01-05", AS_OF, "2026-06-30"])})
    X = features.build(tables, AS_OF)
    assert X.loc[a, "commitments_broken_36m"] == 1 and X.loc[b, "commitments_broken_36m"] == 1
    assert X.loc[FIRMS[2], "commitments_broken_36m"] == 0
    # the aggregated count: general and serious penalties, dishonesty and abnormal-operation lists, commitments
    row = X.loc[b]
    assert row.negative_records_36m == (row.pen_general_36m + row.pen_serious_36m + row.list_serious_dishonest
                                        + row.list_abnormal_operation + 1) >= 3
    assert catalogue.MONOTONE["commitments_broken_36m"] == catalogue.MONOTONE["negative_records_36m"] == 1
    without = features.build({k: v for k, v in tables.items() if k != "broken_commitments"}, AS_OF)
    assert (without["commitments_broken_36m"] == 0).all()
