"""Production entry point: `gunicorn marketplace.wsgi:app` (or the top-level wsgi.py in a checkout). Refuses to
start without a SECRET_KEY."""
from . import create_app
from .config import MissingSecretKey

app = create_app()
if app.config.get("SECRET_KEY_GENERATED"):
    raise MissingSecretKey()
