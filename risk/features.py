"""Build one feature row per enterprise as of a date from the long department tables (CONTRACT.md).

Knowledge cut-off: a feature "as of" day D uses only facts dated strictly before D — monthly records
whose period (month start) is before D, penalties decided / repaired / expiring before D, list
entries read with the contract's rule on the day before D, tax-credit grades already published
(year Y's grade is published on 1 April of Y+1). Nothing dated D or later can change a row; a test
proves it by scrambling every later record.

Seasonal adjustment: the `_sa` features divide monthly revenue and electricity by the model's own factors per
industry and calendar month (risk.seasonal; `seasonal_estimate` adds training firms to the estimate, `build`
takes the finished table), never by figures of the firms built together.

Speed: monthly tables are folded into dense (firm × month) arrays with one np.bincount per column —
no groupby over strings and no Python loop over firms — so a 580,000-firm city builds in seconds.
"""
from datetime import date

import numpy as np
import pandas as pd

from . import catalogue
from . import seasonal as seasonal_table

WINDOW = 24  # months of monthly records read (12-month levels plus their year-on-year comparison)
GRADE_RANK = {"A": 1, "B": 2, "M": 3, "C": 4, "D": 5}
GRADE_PUBLISHED_MONTH = 4  # 纳税信用等级 of year Y is published in April of Y+1
SERIOUS_LISTS = ("dishonest_judgment_debtor", "major_tax_violation", "serious_illegal", "wage_arrears")
RED_LISTS = ("a_taxpayer", "contract_honoring")
SEVERITIES = ("minor", "general", "serious")

# The department tables — the ONE list (the seed, scoring, the imports and the benches read it from here).
# broken_commitments (uscc, broken_on) is not a department import: staff record a broken 信用承诺 with its
# evidence on the platform (marketplace/services/commitments), and it counts as a negative record.
TABLES = ("registry", "tax_records", "tax_grades", "social_insurance_records", "provident_fund_records",
          "utility_records", "penalties", "list_entries", "broken_commitments")
MONTHLY_TABLES = ("tax_records", "social_insurance_records", "provident_fund_records", "utility_records")


def build(tables: dict[str, pd.DataFrame], as_of, usccs=None, seasonal: dict | None = None) -> pd.DataFrame:
    """Feature rows (index: uscc, columns: catalogue.NAMES) for firms established before `as_of`.

    `tables` holds the contract's DataFrames ('registry' required, the others optional: a missing
    table reads as "no records"). `usccs` restricts the rows to those firms (e.g. one firm re-scored).
    `seasonal` is the model's seasonal table (risk.seasonal, estimated from its training firms by
    `seasonal_estimate`): the seasonally adjusted features are NaN without one.
    """
    as_of = pd.Timestamp(as_of).normalize()
    for name, df in tables.items():
        catalogue.refuse_forbidden([name], "table")
        catalogue.refuse_forbidden(list(df.columns), f"column of table {name!r}")
    tables, reg, firms, established, ref = _select(tables, as_of, usccs)
    n = len(firms)
    est_month = _month_no(established.loc[reg.index]).to_numpy(dtype=float, na_value=np.nan)
    est_back = np.where(np.isnan(est_month), WINDOW, ref - est_month)  # months since founding
    season = {"table": seasonal, "industry": _industries(reg), "month_of_year": _month_of_year(ref)}

    out: dict[str, np.ndarray] = {}
    out.update(_tax(tables.get("tax_records"), firms, as_of, ref, est_back, season))
    out.update(_tax_grade(tables.get("tax_grades"), firms, as_of))
    out.update(_social(tables.get("social_insurance_records"), firms, as_of, ref))
    out.update(_provident(tables.get("provident_fund_records"), firms, as_of, ref))
    out.update(_utilities(tables.get("utility_records"), firms, as_of, ref, season))
    out.update(_penalties(tables.get("penalties"), firms, as_of))
    out.update(_lists(tables.get("list_entries"), firms, as_of))
    out["commitments_broken_36m"] = _broken(tables.get("broken_commitments"), firms, as_of)
    # One count of the firm's negative records: each kind alone is held by fewer firms than a leaf needs
    # (min_data_in_leaf), so a sparse flag such as a broken commitment would get no split and no weight;
    # summed, they share one monotone effect.
    out["negative_records_36m"] = (out["pen_general_36m"] + out["pen_serious_36m"] + out["list_serious_dishonest"]
                                   + out["list_abnormal_operation"] + out["commitments_broken_36m"])
    out["revenue_per_head"] = out.pop("_revenue_3m") / 3 / np.maximum(out["si_headcount"], 1.0)
    age_days = (as_of - established.loc[reg.index]).dt.days.to_numpy(dtype=float)
    out["firm_age_years"] = age_days / 365.25
    out["registered_capital_log"] = np.log1p(pd.to_numeric(reg["registered_capital"], errors="coerce")
                                             .to_numpy(dtype=float))
    X = pd.DataFrame(out, index=firms)
    for col in catalogue.CATEGORICAL:
        X[col] = pd.Categorical(reg[col].astype("string").to_numpy()) if col in reg else \
            pd.Categorical([None] * n)
    return X[catalogue.NAMES]


def seasonal_estimate(tables: dict[str, pd.DataFrame], as_of, usccs=None,
                      into: seasonal_table.Estimate | None = None) -> seasonal_table.Estimate:
    """Add these firms' monthly revenue and utility usage before `as_of` to a seasonal estimate (a new one, or
    `into`: training adds its firms chunk by chunk); `.table()` gives the table `build` takes."""
    as_of = pd.Timestamp(as_of).normalize()
    tables, reg, firms, _, ref = _select(tables, as_of, usccs)
    est = into or seasonal_table.Estimate()
    industry, moy = _industries(reg), _month_of_year(ref)
    P, s = _monthly(tables.get("tax_records"), firms, as_of, ref, ["revenue"])
    est.add("revenue", s["revenue"][:, 0], P[:, 0], industry, moy)
    df = tables.get("utility_records")
    kinds = list(catalogue.UTILITY_KINDS)
    group = None if _empty(df) else pd.Index(kinds).get_indexer(df["kind"].astype(str).str.lower())
    P, s = _monthly(df, firms, as_of, ref, ["usage"], group=group, groups=len(kinds))
    for k, kind in enumerate(kinds):
        est.add(f"util_{kind}", s["usage"][:, k], P[:, k], industry, moy)
    return est


# ---------------------------------------------------------------------------------------------- helpers

def _select(tables, as_of, usccs):
    """(tables cut to `usccs`, the registry rows of firms founded before as_of, their index, founding dates,
    the last month with any day before as_of)."""
    if usccs is not None:  # re-scoring a few firms: cut every table down to them first
        wanted = pd.Index(list(usccs)).astype(str)
        tables = {k: v[v["uscc"].astype(str).isin(wanted)] if "uscc" in v else v for k, v in tables.items()}
    reg = tables["registry"]
    established = pd.to_datetime(reg["established_on"])
    keep = ~(established >= as_of)  # firms not yet founded have no row; unknown founding dates stay
    if usccs is not None:
        keep &= reg["uscc"].isin(list(usccs))
    reg = reg.loc[keep].drop_duplicates("uscc")
    firms = pd.Index(reg["uscc"].astype(str).to_numpy(), name="uscc")
    return tables, reg, firms, established, _month_no(as_of - pd.Timedelta(days=1))


def _industries(reg: pd.DataFrame) -> np.ndarray:
    if "industry" not in reg:
        return np.full(len(reg), None, dtype=object)
    return reg["industry"].astype("string").to_numpy(dtype=object, na_value=None)


def _month_of_year(ref: int) -> np.ndarray:
    """Calendar month (0 = January) of each window position, position 0 being month `ref`."""
    return (ref - np.arange(WINDOW)) % 12


def _month_no(ts) -> pd.Series | int:
    """Months since year 0 (so month differences are integer subtractions)."""
    if isinstance(ts, pd.Timestamp | date):
        return ts.year * 12 + ts.month - 1
    ts = pd.to_datetime(ts)
    return ts.dt.year * 12 + ts.dt.month - 1


def _empty(df: pd.DataFrame | None) -> bool:
    return df is None or len(df) == 0


def _codes(df: pd.DataFrame, firms: pd.Index) -> np.ndarray:
    return firms.get_indexer(df["uscc"].astype(str))


def _monthly(df: pd.DataFrame | None, firms: pd.Index, as_of, ref: int, cols, group=None, groups=1):
    """Dense (n, groups, WINDOW) sums of `cols` plus a presence mask; month 0 is the latest month.

    Rows dated on or after as_of, outside the window, or of unknown firms are dropped.
    """
    n = len(firms)
    shape = (n, groups, WINDOW)
    if _empty(df):
        return np.zeros(shape, bool), {c: np.zeros(shape) for c in cols}
    period = pd.to_datetime(df["period"])
    back = (ref - _month_no(period)).to_numpy(dtype=float, na_value=np.nan)
    code = _codes(df, firms)
    g = np.zeros(len(df), np.int64) if group is None else group
    ok = (period < as_of).to_numpy() & (back >= 0) & (back < WINDOW) & (code >= 0) & (g >= 0)
    key = (code[ok].astype(np.int64) * groups + g[ok]) * WINDOW + back[ok].astype(np.int64)
    size = n * groups * WINDOW
    present = np.bincount(key, minlength=size).reshape(shape) > 0
    sums = {}
    for c in cols:
        v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)[ok]
        sums[c] = np.bincount(key, weights=np.nan_to_num(v), minlength=size).reshape(shape)
    return present, sums


def _latest(m: np.ndarray, present: np.ndarray, empty=np.nan) -> np.ndarray:
    """The value in the most recent month with a record (`empty` when the firm has none)."""
    j = present.argmax(axis=1)
    v = m[np.arange(len(m)), j]
    return np.where(present.any(axis=1), v, empty)


def _ratio(a, b, ok=None):
    ok = (b > 0) if ok is None else (ok & (b > 0))
    return np.where(ok, a / np.where(b > 0, b, 1.0), np.nan)


def _adjusted(now, year_ago):
    """Seasonally adjusted change: a within-year ratio divided by the same ratio a year earlier, minus 1
    (missing without last year's ratio)."""
    return np.clip(_ratio(now, year_ago, np.isfinite(now) & np.isfinite(year_ago)) - 1, -1, 10)


def _mean_over(m, present, lo, hi):
    cnt = present[:, lo:hi].sum(axis=1)
    return _ratio((m * present)[:, lo:hi].sum(axis=1), cnt.astype(float))


# ---------------------------------------------------------------------------------------------- tables

def _sa_change(sa, P, now, lo, hi):
    """Seasonally adjusted `now` against the mean adjusted value of months lo..hi−1, minus 1."""
    return np.clip(_ratio(now, _mean_over(sa, P, lo, hi)) - 1, -1, 10)


def _seasonal_features(values, P, season, series, prefix):
    """A series divided by the model's factor of each firm's industry and calendar month (risk.seasonal): the
    latest month against the year, the quarter against the year, the latest month against two years and against
    the same month half a year earlier — all like with like, so a Spring Festival February is not read as decline.
    NaN without a table."""
    n = len(values)
    if season["table"] is None or not (season["table"].get("factors") or {}).get(series):
        return {f"{prefix}_{k}_sa": np.full(n, np.nan) for k in ("1m_vs_12m", "3m_vs_12m", "1m_vs_24m", "1m_vs_6m_ago")}
    sa = seasonal_table.adjust(season["table"], series, values, season["industry"], season["month_of_year"])
    latest = np.where(P[:, 0], sa[:, 0], np.nan)
    return {
        f"{prefix}_1m_vs_12m_sa": _sa_change(sa, P, latest, 0, 12),
        f"{prefix}_3m_vs_12m_sa": _sa_change(sa, P, _mean_over(sa, P, 0, 3), 0, 12),
        f"{prefix}_1m_vs_24m_sa": _sa_change(sa, P, latest, 0, WINDOW),
        f"{prefix}_1m_vs_6m_ago_sa": np.clip(_ratio(latest, np.where(P[:, 6], sa[:, 6], np.nan)) - 1, -1, 10),
    }


def _tax(df, firms, as_of, ref, est_back, season):
    P, s = _monthly(df, firms, as_of, ref, ["revenue", "vat_paid", "income_tax_paid", "arrears"])
    P = P[:, 0]
    tax = s["vat_paid"][:, 0] + s["income_tax_paid"][:, 0]
    rev, arr = s["revenue"][:, 0], s["arrears"][:, 0]
    t12, t_prev = tax[:, :12].sum(1), tax[:, 12:].sum(1)
    r12, r_prev = rev[:, :12].sum(1), rev[:, 12:].sum(1)
    had_prev = P[:, 12:].any(1)
    # Least-squares slope over the months present (time runs forward: month 0 is t = 11).
    w = P[:, :12].astype(float)
    t = np.arange(11, -1, -1, dtype=float)
    y = tax[:, :12]
    nw, st, sy = w.sum(1), (w * t).sum(1), (w * y).sum(1)
    stt, sty, syy = (w * t * t).sum(1), (w * t * y).sum(1), (w * y * y).sum(1)
    denom = nw * stt - st * st
    slope = _ratio(nw * sty - st * sy, denom, nw >= 3)
    mean = _ratio(sy, nw)
    var = np.maximum(_ratio(syy, nw) - mean ** 2, 0)
    itax, vat = s["income_tax_paid"][:, 0], s["vat_paid"][:, 0]
    r3 = rev[:, :3].sum(1)
    mean_rev12 = _ratio(r12, P[:, :12].sum(1).astype(float))
    months = np.arange(12)
    alive = months[None, :] <= est_back[:, None]  # months after founding
    paid = P[:, :12] & (tax[:, :12] > 0)
    return {
        "tax_paid_12m": t12,
        "tax_trend_12m": _ratio(slope, mean),
        "tax_yoy": np.clip(_ratio(t12, t_prev, had_prev) - 1, -1, 10),
        "tax_volatility_12m": _ratio(np.sqrt(var), mean, nw >= 3),
        "tax_zero_months_12m": (alive & ~paid).sum(1).astype(float),
        "revenue_12m": np.where(P[:, :12].any(1), r12, np.nan),  # zero revenue is a fact; no records is not
        "revenue_yoy": np.clip(_ratio(r12, r_prev, had_prev) - 1, -1, 10),
        # Seasonally adjusted (同比季节调整): each "part of the year against the year" ratio is divided by the
        # same ratio a year earlier, so a Spring Festival February is compared with last year's February.
        "revenue_3m_vs_12m": _adjusted(_ratio(_mean_over(rev, P, 0, 3), mean_rev12),
                                       _ratio(_mean_over(rev, P, 12, 15), _mean_over(rev, P, 12, 24))),
        "revenue_1m_vs_12m": _adjusted(_ratio(np.where(P[:, 0], rev[:, 0], np.nan), mean_rev12),
                                       _ratio(np.where(P[:, 12], rev[:, 12], np.nan), _mean_over(rev, P, 12, 24))),
        "revenue_yoy_3m": np.clip(_ratio(r3, rev[:, 12:15].sum(1), P[:, 12:15].any(1)) - 1, -1, 10),
        "revenue_trend_6m": _adjusted(_ratio(r3, rev[:, 3:6].sum(1), P[:, 3:6].any(1)),
                                      _ratio(rev[:, 12:15].sum(1), rev[:, 15:18].sum(1), P[:, 15:18].any(1))),
        "_revenue_3m": np.where(P[:, :3].any(1), r3, np.nan),
        # Income tax is paid in the month after each quarter, on that quarter's revenue: lag one month.
        "income_tax_rate_3m": _ratio(itax[:, :3].sum(1), rev[:, 1:4].sum(1)),
        "income_tax_rate_6m": _ratio(itax[:, :6].sum(1), rev[:, 1:7].sum(1)),
        "income_tax_rate_12m": _ratio(itax[:, :12].sum(1), rev[:, 1:13].sum(1)),
        "vat_rate_3m": _ratio(vat[:, :3].sum(1), r3),
        "tax_arrears_ratio": np.clip(_ratio(_latest(arr, P, 0.0), mean_rev12), 0, 100),
        # Arrears otherwise shrink as they are paid off: a rise means newly unpaid tax that month.
        "tax_arrears_up_months_6m": (P[:, :6] & P[:, 1:7] & (arr[:, :6] > arr[:, 1:7])).sum(1).astype(float),
        "tax_arrears_latest": _latest(arr, P, 0.0),
        "tax_arrears_months_12m": (P[:, :12] & (arr[:, :12] > 0)).sum(1).astype(float),
        **_seasonal_features(rev, P, season, "revenue", "revenue"),
    }


def _tax_grade(df, firms, as_of):
    rank = np.full(len(firms), np.nan)
    if _empty(df):
        return {"tax_grade_rank": rank}
    year = pd.to_numeric(df["year"], errors="coerce").to_numpy()
    published = pd.to_datetime(pd.DataFrame({"year": year + 1, "month": GRADE_PUBLISHED_MONTH, "day": 1}),
                                errors="coerce")
    code = _codes(df, firms)
    ok = (published < as_of).to_numpy() & (code >= 0)
    g = pd.DataFrame({"code": code[ok], "year": year[ok],
                      "rank": df["grade"].astype(str).str.upper().map(GRADE_RANK).to_numpy()[ok]})
    latest = g.sort_values("year").drop_duplicates("code", keep="last")
    rank[latest["code"].to_numpy()] = latest["rank"].to_numpy(dtype=float)
    return {"tax_grade_rank": rank}


def _social(df, firms, as_of, ref):
    P, s = _monthly(df, firms, as_of, ref, ["insured_headcount", "amount_due", "amount_paid", "months_in_arrears"])
    P = P[:, 0]
    h = s["insured_headcount"][:, 0]
    recent, year_ago = _mean_over(h, P, 0, 3), _mean_over(h, P, 9, 12)
    due, paid = s["amount_due"][:, 0][:, :12].sum(1), s["amount_paid"][:, 0][:, :12].sum(1)
    return {
        "si_headcount": _latest(h, P, 0.0),
        "si_headcount_trend_12m": _ratio(recent - year_ago, np.maximum(year_ago, 1.0), ~np.isnan(year_ago))
        if len(h) else np.zeros(0),
        "si_headcount_vs_24m": _ratio(_latest(h, P), _mean_over(h, P, 0, WINDOW)),
        "si_short_months_6m": (P[:, :6] & (s["amount_paid"][:, 0][:, :6] < s["amount_due"][:, 0][:, :6]))
        .sum(1).astype(float),
        "si_unpaid_ratio_3m": np.clip(_ratio(s["amount_due"][:, 0][:, :3].sum(1) - s["amount_paid"][:, 0][:, :3].sum(1),
                                             s["amount_due"][:, 0][:, :3].sum(1)), 0, 1),
        "si_arrears_months": _latest(s["months_in_arrears"][:, 0], P, 0.0),
        "si_unpaid_ratio_12m": np.clip(_ratio(due - paid, due), 0, 1),
    }


def _provident(df, firms, as_of, ref):
    P, s = _monthly(df, firms, as_of, ref, ["headcount", "amount_paid"])
    P = P[:, 0]
    paid = P & (s["amount_paid"][:, 0] > 0)
    # Months since the firm's first provident-fund record in the window without a payment.
    first = np.where(P.any(1), WINDOW - 1 - P[:, ::-1].argmax(1), -1)
    enrolled = np.arange(12)[None, :] <= first[:, None]
    return {
        "pf_headcount": _latest(s["headcount"][:, 0], P, 0.0),
        "pf_unpaid_months_12m": (enrolled & ~paid[:, :12]).sum(1).astype(float),
    }


def _utilities(df, firms, as_of, ref, season):
    kinds = list(catalogue.UTILITY_KINDS)
    group = None
    if not _empty(df):
        group = pd.Index(kinds).get_indexer(df["kind"].astype(str).str.lower())
    P, s = _monthly(df, firms, as_of, ref, ["usage", "days_late"], group=group, groups=len(kinds))
    use, late = s["usage"], s["days_late"]
    out = {}
    for k, kind in enumerate(kinds):
        u, p = use[:, k], P[:, k]
        out[f"util_{kind}_yoy_3m"] = np.clip(_ratio(u[:, :3].sum(1), u[:, 12:15].sum(1), p[:, 12:15].any(1)) - 1,
                                             -1, 10)
        out[f"util_{kind}_3m_vs_12m"] = _adjusted(_ratio(_mean_over(u, p, 0, 3), _mean_over(u, p, 0, 12)),
                                                  _ratio(_mean_over(u, p, 12, 15), _mean_over(u, p, 12, 24)))
        out[f"util_{kind}_yoy_12m"] = np.clip(_ratio(u[:, :12].sum(1), u[:, 12:].sum(1), p[:, 12:].any(1)) - 1,
                                              -1, 10)
    k = kinds.index("electricity")
    elec = _seasonal_features(use[:, k], P[:, k], season, "util_electricity", "util_electricity")
    out["util_electricity_1m_vs_24m_sa"] = elec["util_electricity_1m_vs_24m_sa"]
    recent = late[:, :, :12] * P[:, :, :12]
    out["util_late_3m"] = (recent[:, :, :3] > 0).sum((1, 2)).astype(float)
    out["util_late_12m"] = (recent > 0).sum((1, 2)).astype(float)
    out["util_days_late_max_12m"] = recent.max((1, 2)) if len(recent) else np.zeros(0)
    return out


def _penalties(df, firms, as_of):
    n = len(firms)
    out = {f"pen_{s}_{w}m": np.zeros(n) for w in (12, 36) for s in SEVERITIES}
    if _empty(df):
        return out
    decided = pd.to_datetime(df["decided_on"])
    repaired = pd.to_datetime(df["repaired_on"]) if "repaired_on" in df else pd.Series(pd.NaT, index=df.index)
    expired = pd.to_datetime(df["publication_end"]) if "publication_end" in df else \
        pd.Series(pd.NaT, index=df.index)
    code = _codes(df, firms)
    sev = pd.Index(SEVERITIES).get_indexer(df["severity"].astype(str).str.lower())
    # Repaired (信用修复) and past-publication records no longer count against the firm.
    counts = ((decided < as_of) & ~(repaired < as_of) & ~(expired < as_of)).to_numpy() & (code >= 0) & (sev >= 0)
    age = (as_of - decided).dt.days.to_numpy(dtype=float)
    for w in (12, 36):
        ok = counts & (age < w * 365.25 / 12)
        c = np.bincount(code[ok] * 3 + sev[ok], minlength=n * 3).reshape(n, 3)
        for i, s in enumerate(SEVERITIES):
            out[f"pen_{s}_{w}m"] = c[:, i].astype(float)
    return out


def _broken(df, firms, as_of):
    """Broken commitments recorded before as_of, within the last 36 months."""
    n = len(firms)
    if _empty(df):
        return np.zeros(n)
    on = pd.to_datetime(df["broken_on"])
    code = _codes(df, firms)
    age = (as_of - on).dt.days.to_numpy(dtype=float)
    ok = (on < as_of).to_numpy() & (age < 36 * 365.25 / 12) & (code >= 0)
    return np.bincount(code[ok], minlength=n).astype(float)


def _lists(df, firms, as_of):
    n = len(firms)
    out = {"list_serious_dishonest": np.zeros(n), "list_abnormal_operation": np.zeros(n), "list_red": np.zeros(n)}
    if _empty(df):
        return out
    day = as_of - pd.Timedelta(days=1)  # the last day whose facts are known
    start, end = pd.to_datetime(df["start_on"]), pd.to_datetime(df["end_on"])
    active = ((start <= day) & (end.isna() | (day < end))).to_numpy()
    code = _codes(df, firms)
    kind = df["list_type"].astype(str).to_numpy()
    for name, types in (("list_serious_dishonest", SERIOUS_LISTS), ("list_abnormal_operation", ("abnormal_operation",)),
                        ("list_red", RED_LISTS)):
        ok = active & (code >= 0) & np.isin(kind, types)
        out[name] = np.bincount(code[ok], minlength=n).astype(float)
    out["list_abnormal_operation"] = np.minimum(out["list_abnormal_operation"], 1)
    return out
