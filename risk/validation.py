"""The validation pack a bank's model validation expects, computed on the rows the metrics come from
(the held-out test split, or the out-of-fold rows under cross-validation):

* grade back-test: per grade, the observed default rate with its 95 % Wilson interval against the
  grade's PD band — a grade passes when the interval meets the band;
* KS and bad rate by score band (deciles of the score, worst first), with the cumulative shares whose
  largest gap is the KS;
* CSI (the PSI of each feature) between the training rows and the measured rows, and IV per feature
  from the challenger's optimal binning;
* the challenger: a WOE scorecard (risk.scorecard) on the same training rows and folds, its AUC and KS
  beside the champion's, exported as points per attribute.
"""
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from . import metrics, scorecard
from .grades import GRADES


def wilson(bads: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a default rate (sound for small counts and zero defaults)."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = bads / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (float(max(0.0, centre - half)), float(min(1.0, centre + half)))


def grade_backtest(y, p, scale) -> list[dict]:
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    g = scale.grade(p)
    cuts = [0.0, *scale.pd_cutoffs, 1.0]
    rows = []
    for k, grade in enumerate(GRADES):
        m = g == grade
        n, bads = int(m.sum()), int(y[m].sum())
        lo, hi = wilson(bads, n)
        rows.append({"grade": grade, "pd_from": cuts[k], "pd_to": cuts[k + 1], "n": n, "bads": bads,
                     "observed": bads / n if n else None, "mean_pd": float(p[m].mean()) if n else None,
                     "ci_low": lo if n else None, "ci_high": hi if n else None,
                     "within": None if not n else bool(lo <= cuts[k + 1] and hi >= cuts[k])})
    return rows


def score_bands(y, score, bands: int = 10) -> list[dict]:
    """Score deciles, worst (lowest score) first: n, bads, bad rate, cumulative bad / good shares, KS."""
    df = pd.DataFrame({"y": np.asarray(y, dtype=int), "s": np.asarray(score, dtype=float)})
    df["band"] = pd.qcut(df["s"].rank(method="first"), bands, labels=False)
    t = df.groupby("band").agg(score_from=("s", "min"), score_to=("s", "max"), n=("y", "size"),
                               bads=("y", "sum")).reset_index()
    t["bad_rate"] = t["bads"] / t["n"]
    tb, tg = max(int(t["bads"].sum()), 1), max(int((t["n"] - t["bads"]).sum()), 1)
    t["cum_bad_share"] = t["bads"].cumsum() / tb
    t["cum_good_share"] = (t["n"] - t["bads"]).cumsum() / tg
    t["ks"] = t["cum_bad_share"] - t["cum_good_share"]
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in t.to_dict("records")]


def csi(M_ref: np.ndarray, M_new: np.ndarray, features) -> list[dict]:
    """PSI of each numeric input between two sets of rows (categories compared by level shares)."""
    out = []
    for j, name in enumerate(features):
        a, b = M_ref[:, j], M_new[:, j]
        if np.isfinite(a).sum() < 10 or np.isfinite(b).sum() < 10:
            continue
        out.append({"feature": name, "csi": round(metrics.psi(a, b), 4)})
    return sorted(out, key=lambda r: -r["csi"])


def challenger(X: pd.DataFrame, y: pd.Series, m, seed: int = 2026) -> tuple[dict, "scorecard.WoeScorecard"]:
    """A WOE scorecard measured exactly as the champion was (same test rows, or the same CV folds), then
    fitted on the champion's training rows for the export. Returns (its figures, the fitted scorecard)."""
    cats = list(m.categories)
    mono = {k: v for k, v in m.monotone.items() if v}
    ev = m.card.get("evaluation", {})
    yv = y.to_numpy()
    if ev.get("method") == "cv":
        p = np.empty(len(X))
        for tr, te in StratifiedKFold(ev["folds"], shuffle=True, random_state=seed).split(np.zeros(len(X)), yv):
            p[te] = scorecard.fit(X.iloc[tr], yv[tr], cats, mono, m.scale, seed).predict_pd(X.iloc[te])
        final = scorecard.fit(X, yv, cats, mono, m.scale, seed)
        yt = yv
    else:
        train, test = m.split["train"], m.split["test"]
        final = scorecard.fit(X.loc[train], y.loc[train].to_numpy(), cats, mono, m.scale, seed)
        p, yt = final.predict_pd(X.loc[test]), y.loc[test].to_numpy()
    figures = {"method": "WOE 评分卡（optbinning 最优分箱 + 逻辑回归）", **metrics.summary(yt, p),
               "iv": final.iv().to_dict("records")}
    return figures, final


def pack(m, X: pd.DataFrame, y: pd.Series) -> dict:
    """Back-test, score bands and CSI of model `m` on the rows its metrics come from."""
    test, train = m.split["test"], m.split["train"]
    p = m.test_pd.reindex(test).to_numpy()
    yt = y.loc[test].to_numpy()
    return {
        "grade_backtest": grade_backtest(yt, p, m.scale),
        "score_bands": score_bands(yt, m.scale.score(p)),
        "csi": csi(m.matrix(X.loc[train]), m.matrix(X.loc[test]), m.features)
        if m.card["evaluation"]["method"] != "cv" else [],
    }
