"""Fixtures in the flaskr style: app, client, runner, auth; plus a few data builders.

Tests run on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set (.ci/run does both).
CSRF stays switched on: forms are submitted with the token read from the page, as a browser does.
"""
import os
import re
import shutil
from datetime import date

import pytest
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from marketplace import create_app
from marketplace.config import _normalise_db_url
from marketplace.extensions import db
from marketplace.models import Enterprise, Institution, Product
from marketplace.services import accounts
from marketplace.worker import huey

# Jobs run inside the request in tests (huey's immediate mode, in-memory store); tests/test_jobs.py also
# runs a real consumer process end to end.
huey.immediate = True

# Property-based tests: derandomized (the same examples every run, so CI is never flaky), no example
# database, no deadline (PostgreSQL in CI is slower), and a modest number of examples per test.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, max_examples=12,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("ci")

PASSWORD = "correct-horse-1"
# Valid USCCs (their check characters are asserted in test_auth).
USCC_A = "91370102MA3C4XKL85"
USCC_B = "91370112MA3MFJ2X64"


def reset_database():
    db.session.remove()
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _test_app(url: str, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": _normalise_db_url(url),
        "SECRET_KEY": "test-secret",
        "MODEL_DIR": str(tmp_path / "models"),
        # train-model's out-of-time model doubles every training; tests/test_scoring.py turns it on where tested
        "OUT_OF_TIME_VALIDATION": False,
    })
    app.instance_path = str(tmp_path / "instance")  # files a test writes (batches, job results) stay its own
    return app


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Run the migrations once per session: a SQLite template file to copy, or the PostgreSQL database."""
    url = os.environ.get("TEST_DATABASE_URL")
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = _test_app(url or f"sqlite:///{path}", path.parent)
    with app.app_context():
        reset_database()
        upgrade()  # the schema the production database gets, not create_all()
        db.engine.dispose()
    return url, path


def _empty_all_tables():
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


def _fresh_app(migrated_database, tmp_path):
    """An app on an empty migrated database: a copy of the SQLite template, or the emptied PostgreSQL one."""
    url, template = migrated_database
    if url is None:
        shutil.copyfile(template, tmp_path / "test.db")
        url = f"sqlite:///{tmp_path / 'test.db'}"
    app = _test_app(url, tmp_path)
    if migrated_database[0]:
        with app.app_context():
            upgrade()  # a no-op at head; restores the schema after a test that dropped it
            _empty_all_tables()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(migrated_database, tmp_path):
    yield from _fresh_app(migrated_database, tmp_path)


@pytest.fixture(scope="module")
def module_app(migrated_database, tmp_path_factory):
    """One app for a whole module whose tests only read what it built once (e.g. the browser walks of the
    demo city): the module's tests must not use `app` as well, which would empty the PostgreSQL database."""
    yield from _fresh_app(migrated_database, tmp_path_factory.mktemp("module_app"))


class FormClient:
    """Wraps the test client: `submit` reads the CSRF token from the form page, then posts."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name):
        return getattr(self._client, name)

    def csrf_token(self, page_url: str) -> str:
        html = self._client.get(page_url).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
            re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert match, f"no CSRF token on {page_url}"
        return match.group(1)

    def submit(self, url: str, data: dict, *, page: str | None = None, follow_redirects=False):
        """Post as a browser does: with the CSRF token and the form's one-time token (inputs.OnceForm)."""
        html = self._client.get(page or url).get_data(as_text=True)
        hidden = {"csrf_token": _hidden(html, "csrf_token"), "submission": _hidden(html, "submission")}
        assert hidden["csrf_token"], f"no CSRF token on {page or url}"
        hidden = {k: v for k, v in hidden.items() if v}
        return self._client.post(url, data={**hidden, **data}, follow_redirects=follow_redirects)


def _hidden(html: str, name: str) -> str | None:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html) or \
        re.search(rf'id="{name}" name="{name}" type="hidden" value="([^"]+)"', html) or \
        re.search(rf'name="{name}" value="([^"]+)"', html)
    return match.group(1) if match else None


@pytest.fixture
def client(app):
    return FormClient(app.test_client())


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username, password=PASSWORD):
        return self._client.submit("/auth/login", {"username": username, "password": password})

    def logout(self):
        return self._client.submit("/auth/logout", {}, page="/")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def make_institution(name="测试银行", kind="bank") -> Institution:
    inst = Institution(name=name, kind=kind, licence_no="B0001", region_code="370102")
    db.session.add(inst)
    db.session.commit()
    return inst


def make_product(institution, **overrides) -> Product:
    values = dict(name="测试信用贷", kind="credit", amount_min=100_000, amount_max=3_000_000, term_min=3,
                  term_max=12, rate_min=3.45, rate_max=5.5, eligible_regions=[], eligible_industries=[],
                  eligible_sizes=[], min_years=0, online_only=False, xinyidai=True, status="active")
    values.update(overrides)
    product = Product(institution_id=institution.id, **values)
    db.session.add(product)
    db.session.commit()
    return product


def make_enterprise(uscc=USCC_A, name="济南测试科技有限公司", **overrides) -> Enterprise:
    # A firm already through 实名核验 (tests of the check itself register through the form).
    values = dict(region_code="370102", industry="C", size="small", registered_capital=5_000_000,
                  established_on=date(2018, 5, 1), legal_representative="张三", identity_status="verified")
    values.update(overrides)
    firm = Enterprise(uscc=uscc, name=name, **values)
    db.session.add(firm)
    db.session.commit()
    return firm


@pytest.fixture
def users(app):
    """One account per role: returns {'enterprise': username, 'bank': …, 'commission': …}."""
    with app.app_context():
        firm = make_enterprise()
        inst = make_institution()
        accounts.create_user(username="sme", password=PASSWORD, role="enterprise", enterprise_id=firm.id)
        accounts.create_user(username="banker", password=PASSWORD, role="bank", institution_id=inst.id)
        accounts.create_user(username="staff", password=PASSWORD, role="commission")
    return {"enterprise": "sme", "bank": "banker", "commission": "staff"}
