"""The credit-risk model: a monotone-constrained LightGBM classifier with calibrated PDs, points,
grades and reason codes, plus the logistic-regression baseline it is compared with.

`train` splits the data three ways, stratified on the outcome: a test split (held out, only
measured), a validation split (early stopping, then Platt or isotonic calibration of the raw
log-odds) and the rest to fit the trees. Seeds are fixed, so the same data gives the same model.
Class imbalance is handled by up-weighting bad firms by sqrt(good / bad) while fitting; the
calibration step maps the weighted log-odds back to true probabilities.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from . import catalogue, explain, metrics
from .grades import ScoreScale

SEED = 2026
SEGMENTS = ("size", "industry", "region_code")
# Shallow trees: per-row SHAP costs grow with leaves × depth², and these inputs need few interactions.
DEFAULT_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 15,
    "max_depth": 5,
    "min_data_in_leaf": 40,
    "min_sum_hessian_in_leaf": 1e-3,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 5.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 50,
    "max_cat_to_onehot": 8,
    "monotone_constraints_method": "intermediate",  # "advanced" broke monotonicity in tests (LightGBM 4.x)
    "metric": ["binary_logloss", "auc"],  # stop on log loss: smoother than AUC on few bad firms
    "verbosity": -1,
    "deterministic": True,
    "force_row_wise": True,
    "num_threads": 2,
}


class TrainingDataError(ValueError):
    """The data cannot train a model (one class, empty, too few rows …); the message says why."""


@dataclass
class RiskModel:
    booster: lgb.Booster
    features: list[str]
    categories: dict[str, list[str]]
    monotone: dict[str, int]
    calibration: dict
    scale: ScoreScale = field(default_factory=ScoreScale)
    medians: dict[str, float] = field(default_factory=dict)
    use_catalogue: bool = True
    card: dict = field(default_factory=dict)
    split: dict | None = None  # index labels of the train / valid / test rows (not saved)

    def __post_init__(self):
        self._tables = {}

    # --------------------------------------------------------------------------------- inputs
    def matrix(self, X: pd.DataFrame) -> np.ndarray:
        """The model's input matrix: numeric columns as floats, categories as level codes (unseen: NaN)."""
        missing = [c for c in self.features if c not in X.columns]
        if missing:
            raise ValueError(f"data lacks the model's columns: {', '.join(map(str, missing))}")
        M = np.empty((len(X), len(self.features)), dtype=np.float64)
        num = [j for j, c in enumerate(self.features) if c not in self.categories]
        cols = [self.features[j] for j in num]
        block = X[cols]
        if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in block.dtypes):
            M[:, num] = block.to_numpy(dtype=np.float64, na_value=np.nan)  # one copy, not one per column
        else:
            for j, col in zip(num, cols, strict=True):
                M[:, j] = _as_number(X[col])
        for j, col in enumerate(self.features):
            if col in self.categories:
                codes = self._level_index(col).get_indexer(_as_text(X[col])).astype(np.float64)
                codes[codes < 0] = np.nan
                M[:, j] = codes
        return M

    def _level_index(self, col) -> pd.Index:
        if ("levels", col) not in self._tables:
            self._tables[("levels", col)] = pd.Index(self.categories[col], dtype=object)
        return self._tables[("levels", col)]

    # --------------------------------------------------------------------------------- outputs
    def raw(self, M: np.ndarray) -> np.ndarray:
        return self.booster.predict(M, raw_score=True, num_threads=threads_for(len(M)))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        c = self.calibration
        if c["method"] == "isotonic":
            return np.interp(raw, c["x"], c["y"])
        return 1 / (1 + np.exp(-(c["a"] * raw + c["b"])))

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        return self.calibrate(self.raw(self.matrix(X)))

    def score(self, X: pd.DataFrame, reasons: bool = True, plain: bool = False, reasons_for=None,
              also_plain: bool = False) -> pd.DataFrame:
        """uscc (or the index name), pd, score, grade, reason_1..reason_4 for each row of X.

        reasons_for: a boolean mask or list of index labels — only those rows get reasons (SHAP is the
        costly part); plain=True gives the SME's plain-words texts instead of the officer's;
        also_plain=True adds plain_1..plain_4 (the SME's texts) beside the officer's, from one SHAP pass.
        """
        M = self.matrix(X)
        p = self.calibrate(self.raw(M))
        out = pd.DataFrame({X.index.name or "id": X.index.to_numpy(), "pd": np.round(p, 6),
                            "score": self.scale.score(p), "grade": self.scale.grade(p)})
        texts = np.full((len(X), explain.TOP), None, dtype=object)
        plain_texts = np.full((len(X), explain.TOP), None, dtype=object)
        if reasons and len(X):
            rows = np.arange(len(X))
            if reasons_for is not None:
                mask = np.asarray(reasons_for) if np.asarray(reasons_for).dtype == bool \
                    else X.index.isin(list(reasons_for))
                rows = rows[mask]
            if len(rows):
                if also_plain:
                    texts[rows], plain_texts[rows] = self.reasons_matrix(M[rows], (plain, True))
                else:
                    texts[rows] = self.reasons_matrix(M[rows], plain)
        for k in range(explain.TOP):
            out[f"reason_{k + 1}"] = pd.Series(texts[:, k], dtype=object)  # None, not NaN, where no reason
        if also_plain:
            for k in range(explain.TOP):
                out[f"plain_{k + 1}"] = pd.Series(plain_texts[:, k], dtype=object)
        return out

    def reasons_matrix(self, M: np.ndarray, plain: bool | tuple = False):
        """[n, 4] reason texts; with a tuple of plain flags, one such array per flag (SHAP computed once)."""
        contrib = explain.contributions(self.booster, M)
        var = explain.variants(M, self.features, self.categories, self.monotone, self.medians)
        if isinstance(plain, tuple):
            return tuple(explain.top_reasons(contrib, var, self.text_table(p)) for p in plain)
        return explain.top_reasons(contrib, var, self.text_table(plain))

    def text_table(self, plain: bool = False) -> np.ndarray:
        if plain not in self._tables:
            self._tables[plain] = explain.text_table(self.features, self.categories, self.monotone,
                                                     self.use_catalogue, plain)
        return self._tables[plain]


def threads_for(n_rows: int) -> int:
    """One thread for a handful of rows: starting LightGBM's OpenMP team costs milliseconds per call,
    more than predicting one firm; big batches use every core (0 = LightGBM's default)."""
    return 1 if n_rows < 2_000 else 0


def _as_text(s: pd.Series) -> np.ndarray:
    return s.astype("string").to_numpy(dtype=object, na_value=None)


def _as_number(s: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    elif pd.api.types.is_datetime64_any_dtype(s):
        return (s - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def data_hash(X: pd.DataFrame, y) -> str:
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(X, index=True).to_numpy().tobytes())
    h.update(np.asarray(y, dtype=np.int8).tobytes())
    h.update(",".join(map(str, X.columns)).encode())
    return h.hexdigest()


def is_categorical(s: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)
                or pd.api.types.is_datetime64_any_dtype(s))


def train(X: pd.DataFrame, y, *, categorical=None, monotone: dict | None = None, use_catalogue: bool | None = None,
          params: dict | None = None, num_boost_round: int = 2000, early_stopping: int = 100,
          test_size: float = 0.2, valid_size: float = 0.2, seed: int = SEED, calibration: str = "platt",
          scale: ScoreScale | None = None, imbalance: str = "sqrt", baseline: bool = True) -> RiskModel:
    """Fit, calibrate and measure a model on feature rows X and 0/1 outcomes y (1 = bad, e.g. default).

    use_catalogue (default: when every column is a catalogue feature) takes monotone constraints and
    reason texts from risk.catalogue; otherwise `monotone` ({column: +1/-1}) and column-name reasons.
    Text / category columns become LightGBM categoricals unless `categorical` names them explicitly.
    """
    catalogue.refuse_forbidden(list(map(str, X.columns)))
    y = pd.Series(np.asarray(y), index=X.index)
    if len(X) == 0:
        raise TrainingDataError("no rows to train on")
    if y.isna().any() or not set(pd.unique(y)) <= {0, 1}:
        raise TrainingDataError("the target must be 0/1 with no gaps (1 = bad)")
    y = y.astype(int)
    bads = int(y.sum())
    if bads == 0 or bads == len(y):
        raise TrainingDataError(f"the target has only one class ({int(y.iloc[0])}): nothing to learn")
    if min(bads, len(y) - bads) < 10:
        raise TrainingDataError(f"too few rows of the rarer class ({min(bads, len(y) - bads)}; need at least 10)")
    features = [str(c) for c in X.columns]
    X = X.set_axis(features, axis=1)
    if use_catalogue is None:
        use_catalogue = all(c in catalogue.BY_NAME for c in features)
    if categorical is None:
        categorical = [c for c in features if (catalogue.BY_NAME[c].categorical if use_catalogue
                                                and c in catalogue.BY_NAME else is_categorical(X[c]))]
    categorical = [str(c) for c in categorical]
    mono = {c: catalogue.MONOTONE.get(c, 0) for c in features} if use_catalogue else {c: 0 for c in features}
    for c, d in (monotone or {}).items():
        if str(c) not in mono:
            raise TrainingDataError(f"monotone constraint on unknown column {c!r}")
        mono[str(c)] = int(np.sign(d))
    for c in categorical:
        mono[c] = 0

    idx = np.arange(len(X))
    rest, test = train_test_split(idx, test_size=test_size, stratify=y.to_numpy(), random_state=seed)
    fit, valid = train_test_split(rest, test_size=valid_size, stratify=y.to_numpy()[rest], random_state=seed + 1)

    categories = {c: _levels(X[c].iloc[rest]) for c in categorical}
    m = RiskModel(booster=None, features=features, categories=categories, monotone=mono,
                  calibration={"method": "platt", "a": 1.0, "b": 0.0}, scale=scale or ScoreScale(),
                  use_catalogue=use_catalogue)
    M = m.matrix(X)
    yv = y.to_numpy()
    numeric = [j for j, c in enumerate(features) if c not in categories]
    m.medians = {features[j]: float(np.nanmedian(M[rest, j])) if np.isfinite(M[rest, j]).any() else 0.0
                 for j in numeric}

    p = {**DEFAULT_PARAMS, **(params or {})}
    for k in ("seed", "bagging_seed", "feature_fraction_seed", "data_random_seed", "drop_seed"):
        p.setdefault(k, seed)
    p["monotone_constraints"] = [mono[c] for c in features]
    neg, pos = int((yv[fit] == 0).sum()), int((yv[fit] == 1).sum())
    if imbalance == "sqrt":
        p.setdefault("scale_pos_weight", float(np.sqrt(neg / pos)) if pos < neg else 1.0)
    cat_idx = [features.index(c) for c in categorical]
    dfit = lgb.Dataset(M[fit], yv[fit], feature_name=features, categorical_feature=cat_idx, free_raw_data=False)
    # The validation rows carry the same class weights as the fitted ones, so the early-stopping loss
    # measures what the trees optimise (an unweighted loss would stop the weighted fit far too early).
    w_bad = float(p.get("scale_pos_weight", 1.0))
    dval = lgb.Dataset(M[valid], yv[valid], weight=np.where(yv[valid] == 1, w_bad, 1.0), reference=dfit,
                       categorical_feature=cat_idx)
    booster = lgb.train(p, dfit, num_boost_round=num_boost_round, valid_sets=[dval], valid_names=["valid"],
                        callbacks=[lgb.early_stopping(early_stopping, first_metric_only=True, verbose=False)])
    # Keep only the trees early stopping chose, so saving, SHAP and prediction all see the same model.
    m.booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=booster.best_iteration))
    m.calibration = _fit_calibration(m.raw(M[valid]), yv[valid], calibration)

    p_test = m.calibrate(m.raw(M[test]))
    labels = X.index
    m.split = {"train": labels[fit], "valid": labels[valid], "test": labels[test]}
    m.card = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lightgbm_version": lgb.__version__,
        "data_hash": data_hash(X, yv),
        "sizes": {"rows": len(X), "bads": bads, "train": len(fit), "valid": len(valid), "test": len(test),
                  "test_bads": int(yv[test].sum())},
        "params": {k: v for k, v in p.items() if k != "monotone_constraints"},
        "best_iteration": int(booster.best_iteration or booster.current_iteration()),
        "features": [_feature_card(c, mono[c], c in categories, use_catalogue) for c in features],
        "metrics": metrics.summary(yv[test], p_test),
        "calibration_table": metrics.calibration_table(yv[test], p_test).to_dict("records"),
        "calibration_error": metrics.calibration_error(yv[test], p_test),
        "importance": _importance(m.booster, features),
        "segments": [] if not (seg := [c for c in SEGMENTS if c in X.columns]) else
        metrics.auc_by_segment(yv[test], p_test, X.iloc[test][seg]).to_dict("records"),
        "reference_scores": [float(s) for s in m.scale.score(p_test)],
    }
    if baseline:
        m.card["baseline_auc"] = logistic_baseline_auc(X.iloc[rest], yv[rest], X.iloc[test], yv[test],
                                                       categorical, seed)
    return m


def _levels(s: pd.Series) -> list[str]:
    vals = pd.Series(_as_text(s)).dropna()
    return sorted(pd.unique(vals).tolist())


def _fit_calibration(raw: np.ndarray, y: np.ndarray, method: str) -> dict:
    if method == "isotonic":
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-4, y_max=1 - 1e-4).fit(raw, y)
        return {"method": "isotonic", "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(raw.reshape(-1, 1), y)
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    if a <= 0:  # a model no better than chance on the validation rows: keep the ranking, match the base rate
        a, b = 1.0, float(np.log(y.mean() / (1 - y.mean())) - raw.mean())
    return {"method": "platt", "a": a, "b": b}


def _feature_card(name, direction, categorical, use_catalogue):
    entry = catalogue.BY_NAME.get(name) if use_catalogue else None
    return {"name": name, "label": entry.label if entry else name, "source": entry.source if entry else "file",
            "monotone": direction, "categorical": categorical}


def _importance(booster, features):
    gain = booster.feature_importance("gain")
    total = gain.sum() or 1.0
    rows = sorted(zip(features, gain / total, strict=True), key=lambda r: -r[1])
    return [{"name": n, "gain_share": round(float(g), 6)} for n, g in rows]


def logistic_baseline_auc(X_train, y_train, X_test, y_test, categorical, seed=SEED) -> float:
    """AUC of a plain logistic regression (imputed, scaled, one-hot) on the same split — the yardstick."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c in X_train.columns if c in categorical]
    nums = [c for c in X_train.columns if c not in categorical]

    def prep(X):
        X = X.copy()
        for c in nums:
            X[c] = _as_number(X[c])
        for c in cats:
            X[c] = pd.Series(_as_text(X[c]), index=X.index).fillna("(missing)")
        return X

    num_pipe = make_pipeline(SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                             StandardScaler())
    ct = ColumnTransformer([("num", num_pipe, nums),
                            ("cat", OneHotEncoder(handle_unknown="ignore", min_frequency=20), cats)])
    pipe = make_pipeline(ct, LogisticRegression(max_iter=2000, C=1.0, random_state=seed))
    pipe.fit(prep(X_train), y_train)
    return round(metrics.auc(y_test, pipe.predict_proba(prep(X_test))[:, 1]), 6)
