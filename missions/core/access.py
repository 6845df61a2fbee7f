"""Who may see and act on a mission.

``relation`` is the one answer to "how does this actor stand to this mission" that every
permission check of the missions package asks; ``mission_query`` lists what an actor may see.
"""
from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload, selectinload

from diaspora.auth.models import User
from diaspora.db import where_given
from diaspora.errors import Forbidden, NotFound
from diaspora.facilities.models import facility_coordinators
from diaspora.facilities.services import is_coordinator_of
from diaspora.professionals.models import Professional
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, SCHEDULER, Role

from .models import Mission
from .vocabulary import BOARD, CONTACT_VISIBLE


def relation(session: Session, actor: Actor, mission: Mission) -> str | None:
    """How the actor relates to the mission: its role if it may act as such, else None."""
    if actor.role in MANAGERS or actor.role == SCHEDULER:
        return actor.role
    if actor.role == Role.PROFESSIONAL and mission.professional.user_id == actor.id:
        return Role.PROFESSIONAL
    if actor.role == Role.COORDINATOR and is_coordinator_of(session, actor, mission.facility_id):
        return Role.COORDINATOR
    return None


def get_mission(session: Session, mission_id: int, *, actor: Actor) -> Mission:
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(_("No such mission."))
    if relation(session, actor, mission) is None:
        raise Forbidden(_("This mission is not yours to see."))
    return mission


def sees_facility_missions(session: Session, actor: Actor, facility_id: int) -> bool:
    """The missions panel of a facility's page: managers and the facility's coordinators."""
    return actor.is_manager or (actor.role == Role.COORDINATOR
                                and is_coordinator_of(session, actor, facility_id))


def contact_visible(mission: Mission, actor: Actor) -> bool:
    """A facility sees the professional's contact only once the mission is confirmed."""
    return actor.role != Role.COORDINATOR or mission.status in CONTACT_VISIBLE


def coordinator_sees_confirmed(session, actor: User, professional: Professional) -> bool:
    """Profile rule for diaspora.professionals: a host coordinator after confirmation."""
    if actor.role != Role.COORDINATOR:
        return False
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
    """Missions the actor may see: managers all, coordinators their facilities', professionals theirs."""
    query = (sa.select(Mission).options(*mission_loading())
             .order_by(Mission.starts_at.desc(), Mission.id.desc()))
    if actor.role == Role.PROFESSIONAL:
        query = query.join(Professional, Professional.id == Mission.professional_id) \
            .where(Professional.user_id == actor.id)
    elif actor.role == Role.COORDINATOR:
        query = query.join(facility_coordinators,
                           facility_coordinators.c.facility_id == Mission.facility_id) \
            .where(facility_coordinators.c.user_id == actor.id)
    elif actor.role not in MANAGERS:
        raise Forbidden(_("You cannot list missions."))
    return where_given(query, {Mission.status: status, Mission.kind: kind,
                               Mission.facility_id: facility_id,
                               Mission.professional_id: professional_id})


def present(mission: Mission, actor: Actor) -> Mission:
    """The mission as ``actor`` may see it: the professional's contact only when visible."""
    professional = mission.professional
    mission.contact = ({"email": professional.user.email, "phone": professional.phone}
                       if contact_visible(mission, actor) else None)
    return mission


# --- lists of the mission pages -----------------------------------------------------------

def board_columns(session: Session, per_column: int) -> dict[str, list[Mission]]:
    """The soonest ``per_column`` missions of each board column, in two queries whatever the
    number of missions."""
    rank = sa.func.row_number().over(partition_by=Mission.status,
                                     order_by=(Mission.starts_at, Mission.id)).label("rank")
    ranked = (sa.select(Mission.id, rank).where(Mission.status.in_(BOARD))
              .subquery())
    missions = session.scalars(
        sa.select(Mission).join(ranked, ranked.c.id == Mission.id)
        .where(ranked.c.rank <= per_column).options(*mission_loading())
        .order_by(Mission.status, Mission.starts_at, Mission.id)).all()
    return {key: list(group) for key, group in groupby(missions, key=lambda m: m.status)}


def status_counts(session: Session) -> dict[str, int]:
    """Missions by status, for the managers' overview."""
    return dict(session.execute(sa.select(Mission.status, sa.func.count(Mission.id))
                                .group_by(Mission.status)).all())


def missions_of_need(session: Session, need_id: int) -> list[Mission]:
    return session.scalars(sa.select(Mission).where(Mission.need_id == need_id)
                           .order_by(Mission.proposed_at)).all()


def missions_at_facility(session: Session, facility_id: int, limit: int = 50) -> list[Mission]:
    return session.scalars(sa.select(Mission).where(Mission.facility_id == facility_id)
                           .order_by(Mission.starts_at.desc()).limit(limit)).all()
