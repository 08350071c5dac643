"""Risk-engine benchmark on the synthetic city: model AUC against the oracle, calibration, speed.

Run by hand:  .venv/bin/python bench/risk.py [--firms 30000] [--big 580000] [--registered 28000]

Part 1 (--firms): one city, features as of its as-of date, the 12-month outcome; prints the model's AUC
on the held-out test split beside the oracle AUC (the generator's true PD) on the same firms, their gap
(goal ≤ 0.02), the logistic baseline's AUC and the calibration error.
Part 2 (--big, 0 to skip): a Jinan-scale city generated chunk by chunk; prints the feature-build time
(goal ≤ 60 s), prediction throughput without reasons (goal ≥ 100,000 firms/s), reasons for the
platform's registered firms (goal ≤ 30 s) and one-firm score-with-reasons latency (goal ≤ 10 ms).
"""
import argparse
import gc
import json
import sys
import time
from pathlib import Path

# This file is called risk.py: keep its own folder off the path so `import risk` finds the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from risk import features, metrics, model  # noqa: E402
from seed import departments  # noqa: E402


def part1(n: int, seed: int):
    t0 = time.perf_counter()
    city = departments.generate(n_enterprises=n, seed=seed)
    t_gen = time.perf_counter() - t0
    as_of = pd.Timestamp(departments.city.AS_OF)
    t0 = time.perf_counter()
    X = features.build(city, as_of)
    t_feat = time.perf_counter() - t0
    out = city["outcomes"].set_index("uscc")["defaulted_12m"].reindex(X.index)
    truth = city["truth"].set_index("uscc")["true_pd"].reindex(X.index)
    keep = out.notna()
    X, y, truth = X[keep], out[keep].astype(int), truth[keep]
    t0 = time.perf_counter()
    m = model.train(X, y)
    t_train = time.perf_counter() - t0
    test = m.split["test"]
    oracle = metrics.auc(y.loc[test], truth.loc[test])
    auc = m.card["metrics"]["auc"]
    fig = {
        "firms": int(len(X)), "bad_rate": round(float(y.mean()), 4), "test_firms": int(len(test)),
        "model_auc": auc, "oracle_auc": round(oracle, 4), "gap": round(oracle - auc, 4),
        "baseline_auc": m.card["baseline_auc"], "calibration_error": round(m.card["calibration_error"], 4),
        "trees": m.card["best_iteration"], "generate_s": round(t_gen, 1), "features_s": round(t_feat, 2),
        "train_s": round(t_train, 1),
    }
    print(json.dumps({"part": "auc", **fig}))
    return m


def part2(m, n: int, registered: int, seed: int):
    as_of = pd.Timestamp(departments.city.AS_OF)
    parts, t_feat, t_gen, t0 = [], 0.0, 0.0, time.perf_counter()
    for chunk in departments.generate_chunks(n, seed=seed):
        t_gen += time.perf_counter() - t0
        t1 = time.perf_counter()
        parts.append(features.build(chunk, as_of))
        t_feat += time.perf_counter() - t1
        del chunk
        gc.collect()
        t0 = time.perf_counter()
    X = pd.concat(parts)
    del parts
    t0 = time.perf_counter()
    s = m.score(X, reasons=False)
    t_pred = time.perf_counter() - t0
    reg = X.iloc[np.random.default_rng(0).choice(len(X), registered, replace=False)]
    t0 = time.perf_counter()
    r = m.score(reg, reasons=True)
    t_reasons = time.perf_counter() - t0
    lat = []
    for i in range(200):
        one = X.iloc[[i]]
        t0 = time.perf_counter()
        m.score(one, reasons=True)
        lat.append(time.perf_counter() - t0)
    fig = {
        "firms": int(len(X)), "generate_s": round(t_gen, 1), "features_s": round(t_feat, 1),
        "predict_firms_per_s": int(len(X) / t_pred), "predict_s": round(t_pred, 2),
        "reasons_firms": registered, "reasons_s": round(t_reasons, 2),
        "one_firm_ms_median": round(1000 * float(np.median(lat)), 2),
        "one_firm_ms_p95": round(1000 * float(np.quantile(lat, 0.95)), 2),
        "grades": s["grade"].value_counts().to_dict(),
        "with_reason": round(float(r["reason_1"].notna().mean()), 3),
    }
    print(json.dumps({"part": "scale", **fig}, ensure_ascii=False))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--firms", type=int, default=30_000)
    ap.add_argument("--big", type=int, default=580_000)
    ap.add_argument("--registered", type=int, default=28_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    m = part1(args.firms, args.seed)
    if args.big:
        part2(m, args.big, args.registered, args.seed + 1)


if __name__ == "__main__":
    main()
