import pytest

from marketplace import create_app
from marketplace.config import MissingSecretKey, UnsafeConfiguration


def test_config_override(app):
    assert app.testing
    assert not create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).testing


def test_database_url_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.example/marketplace")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/marketplace"


def test_default_database_is_sqlite_under_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/marketplace.db"


def test_production_start_without_secret_key_refuses(monkeypatch, tmp_path):
    import importlib
    import sys

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)
    with pytest.raises(MissingSecretKey, match="SECRET_KEY is not set"):
        importlib.import_module("wsgi")


STRONG_KEY = "5f0c9a3e7b1d4c2a8e6f0b9d3c7a1e5f2b8d4c6a0e9f3b7d"


def test_production_start_with_secret_key(monkeypatch, tmp_path):
    import importlib
    import sys

    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)
    wsgi = importlib.import_module("wsgi")
    assert wsgi.app.config["SECRET_KEY"] == STRONG_KEY
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)


@pytest.mark.parametrize("key", ["s3cret", "test-secret", "changeme", "x" * 64, "dev", "0123456789abcdef",
                                 "CHANGEME", "abababababababababababababababababab"])
def test_production_start_refuses_a_weak_secret_key(monkeypatch, tmp_path, key):
    import importlib
    import sys

    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)
    with pytest.raises(UnsafeConfiguration, match="SECRET_KEY is too weak"):
        importlib.import_module("wsgi")
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)


def test_production_start_refuses_debug(monkeypatch, tmp_path):
    import importlib
    import sys

    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)
    with pytest.raises(UnsafeConfiguration, match="Debug mode"):
        importlib.import_module("wsgi")
    for name in ("wsgi", "marketplace.wsgi"):  # wsgi.py re-exports marketplace.wsgi
        sys.modules.pop(name, None)


def test_no_asset_from_the_internet(client, app):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html
    assert client.get("/static/vendor/bootstrap/bootstrap.min.css").status_code == 200


def test_a_failed_statement_still_gets_the_chinese_error_page(app, client, auth, users):
    """On PostgreSQL a failed statement aborts the transaction: the 500 page (whose navbar reads the account's
    messages) must start a fresh one, or the error page itself fails and the user gets a bare server error."""
    from sqlalchemy import text

    from marketplace.extensions import db

    def broken():
        db.session.execute(text("SELECT no_such_column FROM users"))
        return "unreachable"

    app.add_url_rule("/enterprise/_broken_for_test", "broken_for_test", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error handler answers
    auth.login(users["enterprise"])
    response = client.get("/enterprise/_broken_for_test")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "系统错误" in page and "服务器开小差了" in page
