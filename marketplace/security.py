"""Request and response hardening: body limits per upload route, rate limits, security headers, no caching
of authenticated pages."""
import hashlib

from flask import current_app, request
from flask_login import current_user

from .extensions import limiter

# No inline script or style anywhere: scripts live in static/js and read their data from data- attributes
# or <script type="application/json"> blocks (which are data, not code, and are not run).
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # Bootstrap draws its icons (toggler, close, select arrow) as data: SVGs
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _set_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # A page or file for a logged-in user (a firm's data, statistics) or an API answer is never kept by the
    # browser or a proxy: the back button after logout, a shared computer, a caching proxy.
    if request.endpoint != "static" and (request.path.startswith("/api/") or current_user.is_authenticated):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def api_key_of_request() -> str:
    """The rate-limit bucket of an /api/v1 call: the presented key (hashed), else the client address."""
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-API-Key", "")
    if key:
        return "api-key:" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return "api-addr:" + (request.remote_addr or "")


def _upload_limit():
    """The body limit of this route (UPLOAD_LIMITS), set before anything (the CSRF check) reads the body."""
    limit = current_app.config["UPLOAD_LIMITS"].get(request.endpoint)
    if limit is not None:
        request.max_content_length = limit


def init_app(app) -> None:
    """Called before csrf.init_app, so that the upload limits are in place before the CSRF check."""
    app.before_request(_upload_limit)
    limiter.init_app(app)
    app.after_request(_set_headers)
