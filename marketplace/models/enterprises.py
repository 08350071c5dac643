"""Enterprises registered on the platform (入驻企业) and the checks of who they are (实名核验)."""
from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..extensions import db
from ..limits import TEXT
from .base import UTCDateTime, Yuan, one_of, utcnow


class Enterprise(db.Model):
    """A firm registered on the platform, keyed by its 统一社会信用代码 (USCC, stored upper-case)."""

    __tablename__ = "enterprises"
    __table_args__ = (
        one_of("identity_status", codes.IDENTITY_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # GB/T 2260
    industry: Mapped[str] = mapped_column(String(1), index=True)  # GB/T 4754-2017 section
    size: Mapped[str] = mapped_column(String(8), index=True)  # large / medium / small / micro
    registered_capital: Mapped[int | None] = mapped_column(Yuan)  # 注册资本, yuan
    established_on: Mapped[date | None] = mapped_column(Date)
    # 法定代表人 as declared at registration (the claim 实名核验 checks); who represents the firm is
    # identity.legal_representative (the registry's).
    legal_representative: Mapped[str | None] = mapped_column(String(64), index=True)  # joint punishment by name
    operating_status: Mapped[str] = mapped_column(String(16), default="active")
    registered_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)  # 入驻时间
    # 实名核验 (services/identity.py owns it): only a verified firm's account sees its data and acts in its name.
    identity_status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending",
                                                 index=True)

    @property
    def is_verified(self) -> bool:
        return self.identity_status == "verified"

    def years_in_operation(self, on: date) -> float | None:
        if not self.established_on:
            return None
        return (on - self.established_on).days / 365.25


class IdentityCheck(db.Model):
    """One 实名核验 of an account that registered as a firm: what was typed beside what the registry (or a
    stronger proof) said, the outcome, and — for a pending check — the staff decision with its reason."""

    __tablename__ = "identity_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    method: Mapped[str] = mapped_column(String(32), default="registry")  # identity.METHODS
    typed_name: Mapped[str] = mapped_column(String(128))
    typed_legal_representative: Mapped[str] = mapped_column(String(64))
    registry_name: Mapped[str | None] = mapped_column(String(128))
    registry_legal_representative: Mapped[str | None] = mapped_column(String(64))
    registry_region_code: Mapped[str | None] = mapped_column(String(6))
    mismatches: Mapped[list] = mapped_column(JSON, default=list)  # identity.MISMATCHES codes
    outcome: Mapped[str] = mapped_column(String(16))  # verified | pending
    decision: Mapped[str | None] = mapped_column(String(16))  # approved | refused (staff, pending checks only)
    decision_reason: Mapped[str | None] = mapped_column(String(TEXT["note"]))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at = mapped_column(UTCDateTime)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    enterprise = relationship("Enterprise")
    user = relationship("User", foreign_keys=[user_id])
    decider = relationship("User", foreign_keys=[decided_by])
