"""站内消息: notes to a firm or an institution on every application status change."""
from sqlalchemy import and_, func, or_, select, update

from ..clock import now
from ..extensions import db
from ..models import Notification


def to_enterprise(enterprise_id: int, title: str, body: str = "", application_id: int | None = None, *,
                  user_id: int | None = None) -> None:
    """Queue a message to a firm (added to the session; the caller's transaction commits it); with `user_id`
    only that account of the firm reads it."""
    db.session.add(Notification(enterprise_id=enterprise_id, user_id=user_id, title=title, body=body,
                                application_id=application_id))


def to_institution(institution_id: int, title: str, body: str = "", application_id: int | None = None) -> None:
    db.session.add(Notification(institution_id=institution_id, title=title, body=body,
                                application_id=application_id))


def _owner(enterprise_id=None, institution_id=None, user_id=None):
    """A firm's account reads the firm's messages and those addressed to it, not another account's."""
    if enterprise_id:
        return and_(Notification.enterprise_id == enterprise_id,
                    or_(Notification.user_id.is_(None), Notification.user_id == user_id))
    return Notification.institution_id == institution_id


def unread_count(*, enterprise_id=None, institution_id=None, user_id=None) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        _owner(enterprise_id, institution_id, user_id), Notification.read_at.is_(None)))


def inbox(*, enterprise_id=None, institution_id=None, user_id=None, limit: int = 100) -> list[Notification]:
    return db.session.scalars(select(Notification).where(_owner(enterprise_id, institution_id, user_id))
                              .order_by(Notification.id.desc()).limit(limit)).all()


def mark_all_read(*, enterprise_id=None, institution_id=None, user_id=None) -> None:
    db.session.execute(update(Notification).where(_owner(enterprise_id, institution_id, user_id),
                                                  Notification.read_at.is_(None)).values(read_at=now()))
    db.session.commit()
