"""Double submissions (重复提交): a form's one-time token is claimed in the same transaction as the rows the
form creates, so of two identical POSTs (a double click, a resent request, two racing workers) exactly one
lands; the other gets DuplicateSubmission and writes nothing."""
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import FormSubmission
from . import RuleViolation


class DuplicateSubmission(RuleViolation):
    def __init__(self):
        super().__init__("该表单已经提交过，重复提交已忽略。")


def claim(token: str | None, user_id: int | None) -> None:
    """Reserve the token (flushed, not committed: the caller's service commits it with its rows). A token
    already used — or being used by a concurrent request, which the database makes wait — raises."""
    token = (token or "").strip()
    if not 16 <= len(token) <= 32:
        raise RuleViolation("表单已过期，请刷新页面后重新提交。")
    db.session.add(FormSubmission(token=token, user_id=user_id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise DuplicateSubmission() from None
