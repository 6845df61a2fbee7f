"""The programme-wide plan: weighted coverage, nobody double-booked, unmet needs explained."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import combinations

import pytest
from hypothesis import given, settings, strategies as st

from diaspora.extensions import db
from diaspora.programmes.models import Programme
from missions.matching import planning

from .conftest import START, inline_code

PERIOD = {"period_start": date(2026, 4, 1), "period_end": date(2026, 6, 30)}
APRIL = {"earliest_start": date(2026, 4, 1), "latest_end": date(2026, 4, 20)}


def make_plan(**kwargs) -> planning.Plan:
    return planning.make_plan(db.session, now=START, **{**PERIOD, **kwargs})


def assigned(plan) -> dict[int, int]:
    """need id → professional id"""
    return {a.need.id: a.professional_id for a in plan.assignments}


def overlapping(a, b) -> bool:
    return a.starts_on <= b.ends_on and b.starts_on <= a.ends_on


def test_a_scarce_person_goes_to_the_most_urgent_need(make_need, make_facility, make_professional):
    professional = make_professional()
    facility = make_facility(setting="urban", tier=3)
    low = make_need(facility, title="Low", priority=4, **APRIL)
    critical = make_need(facility, title="Critical", priority=1, **APRIL)
    plan = make_plan()
    assert assigned(plan) == {critical.id: professional.id}
    [unmet] = plan.unmet
    assert (unmet.need.id, unmet.reason) == (low.id, "taken")
    assert unmet.explanation == ("All 1 candidates are taken at the same time by needs that weigh "
                                 f"more in the plan: #{critical.id} Critical.")


@pytest.mark.parametrize("favoured", [{"setting": "rural", "tier": 3},
                                      {"setting": "urban", "tier": 1}])
def test_rural_and_lower_tier_facilities_are_favoured(make_need, make_facility, make_professional,
                                                      favoured):
    make_professional()
    town = make_need(make_facility(setting="urban", tier=3), priority=2, **APRIL)
    village = make_need(make_facility(**favoured), priority=2, **APRIL)
    assert list(assigned(make_plan())) == [village.id]
    assert planning.need_weight(village) > planning.need_weight(town)


def test_one_person_takes_needs_one_after_the_other(make_need, make_professional):
    professional = make_professional()
    april = make_need(**APRIL)
    may = make_need(earliest_start=date(2026, 4, 10), latest_end=date(2026, 5, 10))
    plan = make_plan()
    assert assigned(plan) == {april.id: professional.id, may.id: professional.id}
    first, second = plan.assignments
    assert not overlapping(first, second)


def test_nobody_is_double_booked_when_needs_compete(make_need, make_professional):
    people = {make_professional().id for _ in range(2)}
    needs = [make_need(priority=p, **APRIL) for p in (1, 2, 3)]
    plan = make_plan()
    assert len(plan.assignments) == 2 and set(assigned(plan).values()) == people
    assert [u.need.id for u in plan.unmet] == [needs[2].id]


def test_existing_bookings_are_respected(make_need, make_professional, propose):
    professional = make_professional(windows=((date(2026, 4, 1), date(2026, 4, 30), "either", 4),))
    propose(make_need(status="approved"), professional, starts_on=date(2026, 4, 6))  # 6–19 April
    need = make_need(earliest_start=date(2026, 4, 1), latest_end=date(2026, 4, 30))
    plan = make_plan()
    assert need.id not in assigned(plan)
    unmet = next(u for u in plan.unmet if u.need.id == need.id)
    assert unmet.reason == "no_candidate"
    assert unmet.explanation == ("None of the 1 professionals of this cadre can do it; the "
                                 "availability filter removed the most (1).")


def test_an_empty_shortlist_names_the_filter_that_removed_most(make_need, make_professional):
    for _ in range(3):
        make_professional()  # obstetricians
    make_professional(specialties=("paediatrics",), consent=False)
    make_professional(cadre="2221", specialties=("paediatrics",))
    paediatrics = make_need(specialty="paediatrics", **APRIL)
    pharmacy = make_need(cadre="2262", specialty=None, **APRIL)
    unmet = {u.need.id: u for u in make_plan().unmet}
    assert unmet[paediatrics.id].reason == unmet[pharmacy.id].reason == "no_candidate"
    assert unmet[paediatrics.id].explanation == (
        "None of the 4 professionals of this cadre can do it; the specialty filter removed the "
        "most (3).")
    assert unmet[pharmacy.id].explanation == "No professional of this cadre is registered."


def test_only_approved_needs_of_the_period_country_and_programme(make_need, make_facility,
                                                                 make_professional):
    make_professional()
    programme = Programme(name="MIDA Ghana Health", origin_country="GH", host_countries=[],
                          starts_on=date(2026, 1, 1))
    db.session.add(programme)
    db.session.commit()
    inside = make_need(programme_id=programme.id, **APRIL)
    make_need(status="submitted", **APRIL)
    make_need(earliest_start=date(2026, 6, 20), latest_end=date(2026, 7, 20))  # ends after
    make_need(make_facility(country="SN", timezone="Africa/Dakar"), **APRIL)
    make_need(earliest_start=date(2026, 5, 1), latest_end=date(2026, 5, 30))  # no programme
    plan = make_plan(country="GH", programme_id=programme.id)
    assert [a.need.id for a in plan.assignments] + [u.need.id for u in plan.unmet] == [inside.id]


def test_plan_for_is_audited(make_need, make_professional, make_user):
    from diaspora.audit import AuditEvent

    professional = make_professional()
    make_need(**APRIL)
    planning.plan_for(db.session, dict(PERIOD), actor=make_user("manager"), now=START)
    event = db.session.query(AuditEvent).filter_by(entity="plan").one()
    assert event.detail["professionals"] == [professional.id]


# --- pages and API ------------------------------------------------------------------------

def test_plan_page_shows_assignments_and_unmet_needs(app, make_need, make_professional,
                                                     signed_in):
    professional = make_professional()
    met = make_need(title="Obstetric emergencies", **APRIL)
    make_need(title="Pharmacy supply chain", cadre="2262", specialty=None, **APRIL)
    browser = signed_in("manager")
    assert browser.get("/plan").status_code == 200
    response = browser.post("/plan", {"period_start": "2026-04-01", "period_end": "2026-06-30",
                                      "programme_id": "", "country": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/professionals/{professional.id}"' in html
    assert f'href="/needs/{met.id}/shortlist"' in html
    assert "Pharmacy supply chain" in html and "No professional of this cadre" in html
    assert inline_code(html) == []
    proposing = "missions.propose" in app.view_functions
    assert (f'action="/needs/{met.id}/propose"' in html) is proposing


def test_plan_page_refuses_a_period_that_ends_before_it_starts(signed_in):
    response = signed_in("manager").post("/plan", {"period_start": "2026-06-30",
                                                   "period_end": "2026-04-01"})
    assert response.status_code == 422
    assert "The period must not end before it starts." in response.get_data(as_text=True)


def test_plan_api(make_need, make_professional, api_client):
    professional = make_professional()
    need = make_need(**APRIL)
    client, headers = api_client(role="manager")
    body = client.post("/api/v1/plan", json={"period_start": "2026-04-01",
                                             "period_end": "2026-06-30"}, headers=headers).json
    assert body["optimal"] is True and body["unmet"] == []
    [assignment] = body["assignments"]
    assert (assignment["need"]["id"], assignment["professional_id"], assignment["starts_on"],
            assignment["ends_on"], assignment["mode"]) == \
        (need.id, professional.id, "2026-04-01", "2026-04-14", "physical")
    assert client.post("/api/v1/plan", json={}, headers=headers).status_code == 422


@pytest.mark.parametrize("role", ["professional", "coordinator"])
def test_only_managers_plan(signed_in, api_client, role):
    assert signed_in(role).get("/plan").status_code == 403
    client, headers = api_client(role=role)
    assert client.post("/api/v1/plan", json={"period_start": "2026-04-01",
                                             "period_end": "2026-06-30"},
                       headers=headers).status_code == 403


# --- the solver (pure: no database) -------------------------------------------------------

DAY0 = datetime(2026, 4, 1, tzinfo=UTC)


def option(need_id, person, start, days, weight) -> planning.Option:
    starts_at = DAY0 + timedelta(days=start)
    return planning.Option(need_id=need_id, professional_id=person, name=f"P{person}",
                           mode="physical", starts_on=starts_at.date(),
                           ends_on=(starts_at + timedelta(days=days - 1)).date(),
                           starts_at=starts_at, ends_at=starts_at + timedelta(days=days),
                           score=50.0, weight=weight)


options_strategy = st.lists(
    st.builds(option, st.integers(1, 4), st.integers(1, 3), st.integers(0, 20),
              st.integers(1, 10), st.floats(0.1, 5.0)),
    max_size=9)


def feasible(chosen) -> bool:
    needs = [o.need_id for o in chosen]
    clash = any(a.professional_id == b.professional_id and a.starts_at < b.ends_at
                and b.starts_at < a.ends_at for a, b in combinations(chosen, 2))
    return len(needs) == len(set(needs)) and not clash


@settings(max_examples=50, deadline=None)
@given(options=options_strategy)
def test_the_solver_never_double_books_and_finds_the_best_plan(options):
    selection = planning.choose(options)
    assert selection.optimal and feasible(selection.chosen)
    best = max((sum(o.weight for o in subset)
                for size in range(len(options) + 1)
                for subset in combinations(options, size) if feasible(subset)), default=0)
    assert sum(o.weight for o in selection.chosen) == pytest.approx(best, rel=1e-6)
