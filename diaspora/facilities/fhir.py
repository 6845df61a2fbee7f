"""Facilities in FHIR: their master-list identifiers, and the whole list as an IHE mCSD Bundle.

A facility's identifiers say where it comes from, so a ministry can join an export to its own
list: the registry's own key always, the DHIS2 organisation-unit uid and code or the mCSD
Location id and first identifier when the facility was imported from them. The mCSD bundle has
one jurisdiction Location per region and district (``partOf`` chain) and, per facility, an
Organization and the facility Location it manages; a facility closed in its source is
``inactive``.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.orm import aliased

from ..vocabulary import LinkStatus
from .links import FacilityLink
from .models import Facility

IDENTIFIER_SYSTEM = "urn:diaspora-registry"
SOURCE_SYSTEMS = {"dhis2": ("urn:dhis2:organisationUnit:uid", "urn:dhis2:organisationUnit:code"),
                  "mcsd": ("urn:ihe:mcsd:Location:id", "urn:ihe:mcsd:Location:identifier")}
MCSD_TYPES = "https://profiles.ihe.net/ITI/mCSD/CodeSystem/IHE.mCSD.Organization.Location.Types"
NAMESPACE = uuid.UUID("0c8f3c52-2b4e-4f1f-9d53-5b7e0bd0a1d4")


def master_identifiers(facility: Facility, linked: list[Facility] = ()) -> list[dict]:
    """The facility's identifiers: the registry's key, then its source's uid and code, then
    those of the ministry facilities a manager accepted as the same place (``links``)."""
    identifiers = [{"system": f"{IDENTIFIER_SYSTEM}:facility", "value": facility.external_id}]
    for record in (facility, *linked):
        uid_system, code_system = SOURCE_SYSTEMS.get(record.source, (None, None))
        if uid_system and record.source_uid:
            identifiers.append({"system": uid_system, "value": record.source_uid})
        if code_system and record.source_code:
            identifiers.append({"system": code_system, "value": record.source_code})
    return identifiers


def linked_sources(session, facility_ids) -> dict[int, list[Facility]]:
    """WHO-list facility id → the ministry facilities accepted as the same place."""
    found: dict[int, list[Facility]] = {}
    source = aliased(Facility)
    for master_id, record in session.execute(
            sa.select(FacilityLink.master_id, source)
            .join(source, source.id == FacilityLink.facility_id)
            .where(FacilityLink.status == LinkStatus.ACCEPTED,
                   FacilityLink.master_id.in_(list(facility_ids)))
            .order_by(source.id)):
        found.setdefault(master_id, []).append(record)
    return found


def location_status(facility: Facility) -> str:
    return "inactive" if facility.closed_on is not None else "active"


def _full_url(resource_type: str, resource_id: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{resource_type}/{resource_id}')}"


def _jurisdiction(resource_id: str, name: str, parent: str | None) -> dict:
    location = {"resourceType": "Location", "id": resource_id, "name": name, "status": "active",
                "type": [{"coding": [{"system": MCSD_TYPES, "code": "jurisdiction"}]}]}
    if parent:
        location["partOf"] = {"reference": f"Location/{parent}"}
    return location


def _area_id(*parts: str) -> str:
    return "area-" + uuid.uuid5(NAMESPACE, "|".join(parts)).hex[:16]


def mcsd_bundle(session, *, now: datetime, country: str | None = None) -> str:
    """Facilities (of ``country``, or all) as an mCSD Bundle, FHIR JSON."""
    query = sa.select(Facility).order_by(Facility.country, Facility.name, Facility.id)
    if country:
        query = query.where(Facility.country == country)
    areas: dict[str, dict] = {}
    resources: list[dict] = []
    facilities = session.scalars(query).all()
    linked = linked_sources(session, [f.id for f in facilities])
    for facility in facilities:
        parent = None
        if facility.admin1:
            parent = _area_id(facility.country, facility.admin1)
            areas.setdefault(parent, _jurisdiction(parent, facility.admin1, None))
            if facility.admin2:
                district = _area_id(facility.country, facility.admin1, facility.admin2)
                areas.setdefault(district, _jurisdiction(district, facility.admin2, parent))
                parent = district
        organization_id, location_id = f"facility-{facility.id}", f"facility-{facility.id}-site"
        identifiers = master_identifiers(facility, linked.get(facility.id, []))
        resources.append({"resourceType": "Organization", "id": organization_id,
                          "identifier": identifiers, "active": facility.closed_on is None,
                          "name": facility.name})
        location = {
            "resourceType": "Location", "id": location_id, "identifier": identifiers,
            "status": location_status(facility), "name": facility.name, "mode": "instance",
            "type": [{"coding": [{"system": MCSD_TYPES, "code": "facility"}]},
                     *([{"text": facility.facility_type}] if facility.facility_type else [])],
            "address": {key: value for key, value in (("district", facility.admin2),
                                                      ("state", facility.admin1),
                                                      ("country", facility.country)) if value},
            "managingOrganization": {"reference": f"Organization/{organization_id}"},
        }
        if parent:
            location["partOf"] = {"reference": f"Location/{parent}"}
        if facility.has_coordinates:
            location["position"] = {"latitude": facility.latitude, "longitude": facility.longitude}
        resources.append(location)
    resources = [*areas.values(), *resources]
    bundle = Bundle.model_validate({
        "resourceType": "Bundle", "type": "collection", "timestamp": now.isoformat(),
        "entry": [{"fullUrl": _full_url(r["resourceType"], r["id"]), "resource": r}
                  for r in resources]})
    return bundle.model_dump_json()
