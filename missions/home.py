"""The missions' part of each person's to-do list (``diaspora.todo``).

Each source lists what the scheduler has reminded, or will remind, the person of, by the
reminder's own rules: the producers' selections and helpers (``notifications.producers``), their
recipients (``notifications.recipients``) and the outcomes' checks (``outcomes.services``). The
list shows an item from the moment it exists; the scheduler reminds of it at its stages (a
proposal after 3 and 7 days, a checklist 30, 14 and 7 days ahead, a report 7 days after the end,
a survey when due). ``tests/test_home.py`` runs the producers and compares.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask_babel import gettext as _, ngettext
from sqlalchemy.orm import selectinload

from diaspora import reference
from diaspora.auth.models import User
from diaspora.facilities.models import Facility, facility_coordinators
from diaspora.needs.models import Need
from diaspora.professionals.models import Licence, Professional
from diaspora.programmes import access as programmes
from diaspora.programmes.models import Programme
from diaspora.todo import Todo, add_source
from diaspora.vocabulary import MANAGERS, Role

from .core import lifecycle
from .core.models import Mission
from .core.vocabulary import CONFIRMED_AHEAD, DONE, PREPARING, MissionStatus
from .notifications import producers, recipients
from .outcomes import services as outcomes
from .outcomes.models import FollowUp
from .scheduler.automation import REPORT_OVERDUE_AFTER

# Coordinators see the missions at their facilities that start within this (the scheduler
# reminds them the day before).
STARTING_SOON = timedelta(days=7)


def _missions_of(user: User) -> sa.Select:
    """``SELECT missions`` that concern ``user``: their own (a professional), their facilities'
    (a coordinator), their programmes' (a manager; all for an admin)."""
    query = sa.select(Mission).order_by(Mission.starts_at, Mission.id).options(
        # what the items show and the reminders' rules read, loaded once for all the missions
        selectinload(Mission.need).selectinload(Need.programme)
        .selectinload(Programme.managers),
        selectinload(Mission.facility).selectinload(Facility.coordinators),
        selectinload(Mission.professional).joinedload(Professional.user),
        selectinload(Mission.events), selectinload(Mission.checklist),
        selectinload(Mission.proposed_by))
    if user.role == Role.PROFESSIONAL:
        return query.join(Professional, Professional.id == Mission.professional_id) \
            .where(Professional.user_id == user.id)
    if user.role == Role.COORDINATOR:
        return query.where(Mission.facility_id.in_(
            sa.select(facility_coordinators.c.facility_id)
            .where(facility_coordinators.c.user_id == user.id)))
    reach = programmes.need_ids_in_reach(user)
    return query if reach is None else query.where(Mission.need_id.in_(reach))


def _among(user: User, people: Iterable[User]) -> bool:
    return any(person.id == user.id for person in people)


def _item(kind: str, mission: Mission, text: str, when, endpoint: str = "missions.detail",
          **values) -> Todo:
    return Todo(kind, mission.id, text, endpoint, {"mission_id": mission.id, **values}, when)


def proposals_to_answer(session, user: User, now: datetime) -> Iterable[Todo]:
    """A professional's proposals (reminded after 3 and 7 days: ``proposals_waiting``)."""
    if user.role != Role.PROFESSIONAL:
        return
    for mission in session.scalars(_missions_of(user).where(
            Mission.status == MissionStatus.PROPOSED)):
        if _among(user, recipients.professional(mission)):
            yield _item("proposal_waiting", mission, _(
                "“%(mission)s” at %(facility)s: accept or decline",
                mission=mission.need.title, facility=mission.facility.name), mission.starts_at)


def checklist_items(session, user: User, now: datetime) -> Iterable[Todo]:
    """Open readiness items of missions ahead that the person is reminded to tick
    (``readiness_incomplete``: the same items, the same people)."""
    for mission in session.scalars(_missions_of(user).where(
            Mission.status.in_(PREPARING), Mission.starts_at > now)):
        missing = producers.missing_items(mission)
        if missing and _among(user, producers.who_can_tick(session, mission, missing)):
            mine = [item for item in missing
                    if item in lifecycle.tickable_items(session, mission, user)] or missing
            yield _item("readiness_incomplete", mission, _(
                "“%(mission)s”: %(items)s", mission=mission.need.title,
                items=", ".join(str(reference.CHECKLIST_LABELS[item]) for item in mine)),
                mission.starts_at)


def reports_due(session, user: User, now: datetime) -> Iterable[Todo]:
    """Completed missions whose report the person still owes (``report_due``)."""
    if user.role not in (Role.PROFESSIONAL, Role.COORDINATOR):
        return
    for mission in session.scalars(_missions_of(user).where(
            Mission.status == MissionStatus.COMPLETED)):
        side = outcomes.side_of(session, user, mission)
        if (_among(user, recipients.mission_people(mission))
                and side in outcomes.missing_sides(session, mission)):
            yield _item("report_due", mission, _(
                "“%(mission)s” at %(facility)s: file your report",
                mission=mission.need.title, facility=mission.facility.name), mission.ends_at,
                endpoint="outcomes.file", side=side)


def surveys_due(session, user: User, now: datetime) -> Iterable[Todo]:
    """Open, unanswered follow-up surveys of done missions (``follow_up_due``: reminded when
    due, and for ``FOLLOW_UP_FRESH_FOR`` after)."""
    if user.role not in (Role.PROFESSIONAL, Role.COORDINATOR):
        return
    missions = _missions_of(user).where(Mission.status.in_(DONE)).subquery()
    query = sa.select(FollowUp).join(missions, missions.c.id == FollowUp.mission_id).where(
        FollowUp.answered_at.is_(None)).order_by(FollowUp.due_at)
    for follow_up in session.scalars(query):
        mission = follow_up.mission
        fresh = now < follow_up.due_at + producers.FOLLOW_UP_FRESH_FOR
        if fresh and outcomes.survey_open(follow_up, now) \
                and _among(user, recipients.mission_people(mission)):
            yield _item("follow_up_due", mission, _(
                "“%(mission)s”: the survey %(months)s months after",
                mission=mission.need.title, months=follow_up.months), follow_up.due_at,
                endpoint="outcomes.follow_up", months=follow_up.months)


def licences_expiring(session, user: User, now: datetime) -> Iterable[Todo]:
    """The professional's licences ending within ``LICENCE_WARNING``, not renewed
    (``licence_expiring``)."""
    if user.role != Role.PROFESSIONAL:
        return
    today = now.date()
    query = sa.select(Licence).join(Professional, Professional.id == Licence.professional_id) \
        .where(Professional.user_id == user.id, Professional.consent_given.is_(True),
               Licence.valid_until >= today,
               Licence.valid_until <= today + producers.LICENCE_WARNING)
    for licence in session.scalars(query.order_by(Licence.valid_until)):
        if not producers.renewed(licence):
            yield Todo("licence_expiring", licence.id, _(
                "%(country)s, %(authority)s: renew it", country=reference.country_name(
                    licence.country), authority=licence.authority or ""),
                "professionals.me", {}, licence.valid_until)


def missions_starting(session, user: User, now: datetime) -> Iterable[Todo]:
    """A coordinator's missions starting within ``STARTING_SOON`` (reminded the day before:
    ``mission_starts``)."""
    if user.role != Role.COORDINATOR:
        return
    for mission in session.scalars(_missions_of(user).where(
            Mission.status.in_(CONFIRMED_AHEAD), Mission.starts_at > now,
            Mission.starts_at <= now + STARTING_SOON)):
        if _among(user, recipients.mission_people(mission)):
            yield _item("mission_starts", mission, _(
                "“%(mission)s” with %(professional)s", mission=mission.need.title,
                professional=mission.professional.full_name), mission.starts_at)


def unanswered_proposals(session, user: User, now: datetime) -> Iterable[Todo]:
    """Proposals of the manager's programmes that their professional has not answered."""
    if user.role not in MANAGERS:
        return
    for mission in session.scalars(_missions_of(user).where(
            Mission.status == MissionStatus.PROPOSED)):
        days = (now - producers.proposed_at(mission)).days
        names = {"mission": mission.need.title, "professional": mission.professional.full_name}
        text = _("“%(mission)s”: %(professional)s, proposed today", **names) if days < 1 else \
            ngettext("“%(mission)s”: %(professional)s, proposed %(num)d day ago",
                     "“%(mission)s”: %(professional)s, proposed %(num)d days ago", days, **names)
        yield _item("proposal_unanswered", mission, text, mission.starts_at)


def overdue_reports(session, user: User, now: datetime) -> Iterable[Todo]:
    """Completed missions still missing a report ``REPORT_OVERDUE_AFTER`` their end: the ones the
    scheduler flags and tells the managers of (``scheduler.automation``)."""
    if user.role not in MANAGERS:
        return
    for mission in session.scalars(_missions_of(user).where(
            Mission.status == MissionStatus.COMPLETED,
            Mission.ends_at <= now - REPORT_OVERDUE_AFTER)):
        if _among(user, recipients.managers(session, mission)) or user.role == Role.ADMIN:
            yield _item("report_overdue", mission, _(
                "“%(mission)s” at %(facility)s", mission=mission.need.title,
                facility=mission.facility.name), mission.ends_at, endpoint="outcomes.reports")


SOURCES = (proposals_to_answer, checklist_items, reports_due, surveys_due, licences_expiring,
           missions_starting, unanswered_proposals, overdue_reports)


def register(app: Flask) -> None:
    for source in SOURCES:
        add_source(app, source)
