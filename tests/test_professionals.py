"""A professional's profile: pages and API, validation, consent, ownership, audit."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from diaspora.audit import AuditEvent
from diaspora.extensions import db
from diaspora.professionals.models import Licence, Professional


def test_profile_edit_round_trip_through_the_form(signed_in, make_professional):
    professional = make_professional()
    browser = signed_in(professional.user)
    response = browser.post("/me/edit", {
        "given_name": "Ama", "family_name": "Owusu", "phone": "+44 7700 900123", "gender": "female",
        "cadre": "2222", "specialties": ["midwifery", "neonatology"],
        "skills": "Partograph,  neonatal   resuscitation, partograph",
        "country_of_origin": "GH", "country_of_residence": "NL", "city_of_residence": "Rotterdam",
        "timezone": "Europe/Amsterdam", "offers_virtual": "1",
        "languages-0-language": "en", "languages-0-proficiency": "native",
        "languages-1-language": "ee", "languages-1-proficiency": "native",
        "languages-2-language": "", "languages-2-proficiency": "professional",
    })
    assert response.status_code == 302
    db.session.expire_all()
    p = db.session.get(Professional, professional.id)
    assert (p.family_name, p.cadre, p.country_of_residence) == ("Owusu", "2222", "NL")
    assert [s.specialty for s in p.specialties] == ["midwifery", "neonatology"]
    assert [s.skill for s in p.skills] == ["neonatal resuscitation", "partograph"]
    assert [(lang.language, lang.proficiency) for lang in p.languages] == [("ee", "native"), ("en", "native")]
    assert (p.offers_physical, p.offers_virtual) == (False, True)
    assert round(p.latitude, 1) == 51.9  # Rotterdam


def test_profile_form_errors_keep_everything_and_change_nothing(signed_in, make_professional):
    professional = make_professional()
    browser = signed_in(professional.user)
    response = browser.post("/me/edit", {
        "given_name": "", "family_name": "Owusu", "cadre": "2212", "country_of_origin": "GH",
        "country_of_residence": "GB", "timezone": "Europe/London", "phone": "call me",
        "languages-0-language": "en", "languages-1-language": "en",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Missing data for required field" in page
    assert "Use digits, spaces" in page
    assert "List each language once" in page
    assert "Offer at least one mode" in page
    assert 'value="Owusu"' in page
    db.session.expire_all()
    assert db.session.get(Professional, professional.id).family_name == professional.family_name


def test_add_edit_and_remove_a_licence(signed_in, make_professional):
    professional = make_professional(licences=())
    browser = signed_in(professional.user)
    response = browser.post("/me/licences/new", {"country": "gh", "authority": "Medical and Dental Council",
                                                 "number": "MDC/1234", "valid_from": "2025-01-01",
                                                 "valid_until": "2027-12-31"})
    assert response.status_code == 302
    licence = db.session.scalar(sa.select(Licence))
    assert (licence.country, licence.valid_until) == ("GH", date(2027, 12, 31))

    bad = browser.post(f"/me/licences/{licence.id}", {"country": "GH", "authority": "MDC",
                                                     "number": "MDC/1234", "valid_from": "2027-01-01",
                                                     "valid_until": "2026-01-01"})
    assert bad.status_code == 422
    assert "must not be before its start" in bad.get_data(as_text=True)
    asked = browser.post(f"/me/licences/{licence.id}/delete")   # the Remove button asks again
    assert asked.status_code == 200 and "MDC/1234" in asked.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Licence.id))) == 1
    assert browser.post(f"/me/licences/{licence.id}/delete", {"confirmed": "1"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Licence.id))) == 0


def test_availability_window_needs_hours_for_online_work(signed_in, make_professional, clock):
    professional = make_professional(windows=())
    browser = signed_in(professional.user)
    response = browser.post("/me/windows/new", {"kind": "available", "mode": "virtual",
                                                "starts_on": "2026-05-01", "ends_on": "2026-06-30"})
    assert response.status_code == 422
    assert "hours a week" in response.get_data(as_text=True)
    response = browser.post("/me/windows/new", {"kind": "available", "mode": "virtual",
                                                "starts_on": "2026-05-01", "ends_on": "2026-06-30",
                                                "hours_per_week": "3"})
    assert response.status_code == 302
    db.session.expire_all()
    p = db.session.get(Professional, professional.id)
    assert len(p.windows) == 1 and p.availability_updated_at == clock()


def test_withdrawing_consent_is_recorded_with_history(signed_in, make_professional):
    professional = make_professional()
    browser = signed_in(professional.user)
    assert browser.post("/me/consent", {"given": "0"}).status_code == 302
    db.session.expire_all()
    p = db.session.get(Professional, professional.id)
    assert p.consent_given is False
    assert [c.given for c in p.consent_history] == [True, False]
    assert "withdrawn your consent" in browser.get("/me").get_data(as_text=True)


def test_a_professional_cannot_read_another_profile(signed_in, make_professional):
    mine, theirs = make_professional(), make_professional()
    browser = signed_in(mine.user)
    assert browser.get(f"/professionals/{theirs.id}").status_code == 403
    assert browser.get(f"/professionals/{mine.id}").status_code == 200
    denied = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "denied"))
    assert (denied.actor_id, denied.entity_id) == (mine.user.id, theirs.id)


def test_a_professional_cannot_edit_another_persons_licence(signed_in, make_professional):
    mine, theirs = make_professional(), make_professional()
    licence_id = theirs.licences[0].id
    browser = signed_in(mine.user)
    response = browser.post(f"/me/licences/{licence_id}", {"country": "GH", "authority": "X",
                                                          "number": "1", "valid_from": "2020-01-01",
                                                          "valid_until": "2030-01-01"})
    assert response.status_code == 404
    assert browser.post(f"/me/licences/{licence_id}/delete").status_code == 404


def test_manager_reads_are_audited_and_one_click_verification_is_gone(signed_in, make_professional):
    professional = make_professional()
    browser = signed_in("manager")
    assert browser.get(f"/professionals/{professional.id}").status_code == 200
    read = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "read",
                                                         AuditEvent.entity == "professional"))
    assert (read.actor_id, read.entity_id) == (browser.user.id, professional.id)
    licence = professional.licences[0]
    # verified means verified against a document (issue 18): no one-click mark any more
    assert browser.post(f"/professionals/{professional.id}/licences/{licence.id}/verify").status_code == 404
    db.session.refresh(licence)
    assert licence.verified_at is None and licence.verified_by_id is None


def test_registry_list_is_for_managers_only(signed_in, make_professional):
    make_professional(family_name="Quaye")
    manager = signed_in("manager")
    assert "Quaye" in manager.get("/professionals?q=quay").get_data(as_text=True)
    coordinator = signed_in("coordinator")
    assert coordinator.get("/professionals").status_code == 403


def test_api_self_service_profile(api_client, make_professional):
    professional = make_professional()
    client, headers = api_client(professional.user)
    me = client.get("/api/v1/professionals/me", headers=headers).json
    assert me["id"] == professional.id and me["specialties"] == ["obstetrics-gynaecology"]
    changed = client.patch("/api/v1/professionals/me", headers=headers,
                           json={"skills": ["Ultrasound"], "languages": [{"language": "fr"}]})
    assert changed.status_code == 200
    assert changed.json["skills"] == ["ultrasound"]
    assert changed.json["languages"] == [{"language": "fr", "proficiency": "professional"}]
    assert changed.json["family_name"] == professional.family_name  # PATCH keeps the rest


def test_api_validation_errors_are_field_level_422(api_client, make_professional):
    professional = make_professional()
    client, headers = api_client(professional.user)
    response = client.patch("/api/v1/professionals/me", headers=headers,
                            json={"cadre": "1234", "timezone": "Nowhere/City", "skills": "x" * 200})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert set(errors) == {"cadre", "timezone", "skills"}
    response = client.patch("/api/v1/professionals/me", headers=headers,
                            json={"offers_physical": False, "offers_virtual": False})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Professional, professional.id).offers_physical is True


def test_api_partial_update_cannot_leave_no_mode(api_client, make_professional):
    professional = make_professional(offers_virtual=False)
    client, headers = api_client(professional.user)
    response = client.patch("/api/v1/professionals/me", headers=headers, json={"offers_physical": False})
    assert response.status_code == 422
    assert "offers_virtual" in response.json["errors"]["json"]


def test_api_partial_update_gives_each_language_whole(api_client, make_professional):
    """A PATCH leaves out fields, not the parts of a language (found by schemathesis: a 500)."""
    professional = make_professional()
    client, headers = api_client(professional.user)
    response = client.patch("/api/v1/professionals/me", headers=headers,
                            json={"languages": [{"proficiency": "professional"}]})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["languages"] == {
        "0": {"language": ["Missing data for required field."]}}


def test_api_children_crud(api_client, make_professional):
    professional = make_professional(windows=())
    client, headers = api_client(professional.user)
    created = client.post("/api/v1/professionals/me/windows", headers=headers,
                          json={"kind": "blackout", "starts_on": "2026-08-01", "ends_on": "2026-08-15"})
    assert created.status_code == 201 and created.json["mode"] == "either"
    window_id = created.json["id"]
    bad = client.patch(f"/api/v1/professionals/me/windows/{window_id}", headers=headers,
                       json={"ends_on": "2026-07-01"})
    assert bad.status_code == 422 and "ends_on" in bad.json["errors"]["json"]
    assert client.delete(f"/api/v1/professionals/me/windows/{window_id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/professionals/me/windows/{window_id}", headers=headers).status_code == 404


def test_api_professionals_list_is_denied_to_coordinators_and_audited(api_client, make_professional):
    make_professional()
    client, headers = api_client(role="coordinator")
    assert client.get("/api/v1/professionals", headers=headers).status_code == 403
    client, headers = api_client(role="manager")
    response = client.get("/api/v1/professionals?page_size=5", headers=headers)
    assert response.status_code == 200 and len(response.json) == 1
    assert '"total": 1' in response.headers["X-Pagination"]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.entity == "professional_list")) == 1


def test_api_consent_withdrawal(api_client, make_professional):
    professional = make_professional()
    client, headers = api_client(professional.user)
    response = client.put("/api/v1/professionals/me/consent", headers=headers, json={"given": False})
    assert response.status_code == 200 and response.json["consent_given"] is False
    assert client.put("/api/v1/professionals/me/consent", headers=headers, json={}).status_code == 422
