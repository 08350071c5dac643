"""Which public credit records (行政处罚, 名单) were in force and publicly shown (公示) on a day — the one answer the
indicators and the serious-dishonesty lists read.

A penalty is shown from its decision to its publication end, and stops on the day it is repaired (信用修复,
penalties.repaired_on). A list entry is in force from start_on until end_on (exclusive). A record withdrawn from
publication through an upheld objection (撤下公示) leaves its table; its whole row is kept in record_corrections,
and it stops counting on the Shanghai day of the withdrawal — so a day before the repair or the withdrawal still
counts the record, and a past month's figures do not move when a record is repaired or withdrawn later.
"""
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, and_, literal, or_, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
from sqlalchemy.sql.functions import FunctionElement

from ..models import ListEntry, Penalty, RecordCorrection
from .workdays import SHANGHAI


class _json_date(FunctionElement):
    """A date kept as ISO text in a JSON document, as a DATE (SQLite keeps dates as that very text)."""

    type = Date()
    inherit_cache = True


@compiles(_json_date)
def _json_date_default(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


@compiles(_json_date, "sqlite")
def _json_date_sqlite(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


def _withdrawn_after(source: str, day: date):
    """record_corrections rows of `source` withdrawn after `day` (on a later Shanghai day)."""
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)
    return and_(RecordCorrection.record_source == source, RecordCorrection.action == "withdraw",
                RecordCorrection.created_at >= next_midnight)


def _old(name: str):
    return RecordCorrection.old_values[name]


def penalties_shown(day: date, usccs=None) -> Select:
    """The penalties publicly shown on `day` (id, uscc, decided_on, document_no, publication_end, withdrawn):
    stored ones, and ones withdrawn later with their values as they were."""
    stored = select(Penalty.id, Penalty.uscc, Penalty.decided_on, Penalty.document_no, Penalty.publication_end,
                    literal(False).label("withdrawn")).where(
        Penalty.decided_on <= day, Penalty.publication_end >= day,
        or_(Penalty.repaired_on.is_(None), Penalty.repaired_on > day))
    decided, end, repaired = _json_date(_old("decided_on").as_string()), \
        _json_date(_old("publication_end").as_string()), _json_date(_old("repaired_on").as_string())
    uscc = _old("uscc").as_string()
    withdrawn = select(_old("id").as_integer(), uscc, decided, _old("document_no").as_string(), end,
                       literal(True)).where(
        _withdrawn_after("penalties", day), decided <= day, end >= day, or_(repaired.is_(None), repaired > day))
    if usccs is not None:
        stored, withdrawn = stored.where(Penalty.uscc.in_(usccs)), withdrawn.where(uscc.in_(usccs))
    return union_all(stored, withdrawn)


def list_entries(day: date, list_types=None, usccs=None) -> Select:
    """The list entries in force on `day` (id, uscc, list_type, start_on, end_on, document_no, withdrawn), of
    these list types and firms when given: stored ones, and ones withdrawn later as they were."""
    stored = select(ListEntry.id, ListEntry.uscc, ListEntry.list_type, ListEntry.start_on, ListEntry.end_on,
                    ListEntry.document_no, literal(False).label("withdrawn")).where(ListEntry.active_on(day))
    start, end = _json_date(_old("start_on").as_string()), _json_date(_old("end_on").as_string())
    uscc, list_type = _old("uscc").as_string(), _old("list_type").as_string()
    withdrawn = select(_old("id").as_integer(), uscc, list_type, start, end, _old("document_no").as_string(),
                       literal(True)).where(
        _withdrawn_after("list_entries", day), start <= day, or_(end.is_(None), end > day))
    if list_types is not None:
        stored, withdrawn = stored.where(ListEntry.list_type.in_(list_types)), withdrawn.where(list_type.in_(list_types))
    if usccs is not None:
        stored, withdrawn = stored.where(ListEntry.uscc.in_(usccs)), withdrawn.where(uscc.in_(usccs))
    return union_all(stored, withdrawn)
