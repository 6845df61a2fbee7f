"""Reminders about missions and profiles, and the checks made again before each is sent.

Each producer yields the reminders due at ``now`` (see ``missions.scheduler.reminders``). Keys name what
a reminder is about *and* the moment it refers to (a mission's start, a licence's end), so a
rescheduled mission gets fresh reminders and the old ones fail their check.

Reminders in stages (a proposal waiting 3 then 7 days; a checklist open 30, 14, 7 days before
the start) yield only the current stage: after downtime, the 7-day reminder goes out, never
both. Follow-up surveys are distinct, so each is produced, but only within three months of its
date (the scheduler switched on over old missions does not send year-old surveys).
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import selectinload

from diaspora.professionals.models import Licence, Professional
from diaspora.vocabulary import Role

from ..core.hooks import MissionHooks
from ..core.lifecycle import CHECKLIST_ROLES
from ..core.models import Mission, MissionSession
from ..core.vocabulary import CONFIRMED_AHEAD, DONE, PREPARING, UNDER_WAY, MissionStatus, SessionStatus
from ..scheduler import reminders
from . import recipients
from .recipients import mission_facts

PROPOSAL_WAITING_DAYS = (3, 7)
READINESS_DAYS_BEFORE = (30, 14, 7)
MISSION_STARTS_BEFORE = timedelta(days=1)
SESSION_STARTS_BEFORE = timedelta(hours=1)
REPORT_DUE_AFTER = timedelta(days=7)
FOLLOW_UP_MONTHS = (3, 6, 12)
FOLLOW_UP_FRESH_FOR = relativedelta(months=3)
LICENCE_WARNING = timedelta(days=90)
AVAILABILITY_STALE_AFTER = relativedelta(months=6)


def stamp(instant: datetime) -> int:
    return int(instant.timestamp())


def current_stage(moments: dict[int, datetime], now: datetime) -> int | None:
    """The stage whose moment came last before ``now`` (None if none has come yet)."""
    due = [(moment, stage) for stage, moment in moments.items() if moment <= now]
    return max(due)[1] if due else None


def _mission(session, notification) -> Mission:
    return session.get(Mission, notification.mission_id)


# --- a proposal waiting for an answer -------------------------------------------------------

def proposed_at(mission: Mission) -> datetime:
    """When the mission was last proposed (first proposal, or new dates after a postponement)."""
    return max(event.at for event in mission.events if event.to_status == MissionStatus.PROPOSED)


def _proposal_moments(mission: Mission) -> dict[int, datetime]:
    base = proposed_at(mission)
    return {days: base + timedelta(days=days) for days in PROPOSAL_WAITING_DAYS}


def proposals_waiting(session, now: datetime) -> Iterator[reminders.Reminder]:
    waiting = session.scalars(sa.select(Mission).where(Mission.status == MissionStatus.PROPOSED)
                              .options(selectinload(Mission.events)))
    for mission in waiting:
        moments = _proposal_moments(mission)
        days = current_stage(moments, now)
        if days is None:
            continue
        base = proposed_at(mission)
        yield reminders.Reminder(
            user_id=mission.professional.user_id, kind="proposal_waiting",
            key=f"proposal_waiting:{mission.id}:{stamp(base)}:{days}", due_at=moments[days],
            mission_id=mission.id,
            payload={**mission_facts(mission), "days": days, "proposed_at": base.isoformat()})


def proposal_still_waiting(session, notification, now: datetime) -> bool:
    mission = _mission(session, notification)
    return (mission.status == MissionStatus.PROPOSED
            and proposed_at(mission).isoformat() == notification.payload["proposed_at"]
            and current_stage(_proposal_moments(mission), now) == notification.payload["days"])


# --- readiness checklist ---------------------------------------------------------------------

def _readiness_moments(mission: Mission) -> dict[int, datetime]:
    return {days: mission.starts_at - timedelta(days=days) for days in READINESS_DAYS_BEFORE}


def missing_items(mission: Mission) -> list[str]:
    return [item.item for item in mission.checklist if item.done_at is None]


def _who_can_tick(session, mission: Mission, missing: list[str]) -> list:
    roles = {role for item in missing for role in CHECKLIST_ROLES[item] or (Role.MANAGER,)}
    people = []
    if Role.PROFESSIONAL in roles:
        people += recipients.professional(mission)
    if Role.COORDINATOR in roles:
        people += recipients.coordinators(mission)
    if Role.MANAGER in roles:
        people += recipients.managers(session, mission)
    return people


def readiness_incomplete(session, now: datetime) -> Iterator[reminders.Reminder]:
    upcoming = session.scalars(
        sa.select(Mission).where(Mission.status.in_(PREPARING),
                                 Mission.starts_at > now,
                                 Mission.starts_at <= now + timedelta(days=max(READINESS_DAYS_BEFORE)))
        .options(selectinload(Mission.checklist)))
    for mission in upcoming:
        missing = missing_items(mission)
        moments = _readiness_moments(mission)
        days = current_stage(moments, now)
        if not missing or days is None:
            continue
        payload = {**mission_facts(mission), "days": days, "missing": missing}
        for user in _who_can_tick(session, mission, missing):
            yield reminders.Reminder(
                user_id=user.id, kind="readiness_incomplete", due_at=moments[days],
                key=f"readiness_incomplete:{mission.id}:{stamp(mission.starts_at)}:{days}:{user.id}",
                mission_id=mission.id, payload=payload)


def readiness_still_incomplete(session, notification, now: datetime) -> bool:
    mission = _mission(session, notification)
    return (mission.status in PREPARING
            and mission.starts_at.isoformat() == notification.payload["starts_at"]
            and bool(missing_items(mission))
            and current_stage(_readiness_moments(mission), now) == notification.payload["days"])


# --- the mission and its sessions begin -------------------------------------------------------

def missions_starting(session, now: datetime) -> Iterator[reminders.Reminder]:
    starting = session.scalars(sa.select(Mission).where(
        Mission.status.in_(CONFIRMED_AHEAD), Mission.starts_at > now,
        Mission.starts_at <= now + MISSION_STARTS_BEFORE))
    for mission in starting:
        facts = mission_facts(mission)
        # The host hears who arrives: one message per mission, naming the professional.
        audiences = [(user, facts) for user in recipients.professional(mission)] + [
            (user, {**facts, "audience": "host"}) for user in recipients.coordinators(mission)]
        for user, payload in audiences:
            yield reminders.Reminder(
                user_id=user.id, kind="mission_starts", mission_id=mission.id,
                key=f"mission_starts:{mission.id}:{stamp(mission.starts_at)}:{user.id}",
                due_at=mission.starts_at - MISSION_STARTS_BEFORE, payload=payload)


def mission_still_starting(session, notification, now: datetime) -> bool:
    mission = _mission(session, notification)
    return (mission.status in CONFIRMED_AHEAD and now < mission.starts_at
            and mission.starts_at.isoformat() == notification.payload["starts_at"])


def sessions_starting(session, now: datetime) -> Iterator[reminders.Reminder]:
    starting = session.scalars(
        sa.select(MissionSession).join(Mission, Mission.id == MissionSession.mission_id)
        .where(MissionSession.status == SessionStatus.SCHEDULED, Mission.status.in_(UNDER_WAY),
               MissionSession.starts_at > now,
               MissionSession.starts_at <= now + SESSION_STARTS_BEFORE))
    for mission_session in starting:
        mission = mission_session.mission
        payload = {**mission_facts(mission), "sequence": mission_session.sequence,
                   "starts_at": mission_session.starts_at.isoformat(), "join_url": mission.join_url}
        for user in recipients.mission_people(mission):
            yield reminders.Reminder(
                user_id=user.id, kind="session_starts", mission_id=mission.id,
                session_id=mission_session.id,
                key=f"session_starts:{mission_session.id}:{stamp(mission_session.starts_at)}:{user.id}",
                due_at=mission_session.starts_at - SESSION_STARTS_BEFORE, payload=payload)


def session_still_starting(session, notification, now: datetime) -> bool:
    mission_session = session.get(MissionSession, notification.session_id)
    return (mission_session.status == SessionStatus.SCHEDULED and now < mission_session.starts_at
            and mission_session.mission.status in UNDER_WAY
            and mission_session.starts_at.isoformat() == notification.payload["starts_at"])


# --- after the mission: report and follow-ups --------------------------------------------------
# Their validators belong to the outcomes (a report or survey already filed ends them).

def reports_due(session, now: datetime) -> Iterator[reminders.Reminder]:
    ended = session.scalars(sa.select(Mission).where(Mission.status == MissionStatus.COMPLETED,
                                                     Mission.ends_at <= now - REPORT_DUE_AFTER))
    for mission in ended:
        for user in recipients.mission_people(mission):
            yield reminders.Reminder(
                user_id=user.id, kind="report_due", key=f"report_due:{mission.id}:{user.id}",
                due_at=mission.ends_at + REPORT_DUE_AFTER, mission_id=mission.id,
                payload=mission_facts(mission))


def follow_ups_due(session, now: datetime) -> Iterator[reminders.Reminder]:
    earliest = now - relativedelta(months=max(FOLLOW_UP_MONTHS)) - FOLLOW_UP_FRESH_FOR
    latest = now - relativedelta(months=min(FOLLOW_UP_MONTHS))
    ended = session.scalars(sa.select(Mission).where(Mission.status.in_(DONE),
                                                     Mission.ends_at > earliest,
                                                     Mission.ends_at <= latest))
    for mission in ended:
        for months in FOLLOW_UP_MONTHS:
            due = mission.ends_at + relativedelta(months=months)
            if not due <= now < due + FOLLOW_UP_FRESH_FOR:
                continue
            for user in recipients.mission_people(mission):
                yield reminders.Reminder(
                    user_id=user.id, kind="follow_up_due", due_at=due, mission_id=mission.id,
                    key=f"follow_up_due:{mission.id}:{months}:{user.id}",
                    payload={**mission_facts(mission), "months": months})


# --- the professional's profile ----------------------------------------------------------------

def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def licences_expiring(session, now: datetime) -> Iterator[reminders.Reminder]:
    today = now.date()
    expiring = session.scalars(
        sa.select(Licence).join(Professional, Professional.id == Licence.professional_id)
        .where(Professional.consent_given.is_(True), Licence.valid_until >= today,
               Licence.valid_until <= today + LICENCE_WARNING))
    for licence in expiring:
        if _renewed(licence):
            continue
        yield reminders.Reminder(
            user_id=licence.professional.user_id, kind="licence_expiring",
            key=f"licence_expiring:{licence.id}:{licence.valid_until.isoformat()}",
            due_at=_start_of(licence.valid_until - LICENCE_WARNING),
            payload={"licence_id": licence.id, "country": licence.country,
                     "authority": licence.authority, "valid_until": licence.valid_until.isoformat()})


def _renewed(licence: Licence) -> bool:
    """Another licence for the same country runs longer."""
    return any(other.country == licence.country and other.valid_until > licence.valid_until
               for other in licence.professional.licences)


def licence_still_expiring(session, notification, now: datetime) -> bool:
    licence = session.get(Licence, notification.payload["licence_id"])
    return (licence is not None and not _renewed(licence)
            and licence.valid_until.isoformat() == notification.payload["valid_until"]
            and now.date() <= licence.valid_until)


def availability_base(professional: Professional) -> datetime:
    return professional.availability_updated_at or professional.created_at


def availability_stale(session, now: datetime) -> Iterator[reminders.Reminder]:
    base = sa.func.coalesce(Professional.availability_updated_at, Professional.created_at)
    stale = session.scalars(sa.select(Professional).where(
        Professional.consent_given.is_(True), base <= now - AVAILABILITY_STALE_AFTER))
    for professional in stale:
        since = availability_base(professional)
        yield reminders.Reminder(
            user_id=professional.user_id, kind="availability_stale",
            key=f"availability_stale:{professional.id}:{stamp(since)}",
            due_at=since + AVAILABILITY_STALE_AFTER,
            payload={"professional_id": professional.id, "since": since.date().isoformat(),
                     "last_update_at": since.isoformat()})


def availability_still_stale(session, notification, now: datetime) -> bool:
    professional = session.get(Professional, notification.payload["professional_id"])
    return (professional.consent_given and availability_base(professional).isoformat()
            == notification.payload["last_update_at"])


PRODUCERS = (proposals_waiting, readiness_incomplete, missions_starting, sessions_starting,
             reports_due, follow_ups_due, licences_expiring, availability_stale)
VALIDATORS = {
    "proposal_waiting": proposal_still_waiting,
    "readiness_incomplete": readiness_still_incomplete,
    "mission_starts": mission_still_starting,
    "session_starts": session_still_starting,
    "licence_expiring": licence_still_expiring,
    "availability_stale": availability_still_stale,
}


def register(hooks: MissionHooks) -> None:
    """Declare these reminders to an app's scheduler."""
    hooks.reminder_producers.extend(PRODUCERS)
    hooks.reminder_validators.update(VALIDATORS)
