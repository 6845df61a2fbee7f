"""A facility's need for expertise, its local counterparts and its status history."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..vocabulary import Mode, NeedStatus, Purpose

PRIORITIES = (1, 2, 3, 4)  # 1 critical, 2 high, 3 medium, 4 low


class Need(db.Model):
    __tablename__ = "needs"
    __table_args__ = (
        sa.CheckConstraint(f"purpose IN {Purpose.codes()!r}", name="purpose"),
        sa.CheckConstraint(f"mode IN {Mode.codes()!r}", name="mode"),
        sa.CheckConstraint(f"status IN {NeedStatus.codes()!r}", name="status"),
        sa.CheckConstraint("priority BETWEEN 1 AND 4", name="priority"),
        sa.CheckConstraint("latest_end >= earliest_start", name="window"),
        sa.CheckConstraint("duration_days IS NULL OR duration_days > 0", name="duration"),
        sa.CheckConstraint("sessions_per_week IS NULL OR sessions_per_week BETWEEN 1 AND 14",
                           name="sessions_per_week"),
        sa.CheckConstraint("weeks IS NULL OR weeks BETWEEN 1 AND 104", name="weeks"),
        sa.Index("ix_needs_status_start", "status", "earliest_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="RESTRICT"),
                                             index=True)
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    cadre: Mapped[str] = mapped_column(sa.String(4))                 # ISCO-08
    specialty: Mapped[str | None] = mapped_column(sa.String(40))     # reference.SPECIALTIES
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    purpose: Mapped[str] = mapped_column(sa.String(30))
    mode: Mapped[str] = mapped_column(sa.String(10))
    earliest_start: Mapped[date]
    latest_end: Mapped[date]
    duration_days: Mapped[int | None]        # physical work: days in country
    sessions_per_week: Mapped[int | None]    # virtual work
    weeks: Mapped[int | None]                # virtual work
    session_hours: Mapped[float | None]      # virtual work: length of one session
    priority: Mapped[int] = mapped_column(default=3)
    status: Mapped[str] = mapped_column(sa.String(12), default=NeedStatus.DRAFT)
    return_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    facility = relationship("Facility")
    programme = relationship("Programme")
    created_by = relationship("User", foreign_keys=[created_by_id])
    counterparts: Mapped[list[NeedCounterpart]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedCounterpart.id")
    events: Mapped[list[NeedEvent]] = relationship(
        back_populates="need", cascade="all, delete-orphan", order_by="NeedEvent.at")

    @property
    def weekly_hours(self) -> float | None:
        if self.sessions_per_week and self.session_hours:
            return self.sessions_per_week * self.session_hours
        return None

    def __repr__(self) -> str:
        return f"<Need {self.id} {self.status}>"


class NeedCounterpart(db.Model):
    """A local health worker who will be trained or mentored (the transfer component)."""

    __tablename__ = "need_counterparts"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    cadre: Mapped[str | None] = mapped_column(sa.String(4))
    role: Mapped[str | None] = mapped_column(sa.String(120))

    need: Mapped[Need] = relationship(back_populates="counterparts")


class NeedEvent(db.Model):
    """One status change of a need: who, when, from, to, why."""

    __tablename__ = "need_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str | None] = mapped_column(sa.String(40))
    from_status: Mapped[str | None] = mapped_column(sa.String(12))
    to_status: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    need: Mapped[Need] = relationship(back_populates="events")
    actor = relationship("User")
