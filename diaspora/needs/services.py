"""Needs: filed by a facility's coordinator, approved by a programme manager.

Status: draft → submitted → approved / returned (with reason) → matched → fulfilled / closed.
``matched`` and ``fulfilled`` follow the missions (see ``missions.core.lifecycle``); every change is
kept in ``NeedEvent``. An illegal change answers 409 with the current status.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload
from flask_babel import gettext as _
from marshmallow import ValidationError

from .. import audit
from ..auth.models import User
from ..db import where_given
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..facilities.models import Facility, facility_coordinators
from ..facilities.services import is_coordinator_of
from ..programmes import access as programmes
from ..programmes.models import Programme
from .models import Need, NeedCounterpart, NeedEvent
from .schemas import NeedSchema

EDITABLE = ("draft", "returned")
OPEN = ("draft", "submitted", "approved", "returned", "matched")

# action: (statuses it starts from, status it leads to, who may do it)
TRANSITIONS = {
    "submit": (("draft", "returned"), "submitted", ("coordinator", "manager", "admin")),
    "approve": (("submitted",), "approved", ("manager", "admin")),
    "return": (("submitted",), "returned", ("manager", "admin")),
    "close": (OPEN + ("fulfilled",), "closed", ("coordinator", "manager", "admin")),
}
NEEDS_REASON = ("return", "close")


# --- access -------------------------------------------------------------------------------

def can_see(session, actor: User, need: Need) -> bool:
    """Managers: the needs of their programmes (``diaspora.programmes.access``); admins all;
    coordinators their facilities'."""
    if actor.is_manager:
        return programmes.need_in_reach(session, actor, need)
    return actor.role == "coordinator" and is_coordinator_of(session, actor, need.facility_id)


def _require_visible(session, actor: User, need: Need) -> None:
    if can_see(session, actor, need):
        return
    if actor.is_manager:
        raise Forbidden(_("This need belongs to a programme you do not manage."))
    raise Forbidden(_("This need belongs to another facility."))


def get_need(session, need_id: int, *, actor: User) -> Need:
    need = session.get(Need, need_id)
    if need is None:
        raise NotFound(_("No such need."))
    _require_visible(session, actor, need)
    return need


def need_query(*, actor: User, status: str | None = None,
               facility_id: int | None = None, country: str | None = None, mode: str | None = None,
               purpose: str | None = None) -> sa.Select:
    """Needs the actor may see: managers their programmes', admins all, coordinators their
    facilities', others none."""
    if not (actor.is_manager or actor.role == "coordinator"):
        raise Forbidden(_("Only facility coordinators and programme managers see needs."))
    query = (sa.select(Need).join(Facility, Need.facility_id == Facility.id)
             .options(contains_eager(Need.facility), selectinload(Need.counterparts))
             .order_by(Need.priority, Need.earliest_start, Need.id))
    if actor.role == "coordinator":
        query = query.join(facility_coordinators,
                           facility_coordinators.c.facility_id == Need.facility_id) \
            .where(facility_coordinators.c.user_id == actor.id)
    elif (need_ids := programmes.need_ids_in_reach(actor)) is not None:
        query = query.where(Need.id.in_(need_ids))
    return where_given(query, {Need.status: status, Need.facility_id: facility_id,
                               Facility.country: country and country.upper(), Need.mode: mode,
                               Need.purpose: purpose})


# --- changes ------------------------------------------------------------------------------

def _check_facility(session, actor: User, facility_id: int) -> None:
    if session.get(Facility, facility_id) is None:
        raise Invalid(errors={"facility_id": [_("No such facility.")]})
    if not actor.is_manager and not (actor.role == "coordinator"
                                     and is_coordinator_of(session, actor, facility_id)):
        raise Forbidden(_("You can file needs only for facilities you coordinate."))


def _check_programme(session, actor: User, programme_id: int | None) -> None:
    if programme_id is not None and session.get(Programme, programme_id) is None:
        raise Invalid(errors={"programme_id": [_("No such programme.")]})
    if actor.is_manager:
        programmes.require_programme(session, actor, programme_id)


def _check_reach(session, actor: User, data: dict) -> None:
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


def create_need(session, data: dict, *, actor: User, now: datetime, submit: bool = False) -> Need:
    _check_facility(session, actor, data["facility_id"])
    _check_programme(session, actor, data.get("programme_id"))
    _check_reach(session, actor, data)
    need = Need(created_by_id=actor.id, created_at=now, updated_at=now, status="draft")
    _apply(need, data)
    session.add(need)
    _record(need, None, "draft", actor=actor, now=now)
    session.flush()
    audit.record(session, now=now, actor=actor, action="create", entity="need", entity_id=need.id)
    if submit:
        _transition(session, need, "submit", actor=actor, now=now)
    session.commit()
    return need


def update_need(session, need: Need, changes: dict, *, actor: User, now: datetime) -> Need:
    """Change a draft or returned need; the merged need is validated as a whole."""
    _require_visible(session, actor, need)
    if need.status not in EDITABLE:
        raise Conflict(_("Only a draft or returned need can be changed (this one is %(status)s).",
                         status=need.status), extra={"current_status": need.status})
    try:
        data = NeedSchema().load({**NeedSchema().dump(need), **_jsonable(changes)})
    except ValidationError as error:
        raise Invalid(_("Some information is not valid."), errors=error.messages) from error
    if data["facility_id"] != need.facility_id:
        _check_facility(session, actor, data["facility_id"])
    _check_programme(session, actor, data.get("programme_id"))
    _check_reach(session, actor, data)
    _apply(need, data)
    need.updated_at = now
    audit.record(session, now=now, actor=actor, action="update", entity="need", entity_id=need.id)
    session.commit()
    return need


def _jsonable(changes: dict) -> dict:
    """Loaded values back to their input form, so the merged need can be loaded again."""
    return NeedSchema(partial=True).dump(changes)


def act(session, need: Need, action: str, *, actor: User, now: datetime,
        reason: str | None = None) -> Need:
    """Submit, approve, return or close a need."""
    if action not in TRANSITIONS:
        raise NotFound(_("Unknown action."))
    _require_visible(session, actor, need)
    _transition(session, need, action, actor=actor, now=now, reason=reason)
    session.commit()
    return need


def _transition(session, need: Need, action: str, *, actor: User, now: datetime,
                reason: str | None = None) -> None:
    sources, target, roles = TRANSITIONS[action]
    if actor.role not in roles:
        raise Forbidden(_("Your role cannot %(action)s a need.", action=action))
    if need.status not in sources:
        raise Conflict(_("A %(status)s need cannot be changed this way.", status=need.status),
                       extra={"current_status": need.status})
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise Invalid(errors={"reason": [_("Give a reason.")]})
    if action == "submit":
        need.submitted_at = now
        need.return_reason = None
    elif action == "approve":
        need.approved_at = now
        need.approved_by_id = actor.id
    elif action == "return":
        need.return_reason = reason
    _record(need, need.status, target, actor=actor, now=now, reason=reason)
    need.status = target
    need.updated_at = now


def _record(need: Need, from_status, to_status, *, actor: User | None, now: datetime,
            reason: str | None = None, label: str | None = None) -> None:
    need.events.append(NeedEvent(at=now, actor_id=getattr(actor, "id", None),
                                 actor_label=label or getattr(actor, "role", None),
                                 from_status=from_status, to_status=to_status, reason=reason))


def follow_missions(session, need: Need, *, now: datetime, has_committed: bool,
                    has_completed: bool, actor: User | None = None, label: str | None = None) -> None:
    """Keep ``matched`` / ``fulfilled`` in step with the need's missions (caller commits)."""
    target = need.status
    if has_completed and need.status in ("approved", "matched"):
        target = "fulfilled"
    elif has_committed and need.status == "approved":
        target = "matched"
    elif not has_committed and not has_completed and need.status == "matched":
        target = "approved"
    if target != need.status:
        _record(need, need.status, target, actor=actor, now=now, label=label)
        need.status = target
        need.updated_at = now
