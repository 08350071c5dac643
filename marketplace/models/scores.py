"""Credit scores of enterprises (企业信用评分), written by the risk engine, read through services/credit.py."""
from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, event, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from .. import codes
from ..extensions import db
from ..limits import TEXT
from .base import IN_CHUNK, UTCDateTime, one_of, utcnow


class EnterpriseScore(db.Model):
    """One scoring of one firm by one model version: PD, score, grade (AAA…C) and the reasons in Chinese.

    The latest row (as_of, then id) is the firm's current grade; older rows stay for the history.
    `reasons` is a list of Chinese strings, or of {"text": …, "feature": …, "contribution": …}.
    """

    __tablename__ = "enterprise_scores"
    __table_args__ = (Index("ix_enterprise_scores_enterprise_as_of", "enterprise_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    model_version: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[date] = mapped_column(Date)
    pd: Mapped[Decimal] = mapped_column(Numeric(8, 6))  # 12-month probability of default, 0–1
    score: Mapped[int]
    grade: Mapped[str] = mapped_column(String(4))  # codes.GRADES
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CurrentScore(db.Model):
    """Which score row is each firm's current one (its latest by as_of, then id): one row per scored firm,
    kept by services/credit.refresh_current whenever scores are written, so the pages that read every firm's
    grade (需求撮合, the matcher, the decision history) join this small table instead of ranking every score
    row ever written."""

    __tablename__ = "enterprise_current_scores"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("enterprise_scores.id"), unique=True)

    @staticmethod
    def refresh(conn, enterprise_ids=None) -> None:
        """Point these firms (every scored firm when None) at their latest score row, in the caller's
        transaction: the one definition of "latest" (as_of, then id), applied when scores are written."""
        scores, current = EnterpriseScore.__table__, CurrentScore.__table__
        ids = None if enterprise_ids is None else sorted({int(i) for i in enterprise_ids})
        for part in [None] if ids is None else [ids[i:i + IN_CHUNK] for i in range(0, len(ids), IN_CHUNK)]:
            ranked = select(scores.c.enterprise_id, scores.c.id, func.row_number().over(
                partition_by=scores.c.enterprise_id, order_by=(scores.c.as_of.desc(), scores.c.id.desc())).label("rn"))
            clear = current.delete()
            if part is not None:
                ranked = ranked.where(scores.c.enterprise_id.in_(part))
                clear = clear.where(current.c.enterprise_id.in_(part))
            ranked = ranked.subquery()
            conn.execute(clear)
            conn.execute(current.insert().from_select(["enterprise_id", "score_id"], select(
                ranked.c.enterprise_id, ranked.c.id).where(ranked.c.rn == 1)))


@event.listens_for(EnterpriseScore, "after_insert")
def _current_after_orm_insert(mapper, connection, target) -> None:
    """A score added one at a time through the ORM becomes current like a bulk-written one."""
    CurrentScore.refresh(connection, [target.enterprise_id])


ONE_SIGNED = "status = 'signed'"


class ModelActivation(db.Model):
    """模型启用签批: staff sign a saved model version into use with a reason; the city is re-scored with it and
    it becomes the active model (signed → activated), or the re-score fails and the previous one stays (signed
    → failed) — each step through services/workflow (lock, audit). One activation at a time: a partial unique
    index allows a single signed row, so two sign-offs racing each other cannot both start."""

    __tablename__ = "model_activations"
    __table_args__ = (one_of("status", codes.MODEL_ACTIVATION_STATUSES),
                      Index("uq_model_activations_one_signed", "status", unique=True,
                            sqlite_where=text(ONE_SIGNED), postgresql_where=text(ONE_SIGNED)))

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version: Mapped[str] = mapped_column(String(64))
    previous_version: Mapped[str | None] = mapped_column(String(64))  # active when it was signed
    reason: Mapped[str] = mapped_column(String(TEXT["signoff"]))
    status: Mapped[str] = mapped_column(String(16))  # codes.MODEL_ACTIVATION_STATUSES
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at = mapped_column(UTCDateTime)
