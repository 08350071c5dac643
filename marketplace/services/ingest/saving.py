"""Saving a validated file in one transaction (batch row, replaced scope, bulk rows, the registry's bad
codes), then re-scoring the firms it touched."""
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app
from sqlalchemy import and_, delete, insert, select

from ...clock import local_date, now
from ...extensions import db
from ...models import (
    ImportBatch,
    RegistryCodeFinding,
)
from .. import RuleViolation, bulk
from .. import registry as registry_history
from . import governed
from .reading import read_file
from .sources import SOURCES, Source
from .validation import _IN_CHUNK, validate


@dataclass
class Checked:
    """A validated file: what would be saved, or the errors that stop it."""

    source: Source
    file_name: str
    sha256: str
    encoding: str
    rows: pd.DataFrame
    errors: pd.DataFrame
    findings: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)
    rows_in_file: int = 0

    @property
    def ok(self) -> bool:
        return self.errors.empty

    def period_range(self) -> tuple[date | None, date | None]:
        col = {"uscc": None, "year": None, "decided_month": "decided_on", "list_month": "start_on"}.get(
            self.source.scope, "period")
        if self.source.scope == "year" and not self.rows.empty:
            return date(int(self.rows["year"].min()), 1, 1), date(int(self.rows["year"].max()), 12, 1)
        if col is None or self.rows.empty:
            return None, None
        months = self.rows[col].dt.to_period("M").dt.to_timestamp()
        return months.min().date(), months.max().date()


@dataclass
class ImportResult:
    checked: Checked
    batch_id: int | None = None
    rows_accepted: int = 0
    rows_replaced: int = 0
    rescored: int = 0  # platform firms re-scored because this import changed their data
    kept: dict = field(default_factory=dict)  # file rows kept as decided ({reason: rows}, governed.KEPT_LABELS)

    @property
    def ok(self) -> bool:
        return self.checked.ok


def check(source_code: str, data: bytes, file_name: str, max_rows: int | None = None) -> Checked:
    """Read and validate a department file without touching the database's data."""
    source = SOURCES.get(source_code)
    if source is None:
        raise RuleViolation(f"未知的数据来源“{source_code}”，可选：{'、'.join(SOURCES)}。", "source")
    parsed = read_file(source, data, file_name, max_rows)
    rows, errors, findings = validate(source, parsed)
    return Checked(source, Path(file_name).name, hashlib.sha256(data).hexdigest(), parsed.encoding, rows, errors,
                   findings, parsed.ignored_columns, len(parsed.frame))


def _scope_deletes(source: Source, rows: pd.DataFrame, spared: list[int] = ()) -> list:
    """The DELETE statements that clear what this file replaces (one per period, kind or year it holds),
    sparing the rows a decision keeps in place (ingest/governed.py)."""
    return [stmt.where(source.sql_table.c.id.not_in(spared)) if spared else stmt
            for stmt in _replaced(source, rows)]


def _replaced(source: Source, rows: pd.DataFrame) -> list:
    t = source.sql_table
    if source.scope == "period":
        return [delete(t).where(t.c.period == p) for p in sorted(set(rows["period"].dt.date))]
    if source.scope == "kind_period":
        keys = rows[["kind", "period"]].drop_duplicates()
        return [delete(t).where(t.c.kind == k, t.c.period == p)
                for k, p in zip(keys["kind"], keys["period"].dt.date, strict=True)]
    if source.scope == "year":
        return [delete(t).where(t.c.year == int(y)) for y in sorted(set(rows["year"]))]
    if source.scope in ("decided_month", "list_month"):
        col = "decided_on" if source.scope == "decided_month" else "start_on"
        months = rows[col].dt.to_period("M")
        keys = pd.DataFrame({"m": months, "t": rows["list_type"] if "list_type" in rows else ""}).drop_duplicates()
        out = []
        for m, lt in zip(keys["m"], keys["t"], strict=True):
            lo, hi = m.start_time.date(), (m + 1).start_time.date()
            cond = [t.c[col] >= lo, t.c[col] < hi] + ([t.c.list_type == lt] if lt else [])
            out.append(delete(t).where(and_(*cond)))
        return out
    codes_ = rows["uscc"].tolist()
    return [delete(t).where(t.c.uscc.in_(codes_[i:i + _IN_CHUNK])) for i in range(0, len(codes_), _IN_CHUNK)]


def save(checked: Checked, *, user_id: int | None = None,
         progress: Callable[[int], None] | None = None) -> ImportResult:
    """Save a validated file in one transaction: the batch row, the replaced scope, the rows (bulk)."""
    if not checked.ok:
        raise RuleViolation("文件未通过校验，未保存任何数据。")
    period_from, period_to = checked.period_range()
    findings = checked.findings
    registry = checked.source.code == "registry"
    batch = {"source": checked.source.code, "file_name": checked.file_name[:255], "sha256": checked.sha256,
             "period_from": period_from, "period_to": period_to, "rows_accepted": len(checked.rows),
             "created_by": user_id, "created_at": now()}
    rows = checked.rows
    if registry:
        repeated = _repeated(findings)
        as_of = rows["as_of"].max() if "as_of" in rows and rows["as_of"].notna().any() else None
        batch.update(codes_total=checked.rows_in_file, codes_invalid=int((~repeated).sum()),
                     codes_duplicate=int(repeated.sum()), as_of=as_of.date() if as_of is not None else None)
        rows = rows.drop(columns="as_of", errors="ignore")
    table = checked.source.sql_table
    affected = set(rows["uscc"]) if "uscc" in rows else set()
    decided = governed.of(checked.source)
    with db.engine.begin() as conn:
        batch_id = conn.execute(insert(ImportBatch.__table__).values(**batch)).inserted_primary_key[0]
        if registry:
            _write_findings(conn, batch_id, findings)
        if registry:  # the history the indicators read a past period's registry from
            registry_history.record_changes(conn, rows, batch_id, batch["as_of"] or local_date(batch["created_at"]))
        replaced = 0
        rows, kept = governed.apply(conn, checked.source, decided, rows, batch_id)
        for stmt in _scope_deletes(checked.source, checked.rows, decided.spared):
            if checked.source.scope != "uscc":  # firms whose replaced records vanish change too
                affected.update(conn.scalars(select(table.c.uscc).distinct().where(stmt.whereclause)))
            replaced += conn.execute(stmt).rowcount
        rows = rows.assign(batch_id=batch_id)
        bulk.write_frame(conn, table, rows, progress)
    result = ImportResult(checked, batch_id, len(rows), max(replaced, 0), kept=kept)
    result.rescored = _rescore(affected)
    return result


def _repeated(findings: pd.DataFrame) -> pd.Series:
    return findings["问题"].str.startswith("重复")


def _write_findings(conn, batch_id: int, findings: pd.DataFrame) -> int:
    """Indicator (九)'s records: every bad code of a registry file with its line."""
    if findings.empty:
        return 0
    return bulk.write_frame(conn, RegistryCodeFinding.__table__, pd.DataFrame({
        "batch_id": batch_id, "line": findings["行号"].astype(int),
        "code": findings["值"].astype(str).str.slice(0, 64),
        "problem": np.where(_repeated(findings), "duplicate", "invalid"),
        "detail": findings["问题"].astype(str).str.slice(0, 64)}))


def backfill_findings(batch_id: int, data: bytes, file_name: str) -> int:
    """Store the bad codes of a registry batch imported before they were kept (indicator 九's records), read
    again from the very file that was imported: its SHA-256 must be the batch's, and the codes found must be
    as many as the batch counted. Returns the number of codes stored."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.source != "registry":
        raise RuleViolation(f"第{batch_id}批不是在营企业数据库的导入批次。")
    if db.session.scalar(select(RegistryCodeFinding.id).where(RegistryCodeFinding.batch_id == batch_id).limit(1)):
        raise RuleViolation(f"第{batch_id}批的重错码明细已保存，无需补录。")
    if hashlib.sha256(data).hexdigest() != batch.sha256:
        raise RuleViolation(f"{Path(file_name).name} 不是第{batch_id}批导入的文件（SHA-256 不一致，该批为 "
                            f"{batch.sha256[:12]}…，文件名 {batch.file_name}）。")
    checked = check("registry", data, file_name)
    findings = checked.findings
    invalid, duplicate = int((~_repeated(findings)).sum()), int(_repeated(findings).sum())
    if (invalid, duplicate) != (batch.codes_invalid or 0, batch.codes_duplicate or 0):
        raise RuleViolation(f"重新读取得到错码{invalid}个、重码{duplicate}个，与该批导入时记录的错码"
                            f"{batch.codes_invalid or 0}个、重码{batch.codes_duplicate or 0}个不符，未保存。")
    with db.engine.begin() as conn:
        return _write_findings(conn, batch_id, findings)


def _rescore(usccs: set[str]) -> int:
    """Re-score the platform firms this import touched (when a model is active). The import itself has been
    committed: a failure here is logged and leaves the old scores, it does not undo the import."""
    from .. import scoring

    try:
        return scoring.rescore(usccs)
    except Exception:  # any scoring failure must not turn a saved import into an error page
        current_app.logger.exception("re-scoring %d firms after an import failed", len(usccs))
        db.session.rollback()
        return 0


def import_file(source_code: str, data: bytes, file_name: str, *, user_id: int | None = None,
                progress: Callable[[int], None] | None = None, max_rows: int | None = None) -> ImportResult:
    """Check a file and, when every row is valid, save it; otherwise save nothing and return the errors."""
    checked = check(source_code, data, file_name, max_rows)
    if not checked.ok:
        return ImportResult(checked)
    return save(checked, user_id=user_id, progress=progress)
