"""What each role can do in its own workspace in this first version, and only on what it owns."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import FinancingNeed, Institution, Product, User

from .conftest import USCC_B, make_enterprise, make_institution, make_product


def test_enterprise_publishes_edits_and_closes_a_need(client, auth, users, app):
    auth.login(users["enterprise"])
    response = client.submit("/enterprise/needs/new", {"amount_wan": "150.5", "term_months": "12",
                                                       "guarantee": "credit", "purpose": "采购原材料"})
    assert response.status_code == 302
    with app.app_context():
        need = db.session.scalar(select(FinancingNeed))
        assert need.amount == 1_505_000 and need.status == "open"
        need_id = need.id
    assert "150.5" in client.get("/enterprise/").get_data(as_text=True)
    client.submit(f"/enterprise/needs/{need_id}/edit", {"amount_wan": "200", "term_months": "24",
                                                        "guarantee": "mortgage", "purpose": "扩建厂房"})
    client.submit(f"/enterprise/needs/{need_id}/close", {}, page="/enterprise/")
    with app.app_context():
        need = db.session.get(FinancingNeed, need_id)
        assert (need.amount, need.term_months, need.guarantee, need.status) == (2_000_000, 24, "mortgage", "closed")


def test_need_with_bad_amount_is_refused(client, auth, users, app):
    auth.login(users["enterprise"])
    response = client.submit("/enterprise/needs/new", {"amount_wan": "-5", "term_months": "12",
                                                       "guarantee": "credit", "purpose": "x"})
    assert response.status_code == 200 and "融资金额（万元）应为 0.01 至 10,000,000 之间" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(FinancingNeed)) is None


def test_enterprise_cannot_touch_another_firms_need(client, auth, users, app):
    with app.app_context():
        other = make_enterprise(uscc=USCC_B, name="别家公司")
        need = FinancingNeed(enterprise_id=other.id, amount=10_000, term_months=6, purpose="别家", status="open")
        db.session.add(need)
        db.session.commit()
        need_id = need.id
    auth.login(users["enterprise"])
    assert client.get(f"/enterprise/needs/{need_id}/edit").status_code == 404
    token = client.csrf_token("/enterprise/")
    assert client.post(f"/enterprise/needs/{need_id}/close", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(FinancingNeed, need_id).status == "open"


PRODUCT = {"name": "新产品", "kind": "credit", "amount_min_wan": "10", "amount_max_wan": "300", "term_min": "3",
           "term_max": "12", "rate_min": "3.45", "rate_max": "5.5", "min_years": "1", "min_grade": "BBB",
           "eligible_sizes": ["micro", "small"], "xinyidai": "y", "repayment_method": "interest_only"}


def test_bank_creates_edits_and_pauses_a_product(client, auth, users, app):
    auth.login(users["bank"])
    assert client.submit("/bank/products/new", PRODUCT).status_code == 302
    with app.app_context():
        product = db.session.scalar(select(Product))
        assert (product.amount_min, product.amount_max, product.min_grade) == (100_000, 3_000_000, "BBB")
        assert product.eligible_sizes == ["micro", "small"] and product.status == "active"
        assert product.repayment_method == "interest_only" and product.default_days_past_due is None
        product_id = product.id
    client.submit(f"/bank/products/{product_id}/edit", {**PRODUCT, "name": "改名产品"})
    client.submit(f"/bank/products/{product_id}/status", {"status": "paused"}, page="/bank/")
    with app.app_context():
        product = db.session.get(Product, product_id)
        assert product.name == "改名产品" and product.status == "paused"


def test_bank_product_with_inverted_range_is_refused(client, auth, users, app):
    auth.login(users["bank"])
    response = client.submit("/bank/products/new", {**PRODUCT, "amount_min_wan": "500", "amount_max_wan": "100"})
    assert "额度范围无效" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Product)) is None


def test_bank_cannot_edit_another_institutions_product(client, auth, users, app):
    with app.app_context():
        other = make_product(make_institution("他行"), name="他行产品")
        product_id = other.id
    auth.login(users["bank"])
    assert client.get(f"/bank/products/{product_id}/edit").status_code == 404


def test_commission_onboards_an_institution_with_an_officer(client, auth, users, app):
    auth.login(users["commission"])
    response = client.submit("/commission/institutions/new", {
        "name": "新入驻村镇银行", "kind": "village_bank", "licence_no": "B1234", "region_code": "370126",
        "officer_name": "王经理", "officer_username": "wang", "officer_password": "officer-pass-1"})
    assert response.status_code == 302
    assert "新入驻村镇银行" in client.get("/commission/").get_data(as_text=True)
    with app.app_context():
        officer = db.session.scalar(select(User).where(User.username == "wang"))
        assert officer.role == "bank" and officer.institution.name == "新入驻村镇银行"
    auth.logout()
    # staff chose the password: the officer replaces it at the first login, then reaches the workbench
    assert auth.login("wang", "officer-pass-1").headers["Location"].endswith("/auth/password")
    client.submit("/auth/password", {"current_password": "officer-pass-1", "password": "River-stone-2031",
                                     "confirm": "River-stone-2031"})
    assert client.get("/bank/").status_code == 200


def test_onboarding_duplicate_institution_is_refused(client, auth, users, app):
    auth.login(users["commission"])
    response = client.submit("/commission/institutions/new", {
        "name": "测试银行", "kind": "bank", "licence_no": "B1", "region_code": "370102",
        "officer_name": "x", "officer_username": "xx1", "officer_password": "officer-pass-1"})
    assert "该机构已入驻" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "xx1")) is None
        assert len(db.session.scalars(select(Institution)).all()) == 1


def test_need_with_a_term_of_zero_is_told_the_allowed_range(client, auth, users, app):
    auth.login(users["enterprise"])
    response = client.submit("/enterprise/needs/new", {"amount_wan": "0", "term_months": "0", "guarantee": "credit",
                                                       "urgency": "normal", "purpose": "周转"})
    html = response.get_data(as_text=True)
    assert "期限（月）应为 1 至 360 之间的整数。" in html and "请填写期限。" not in html
    assert "融资金额（万元）应为 0.01 至" in html and 'value="0"' in html, "the values typed stay in the form"


def test_an_institution_cannot_list_two_products_of_the_same_name(app, users):
    from marketplace.services import RuleViolation, products

    with app.app_context():
        bank = db.session.scalar(db.select(Institution))
        make_product(bank, name="税易贷")
        terms = products.ProductTerms(name="税易贷 ", kind="credit", amount_min=100_000, amount_max=1_000_000,
                                      term_min=3, term_max=12, rate_min=Decimal("3.5"), rate_max=Decimal("5"))
        with pytest.raises(RuleViolation, match="同名产品"):
            products.save_product(bank.id, terms)
