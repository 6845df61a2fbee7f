"""Proposing a mission: a manager offers a professional's time to an approved need.

The professional then accepts or declines (``lifecycle.transition``).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from diaspora import audit
from diaspora.auth.models import User
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.needs.models import Need
from diaspora.professionals.models import Professional
from diaspora.programmes import access as programmes
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, MATCHABLE, Mode, NeedStatus

from . import booking, engagements, lifecycle
from .licences import has_licence_for, needs_valid_licence
from .models import CHECKLIST, ChecklistItem, Mission
from .vocabulary import OPEN, MissionStatus


def propose_mission(session: Session, need: Need, professional: Professional, data: dict, *,
                    actor: Actor, now: datetime) -> Mission:
    """A manager proposes a mission from a match; the professional then accepts or declines.

    ``data``: ``kind``, ``starts_on`` and, for physical work, ``ends_on`` (defaults to the
    need's duration); for virtual work ``weekdays``, ``session_start``, ``session_minutes``,
    ``weeks`` (defaults from the need), optional ``exdates``, ``join_url``, ``note``.
    """
    with unit_of_work(session):
        return _propose(session, need, professional, data, actor=actor, now=now)


def _propose(session: Session, need: Need, professional: Professional, data: dict, *,
             actor: Actor, now: datetime) -> Mission:
    if actor.role not in MANAGERS:
        raise Forbidden(_("Only programme managers propose missions."))
    if not programmes.need_in_reach(session, actor, need):
        raise Forbidden(_("This need belongs to a programme you do not manage."))
    if need.status not in MATCHABLE:
        raise Conflict(_("Missions are proposed only for approved needs (this one is %(status)s).",
                         status=NeedStatus.label_of(need.status)),
                       extra={"current_status": need.status})
    kind = data["kind"]
    _check_fit(need, professional, kind)
    booking.lock_professional(session, professional.id)  # before anything of theirs is read or written
    _refuse_second_proposal(session, need, professional)
    with session.no_autoflush:  # the mission is built whole before anything is written
        mission = _new_mission(need, professional, kind, data, actor=actor, now=now)
        occurrences = booking.schedule(mission, need, data)
        if needs_valid_licence(need, kind) and not has_licence_for(
                professional, need.facility.country, mission.starts_on, mission.ends_on):
            raise Invalid(_("No licence valid in %(country)s on every day of the mission.",
                            country=need.facility.country),
                          errors={"professional_id": [_("No licence valid in the host country on every day of the mission.")]})
        mission.engagement = engagements.engagement_for(session, professional, need.facility_id,
                                                        now)
        mission.checklist = [ChecklistItem(item=item) for item in applicable_checklist(kind)]
        session.add(mission)
    booking.book(session, mission, occurrences)
    engagements.renumber(session, mission.engagement_id)
    lifecycle.record(mission, None, MissionStatus.PROPOSED, actor=actor, now=now)
    audit.record(session, now=now, actor=actor, action="create", entity="mission",
                 entity_id=mission.id, detail={"professional": professional.id, "need": need.id})
    lifecycle.run_hooks(session, mission, "propose", actor, now)
    return mission


def preview(need: Need, professional: Professional, data: dict) -> list[tuple]:
    """What a proposal with ``data`` would book, computed on a mission that is never stored:
    in person, its first and last day (host zone); online, each session's start and end.
    Invalid as the proposal would be."""
    mission = Mission(kind=data["kind"], timezone=need.facility.timezone or "UTC")
    mission.professional = professional
    occurrences = booking.schedule(mission, need, data)
    if occurrences is None:
        return [(mission.starts_on, mission.ends_on)]
    return [(occurrence.starts_at, occurrence.ends_at) for occurrence in occurrences]


def open_missions_for(session: Session, need_id: int) -> dict[int, Mission]:
    """Professional id → their open mission (proposed, accepted … in progress, postponed) for
    the need: they are not proposed for it again (a finished mission may be followed by a
    return visit)."""
    missions = session.scalars(sa.select(Mission).where(
        Mission.need_id == need_id, Mission.status.in_(OPEN)).order_by(Mission.id))
    return {mission.professional_id: mission for mission in missions}


def _refuse_second_proposal(session: Session, need: Need, professional: Professional) -> None:
    mission = open_missions_for(session, need.id).get(professional.id)
    if mission is not None:
        message = _("%(name)s already has a mission for this need (%(status)s).",
                    name=professional.full_name, status=MissionStatus.label_of(mission.status))
        raise Conflict(message, errors={"professional_id": [message]},
                       extra={"mission_id": mission.id, "conflicting_mission": mission.id,
                              "current_status": mission.status})


def _new_mission(need: Need, professional: Professional, kind: str, data: dict, *,
                 actor: User, now: datetime) -> Mission:
    return Mission(need=need, professional=professional, facility_id=need.facility_id, kind=kind,
                   status=MissionStatus.PROPOSED, timezone=need.facility.timezone or "UTC",
                   proposed_by_id=actor.id, proposed_at=now, created_at=now, updated_at=now,
                   note=data.get("note"), join_url=data.get("join_url"))


def _check_fit(need: Need, professional: Professional, kind: str) -> None:
    errors = {}
    if not professional.consent_given:
        errors["professional_id"] = [_("This professional has withdrawn consent.")]
    elif not professional.consents_to(need.programme_id):
        errors["professional_id"] = [_("This professional has not consented to this programme.")]
    elif kind not in professional.modes:
        errors["kind"] = [_("This professional does not offer this mode.")]
    if need.mode != Mode.EITHER and need.mode != kind:
        errors["kind"] = [_("The need asks for %(mode)s work.", mode=need.mode)]
    if errors:
        raise Invalid(_("This mission cannot be proposed."), errors=errors)


def applicable_checklist(kind: str) -> list[str]:
    skip = "ict_tested" if kind == Mode.PHYSICAL else "travel_booked"
    return [item for item in CHECKLIST if item != skip]
