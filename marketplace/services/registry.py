"""The city registry (在营企业数据库) as of a day: which firms were operating (存续) then, as the registry files
delivered up to that day reported it.

registry_enterprises holds the latest state of every firm. Each registry import records, before it replaces
rows, every firm whose operating status the file changes and every firm it adds (once a registry exists), with
the file's 数据截止日期 as the day the change takes effect (registry_status_changes). A day's status is then the
status before the first change effective after that day, or today's row when none is. So a cancellation in a
November file leaves October's population as it was, and a past period regenerates the same whatever arrives
later. The first registry file describes the firms as they were before it too (there is nothing earlier).
"""
from datetime import date

import pandas as pd
from sqlalchemy import Connection, and_, func, or_, select

from ..extensions import db
from ..models import ImportBatch, RegistryEnterprise, RegistryStatusChange
from ..models.base import IN_CHUNK
from . import bulk


def operating_on(day: date):
    """SQL condition on RegistryEnterprise: operating (存续) on `day` and established by then."""
    later = select(RegistryStatusChange.uscc).where(RegistryStatusChange.effective_on > day)
    first_later = select(RegistryStatusChange.uscc, RegistryStatusChange.from_status,
                         func.row_number().over(partition_by=RegistryStatusChange.uscc,
                                                order_by=(RegistryStatusChange.effective_on,
                                                          RegistryStatusChange.id)).label("rn")) \
        .where(RegistryStatusChange.effective_on > day).subquery()
    active_before = select(first_later.c.uscc).where(first_later.c.rn == 1, first_later.c.from_status == "active")
    status_active = or_(and_(RegistryEnterprise.operating_status == "active", RegistryEnterprise.uscc.not_in(later)),
                        RegistryEnterprise.uscc.in_(active_before))
    established = or_(RegistryEnterprise.established_on.is_(None), RegistryEnterprise.established_on <= day)
    return and_(status_active, established)


def latest_as_of() -> date | None:
    """The latest 数据截止日期 a registry file stated: an older file is refused (it would rewrite newer states)."""
    return db.session.scalar(select(func.max(ImportBatch.as_of)).where(ImportBatch.source == "registry"))


def record_changes(conn: Connection, rows: pd.DataFrame, batch_id: int, effective_on: date) -> int:
    """Inside an import's transaction, before its rows replace the old ones: write a status change for each
    firm of the file whose status differs from the registry's, and for each firm new to a non-empty registry.
    Returns the number of changes written."""
    t = RegistryEnterprise.__table__
    if rows.empty or conn.scalar(select(t.c.id).limit(1)) is None:
        return 0  # the first registry file is the baseline
    codes_ = rows["uscc"].tolist()
    before: dict[str, str] = {}
    for start in range(0, len(codes_), IN_CHUNK):
        before.update(conn.execute(select(t.c.uscc, t.c.operating_status)
                                   .where(t.c.uscc.in_(codes_[start:start + IN_CHUNK]))).all())
    old = rows["uscc"].map(before)
    changed = rows[old.ne(rows["operating_status"]) | old.isna()]
    frame = pd.DataFrame({"uscc": changed["uscc"], "from_status": old[changed.index],
                          "to_status": changed["operating_status"], "effective_on": effective_on,
                          "batch_id": batch_id})
    return bulk.write_frame(conn, RegistryStatusChange.__table__, frame)
