"""How close a plain LightGBM on simple table features gets to the oracle AUC of the synthetic city.

Run by hand:  .venv/bin/python bench/oracle_gap.py [--firms 30000]
Trains on one city (seed 1), scores another (seed 2, the same process, other firms), and prints the
oracle AUC (the generator's true PD) beside the model's AUC on the second city. The features here are a
quick baseline for checking the generator, not the risk engine's (risk/features.py).
"""
import argparse
import time

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from seed import city, departments


def features(t: dict, as_of) -> pd.DataFrame:
    last = pd.Timestamp(as_of).to_period("M").to_timestamp()
    reg = t["registry"].set_index("uscc")
    X = pd.DataFrame(index=reg.index)
    X["industry"] = reg["industry"].astype("category")
    X["size"] = reg["size"].map({"micro": 0, "small": 1, "medium": 2, "large": 3})
    X["age"] = (pd.Timestamp(as_of) - reg["established_on"]).dt.days / 365.25

    def window(df, lo, hi=0):
        months = (last.year - df["period"].dt.year) * 12 + (last.month - df["period"].dt.month)
        return df[(months >= hi) & (months < lo)]

    tax = t["tax_records"]
    for lo, name in ((3, "3"), (6, "6"), (12, "12")):
        w = window(tax, lo).groupby("uscc")[["revenue", "vat_paid", "income_tax_paid", "arrears"]].sum()
        X[f"rev_{name}"] = np.log1p(w["revenue"])
        X[f"vat_rate_{name}"] = w["vat_paid"] / w["revenue"].clip(lower=1)
        X[f"itax_rate_{name}"] = w["income_tax_paid"] / w["revenue"].clip(lower=1)
        X[f"arrears_{name}"] = w["arrears"] / w["revenue"].clip(lower=1)
    prev = window(tax, 12, 6).groupby("uscc")["revenue"].sum()
    X["rev_growth"] = X["rev_6"] - np.log1p(prev)
    X["rev_yoy"] = X["rev_3"] - np.log1p(window(tax, 15, 12).groupby("uscc")["revenue"].sum())
    X["rev_recent"] = X["rev_3"] - X["rev_12"]
    X["itax_last"] = window(tax, 1).set_index("uscc")["income_tax_paid"] / X["rev_3"].map(np.expm1).clip(lower=1)
    si = t["social_insurance_records"]
    for lo in (3, 6, 12):
        w = window(si, lo).groupby("uscc").agg(due=("amount_due", "sum"), paid=("amount_paid", "sum"),
                                               arr=("months_in_arrears", "max"), heads=("insured_headcount", "mean"))
        X[f"si_ratio_{lo}"] = w["paid"] / w["due"].clip(lower=1)
        X[f"si_arrears_{lo}"] = w["arr"]
        X[f"heads_{lo}"] = np.log(w["heads"])
    X["heads_growth"] = X["heads_3"] - X["heads_12"]
    X["rev_per_head"] = X["rev_3"] - X["heads_3"]
    pf = t["provident_fund_records"]
    w = window(pf, 12).groupby("uscc")["amount_paid"].agg(["count", lambda s: (s == 0).sum()])
    X["pf_months"], X["pf_missed"] = w.iloc[:, 0], w.iloc[:, 1]
    ut = t["utility_records"]
    for lo in (3, 12):
        w = window(ut, lo).groupby("uscc")["days_late"].agg(["mean", "max"])
        X[f"late_mean_{lo}"], X[f"late_max_{lo}"] = w["mean"], w["max"]
    el = ut[ut["kind"] == "electricity"]
    X["elec_yoy"] = np.log1p(window(el, 3).groupby("uscc")["usage"].sum()) - \
        np.log1p(window(el, 15, 12).groupby("uscc")["usage"].sum())
    pen = t["penalties"]
    recent = pen[pen["decided_on"] > pd.Timestamp(as_of) - pd.DateOffset(months=12)]
    X["pen_12"] = recent.groupby("uscc").size()
    X["pen_serious"] = recent[recent["severity"] == "serious"].groupby("uscc").size()
    le = t["list_entries"]
    active = le[(le["start_on"] <= pd.Timestamp(as_of)) & (le["end_on"].isna() | (le["end_on"] > pd.Timestamp(as_of)))]
    for lt in ("dishonest_judgment_debtor", "major_tax_violation", "serious_illegal", "wage_arrears",
               "abnormal_operation", "a_taxpayer", "contract_honoring"):
        X[f"list_{lt}"] = active[active["list_type"] == lt].groupby("uscc").size()
        X[f"ever_{lt}"] = le[le["list_type"] == lt].groupby("uscc").size()
    g = t["tax_grades"]
    latest = g[g["year"] == g["year"].max()].set_index("uscc")["grade"]
    X["grade"] = latest.map({"A": 0, "B": 1, "M": 2, "C": 3, "D": 4})
    for c in X.columns:
        if c.startswith(("pen_", "list_", "ever_", "pf_")):
            X[c] = X[c].fillna(0)
    return X


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=30_000)
    args = parser.parse_args()
    start = time.perf_counter()
    train = departments.generate(args.firms, seed=1)
    test = departments.generate(args.firms, seed=2)
    Xtr, Xte = features(train, city.AS_OF), features(test, city.AS_OF)
    ytr = train["outcomes"].set_index("uscc").loc[Xtr.index, "defaulted_12m"]
    yte = test["outcomes"].set_index("uscc").loc[Xte.index, "defaulted_12m"]
    pd_true = test["truth"].set_index("uscc").loc[Xte.index, "true_pd"]
    model = lgb.LGBMClassifier(n_estimators=400, learning_rate=0.03, num_leaves=15, min_child_samples=50,
                               subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=1.0, verbose=-1)
    model.fit(Xtr, ytr)
    auc_model = roc_auc_score(yte, model.predict_proba(Xte)[:, 1])
    auc_oracle = roc_auc_score(yte, pd_true)
    print(f"firms per city: {args.firms:,}; default rate train {ytr.mean():.3f}, test {yte.mean():.3f}")
    print(f"oracle AUC (true PD) : {auc_oracle:.4f}")
    print(f"LightGBM AUC         : {auc_model:.4f}   gap {auc_oracle - auc_model:+.4f}")
    print(f"({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
