"""The validation pack a bank's model validation expects, computed on the rows the metrics come from
(the held-out test split, or the out-of-fold rows under cross-validation):

* grade back-test: per grade, the observed default rate with its 95 % Wilson interval against the
  grade's PD band — a grade passes when the interval meets the band;
* KS and bad rate by score band (deciles of the score, worst first), with the cumulative shares whose
  largest gap is the KS;
* CSI (the PSI of each feature) between the training rows and the measured rows, and IV per feature
  from the challenger's optimal binning;
* the challenger: a WOE scorecard (risk.scorecard) on the same training rows and folds, its AUC and KS
  beside the champion's, exported as points per attribute;
* the master scale's recalibration: a logistic map of the PDs onto the observed defaults of those rows, with
  the grade back-test, Brier and calibration by decile before and after (after: cross-fitted) on those same rows,
  so a recalibrated version's card shows its own calibration beside the original's;
* out of time: the same procedure trained on the population as it stood at an earlier feature date (its
  features and its own outcomes then) scores the rows the in-time metrics come from; AUC and KS of both on
  those same firms.
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
        "recalibration": recalibration(yt, p, m.scale),
    }


def out_of_time(m, X: pd.DataFrame, y: pd.Series, X_earlier: pd.DataFrame, y_earlier) -> dict:
    """Out-of-time validation of model `m` (trained on X, y): a model trained exactly as `m` was (same
    features, categories and constraints; every earlier row, no metrics of its own) on the earlier rows
    X_earlier, y_earlier scores the firms `m`'s metrics come from (its test split, or every row's out-of-fold
    PD under cross-validation). Returns the firms and bads on both sides, AUC / KS out of time beside the
    in-time AUC / KS of those same firms, and the mean PD of each beside the observed bad rate.

    The earlier outcomes must end before the later feature date (a 12-month outcome: at least 12 months
    earlier), or the earlier model would have seen the test period."""
    from . import model as risk_model

    test = m.split["test"]
    yt = y.loc[test].to_numpy().astype(int)
    p_in = m.test_pd.reindex(test).to_numpy()
    ye = pd.Series(np.asarray(y_earlier), index=X_earlier.index).astype(int)
    mono = {k: v for k, v in m.monotone.items() if v}
    earlier = risk_model.train(X_earlier[m.features], ye, categorical=list(m.categories), monotone=mono,
                               use_catalogue=m.use_catalogue, scale=m.scale, measure=False)
    p_oot = earlier.predict_pd(X.loc[test, m.features])
    inside, outside = metrics.summary(yt, p_in), metrics.summary(yt, p_oot)
    return {"train_firms": int(len(ye)), "train_bads": int(ye.sum()), "train_bad_rate": round(float(ye.mean()), 6),
            "test_firms": int(len(yt)), "test_bads": int(yt.sum()), "bad_rate": inside["bad_rate"],
            "auc_out_of_time": outside["auc"], "ks_out_of_time": outside["ks"],
            "auc_in_time": inside["auc"], "ks_in_time": inside["ks"],
            "mean_pd_out_of_time": outside["mean_pd"], "mean_pd_in_time": inside["mean_pd"]}


def recalibration(y, p, scale, folds: int = 5, seed: int = 2026) -> dict:
    """The master scale's recalibration to an observed portfolio: the logistic map
    logit(PD′) = intercept + slope · logit(PD) fitted on the portfolio's outcomes y against the model's PDs p
    (calibration in the large and slope), with the grade back-test before and after. The "after" back-test
    uses cross-fitted PDs (each fold recalibrated by a map fitted on the other folds), so it is not measured
    on the rows that fitted it; the map itself is fitted on every row.

    The grade bands (the master scale) never move: the PDs are mapped onto them. The slope is kept positive
    (a map that would reverse the ranking is refused: identity), so a firm with a higher PD never gets a
    better grade after recalibration than another — the grades stay monotone in the model's score.
    """
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    before = grade_backtest(y, p, scale)
    intercept, slope = _logistic_map(y, p)
    after_pd = np.empty(len(y))
    k = min(folds, int(y.sum()), int((1 - y).sum()))
    if k >= 2:
        for tr, te in StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y):
            a, b = _logistic_map(y[tr], p[tr])
            after_pd[te] = apply_map(p[te], a, b)
    else:
        after_pd = apply_map(p, intercept, slope)
    after = grade_backtest(y, after_pd, scale)

    def within(rows):
        return sum(1 for r in rows if r["within"]), sum(1 for r in rows if r["n"])
    return {"intercept": round(intercept, 6), "slope": round(slope, 6), "firms": int(len(y)), "bads": int(y.sum()),
            "before": before, "after": after, "within_before": within(before), "within_after": within(after),
            "figures_before": calibration_figures(y, p), "figures_after": calibration_figures(y, after_pd),
            "mean_pd_before": round(float(p.mean()), 6), "mean_pd_after": round(float(after_pd.mean()), 6),
            "bad_rate": round(float(y.mean()), 6) if len(y) else None}


def calibration_figures(y, p) -> dict:
    """What the model card shows of a version's calibration on some rows: Brier, mean PD beside the bad rate,
    the expected calibration error and the table by decile of PD (the chart)."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(y) < 10:
        return {}
    s = metrics.summary(y, p)
    return {"n": s["n"], "brier": s["brier"], "mean_pd": s["mean_pd"], "bad_rate": s["bad_rate"],
            "calibration_error": round(metrics.calibration_error(y, p), 6),
            "calibration_table": metrics.calibration_table(y, p).to_dict("records")}


def apply_map(p, intercept: float, slope: float) -> np.ndarray:
    """PD′ = σ(intercept + slope · logit(PD)): the recalibration map (monotone increasing for slope > 0)."""
    q = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return 1 / (1 + np.exp(-(intercept + slope * np.log(q / (1 - q)))))


def _logistic_map(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) of the recalibration map by maximum likelihood; identity when it cannot be fitted or
    would not keep the ranking (slope ≤ 0)."""
    from sklearn.linear_model import LogisticRegression

    if len(y) == 0 or y.min() == y.max():
        return 0.0, 1.0
    q = np.clip(p, 1e-6, 1 - 1e-6)
    lr = LogisticRegression(C=1e6, max_iter=1000).fit(np.log(q / (1 - q)).reshape(-1, 1), y)
    slope, intercept = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    return (intercept, slope) if slope > 0 else (0.0, 1.0)
