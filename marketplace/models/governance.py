"""Governance records of the commission: the audit log and the denominators staff enter (GDP, enterprises)."""
from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


class AuditLog(db.Model):
    """审计日志: who changed what, when — one row per change of a governed record."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: system / CLI
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    actor = relationship("User")


class CityFigure(db.Model):
    """A denominator entered by staff (分母): city GDP per year or quarter (yuan), or the number of
    enterprises registered in the city per month (在册企业数)."""

    __tablename__ = "city_figures"
    __table_args__ = (
        UniqueConstraint("kind", "period_kind", "period_start", name="uq_city_figures_period"),
        CheckConstraint("kind IN ('gdp', 'registered_enterprises')", name="kind"),
        CheckConstraint("period_kind IN ('year', 'quarter', 'month')", name="period_kind"),
        CheckConstraint("value > 0", name="value_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    period_kind: Mapped[str] = mapped_column(String(8))
    period_start: Mapped[date] = mapped_column(Date)  # first day of the year / quarter / month
    value: Mapped[int] = mapped_column(db.BigInteger)  # yuan for GDP, a count for enterprises
    source: Mapped[str] = mapped_column(String(128), default="")  # e.g. 市统计局《统计月报》
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
