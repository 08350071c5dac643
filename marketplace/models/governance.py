"""Who may see what: data authorizations (数据授权), the access log, API keys, in-app notifications (站内消息)."""
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow


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
