"""发改委管理后台: the commission staff's workspace."""
from flask import Blueprint

from ..auth.decorators import role_required

bp = Blueprint("commission", __name__, url_prefix="/commission")
role_required(bp, "commission")

from . import governance_views, identity_views, models_views, objections_views, statistics, views  # noqa: E402,F401
