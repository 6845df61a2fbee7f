"""Host health workers: who sees them, creating, confirming, consent, erasure and export.

A coordinator sees and records the staff of their own facilities only; a programme manager the
staff of facilities in the origin countries of their programmes (``programmes.access``), an
admin everyone. A record a coordinator or manager creates is confirmed at once; a worker who
registers themselves waits for a coordinator to confirm (``register_self``, ``confirm``).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, joinedload

from .. import audit
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..facilities.models import Facility
from ..facilities.services import coordinated_facility_ids, is_coordinator_of
from ..hooks import registry_hooks
from ..programmes import access as programmes
from ..security import Actor
from ..vocabulary import Role
from .models import HostHealthWorker

ERASED_NAME = "—"


# --- access -------------------------------------------------------------------------------

def facility_in_reach(session: Session, actor: Actor, facility: Facility) -> bool:
    """Whether ``actor`` keeps the staff records of ``facility``."""
    if actor.role == Role.COORDINATOR:
        return is_coordinator_of(session, actor, facility.id)
    if actor.is_manager:
        reach = programmes.reach_of(session, actor)
        return reach is None or facility.country in reach.countries
    return False


def get_worker(session: Session, worker_id: int, *, actor: Actor) -> HostHealthWorker:
    worker = session.get(HostHealthWorker, worker_id)
    if worker is None:
        raise NotFound(_("No such health worker."))
    if not facility_in_reach(session, actor, worker.facility):
        raise Forbidden(_("This health worker belongs to another facility."))
    return worker


def worker_query(session: Session, actor: Actor, *, facility_id: int | None = None) -> sa.Select:
    """The workers ``actor`` may see (of one facility if given), by name."""
    query = (sa.select(HostHealthWorker).join(Facility)
             .options(joinedload(HostHealthWorker.facility))
             .where(HostHealthWorker.erased_at.is_(None))
             .order_by(HostHealthWorker.family_name, HostHealthWorker.given_name,
                       HostHealthWorker.id))
    if facility_id:
        query = query.where(HostHealthWorker.facility_id == facility_id)
    if actor.role == Role.COORDINATOR:
        return query.where(HostHealthWorker.facility_id.in_(coordinated_facility_ids(session, actor)))
    if not actor.is_manager:
        return query.where(sa.false())
    reach = programmes.reach_of(session, actor)
    if reach is not None:
        query = query.where(Facility.country.in_(reach.countries))
    return query


def list_workers(session: Session, actor: Actor, *, facility_id: int | None = None) -> list:
    return list(session.scalars(worker_query(session, actor, facility_id=facility_id)))


def facilities_for(session: Session, actor: Actor) -> list[Facility]:
    """The facilities whose staff ``actor`` may record (a coordinator's own; a manager's
    facilities with staff on record or that they coordinate are chosen by id)."""
    if actor.role == Role.COORDINATOR:
        return list(session.scalars(sa.select(Facility).where(
            Facility.id.in_(coordinated_facility_ids(session, actor))).order_by(Facility.name)))
    return []


# --- changes ------------------------------------------------------------------------------

def _facility(session: Session, facility_id: int) -> Facility:
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise Invalid(_("Unknown facility."), errors={"facility_id": [_("Unknown facility.")]})
    return facility


def create_worker(session: Session, data: dict, *, actor: Actor, now: datetime) -> HostHealthWorker:
    """A coordinator (their facility) or a manager records a staff member, confirmed at once."""
    facility = _facility(session, data["facility_id"])
    if not facility_in_reach(session, actor, facility):
        raise Forbidden(_("You do not keep the staff records of this facility."))
    worker = HostHealthWorker(**data, consent_changed_at=now, confirmed_at=now,
                              confirmed_by_id=actor.id, created_by_id=actor.id,
                              created_at=now, updated_at=now)
    with unit_of_work(session):
        session.add(worker)
        session.flush()
        audit.record(session, now=now, actor=actor, action="create", entity="host_health_worker",
                     entity_id=worker.id, detail={"facility": facility.id})
    return worker


def register_self(session: Session, data: dict, *, now: datetime) -> HostHealthWorker:
    """A worker registers themselves; a coordinator of the facility confirms later."""
    facility = _facility(session, data["facility_id"])
    if not data.get("consent_given"):
        raise Invalid(_("Registration needs your consent."),
                      errors={"consent_given": [_("Registration needs your consent.")]})
    worker = HostHealthWorker(**data, facility=facility, self_registered=True,
                              consent_changed_at=now, created_at=now, updated_at=now)
    with unit_of_work(session):
        session.add(worker)
        session.flush()
        audit.record(session, now=now, actor=None, action="create", entity="host_health_worker",
                     entity_id=worker.id, detail={"facility": facility.id, "self": True})
    return worker


def confirm(session: Session, worker: HostHealthWorker, *, actor: Actor, now: datetime) -> HostHealthWorker:
    if not facility_in_reach(session, actor, worker.facility):
        raise Forbidden(_("This health worker belongs to another facility."))
    if worker.confirmed_at is not None:
        raise Conflict(_("This registration is confirmed already."))
    with unit_of_work(session):
        worker.confirmed_at, worker.confirmed_by_id, worker.updated_at = now, actor.id, now
        audit.record(session, now=now, actor=actor, action="update", entity="host_health_worker",
                     entity_id=worker.id, detail={"confirmed": True})
    return worker


def update_worker(session: Session, worker: HostHealthWorker, data: dict, *, actor: Actor,
                  now: datetime) -> HostHealthWorker:
    if not facility_in_reach(session, actor, worker.facility):
        raise Forbidden(_("This health worker belongs to another facility."))
    if data.get("facility_id", worker.facility_id) != worker.facility_id:
        raise Invalid(_("A health worker stays with their facility."),
                      errors={"facility_id": [_("A health worker stays with their facility.")]})
    with unit_of_work(session):
        if "consent_given" in data and data["consent_given"] != worker.consent_given:
            worker.consent_changed_at = now
        for key, value in data.items():
            setattr(worker, key, value)
        worker.updated_at = now
        audit.record(session, now=now, actor=actor, action="update", entity="host_health_worker",
                     entity_id=worker.id, detail={"fields": sorted(data)})
    return worker


# --- privacy ------------------------------------------------------------------------------

def export_worker(session: Session, worker: HostHealthWorker, *, actor: Actor, now: datetime) -> dict:
    """Everything held about the worker, for their data-access request: the record, then each
    component's section (``registry_hooks().worker_export_sections``)."""
    if not facility_in_reach(session, actor, worker.facility):
        raise Forbidden(_("This health worker belongs to another facility."))
    data = {"worker": {"id": worker.id, "given_name": worker.given_name,
                       "family_name": worker.family_name, "cadre": worker.cadre,
                       "gender": worker.gender, "email": worker.email, "phone": worker.phone,
                       "language": worker.language,
                       "facility": worker.facility.name, "consent_given": worker.consent_given,
                       "created_at": worker.created_at.isoformat()}}
    for section in registry_hooks().worker_export_sections:
        name, value = section(session, worker)
        data[name] = value
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="host_health_worker",
                     entity_id=worker.id, detail={"export": True})
    return data


def erase_worker(session: Session, worker: HostHealthWorker, *, actor: Actor, now: datetime) -> None:
    """On the worker's request (a manager acts on it): each component's step may refuse
    (``worker_erasure_steps``), then the name and contact are removed and consent ends. The
    counts keep what they counted (cadre, gender, facility) without a person behind them."""
    if not actor.is_manager or not facility_in_reach(session, actor, worker.facility):
        raise Forbidden(_("Only programme managers erase a health worker's record."))
    if worker.erased_at is not None:
        raise Conflict(_("This record is erased already."))
    with unit_of_work(session):
        for step in registry_hooks().worker_erasure_steps:
            step(session, worker, now)
        worker.given_name, worker.family_name = ERASED_NAME, ERASED_NAME
        worker.email = worker.phone = None
        worker.consent_given, worker.consent_changed_at = False, now
        worker.erased_at = worker.updated_at = now
        audit.record(session, now=now, actor=actor, action="delete", entity="host_health_worker",
                     entity_id=worker.id)
