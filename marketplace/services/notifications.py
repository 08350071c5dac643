"""站内消息: notes to a firm or an institution on every application status change."""
from sqlalchemy import func, select, update

from ..clock import now
from ..extensions import db
from ..models import Notification


def to_enterprise(enterprise_id: int, title: str, body: str = "", application_id: int | None = None) -> None:
    """Queue a message to a firm (added to the session; the caller's transaction commits it)."""
    db.session.add(Notification(enterprise_id=enterprise_id, title=title, body=body, application_id=application_id))


def to_institution(institution_id: int, title: str, body: str = "", application_id: int | None = None) -> None:
    db.session.add(Notification(institution_id=institution_id, title=title, body=body,
                                application_id=application_id))


def _owner(enterprise_id=None, institution_id=None):
    if enterprise_id:
        return Notification.enterprise_id == enterprise_id
    return Notification.institution_id == institution_id


def unread_count(*, enterprise_id=None, institution_id=None) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        _owner(enterprise_id, institution_id), Notification.read_at.is_(None)))


def inbox(*, enterprise_id=None, institution_id=None, limit: int = 100) -> list[Notification]:
    return db.session.scalars(select(Notification).where(_owner(enterprise_id, institution_id))
                              .order_by(Notification.id.desc()).limit(limit)).all()


def mark_all_read(*, enterprise_id=None, institution_id=None) -> None:
    db.session.execute(update(Notification).where(_owner(enterprise_id, institution_id),
                                                  Notification.read_at.is_(None)).values(read_at=now()))
    db.session.commit()
