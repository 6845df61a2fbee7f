"""Who hears about a mission, and the facts a message about it shows."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.programmes.models import Programme, programme_managers
from diaspora.vocabulary import Mode, Role

from ..core.models import Mission


def professional(mission: Mission) -> list[User]:
    return [mission.professional.user]


def coordinators(mission: Mission) -> list[User]:
    return [user for user in mission.facility.coordinators if user.active]


def mission_people(mission: Mission) -> list[User]:
    """The professional and the host facility's coordinators."""
    return professional(mission) + coordinators(mission)


def managers(session, mission: Mission) -> list[User]:
    """The need's programme managers and the manager who proposed; else the managers the need
    is within reach of (``diaspora.programmes.access``), else the admins — never the managers
    of other programmes."""
    chosen = {user.id: user for user in (mission.need.programme.managers
                                         if mission.need.programme else [])}
    if mission.proposed_by is not None:
        chosen[mission.proposed_by.id] = mission.proposed_by
    people = [user for user in chosen.values() if user.active]
    if people:
        return people
    active = User.active.is_(True)
    if mission.need.programme_id is None:  # the managers of the programmes of its country
        covering = sa.select(programme_managers.c.user_id).join(
            Programme, Programme.id == programme_managers.c.programme_id).where(
            Programme.origin_country == mission.facility.country)
        people = list(session.scalars(sa.select(User).where(
            User.role == Role.MANAGER, active, User.id.in_(covering)).order_by(User.id)))
    return people or list(session.scalars(
        sa.select(User).where(User.role == Role.ADMIN, active).order_by(User.id)))


def mission_facts(mission: Mission) -> dict:
    """Payload values every message about a mission can show."""
    return facts(mission=mission.need.title, facility=mission.facility.name,
                 professional=mission.professional.full_name, kind=mission.kind,
                 starts_at=mission.starts_at, ends_at=mission.ends_at, timezone=mission.timezone)


def facts(*, mission: str, facility: str, professional: str, kind: str, starts_at, ends_at,
          timezone: str) -> dict:
    """``mission_facts`` from plain values (the scheduler reads them as columns)."""
    facts = {"mission": mission, "facility": facility, "professional": professional,
             "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()}
    if kind == Mode.PHYSICAL:  # whole days in the host's zone: shown as dates, not times
        zone = ZoneInfo(timezone)
        facts.update(first_day=starts_at.astimezone(zone).date().isoformat(),   # Mission.starts_on
                     last_day=(ends_at - timedelta(microseconds=1)).astimezone(zone).date()
                     .isoformat())                                             # Mission.ends_on
    return facts
