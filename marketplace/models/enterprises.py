"""Enterprises registered on the platform (入驻企业)."""
from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, Yuan, utcnow


class Enterprise(db.Model):
    """A firm registered on the platform, keyed by its 统一社会信用代码 (USCC, stored upper-case)."""

    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # GB/T 2260
    industry: Mapped[str] = mapped_column(String(1), index=True)  # GB/T 4754-2017 section
    size: Mapped[str] = mapped_column(String(8), index=True)  # large / medium / small / micro
    registered_capital: Mapped[int | None] = mapped_column(Yuan)  # 注册资本, yuan
    established_on: Mapped[date | None] = mapped_column(Date)
    legal_representative: Mapped[str | None] = mapped_column(String(64))
    operating_status: Mapped[str] = mapped_column(String(16), default="active")
    registered_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)  # 入驻时间

    def years_in_operation(self, on: date) -> float | None:
        if not self.established_on:
            return None
        return (on - self.established_on).days / 365.25
