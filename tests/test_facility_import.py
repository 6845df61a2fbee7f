"""The WHO-format facility importer: mapping, per-row errors, duplicates, idempotency."""
from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import example, given, settings, strategies as st

from diaspora.extensions import db
from diaspora.facilities import vocabulary
from diaspora.facilities.importer import HeaderError, import_facilities
from diaspora.facilities.models import Facility
from diaspora.facilities.vocabulary import category_for, fold, ownership_for

from .conftest import START, later

FIXTURE = Path(__file__).parent / "data" / "who-format-fixture.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "facilities"


def facilities() -> dict[str, Facility]:
    return {f.name: f for f in db.session.scalars(sa.select(Facility))}


def test_fixture_import_reports_each_bad_row_and_keeps_the_good_ones(app):
    report = import_facilities(db.session, FIXTURE, now=START)
    assert report.rows == 17
    bad_lines = {problem.line: set(problem.errors) for problem in report.invalid}
    assert bad_lines == {
        12: {"Facility name"},   # blank name
        13: {"Lat"},             # latitude 96.6 out of range
        14: {"Lat"},             # latitude without longitude
        15: {"iso3c"},           # unknown country code
        16: {"Tier"},            # tier 7
        17: {"Lat"},             # not a number
    }
    assert report.duplicates == 1            # the repeated Senegal row
    assert report.inserted == 10
    assert report.without_coordinates == 2   # the blank one and "null island"
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 10


def test_mapping_of_types_tiers_ownership_zones_and_accents(app):
    import_facilities(db.session, FIXTURE, now=START)
    found = facilities()
    tamale = found["Tamale Teaching Hospital"]
    assert (tamale.country, tamale.category, tier(tamale), tamale.ownership, tamale.timezone) == \
        ("GH", "hospital", 4, "public", "Africa/Accra")
    chps = found["Zebilla Community-based Health Planning and Services"]
    assert chps.category == "community_health_unit" and chps.latitude is None
    assert chps.timezone == "Africa/Accra"  # single-zone country: known without coordinates
    kedougou = found["Kédougou Hôpital Régional"]
    assert (kedougou.country, kedougou.admin1, kedougou.category, kedougou.timezone) == \
        ("SN", "Kédougou", "hospital", "Africa/Dakar")
    post = found["Ainoumady Keur Massar Poste de Santé"]
    assert (post.category, post.tier, post.ownership) == ("health_post", 1, "unknown")
    rural = found["Alto Molócuè Centro de Saúde Rural II"]
    assert (rural.setting, rural.country, rural.timezone) == ("rural", "MZ", "Africa/Maputo")
    assert found["Chamanculo Centro de Saúde Urbano A"].setting == "urban"
    lichinga = found["Lichinga Hospital Provincial"]  # whitespace collapsed
    assert (lichinga.category, lichinga.tier, lichinga.ownership) == ("hospital", 3, "public")
    null_island = found["Null Island Clinic"]
    assert null_island.latitude is None and null_island.ownership == "ngo"
    assert found["Church of Christ Mission Clinic"].ownership == "faith_based"


def tier(facility):
    return facility.tier


def test_same_name_at_two_places_is_two_facilities(app):
    import_facilities(db.session, FIXTURE, now=START)
    clinics = db.session.scalars(sa.select(Facility).where(
        Facility.name == "Church of Christ Mission Clinic")).all()
    assert len(clinics) == 2


def test_reimport_updates_in_place_and_keeps_manager_edits(app):
    import_facilities(db.session, FIXTURE, now=START)
    tamale = facilities()["Tamale Teaching Hospital"]
    tamale.ict_ready = True
    tamale.setting = "urban"
    db.session.commit()
    ids_before = dict(db.session.execute(sa.select(Facility.external_id, Facility.id)).all())

    report = import_facilities(db.session, FIXTURE, now=later(days=30))
    assert (report.inserted, report.updated) == (0, 10)
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Facility.external_id, Facility.id)).all()) == ids_before
    after = facilities()
    tamale = after["Tamale Teaching Hospital"]
    assert tamale.ict_ready is True and tamale.setting == "urban"
    assert tamale.updated_at == later(days=30) and tamale.imported_at == START


def test_strict_mode_writes_nothing_when_a_row_is_invalid(app):
    report = import_facilities(db.session, FIXTURE, now=START, strict=True, batch_size=2)
    assert report.invalid and report.committed is False
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 0


def test_dry_run_counts_but_writes_nothing(app):
    report = import_facilities(db.session, FIXTURE, now=START, dry_run=True)
    assert report.inserted == 10 and report.committed is False
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 0


def test_a_file_that_is_not_in_the_who_format_is_refused(app):
    with pytest.raises(HeaderError, match="Facility name"):
        import_facilities(db.session, io.StringIO("name,lat,long\nX,1,2\n"), now=START)


def test_batches_commit_progressively_and_report_progress(app):
    seen = []
    import_facilities(db.session, FIXTURE, now=START, batch_size=3, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 17 and len(seen) >= 3


def test_worker_processes_give_the_same_result_as_in_process(app):
    in_process = import_facilities(db.session, FIXTURE, now=START, batch_size=3, workers=0,
                                   dry_run=True)
    pooled = import_facilities(db.session, FIXTURE, now=START, batch_size=3, workers=1)
    assert pooled.invalid == in_process.invalid
    assert (pooled.rows, pooled.inserted, pooled.duplicates, pooled.without_coordinates) == \
        (in_process.rows, in_process.inserted, in_process.duplicates, in_process.without_coordinates)
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 10


@pytest.mark.parametrize("type9, raw, expected", [
    (None, "Centre Hospitalier Universitaire", "hospital"),
    (None, "Poste de Santé", "health_post"),
    (None, "Posto de Saúde", "health_post"),
    (None, "Centro de Saúde Urbano B", "health_centre"),
    (None, "Polyclinique", "polyclinic"),
    (None, "Maternité", "maternity"),
    (None, "Dispensaire", "health_post"),
    (None, "CHPS", "community_health_unit"),
    (None, "Something else", "other"),
    ("Health Post", "Case de santé", "health_post"),
])
def test_type_keywords_in_three_languages(type9, raw, expected):
    assert category_for(type9, raw) == expected


@pytest.mark.parametrize("raw, expected", [
    ("MoH", "public"), ("Public", "public"), ("FBO", "faith_based"), ("CHAG", "faith_based"),
    ("Private not for profit", "ngo"), ("Privé", "private"), ("Local authority", "local_authority"),
    ("", "unknown"), (None, "unknown"), ("Something", "unknown"),
])
def test_ownership_mapping(raw, expected):
    assert ownership_for(raw) == expected


_TABLES = ((vocabulary._FOLDED_TYPE_OVERRIDES, vocabulary._TYPE_OVERRIDES),
           (vocabulary._FOLDED_TYPE_KEYWORDS, vocabulary._TYPE_KEYWORDS),
           (vocabulary._FOLDED_OWNERSHIP_KEYWORDS, vocabulary._OWNERSHIP_KEYWORDS),
           (vocabulary.SETTING_KEYWORDS, vocabulary._SETTING_KEYWORDS))
_PIECES = sorted({keyword for table, _ in _TABLES for keyword, _value in table}
                 | {"x", "1", "health", "centre"})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.sampled_from(list(" -/.,;:()+&")),
                          st.text(alphabet="chumoapgvbr ", max_size=6)), max_size=8))
@example(["xchu", " ", "chr-2"])
@example(["chu"])
@example(["ch", "u"])
def test_keyword_tables_answer_what_the_plain_loop_answers(pieces):
    text = "".join(pieces)
    for table, keywords in _TABLES:
        assert keywords.first(text, "?") == vocabulary._first_keyword(text, table, "?")


def test_keyword_tables_on_the_whole_who_vocabulary():
    import csv

    with (Path(__file__).parent / "data" / "who-ssa-2019-vocabulary.csv").open(encoding="utf-8") as f:
        values = [fold(value) for row in csv.DictReader(f) for value in row.values() if value]
    assert len(values) > 100
    for text in values:
        for table, keywords in _TABLES:
            assert keywords.first(text, "?") == vocabulary._first_keyword(text, table, "?")


def test_cli_import_prints_a_summary_and_row_errors(runner):
    result = runner.invoke(args=["diaspora", "import-facilities", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert "17 rows read: 10 new, 0 updated, 1 duplicate, 6 invalid" in result.output
    assert "line 13: Lat:" in result.output


def test_cli_strict_import_fails_and_writes_nothing(runner):
    result = runner.invoke(args=["diaspora", "import-facilities", "--strict", str(FIXTURE)])
    assert result.exit_code == 1
    assert "Nothing was written" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == 0


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data/facilities is not beside the project")
@pytest.mark.parametrize("name, rows, without_coordinates", [
    ("who-ssa-2019-GHA.csv", 1960, 82),
    ("who-ssa-2019-SEN.csv", 1347, 90),  # one of the 91 blank rows is an exact duplicate
    ("who-ssa-2019-MOZ.csv", 1579, 0),
])
def test_real_who_files_import_completely_and_idempotently(app, name, rows, without_coordinates):
    first = import_facilities(db.session, SHARED / name, now=START)
    assert first.rows == rows and not first.invalid
    assert first.without_coordinates == without_coordinates
    assert first.inserted + first.duplicates == rows
    count = db.session.scalar(sa.select(sa.func.count(Facility.id)))
    second = import_facilities(db.session, SHARED / name, now=later(days=1))
    assert second.inserted == 0 and second.updated == first.inserted
    assert db.session.scalar(sa.select(sa.func.count(Facility.id))) == count
    unmapped = db.session.scalar(sa.select(sa.func.count(Facility.id)).where(
        Facility.category == "other"))
    assert unmapped == 0


def whole_text_fold(text):
    """``fold`` as it was written first (the whole text at once): identities depend on it."""
    if not text:
        return ""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet=st.one_of(
    st.characters(), st.sampled_from(" \u00a0\u2002\u0301\u00a8\u1680\x85ΣςéÉßİﬁ\u0345"))))
@example(text="Alto Molócuè  Centro de Saúde ¨ Rural")
def test_folding_word_by_word_keeps_every_identity(text):
    assert fold(text) == whole_text_fold(text)
