"""Factories for partner institutions, host health workers, offers and placements (services)."""
from __future__ import annotations

from datetime import date

from diaspora.extensions import db
from diaspora.partners import services as partners
from diaspora.workforce import services as workforce
from missions.placements import services as placements

from .conftest import START


def make_partner(manager, **fields):
    data = {"name": "Radboud university medical center", "country": "NL", "city": "Nijmegen",
            "kind": "hospital", **fields}
    return partners.create_partner(db.session, data, actor=manager, now=START)


def make_worker(actor, facility, **fields):
    data = {"facility_id": facility.id, "given_name": "Abena", "family_name": "Owusu",
            "cadre": "2222", "gender": "female", "consent_given": True, **fields}
    return workforce.create_worker(db.session, data, actor=actor, now=START)


def make_offer(manager, partner, **fields):
    data = {"partner_id": partner.id, "title": "Obstetric emergencies fellowship",
            "specialty": "obstetrics-gynaecology", "cadre": "2222",
            "starts_on": date(2026, 9, 1), "ends_on": date(2026, 11, 30), "language": "en",
            "supervisor": "Dr. M. de Vries", "capacity": 2, "service_months": 24, **fields}
    return placements.create_offer(db.session, data, actor=manager, now=START)
