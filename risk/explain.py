"""Reason codes: what pushes each firm's risk up, and what counts in its favour, from LightGBM's own per-row
SHAP values, worded by where the firm's own value lies in the population.

LightGBM computes exact TreeSHAP contributions with `pred_contrib=True`; a positive contribution raises
the firm's log-odds above the average firm's, a negative one lowers it. The rules a firm can act on:

* A contribution below MIN_CONTRIBUTION (log-odds) is never shown, up or down: it moves the PD by a
  few per cent of itself at most. For AAA / AA firms a risk reason must reach STRONG_CONTRIBUTION
  (what really counts for a firm that is already among the safest), otherwise none is shown.
* High / low wording follows the firm's own value against the population's percentiles (kept with the
  model): a "偏低 / 下降" reason (a feature where less is riskier) is shown only when the firm's value is
  below the median, a "偏高 / 较多" one only above it; a favourable factor only on the good side. A
  contribution that contradicts the firm's own position comes from interactions with other features
  and is not something the firm can read as advice, so it is not shown.
* A value that is missing because its base is zero (no revenue) is a fact, not missing data: it reads
  "营业收入为零", never "缺少…数据".
* Category values are shown by their labels (catalogue.VALUE_LABELS), never as raw codes.

Texts come from the catalogue for the bank officer (`reason`) or the SME itself (`plain`), or, for a
generic file without a catalogue, "<列名> 偏高/偏低". Every risk text is laid out once in a
(feature × variant) table, so choosing the texts for many firms is array indexing.
"""
import re

import numpy as np

from . import catalogue

TOP = 4          # risk reasons per firm
TOP_FAVOURABLE = 3
MIN_CONTRIBUTION = 0.05
STRONG_CONTRIBUTION = 0.25
STRONG_GRADES = ("AAA", "AA")
HIGH, LOW, MISSING, ZERO = 0, 1, 2, 3  # variants of a numeric feature; categorical ones use 4 + level index
FIRST_LEVEL = 4
GRID = 101  # percentiles 0, 1, …, 100


def quantile_grid(x: np.ndarray) -> list[float]:
    """The population's percentiles 0..100 of one feature (empty when it has no value)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if not len(x):
        return []
    return [float(v) for v in np.quantile(x, np.linspace(0, 1, GRID))]


def percentiles(M: np.ndarray, features, quantiles: dict) -> np.ndarray:
    """[n, feature] the share (0–100) of the population below each firm's value, ties counted half;
    NaN for categories, missing values and features without a grid."""
    out = np.full(M.shape, np.nan)
    for j, name in enumerate(features):
        grid = quantiles.get(name)
        if not grid:
            continue
        q = np.asarray(grid, dtype=float)
        x = M[:, j]
        ok = np.isfinite(x)
        lo = np.searchsorted(q, x[ok], side="left")
        hi = np.searchsorted(q, x[ok], side="right")
        out[ok, j] = 100.0 * (lo + hi) / (2 * len(q))
    return out


def short_label(label: str) -> str:
    """The catalogue label without its bracketed unit or formula: "近12个月纳税额（元）" → "近12个月纳税额"."""
    return re.sub(r"（[^）]*）", "", label).strip()


def _zero_base(features, M: np.ndarray) -> np.ndarray:
    """[n, feature] True where a revenue-based ratio is missing only because the firm's revenue was zero
    (it has tax records: revenue_12m is known)."""
    out = np.zeros(M.shape, dtype=bool)
    if "revenue_12m" not in features:
        return out
    has_records = np.isfinite(M[:, features.index("revenue_12m")])
    for j, name in enumerate(features):
        if name in catalogue.REVENUE_BASED:
            out[:, j] = has_records & np.isnan(M[:, j])
    return out


def text_table(features, categories, monotone, use_catalogue: bool, plain: bool = False) -> np.ndarray:
    """Object array [feature, variant] of risk reason texts."""
    width = FIRST_LEVEL + max((len(v) for v in categories.values()), default=0)
    table = np.full((len(features), width), None, dtype=object)
    for j, name in enumerate(features):
        entry = catalogue.BY_NAME.get(name) if use_catalogue else None
        if entry is not None:
            text = entry.plain if plain else entry.reason
            missing = f"平台暂未获得贵企业的{entry.label}数据" if plain else f"缺少{entry.label}数据"
            high = text.replace("{level}", "偏高")
            low = text.replace("{level}", "偏低")
            zero = "贵企业近期没有营业收入" if plain else "近期营业收入为零"
        else:
            text = None
            high, low, missing, zero = f"{name} 偏高", f"{name} 偏低", f"{name} 缺失", f"{name} 缺失"
        table[j, HIGH], table[j, LOW], table[j, MISSING], table[j, ZERO] = high, low, missing, zero
        if name in categories:
            labels = catalogue.VALUE_LABELS.get(name, {}) if entry is not None else {}
            for k, level in enumerate(categories[name]):
                shown = labels.get(level, "其他") if entry is not None else level
                table[j, FIRST_LEVEL + k] = text.replace("{value}", shown) if text else f"{name} 为 {level}"
    return table


def variants(M: np.ndarray, features, categories, monotone, pct: np.ndarray) -> np.ndarray:
    """Which text of each feature fits each firm: [n, feature] variant indices."""
    v = np.empty(M.shape, dtype=np.int64)
    zero = _zero_base(features, M)
    for j, name in enumerate(features):
        x = M[:, j]
        if name in categories:
            v[:, j] = np.where(np.isnan(x), MISSING, FIRST_LEVEL + np.nan_to_num(x, nan=0).astype(np.int64))
            continue
        d = monotone.get(name, 0)
        if d > 0:
            side = np.full(len(x), HIGH)
        elif d < 0:
            side = np.full(len(x), LOW)
        else:
            side = np.where(np.nan_to_num(pct[:, j], nan=50.0) >= 50, HIGH, LOW)
        v[:, j] = np.where(zero[:, j], ZERO, np.where(np.isnan(x), MISSING, side))
    return v


def on_risky_side(M, features, categories, monotone, pct) -> np.ndarray:
    """[n, feature] True where the firm's own value is on the side its risk wording describes."""
    ok = np.ones(M.shape, dtype=bool)
    for j, name in enumerate(features):
        if name in categories:
            continue
        d = monotone.get(name, 0)
        p = pct[:, j]
        known = np.isfinite(p)
        if d > 0:
            ok[:, j] = ~known | (p > 50)
        elif d < 0:
            ok[:, j] = ~known | (p < 50)
    return ok


def on_good_side(M, features, categories, monotone, pct) -> np.ndarray:
    """[n, feature] True where the firm's value is on the favourable side (a known value, for numbers)."""
    ok = np.ones(M.shape, dtype=bool)
    for j, name in enumerate(features):
        if name in categories:
            ok[:, j] = np.isfinite(M[:, j])
            continue
        d = monotone.get(name, 0)
        p = pct[:, j]
        known = np.isfinite(p)
        ok[:, j] = known & ((p < 50) if d > 0 else (p > 50) if d < 0 else True)
    return ok


def pick(contrib: np.ndarray, allowed: np.ndarray, k: int, sign: int = 1) -> np.ndarray:
    """[n, k] feature indices of the k largest contributions of this sign (−1 where fewer qualify)."""
    n, f = contrib.shape
    c = np.where(allowed, sign * contrib, -np.inf)
    k_eff = min(k, f)
    part = np.argpartition(-c, k_eff - 1, axis=1)[:, :k_eff] if k_eff < f else np.tile(np.arange(f), (n, 1))
    rows = np.arange(n)[:, None]
    order = np.argsort(-c[rows, part], axis=1, kind="stable")
    top = part[rows, order]
    top[~np.isfinite(c[rows, top])] = -1
    out = np.full((n, k), -1, dtype=np.int64)
    out[:, :k_eff] = top
    return out


def risk_allowed(contrib, M, features, categories, monotone, pct, strong_rows=None) -> np.ndarray:
    """[n, feature] which contributions may become a risk reason (threshold, percentile side, AAA/AA)."""
    threshold = np.full((len(M), 1), MIN_CONTRIBUTION)
    if strong_rows is not None:
        threshold[np.asarray(strong_rows, dtype=bool)] = STRONG_CONTRIBUTION
    return (contrib >= threshold) & on_risky_side(M, features, categories, monotone, pct)


def texts_of(idx: np.ndarray, var: np.ndarray, table: np.ndarray) -> np.ndarray:
    """[n, k] texts for chosen feature indices (None for −1), each text once per firm, order kept."""
    n, k = idx.shape
    out = np.full((n, k), None, dtype=object)
    rows = np.arange(n)[:, None]
    safe = np.maximum(idx, 0)
    raw = table[safe, var[rows, safe]]
    raw[idx < 0] = None
    for i in range(n):
        seen, col = set(), 0
        for t in raw[i]:
            if t is not None and t not in seen:
                seen.add(t)
                out[i, col] = t
                col += 1
    return out


def top_reasons(contrib: np.ndarray, var: np.ndarray, table: np.ndarray, k: int = TOP) -> np.ndarray:
    """[n, k] reason texts: the k largest positive contributions, largest first (None past the last)."""
    return texts_of(pick(contrib, contrib > 0, k), var, table)


def favourable_text(name: str, j: int, x: float, p: float, categories, monotone, use_catalogue: bool) -> str:
    """A favourable factor in words, by the firm's value against the population."""
    entry = catalogue.BY_NAME.get(name) if use_catalogue else None
    label = short_label(entry.label) if entry else name
    if name in categories:
        level = categories[name][int(x)]
        shown = catalogue.VALUE_LABELS.get(name, {}).get(level, "其他") if entry else level
        return f"{label}（{shown}）整体风险较低"
    d = monotone.get(name, 0)
    if d > 0 and x == 0:
        return f"{label}为零"
    if d > 0 or (d == 0 and p < 50):
        return f"{label}低于{max(1, round(100 - p))}%的企业"
    return f"{label}高于{max(1, round(p))}%的企业"


def contributions(booster, M: np.ndarray) -> np.ndarray:
    """Per-row SHAP contributions to the log-odds, one column per feature (the bias column dropped)."""
    from .model import threads_for

    return booster.predict(M, pred_contrib=True, num_threads=threads_for(len(M)))[:, :-1]
