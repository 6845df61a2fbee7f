"""Facility queries and the few changes made after import."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..auth.models import User
from ..db import unit_of_work, where_given
from ..errors import Forbidden, NotFound
from .corrections import record_corrections
from .models import Facility, facility_coordinators


def facility_query(*, q: str | None = None, country: str | None = None,
                   admin1: str | None = None, tier: int | None = None,
                   category: str | None = None, setting: str | None = None,
                   coordinator: User | None = None) -> sa.Select:
    """Facilities matching the filters, by country and name."""
    query = sa.select(Facility).order_by(Facility.country, Facility.name, Facility.id)
    if q:
        query = query.where(sa.func.lower(Facility.name).like(f"%{q.strip().lower()}%"))
    query = where_given(query, {Facility.country: country, Facility.admin1: admin1,
                                Facility.tier: tier, Facility.category: category,
                                Facility.setting: setting})
    if coordinator is not None:
        query = query.join(facility_coordinators).where(facility_coordinators.c.user_id == coordinator.id)
    return query


def get_facility(session, facility_id: int) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(_("No such facility."))
    return facility


def countries_present(session) -> list[str]:
    return list(session.scalars(sa.select(Facility.country).distinct().order_by(Facility.country)))


def regions_of(session, country: str | None) -> list[str]:
    if not country:
        return []
    return list(session.scalars(sa.select(Facility.admin1).where(Facility.country == country,
                                                                 Facility.admin1.is_not(None))
                                .distinct().order_by(Facility.admin1)))


def map_sample(session, country: str, *, leaving_out: int, limit: int) -> list[tuple[float, float]]:
    """At most ``limit`` coordinates of the country's facilities, an even sample by id (every
    k-th), in two indexed queries whatever the country's size."""
    located = sa.and_(Facility.country == country, Facility.latitude.is_not(None))
    total = session.scalar(sa.select(sa.func.count()).select_from(Facility).where(located))
    stride = max(1, -(-total // limit))
    return [tuple(row) for row in session.execute(
        sa.select(Facility.latitude, Facility.longitude)
        .where(located, Facility.id != leaving_out, Facility.id % stride == 0)
        .order_by(Facility.id).limit(limit))]


def is_coordinator_of(session, user: User, facility_id: int) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(facility_coordinators).where(
        facility_coordinators.c.user_id == user.id,
        facility_coordinators.c.facility_id == facility_id)) > 0


def coordinated_facility_ids(session, user: User) -> list[int]:
    return list(session.scalars(sa.select(facility_coordinators.c.facility_id)
                                .where(facility_coordinators.c.user_id == user.id)))


def update_facility(session, facility: Facility, data: dict, *, actor: User, now: datetime) -> Facility:
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers change facility records."))
    with unit_of_work(session):
        for field, value in data.items():
            setattr(facility, field, value)
        record_corrections(session, facility, data, actor=actor, now=now)
        facility.updated_at = now
        audit.record(session, now=now, actor=actor, action="update", entity="facility",
                     entity_id=facility.id, detail={"fields": sorted(data)})
    return facility


def set_coordinator_facilities(session, user: User, facilities: list[Facility]) -> None:
    """Attach a coordinator to exactly these facilities (a helper: it joins the caller's unit
    of work)."""
    session.flush()  # a new user needs its id
    session.execute(sa.delete(facility_coordinators).where(facility_coordinators.c.user_id == user.id))
    if facilities:
        session.execute(sa.insert(facility_coordinators),
                        [{"user_id": user.id, "facility_id": f.id} for f in facilities])


def attach_coordinator(session, facility: Facility, user: User, *, actor: User, now: datetime) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers attach coordinators."))
    with unit_of_work(session):
        if user not in facility.coordinators:
            facility.coordinators.append(user)
            audit.record(session, now=now, actor=actor, action="update", entity="facility",
                         entity_id=facility.id, detail={"coordinator_added": user.id})


def detach_coordinator(session, facility: Facility, user: User, *, actor: User, now: datetime) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers detach coordinators."))
    with unit_of_work(session):
        if user in facility.coordinators:
            facility.coordinators.remove(user)
            audit.record(session, now=now, actor=actor, action="update", entity="facility",
                         entity_id=facility.id, detail={"coordinator_removed": user.id})
