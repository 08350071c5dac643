"""The demo-city generator: valid codes only, the requested counts, the same city for the same seed."""
import pandas as pd
from sqlalchemy import func, select
from stdnum.cn import uscc

from marketplace import codes
from marketplace.extensions import db
from marketplace.models import Enterprise, Institution, Product, User
from seed import city


def test_seed_command_creates_requested_counts_with_valid_codes(app, runner):
    result = runner.invoke(args=["seed", "--enterprises", "300", "--institutions", "7", "--products", "25"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Enterprise.id))) == 300
        assert db.session.scalar(select(func.count(Institution.id))) == 7
        assert db.session.scalar(select(func.count(Product.id))) == 25
        rows = db.session.execute(select(Enterprise.uscc, Enterprise.region_code, Enterprise.industry,
                                         Enterprise.size)).all()
    assert all(uscc.is_valid(r.uscc) for r in rows)
    assert len({r.uscc for r in rows}) == 300
    assert all(r.uscc[2:8] == r.region_code for r in rows), "USCC carries the registration region"
    assert {r.region_code for r in rows} <= set(codes.REGIONS)
    assert {r.industry for r in rows} <= set(codes.INDUSTRIES)
    assert {r.size for r in rows} <= set(codes.SIZES)


def test_seeded_products_respect_their_own_ranges(app, runner):
    runner.invoke(args=["seed", "--enterprises", "10"])
    with app.app_context():
        for p in db.session.scalars(select(Product)):
            assert 0 < p.amount_min <= p.amount_max and 0 < p.term_min <= p.term_max
            assert 0 < p.rate_min <= p.rate_max
            assert p.kind in codes.PRODUCT_KINDS


def test_ids_continue_after_seed(app, runner):
    runner.invoke(args=["seed", "--enterprises", "5"])
    from tests.conftest import make_enterprise

    with app.app_context():
        firm = make_enterprise()
        assert firm.id == 6


def test_seed_refuses_a_second_city(app, runner):
    runner.invoke(args=["seed", "--enterprises", "5"])
    result = runner.invoke(args=["seed", "--enterprises", "5"])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Enterprise.id))) == 5


def test_same_seed_same_city_and_prefix_property():
    a = pd.concat(city.enterprise_chunks(1000, seed=7))
    b = pd.concat(city.enterprise_chunks(1000, seed=7))
    c = pd.concat(city.enterprise_chunks(400, seed=7))
    d = pd.concat(city.enterprise_chunks(400, seed=8))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a.iloc[:400].reset_index(drop=True), c.reset_index(drop=True))
    assert not a.iloc[:400]["name"].reset_index(drop=True).equals(d["name"].reset_index(drop=True))
    pd.testing.assert_frame_equal(city.products(30, 10, 7), city.products(30, 10, 7))


def test_codes_stay_unique_across_chunks():
    n = city.CHUNK + 500
    codes_ = pd.concat(city.enterprise_chunks(n, seed=1))["uscc"]
    assert len(codes_) == n and codes_.is_unique
    assert codes_.map(uscc.is_valid).all()


def test_create_commission_user_command(app, runner):
    result = runner.invoke(args=["create-commission-user", "chief", "--password", "long-enough-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "chief"))
        assert user.role == "commission" and user.check_password("long-enough-1")
    short = runner.invoke(args=["create-commission-user", "other", "--password", "short"])
    assert short.exit_code != 0 and "密码至少10位" in short.output


def test_demo_denominators_are_entered_and_audited(app):
    from datetime import date

    from marketplace.models import AuditLog, CityFigure
    from marketplace.services import denominators
    from seed import load

    with app.app_context():
        load.load_denominators(registered_enterprises=2000, months=3)
        assert denominators.registered_enterprises(date(2026, 8, 1)) == 2000
        assert denominators.registered_enterprises(date(2026, 7, 1)) is None
        assert denominators.annual_gdp(2026)[0] == load.DEMO_GDP[2025]
        assert db.session.scalar(select(func.count(CityFigure.id))) == 5
        assert db.session.scalar(select(func.count(AuditLog.id))) == 5
