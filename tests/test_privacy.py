"""Privacy rights, the audit log, the WHO safeguards list and the registry's export rules."""
from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from diaspora.audit import AuditEvent
from diaspora.auth.models import User
from diaspora.extensions import db
from diaspora.professionals.models import Licence, Professional
from diaspora.safeguards import is_listed
from missions.core.models import Mission

from .conftest import PASSWORD, START


def test_a_person_downloads_everything_held_about_them(signed_in, make_professional, make_need, propose,
                                                       test_programme):
    professional = make_professional(phone="+233 20 000 0000", programmes=[test_programme()])
    propose(make_need(), professional)
    signed_in("manager").get(f"/professionals/{professional.id}")  # a read by someone else
    browser = signed_in(professional.user)
    response = browser.get("/me/data.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == professional.user.email
    assert data["professional"]["phone"] == "+233 20 000 0000"
    assert data["professional"]["licences"][0]["country"] == "GH"
    assert sorted((c["programme_id"] or 0, c["given"]) for c in data["consent_history"]) == \
        [(0, True), (test_programme().id, True)]   # the registry's, the programme's
    assert data["missions"][0]["status"] == "proposed"
    assert {"action": "read", "by_role": "manager"}.items() <= data["reads_and_changes_by_others"][0].items()
    assert "password" not in json.dumps(data["account"])


def test_erasure_removes_personal_data_and_keeps_counts(signed_in, make_professional, make_need,
                                                        propose):
    professional = make_professional(phone="+44 1", city_of_residence="Leeds")
    mission = propose(make_need(), professional)
    user_id, professional_id = professional.user.id, professional.id
    browser = signed_in(professional.user)
    wrong = browser.post("/me/erase", {"password": "not-my-password", "confirm": "ERASE"})
    assert wrong.status_code == 422
    response = browser.post("/me/erase", {"password": PASSWORD, "confirm": "ERASE"})
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user_id)
    person = db.session.get(Professional, professional_id)
    assert user.erased_at is not None and user.active is False
    assert user.email == f"erased-{user_id}@erased.invalid"
    assert (person.phone, person.city_of_residence, person.latitude, person.consent_given) == (None, None, None, False)
    assert person.family_name == f"#{professional_id}" and person.cadre == "2212"
    assert db.session.scalar(sa.select(sa.func.count(Licence.id))) == 0
    assert db.session.get(Mission, mission.id).status == "cancelled"  # pending proposal withdrawn
    assert browser.get("/me").status_code == 302  # signed out for good
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "erase")).entity_id == user_id


def test_erasure_waits_for_a_running_mission(signed_in, make_professional, make_need, propose, manager):
    from missions.core.lifecycle import transition

    professional = make_professional()
    mission = propose(make_need(), professional)
    transition(db.session, mission, "accept", actor=professional.user, now=START)
    transition(db.session, mission, "confirm", actor=manager, now=START)
    browser = signed_in(professional.user)
    response = browser.post("/me/erase", {"password": PASSWORD, "confirm": "ERASE"})
    assert response.status_code == 422
    assert "must be cancelled or completed first" in response.get_data(as_text=True)
    assert db.session.get(User, professional.user.id).erased_at is None


def test_api_export_and_erasure(api_client, make_professional):
    professional = make_professional()
    client, headers = api_client(professional.user)
    exported = client.get("/api/v1/users/me/export", headers=headers)
    assert exported.status_code == 200 and exported.json["professional"]["id"] == professional.id
    assert client.post("/api/v1/users/me/erase", headers=headers, json={"password": "nope"}).status_code == 422
    assert client.post("/api/v1/users/me/erase", headers=headers, json={"password": PASSWORD}).status_code == 204
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401  # tokens revoked


def test_admin_acts_on_a_request_and_others_cannot(signed_in, make_professional, make_user):
    professional = make_professional()
    assert signed_in("manager").get(f"/admin/users/{professional.user.id}/data.json").status_code == 403
    admin = signed_in("admin")
    assert admin.get(f"/admin/users/{professional.user.id}/data.json").status_code == 200
    assert admin.post(f"/admin/users/{professional.user.id}/erase").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, professional.user.id).erased_at is not None


def test_retention_lists_and_erases_inactive_accounts(runner, make_user, make_professional, clock, app):
    stale = make_professional()
    stale.user.last_login_at = START - timedelta(days=app.config["RETENTION_INACTIVE_DAYS"] + 1)
    fresh = make_professional()
    fresh.user.last_login_at = START
    db.session.commit()
    listed = runner.invoke(args=["diaspora", "retention"])
    assert f"{stale.user.id}\tprofessional" in listed.output and "1 account(s)" in listed.output
    assert db.session.get(User, stale.user.id).erased_at is None
    applied = runner.invoke(args=["diaspora", "retention", "--apply"])
    assert "erased" in applied.output
    db.session.expire_all()
    assert db.session.get(User, stale.user.id).erased_at is not None
    assert db.session.get(User, fresh.user.id).erased_at is None


def test_audit_log_is_for_admins_and_filters(signed_in, make_professional):
    professional = make_professional()
    signed_in("manager").get(f"/professionals/{professional.id}")
    assert signed_in("manager").get("/admin/audit").status_code == 403
    admin = signed_in("admin")
    page = admin.get(f"/admin/audit?action=read&entity=professional&entity_id={professional.id}").get_data(as_text=True)
    assert "read" in page and "professional" in page
    assert admin.get("/admin/audit?since=not-a-date").status_code == 200


def test_registry_export_has_no_contact_data_and_contact_requests_are_denied(signed_in, make_professional):
    professional = make_professional(phone="+44 7700 900999")
    manager = signed_in("manager")
    response = manager.get("/professionals/export.csv")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "text/csv" in response.content_type
    assert professional.user.email not in body and "900999" not in body
    assert body.lstrip("\ufeff").startswith("id,cadre,specialties")
    denied = manager.get("/professionals/export.csv?include=contacts")
    assert denied.status_code == 403
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "denied"))
    assert event.detail == {"export": "contacts"}
    assert signed_in("coordinator").get("/professionals/export.csv").status_code == 403


def test_admin_updates_the_safeguards_list(signed_in, app):
    assert is_listed("GH") and not is_listed("KE")
    admin = signed_in("admin")
    bad = admin.post("/admin/safeguards", {"name": "WHO list 2026", "source": "WHO",
                                           "countries": "GH, XX"})
    assert bad.status_code == 422 and "Unknown country code: XX" in bad.get_data(as_text=True)
    good = admin.post("/admin/safeguards", {"name": "WHO list 2026", "source": "WHO 2026",
                                            "published": "2026-05-01", "countries": "KE, gh"})
    assert good.status_code == 302
    with app.app_context():  # a new context reads the list again
        assert is_listed("KE") and is_listed("GH") and not is_listed("SN")
    page = admin.get("/admin/safeguards").get_data(as_text=True)
    assert "In force: WHO list 2026" in page


def test_safeguard_flag_is_shown_on_facilities_needs_and_missions(signed_in, make_facility, make_need,
                                                                  make_professional, propose):
    ghana = make_facility(country="GH")
    need = make_need(ghana)
    mission = propose(need, make_professional())
    manager = signed_in("manager")
    assert "WHO health workforce support and safeguards list" in manager.get(f"/facilities/{ghana.id}").get_data(as_text=True)
    assert "WHO health workforce safeguards list" in manager.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "WHO health workforce safeguards list" in manager.get(f"/missions/{mission.id}").get_data(as_text=True)
    kenya = make_facility(country="KE", timezone="Africa/Nairobi")
    assert "safeguards list" not in manager.get(f"/facilities/{kenya.id}").get_data(as_text=True)


def test_the_export_and_the_audit_log_name_who_read_the_data(signed_in, make_professional, make_need,
                                                             make_facility, make_user, propose,
                                                             manager, api_client):
    from missions.core.lifecycle import transition

    facility = make_facility()
    coordinator = make_user("coordinator", name="Kojo Host")
    facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional()
    mission = propose(make_need(facility), professional)
    transition(db.session, mission, "accept", actor=professional.user, now=START)
    transition(db.session, mission, "confirm", actor=manager, now=START)
    reader = make_user("manager", name="Efua Reader")
    client, headers = api_client(reader)
    client.get(f"/api/v1/professionals/{professional.id}/contact?purpose=proposal", headers=headers)
    host, host_headers = api_client(coordinator)
    host.get(f"/api/v1/missions/{mission.id}/contact", headers=host_headers)
    signed_in(reader).get(f"/professionals/{professional.id}")

    data = json.loads(signed_in(professional.user).get("/me/data.json").get_data(as_text=True))
    reads = [(r["by"], r["by_role_label"], r["what"], r["detail"])
             for r in data["reads_and_changes_by_others"]]
    assert reads == [("Efua Reader", "Programme manager", "contact (e-mail and phone) read",
                      "before proposing a mission"),
                     ("Kojo Host", "Facility coordinator", "contact (e-mail and phone) read",
                      f"for a mission; mission {mission.id}"),
                     ("Efua Reader", "Programme manager", "profile read", "")]
    history = data["missions"][0]["history"]
    assert [(h["to"], h["by"]) for h in history] == [
        ("proposed", manager.name), ("accepted", professional.user.name), ("confirmed", manager.name)]

    page = signed_in("admin").get("/admin/audit?entity=contact").get_data(as_text=True)
    assert "Kojo Host" in page and "Facility coordinator" in page and "Efua Reader" in page
    assert f"for a mission; mission {mission.id}" in page and "before proposing a mission" in page
    assert "&#34;purpose&#34;" not in page and '"purpose"' not in page   # words, not JSON
