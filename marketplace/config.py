"""Settings read from the environment (DATABASE_URL, SECRET_KEY, MODEL_DIR …)."""
import os
from pathlib import Path


class Config:
    """Defaults; every value can be overridden by an environment variable of the same name."""

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None
    # Largest upload accepted (department files); larger ones get a clear message, not a broken page.
    MAX_CONTENT_LENGTH = 200 * 1024 * 1024
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
    }


class MissingSecretKey(RuntimeError):
    """Raised when the site is started for real without a SECRET_KEY."""

    def __init__(self):
        super().__init__(
            "SECRET_KEY is not set. Sessions and CSRF tokens are signed with it, so the site refuses to "
            "start without one. Set it, e.g.  export SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')  — or use `flask --app marketplace demo`, which makes one."
        )
