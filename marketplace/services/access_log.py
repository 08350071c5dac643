"""查询留痕 (the access log): staff's openings of a firm are logged like an institution's, and staff search
and export the whole log. Append-only: this module only adds and reads rows; on PostgreSQL the trigger of
migration 0040 (access_logs_append_only) refuses UPDATE and DELETE for every database user."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from .. import codes
from ..extensions import db
from ..models import AccessLog, Enterprise, Institution, User
from . import RuleViolation
from .workdays import SHANGHAI

PAGE = 500


def log_staff_opening(user_id: int, enterprise_id: int, what: str = "staff_firm_page") -> None:
    db.session.add(AccessLog(user_id=user_id, institution_id=None, enterprise_id=enterprise_id, what=what))
    db.session.commit()


def search(*, uscc: str = "", institution_id: int | None = None, officer: str = "", date_from: date | None = None,
           date_to: date | None = None, what: str = "", limit: int | None = PAGE):
    """(AccessLog, firm, institution name, username) rows, newest first; dates are Shanghai days, inclusive."""
    if date_from and date_to and date_to < date_from:
        raise RuleViolation("结束日期不能早于开始日期。", "date_to")
    if what and what not in codes.ACCESS_KINDS:
        raise RuleViolation("请选择查询用途。", "what")
    stmt = (select(AccessLog, Enterprise, Institution.name, User.username)
            .join(Enterprise, Enterprise.id == AccessLog.enterprise_id)
            .outerjoin(Institution, Institution.id == AccessLog.institution_id)
            .outerjoin(User, User.id == AccessLog.user_id)
            .order_by(AccessLog.created_at.desc(), AccessLog.id.desc()))
    if uscc:
        stmt = stmt.where(Enterprise.uscc == uscc.strip().upper()[:18])
    if institution_id:
        stmt = stmt.where(AccessLog.institution_id == institution_id)
    if officer:
        stmt = stmt.where(User.username == officer.strip()[:64])
    if date_from:
        stmt = stmt.where(AccessLog.created_at >= datetime.combine(date_from, datetime.min.time(), SHANGHAI))
    if date_to:
        stmt = stmt.where(AccessLog.created_at < datetime.combine(date_to + timedelta(days=1), datetime.min.time(),
                                                                  SHANGHAI))
    if what:
        stmt = stmt.where(AccessLog.what == what)
    if limit:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).all()


def rows(records) -> list[dict]:
    return [{"at": log.created_at, "uscc": firm.uscc, "name": firm.name, "institution": inst or "发改委",
             "officer": username or ("接口密钥" if log.api_key_id else ""),
             "what": codes.ACCESS_KINDS.get(log.what, log.what)} for log, firm, inst, username in records]
