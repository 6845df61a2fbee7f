"""Who may see and act on a mission, and the groups of statuses the rules speak of.

``relation`` is the one answer to "how does this actor stand to this mission" that every
permission check of the missions package asks; ``mission_query`` lists what an actor may see.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from diaspora.auth.models import User
from diaspora.db import where_given
from diaspora.errors import Forbidden, NotFound
from diaspora.facilities.services import is_coordinator_of
from diaspora.programmes import access as programmes
from diaspora.professionals.models import Professional

from .models import Mission

MANAGERS = ("manager", "admin")
OPEN = ("proposed", "accepted", "confirmed", "ready", "in_progress", "postponed")
COMMITTED = ("accepted", "confirmed", "ready", "in_progress")
DONE = ("completed", "reported", "closed")
CONTACT_VISIBLE = ("confirmed", "ready", "in_progress", "completed", "reported", "closed")


def relation(session, actor, mission: Mission) -> str | None:
    """How the actor relates to the mission: its role if it may act as such, else None.
    A programme manager relates to the missions of their programmes' needs only."""
    if actor.role in MANAGERS:
        return actor.role if programmes.need_in_reach(session, actor, mission.need) else None
    if actor.role == "scheduler":
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


def mission_loading() -> tuple:
    """What a list of missions shows, loaded in a fixed number of queries whatever the length.

    Made when asked, not at import: loader options configure every mapper, which needs all
    the models imported.
    """
    return (joinedload(Mission.professional).joinedload(Professional.user),
            joinedload(Mission.facility), joinedload(Mission.need),
            selectinload(Mission.sessions), selectinload(Mission.checklist),
            selectinload(Mission.events))


def mission_query(*, actor, status: str | None = None, kind: str | None = None,
                  facility_id: int | None = None, professional_id: int | None = None) -> sa.Select:
    """Missions the actor may see: managers their programmes', admins all, coordinators their
    facilities', professionals theirs."""
    from diaspora.facilities.models import facility_coordinators

    query = (sa.select(Mission).options(*mission_loading())
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
    elif (need_ids := programmes.need_ids_in_reach(actor)) is not None:
        query = query.where(Mission.need_id.in_(need_ids))
    return where_given(query, {Mission.status: status, Mission.kind: kind,
                               Mission.facility_id: facility_id,
                               Mission.professional_id: professional_id})


def present(mission: Mission, actor) -> Mission:
    """The mission as ``actor`` may see it: the professional's contact only when visible."""
    professional = mission.professional
    mission.contact = ({"email": professional.user.email, "phone": professional.phone}
                       if contact_visible(mission, actor) else None)
    return mission
