"""The mission lifecycle and the booking of a professional's time.

Every change of status goes through ``transition`` (people and the scheduler alike), which
checks the action is allowed from the current status (else 409 with the current status) and by
the actor's role and relation to the mission, records the history and keeps the need in step.

Booking: ``_book`` first bumps the professional's ``booking_version`` — an UPDATE, so a row lock
on PostgreSQL and the database write lock on SQLite — then looks for an overlapping active
booking (409 naming that mission), then inserts. The database refuses overlaps on its own too
(exclusion constraint / trigger, see migration 0002), so the rule holds whatever the path.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from diaspora import audit
from diaspora.auth.models import User
from diaspora.db import where_given
from diaspora.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from diaspora.facilities.services import is_coordinator_of
from diaspora.needs import services as needs
from diaspora.needs.models import Need
from diaspora.professionals.models import Professional

from ..sessions import series
from .models import (CHECKLIST, HOLDING, Booking, ChecklistItem, Engagement, Mission, MissionEvent,
                     MissionSession)

MANAGERS = ("manager", "admin")
OPEN = ("proposed", "accepted", "confirmed", "ready", "in_progress", "postponed")
COMMITTED = ("accepted", "confirmed", "ready", "in_progress")
DONE = ("completed", "reported", "closed")
CONTACT_VISIBLE = ("confirmed", "ready", "in_progress", "completed", "reported", "closed")


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]          # "professional" = the mission's own professional,
    needs_reason: bool = False      # "coordinator" = a coordinator of the host facility


TRANSITIONS = {
    "accept": Transition(("proposed",), "accepted", ("professional",)),
    "decline": Transition(("proposed",), "declined", ("professional",), needs_reason=True),
    "confirm": Transition(("accepted",), "confirmed", MANAGERS),
    "ready": Transition(("confirmed",), "ready", MANAGERS),
    "start": Transition(("confirmed", "ready"), "in_progress", MANAGERS + ("scheduler",)),
    "complete": Transition(("in_progress",), "completed", MANAGERS + ("scheduler",)),
    "report": Transition(("completed",), "reported", MANAGERS + ("scheduler",)),
    "close": Transition(("reported",), "closed", MANAGERS),
    "cancel": Transition(OPEN, "cancelled", MANAGERS + ("professional", "coordinator", "scheduler"),
                         needs_reason=True),
    "postpone": Transition(("proposed", "accepted", "confirmed", "ready"), "postponed",
                           MANAGERS + ("coordinator",), needs_reason=True),
}

# Who may tick each readiness item (managers may tick all).
CHECKLIST_ROLES = {
    "orientation": (),
    "insurance": ("professional",),
    "licence_verified": (),
    "terms_agreed": ("professional",),
    "travel_booked": ("professional",),
    "ict_tested": ("professional", "coordinator"),
    "counterpart_assigned": ("coordinator",),
}


class SchedulerActor:
    """The scheduler acting on its own: it appears as "scheduler" in histories."""

    id = None
    role = "scheduler"
    is_manager = False
    is_authenticated = True


SCHEDULER = SchedulerActor()

# Called after every transition with (session, mission, action, actor, now), inside the
# transition's transaction (e.g. notifications, follow-up surveys).
transition_hooks: list[Callable] = []
# Extra conditions for an action: ``fn(session, mission, now)`` raising a DomainError to refuse
# (e.g. "close" needs both outcome reports or a waiver).
transition_guards: dict[str, list[Callable]] = {}


# --- access -------------------------------------------------------------------------------

def relation(session, actor, mission: Mission) -> str | None:
    """How the actor relates to the mission: its role if it may act as such, else None."""
    if actor.role in MANAGERS or actor.role == "scheduler":
        return actor.role
    if actor.role == "professional" and mission.professional.user_id == actor.id:
        return "professional"
    if actor.role == "coordinator" and is_coordinator_of(session, actor, mission.facility_id):
        return "coordinator"
    return None


def get_mission(session, mission_id: int, *, actor) -> Mission:
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(_("No such mission."))
    if relation(session, actor, mission) is None:
        raise Forbidden(_("This mission is not yours to see."))
    return mission


def contact_visible(mission: Mission, actor) -> bool:
    """A facility sees the professional's contact only once the mission is confirmed."""
    return actor.role != "coordinator" or mission.status in CONTACT_VISIBLE


def coordinator_sees_confirmed(session, actor: User, professional: Professional) -> bool:
    """Profile rule for diaspora.professionals: a host coordinator after confirmation."""
    if actor.role != "coordinator":
        return False
    from diaspora.facilities.models import facility_coordinators

    return session.scalar(
        sa.select(sa.func.count(Mission.id))
        .join(facility_coordinators, facility_coordinators.c.facility_id == Mission.facility_id)
        .where(facility_coordinators.c.user_id == actor.id,
               Mission.professional_id == professional.id,
               Mission.status.in_(CONTACT_VISIBLE))) > 0


# What a list of missions shows, loaded in a fixed number of queries whatever the length.
MISSION_LOADING = (
    joinedload(Mission.professional).joinedload(Professional.user),
    joinedload(Mission.facility), joinedload(Mission.need),
    selectinload(Mission.sessions), selectinload(Mission.checklist),
    selectinload(Mission.events),
)


def mission_query(*, actor, status: str | None = None, kind: str | None = None,
                  facility_id: int | None = None, professional_id: int | None = None) -> sa.Select:
    """Missions the actor may see: managers all, coordinators their facilities', professionals theirs."""
    from diaspora.facilities.models import facility_coordinators

    query = (sa.select(Mission).options(*MISSION_LOADING)
             .order_by(Mission.starts_at.desc(), Mission.id.desc()))
    if actor.role == "professional":
        query = query.join(Professional, Professional.id == Mission.professional_id) \
            .where(Professional.user_id == actor.id)
    elif actor.role == "coordinator":
        query = query.join(facility_coordinators,
                           facility_coordinators.c.facility_id == Mission.facility_id) \
            .where(facility_coordinators.c.user_id == actor.id)
    elif actor.role not in MANAGERS:
        raise Forbidden(_("You cannot list missions."))
    return where_given(query, {Mission.status: status, Mission.kind: kind,
                               Mission.facility_id: facility_id,
                               Mission.professional_id: professional_id})


# --- proposing ----------------------------------------------------------------------------

def needs_valid_licence(need: Need, kind: str) -> bool:
    """A physical clinical mission needs a licence valid in the host country every day."""
    return kind == "physical" and need.purpose == "clinical_service"


def has_licence_for(professional: Professional, country: str, first: date, last: date) -> bool:
    return any(l.country == country and l.covers(first, last) for l in professional.licences)


def propose_mission(session, need: Need, professional: Professional, data: dict, *, actor: User,
                    now: datetime) -> Mission:
    """A manager proposes a mission from a match; the professional then accepts or declines.

    ``data``: ``kind``, ``starts_on`` and, for physical work, ``ends_on`` (defaults to the
    need's duration); for virtual work ``weekdays``, ``session_start``, ``session_minutes``,
    ``weeks`` (defaults from the need), optional ``exdates``, ``join_url``, ``note``.
    """
    try:
        return _propose(session, need, professional, data, actor=actor, now=now)
    except DomainError:
        session.rollback()
        raise


def _propose(session, need: Need, professional: Professional, data: dict, *, actor: User,
             now: datetime) -> Mission:
    if actor.role not in MANAGERS:
        raise Forbidden(_("Only programme managers propose missions."))
    if need.status not in ("approved", "matched"):
        raise Conflict(_("Missions are proposed only for approved needs (this one is %(status)s).",
                         status=need.status), extra={"current_status": need.status})
    kind = data["kind"]
    _check_fit(need, professional, kind)
    _lock_professional(session, professional.id)  # before anything of theirs is read or written
    with session.no_autoflush:  # the mission is built whole before anything is written
        mission = _new_mission(need, professional, kind, data, actor=actor, now=now)
        occurrences = _schedule(mission, need, data)
        if needs_valid_licence(need, kind) and not has_licence_for(
                professional, need.facility.country, mission.starts_on, mission.ends_on):
            raise Invalid(_("No licence valid in %(country)s on every day of the mission.",
                            country=need.facility.country),
                          errors={"professional_id": [_("No licence valid in the host country on every day of the mission.")]})
        engagement = _engagement(session, professional, need.facility_id, now)
        mission.cycle = 1 + (session.scalar(
            sa.select(sa.func.max(Mission.cycle)).where(Mission.engagement_id == engagement.id,
                                                        Mission.status.in_(HOLDING))) or 0)
        mission.engagement = engagement
        mission.checklist = [ChecklistItem(item=item) for item in applicable_checklist(kind)]
        session.add(mission)
    _book(session, mission, occurrences)
    _record(mission, None, "proposed", actor=actor, now=now)
    audit.record(session, now=now, actor=actor, action="create", entity="mission",
                 entity_id=mission.id, detail={"professional": professional.id, "need": need.id})
    _run_hooks(session, mission, "propose", actor, now)
    session.commit()
    return mission


def _new_mission(need: Need, professional: Professional, kind: str, data: dict, *,
                 actor: User, now: datetime) -> Mission:
    return Mission(need=need, professional=professional, facility_id=need.facility_id, kind=kind,
                   status="proposed", timezone=need.facility.timezone or "UTC",
                   proposed_by_id=actor.id, proposed_at=now, created_at=now, updated_at=now,
                   note=data.get("note"), join_url=data.get("join_url"))


def _check_fit(need: Need, professional: Professional, kind: str) -> None:
    errors = {}
    if not professional.consent_given:
        errors["professional_id"] = [_("This professional has withdrawn consent.")]
    elif kind not in professional.modes:
        errors["kind"] = [_("This professional does not offer this mode.")]
    if need.mode != "either" and need.mode != kind:
        errors["kind"] = [_("The need asks for %(mode)s work.", mode=need.mode)]
    if errors:
        raise Invalid(_("This mission cannot be proposed."), errors=errors)


def _schedule(mission: Mission, need: Need, data: dict) -> list[series.Occurrence] | None:
    """Set the mission's span (and series); returns the virtual sessions, None for physical."""
    first = data["starts_on"]
    if mission.kind == "physical":
        last = data.get("ends_on") or first + timedelta(days=(need.duration_days or 1) - 1)
        if last < first:
            raise Invalid(errors={"ends_on": [_("The last day must not be before the first.")]})
        if first < need.earliest_start or last > need.latest_end:
            raise Invalid(errors={"starts_on": [_("The mission must fit between %(a)s and %(b)s.",
                                                  a=need.earliest_start, b=need.latest_end)]})
        mission.starts_at, mission.ends_at = series.day_span(first, last, mission.timezone)
        return None
    weekdays = data.get("weekdays") or [series.WEEKDAYS[first.weekday()]]
    weeks = data.get("weeks") or need.weeks or 1
    minutes = data.get("session_minutes") or int(round((need.session_hours or 1) * 60))
    start: time = data.get("session_start") or time(14, 0)
    mission.rrule = series.weekly_rule(weekdays, weeks)
    mission.session_start = start
    mission.session_minutes = minutes
    mission.exdates = [d.isoformat() for d in data.get("exdates") or []]
    mission.series_timezone = series_zone(mission, data.get("series_zone"))
    occurrences = series.occurrences(mission.rrule, first, start, minutes, mission.series_timezone,
                                     data.get("exdates"))
    if not occurrences:
        raise Invalid(errors={"weekdays": [_("These settings give no session.")]})
    first_day = series.local_date(occurrences[0].starts_at, mission.timezone)
    last_day = series.local_date(occurrences[-1].starts_at, mission.timezone)
    if first_day < need.earliest_start or last_day > need.latest_end:
        raise Invalid(errors={"starts_on": [_("The sessions must fit between %(a)s and %(b)s.",
                                              a=need.earliest_start, b=need.latest_end)]})
    mission.starts_at, mission.ends_at = occurrences[0].starts_at, occurrences[-1].ends_at
    mission.sessions = [MissionSession(sequence=n, starts_at=o.starts_at, ends_at=o.ends_at,
                                       timezone=mission.series_timezone)
                        for n, o in enumerate(occurrences, start=1)]
    return occurrences


def series_zone(mission: Mission, choice: str | None) -> str:
    """The zone whose wall-clock time the sessions keep: the host's (default) or, e.g. for a
    New York doctor teaching Tuesdays 09:00 New York time, the professional's."""
    if choice == "professional":
        return mission.professional.timezone
    return mission.timezone


def applicable_checklist(kind: str) -> list[str]:
    skip = "ict_tested" if kind == "physical" else "travel_booked"
    return [item for item in CHECKLIST if item != skip]


def _engagement(session, professional: Professional, facility_id: int, now: datetime) -> Engagement:
    engagement = session.scalar(sa.select(Engagement).where(
        Engagement.professional_id == professional.id, Engagement.facility_id == facility_id))
    if engagement is None:
        engagement = Engagement(professional_id=professional.id, facility_id=facility_id,
                                created_at=now)
        session.add(engagement)
        session.flush()
    return engagement


# --- booking ------------------------------------------------------------------------------

def _lock_professional(session, professional_id: int) -> None:
    session.execute(sa.update(Professional).where(Professional.id == professional_id)
                    .values(booking_version=Professional.booking_version + 1)
                    .execution_options(synchronize_session=False))


def find_clash(session, professional_id: int, spans, *, ignore_mission: int | None = None) -> Mission | None:
    """The first mission whose active booking overlaps any of ``spans`` ([start, end) pairs)."""
    if not spans:
        return None
    overlaps = sa.or_(*[sa.and_(Booking.starts_at < end, Booking.ends_at > start)
                        for start, end in spans])
    query = (sa.select(Mission).join(Booking, Booking.mission_id == Mission.id)
             .where(Booking.professional_id == professional_id, Booking.active.is_(True), overlaps)
             .order_by(Booking.starts_at).limit(1))
    if ignore_mission is not None:
        query = query.where(Mission.id != ignore_mission)
    return session.scalar(query)


def _spans(mission: Mission, occurrences) -> list[tuple[datetime, datetime]]:
    if occurrences is None:
        return [(mission.starts_at, mission.ends_at)]
    return [(o.starts_at, o.ends_at) for o in occurrences]


def _book(session, mission: Mission, occurrences) -> None:
    """Hold the professional's time for ``mission``; 409 naming the clash if it is taken.

    The caller holds the professional's lock (``_lock_professional``).
    """
    professional_id = mission.professional.id
    try:
        spans = _spans(mission, occurrences)
        clash = find_clash(session, professional_id, spans, ignore_mission=mission.id)
        if clash is not None:
            raise _clash_error(clash)
        session.flush()  # the mission and its sessions get their ids
        if occurrences is None:
            session.add(Booking(professional_id=professional_id, mission=mission,
                                starts_at=mission.starts_at, ends_at=mission.ends_at))
        else:
            for mission_session in mission.sessions:
                session.add(Booking(professional_id=professional_id, mission=mission,
                                    session_id=mission_session.id,
                                    starts_at=mission_session.starts_at,
                                    ends_at=mission_session.ends_at))
        session.flush()
    except Conflict:
        session.rollback()
        raise
    except (IntegrityError, OperationalError) as error:
        # The database's own guard (exclusion constraint, trigger) or a lock that could not be
        # had: report the clash as a person would see it.
        session.rollback()
        if not _is_overlap_error(error):
            raise
        clash = find_clash(session, professional_id, _spans(mission, occurrences))
        raise _clash_error(clash) from error


def _is_overlap_error(error: Exception) -> bool:
    text = str(getattr(error, "orig", error)).lower()
    return "bookings_no_overlap" in text or "booking overlaps" in text or "database is locked" in text


def _clash_error(clash: Mission | None) -> Conflict:
    if clash is None:
        return Conflict(_("This professional is already booked at that time."))
    return Conflict(
        _("This professional is already booked at that time: mission %(id)s (%(first)s to %(last)s).",
          id=clash.id, first=clash.starts_on, last=clash.ends_on),
        extra={"conflicting_mission": clash.id})


def _release(mission: Mission) -> None:
    for booking in mission.bookings:
        booking.active = False


# --- transitions --------------------------------------------------------------------------

def transition(session, mission: Mission, action: str, *, actor, now: datetime,
               reason: str | None = None) -> Mission:
    """Apply ``action`` to ``mission`` (see ``TRANSITIONS``) and commit."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise NotFound(_("Unknown action."))
    acting_as = relation(session, actor, mission)
    if acting_as is None or acting_as not in rule.roles:
        raise Forbidden(_("You cannot %(action)s this mission.", action=action))
    if mission.status not in rule.sources:
        raise Conflict(_("The mission is %(status)s: it cannot be changed this way.",
                         status=mission.status), extra={"current_status": mission.status})
    if rule.needs_reason and not (reason and reason.strip()):
        raise Invalid(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    _guard(session, mission, action, now)
    previous = mission.status
    mission.status = rule.target
    mission.updated_at = now
    if action in ("decline", "cancel", "postpone"):
        mission.status_reason = reason
        _release(mission)
    if action in ("accept", "decline"):
        mission.responded_at = now
    if action == "confirm":
        mission.confirmed_at = now
    _record(mission, previous, rule.target, actor=actor, now=now, reason=reason)
    _follow_need(session, mission.need, now=now, actor=actor)
    audit.record(session, now=now, actor=actor if actor.id else None, action="update",
                 entity="mission", entity_id=mission.id,
                 detail={"from": previous, "to": rule.target})
    _run_hooks(session, mission, action, actor, now)
    session.commit()
    return mission


def _guard(session, mission: Mission, action: str, now: datetime) -> None:
    if action == "ready":
        missing = [item.item for item in mission.checklist if item.done_at is None]
        if missing:
            raise Conflict(_("The readiness checklist is not complete: %(items)s.",
                             items=", ".join(missing)),
                           extra={"current_status": mission.status, "missing": missing})
    if action == "confirm" and needs_valid_licence(mission.need, mission.kind) and not has_licence_for(
            mission.professional, mission.facility.country, mission.starts_on, mission.ends_on):
        raise Conflict(_("No licence valid in the host country on every day of the mission."),
                       extra={"current_status": mission.status})
    if action == "start" and now < mission.starts_at:
        raise Conflict(_("The mission has not started yet."), extra={"current_status": mission.status})
    for guard in transition_guards.get(action, []):
        guard(session, mission, now)


def _follow_need(session, need: Need, *, now: datetime, actor) -> None:
    statuses = set(session.scalars(sa.select(Mission.status).where(Mission.need_id == need.id)))
    needs.follow_missions(session, need, now=now,
                          has_committed=bool(statuses & set(COMMITTED)),
                          has_completed=bool(statuses & set(DONE)),
                          actor=actor if getattr(actor, "id", None) else None,
                          label=getattr(actor, "role", None))


def _record(mission: Mission, from_status, to_status, *, actor, now: datetime,
            reason: str | None = None) -> None:
    mission.events.append(MissionEvent(at=now, actor_id=getattr(actor, "id", None),
                                       actor_label=actor.role, from_status=from_status,
                                       to_status=to_status, reason=reason))


def _run_hooks(session, mission, action, actor, now) -> None:
    for hook in transition_hooks:
        hook(session, mission, action, actor, now)


def reschedule(session, mission: Mission, data: dict, *, actor: User, now: datetime) -> Mission:
    """A postponed mission gets new dates and is proposed again (the time is booked anew)."""
    if actor.role not in MANAGERS:
        raise Forbidden(_("Only programme managers reschedule missions."))
    if mission.status != "postponed":
        raise Conflict(_("Only a postponed mission can be rescheduled."),
                       extra={"current_status": mission.status})
    try:
        return _reschedule(session, mission, data, actor=actor, now=now)
    except DomainError:
        session.rollback()
        raise


def _reschedule(session, mission: Mission, data: dict, *, actor: User, now: datetime) -> Mission:
    _lock_professional(session, mission.professional_id)
    for booking in list(mission.bookings):
        session.delete(booking)
    for old in list(mission.sessions):
        session.delete(old)
    session.flush()
    mission.sessions = []
    occurrences = _schedule(mission, mission.need, {**data, "kind": mission.kind})
    _book(session, mission, occurrences)
    _record(mission, "postponed", "proposed", actor=actor, now=now, reason=data.get("note"))
    mission.status = "proposed"
    mission.responded_at = None
    mission.updated_at = now
    _run_hooks(session, mission, "reschedule", actor, now)
    session.commit()
    return mission


# --- readiness ----------------------------------------------------------------------------

def tick(session, mission: Mission, item: str, done: bool, *, actor, now: datetime,
         note: str | None = None) -> ChecklistItem:
    """Tick or untick a readiness item."""
    entry = next((c for c in mission.checklist if c.item == item), None)
    if entry is None:
        raise NotFound(_("This mission has no such checklist item."))
    acting_as = relation(session, actor, mission)
    if acting_as is None or (acting_as not in MANAGERS and acting_as not in CHECKLIST_ROLES[item]):
        raise Forbidden(_("You cannot change this checklist item."))
    if mission.status not in ("accepted", "confirmed", "ready"):
        raise Conflict(_("The checklist is kept between acceptance and the start."),
                       extra={"current_status": mission.status})
    if done and item == "licence_verified" and needs_valid_licence(mission.need, mission.kind) \
            and not has_licence_for(mission.professional, mission.facility.country,
                                    mission.starts_on, mission.ends_on):
        raise Invalid(errors={"item": [_("No licence valid in the host country on every day of the mission.")]})
    entry.done_at = now if done else None
    entry.done_by_id = actor.id if done else None
    entry.note = note
    if not done and mission.status == "ready":  # no longer ready
        _record(mission, "ready", "confirmed", actor=actor, now=now,
                reason=_("checklist item reopened: %(item)s", item=item))
        mission.status = "confirmed"
    mission.updated_at = now
    session.commit()
    return entry


# --- consent ------------------------------------------------------------------------------

def cancel_pending_for(session, professional: Professional, *, actor, now: datetime) -> None:
    """Consent withdrawn: pending proposals are cancelled at once (caller commits)."""
    pending = session.scalars(sa.select(Mission).where(
        Mission.professional_id == professional.id,
        Mission.status.in_(("proposed", "accepted")))).all()
    for mission in pending:
        previous = mission.status
        mission.status = "cancelled"
        mission.status_reason = _("consent withdrawn")
        mission.updated_at = now
        _release(mission)
        _record(mission, previous, "cancelled", actor=actor, now=now, reason=mission.status_reason)
        _follow_need(session, mission.need, now=now, actor=actor)
        _run_hooks(session, mission, "cancel", actor, now)


def present(mission: Mission, actor) -> Mission:
    """The mission as ``actor`` may see it: the professional's contact only when visible."""
    professional = mission.professional
    mission.contact = ({"email": professional.user.email, "phone": professional.phone}
                       if contact_visible(mission, actor) else None)
    return mission


# --- privacy ------------------------------------------------------------------------------

def refuse_erasure_during_missions(session, user: User, now: datetime) -> None:
    """A person cannot be erased while a mission of theirs is confirmed or under way."""
    busy = session.scalar(sa.select(Mission.id).join(Professional).where(
        Professional.user_id == user.id,
        Mission.status.in_(("confirmed", "ready", "in_progress"))).limit(1))
    if busy is not None:
        raise Conflict(_("A confirmed or running mission must be cancelled or completed first."),
                       extra={"conflicting_mission": busy})


def missions_of(session, user: User) -> tuple[str, list[dict]]:
    """The person's missions, for their data export."""
    missions = session.scalars(sa.select(Mission).join(Professional)
                               .where(Professional.user_id == user.id)
                               .order_by(Mission.starts_at)).all()
    return "missions", [{"id": m.id, "facility": m.facility.name, "kind": m.kind,
                         "status": m.status, "starts_at": m.starts_at.isoformat(),
                         "ends_at": m.ends_at.isoformat(), "cycle": m.cycle,
                         "history": [{"at": e.at.isoformat(), "to": e.to_status, "reason": e.reason}
                                     for e in m.events]} for m in missions]
