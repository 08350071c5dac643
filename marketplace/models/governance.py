"""Who may see what and who changed what: data authorizations (数据授权), the access log, API keys,
in-app notifications (站内消息), the audit log, and the denominators staff enter (GDP, enterprises)."""
from datetime import date

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..extensions import db
from ..limits import TEXT
from .base import UTCDateTime, one_of, utcnow


class DataAuthorization(db.Model):
    """数据授权: a firm lets one institution see its data, for some scopes, until a date; revocable.

    Valid on day d when not revoked and d <= valid_until. Nothing of a firm is shown to a bank without it.
    """

    __tablename__ = "data_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    scopes: Mapped[list] = mapped_column(JSON, default=list)  # codes.AUTHORIZATION_SCOPES keys
    valid_until: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    granted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime)

    enterprise = relationship("Enterprise")
    institution = relationship("Institution")

    def is_valid(self, on: date) -> bool:
        return self.revoked_at is None and on <= self.valid_until


class AccessLog(db.Model):
    """Every opening of a firm's data by an institution: who, for which institution, which firm, what, when."""

    __tablename__ = "access_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    what: Mapped[str] = mapped_column(String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    user = relationship("User")
    institution = relationship("Institution")


class ApiKey(db.Model):
    """An institution's key to /api/v1/. Only a SHA-256 of the key is stored; `prefix` finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)

    institution = relationship("Institution")


class Notification(db.Model):
    """站内消息 to a firm (all its users) or to an institution (all its officers)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    read_at = mapped_column(UTCDateTime)


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


class Objection(db.Model):
    """异议: a firm disputes one of its data records. Valid objections (upheld) and their handling time in
    working days feed indicators (三十五) and (三十六); the source verifies within 1 working day."""

    __tablename__ = "objections"
    __table_args__ = (
        one_of("status", codes.OBJECTION_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    record_source: Mapped[str] = mapped_column(String(32))  # tax_records, penalties, list_entries …
    record_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(24))  # codes.OBJECTION_KINDS
    description: Mapped[str] = mapped_column(String(TEXT["objection"]))
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    submitted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    resolved_at = mapped_column(UTCDateTime, index=True)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(TEXT["objection"]))

    enterprise = relationship("Enterprise")


class ShareBatch(db.Model):
    """指标十一: one batch of the feed to the national 信易贷 platform — needs, grants and disbursements
    not sent before in their current form. The file itself is kept so a batch can be sent again."""

    __tablename__ = "share_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[date] = mapped_column(Date, index=True)  # the month it covers up to (first day)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # {"financing_need": n, "credit_grant": n, …}
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # JSON Lines, one record a line
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    delivered_at = mapped_column(UTCDateTime)
    delivered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    creator = relationship("User", foreign_keys=[created_by])


class SharedRecord(db.Model):
    """Which version (content hash) of which record went out in which batch: a version is sent once."""

    __tablename__ = "shared_records"
    __table_args__ = (UniqueConstraint("record_type", "record_id", "content_hash", name="uq_shared_records_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("share_batches.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(24))
    record_id: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
