"""Needs: filed by a facility's coordinator, approved by a programme manager.

Status: draft → submitted → approved / returned (with reason) → matched → fulfilled / closed.
``matched`` and ``fulfilled`` follow the missions (see ``missions.core.lifecycle``); every change is
kept in ``NeedEvent``. An illegal change answers 409 with the current status; every change is
a compare-and-set (``diaspora.statemachine``), so of two racing ones the second is a 409 too.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy.orm import Session, contains_eager, selectinload

from .. import audit, statemachine
from ..db import unit_of_work, where_given
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..facilities.models import Facility, facility_coordinators
from ..facilities.services import is_coordinator_of
from ..programmes import access as programmes
from ..programmes.models import Programme
from ..security import Actor
from ..statemachine import Transition
from ..vocabulary import MANAGERS, MATCHABLE, NEED_EDITABLE, NEED_OPEN, NEED_ROLES, NeedStatus as Status, Role
from .models import Need, NeedCounterpart, NeedEvent
from .schemas import NeedSchema

TRANSITIONS = {
    "submit": Transition(NEED_EDITABLE, Status.SUBMITTED, NEED_ROLES),
    "approve": Transition((Status.SUBMITTED,), Status.APPROVED, MANAGERS),
    "return": Transition((Status.SUBMITTED,), Status.RETURNED, MANAGERS, needs_reason=True),
    "close": Transition(NEED_OPEN + (Status.FULFILLED,), Status.CLOSED, NEED_ROLES,
                        needs_reason=True),
}


# --- access -------------------------------------------------------------------------------

def can_see(session: Session, actor: Actor, need: Need) -> bool:
    """Managers: the needs of their programmes (``diaspora.programmes.access``); admins all;
    coordinators their facilities'."""
    if actor.is_manager:
        return programmes.need_in_reach(session, actor, need)
    return actor.role == Role.COORDINATOR and is_coordinator_of(session, actor, need.facility_id)


def _require_visible(session: Session, actor: Actor, need: Need) -> None:
    if can_see(session, actor, need):
        return
    if actor.is_manager:
        raise Forbidden(_("This need belongs to a programme you do not manage."))
    raise Forbidden(_("This need belongs to another facility."))


def can_file_need(session: Session, actor: Actor, facility_id: int | None = None) -> bool:
    """For ``facility_id``: whether ``actor`` may file a need there (managers anywhere,
    coordinators at their facilities). Without: whether the needs list offers to file one
    (coordinators; managers file from a facility's page)."""
    if facility_id is None:
        return actor.role == Role.COORDINATOR
    return actor.is_manager or (actor.role == Role.COORDINATOR
                                and is_coordinator_of(session, actor, facility_id))


def can_edit(need: Need) -> bool:
    """Whether the need may be changed (by whoever may see it): only a draft or returned one."""
    return need.status in NEED_EDITABLE


def can_match(need: Need, actor: Actor) -> bool:
    """Whether ``actor`` may look for professionals for the need."""
    return actor.is_manager and need.status in MATCHABLE


def available_actions(need: Need, actor: Actor) -> list[str]:
    """The actions (``TRANSITIONS``) the actor's role may take on the need in its status."""
    return [action for action, rule in TRANSITIONS.items()
            if rule.allows(need.status) and actor.role in rule.roles]


def get_need(session: Session, need_id: int, *, actor: Actor) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(_("No such need."))
    _require_visible(session, actor, need)
    return need


def need_query(*, actor: Actor, status: str | None = None, facility_id: int | None = None,
               country: str | None = None, mode: str | None = None,
               purpose: str | None = None) -> sa.Select:
    """Needs the actor may see: managers their programmes', admins all, coordinators their
    facilities', others none."""
    if not (actor.is_manager or actor.role == Role.COORDINATOR):
        raise Forbidden(_("Only facility coordinators and programme managers see needs."))
    query = (sa.select(Need).join(Facility, Need.facility_id == Facility.id)
             .options(contains_eager(Need.facility), selectinload(Need.counterparts))
             .order_by(Need.priority, Need.earliest_start, Need.id))
    if actor.role == Role.COORDINATOR:
        query = query.join(facility_coordinators,
                           facility_coordinators.c.facility_id == Need.facility_id) \
            .where(facility_coordinators.c.user_id == actor.id)
    elif (need_ids := programmes.need_ids_in_reach(actor)) is not None:
        query = query.where(Need.id.in_(need_ids))
    return where_given(query, {Need.status: status, Need.facility_id: facility_id,
                               Facility.country: country and country.upper(), Need.mode: mode,
                               Need.purpose: purpose})


# --- changes ------------------------------------------------------------------------------

def _check_facility(session: Session, actor: Actor, facility_id: int) -> None:
    if session.get(Facility, facility_id) is None:
        raise Invalid(errors={"facility_id": [_("No such facility.")]})
    if not can_file_need(session, actor, facility_id):
        raise Forbidden(_("You can file needs only for facilities you coordinate."))


def _check_programme(session: Session, actor: Actor, programme_id: int | None) -> None:
    if programme_id is not None and session.get(Programme, programme_id) is None:
        raise Invalid(errors={"programme_id": [_("No such programme.")]})
    if actor.is_manager:
        programmes.require_programme(session, actor, programme_id)


def _check_reach(session: Session, actor: Actor, data: dict) -> None:
    """A manager files and changes needs only within their programmes (``data`` whole)."""
    reach = programmes.reach_of(session, actor) if actor.is_manager else None
    if reach is not None and not reach.covers(data.get("programme_id"),
                                              session.get(Facility, data["facility_id"]).country):
        raise Forbidden(_("This need belongs to a programme you do not manage."))


def _apply(need: Need, data: dict) -> None:
    for field, value in data.items():
        if field == "counterparts":
            need.counterparts = [NeedCounterpart(**item) for item in value]
        else:
            setattr(need, field, value)


def create_need(session: Session, data: dict, *, actor: Actor, now: datetime,
                submit: bool = False) -> Need:
    _check_facility(session, actor, data["facility_id"])
    _check_programme(session, actor, data.get("programme_id"))
    _check_reach(session, actor, data)
    with unit_of_work(session):
        need = Need(created_by_id=actor.id, created_at=now, updated_at=now, status=Status.DRAFT)
        _apply(need, data)
        session.add(need)
        _record(need, None, Status.DRAFT, actor=actor, now=now)
        session.flush()
        audit.record(session, now=now, actor=actor, action="create", entity="need",
                     entity_id=need.id)
        if submit:
            _transition(session, need, "submit", actor=actor, now=now)
    return need


def update_need(session: Session, need: Need, changes: dict, *, actor: Actor,
                now: datetime) -> Need:
    """Change a draft or returned need; the merged need is validated as a whole."""
    _require_visible(session, actor, need)
    if need.status not in NEED_EDITABLE:
        raise Conflict(_("Only a draft or returned need can be changed (this one is %(status)s).",
                         status=Status.label_of(need.status)), extra={"current_status": need.status})
    try:
        data = NeedSchema().load({**NeedSchema().dump(need), **_jsonable(changes)})
    except ValidationError as error:
        raise Invalid(_("Some information is not valid."), errors=error.messages) from error
    if data["facility_id"] != need.facility_id:
        _check_facility(session, actor, data["facility_id"])
    _check_programme(session, actor, data.get("programme_id"))
    _check_reach(session, actor, data)
    with unit_of_work(session):
        _apply(need, data)
        need.updated_at = now
        audit.record(session, now=now, actor=actor, action="update", entity="need",
                     entity_id=need.id)
    return need


def _jsonable(changes: dict) -> dict:
    """Loaded values back to their input form, so the merged need can be loaded again."""
    return NeedSchema(partial=True).dump(changes)


def act(session: Session, need: Need, action: str, *, actor: Actor, now: datetime,
        reason: str | None = None) -> Need:
    """Submit, approve, return or close a need."""
    if action not in TRANSITIONS:
        raise NotFound(_("Unknown action."))
    _require_visible(session, actor, need)
    with unit_of_work(session):
        _transition(session, need, action, actor=actor, now=now, reason=reason)
    return need


def _transition(session: Session, need: Need, action: str, *, actor: Actor, now: datetime,
                reason: str | None = None) -> None:
    rule = statemachine.rule_for(
        TRANSITIONS, action, need, acting_as=actor.role, refusal=refusal, reason=reason,
        forbidden=_("Your role cannot %(action)s a need.", action=action))
    values = {"updated_at": now}
    if action == "submit":
        values.update(submitted_at=now, return_reason=None)
    elif action == "approve":
        values.update(approved_at=now, approved_by_id=actor.id)
    elif action == "return":
        values["return_reason"] = reason
    previous = statemachine.apply(session, need, rule, refusal=refusal, **values)
    _record(need, previous, rule.target, actor=actor, now=now, reason=reason)


def refusal(status: str) -> str:
    return _("A %(status)s need cannot be changed this way.", status=Status.label_of(status))


def _record(need: Need, from_status, to_status, *, actor: Actor | None, now: datetime,
            reason: str | None = None, label: str | None = None) -> None:
    need.events.append(NeedEvent(at=now, actor_id=getattr(actor, "id", None),
                                 actor_label=label or getattr(actor, "role", None),
                                 from_status=from_status, to_status=to_status, reason=reason))


def lock(session: Session, need: Need) -> None:
    """Lock the need's row and read it afresh (what a mission change does before it counts
    the need's missions); on SQLite the write lock the caller holds already does this."""
    session.execute(sa.select(Need).where(Need.id == need.id).with_for_update()
                    .execution_options(populate_existing=True))


def follow_missions(session: Session, need: Need, *, now: datetime, has_committed: bool,
                    has_completed: bool, actor: Actor | None = None,
                    label: str | None = None) -> None:
    """Keep ``matched`` / ``fulfilled`` in step with the need's missions (the caller holds the
    need's lock, see ``lock``, and its unit of work commits)."""
    target = _followed(need, has_committed, has_completed)
    if target != need.status:
        previous = statemachine.apply(session, need, Transition((need.status,), target),
                                      refusal=refusal, updated_at=now)
        _record(need, previous, target, actor=actor, now=now, label=label)


def _followed(need: Need, has_committed: bool, has_completed: bool) -> str:
    """The status a need takes from what its missions are."""
    if has_completed and need.status in MATCHABLE:
        return Status.FULFILLED
    if has_committed and need.status == Status.APPROVED:
        return Status.MATCHED
    if not has_committed and not has_completed and need.status == Status.MATCHED:
        return Status.APPROVED
    return need.status


def lock_many(session: Session, need_ids) -> list[Need]:
    """``lock`` for many needs at once, in id order (one SELECT … FOR UPDATE)."""
    return list(session.scalars(
        sa.select(Need).where(Need.id.in_(need_ids)).order_by(Need.id).with_for_update()
        .execution_options(populate_existing=True)))


def follow_missions_many(session: Session, facts: list[tuple[Need, bool, bool]], *,
                         now: datetime, actor: Actor | None = None,
                         label: str | None = None) -> None:
    """``follow_missions`` for many locked needs, ``(need, has_committed, has_completed)``
    each: one compare-and-set UPDATE per change of status and one INSERT of the histories,
    whatever the number of needs."""
    changes: dict[tuple[str, str], list[Need]] = {}
    for need, has_committed, has_completed in facts:
        target = _followed(need, has_committed, has_completed)
        if target != need.status:
            changes.setdefault((need.status, target), []).append(need)
    events = []
    for (source, target), group in changes.items():
        for need, previous in statemachine.apply_many(session, group, Transition((source,), target),
                                                      updated_at=now):
            events.append({"need_id": need.id, "at": now, "actor_id": getattr(actor, "id", None),
                           "actor_label": label or getattr(actor, "role", None),
                           "from_status": previous, "to_status": target, "reason": None})
            session.expire(need, ["events"])   # read afresh if asked
    if events:
        session.execute(sa.insert(NeedEvent), events)


# --- erasure ------------------------------------------------------------------------------

def scrub_needs(session, need_ids, scrubber, user: Actor) -> None:
    """Erasure: the needs' texts no longer name ``user`` (``scrubber``, see
    ``diaspora.privacy.scrub``); the reasons ``user`` gave for status changes are replaced
    whole. ``need_ids`` is a collection or a SELECT of ids; the caller commits."""
    needs = session.scalars(sa.select(Need).where(Need.id.in_(need_ids))
                            .options(selectinload(Need.events), selectinload(Need.counterparts))).all()
    scrubber.rows(needs, "title", "description", "return_reason")
    for need in needs:
        scrubber.own([e for e in need.events if e.actor_id == user.id], "reason")
        scrubber.rows(need.events, "reason")
        scrubber.rows(need.counterparts, "name", "role")
