"""Certificates of service and CPD statements, and the documents attached to a mission."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.documents.models import Document
from diaspora.extensions import db

from ..core.models import Mission

KINDS = ("service", "cpd")   # a certificate of service (in person), a CPD statement (online)


class Certificate(db.Model):
    """What a certificate states, fixed when it is issued (the PDF is drawn from this row).

    ``code`` is what a third party types on the public verification page: random, 16
    characters of Crockford's base 32 (80 bits), so codes cannot be guessed or enumerated."""

    __tablename__ = "certificates"
    __table_args__ = (sa.CheckConstraint(f"kind IN {KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"),
                                            unique=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    programme_name: Mapped[str | None] = mapped_column(sa.String(200))
    facility_name: Mapped[str] = mapped_column(sa.String(255))
    country: Mapped[str] = mapped_column(sa.String(2))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hours: Mapped[float | None]
    sessions: Mapped[int | None]
    people_trained: Mapped[int | None]
    issued_at: Mapped[datetime]

    mission: Mapped[Mission] = relationship()


class AttendanceCertificate(db.Model):
    """A host health worker's certificate of attendance at a mission's training: the sessions
    of an online series they attended by name, or a mission in person they were a named
    counterpart of. Fixed when issued, like ``Certificate``; its ``code`` checks on the same
    public page. ``trainer_name`` (the professional) is printed, never shown by the check."""

    __tablename__ = "attendance_certificates"
    __table_args__ = (sa.UniqueConstraint("mission_id", "worker_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("host_health_workers.id", ondelete="CASCADE"), index=True)
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    programme_name: Mapped[str | None] = mapped_column(sa.String(200))
    facility_name: Mapped[str] = mapped_column(sa.String(255))
    country: Mapped[str] = mapped_column(sa.String(2))
    training: Mapped[str] = mapped_column(sa.String(200))      # the need's title
    trainer_name: Mapped[str | None] = mapped_column(sa.String(200))
    online: Mapped[bool]
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    hours: Mapped[float | None]
    sessions: Mapped[int | None]
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    kind = "attendance"
    mission: Mapped[Mission] = relationship()


class MissionDocument(db.Model):
    """A document of a mission: its terms, the invitation letter, receipts for costs. A
    receipt may be attached to the cost line it proves (``cost_line_id``); removing the line
    leaves the receipt with the mission."""

    __tablename__ = "mission_documents"

    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"),
                                             primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"),
                                            index=True)
    cost_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cost_lines.id", ondelete="SET NULL"), index=True)

    document: Mapped[Document] = relationship()
