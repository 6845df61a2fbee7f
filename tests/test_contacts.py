"""Contacts are a separate, purpose-bound read: one person at a time, audited each time, never
in a list or an export; a host facility reads them only in the mission's contact window."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from diaspora.audit import AuditEvent
from diaspora.extensions import db
from missions.core import lifecycle

from .conftest import START

PHONE = "+44 7700 900456"


def act(mission, action, actor, now=START, reason=None):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=now, reason=reason)


def contact_reads():
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "contact")
                              .order_by(AuditEvent.id)).all()


def hosted(make_facility, make_user, make_need, make_professional, propose, **profile):
    """A mission proposed at a facility with a coordinator."""
    facility = make_facility()
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional(phone=PHONE, **profile)
    mission = propose(make_need(facility), professional)
    return mission, professional, coordinator


def test_no_list_or_export_carries_a_contact(make_facility, make_user, make_need, make_professional,
                                             propose, manager, api_client, signed_in):
    mission, professional, coordinator = hosted(make_facility, make_user, make_need,
                                                make_professional, propose)
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    email = professional.user.email
    another_need = make_need(mission.facility)
    client, headers = api_client(manager)
    shortlist = client.get(f"/api/v1/needs/{another_need.id}/shortlist", headers=headers)
    assert professional.id in [c["professional_id"] for c in shortlist.json["candidates"]]
    for path in ("/api/v1/professionals?page_size=100", f"/api/v1/professionals/{professional.id}",
                 "/api/v1/missions?page_size=100", f"/api/v1/missions/{mission.id}",
                 "/api/v1/needs", f"/api/v1/needs/{another_need.id}/shortlist",
                 "/api/v1/notifications", "/api/v1/fhir/workforce"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        body = response.get_data(as_text=True)
        assert email not in body and "900456" not in body, path
    listed = client.get("/api/v1/professionals?page_size=100", headers=headers).json
    assert listed and not {"email", "phone"} & set(listed[0])
    host_client, host_headers = api_client(coordinator)
    for path in ("/api/v1/missions", f"/api/v1/missions/{mission.id}", "/api/v1/notifications"):
        assert email not in host_client.get(path, headers=host_headers).get_data(as_text=True)
    for who in (manager, coordinator):
        browser = signed_in(who)
        for path in ("/dashboard/missions.csv", "/dashboard/missions.xlsx", "/missions",
                     f"/missions/{mission.id}", "/professionals", "/professionals/export.csv",
                     f"/professionals/{professional.id}", "/inbox"):
            response = browser.get(path)
            assert email.encode() not in response.get_data() and b"900456" not in response.get_data(), (who.role, path)
    assert contact_reads() == []


def test_the_host_reads_the_contact_in_the_window_only_and_each_read_is_audited(
        make_facility, make_user, make_need, make_professional, propose, manager, api_client, app):
    app.config["CONTACT_VISIBLE_DAYS_AFTER"] = 10
    mission, professional, coordinator = hosted(make_facility, make_user, make_need,
                                                make_professional, propose)
    client, headers = api_client(coordinator)
    path = f"/api/v1/missions/{mission.id}/contact"
    assert client.get(path, headers=headers).status_code == 409  # proposed
    act(mission, "accept", professional.user)
    assert client.get(path, headers=headers).status_code == 409  # accepted, not confirmed
    act(mission, "confirm", manager)
    assert client.get(path, headers=headers).json == {"email": professional.user.email,
                                                      "phone": PHONE}
    clock = app.config["CLOCK"]
    act(mission, "start", manager, now=mission.starts_at)
    act(mission, "complete", manager, now=mission.ends_at)
    clock.set(mission.ends_at + timedelta(days=9, hours=23))
    assert client.get(path, headers=headers).status_code == 200
    clock.set(mission.ends_at + timedelta(days=10))
    late = client.get(path, headers=headers)
    assert late.status_code == 409 and "10 days" in late.json["message"]
    reads = contact_reads()
    assert len(reads) == 2
    assert {(r.actor_id, r.actor_role, r.entity_id) for r in reads} == {
        (coordinator.id, "coordinator", professional.id)}
    assert reads[0].detail == {"purpose": "mission", "mission": mission.id}


def test_a_cancelled_mission_closes_the_window(make_facility, make_user, make_need,
                                              make_professional, propose, manager, api_client):
    mission, professional, coordinator = hosted(make_facility, make_user, make_need,
                                                make_professional, propose)
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    act(mission, "cancel", manager, reason="funding")
    client, headers = api_client(coordinator)
    assert client.get(f"/api/v1/missions/{mission.id}/contact", headers=headers).status_code == 409


def test_the_host_sees_name_cadre_and_languages_and_nothing_else(
        make_facility, make_user, make_need, make_professional, propose, manager, api_client,
        signed_in):
    mission, professional, coordinator = hosted(
        make_facility, make_user, make_need, make_professional, propose,
        bio="Loves teaching", city_of_residence="Leeds")
    professional.windows[0].note = "Not in school holidays"
    db.session.commit()
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    client, headers = api_client(coordinator)
    seen = client.get(f"/api/v1/missions/{mission.id}", headers=headers).json
    assert (seen["professional_name"], seen["professional_cadre"], seen["professional_languages"]) \
        == (professional.full_name, "2212", ["en", "tw"])
    assert client.get(f"/api/v1/professionals/{professional.id}", headers=headers).status_code == 403
    browser = signed_in(coordinator)
    assert browser.get(f"/professionals/{professional.id}").status_code == 403
    page = browser.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert professional.full_name in page and "Twi" in page
    for private in (professional.licences[0].number, "Not in school holidays", "Leeds",
                    "Loves teaching", professional.user.email):
        assert private not in page
    shown = browser.post(f"/missions/{mission.id}/contact")
    assert shown.status_code == 200 and professional.user.email in shown.get_data(as_text=True)
    assert len(contact_reads()) == 1


def test_show_contact_before_confirmation_explains_and_reads_nothing(
        make_facility, make_user, make_need, make_professional, propose, signed_in):
    mission, professional, coordinator = hosted(make_facility, make_user, make_need,
                                                make_professional, propose)
    browser = signed_in(coordinator)
    page = browser.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert "Show contact" not in page and "while the mission is confirmed" in page
    refused = browser.post(f"/missions/{mission.id}/contact", follow_redirects=True)
    assert "The contact is shared while the mission is confirmed" in refused.get_data(as_text=True)
    assert professional.user.email not in refused.get_data(as_text=True)
    assert contact_reads() == []


def test_the_professional_does_not_read_contacts_through_the_mission(
        make_facility, make_user, make_need, make_professional, propose, api_client):
    mission, professional, _coordinator = hosted(make_facility, make_user, make_need,
                                                 make_professional, propose)
    client, headers = api_client(professional.user)
    assert client.get(f"/api/v1/missions/{mission.id}/contact", headers=headers).status_code == 403


def test_managers_read_a_contact_one_at_a_time_with_a_purpose(
        make_facility, make_user, make_need, make_professional, propose, manager, api_client,
        signed_in):
    mission, professional, coordinator = hosted(make_facility, make_user, make_need,
                                                make_professional, propose)
    client, headers = api_client(manager)
    path = f"/api/v1/professionals/{professional.id}/contact"
    assert client.get(path, headers=headers).status_code == 422
    assert client.get(path + "?purpose=curiosity", headers=headers).status_code == 422
    assert client.get(path + "?purpose=proposal", headers=headers).json["phone"] == PHONE
    assert client.get(f"/api/v1/missions/{mission.id}/contact", headers=headers).status_code == 200
    assert client.get("/api/v1/professionals/999999/contact?purpose=proposal",
                      headers=headers).status_code == 404
    host_client, host_headers = api_client(coordinator)
    assert host_client.get(path + "?purpose=proposal", headers=host_headers).status_code == 403
    browser = signed_in(manager)
    page = browser.get(f"/professionals/{professional.id}").get_data(as_text=True)
    assert professional.user.email not in page and "Show contact" in page
    assert professional.user.email not in browser.post(
        f"/professionals/{professional.id}/contact", {}, follow_redirects=True).get_data(as_text=True)
    shown = browser.post(f"/professionals/{professional.id}/contact", {"purpose": "licence_check"})
    assert professional.user.email in shown.get_data(as_text=True)
    assert [r.detail for r in contact_reads()] == [
        {"purpose": "proposal"}, {"purpose": "mission", "mission": mission.id},
        {"purpose": "licence_check"}]


def test_coordinator_exports_name_only_professionals_of_confirmed_missions(
        make_facility, make_user, make_need, make_professional, propose, manager, signed_in):
    facility = make_facility()
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    declined, proposed, confirmed = (make_professional() for _ in range(3))
    first = propose(make_need(facility), declined)
    act(first, "decline", declined.user, reason="busy")
    propose(make_need(facility), proposed)
    went_ahead = propose(make_need(facility), confirmed, starts_on=date(2026, 5, 4))
    act(went_ahead, "accept", confirmed.user)
    act(went_ahead, "confirm", manager)
    host_csv = signed_in(coordinator).get("/dashboard/missions.csv").get_data(as_text=True)
    assert confirmed.full_name in host_csv
    assert declined.full_name not in host_csv and proposed.full_name not in host_csv
    assert host_csv.count("\n") == 4  # header and three missions: counted, unnamed
    manager_csv = signed_in(manager).get("/dashboard/missions.csv").get_data(as_text=True)
    assert declined.full_name in manager_csv and proposed.full_name in manager_csv
