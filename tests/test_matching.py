"""Explainable matching: hard filters, ranking, explanations, the pages and the API.

The default need (``make_need``) is in-person clinical work of 14 days at a rural Ghanaian
facility between 2026-04-01 and 2026-06-30; the default professional (``make_professional``)
is a Ghanaian obstetrician in London with a Ghanaian licence to 2028 and free from April to
June, so each test changes one thing and checks what follows.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from diaspora.errors import Conflict
from diaspora.extensions import db
from diaspora.professionals.models import AvailabilityWindow
from missions import matching
from missions.core import lifecycle
from missions.core.booking import bookings_for
from missions.core.models import Engagement, Mission
from missions.matching import ranking
from missions.matching.profiles import Profile
from missions.matching.scoring import SCORERS, best_fit, scoring_for, upper_bound

from .conftest import START, inline_code

APRIL = (date(2026, 4, 1), date(2026, 4, 30), "either", 4)
SPRING = (date(2026, 4, 1), date(2026, 6, 30), "either", 4)


def shortlist(need, **kwargs):
    return matching.shortlist(db.session, need, now=START, **kwargs)


def ids(need, **kwargs) -> list[int]:
    return [c.professional_id for c in shortlist(need, **kwargs)]


def by_key(candidate) -> dict[str, matching.Criterion]:
    return {criterion.key: criterion for criterion in candidate.criteria}


def past_mission(professional, facility, need, *, ended: date) -> Mission:
    """A completed mission of 14 days (rows written directly), with the booking it held."""
    engagement = db.session.query(Engagement).filter_by(
        professional_id=professional.id, facility_id=facility.id).one_or_none()
    if engagement is None:
        engagement = Engagement(professional_id=professional.id, facility_id=facility.id,
                                created_at=START)
    ends_at = datetime.combine(ended, datetime.min.time(), tzinfo=UTC)
    mission = Mission(need=need, professional=professional, facility_id=facility.id,
                      engagement=engagement, kind="physical", status="completed",
                      starts_at=ends_at - timedelta(days=14), ends_at=ends_at,
                      timezone="Africa/Accra", proposed_at=START, created_at=START,
                      updated_at=START)
    db.session.add(mission)
    db.session.add_all(bookings_for(mission))
    db.session.commit()
    return mission


# --- hard filters -------------------------------------------------------------------------

def test_withdrawn_consent_excludes(make_need, make_professional):
    kept, _withdrawn = make_professional(), make_professional(consent=False)
    assert ids(make_need()) == [kept.id]


def test_wrong_cadre_excludes(make_need, make_professional):
    kept, nurse = make_professional(), make_professional(cadre="2221")
    assert ids(make_need()) == [kept.id]
    assert ids(make_need(cadre="2221", specialty=None)) == [nurse.id]


def test_specialty_is_required_only_when_the_need_names_one(make_need, make_professional):
    obstetrician = make_professional()
    paediatrician = make_professional(specialties=("paediatrics",))
    assert ids(make_need()) == [obstetrician.id]
    assert set(ids(make_need(specialty=None))) == {obstetrician.id, paediatrician.id}


def test_mode_not_offered_excludes_and_either_accepts_the_other(make_need, make_professional):
    online_only = make_professional(offers_physical=False)
    assert ids(make_need()) == []
    either = make_need(mode="either", sessions_per_week=1, session_hours=2, weeks=4)
    [candidate] = shortlist(either)
    assert (candidate.professional_id, candidate.mode) == (online_only.id, "virtual")


@pytest.mark.parametrize("weighed, mode", [("distance", "physical"), ("timezone", "virtual")])
def test_either_mode_lists_a_professional_once_in_their_best_mode(make_need, make_professional,
                                                                  weighed, mode):
    professional = make_professional()
    need = make_need(mode="either", sessions_per_week=1, session_hours=2, weeks=4)
    weights = {key: 0.0 for key in SCORERS} | {weighed: 1.0}
    [candidate] = shortlist(need, settings=matching.Settings(weights=weights))
    assert (candidate.professional_id, candidate.mode) == (professional.id, mode)


@pytest.mark.parametrize("valid_until, matched", [
    (date(2025, 12, 31), False),   # expired before the window
    (date(2026, 4, 13), False),    # covers 13 of the 14 days at best
    (date(2026, 4, 14), True),     # exactly the first 14 days
])
def test_physical_clinical_work_needs_a_licence_on_every_day(make_need, make_professional,
                                                             valid_until, matched):
    professional = make_professional(licences=(("GH", date(2024, 1, 1), valid_until),))
    assert ids(make_need()) == ([professional.id] if matched else [])


def test_a_licence_elsewhere_does_not_count_but_teaching_needs_none(make_need, make_professional):
    professional = make_professional(licences=(("GB", date(2020, 1, 1), date(2030, 1, 1)),))
    assert ids(make_need()) == []
    assert ids(make_need(purpose="teaching")) == [professional.id]


def test_the_stay_must_fit_inside_one_licence(make_need, make_professional):
    """Two licences with a gap: the stay must sit inside one of them."""
    make_professional(licences=(("GH", date(2024, 1, 1), date(2026, 4, 10)),
                                ("GH", date(2026, 5, 1), date(2027, 5, 1))))
    [candidate] = shortlist(make_need())
    assert candidate.suggested_start == date(2026, 5, 1)
    assert candidate.checks == ["licence valid in Ghana until 1 May 2027", "licence not verified yet"]


def test_too_few_consecutive_days_excludes(make_need, make_professional):
    make_professional(windows=((date(2026, 4, 1), date(2026, 4, 10), "either", 4),
                               (date(2026, 4, 20), date(2026, 4, 30), "either", 4)))
    fortnight = make_professional(windows=((date(2026, 4, 17), date(2026, 4, 30), "either", 4),))
    assert ids(make_need(latest_end=date(2026, 4, 30))) == [fortnight.id]


def test_adjacent_windows_make_one_run(make_need, make_professional):
    professional = make_professional(windows=(
        (date(2026, 4, 1), date(2026, 4, 7), "physical", None),
        (date(2026, 4, 8), date(2026, 4, 20), "either", 4)))
    [candidate] = shortlist(make_need())
    assert candidate.professional_id == professional.id
    assert candidate.suggested_start == date(2026, 4, 1)


def test_a_blackout_breaks_the_run(make_need, make_professional):
    professional = make_professional(windows=((date(2026, 4, 1), date(2026, 4, 20), "either", 4),))
    need = make_need()
    assert ids(need) == [professional.id]
    professional.windows.append(AvailabilityWindow(kind="blackout", mode="either",
                                                   starts_on=date(2026, 4, 8),
                                                   ends_on=date(2026, 4, 9)))
    db.session.commit()
    assert ids(need) == []


def test_an_active_booking_excludes_and_a_released_one_does_not(make_need, make_professional,
                                                                propose):
    professional = make_professional(windows=((date(2026, 4, 1), date(2026, 4, 22), "either", 4),))
    mission = propose(make_need(), professional, starts_on=date(2026, 4, 6))  # 6–19 April
    need = make_need()
    assert ids(need) == []
    lifecycle.transition(db.session, mission, "decline", actor=professional.user, now=START,
                         reason="busy")  # releases the booking
    assert ids(need) == [professional.id]


def test_the_suggested_start_follows_bookings(make_need, make_professional, propose):
    professional = make_professional(windows=(SPRING,))
    propose(make_need(), professional, starts_on=date(2026, 4, 1))  # 1–14 April
    [candidate] = shortlist(make_need())
    assert (candidate.mode, candidate.suggested_start, candidate.suggested_end) == \
        ("physical", date(2026, 4, 15), date(2026, 4, 28))


@pytest.mark.parametrize("window, matched", [
    ((date(2026, 4, 1), date(2026, 6, 30), "either", 3), False),    # 3 h < 2 × 2 h
    ((date(2026, 4, 1), date(2026, 6, 30), "virtual", 4), True),
    ((date(2026, 4, 1), date(2026, 6, 30), "physical", None), False),
    ((date(2026, 4, 1), date(2026, 4, 21), "virtual", 8), False),   # the 4th session is on the 22nd
])
def test_online_work_needs_enough_hours_over_all_its_weeks(make_need, make_professional, window,
                                                           matched):
    professional = make_professional(windows=(window,))
    need = make_need(mode="virtual", duration_days=None, sessions_per_week=2, session_hours=2,
                     weeks=4)
    assert ids(need) == ([professional.id] if matched else [])


# --- ranking ------------------------------------------------------------------------------

def test_origin_country_diaspora_ranks_first(make_need, make_professional):
    ghanaian = make_professional(windows=(APRIL,), languages=())
    nigerian = make_professional(country_of_origin="NG", windows=(SPRING,))
    first, second = shortlist(make_need())
    assert (first.professional_id, first.origin_match) == (ghanaian.id, True)
    assert (second.professional_id, second.origin_match) == (nigerian.id, False)
    assert second.score > first.score


def test_more_availability_ranks_higher(make_need, make_professional):
    wide, narrow = make_professional(windows=(SPRING,)), make_professional(windows=(APRIL,))
    first, second = shortlist(make_need())
    assert [first.professional_id, second.professional_id] == [wide.id, narrow.id]
    assert by_key(first)["availability"].score > by_key(second)["availability"].score


def test_earlier_missions_here_are_valued(make_need, make_facility, make_professional):
    facility = make_facility()
    newcomer, returning = make_professional(), make_professional()
    history = make_need(facility, status="fulfilled")
    past_mission(returning, facility, history, ended=date(2025, 3, 1))
    past_mission(returning, facility, history, ended=date(2025, 9, 1))
    first, second = shortlist(make_need(facility))
    assert [first.professional_id, second.professional_id] == [returning.id, newcomer.id]
    assert by_key(first)["continuity"].explanation == "2 earlier missions here"
    assert by_key(second)["continuity"].explanation == "no earlier mission here"


def test_a_recent_return_lowers_fairness(make_need, make_facility, make_professional):
    rested, returned = make_professional(), make_professional()
    elsewhere = make_facility()
    past_mission(returned, elsewhere, make_need(elsewhere, status="fulfilled"),
                 ended=START.date() - timedelta(days=10))
    first, second = shortlist(make_need())
    assert [first.professional_id, second.professional_id] == [rested.id, returned.id]
    fairness = by_key(second)["fairness"]
    assert fairness.score < by_key(first)["fairness"].score
    assert fairness.explanation == "last mission ended 10 days ago; 1 mission this year"
    assert by_key(first)["fairness"].explanation == "no mission this year"


def test_weights_are_settings(make_need, make_professional):
    make_professional()
    only_language = {key: 0.0 for key in SCORERS} | {"language": 1.0}
    [candidate] = shortlist(make_need(languages=["en", "dag"]),
                            settings=matching.Settings(weights=only_language))
    assert candidate.score == 50.0  # speaks one of the two languages asked


# --- explanations -------------------------------------------------------------------------

def test_explanations_state_the_facts(make_need, make_professional):
    make_professional(windows=(APRIL,))
    need = make_need(languages=["en", "tw", "dag"], skills=["Caesarean section", "partograph"])
    [candidate] = shortlist(need)
    explained = {key: c.explanation for key, c in by_key(candidate).items()}
    assert candidate.checks == ["licence valid in Ghana until 31 Dec 2028", "licence not verified yet"]
    assert explained["availability"] == ("available in person 30 of 91 days from 1 Apr 2026 to "
                                         "30 Jun 2026; can start 1 Apr 2026")
    assert explained["language"] == "speaks English, Twi; does not speak Dagbani"
    assert explained["skill"] == ("specialty: Obstetrics and gynaecology; none of the 2 skills "
                                  "asked")
    assert re.fullmatch(r"lives [\d,]+ km away \(London, United Kingdom\)", explained["distance"])
    assert set(explained) == {"skill", "availability", "language", "distance", "continuity",
                              "fairness"}


def test_skills_asked_are_matched_without_regard_to_case(make_need, make_professional):
    make_professional(skills=["caesarean section", "trauma care"])
    [candidate] = shortlist(make_need(skills=["Caesarean Section", "partograph"]))
    skill = by_key(candidate)["skill"]
    assert skill.score == 0.5
    assert skill.explanation.endswith("1 of 2 skills asked: caesarean section")


def test_online_work_explains_the_time_difference(make_need, make_professional):
    make_professional(timezone="America/New_York", offers_physical=False)
    need = make_need(mode="virtual", duration_days=None, sessions_per_week=2, session_hours=1.5,
                     weeks=6)
    [candidate] = shortlist(need)
    explained = {key: c.explanation for key, c in by_key(candidate).items()}
    assert explained["timezone"] == "4 h time difference (America/New_York)"
    assert explained["availability"].startswith("available online (3 h a week) 91 of 91 days")
    assert "distance" not in explained and candidate.checks == []
    assert candidate.suggested_end == candidate.suggested_start + timedelta(weeks=5)


# --- access, pages and API ----------------------------------------------------------------

def test_only_an_approved_need_is_matched(make_need, make_professional):
    make_professional()
    with pytest.raises(Conflict) as raised:
        shortlist(make_need(status="submitted"))
    assert raised.value.extra == {"current_status": "submitted"}
    assert len(shortlist(make_need(status="matched"))) == 1


def test_page_shows_the_ranked_explained_shortlist(app, make_need, make_professional, signed_in):
    professional = make_professional()
    need = make_need()
    response = signed_in("manager").get(f"/needs/{need.id}/shortlist")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/professionals/{professional.id}"' in html
    assert "licence valid in Ghana until 31 Dec 2028" in html
    assert inline_code(html) == []
    proposing = "missions.propose" in app.view_functions
    assert (f'action="/needs/{need.id}/propose"' in html) is proposing
    if proposing:
        assert 'name="starts_on" value="2026-04-01"' in html
        assert 'name="csrf_token"' in html


@pytest.mark.parametrize("status", ["submitted", "closed"])
def test_page_and_api_answer_409_for_other_statuses(make_need, signed_in, api_client, status):
    need = make_need(status=status)
    assert signed_in("manager").get(f"/needs/{need.id}/shortlist").status_code == 409
    client, headers = api_client(role="manager")
    response = client.get(f"/api/v1/needs/{need.id}/shortlist", headers=headers)
    assert (response.status_code, response.json["current_status"]) == (409, status)


@pytest.mark.parametrize("role", ["professional", "coordinator"])
def test_only_managers_see_shortlists(make_need, signed_in, api_client, role):
    need = make_need()
    assert signed_in(role).get(f"/needs/{need.id}/shortlist").status_code == 403
    client, headers = api_client(role=role)
    assert client.get(f"/api/v1/needs/{need.id}/shortlist", headers=headers).status_code == 403


def test_api_returns_candidates_with_criteria(make_need, make_professional, api_client):
    first, _second = make_professional(), make_professional(windows=(APRIL,))
    need = make_need()
    client, headers = api_client(role="manager")
    body = client.get(f"/api/v1/needs/{need.id}/shortlist?limit=1", headers=headers).json
    assert (body["need_id"], body["need_status"]) == (need.id, "approved")
    [candidate] = body["candidates"]
    assert (candidate["professional_id"], candidate["mode"], candidate["suggested_start"]) == \
        (first.id, "physical", "2026-04-01")
    assert {c["key"] for c in candidate["criteria"]} >= {"skill", "availability", "fairness"}
    assert client.get(f"/api/v1/needs/{need.id}/shortlist?limit=0",
                      headers=headers).status_code == 422
    assert client.get("/api/v1/needs/999999/shortlist", headers=headers).status_code == 404


def test_reading_a_shortlist_is_audited(make_need, make_professional, make_user):
    from diaspora.audit import AuditEvent

    professional = make_professional()
    need = make_need()
    matching.shortlist_for(db.session, need.id, actor=make_user("manager"), now=START)
    event = db.session.query(AuditEvent).filter_by(entity="shortlist").one()
    assert (event.entity_id, event.detail) == (need.id, {"professionals": [professional.id]})


def test_the_sql_query_alone_applies_the_hard_filters(make_need, make_professional):
    make_professional(cadre="2221")
    make_professional(licences=())
    passing = make_professional()
    terms = matching.terms_of(make_need())
    assert db.session.scalars(matching.hard_filter_query(terms)).all() == [passing.id]


def test_checking_the_most_promising_first_gives_the_exact_ranking(make_need, make_professional,
                                                                  monkeypatch):
    monkeypatch.setattr(ranking, "FIRST_BATCH", 2)
    skills = [["caesarean section"], ["partograph"], ["caesarean section", "partograph"], []]
    for n in range(8):
        make_professional(skills=skills[n % 4],
                          windows=((date(2026, 4, 1), date(2026, 4, 15) + timedelta(days=10 * n),
                                    "either", 4),))
    terms = matching.terms_of(make_need(skills=["caesarean section", "partograph"]))
    everyone = matching.rank(db.session, terms, now=START, settings=matching.Settings())
    best = matching.rank(db.session, terms, now=START, settings=matching.Settings(), limit=3)
    assert [fit.profile.id for fit in best.fits] == [fit.profile.id for fit in everyone.fits[:3]]
    assert best.checked < everyone.checked == 8


@pytest.mark.parametrize("mode", ["physical", "virtual", "either"])
def test_the_ceiling_in_sql_is_never_below_the_score(mode, make_need, make_facility,
                                                     make_professional):
    """What makes checking the SQL ranking's pool only exact: for every professional who
    passes the hard filters, the ceiling the database ranks on is at least their score."""
    from missions.matching.pool import pool_query
    from missions.matching.profiles import load_batch

    facility = make_facility()
    places = [("Europe/London", 51.5, -0.13), ("America/New_York", 40.7, -74.0),
              ("Africa/Accra", 5.6, -0.19), ("Asia/Kolkata", None, None)]
    windows = [(APRIL,), (SPRING,), ((date(2026, 3, 20), date(2026, 4, 20), "physical", None),
                                     (date(2026, 4, 10), date(2026, 5, 30), "virtual", 6)),
               ((date(2026, 5, 1), date(2026, 7, 31), "either", 2),)]
    skills = [[], ["caesarean section"], ["caesarean section", "partograph"]]
    people = []
    for n in range(12):
        zone, latitude, longitude = places[n % 4]
        people.append(make_professional(
            skills=skills[n % 3], windows=windows[n % 4], languages=(("en",), ("fr",))[n % 2],
            timezone=zone, latitude=latitude, longitude=longitude,
            country_of_origin=("GH", "NG")[n % 2]))
    need = make_need(facility=facility, mode=mode, skills=["caesarean section", "partograph"],
                     languages=["en", "tw"], weeks=6, sessions_per_week=2, session_hours=1.5,
                     duration_days=14 if mode != "virtual" else None)
    past_mission(people[0], facility, need, ended=date(2025, 6, 1))
    past_mission(people[4], facility, need, ended=date(2026, 2, 1))
    terms = matching.terms_of(need)
    scoring = scoring_for(terms, matching.Settings(), START)
    fits = 0
    for origin_match in (True, False):
        rows = db.session.execute(pool_query(db.session, scoring, origin_match=origin_match,
                                             limit=None)).all()
        ceilings = {}
        for professional_id, ceiling in rows:
            ceilings[professional_id] = max(ceiling, ceilings.get(professional_id, 0))
        assert [c for _id, c in rows] == sorted((c for _id, c in rows), reverse=True)
        profiles = load_batch(db.session, terms, list(ceilings), now=START,
                              settings=matching.Settings())
        for profile in profiles.values():
            fit = best_fit(profile, scoring)
            if fit is not None:
                fits += 1
                assert ceilings[profile.id] >= fit.score, profile
    assert fits >= 6


# --- properties (pure: no database) -------------------------------------------------------

FIRST = date(2026, 4, 1)
NOW = datetime(2026, 3, 2, tzinfo=UTC)


def make_terms(mode: str, days: int, stay: int, weeks: int,
               clinical: bool = True) -> matching.Terms:
    modes = matching.MODES if mode == "either" else (mode,)
    return matching.Terms(
        need_id=1, facility_id=1, country="GH", zone="Africa/Accra", location=(9.4, -0.85),
        cadre="2212", specialty=None, skills=frozenset(), languages=("en", "tw"), modes=modes,
        licence_modes=frozenset({"physical"} & set(modes)) if clinical else frozenset(),
        first=FIRST, last=FIRST + timedelta(days=days - 1), stay_days=stay, weeks=weeks,
        weekly_hours=4.0)


def make_profile(windows, blackouts=(), booked=(), licences=(),
                 languages=frozenset()) -> Profile:
    return Profile(id=1, name="A B", origin="GH", residence="GB", city="London",
                            zone="Europe/London", location=(51.5, -0.13),
                            modes=("physical", "virtual"), windows=tuple(windows),
                            blackouts=tuple(blackouts), booked=tuple(booked),
                            licences=tuple(licences), languages=languages)


def day_ranges(max_size: int):
    """(first, last) date pairs around the need's window."""
    return st.lists(st.tuples(st.integers(-20, 100), st.integers(0, 60)).map(
        lambda t: (FIRST + timedelta(days=t[0]), FIRST + timedelta(days=t[0] + t[1]))),
        max_size=max_size)


window_lists = st.lists(st.tuples(st.sampled_from(["physical", "virtual", "either"]),
                             st.integers(-20, 100), st.integers(0, 60),
                             st.sampled_from([None, 2.0, 4.0, 6.0])).map(
    lambda t: (t[0], FIRST + timedelta(days=t[1]), FIRST + timedelta(days=t[1] + t[2]), t[3])),
    max_size=4)
terms_strategy = st.builds(make_terms, st.sampled_from(["physical", "virtual", "either"]),
                           st.integers(20, 90), st.integers(1, 20), st.integers(1, 3))


def fit_of(profile, terms):
    return best_fit(profile, scoring_for(terms, matching.Settings(), NOW))


@settings(max_examples=50, deadline=None)
@given(terms=terms_strategy, before=window_lists, added=window_lists, blackouts=day_ranges(2),
       booked=day_ranges(2), licences=day_ranges(2))
def test_adding_availability_never_lowers_the_score(terms, before, added, blackouts, booked,
                                                    licences):
    old = fit_of(make_profile(before, blackouts, booked, licences), terms)
    new = fit_of(make_profile(before + added, blackouts, booked, licences), terms)
    if old is not None:
        assert new is not None and new.score >= old.score
        assert new.first_start <= old.first_start or new.mode != old.mode


@settings(max_examples=50, deadline=None)
@given(terms=terms_strategy, windows=window_lists, blackouts=day_ranges(2), booked=day_ranges(2),
       licences=day_ranges(2), languages=st.frozensets(st.sampled_from(["en", "fr", "tw"])))
def test_the_upper_bound_is_never_below_the_score(terms, windows, blackouts, booked, licences,
                                                  languages):
    """What makes checking only the most promising professionals exact."""
    profile = make_profile(windows, blackouts, booked, licences, languages)
    fit = fit_of(profile, terms)
    scoring = scoring_for(terms, matching.Settings(), NOW)
    assert fit is None or upper_bound(profile, scoring) >= fit.score


@settings(max_examples=50, deadline=None)
@given(windows=window_lists, licences=day_ranges(3), stay=st.integers(1, 20))
def test_physical_clinical_starts_always_have_a_licence_for_every_day(windows, licences, stay):
    terms = make_terms("physical", 60, stay, 1)
    fit = fit_of(make_profile(windows, licences=licences), terms)
    if fit is None:
        return
    for start in fit.starts(terms):
        end = start + timedelta(days=stay - 1)
        assert any(valid_from <= start and end <= valid_until
                   for valid_from, valid_until in licences)


@settings(max_examples=30, deadline=None)
@given(windows=window_lists, expired=day_ranges(3))
def test_an_expired_licence_is_never_matched_for_physical_clinical_work(windows, expired):
    lapsed = [(first - timedelta(days=200), min(last, FIRST) - timedelta(days=1))
              for first, last in expired]
    assert fit_of(make_profile(windows, licences=lapsed), make_terms("physical", 60, 7, 1)) is None
