"""Reason codes: the features that push each firm's risk up, from LightGBM's own per-row SHAP values.

LightGBM computes exact TreeSHAP contributions with `pred_contrib=True`; a positive contribution
raises the firm's log-odds above the average firm's. The top four positive ones become Chinese
reason texts — from the catalogue for the bank officer (`reason`) or the SME itself (`plain`), or,
for a generic file without a catalogue, "<列名> 偏高/偏低".

Every text a feature can produce is laid out once in a (feature × variant) table, so choosing the
texts for many firms is array indexing, not a loop over firms.
"""
import numpy as np

from . import catalogue

TOP = 4
HIGH, LOW, MISSING = 0, 1, 2  # variants of a numeric feature; categorical ones use 2 + level index


def text_table(features, categories, monotone, use_catalogue: bool, plain: bool = False) -> np.ndarray:
    """Object array [feature, variant] of reason texts."""
    width = 3 + max((len(v) for v in categories.values()), default=0)
    table = np.full((len(features), width), None, dtype=object)
    for j, name in enumerate(features):
        entry = catalogue.BY_NAME.get(name) if use_catalogue else None
        if entry is not None:
            text = entry.plain if plain else entry.reason
            missing = f"平台暂未获得贵企业的{entry.label}数据" if plain else f"缺少{entry.label}数据"
            high = text.replace("{level}", "偏高")
            low = text.replace("{level}", "偏低")
        else:
            text = None
            high, low, missing = f"{name} 偏高", f"{name} 偏低", f"{name} 缺失"
        table[j, HIGH], table[j, LOW], table[j, MISSING] = high, low, missing
        if name in categories:
            labels = catalogue.VALUE_LABELS.get(name, {}) if entry is not None else {}
            for k, level in enumerate(categories[name]):
                shown = labels.get(level, level)
                table[j, 3 + k] = text.replace("{value}", shown) if text else f"{name} 为 {level}"
    return table


def variants(M: np.ndarray, features, categories, monotone, medians) -> np.ndarray:
    """Which text of each feature fits each firm: [n, feature] variant indices."""
    v = np.empty(M.shape, dtype=np.int64)
    for j, name in enumerate(features):
        x = M[:, j]
        if name in categories:
            v[:, j] = np.where(np.isnan(x), MISSING, 3 + np.nan_to_num(x, nan=0).astype(np.int64))
            continue
        d = monotone.get(name, 0)
        if d > 0:
            side = np.full(len(x), HIGH)
        elif d < 0:
            side = np.full(len(x), LOW)
        else:
            side = np.where(x > medians.get(name, 0.0), HIGH, LOW)
        v[:, j] = np.where(np.isnan(x), MISSING, side)
    return v


def top_reasons(contrib: np.ndarray, var: np.ndarray, table: np.ndarray, k: int = TOP) -> np.ndarray:
    """[n, k] reason texts: the k largest positive contributions, largest first (None past the last)."""
    n, f = contrib.shape
    k_eff = min(k, f)
    if k_eff < f:
        part = np.argpartition(-contrib, k_eff - 1, axis=1)[:, :k_eff]
    else:
        part = np.tile(np.arange(f), (n, 1))
    rows = np.arange(n)[:, None]
    order = np.argsort(-contrib[rows, part], axis=1, kind="stable")
    top = part[rows, order]
    texts = table[top, var[rows, top]]
    texts[contrib[rows, top] <= 0] = None
    out = np.full((n, k), None, dtype=object)
    out[:, :k_eff] = texts
    return out


def contributions(booster, M: np.ndarray) -> np.ndarray:
    """Per-row SHAP contributions to the log-odds, one column per feature (the bias column dropped)."""
    from .model import threads_for

    return booster.predict(M, pred_contrib=True, num_threads=threads_for(len(M)))[:, :-1]
