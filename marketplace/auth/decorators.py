"""The role gate every blueprint puts in front of all of its pages."""
from flask import abort
from flask_login import current_user

from ..extensions import login_manager


def role_required(bp, role: str) -> None:
    """Every view of `bp`: anonymous visitors go to the login page, users of another role get 403."""

    @bp.before_request
    def _check_role():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != role:
            abort(403)
        return None
