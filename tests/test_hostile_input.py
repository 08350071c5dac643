"""Hostile input gets a clear 4xx in Chinese and leaves nothing behind: integers ≥ 2⁶³, Infinity/NaN/sNaN,
negative and absurd numbers, months like 9999-12, NUL characters, over-long texts, lists where a string is
expected, JSON bodies that are not objects or nest 50,000 deep. Explicit cases first, then property-based
tests (hypothesis, the derandomized "ci" profile of conftest.py) over every form, every API endpoint and the
query strings of the pages: every case answers < 500, and a refused request changes no row count."""
import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace import codes, limits
from marketplace.extensions import db
from marketplace.models import Enterprise, FinancingNeed, User
from marketplace.services import workdays

from .parties import build_parties

# ------------------------------------------------------------------------------------- value classes

BIG = [str(2**63), str(-(2**63) - 1), str(2**31), "9" * 30, "1e309", "-1e309", "1e-9"]
NON_FINITE = ["inf", "Infinity", "-Infinity", "NaN", "nan", "sNaN", "-sNaN"]
ODD_NUMBERS = ["-1", "0", "-0", "0.001", "12.3456789", "１２", "1_000", "1,5", "0x10", "4.5e2", "abc", "", " "]
TEXTS = ["\x00", "a\x00b", "x" * 3000, "行\u2028分隔", "<script>alert(1)</script>", "' OR 1=1 --", "😀" * 130,
         '=HYPERLINK("http://evil.example")']
MONTHS_AND_DAYS = ["9999-12", "0001-01", "2026-13", "2026-00", "9999-12-31", "0001-01-01", "2026-02-30", "-1--1",
                   "99999999999999999999-01"]
HOSTILE = st.one_of(
    st.sampled_from(BIG + NON_FINITE + ODD_NUMBERS + TEXTS + MONTHS_AND_DAYS),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=40),
    st.lists(st.sampled_from(BIG + NON_FINITE + ["1", "x"]), min_size=2, max_size=3),  # a list for one value
)


# Reading a firm's data is logged (查询留痕) even when the page is a form shown again with its errors: the
# officer saw the firm's grade again. That row records a read, not something the refused request saved.
READ_LOGS = {"access_logs"}
# A closed month's figures computed by a GET are kept as a disposable copy (services/figure_cache): not a record.
DERIVED = {"figure_cache", "figure_generation", "figure_invalidations"}


def row_counts(app) -> dict:
    with app.app_context():
        return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables
                if t.name not in READ_LOGS | DERIVED}


@pytest.fixture
def parties(app):
    return build_parties(app)


def _csrf_login(client, role):
    from .conftest import AuthActions

    if role != "anonymous":
        AuthActions(client).login(role)


# ------------------------------------------------------------------------------------ explicit cases

@pytest.mark.parametrize("raw, ok", [
    ("12.5", Decimal("12.50")), (" 1,000 ", Decimal("1000.00")), ("0.01", Decimal("0.01")),
    ("0.001", None), ("0", None), ("-1", None), ("NaN", None), ("sNaN", None), ("Infinity", None),
    ("1e309", None), (str(2**63), None), ("abc", None), ("", None), (True, None),
])
def test_one_parser_for_wan(raw, ok):
    if ok is None:
        with pytest.raises(ValueError, match="应为 0.01 至 10,000,000 之间"):
            limits.WAN.parse(raw)
    else:
        assert limits.WAN.parse(raw) == ok


def test_ids_out_of_range_are_404_on_every_route(app, client):
    """`<int:…>` is bounded to 1 … 2³¹−1 for every route of the url_map, before any view runs."""
    rules = [r for r in app.url_map.iter_rules() if "<int:" in r.rule]
    assert len(rules) >= 15
    for rule in rules:
        for bad in (str(2**63), str(2**31), "0"):
            path = re.sub(r"<int:\w+>", bad, rule.rule)
            path = re.sub(r"<(?:\w+:)?\w+>", "x", path)
            method = "GET" if "GET" in rule.methods else "POST"
            assert client.open(path, method=method).status_code == 404, path
    assert client.get(f"/products/{2**63}").status_code == 404


@pytest.mark.parametrize("url", ["/commission/indicators", "/commission/statistics", "/commission/sharing",
                                 "/commission/indicators/report.xlsx", "/commission/statistics/funnel.csv"])
def test_absurd_months_are_a_clear_400(client, auth, users, url):
    auth.login(users["commission"])
    for month in ("9999-12", "0001-01", "2026-13", "x"):
        response = client.get(f"{url}?month={month}")
        assert response.status_code == 400, (url, month)
        assert "月份应为“年-月”格式，介于 2000-01 与 2100-12 之间" in response.get_data(as_text=True)
    assert client.get(f"{url}?month=2026-09").status_code == 200


def test_off_platform_month_out_of_range_is_a_form_error(client, auth, users, app):
    auth.login(users["bank"])
    response = client.submit("/bank/off-platform", {"month": "0001-01", "uscc": "91370102MA3C4XKL85",
                                                    "amount_wan": "10", "loan_count": "1"})
    assert response.status_code == 200 and "介于 2000-01 与 2100-12 之间" in response.get_data(as_text=True)


def test_nul_in_a_form_or_query_is_refused_and_nothing_is_stored(client, auth, users, app):
    auth.login(users["enterprise"])
    before = row_counts(app)
    response = client.submit("/enterprise/needs/new", {"amount_wan": "50", "term_months": "12",
                                                       "guarantee": "credit", "purpose": "备货\x00"})
    assert response.status_code == 400 and "空字符" in response.get_data(as_text=True)
    assert client.get("/products?q=%00").status_code == 400
    assert row_counts(app) == before


def test_texts_have_one_limit_shared_by_form_and_column(client, auth, users, app):
    limit = FinancingNeed.__table__.c.purpose.type.length
    assert limit == limits.TEXT["purpose"]
    auth.login(users["enterprise"])
    html = client.get("/enterprise/needs/new").get_data(as_text=True)
    assert f'maxlength="{limit}"' in html
    response = client.submit("/enterprise/needs/new", {"amount_wan": "50", "term_months": "12",
                                                       "guarantee": "credit", "purpose": "长" * (limit + 1)})
    assert f"最多{limit}个字符" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 0
    response = client.submit("/enterprise/needs/new", {"amount_wan": "50", "term_months": "12",
                                                       "guarantee": "credit", "purpose": "长" * limit})
    assert response.status_code == 302


def test_firm_name_of_128_characters_registers(client, app):
    """users.display_name holds the firm's name: 65–128 characters must not 500 on PostgreSQL."""
    name = "济南" + "长名称" * 42  # 128 characters
    response = client.submit("/auth/register", {
        "uscc": "91370102MA3C4XKL85", "name": name, "legal_representative": "张三", "region_code": "370102",
        "industry": "C", "size": "small", "username": "longname", "password": "a-long-password-1",
        "confirm": "a-long-password-1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.display_name).where(User.username == "longname")) == name
    too_long = client.submit("/auth/register", {
        "uscc": "91370112MA3MFJ2X64", "name": name + "公司", "legal_representative": "张三", "region_code": "370102",
        "industry": "C", "size": "small", "username": "longer", "password": "a-long-password-1",
        "confirm": "a-long-password-1"})
    assert "最多128个字符" in too_long.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Enterprise.id))) == 1


def test_double_submitted_need_form_creates_one_need(client, auth, users, app):
    auth.login(users["enterprise"])
    html = client.get("/enterprise/needs/new").get_data(as_text=True)
    tokens = dict(re.findall(r'id="(csrf_token|submission)" name="\1" type="hidden" value="([^"]+)"', html))
    data = {**tokens, "amount_wan": "50", "term_months": "12", "guarantee": "credit", "purpose": "备货"}
    first, second = client.post("/enterprise/needs/new", data=data), client.post("/enterprise/needs/new", data=data)
    assert first.status_code == second.status_code == 302
    assert "重复提交已忽略" in client.get(second.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(FinancingNeed.id))) == 1


API_BODIES = [
    (b"[]", 422, "请求体应为JSON对象"), (b'"grant"', 422, "请求体应为JSON对象"), (b"42", 422, "请求体应为JSON对象"),
    (b"null", 422, "请求体应为JSON对象"), (b"[" * 30_000 + b"]" * 30_000, 400, "嵌套过深"),
    (b"[" * 50_000 + b"]" * 50_000, 413, "请求体不能超过 64 KB"),
    (b"{not json", 400, "不是有效的JSON"),
    (b'{"decision": "reject", "reason": {"a": 1}, "note": "x"}', 422, "reason：应为以下之一"),
    (b'{"decision": "reject", "reason": "other", "note": ["x"]}', 422, "note：应为字符串"),
    (b'{"decision": "reject", "reason": "other", "note": "a\\u0000b"}', 422, "空字符"),
    (b'{"decision": "grant", "amount": 9223372036854775808, "rate": "4", "term_months": 12}', 422, "amount：应不大于"),
    (b'{"decision": "grant", "amount": 100000, "rate": "NaN", "term_months": 12}', 422, "rate：应为有限的数字"),
    (b'{"decision": "grant", "amount": 100000, "rate": Infinity, "term_months": 12}', 422, "rate：应为有限的数字"),
    (b'{"decision": "grant", "amount": 100000, "rate": "4", "term_months": -1}', 422, "term_months：应不小于 1"),
    (b'{"decision": "grant", "amount": 1e5, "rate": "4", "term_months": 12}', 422, "amount：应为整数"),
    (b'{"decision": "approve"}', 422, "应为以下之一"),
]


@pytest.mark.parametrize("body, status, message", API_BODIES, ids=[b[:30].decode(errors="replace")
                                                                  for b, _, _ in API_BODIES])
def test_api_bodies_are_validated_with_a_chinese_message(client, app, parties, body, status, message):
    before = row_counts(app)
    response = client.post(f"/api/v1/applications/{parties['application_a']}/decision", data=body,
                           headers={"Authorization": f"Bearer {parties['api_keys']['bank_x']}",
                                    "Content-Type": "application/json"})
    assert response.status_code == status and message in response.json["message"], response.json
    assert row_counts(app) == before


def test_api_body_size_is_limited(client, parties):
    response = client.post(f"/api/v1/applications/{parties['application_a']}/accept", data=b" " * 70_000,
                           headers={"Authorization": f"Bearer {parties['api_keys']['bank_x']}",
                                    "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json["error"] == "请求体过大"


def test_openapi_is_generated_from_the_schemas_and_codes(client):
    spec = client.get("/api/v1/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert schemas["ApplicationOut"]["properties"]["status"]["enum"] == list(codes.APPLICATION_STATUSES)
    assert schemas["RejectBody"]["properties"]["reason"]["enum"] == list(codes.REJECT_REASONS)
    assert schemas["GrantBody"]["properties"]["amount"]["maximum"] == int(limits.YUAN.hi)
    decision = spec["paths"]["/applications/{application_id}/decision"]["post"]
    assert decision["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/DecisionBody")
    assert {"400", "401", "404", "409", "413", "422"} <= set(decision["responses"])
    assert spec["paths"]["/applications/{application_id}/accept"]["post"]["requestBody"]["required"] is False


# ------------------------------------------------------------------------------ property-based: forms

def _later():
    return str(workdays.today() + timedelta(days=200))


FORMS = [
    # (role, page that renders the form, url it posts to, valid data — "{x}" names a record of `parties`)
    ("anonymous", "/auth/register", None, {
        "uscc": "91370102MA3C4XKL85", "name": "丙企业", "legal_representative": "李四", "region_code": "370102",
        "industry": "C", "size": "small", "registered_capital_wan": "100", "established_on": "2018-05-01",
        "username": "bing", "password": "a-long-password-1", "confirm": "a-long-password-1"}),
    ("anonymous", "/auth/login", None, {"username": "sme_a", "password": "wrong-password"}),
    ("sme_a", "/enterprise/needs/new", None, {"amount_wan": "50", "term_months": "12", "guarantee": "credit",
                                              "urgency": "normal", "purpose": "备货"}),
    ("sme_a", "/enterprise/needs/{need_a}/edit", None, {"amount_wan": "60", "term_months": "12",
                                                        "guarantee": "credit", "urgency": "soon", "purpose": "备货"}),
    ("sme_a", "/enterprise/apply?product_ids={product_x}", None, {
        "product_ids": "{product_x}", "amount_wan": "50", "term_months": "12", "authorize_until": "{later}",
        "authorize": "y", "commitment": "y"}),
    ("sme_a", "/enterprise/authorizations", None, {"institution_id": "{bank_x}", "scopes": "profile",
                                                   "valid_until": "{later}"}),
    ("sme_a", "/enterprise/objections", None, {"record_source": "tax_records", "kind": "error",
                                               "description": "记录有误"}),
    ("sme_a", "/enterprise/applications/{application_a}", "/enterprise/applications/{application_a}/withdraw",
     {"version": "1"}),
    ("bank_x", "/bank/products/new", None, {
        "name": "新产品", "kind": "credit", "description": "说明", "amount_min_wan": "10", "amount_max_wan": "100",
        "term_min": "3", "term_max": "12", "rate_min": "3.5", "rate_max": "5", "min_years": "1", "min_grade": "",
        "dishonesty_rule": "block"}),
    ("bank_x", "/bank/applications/{application_a}", "/bank/applications/{application_a}/grant",
     {"amount_wan": "40", "rate": "4.1", "term_months": "12", "version": "1"}),
    ("bank_x", "/bank/applications/{application_a}", "/bank/applications/{application_a}/reject",
     {"reason": "other", "note": "不符合", "version": "1"}),
    ("bank_x", "/bank/applications/{application_a}", "/bank/applications/{application_a}/disburse",
     {"amount_wan": "40", "on": "2026-01-05", "version": "1"}),
    ("bank_x", "/bank/off-platform", None, {"month": "2026-09", "uscc": "91370112MA3MFJ2X64",
                                            "enterprise_name": "乙", "amount_wan": "10", "loan_count": "1"}),
    ("staff", "/commission/denominators", None, {"what": "gdp:year", "year": "2025", "part": "", "value": "1000",
                                                 "source": "统计局"}),
    ("staff", "/commission/institutions/new", None, {
        "name": "丙银行", "kind": "bank", "licence_no": "B9", "region_code": "370102", "officer_name": "王五",
        "officer_username": "bingbank", "officer_password": "a-long-password-1"}),
    ("staff", "/commission/api-keys", None, {"institution_id": "{bank_x}", "name": "系统"}),
    ("staff", "/commission/objections/{objection_a}", None, {"to_status": "verifying", "resolution": "核查中"}),
    ("staff", "/commission/sharing?month=2026-09", None, {}),
]


def _fill(text: str, parties: dict) -> str:
    return text.format(**parties, later=_later()) if isinstance(text, str) else text


def _accepted(html: str) -> bool:
    """The view said it did something (a success or info message, or the new API key shown once)."""
    return "alert-success" in html or "alert-info" in html or 'id="new-key"' in html


@pytest.mark.parametrize("role, page, url, valid", FORMS, ids=[f[2] or f[1] for f in FORMS])
@given(data=st.data())
def test_every_form_refuses_hostile_values(app, client, parties, role, page, url, valid, data):
    if not getattr(client, "_logged_in_as", None):
        _csrf_login(client, role)
        client._logged_in_as = role
    values = {k: _fill(v, parties) for k, v in valid.items()}
    name = data.draw(st.sampled_from(sorted(values) + ["extra"]), label="field")
    values[name] = data.draw(HOSTILE, label="value")
    before = row_counts(app)
    response = client.submit(_fill(url or page, parties), values, page=_fill(page, parties), follow_redirects=True)
    assert response.status_code < 500
    if not _accepted(response.get_data(as_text=True)):
        assert row_counts(app) == before, f"a refused request changed rows: {name}={values[name]!r}"


# -------------------------------------------------------------------------------- property-based: API

JSON_HOSTILE = st.one_of(
    st.sampled_from([2**63, -(2**63) - 1, 2**31, -1, 0, 1e308, 0.5, True, None, "NaN", "Infinity", "sNaN",
                     "9999-12-31", "0001-01-01", "a\x00b", "x" * 600, [], {}, ["grant"], {"x": [1]}]),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
API = [
    ("accept", {"version": 1}),
    ("decision", {"decision": "grant", "amount": 400_000, "rate": "4.1", "term_months": 12, "version": 2}),
    ("decision", {"decision": "reject", "reason": "other", "note": "不符合", "version": 2}),
    ("disbursement", {"amount": 400_000, "date": "2026-01-05"}),
    ("repayments", {"amount": 100_000, "date": "2026-01-05"}),
    ("loan-status", {"status": "defaulted", "date": "2026-01-05", "note": "x"}),
]


@pytest.mark.parametrize("action, valid", API, ids=[f"{a}-{v.get('decision', v.get('status', ''))}" for a, v in API])
@given(data=st.data())
def test_every_api_endpoint_refuses_hostile_bodies(app, client, parties, action, valid, data):
    body = dict(valid)
    how = data.draw(st.sampled_from(["field", "field", "whole", "nested"]), label="how")
    if how == "field":
        body[data.draw(st.sampled_from(sorted(body) + ["extra"]), label="field")] = data.draw(JSON_HOSTILE)
        raw = json.dumps(body).encode()  # NaN/Infinity floats become the (invalid) JSON literals
    elif how == "whole":
        raw = json.dumps(data.draw(JSON_HOSTILE)).encode()
    else:
        depth = data.draw(st.sampled_from([300, 5_000, 50_000]), label="depth")
        raw = b'{"amount": ' + b"[" * depth + b"]" * depth + b"}"
    before = row_counts(app)
    response = client.post(f"/api/v1/applications/{parties['application_a']}/{action}", data=raw,
                           headers={"Authorization": f"Bearer {parties['api_keys']['bank_x']}",
                                    "Content-Type": "application/json"})
    assert response.status_code < 500
    if response.status_code != 200:
        assert response.is_json and re.search(r"[\u4e00-\u9fff]", response.json["message"]), response.json
        assert row_counts(app) == before


# ------------------------------------------------------------------------ property-based: query strings

QUERIES = [
    ("anonymous", "/products", ["amount", "term", "institution", "max_rate", "page", "q", "sort", "kind"]),
    ("bank_x", "/bank/applications", ["page", "product", "status", "late"]),
    ("sme_a", "/enterprise/apply", ["product_ids", "product", "need_id"]),
    ("staff", "/commission/indicators", ["month", "scope"]),
    ("staff", "/commission/sharing", ["month"]),
    ("staff", "/commission/objections", ["status"]),
    ("bank_x", "/api/v1/applications", ["page", "per_page", "status"]),
]


@pytest.mark.parametrize("role, path, names", QUERIES, ids=[q[1] for q in QUERIES])
@given(data=st.data())
def test_query_strings_refuse_hostile_values(app, client, parties, role, path, names, data):
    if not getattr(client, "_logged_in_as", None):
        _csrf_login(client, role)
        client._logged_in_as = role
    name = data.draw(st.sampled_from(names), label="name")
    value = data.draw(HOSTILE, label="value")
    headers = {"Authorization": f"Bearer {parties['api_keys']['bank_x']}"} if path.startswith("/api/") else {}
    before = row_counts(app)
    response = client.get(path, query_string={name: value}, headers=headers)
    assert response.status_code < 500, (name, value)
    assert row_counts(app) == before
