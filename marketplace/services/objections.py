"""异议 (objections): a firm disputes a data record; staff move it through one checked transition function."""
from .. import codes
from ..extensions import db
from ..models import Objection
from ..models.base import utcnow
from . import RuleViolation, audit, notifications, scoring

TRANSITIONS = {
    "submitted": {"verifying", "upheld", "rejected"},
    "verifying": {"upheld", "rejected"},
    "upheld": set(),
    "rejected": set(),
}


def raise_objection(enterprise_id: int, *, record_source: str, record_id: int | None, kind: str,
                    description: str, actor_id: int | None, submitted_at=None) -> Objection:
    from .identity import require_verified

    require_verified(enterprise_id)
    if record_source not in codes.OBJECTION_SOURCES:
        raise RuleViolation("请选择有异议的数据来源。", "record_source")
    if kind not in codes.OBJECTION_KINDS:
        raise RuleViolation("请选择异议类型。", "kind")
    if not (description or "").strip():
        raise RuleViolation("请说明异议理由。", "description")
    objection = Objection(enterprise_id=enterprise_id, record_source=record_source, record_id=record_id,
                          kind=kind, description=description.strip(), status="submitted",
                          submitted_at=submitted_at or utcnow())
    db.session.add(objection)
    db.session.flush()
    audit.record(actor_id, "objection.submitted", objection, kind=kind, record_source=record_source,
                 record_id=record_id)
    notifications.to_enterprise(enterprise_id, "异议已提交",
                                f"您对“{codes.OBJECTION_SOURCES[record_source]}”数据提出的异议已提交，数据来源部门将在1个工作日内核实。")
    db.session.commit()
    return objection


def move(objection: Objection, to_status: str, *, actor_id: int | None, resolution: str = "", at=None) -> Objection:
    """The one place an objection changes status: checks the transition, audits, commits once."""
    if to_status not in TRANSITIONS.get(objection.status, set()):
        raise RuleViolation(f"异议当前状态为“{codes.OBJECTION_STATUSES[objection.status]}”，不能改为"
                            f"“{codes.OBJECTION_STATUSES.get(to_status, to_status)}”。")
    if to_status in ("upheld", "rejected"):
        if not (resolution or "").strip():
            raise RuleViolation("请填写处理意见。", "resolution")
        objection.resolved_at = at or utcnow()
        objection.resolution = resolution.strip()
    from_status, objection.status, objection.handled_by = objection.status, to_status, actor_id
    audit.record(actor_id, f"objection.{to_status}", objection, from_status=from_status, resolution=resolution)
    notifications.to_enterprise(objection.enterprise_id, f"异议处理：{codes.OBJECTION_STATUSES[to_status]}",
                                resolution.strip())
    db.session.commit()
    if to_status == "upheld":  # the disputed record is corrected: the firm's score must follow
        scoring.rescore_enterprises([objection.enterprise_id])
    return objection
