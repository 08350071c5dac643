"""What a re-import leaves as the commission decided it. A department file replaces the records of its scope,
but not the decisions taken on single records since: a record withdrawn from publication after an upheld
objection stays withdrawn (the file's row for it is not written), a corrected record keeps its corrected
values (the file's other values are taken, in place), a penalty with a credit-repair application keeps its
row and its repair date, and a record under an open objection keeps its row (the objection still names it).

The file's row for a record is found by the record's key as the department wrote it (`Source.record_key`);
when an objection corrected a key column (a penalty's 文号, a list entry's 列入日期), the value before the
first correction is the one the department will send again."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select, update

from ...extensions import db
from ...models import CreditRepair, Objection, RecordCorrection
from .sources import Source

# Why a row of the file was not written as it stands (the import report counts each).
KEPT_LABELS = {"corrected": "异议成立已更正（保留更正后的数值）", "withdrawn": "异议成立已撤下公示（不再导入）",
               "repair": "涉及信用修复（保留修复状态）", "under_review": "异议处理中（按文件更新，异议仍指向该记录）"}
OPEN_OBJECTIONS = ("submitted", "verifying")  # objections.OPEN_STATUSES (objections imports scoring: not here)


@dataclass
class Governed:
    """The records of one table with a decision on them: by the department's key, why and which row."""

    by_key: dict[tuple, tuple[str, int | None]] = field(default_factory=dict)  # key → (reason, row id or None)
    protected: dict[int, dict] = field(default_factory=dict)  # row id → {column: value the file may not change}

    @property
    def spared(self) -> list[int]:
        """Rows the scope's DELETE must leave in place."""
        return sorted({i for _, i in self.by_key.values() if i is not None})


def _missing(value) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _value(column, value):
    """One key value as Python compares it: dates as date, whole numbers as int, the rest as str."""
    if _missing(value):
        return None
    kind = column.type.python_type
    if kind is date:
        if isinstance(value, pd.Timestamp):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if kind is int:
        return int(value)
    return str(value)


def of(source: Source) -> Governed:
    """The decided records of this source's table (a few queries; nothing when no decision was ever taken)."""
    table, key = source.sql_table, source.record_key
    out = Governed()

    corrections = defaultdict(list)
    for c in db.session.scalars(select(RecordCorrection).where(RecordCorrection.record_source == table.name)
                                .order_by(RecordCorrection.id)):
        corrections[c.record_id].append(c)
    ids = set(corrections)
    if source.code == "penalties":
        repaired = set(db.session.scalars(select(CreditRepair.penalty_id).distinct()))
        ids |= repaired
    else:
        repaired = set()
    reviewed = set(db.session.scalars(select(Objection.record_id).where(
        Objection.record_source == table.name, Objection.status.in_(OPEN_OBJECTIONS),
        Objection.record_id.is_not(None))))
    ids |= reviewed
    if not ids:
        return out
    rows = {}  # plain rows, not ORM objects: the import writes through its own connection, nothing goes stale
    id_list = sorted(ids)
    for start in range(0, len(id_list), 900):
        rows.update({r.id: r for r in db.session.execute(select(table).where(table.c.id.in_(id_list[start:start + 900])))})

    for record_id in id_list:
        row, history = rows.get(record_id), corrections.get(record_id, [])
        if row is None:
            if history and history[-1].action == "withdraw":
                values = dict(history[-1].old_values)
                reason = "withdrawn"
            else:
                continue  # nothing left to protect
        else:
            values = {k: getattr(row, k) for k in key}
            reason = "corrected" if history else "repair" if record_id in repaired else "under_review"
        for k in key:  # the key as the department wrote it: before the first correction of that column
            first = next((c.old_values[k] for c in history if c.action == "correct" and k in c.old_values), None)
            if first is not None:
                values[k] = first
        out.by_key[tuple(_value(table.c[k], values.get(k)) for k in key)] = (reason, row.id if row else None)
        if row is not None:
            # a department that has since fixed the key itself sends the corrected key: the same record
            out.by_key.setdefault(tuple(_value(table.c[k], getattr(row, k)) for k in key), (reason, row.id))
            kept = {f: getattr(row, f) for c in history if c.action == "correct" for f in c.new_values}
            if record_id in repaired:
                kept["repaired_on"] = row.repaired_on
            out.protected[row.id] = kept
    return out


def apply(conn: Connection, source: Source, governed: Governed, rows: pd.DataFrame,
          batch_id: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Take the file's rows for decided records out of `rows` (what is left is written as usual); update the
    rows that stay in place with the file's values, except what a decision protects. Returns the rows still
    to write and how many file rows were kept by each reason."""
    if not governed.by_key or rows.empty:
        return rows, {}
    table, key = source.sql_table, source.record_key
    # Every record key starts with the USCC: only the rows of firms with a decided record are looked at.
    candidates = np.flatnonzero(rows["uscc"].isin({k[0] for k in governed.by_key}).to_numpy())
    part = rows.iloc[candidates]
    columns = {k: (list(part[k].dt.date) if part[k].dtype.kind == "M" else part[k].tolist()) for k in key}
    matched = [None] * len(rows)
    for position, values in zip(candidates, zip(*columns.values(), strict=True), strict=True):
        matched[position] = governed.by_key.get(tuple(_value(table.c[k], v) for k, v in zip(key, values, strict=True)))
    hit = np.array([m is not None for m in matched], dtype=bool)
    if not hit.any():
        return rows, {}
    counts: dict[str, int] = defaultdict(int)
    done: set[int] = set()
    writable = [c for c in rows.columns if c in table.c and c not in key]
    for position in np.flatnonzero(hit):
        reason, row_id = matched[position]
        counts[reason] += 1
        if row_id is None or row_id in done:
            continue
        done.add(row_id)
        record = rows.iloc[position]
        values = {c: _plain(table.c[c], record[c]) for c in writable}
        values.update(governed.protected.get(row_id, {}), batch_id=batch_id)
        conn.execute(update(table).where(table.c.id == row_id).values(**values))
    return rows.loc[~hit], dict(counts)


def _plain(column, value):
    """A cell of the validated frame as the column takes it (numpy and pandas types to Python, NaN to NULL)."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date() if column.type.python_type is date else value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def describe(kept: dict[str, int]) -> str:
    """The import report's sentence on the rows kept as decided ('' when none)."""
    if not kept:
        return ""
    parts = "、".join(f"{KEPT_LABELS[r]} {n:,} 行" for r, n in kept.items())
    return f"文件中 {sum(kept.values()):,} 行所涉记录已有处理决定，按决定保留：{parts}"
