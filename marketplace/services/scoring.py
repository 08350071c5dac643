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


FIRST_MODEL_REASON = "平台首个模型：此前没有启用的模型"  # the sign-off recorded when a platform gets its first model


def signoff_reason(reason: str | None) -> str:
    """A sign-off's reason, stripped; ScoringError when it is missing, too short or too long."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ScoringError("启用模型须填写签批理由（至少4个字）。")
    if len(reason) > REASON_MAX:
        raise ScoringError(f"签批理由不能超过 {REASON_MAX} 个字。")
    return reason


def activation_reason(reason: str | None) -> str:
    """The reason a model activated at training is signed with: FIRST_MODEL_REASON while the platform has no
    active model, otherwise the operator's own (signoff_reason: ScoringError when missing or too short)."""
    return FIRST_MODEL_REASON if active_model() is None else signoff_reason(reason)


def check_signoff(version: str, reason: str) -> str:
    """The sign-off's reason (stripped) when it may go ahead; otherwise ScoringError saying why."""
    reason = signoff_reason(reason)
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

    activation_id = _sign(version, actor_id=actor_id, reason=reason)
    job = jobs.enqueue("activate_model", actor_id, activation=activation_id, version=version)
    db.session.expire_all()
    if job.state == "failed" and db.session.get(ModelActivation, activation_id).status == "signed":
        # the queue refused the job, so the re-score never ran: the sign-off must not block the next one
        _finish_activation(activation_id, "fail", "failed", {"model_version": version, "error": "queue"})
    return job


def activate_now(version: str, *, reason: str, progress=None, feature_progress=None) -> dict:
    """The operator's sign-off at the command line (`flask train-model --activate --reason …`, and a platform's
    first model): the same activation record as staff's sign-off on the model card (a reason, one at a time,
    signed → activated through services/workflow, audited; actor: the system), with the re-score run here
    instead of queued. Returns run_activation's figures."""
    return run_activation(_sign(version, actor_id=None, reason=reason), progress=progress,
                          feature_progress=feature_progress)


def _sign(version: str, *, actor_id: int | None, reason: str) -> int:
    """Record the sign-off (status signed) and return its id; ScoringError and nothing recorded if refused."""
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
    return row.id


def run_activation(activation_id: int, progress=None, feature_progress=None) -> dict:
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
        result = score_firms(registry.load(Path(model_dir()) / version), progress=progress, commit=False,
                             feature_progress=feature_progress)
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
    X = features_in_chunks(as_of, usccs=firms["uscc"], seasonal=champion.seasonal)
    Xb = X if challenger_model.seasonal == champion.seasonal else \
        features_in_chunks(as_of, usccs=firms["uscc"], seasonal=challenger_model.seasonal)
    a, b = champion.score(X, reasons=False), challenger_model.score(Xb, reasons=False)
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


OOT_MONTHS = 12  # out-of-time validation trains this many months earlier: its 12-month outcomes end by the as-of


def features_in_chunks(as_of: date, usccs=None, chunk: int | None = None, progress=None,
                       adjust=None, seasonal: dict | None = None) -> pd.DataFrame:
    """Feature rows of the registry's firms — only those in `usccs` when given (the firms with outcomes, or
    the platform's) — read FEATURE_CHUNK registry firms at a time: each chunk reads only its own range of
    USCCs (in SQL only the platform's firms when every wanted firm is one), so memory follows the chunk and
    the wanted firms, not the city. `adjust(tables, as_of)` may change a chunk's tables before the features
    are built; progress(n) is told the wanted firms of each chunk; `seasonal` is the scoring model's seasonal
    table (the same for every chunk, so a chunk and a single firm get the same features)."""
    parts = []
    for tables, keep, n in _chunks(as_of, usccs, chunk, adjust):
        parts.append(features.build(tables, as_of, usccs=keep, seasonal=seasonal))
        if progress:
            progress(n)
    if not parts:
        empty = {k: v.iloc[:0] for k, v in department_tables(as_of, usccs=[]).items()}
        return features.build(empty, as_of)
    return pd.concat(parts)


def seasonal_in_chunks(as_of: date, usccs=None, chunk: int | None = None) -> dict:
    """The seasonal table (risk.seasonal) of these firms' department data before as_of — the training firms'
    — read chunk by chunk like features_in_chunks."""
    est = None
    for tables, keep, _ in _chunks(as_of, usccs, chunk):
        est = features.seasonal_estimate(tables, as_of, usccs=keep, into=est)
    return est.table() if est is not None else None


def _chunks(as_of: date, usccs, chunk: int, adjust=None):
    """(tables, the wanted firms of the chunk or None for all, their number) for each chunk of the registry with a
    wanted firm."""
    codes = sorted(db.session.scalars(select(RegistryEnterprise.uscc).distinct()).all())
    wanted = None if usccs is None else {str(u) for u in usccs}
    platform_only = wanted is not None and wanted <= set(db.session.scalars(select(Enterprise.uscc)).all())
    chunk = chunk or FEATURE_CHUNK
    for start in range(0, len(codes), chunk):
        part = codes[start:start + chunk]
        keep = part if wanted is None else [c for c in part if c in wanted]
        if not keep:
            continue
        tables = department_tables(as_of, uscc_range=(part[0], part[-1]), platform_only=platform_only)
        if adjust:
            tables = adjust(tables, as_of)
        yield tables, (keep if len(keep) < len(part) else None), len(keep)


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


def sampled_outcomes(outcomes: pd.DataFrame, limit: int | None = None) -> tuple[pd.DataFrame, str | None]:
    """The outcomes of the firms that will train (training_sample applied to the outcomes, before any feature
    is built, so the features of at most `limit` (TRAIN_SAMPLE) firms are ever in memory) and the card's note."""
    out = outcomes.drop_duplicates("uscc")
    y = out["defaulted_12m"].astype(int).reset_index(drop=True)
    kept, _, note = training_sample(out.reset_index(drop=True), y, TRAIN_SAMPLE if limit is None else limit)
    return kept, note


def training_firm_count(enterprises_from: str = "db", enterprises: int | None = None,
                        outcomes: pd.DataFrame | None = None) -> int:
    """How many firm feature rows `training_set` will build (the progress bar's length): the firms with
    outcomes (at most TRAIN_SAMPLE), plus those of the out-of-time sample a year earlier when there is one."""
    from seed import load

    spec = load.synthetic_spec(db.engine) or {}
    if enterprises_from == "synthetic":
        return enterprises or spec.get("enterprises", 2000)
    if outcomes is not None:
        codes = set(db.session.scalars(select(RegistryEnterprise.uscc).distinct()).all())
        # (a file of more than TRAIN_SAMPLE firms is sampled before it is matched: the bar may then end short)
        return min(TRAIN_SAMPLE, len(set(outcomes["uscc"].astype(str)) & codes))
    if not spec:
        return 0
    early = _earlier_outcomes(spec["enterprises"], spec["months"], spec["seed"], spec["as_of"])
    return min(TRAIN_SAMPLE, spec["enterprises"]) + (0 if isinstance(early, str) else min(TRAIN_SAMPLE, len(early)))


def training_set(*, as_of=None, enterprises_from="db", enterprises=None, months=None, seed_value=None,
                 outcomes: pd.DataFrame | None = None, truth: pd.DataFrame | None = None,
                 outcomes_name: str | None = None, truth_name: str | None = None, progress=None):
    """The training rows, outcomes (uscc, defaulted_12m), truth (uscc, true_pd or None), as-of date, source
    description, the out-of-time sample and the seasonal table for `train`.

    The seasonal table (risk.seasonal: factors per industry and calendar month) is estimated from the training
    firms' own department data — their inputs, not their outcomes, like the category levels and percentiles —
    in a first pass, and saved with the model, so every later score uses it whatever firms are scored together.

    Only firms with an outcome train a model: on a real platform the 12-month default is known only for
    firms that borrowed (the platform's, through its loans), never for the registry's other firms, so the
    sample is the population the model scores. Their outcomes are read first and sampled (TRAIN_SAMPLE), and
    features are built only for those firms, chunk by chunk.

    enterprises_from="synthetic": a city generated in memory (its own outcomes); "db": the department
    tables in the database, with the outcomes given (a CSV the CLI read) or regenerated from the seed
    recorded when the database was seeded.

    The out-of-time sample (`earlier`): the same city OOT_MONTHS earlier — its features then and its own
    outcomes then (the synthetic process at that month, an independent draw) — as {"X", "outcomes", "as_of"};
    or {"reason"} (in Chinese, for the card) when the data have no earlier history with outcomes.
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
        outs, truth = departments.outcomes(n, months=months, seed=seed_value, as_of=as_of)
        outs, note = sampled_outcomes(outs)
        wanted = set(outs["uscc"])
        early = _earlier_outcomes(n, months, seed_value, as_of)
        early_day = None if isinstance(early, str) else departments.earlier_day(as_of, OOT_MONTHS)
        if early_day is not None:
            early, _ = sampled_outcomes(early)
        early_wanted = set() if early_day is None else set(early["uscc"])
        # Chunk by chunk: only one chunk's department records are in memory at a time. A first pass estimates
        # the seasonal tables of the training firms (risk.seasonal), the second builds their features with them.
        est = early_est = None
        for chunk in departments.generate_chunks(n, months=months, seed=seed_value, as_of=as_of):
            est = features.seasonal_estimate(chunk, as_of, usccs=wanted, into=est)
            if early_day is not None:
                early_est = features.seasonal_estimate(chunk, early_day, usccs=early_wanted, into=early_est)
        seasonal = est.table()
        early_seasonal = early_est.table() if early_est is not None else None
        parts, early_parts = [], []
        for chunk in departments.generate_chunks(n, months=months, seed=seed_value, as_of=as_of):
            parts.append(features.build(chunk, as_of, usccs=wanted, seasonal=seasonal))
            if early_day is not None:
                early_parts.append(features.build(chunk, early_day, usccs=early_wanted, seasonal=early_seasonal))
            if progress:
                progress(len(chunk["registry"]))
        source = {"enterprises_from": "synthetic", "seed": seed_value, "enterprises": n, "months": months,
                  "outcomes": f"合成城市 seed={seed_value}（内存生成）", "sample_note": note}
        earlier = {"reason": early} if early_day is None else \
            {"X": pd.concat(early_parts), "outcomes": early, "as_of": early_day, "history_months": months - OOT_MONTHS,
             "seasonal": early_seasonal}
        return pd.concat(parts), outs, truth, as_of, source, earlier, seasonal
    if spec is None and outcomes is None:
        raise ScoringError("数据库中的部门数据不是由 flask seed 生成的，无法重建违约结局：请用 --outcomes FILE"
                           "（CSV：uscc,defaulted_12m）提供12个月结局，或用 --enterprises-from synthetic。")
    as_of = as_of or (spec["as_of"] if spec else data_as_of())
    if outcomes is not None:
        source = {"enterprises_from": "db", "outcomes": outcomes_name, "truth": truth_name}
        earlier = {"reason": "结局来自外部文件，只有一个时点的结局，没有更早时点的结局，未做跨时间验证。"}
    else:
        outcomes, truth = departments.outcomes(spec["enterprises"], months=spec["months"], seed=spec["seed"],
                                               as_of=spec["as_of"])
        source = {"enterprises_from": "db", "seed": spec["seed"],
                  "outcomes": f"按入库时记录的 seed={spec['seed']} 重建合成城市结局"}
        early = _earlier_outcomes(spec["enterprises"], spec["months"], spec["seed"], spec["as_of"]) \
            if as_of == spec["as_of"] else "特征日不是合成城市的截止日，无法重建更早时点的结局，未做跨时间验证。"
        earlier = {"reason": early} if isinstance(early, str) else None
    outcomes, source["sample_note"] = sampled_outcomes(outcomes)
    seasonal = seasonal_in_chunks(as_of, usccs=outcomes["uscc"])
    X = features_in_chunks(as_of, usccs=outcomes["uscc"], progress=progress, seasonal=seasonal)
    if X.empty:
        raise ScoringError(f"{as_of} 之前没有任何有结局企业的部门数据：请先 flask seed 或 flask import-data。")
    if earlier is None:
        day = departments.earlier_day(as_of, OOT_MONTHS)
        early, _ = sampled_outcomes(early)
        early_seasonal = seasonal_in_chunks(day, usccs=early["uscc"])
        earlier = {"X": features_in_chunks(day, usccs=early["uscc"], progress=progress, seasonal=early_seasonal),
                   "outcomes": early, "as_of": day, "history_months": spec["months"] - OOT_MONTHS,
                   "seasonal": early_seasonal}
    return X, outcomes, truth, as_of, source, earlier, seasonal


def _earlier_outcomes(n: int, months: int, seed: int, as_of: date) -> pd.DataFrame | str:
    """The synthetic city's outcomes OOT_MONTHS before as_of, or why there are none (for the card)."""
    from seed import departments

    if not current_app.config.get("OUT_OF_TIME_VALIDATION", True):  # a second model: off in most tests
        return "本次训练关闭了跨时间验证（OUT_OF_TIME_VALIDATION=0）。"
    if months <= OOT_MONTHS:
        return f"合成城市只有 {months} 个月数据，不足以在 {OOT_MONTHS} 个月前的时点训练，未做跨时间验证。"
    return departments.outcomes(n, months=months, seed=seed, as_of=as_of, months_back=OOT_MONTHS)[0]


# ---- training ---------------------------------------------------------------------------------------

def train(X: pd.DataFrame, outcomes: pd.DataFrame, truth: pd.DataFrame | None = None, *, as_of: date,
          source: dict, activate: bool = True, challenger: bool = True, earlier: dict | None = None,
          stage=None, reason: str | None = None, seasonal: dict | None = None) -> dict:
    """Train on feature rows X (index uscc) and outcomes (uscc, defaulted_12m); save as a new version with
    its validation pack (grade back-test, score bands, CSI), documentation and — unless challenger=False —
    the WOE scorecard challenger measured on the same rows (its points per attribute saved beside it).

    truth (uscc, true_pd), when known (the synthetic city), gives the oracle AUC on the same test firms.
    A version trained without activating it is scored in shadow against the active model (see `shadow`).
    activate goes through the same sign-off as staff's (`activate_now`: recorded, audited, the city re-scored):
    a platform's first model is signed with FIRST_MODEL_REASON; replacing an active model needs a reason,
    checked before any training.
    earlier (training_set's out-of-time sample) adds the out-of-time validation to the card; stage(text) is
    told each step as it starts (the CLI prints it: the learner runs without a bar).
    Returns the figures the CLI prints: version, firms, bads, auc, ks, gini, brier, baseline and oracle AUC.
    """
    stage = stage or (lambda text: None)
    if activate:
        reason = activation_reason(reason)
    known = outcomes.drop_duplicates("uscc").set_index("uscc")["defaulted_12m"]
    y = known.reindex(X.index)
    keep = y.notna().to_numpy()
    if not keep.any():
        raise ScoringError("结局数据中没有一家企业与部门数据中的企业对应（按统一社会信用代码）。")
    excluded, unmatched = int((~keep).sum()), int(len(known) - keep.sum())
    X, y = X[keep], y[keep].astype(int)
    X, y, sample_note = training_sample(X, y)
    started = time.perf_counter()
    stage(f"训练模型：{len(X):,} 家有结局的企业（违约 {int(y.sum()):,} 家；{risk_model.CAL_FOLDS} 折早停选树数、"
          "全量重拟合）……")
    try:
        m = risk_model.train(X, y)
    except risk_model.TrainingDataError as e:
        raise ScoringError(f"无法训练模型：{e}") from None
    m.seasonal = seasonal  # the table X was built with (training_set): saved with the model, used by every score
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
        stage("WOE 评分卡挑战者（最优分箱）……")
        m.card["challenger"], card_sc = validation.challenger(X, y, m)
    if earlier is not None:
        if "X" in earlier:
            stage(f"跨时间验证：在 {earlier['as_of']} 时点的 {len(earlier['X']):,} 家企业上训练……")
        m.card["out_of_time"] = out_of_time(m, X, y, earlier, as_of)
    m.card["documentation"] = documentation(m, as_of, source, excluded, sample_note or source.get("sample_note"),
                                            unmatched)
    path = registry.save(m, model_dir(), activate=False)
    if card_sc is not None:
        points = card_sc.points_table()  # bins name training values: written by the one CSV writer (formulas neutralised)
        (path / SCORECARD_FILE).write_bytes(csv_files.write(points.columns, points.itertuples(index=False)))
    if active_model() is not None:
        shadow(path.name)  # beside the champion on the card, whether or not it is activated now
    scored = None
    if activate:
        stage("签批启用并以新模型为全部平台企业重新评分……")
        scored = activate_now(path.name, reason=reason)
    return {"version": path.name, "firms": int(len(X)), "bads": int(y.sum()), **m.card["metrics"],
            "baseline_auc": m.card.get("baseline_auc"), "oracle_auc": oracle, "active": activate, "scoring": scored,
            "challenger_auc": (m.card.get("challenger") or {}).get("auc")}


SCORECARD_FILE = "scorecard_points.csv"  # the challenger's points per attribute, beside the model


def recalibrate(version: str, outcomes: pd.DataFrame | None = None, as_of: date | None = None,
                outcomes_name: str | None = None) -> dict:
    """Save a new version (never active: staff sign it off like any other) whose PDs are `version`'s recalibrated
    to an observed portfolio on the master scale (risk.validation.recalibration; the grade bands never move,
    the trees and the ranking are kept). The portfolio: the firms `version` was measured on at training (their
    held-out or out-of-fold PDs and outcomes, kept in its validation pack), or `outcomes` (uscc,
    defaulted_12m: the 12 months after as_of) scored by `version` from the department data as of as_of.
    The new version is scored in shadow beside the active model. Returns version, recalibrated_from, the map and
    the grades within their bands before / after."""
    root = Path(model_dir())
    if version not in {v["version"] for v in registry.versions(root)}:
        raise ScoringError(f"没有模型版本 {version}。")
    m = registry.load(root / version)
    if outcomes is None:
        rec = (m.card.get("validation") or {}).get("recalibration")
        if rec is None:
            raise ScoringError(f"版本 {version} 的验证报告中没有观察组合的重新校准：请用 --outcomes 提供观察到的结局。")
        basis = f"版本 {version} 训练时用于评估的 {rec['firms']:,} 家企业（违约 {rec['bads']:,} 家）的样本外违约概率与结局"
    else:
        as_of = as_of or data_as_of()
        wanted = outcomes.drop_duplicates("uscc")
        X = features_in_chunks(as_of, usccs=wanted["uscc"], seasonal=m.seasonal)
        y = wanted.set_index("uscc")["defaulted_12m"].reindex(X.index)
        ok = y.notna().to_numpy()
        if int(y[ok].sum()) < 10 or int((1 - y[ok]).sum()) < 10:
            raise ScoringError("观察组合中违约与未违约的企业各须至少 10 家，才能重新校准。")
        rec = validation.recalibration(y[ok].astype(int), m.predict_pd(X[ok]), m.scale)
        basis = (f"{outcomes_name or '观察组合'}：{as_of} 时点的 {rec['firms']:,} 家企业及其后 12 个月的结局"
                 f"（违约 {rec['bads']:,} 家）")
    try:
        new = m.recalibrated(rec["intercept"], rec["slope"])
    except ValueError:
        raise ScoringError(f"版本 {version} 不是 Platt 校准的模型，或映射无效，无法重新校准。") from None
    card = {k: v for k, v in m.card.items() if k not in ("version", "saved_at", "inference")}
    ref = np.asarray(card.get("reference_scores") or [], dtype=float)
    card["reference_scores"] = [float(s) for s in new.scale.score(validation.apply_map(
        m.scale.pd_of_score(ref), rec["intercept"], rec["slope"]))] if ref.size else []
    card["validation"] = {**(card.get("validation") or {}), "grade_backtest": rec["after"], "recalibration": rec}
    card["recalibrated_from"] = {"version": version, "basis": basis, "intercept": rec["intercept"],
                                 "slope": rec["slope"], "within_before": rec["within_before"],
                                 "within_after": rec["within_after"], "held_out": outcomes is None,
                                 "before": rec.get("figures_before"), "after": rec.get("figures_after")}
    after = rec.get("figures_after")
    if after:  # this version's own calibration (cross-fitted on the rows of the map), not the original's
        card["calibration_table"], card["calibration_error"] = after["calibration_table"], after["calibration_error"]
        if outcomes is None:  # the very rows the original's metrics come from: its Brier is this version's now
            card["metrics"] = {**card["metrics"], "brier": after["brier"], "mean_pd": after["mean_pd"]}
    new.card = card
    path = registry.save(new, root, activate=False)
    if active_model() is not None:
        shadow(path.name)
    return {"version": path.name, "recalibrated_from": version, "intercept": rec["intercept"], "slope": rec["slope"],
            "within_before": rec["within_before"], "within_after": rec["within_after"], "basis": basis}


def out_of_time(m, X: pd.DataFrame, y: pd.Series, earlier: dict, as_of: date) -> dict:
    """The card's out-of-time validation (risk.validation.out_of_time) with its sample definition, or
    {"reason"} saying in Chinese why there is none."""
    if "X" not in earlier:
        return {"reason": earlier["reason"]}
    Xe, day = earlier["X"], earlier["as_of"]
    ye = earlier["outcomes"].drop_duplicates("uscc").set_index("uscc")["defaulted_12m"].reindex(Xe.index)
    ok = ye.notna().to_numpy()
    try:
        fig = validation.out_of_time(m, X, y, Xe[ok], ye[ok].astype(int))
    except risk_model.TrainingDataError as e:
        return {"reason": f"{day} 时点的样本无法训练模型（{e}），未做跨时间验证。"}
    tested = "测试集" if m.card["evaluation"]["method"] != "cv" else "全部（交叉验证的样本外评分）"
    history = f"，该日之前只有 {earlier['history_months']} 个月部门数据" if earlier.get("history_months") else ""
    return {**fig, "train_as_of": day.isoformat(), "test_as_of": as_of.isoformat(), "sample": (
        f"训练：{day} 时点在册、有结局的企业 {fig['train_firms']:,} 家（违约 {fig['train_bads']:,} 家），特征取自该日之前的"
        f"数据{history}，结局为其后 12 个月是否违约（至 {as_of} 止，不含测试期的任何信息），训练方法与本模型相同；"
        f"测试：{as_of} 时点本模型{tested}的 {fig['test_firms']:,} 家企业（违约 {fig['test_bads']:,} 家），"
        "同一批企业上对比时点内与跨时间的 AUC、KS。")}


def documentation(m, as_of: date, source: dict, excluded: int, sample_note: str | None, unmatched: int = 0) -> dict:
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
        "exclusions": "只有有结局的企业进入样本：在营企业数据库中未在平台借款的企业没有违约结局，不参与训练"
                      f"（提供了特征却无结局的 {excluded:,} 家）；有结局但不在在营企业数据库、或特征日之后成立的企业 "
                      f"{unmatched:,} 家",
        "evaluation": ("5 折交叉验证（样本外合并）" if ev["method"] == "cv" else
                       f"留出 {int(ev.get('test_size', 0.2) * 100)}% 测试集") + "；最终模型用全部训练样本重新拟合",
        "features": [{"name": f["name"], "label": f["label"], "iv": iv.get(f["name"])} for f in m.card["features"]],
        "limitations": limits,
    }
# ---- scoring ----------------------------------------------------------------------------------------

def score_firms(m: risk_model.RiskModel | None = None, *, usccs=None, as_of: date | None = None,
                progress=None, commit: bool = True, feature_progress=None) -> dict:
    """Score the platform's firms (only `usccs`, when given) with `m` (default: the active model) and
    append one enterprise_scores row per firm that the registry knows; commits once (commit=False: the
    caller commits, e.g. a model activation that switches the model in the same step). Every platform firm:
    features built chunk by chunk (feature_progress(n) per chunk), then scored CHUNK firms at a time
    (progress(n) per step).

    Returns scored, unscored (platform firms without a registry record), version, as_of and grade counts.
    """
    m = m or active_model()
    if m is None:
        raise ScoringError("尚无启用的评分模型：请先运行 flask train-model。")
    as_of = as_of or data_as_of()
    firms = platform_firms(usccs)
    if firms.empty:
        return {"scored": 0, "unscored": 0, "version": m.card.get("version"), "as_of": as_of, "grades": {}}
    if usccs is None:
        X = features_in_chunks(as_of, usccs=firms["uscc"], progress=feature_progress, adjust=_governance_known_today,
                               seasonal=m.seasonal)
    else:
        X = features.build(_governance_known_today(department_tables(as_of, usccs=firms["uscc"], platform_only=True),
                                                   as_of), as_of, seasonal=m.seasonal)
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
