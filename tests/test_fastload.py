"""The imports' fast path (``diaspora.fastload``) answers what the schema answers, or defers.

Whatever the row, ``FastLoader.load`` either gives exactly the data ``schema.load`` gives, or
None (then the importer runs the schema, which gives the data or the row's messages). It must
also take the ordinary rows, or the imports gain nothing.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st
from marshmallow import ValidationError, fields, validates_schema

from diaspora.facilities import importer
from diaspora.facilities.importer import FacilityRowSchema, as_record
from diaspora.facilities.sources.store import SourceUnitSchema, _coordinates_together
from diaspora.fastload import FastLoader
from diaspora.schemas import BaseSchema

FIXTURE = Path(__file__).parent / "data" / "who-format-fixture.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "facilities"

WHO = FastLoader(FacilityRowSchema(),
                 handled_hooks=("_blanks", "_coordinates_together", "_known_country"),
                 check=importer._row_checks)
UNITS = FastLoader(SourceUnitSchema(), handled_hooks=("_coordinates_together",),
                   check=_coordinates_together)


def schema_answer(schema, data):
    try:
        return schema.load(data)
    except ValidationError:
        return None


def blanked(header, values):
    """The record the importer gives the fast path (blank cells as None, like ``_blanks``)."""
    record = as_record(header, values)
    return {key: value.strip() or None if isinstance(value, str) else value
            for key, value in record.items()}


# Cells as files have them: blanks, padding, numbers in several spellings, the special values
# a float accepts, text at and past the columns' lengths, characters no column can store.
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str),
                    st.sampled_from(["", " ", "0", "1", "4.0", "4.5", "-90", "90.0000001", "180",
                                     "-180.5", "nan", "inf", "-Infinity", "1e3", "1_0", " 7 ",
                                     "١", "abc", "2.0", "3"]))
texts = st.one_of(st.text(max_size=6),
                  st.sampled_from(["", "  ", "a", "ab", "x" * 40, "x" * 41, "x" * 80, "x" * 81,
                                   "x" * 120, "x" * 121, "y" * 255, "y" * 256, "a\nb", "a\x00",
                                   "\ud800", "a\u2028b", " padded ", "Poste de Santé"]))
codes = st.sampled_from(["GHA", "gha", " SEN ", "XXX", "", "MOZ", "G\nHA"])
WHO_HEADER = list(importer.WHO_COLUMNS)


WHO_CELLS = {"Country": texts, "Admin1": texts, "Facility name": texts, "Facility type": texts,
             "Ownership": texts, "Lat": numbers, "Long": numbers, "LL source": texts,
             "iso3c": codes, "facility_type_9": texts, "Tier": numbers, "Tier_name": texts}
VALID_ROW = ["Ghana", "Volta", "Ho Clinic", "Clinic", "MoH", "6.6", "0.47", "GPS", "GHA",
             "Health Clinic", "2.0", "Tier2"]


@st.composite
def who_rows(draw):
    """A valid row with one to three cells drawn at random, sometimes cut short."""
    values = list(VALID_ROW)
    for column in draw(st.lists(st.sampled_from(WHO_HEADER), min_size=1, max_size=3)):
        values[WHO_HEADER.index(column)] = draw(WHO_CELLS[column])
    return values[:draw(st.sampled_from([len(values)] * 5 + [9, 8]))]


@settings(max_examples=1500, deadline=None)
@given(values=who_rows())
@example(values=VALID_ROW)
@example(values=["Ghana", "", "Ho", "", "", "", "", "", "GHA"])
def test_the_who_fast_path_answers_what_the_schema_answers_or_defers(values):
    fast = WHO.load(blanked(WHO_HEADER, values))
    if fast is not None:
        assert fast == FacilityRowSchema().load(as_record(WHO_HEADER, values))


unit_values = st.one_of(st.none(), texts, st.integers(), st.booleans(),
                        st.floats(allow_nan=True, allow_infinity=True), numbers,
                        st.sampled_from(["2020-01-01", "1899-12-31", "2201-01-01", "2020-02-30",
                                         "20200101", "2020-01-01T00:00:00"]))
VALID_UNIT = {"uid": "KomfoAnoky1", "name": "Komfo Anokye Teaching Hospital", "code": "GH-KATH",
              "ownership": "Public facilities", "admin1": "Ashanti", "admin2": "Kumasi",
              "path": "/a/b/c", "latitude": 6.69, "longitude": -1.63, "location_source": "dhis2",
              "closed_on": "2025-06-30"}


@settings(max_examples=1500, deadline=None)
@given(changes=st.dictionaries(st.sampled_from([*SourceUnitSchema().fields, "facility_type"]),
                               st.one_of(unit_values, st.just(KeyError)), min_size=1, max_size=3))
def test_the_source_unit_fast_path_answers_what_the_schema_answers_or_defers(changes):
    given_ = {**VALID_UNIT, **changes}
    given_ = {key: value for key, value in given_.items() if value is not KeyError}
    fast = UNITS.load(given_)
    if fast is not None:
        assert fast == SourceUnitSchema().load(given_)


def test_ordinary_rows_take_the_fast_path():
    files = [FIXTURE, *sorted(SHARED.glob("who-ssa-2019-*.csv"))]
    taken = deferred = 0
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            for values in reader:
                if schema_answer(FacilityRowSchema(), as_record(header, values)) is None:
                    continue  # invalid: the schema's messages are needed
                fast = WHO.load(blanked(header, values))
                taken += fast is not None
                deferred += fast is None
    assert taken > 10 and deferred == 0
    assert UNITS.load(VALID_UNIT) == SourceUnitSchema().load(VALID_UNIT)


def test_a_schema_the_fast_path_does_not_know_is_refused_when_the_loader_is_built():
    class WithHook(BaseSchema):
        name = fields.String()

        @validates_schema
        def _new_rule(self, data, **kwargs):
            pass

    class WithValidator(BaseSchema):
        name = fields.String(validate=lambda value: value != "x")

    class WithInteger(BaseSchema):
        count = fields.Integer()

    for schema in (WithHook(), WithValidator(), WithInteger()):
        with pytest.raises(TypeError):
            FastLoader(schema)
