"""Credit scores of enterprises (企业信用评分), written by the risk engine, read through services/credit.py."""
from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


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
