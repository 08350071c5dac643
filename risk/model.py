"""The credit-risk model: a monotone-constrained LightGBM classifier with calibrated PDs, points,
grades and reason codes, plus the logistic-regression baseline it is compared with.

`train` uses every training row for the final trees: early stopping in stratified folds chooses the
number of trees, the model is refitted on all training rows, and Platt (or isotonic) calibration is
fitted on the folds' out-of-fold scores. Small files are measured by cross-validation of that whole
procedure, larger ones on a held-out test split. Seeds are fixed, so the same data gives the same model.
Class imbalance is handled by up-weighting bad firms by sqrt(good / bad) while fitting; the
calibration step maps the weighted log-odds back to true probabilities.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

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


# Small files (≤ CV_MAX_ROWS rows, e.g. a bank's 1,000-loan file): shallower, slower-learning trees with small
# leaves and category groups. With a few hundred bad rows the default's 40-row leaves and 50-row category
# groups leave most categorical splits out and its depth-5 trees fit noise. A fixed shape, not a choice per
# fit: choosing between shapes by the inner folds' out-of-fold AUC (tried, bench/risk_engine.py) cost three to
# four times the training and scored lower on German credit (0.7833–0.7861 against 0.7872), the inner
# folds of 800 rows being too noisy to pick on. Also tried (issue 15, 5×5 CV, seed 2026): these trees on the WOE
# scorecard's encoding of each column (optbinning bins fitted on the training rows, monotone in WOE) scored 0.7880
# (sd 0.035) against 0.7872 as is and 0.7892 for the scorecard itself — not adopted: within noise, and reasons
# would then describe bins instead of the firm's values. Parameters given by the caller override these.
SMALL_FILE_PARAMS = {"learning_rate": 0.03, "num_leaves": 4, "max_depth": 2, "min_data_in_leaf": 15,
                     "min_data_per_group": 10, "cat_smooth": 10.0, "feature_fraction": 0.6, "lambda_l2": 10.0}


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
    quantiles: dict[str, list[float]] = field(default_factory=dict)  # population percentiles 0..100
    seasonal: dict | None = None  # industry × calendar-month factors of its training firms (risk.seasonal)
    split: dict | None = None  # index labels of the train / test rows (not saved)
    test_pd: pd.Series | None = None  # PDs behind the reported metrics (out-of-fold under CV; not saved)

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
        return _apply_calibration(self.calibration, raw)

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        return self.calibrate(self.raw(self.matrix(X)))

    def recalibrated(self, intercept: float, slope: float) -> "RiskModel":
        """A copy whose PD is σ(intercept + slope · logit(PD)) of this one's (the master scale's recalibration to
        an observed portfolio, risk.validation.recalibration): composed exactly into the Platt map, the trees
        unchanged. Isotonic calibration cannot take it; slope must be positive (the ranking is kept)."""
        from dataclasses import replace

        if self.calibration.get("method") != "platt" or slope <= 0:
            raise ValueError("only a Platt-calibrated model takes a recalibration map with a positive slope")
        a, b = self.calibration["a"], self.calibration["b"]
        return replace(self, calibration={"method": "platt", "a": slope * a, "b": slope * b + intercept},
                       card=dict(self.card))

    def score(self, X: pd.DataFrame, reasons: bool = True, plain: bool = False, reasons_for=None,
              also_plain: bool = False, factors: bool = False) -> pd.DataFrame:
        """uscc (or the index name), pd, score, grade, reason_1..reason_4 for each row of X.

        reasons_for: a boolean mask or list of index labels — only those rows get reasons (SHAP is the
        costly part); plain=True gives the SME's plain-words texts instead of the officer's;
        also_plain=True adds plain_1..plain_4 (the SME's texts) beside the officer's; factors=True adds a
        `factors` column: each firm's risk reasons and favourable factors as dicts (see `factor_dicts`),
        all from one SHAP pass. The rules that decide what is shown are in risk.explain.
        """
        M = self.matrix(X)
        p = self.calibrate(self.raw(M))
        out = pd.DataFrame({X.index.name or "id": X.index.to_numpy(), "pd": np.round(p, 6),
                            "score": self.scale.score(p), "grade": self.scale.grade(p)})
        texts = np.full((len(X), explain.TOP), None, dtype=object)
        plain_texts = np.full((len(X), explain.TOP), None, dtype=object)
        facts = np.full(len(X), None, dtype=object)
        if reasons and len(X):
            rows = np.arange(len(X))
            if reasons_for is not None:
                mask = np.asarray(reasons_for) if np.asarray(reasons_for).dtype == bool \
                    else X.index.isin(list(reasons_for))
                rows = rows[mask]
            if len(rows):
                ex = self.explain(M[rows], p[rows])
                texts[rows] = explain.texts_of(ex["risk"], ex["var"], self.text_table(plain))
                if also_plain:
                    plain_texts[rows] = explain.texts_of(ex["risk"], ex["var"], self.text_table(True))
                if factors:
                    facts[rows] = self.factor_dicts(ex, M[rows])
        for k in range(explain.TOP):
            out[f"reason_{k + 1}"] = pd.Series(texts[:, k], dtype=object)  # None, not NaN, where no reason
        if also_plain:
            for k in range(explain.TOP):
                out[f"plain_{k + 1}"] = pd.Series(plain_texts[:, k], dtype=object)
        if factors:
            out["factors"] = pd.Series([f if f is not None else [] for f in facts], dtype=object)
        return out

    def explain(self, M: np.ndarray, p: np.ndarray) -> dict:
        """SHAP contributions, percentiles, text variants and the chosen risk / favourable feature indices."""
        contrib = explain.contributions(self.booster, M)
        pct = explain.percentiles(M, self.features, self.quantiles)
        var = explain.variants(M, self.features, self.categories, self.monotone, pct)
        strong = np.isin(self.scale.grade(p), explain.STRONG_GRADES)
        allowed = explain.risk_allowed(contrib, M, self.features, self.categories, self.monotone, pct, strong)
        good = (contrib <= -explain.MIN_CONTRIBUTION) & explain.on_good_side(M, self.features, self.categories,
                                                                               self.monotone, pct)
        return {"contrib": contrib, "pct": pct, "var": var, "risk": explain.pick(contrib, allowed, explain.TOP),
                "favourable": explain.pick(contrib, good, explain.TOP_FAVOURABLE, sign=-1)}

    def factor_dicts(self, ex: dict, M: np.ndarray) -> list[list[dict]]:
        """Per firm: [{"feature", "label", "effect": "risk" | "favourable", "text" (officer), "plain" (firm),
        "contribution" (log-odds), "percentile" (share of firms below, or None)}], risk reasons first."""
        officer, plain = self.text_table(False), self.text_table(True)
        labels = {f: (catalogue.BY_NAME[f].label if self.use_catalogue and f in catalogue.BY_NAME else f)
                  for f in self.features}
        out = []
        for i in range(len(M)):
            items, seen = [], set()
            for j in ex["risk"][i]:
                if j < 0:
                    continue
                text = officer[j, ex["var"][i, j]]
                if text in seen:
                    continue
                seen.add(text)
                items.append(self._factor(j, "risk", text, plain[j, ex["var"][i, j]], ex, i, labels))
            for j in ex["favourable"][i]:
                if j < 0:
                    continue
                name = self.features[j]
                text = explain.favourable_text(name, j, M[i, j], ex["pct"][i, j], self.categories, self.monotone,
                                               self.use_catalogue)
                items.append(self._factor(j, "favourable", text, text, ex, i, labels))
            out.append(items)
        return out

    def _factor(self, j, effect, text, plain, ex, i, labels) -> dict:
        pct = ex["pct"][i, j]
        return {"feature": self.features[j], "label": labels[self.features[j]], "effect": effect, "text": text,
                "plain": plain, "contribution": round(float(ex["contrib"][i, j]), 4),
                "percentile": None if not np.isfinite(pct) else round(float(pct), 1)}

    def text_table(self, plain: bool = False) -> np.ndarray:
        if plain not in self._tables:
            self._tables[plain] = explain.text_table(self.features, self.categories, self.monotone,
                                                     self.use_catalogue, plain)
        return self._tables[plain]


def _apply_calibration(c: dict, raw: np.ndarray) -> np.ndarray:
    if c["method"] == "isotonic":
        return np.interp(raw, c["x"], c["y"])
    return 1 / (1 + np.exp(-(c["a"] * raw + c["b"])))


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


CV_MAX_ROWS = 5_000  # files up to this many rows report metrics by cross-validation, not one test split
CV_FOLDS = 5         # outer folds of those metrics
CAL_FOLDS = 5        # inner folds: early stopping picks the tree count, their out-of-fold scores fit Platt


def train(X: pd.DataFrame, y, *, categorical=None, monotone: dict | None = None, use_catalogue: bool | None = None,
          params: dict | None = None, num_boost_round: int = 2000, early_stopping: int = 100,
          test_size: float = 0.2, seed: int = SEED, calibration: str = "platt",
          scale: ScoreScale | None = None, imbalance: str = "sqrt", baseline: bool = True,
          cv: bool | None = None, measure: bool = True) -> RiskModel:
    """Fit, calibrate and measure a model on feature rows X and 0/1 outcomes y (1 = bad, e.g. default).

    The final trees are fitted on every training row: CAL_FOLDS-fold cross-validation with early
    stopping chooses the number of trees, the model is then refitted on all training rows with that
    many, and Platt (or isotonic) calibration is fitted on the folds' out-of-fold scores. Metrics: on a
    small file (≤ CV_MAX_ROWS rows, or cv=True) by CV_FOLDS-fold cross-validation of that whole
    procedure, pooled out-of-fold, and the final model is trained on all rows (every fit of a small file
    uses SMALL_FILE_PARAMS under the caller's `params`); on a larger file on a
    held-out `test_size` split, the final model on the rest. The logistic baseline is fitted on the
    same training rows of the same folds. measure=False skips the metrics and fits on every row (for a
    caller that measures on its own folds, such as bench/risk_engine.py).

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

    # Category levels and the population's percentiles are facts about the inputs, not the outcome:
    # taken from every row, so a level seen only in a test fold still has a code.
    categories = {c: _levels(X[c]) for c in categorical}
    m = RiskModel(booster=None, features=features, categories=categories, monotone=mono,
                  calibration={"method": "platt", "a": 1.0, "b": 0.0}, scale=scale or ScoreScale(),
                  use_catalogue=use_catalogue)
    M = m.matrix(X)
    yv = y.to_numpy()
    numeric = [j for j, c in enumerate(features) if c not in categories]
    m.medians = {features[j]: float(np.nanmedian(M[:, j])) if np.isfinite(M[:, j]).any() else 0.0
                 for j in numeric}
    m.quantiles = {features[j]: explain.quantile_grid(M[:, j]) for j in numeric}

    n = len(X)
    small = n <= CV_MAX_ROWS  # one shape for the whole file: its CV folds and its final fit alike
    p = {**DEFAULT_PARAMS, **(SMALL_FILE_PARAMS if small else {}), **(params or {})}
    for k in ("seed", "bagging_seed", "feature_fraction_seed", "data_random_seed", "drop_seed"):
        p.setdefault(k, seed)
    p["monotone_constraints"] = [mono[c] for c in features]
    fit = _Fitter(p, features, [features.index(c) for c in categorical], num_boost_round, early_stopping,
                  calibration, imbalance, seed)

    use_cv = small if cv is None else cv
    idx = np.arange(n)
    if not measure:
        m.booster, m.calibration, info = fit(M, yv)
        m.split = {"train": X.index, "test": X.index[:0]}
        m.card = {"data_hash": data_hash(X, yv),
                  "sizes": {"rows": n, "bads": bads, "train": n, "test": 0}, "best_iteration": info["trees"],
                  "early_stopping": info, "evaluation": {"method": "none"}}
        return m
    if use_cv:
        folds = StratifiedKFold(CV_FOLDS, shuffle=True, random_state=seed)
        train_rows = test_rows = idx
        p_test = np.empty(n)
        p_base = np.empty(n) if baseline else None
        fold_auc, base_fold_auc = [], []
        for tr, te in folds.split(idx, yv):
            booster, cal, _ = fit(M[tr], yv[tr])
            p_test[te] = _apply_calibration(cal, booster.predict(M[te], raw_score=True))
            fold_auc.append(round(metrics.auc(yv[te], p_test[te]), 6))
            if baseline:
                p_base[te] = logistic_baseline_pd(X.iloc[tr], yv[tr], X.iloc[te], categorical, seed)
                base_fold_auc.append(round(metrics.auc(yv[te], p_base[te]), 6))
        evaluation = {"method": "cv", "folds": CV_FOLDS, "fold_auc": fold_auc, "baseline_fold_auc": base_fold_auc}
    else:
        train_rows, test_rows = train_test_split(idx, test_size=test_size, stratify=yv, random_state=seed)
        evaluation = {"method": "holdout", "test_size": test_size}
    booster, m.calibration, info = fit(M[train_rows], yv[train_rows])
    m.booster = booster
    if not use_cv:
        p_test = m.calibrate(m.raw(M[test_rows]))
        p_base = logistic_baseline_pd(X.iloc[train_rows], yv[train_rows], X.iloc[test_rows], categorical, seed) \
            if baseline else None
    else:
        p_test = p_test[test_rows]

    labels = X.index
    m.split = {"train": labels[train_rows], "test": labels[test_rows]}
    m.test_pd = pd.Series(p_test, index=labels[test_rows])
    yt = yv[test_rows]
    m.card = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lightgbm_version": lgb.__version__,
        "data_hash": data_hash(X, yv),
        "sizes": {"rows": n, "bads": bads, "train": len(train_rows), "test": len(test_rows),
                  "test_bads": int(yt.sum())},
        "evaluation": evaluation,
        "params": {k: v for k, v in p.items() if k != "monotone_constraints"},
        "best_iteration": info["trees"],
        "early_stopping": info,
        "features": [_feature_card(c, mono[c], c in categories, use_catalogue) for c in features],
        "metrics": metrics.summary(yt, p_test),
        "calibration_table": metrics.calibration_table(yt, p_test).to_dict("records"),
        "calibration_error": metrics.calibration_error(yt, p_test),
        "importance": _importance(m.booster, features),
        "segments": [] if not (seg := [c for c in SEGMENTS if c in X.columns]) else
        metrics.auc_by_segment(yt, p_test, X.iloc[test_rows][seg]).to_dict("records"),
        "reference_scores": [float(s) for s in m.scale.score(p_test)],
    }
    if baseline:
        m.card["baseline_auc"] = round(metrics.auc(yt, p_base), 6)
    return m


class _Fitter:
    """One fit of the engine on some rows: trees chosen by early stopping in CAL_FOLDS folds, refitted on
    all the rows with the folds' mean tree count, calibration fitted on the folds' out-of-fold scores."""

    def __init__(self, params, features, cat_idx, rounds, patience, calibration, imbalance, seed):
        self.params, self.features, self.cat_idx = dict(params), features, cat_idx
        self.rounds, self.patience, self.calibration, self.imbalance, self.seed = \
            rounds, patience, calibration, imbalance, seed

    def __call__(self, M: np.ndarray, y: np.ndarray):
        p = dict(self.params)
        neg, pos = int((y == 0).sum()), int((y == 1).sum())
        # Bad firms weigh sqrt(good / bad): in the fitted rows and in the early-stopping rows alike, so the
        # stopping loss measures what the trees optimise; calibration maps the weighted log-odds back.
        w_bad = float(p.pop("scale_pos_weight", np.sqrt(neg / pos) if self.imbalance == "sqrt" and pos < neg
                            else 1.0))
        w = np.where(y == 1, w_bad, 1.0)
        folds = StratifiedKFold(CAL_FOLDS, shuffle=True, random_state=self.seed)
        oof = np.empty(len(y))
        iters = []
        for tr, va in folds.split(M, y):
            dtr = lgb.Dataset(M[tr], y[tr], weight=w[tr], feature_name=self.features,
                              categorical_feature=self.cat_idx, free_raw_data=False)
            dva = lgb.Dataset(M[va], y[va], weight=w[va], reference=dtr, categorical_feature=self.cat_idx)
            b = lgb.train(p, dtr, num_boost_round=self.rounds, valid_sets=[dva], valid_names=["valid"],
                          callbacks=[lgb.early_stopping(self.patience, first_metric_only=True, verbose=False)])
            it = int(b.best_iteration or b.current_iteration())
            iters.append(it)
            oof[va] = b.predict(M[va], raw_score=True, num_iteration=it)
        trees = max(1, int(round(float(np.mean(iters)))))
        dall = lgb.Dataset(M, y, weight=w, feature_name=self.features, categorical_feature=self.cat_idx)
        booster = lgb.train(p, dall, num_boost_round=trees)
        return booster, _fit_calibration(oof, y, self.calibration), \
            {"trees": trees, "fold_trees": iters, "folds": CAL_FOLDS, "rows": int(len(y)), "bad_weight": w_bad}


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
    return round(metrics.auc(y_test, logistic_baseline_pd(X_train, y_train, X_test, categorical, seed)), 6)


def logistic_baseline_pd(X_train, y_train, X_test, categorical, seed=SEED) -> np.ndarray:
    """The logistic baseline's predicted PDs for X_test, fitted on X_train."""
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
    return pipe.predict_proba(prep(X_test))[:, 1]
