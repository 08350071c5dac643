"""/api/v1/: a JSON API for institutions' own systems, on the same services as the pages.
CSRF-exempt; every call carries the institution's API key (Authorization: Bearer <key> or X-API-Key)."""
from flask import Blueprint, current_app

from ..extensions import csrf, limiter
from ..security import api_key_of_request

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=api_key_of_request)(bp)

from . import views  # noqa: E402,F401
