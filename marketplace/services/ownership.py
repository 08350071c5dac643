"""The ONE owner check: a row is returned only to its owner; to anyone else it does not exist.

Views answer 404 (web.get_owned_or_404), the API answers 404 (NotOwned is caught there), services raise
NotOwned (or a subclass with their own wording, e.g. applications.NotPermitted) — never 403, so that
ids of other firms' records are not confirmed to exist.
"""
from ..extensions import db
from . import RuleViolation


class NotOwned(RuleViolation):
    """No such row for this owner."""

    def __init__(self, message: str = "记录不存在。"):
        super().__init__(message)


def owned(model, object_id, *, not_found: type[NotOwned] = NotOwned, **owner):
    """The row of `model` with this id if its owner columns match (e.g. enterprise_id=…), else `not_found`."""
    obj = db.session.get(model, object_id)
    if obj is None or any(getattr(obj, k) != v for k, v in owner.items()):
        raise not_found()
    return obj


def scope_of(actor) -> dict:
    """The owner columns an actor (a user or an API key's actor, with role / enterprise_id / institution_id)
    is limited to: a firm to its own rows, a bank to its institution's; commission staff see every row."""
    if actor.role == "enterprise":
        return {"enterprise_id": actor.enterprise_id}
    if actor.role == "bank":
        return {"institution_id": actor.institution_id}
    return {}
