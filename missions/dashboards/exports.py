"""Missions and their outcomes, one row per mission, as CSV or XLSX, with the dashboard's filters.

Professionals appear by name and cadre only: no e-mail, phone, address or any other contact
detail is ever exported (WHO Global Code: the registry is not a recruitment channel). A
coordinator's export names the professional only of missions that were confirmed: who was only
proposed, or declined, stays unnamed to the host. A mission's counted figures come from its
reference report, as on the dashboard.

Laid out for a spreadsheet user: headers in the reader's language, names beside codes (status,
mode, country, cadre), the facility's master-list code, yes/no in their language; CSV takes ";"
and decimal commas in French and Portuguese; a workbook has real date cells, a frozen header
row and an auto-filter.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.numbers import get_decimal_symbol
from flask_babel import gettext as _, lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import aliased

from diaspora import reference, safeguards
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need
from diaspora.professionals.models import GENDERS, Professional
from diaspora.programmes.models import Programme
from diaspora.vocabulary import Mode

from ..core.models import Mission
from ..core.vocabulary import DONE, MissionStatus
from ..outcomes.models import (
    FOLLOW_UP_MONTHS,
    FollowUp,
    OutcomeItem,
    OutcomeReport,
    OutcomeTrainee,
    ReportWaiver,
)
from .filters import Filters, mission_conditions

COLUMNS = (
    "mission_id", "status", "status_name", "mode", "mode_name", "first_day", "last_day",
    "host_timezone", "cycle", "programme", "facility_code", "facility", "country", "country_name",
    "region", "tier", "setting", "safeguards_list",
    "professional", "professional_cadre", "professional_cadre_name", "cost_amount", "cost_currency",
    "professional_report", "host_report", "people_trained",
    *[f"trained_{gender}" for gender in GENDERS],
    "sessions_held", "hours", "patients_seen", "procedures_done", "protocols_guidelines_curricula",
    "equipment_items", "tested", "pre_score", "post_score", "host_rating", "professional_rating",
    *[f"practice_in_use_{months}m" for months in FOLLOW_UP_MONTHS],
)
# What a spreadsheet user reads at the top of each column, in their language.
HEADERS = {
    "mission_id": _l("Mission"), "status": _l("Status code"), "status_name": _l("Status"),
    "mode": _l("Mode code"), "mode_name": _l("Mode"), "first_day": _l("First day"),
    "last_day": _l("Last day"), "host_timezone": _l("Host time zone"), "cycle": _l("Cycle"),
    "programme": _l("Programme"), "facility_code": _l("Facility code (master list)"),
    "facility": _l("Facility"), "country": _l("Country code"), "country_name": _l("Country"),
    "region": _l("Region"), "tier": _l("Tier"), "setting": _l("Setting"),
    "safeguards_list": _l("On the WHO safeguards list"), "professional": _l("Professional"),
    "professional_cadre": _l("Cadre code (ISCO-08)"), "professional_cadre_name": _l("Cadre"),
    "cost_amount": _l("Cost"), "cost_currency": _l("Currency"),
    "professional_report": _l("Professional's report"), "host_report": _l("Host's report"),
    "people_trained": _l("People trained"), "trained_female": _l("Women trained"),
    "trained_male": _l("Men trained"), "trained_other": _l("Others trained"),
    "trained_undisclosed": _l("Trained, gender not given"), "sessions_held": _l("Sessions held"),
    "hours": _l("Hours"), "patients_seen": _l("Patients seen"),
    "procedures_done": _l("Procedures done"),
    "protocols_guidelines_curricula": _l("Protocols, guidelines and curricula"),
    "equipment_items": _l("Equipment items"), "tested": _l("People tested"),
    "pre_score": _l("Score before"), "post_score": _l("Score after"),
    "host_rating": _l("Host's rating"), "professional_rating": _l("Professional's rating"),
    "practice_in_use_3m": _l("Practice in use after 3 months"),
    "practice_in_use_6m": _l("Practice in use after 6 months"),
    "practice_in_use_12m": _l("Practice in use after 12 months"),
}
# Days are real dates in a workbook; in CSV they are ISO 8601 (read alike everywhere).
DATE_COLUMNS = ("first_day", "last_day")
# Languages whose spreadsheets read a comma as the decimal mark take ";" between CSV fields.
SEMICOLON_LANGUAGES = ("fr", "pt")
# Reference-report figures, taken from the host's report, else the professional's.
REFERENCE_FIGURES = ("trained_total", "sessions_held", "hours", "patients_seen", "procedures_done",
                     "tested_count", "pre_score", "post_score")
TRANSFER_KINDS = ("protocol", "guideline", "curriculum")
# Spreadsheet programs run cells starting with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def mission_rows(session, filters: Filters) -> Iterator[dict]:
    """One dict per mission (keys ``COLUMNS``), most recent first, in one query."""
    for row in session.execute(_statement(filters)).mappings():
        yield _shape(row, named=filters.coordinator_id is None or row["confirmed_at"] is not None)


def _statement(filters: Filters) -> sa.Select:
    professional_report, host_report = aliased(OutcomeReport), aliased(OutcomeReport)
    professional_waiver, host_waiver = aliased(ReportWaiver), aliased(ReportWaiver)
    surveys = {months: aliased(FollowUp) for months in FOLLOW_UP_MONTHS}
    reference_id = sa.func.coalesce(host_report.id, professional_report.id)
    trainees, items = _trainees_by_gender(), _items_by_use()

    def reference(name):
        return sa.case((host_report.id.is_not(None), getattr(host_report, name)),
                       else_=getattr(professional_report, name)).label(name)

    def side_status(report, waiver):
        return sa.case((report.id.is_not(None), "filed"), (waiver.id.is_not(None), "waived"),
                       (Mission.status.in_(DONE), "missing"), else_="")

    statement = (
        sa.select(
            Mission.id.label("mission_id"), Mission.status, Mission.kind.label("mode"),
            Mission.starts_at, Mission.ends_at, Mission.timezone.label("host_timezone"),
            Mission.cycle, Programme.name.label("programme"),
            Facility.external_id.label("facility_code"), Facility.name.label("facility"),
            Facility.country, Facility.admin1.label("region"), Facility.tier, Facility.setting,
            Mission.confirmed_at, Professional.given_name, Professional.family_name,
            Professional.cadre.label("professional_cadre"), Mission.cost_amount,
            Mission.cost_currency,
            side_status(professional_report, professional_waiver).label("professional_report"),
            side_status(host_report, host_waiver).label("host_report"),
            *[reference(name) for name in REFERENCE_FIGURES],
            *[sa.func.coalesce(trainees.c[gender], 0).label(f"trained_{gender}") for gender in GENDERS],
            sa.func.coalesce(items.c.transfer, 0).label("protocols_guidelines_curricula"),
            sa.func.coalesce(items.c.equipment, 0).label("equipment_items"),
            host_report.rating.label("host_rating"),
            professional_report.rating.label("professional_rating"),
            *[survey.practice_in_use.label(f"practice_in_use_{months}m")
              for months, survey in surveys.items()])
        .join(Facility, Facility.id == Mission.facility_id)
        .join(Professional, Professional.id == Mission.professional_id)
        .join(Need, Need.id == Mission.need_id)
        .outerjoin(Programme, Programme.id == Need.programme_id)
        .outerjoin(professional_report, _side(professional_report, "professional"))
        .outerjoin(host_report, _side(host_report, "host"))
        .outerjoin(professional_waiver, _side(professional_waiver, "professional"))
        .outerjoin(host_waiver, _side(host_waiver, "host"))
        .outerjoin(trainees, trainees.c.report_id == reference_id)
        .outerjoin(items, items.c.report_id == reference_id))
    for months, survey in surveys.items():
        statement = statement.outerjoin(survey, sa.and_(survey.mission_id == Mission.id,
                                                        survey.months == months))
    return (statement.where(*mission_conditions(filters))
            .order_by(Mission.starts_at.desc(), Mission.id.desc()))


def _side(model, side: str):
    return sa.and_(model.mission_id == Mission.id, model.side == side)


def _trainees_by_gender():
    return (sa.select(OutcomeTrainee.report_id,
                      *[sa.func.sum(sa.case((OutcomeTrainee.gender == gender, OutcomeTrainee.count),
                                            else_=0)).label(gender) for gender in GENDERS])
            .group_by(OutcomeTrainee.report_id).subquery())


def _items_by_use():
    return (sa.select(OutcomeItem.report_id,
                      sa.func.count(sa.case((OutcomeItem.kind.in_(TRANSFER_KINDS), 1))).label("transfer"),
                      sa.func.count(sa.case((OutcomeItem.kind.not_in(TRANSFER_KINDS), 1))).label("equipment"))
            .group_by(OutcomeItem.report_id).subquery())


def _shape(row, *, named: bool) -> dict:
    """A result row as export values: host-zone days, names beside codes, one name (if
    ``named``), yes/no answers in the reader's language."""
    zone = ZoneInfo(row["host_timezone"])
    shaped = {key: row[key] for key in COLUMNS if key in row}
    shaped.update(
        status_name=str(MissionStatus.label_of(row["status"])),
        mode_name=str(Mode.label_of(row["mode"])),
        country_name=reference.country_name(row["country"]),
        professional_cadre_name=str(reference.CADRES.get(row["professional_cadre"], "")),
        first_day=_local_day(row["starts_at"], zone),
        last_day=_local_day(row["ends_at"] - timedelta(microseconds=1), zone),
        professional=f"{row['given_name']} {row['family_name']}" if named else None,
        safeguards_list=_yes_no(safeguards.is_listed(row["country"])),
        people_trained=row["trained_total"], tested=row["tested_count"],
        **{f"practice_in_use_{m}m": _yes_no(row[f"practice_in_use_{m}m"]) for m in FOLLOW_UP_MONTHS})
    return {key: shaped.get(key) for key in COLUMNS}


def _local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _yes_no(value: bool | None) -> str:
    return "" if value is None else str(_("yes") if value else _("no"))


def _cell(value):
    """Text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def headers() -> list[str]:
    return [str(HEADERS[key]) for key in COLUMNS]


def csv_delimiter(language: str) -> str:
    return ";" if language in SEMICOLON_LANGUAGES else ","


def to_csv(rows, *, language: str = "en") -> str:
    """CSV as the reader's spreadsheet program opens it: headers in their language, and in
    languages with a decimal comma, ";" between fields and commas in numbers."""
    delimiter = csv_delimiter(language)
    decimal = get_decimal_symbol(language)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(headers())
    for row in rows:
        writer.writerow([_csv_value(row[key], decimal) for key in COLUMNS])
    return buffer.getvalue()


def _csv_value(value, decimal: str):
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float | Decimal):
        return str(value).replace(".", decimal)
    return _cell(value)


def to_xlsx(rows, *, filters: Filters, generated_at: datetime) -> bytes:
    """A workbook with the missions (headers in the reader's language, frozen and filterable,
    days as date cells) and, on a second sheet, the filters that chose them."""
    rows = list(rows)
    workbook = Workbook(write_only=True)
    missions = workbook.create_sheet("missions")
    missions.freeze_panes = "B2"   # the header row and the mission number stay in view
    missions.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    missions.append(headers())
    for row in rows:
        missions.append([_xlsx_cell(missions, key, row[key]) for key in COLUMNS])
    about = workbook.create_sheet("filters")
    about.append(["generated_at", generated_at.isoformat()])
    for key, value in filters.query_args().items():
        about.append([key, _cell(str(value))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, key: str, value):
    if key in DATE_COLUMNS and value is not None:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    return _cell(value)
