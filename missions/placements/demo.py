"""Demo partners, health workers and placements on top of the missions' demo story.

A Dutch university hospital twinned with the first demo coordinator's facility; three of the
facility's staff, the first named counterpart of the mission that already took place there;
two offers — one past, from which a midwife came back (her +6-month follow-up is open), one
open with a nomination waiting.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from diaspora.partners import services as partners
from diaspora.workforce import services as workforce

from ..core.models import Mission
from ..core.vocabulary import DONE
from . import counterparts, services
from .vocabulary import ChecklistItem


def load(session, *, now, rng, staff, programme) -> list[str]:
    manager, coordinator = staff["manager"], staff["coordinator"]
    if not coordinator.facilities:
        return ["no coordinated facility: demo placements skipped"]
    facility = coordinator.facilities[0]
    today = now.date()
    partner = partners.create_partner(session, {
        "name": "Radboudumc", "country": "NL", "city": "Nijmegen", "kind": "hospital",
        "contact_name": "International office", "website": "https://www.radboudumc.nl"},
        actor=manager, now=now)
    partners.add_agreement(session, partner, {
        "title": "Memorandum of understanding on maternal health training",
        "facility_id": facility.id, "starts_on": today - timedelta(days=400)}, actor=manager, now=now)
    partners.create_partnership(session, {
        "partner_id": partner.id, "facility_id": facility.id, "programme_id": programme.id,
        "starts_on": today - timedelta(days=400), "aims": "Safer births: drills, audits, mentoring"},
        actor=manager, now=now)
    people = [workforce.create_worker(session, {
        "facility_id": facility.id, "given_name": given, "family_name": family, "cadre": cadre,
        "gender": gender, "consent_given": True}, actor=coordinator, now=now)
        for given, family, cadre, gender in (("Akosua", "Boateng", "2222", "female"),
                                             ("Yaw", "Mensah", "2221", "male"),
                                             ("Efua", "Asante", "2222", "female"))]
    past = session.scalar(sa.select(Mission).where(Mission.facility_id == facility.id,
                                                   Mission.status.in_(DONE)).limit(1))
    if past is not None:
        counterparts.add_counterpart(session, past, people[0], actor=coordinator, now=now)
    went = services.create_offer(session, {
        "partner_id": partner.id, "programme_id": programme.id,
        "title": "Obstetric emergencies fellowship", "cadre": "2222",
        "specialty": "obstetrics-gynaecology", "language": "en",
        "starts_on": today - timedelta(days=330), "ends_on": today - timedelta(days=200),
        "capacity": 2, "supervisor": "Dr. M. de Vries"}, actor=manager, now=now)
    placement = services.nominate(session, went, people[0], actor=coordinator, now=now,
                                  note="Led the drills of the first mission")
    services.transition(session, placement, "select", actor=manager, now=now)
    services.transition(session, placement, "confirm", actor=manager, now=now)
    for item in ChecklistItem.codes():
        services.tick(session, placement, item, True, actor=coordinator, now=now)
    for action in ("ready", "depart", "return"):
        services.transition(session, placement, action, actor=manager, now=now,
                            returned_on=today - timedelta(days=190))
    coming = services.create_offer(session, {
        "partner_id": partner.id, "programme_id": programme.id,
        "title": "Neonatal intensive care observership", "cadre": "2222", "language": "en",
        "starts_on": today + timedelta(days=90), "ends_on": today + timedelta(days=150),
        "capacity": 2, "service_months": 24}, actor=manager, now=now)
    services.nominate(session, coming, people[2], actor=coordinator, now=now)
    return ["demo partners: 1 twinned hospital, 3 health workers, 2 placement offers"]
