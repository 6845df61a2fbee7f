"""Exports a spreadsheet user can read (issue 14): names beside codes, the facility's master-list
code, real date cells, a frozen and filterable header, and CSV headers and separator in the
reader's language."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from diaspora.extensions import db
from missions.dashboards.exports import COLUMNS

from .test_dashboards import builder, world  # noqa: F401 - the dashboards' data set

__all__ = ["builder", "world"]


def test_csv_in_english_names_beside_codes_and_the_master_list_code(world, signed_in):  # noqa: F811
    text = signed_in(world.manager).get("/dashboard/missions.csv?country=GH").get_data(as_text=True)
    header, *rows = csv.reader(io.StringIO(text))
    assert header[:5] == ["Mission", "Status code", "Status", "Mode code", "Mode"]
    assert "Facility code (master list)" in header and "_" not in "".join(header)
    m1 = dict(zip(COLUMNS, next(r for r in rows if r[0] == str(world.missions["M1"].id))))
    facility = world.missions["M1"].facility
    assert (m1["facility_code"], m1["facility"]) == (facility.external_id, facility.name)
    assert (m1["country"], m1["country_name"]) == ("GH", "Ghana")
    assert (m1["status"], m1["status_name"]) == ("closed", "closed")
    assert (m1["mode"], m1["mode_name"]) == ("physical", "In person")
    assert m1["professional_cadre"] == world.professionals["P1"].cadre
    assert m1["professional_cadre_name"] in ("Specialist medical practitioner", "Nursing professional",
                                             "Midwifery professional", "Generalist medical practitioner")


def test_csv_in_french_has_french_headers_semicolons_and_decimal_commas(world, signed_in):  # noqa: F811
    manager = world.manager
    manager.locale = "fr"
    db.session.commit()
    text = signed_in(manager).get("/dashboard/missions.csv?mode=virtual").get_data(as_text=True)
    header_line = text.splitlines()[0]
    assert header_line.startswith("Mission;Code du statut;Statut;Code du mode;Modalité;")
    _header, m3 = list(csv.reader(io.StringIO(text), delimiter=";"))
    row = dict(zip(COLUMNS, m3))
    assert row["hours"] == "4,5" and row["mode_name"] == "En ligne"
    assert row["safeguards_list"] in ("oui", "non")
    assert row["first_day"].count("-") == 2   # ISO days, read alike everywhere


def test_xlsx_has_date_cells_a_frozen_header_and_a_filter(world, signed_in):  # noqa: F811
    response = signed_in(world.manager).get("/dashboard/missions.xlsx")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook["missions"]
    assert sheet.freeze_panes == "B2"
    rows = list(sheet.values)
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, len(COLUMNS)).column_letter}{len(rows)}"
    assert rows[0][2] == "Status"
    m1 = dict(zip(COLUMNS, next(r for r in rows[1:] if r[0] == world.missions["M1"].id)))
    assert isinstance(m1["first_day"], datetime) and m1["first_day"].date() == date(2026, 1, 5)
    first_day = sheet.cell(2, COLUMNS.index("first_day") + 1)
    assert first_day.is_date and first_day.number_format == "yyyy-mm-dd"
