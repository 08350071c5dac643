"""The closed-period figure cache of 信易贷指标 and 统计分析: a closed month's figures are computed once, kept in the
database for every worker (page and exports read the same copy), and dropped by any write that can change them.

How correctness is kept:
1. Every table is classified, below: an input of the figures (INPUTS) or not (NOT_INPUTS, with the reason);
   tests/test_figure_cache.py fails on a model in neither. A write to an input names the earliest Shanghai day
   whose figures it can change — the row's dates, old and new — or ALL when it is not tied to a day (a product's
   信易贷 flag, a firm's size, today's grades read by the funnel's matcher).
2. Writes are caught where every path meets, not in each service: ORM flushes (the objects' history gives the
   old and new dates), every other INSERT / UPDATE / DELETE the engine sends (Core statements, raw SQL, the
   bulk writer's executemany) and bulk.write_frame's COPY. The earliest day is kept on the connection; when that
   transaction commits — inside it, before the COMMIT — the generation counter is bumped (its row lock orders the
   writers), the write is logged and the cached periods ending on or after that day are deleted. A rollback
   forgets it. Access-log, session, message and job writes touch no input, so they invalidate nothing.
3. A reader notes the generation before computing and stores its result only if no write logged since then
   touches its period (on PostgreSQL it first waits for a writer holding the counter, so a write committed while
   the figures were being computed is never hidden behind them).
The open month (and any later one) is never cached: its figures are computed on every request.
"""
import hashlib
import logging
import pickle
import re
import weakref
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import event, exists, inspect, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from ..clock import local_date, now, today
from ..extensions import db
from ..models import FigureCacheEntry, FigureGeneration, FigureInvalidation

log = logging.getLogger(__name__)

ALL = date.min  # a write not tied to a day: every cached period
MARGIN = timedelta(days=1)  # a day either side of a timestamp's Shanghai date, against any time-zone slip
KEEP_LOG = 10_000  # invalidations kept: a reader that started more writes ago than this does not store

# Input tables → the date columns that place a row in time (min over old and new values = the earliest day a
# write can change), or () when a write to it can change any period.
INPUTS: dict[str, tuple[str, ...]] = {
    # platform lending (applications have their own rule: _application_day)
    "applications": ("submitted_at", "accepted_at", "decision_due", "decided_at", "disbursed_on",
                     "written_off_on"),
    "loan_repayments": ("paid_on", "created_at"),  # 贷款余额
    "financing_needs": ("created_at",),  # the funnel counts a need in the month it was published
    "credit_commitments": ("signed_at", "broken_on"),  # (二十)
    "off_platform_loans": ("month", "created_at", "confirmed_at"),  # (十四)
    "objections": ("submitted_at", "resolved_at", "verify_due", "case_due", "verified_at"),  # (三十五) (三十六)
    "penalties": ("decided_on", "publication_end", "repaired_on"),  # (三十五)'s publicly shown records
    "city_figures": ("period_start",),  # GDP and registered enterprises of that period
    "import_batches": ("period_from", "period_to", "as_of", "created_at"),  # (九), the registry in force
    "registry_status_changes": ("effective_on",),  # the registry population on a day
    "enterprises": ("registered_at",),  # a new firm counts from registration; any change of one: every period
    "institutions": ("joined_at",),  # likewise; a renamed one relabels every breakdown
    # not tied to a day
    "products": (),  # the 信易贷 flag and kind read for every loan; the funnel matches today's catalogue
    "registry_enterprises": (),  # size and population of every period
    "registry_code_findings": (),  # (九)'s records
    "tax_grades": (),  # (十七): a year's grades stand from the next April on
    "customs_certifications": (),  # (十七), and its note says whether any was ever imported
    "list_entries": (),  # (二十四), (三十五); the funnel's matcher reads today's lists
    "record_corrections": (),  # a withdrawal from publication (services/in_force)
    "tax_records": (),  # the funnel's matcher reads today's 12-month tax summary
    "social_insurance_records": (),  # department data: its import re-scores, and grades feed the funnel
    "provident_fund_records": (),
    "utility_records": (),
    "enterprise_scores": (),  # grades read by the funnel's matcher (today's, for every period)
    "enterprise_current_scores": (),
}

# Tables whose writes cannot change a figure of 信易贷指标 or 统计分析, and why.
NOT_INPUTS: dict[str, str] = {
    "access_logs": "who read what: written on every read of a firm's data",
    "audit_log": "the audit trail of changes; figures read the changed rows themselves",
    "application_events": "an application's history; figures read the application's own dates",
    "users": "accounts, logins, sessions and lockouts",
    "form_submissions": "one-time form tokens",
    "notifications": "站内消息",
    "jobs": "background-job bookkeeping",
    "api_keys": "institutions' API keys",
    "identity_checks": "实名核验 decisions; no figure filters firms by verification",
    "data_authorizations": "what a bank may see; no figure reads it",
    "share_batches": "the sharing feed's batches; the dashboard reads the latest one live, uncached",
    "shared_records": "the sharing ledger",
    "loan_instalments": "还款计划; the balance reads the repayments",
    "credit_repairs": "repair cases; a granted repair writes the penalty's repaired_on, which is an input",
    "person_list_entries": "lists of persons; the indicators count firms",
    "red_list_incentives": "joint incentives; no figure computed here reads them",
    "joint_cases": "joint reward and punishment cases; no figure computed here reads them",
    "compensation_funds": "风险补偿; not on these dashboards",
    "compensation_enrolments": "风险补偿; not on these dashboards",
    "compensation_claims": "风险补偿; not on these dashboards",
    "model_activations": "the activation record; the scores it writes are inputs",
    "figure_cache": "the cache itself",
    "figure_generation": "the cache's writer counter",
    "figure_invalidations": "the cache's invalidation log",
    "alembic_version": "the schema's version; a migration's own writes to input tables are caught as such",
}

# Columns of applications no figure reads: changing only these invalidates nothing.
_APPLICATION_UNREAD = {"amount", "term_months", "commitment_id", "dishonesty_flag", "granted_amount", "granted_term",
                       "repayment_method", "reject_reason", "reject_note", "repaid_amount", "closed_on",
                       "version", "updated_at"}
# Columns read only together with a date: a change touches the periods of that date (old and new).
_APPLICATION_DATED_BY = {"disbursed_amount": ("disbursed_on",), "granted_rate": ("disbursed_on",),
                         # status groups are read with the decision and the disbursement dates; a withdrawal's
                         # day is its updated_at (breakdowns.late_decisions)
                         "status": ("decided_at", "disbursed_on")}
# Columns that decide where a loan counts (its firm, product, institution, need): a change touches every period
# the application is in (a column in none of these sets is treated so too).
_APPLICATION_EVERYWHERE = {"id", "enterprise_id", "product_id", "institution_id", "need_id"}

_FLUSHING = "figure_cache.flushing"
_DIRTY = "figure_cache.dirty_from"
_DML = re.compile(r"^\s*(?:insert\s+(?:or\s+\w+\s+)?into|update|delete\s+from)\s+\"?(\w+)\"?|^\s*(truncate)\b",
                  re.IGNORECASE)


def _code_version() -> str:
    """A fingerprint of the code that computes figures (the services, the codes, the models): a deployment that
    changes any of it reads none of the old copies."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*root.glob("services/**/*.py"), root / "codes.py", *root.glob("models/*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()


# ---- which day a write reaches back to ---------------------------------------------------------------------

def _day(value) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return local_date(value if value.tzinfo else value.replace(tzinfo=now().tzinfo)) - MARGIN
    if isinstance(value, date):
        return value
    return None


def _earliest(values) -> date | None:
    days = [d for d in map(_day, values) if d is not None]
    return min(days) if days else None


def row_day(table: str, row: dict) -> date:
    """The earliest day an inserted or deleted row of `table` counts in (ALL when it has no date, or its table
    is not tied to a day)."""
    anchors = INPUTS.get(table, ())
    return _earliest(row.get(c) for c in anchors) or ALL


def _values(state, attr: str) -> list:
    history = state.attrs[attr].history
    return [*history.added, *history.unchanged, *history.deleted]


def _application_day(state) -> date | None:
    """The earliest day an update of an application can change: only the columns that changed, each with the
    dates it is read with (None: nothing any figure reads changed)."""
    anchors = INPUTS["applications"]
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    touched: set[str] = set()
    for key in changed - _APPLICATION_UNREAD:
        if key in anchors:
            touched.add(key)
        elif key in _APPLICATION_DATED_BY:
            touched.update(_APPLICATION_DATED_BY[key])
        else:  # the firm, product, institution or need of a loan: wherever it counted
            touched.update(anchors)
    if not touched:
        return None
    if "status" in changed and ("withdrawn" in _values(state, "status") or "status" in state.unloaded):
        touched.add("updated_at")
    if touched & state.unloaded:  # a date never loaded (expired, deferred): its day is unknown
        return ALL
    return _earliest(v for a in touched for v in _values(state, a)) or ALL


def _object_day(obj, update: bool) -> date | None:
    """The earliest day a flushed object's insert, update or delete can change (None: no figure reads it)."""
    state = inspect(obj)
    table = state.mapper.local_table.name
    if table in NOT_INPUTS:
        return None
    anchors = INPUTS.get(table, ())
    if not anchors:
        return ALL
    if update:  # of a stored row: the rules per column
        if table == "applications":
            return _application_day(state)
        if table in ("enterprises", "institutions"):
            return ALL  # its size, district, industry or name: every period it ever counted in
    if (update or state.deleted or state.was_deleted) and set(anchors) & state.unloaded:
        return ALL  # a stored row's date never loaded (expired, deferred): its day is unknown
    return _earliest(v for a in anchors for v in _values(state, a)) or ALL


def _note(info: dict, day: date | None) -> None:
    if day is not None:
        info[_DIRTY] = min(info.get(_DIRTY, day), day)


def note_rows(conn, table: str, rows) -> None:
    """Record that `rows` (dicts, or a DataFrame's records) were inserted into `table` on `conn` — for writers
    the engine does not see (bulk.write_frame's COPY)."""
    if table in NOT_INPUTS:
        return
    anchors = INPUTS.get(table, ())
    if not anchors:
        _note(conn.info, ALL)
        return
    _note(conn.info, min((row_day(table, r) for r in rows), default=None))


def note_frame(conn, table: str, frame) -> None:
    """note_rows for a DataFrame, column-wise (a frame of 580,000 registry rows is not turned into dicts)."""
    if table in NOT_INPUTS or frame.empty:
        return
    anchors = [c for c in INPUTS.get(table, ()) if c in frame.columns]
    if not anchors:
        _note(conn.info, ALL)
        return
    if frame[anchors].isna().all(axis=1).any():
        _note(conn.info, ALL)  # a row with none of its dates
        return
    columns = db.metadata.tables[table].c
    firsts = []
    for c in anchors:
        first = frame[c].dropna().min()
        if first != first or first is None:  # NaN / NaT: no value in this column
            continue
        if hasattr(first, "to_pydatetime"):
            first = first.date() if columns[c].type.python_type is date else first.to_pydatetime()
        firsts.append(first)
    _note(conn.info, _earliest(firsts) or ALL)


# ---- the hooks ----------------------------------------------------------------------------------------------

def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    flushing = conn.info.get(_FLUSHING)
    session = flushing() if flushing is not None else None
    if session is not None and session._flushing:
        return  # the ORM's own statements: _after_flush reads the objects' history instead
    if context is not None and context.execution_options.get("unchanged"):
        return  # a compare-and-set that writes back the value it found (services/workflow's lock)
    compiled = getattr(context, "compiled", None)
    dml = compiled is not None and (context.isinsert or context.isupdate or context.isdelete)
    if dml:
        table = getattr(compiled.statement, "table", None)
        name = getattr(table, "name", None)
    else:
        match = _DML.match(statement)
        if not match:
            return
        name = (match.group(1) or "").lower()  # TRUNCATE (of any tables): every period
    if name in NOT_INPUTS:
        return
    if dml and context.isinsert and INPUTS.get(name):
        _note(conn.info, min((row_day(name, p) for p in context.compiled_parameters), default=ALL))
    else:  # an UPDATE or DELETE by statement (the old rows unseen), raw SQL, or a table not tied to a day
        _note(conn.info, ALL)


def _before_flush(session, flush_context, instances):
    # Which session is flushing on this connection; its statements are skipped while session._flushing (a
    # flush with nothing to do ends without after_flush, so a plain flag could be left standing).
    session.connection().info[_FLUSHING] = weakref.ref(session)


def _after_flush(session, flush_context):
    info = session.connection().info
    for obj in session.new:
        _note(info, _object_day(obj, update=False))
    for obj in session.deleted:
        _note(info, _object_day(obj, update=False))
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            _note(info, _object_day(obj, update=True))


def _on_commit(conn):
    conn.info.pop(_FLUSHING, None)
    if _DIRTY in conn.info:
        invalidate(conn, conn.info.pop(_DIRTY))


def _forget(conn):
    conn.info.pop(_FLUSHING, None)
    conn.info.pop(_DIRTY, None)


def _after_savepoint_rollback(conn, name, context):
    conn.info.pop(_FLUSHING, None)  # what the savepoint wrote is undone; its days are kept (a wider invalidation)


def _on_checkin(dbapi_connection, connection_record):
    connection_record.info.pop(_FLUSHING, None)
    connection_record.info.pop(_DIRTY, None)


def install() -> None:
    """Listen to every engine, session and pool of the process (idempotent)."""
    for target, name, fn in ((Engine, "before_cursor_execute", _before_cursor_execute),
                             (Engine, "commit", _on_commit), (Engine, "rollback", _forget),
                             (Engine, "rollback_savepoint", _after_savepoint_rollback),
                             (Session, "before_flush", _before_flush), (Session, "after_flush", _after_flush),
                             (Pool, "checkin", _on_checkin)):
        if not event.contains(target, name, fn):
            event.listen(target, name, fn)


# ---- writing and reading the cache --------------------------------------------------------------------------

def _insert(conn):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)


def _has_cache(conn) -> bool:
    """The cache's tables exist (not while migrations older than 0094 run, nor after a downgrade past it)."""
    if conn.dialect.name == "postgresql":
        return conn.exec_driver_sql("SELECT to_regclass('figure_generation')").scalar() is not None
    return conn.exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'figure_generation'").scalar() is not None


def invalidate(conn, day: date) -> int | None:
    """In `conn`'s transaction: bump the generation (its row lock orders writers until COMMIT), log the write and
    delete the cached periods ending on or after `day` (ALL: every one). Returns the new generation (None: no
    cache in this database, so nothing to invalidate)."""
    if not _has_cache(conn):
        return None
    gen = FigureGeneration.__table__
    stmt = _insert(conn)(gen).values(id=1, generation=1)
    generation = conn.execute(stmt.on_conflict_do_update(index_elements=[gen.c.id],
                                                         set_={"generation": gen.c.generation + 1})
                              .returning(gen.c.generation)).scalar_one()
    log_ = FigureInvalidation.__table__
    conn.execute(log_.insert().values(generation=generation, dirty_from=None if day == ALL else day,
                                      created_at=now()))
    conn.execute(log_.delete().where(log_.c.generation <= generation - KEEP_LOG))
    cache = FigureCacheEntry.__table__
    conn.execute(cache.delete().where(cache.c.period_end >= day) if day != ALL else cache.delete())
    return generation


def is_closed(period) -> bool:
    """A period ending before the current Shanghai month began: its figures can be cached."""
    return period.last_day < today().replace(day=1)


def cached(key: str, period, compute: Callable[[], object]) -> tuple[object, datetime]:
    """(value, computed_at): `compute()`'s result for `period` (an indicators.Period), from the cache when the
    period is closed and a copy is there, else computed now (and kept when the period is closed)."""
    if not is_closed(period):
        return compute(), now()
    entry = FigureCacheEntry.__table__
    where = (entry.c.key == key, entry.c.month == period.month, entry.c.scope == period.scope,
             entry.c.code_version == CODE_VERSION)
    row = db.session.execute(select(entry.c.payload, entry.c.computed_at).where(*where)).first()
    if row is not None:
        try:
            return pickle.loads(row.payload), row.computed_at  # noqa: S301 — written by _store below only
        except Exception:  # a copy this code cannot read: computed again below, and replaced
            log.warning("unreadable figure cache entry %s %s %s", key, period.month, period.scope)
    generation = db.session.scalar(select(FigureGeneration.generation).where(FigureGeneration.id == 1)) or 0
    at = now()
    value = compute()
    _store(key, period, generation, at, value)
    return value, at


def _holds_write_lock() -> bool:
    """SQLite: this request's own connection is inside a write transaction (a second connection would wait
    for it)."""
    raw = db.session.connection().connection.dbapi_connection
    return bool(getattr(raw, "in_transaction", False))


def _store(key: str, period, generation: int, at: datetime, value) -> None:
    """Keep `value` unless a write logged after `generation` touches the period — checked by the INSERT itself, so
    no writer commits between the check and the write; on its own connection, so the request's transaction is
    neither committed nor held."""
    if db.engine.dialect.name == "sqlite" and _holds_write_lock():
        return
    entry, gen, log_ = FigureCacheEntry.__table__, FigureGeneration.__table__, FigureInvalidation.__table__
    later = log_.c.generation > generation
    touched = exists().where(later, log_.c.dirty_from.is_(None) | (log_.c.dirty_from <= period.last_day))
    # the log still reaches back to `generation` (KEEP_LOG): nothing after it, or its successor still there
    whole = ~exists().where(later) | exists().where(log_.c.generation == generation + 1)
    values = {"key": key, "month": period.month, "scope": period.scope, "period_end": period.last_day,
              "code_version": CODE_VERSION, "computed_at": at,
              "payload": pickle.dumps(value, pickle.HIGHEST_PROTOCOL)}
    row = select(*[literal(v, entry.c[k].type).label(k) for k, v in values.items()]).where(~touched, whole)
    try:
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # wait for a writer that holds the counter (its log then shows)
                conn.execute(postgresql.insert(gen).values(id=1, generation=0).on_conflict_do_nothing())
                conn.execute(select(gen.c.generation).where(gen.c.id == 1).with_for_update(read=True))
            conn.execute(entry.delete().where(entry.c.key == key, entry.c.month == period.month,
                                              entry.c.scope == period.scope, entry.c.code_version != CODE_VERSION))
            conn.execute(_insert(conn)(entry).from_select(list(values), row).on_conflict_do_nothing())
    except SQLAlchemyError as e:  # a busy SQLite file, say: the figures are shown, just not kept
        log.warning("figure cache not stored: %s", e)
