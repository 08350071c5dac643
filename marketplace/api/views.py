"""Endpoints of /api/v1/: list and read applications, accept, decide, report disbursement, repayment and
loan status. Amounts are integer yuan, rates decimal strings (annual %), dates ISO 8601."""
from datetime import date

from flask import g, jsonify, request
from sqlalchemy import select

from .. import codes
from ..extensions import db
from ..models import Application
from ..services import RuleViolation, api_keys, applications, schedules
from ..services.applications import Actor, ConcurrentChange, NotPermitted
from . import bp
from .openapi import SPEC


def _error(status: int, error: str, message: str, field: str | None = None):
    body = {"error": error, "message": message}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else request.headers.get("X-API-Key")
    row = api_keys.authenticate(key)
    if row is None:
        return _error(401, "未认证", "缺少或无效的API密钥（Authorization: Bearer <key>）。")
    g.api_key = row
    g.actor = Actor.of_api_key(row)
    return None


@bp.errorhandler(RuleViolation)
def _violation(e: RuleViolation):
    if isinstance(e, NotPermitted):
        return _error(404, "不存在", e.message)
    if isinstance(e, ConcurrentChange):
        return _error(409, "并发冲突", e.message)
    return _error(422, "业务规则不允许", e.message, e.field)


def as_json(a: Application) -> dict:
    return {
        "id": a.id, "status": a.status, "status_label": codes.APPLICATION_STATUSES[a.status], "version": a.version,
        "enterprise": {"id": a.enterprise_id, "name": a.enterprise.name, "uscc": a.enterprise.uscc},
        "product": {"id": a.product_id, "name": a.product.name},
        "amount": a.amount, "term_months": a.term_months, "dishonesty_flag": a.dishonesty_flag,
        "submitted_at": a.submitted_at.isoformat(),
        "accepted_at": a.accepted_at.isoformat() if a.accepted_at else None,
        "decision_due": a.decision_due.isoformat() if a.decision_due else None,
        "late": applications.is_late(a),
        "decided_at": a.decided_at.isoformat() if a.decided_at else None,
        "grant": ({"amount": a.granted_amount, "rate": str(a.granted_rate), "term_months": a.granted_term}
                  if a.granted_amount else None),
        "rejection": {"reason": a.reject_reason, "note": a.reject_note} if a.reject_reason else None,
        "disbursement": ({"amount": a.disbursed_amount, "date": a.disbursed_on.isoformat()}
                         if a.disbursed_amount else None),
        "repaid_amount": a.repaid_amount, "balance": a.balance,
        "repayment_method": a.repayment_method,
        # 还款计划: overdue and default follow from it (services/schedules.py), never from a call.
        "days_past_due": schedules.days_past_due(a),
        "schedule": [{"seq": x.seq, "due_on": x.due_on.isoformat(), "principal": x.principal,
                      "interest": x.interest, "principal_paid": x.principal_paid,
                      "interest_paid": x.interest_paid,
                      "settled_on": x.settled_on.isoformat() if x.settled_on else None} for x in a.instalments],
    }


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise RuleViolation("请求体应为JSON对象。")
    return data


def _int(data: dict, name: str, label: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(f"{label}应为整数（金额单位：元）。", name)
    return value


def _date(data: dict, name: str) -> date:
    try:
        return date.fromisoformat(str(data.get(name)))
    except ValueError:
        raise RuleViolation("日期格式应为 YYYY-MM-DD。", name) from None


def _version(data: dict) -> int | None:
    v = data.get("version")
    return v if isinstance(v, int) and not isinstance(v, bool) else None


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


@bp.get("/applications")
def list_applications():
    stmt = select(Application).where(Application.institution_id == g.actor.institution_id)
    status = request.args.get("status")
    if status:
        if status not in codes.APPLICATION_STATUSES:
            raise RuleViolation("未知的状态。", "status")
        stmt = stmt.where(Application.status == status)
    per_page = min(request.args.get("per_page", 50, type=int) or 50, 200)
    page = db.paginate(stmt.order_by(Application.id), page=request.args.get("page", 1, type=int),
                       per_page=per_page, error_out=False)
    return jsonify({"items": [as_json(a) for a in page.items], "page": page.page, "per_page": per_page,
                    "total": page.total})


def _own(application_id: int) -> Application:
    return applications.get_for(application_id, g.actor)


@bp.get("/applications/<int:application_id>")
def get_application(application_id: int):
    return jsonify(as_json(_own(application_id)))


@bp.post("/applications/<int:application_id>/accept")
def accept(application_id: int):
    data = request.get_json(silent=True) or {}
    return jsonify(as_json(applications.accept(application_id, g.actor, expected_version=_version(data))))


@bp.post("/applications/<int:application_id>/decision")
def decide(application_id: int):
    data = _body()
    decision = data.get("decision")
    if decision == "grant":
        a = applications.grant(application_id, g.actor, amount=_int(data, "amount", "授信金额"), rate=data.get("rate"),
                               term_months=_int(data, "term_months", "授信期限"), expected_version=_version(data))
    elif decision == "reject":
        a = applications.reject(application_id, g.actor, reason=data.get("reason") or "", note=data.get("note") or "",
                                expected_version=_version(data))
    else:
        raise RuleViolation("decision 应为 grant 或 reject。", "decision")
    return jsonify(as_json(a))


@bp.post("/applications/<int:application_id>/disbursement")
def disburse(application_id: int):
    data = _body()
    a = applications.disburse(application_id, g.actor, amount=_int(data, "amount", "放款金额"), on=_date(data, "date"),
                              expected_version=_version(data))
    return jsonify(as_json(a))


@bp.post("/applications/<int:application_id>/repayments")
def repay(application_id: int):
    data = _body()
    a = applications.repay(application_id, g.actor, amount=_int(data, "amount", "还款金额"), on=_date(data, "date"),
                           expected_version=_version(data))
    return jsonify(as_json(a))
