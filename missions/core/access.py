"""Who may see and act on a mission.

``relation`` is the one answer to "how does this actor stand to this mission" that every
permission check of the missions package asks; ``mission_query`` lists what an actor may see.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload, selectinload

from diaspora.db import where_given
from diaspora.errors import Conflict, Forbidden, NotFound
from diaspora.facilities.models import facility_coordinators
from diaspora.facilities.services import is_coordinator_of
from diaspora.professionals.models import Professional
from diaspora.professionals.services import read_contact
from diaspora.programmes import access as programmes
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, SCHEDULER, Role

from .models import Mission
from .vocabulary import BOARD, DONE, UNDER_WAY, WENT_AHEAD

# Once a mission went ahead the host facility is told who comes (lists name the professional).
NAMED_TO_HOST = WENT_AHEAD


def relation(session: Session, actor: Actor, mission: Mission) -> str | None:
    """How the actor relates to the mission: its role if it may act as such, else None.
    A programme manager relates to the missions of their programmes' needs only."""
    if actor.role in MANAGERS:
        return actor.role if programmes.need_in_reach(session, actor, mission.need) else None
    if actor.role == SCHEDULER:
        return actor.role
    if actor.role == Role.PROFESSIONAL and mission.professional.user_id == actor.id:
        return Role.PROFESSIONAL
    if actor.role == Role.COORDINATOR and is_coordinator_of(session, actor, mission.facility_id):
        return Role.COORDINATOR
    return None


CERTIFICATE_HOLDERS = (Role.PROFESSIONAL, Role.MANAGER, Role.ADMIN)


def may_have_certificate(session: Session, actor: Actor, mission: Mission) -> bool:
    """The certificate is the professional's own; managers of the mission may print it too."""
    return relation(session, actor, mission) in CERTIFICATE_HOLDERS


def certificate_open(session: Session, actor: Actor, mission: Mission) -> bool:
    """Whether the mission's page offers its certificate: done, and the actor may have it."""
    return mission.status in DONE and may_have_certificate(session, actor, mission)


def get_mission(session: Session, mission_id: int, *, actor: Actor) -> Mission:
    mission = session.get(Mission, mission_id)
    if mission is None:
        raise NotFound(_("No such mission."))
    if relation(session, actor, mission) is None:
        raise Forbidden(_("This mission is not yours to see."))
    return mission


def contact_window(mission: Mission, now: datetime) -> bool:
    """A host facility may read the professional's contact while the mission is confirmed,
    ready or in progress, and for ``CONTACT_VISIBLE_DAYS_AFTER`` days after its end."""
    if mission.status in UNDER_WAY:
        return True
    after = timedelta(days=current_app.config["CONTACT_VISIBLE_DAYS_AFTER"])
    return mission.status in DONE and now < mission.ends_at + after


def named_to(mission: Mission, actor: Actor) -> bool:
    """Whether ``actor`` is told who the professional is: the host once the mission went ahead."""
    return actor.role != Role.COORDINATOR or mission.status in NAMED_TO_HOST


def may_read_contact(session: Session, mission: Mission, actor: Actor, now: datetime) -> bool:
    """Whether *Show contact* is offered: managers, and the host inside the contact window."""
    acting_as = relation(session, actor, mission)
    return acting_as in MANAGERS or (acting_as == Role.COORDINATOR and contact_window(mission, now))


def sees_facility_missions(session: Session, actor: Actor, facility_id: int) -> bool:
    """The missions panel of a facility's page: managers and the facility's coordinators."""
    return actor.is_manager or (actor.role == Role.COORDINATOR
                                and is_coordinator_of(session, actor, facility_id))


def mission_contact(session, mission: Mission, *, actor, now: datetime) -> dict:
    """The professional's e-mail and phone, read for this mission by a programme manager or,
    within the contact window, a host coordinator; audited each time."""
    acting_as = relation(session, actor, mission)
    if acting_as not in MANAGERS + (Role.COORDINATOR,):
        raise Forbidden(_("Only the host facility and programme managers read the contact."))
    if acting_as == Role.COORDINATOR and not contact_window(mission, now):
        raise Conflict(_("The contact is shared while the mission is confirmed or under way, "
                         "and for %(days)d days after it ends.",
                         days=current_app.config["CONTACT_VISIBLE_DAYS_AFTER"]),
                       extra={"current_status": mission.status})
    return read_contact(session, mission.professional, actor=actor, now=now, purpose="mission",
                        mission_id=mission.id)


def mission_loading() -> tuple:
    """What a list of missions shows, loaded in a fixed number of queries whatever the length.

    Made when asked, not at import: loader options configure every mapper, which needs all
    the models imported.
    """
    return (joinedload(Mission.professional).joinedload(Professional.user),
            joinedload(Mission.professional).selectinload(Professional.languages),
            joinedload(Mission.facility), joinedload(Mission.need),
            selectinload(Mission.sessions), selectinload(Mission.checklist),
            selectinload(Mission.events))


def mission_query(*, actor, status: str | None = None, kind: str | None = None,
                  facility_id: int | None = None, professional_id: int | None = None) -> sa.Select:
    """Missions the actor may see: managers their programmes', admins all, coordinators their
    facilities', professionals theirs."""
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
    elif (need_ids := programmes.need_ids_in_reach(actor)) is not None:
        query = query.where(Mission.need_id.in_(need_ids))
    return where_given(query, {Mission.status: status, Mission.kind: kind,
                               Mission.facility_id: facility_id,
                               Mission.professional_id: professional_id})



# --- lists of the mission pages -----------------------------------------------------------

def board_columns(session: Session, per_column: int) -> dict[str, list[Mission]]:
    """The soonest ``per_column`` missions of each board column, in two queries whatever the
    number of missions: per column, the first rows of ``ix_missions_status_starts``."""
    firsts = [sa.select(Mission.id).where(Mission.status == status)
              .order_by(Mission.starts_at, Mission.id).limit(per_column).subquery()
              for status in BOARD]
    ids = sa.union_all(*[sa.select(first.c.id) for first in firsts])
    missions = session.scalars(
        sa.select(Mission).where(Mission.id.in_(ids)).options(*mission_loading())
        .order_by(Mission.status, Mission.starts_at, Mission.id)).all()
    return {key: list(group) for key, group in groupby(missions, key=lambda m: m.status)}


def status_counts(session: Session) -> dict[str, int]:
    """Missions by status, for the managers' overview."""
    return dict(session.execute(sa.select(Mission.status, sa.func.count(Mission.id))
                                .group_by(Mission.status)).all())


def missions_of_need(session: Session, need_id: int) -> list[Mission]:
    """With what the need's page lists of each (the professional, the sessions) loaded at once."""
    return session.scalars(sa.select(Mission).where(Mission.need_id == need_id)
                           .options(selectinload(Mission.professional), selectinload(Mission.sessions))
                           .order_by(Mission.proposed_at)).all()


def missions_at_facility(session: Session, facility_id: int, limit: int = 50) -> list[Mission]:
    """With what the facility's page lists of each (the need, the sessions) loaded at once."""
    return session.scalars(sa.select(Mission).where(Mission.facility_id == facility_id)
                           .options(selectinload(Mission.need), selectinload(Mission.sessions))
                           .order_by(Mission.starts_at.desc()).limit(limit)).all()
