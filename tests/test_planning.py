"""The programme-wide plan: weighted coverage, nobody double-booked, unmet needs explained."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import combinations

import pytest
import sqlalchemy as sa
from hypothesis import given, settings, strategies as st

from diaspora.extensions import db
from diaspora.jobs import services as jobs
from diaspora.jobs.models import Job
from diaspora.programmes.models import Programme
from missions.matching import plan_jobs, planning

from .conftest import START, inline_code
from .test_programmes import two_programmes  # noqa: F401  (a fixture)

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

def run_jobs() -> int:
    """What the job worker does between two requests."""
    return jobs.run_pending(db.session, clock=lambda: START)


def plan_job() -> Job:
    return db.session.scalars(sa.select(Job).where(Job.kind == plan_jobs.KIND)).one()


def test_plan_page_starts_a_job_shows_progress_then_keeps_the_plan(
        app, make_need, make_professional, signed_in):
    professional = make_professional()
    met = make_need(title="Obstetric emergencies", **APRIL)
    make_need(title="Pharmacy supply chain", cadre="2262", specialty=None, **APRIL)
    browser = signed_in("manager")
    assert browser.get("/plan").status_code == 200
    response = browser.post("/plan", {"period_start": "2026-04-01", "period_end": "2026-06-30",
                                      "programme_id": "", "country": ""})
    job = plan_job()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/plan/{job.id}")
    assert job.status == "queued"  # nothing ranked in the request
    page = browser.get(f"/plan/{job.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' in page and "<progress" in page
    assert f'href="/plan/{job.id}">Refresh' in page and "job-progress.js" in page
    assert f'href="/professionals/{professional.id}"' not in page
    assert browser.get(f"/jobs/{job.id}").headers["Location"].endswith(f"/plan/{job.id}")

    assert run_jobs() == 1
    db.session.refresh(job)
    assert (job.status, job.progress_done, job.progress_total) == ("done", 2, 2)
    for _ in range(2):  # kept: every reload shows it, made once
        html = browser.get(f"/plan/{job.id}").get_data(as_text=True)
        assert 'http-equiv="refresh"' not in html and "<progress" not in html
        assert f'href="/professionals/{professional.id}"' in html
        assert f'href="/needs/{met.id}/shortlist"' in html
        assert "Pharmacy supply chain" in html and "No professional of this cadre" in html
        assert inline_code(html) == []
        proposing = "missions.propose" in app.view_functions
        assert (f'action="/needs/{met.id}/propose"' in html) is proposing
    assert run_jobs() == 0
    assert f'href="/plan/{job.id}"' in browser.get("/plan").get_data(as_text=True)  # recent


def test_the_stored_plan_is_the_plan_and_speaks_the_readers_language(
        app, make_need, make_professional, make_user):
    from flask_babel import force_locale

    make_professional()
    make_need(title="Critical", priority=1, **APRIL)
    make_need(title="Low", priority=4, **APRIL)
    make_need(title="Pharmacy", cadre="2262", specialty=None, **APRIL)
    made = make_plan()
    with app.test_request_context():
        stored = plan_jobs.from_json(plan_jobs.to_json(made))
        assert stored == made  # the explanations too
        with force_locale("fr"):
            french = plan_jobs.from_json(plan_jobs.to_json(made))
    assert [u.explanation for u in french.unmet] != [u.explanation for u in made.unmet]
    assert [u.detail for u in french.unmet] == [u.detail for u in made.unmet]


def test_two_managers_asking_at_once_get_one_plan(two_managers, make_need, make_professional,
                                                  api_client):
    make_professional()
    make_need(programme_id=two_managers["programme"].id, **APRIL)
    period = {"period_start": "2026-04-01", "period_end": "2026-06-30"}
    answers = []
    for manager in two_managers["managers"]:
        client, headers = api_client(manager)
        answers.append(client.post("/api/v1/plan", json=period, headers=headers))
    first, second = (answer.json for answer in answers)
    assert [answer.status_code for answer in answers] == [202, 202]
    assert first["job_id"] == second["job_id"] and (first["started"], second["started"]) == \
        (True, False)
    assert answers[1].headers["Location"].endswith(f"/api/v1/plan/jobs/{first['job_id']}")
    # another reach (an admin plans every programme's needs): another plan
    client, headers = api_client(role="admin")
    assert client.post("/api/v1/plan", json=period, headers=headers).json["job_id"] != \
        first["job_id"]
    assert run_jobs() == 2
    client, headers = api_client(two_managers["managers"][1])
    again = client.post("/api/v1/plan", json=period, headers=headers).json
    assert again["started"] is True and again["job_id"] not in (first["job_id"],)  # made anew


def test_the_key_is_a_compare_and_set_in_the_database(app, make_user):
    """The second insert of an active key fails in the database itself: the loser gets the
    winner's job (as when two requests race past the look-up)."""
    manager = make_user("manager")
    with app.test_request_context():
        job, started = jobs.enqueue_once(db.session, plan_jobs.KIND, "k", actor=manager,
                                         now=START, params={})
        db.session.add(Job(kind=plan_jobs.KIND, key="k", status="queued", params={},
                           created_at=START))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        again, started_again = jobs.enqueue_once(db.session, plan_jobs.KIND, "k", actor=manager,
                                                 now=START, params={})
    assert started and not started_again and again.id == job.id


def test_a_plan_survives_its_worker_and_is_made_by_the_next(make_need, make_professional,
                                                            api_client):
    make_professional()
    make_need(**APRIL)
    client, headers = api_client(role="manager")
    started = client.post("/api/v1/plan", headers=headers, json={
        "period_start": "2026-04-01", "period_end": "2026-06-30"}).json
    job = db.session.get(Job, started["job_id"])
    claimed = jobs.claim_next(db.session, START, worker="web-1")  # then the worker dies
    assert claimed.id == job.id
    later = START + timedelta(hours=1)
    assert jobs.run_pending(db.session, clock=lambda: later) == 1
    body = client.get(started["url"], headers=headers).json
    assert body["status"] == "done" and len(body["plan"]["assignments"]) == 1


def test_plan_page_refuses_a_period_that_ends_before_it_starts(signed_in):
    response = signed_in("manager").post("/plan", {"period_start": "2026-06-30",
                                                   "period_end": "2026-04-01"})
    assert response.status_code == 422
    assert "The period must not end before it starts." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def test_plan_api(make_need, make_professional, api_client):
    professional = make_professional()
    need = make_need(**APRIL)
    client, headers = api_client(role="manager")
    answer = client.post("/api/v1/plan", json={"period_start": "2026-04-01",
                                               "period_end": "2026-06-30"}, headers=headers)
    assert answer.status_code == 202
    queued = client.get(answer.json["url"], headers=headers).json
    assert (queued["status"], queued["plan"]) == ("queued", None)
    run_jobs()
    body = client.get(answer.json["url"], headers=headers).json
    assert (body["status"], body["done"], body["total"], body["percent"]) == ("done", 1, 1, 100)
    plan = body["plan"]
    assert plan["optimal"] is True and plan["unmet"] == []
    [assignment] = plan["assignments"]
    assert (assignment["need"]["id"], assignment["professional_id"], assignment["starts_on"],
            assignment["ends_on"], assignment["mode"]) == \
        (need.id, professional.id, "2026-04-01", "2026-04-14", "physical")
    assert client.post("/api/v1/plan", json={}, headers=headers).status_code == 422
    assert client.get("/api/v1/plan/jobs/999", headers=headers).status_code == 404


def test_a_plan_is_seen_only_by_managers_of_its_needs(two_programmes, make_need,  # noqa: F811
                                                      make_professional, api_client, signed_in):
    from diaspora.audit import AuditEvent

    make_professional()
    make_need(programme_id=two_programmes["A"].id, **APRIL)
    client, headers = api_client(two_programmes["manager_A"])
    url = client.post("/api/v1/plan", headers=headers, json={
        "period_start": "2026-04-01", "period_end": "2026-06-30"}).json["url"]
    run_jobs()
    job = plan_job()
    other, other_headers = api_client(two_programmes["manager_B"])
    assert other.get(url, headers=other_headers).status_code == 403
    assert signed_in(two_programmes["manager_B"]).get(f"/plan/{job.id}").status_code == 403
    assert f"/plan/{job.id}" not in signed_in(two_programmes["manager_B"]).get("/plan") \
        .get_data(as_text=True)
    assert signed_in("admin").get(f"/plan/{job.id}").status_code == 200
    assert client.get(url, headers=headers).status_code == 200
    readers = db.session.scalars(sa.select(AuditEvent.actor_id).where(
        AuditEvent.entity == "plan").order_by(AuditEvent.id)).all()
    assert readers[0] == readers[-1] == two_programmes["manager_A"].id  # made, then read


@pytest.fixture
def two_managers(make_user):
    programme = Programme(name="MIDA Ghana Health", origin_country="GH", host_countries=[],
                          starts_on=date(2026, 1, 1))
    db.session.add(programme)
    db.session.commit()
    return {"programme": programme,
            "managers": [make_user("manager", programmes=[programme]) for _ in range(2)]}


@pytest.mark.parametrize("role", ["professional", "coordinator"])
def test_only_managers_plan(signed_in, api_client, role):
    assert signed_in(role).get("/plan").status_code == 403
    assert signed_in(role).get("/plan/1").status_code == 403
    client, headers = api_client(role=role)
    assert client.get("/api/v1/plan/jobs/1", headers=headers).status_code == 403
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


# --- the plan ranks all needs in one pass, as need by need ---------------------------------

def _random_world(rng, make_need, make_facility, make_professional, propose):
    """Professionals and needs varied in every way the filters and scores look at."""
    from diaspora.errors import Invalid
    from diaspora.professionals.models import (
        AvailabilityWindow,
        ProfessionalCadre,
        ProfessionalSkill,
    )
    from missions.core.models import Mission

    programme = Programme(name="P", origin_country="GH", host_countries=[],
                          starts_on=date(2026, 1, 1))
    db.session.add(programme)
    db.session.commit()
    homes = [("GB", "London", "Europe/London", 51.5, -0.13), ("FR", "Paris", "Europe/Paris", 48.9, 2.35),
             ("US", "Houston", "America/Chicago", 29.8, -95.4), ("GB", None, "Europe/London", None, None)]
    day = lambda n: date(2026, 4, 1) + timedelta(days=n)  # noqa: E731
    people = []
    for _ in range(40):
        residence, city, zone, latitude, longitude = rng.choice(homes)
        physical, virtual = rng.choice([(True, True), (True, False), (False, True)])
        windows = []
        for _ in range(rng.randint(0, 3)):
            start = rng.randint(-20, 80)
            mode = rng.choice(["either", "physical", "virtual"])
            windows.append((day(start), day(start + rng.randint(5, 60)), mode,
                            None if mode == "physical" else rng.choice([1, 2, 4, 8])))
        licences = [(rng.choice(["GH", "SN"]), day(rng.randint(-400, 30)),
                     day(rng.randint(10, 400))) for _ in range(rng.randint(0, 2))]
        professional = make_professional(
            cadre=rng.choice(["2212", "2212", "2221"]), country_of_origin=rng.choice(["GH", "SN", "NG"]),
            country_of_residence=residence, city_of_residence=city, timezone=zone,
            latitude=latitude, longitude=longitude, offers_physical=physical,
            offers_virtual=virtual, consent=rng.random() < 0.9,
            programmes=[programme] if rng.random() < 0.6 else [],
            specialties=rng.sample(["obstetrics-gynaecology", "paediatrics"], rng.randint(0, 2)),
            languages=rng.sample(["en", "fr", "tw"], rng.randint(1, 3)),
            licences=licences, windows=windows)
        if rng.random() < 0.2:
            start = rng.randint(0, 60)
            professional.windows.append(AvailabilityWindow(
                kind="blackout", mode="either", starts_on=day(start), ends_on=day(start + 5)))
        if rng.random() < 0.2:
            db.session.add(ProfessionalCadre(professional_id=professional.id, cadre="2221"))
        for skill in rng.sample(["ultrasound", "caesarean section", "triage"], rng.randint(0, 2)):
            db.session.add(ProfessionalSkill(professional_id=professional.id, skill=skill))
        db.session.commit()
        people.append(professional)
    facilities = [make_facility(), make_facility(country="SN", timezone="Africa/Dakar",
                                                 latitude=14.7, longitude=-17.4),
                  make_facility(latitude=None, longitude=None, timezone=None)]
    needs = []
    for n in range(14):
        mode = rng.choice(["physical", "virtual", "either"])
        start = rng.randint(0, 40)
        window = rng.randint(15, 70)
        needs.append(make_need(
            rng.choice(facilities), title=f"Need {n}", cadre=rng.choice(["2212", "2221"]),
            specialty=rng.choice([None, "obstetrics-gynaecology", "paediatrics"]), mode=mode,
            purpose=rng.choice(["clinical_service", "teaching"]), priority=rng.randint(1, 4),
            programme_id=programme.id if rng.random() < 0.4 else None,
            earliest_start=day(start), latest_end=day(start + window),
            duration_days=rng.randint(3, 14) if mode != "virtual" else None,
            weeks=rng.randint(1, 3) if mode != "physical" else None,
            sessions_per_week=1 if mode != "physical" else None,
            session_hours=rng.choice([1.0, 2.0]) if mode != "physical" else None,
            skills=rng.sample(["ultrasound", "triage"], rng.randint(0, 2)),
            languages=rng.sample(["en", "fr"], rng.randint(0, 2))))
    # history: missions here and elsewhere (continuity, fairness), bookings in the window
    done = make_need(facilities[0], title="Done", earliest_start=day(-20), latest_end=day(90))
    for professional in people:
        try:
            mission = propose(done, professional, starts_on=day(rng.randint(0, 30)))
        except Invalid:  # cannot go then (no window, no licence …)
            db.session.rollback()
            continue
        if rng.random() < 0.5:
            db.session.execute(sa.update(Mission).where(Mission.id == mission.id).values(
                status="completed", starts_at=START - timedelta(days=40),
                ends_at=START - timedelta(days=rng.choice([10, 30]))))
    db.session.commit()
    return needs


def _as_shown(ranking, terms):
    return [(fit.profile.id, fit.profile.name, fit.mode, fit.score, fit.origin_match,
             fit.first_start, fit.span, tuple(fit.starts(terms)), fit.facts)
            for fit in ranking.fits]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_pass_ranks_every_need_as_its_own_shortlist(seed, make_need, make_facility,
                                                        make_professional, propose, monkeypatch):
    """With batches of one, so that both stop as soon as their bounds allow: a bound below a
    score would show as a different ranking."""
    import random

    from missions.matching import batch, ranking
    from missions.matching.ranking import rank
    from missions.matching.terms import Settings, terms_of

    monkeypatch.setattr(batch, "FIRST_BATCH", 1)
    monkeypatch.setattr(ranking, "FIRST_BATCH", 1)
    needs = _random_world(random.Random(seed), make_need, make_facility, make_professional,
                          propose)
    settings = Settings()
    all_terms = [terms_of(need) for need in needs]
    compared = 0
    for limit in (2, planning.TOP_K):
        together = dict(batch.rank_many(db.session, all_terms, now=START, settings=settings,
                                        limit=limit))
        for terms in all_terms:
            alone = rank(db.session, terms, now=START, settings=settings, limit=limit)
            assert _as_shown(together[terms], terms) == _as_shown(alone, terms), terms.need_id
            compared += len(alone.fits)
    assert compared > 20  # the world is not empty
