"""Small hand-built department tables (CONTRACT.md columns) and feature frames for the risk tests."""
from datetime import date

import numpy as np
import pandas as pd
import pytest

from risk import catalogue

AS_OF = date(2026, 7, 1)
FIRMS = ["91370102MA3C4XKL85", "91370112MA3MFJ2X64", "91370103000000001X", "91370104000000002Y"]


def months(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    return make_tables()


def make_tables() -> dict[str, pd.DataFrame]:
    """Four firms; firm 0 healthy and growing, firm 1 shrinking with arrears and penalties, firm 2 young,
    firm 3 founded after AS_OF. Records run to 2026-12, i.e. past AS_OF, so leakage would show."""
    a, b, c, d = FIRMS
    per = months("2024-01-01", 36)  # 2024-01 .. 2026-12
    registry = pd.DataFrame({
        "uscc": FIRMS, "name": ["甲公司", "乙公司", "丙公司", "丁公司"],
        "region_code": ["370102", "370112", "370103", "370104"], "industry": ["C", "F", "I", "F"],
        "size": ["small", "micro", "micro", "micro"],
        "established_on": pd.to_datetime(["2015-03-01", "2019-06-15", "2026-01-10", "2026-09-01"]),
        "registered_capital": [5_000_000, 500_000, 100_000, 100_000],
        "operating_status": ["active"] * 4,
    })
    i = np.arange(len(per))
    tax = pd.concat([
        pd.DataFrame({"uscc": a, "period": per, "revenue": 1_000_000 + 10_000 * i, "vat_paid": 30_000 + 300 * i,
                      "income_tax_paid": 5_000, "arrears": 0}),
        pd.DataFrame({"uscc": b, "period": per, "revenue": np.maximum(400_000 - 15_000 * i, 0),
                      "vat_paid": np.where(i % 3 == 0, 0, np.maximum(12_000 - 500 * i, 0)), "income_tax_paid": 0,
                      "arrears": np.where(i > 20, 8_000, 0)}),
        pd.DataFrame({"uscc": c, "period": per[25:], "revenue": 50_000, "vat_paid": 1_000, "income_tax_paid": 0,
                      "arrears": 0}),
    ], ignore_index=True)
    grades = pd.DataFrame({"uscc": [a, a, b, b], "year": [2024, 2025, 2024, 2025], "grade": ["A", "B", "B", "D"]})
    si = pd.concat([
        pd.DataFrame({"uscc": a, "period": per, "insured_headcount": 40 + i, "amount_due": 40_000,
                      "amount_paid": 40_000, "months_in_arrears": 0}),
        pd.DataFrame({"uscc": b, "period": per, "insured_headcount": np.maximum(20 - i // 2, 1), "amount_due": 10_000,
                      "amount_paid": np.where(i > 18, 4_000, 10_000), "months_in_arrears": np.maximum(i - 18, 0)}),
    ], ignore_index=True)
    pf = pd.concat([
        pd.DataFrame({"uscc": a, "period": per, "headcount": 30, "amount_paid": 30_000}),
        pd.DataFrame({"uscc": b, "period": per, "headcount": 5, "amount_paid": np.where(i % 2 == 0, 0, 3_000)}),
    ], ignore_index=True)
    util = pd.concat([
        pd.DataFrame({"uscc": u, "period": per, "kind": kind, "usage": base * (1 + g * i),
                      "amount_billed": (base * 2).astype(int) if hasattr(base, "astype") else int(base * 2),
                      "days_late": late})
        for u, g, late in ((a, 0.02, 0), (b, -0.02, np.where(i % 4 == 0, 20, 0)))
        for kind, base in (("water", 100.0), ("electricity", 5_000.0), ("gas", 300.0))
    ], ignore_index=True)
    penalties = pd.DataFrame({
        "uscc": [b, b, b, b, a],
        "decided_on": pd.to_datetime(["2026-03-01", "2024-09-01", "2026-05-01", "2026-08-01", "2026-02-01"]),
        "authority": ["市场监管局"] * 5, "category": ["广告"] * 5,
        "severity": ["general", "serious", "minor", "serious", "general"],
        "fine": [10_000, 50_000, 500, 90_000, 5_000], "document_no": ["x1", "x2", "x3", "x4", "x5"],
        "publication_end": pd.to_datetime(["2027-03-01", "2027-09-01", "2026-11-01", "2029-08-01", "2027-02-01"]),
        "repaired_on": pd.to_datetime([None, None, None, None, "2026-06-01"]),
    })
    lists = pd.DataFrame({
        "uscc": [b, b, a, a],
        "list_type": ["dishonest_judgment_debtor", "abnormal_operation", "a_taxpayer", "contract_honoring"],
        "start_on": pd.to_datetime(["2026-04-01", "2025-01-01", "2025-04-01", "2026-08-01"]),
        "end_on": pd.to_datetime([None, "2026-02-01", None, None]),
        "document_no": ["d1", "d2", "d3", "d4"],
    })
    return {"registry": registry, "tax_records": tax, "tax_grades": grades, "social_insurance_records": si,
            "provident_fund_records": pf, "utility_records": util, "penalties": penalties, "list_entries": lists}


def feature_frame(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.Series]:
    """A catalogue-shaped feature frame with a known logistic risk (not a city generator: no
    department tables, only the model's inputs), for the model tests."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(index=pd.Index([f"F{i:06d}" for i in range(n)], name="uscc"))
    for f in catalogue.FEATURES:
        if f.categorical or f.name.endswith("_sa"):
            continue
        X[f.name] = rng.gamma(2.0, 1.0, n) if f.direction >= 0 else rng.normal(0, 1, n)
    X["tax_grade_rank"] = rng.integers(1, 6, n).astype(float)
    X["pen_serious_36m"] = rng.poisson(0.1, n).astype(float)
    X["list_serious_dishonest"] = (rng.random(n) < 0.03).astype(float)
    X.loc[rng.random(n) < 0.1, "tax_yoy"] = np.nan  # gaps, as in real data
    X["size"] = pd.Categorical(rng.choice(["micro", "small", "medium"], n, p=[0.7, 0.22, 0.08]))
    X["industry"] = pd.Categorical(rng.choice(list("CFIL"), n))
    X["region_code"] = pd.Categorical(rng.choice(["370102", "370112", "370103"], n))
    logit = (-3.2 + 0.8 * (X["tax_grade_rank"] - 3) + 1.2 * X["pen_serious_36m"] + 2.0 * X["list_serious_dishonest"]
             - 0.6 * X["tax_trend_12m"] + 0.4 * (X["industry"] == "F") + 0.3 * X["util_late_12m"])
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), index=X.index, name="defaulted_12m")
    # the seasonally adjusted features (no effect here) are drawn last: the other columns and y stay those drawn
    # before they were added
    for f in catalogue.FEATURES:
        if f.name.endswith("_sa"):
            X[f.name] = rng.normal(0, 1, n)
    return X[catalogue.NAMES], y
