"""The access-control matrix: every route of app.url_map × {anonymous, SME A, SME B, bank X, bank Y, staff},
each asked for SME A's / bank X's records, with the answer expected. A route without an entry fails
`test_every_route_is_in_the_matrix` — a new route needs one line in MATRIX.

Answers: OK (200, or a redirect that is not to the login page), LOGIN (redirect to the login page),
DENIED (403, the wrong role), HIDDEN (404: another party's record, never confirmed to exist), NOKEY (401
on the API). On /api/v1 the banks call with their own API keys and everyone else with none.
CSRF is switched off here so that each POST reaches the role and owner checks (CSRF has its own tests).
"""
import re
from dataclasses import dataclass, field

import pytest

from .conftest import PASSWORD
from .parties import build_parties

ROLES = ("anonymous", "sme_a", "sme_b", "bank_x", "bank_y", "staff")
OK, LOGIN, DENIED, HIDDEN, NOKEY = "ok", "login", "denied", "hidden", "nokey"


@dataclass
class Entry:
    answers: dict
    args: dict = field(default_factory=dict)  # URL variable → name of a record in `world` (or a literal)
    query: str = ""  # a query string the route needs to answer at all (e.g. "month=2026-10")


def everyone(**args) -> Entry:
    return Entry({r: OK for r in ROLES}, args)


def workspace(role: str, owner: str | None = None, other: str = HIDDEN, **args) -> Entry:
    """A page of one role's workspace; with `owner`, the record belongs to that account and the other
    account of the same role gets `other`."""
    kind = {"sme": ("sme_a", "sme_b"), "bank": ("bank_x", "bank_y"), "staff": ("staff",)}[role]
    answers = {r: (LOGIN if r == "anonymous" else DENIED) for r in ROLES}
    answers.update({r: (OK if owner in (None, r) else other) for r in kind})
    return Entry(answers, args)


def staff(answer: str = OK, **args) -> Entry:
    entry = workspace("staff", **args)
    entry.answers["staff"] = answer
    return entry


def api(owner: str | None = None, **args) -> Entry:
    answers = {r: NOKEY for r in ROLES}
    answers.update({"bank_x": OK, "bank_y": OK if owner is None else HIDDEN})
    return Entry(answers, args)


APP = {"application_id": "application_a"}
MATRIX = {
    "/": everyone(),
    "/static/<path:filename>": everyone(filename="css/site.css"),
    "/products": everyone(),
    "/products/<int:product_id>": everyone(product_id="product_x"),
    "/credit-repair": everyone(),
    "/auth/login": everyone(),
    "/auth/register": everyone(),
    "/auth/logout": Entry({r: (LOGIN if r == "anonymous" else OK) for r in ROLES}),
    "/auth/password": Entry({r: (LOGIN if r == "anonymous" else OK) for r in ROLES}),
    "/commission/indicators/report-job": staff(),
    "/commission/jobs": staff(),
    "/commission/jobs/<int:job_id>": staff(HIDDEN, job_id=999999),
    "/commission/jobs/<int:job_id>.json": staff(HIDDEN, job_id=999999),
    "/commission/jobs/<int:job_id>/result": staff(HIDDEN, job_id=999999),
    "/commission/models/rescore": staff(),
    "/commission/users/<int:user_id>/reset-password": staff(HIDDEN, user_id=999999),
    # 企业中心
    "/enterprise/": workspace("sme"),
    "/enterprise/credit": workspace("sme"),
    "/enterprise/needs/new": workspace("sme"),
    "/enterprise/needs/<int:need_id>/edit": workspace("sme", "sme_a", need_id="need_a"),
    "/enterprise/needs/<int:need_id>/close": workspace("sme", "sme_a", need_id="need_a"),
    "/enterprise/needs/<int:need_id>/recommendations": workspace("sme", "sme_a", need_id="need_a"),
    "/enterprise/apply": workspace("sme"),
    "/enterprise/applications": workspace("sme"),
    "/enterprise/applications/<int:application_id>": workspace("sme", "sme_a", **APP),
    "/enterprise/applications/<int:application_id>/withdraw": workspace("sme", "sme_a", **APP),
    "/enterprise/applications/<int:application_id>/<any(confirm, decline):action>": workspace(
        "sme", "sme_a", action="confirm", **APP),
    "/enterprise/authorizations": workspace("sme"),
    "/enterprise/authorizations/<int:authorization_id>/revoke": workspace(
        "sme", "sme_a", authorization_id="authorization_a"),
    "/enterprise/messages": workspace("sme"),
    "/enterprise/objections": workspace("sme"),
    "/enterprise/repairs": workspace("sme"),
    # 金融机构工作台
    "/bank/": workspace("bank"),
    "/bank/products/new": workspace("bank"),
    "/bank/products/<int:product_id>/edit": workspace("bank", "bank_x", product_id="product_x"),
    "/bank/products/<int:product_id>/status": workspace("bank", "bank_x", product_id="product_x"),
    "/bank/applications": workspace("bank"),
    "/bank/applications/<int:application_id>": workspace("bank", "bank_x", **APP),
    "/bank/applications/<int:application_id>/<action>": workspace("bank", "bank_x", action="accept", **APP),
    # A firm's data: only the institution the firm authorized (bank Y is refused, 403).
    "/bank/firms/<int:enterprise_id>": workspace("bank", "bank_x", DENIED, enterprise_id="firm_a"),
    "/bank/applications/<int:application_id>/compensation-claim": workspace("bank", "bank_x", **APP),
    "/bank/matches": workspace("bank"),
    "/bank/off-platform": workspace("bank"),
    "/bank/off-platform/upload": workspace("bank"),
    "/bank/off-platform/<int:loan_id>/<action>": workspace("bank", "bank_x", action="confirm",
                                                           loan_id="off_platform_x"),
    "/bank/messages": workspace("bank"),
    # 发改委管理后台
    "/commission/": staff(),
    "/commission/users": staff(),
    "/commission/identity": staff(),
    "/commission/identity/<int:check_id>/<any(approve, refuse):decision>": staff(check_id="identity_check_b",
                                                                                   decision="approve"),
    "/commission/institutions/new": staff(),
    "/commission/api-keys": staff(),
    "/commission/api-keys/<int:key_id>/revoke": staff(key_id="key_x"),
    "/commission/data/import": staff(),
    "/commission/data/import/reports/<token>.csv": staff(HIDDEN, token="0" * 32),
    "/commission/data/formats": staff(),
    "/commission/data/coverage": staff(),
    "/commission/denominators": staff(),
    "/commission/indicators": staff(),
    "/commission/indicators/<code>": staff(code="first_indicator"),
    "/commission/indicators/report.xlsx": staff(),
    "/commission/statistics": staff(),
    "/commission/statistics/<key>.<fmt>": staff(key="funnel", fmt="csv"),
    "/commission/sharing": staff(),
    "/commission/sharing/<int:batch_id>.<fmt>": staff(batch_id="batch", fmt="jsonl"),
    "/commission/sharing/<int:batch_id>/delivered": staff(batch_id="batch"),
    "/commission/objections": staff(),
    "/commission/objections/<int:objection_id>": staff(objection_id="objection_a"),
    "/commission/repairs": staff(),
    "/commission/firms": staff(),
    "/commission/firms/<int:enterprise_id>": staff(enterprise_id="firm_a"),
    "/commission/access-log": staff(),
    "/commission/access-log.csv": staff(),
    "/commission/commitments": staff(),
    "/commission/commitments.csv": staff(),
    "/commission/commitments/<int:commitment_id>/broken": staff(commitment_id="commitment_a"),
    "/commission/joint": staff(),
    "/commission/joint/cases.csv": Entry(staff().answers, query="month=2026-10"),
    "/commission/compensation": staff(),
    # No fund, claim or red-list incentive exists in this world: staff get 404, everyone else never gets that far.
    "/commission/compensation/<int:fund_id>": staff(HIDDEN, fund_id=999_999),
    "/commission/compensation/<int:fund_id>.csv": staff(HIDDEN, fund_id=999_999),
    "/commission/compensation/claims/<int:claim_id>": staff(HIDDEN, claim_id=999_999),
    "/commission/joint/incentives/<int:incentive_id>/stop": staff(HIDDEN, incentive_id=999_999),
    # No repair application exists in this world: staff get 404, everyone else never gets that far.
    "/commission/repairs/<int:repair_id>": staff(HIDDEN, repair_id=999_999),
    "/commission/models": staff(),
    # No model is trained here: staff get 404 for an unknown version, everyone else never gets that far.
    "/commission/models/<version>": staff(HIDDEN, version="v-none"),
    "/commission/models/<version>/activate": staff(HIDDEN, version="v-none"),
    "/commission/models/<version>/scorecard.csv": staff(HIDDEN, version="v-none"),
    # /api/v1
    "/api/v1/openapi.json": everyone(),
    "/api/v1/applications": api(),
    "/api/v1/applications/<int:application_id>": api("bank_x", **APP),
    "/api/v1/applications/<int:application_id>/accept": api("bank_x", **APP),
    "/api/v1/applications/<int:application_id>/decision": api("bank_x", **APP),
    "/api/v1/applications/<int:application_id>/disbursement": api("bank_x", **APP),
    "/api/v1/applications/<int:application_id>/repayments": api("bank_x", **APP),
}


def _answer(response) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        return LOGIN if "/auth/login" in response.headers["Location"] else OK
    return {200: OK, 401: NOKEY, 403: DENIED, 404: HIDDEN}.get(status, str(status))


def _path(rule, world: dict) -> str:
    values = {name: world.get(value, value) for name, value in MATRIX[rule.rule].args.items()}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: give a value for {missing} in MATRIX"
    path = re.sub(r"<(?:[^<>:]+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule.rule)
    return f"{path}?{MATRIX[rule.rule].query}" if MATRIX[rule.rule].query else path


@pytest.fixture
def matrix_app(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def test_every_route_is_in_the_matrix(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    assert not rules - set(MATRIX), f"routes without an access-control entry: {sorted(rules - set(MATRIX))}"
    assert not set(MATRIX) - rules, f"entries for routes that no longer exist: {sorted(set(MATRIX) - rules)}"


def test_access_control_matrix(matrix_app):
    app = matrix_app
    world = build_parties(app)
    clients = {}
    for role in ROLES:
        clients[role] = app.test_client()
        if role != "anonymous":
            r = clients[role].post("/auth/login", data={"username": role, "password": PASSWORD})
            assert r.status_code == 302, role
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (
        "GET" not in r.methods, r.rule.startswith("/api/") is False, r.rule == "/auth/logout", r.rule))
    wrong = []
    for rule in rules:
        method = "GET" if "GET" in rule.methods else "POST"
        path = _path(rule, world)
        for role in ROLES:
            headers = {}
            if rule.rule.startswith("/api/") and role in world["api_keys"]:
                headers["Authorization"] = f"Bearer {world['api_keys'][role]}"
            response = clients[role].open(path, method=method, headers=headers,
                                          json={} if rule.rule.startswith("/api/") and method == "POST" else None)
            got, expected = _answer(response), MATRIX[rule.rule].answers[role]
            # An allowed POST may still be refused on its content (422 on the API): access was granted.
            if expected == OK and method == "POST" and response.status_code in (400, 409, 422):
                got = OK
            if got != expected:
                wrong.append(f"{method} {path} as {role}: expected {expected}, got {got} ({response.status_code})")
            if rule.rule == "/auth/logout" and role != "anonymous":
                clients[role].post("/auth/login", data={"username": role, "password": PASSWORD})
    assert not wrong, "\n".join(wrong)
