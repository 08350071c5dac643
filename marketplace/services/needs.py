"""Financing needs (融资需求): publish, edit, close — always on behalf of the firm that owns them."""
from .. import codes, limits
from ..extensions import db
from ..models import FinancingNeed
from . import RuleViolation, workflow

MAX_NEED_YUAN = int(limits.YUAN.hi)  # 1,000亿元: anything above is a typing error, not an SME need


def _validate(amount: int, term_months: int, purpose: str, guarantee: str, urgency: str = "normal") -> None:
    if not 0 < amount <= MAX_NEED_YUAN:
        raise RuleViolation("融资金额应大于0。", "amount")
    if not 0 < term_months <= 360:
        raise RuleViolation("融资期限应为1–360个月。", "term_months")
    if not (purpose or "").strip():
        raise RuleViolation("请填写资金用途。", "purpose")
    if guarantee not in codes.GUARANTEE_KINDS:
        raise RuleViolation("请选择担保方式。", "guarantee")
    if urgency not in codes.URGENCIES:
        raise RuleViolation("请选择紧急程度。", "urgency")


def publish_need(enterprise_id: int, *, amount: int, term_months: int, purpose: str,
                 guarantee: str = "credit", urgency: str = "normal") -> FinancingNeed:
    from .identity import require_verified

    require_verified(enterprise_id)
    _validate(amount, term_months, purpose, guarantee, urgency)
    need = FinancingNeed(enterprise_id=enterprise_id, amount=amount, term_months=term_months,
                         purpose=purpose.strip(), guarantee=guarantee, urgency=urgency, status="open")
    db.session.add(need)
    db.session.commit()
    return need


def update_need(need: FinancingNeed, enterprise_id: int, *, amount: int, term_months: int, purpose: str,
                guarantee: str, urgency: str = "normal") -> FinancingNeed:
    if need.enterprise_id != enterprise_id:
        raise RuleViolation("只能修改本企业的融资需求。")
    if need.status != "open":
        raise RuleViolation("已关闭的需求不能修改。")
    _validate(amount, term_months, purpose, guarantee, urgency)
    need.amount, need.term_months, need.purpose, need.guarantee = amount, term_months, purpose.strip(), guarantee
    need.urgency = urgency
    db.session.commit()
    return need


def close_need(need: FinancingNeed, enterprise_id: int, user_id: int | None = None) -> FinancingNeed:
    if need.enterprise_id != enterprise_id:
        raise RuleViolation("只能关闭本企业的融资需求。")
    return workflow.transition(need, "close", subject="融资需求", label="关闭", apply=lambda n: ("closed", {}),
                               actor_id=user_id)
