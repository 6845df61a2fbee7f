"""Facility lists uploaded in the browser, imported by a background job.

``detect_format`` tells a WHO-format CSV, a DHIS2 organisation-unit JSON or CSV and an mCSD
FHIR Bundle apart by their content; ``import_file`` runs the matching importer and answers the
job's result: counts, notes (unmapped vocabulary with counts) and the per-row problems.
"""
from __future__ import annotations

import io
from datetime import datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from .. import bulk
from ..jobs.models import Job
from ..jobs.services import register_handler
from . import importer, links
from .sources import dhis2, mcsd
from .sources.store import SourceProblemError, store_units

KIND = "facilities.import"
FORMATS = {"who": _l("WHO master facility list (CSV)"),
           "dhis2-json": _l("DHIS2 organisation units (JSON)"),
           "dhis2-csv": _l("DHIS2 organisation units (CSV)"),
           "mcsd": _l("IHE mCSD FHIR Bundle (JSON)")}


class UnknownFormat(ValueError):
    pass


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnknownFormat("the file is not UTF-8 text") from error


def detect_format(text: str) -> str:
    start = text.lstrip()[:4000]
    if start.startswith("{"):
        if '"resourceType"' in start and '"Bundle"' in start:
            return "mcsd"
        if '"organisationUnits"' in start:
            return "dhis2-json"
        raise UnknownFormat("JSON, but neither DHIS2 organisationUnits nor a FHIR Bundle")
    header = {name.strip().lower() for name in start.splitlines()[0].split(",")} if start else set()
    if {"facility name", "iso3c"} <= header:
        return "who"
    if ({"id", "uid"} & header) and "name" in header and ({"parent", "path", "parent.id"} & header):
        return "dhis2-csv"
    raise UnknownFormat("neither a WHO-format list, a DHIS2 export nor an mCSD bundle")


def import_file(session, data: bytes, *, country: str | None, now: datetime,
                facility_level: int | None = None, dry_run: bool = False,
                progress=None) -> dict:
    """Import ``data`` (any supported format); the job's result."""
    text = decode(data)
    kind = detect_format(text)
    if kind == "who":
        total = max(text.count("\n") - 1, 1)
        if progress:
            progress(0, total)
        report = importer.import_facilities(
            session, io.StringIO(text, newline=None), now=now, dry_run=dry_run,
            progress=(lambda rows: progress(rows, total)) if progress else None)
        problems = [{"line": p.line, "column": column, "message": "; ".join(map(str, m))
                     if isinstance(m, list) else str(m)}
                    for p in report.invalid for column, m in p.errors.items()]
        counts = {"rows": report.rows, "inserted": report.inserted, "updated": report.updated,
                  "duplicates": report.duplicates, "invalid": len(report.invalid),
                  "without_coordinates": report.without_coordinates}
        counts["merged"] = report.merged
        unmapped = report.unmapped
    else:
        if not country:
            raise UnknownFormat("say which country the list is of")
        with bulk.without_cycle_collection():
            if kind == "mcsd":
                units = list(mcsd.facilities(mcsd.read_bundle(text), today=now.date(),
                                             country=country))
                total, source = len(units), mcsd.SOURCE
            else:
                org_units = dhis2.read_json(text) if kind == "dhis2-json" else dhis2.read_csv(text)
                # Read once, in full (a broken file writes nothing); the facilities are then
                # made one at a time as they are written, and the text is let go.
                total = dhis2.facility_count(org_units, facility_level=facility_level)
                units = dhis2.facilities(org_units, today=now.date(),
                                         facility_level=facility_level)
                source = dhis2.SOURCE
            del text
            if progress:
                progress(0, total)
            report = store_units(
                session, source, country, units, now=now, dry_run=dry_run,
                progress=(lambda rows: progress(rows, total)) if progress else None)
        problems = [{"line": p.line, "column": p.column, "message": p.message}
                    for p in report.problems]
        counts = report.counts()
        if not dry_run:
            counts["links_proposed"] = links.propose_links(session, now=now)
        unmapped = report.unmapped
    notes = [f"unmapped {what} '{value}': {count}" for (what, value), count
             in sorted(unmapped.items(), key=lambda item: -item[1])]
    return {"format": kind, "dry_run": dry_run, "counts": counts, "notes": notes,
            "problems": problems}


def run_job(session, job: Job, progress, now: datetime) -> dict:
    params = job.params or {}
    data = session.get(Job, job.id).input_data or b""
    try:
        return import_file(session, data, country=params.get("country"), now=now,
                           facility_level=params.get("facility_level"),
                           dry_run=bool(params.get("dry_run")), progress=progress)
    except (UnknownFormat, SourceProblemError, importer.HeaderError) as error:
        raise UnknownFormat(str(error)) from error


def init_app(app: Flask) -> None:
    register_handler(app, KIND, run_job, _l("Facility import"))
