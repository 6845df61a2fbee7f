"""A background job and the file it works on."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from ..vocabulary import JobStatus

ACTIVE = "status IN ('queued', 'running')"   # the jobs a key is unique among


class Job(db.Model):
    """One piece of background work of a ``kind`` (the name of its handler).

    ``params`` are the handler's arguments (JSON), ``input_data`` the uploaded file it reads,
    ``result`` what it answered (counts, the per-row problems); ``error`` says why it failed.
    ``heartbeat_at`` is refreshed with the progress: a running job whose worker stopped beating
    is queued again (``services.requeue_stale``), as every handler is idempotent. ``key`` names
    the work when asking twice must not start it twice (the plan of the same needs): at most one
    queued or running job holds a key (``services.enqueue_once``).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(f"status IN {JobStatus.codes()!r}", name="status"),
        sa.Index("ix_jobs_status_id", "status", "id"),
        sa.Index("uq_jobs_active_key", "key", unique=True,
                 postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    key: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(20), default=JobStatus.QUEUED)
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    input_name: Mapped[str | None] = mapped_column(sa.String(255))
    input_data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int | None]
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(sa.String(120))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)

    started_by = relationship("User")

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.status == JobStatus.DONE else None
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
