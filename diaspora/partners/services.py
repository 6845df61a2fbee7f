"""Partner institutions, their agreements and twinning partnerships.

Staff (coordinators, managers, admins) read partners; programme managers record them. A
partnership's page is for managers and the coordinators of its facility.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from .. import audit
from ..db import unit_of_work
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..facilities.models import Facility
from ..facilities.services import is_coordinator_of
from ..professionals.models import Professional
from ..programmes import access as programmes
from ..security import Actor
from ..vocabulary import Role
from .models import PartnerAgreement, PartnerInstitution, Partnership, ProfessionalEmployer


def _require_manager(actor: Actor) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers record partner institutions."))


def list_partners(session: Session) -> list[PartnerInstitution]:
    return list(session.scalars(sa.select(PartnerInstitution)
                                .options(selectinload(PartnerInstitution.agreements))
                                .order_by(PartnerInstitution.country, PartnerInstitution.name)))


def get_partner(session: Session, partner_id: int) -> PartnerInstitution:
    partner = session.get(PartnerInstitution, partner_id)
    if partner is None:
        raise NotFound(_("No such partner institution."))
    return partner


def create_partner(session: Session, data: dict, *, actor: Actor, now: datetime) -> PartnerInstitution:
    _require_manager(actor)
    partner = PartnerInstitution(**data, created_at=now, updated_at=now)
    try:
        with unit_of_work(session):
            session.add(partner)
            session.flush()
            audit.record(session, now=now, actor=actor, action="create",
                         entity="partner_institution", entity_id=partner.id)
    except IntegrityError as error:
        raise Conflict(_("A partner institution of this name is on record in this country.")) \
            from error
    return partner


def add_agreement(session: Session, partner: PartnerInstitution, data: dict, *, actor: Actor,
                  now: datetime) -> PartnerAgreement:
    _require_manager(actor)
    if data.get("facility_id") and session.get(Facility, data["facility_id"]) is None:
        raise Invalid(_("Unknown facility."), errors={"facility_id": [_("Unknown facility.")]})
    agreement = PartnerAgreement(**data, partner_id=partner.id, created_at=now)
    with unit_of_work(session):
        session.add(agreement)
        session.flush()
        audit.record(session, now=now, actor=actor, action="create", entity="partner_agreement",
                     entity_id=agreement.id, detail={"partner": partner.id})
    return agreement


def create_partnership(session: Session, data: dict, *, actor: Actor, now: datetime) -> Partnership:
    _require_manager(actor)
    errors = {}
    if session.get(PartnerInstitution, data["partner_id"]) is None:
        errors["partner_id"] = [_("Unknown partner institution.")]
    if session.get(Facility, data["facility_id"]) is None:
        errors["facility_id"] = [_("Unknown facility.")]
    if errors:
        raise Invalid(_("Some information is not valid."), errors=errors)
    programmes.require_programme(session, actor, data.get("programme_id"))
    partnership = Partnership(**data, created_at=now)
    with unit_of_work(session):
        session.add(partnership)
        session.flush()
        audit.record(session, now=now, actor=actor, action="create", entity="partnership",
                     entity_id=partnership.id)
    return partnership


def may_see_partnership(session: Session, actor: Actor, partnership: Partnership) -> bool:
    if actor.is_manager:
        reach = programmes.reach_of(session, actor)
        return reach is None or reach.covers(partnership.programme_id,
                                             partnership.facility.country)
    return actor.role == Role.COORDINATOR and is_coordinator_of(session, actor,
                                                                partnership.facility_id)


def get_partnership(session: Session, partnership_id: int, *, actor: Actor) -> Partnership:
    partnership = session.get(Partnership, partnership_id)
    if partnership is None:
        raise NotFound(_("No such partnership."))
    if not may_see_partnership(session, actor, partnership):
        raise Forbidden(_("This partnership is not yours to see."))
    return partnership


def partnerships_of(session: Session, actor: Actor) -> list[Partnership]:
    every = session.scalars(sa.select(Partnership).order_by(Partnership.starts_on.desc()))
    return [p for p in every if may_see_partnership(session, actor, p)]


def find_partnership(session: Session, partner_id: int | None, facility_id: int,
                     day) -> Partnership | None:
    """The partnership of ``partner_id`` with ``facility_id`` in force on ``day``, if any."""
    if partner_id is None:
        return None
    candidates = session.scalars(sa.select(Partnership).where(
        Partnership.partner_id == partner_id, Partnership.facility_id == facility_id))
    return next((p for p in candidates if p.covers(day)), None)


def set_employer(session: Session, professional, partner: PartnerInstitution | None, *,
                 actor: Actor, now: datetime, since=None) -> None:
    """Record (or, with None, clear) that ``professional`` works for ``partner``: the basis of
    release and leave agreements, and what ties their missions to a partnership."""
    _require_manager(actor)
    with unit_of_work(session):
        current = session.get(ProfessionalEmployer, professional.id)
        if current is not None:
            session.delete(current)
            session.flush()
        if partner is not None:
            session.add(ProfessionalEmployer(professional_id=professional.id,
                                             partner_id=partner.id, since=since))
        audit.record(session, now=now, actor=actor, action="update", entity="professional",
                     entity_id=professional.id,
                     detail={"employer": partner.id if partner else None})


def employer_of(session: Session, professional) -> PartnerInstitution | None:
    row = session.get(ProfessionalEmployer, professional.id)
    return row.partner if row else None


def get_professional(session: Session, professional_id: int) -> Professional:
    professional = session.get(Professional, professional_id)
    if professional is None:
        raise NotFound(_("No such professional."))
    return professional


def staff_of(session: Session, partner: PartnerInstitution) -> list[Professional]:
    """The professionals recorded as employed by ``partner``."""
    return list(session.scalars(sa.select(Professional).join(
        ProfessionalEmployer, ProfessionalEmployer.professional_id == Professional.id)
        .where(ProfessionalEmployer.partner_id == partner.id)
        .order_by(Professional.family_name, Professional.id)))
