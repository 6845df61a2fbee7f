"""The mission lifecycle, readiness, contact visibility, circular engagements, and bookings
that never overlap — checked in the service and in the database itself."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.extensions import db
from diaspora.needs.models import Need
from missions.core import lifecycle, proposals
from missions.core.models import Booking, Mission

from .conftest import START, later, make_app
from .test_documents import tick_the_rest, verify_licence_for


def act(mission, action, actor, reason=None, now=START):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=now, reason=reason)


def tick_all(mission, actor):
    """The items ticked by hand, and the licence verified against a document (issue 18)."""
    if "licence_verified" not in lifecycle.tickable_items(db.session, mission, actor):
        verify_licence_for(mission.professional, actor)
    tick_the_rest(mission, actor)


def test_full_lifecycle_with_history(make_need, make_professional, propose, manager, clock):
    professional = make_professional()
    need = make_need()
    mission = propose(need, professional)
    assert (mission.status, mission.cycle, need.status) == ("proposed", 1, "approved")
    act(mission, "accept", professional.user)
    assert need.status == "matched"
    act(mission, "confirm", manager)
    tick_all(mission, manager)
    act(mission, "ready", manager)
    with pytest.raises(Conflict):  # not before it starts
        act(mission, "start", manager)
    act(mission, "start", lifecycle.SCHEDULER, now=mission.starts_at)
    act(mission, "complete", lifecycle.SCHEDULER, now=mission.ends_at)
    assert need.status == "fulfilled"
    assert [(e.from_status, e.to_status, e.actor_label) for e in mission.events] == [
        (None, "proposed", "manager"), ("proposed", "accepted", "professional"),
        ("accepted", "confirmed", "manager"), ("confirmed", "ready", "manager"),
        ("ready", "in_progress", "scheduler"), ("in_progress", "completed", "scheduler")]


def test_physical_mission_spans_whole_days_in_the_host_zone(make_need, make_facility,
                                                            make_professional, propose,
                                                            test_programme):
    maputo = make_facility(country="MZ", timezone="Africa/Maputo")
    need = make_need(maputo, programme_id=test_programme().id)  # within the manager's reach
    mission = propose(need, make_professional(licences=(("MZ", date(2025, 1, 1), date(2027, 1, 1)),)),
                      starts_on=date(2026, 4, 6))
    assert mission.starts_at == datetime(2026, 4, 5, 22, 0, tzinfo=UTC)  # midnight UTC+2
    assert (mission.starts_on, mission.ends_on) == (date(2026, 4, 6), date(2026, 4, 19))


def test_illegal_transition_is_409_with_current_status(make_need, make_professional, propose, manager):
    mission = propose(make_need(), make_professional())
    with pytest.raises(Conflict) as raised:
        act(mission, "confirm", manager)
    assert raised.value.extra["current_status"] == "proposed"


def test_only_the_professional_accepts_and_decline_needs_a_reason(make_need, make_professional,
                                                                  propose, manager, make_user):
    professional, other = make_professional(), make_professional()
    mission = propose(make_need(), professional)
    with pytest.raises(Forbidden):
        act(mission, "accept", other.user)
    with pytest.raises(Forbidden):
        act(mission, "accept", manager)
    with pytest.raises(Invalid):
        act(mission, "decline", professional.user, reason="  ")
    act(mission, "decline", professional.user, reason="Family commitments")
    assert mission.status == "declined" and mission.status_reason == "Family commitments"
    assert all(not b.active for b in mission.bookings)


def test_ready_needs_the_whole_checklist(make_need, make_professional, propose, manager):
    professional = make_professional()
    mission = propose(make_need(), professional)
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    lifecycle.tick(db.session, mission, "insurance", True, actor=professional.user, now=START)
    with pytest.raises(Conflict) as raised:
        act(mission, "ready", manager)
    assert "orientation" in raised.value.extra["missing"]
    with pytest.raises(Forbidden):  # orientation is the programme's to confirm
        lifecycle.tick(db.session, mission, "orientation", True, actor=professional.user, now=START)
    assert {c.item for c in mission.checklist} == {"orientation", "insurance", "licence_verified",
                                                   "terms_agreed", "travel_booked",
                                                   "counterpart_assigned"}


def test_physical_clinical_mission_needs_a_licence_valid_every_day(make_need, make_professional, propose):
    lapsing = make_professional(licences=(("GH", date(2025, 1, 1), date(2026, 4, 10)),))
    with pytest.raises(Invalid):
        propose(make_need(), lapsing, starts_on=date(2026, 4, 6))
    foreign_only = make_professional(licences=(("GB", date(2025, 1, 1), date(2030, 1, 1)),))
    with pytest.raises(Invalid):
        propose(make_need(), foreign_only)
    # teaching does not need a host licence
    assert propose(make_need(purpose="teaching"), foreign_only).status == "proposed"


def test_withdrawn_consent_cannot_be_proposed_and_cancels_pending(make_need, make_professional,
                                                                  propose, signed_in):
    professional = make_professional()
    mission = propose(make_need(), professional)
    browser = signed_in(professional.user)
    browser.post("/me/consent", {"given": "0"})
    db.session.expire_all()
    mission = db.session.get(Mission, mission.id)
    assert mission.status == "cancelled" and mission.status_reason == "consent withdrawn"
    with pytest.raises(Invalid):
        propose(make_need(), db.session.get(type(professional), professional.id))


def test_double_booking_is_refused_naming_the_other_mission(make_need, make_professional, propose):
    professional = make_professional()
    first = propose(make_need(), professional, starts_on=date(2026, 4, 6))
    with pytest.raises(Conflict) as raised:
        propose(make_need(), professional, starts_on=date(2026, 4, 15))
    assert raised.value.extra["conflicting_mission"] == first.id
    # back to back is fine: [start, end) ranges
    assert propose(make_need(), professional, starts_on=date(2026, 4, 20)).status == "proposed"


def test_a_declined_mission_frees_the_time(make_need, make_professional, propose):
    professional = make_professional()
    first = propose(make_need(), professional)
    act(first, "decline", professional.user, reason="busy")
    assert propose(make_need(), professional).status == "proposed"


def test_the_database_itself_refuses_overlapping_bookings(make_need, make_professional, propose):
    professional = make_professional()
    mission = propose(make_need(), professional)
    db.session.add(Booking(professional_id=professional.id, mission_id=mission.id,
                           starts_at=later(days=36), ends_at=later(days=40)))
    with pytest.raises((sa.exc.IntegrityError, sa.exc.DatabaseError)):
        db.session.flush()
    db.session.rollback()
    # inactive bookings do not count
    db.session.add(Booking(professional_id=professional.id, mission_id=mission.id, active=False,
                           starts_at=later(days=36), ends_at=later(days=40)))
    db.session.commit()


def test_virtual_sessions_book_time_and_clash_with_physical_missions(make_need, make_professional,
                                                                     propose):
    professional = make_professional()
    virtual_need = make_need(mode="virtual", purpose="teaching", duration_days=None,
                             sessions_per_week=1, weeks=4, session_hours=1.5)
    series = propose(virtual_need, professional, kind="virtual", starts_on=date(2026, 4, 7),
                     weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=4)
    assert len(series.sessions) == 4 and len(series.bookings) == 4
    assert series.sessions[0].starts_at == datetime(2026, 4, 7, 14, 0, tzinfo=UTC)
    with pytest.raises(Conflict) as raised:
        propose(make_need(), professional, starts_on=date(2026, 4, 13))  # covers the 14 April session
    assert raised.value.extra["conflicting_mission"] == series.id
    # a second series at another hour the same day fits between the sessions
    other = propose(make_need(mode="virtual", purpose="teaching", duration_days=None,
                              sessions_per_week=1, weeks=4, session_hours=1),
                    professional, kind="virtual", starts_on=date(2026, 4, 7), weekdays=["TU"],
                    session_start=time(16, 0), session_minutes=60, weeks=4)
    assert other.status == "proposed"


def test_circular_engagement_counts_cycles(make_need, make_facility, make_professional, propose, manager):
    facility = make_facility()
    professional = make_professional()
    first = propose(make_need(facility), professional, starts_on=date(2026, 4, 1))
    second = propose(make_need(facility), professional, starts_on=date(2026, 5, 1))
    elsewhere = propose(make_need(), professional, starts_on=date(2026, 6, 1))
    assert (first.cycle, second.cycle, elsewhere.cycle) == (1, 2, 1)
    assert first.engagement_id == second.engagement_id != elsewhere.engagement_id
    assert [m.id for m in first.engagement.missions] == [first.id, second.id]


def test_cycle_numbers_follow_the_dates_not_the_order_of_proposal(make_need, make_facility,
                                                                  make_professional, propose,
                                                                  manager, signed_in):
    facility = make_facility()
    professional = make_professional(windows=())

    def visit(month: int):
        need = make_need(facility, earliest_start=date(2026, 4, 1), latest_end=date(2026, 12, 31))
        return propose(need, professional, starts_on=date(2026, month, 2))

    def cycles(*missions):
        db.session.expire_all()
        return [db.session.get(Mission, m.id).cycle for m in missions]

    november = visit(11)
    august = visit(8)   # proposed later, visits earlier
    assert cycles(august, november) == [1, 2]
    september = visit(9)
    assert cycles(august, september, november) == [1, 2, 3]

    # A mission that leaves the chain keeps its last number; the visits after it move up.
    act(august, "cancel", manager, reason="no budget")
    assert cycles(september, november, august) == [1, 2, 1]
    act(september, "decline", professional.user, reason="busy")
    assert cycles(november) == [1]
    act(november, "postpone", manager, reason="the ward is closed")
    october = visit(10)
    assert cycles(october) == [1]
    # Rescheduled, the postponed mission joins the chain again at its new date.
    lifecycle.reschedule(db.session, db.session.get(Mission, november.id),
                         {"starts_on": date(2026, 7, 6)}, actor=manager, now=START)
    assert cycles(november, october) == [1, 2]
    engagement = db.session.get(Mission, october.id).engagement
    assert [m.id for m in engagement.missions if m.in_chain] == [november.id, october.id]
    page = signed_in(manager).get(f"/missions/{august.id}").get_data(as_text=True)
    assert "it was to be visit 1" in page
    chain = page[page.index("Circular engagement"):]
    assert f'/missions/{august.id}"' not in chain
    assert chain.index(f'/missions/{november.id}"') < chain.index(f'/missions/{october.id}"')


def test_contact_is_shown_to_the_facility_only_once_confirmed(make_need, make_facility, make_user,
                                                              make_professional, propose, manager,
                                                              api_client):
    facility = make_facility()
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional(phone="+44 7700 900123")
    mission = propose(make_need(facility), professional)
    client, headers = api_client(coordinator)
    assert "contact" not in client.get(f"/api/v1/missions/{mission.id}", headers=headers).json
    refused = client.get(f"/api/v1/missions/{mission.id}/contact", headers=headers)
    assert refused.status_code == 409 and refused.json["current_status"] == "proposed"
    assert client.get(f"/api/v1/professionals/{professional.id}", headers=headers).status_code == 403
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    seen = client.get(f"/api/v1/missions/{mission.id}/contact", headers=headers).json
    assert seen == {"email": professional.user.email, "phone": "+44 7700 900123"}
    # the profile stays the professional's and the managers': the host sees what the mission shows
    assert client.get(f"/api/v1/professionals/{professional.id}", headers=headers).status_code == 403


def test_mission_api_roles_and_objects(make_need, make_facility, make_user, make_professional,
                                       api_client, manager):
    facility = make_facility()
    professional = make_professional()
    need = make_need(facility)
    client, headers = api_client(manager)
    created = client.post(f"/api/v1/needs/{need.id}/missions", headers=headers, json={
        "professional_id": professional.id, "kind": "physical", "starts_on": "2026-04-06"})
    assert created.status_code == 201 and created.json["status"] == "proposed"
    mission_id = created.json["id"]
    clash = client.post(f"/api/v1/needs/{need.id}/missions", headers=headers, json={
        "professional_id": professional.id, "kind": "physical", "starts_on": "2026-04-10"})
    assert clash.status_code == 409 and clash.json["conflicting_mission"] == mission_id

    outsider = make_user("coordinator")
    outsider_client, outsider_headers = api_client(outsider)
    assert outsider_client.get(f"/api/v1/missions/{mission_id}", headers=outsider_headers).status_code == 403
    assert outsider_client.get("/api/v1/missions", headers=outsider_headers).json == []
    other_professional = make_professional()
    other_client, other_headers = api_client(other_professional.user)
    assert other_client.post(f"/api/v1/missions/{mission_id}/accept", headers=other_headers,
                             json={}).status_code == 403
    mine_client, mine_headers = api_client(professional.user)
    accepted = mine_client.post(f"/api/v1/missions/{mission_id}/accept", headers=mine_headers, json={})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    again = mine_client.post(f"/api/v1/missions/{mission_id}/accept", headers=mine_headers, json={})
    assert again.status_code == 409 and again.json["current_status"] == "accepted"
    ticked = mine_client.put(f"/api/v1/missions/{mission_id}/checklist/insurance", headers=mine_headers,
                             json={"done": True})
    assert ticked.status_code == 200
    assert next(c for c in ticked.json["checklist"] if c["item"] == "insurance")["done_at"]


def test_postpone_and_reschedule_rebooks(make_need, make_professional, propose, manager):
    professional = make_professional()
    mission = propose(make_need(), professional)
    act(mission, "postpone", manager, reason="Facility renovation")
    assert all(not b.active for b in mission.bookings)
    lifecycle.reschedule(db.session, mission, {"starts_on": date(2026, 5, 4)}, actor=manager, now=START)
    assert mission.status == "proposed" and mission.starts_on == date(2026, 5, 4)
    assert [b.active for b in mission.bookings] == [True]


def test_mission_pages_by_role(make_need, make_facility, make_user, make_professional, propose,
                              signed_in, manager):
    facility = make_facility()
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    professional = make_professional()
    mission = propose(make_need(facility), professional)
    mine = signed_in(professional.user)
    assert "Accept" in mine.get(f"/missions/{mission.id}").get_data(as_text=True)
    assert mine.post(f"/missions/{mission.id}/accept").status_code == 302
    db.session.refresh(mission)
    assert mission.status == "accepted"
    page = signed_in(coordinator).get("/missions").get_data(as_text=True)
    assert "Emergency obstetric care" in page
    board = signed_in(manager).get("/missions").get_data(as_text=True)
    assert "Missions board" in board and professional.full_name in board
    assert signed_in("coordinator").get(f"/missions/{mission.id}").status_code == 403


def test_propose_page_round_trip(make_need, make_professional, signed_in, manager):
    need = make_need()
    professional = make_professional()
    browser = signed_in(manager)
    form = browser.get(f"/needs/{need.id}/propose?professional_id={professional.id}&kind=physical&starts_on=2026-04-06")
    assert form.status_code == 200 and 'value="2026-04-06"' in form.get_data(as_text=True)
    bad = browser.post(f"/needs/{need.id}/propose", {"professional_id": professional.id, "confirm": "1",
                                                     "kind": "physical", "starts_on": "2026-09-01"})
    assert bad.status_code == 422 and "must fit between" in bad.get_data(as_text=True)
    good = browser.post(f"/needs/{need.id}/propose", {"professional_id": professional.id, "confirm": "1",
                                                      "kind": "physical", "starts_on": "2026-04-06"})
    assert good.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 1


@pytest.mark.own_app   # the threads' own connections must see the committed people and needs
def test_concurrent_overlapping_proposals_exactly_one_wins(database_url, make_need,
                                                           make_professional, manager):
    """22 threads, each with its own connection, propose overlapping missions at once
    (PostgreSQL: row lock + exclusion constraint; SQLite: the write lock + trigger)."""
    professional = make_professional()
    needs = [make_need() for _ in range(22)]
    professional_id, manager_id = professional.id, manager.id
    need_ids = [n.id for n in needs]
    barrier = threading.Barrier(len(need_ids), timeout=60)
    app = make_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": len(need_ids)})
    outcomes: list[str] = []

    def attempt(need_id):
        with app.app_context():
            from diaspora.auth.models import User
            from diaspora.professionals.models import Professional

            need = db.session.get(Need, need_id)
            person = db.session.get(Professional, professional_id)
            actor = db.session.get(User, manager_id)
            barrier.wait()
            try:
                proposals.propose_mission(db.session, need, person,
                                         {"kind": "physical", "starts_on": date(2026, 4, 6 + need_id % 5)},
                                         actor=actor, now=START)
                outcomes.append("won")
            except Conflict:
                outcomes.append("conflict")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=(need_id,)) for need_id in need_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        db.engine.dispose()
    assert sorted(outcomes) == ["conflict"] * 21 + ["won"]
    assert db.session.scalar(sa.select(sa.func.count(Booking.id)).where(Booking.active)) == 1
