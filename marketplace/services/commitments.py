"""信用承诺 archive: every commitment of the four types (审批替代型, 主动承诺型, 信用修复型, 行业自律型) — what,
signed when, by whom, for what — and broken commitments, recorded by staff with evidence, which then
count against the firm as negative records (失信记录) on its pages and in the repair rules."""
from datetime import date, datetime

from sqlalchemy import select

from .. import codes
from ..clock import SHANGHAI, add_months, parse_month, today
from ..extensions import db
from ..limits import TEXT
from ..models import CreditCommitment, Enterprise, User
from . import RuleViolation, audit, notifications, scoring

EVIDENCE_MAX = TEXT["evidence"]  # credit_commitments.broken_evidence: column, form and check
PAGE = 500


def archive(*, kind: str | None = None, uscc: str | None = None, month: str | None = None, limit: int | None = PAGE):
    """(commitment, firm, signer username) rows, newest first, filtered by type, USCC and month signed."""
    stmt = (select(CreditCommitment, Enterprise, User.username)
            .join(Enterprise, Enterprise.id == CreditCommitment.enterprise_id)
            .outerjoin(User, User.id == CreditCommitment.signed_by)
            .order_by(CreditCommitment.signed_at.desc(), CreditCommitment.id.desc()))
    if kind:
        if kind not in codes.COMMITMENT_TYPES:
            raise RuleViolation("请选择承诺类型。", "kind")
        stmt = stmt.where(CreditCommitment.kind == kind)
    if uscc:
        stmt = stmt.where(Enterprise.uscc == uscc.strip().upper()[:18])
    if month:
        try:
            first = parse_month(month)
            nxt = add_months(first, 1)
        except ValueError:
            raise RuleViolation("月份格式应为 2026-11。", "month") from None
        start = datetime.combine(first, datetime.min.time(), SHANGHAI)
        end = datetime.combine(nxt, datetime.min.time(), SHANGHAI)
        stmt = stmt.where(CreditCommitment.signed_at >= start, CreditCommitment.signed_at < end)
    if limit:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).all()


def rows(records) -> list[dict]:
    return [{"id": c.id, "uscc": f.uscc, "name": f.name, "kind": codes.COMMITMENT_TYPES.get(c.kind, c.kind),
             "purpose": c.purpose, "signed_at": c.signed_at, "signed_by": username or "",
             "broken_on": c.broken_on, "text": c.text} for c, f, username in records]


def record_broken(commitment: CreditCommitment, *, on: date, evidence: str, actor_id: int | None) -> CreditCommitment:
    """失信: the firm broke this commitment — recorded once, with evidence; it counts as a negative record."""
    if commitment.broken_on is not None:
        raise RuleViolation("该承诺已记录为未履行。")
    evidence = (evidence or "").strip()
    if not 0 < len(evidence) <= EVIDENCE_MAX:
        raise RuleViolation(f"请填写未履行承诺的事实及证据（最多{EVIDENCE_MAX}个字符）。", "evidence")
    if not isinstance(on, date) or on > today() or on < commitment.signed_at.astimezone(SHANGHAI).date():
        raise RuleViolation("违诺日期应在签署日期与今天之间。", "on")
    commitment.broken_on, commitment.broken_evidence, commitment.broken_recorded_by = on, evidence, actor_id
    audit.record(actor_id, "commitment.broken", commitment, on=on, evidence=evidence)
    notifications.to_enterprise(commitment.enterprise_id, "信用承诺未履行记录",
                                f"您于 {commitment.signed_at.astimezone(SHANGHAI):%Y-%m-%d} 签署的"
                                f"{codes.COMMITMENT_TYPES.get(commitment.kind, '')}承诺经核实未履行（{on}），"
                                f"已记入本企业失信记录。如有异议可提出异议。")
    db.session.commit()
    scoring.rescore_enterprises([commitment.enterprise_id])  # a risk feature (negative records) changed
    return commitment


def broken_of(enterprise_id: int) -> list[CreditCommitment]:
    """The firm's broken commitments: negative records shown wherever its records are."""
    return db.session.scalars(select(CreditCommitment).where(CreditCommitment.enterprise_id == enterprise_id,
                                                             CreditCommitment.broken_on.is_not(None))
                              .order_by(CreditCommitment.broken_on.desc())).all()


def of_enterprise(enterprise_id: int) -> list[CreditCommitment]:
    return db.session.scalars(select(CreditCommitment).where(CreditCommitment.enterprise_id == enterprise_id)
                              .order_by(CreditCommitment.signed_at.desc())).all()
