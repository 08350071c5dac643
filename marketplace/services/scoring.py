"""企业信用评分: department tables → the risk engine → enterprise_scores.

Trains a model on feature rows and known outcomes and keeps it in the registry (MODEL_DIR), scores
every platform firm in bulk, and re-scores only the firms whose data changed (after an import, an
upheld objection, a credit repair). The tables are read with one pandas query each and go into
risk.features as DataFrames; score rows are written in bulk (services/bulk.py), never one ORM object
per row.
"""
import time
from datetime import date

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Date, func, select

from risk import explain, features, metrics, registry
from risk import model as risk_model

from ..clock import now
from ..extensions import db
from ..models import (
    Enterprise,
    EnterpriseScore,
    TaxRecord,
)
from . import bulk, ingest
from .workdays import local_date

# features.TABLES name → model (the import sources' tables); the monthly ones are read only for the months
# the features look at.
TABLES = {name: ingest.SOURCES[name].table for name in features.TABLES}
MONTHLY = features.MONTHLY_TABLES
SKIP_COLUMNS = ("id", "batch_id", "name")
IN_LIMIT = 900  # a longer list of firms is read through a sub-query on enterprises instead of IN (…)
CHUNK = 2_000  # firms scored (and written) per step: the progress bar moves by this much


class ScoringError(ValueError):
    """Scoring or training cannot go ahead; the message says why (in Chinese, for the CLI and pages)."""


# ---- the model registry ---------------------------------------------------------------------------

def model_dir() -> str:
    return current_app.config["MODEL_DIR"]


_loaded: dict[tuple[str, str], risk_model.RiskModel] = {}


def active_model() -> risk_model.RiskModel | None:
    """The active model of MODEL_DIR (kept in memory per version), or None when none has been trained."""
    try:
        version = registry.active_version(model_dir())
    except registry.ModelNotFound:
        return None
    key = (str(model_dir()), version)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = registry.load_active(model_dir())
    return _loaded[key]


def activate(version: str) -> None:
    """Make `version` the active model (the model card's button); the caller re-scores the firms."""
    registry.set_active(model_dir(), version)


# ---- reading the department tables ------------------------------------------------------------------

def data_as_of() -> date:
    """The last day of the latest month of tax records: the date the scores describe (today without data)."""
    latest = db.session.scalar(select(func.max(TaxRecord.period)))
    if latest is None:
        return local_date(now())
    if isinstance(latest, str):  # SQLite without type information in an aggregate
        latest = date.fromisoformat(latest[:10])
    return (pd.Timestamp(latest) + pd.offsets.MonthEnd(0)).date()


def department_tables(as_of: date, usccs=None, platform_only: bool = False) -> dict[str, pd.DataFrame]:
    """The risk engine's input tables, one query each; monthly tables only for the months before as_of that
    the features read. usccs: only these firms; platform_only: only firms registered on the platform."""
    first = (pd.Timestamp(as_of) - pd.DateOffset(months=features.WINDOW + 1)).date()
    codes = sorted(set(usccs)) if usccs is not None else None
    frames = {}
    with db.engine.connect() as conn:
        for name, model in TABLES.items():
            t = model.__table__
            cols = [c for c in t.c if c.name not in SKIP_COLUMNS]
            stmt = select(*cols)
            if name in MONTHLY:
                stmt = stmt.where(t.c.period >= first, t.c.period <= as_of)
            if codes is not None and len(codes) <= IN_LIMIT:
                stmt = stmt.where(t.c.uscc.in_(codes))
            elif codes is not None or platform_only:
                stmt = stmt.where(t.c.uscc.in_(select(Enterprise.uscc)))
            dates = [c.name for c in cols if isinstance(c.type, Date)]
            frames[name] = pd.read_sql(stmt, conn, parse_dates=dates)
    return frames


def platform_firms(usccs=None) -> pd.DataFrame:
    """id, uscc of the platform's firms (these USCCs only, when given)."""
    stmt = select(Enterprise.id, Enterprise.uscc).order_by(Enterprise.id)
    rows = db.session.execute(stmt).all()
    df = pd.DataFrame(rows, columns=["id", "uscc"])
    if usccs is not None:
        df = df[df["uscc"].isin(set(usccs))]
    return df


# ---- training ---------------------------------------------------------------------------------------

def train(X: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None = None, *, as_of: date,
          source: dict, activate: bool = True) -> dict:
    """Train on feature rows X (index uscc) and outcomes (uscc, defaulted_12m); save as a new version.

    truth (uscc, true_pd), when known (the synthetic city), gives the oracle AUC on the same test firms.
    Returns the figures the CLI prints: version, firms, bads, auc, ks, gini, brier, baseline and oracle AUC.
    """
    y = outcomes.drop_duplicates("uscc").set_index("uscc")["defaulted_12m"].reindex(X.index)
    keep = y.notna().to_numpy()
    if not keep.any():
        raise ScoringError("结局数据中没有一家企业与部门数据中的企业对应（按统一社会信用代码）。")
    X, y = X[keep], y[keep].astype(int)
    started = time.perf_counter()
    try:
        m = risk_model.train(X, y)
    except risk_model.TrainingDataError as e:
        raise ScoringError(f"无法训练模型：{e}") from None
    test = m.split["test"]
    oracle = None
    if truth is not None:
        t = truth.drop_duplicates("uscc").set_index("uscc")["true_pd"].reindex(test)
        ok = t.notna().to_numpy()
        oracle = round(metrics.auc(y.loc[test][ok], t[ok]), 6) if ok.any() else None
    m.card["oracle_auc"] = oracle
    m.card["training"] = {"as_of": as_of.isoformat(), "firms": int(len(X)), "bads": int(y.sum()),
                          "seconds": round(time.perf_counter() - started, 1), **source}
    path = registry.save(m, model_dir(), activate=activate)
    return {"version": path.name, "firms": int(len(X)), "bads": int(y.sum()), **m.card["metrics"],
            "baseline_auc": m.card.get("baseline_auc"), "oracle_auc": oracle, "active": activate}


# ---- scoring ----------------------------------------------------------------------------------------

def score_firms(m: risk_model.RiskModel | None = None, *, usccs=None, as_of: date | None = None,
                progress=None) -> dict:
    """Score the platform's firms (only `usccs`, when given) with `m` (default: the active model) and
    append one enterprise_scores row per firm that the registry knows; commits once.

    Returns scored, unscored (platform firms without a registry record), version, as_of and grade counts.
    """
    m = m or active_model()
    if m is None:
        raise ScoringError("尚无启用的评分模型：请先运行 flask train-model。")
    as_of = as_of or data_as_of()
    firms = platform_firms(usccs)
    if firms.empty:
        return {"scored": 0, "unscored": 0, "version": m.card.get("version"), "as_of": as_of, "grades": {}}
    tables = department_tables(as_of, usccs=firms["uscc"] if usccs is not None else None, platform_only=True)
    X = features.build(tables, as_of)
    ids = firms.set_index("uscc")["id"]
    X = X[X.index.isin(ids.index)]
    version, moment = m.card.get("version") or "unsaved", now()
    grades: dict[str, int] = {}
    conn = db.session.connection()
    for start in range(0, len(X), CHUNK):
        part = X.iloc[start:start + CHUNK]
        s = m.score(part, also_plain=True)
        rows = pd.DataFrame({
            "enterprise_id": ids.reindex(s["uscc"]).to_numpy(), "model_version": version, "as_of": as_of,
            "pd": s["pd"].to_numpy(), "score": np.rint(s["score"].to_numpy()).astype(int),
            "grade": s["grade"].to_numpy(), "reasons": _reasons(s), "created_at": moment,
        })
        bulk.write_frame(conn, EnterpriseScore.__table__, rows)
        for g, n in s["grade"].value_counts().items():
            grades[g] = grades.get(g, 0) + int(n)
        if progress:
            progress(len(part))
    db.session.commit()
    return {"scored": int(len(X)), "unscored": int(len(firms) - len(X)), "version": version, "as_of": as_of,
            "grades": grades}


def _reasons(s: pd.DataFrame) -> list[list[dict]]:
    """Each firm's reasons as [{"text": officer's words, "plain": the firm's own words}, …], largest first."""
    officer = s[[f"reason_{k + 1}" for k in range(explain.TOP)]].to_numpy()
    plain = s[[f"plain_{k + 1}" for k in range(explain.TOP)]].to_numpy()
    return [[{"text": o, "plain": p} for o, p in zip(orow, prow, strict=True) if o]
            for orow, prow in zip(officer, plain, strict=True)]


def rescore(usccs) -> int:
    """Re-score these firms (those on the platform with a registry record) with the active model, after
    their data changed; does nothing without an active model. Returns the number of firms re-scored."""
    codes = {str(u).strip().upper() for u in usccs if u}
    if not codes or active_model() is None:
        return 0
    return score_firms(usccs=codes)["scored"]


def rescore_enterprises(enterprise_ids) -> int:
    """rescore() by platform enterprise id (objections and credit repair know the firm by its id)."""
    ids = list({int(i) for i in enterprise_ids})
    if not ids:
        return 0
    codes = db.session.scalars(select(Enterprise.uscc).where(Enterprise.id.in_(ids))).all()
    return rescore(codes)


def current_scores_of(version: str) -> np.ndarray:
    """The scores firms hold now (their latest row) that came from this model version (for the drift PSI)."""
    from .credit import _latest_scores

    rows = db.session.scalars(select(EnterpriseScore.score).where(EnterpriseScore.id.in_(_latest_scores()),
                                                                  EnterpriseScore.model_version == version)).all()
    return np.asarray(rows, dtype=float)


# ---- the model card ---------------------------------------------------------------------------------

def model_card(version: str) -> dict:
    """Everything the commission's model card shows for one saved version: its card.json, the previous
    version and the PSI of this version's test-split scores against that one's, the drift PSI of the scores
    firms hold now against the training reference, the feature labels and the grade bands."""
    import json
    from pathlib import Path

    root = Path(model_dir())
    listed = registry.versions(root)
    if version not in {v["version"] for v in listed}:
        raise ScoringError(f"没有模型版本 {version}。")
    m = registry.load(root / version)
    card = m.card
    reference = np.asarray(card.get("reference_scores") or [], dtype=float)
    previous = registry.previous_version(root, version)
    psi_previous = previous_auc = None
    if previous and reference.size:
        prev_ref = np.asarray(json.loads((root / previous / registry.SCORES_FILE).read_text()), dtype=float)
        psi_previous = metrics.psi(prev_ref, reference) if prev_ref.size else None
        previous_auc = next(v["auc"] for v in listed if v["version"] == previous)
    now = current_scores_of(version)
    labels = {f["name"]: f["label"] for f in card.get("features", [])}
    return {
        "version": version, "card": card, "versions": listed[::-1], "previous": previous,
        "previous_auc": previous_auc, "psi_previous": psi_previous,
        "psi_drift": metrics.psi(reference, now) if reference.size and now.size >= 50 else None,
        "scored_now": int(now.size), "labels": labels, "bands": m.scale.bands(),
        "importance": [{**r, "label": labels.get(r["name"], r["name"])} for r in card.get("importance", [])],
    }
