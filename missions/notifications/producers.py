"""Reminders about missions and profiles, and the checks made again before each is sent.

Each producer yields the reminders due at ``now`` (see ``missions.scheduler.reminders``). Keys name what
a reminder is about *and* the moment it refers to (a mission's start, a licence's end), so a
rescheduled mission gets fresh reminders and the old ones fail their check.

Reminders in stages (a proposal waiting 3 then 7 days; a checklist open 30, 14, 7 days before
the start) yield only the current stage: after downtime, the 7-day reminder goes out, never
both. Follow-up surveys are distinct, so each is produced, but only within three months of its
date (the scheduler switched on over old missions does not send year-old surveys).

Work proportional to what is due: given ``since`` (the producer's watermark, the ``now`` of its
last run), a producer reads only the rows whose reminder moment fell in ``(since, now]`` and
the rows changed since then (a mission confirmed or rescheduled after its moment, a licence
added, consent given) — each in one set-based query served by an index, with the people it
needs loaded in bulk. ``since=None`` (a first run) reads everything in force, as before.
Changes are looked for ``CHANGE_OVERLAP`` before the watermark, so a transaction that
committed just after a run, with an earlier ``now``, is not missed; keys make the overlap
harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlalchemy.orm import aliased, selectinload

from diaspora.auth.models import User
from diaspora.facilities.models import Facility, facility_coordinators
from diaspora.needs.models import Need
from diaspora.professionals.models import Licence, Professional
from diaspora.programmes.models import Programme
from diaspora.vocabulary import Role

from ..core.hooks import MissionHooks
from ..core.lifecycle import CHECKLIST_ROLES
from ..core.models import ChecklistItem, Mission, MissionEvent, MissionSession
from ..core.vocabulary import CONFIRMED_AHEAD, DONE, PREPARING, UNDER_WAY, MissionStatus, SessionStatus
from ..outcomes.models import FollowUp
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
# Changes are looked for this long before the watermark (see the module's docstring).
CHANGE_OVERLAP = timedelta(minutes=10)
# Month arithmetic clips at month ends (31 August + 6 months = 28 February) by at most 3 days.
MONTH_END_SLACK = timedelta(days=4)


def stamp(instant: datetime) -> int:
    return int(instant.timestamp())


def current_stage(moments: dict[int, datetime], now: datetime) -> int | None:
    """The stage whose moment came last before ``now`` (None if none has come yet)."""
    due = [(moment, stage) for stage, moment in moments.items() if moment <= now]
    return max(due)[1] if due else None


def fell_due(moment: datetime, since: datetime | None) -> bool:
    """The moment is after the watermark (everything is, on a first run)."""
    return since is None or moment > since


@lru_cache(maxsize=64)   # a run asks again for its predecessor's ``now`` (its ``since``)
def ended_by(instant: datetime, months: int) -> datetime:
    """The latest end whose ``months``-later date is at or before ``instant``: adding months is
    monotone but clips at month ends, so it is found by bisection (to the microsecond)."""
    later = relativedelta(months=months)
    low = instant - later                 # low + later <= instant
    high = low + MONTH_END_SLACK
    while high + later <= instant:
        high += MONTH_END_SLACK
    while high - low > timedelta(microseconds=1):
        middle = low + (high - low) / 2
        if middle + later <= instant:
            low = middle
        else:
            high = middle
    return low


def changed_after(since: datetime) -> datetime:
    return since - CHANGE_OVERLAP


def _people(path=None) -> tuple:
    """Loader options for what ``mission_facts`` and ``mission_people`` read, in bulk."""
    def start(attribute):
        return path.selectinload(attribute) if path is not None else selectinload(attribute)
    return (start(Mission.professional).selectinload(Professional.user),
            start(Mission.facility).selectinload(Facility.coordinators),
            start(Mission.need))


def _changed_missions(since: datetime | None) -> Iterable:
    return () if since is None else (Mission.updated_at > changed_after(since),)


# --- missions read as plain rows ---------------------------------------------------------------
# The mission producers read what a reminder names — the facts its message shows and who gets
# it — as columns in their one query, and the host coordinators of all the rows in one more:
# no record is loaded.

_CARD = (Mission.id, Mission.kind, Mission.status, Mission.starts_at, Mission.ends_at,
         Mission.timezone, Mission.updated_at, Mission.facility_id,
         Need.title.label("need_title"), Facility.name.label("facility_name"),
         Professional.given_name, Professional.family_name,
         Professional.user_id.label("professional_user_id"))
_COORDINATORS = (sa.select(facility_coordinators.c.facility_id, User.id)
                 .join(User, User.id == facility_coordinators.c.user_id)
                 .where(facility_coordinators.c.facility_id.in_(sa.bindparam("ids", expanding=True)),
                        User.active.is_(True))
                 .order_by(facility_coordinators.c.facility_id, User.name, User.id))


def _cards(*columns) -> sa.Select:
    """Missions as rows of ``_CARD`` (and ``columns``), joined to what their messages name."""
    return (sa.select(*_CARD, *columns).select_from(Mission)
            .join(Need, Need.id == Mission.need_id)
            .join(Facility, Facility.id == Mission.facility_id)
            .join(Professional, Professional.id == Mission.professional_id))


def _card_facts(card) -> dict:
    """``mission_facts`` of a ``_CARD`` row."""
    return recipients.facts(mission=card.need_title, facility=card.facility_name,
                            professional=f"{card.given_name} {card.family_name}", kind=card.kind,
                            starts_at=card.starts_at, ends_at=card.ends_at, timezone=card.timezone)


def _coordinators(session, cards: list) -> dict[int, list[int]]:
    """The active coordinators' user ids of the cards' host facilities (``recipients.coordinators``)."""
    ids = sorted({card.facility_id for card in cards})
    found: dict[int, list[int]] = {}
    if ids:
        for facility_id, user_id in session.execute(_COORDINATORS, {"ids": ids}):
            found.setdefault(facility_id, []).append(user_id)
    return found


def _people_of(card, coordinators: dict[int, list[int]]) -> list[int]:
    """``recipients.mission_people``: the professional, then the host's coordinators."""
    return [card.professional_user_id, *coordinators.get(card.facility_id, ())]


# --- a proposal waiting for an answer -------------------------------------------------------

def proposed_at(mission: Mission) -> datetime:
    """When the mission was last proposed (first proposal, or new dates after a postponement)."""
    return max(event.at for event in mission.events if event.to_status == MissionStatus.PROPOSED)


def _proposal_moments(base: datetime) -> dict[int, datetime]:
    return {days: base + timedelta(days=days) for days in PROPOSAL_WAITING_DAYS}


def _last_proposed():
    return (sa.select(sa.func.max(MissionEvent.at))
            .where(MissionEvent.mission_id == Mission.id,
                   MissionEvent.to_status == MissionStatus.PROPOSED)
            .correlate(Mission).scalar_subquery())


def proposals_waiting(session, now: datetime, since: datetime | None = None
                      ) -> Iterator[reminders.Reminder]:
    base = _last_proposed()
    query = (_cards(base.label("base")).where(Mission.status == MissionStatus.PROPOSED)
             .order_by(Mission.id))
    if since is not None:
        # proposed in a window whose 3- or 7-day moment fell due; whether that proposal is
        # still the last one is checked below on the few rows found
        proposed_in_window = sa.select(MissionEvent.mission_id).where(
            MissionEvent.to_status == MissionStatus.PROPOSED,
            sa.or_(*(sa.and_(MissionEvent.at > since - timedelta(days=days),
                             MissionEvent.at <= now - timedelta(days=days))
                     for days in PROPOSAL_WAITING_DAYS)))
        query = query.where(sa.or_(Mission.id.in_(proposed_in_window), *_changed_missions(since)))
    for mission in session.execute(query):
        proposed = mission.base
        moments = _proposal_moments(proposed)
        days = current_stage(moments, now)
        if days is None or not (fell_due(moments[days], since) or _changed(mission, since)):
            continue
        yield reminders.Reminder(
            user_id=mission.professional_user_id, kind="proposal_waiting",
            key=f"proposal_waiting:{mission.id}:{stamp(proposed)}:{days}", due_at=moments[days],
            mission_id=mission.id,
            payload={**_card_facts(mission), "days": days, "proposed_at": proposed.isoformat()})


def _changed(mission: Mission, since: datetime | None) -> bool:
    return since is not None and mission.updated_at > changed_after(since)


# --- readiness checklist ---------------------------------------------------------------------

def _readiness_moments(starts_at: datetime) -> dict[int, datetime]:
    return {days: starts_at - timedelta(days=days) for days in READINESS_DAYS_BEFORE}


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


def readiness_incomplete(session, now: datetime, since: datetime | None = None
                         ) -> Iterator[reminders.Reminder]:
    query = (sa.select(Mission)
             .where(Mission.status.in_(PREPARING), Mission.starts_at > now,
                    Mission.starts_at <= now + timedelta(days=max(READINESS_DAYS_BEFORE)))
             .options(selectinload(Mission.checklist), selectinload(Mission.proposed_by),
                      selectinload(Mission.need).selectinload(Need.programme)
                      .selectinload(Programme.managers), *_people())
             .order_by(Mission.id))
    if since is not None:
        stage_fell_due = [sa.and_(Mission.starts_at > since + timedelta(days=days),
                                  Mission.starts_at <= now + timedelta(days=days))
                          for days in READINESS_DAYS_BEFORE]
        query = query.where(sa.or_(*stage_fell_due, *_changed_missions(since)))
    for mission in session.scalars(query):
        missing = missing_items(mission)
        moments = _readiness_moments(mission.starts_at)
        days = current_stage(moments, now)
        if not missing or days is None:
            continue
        if not (fell_due(moments[days], since) or _changed(mission, since)):
            continue
        payload = {**mission_facts(mission), "days": days, "missing": missing}
        for user in _who_can_tick(session, mission, missing):
            yield reminders.Reminder(
                user_id=user.id, kind="readiness_incomplete", due_at=moments[days],
                key=f"readiness_incomplete:{mission.id}:{stamp(mission.starts_at)}:{days}:{user.id}",
                mission_id=mission.id, payload=payload)


# --- the mission and its sessions begin -------------------------------------------------------

def missions_starting(session, now: datetime, since: datetime | None = None
                      ) -> Iterator[reminders.Reminder]:
    query = (_cards().where(
        Mission.status.in_(CONFIRMED_AHEAD), Mission.starts_at > now,
        Mission.starts_at <= now + MISSION_STARTS_BEFORE).order_by(Mission.id))
    if since is not None:
        query = query.where(sa.or_(Mission.starts_at > since + MISSION_STARTS_BEFORE,
                                   *_changed_missions(since)))
    missions = session.execute(query).all()
    coordinators = _coordinators(session, missions)
    for mission in missions:
        facts = _card_facts(mission)
        # The host hears who arrives: one message per mission, naming the professional.
        audiences = [(mission.professional_user_id, facts)] + [
            (user_id, {**facts, "audience": "host"})
            for user_id in coordinators.get(mission.facility_id, ())]
        for user_id, payload in audiences:
            yield reminders.Reminder(
                user_id=user_id, kind="mission_starts", mission_id=mission.id,
                key=f"mission_starts:{mission.id}:{stamp(mission.starts_at)}:{user_id}",
                due_at=mission.starts_at - MISSION_STARTS_BEFORE, payload=payload)


def sessions_starting(session, now: datetime, since: datetime | None = None
                      ) -> Iterator[reminders.Reminder]:
    query = (_cards(MissionSession.id.label("session_id"), MissionSession.sequence,
                    MissionSession.starts_at.label("session_starts_at"), Mission.join_url)
             .join(MissionSession, MissionSession.mission_id == Mission.id)
             .where(MissionSession.status == SessionStatus.SCHEDULED, Mission.status.in_(UNDER_WAY),
                    MissionSession.starts_at > now,
                    MissionSession.starts_at <= now + SESSION_STARTS_BEFORE)
             .order_by(MissionSession.id))
    if since is not None:
        query = query.where(sa.or_(MissionSession.starts_at > since + SESSION_STARTS_BEFORE,
                                   *_changed_missions(since)))
    rows = session.execute(query).all()
    coordinators = _coordinators(session, rows)
    for row in rows:
        starts_at = row.session_starts_at
        payload = {**_card_facts(row), "sequence": row.sequence,
                   "starts_at": starts_at.isoformat(), "join_url": row.join_url}
        for user_id in _people_of(row, coordinators):
            yield reminders.Reminder(
                user_id=user_id, kind="session_starts", mission_id=row.id,
                session_id=row.session_id,
                key=f"session_starts:{row.session_id}:{stamp(starts_at)}:{user_id}",
                due_at=starts_at - SESSION_STARTS_BEFORE, payload=payload)


# --- after the mission: report and follow-ups --------------------------------------------------
# Their validators belong to the outcomes (a report or survey already filed ends them).

def reports_due(session, now: datetime, since: datetime | None = None
                ) -> Iterator[reminders.Reminder]:
    query = (_cards().where(Mission.status == MissionStatus.COMPLETED,
                            Mission.ends_at <= now - REPORT_DUE_AFTER)
             .order_by(Mission.id))
    if since is not None:
        query = query.where(sa.or_(Mission.ends_at > since - REPORT_DUE_AFTER,
                                   *_changed_missions(since)))
    missions = session.execute(query).all()
    coordinators = _coordinators(session, missions)
    for mission in missions:
        payload = _card_facts(mission)
        for user_id in _people_of(mission, coordinators):
            yield reminders.Reminder(
                user_id=user_id, kind="report_due", key=f"report_due:{mission.id}:{user_id}",
                due_at=mission.ends_at + REPORT_DUE_AFTER, mission_id=mission.id,
                payload=payload)


def follow_ups_due(session, now: datetime, since: datetime | None = None
                   ) -> Iterator[reminders.Reminder]:
    earliest = now - relativedelta(months=max(FOLLOW_UP_MONTHS)) - FOLLOW_UP_FRESH_FOR
    # only missions with a survey to answer (as ``follow_ups_still_due`` checks at delivery):
    # a mission imported from history has none, and nobody is reminded of it
    surveyed = sa.exists().where(FollowUp.mission_id == Mission.id, FollowUp.answered_at.is_(None))
    query = (_cards().where(Mission.status.in_(DONE), Mission.ends_at > earliest,
                            Mission.ends_at <= ended_by(now, min(FOLLOW_UP_MONTHS)), surveyed)
             .order_by(Mission.id))
    if since is not None:
        # exactly the ends whose survey date fell in (since, now]
        fell = [sa.and_(Mission.ends_at > ended_by(since, months), Mission.ends_at <= ended_by(now, months))
                for months in FOLLOW_UP_MONTHS]
        query = query.where(sa.or_(*fell, *_changed_missions(since)))
    missions = session.execute(query).all()
    coordinators = _coordinators(session, missions)
    for mission in missions:
        for months in FOLLOW_UP_MONTHS:
            due = mission.ends_at + relativedelta(months=months)
            if not due <= now < due + FOLLOW_UP_FRESH_FOR:
                continue
            if not (fell_due(due, since) or _changed(mission, since)):
                continue
            for user_id in _people_of(mission, coordinators):
                yield reminders.Reminder(
                    user_id=user_id, kind="follow_up_due", due_at=due, mission_id=mission.id,
                    key=f"follow_up_due:{mission.id}:{months}:{user_id}",
                    payload={**_card_facts(mission), "months": months})


# --- the professional's profile ----------------------------------------------------------------

def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _changed_professionals(since: datetime | None) -> Iterable:
    if since is None:
        return ()
    after = changed_after(since)
    return (Professional.updated_at > after, Professional.consent_changed_at > after)


def licences_expiring(session, now: datetime, since: datetime | None = None
                      ) -> Iterator[reminders.Reminder]:
    """Licences whose warning day (90 days before the end, from midnight UTC) has come, and
    that no longer licence for the same country renews: one query, no row loaded but these."""
    today = now.date()
    longer = aliased(Licence)
    renewed = sa.exists().where(longer.professional_id == Licence.professional_id,
                                longer.country == Licence.country,
                                longer.valid_until > Licence.valid_until)

    def expiring(*where):
        return (sa.select(Licence.id, Licence.country, Licence.authority, Licence.valid_until,
                          Professional.user_id)
                .join(Professional, Professional.id == Licence.professional_id)
                .where(Professional.consent_given.is_(True), Licence.valid_until >= today,
                       Licence.valid_until <= today + LICENCE_WARNING, ~renewed, *where))

    if since is None:
        query = expiring()
    else:
        # the warning day d fell due when since < midnight(d) <= now, i.e. d > since's date;
        # one SELECT per reason, each served by its own index
        in_window = expiring(Licence.valid_until > since.astimezone(UTC).date() + LICENCE_WARNING)
        changed = sa.select(Professional.id).where(sa.or_(*_changed_professionals(since)))
        # the changed profiles' licences only when there are any: asked together, SQLite
        # would read every licence ending within the warning to find them
        query = (sa.union(in_window, expiring(Licence.professional_id.in_(changed)))
                 if session.scalar(changed.limit(1)) is not None else in_window)
    for licence_id, country, authority, valid_until, user_id in sorted(session.execute(query)):
        yield reminders.Reminder(
            user_id=user_id, kind="licence_expiring",
            key=f"licence_expiring:{licence_id}:{valid_until.isoformat()}",
            due_at=_start_of(valid_until - LICENCE_WARNING),
            payload={"licence_id": licence_id, "country": country,
                     "authority": authority, "valid_until": valid_until.isoformat()})


def _renewed(licence: Licence) -> bool:
    """Another licence for the same country runs longer."""
    return any(other.country == licence.country and other.valid_until > licence.valid_until
               for other in licence.professional.licences)


def availability_stale(session, now: datetime, since: datetime | None = None
                       ) -> Iterator[reminders.Reminder]:
    base = sa.func.coalesce(Professional.availability_updated_at, Professional.created_at)

    def stale(*where):
        return sa.select(Professional.id, Professional.user_id, base.label("base")).where(
            Professional.consent_given.is_(True), base <= now - AVAILABILITY_STALE_AFTER, *where)

    if since is None:
        query = stale()
    else:
        # became stale in the window (its base is after since - 6 months), or changed: one
        # SELECT per reason, each served by its own index
        after, until = since - AVAILABILITY_STALE_AFTER, now - AVAILABILITY_STALE_AFTER
        query = sa.union(
            stale(Professional.availability_updated_at > after,
                  Professional.availability_updated_at <= until),
            stale(Professional.availability_updated_at.is_(None), Professional.created_at > after,
                  Professional.created_at <= until),
            *(stale(changed) for changed in _changed_professionals(since)))
    for professional_id, user_id, since_base in sorted(session.execute(query)):
        yield reminders.Reminder(
            user_id=user_id, kind="availability_stale",
            key=f"availability_stale:{professional_id}:{stamp(since_base)}",
            due_at=since_base + AVAILABILITY_STALE_AFTER,
            payload={"professional_id": professional_id, "since": since_base.date().isoformat(),
                     "last_update_at": since_base.isoformat()})


# --- the re-checks before sending, a batch at a time ------------------------------------------
# Whether each due row still holds: each check reads plain columns of the batch's records in one
# statement, built once (the ids are an expanding bind parameter); no record is loaded. The
# dispatcher asks these (``MissionHooks.reminder_batch_checks``); the row validators
# (``VALIDATORS``, which the to-do list's tests compare with) ask the same check for one row.

_IDS = sa.bindparam("ids", expanding=True)
_PROPOSAL_FACTS = sa.select(Mission.id, Mission.status, _last_proposed()).where(Mission.id.in_(_IDS))
_MISSION_FACTS = sa.select(
    Mission.id, Mission.status, Mission.starts_at,
    sa.exists().where(ChecklistItem.mission_id == Mission.id, ChecklistItem.done_at.is_(None))
    .correlate(Mission)).where(Mission.id.in_(_IDS))
_SESSION_FACTS = (sa.select(MissionSession.id, MissionSession.status, MissionSession.starts_at,
                            Mission.status)
                  .join(Mission, Mission.id == MissionSession.mission_id)
                  .where(MissionSession.id.in_(_IDS)))
_LONGER = aliased(Licence)
_LICENCE_FACTS = sa.select(Licence.id, Licence.valid_until, sa.exists().where(
    _LONGER.professional_id == Licence.professional_id, _LONGER.country == Licence.country,
    _LONGER.valid_until > Licence.valid_until).correlate(Licence)).where(Licence.id.in_(_IDS))
_PROFILE_FACTS = sa.select(
    Professional.id, Professional.consent_given,
    sa.func.coalesce(Professional.availability_updated_at, Professional.created_at)
).where(Professional.id.in_(_IDS))


def _facts(session, statement, ids) -> dict:
    """Rows of ``statement`` for ``ids``, by their first column."""
    ids = {n for n in ids if n is not None}
    if not ids:
        return {}
    return {row[0]: row[1:] for row in session.execute(statement, {"ids": sorted(ids)})}


def proposals_still_waiting(session, notifications: list, now: datetime) -> list[bool]:
    facts = _facts(session, _PROPOSAL_FACTS, (n.mission_id for n in notifications))

    def still(n) -> bool:
        status, base = facts.get(n.mission_id, (None, None))
        return (status == MissionStatus.PROPOSED and base is not None
                and base.isoformat() == n.payload["proposed_at"]
                and current_stage(_proposal_moments(base), now) == n.payload["days"])
    return [still(n) for n in notifications]


def _mission_facts(session, notifications: list) -> dict:
    return _facts(session, _MISSION_FACTS, (n.mission_id for n in notifications))


def readiness_still_incompletes(session, notifications: list, now: datetime) -> list[bool]:
    facts = _mission_facts(session, notifications)

    def still(n) -> bool:
        if n.mission_id not in facts:
            return False
        status, starts_at, missing = facts[n.mission_id]
        return (status in PREPARING and starts_at.isoformat() == n.payload["starts_at"]
                and bool(missing) and current_stage(_readiness_moments(starts_at), now) == n.payload["days"])
    return [still(n) for n in notifications]


def missions_still_starting(session, notifications: list, now: datetime) -> list[bool]:
    facts = _mission_facts(session, notifications)

    def still(n) -> bool:
        if n.mission_id not in facts:
            return False
        status, starts_at, _missing = facts[n.mission_id]
        return (status in CONFIRMED_AHEAD and now < starts_at
                and starts_at.isoformat() == n.payload["starts_at"])
    return [still(n) for n in notifications]


def sessions_still_starting(session, notifications: list, now: datetime) -> list[bool]:
    facts = _facts(session, _SESSION_FACTS, (n.session_id for n in notifications))

    def still(n) -> bool:
        if n.session_id not in facts:
            return False
        status, starts_at, mission_status = facts[n.session_id]
        return (status == SessionStatus.SCHEDULED and now < starts_at
                and mission_status in UNDER_WAY and starts_at.isoformat() == n.payload["starts_at"])
    return [still(n) for n in notifications]


def licences_still_expiring(session, notifications: list, now: datetime) -> list[bool]:
    facts = _facts(session, _LICENCE_FACTS, (n.payload["licence_id"] for n in notifications))

    def still(n) -> bool:
        if n.payload["licence_id"] not in facts:
            return False
        valid_until, renewed = facts[n.payload["licence_id"]]
        return (not renewed and valid_until.isoformat() == n.payload["valid_until"]
                and now.date() <= valid_until)
    return [still(n) for n in notifications]


def availabilities_still_stale(session, notifications: list, now: datetime) -> list[bool]:
    facts = _facts(session, _PROFILE_FACTS, (n.payload["professional_id"] for n in notifications))

    def still(n) -> bool:
        consent, base = facts.get(n.payload["professional_id"], (False, None))
        return bool(consent) and base is not None and base.isoformat() == n.payload["last_update_at"]
    return [still(n) for n in notifications]


# The rules above, for the to-do list that must agree with them (``missions.home``), and the
# loader options of what a message about a mission names (``scheduler.automation``).
people_options = _people
who_can_tick = _who_can_tick
renewed = _renewed

PRODUCERS = (proposals_waiting, readiness_incomplete, missions_starting, sessions_starting,
             reports_due, follow_ups_due, licences_expiring, availability_stale)
BATCH_CHECKS = {
    "proposal_waiting": proposals_still_waiting,
    "readiness_incomplete": readiness_still_incompletes,
    "mission_starts": missions_still_starting,
    "session_starts": sessions_still_starting,
    "licence_expiring": licences_still_expiring,
    "availability_stale": availabilities_still_stale,
}
VALIDATORS = {kind: reminders.one_at_a_time(check) for kind, check in BATCH_CHECKS.items()}


def register(hooks: MissionHooks) -> None:
    """Declare these reminders to an app's scheduler."""
    hooks.reminder_producers.extend(PRODUCERS)
    hooks.reminder_validators.update(VALIDATORS)
    hooks.reminder_batch_checks.update(BATCH_CHECKS)
