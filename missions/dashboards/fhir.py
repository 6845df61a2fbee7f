"""The programme's workforce as a FHIR R4 Bundle, for ministries' systems (iHRIS, DHIS2, an
OpenHIE facility or health worker registry).

- every host facility (one with a mission that went ahead) as an Organization and its Location,
  with the facility's master-list identifiers (the registry's key, and the DHIS2 uid and code
  or mCSD id of a facility imported from a ministry's list), coordinates and status;
- every professional with at least one mission that went ahead (confirmed or later) as a
  Practitioner: name, gender, qualifications and licences to practise (number, authority,
  validity) — never an e-mail, phone or address;
- one PractitionerRole per professional and host facility: the ISCO-08 cadre, specialties, and
  the period from the first mission's start to the last one's end;
- the host health workers of those facilities who consented, were named counterparts of a
  mission that went ahead or went on a placement abroad, as a Practitioner (name and gender)
  with a PractitionerRole at their own facility (the cadre).

The Bundle is validated by ``fhir.resources`` (its R4B models, which for these four resources
are the R4 structures) before it leaves; labels are in English whatever the viewer's language.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle
from flask_babel import force_locale
from sqlalchemy.orm import selectinload

from diaspora import reference
from diaspora.facilities.fhir import linked_sources, location_status, master_identifiers
from diaspora.facilities.models import Facility
from diaspora.professionals.models import Professional, ProfessionalSpecialty
from diaspora.workforce.models import HostHealthWorker

from ..core.models import Mission
from ..core.vocabulary import WENT_AHEAD
from ..placements.models import MissionCounterpart, Placement
from ..placements.vocabulary import WENT_AHEAD as PLACED

IDENTIFIER_SYSTEM = "urn:diaspora-registry"
ISCO_08 = "http://www.ilo.org/public/english/bureau/stat/isco/isco08/"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
# fullUrls are urn:uuid derived from the resource's id, the same on every export.
NAMESPACE = uuid.UUID("6f1d1c0e-4f39-4d53-9d7e-8a4a3c1b2f60")
FHIR_GENDER = {"female": "female", "male": "male", "other": "other", "undisclosed": "unknown"}


def workforce_bundle(session, *, now: datetime, country: str | None = None,
                     need_ids: sa.Select | None = None) -> str:
    """The Bundle as FHIR JSON; ``country`` limits it to host facilities in that country,
    ``need_ids`` (a ``SELECT needs.id``) to the missions of those needs."""
    engagements = _engagements(session, country, need_ids)
    facility_ids = {facility_id for _, facility_id, _, _ in engagements}
    professional_ids = {professional_id for professional_id, _, _, _ in engagements}
    facilities = session.scalars(sa.select(Facility).where(Facility.id.in_(facility_ids))
                                 .order_by(Facility.id)).all()
    professionals = {p.id: p for p in session.scalars(
        sa.select(Professional).where(Professional.id.in_(professional_ids))
        .options(selectinload(Professional.qualifications), selectinload(Professional.licences))
        .order_by(Professional.id))}
    specialties = _specialties(session, professional_ids)
    linked = linked_sources(session, facility_ids)
    with force_locale("en"):
        resources = [resource for facility in facilities
                     for resource in _facility(facility, linked.get(facility.id, []))]
        resources += [_practitioner(p) for p in professionals.values()]
        resources += [_role(professionals[professional_id], facility_id, first, last,
                            specialties.get(professional_id, []))
                      for professional_id, facility_id, first, last in engagements]
        for worker in _host_workers(session, facility_ids):
            resources += _host_worker(worker)
    bundle = Bundle.model_validate({
        "resourceType": "Bundle", "type": "collection", "timestamp": now.isoformat(),
        "entry": [{"fullUrl": _full_url(r["resourceType"], r["id"]), "resource": r}
                  for r in resources]})
    return bundle.model_dump_json()


def _engagements(session, country: str | None, need_ids: sa.Select | None) -> list[tuple]:
    """(professional, facility, first start, last end) of the missions that went ahead."""
    statement = (sa.select(Mission.professional_id, Mission.facility_id,
                           sa.func.min(Mission.starts_at), sa.func.max(Mission.ends_at))
                 .where(Mission.status.in_(WENT_AHEAD))
                 .group_by(Mission.professional_id, Mission.facility_id)
                 .order_by(Mission.professional_id, Mission.facility_id))
    if country:
        statement = statement.join(Facility, Facility.id == Mission.facility_id) \
            .where(Facility.country == country)
    if need_ids is not None:
        statement = statement.where(Mission.need_id.in_(need_ids))
    return [tuple(row) for row in session.execute(statement)]


def _host_workers(session, facility_ids) -> list[HostHealthWorker]:
    """Consenting staff of ``facility_ids`` trained by a mission or placed abroad."""
    trained = sa.union(
        sa.select(MissionCounterpart.worker_id).join(Mission).where(Mission.status.in_(WENT_AHEAD)),
        sa.select(Placement.worker_id).where(Placement.status.in_(PLACED)))
    return list(session.scalars(sa.select(HostHealthWorker).where(
        HostHealthWorker.facility_id.in_(facility_ids), HostHealthWorker.consent_given.is_(True),
        HostHealthWorker.erased_at.is_(None), HostHealthWorker.id.in_(trained))
        .order_by(HostHealthWorker.id)))


def _host_worker(worker: HostHealthWorker) -> list[dict]:
    practitioner_id = f"host-worker-{worker.id}"
    practitioner = {
        "resourceType": "Practitioner", "id": practitioner_id,
        "identifier": [{"system": f"{IDENTIFIER_SYSTEM}:host-worker", "value": str(worker.id)}],
        "active": True,
        "name": [{"use": "official", "family": worker.family_name, "given": [worker.given_name],
                  "text": worker.full_name}],
        "gender": FHIR_GENDER[worker.gender],
    }
    role = {
        "resourceType": "PractitionerRole", "id": f"{practitioner_id}-facility-{worker.facility_id}",
        "active": True,
        "practitioner": _reference("Practitioner", practitioner_id, worker.full_name),
        "organization": _reference("Organization", f"facility-{worker.facility_id}"),
        "location": [_reference("Location", f"facility-{worker.facility_id}-site")],
        "code": [{"coding": [{"system": ISCO_08, "code": worker.cadre,
                              "display": str(reference.CADRES.get(worker.cadre, ""))}]}],
    }
    return [practitioner, role]


def _specialties(session, professional_ids) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for professional_id, specialty in session.execute(
            sa.select(ProfessionalSpecialty.professional_id, ProfessionalSpecialty.specialty)
            .where(ProfessionalSpecialty.professional_id.in_(professional_ids))
            .order_by(ProfessionalSpecialty.specialty)):
        found.setdefault(professional_id, []).append(specialty)
    return found


def _full_url(resource_type: str, resource_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{resource_type}/{resource_id}')}"


def _reference(resource_type: str, resource_id: str, display: str | None = None) -> dict:
    found = {"reference": _full_url(resource_type, resource_id)}
    return {**found, "display": display} if display else found


def _address(facility: Facility) -> dict:
    return {key: value for key, value in (("state", facility.admin1), ("country", facility.country))
            if value}


def _facility(facility: Facility, linked: list[Facility]) -> list[dict]:
    """The facility as an Organization and the Location it manages."""
    organization_id, location_id = f"facility-{facility.id}", f"facility-{facility.id}-site"
    identifier = master_identifiers(facility, linked)
    organization = {
        "resourceType": "Organization", "id": organization_id, "identifier": identifier,
        "active": True, "name": facility.name, "address": [_address(facility)],
        "type": [{"coding": [{"system": ORGANIZATION_TYPE, "code": "prov",
                              "display": "Healthcare Provider"}]}],
    }
    location = {
        "resourceType": "Location", "id": location_id, "identifier": identifier,
        "status": location_status(facility), "mode": "instance", "name": facility.name,
        "address": _address(facility),
        "physicalType": {"coding": [{"system": PHYSICAL_TYPE, "code": "bu", "display": "Building"}]},
        "managingOrganization": _reference("Organization", organization_id, facility.name),
    }
    if facility.facility_type:
        location["type"] = [{"text": facility.facility_type}]
    if facility.has_coordinates:
        location["position"] = {"latitude": facility.latitude, "longitude": facility.longitude}
    return [organization, location]


def _practitioner(professional: Professional) -> dict:
    return {
        "resourceType": "Practitioner", "id": f"professional-{professional.id}",
        "identifier": [{"system": f"{IDENTIFIER_SYSTEM}:professional",
                        "value": str(professional.id)}],
        "active": True,
        "name": [{"use": "official", "family": professional.family_name,
                  "given": [professional.given_name], "text": professional.full_name}],
        "gender": FHIR_GENDER[professional.gender],
        **({"qualification": found} if (found := _qualifications(professional)) else {}),
    }


def _qualifications(professional: Professional) -> list[dict]:
    """Degrees and specialist titles, then licences to practise (number, authority, validity)."""
    found = [{"code": {"text": q.title}, "issuer": {"display": q.issuing_body},
              "period": {"start": f"{q.year:04d}"}}
             for q in sorted(professional.qualifications, key=lambda q: (q.year, q.id))]
    found += [{"identifier": [{"system": f"urn:licence:{licence.country}", "value": licence.number}],
               "code": {"text": f"Licence to practise ({licence.country})"},
               "issuer": {"display": licence.authority},
               "period": {"start": licence.valid_from.isoformat(),
                          "end": licence.valid_until.isoformat()}}
              for licence in sorted(professional.licences, key=lambda lic: (lic.valid_from, lic.id))]
    return found


def _role(professional: Professional, facility_id: int, first: datetime, last: datetime,
          specialties: list[str]) -> dict:
    role = {
        "resourceType": "PractitionerRole",
        "id": f"professional-{professional.id}-facility-{facility_id}",
        "active": True,
        "period": {"start": first.isoformat(), "end": last.isoformat()},
        "practitioner": _reference("Practitioner", f"professional-{professional.id}",
                                   professional.full_name),
        "organization": _reference("Organization", f"facility-{facility_id}"),
        "location": [_reference("Location", f"facility-{facility_id}-site")],
        "code": [{"coding": [{"system": ISCO_08, "code": professional.cadre,
                              "display": str(reference.CADRES.get(professional.cadre, ""))}]}],
    }
    if specialties:
        role["specialty"] = [{"text": str(reference.SPECIALTIES.get(s, s))} for s in specialties]
    return role
