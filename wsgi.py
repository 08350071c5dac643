"""Production entry point: `gunicorn wsgi:app`. Refuses to start without a SECRET_KEY."""
from marketplace import create_app
from marketplace.config import MissingSecretKey

app = create_app()
if app.config.get("SECRET_KEY_GENERATED"):
    raise MissingSecretKey()
