"""The match rows (migration 0022_shortq): on PostgreSQL the shortlist's hard filters and
ceilings read one narrow row per professional, cadre and mode, kept by triggers in the
writing transaction. Each test runs on both databases: the shortlist must follow every change
at once on both, and on PostgreSQL the rows must be what the backfill would write."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.professionals import services as professionals
from diaspora.professionals.models import AvailabilityWindow, Licence, MatchRow
from missions import matching

from .conftest import START

MAY = (date(2026, 5, 1), date(2026, 5, 31), "either", 4)


def ids(need) -> list[int]:
    return [c.professional_id for c in matching.shortlist(db.session, need, now=START)]


def filtered(need) -> list[int]:
    terms = matching.terms_of(need)
    dialect = db.session.get_bind().dialect.name
    return sorted(db.session.scalars(matching.hard_filter_query(terms, dialect=dialect)))


def rows() -> list[tuple]:
    """The match rows as they stand, comparable across databases' array types."""
    found = db.session.execute(sa.select(
        MatchRow.professional_id, MatchRow.cadre, MatchRow.mode, MatchRow.origin,
        sa.cast(MatchRow.available, sa.Text), MatchRow.hours, MatchRow.licence_countries,
        sa.cast(MatchRow.licence_spans, sa.Text), MatchRow.specialties, MatchRow.skills,
        MatchRow.languages, MatchRow.programmes).order_by(
        MatchRow.professional_id, MatchRow.cadre, MatchRow.mode)).all()
    return [tuple(sorted(v) if isinstance(v, list) else v for v in row) for row in found]


def backfilled() -> list[tuple]:
    """The rows the migration's backfill writes from the source tables, in this transaction."""
    from importlib import import_module

    migration = import_module("migrations.versions.0022_shortq_match_rows")
    with db.session.begin_nested() as nested:
        db.session.execute(sa.delete(MatchRow))
        db.session.execute(sa.text(migration.backfill_sql()))
        written = rows()
        nested.rollback()
    return written


def test_an_availability_edit_is_reflected_at_once(backend, make_need, make_professional):
    professional = make_professional(windows=(MAY,))
    need = make_need(earliest_start=date(2026, 6, 1), latest_end=date(2026, 6, 30))
    assert ids(need) == [] and filtered(need) == []
    window = professional.windows[0]
    professionals.update_child(db.session, professional, "windows", window.id,
                               {"ends_on": date(2026, 6, 30)}, actor=professional.user, now=START)
    assert ids(need) == [professional.id] and filtered(need) == [professional.id]
    if backend == "postgresql":
        assert rows() == backfilled()
        assert rows()[0][4] == "{[2026-05-01,2026-07-01)}"
    professionals.delete_child(db.session, professional, "windows", window.id,
                               actor=professional.user, now=START)
    assert ids(need) == [] and filtered(need) == []
    if backend == "postgresql":
        assert rows() == backfilled() == []   # no window of either mode: no row


def test_a_withdrawn_consent_is_reflected_at_once(backend, make_need, make_professional):
    staying, leaving = make_professional(), make_professional()
    need = make_need()
    assert sorted(ids(need)) == filtered(need) == sorted([staying.id, leaving.id])
    professionals.set_consent(db.session, leaving, False, actor=leaving.user, now=START)
    assert ids(need) == filtered(need) == [staying.id]
    if backend == "postgresql":
        assert {row[0] for row in rows()} == {staying.id}
        assert rows() == backfilled()
    professionals.set_consent(db.session, leaving, True, actor=leaving.user, now=START)
    assert sorted(ids(need)) == filtered(need) == sorted([staying.id, leaving.id])


def test_a_change_is_seen_inside_the_writing_transaction(backend, make_need, make_professional):
    professional = make_professional(windows=(MAY,))
    need = make_need(earliest_start=date(2026, 6, 1), latest_end=date(2026, 6, 30))
    with db.session.begin_nested():
        db.session.add(AvailabilityWindow(professional=professional, kind="available",
                                          mode="physical", starts_on=date(2026, 6, 1),
                                          ends_on=date(2026, 6, 20)))
        db.session.flush()
        assert ids(need) == [professional.id]
        assert filtered(need) == [professional.id]


def test_every_source_keeps_the_rows_as_the_backfill_writes_them(backend, make_need,
                                                                 make_professional):
    from diaspora.professionals.models import (
        ProfessionalCadre,
        ProfessionalLanguage,
        ProfessionalSkill,
        ProfessionalSpecialty,
    )

    people = [make_professional(windows=(MAY, (date(2026, 6, 1), date(2026, 6, 9), "virtual", 3),
                                         (date(2026, 6, 10), date(2026, 7, 9), "physical", None))),
              make_professional(offers_virtual=False),
              make_professional(licences=(("GH", date(2025, 1, 1), date(2026, 5, 1)),
                                          ("GH", date(2026, 5, 2), date(2027, 1, 1)),
                                          ("NG", date(2025, 1, 1), date(2027, 1, 1))))]
    first, second, third = people
    second.other_cadres.append(ProfessionalCadre(cadre="2221"))
    second.skills.append(ProfessionalSkill(skill="triage"))
    third.languages.append(ProfessionalLanguage(language="fr"))
    third.specialties.append(ProfessionalSpecialty(specialty="anaesthesia"))
    third.country_of_origin = "NG"
    first.latitude, first.longitude = 51.5, -0.13
    db.session.add(Licence(professional=first, country="SN", authority="Ordre", number="S1",
                           valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31)))
    db.session.commit()
    if backend == "postgresql":
        written = rows()
        assert written == backfilled()
        assert {(row[0], row[1], row[2]) for row in written} >= {
            (second.id, "2221", "physical"), (second.id, "2212", "physical")}
        by_key = {(row[0], row[2]): row for row in written}
        assert by_key[third.id, "physical"][6] == ["GH", "NG"]
        assert by_key[third.id, "physical"][7] == (
            '{"{[2025-01-01,2027-01-02)}","{[2025-01-01,2027-01-02)}"}')
        assert by_key[first.id, "virtual"][5] == 4      # the most hours a week of a window
    db.session.delete(first.windows[0])
    second.offers_physical, second.offers_virtual = False, True
    db.session.commit()
    if backend == "postgresql":
        assert rows() == backfilled()
    need = make_need(cadre="2221", specialty=None)
    assert ids(need) == []          # they no longer offer the need's mode


def test_a_withdrawn_programme_consent_is_reflected_at_once(backend, make_need,
                                                            make_professional):
    from diaspora.programmes.models import Programme

    programme = Programme(name="MIDA Ghana Health", origin_country="GH", host_countries=["GB"],
                          funder="Funder A", starts_on=date(2025, 1, 1))
    db.session.add(programme)
    db.session.commit()
    professional = make_professional(programmes=[programme])
    need = make_need(programme_id=programme.id)
    assert ids(need) == filtered(need) == [professional.id]
    professionals.set_programme_consent(db.session, professional, programme.id, False,
                                        actor=professional.user, now=START)
    assert ids(need) == filtered(need) == []
    if backend == "postgresql":
        assert rows()[0][11] == [] and rows() == backfilled()
