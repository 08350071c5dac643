"""数据覆盖情况: per source, rows, latest period and the share of registry firms covered."""

from sqlalchemy import func, select

from ...extensions import db
from ...models import (
    ImportBatch,
    RegistryEnterprise,
    User,
)
from .sources import SOURCES


def coverage() -> dict:
    """Per source: rows, latest period, firms covered in it ÷ registry firms, and the last batch (SQL only)."""
    registry_n = db.session.scalar(select(func.count()).select_from(RegistryEnterprise.__table__)) or 0
    batches, users = ImportBatch.__table__, User.__table__
    rows = []
    for source in SOURCES.values():
        t = source.sql_table
        total = db.session.scalar(select(func.count()).select_from(t)) or 0
        latest, firms = None, None
        if source.code == "registry":
            firms = total
        elif source.code == "tax_grades":
            latest = db.session.scalar(select(func.max(t.c.year)))
            firms = db.session.scalar(select(func.count(func.distinct(t.c.uscc))).where(t.c.year == latest))
        elif "period" in t.c:
            latest = db.session.scalar(select(func.max(t.c.period)))
            firms = db.session.scalar(select(func.count(func.distinct(t.c.uscc))).where(t.c.period == latest))
        else:
            col = t.c[{"penalties": "decided_on", "customs_certifications": "certified_on"}.get(source.code, "start_on")]
            latest = db.session.scalar(select(func.max(col)))
            firms = db.session.scalar(select(func.count(func.distinct(t.c.uscc))))
        last = db.session.execute(select(batches, users.c.display_name.label("imported_by"))
                                  .outerjoin(users, users.c.id == batches.c.created_by)
                                  .where(batches.c.source == source.code)
                                  .order_by(batches.c.id.desc()).limit(1)).mappings().first()
        rows.append({"source": source, "rows": total, "latest": latest, "firms": firms or 0,
                     "share": (firms or 0) / registry_n if registry_n else None, "last_batch": last})
    return {"registry_firms": registry_n, "sources": rows, "indicator_9": indicator_9()}


def indicator_9():
    """(九) as of today: the same definition and function as the indicator page (services/indicators)."""
    from .. import indicators
    from ..workdays import today

    return indicators.figure("九", indicators.Period(today()))
