"""Placement offers, placements with their history, checklist and follow-ups; and the named
counterparts of missions and sessions.

No host health worker holds two overlapping placements: a placement in ``HOLDING`` keeps the
worker's days ``[starts_on, ends_on]``, and the database refuses a second such placement of the
same worker that overlaps it (PostgreSQL: exclusion constraint ``placements_no_overlap``; SQLite:
triggers), whatever writes the rows — see migration 0011. The services also lock the worker's
row first and answer 409 naming the clash (``booking``).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db

from .vocabulary import ChecklistItem as Item, OfferStatus, PlacementStatus

FOLLOW_UP_MONTHS = (6, 12, 24)


class PlacementOffer(db.Model):
    """Places a partner institution offers: specialty, cadre, dates, language, supervisor."""

    __tablename__ = "placement_offers"
    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period"),
        sa.CheckConstraint("capacity >= 1", name="capacity"),
        sa.CheckConstraint(f"status IN {OfferStatus.codes()!r}", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(
        sa.ForeignKey("partner_institutions.id", ondelete="RESTRICT"), index=True)
    partnership_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("partnerships.id", ondelete="SET NULL"), index=True)
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    specialty: Mapped[str | None] = mapped_column(sa.String(40))
    cadre: Mapped[str] = mapped_column(sa.String(4))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    language: Mapped[str] = mapped_column(sa.String(10))
    supervisor: Mapped[str | None] = mapped_column(sa.String(200))
    capacity: Mapped[int]
    service_months: Mapped[int] = mapped_column(default=24)   # return-and-service agreement
    status: Mapped[str] = mapped_column(sa.String(10), default=OfferStatus.OFFERED)
    # Bumped by each selection: serialises the count of places taken.
    places_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]

    partner = relationship("PartnerInstitution")
    partnership = relationship("Partnership")
    placements: Mapped[list[Placement]] = relationship(back_populates="offer",
                                                       order_by="Placement.id")

    @property
    def open(self) -> bool:
        """Places can still be taken (the partner has not withdrawn the offer)."""
        return self.status == OfferStatus.OFFERED


class Placement(db.Model):
    """One host health worker's training on one offer (see the module docstring)."""

    __tablename__ = "placements"
    __table_args__ = (
        sa.UniqueConstraint("offer_id", "worker_id", name="uq_placements_offer_worker"),
        sa.CheckConstraint("ends_on >= starts_on", name="period"),
        sa.CheckConstraint(f"status IN {PlacementStatus.codes()!r}", name="status"),
        sa.CheckConstraint("service_months >= 0", name="service_months"),
        sa.Index("ix_placements_worker_starts", "worker_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("placement_offers.id", ondelete="RESTRICT"),
                                          index=True)
    worker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("host_health_workers.id", ondelete="RESTRICT"))
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facilities.id", ondelete="RESTRICT"),
                                             index=True)   # the home facility
    status: Mapped[str] = mapped_column(sa.String(10), default=PlacementStatus.NOMINATED)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    service_months: Mapped[int]
    returned_on: Mapped[date | None]
    safeguards_flag: Mapped[bool] = mapped_column(default=False)
    nomination_note: Mapped[str | None] = mapped_column(sa.Text)
    report: Mapped[str | None] = mapped_column(sa.Text)       # what was learned, brought back
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    nominated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    offer: Mapped[PlacementOffer] = relationship(back_populates="placements")
    worker = relationship("HostHealthWorker")
    facility = relationship("Facility")
    events: Mapped[list[PlacementEvent]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by="PlacementEvent.id")
    checklist: Mapped[list[PlacementChecklistItem]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by="PlacementChecklistItem.id")
    follow_ups: Mapped[list[PlacementFollowUp]] = relationship(
        back_populates="placement", cascade="all, delete-orphan", order_by="PlacementFollowUp.months")


class PlacementEvent(db.Model):
    __tablename__ = "placement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placements.id", ondelete="CASCADE"),
                                              index=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(sa.String(40))
    from_status: Mapped[str | None] = mapped_column(sa.String(10))
    to_status: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.Text)

    placement: Mapped[Placement] = relationship(back_populates="events")


class PlacementChecklistItem(db.Model):
    __tablename__ = "placement_checklist"
    __table_args__ = (
        sa.UniqueConstraint("placement_id", "item", name="uq_placement_checklist_placement_item"),
        sa.CheckConstraint(f"item IN {Item.codes()!r}", name="item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placements.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(sa.String(20))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    placement: Mapped[Placement] = relationship(back_populates="checklist")


class PlacementFollowUp(db.Model):
    """The survey at +6, +12 or +24 months after return: back in post? what was introduced?
    how many colleagues trained in turn?"""

    __tablename__ = "placement_follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("placement_id", "months", name="uq_placement_follow_ups_placement_months"),
        sa.CheckConstraint(f"months IN {FOLLOW_UP_MONTHS!r}", name="months"),
        sa.CheckConstraint("colleagues_trained IS NULL OR colleagues_trained >= 0", name="counts"),
        sa.CheckConstraint("(answered_at IS NULL) = (in_post IS NULL)", name="answered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placements.id", ondelete="CASCADE"))
    months: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    in_post: Mapped[bool | None]
    colleagues_trained: Mapped[int | None]
    introduced: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)

    placement: Mapped[Placement] = relationship(back_populates="follow_ups")


class MissionCounterpart(db.Model):
    """A host health worker named as a counterpart/trainee of a mission."""

    __tablename__ = "mission_counterparts"

    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"),
                                            primary_key=True)
    worker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("host_health_workers.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime]
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    mission = relationship("Mission")
    worker = relationship("HostHealthWorker")


class SessionTrainee(db.Model):
    """A host health worker who attended a session, by name (where the facility chooses)."""

    __tablename__ = "session_trainees"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("mission_sessions.id", ondelete="CASCADE"), primary_key=True)
    worker_id: Mapped[int] = mapped_column(
        sa.ForeignKey("host_health_workers.id", ondelete="CASCADE"), primary_key=True, index=True)
    recorded_at: Mapped[datetime]

    session = relationship("MissionSession")
    worker = relationship("HostHealthWorker")
