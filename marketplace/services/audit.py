"""The audit log: every change of a governed record adds one row, committed with the change itself."""
from ..extensions import db
from ..models import AuditLog


def record(actor_id: int | None, action: str, obj, **detail) -> AuditLog:
    """Add (not commit) an audit row for `obj`; the caller commits it together with the change."""
    row = AuditLog(actor_id=actor_id, action=action, object_type=type(obj).__tablename__,
                   object_id=str(obj.id), detail=_jsonable(detail))
    db.session.add(row)
    return row


def _jsonable(value):
    from datetime import date, datetime
    from decimal import Decimal

    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
