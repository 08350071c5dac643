"""Settings read from the environment (DATABASE_URL, SECRET_KEY, MODEL_DIR …)."""
import os
from pathlib import Path


class Config:
    """Defaults; every value can be overridden by an environment variable of the same name."""

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    # Largest request body of an ordinary form; the upload routes have their own (UPLOAD_LIMITS, by
    # endpoint). Larger bodies get a clear message (413), not a broken page or a stalled worker.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    UPLOAD_LIMITS = {
        "commission.import_data": 64 * 1024 * 1024,   # 部门数据导入 (CSV or XLSX)
        "bank.off_platform_upload": 2 * 1024 * 1024,  # 平台外信易贷 monthly CSV
    }
    # Rows of a department file uploaded through the web page; bigger files go through `flask import-data`.
    IMPORT_MAX_ROWS = 200_000
    # Cookies: never readable by scripts, not sent on cross-site POSTs; SESSION_COOKIE_SECURE comes
    # from the environment (COOKIE_SECURE=1 when the site is served over HTTPS).
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # Rate limits (Flask-Limiter). Storage "memory://" counts per worker process; with several gunicorn
    # workers set RATELIMIT_STORAGE_URI to a shared store (e.g. redis://host:6379) for exact limits.
    # The account lockout after wrong passwords (services/passwords.py) is in the database either way.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = "20 per minute; 100 per hour"   # login attempts (POST) per client address
    REGISTER_RATE_LIMIT = "20 per hour"                # enterprise registrations per client address
    API_RATE_LIMIT = "300 per minute"                  # /api/v1 calls per API key
    # Working days a bank has to decide after accepting an application (Chongqing: 10).
    DECISION_DEADLINE_WORKING_DAYS = 10
    # 不良: a loan with an instalment this many days past due, unless its product states its own rule.
    DEFAULT_DAYS_PAST_DUE = int(os.environ.get("DEFAULT_DAYS_PAST_DUE", "90"))
    TIMEZONE = "Asia/Shanghai"
    # 异议: working days staff have to close a case (the source department verifies within 1 working day,
    # fixed by the monitoring scheme, indicator 三十六).
    OBJECTION_CASE_WORKING_DAYS = 5
    # 信用修复: minimum publication period (months) of a penalty before it may be repaired, per severity.
    # National defaults (国家发展改革委令2023年第58号《失信行为纠正后的信用信息修复管理办法（试行）》):
    # 一般失信行为的行政处罚 3 months, 严重失信行为 12 months; 轻微 (简易程序) penalties are not published.
    REPAIR_MIN_PUBLICATION_MONTHS = {"minor": 0, "general": 3, "serious": 12}
    # Working days staff have to decide a repair application (58号令: 5 working days after acceptance).
    REPAIR_DECISION_WORKING_DAYS = 5


def _normalise_db_url(url: str) -> str:
    # Heroku-style postgres:// and plain postgresql:// both mean psycopg 3 here.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def from_environment(instance_path: str) -> dict:
    """The settings that come from the environment, with their defaults."""
    default_db = "sqlite:///" + str(Path(instance_path) / "marketplace.db")
    return {
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(os.environ.get("DATABASE_URL", default_db)),
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "MODEL_DIR": os.environ.get("MODEL_DIR", str(Path(instance_path) / "models")),
        "SESSION_COOKIE_SECURE": _flag("COOKIE_SECURE"),
        "REMEMBER_COOKIE_SECURE": _flag("COOKIE_SECURE"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # train-model's out-of-time check fits a second model a year earlier (on by default; "0" turns it off)
        "OUT_OF_TIME_VALIDATION": os.environ.get("OUT_OF_TIME_VALIDATION", "1").strip().lower()
        not in ("0", "false", "no", "off"),
    }


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


# Keys that appear in tutorials, .env templates and this repository's tests: never good enough.
KNOWN_SECRET_KEYS = {"dev", "development", "secret", "secret-key", "secretkey", "changeme", "change-me",
                     "change_me", "test", "test-secret", "testing", "default", "your-secret-key",
                     "your_secret_key", "please-change-me", "super-secret", "supersecret", "xinyidai"}
MIN_SECRET_KEY_LENGTH = 32


class UnsafeConfiguration(RuntimeError):
    """Raised by the production entry point (wsgi.py) when the settings would make the site unsafe."""


def check_production(app) -> None:
    """Refuse to serve with a missing, short or well-known SECRET_KEY, or in debug mode."""
    if app.config.get("SECRET_KEY_GENERATED"):
        raise MissingSecretKey()
    key = str(app.config.get("SECRET_KEY") or "")
    if len(key) < MIN_SECRET_KEY_LENGTH or key.strip().lower() in KNOWN_SECRET_KEYS or len(set(key)) < 8:
        raise UnsafeConfiguration(
            f"SECRET_KEY is too weak: use at least {MIN_SECRET_KEY_LENGTH} random characters, e.g.  export "
            "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')")
    if app.debug or _flag("FLASK_DEBUG"):
        raise UnsafeConfiguration("Debug mode is on (FLASK_DEBUG): the debugger runs code sent by any visitor. "
                                  "Unset FLASK_DEBUG for the production server.")


class MissingSecretKey(RuntimeError):
    """Raised when the site is started for real without a SECRET_KEY."""

    def __init__(self):
        super().__init__(
            "SECRET_KEY is not set. Sessions and CSRF tokens are signed with it, so the site refuses to "
            "start without one. Set it, e.g.  export SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')  — or use `flask --app marketplace demo`, which makes one."
        )
