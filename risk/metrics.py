"""Discrimination and calibration measures credit teams expect: AUC, KS, Gini, Brier, decile
calibration, PSI, AUC per segment."""
import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve


def auc(y, p) -> float:
    y = np.asarray(y)
    return float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else float("nan")


def ks(y, p) -> float:
    """Kolmogorov–Smirnov: the largest gap between the bad and good cumulative score distributions."""
    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, p)
    return float(np.max(tpr - fpr))


def summary(y, p) -> dict:
    """The CLI's JSON: auc, ks, gini, brier, n (plus the bad rate and mean predicted PD)."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    a = auc(y, p)
    return {"auc": round(a, 6), "ks": round(ks(y, p), 6), "gini": round(2 * a - 1, 6),
            "brier": round(float(brier_score_loss(y, p)), 6), "n": int(len(y)),
            "bad_rate": round(float(y.mean()), 6) if len(y) else None,
            "mean_pd": round(float(p.mean()), 6) if len(p) else None}


def calibration_table(y, p, bins: int = 10) -> pd.DataFrame:
    """By decile of predicted PD: n, mean predicted PD, observed bad rate."""
    df = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    df["bin"] = pd.qcut(df["p"].rank(method="first"), bins, labels=False) + 1
    t = df.groupby("bin").agg(n=("y", "size"), mean_pd=("p", "mean"), bad_rate=("y", "mean")).reset_index()
    return t


def calibration_error(y, p, bins: int = 10) -> float:
    """Expected calibration error: the n-weighted mean |mean PD − bad rate| over the deciles."""
    t = calibration_table(y, p, bins)
    return float((t["n"] * (t["mean_pd"] - t["bad_rate"]).abs()).sum() / t["n"].sum())


def psi(expected, actual, bins: int = 10) -> float:
    """Population stability index of `actual` scores against `expected` ones, on the expected deciles.

    Rule of thumb: < 0.1 stable, 0.1–0.25 watch, > 0.25 shifted.
    """
    e = np.asarray(expected, dtype=float)
    a = np.asarray(actual, dtype=float)
    e, a = e[~np.isnan(e)], a[~np.isnan(a)]
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    ec = np.bincount(np.searchsorted(edges, e, side="right"), minlength=len(edges) + 1) / len(e)
    ac = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1) / len(a)
    ec, ac = np.maximum(ec, 1e-6), np.maximum(ac, 1e-6)
    return float(np.sum((ac - ec) * np.log(ac / ec)))


def auc_by_segment(y, p, segments: pd.DataFrame) -> pd.DataFrame:
    """AUC per value of each segment column (e.g. size, industry, region_code): column, value, n, bads, auc."""
    y = np.asarray(y, dtype=int)
    p = np.asarray(p, dtype=float)
    rows = []
    for col in segments.columns:
        values = segments[col].astype("string").fillna("(缺失)").to_numpy()
        for v in pd.unique(values):
            m = values == v
            rows.append({"segment": col, "value": str(v), "n": int(m.sum()), "bads": int(y[m].sum()),
                         "auc": auc(y[m], p[m])})
    return pd.DataFrame(rows, columns=["segment", "value", "n", "bads", "auc"])
