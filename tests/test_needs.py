"""Needs: filing, validation, approval workflow, history, facility scoping."""
from __future__ import annotations

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.needs.models import Need

NEED = {"title": "Emergency obstetric care training", "cadre": "2222", "purpose": "training_of_trainers",
        "mode": "physical", "earliest_start": "2026-05-01", "latest_end": "2026-07-31",
        "duration_days": 21, "priority": 1, "languages": ["en", "tw"], "skills": ["partograph"],
        "counterparts": [{"name": "Akua Mensah", "cadre": "3222"}]}


def coordinator_of(make_user, facility):
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    return coordinator


def test_coordinator_files_and_submits_a_need_manager_approves(api_client, make_user, make_facility):
    facility = make_facility()
    client, headers = api_client(coordinator_of(make_user, facility))
    created = client.post("/api/v1/needs?submit=true", headers=headers, json={**NEED, "facility_id": facility.id})
    assert created.status_code == 201, created.json
    assert created.json["status"] == "submitted"
    assert created.json["counterparts"][0]["name"] == "Akua Mensah"
    need_id = created.json["id"]
    assert client.post(f"/api/v1/needs/{need_id}/approve", headers=headers, json={}).status_code == 403

    manager_client, manager_headers = api_client(role="manager")
    approved = manager_client.post(f"/api/v1/needs/{need_id}/approve", headers=manager_headers, json={})
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    again = manager_client.post(f"/api/v1/needs/{need_id}/approve", headers=manager_headers, json={})
    assert again.status_code == 409 and again.json["current_status"] == "approved"
    need = db.session.get(Need, need_id)
    assert [(e.from_status, e.to_status) for e in need.events] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "approved")]


def test_return_needs_a_reason_and_allows_editing(api_client, make_user, make_facility):
    facility = make_facility()
    coordinator = coordinator_of(make_user, facility)
    client, headers = api_client(coordinator)
    need_id = client.post("/api/v1/needs?submit=true", headers=headers,
                          json={**NEED, "facility_id": facility.id}).json["id"]
    manager_client, manager_headers = api_client(role="manager")
    no_reason = manager_client.post(f"/api/v1/needs/{need_id}/return", headers=manager_headers, json={})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]["json"]
    returned = manager_client.post(f"/api/v1/needs/{need_id}/return", headers=manager_headers,
                                   json={"reason": "Please name the counterparts"})
    assert returned.json["status"] == "returned" and returned.json["return_reason"]
    edited = client.patch(f"/api/v1/needs/{need_id}", headers=headers, json={"duration_days": 14})
    assert edited.status_code == 200 and edited.json["duration_days"] == 14
    assert client.post(f"/api/v1/needs/{need_id}/submit", headers=headers, json={}).json["status"] == "submitted"
    locked = client.patch(f"/api/v1/needs/{need_id}", headers=headers, json={"duration_days": 10})
    assert locked.status_code == 409


def test_need_validation_is_field_level_and_writes_nothing(api_client, make_user, make_facility):
    facility = make_facility()
    client, headers = api_client(coordinator_of(make_user, facility))
    response = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": facility.id, "mode": "virtual", "duration_days": None,
        "latest_end": "2026-04-01", "languages": ["xx"], "purpose": "tourism"})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert {"latest_end", "sessions_per_week", "weeks", "session_hours", "languages", "purpose"} <= set(errors)
    assert db.session.scalar(sa.select(sa.func.count(Need.id))) == 0


def test_a_stay_longer_than_the_window_is_refused(api_client, make_user, make_facility):
    facility = make_facility()
    client, headers = api_client(coordinator_of(make_user, facility))
    response = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": facility.id, "earliest_start": "2026-05-01", "latest_end": "2026-05-10"})
    assert response.status_code == 422 and "duration_days" in response.json["errors"]["json"]


def test_coordinators_only_see_and_file_for_their_facilities(api_client, make_user, make_facility, make_need):
    mine, theirs = make_facility(), make_facility()
    coordinator = coordinator_of(make_user, mine)
    other_need = make_need(theirs)
    client, headers = api_client(coordinator)
    assert client.get(f"/api/v1/needs/{other_need.id}", headers=headers).status_code == 403
    assert client.post("/api/v1/needs", headers=headers,
                       json={**NEED, "facility_id": theirs.id}).status_code == 403
    make_need(mine, title="Ours")
    assert [n["title"] for n in client.get("/api/v1/needs", headers=headers).json] == ["Ours"]
    professional_client, professional_headers = api_client(role="professional")
    assert professional_client.get("/api/v1/needs", headers=professional_headers).status_code == 403


def test_need_pages_workflow(signed_in, make_user, make_facility):
    facility = make_facility()
    coordinator = signed_in(coordinator_of(make_user, facility))
    response = coordinator.post("/needs/new", {
        "facility_id": str(facility.id), "title": "Neonatal resuscitation", "cadre": "2221",
        "purpose": "teaching", "mode": "virtual", "earliest_start": "2026-05-01",
        "latest_end": "2026-08-31", "sessions_per_week": "1", "weeks": "8", "session_hours": "1.5",
        "languages": "en, ee", "priority": "2", "counterparts-0-name": "Yaw Boateng",
        "counterparts-0-cadre": "2221", "counterparts-1-name": "", "then": "submit"})
    assert response.status_code == 302
    need = db.session.scalar(sa.select(Need))
    assert (need.status, need.languages, need.weekly_hours) == ("submitted", ["en", "ee"], 1.5)
    assert [c.name for c in need.counterparts] == ["Yaw Boateng"]
    page = coordinator.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "Neonatal resuscitation" in page and "Approve" not in page

    manager = signed_in("manager")
    assert "Approve" in manager.get(f"/needs/{need.id}").get_data(as_text=True)
    manager.post(f"/needs/{need.id}/return", {"reason": ""})
    db.session.refresh(need)
    assert need.status == "submitted"  # no reason: nothing changed
    manager.post(f"/needs/{need.id}/approve")
    db.session.refresh(need)
    assert need.status == "approved"
    assert "Find professionals" in manager.get(f"/needs/{need.id}").get_data(as_text=True)


def test_need_form_errors_keep_input(signed_in, make_user, make_facility):
    facility = make_facility()
    coordinator = signed_in(coordinator_of(make_user, facility))
    response = coordinator.post("/needs/new", {"facility_id": str(facility.id), "title": "Short",
                                               "cadre": "2221", "mode": "physical",
                                               "earliest_start": "2026-05-01", "latest_end": "2026-04-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The latest end must not be before the earliest start" in page and 'value="Short"' in page
    # the summary names fields by their labels, not their keys
    assert '<li><a href="#latest_end">Latest end: The latest end must not be before the earliest start.</a></li>' in page
    assert '<li><a href="#purpose">Purpose: Missing data for required field.</a></li>' in page and "latest_end:" not in page


def test_need_form_error_summary_names_rows_and_speaks_the_user_s_language(signed_in, make_user,
                                                                          make_facility):
    facility = make_facility()
    user = coordinator_of(make_user, facility)
    user.locale = "fr"
    db.session.commit()
    coordinator = signed_in(user)
    page = coordinator.post("/needs/new", {
        "facility_id": str(facility.id), "title": "Échographie", "cadre": "2221",
        "purpose": "teaching", "mode": "physical", "duration_days": "5",
        "earliest_start": "2026-05-01", "latest_end": "2026-06-01",
        "counterparts-0-name": "Ama", "counterparts-0-cadre": "9999"}).get_data(as_text=True)
    assert '<li><a href="#counterparts">Homologues locaux à former › ligne 1 › ' in page, page[page.find("<ul>"):][:600]


def test_safeguard_flag_on_needs_in_listed_countries(signed_in, make_user, make_facility, make_need):
    ghana = make_facility(country="GH")
    make_need(ghana, title="Ghana need")
    page = signed_in("manager").get("/needs").get_data(as_text=True)
    assert "WHO safeguards list" in page
