"""企业中心: the SME owner's workspace."""
from flask import Blueprint

from ..auth.decorators import role_required

bp = Blueprint("enterprise", __name__, url_prefix="/enterprise")
role_required(bp, "enterprise")

from . import views  # noqa: E402,F401
