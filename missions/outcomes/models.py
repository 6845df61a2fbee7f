"""Outcome reports, their trainee and item rows, waivers, and follow-up surveys."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db

# Who files a report: the mission's professional, or the host facility (its coordinator).
SIDES = ("professional", "host")
# What a mission left behind, one row each (counted in the dashboards).
ITEM_KINDS = ("protocol", "guideline", "curriculum", "equipment_installed", "equipment_repaired")
BARRIERS = ("language", "equipment", "supplies", "staffing", "time", "connectivity",
            "accommodation", "administration", "security", "other")
NEXT_STEPS = ("follow_up_mission", "virtual_mentoring", "training_abroad", "none")
FOLLOW_UP_MONTHS = (3, 6, 12)


class OutcomeReport(db.Model):
    """One side's account of a mission. The host's figures count in the dashboards; the
    professional's stand in while the host's report is missing (see dashboards.indicators)."""

    __tablename__ = "outcome_reports"
    __table_args__ = (
        sa.UniqueConstraint("mission_id", "side", name="uq_outcome_reports_mission_side"),
        sa.CheckConstraint(f"side IN {SIDES!r}", name="side"),
        sa.CheckConstraint("trained_total >= 0 AND sessions_held >= 0 AND hours >= 0",
                           name="counts"),
        sa.CheckConstraint("(patients_seen IS NULL OR patients_seen >= 0) AND "
                           "(procedures_done IS NULL OR procedures_done >= 0)", name="clinical"),
        sa.CheckConstraint("(pre_score IS NULL) = (post_score IS NULL) AND "
                           "(pre_score IS NULL OR (pre_score BETWEEN 0 AND 100 AND "
                           "post_score BETWEEN 0 AND 100 AND tested_count >= 1))", name="scores"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(sa.String(12))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    filed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    trained_total: Mapped[int]
    sessions_held: Mapped[int]
    hours: Mapped[float]
    patients_seen: Mapped[int | None]       # in-person missions only
    procedures_done: Mapped[int | None]     # in-person missions only
    tested_count: Mapped[int | None]        # trainees who sat the pre/post test
    pre_score: Mapped[float | None]         # mean score before, percent
    post_score: Mapped[float | None]        # mean score after, percent
    # The professional rates the placement; the host rates the professional's contribution.
    rating: Mapped[int | None]              # None only in reports imported without one
    rating_comment: Mapped[str | None] = mapped_column(sa.Text)
    barriers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    barriers_note: Mapped[str | None] = mapped_column(sa.Text)
    next_steps: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    next_steps_note: Mapped[str | None] = mapped_column(sa.Text)
    narrative: Mapped[str | None] = mapped_column(sa.Text)

    mission = relationship("Mission")
    author = relationship("User")
    trainees: Mapped[list[OutcomeTrainee]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="OutcomeTrainee.id")
    items: Mapped[list[OutcomeItem]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="OutcomeItem.id")

    @property
    def score_gain(self) -> float | None:
        if self.pre_score is None or self.post_score is None:
            return None
        return self.post_score - self.pre_score


class OutcomeTrainee(db.Model):
    """How many people of one cadre and gender a mission trained."""

    __tablename__ = "outcome_trainees"
    __table_args__ = (
        sa.UniqueConstraint("report_id", "cadre", "gender",
                            name="uq_outcome_trainees_report_cadre_gender"),
        sa.CheckConstraint("count >= 1", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_reports.id", ondelete="CASCADE"), index=True)
    cadre: Mapped[str] = mapped_column(sa.String(4))      # ISCO-08, as reference.CADRES
    gender: Mapped[str] = mapped_column(sa.String(12))    # as professionals.GENDERS
    count: Mapped[int]

    report: Mapped[OutcomeReport] = relationship(back_populates="trainees")


class OutcomeItem(db.Model):
    """A protocol, guideline or curriculum introduced, or equipment installed or repaired."""

    __tablename__ = "outcome_items"
    __table_args__ = (sa.CheckConstraint(f"kind IN {ITEM_KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("outcome_reports.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))

    report: Mapped[OutcomeReport] = relationship(back_populates="items")


class ReportWaiver(db.Model):
    """A manager's decision that one side's report will not come, with the reason."""

    __tablename__ = "report_waivers"
    __table_args__ = (
        sa.UniqueConstraint("mission_id", "side", name="uq_report_waivers_mission_side"),
        sa.CheckConstraint(f"side IN {SIDES!r}", name="side"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    side: Mapped[str] = mapped_column(sa.String(12))
    reason: Mapped[str] = mapped_column(sa.Text)
    waived_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    waived_at: Mapped[datetime]

    waived_by = relationship("User")


class FollowUp(db.Model):
    """The survey of a mission at +3, +6 or +12 months: does what was taught last?"""

    __tablename__ = "follow_ups"
    __table_args__ = (
        sa.UniqueConstraint("mission_id", "months", name="uq_follow_ups_mission_months"),
        sa.CheckConstraint(f"months IN {FOLLOW_UP_MONTHS!r}", name="months"),
        sa.CheckConstraint("(counterparts_in_post IS NULL OR counterparts_in_post >= 0) AND "
                           "(trainees_cascaded IS NULL OR trainees_cascaded >= 0)", name="counts"),
        sa.CheckConstraint("(answered_at IS NULL) = (practice_in_use IS NULL)", name="answered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    months: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    practice_in_use: Mapped[bool | None]
    counterparts_in_post: Mapped[int | None]
    trainees_cascaded: Mapped[int | None]       # further people trained by those trained
    note: Mapped[str | None] = mapped_column(sa.Text)

    mission = relationship("Mission")
    answered_by = relationship("User")
