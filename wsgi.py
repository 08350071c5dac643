"""Production entry point: `gunicorn wsgi:app`. Refuses to start without a strong SECRET_KEY or in debug mode."""
from marketplace import create_app
from marketplace.config import check_production

app = create_app()
check_production(app)
