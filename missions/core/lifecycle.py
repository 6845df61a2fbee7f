"""The mission lifecycle.

Every change of status goes through ``transition`` (people and the scheduler alike), which
checks the action is allowed from the current status (else 409 with the current status) and by
the actor's role and relation to the mission, records the history and keeps the need in step.
Here too: rescheduling a postponed mission, the readiness checklist, and the hooks the registry
calls (consent withdrawn, erasure, data export).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora import audit
from diaspora.auth.models import User
from diaspora.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from diaspora.needs import services as needs
from diaspora.needs.models import Need
from diaspora.professionals.models import Professional

from . import booking
from .access import COMMITTED, DONE, MANAGERS, OPEN, relation
from .hooks import mission_hooks
from .licences import has_licence_for, needs_valid_licence
from .models import ChecklistItem, Mission, MissionEvent


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
        booking.release(mission)
    if action in ("accept", "decline"):
        mission.responded_at = now
    if action == "confirm":
        mission.confirmed_at = now
    record(mission, previous, rule.target, actor=actor, now=now, reason=reason)
    _follow_need(session, mission.need, now=now, actor=actor)
    audit.record(session, now=now, actor=actor if actor.id else None, action="update",
                 entity="mission", entity_id=mission.id,
                 detail={"from": previous, "to": rule.target})
    run_hooks(session, mission, action, actor, now)
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
    for guard in mission_hooks().guards.get(action, []):
        guard(session, mission, now)


def _follow_need(session, need: Need, *, now: datetime, actor) -> None:
    statuses = set(session.scalars(sa.select(Mission.status).where(Mission.need_id == need.id)))
    needs.follow_missions(session, need, now=now,
                          has_committed=bool(statuses & set(COMMITTED)),
                          has_completed=bool(statuses & set(DONE)),
                          actor=actor if getattr(actor, "id", None) else None,
                          label=getattr(actor, "role", None))


def record(mission: Mission, from_status, to_status, *, actor, now: datetime,
            reason: str | None = None) -> None:
    mission.events.append(MissionEvent(at=now, actor_id=getattr(actor, "id", None),
                                       actor_label=actor.role, from_status=from_status,
                                       to_status=to_status, reason=reason))


def run_hooks(session, mission, action, actor, now) -> None:
    for hook in mission_hooks().after_transition:
        hook(session, mission, action, actor, now)


def reschedule(session, mission: Mission, data: dict, *, actor: User, now: datetime) -> Mission:
    """A postponed mission gets new dates and is proposed again (the time is booked anew)."""
    if relation(session, actor, mission) not in MANAGERS:
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
    booking.lock_professional(session, mission.professional_id)
    for held in list(mission.bookings):
        session.delete(held)
    for old in list(mission.sessions):
        session.delete(old)
    session.flush()
    mission.sessions = []
    occurrences = booking.schedule(mission, mission.need, {**data, "kind": mission.kind})
    booking.book(session, mission, occurrences)
    record(mission, "postponed", "proposed", actor=actor, now=now, reason=data.get("note"))
    mission.status = "proposed"
    mission.responded_at = None
    mission.updated_at = now
    run_hooks(session, mission, "reschedule", actor, now)
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
        record(mission, "ready", "confirmed", actor=actor, now=now,
                reason=_("checklist item reopened: %(item)s", item=item))
        mission.status = "confirmed"
    mission.updated_at = now
    session.commit()
    return entry


# --- consent ------------------------------------------------------------------------------

def cancel_pending_for(session, professional: Professional, *, actor, now: datetime,
                       programme_id: int | None = None) -> None:
    """Consent withdrawn: pending proposals are cancelled at once (caller commits), all of
    them, or those for the needs of ``programme_id`` when only its consent was withdrawn."""
    query = sa.select(Mission).where(Mission.professional_id == professional.id,
                                     Mission.status.in_(("proposed", "accepted")))
    if programme_id is not None:
        query = query.where(Mission.need_id.in_(
            sa.select(Need.id).where(Need.programme_id == programme_id)))
    pending = session.scalars(query).all()
    for mission in pending:
        previous = mission.status
        mission.status = "cancelled"
        mission.status_reason = _("consent withdrawn")
        mission.updated_at = now
        booking.release(mission)
        record(mission, previous, "cancelled", actor=actor, now=now, reason=mission.status_reason)
        _follow_need(session, mission.need, now=now, actor=actor)
        run_hooks(session, mission, "cancel", actor, now)


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
