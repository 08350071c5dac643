"""Production entry point in a checkout: `gunicorn wsgi:app` (installed: `gunicorn marketplace.wsgi:app`)."""
from marketplace.wsgi import app  # noqa: F401
