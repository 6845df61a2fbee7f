"""The mission lifecycle.

Every change of status goes through ``transition`` (people and the scheduler alike), which
checks the action is allowed from the current status (else 409 with the current status) and by
the actor's role and relation to the mission, changes the status with a compare-and-set
(``diaspora.statemachine.apply``, before any side effect: of two racing actions one wins and
the other answers 409 having written nothing), records the history and keeps the need in step.
A mission that leaves the circular engagement's chain (declined, cancelled, postponed) or joins
it again (rescheduled) has the chain renumbered by date (``engagements.renumber``).
Here too: rescheduling a postponed mission, the readiness checklist, and the hooks the registry
calls (consent withdrawn, erasure, data export).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from diaspora import audit, statemachine
from diaspora.auth.models import User
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from diaspora.needs import services as needs
from diaspora.needs.models import Need
from diaspora.professionals.models import Professional
from diaspora.security import Actor
from diaspora.statemachine import Transition
from diaspora.vocabulary import MANAGERS, SCHEDULER as SCHEDULER_ROLE, Role

from . import booking, engagements
from .access import relation
from .hooks import mission_hooks
from .licences import has_licence_for, needs_valid_licence
from .models import ChecklistItem, Mission, MissionEvent
from .vocabulary import (
    CHECKLIST_OPEN,
    COMMITTED,
    DONE,
    OPEN,
    POSTPONABLE,
    UNDER_WAY,
    MissionAction as Action,
    MissionStatus as Status,
)

# Roles: "professional" = the mission's own professional, "coordinator" = a coordinator of the
# host facility, "scheduler" = the scheduler acting on its own.
TRANSITIONS = {
    Action.ACCEPT: Transition((Status.PROPOSED,), Status.ACCEPTED, (Role.PROFESSIONAL,)),
    Action.DECLINE: Transition((Status.PROPOSED,), Status.DECLINED, (Role.PROFESSIONAL,),
                               needs_reason=True),
    Action.CONFIRM: Transition((Status.ACCEPTED,), Status.CONFIRMED, MANAGERS),
    Action.READY: Transition((Status.CONFIRMED,), Status.READY, MANAGERS),
    Action.START: Transition((Status.CONFIRMED, Status.READY), Status.IN_PROGRESS,
                             MANAGERS + (SCHEDULER_ROLE,)),
    Action.COMPLETE: Transition((Status.IN_PROGRESS,), Status.COMPLETED, MANAGERS + (SCHEDULER_ROLE,)),
    Action.REPORT: Transition((Status.COMPLETED,), Status.REPORTED, MANAGERS + (SCHEDULER_ROLE,)),
    Action.CLOSE: Transition((Status.REPORTED,), Status.CLOSED, MANAGERS),
    Action.CANCEL: Transition(OPEN, Status.CANCELLED,
                              MANAGERS + (Role.PROFESSIONAL, Role.COORDINATOR, SCHEDULER_ROLE),
                              needs_reason=True),
    Action.POSTPONE: Transition(POSTPONABLE, Status.POSTPONED, MANAGERS + (Role.COORDINATOR,),
                                needs_reason=True),
}
# Actions that give the professional's time back.
RELEASING = (Action.DECLINE, Action.CANCEL, Action.POSTPONE)
# Called off because the professional withdrew consent.
CONSENT_PENDING = (Status.PROPOSED, Status.ACCEPTED)
# A checklist item reopened on a ready mission makes it confirmed again.
REOPENED = Transition((Status.READY,), Status.CONFIRMED)
RESCHEDULED = Transition((Status.POSTPONED,), Status.PROPOSED, MANAGERS)


def refusal(status: str) -> str:
    return _("The mission is %(status)s: it cannot be changed this way.",
             status=Status.label_of(status))


# Who may tick each readiness item (managers may tick all).
CHECKLIST_ROLES = {
    "orientation": (),
    "insurance": (Role.PROFESSIONAL,),
    "licence_verified": (),
    "terms_agreed": (Role.PROFESSIONAL,),
    "travel_booked": (Role.PROFESSIONAL,),
    "ict_tested": (Role.PROFESSIONAL, Role.COORDINATOR),
    "counterpart_assigned": (Role.COORDINATOR,),
}


class SchedulerActor:
    """The scheduler acting on its own: it appears as "scheduler" in histories."""

    id = None
    role = SCHEDULER_ROLE
    is_manager = False
    is_authenticated = True


SCHEDULER = SchedulerActor()


# --- transitions --------------------------------------------------------------------------

def available_actions(session: Session, mission: Mission, actor: Actor,
                      now: datetime) -> list[str]:
    """The actions ``actor`` may take on ``mission`` now, in the order of ``TRANSITIONS``:
    allowed from its status, by the actor's relation to it, and not a start before its start.
    (The readiness, licence and hook guards are checked when the action is taken.)"""
    acting_as = relation(session, actor, mission)
    return [action for action, rule in TRANSITIONS.items()
            if rule.allows(mission.status) and acting_as in rule.roles
            and not (action == Action.START and _too_early(mission, now))]


def may_reschedule(mission: Mission, actor: Actor) -> bool:
    return mission.status == Status.POSTPONED and actor.role in MANAGERS


def transition(session: Session, mission: Mission, action: str, *, actor: Actor, now: datetime,
               reason: str | None = None) -> Mission:
    """Apply ``action`` to ``mission`` (see ``TRANSITIONS``) in one unit of work."""
    rule = statemachine.rule_for(
        TRANSITIONS, action, mission, acting_as=relation(session, actor, mission),
        refusal=refusal, reason=reason,
        forbidden=_("You cannot %(action)s this mission.", action=action))
    _guard(session, mission, action, now)
    with unit_of_work(session):
        _change(session, mission, action, rule, actor=actor, now=now, reason=reason)
    return mission


def _change(session: Session, mission: Mission, action: str, rule: Transition, *,
            actor: Actor, now: datetime, reason: str | None) -> None:
    """The status first (compare-and-set), then everything that follows from it."""
    values = {"updated_at": now}
    if action in RELEASING:
        values["status_reason"] = reason
    if action in (Action.ACCEPT, Action.DECLINE):
        values["responded_at"] = now
    if action == Action.CONFIRM:
        values["confirmed_at"] = now
    if action in RELEASING:  # the professional's time and chain change: their lock first
        booking.lock_professional(session, mission.professional_id)
    previous = statemachine.apply(session, mission, rule, refusal=refusal, **values)
    if action in RELEASING:
        booking.release(mission)
        engagements.renumber(session, mission.engagement_id)
    record(mission, previous, rule.target, actor=actor, now=now, reason=reason)
    _follow_need(session, mission.need, now=now, actor=actor)
    audit.record(session, now=now, actor=actor if actor.id else None, action="update",
                 entity="mission", entity_id=mission.id,
                 detail={"from": previous, "to": rule.target})
    run_hooks(session, mission, action, actor, now)


def transition_many(session: Session, missions: list[Mission], action: str, *, actor: Actor,
                    now: datetime) -> list[Mission]:
    """``transition`` for many missions in one unit of work and a constant number of
    statements (the scheduler's starts and completions after downtime); returns those that
    moved. Each mission is checked and guarded as ``transition`` does and left out if refused
    (asked again next time); the statuses change by compare-and-set, one UPDATE per status
    seen; then the histories and audit rows (one INSERT each), the needs (locked together, in
    id order) and the hooks follow, a hook's batch form (``MissionHooks.after_transition_batch``)
    running once for all. The caller loads the missions with their needs (else they load one
    by one).
    Not for actions that need a reason or give time back."""
    rule = TRANSITIONS[action]
    if rule.needs_reason or action in RELEASING:
        raise ValueError(f"{action} is taken one mission at a time")
    allowed = []
    for mission in missions:
        if relation(session, actor, mission) not in rule.roles or not rule.allows(mission.status):
            continue
        try:
            _guard(session, mission, action, now)
        except DomainError:
            continue
        allowed.append(mission)
    if not allowed:
        return []
    with unit_of_work(session):
        moved = statemachine.apply_many(session, allowed, rule, updated_at=now)
        if not moved:
            return []
        # the histories and audit rows in one INSERT each (the histories read afresh if asked)
        session.execute(sa.insert(MissionEvent), [
            {"mission_id": mission.id, "at": now, "actor_id": getattr(actor, "id", None),
             "actor_label": actor.role, "from_status": previous, "to_status": rule.target,
             "reason": None} for mission, previous in moved])
        audit.record_many(session, now=now, actor=actor if actor.id else None, action="update",
                          entity="mission", details={mission.id: {"from": previous, "to": rule.target}
                                                     for mission, previous in moved})
        missions = [mission for mission, _previous in moved]
        for mission in missions:
            session.expire(mission, ["events"])
        _follow_needs(session, {mission.need_id for mission in missions}, now=now, actor=actor)
        run_hooks_many(session, missions, action, actor, now)
    return missions


def _follow_needs(session, need_ids: set[int], *, now: datetime, actor) -> None:
    """``_follow_need`` for many needs: locked together, their missions' statuses in one query."""
    if not need_ids:
        return
    locked = needs.lock_many(session, need_ids)
    statuses: dict[int, set[str]] = {need_id: set() for need_id in need_ids}
    for need_id, status in session.execute(sa.select(Mission.need_id, Mission.status).distinct()
                                           .where(Mission.need_id.in_(need_ids))):
        statuses[need_id].add(status)
    needs.follow_missions_many(
        session, [(need, bool(statuses[need.id] & set(COMMITTED)), bool(statuses[need.id] & set(DONE)))
                  for need in locked],
        now=now, actor=actor if getattr(actor, "id", None) else None,
        label=getattr(actor, "role", None))


def _too_early(mission: Mission, now: datetime) -> bool:
    return now < mission.starts_at


def _guard(session: Session, mission: Mission, action: str, now: datetime) -> None:
    if action == Action.READY:
        missing = [item.item for item in mission.checklist if item.done_at is None]
        if missing:
            raise Conflict(_("The readiness checklist is not complete: %(items)s.",
                             items=", ".join(missing)),
                           extra={"current_status": mission.status, "missing": missing})
    if action == Action.CONFIRM and needs_valid_licence(mission.need, mission.kind) and not has_licence_for(
            mission.professional, mission.facility.country, mission.starts_on, mission.ends_on):
        raise Conflict(_("No licence valid in the host country on every day of the mission."),
                       extra={"current_status": mission.status})
    if action == Action.START and _too_early(mission, now):
        raise Conflict(_("The mission has not started yet."), extra={"current_status": mission.status})
    for guard in mission_hooks().guards.get(action, []):
        guard(session, mission, now)


def _follow_need(session, need: Need, *, now: datetime, actor) -> None:
    """Keep the need in step with its missions: locked first, so two missions of one need
    changing at once are counted one after the other."""
    needs.lock(session, need)
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


def run_hooks_many(session, missions: list[Mission], action, actor, now) -> None:
    """The hooks of ``missions``' transition: a hook's batch form once for all, else the hook
    for each mission."""
    hooks = mission_hooks()
    for hook in hooks.after_transition:
        batch = hooks.after_transition_batch.get(hook)
        if batch is not None:
            batch(session, missions, action, actor, now)
            continue
        for mission in missions:
            hook(session, mission, action, actor, now)


def reschedule(session: Session, mission: Mission, data: dict, *, actor: Actor,
               now: datetime) -> Mission:
    """A postponed mission gets new dates and is proposed again (the time is booked anew)."""
    if relation(session, actor, mission) not in MANAGERS:
        raise Forbidden(_("Only programme managers reschedule missions."))
    statemachine.check(mission, RESCHEDULED, _only_postponed)
    with unit_of_work(session):
        return _reschedule(session, mission, data, actor=actor, now=now)


def _only_postponed(status: str) -> str:
    return _("Only a postponed mission can be rescheduled.")


def _reschedule(session: Session, mission: Mission, data: dict, *, actor: Actor,
                now: datetime) -> Mission:
    # The professional first, as a proposal does, then the mission: one order of locks.
    booking.lock_professional(session, mission.professional_id)
    statemachine.apply(session, mission, RESCHEDULED, refusal=_only_postponed, responded_at=None,
                       updated_at=now)
    for held in list(mission.bookings):
        session.delete(held)
    for old in list(mission.sessions):
        session.delete(old)
    session.flush()
    mission.sessions = []
    occurrences = booking.schedule(mission, mission.need, {**data, "kind": mission.kind})
    booking.book(session, mission, occurrences)
    record(mission, Status.POSTPONED, Status.PROPOSED, actor=actor, now=now, reason=data.get("note"))
    engagements.renumber(session, mission.engagement_id)  # back in the chain, at its new date
    run_hooks(session, mission, "reschedule", actor, now)
    return mission


# --- readiness ----------------------------------------------------------------------------

def tickable_items(session: Session, mission: Mission, actor: Actor) -> set[str]:
    """The readiness items ``actor`` may tick or untick now (none once the checklist is closed)."""
    if mission.status not in CHECKLIST_OPEN:
        return set()
    acting_as = relation(session, actor, mission)
    return {item.item for item in mission.checklist if _may_tick(acting_as, item.item)
            and not _ticked_by_verification(mission, item.item)}


def _ticked_by_verification(mission: Mission, item: str) -> bool:
    """A physical clinical mission's licence item is ticked by a licence verification
    (``missions.documents.readiness``), never by hand."""
    return item == "licence_verified" and needs_valid_licence(mission.need, mission.kind)


def _may_tick(acting_as: str | None, item: str) -> bool:
    return acting_as is not None and (acting_as in MANAGERS or acting_as in CHECKLIST_ROLES[item])


def tick(session: Session, mission: Mission, item: str, done: bool, *, actor: Actor,
         now: datetime, note: str | None = None) -> ChecklistItem:
    """Tick or untick a readiness item."""
    entry = next((c for c in mission.checklist if c.item == item), None)
    if entry is None:
        raise NotFound(_("This mission has no such checklist item."))
    if not _may_tick(relation(session, actor, mission), item):
        raise Forbidden(_("You cannot change this checklist item."))
    kept = Transition(CHECKLIST_OPEN, mission.status)
    statemachine.check(mission, kept, _checklist_closed)
    if _ticked_by_verification(mission, item):
        raise Invalid(errors={"item": [_("This item is ticked when a manager verifies the "
                                         "licence against a document.")]})
    # The mission's row is compare-and-set even when its status stays, so a tick never
    # crosses a transition: unticking while someone marks the mission ready is a 409.
    reopened = not done and mission.status == Status.READY
    with unit_of_work(session):
        statemachine.apply(session, mission, REOPENED if reopened else kept,
                           refusal=_checklist_closed, updated_at=now)
        entry.done_at = now if done else None
        entry.done_by_id = actor.id if done else None
        entry.note = note
        if reopened:  # no longer ready
            record(mission, Status.READY, Status.CONFIRMED, actor=actor, now=now,
                   reason=_("checklist item reopened: %(item)s", item=item))
    return entry


def _checklist_closed(status: str) -> str:
    return _("The checklist is kept between acceptance and the start.")


# --- consent ------------------------------------------------------------------------------

def cancel_pending_for(session: Session, professional: Professional, *, actor: Actor,
                       now: datetime, programme_id: int | None = None) -> None:
    """Consent withdrawn: pending proposals are cancelled at once, as a cancel by the
    professional would, through the same change (history, need, audit, hooks) in the
    caller's unit of work: all of them, or those for the needs of ``programme_id`` when only
    its consent was withdrawn. The missions are locked as they are read, so none changes
    status between the read and the cancel."""
    query = sa.select(Mission).where(Mission.professional_id == professional.id,
                                     Mission.status.in_(CONSENT_PENDING))
    if programme_id is not None:
        query = query.where(Mission.need_id.in_(
            sa.select(Need.id).where(Need.programme_id == programme_id)))
    pending = session.scalars(query.order_by(Mission.id).with_for_update()
                              .execution_options(populate_existing=True)).all()
    for mission in pending:
        _change(session, mission, Action.CANCEL, TRANSITIONS[Action.CANCEL], actor=actor, now=now,
                reason=_("consent withdrawn"))


# --- privacy ------------------------------------------------------------------------------

def refuse_erasure_during_missions(session, user: User, now: datetime) -> None:
    """A person cannot be erased while a mission of theirs is confirmed or under way."""
    busy = session.scalar(sa.select(Mission.id).join(Professional).where(
        Professional.user_id == user.id,
        Mission.status.in_(UNDER_WAY)).limit(1))
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
                         "note": m.note, "status_reason": m.status_reason,
                         "history": [{"at": e.at.isoformat(), "from": e.from_status,
                                      "to": e.to_status, "reason": e.reason,
                                      "by": e.actor.name if e.actor else None,
                                      "by_role": e.actor_label} for e in m.events],
                         "checklist": [{"item": c.item, "done_at": c.done_at.isoformat()
                                        if c.done_at else None, "note": c.note}
                                       for c in m.checklist]} for m in missions]
