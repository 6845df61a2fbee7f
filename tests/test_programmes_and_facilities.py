"""Programmes, organisations, facilities (browse, API, coordinators) and user management."""
from __future__ import annotations

import re

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.extensions import db
from diaspora.programmes.models import Organisation, Programme

PROGRAMME = {"name": "MIDA Ghana Health", "origin_country": "GH", "host_countries": ["GB", "NL"],
             "funder": "Netherlands MFA", "budget": "1500000.00", "currency": "EUR",
             "starts_on": "2026-01-01", "ends_on": "2028-12-31"}


def test_manager_creates_and_changes_a_programme_by_api(api_client):
    client, headers = api_client(role="manager")
    created = client.post("/api/v1/programmes", headers=headers, json=PROGRAMME)
    assert created.status_code == 201
    assert created.json["budget"] == "1500000.00" and created.json["host_countries"] == ["GB", "NL"]
    duplicate = client.post("/api/v1/programmes", headers=headers, json=PROGRAMME)
    assert duplicate.status_code == 409 and "name" in duplicate.json["errors"]["json"]
    changed = client.patch(f"/api/v1/programmes/{created.json['id']}", headers=headers,
                           json={"ends_on": "2029-06-30"})
    assert changed.status_code == 200 and changed.json["ends_on"] == "2029-06-30"


def test_programme_validation(api_client):
    client, headers = api_client(role="manager")
    response = client.post("/api/v1/programmes", headers=headers,
                           json={**PROGRAMME, "ends_on": "2025-01-01", "currency": "euro",
                                 "budget": -5, "origin_country": "ZZ"})
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) >= {"currency", "budget", "origin_country"}
    assert db.session.scalar(sa.select(sa.func.count(Programme.id))
                             .where(Programme.name == PROGRAMME["name"])) == 0
    period = client.post("/api/v1/programmes", headers=headers, json={**PROGRAMME, "ends_on": "2025-01-01"})
    assert period.status_code == 422 and "ends_on" in period.json["errors"]["json"]


def test_a_patch_cannot_make_a_programme_end_before_it_starts(api_client):
    client, headers = api_client(role="manager")
    created = client.post("/api/v1/programmes", headers=headers, json=PROGRAMME).json
    response = client.patch(f"/api/v1/programmes/{created['id']}", headers=headers,
                            json={"ends_on": "2020-01-01"})
    assert response.status_code == 422
    db.session.expire_all()
    assert str(db.session.get(Programme, created["id"]).ends_on) == "2028-12-31"


def test_only_managers_change_programmes(api_client):
    client, headers = api_client(role="coordinator")
    assert client.post("/api/v1/programmes", headers=headers, json=PROGRAMME).status_code == 403
    assert client.get("/api/v1/programmes", headers=headers).status_code == 200


def test_organisation_pages(signed_in):
    browser = signed_in("manager")
    response = browser.post("/organisations/new", {"name": "GPSF UK", "kind": "diaspora_association",
                                                   "country": "GB", "city": "London",
                                                   "website": "https://example.org"})
    assert response.status_code == 302
    organisation = db.session.scalar(sa.select(Organisation))
    bad = browser.post(f"/organisations/{organisation.id}", {"name": "GPSF UK", "website": "not a url",
                                                            "contact_email": "nobody"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Not a valid URL" in page and "Not a valid email address" in page
    assert "GPSF UK" in browser.get("/organisations").get_data(as_text=True)
    assert browser.post(f"/organisations/{organisation.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


def test_facility_browsing_with_filters_and_pagination(signed_in, make_facility, app):
    for n in range(30):
        make_facility(name=f"Clinic {n:02d}", admin1="Volta" if n % 2 else "Northern", tier=2,
                      category="clinic")
    make_facility(name="Tamale Teaching Hospital", tier=4)
    browser = signed_in("manager")
    page = browser.get("/facilities?country=GH&admin1=Volta").get_data(as_text=True)
    assert "15 results" in page and "Clinic 01" in page and "Clinic 00" not in page
    page = browser.get("/facilities?q=tamale").get_data(as_text=True)
    assert "Tamale Teaching Hospital" in page and "1 result<" in page
    page_two = browser.get("/facilities?tier=2&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page_two
    ignored = browser.get("/facilities?tier=9")
    assert ignored.status_code == 200  # an invalid filter is ignored, not a 500


def test_facility_page_shows_its_location_on_an_offline_map(signed_in, make_facility):
    here = make_facility(name="Bolgatanga Regional Hospital", latitude=10.79, longitude=-0.85)
    make_facility(name="Elsewhere", latitude=5.6, longitude=-0.2)
    no_coordinates = make_facility(name="Lost Clinic", latitude=None, longitude=None)
    browser = signed_in("coordinator")
    page = browser.get(f"/facilities/{here.id}").get_data(as_text=True)
    assert '<svg class="map"' in page and 'class="point highlight"' in page
    assert "http" not in page.split('<svg class="map"')[1].split("</svg>")[0]
    assert "Maina J." in page  # the data source is cited
    page = browser.get(f"/facilities/{no_coordinates.id}").get_data(as_text=True)
    assert "no coordinates" in page


def test_facilities_api_filters_and_mine(api_client, make_facility, make_user):
    coordinator = make_user("coordinator")
    mine = make_facility(name="Mine")
    make_facility(name="Other", country="SN", timezone="Africa/Dakar")
    mine.coordinators.append(coordinator)
    db.session.commit()
    client, headers = api_client(coordinator)
    assert [f["name"] for f in client.get("/api/v1/facilities?mine=true", headers=headers).json] == ["Mine"]
    assert [f["name"] for f in client.get("/api/v1/facilities?country=SN", headers=headers).json] == ["Other"]
    bad = client.get("/api/v1/facilities?country=Senegal&tier=0", headers=headers)
    assert bad.status_code == 422 and set(bad.json["errors"]["query"]) == {"country", "tier"}
    assert client.get("/api/v1/facilities/999999", headers=headers).status_code == 404
    assert client.patch(f"/api/v1/facilities/{mine.id}", headers=headers,
                        json={"ict_ready": True}).status_code == 403


def test_api_reads_carry_an_etag_and_answer_304_while_unchanged(api_client, make_facility):
    facility = make_facility(name="Tamale Teaching Hospital")
    client, headers = api_client()
    detail = f"/api/v1/facilities/{facility.id}"
    tags = {}
    for path in (detail, "/api/v1/facilities"):
        tags[path] = client.get(path, headers=headers).headers["ETag"]
        again = client.get(path, headers={**headers, "If-None-Match": tags[path]})
        assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", tags[path])
    tag = tags[detail]
    assert client.patch(f"/api/v1/facilities/{facility.id}", headers=headers,
                        json={"ict_ready": True}).status_code == 200   # no If-Match required
    changed = client.get(detail, headers={**headers, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.json["ict_ready"] is True
    assert changed.headers["ETag"] != tag
    assert client.get(detail, headers={"If-None-Match": tag}).status_code == 401


def test_manager_attaches_a_coordinator_on_the_facility_page(signed_in, make_facility, make_user):
    facility = make_facility()
    coordinator = make_user("coordinator", name="Esi Coordinator")
    browser = signed_in("manager")
    assert "Esi Coordinator" in browser.get(f"/facilities/{facility.id}").get_data(as_text=True)
    assert browser.post(f"/facilities/{facility.id}/coordinators",
                        {"user_id": str(coordinator.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, coordinator.id).facility_ids == [facility.id]
    professional_user = make_user("professional")
    assert browser.post(f"/facilities/{facility.id}/coordinators",
                        {"user_id": str(professional_user.id)}).status_code == 422
    assert browser.post(f"/facilities/{facility.id}/coordinators/{coordinator.id}/remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, coordinator.id).facility_ids == []


def test_manager_edits_a_facility(signed_in, make_facility):
    facility = make_facility(setting="unknown")
    browser = signed_in("manager")
    response = browser.post(f"/facilities/{facility.id}/edit", {"name": facility.name, "category": "hospital",
                                                                "tier": "3", "ownership": "public",
                                                                "setting": "rural", "ict_ready": "1"})
    assert response.status_code == 302
    db.session.refresh(facility)
    assert (facility.setting, facility.ict_ready) == ("rural", True)
    bad = browser.post(f"/facilities/{facility.id}/edit", {"name": "X", "tier": "5", "setting": "moon"})
    assert bad.status_code == 422


def test_user_management_rules(api_client, make_user, make_facility):
    facility = make_facility()
    client, headers = api_client(role="manager")
    created = client.post("/api/v1/users", headers=headers, json={
        "email": "New.Coord@Example.org", "name": "New Coordinator", "role": "coordinator",
        "password": "a-good-long-password", "facility_ids": [facility.id]})
    assert created.status_code == 201
    assert created.json["email"] == "new.coord@example.org" and created.json["facility_ids"] == [facility.id]
    promote = client.patch(f"/api/v1/users/{created.json['id']}", headers=headers, json={"role": "admin"})
    assert promote.status_code == 403  # only admins grant manager/admin
    weak = client.post("/api/v1/users", headers=headers, json={
        "email": "x@example.org", "name": "X", "role": "coordinator", "password": "password123"})
    assert weak.status_code == 422 and "password" in weak.json["errors"]["json"]
    missing = client.post("/api/v1/users", headers=headers, json={
        "email": "y@example.org", "name": "Y", "role": "coordinator", "password": "a-good-long-password",
        "facility_ids": [424242]})
    assert missing.status_code == 422
    assert db.session.scalar(sa.select(User).where(User.email == "y@example.org")) is None

    admin_client, admin_headers = api_client(role="admin")
    promoted = admin_client.patch(f"/api/v1/users/{created.json['id']}", headers=admin_headers,
                                  json={"role": "manager", "facility_ids": []})
    assert promoted.status_code == 200 and promoted.json["role"] == "manager"


def test_deactivating_a_user_revokes_access(api_client, make_user):
    target = make_user("coordinator")
    target_client, target_headers = api_client(target)
    client, headers = api_client(role="manager")
    assert client.patch(f"/api/v1/users/{target.id}", headers=headers, json={"active": False}).status_code == 200
    assert target_client.get("/api/v1/users/me", headers=target_headers).status_code == 401


def test_users_page_filters(signed_in, make_user):
    make_user("coordinator", name="Findable Person")
    browser = signed_in("manager")
    page = browser.get("/users?role=coordinator&q=findable").get_data(as_text=True)
    assert "Findable Person" in page
    assert browser.get("/users?role=nonsense").status_code == 200


def test_the_needs_list_pages_without_counting(signed_in, make_need, make_facility, app):
    """Previous and next from one row read beyond the page: every need on exactly one page."""
    facility = make_facility()
    for n in range(5):
        make_need(facility, title=f"Paged need {n}")
    app.config["PAGE_SIZE"] = 2
    browser = signed_in("manager")
    pages = [browser.get(f"/needs?page={number}").get_data(as_text=True) for number in (1, 2, 3)]
    assert 'rel="next"' in pages[0] and 'rel="prev"' not in pages[0] and "Page 1" in pages[0]
    assert 'rel="next"' in pages[1] and 'rel="prev"' in pages[1] and "Page 2" in pages[1]
    assert 'rel="next"' not in pages[2] and 'rel="prev"' in pages[2] and "Page 3" in pages[2]
    shown = [title for page in pages for title in re.findall(r"Paged need \d", page)]
    assert sorted(shown) == [f"Paged need {n}" for n in range(5)]
    beyond = browser.get("/needs?page=4").get_data(as_text=True)
    assert "Paged need" not in beyond and 'rel="prev"' in beyond
