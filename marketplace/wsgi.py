"""Production entry point: `gunicorn marketplace.wsgi:app` (or the top-level wsgi.py in a checkout). Refuses to
start without a strong SECRET_KEY or in debug mode."""
from . import create_app
from .config import check_production

app = create_app()
check_production(app)
