"""/api/v1/: a JSON API for institutions' own systems, on the same services as the pages.
CSRF-exempt; every call carries the institution's API key (Authorization: Bearer <key> or X-API-Key)."""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

from . import views  # noqa: E402,F401
