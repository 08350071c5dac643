"""Pages for every visitor: the home page with platform totals and the product supermarket."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from . import views  # noqa: E402,F401
