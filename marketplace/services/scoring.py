"""企业信用评分: department tables → the risk engine → enterprise_scores.

Trains a model on feature rows and known outcomes and keeps it in the registry (MODEL_DIR), scores
every platform firm in bulk, and re-scores only the firms whose data changed (after an import, an
upheld objection, a credit repair). The tables are read with one pandas query each and go into
risk.features as DataFrames; score rows are written in bulk (services/bulk.py), never one ORM object
per row.
"""
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import Date, func, select
from sqlalchemy.exc import IntegrityError

from risk import features, metrics, registry, validation
from risk import model as risk_model
from risk.grades import GRADES

from .. import codes
from ..clock import now, today
from ..extensions import db
from ..limits import TEXT
from ..models import (
    CreditCommitment,
    Enterprise,
    EnterpriseScore,
    ModelActivation,
    RegistryEnterprise,
    TaxRecord,
)
from . import bulk, credit, csv_files, ingest, workflow
from .workdays import local_date

# features.TABLES name → model (the import sources' tables); the monthly ones are read only for the months
# the features look at.
# (broken_commitments is a platform record, not an import: read from credit_commitments below.)
TABLES = {name: ingest.SOURCES[name].table for name in features.TABLES if name in ingest.SOURCES}
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


REASON_MAX = TEXT["signoff"]  # the sign-off reason: one limit for the form and the column


def check_signoff(version: str, reason: str) -> str:
    """The sign-off's reason (stripped) when it may go ahead; otherwise ScoringError saying why."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ScoringError("启用模型须填写签批理由（至少4个字）。")
    if len(reason) > REASON_MAX:
        raise ScoringError(f"签批理由不能超过 {REASON_MAX} 个字。")
    if version not in {v["version"] for v in registry.versions(model_dir())}:
        raise ScoringError(f"没有模型版本 {version}。")
    return reason


ACTIVATION = {"subject": "模型启用", "statuses": codes.MODEL_ACTIVATION_STATUSES}


def activation_in_progress() -> ModelActivation | None:
    return db.session.scalar(select(ModelActivation).where(ModelActivation.status == "signed").limit(1))


def _one_at_a_time(running: ModelActivation | None) -> ScoringError:
    shown = f"（模型 {running.model_version}）" if running is not None else ""
    return ScoringError(f"另一项模型启用{shown}正在重新评分，请等它完成后再签批。")


def request_activation(version: str, *, actor_id: int, reason: str):
    """签批启用: the sign-off (a reason, a saved version, and no other activation under way — one at a time)
    recorded through services/workflow (status signed, audited), then the re-score of the city queued as a
    background job (run_activation). Returns the job. Refused: ScoringError, nothing recorded."""
    from . import jobs

    reason = check_signoff(version, reason)
    if (running := activation_in_progress()) is not None:
        raise _one_at_a_time(running)
    try:
        previous = registry.active_version(model_dir())
    except registry.ModelNotFound:
        previous = None
    row = ModelActivation(model_version=version, previous_version=previous, reason=reason, signed_by=actor_id)
    try:
        workflow.transition(row, "sign", label="签批", allowed_from=(None,), actor_id=actor_id,
                            apply=lambda r: ("signed", {"model_version": version, "previous": previous,
                                                        "reason": reason}), **ACTIVATION)
    except IntegrityError:  # another sign-off got in between the check and the insert
        raise _one_at_a_time(activation_in_progress()) from None
    activation_id = row.id
    job = jobs.enqueue("activate_model", actor_id, activation=activation_id, version=version)
    db.session.expire_all()
    if job.state == "failed" and db.session.get(ModelActivation, activation_id).status == "signed":
        # the queue refused the job, so the re-score never ran: the sign-off must not block the next one
        _finish_activation(activation_id, "fail", "failed", {"model_version": version, "error": "queue"})
    return job


def run_activation(activation_id: int, progress=None) -> dict:
    """The background half of a sign-off: re-score every platform firm with the signed version, then make it
    the active model. The scores, the switch and the activation's transition to activated are one step: a
    failure anywhere leaves the previous model active with its scores current, and the activation failed."""
    row = db.session.get(ModelActivation, activation_id)
    if row is None or row.status != "signed":
        raise ScoringError("该签批已处理或不存在。")
    version = row.model_version
    try:
        previous = registry.active_version(model_dir())
    except registry.ModelNotFound:
        previous = None
    try:
        result = score_firms(registry.load(Path(model_dir()) / version), progress=progress, commit=False)
        workflow.transition(row, "activate", label="启用", allowed_from=("signed",), actor_id=row.signed_by,
                            apply=lambda r: _finished(r, "activated", {"model_version": version, "previous": previous,
                                                                       "scored": result["scored"],
                                                                       "as_of": result["as_of"]}),
                            commit=False, **ACTIVATION)
        registry.set_active(model_dir(), version)
        try:
            db.session.commit()
        except Exception:
            if previous is not None:  # the scores were not kept: neither is the switch
                registry.set_active(model_dir(), previous)
            raise
    except Exception as e:
        db.session.rollback()
        _finish_activation(activation_id, "fail", "failed", {"model_version": version, "error": type(e).__name__})
        raise
    return {**result, "previous": previous}


def _finished(row: ModelActivation, status: str, detail: dict):
    row.finished_at = now()
    return status, detail


def _finish_activation(activation_id: int, action: str, status: str, detail: dict) -> None:
    row = db.session.get(ModelActivation, activation_id)
    workflow.transition(row, action, label="结束", allowed_from=("signed",), actor_id=row.signed_by,
                        apply=lambda r: _finished(r, status, detail), **ACTIVATION)


def scorecard_file(version: str) -> Path | None:
    """The challenger's points-per-attribute CSV of a saved version, or None."""
    if version not in {v["version"] for v in registry.versions(model_dir())}:
        return None
    path = Path(model_dir()) / version / SCORECARD_FILE
    return path if path.exists() else None


SHADOW_FILE = "shadow.json"


def shadow(version: str) -> dict | None:
    """Score the platform's firms with `version` in shadow (nothing written to enterprise_scores) beside the
    active model, and keep the comparison in the version's directory: firms, PSI of the scores, the grade
    migration matrix (champion grade → challenger grade) and the mean PDs. None without an active model."""
    import json

    champion = active_model()
    if champion is None or champion.card.get("version") == version:
        return None
    challenger_model = registry.load(Path(model_dir()) / version)
    as_of = data_as_of()
    firms = platform_firms()
    if firms.empty:
        return None
    X = features.build(department_tables(as_of, platform_only=True), as_of)
    a, b = champion.score(X, reasons=False), challenger_model.score(X, reasons=False)
    grades = list(GRADES)
    mig = pd.crosstab(pd.Categorical(a["grade"], grades), pd.Categorical(b["grade"], grades), dropna=False)
    out = {"champion": champion.card.get("version"), "challenger": version, "as_of": as_of.isoformat(),
           "firms": int(len(X)), "psi": round(metrics.psi(a["score"], b["score"]), 4),
           "mean_pd_champion": round(float(a["pd"].mean()), 4), "mean_pd_challenger": round(float(b["pd"].mean()), 4),
           "same_grade": round(float((a["grade"] == b["grade"]).mean()), 4),
           "grades": grades, "migration": mig.to_numpy().astype(int).tolist()}
    (Path(model_dir()) / version / SHADOW_FILE).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
    return out


# ---- reading the department tables ------------------------------------------------------------------

def data_as_of() -> date:
    """The last day of the latest month of tax records: the date the scores describe (today without data)."""
    latest = db.session.scalar(select(func.max(TaxRecord.period)))
    if latest is None:
        return local_date(now())
    if isinstance(latest, str):  # SQLite without type information in an aggregate
        latest = date.fromisoformat(latest[:10])
    return (pd.Timestamp(latest) + pd.offsets.MonthEnd(0)).date()


def department_tables(as_of: date, usccs=None, platform_only: bool = False,
                      uscc_range: tuple[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """The risk engine's input tables, one query each; monthly tables only for the months before as_of that
    the features read. usccs: only these firms; platform_only: only firms registered on the platform;
    uscc_range (lo, hi): only the firms whose USCC lies in it, both ends included (a chunk of the city)."""
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
            if uscc_range is not None:
                stmt = stmt.where(t.c.uscc >= uscc_range[0], t.c.uscc <= uscc_range[1])
            dates = [c.name for c in cols if isinstance(c.type, Date)]
            frames[name] = pd.read_sql(stmt, conn, parse_dates=dates)
        # Broken commitments (信用承诺未履行) recorded by staff count as negative records. Only platform firms
        # sign commitments, so no platform_only filter is needed.
        stmt = select(Enterprise.uscc, CreditCommitment.broken_on) \
            .join(Enterprise, Enterprise.id == CreditCommitment.enterprise_id) \
            .where(CreditCommitment.broken_on.is_not(None))  # features.build applies the as-of cut
        if codes is not None:
            stmt = stmt.where(Enterprise.uscc.in_(codes))
        if uscc_range is not None:
            stmt = stmt.where(Enterprise.uscc >= uscc_range[0], Enterprise.uscc <= uscc_range[1])
        frames["broken_commitments"] = pd.read_sql(stmt, conn, parse_dates=["broken_on"])
    return frames


def platform_firms(usccs=None) -> pd.DataFrame:
    """id, uscc of the platform's firms (these USCCs only, when given)."""
    stmt = select(Enterprise.id, Enterprise.uscc).order_by(Enterprise.id)
    rows = db.session.execute(stmt).all()
    df = pd.DataFrame(rows, columns=["id", "uscc"])
    if usccs is not None:
        df = df[df["uscc"].isin(set(usccs))]
    return df


# ---- the training set -------------------------------------------------------------------------------

FEATURE_CHUNK = 50_000  # firms whose tables are read and turned into features at a time (bounded memory)
TRAIN_SAMPLE = 200_000  # at most this many firms train a model: every bad firm, and goods drawn at random


class TrainingSetUsage(ScoringError):
    """The options of a training run do not go together (the CLI shows it as a usage error)."""


def features_in_chunks(as_of: date, chunk: int = FEATURE_CHUNK, progress=None) -> pd.DataFrame:
    """Feature rows of every registry firm, built FEATURE_CHUNK firms at a time: each chunk reads only its
    own firms' records (a range of USCCs), so memory follows the chunk, not the city."""
    codes = sorted(db.session.scalars(select(RegistryEnterprise.uscc).distinct()).all())
    parts = []
    for start in range(0, len(codes), chunk):
        lo, hi = codes[start], codes[min(start + chunk, len(codes)) - 1]
        parts.append(features.build(department_tables(as_of, uscc_range=(lo, hi)), as_of))
        if progress:
            progress(min(chunk, len(codes) - start))
    return pd.concat(parts) if parts else features.build(department_tables(as_of), as_of)


def training_sample(X: pd.DataFrame, y: pd.Series, limit: int = TRAIN_SAMPLE, seed: int = 2026):
    """(X, y, note): all rows when there are at most `limit`; else a random sample of `limit` firms
    stratified on the outcome (the bad rate, and so the calibrated PDs, stay those of the city), so the
    training matrix stays bounded; the note goes on the model card."""
    if len(X) <= limit:
        return X, y, None
    from sklearn.model_selection import train_test_split

    rows, _ = train_test_split(np.arange(len(X)), train_size=limit, stratify=y.to_numpy(), random_state=seed)
    rows = np.sort(rows)
    note = f"训练样本：按违约与否分层随机抽取 {limit:,} 家（全部 {len(X):,} 家），违约率与全体一致"
    return X.iloc[rows], y.iloc[rows], note


def training_firm_count(enterprises_from: str = "db", enterprises: int | None = None) -> int:
    """How many firms `training_set` will build features for (the progress bar's length)."""
    from seed import load

    if enterprises_from == "synthetic":
        return enterprises or (load.synthetic_spec(db.engine) or {}).get("enterprises", 2000)
    return db.session.scalar(select(func.count(func.distinct(RegistryEnterprise.uscc)))) or 0


def training_set(*, as_of=None, enterprises_from="db", enterprises=None, months=None, seed_value=None,
                 outcomes: pd.DataFrame | None = None, truth: pd.DataFrame | None = None,
                 outcomes_name: str | None = None, truth_name: str | None = None, progress=None):
    """The training rows, outcomes (uscc, defaulted_12m), truth (uscc, true_pd or None), as-of date and
    source description for `train`.

    enterprises_from="synthetic": a city generated in memory (its own outcomes); "db": the department
    tables in the database, features built chunk by chunk, with the outcomes given (a CSV the CLI read) or
    regenerated from the seed recorded when the database was seeded.
    """
    from seed import city, departments, load

    spec = load.synthetic_spec(db.engine)
    if enterprises_from == "synthetic":
        if outcomes is not None or truth is not None:
            raise TrainingSetUsage("--outcomes / --truth 只用于 --enterprises-from db：合成城市自带结局。")
        n = enterprises if enterprises is not None else (spec or {}).get("enterprises", 2000)
        seed_value = seed_value if seed_value is not None else (spec or {}).get("seed", 2026)
        months = months if months is not None else (spec or {}).get("months", 24)
        if n < 1 or months < 1:
            raise TrainingSetUsage("--enterprises 与 --months 须为正整数。")
        # The city is generated as of the feature date, so its outcomes are the 12 months after that date
        # (features of one date with the outcomes of another would leak or mislead).
        as_of = as_of or (spec or {}).get("as_of", city.AS_OF)
        # Chunk by chunk: only one chunk's department records are in memory at a time.
        parts, outs, truths = [], [], []
        for chunk in departments.generate_chunks(n, months=months, seed=seed_value, as_of=as_of):
            parts.append(features.build(chunk, as_of))
            outs.append(chunk["outcomes"])
            truths.append(chunk["truth"])
            if progress:
                progress(len(chunk["registry"]))
        source = {"enterprises_from": "synthetic", "seed": seed_value, "enterprises": n, "months": months,
                  "outcomes": f"合成城市 seed={seed_value}（内存生成）"}
        return (pd.concat(parts), pd.concat(outs, ignore_index=True), pd.concat(truths, ignore_index=True), as_of,
                source)
    if spec is None and outcomes is None:
        raise ScoringError("数据库中的部门数据不是由 flask seed 生成的，无法重建违约结局：请用 --outcomes FILE"
                           "（CSV：uscc,defaulted_12m）提供12个月结局，或用 --enterprises-from synthetic。")
    as_of = as_of or (spec["as_of"] if spec else data_as_of())
    X = features_in_chunks(as_of, progress=progress)
    if X.empty:
        raise ScoringError(f"{as_of} 之前没有任何企业的部门数据：请先 flask seed 或 flask import-data。")
    if outcomes is not None:
        source = {"enterprises_from": "db", "outcomes": outcomes_name, "truth": truth_name}
    else:
        outcomes, truth = departments.outcomes(spec["enterprises"], months=spec["months"], seed=spec["seed"],
                                               as_of=spec["as_of"])
        source = {"enterprises_from": "db", "seed": spec["seed"],
                  "outcomes": f"按入库时记录的 seed={spec['seed']} 重建合成城市结局"}
    return X, outcomes, truth, as_of, source


# ---- training ---------------------------------------------------------------------------------------

def train(X: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None = None, *, as_of: date,
          source: dict, activate: bool = True, challenger: bool = True) -> dict:
    """Train on feature rows X (index uscc) and outcomes (uscc, defaulted_12m); save as a new version with
    its validation pack (grade back-test, score bands, CSI), documentation and — unless challenger=False —
    the WOE scorecard challenger measured on the same rows (its points per attribute saved beside it).

    truth (uscc, true_pd), when known (the synthetic city), gives the oracle AUC on the same test firms.
    A version trained without activating it is scored in shadow against the active model (see `shadow`).
    Returns the figures the CLI prints: version, firms, bads, auc, ks, gini, brier, baseline and oracle AUC.
    """
    y = outcomes.drop_duplicates("uscc").set_index("uscc")["defaulted_12m"].reindex(X.index)
    keep = y.notna().to_numpy()
    if not keep.any():
        raise ScoringError("结局数据中没有一家企业与部门数据中的企业对应（按统一社会信用代码）。")
    excluded = int((~keep).sum())
    X, y = X[keep], y[keep].astype(int)
    X, y, sample_note = training_sample(X, y)
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
    m.card["validation"] = validation.pack(m, X, y)
    card_sc = None
    if challenger:
        m.card["challenger"], card_sc = validation.challenger(X, y, m)
    m.card["documentation"] = documentation(m, as_of, source, excluded, sample_note)
    path = registry.save(m, model_dir(), activate=activate)
    if card_sc is not None:
        points = card_sc.points_table()  # bins name training values: written by the one CSV writer (formulas neutralised)
        (path / SCORECARD_FILE).write_bytes(csv_files.write(points.columns, points.itertuples(index=False)))
    if not activate and active_model() is not None:
        shadow(path.name)
    return {"version": path.name, "firms": int(len(X)), "bads": int(y.sum()), **m.card["metrics"],
            "baseline_auc": m.card.get("baseline_auc"), "oracle_auc": oracle, "active": activate,
            "challenger_auc": (m.card.get("challenger") or {}).get("auc")}


SCORECARD_FILE = "scorecard_points.csv"  # the challenger's points per attribute, beside the model


def documentation(m, as_of: date, source: dict, excluded: int, sample_note: str | None) -> dict:
    """The model card's documentation: sample, performance window, exclusions, features with IV, limits."""
    ev = m.card["evaluation"]
    iv = {r["feature"]: r["iv"] for r in (m.card.get("challenger") or {}).get("iv", [])}
    from_loans = source.get("enterprises_from") == "loans"
    limits = [
        "结局为特征日之后12个月内是否违约；模型只看到特征日之前的部门数据（时点正确）。",
        "合成城市的结局由已知的数据生成过程产生，AUC 与 oracle AUC 的差距衡量特征还能提取多少信息。"
        if source.get("enterprises_from") in ("synthetic", "db") and source.get("seed") is not None else
        "结局来自外部文件，其定义须与“12个月内违约”一致。",
        "所在区县不作为特征：企业无法改变，且在数据中没有独立的风险效应。",
    ]
    if from_loans:
        limits.append("只有获得放款的企业才有还款结局（尚未做拒绝推断）：模型对被拒企业的风险可能低估。")
    else:
        limits.append("若改用平台贷款结局训练：只有获得放款的企业才有结局（尚无拒绝推断），须在此说明。")
    return {
        "sample": f"特征日 {as_of.isoformat()} 在册、有结局的企业 {m.card['sizes']['rows']:,} 家"
                  f"（违约 {m.card['sizes']['bads']:,} 家）" + (f"；{sample_note}" if sample_note else ""),
        "performance_window": f"{as_of.isoformat()} 起 12 个月",
        "exclusions": f"无结局的企业 {excluded:,} 家；特征日之后成立的企业不在样本中",
        "evaluation": ("5 折交叉验证（样本外合并）" if ev["method"] == "cv" else
                       f"留出 {int(ev.get('test_size', 0.2) * 100)}% 测试集") + "；最终模型用全部训练样本重新拟合",
        "features": [{"name": f["name"], "label": f["label"], "iv": iv.get(f["name"])} for f in m.card["features"]],
        "limitations": limits,
    }
# ---- scoring ----------------------------------------------------------------------------------------

def score_firms(m: risk_model.RiskModel | None = None, *, usccs=None, as_of: date | None = None,
                progress=None, commit: bool = True) -> dict:
    """Score the platform's firms (only `usccs`, when given) with `m` (default: the active model) and
    append one enterprise_scores row per firm that the registry knows; commits once (commit=False: the
    caller commits, e.g. a model activation that switches the model in the same step).

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
    X = features.build(_governance_known_today(tables, as_of), as_of)
    ids = firms.set_index("uscc")["id"]
    X = X[X.index.isin(ids.index)]
    version, moment = m.card.get("version") or "unsaved", now()
    grades: dict[str, int] = {}
    conn = db.session.connection()
    for start in range(0, len(X), CHUNK):
        part = X.iloc[start:start + CHUNK]
        s = m.score(part, factors=True)
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
    credit.refresh_current(conn, None if usccs is None else ids.reindex(X.index).tolist())
    if commit:
        db.session.commit()
    return {"scored": int(len(X)), "unscored": int(len(firms) - len(X)), "version": version, "as_of": as_of,
            "grades": grades}


def _governance_known_today(tables: dict[str, pd.DataFrame], as_of: date) -> dict[str, pd.DataFrame]:
    """A score given today reflects the governance decisions up to today even when the department data
    (as_of) ends earlier: a penalty repaired on or before today no longer counts (信用修复), a commitment
    recorded as broken by today counts. Training keeps the point-in-time rule of risk.features (dated
    before the feature date)."""
    pen = tables.get("penalties")
    day = today()
    if day <= as_of:
        return tables
    out = dict(tables)
    if pen is not None and not pen.empty and "repaired_on" in pen:
        repaired = pd.to_datetime(pen["repaired_on"])
        out["penalties"] = pen[~(repaired.notna() & (repaired <= pd.Timestamp(day)))]
    # Likewise a commitment recorded as broken up to today counts today (dated the day before as_of).
    broken = tables.get("broken_commitments")
    if broken is not None and not broken.empty:
        on = pd.to_datetime(broken["broken_on"])
        known = on <= pd.Timestamp(day)
        out["broken_commitments"] = broken[known].assign(
            broken_on=on[known].clip(upper=pd.Timestamp(as_of) - pd.Timedelta(days=1)))
    return out


def _reasons(s: pd.DataFrame) -> list[list[dict]]:
    """Each firm's factors as stored in enterprise_scores.reasons: risk reasons first (largest first), then
    favourable factors — {"text": officer's words, "plain": the firm's own words, "effect": "risk" |
    "favourable", "feature", "label", "contribution", "percentile"} (see RiskModel.factor_dicts)."""
    return [list(f) for f in s["factors"]]


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
    rows = db.session.scalars(select(EnterpriseScore.score).where(EnterpriseScore.id.in_(credit.latest_score_ids()),
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
    shadow_file = root / version / SHADOW_FILE
    shadow_cmp = json.loads(shadow_file.read_text(encoding="utf-8")) if shadow_file.exists() else None
    champion = next((v for v in listed if v["active"]), None)
    champion_card = registry.load(root / champion["version"]).card if champion and champion["version"] != version \
        else None
    return {
        "version": version, "card": card, "versions": listed[::-1], "previous": previous,
        "previous_auc": previous_auc, "psi_previous": psi_previous,
        "psi_drift": metrics.psi(reference, now) if reference.size and now.size >= 50 else None,
        "scored_now": int(now.size), "labels": labels, "bands": m.scale.bands(),
        "shadow": shadow_cmp, "champion_card": champion_card, "reason_max": REASON_MAX,
        "activation_in_progress": activation_in_progress(),
        "has_scorecard": (root / version / SCORECARD_FILE).exists(),
        "importance": [{**r, "label": labels.get(r["name"], r["name"])} for r in card.get("importance", [])],
    }
