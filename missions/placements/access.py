"""Who may see and act on placements and offers.

Offers are read by staff (coordinators nominate their staff on them) and made by programme
managers. A placement is a host health worker's: the coordinators of the worker's facility and
the managers whose programmes reach it (the offer's programme, or else the facility's country —
``diaspora.programmes.access.Reach.covers``) relate to it; admins to all.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload

from diaspora.errors import Forbidden, NotFound
from diaspora.facilities.models import Facility
from diaspora.facilities.services import coordinated_facility_ids, is_coordinator_of
from diaspora.programmes import access as programmes
from diaspora.security import Actor
from diaspora.vocabulary import MANAGERS, SCHEDULER, Role

from .models import Placement, PlacementOffer


def relation(session: Session, actor: Actor, placement: Placement) -> str | None:
    if actor.role in MANAGERS:
        reach = programmes.reach_of(session, actor)
        covered = reach is None or reach.covers(placement.offer.programme_id,
                                                placement.facility.country)
        return actor.role if covered else None
    if actor.role == SCHEDULER:
        return actor.role
    if actor.role == Role.COORDINATOR and is_coordinator_of(session, actor, placement.facility_id):
        return Role.COORDINATOR
    return None


def get_placement(session: Session, placement_id: int, *, actor: Actor) -> Placement:
    placement = session.get(Placement, placement_id)
    if placement is None:
        raise NotFound(_("No such placement."))
    if relation(session, actor, placement) is None:
        raise Forbidden(_("This placement is not yours to see."))
    return placement


def get_offer(session: Session, offer_id: int) -> PlacementOffer:
    offer = session.get(PlacementOffer, offer_id)
    if offer is None:
        raise NotFound(_("No such placement offer."))
    return offer


def placement_query(session: Session, actor: Actor) -> sa.Select:
    """The placements ``actor`` may see, newest first."""
    query = (sa.select(Placement).join(PlacementOffer).join(Facility, Facility.id == Placement.facility_id)
             .options(selectinload(Placement.worker), selectinload(Placement.facility),
                      selectinload(Placement.offer))
             .order_by(Placement.starts_on.desc(), Placement.id.desc()))
    if actor.role == Role.COORDINATOR:
        return query.where(Placement.facility_id.in_(coordinated_facility_ids(session, actor)))
    if actor.role not in MANAGERS:
        return query.where(sa.false())
    reach = programmes.reach_of(session, actor)
    if reach is None:
        return query
    return query.where(sa.or_(
        PlacementOffer.programme_id.in_(reach.programme_ids),
        sa.and_(PlacementOffer.programme_id.is_(None), Facility.country.in_(reach.countries))))
