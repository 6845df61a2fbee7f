"""Programmes are boundaries: managers act on their own programmes' needs and everything that
follows from them; professionals consent per programme and are matched only for those."""
from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.jobs import services as jobs
from diaspora.needs.models import Need
from diaspora.professionals.models import ConsentRecord, ProgrammeConsent
from diaspora.programmes.models import Programme
from missions.core.models import Mission

from .conftest import START


@pytest.fixture
def two_programmes(make_user):
    """Programme A (Ghana) and B (Kenya), each with its own manager."""
    a = Programme(name="MIDA Ghana Health", origin_country="GH", host_countries=["GB"],
                  funder="Funder A", starts_on=date(2025, 1, 1))
    b = Programme(name="Kenya returns", origin_country="KE", host_countries=["US"],
                  funder="Funder B", starts_on=date(2025, 1, 1))
    db.session.add_all([a, b])
    db.session.commit()
    return {"A": a, "B": b,
            "manager_A": make_user("manager", programmes=[a]),
            "manager_B": make_user("manager", programmes=[b])}


# --- needs --------------------------------------------------------------------------------

def test_a_manager_of_no_programme_approves_nothing(two_programmes, make_user, make_need,
                                                    api_client):
    need = make_need(status="submitted", programme_id=two_programmes["A"].id)
    for manager in (make_user("manager", programmes=()), two_programmes["manager_B"]):
        client, headers = api_client(manager)
        assert client.post(f"/api/v1/needs/{need.id}/approve", headers=headers,
                           json={}).status_code == 403
        assert client.get(f"/api/v1/needs/{need.id}", headers=headers).status_code == 403
    db.session.expire_all()
    assert db.session.get(Need, need.id).status == "submitted"
    client, headers = api_client(two_programmes["manager_A"])
    approved = client.post(f"/api/v1/needs/{need.id}/approve", headers=headers, json={})
    assert approved.status_code == 200 and approved.json["status"] == "approved"


def test_a_need_without_programme_is_for_the_programmes_of_its_country_and_admins(
        two_programmes, make_user, make_need, make_facility, api_client):
    ghana = make_need(status="submitted")                                   # facility in GH
    kenya = make_need(make_facility(country="KE", timezone="Africa/Nairobi"), status="submitted")
    allowed = {("manager_A", ghana.id), ("manager_B", kenya.id)}
    for who in ("manager_A", "manager_B"):
        client, headers = api_client(two_programmes[who])
        for need in (ghana, kenya):
            status = client.get(f"/api/v1/needs/{need.id}", headers=headers).status_code
            assert status == (200 if (who, need.id) in allowed else 403), (who, need.id)
    client, headers = api_client(make_user("admin"))
    assert all(client.get(f"/api/v1/needs/{n.id}", headers=headers).status_code == 200
               for n in (ghana, kenya))


def test_need_and_mission_lists_hold_the_managers_own_programmes(
        two_programmes, make_need, make_professional, make_user, api_client):
    professional = make_professional()
    ours = make_need(programme_id=two_programmes["A"].id)
    theirs = make_need(programme_id=two_programmes["B"].id,
                       earliest_start=date(2026, 5, 1), latest_end=date(2026, 6, 30))
    from missions.core.proposals import propose_mission

    for need, manager in ((ours, "manager_A"), (theirs, "manager_B")):
        propose_mission(db.session, need, professional,
                        {"kind": "physical", "starts_on": need.earliest_start},
                        actor=two_programmes[manager], now=START)
    client, headers = api_client(two_programmes["manager_A"])
    needs = client.get("/api/v1/needs", headers=headers).json
    missions = client.get("/api/v1/missions", headers=headers).json
    assert [n["id"] for n in needs] == [ours.id]
    assert [m["need_id"] for m in missions] == [ours.id]
    client, headers = api_client(make_user("admin"))
    assert len(client.get("/api/v1/missions", headers=headers).json) == 2


def test_a_manager_files_and_moves_needs_only_within_their_programmes(
        two_programmes, make_facility, make_need, api_client):
    client, headers = api_client(two_programmes["manager_B"])
    facility = make_facility()   # Ghana: programme A's country
    body = {"facility_id": facility.id, "title": "Anaesthesia", "cadre": "2212",
            "purpose": "teaching", "mode": "virtual", "earliest_start": "2026-05-01",
            "latest_end": "2026-07-31", "sessions_per_week": 1, "weeks": 4, "session_hours": 2}
    assert client.post("/api/v1/needs", headers=headers,
                       json={**body, "programme_id": two_programmes["A"].id}).status_code == 403
    assert client.post("/api/v1/needs", headers=headers, json=body).status_code == 403
    filed = client.post("/api/v1/needs", headers=headers,
                        json={**body, "programme_id": two_programmes["B"].id})
    assert filed.status_code == 201
    moved = client.patch(f"/api/v1/needs/{filed.json['id']}", headers=headers,
                         json={"programme_id": two_programmes["A"].id})
    assert moved.status_code == 403
    db.session.expire_all()
    assert db.session.get(Need, filed.json["id"]).programme_id == two_programmes["B"].id
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 1


def test_programmes_are_changed_by_their_own_managers(two_programmes, make_user, api_client):
    client, headers = api_client(two_programmes["manager_B"])
    a = two_programmes["A"]
    assert client.patch(f"/api/v1/programmes/{a.id}", headers=headers,
                        json={"manager_ids": [two_programmes["manager_B"].id]}).status_code == 403
    assert client.delete(f"/api/v1/programmes/{a.id}", headers=headers).status_code == 403
    created = client.post("/api/v1/programmes", headers=headers,
                          json={"name": "New", "origin_country": "UG", "starts_on": "2026-01-01"})
    assert created.status_code == 201
    assert created.json["manager_ids"] == [two_programmes["manager_B"].id]
    db.session.expire_all()
    assert [u.id for u in db.session.get(Programme, a.id).managers] == \
        [two_programmes["manager_A"].id]


# --- matching, plan, dashboards, exports, FHIR ------------------------------------------------

def test_shortlist_and_plan_of_another_programme_are_refused(two_programmes, make_need,
                                                             make_professional, api_client):
    make_professional()
    need = make_need(programme_id=two_programmes["A"].id)
    period = {"period_start": "2026-04-01", "period_end": "2026-06-30"}
    client, headers = api_client(two_programmes["manager_B"])
    assert client.get(f"/api/v1/needs/{need.id}/shortlist", headers=headers).status_code == 403
    assert client.post("/api/v1/plan", headers=headers,
                       json={**period, "programme_id": two_programmes["A"].id}).status_code == 403
    theirs = client.post("/api/v1/plan", headers=headers, json=period)
    assert theirs.status_code == 202
    client_a, headers_a = api_client(two_programmes["manager_A"])
    ours = client_a.post("/api/v1/plan", headers=headers_a, json=period).json
    assert jobs.run_pending(db.session, clock=lambda: START) == 2
    plan = client.get(theirs.json["url"], headers=headers).json["plan"]
    assert plan["assignments"] == plan["unmet"] == []
    plan = client_a.get(ours["url"], headers=headers_a).json["plan"]
    assert [a["need"]["id"] for a in plan["assignments"]] == [need.id]


def _went_ahead(need, professional, manager):
    from missions.core.proposals import propose_mission

    mission = propose_mission(db.session, need, professional,
                              {"kind": "physical", "starts_on": date(2026, 4, 6)},
                              actor=manager, now=START)
    mission.status = "confirmed"
    db.session.commit()
    return mission


def test_dashboards_exports_and_fhir_hold_the_managers_own_programmes(
        two_programmes, make_need, make_professional, api_client, signed_in):
    professional = make_professional(given_name="Efua")
    need = make_need(programme_id=two_programmes["A"].id)
    _went_ahead(need, professional, two_programmes["manager_A"])
    browser = signed_in(two_programmes["manager_B"])
    a = two_programmes["A"].id
    for path in ("/dashboard", "/dashboard/missions.csv", "/dashboard/report",
                 "/dashboard/workforce.fhir.json"):
        assert browser.get(f"{path}?programme_id={a}").status_code == 403, path
    rows = list(csv.DictReader(io.StringIO(browser.get("/dashboard/missions.csv")
                                           .get_data(as_text=True))))
    assert rows == []
    client, headers = api_client(two_programmes["manager_B"])
    bundle = json.loads(client.get("/api/v1/fhir/workforce", headers=headers).get_data())
    assert bundle.get("entry", []) == []
    assert need.facility.name not in browser.get("/dashboard").get_data(as_text=True)
    ours = signed_in(two_programmes["manager_A"])
    assert need.facility.name in ours.get("/dashboard").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(ours.get(f"/dashboard/missions.csv?programme_id={a}")
                                           .get_data(as_text=True))))
    assert len(rows) == 1
    client, headers = api_client(two_programmes["manager_A"])
    bundle = json.loads(client.get("/api/v1/fhir/workforce", headers=headers).get_data())
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} >= {"Practitioner"}


# --- consent per programme ------------------------------------------------------------------

def _candidates(need, manager, api_client):
    client, headers = api_client(manager)
    response = client.get(f"/api/v1/needs/{need.id}/shortlist", headers=headers)
    assert response.status_code == 200
    return [c["professional_id"] for c in response.json["candidates"]]


def test_matching_takes_only_those_who_consented_to_the_needs_programme(
        two_programmes, make_need, make_professional, api_client):
    a, b = two_programmes["A"], two_programmes["B"]
    for_a = make_professional(programmes=[a])
    for_b = make_professional(programmes=[b])
    registry_only = make_professional(programmes=[])
    need = make_need(programme_id=a.id)
    assert _candidates(need, two_programmes["manager_A"], api_client) == [for_a.id]
    no_programme = make_need(earliest_start=date(2026, 4, 1))
    assert set(_candidates(no_programme, two_programmes["manager_A"], api_client)) == \
        {for_a.id, for_b.id, registry_only.id}    # the registry consent alone
    from diaspora.errors import Invalid
    from missions.core.proposals import propose_mission

    with pytest.raises(Invalid) as refused:
        propose_mission(db.session, need, for_b, {"kind": "physical",
                                                  "starts_on": date(2026, 4, 6)},
                        actor=two_programmes["manager_A"], now=START)
    assert "programme_id" not in refused.value.errors and "professional_id" in refused.value.errors


def test_consent_to_a_programme_by_api_and_withdrawal_cancels_its_proposals(
        two_programmes, make_need, make_professional, api_client, clock):
    clock.set(START)
    a, b = two_programmes["A"], two_programmes["B"]
    professional = make_professional(programmes=[])
    client, headers = api_client(professional.user)
    url = "/api/v1/professionals/me/consent/programmes"
    for programme in (a, b):
        given = client.put(f"{url}/{programme.id}", headers=headers, json={"given": True})
        assert given.status_code == 200
    assert [(c["programme"], c["given"]) for c in given.json["programme_consents"]] == \
        [(a.name, True), (b.name, True)]
    from missions.core.proposals import propose_mission

    missions = {}
    for name, starts_on in (("A", date(2026, 4, 6)), ("B", date(2026, 5, 4))):
        need = make_need(programme_id=two_programmes[name].id)
        missions[name] = propose_mission(db.session, need, professional,
                                         {"kind": "physical", "starts_on": starts_on},
                                         actor=two_programmes[f"manager_{name}"], now=START)
    withdrawn = client.put(f"{url}/{a.id}", headers=headers, json={"given": False})
    assert withdrawn.status_code == 200
    db.session.expire_all()
    assert db.session.get(Mission, missions["A"].id).status == "cancelled"
    assert db.session.get(Mission, missions["B"].id).status == "proposed"
    assert db.session.get(type(professional), professional.id).consent_given is True
    history = db.session.execute(sa.select(ConsentRecord.programme_id, ConsentRecord.given)
                                 .where(ConsentRecord.professional_id == professional.id)
                                 .order_by(ConsentRecord.id)).all()
    assert history[-1] == (a.id, False)
    assert client.put(f"{url}/9999", headers=headers, json={"given": True}).status_code == 404


def test_consent_page_has_one_checkbox_per_running_programme(two_programmes, make_professional,
                                                             signed_in, api_client, clock):
    clock.set(START)
    ended = Programme(name="Finished pilot", origin_country="GH", host_countries=[],
                      starts_on=date(2024, 1, 1), ends_on=date(2025, 12, 31))
    db.session.add(ended)
    db.session.commit()
    a, b = two_programmes["A"], two_programmes["B"]
    professional = make_professional(programmes=[a])
    browser = signed_in(professional.user)
    html = browser.get("/me/consent").get_data(as_text=True)
    assert a.name in html and "Funder A" in html and b.name in html
    assert ended.name not in html
    assert html.count('name="programme_ids"') == 2
    response = browser.post("/me/consent", {"form": "programmes", "programme_ids": [str(b.id)]})
    assert response.status_code == 302
    consents = dict(db.session.execute(
        sa.select(ProgrammeConsent.programme_id, ProgrammeConsent.given)
        .where(ProgrammeConsent.professional_id == professional.id)).all())
    assert consents == {a.id: False, b.id: True}
    client, headers = api_client(professional.user)
    late = client.put(f"/api/v1/professionals/me/consent/programmes/{ended.id}",
                      headers=headers, json={"given": True})
    assert late.status_code == 422 and "programme_id" in late.json["errors"]["json"]
