"""后台任务: one row per background job (imports, re-scoring, report packs, sharing batches) — who started
it, its state, counts, the error with what to do, and where its result is. Live progress (done/total/phase)
lives in the job queue's own store (services/jobs.py) so a long write transaction never blocks it."""
from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import codes
from ..extensions import db
from .base import UTCDateTime, one_of, utcnow


class Job(db.Model):
    __tablename__ = "jobs"
    __table_args__ = (one_of("state", codes.JOB_STATES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # codes.JOB_KINDS
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # codes.JOB_STATES
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    counts: Mapped[dict] = mapped_column(JSON, default=dict)  # {"rows": n, "rescored": n, …}
    error: Mapped[str | None] = mapped_column(Text)  # what went wrong and what to do, in Chinese
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # {"file": name, "url": …, "label": …}
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    started_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)

    creator = relationship("User")
