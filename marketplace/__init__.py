"""The 信易贷 marketplace Flask application: create_app() is its table of contents."""
import os
import secrets
from pathlib import Path

from flask import Flask

from . import cli, errors, filters, inputs, security
from .config import Config, from_environment
from .extensions import csrf, db, login_manager, migrate
from .services import figure_cache

ROOT = Path(__file__).resolve().parent.parent
# A source checkout keeps templates/ and static/ at the top level; `pip install .` puts them in the package.
SHARED = ROOT if (ROOT / "templates").is_dir() else Path(__file__).resolve().parent
DEFAULT_INSTANCE = ROOT / "instance" if SHARED == ROOT else Path.cwd() / "instance"


def create_app(config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH", str(DEFAULT_INSTANCE)),
        template_folder=str(SHARED / "templates"),
        static_folder=str(SHARED / "static"),
    )
    app.config.from_object(Config)
    app.config.update(from_environment(app.instance_path))
    app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        # Command-line use and the dev server get a throw-away key; wsgi.py (the production
        # entry point) refuses to start without a real one.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        app.config["SECRET_KEY_GENERATED"] = True

    db.init_app(app)
    figure_cache.install()  # every write to a figure input invalidates the closed periods it reaches
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    security.init_app(app)
    csrf.init_app(app)
    inputs.init_app(app)  # before the blueprints: the bounded <int:…> converter
    errors.init_app(app)
    filters.init_app(app)

    @app.context_processor
    def _decision_term():  # the decision term every page names is the applications service's figure
        from .services import applications

        return {"decision_working_days": applications.decision_working_days()}
    cli.init_app(app)

    from . import api, auth, bank, commission, enterprise, public

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(enterprise.bp)
    app.register_blueprint(bank.bp)
    app.register_blueprint(commission.bp)
    app.register_blueprint(api.bp)
    return app
