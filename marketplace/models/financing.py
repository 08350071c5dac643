"""Financing needs (融资需求) published by enterprises."""
from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, Yuan, utcnow


class FinancingNeed(db.Model):
    """What a firm wants to borrow: amount (yuan), term (months), purpose and the guarantee it offers."""

    __tablename__ = "financing_needs"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("term_months > 0", name="term_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    amount: Mapped[int] = mapped_column(Yuan)
    term_months: Mapped[int]
    purpose: Mapped[str] = mapped_column(Text)
    guarantee: Mapped[str] = mapped_column(String(16), default="credit")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    enterprise = relationship("Enterprise")
