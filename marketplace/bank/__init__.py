"""金融机构工作台: the bank officer's workspace."""
from flask import Blueprint

from ..auth.decorators import role_required

bp = Blueprint("bank", __name__, url_prefix="/bank")
role_required(bp, "bank")

from . import views  # noqa: E402,F401
