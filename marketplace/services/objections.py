"""异议 (objections): a firm disputes a data record; staff move it through one checked transition function."""
from .. import codes
from ..clock import now
from ..models import Objection
from . import RuleViolation, audit, notifications, scoring, workflow

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
                          kind=kind, description=description.strip(), submitted_at=submitted_at or now())
    return workflow.transition(
        objection, "submitted", subject="异议", label="提交", apply=lambda o: ("submitted", {}), actor_id=actor_id,
        event=lambda o, *_: audit.record(actor_id, "objection.submitted", o, kind=kind,
                                         record_source=record_source, record_id=record_id),
        notify=lambda o, *_: notifications.to_enterprise(
            enterprise_id, "异议已提交",
            f"您对“{codes.OBJECTION_SOURCES[record_source]}”数据提出的异议已提交，数据来源部门将在1个工作日内核实。"))


def move(objection: Objection, to_status: str, *, actor_id: int | None, resolution: str = "", at=None) -> Objection:
    """The one place an objection changes status: checks the transition, audits, commits once."""
    def apply(objection):
        if to_status in ("upheld", "rejected"):
            if not (resolution or "").strip():
                raise RuleViolation("请填写处理意见。", "resolution")
            objection.resolved_at = at or now()
            objection.resolution = resolution.strip()
        objection.handled_by = actor_id
        return to_status, {}

    workflow.transition(
        objection, to_status, subject="异议", label=f"改为“{codes.OBJECTION_STATUSES.get(to_status, to_status)}”",
        allowed_from={s for s, targets in TRANSITIONS.items() if to_status in targets},
        statuses=codes.OBJECTION_STATUSES, apply=apply, actor_id=actor_id,
        event=lambda o, from_status, to, detail: audit.record(actor_id, f"objection.{to}", o,
                                                              from_status=from_status, resolution=resolution),
        notify=lambda o, to, detail: notifications.to_enterprise(
            o.enterprise_id, f"异议处理：{codes.OBJECTION_STATUSES[to]}", resolution.strip()))
    if to_status == "upheld":  # the disputed record is corrected: the firm's score must follow
        scoring.rescore_enterprises([objection.enterprise_id])
    return objection
