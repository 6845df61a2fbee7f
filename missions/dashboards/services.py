"""Exports as the views and the API hand them out: checked, produced and written to the audit
log (they carry professionals' names)."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Forbidden
from diaspora.programmes import access as programmes

from . import exports, fhir
from .filters import Filters

FORMATS = ("csv", "xlsx")


def missions_export(session, filters: Filters, file_format: str, *, actor, now: datetime,
                    language: str = "en") -> str | bytes:
    """Missions and outcomes selected by ``filters`` as CSV text or XLSX bytes, headers in
    ``language`` (the current locale's, for the texts)."""
    rows = exports.mission_rows(session, filters)
    if file_format == "csv":
        body = exports.to_csv(rows, language=language)
    else:
        body = exports.to_xlsx(rows, filters=filters, generated_at=now)
    with unit_of_work(session):  # an export is a read of personal data: audited
        audit.record(session, now=now, actor=actor, action="export", entity="missions",
                     detail={"format": file_format, "filters": filters.query_args()})
    return body


def workforce_export(session, *, country: str | None, actor, now: datetime) -> str:
    """The FHIR workforce Bundle (JSON text); programme managers only, each the workforce of
    their own programmes (admins everyone's)."""
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers export the workforce."))
    body = fhir.workforce_bundle(session, now=now, country=country,
                                 need_ids=programmes.need_ids_in_reach(actor))
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="export", entity="fhir_workforce",
                     detail={"country": country})
    return body
