"""The ONE lock-event-audit mechanism through which every governed record changes state.

    row = <load it through the owner check>            # callers: ownership.owned_or_404 / their own _get
    workflow.transition(row, "revoke", subject="授权", label="撤回", allowed_from=("active",),
                        apply=lambda r: ("revoked", {...}), actor_id=user.id, notify=...)

In one call, in this order:
  1. role check      — `role` (who may act) against `actor_role`: RuleViolation "只有…可以{label}。";
  2. version check   — `expected_version` (the version the user saw) against the row's `version`: ConcurrentChange;
  3. allowed-from    — the current state must be in `allowed_from`:
                       RuleViolation "{subject}当前状态为“{状态}”，不能{label}。";
  4. lock            — rows with a `version` column (SQLAlchemy version_id_col) are locked optimistically by
                       it; other rows by a status compare-and-set (UPDATE … WHERE status = :seen), which holds
                       the row until the commit, so of two concurrent changes exactly one goes through;
  5. apply(row)      — the caller's change; returns (new state, detail dict); may raise RuleViolation;
  6. event           — `event(row, from_state, to_state, detail)`, by default one audit_log row
                       (`<table>.<action>`, from/to and the detail), committed with the change;
  7. notify          — `notify(row, to_state, detail)` queues the 站内消息;
  8. commit once     — or roll everything back; a lost race is ConcurrentChange (a clear Chinese message).

A new (not yet added) row starts from state None: creation goes through the same steps.
`state` names the status column (default "status"), or is a function of the row for records whose state is
derived (an API key or an authorization is "revoked" once `revoked_at` is set); `apply` then sets the fields.
"""
from collections.abc import Callable, Iterable

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import RuleViolation, audit

ROLE_NAMES = {"bank": "金融机构", "enterprise": "申请企业", "commission": "发改委工作人员",
              "system": "平台（按还款计划自动）"}


class ConcurrentChange(RuleViolation):
    """Someone else changed the record first; nothing of this change was written."""

    def __init__(self, subject: str = "记录"):
        super().__init__(f"该{subject}刚刚已被其他人员处理，您的操作未生效。请刷新页面查看最新状态后再操作。")


def audit_event(action: str, actor_id: int | None) -> Callable:
    """The default event writer: one audit_log row `<table>.<action>` with from/to and the detail."""
    def write(row, from_state, to_state, detail):
        audit.record(actor_id, f"{type(row).__tablename__}.{action}", row, from_status=from_state,
                     to_status=to_state, **detail)
    return write


def state_of(row, state: str | Callable = "status"):
    return state(row) if callable(state) else getattr(row, state)


def transition(row, action: str, *, subject: str, label: str, apply: Callable,
               allowed_from: Iterable[str] | None = None, statuses: dict | None = None,
               state: str | Callable = "status", role: str | None = None, actor_role: str | None = None,
               actor_id: int | None = None, expected_version: int | None = None,
               event: Callable | None = None, notify: Callable | None = None,
               before_change: Callable | None = None, commit: bool = True):
    """Change `row`'s state through steps 1–8 above; returns the row."""
    if role is not None and actor_role != role:
        raise RuleViolation(f"只有{ROLE_NAMES.get(role, role)}可以{label}。")
    if expected_version is not None and getattr(row, "version", None) != expected_version:
        raise ConcurrentChange(subject)
    new = sa_inspect(row).transient or sa_inspect(row).pending
    from_state = None if new else state_of(row, state)
    if allowed_from is not None and from_state not in allowed_from:
        shown = (statuses or {}).get(from_state, from_state)
        raise RuleViolation(f"{subject}当前状态为“{shown}”，不能{label}。")
    if before_change is not None:
        before_change(row)  # test seam: the row is loaded and checked, nothing changed yet
    try:
        if isinstance(state, str) and not new and not _has_version(row):
            _lock_state(row, state, from_state, subject)
        to_state, detail = apply(row)
        if isinstance(state, str):
            setattr(row, state, to_state)
        if new:
            db.session.add(row)
            db.session.flush()  # the event names the new row's id
        (event or audit_event(action, actor_id))(row, from_state, to_state, detail)
        if notify is not None:
            notify(row, to_state, detail)
        if commit:
            db.session.commit()
        else:
            db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise ConcurrentChange(subject) from None
    except Exception:
        db.session.rollback()
        raise
    return row


def _has_version(row) -> bool:
    return sa_inspect(type(row)).version_id_col is not None


def _lock_state(row, state: str, seen, subject: str) -> None:
    """Compare-and-set on the state column: takes the row's write lock (PostgreSQL row lock, SQLite's
    database write lock) and proves nobody moved it since it was read."""
    model = type(row)
    column = getattr(model, state)
    result = db.session.execute(update(model).where(model.id == row.id, column == seen).values({state: seen})
                                .execution_options(synchronize_session=False, unchanged=True))  # figure_cache
    if result.rowcount != 1:
        raise ConcurrentChange(subject)
