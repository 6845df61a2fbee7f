"""Erasure and data export of outcome reports, waivers and follow-up surveys.

The figures stay (they are the programme's statistics); the free text loses the person's
identifiers, and what the person wrote themself is replaced whole.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.privacy.scrub import scrubber_for
from diaspora.professionals.models import Professional

from ..core.models import Mission
from ..core.privacy import missions_touching
from .models import FollowUp, OutcomeReport, ReportWaiver
from .schemas import FollowUpSchema, OutcomeReportSchema

REPORT_TEXTS = ("rating_comment", "barriers_note", "next_steps_note", "narrative")


def erase_outcomes(session, user: User, now: datetime) -> None:
    """Erasure hook (the caller commits)."""
    scrubber = scrubber_for(session, user)
    touching = missions_touching(user.id)
    reports = session.scalars(sa.select(OutcomeReport).where(sa.or_(
        OutcomeReport.mission_id.in_(touching), OutcomeReport.author_id == user.id))).all()
    scrubber.own([r for r in reports if r.author_id == user.id], *REPORT_TEXTS)
    scrubber.rows(reports, *REPORT_TEXTS)
    for report in reports:
        scrubber.rows(report.items, "title")
    waivers = session.scalars(sa.select(ReportWaiver).where(
        ReportWaiver.mission_id.in_(touching))).all()
    scrubber.own([w for w in waivers if w.waived_by_id == user.id], "reason")
    scrubber.rows(waivers, "reason")
    follow_ups = session.scalars(sa.select(FollowUp).where(sa.or_(
        FollowUp.mission_id.in_(touching), FollowUp.answered_by_id == user.id))).all()
    scrubber.own([f for f in follow_ups if f.answered_by_id == user.id], "note")
    scrubber.rows(follow_ups, "note")


def _missions_of(user: User) -> sa.Select:
    """The ids of the missions whose professional is ``user``."""
    return sa.select(Mission.id).join(Professional, Professional.id == Mission.professional_id) \
        .where(Professional.user_id == user.id)


def reports_of(session, user: User) -> tuple[str, list[dict]]:
    """Export section: the outcome reports of the person's missions and those they filed."""
    theirs = _missions_of(user)
    reports = session.scalars(sa.select(OutcomeReport).where(sa.or_(
        OutcomeReport.mission_id.in_(theirs), OutcomeReport.author_id == user.id))
        .order_by(OutcomeReport.mission_id, OutcomeReport.side)).all()
    return "outcome_reports", [{"mission_id": r.mission_id, "side": r.side,
                                "filed_by_you": r.author_id == user.id,
                                **OutcomeReportSchema().dump(r)} for r in reports]


def follow_ups_of(session, user: User) -> tuple[str, list[dict]]:
    """Export section: the follow-up surveys of the person's missions and those they answered."""
    theirs = _missions_of(user)
    surveys = session.scalars(sa.select(FollowUp).where(sa.or_(
        FollowUp.mission_id.in_(theirs), FollowUp.answered_by_id == user.id))
        .order_by(FollowUp.mission_id, FollowUp.months)).all()
    return "follow_ups", [{"mission_id": f.mission_id, **FollowUpSchema().dump(f)}
                          for f in surveys]
