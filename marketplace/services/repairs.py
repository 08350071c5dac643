"""信用修复 (credit repair): a firm applies to repair a penalty once its minimum publication period has
passed, signing a 信用修复型 commitment and saying what proves the correction; staff approve or reject
within REPAIR_DECISION_WORKING_DAYS. An approved repair sets the penalty's repaired_on: from that day the
record stops counting in the features (risk.features), and the firm is re-scored at once.
Reviews still open past their due day are counted for indicator (三十四)."""
import calendar
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from .. import codes
from ..clock import local_date, now, today
from ..extensions import db
from ..limits import TEXT
from ..models import CreditCommitment, CreditRepair, Enterprise, Penalty
from . import RuleViolation, notifications, scoring, workflow
from .workdays import add_working_days

EVIDENCE_MAX = TEXT["evidence"]  # credit_repairs.evidence: the column, the form and the check below
REASON_MAX = TEXT["decision"]  # credit_repairs.reason

COMMITMENT_TEXT = (
    "本企业郑重承诺：已按行政处罚决定履行全部义务、纠正失信行为并消除不良影响；所提交的修复材料真实、"
    "准确、完整；今后依法诚信经营，如再次发生同类失信行为或承诺不实，自愿接受相关部门依法依规实施的"
    "失信惩戒，本次修复结果予以撤销并记入本企业信用记录。"
)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def min_publication_months(severity: str) -> int:
    return int(current_app.config["REPAIR_MIN_PUBLICATION_MONTHS"].get(severity, 0))


def repairable_from(penalty: Penalty) -> date:
    """The first day a repair may be applied for: the decision date plus the minimum publication period."""
    return add_months(penalty.decided_on, min_publication_months(penalty.severity))


def penalties_of(uscc: str) -> list[Penalty]:
    return db.session.scalars(select(Penalty).where(Penalty.uscc == uscc).order_by(Penalty.decided_on.desc())).all()


def _open_repair(penalty_id: int) -> CreditRepair | None:
    return db.session.scalar(select(CreditRepair).where(CreditRepair.penalty_id == penalty_id,
                                                        CreditRepair.status == "submitted"))


def apply(enterprise_id: int, *, penalty_id: int, evidence: str, commitment_accepted: bool,
          actor_id: int | None) -> CreditRepair:
    """The firm applies: the penalty must be its own, unrepaired, past its minimum publication period."""
    firm = db.session.get(Enterprise, enterprise_id)
    penalty = db.session.get(Penalty, penalty_id)
    if firm is None or penalty is None or penalty.uscc != firm.uscc:
        raise RuleViolation("请选择本企业的一条行政处罚记录。", "penalty_id")
    if penalty.repaired_on is not None:
        raise RuleViolation("该处罚记录已修复。", "penalty_id")
    if _open_repair(penalty.id):
        raise RuleViolation("该处罚记录已有待审核的修复申请。", "penalty_id")
    day = today()
    start = repairable_from(penalty)
    if day < start:
        raise RuleViolation(f"该处罚（{codes.PENALTY_SEVERITIES.get(penalty.severity, '')}）最短公示期为"
                            f"{min_publication_months(penalty.severity)}个月，{start} 起可申请修复。", "penalty_id")
    evidence = (evidence or "").strip()
    if not evidence:
        raise RuleViolation("请说明已纠正失信行为的情况及证明材料（如罚款缴纳凭证编号）。", "evidence")
    if len(evidence) > EVIDENCE_MAX:
        raise RuleViolation(f"证明材料说明最多{EVIDENCE_MAX}个字符。", "evidence")
    if not commitment_accepted:
        raise RuleViolation("申请信用修复须签署信用修复型承诺。", "commitment")
    commitment = CreditCommitment(enterprise_id=firm.id, kind="repair", text=COMMITMENT_TEXT, signed_by=actor_id,
                                  purpose=f"信用修复：行政处罚 {penalty.document_no}"[:128])
    repair = CreditRepair(enterprise_id=firm.id, penalty=penalty, commitment=commitment, evidence=evidence,
                          decision_due=add_working_days(day, decision_days()))
    db.session.add(commitment)
    return workflow.transition(
        repair, "submitted", subject="修复申请", label="提交", apply=lambda r: ("submitted", {"penalty_id": penalty.id}),
        actor_id=actor_id,
        notify=lambda r, *_: notifications.to_enterprise(
            firm.id, "信用修复申请已提交",
            f"行政处罚 {penalty.document_no} 的修复申请已提交，将在 {r.decision_due} 前作出决定。"))


def decision_days() -> int:
    return int(current_app.config["REPAIR_DECISION_WORKING_DAYS"])


def decide(repair: CreditRepair, *, approve: bool, reason: str, actor_id: int | None,
           expected_version: int | None = None) -> CreditRepair:
    """The one place a repair changes status: approve (the penalty is repaired today) or reject with a reason."""
    reason = (reason or "").strip()
    to_status = "approved" if approve else "rejected"

    def apply(r):
        if not approve and not reason:
            raise RuleViolation("不予修复须说明理由。", "reason")
        if len(reason) > REASON_MAX:
            raise RuleViolation(f"意见最多{REASON_MAX}个字符。", "reason")
        r.decided_at, r.decided_by, r.reason = now(), actor_id, reason or None
        if approve:
            r.penalty.repaired_on = local_date(r.decided_at)
        return to_status, {"penalty_id": r.penalty_id, "reason": reason, "late": is_late(r)}

    def notify(r, to, detail):
        doc = r.penalty.document_no
        text = (f"行政处罚 {doc} 已于 {r.penalty.repaired_on} 完成信用修复，自该日起不再计入信用评价，评分已重新计算。"
                if approve else f"行政处罚 {doc} 不予修复：{reason}")
        notifications.to_enterprise(r.enterprise_id, f"信用修复：{codes.REPAIR_STATUSES[to]}", text)

    workflow.transition(repair, to_status, subject="修复申请", label="再次处理",
                        allowed_from=("submitted",), statuses=codes.REPAIR_STATUSES, apply=apply, actor_id=actor_id,
                        expected_version=expected_version, notify=notify)
    if approve:
        scoring.rescore_enterprises([repair.enterprise_id])
    return repair


def is_late(repair: CreditRepair, on: date | None = None) -> bool:
    """Review overdue: still open after its due day, or decided after it."""
    if repair.decided_at is not None:
        return local_date(repair.decided_at) > repair.decision_due
    return (on or today()) > repair.decision_due


def overdue_reviews_count(on: date | None = None) -> int:
    """(三十四) repair reviews still open past their due day."""
    return int(db.session.scalar(select(func.count(CreditRepair.id)).where(
        CreditRepair.status == "submitted", CreditRepair.decision_due < (on or today()))))
