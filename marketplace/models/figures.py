"""The closed-period figure cache (services/figure_cache): cached figures, the writers' generation counter and
the log of what each write invalidated."""
from datetime import date

from sqlalchemy import BigInteger, Date, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow


class FigureCacheEntry(db.Model):
    """One page's figures for one closed period, as computed at `computed_at` (pickled by services/figure_cache,
    which alone writes and reads it)."""

    __tablename__ = "figure_cache"
    __table_args__ = (UniqueConstraint("key", "month", "scope", "code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(16))  # what was computed: figures, flows, analysis
    month: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(16))
    period_end: Mapped[date] = mapped_column(Date, index=True)  # the last day whose data the figures read
    code_version: Mapped[str] = mapped_column(String(16))  # the computing code's fingerprint
    computed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class FigureGeneration(db.Model):
    """One row (id 1): bumped, under its row lock, by every transaction that writes figure inputs."""

    __tablename__ = "figure_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)


class FigureInvalidation(db.Model):
    """What the write of one generation invalidated: periods ending on or after `dirty_from` (NULL: all)."""

    __tablename__ = "figure_invalidations"

    generation: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    dirty_from: Mapped[date | None] = mapped_column(Date)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
