"""Past missions from a programme's spreadsheet, so cycles and outcomes continue from history.

One row per mission: the professional's e-mail, the facility (its code in the source — DHIS2
code or uid, registry id — or its exact name), first and last day, mode, cadre/specialty,
and, when the programme kept them, the people trained (a total, and/or "cadre gender count"
groups such as ``2222 F 8; 2211 M 3``) and a rating.

Each valid row becomes a *closed* mission of a *fulfilled* need, with its booking (a mission
holds its booking in every status from proposed to closed: migration 0007) in the
professional's engagement with the facility (renumbered, so the next visit is cycle n+1). The
figures become the host side's outcome report and the professional side is waived with the
reason; a row without figures waives both. Nothing is sent and nothing falls due: no
transition hooks run (no notices, no follow-up surveys) and a closed mission is asked nothing
by the scheduler.

The natural key is (professional, facility, first day): a row already imported is *skipped*,
so importing the file again changes nothing. Rows whose professional or facility is unknown,
whose dates are not in the past or overlap another mission of the person get a per-row error
in the user's language. Online missions (whose sessions are not in such files) are refused.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy.exc import IntegrityError, OperationalError

from diaspora import audit, reference
from diaspora.auth.models import User
from diaspora.db import unit_of_work
from diaspora.errors import Invalid
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need
from diaspora.people_imports.services import (
    CHUNK,
    GENDER_WORDS,
    Report,
    RowReport,
    SpreadsheetError,
    _choice,
    fold,
    read_table,
)
from diaspora.professionals.models import Professional
from diaspora.vocabulary import Mode, NeedStatus, Purpose

from ..core import booking, engagements, lifecycle
from ..core.models import Mission
from ..core.vocabulary import MissionStatus
from ..outcomes.models import OutcomeReport, OutcomeTrainee, ReportWaiver
from ..sessions import series

FIELDS = {"email": _l("E-mail"), "facility": _l("Facility"), "starts_on": _l("First day"),
          "ends_on": _l("Last day"), "mode": _l("Mode"), "cadre": _l("Cadre"),
          "specialty": _l("Specialty"), "trained_total": _l("People trained"),
          "trainees": _l("Trained by cadre and gender"), "rating": _l("Rating")}
HEADER_WORDS = {
    "email": ("email", "e-mail", "mail", "courriel", "correio eletronico", "professional email",
              "professional e-mail"),
    "facility": ("facility", "facility code", "facility name", "code", "etablissement",
                 "structure", "formation sanitaire", "code etablissement", "unidade",
                 "unidade sanitaria", "codigo", "health facility"),
    "starts_on": ("start", "start date", "first day", "from", "debut", "date de debut",
                  "inicio", "data de inicio"),
    "ends_on": ("end", "end date", "last day", "to", "fin", "date de fin", "fim", "data de fim"),
    "mode": ("mode", "modalite", "modalidade", "kind"),
    "cadre": ("cadre", "profession", "categorie", "categoria", "profissao"),
    "specialty": ("specialty", "speciality", "specialite", "especialidade"),
    "trained_total": ("trained", "people trained", "total trained", "personnes formees",
                      "nombre de formes", "formes", "pessoas formadas", "formados"),
    "trainees": ("trainees", "trained by cadre and gender", "formes par cadre et sexe",
                 "formados por categoria e sexo"),
    "rating": ("rating", "note", "avaliacao"),
}
MODE_WORDS = {"physical": Mode.PHYSICAL, "in person": Mode.PHYSICAL, "on site": Mode.PHYSICAL,
              "presentiel": Mode.PHYSICAL, "presencial": Mode.PHYSICAL,
              "virtual": Mode.VIRTUAL, "online": Mode.VIRTUAL, "en ligne": Mode.VIRTUAL,
              "a distance": Mode.VIRTUAL, "distancia": Mode.VIRTUAL, "remoto": Mode.VIRTUAL}
STATUSES = {"created": _l("Created"), "skipped": _l("Skipped: already imported"),
            "invalid": _l("Invalid")}
IMPORTED = "Imported from the programme's records"   # the waivers' reason (data, not UI)


def guess_mapping(header: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for column in header:
        folded = fold(column)
        for name, words in HEADER_WORDS.items():
            if folded in {fold(word) for word in words} and name not in mapping.values():
                mapping[column] = name
                break
    return mapping


def _date(text: str) -> date | None:
    text = (text or "").strip()
    match = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        year, month, day = match.groups()
    else:
        match = re.match(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$", text)
        if not match:
            return None
        day, month, year = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _trainees(text: str) -> list[tuple[str, str, int]] | None:
    """``2222 F 8; 2211 M 3`` → [(cadre, gender, count)]; None if a group is not read."""
    groups = []
    for part in re.split(r"[;|]", text or ""):
        if not part.strip():
            continue
        match = re.match(r"^\s*(.+?)\s+(\S+)\s+(\d+)\s*$", part)
        if not match:
            return None
        cadre = _choice(match.group(1), "cadre")
        gender = GENDER_WORDS.get(fold(match.group(2)))
        if cadre not in reference.CADRES or gender is None:
            return None
        groups.append((cadre, gender, int(match.group(3))))
    return groups


@dataclass
class Row:
    number: int
    email: str
    facility: str
    starts_on: date
    ends_on: date
    mode: str
    cadre: str | None
    specialty: str | None
    trained_total: int | None
    trainees: list[tuple[str, str, int]]
    rating: int | None


def _read_row(number: int, cells: dict[str, str], today: date,
              columns: dict[str, str]) -> tuple[Row | None, list[str]]:
    """A row's cells checked; messages name the file's own columns (``columns``: field →
    column), else the field."""
    errors: list[str] = []
    labels = {name: columns.get(name) or label for name, label in FIELDS.items()}
    email = (cells.get("email") or "").strip().lower()
    facility = (cells.get("facility") or "").strip()
    if not email:
        errors.append(_("%(field)s: missing.", field=labels["email"]))
    if not facility:
        errors.append(_("%(field)s: missing.", field=labels["facility"]))
    starts_on, ends_on = _date(cells.get("starts_on", "")), _date(cells.get("ends_on", ""))
    for name, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value is None:
            errors.append(_("%(field)s: give a date as 2025-03-31 or 31/03/2025.",
                            field=labels[name]))
    if starts_on and ends_on and ends_on < starts_on:
        errors.append(_("The last day is before the first."))
    elif ends_on and ends_on >= today:
        errors.append(_("Only missions that are over can be imported from history."))
    mode = MODE_WORDS.get(fold(cells.get("mode") or "in person"))
    if mode is None:
        errors.append(_("%(field)s: in person or online.", field=labels["mode"]))
    elif mode == Mode.VIRTUAL:
        errors.append(_("Online missions cannot be imported from history yet (their sessions "
                        "are not in the file)."))
    cadre = _choice(cells["cadre"], "cadre") if cells.get("cadre", "").strip() else None
    if cadre is not None and cadre not in reference.CADRES:
        errors.append(_("%(field)s: not a known cadre.", field=labels["cadre"]))
    specialty = (_choice(cells["specialty"], "specialty")
                 if cells.get("specialty", "").strip() else None)
    if specialty is not None and specialty not in reference.SPECIALTIES:
        errors.append(_("%(field)s: not a known specialty.", field=labels["specialty"]))
    trained_total = None
    if cells.get("trained_total", "").strip():
        text = cells["trained_total"].strip()
        if not text.isdigit():
            errors.append(_("%(field)s: a whole number.", field=labels["trained_total"]))
        else:
            trained_total = int(text)
    trainees = _trainees(cells.get("trainees", ""))
    if trainees is None:
        errors.append(_("%(field)s: write groups as “2222 F 8; 2211 M 3” (cadre, gender, "
                        "count).", field=labels["trainees"]))
        trainees = []
    rating = None
    if cells.get("rating", "").strip():
        text = cells["rating"].strip()
        if text not in {"1", "2", "3", "4", "5"}:
            errors.append(_("%(field)s: from 1 to 5.", field=labels["rating"]))
        else:
            rating = int(text)
    if errors:
        return None, errors
    return Row(number, email, facility, starts_on, ends_on, mode, cadre, specialty,
               trained_total, trainees, rating), []


def _lookups(session, rows: list[Row]) -> tuple[dict[str, Professional], dict[str, list[Facility]]]:
    """Professionals by e-mail; facilities by code (source code, source uid, registry id) and
    by folded name (a list: a name may be ambiguous)."""
    emails = sorted({row.email for row in rows})
    people = {}
    for start in range(0, len(emails), CHUNK):
        for email, professional in session.execute(
                sa.select(User.email, Professional).join(Professional, Professional.user_id == User.id)
                .where(User.email.in_(emails[start:start + CHUNK]))):
            people[email] = professional
    keys = sorted({row.facility for row in rows})
    names = sorted({row.facility.lower() for row in rows})
    places: dict[str, list[Facility]] = {}
    for start in range(0, max(len(keys), len(names)), CHUNK):
        key_part, name_part = keys[start:start + CHUNK], names[start:start + CHUNK]
        for facility in session.scalars(sa.select(Facility).where(sa.or_(
                Facility.source_code.in_(key_part), Facility.source_uid.in_(key_part),
                Facility.external_id.in_(key_part), sa.func.lower(Facility.name).in_(name_part)))):
            for key in {facility.source_code, facility.source_uid, facility.external_id}:
                if key:
                    places.setdefault(f"code:{key}", []).append(facility)
            places.setdefault(f"name:{fold(facility.name)}", []).append(facility)
    return people, places


def _facility_of(places, text: str) -> tuple[Facility | None, str | None]:
    by_code = places.get(f"code:{text}")
    if by_code:
        return by_code[0], None
    by_name = {f.id: f for f in places.get(f"name:{fold(text)}", [])}
    if len(by_name) == 1:
        return next(iter(by_name.values())), None
    if len(by_name) > 1:
        return None, _("Several facilities have this name: give the facility's code.")
    return None, _("No facility with this code or name in the registry.")


def import_missions(session, data: bytes, filename: str, *, actor, now: datetime,
                    mapping: dict[str, str] | None = None, programme_id: int | None = None,
                    dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> Report:
    """Check every row; unless ``dry_run``, create the past missions (one transaction a row)."""
    header, table = read_table(data, filename)
    mapping = mapping if mapping is not None else guess_mapping(header)
    unknown = set(mapping.values()) - FIELDS.keys()
    if unknown:
        raise SpreadsheetError(_("Unknown fields: %(fields)s", fields=", ".join(sorted(unknown))))
    missing = [str(FIELDS[name]) for name in ("email", "facility", "starts_on", "ends_on")
               if name not in mapping.values()]
    if missing:
        raise SpreadsheetError(_("No column for: %(fields)s", fields=", ".join(missing)))
    positions = {name: header.index(column) for column, name in mapping.items() if column in header}
    today = now.date()
    columns = {name: column for column, name in mapping.items()}
    report, rows = Report(STATUSES), []
    for number, cells_row in enumerate(table, start=2):
        cells = {name: cells_row[index] if index < len(cells_row) else ""
                 for name, index in positions.items()}
        row, messages = _read_row(number, cells, today, columns)
        report.rows.append(RowReport(number, "invalid" if row is None else "created", messages))
        if row is not None:
            rows.append((report.rows[-1], row))
    people, places = _lookups(session, [row for _r, row in rows])
    ready = []
    seen = set()
    for row_report, row in rows:
        professional = people.get(row.email)
        facility, problem = _facility_of(places, row.facility)
        messages = []
        if professional is None:
            messages.append(_("No professional with this e-mail in the registry: import the "
                              "people first."))
        if problem:
            messages.append(problem)
        if messages:
            row_report.status, row_report.messages = "invalid", messages
            continue
        key = (professional.id, facility.id, row.starts_on)
        if key in seen:
            row_report.status = "skipped"
            row_report.messages = [_("The same mission is on an earlier row.")]
            continue
        seen.add(key)
        ready.append((row_report, row, professional, facility))
    imported = _imported(session, {professional.id for _r, _w, professional, _f in ready})
    if progress:
        progress(0, len(ready))
    planned: dict[int, list[tuple[date, date]]] = {}   # the rows' own spans (a dry run writes none)
    for done, (row_report, row, professional, facility) in enumerate(ready, start=1):
        starts_at = series.day_span(row.starts_on, row.ends_on, facility.timezone or "UTC")[0]
        mission_id = imported.get((professional.id, facility.id, starts_at))
        if mission_id is not None:   # a re-import: no transaction for it
            row_report.status = "skipped"
            row_report.messages = [_("Already imported (mission %(id)s).", id=mission_id)]
            continue
        spans = planned.setdefault(professional.id, [])
        clash = next(((a, b) for a, b in spans if a <= row.ends_on and row.starts_on <= b), None)
        if clash is not None:
            row_report.status = "invalid"
            row_report.messages = [_("Overlaps another mission of this professional (%(first)s "
                                     "to %(last)s).", first=clash[0], last=clash[1])]
            continue
        try:
            with unit_of_work(session):
                outcome = _create(session, row, professional, facility, actor=actor, now=now,
                                  programme_id=programme_id)
                if dry_run or outcome != "created":
                    session.rollback()
        except Invalid as error:
            row_report.status, row_report.messages = "invalid", [error.message]
        else:
            if outcome != "created":
                row_report.status, row_report.messages = "skipped", [outcome]
            spans.append((row.starts_on, row.ends_on))
        if progress and (done % CHUNK == 0 or done == len(ready)):
            progress(done, len(ready))
    if not dry_run:
        with unit_of_work(session):
            audit.record(session, now=now, actor=actor, action="create",
                         entity="mission_history_import", detail=report.counts())
    return report


def _imported(session, professional_ids: set[int]) -> dict[tuple, int]:
    """(professional, facility, first instant) → mission id, of these people's missions."""
    ids, out = sorted(professional_ids), {}
    for start in range(0, len(ids), CHUNK):
        for mission_id, professional_id, facility_id, starts_at in session.execute(
                sa.select(Mission.id, Mission.professional_id, Mission.facility_id,
                          Mission.starts_at)
                .where(Mission.professional_id.in_(ids[start:start + CHUNK]))):
            out[(professional_id, facility_id, starts_at)] = mission_id
    return out


def _create(session, row: Row, professional: Professional, facility: Facility, *, actor,
            now: datetime, programme_id: int | None) -> str:
    """The past mission of ``row``: "created", or why it is skipped. Invalid on a clash."""
    zone = facility.timezone or "UTC"
    starts_at, ends_at = series.day_span(row.starts_on, row.ends_on, zone)
    booking.lock_professional(session, professional.id)
    existing = session.scalar(sa.select(Mission.id).where(
        Mission.professional_id == professional.id, Mission.facility_id == facility.id,
        Mission.starts_at == starts_at))
    if existing is not None:
        return _("Already imported (mission %(id)s).", id=existing)
    clash = booking.find_clash(session, professional.id, [(starts_at, ends_at)])
    if clash is not None:
        raise Invalid(_("Overlaps another mission of this professional (%(first)s to %(last)s).",
                        first=clash.starts_on, last=clash.ends_on))
    need = Need(facility_id=facility.id, programme_id=programme_id,
                created_by_id=getattr(actor, "id", None),
                title=str(_("Past mission (imported)")), cadre=row.cadre or professional.cadre,
                specialty=row.specialty, purpose=Purpose.CLINICAL_SERVICE, mode=row.mode,
                earliest_start=row.starts_on, latest_end=row.ends_on,
                duration_days=(row.ends_on - row.starts_on).days + 1,
                status=NeedStatus.FULFILLED, languages=[], skills=[], created_at=now,
                updated_at=now, approved_at=now, approved_by_id=getattr(actor, "id", None))
    engagement = engagements.engagement_for(session, professional, facility.id, now)
    mission = Mission(need=need, professional=professional, facility_id=facility.id,
                      engagement=engagement,
                      kind=row.mode, status=MissionStatus.CLOSED, timezone=zone,
                      starts_at=starts_at, ends_at=ends_at,
                      proposed_by_id=getattr(actor, "id", None), proposed_at=now,
                      responded_at=now, confirmed_at=now, created_at=now, updated_at=now,
                      note=IMPORTED)
    session.add_all([need, mission])
    try:
        session.flush()
        session.add_all(booking.bookings_for(mission))
        session.flush()
    except (IntegrityError, OperationalError) as error:  # the database's own overlap guard
        raise Invalid(_("Overlaps another mission of this professional.")) from error
    engagements.renumber(session, mission.engagement_id)
    lifecycle.record(mission, None, MissionStatus.CLOSED, actor=actor, now=now, reason=IMPORTED)
    figures = row.trained_total is not None or row.trainees
    if figures:
        total = row.trained_total if row.trained_total is not None else sum(
            count for _c, _g, count in row.trainees)
        report = OutcomeReport(mission_id=mission.id, side="host", author_id=None,
                               filed_at=ends_at, updated_at=now, trained_total=total,
                               sessions_held=0, hours=0, rating=row.rating,
                               narrative=IMPORTED, barriers=[], next_steps=[])
        report.trainees = [OutcomeTrainee(cadre=cadre, gender=gender, count=count)
                           for cadre, gender, count in row.trainees]
        session.add(report)
    for side in ("professional",) if figures else ("professional", "host"):
        session.add(ReportWaiver(mission_id=mission.id, side=side, reason=IMPORTED,
                                 waived_by_id=getattr(actor, "id", None), waived_at=now))
    audit.record(session, now=now, actor=actor, action="create", entity="mission",
                 entity_id=mission.id, detail={"professional": professional.id,
                                               "imported": True})
    return "created"

