"""IHE mCSD facility lists: a FHIR Bundle of ``Location`` and ``Organization`` resources.

Jurisdictions (a Location whose type is ``jurisdiction``, or an Organization) form the
hierarchy through ``partOf``; every other Location is a facility. A facility's region and
district are the names of its ancestors below the country (its own ``partOf`` chain, else its
``managingOrganization``'s); ``status`` inactive or suspended (or an inactive managing
organisation) marks it closed; its ``identifier`` values are kept (the first as its code).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from ... import reference
from .store import SourceProblemError, SourceUnit

SOURCE = "mcsd"
JURISDICTION_CODES = {"jurisdiction", "country", "region", "district"}


def read_bundle(text: str) -> list[dict]:
    try:
        bundle = json.loads(text)
    except ValueError as error:
        raise SourceProblemError(f"not JSON: {error}") from error
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise SourceProblemError("not a FHIR Bundle")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise SourceProblemError("not a FHIR Bundle: entry is not a list")
    return [entry.get("resource") if isinstance(entry, dict) else None for entry in entries]


def _codes(resource: dict) -> set[str]:
    codes = set()
    for concept in resource.get("type") or []:
        if isinstance(concept, dict):
            codes.update(str(c.get("code", "")).lower() for c in concept.get("coding") or []
                         if isinstance(c, dict))
    return codes


def _reference_id(value) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        return value["reference"].rsplit("/", 1)[-1] or None
    return None


def _type_text(resource: dict) -> str | None:
    for concept in resource.get("type") or []:
        if not isinstance(concept, dict):
            continue
        if concept.get("text"):
            return str(concept["text"])
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and coding.get("display"):
                return str(coding["display"])
    return None


def facilities(resources: list, *, today: date, country: str) -> Iterator[SourceUnit]:
    locations = {r["id"]: r for r in resources if isinstance(r, dict)
                 and r.get("resourceType") == "Location" and isinstance(r.get("id"), str)}
    organizations = {r["id"]: r for r in resources if isinstance(r, dict)
                     and r.get("resourceType") == "Organization" and isinstance(r.get("id"), str)}
    country_name = reference.country_name(country).casefold()

    def chain(table: dict, start: str | None) -> list[dict]:
        found, current, guard = [], start, 0
        while current in table and guard < 50:
            found.append(table[current])
            current = _reference_id(table[current].get("partOf"))
            guard += 1
        found.reverse()
        return found

    for position, resource in enumerate(resources, start=1):
        if not isinstance(resource, dict) or resource.get("resourceType") != "Location":
            continue
        if _codes(resource) & JURISDICTION_CODES:
            continue
        organization = organizations.get(_reference_id(resource.get("managingOrganization")))
        ancestors = chain(locations, _reference_id(resource.get("partOf")))
        if not ancestors and organization is not None:
            ancestors = chain(organizations, _reference_id(organization.get("partOf")))
        names = [str(a.get("name") or "") for a in ancestors]
        if names and (names[0].casefold() == country_name or "country" in _codes(ancestors[0])):
            names = names[1:]
        position_ = resource.get("position") if isinstance(resource.get("position"), dict) else {}
        identifiers = [i.get("value") for i in resource.get("identifier") or []
                       if isinstance(i, dict) and i.get("value")]
        closed = (resource.get("status") in ("inactive", "suspended")
                  or (organization is not None and organization.get("active") is False))
        yield SourceUnit(
            line=position, uid=resource.get("id"), name=resource.get("name"),
            code=str(identifiers[0]) if identifiers else None,
            facility_type=_type_text(resource),
            ownership=_type_text(organization) if organization else None,
            admin1=names[0] if names else None, admin2=names[1] if len(names) > 1 else None,
            path="/" + "/".join(str(a.get("id")) for a in ancestors) if ancestors else None,
            latitude=position_.get("latitude"), longitude=position_.get("longitude"),
            location_source="mcsd" if position_ else None,
            closed_on=today if closed else None)
