"""Missions, their history and readiness checklist, virtual sessions, and bookings.

A *booking* is the time a mission takes from a professional: one row for a physical mission
(its whole span) and one per session for a virtual mission. Two rules hold whatever writes the
rows, because the database checks them (migrations 0002 and 0006):

- active bookings of one professional never overlap (PostgreSQL exclusion constraint, SQLite
  trigger);
- a mission's active bookings match its status (checked at commit): a mission in ``HOLDING``
  has exactly one active booking per span it takes — a physical mission one for its whole span,
  a virtual mission one for each session not cancelled, same professional, same instants — and
  a mission in any other status (declined, cancelled, postponed) has none.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db
from diaspora.professionals.models import GENDERS
from diaspora.vocabulary import KINDS, Mode

from .vocabulary import HOLDING, MissionStatus, SessionStatus

CHECKLIST = ("orientation", "insurance", "licence_verified", "terms_agreed", "travel_booked",
             "ict_tested", "counterpart_assigned")


class Engagement(db.Model):
    """A circular engagement: the chain of missions of one professional to one host facility."""

    __tablename__ = "engagements"
    __table_args__ = (sa.UniqueConstraint("professional_id", "facility_id",
                                          name="uq_engagements_professional_facility"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"))
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="CASCADE"),
                                             index=True)
    created_at: Mapped[datetime]

    missions: Mapped[list[Mission]] = relationship(back_populates="engagement",
                                                   order_by="[Mission.starts_at, Mission.id]")


class Mission(db.Model):
    __tablename__ = "missions"
    __table_args__ = (
        sa.CheckConstraint(f"kind IN {Mode.codes(KINDS)!r}", name="kind"),
        sa.CheckConstraint(f"status IN {MissionStatus.codes()!r}", name="status"),
        sa.CheckConstraint("ends_at > starts_at", name="span"),
        sa.CheckConstraint("cycle >= 1", name="cycle"),
        sa.Index("ix_missions_status_starts", "status", "starts_at"),
        sa.Index("ix_missions_professional_starts", "professional_id", "starts_at"),
        sa.Index("ix_missions_status_ends", "status", "ends_at"),    # reports and follow-ups due
        sa.Index("ix_missions_updated", "updated_at"),               # changed since a scheduler run
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="RESTRICT"), index=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="RESTRICT"))
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="RESTRICT"),
                                             index=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="RESTRICT"), index=True)
    # The visit's number in its circular engagement, by date (see missions.core.engagements).
    cycle: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), default=MissionStatus.PROPOSED)
    # The span in UTC; ``timezone`` is the host facility's zone, in which dates are shown.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    # Virtual missions: the session series (RFC 5545 recurrence) and the zone whose wall-clock
    # time it keeps: the host's by default, or the professional's (see booking.schedule).
    rrule: Mapped[str | None] = mapped_column(sa.String(400))
    series_timezone: Mapped[str | None] = mapped_column(sa.String(64))
    session_start: Mapped[time | None]
    session_minutes: Mapped[int | None]
    exdates: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    join_url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str | None] = mapped_column(sa.Text)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)  # last decline/cancel/postpone reason
    cost_amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    cost_currency: Mapped[str | None] = mapped_column(sa.String(3))
    proposed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime]
    responded_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    # Set by the scheduler when the mission is still waiting for its outcome report a week
    # after the end (see missions.scheduler.automation).
    report_overdue_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    need = relationship("Need")
    professional = relationship("Professional")
    facility = relationship("Facility")
    engagement: Mapped[Engagement] = relationship(back_populates="missions")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    events: Mapped[list[MissionEvent]] = relationship(
        back_populates="mission", cascade="all, delete-orphan", order_by="MissionEvent.id")
    checklist: Mapped[list[ChecklistItem]] = relationship(
        back_populates="mission", cascade="all, delete-orphan", order_by="ChecklistItem.id")
    sessions: Mapped[list[MissionSession]] = relationship(
        back_populates="mission", cascade="all, delete-orphan", order_by="MissionSession.starts_at")
    bookings: Mapped[list[Booking]] = relationship(
        back_populates="mission", cascade="all, delete-orphan")

    @property
    def in_chain(self) -> bool:
        """A visit that took place or will: counted in its circular engagement."""
        return self.status in HOLDING

    @property
    def starts_on(self) -> date:
        """First day, in the host zone."""
        from zoneinfo import ZoneInfo

        return self.starts_at.astimezone(ZoneInfo(self.timezone)).date()

    @property
    def ends_on(self) -> date:
        """Last day, in the host zone (``ends_at`` is exclusive)."""
        from datetime import timedelta
        from zoneinfo import ZoneInfo

        return (self.ends_at - timedelta(microseconds=1)).astimezone(ZoneInfo(self.timezone)).date()

    def __repr__(self) -> str:
        return f"<Mission {self.id} {self.kind} {self.status}>"


class MissionEvent(db.Model):
    """History: who moved the mission from which status to which, when and why."""

    __tablename__ = "mission_events"
    __table_args__ = (
        sa.Index("ix_mission_events_status_at", "to_status", "at"),   # proposals waiting
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"),
                                            index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(40))   # a role, or "scheduler"
    from_status: Mapped[str | None] = mapped_column(sa.String(12))
    to_status: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    mission: Mapped[Mission] = relationship(back_populates="events")
    actor = relationship("User")


class ChecklistItem(db.Model):
    """One readiness item of a mission; ``done_at`` set when ticked."""

    __tablename__ = "mission_checklist"
    __table_args__ = (
        sa.UniqueConstraint("mission_id", "item", name="uq_mission_checklist_mission_item"),
        sa.CheckConstraint(f"item IN {CHECKLIST!r}", name="item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(30))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.String(300))

    mission: Mapped[Mission] = relationship(back_populates="checklist")
    done_by = relationship("User")


class MissionSession(db.Model):
    """One teaching or teleconsultation session of a virtual mission, in UTC.

    ``status`` goes from ``scheduled`` to ``held`` (attendance recorded) or ``cancelled``
    (its booking released); who changed it is in the audit log.
    """

    __tablename__ = "mission_sessions"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="span"),
        sa.CheckConstraint(f"status IN {SessionStatus.codes()!r}", name="status"),
        sa.UniqueConstraint("mission_id", "sequence", name="uq_mission_sessions_mission_sequence"),
        sa.Index("ix_mission_sessions_starts", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    sequence: Mapped[int]
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(sa.String(64))   # the zone the series follows
    topic: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10), default=SessionStatus.SCHEDULED)
    status_reason: Mapped[str | None] = mapped_column(sa.String(300))
    status_changed_at: Mapped[datetime | None]

    mission: Mapped[Mission] = relationship(back_populates="sessions")
    attendance: Mapped[list[SessionAttendance]] = relationship(
        back_populates="session", cascade="all, delete-orphan",
        order_by="SessionAttendance.id")

    @property
    def attendees(self) -> int:
        return sum(row.count for row in self.attendance)


class SessionAttendance(db.Model):
    """How many local counterparts of one cadre (ISCO-08) and gender attended a session."""

    __tablename__ = "session_attendance"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "cadre", "gender",
                            name="uq_session_attendance_session_cadre_gender"),
        sa.CheckConstraint(f"gender IN {GENDERS!r}", name="gender"),
        sa.CheckConstraint("count > 0", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mission_sessions.id", ondelete="CASCADE"), index=True)
    cadre: Mapped[str] = mapped_column(sa.String(4))
    gender: Mapped[str] = mapped_column(sa.String(12))
    count: Mapped[int]

    session: Mapped[MissionSession] = relationship(back_populates="attendance")


class Booking(db.Model):
    """Time held by a mission (physical) or a session (virtual). See the module docstring."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="span"),
        sa.Index("ix_bookings_professional_span", "professional_id", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(
        sa.ForeignKey("professionals.id", ondelete="CASCADE"))
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"),
                                            index=True)
    session_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("mission_sessions.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)

    mission: Mapped[Mission] = relationship(back_populates="bookings")


class BookingFault(db.Model):
    """SQLite's commit-time check that a mission's bookings match its status (see the module
    docstring): triggers keep here the missions that break the rule after each write, and
    ``unresolved`` — always 0, a key no row has — is a *deferred* foreign key, so COMMIT fails
    while any row is left. SQLite has no deferred triggers; a mission passes through such states
    within a transaction (it is written before its bookings). PostgreSQL checks with deferred
    constraint triggers instead and leaves this table empty.
    """

    __tablename__ = "booking_faults"

    mission_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    unresolved: Mapped[int] = mapped_column(
        sa.ForeignKey("booking_faults.mission_id", deferrable=True, initially="DEFERRED"),
        default=0, server_default="0")
