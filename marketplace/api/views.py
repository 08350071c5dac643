"""Endpoints of /api/v1/: list and read applications, accept, decide, report disbursement and repayment
(overdue and default follow from the repayment schedule). Amounts are integer yuan, rates decimal strings
(annual %), dates ISO 8601. Every body and query string is validated by a pydantic model of api/schemas.py; `endpoint` registers each route with its
models, from which openapi.py writes the document."""
import functools
from dataclasses import dataclass, field

from flask import g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from ..extensions import db
from ..models import Application
from ..services import RuleViolation, api_keys, applications, schedules
from ..services.applications import Actor, ConcurrentChange, NotPermitted
from . import bp
from .schemas import (
    AcceptBody,
    ApplicationOut,
    ApplicationPage,
    DecisionBody,
    GrantBody,
    ListQuery,
    LoanEventBody,
    explain,
)

# A body larger than this is refused before it is parsed (the largest legitimate one is a few hundred bytes).
MAX_BODY_BYTES = 64 * 1024


class BadBody(RuleViolation):
    """The request's JSON or query string does not fit its schema (400 for bad JSON, 422 otherwise)."""

    def __init__(self, message: str, field: str | None = None, status: int = 422):
        super().__init__(message, field)
        self.status = status


@dataclass
class Endpoint:
    method: str
    rule: str
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] = ApplicationOut
    errors: tuple = (401, 404, 409, 422)
    description: str = field(default="")


ENDPOINTS: list[Endpoint] = []


def _error(status: int, error: str, message: str, field: str | None = None):
    body = {"error": error, "message": message}
    if field:
        body["field"] = field
    return jsonify(body), status


def _parse(model: type[BaseModel], raw: bytes | dict):
    try:
        if isinstance(raw, dict):
            return model.model_validate(raw)
        return model.model_validate_json(raw)
    except ValidationError as e:
        message, name = explain(e)
        bad_json = any(err["type"] in ("json_invalid", "json_type") for err in e.errors())
        raise BadBody(message, name, 400 if bad_json else 422) from None


def endpoint(method: str, rule: str, summary: str, *, body=None, query=None, response=ApplicationOut,
             errors=(401, 404, 409, 422), description: str = ""):
    """Register a view under /api/v1 with the models of its body, query and answer. The view receives
    `body=` / `query=` already validated and returns a model instance."""
    def wrap(view):
        ENDPOINTS.append(Endpoint(method, rule, summary, body, query, response, errors,
                                  description or (body.__doc__ if body and body.__doc__ else "") or ""))

        @functools.wraps(view)
        def inner(**kwargs):
            if "application_id" in kwargs:  # another institution's id is a 404 before its body is judged
                _own(kwargs["application_id"])
            if body is not None:
                raw = request.get_data(cache=True)
                kwargs["body"] = _parse(body, raw if raw.strip() else b"{}")
            if query is not None:
                kwargs["query"] = _parse(query, request.args.to_dict())
            return jsonify(view(**kwargs).model_dump(mode="json"))

        return bp.route(rule, methods=[method])(inner)

    return wrap


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-API-Key")
    row = api_keys.authenticate(key)
    if row is None:
        return _error(401, "未认证", "缺少或无效的API密钥（Authorization: Bearer <key>）。")
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return _error(413, "请求体过大", f"请求体不能超过 {MAX_BODY_BYTES // 1024} KB。")
    request.max_content_length = MAX_BODY_BYTES  # also bounds a chunked body without Content-Length
    g.api_key = row
    g.actor = Actor.of_api_key(row)
    return None


@bp.errorhandler(RuleViolation)
def _violation(e: RuleViolation):
    if isinstance(e, NotPermitted):
        return _error(404, "不存在", e.message)
    if isinstance(e, ConcurrentChange):
        return _error(409, "并发冲突", e.message)
    if isinstance(e, BadBody):
        return _error(e.status, "请求无效" if e.status == 400 else "参数不符合要求", e.message, e.field)
    return _error(422, "业务规则不允许", e.message, e.field)


def _out(a: Application) -> ApplicationOut:
    return ApplicationOut.of(a, applications.is_late(a), schedules.days_past_due(a))


@bp.get("/openapi.json")
def openapi():
    from .openapi import document

    return jsonify(document())


@endpoint("GET", "/applications", "本机构的申请列表", query=ListQuery, response=ApplicationPage, errors=(401, 422))
def list_applications(query: ListQuery):
    stmt = select(Application).where(Application.institution_id == g.actor.institution_id)
    if query.status:
        stmt = stmt.where(Application.status == query.status)
    page = db.paginate(stmt.order_by(Application.id), page=query.page, per_page=query.per_page, error_out=False)
    return ApplicationPage(items=[_out(a) for a in page.items], page=page.page, per_page=query.per_page,
                           total=page.total)


def _own(application_id: int) -> Application:
    return applications.get_for(application_id, g.actor)


@endpoint("GET", "/applications/<int:application_id>", "读取一笔申请", errors=(401, 404))
def get_application(application_id: int):
    return _out(_own(application_id))


@endpoint("POST", "/applications/<int:application_id>/accept", "受理", body=AcceptBody)
def accept(application_id: int, body: AcceptBody):
    return _out(applications.accept(application_id, g.actor, expected_version=body.version))


@endpoint("POST", "/applications/<int:application_id>/decision", "授信或拒绝", body=DecisionBody)
def decide(application_id: int, body: DecisionBody):
    d = body.root
    if isinstance(d, GrantBody):
        a = applications.grant(application_id, g.actor, amount=d.amount, rate=d.rate, term_months=d.term_months,
                               expected_version=d.version)
    else:
        a = applications.reject(application_id, g.actor, reason=d.reason, note=d.note, expected_version=d.version)
    return _out(a)


@endpoint("POST", "/applications/<int:application_id>/disbursement", "登记放款", body=LoanEventBody,
          description="confirmed（企业已确认授信）→ disbursed；金额不超过授信金额；生成还款计划。")
def disburse(application_id: int, body: LoanEventBody):
    return _out(applications.disburse(application_id, g.actor, amount=body.amount, on=body.date,
                                      expected_version=body.version))


@endpoint("POST", "/applications/<int:application_id>/repayments", "登记还款", body=LoanEventBody,
          description="disbursed/overdue；按还款计划先息后本、从最早一期起冲抵；还清全部本息时转为 repaid（已结清）。"
                      "逾期与不良由平台按还款计划自动认定，不能由接口报告。")
def repay(application_id: int, body: LoanEventBody):
    return _out(applications.repay(application_id, g.actor, amount=body.amount, on=body.date,
                                   expected_version=body.version))
