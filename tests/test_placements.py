"""Partners, host health workers, placements abroad: offers, nominations, the lifecycle with its
readiness checklist, the no-overlap guarantee, return, follow-ups, counterparts, privacy."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.extensions import db
from diaspora.partners import services as partners
from diaspora.workforce import services as workforce
from missions.core import lifecycle
from missions.dashboards.fhir import workforce_bundle
from missions.dashboards.filters import Filters
from missions.notifications.models import Notification
from missions.placements import counterparts, figures, reminders, services
from missions.placements.models import Placement
from missions.placements.vocabulary import ChecklistItem

from .conftest import START, later
from .placement_factories import make_offer, make_partner, make_worker


@pytest.fixture
def setting(make_user, make_facility, manager):
    facility = make_facility(name="Tamale Teaching Hospital")
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    partner = make_partner(manager)
    return {"facility": facility, "coordinator": coordinator, "manager": manager,
            "partner": partner, "offer": make_offer(manager, partner),
            "worker": make_worker(coordinator, facility)}


def go_to(placement, status, setting, *, returned_on=None):
    """Drive a nominated placement to ``status`` through the services."""
    manager, coordinator = setting["manager"], setting["coordinator"]
    steps = ["select", "confirm", "ready", "depart", "return", "report", "close"]
    targets = ["selected", "confirmed", "ready", "abroad", "completed", "reported", "closed"]
    for action, target in zip(steps, targets):
        if targets.index(target) <= targets.index(placement.status) if placement.status in \
                targets else False:
            continue
        if action == "ready":
            for item in ChecklistItem.codes():
                services.tick(db.session, placement, item, True, actor=coordinator, now=START)
        services.transition(db.session, placement, action, actor=manager, now=START,
                            reason="Learned a lot" if action == "report" else None,
                            returned_on=returned_on)
        if target == status:
            return placement
    raise AssertionError(status)


def test_the_lifecycle_from_nomination_to_close(setting):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START, note="Strong candidate")
    assert (placement.status, placement.starts_on, placement.service_months) == \
        ("nominated", date(2026, 9, 1), 24)
    services.transition(db.session, placement, "select", actor=setting["manager"], now=START)
    assert len(placement.checklist) == len(ChecklistItem)
    services.transition(db.session, placement, "confirm", actor=setting["manager"], now=START)
    with pytest.raises(Conflict) as refused:
        services.transition(db.session, placement, "ready", actor=setting["manager"], now=START)
    assert set(refused.value.extra["missing"]) == set(ChecklistItem.codes())
    go_to(placement, "closed", setting, returned_on=date(2026, 12, 1))
    assert [e.to_status for e in placement.events] == [
        "nominated", "selected", "confirmed", "ready", "abroad", "completed", "reported", "closed"]
    assert [(f.months, f.due_at.date()) for f in placement.follow_ups] == [
        (6, date(2027, 6, 1)), (12, date(2027, 12, 1)), (24, date(2028, 12, 1))]
    assert services.service_ends_on(placement) == date(2028, 12, 1)
    assert placement.report == "Learned a lot"


def test_who_may_act(setting, make_user, make_facility):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    with pytest.raises(Forbidden):   # a coordinator does not select
        services.transition(db.session, placement, "select", actor=setting["coordinator"], now=START)
    stranger = make_user("coordinator")
    elsewhere = make_facility()
    elsewhere.coordinators.append(stranger)
    db.session.commit()
    with pytest.raises(Forbidden):   # nor nominates another facility's staff
        services.nominate(db.session, make_offer(setting["manager"], setting["partner"]),
                          setting["worker"], actor=stranger, now=START)
    assert services.available_actions(db.session, placement, setting["coordinator"]) == ["cancel"]
    assert services.available_actions(db.session, placement, setting["manager"]) == \
        ["select", "decline", "cancel"]


def test_bad_nominations_are_refused(setting):
    nurse = make_worker(setting["coordinator"], setting["facility"], cadre="2221")
    with pytest.raises(Invalid) as wrong_cadre:
        services.nominate(db.session, setting["offer"], nurse, actor=setting["coordinator"], now=START)
    assert "worker_id" in wrong_cadre.value.errors
    unconsenting = make_worker(setting["coordinator"], setting["facility"], consent_given=False)
    with pytest.raises(Invalid):
        services.nominate(db.session, setting["offer"], unconsenting,
                          actor=setting["coordinator"], now=START)
    services.nominate(db.session, setting["offer"], setting["worker"],
                      actor=setting["coordinator"], now=START)
    with pytest.raises(Conflict):
        services.nominate(db.session, setting["offer"], setting["worker"],
                          actor=setting["coordinator"], now=START)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 1


def test_one_worker_is_never_on_two_overlapping_placements(setting):
    overlapping = make_offer(setting["manager"], setting["partner"], title="Neonatal care",
                             starts_on=date(2026, 11, 1), ends_on=date(2027, 1, 31))
    first = services.nominate(db.session, setting["offer"], setting["worker"],
                              actor=setting["coordinator"], now=START)
    second = services.nominate(db.session, overlapping, setting["worker"],
                               actor=setting["coordinator"], now=START)
    services.transition(db.session, first, "select", actor=setting["manager"], now=START)
    with pytest.raises(Conflict) as clash:
        services.transition(db.session, second, "select", actor=setting["manager"], now=START)
    assert clash.value.extra["conflicting_placement"] == first.id
    db.session.expire_all()
    assert db.session.get(Placement, second.id).status == "nominated"
    # The database refuses it whatever writes the row.
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.execute(sa.update(Placement).where(Placement.id == second.id)
                               .values(status="selected"))
    # Once the first is cancelled, the second may go ahead.
    services.transition(db.session, db.session.get(Placement, first.id), "cancel",
                        actor=setting["coordinator"], now=START, reason="Family matters")
    services.transition(db.session, db.session.get(Placement, second.id), "select",
                        actor=setting["manager"], now=START)


def test_an_offer_has_as_many_places_as_its_capacity(setting):
    offer = make_offer(setting["manager"], setting["partner"], capacity=1)
    placements = [services.nominate(db.session, offer,
                                    make_worker(setting["coordinator"], setting["facility"]),
                                    actor=setting["coordinator"], now=START) for _ in range(2)]
    services.transition(db.session, placements[0], "select", actor=setting["manager"], now=START)
    with pytest.raises(Conflict):
        services.transition(db.session, placements[1], "select", actor=setting["manager"], now=START)
    assert services.places_left(db.session, offer) == 0


def test_unticking_makes_a_ready_placement_confirmed_again(setting):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    go_to(placement, "ready", setting)
    services.tick(db.session, placement, "visa", False, actor=setting["coordinator"], now=START)
    assert placement.status == "confirmed"
    assert services.missing_items(placement) == ["visa"]


def test_safeguards_list_countries_are_flagged(setting, make_facility, make_user):
    admin = make_user("admin")
    listed = make_worker(admin, make_facility(country="SL"))       # on the WHO list 2023
    unlisted = make_worker(admin, make_facility(country="ZA"))     # not on it
    flags = [services.nominate(db.session, setting["offer"], worker, actor=admin,
                               now=START).safeguards_flag for worker in (listed, unlisted)]
    assert flags == [True, False]


def test_follow_ups_open_a_week_before_and_are_reminded(setting, app):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    go_to(placement, "completed", setting, returned_on=date(2026, 12, 1))
    six = services.get_follow_up(placement, 6)
    with pytest.raises(Conflict):
        services.answer_follow_up(db.session, six, {"in_post": True, "colleagues_trained": 4},
                                  actor=setting["coordinator"], now=START)
    due = six.due_at
    reminded = list(reminders.follow_ups_due(db.session, due + timedelta(days=1)))
    assert [(r.kind, r.user_id, r.payload["months"]) for r in reminded] == [
        (reminders.KIND, setting["coordinator"].id, 6)]
    services.answer_follow_up(db.session, six, {"in_post": True, "colleagues_trained": 4},
                              actor=setting["coordinator"], now=due - timedelta(days=3))
    assert list(reminders.follow_ups_due(db.session, due + timedelta(days=1))) == []


def test_named_counterparts_give_a_training_history(setting, make_need, make_professional,
                                                    propose, make_facility):
    mission = propose(make_need(setting["facility"]), make_professional())
    worker = setting["worker"]
    counterparts.add_counterpart(db.session, mission, worker, actor=setting["coordinator"],
                                 now=START)
    with pytest.raises(Conflict):
        counterparts.add_counterpart(db.session, mission, worker, actor=setting["coordinator"],
                                     now=START)
    elsewhere = make_worker(setting["manager"], make_facility())
    with pytest.raises(Invalid):
        counterparts.add_counterpart(db.session, mission, elsewhere, actor=setting["manager"],
                                     now=START)
    placement = services.nominate(db.session, setting["offer"], worker,
                                  actor=setting["coordinator"], now=START)
    history = counterparts.history_of(db.session, worker)
    assert history.missions == [mission] and history.placements == [placement]
    assert counterparts.counterparts_of(db.session, mission) == [worker]


def test_coordinators_see_their_own_staff_only(setting, make_user, make_facility):
    other = make_user("coordinator")
    elsewhere = make_facility()
    elsewhere.coordinators.append(other)
    db.session.commit()
    assert workforce.list_workers(db.session, other) == []
    assert workforce.list_workers(db.session, setting["coordinator"]) == [setting["worker"]]
    with pytest.raises(Forbidden):
        workforce.get_worker(db.session, setting["worker"].id, actor=other)


def test_self_registration_waits_for_the_coordinator(setting):
    worker = workforce.register_self(db.session, {
        "facility_id": setting["facility"].id, "given_name": "Kofi", "family_name": "Boateng",
        "cadre": "2221", "gender": "male", "consent_given": True}, now=START)
    assert not worker.active
    workforce.confirm(db.session, worker, actor=setting["coordinator"], now=later(1))
    assert worker.active
    with pytest.raises(Invalid):
        workforce.register_self(db.session, {
            "facility_id": setting["facility"].id, "given_name": "Esi", "family_name": "Asante",
            "cadre": "2221", "consent_given": False}, now=START)


def test_erasure_and_export_cover_host_health_workers(setting):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START, note="Private remark")
    exported = workforce.export_worker(db.session, setting["worker"], actor=setting["coordinator"],
                                       now=START)
    assert exported["worker"]["family_name"] == "Owusu"
    assert exported["training"]["placements"][0]["nomination_note"] == "Private remark"
    go_to(placement, "confirmed", setting)
    with pytest.raises(Conflict):   # under way
        workforce.erase_worker(db.session, setting["worker"], actor=setting["manager"], now=START)
    with pytest.raises(Forbidden):
        workforce.erase_worker(db.session, setting["worker"], actor=setting["coordinator"], now=START)
    services.transition(db.session, placement, "cancel", actor=setting["manager"], now=START,
                        reason="Visa refused")
    workforce.erase_worker(db.session, setting["worker"], actor=setting["manager"], now=START)
    db.session.expire_all()
    worker = db.session.get(type(setting["worker"]), setting["worker"].id)
    assert (worker.family_name, worker.email, worker.consent_given) == ("—", None, False)
    assert db.session.get(Placement, placement.id).nomination_note is None
    assert workforce.list_workers(db.session, setting["coordinator"]) == []


def test_api_bad_input_answers_4xx_with_field_messages(setting, api_client):
    client, headers = api_client(setting["manager"])
    response = client.post("/api/v1/placement-offers", headers=headers, json={
        "partner_id": setting["partner"].id, "title": "x", "cadre": "9999",
        "starts_on": "2026-09-01", "ends_on": "2026-08-01", "language": "en", "capacity": 0})
    assert response.status_code == 422
    fields = response.get_json()["errors"]["json"]
    assert {"title", "cadre", "capacity"} <= set(fields)
    response = client.post("/api/v1/partners", headers=headers,
                           json={"name": "X hospital", "country": "ZZ", "kind": "castle"})
    assert response.status_code == 422
    assert {"country", "kind"} <= set(response.get_json()["errors"]["json"])
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    response = client.post(f"/api/v1/placements/{placement.id}/decline", headers=headers, json={})
    assert response.status_code == 422 and "reason" in response.get_json()["errors"]["json"]
    response = client.post(f"/api/v1/placements/{placement.id}/close", headers=headers, json={})
    assert response.status_code == 409
    assert response.get_json()["current_status"] == "nominated"


def test_api_coordinators_see_their_own_staff_only(setting, api_client, make_user, make_facility):
    other = make_user("coordinator")
    elsewhere = make_facility()
    elsewhere.coordinators.append(other)
    db.session.commit()
    client, headers = api_client(other)
    assert client.get("/api/v1/host-workers", headers=headers).get_json() == []
    assert client.get(f"/api/v1/host-workers/{setting['worker'].id}",
                      headers=headers).status_code == 403
    response = client.post("/api/v1/host-workers", headers=headers, json={
        "facility_id": setting["facility"].id, "given_name": "Kofi", "family_name": "Mensah",
        "cadre": "2221", "consent_given": True})
    assert response.status_code == 403
    response = client.post(f"/api/v1/placement-offers/{setting['offer'].id}/nominations",
                           headers=headers, json={"worker_id": setting["worker"].id})
    assert response.status_code == 403
    ours, our_headers = api_client(setting["coordinator"])
    listed = ours.get("/api/v1/host-workers", headers=our_headers).get_json()
    assert [w["id"] for w in listed] == [setting["worker"].id]
    response = ours.post(f"/api/v1/placement-offers/{setting['offer'].id}/nominations",
                         headers=our_headers, json={"worker_id": setting["worker"].id})
    assert response.status_code == 201 and response.get_json()["status"] == "nominated"


def test_the_pages_re_render_bad_forms_with_messages(setting, signed_in):
    browser = signed_in(setting["manager"])
    response = browser.post("/placements/offers/new", {"partner_id": setting["partner"].id,
                                                       "title": "Fellowship", "cadre": "2222",
                                                       "starts_on": "2026-09-01"})
    assert response.status_code == 422
    assert "Please correct the following" in response.get_data(as_text=True)
    response = signed_in(setting["coordinator"]).post("/staff/new", {
        "facility_id": setting["facility"].id, "given_name": "", "cadre": "2222"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(type(setting["worker"]))) == 1


def test_fhir_names_trained_host_workers_only_with_consent(setting, make_need, make_professional,
                                                            propose):
    mission = propose(make_need(setting["facility"]), make_professional())
    silent = make_worker(setting["coordinator"], setting["facility"], family_name="Silent")
    for worker in (setting["worker"], silent):
        counterparts.add_counterpart(db.session, mission, worker, actor=setting["coordinator"],
                                     now=START)
    silent.consent_given = False
    db.session.commit()
    lifecycle.transition(db.session, mission, "accept", actor=mission.professional.user, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=setting["manager"], now=START)
    bundle = json.loads(workforce_bundle(db.session, now=START))
    names = [entry["resource"]["name"][0]["family"] for entry in bundle["entry"]
             if entry["resource"]["id"].startswith("host-worker-")
             and entry["resource"]["resourceType"] == "Practitioner"]
    assert names == ["Owusu"]


def test_a_professionals_employer_is_a_partner(setting, api_client, make_professional, signed_in):
    doctor = make_professional()
    client, headers = api_client(setting["manager"])
    response = client.put(f"/api/v1/professionals/{doctor.id}/employer", headers=headers,
                          json={"partner_id": setting["partner"].id, "since": "2020-01-01"})
    assert response.status_code == 204
    assert partners.employer_of(db.session, doctor) == setting["partner"]
    page = signed_in(setting["manager"]).get(f"/partners/{setting['partner'].id}")
    assert doctor.full_name in page.get_data(as_text=True)
    assert client.put(f"/api/v1/professionals/{doctor.id}/employer", headers=headers,
                      json={"partner_id": None}).status_code == 204
    assert partners.employer_of(db.session, doctor) is None
    assert client.put("/api/v1/professionals/999999/employer", headers=headers,
                      json={"partner_id": None}).status_code == 404


def test_the_home_coordinators_are_told_in_their_inbox(setting, signed_in):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    services.transition(db.session, placement, "select", actor=setting["manager"], now=START)
    services.transition(db.session, placement, "postpone", actor=setting["manager"], now=START,
                        reason="Visa delayed")
    notices = db.session.scalars(sa.select(Notification).where(
        Notification.user_id == setting["coordinator"].id).order_by(Notification.id)).all()
    assert [n.kind for n in notices] == ["placement_selected", "placement_postponed"]
    inbox = signed_in(setting["coordinator"]).get("/inbox").get_data(as_text=True)
    assert "Placement postponed: Abena Owusu" in inbox and "Visa delayed" in inbox


def test_a_withdrawn_offer_takes_no_more_nominations_or_selections(setting, api_client):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    client, headers = api_client(setting["manager"])
    response = client.post(f"/api/v1/placement-offers/{setting['offer'].id}/withdraw",
                           headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "withdrawn"
    assert client.post(f"/api/v1/placement-offers/{setting['offer'].id}/withdraw",
                       headers=headers).status_code == 409
    db.session.expire_all()
    with pytest.raises(Conflict):
        services.transition(db.session, db.session.get(Placement, placement.id), "select",
                            actor=setting["manager"], now=START)
    with pytest.raises(Conflict):
        services.nominate(db.session, setting["offer"],
                          make_worker(setting["coordinator"], setting["facility"]),
                          actor=setting["coordinator"], now=START)


def test_placement_figures_keep_to_the_viewers_facilities(setting, make_user, make_facility):
    placement = services.nominate(db.session, setting["offer"], setting["worker"],
                                  actor=setting["coordinator"], now=START)
    go_to(placement, "confirmed", setting)
    other = make_user("coordinator")
    elsewhere = make_facility()
    elsewhere.coordinators.append(other)
    db.session.commit()
    ours = figures.compute(db.session, Filters(coordinator_id=setting["coordinator"].id))
    theirs = figures.compute(db.session, Filters(coordinator_id=other.id))
    assert ours.placements == 1 and sum(ours.by_cadre.values()) == 1
    assert theirs.placements == 0 and theirs.chain_by_facility == {}
