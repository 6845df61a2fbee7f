"""Reminders and notices: who gets what, when, once — driven by the fake clock, no sleeps."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.hooks import mission_hooks
from missions.notifications import messages, notices, outbox, producers
from missions.notifications.models import Notification
from missions.scheduler import reminders
from missions.scheduler.process import run_once

from .conftest import START, make_app
from .test_documents import verify_licence_for


def run(clock, at: datetime | None = None):
    if at is not None:
        clock.set(at)
    return run_once(db.session, clock())


def inbox(user) -> list[Notification]:
    return db.session.scalars(sa.select(Notification).where(
        Notification.user_id == user.id, Notification.status == "sent")
        .order_by(Notification.id)).all()


def kinds(user) -> list[str]:
    return [n.kind for n in inbox(user)]


def act(mission, action, actor, reason=None, now=START):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=now, reason=reason)


@pytest.fixture
def host(make_facility, make_user):
    """A facility with one coordinator."""
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    return facility


@pytest.fixture
def confirmed(host, make_need, make_professional, propose, manager):
    """A physical mission 6–19 April 2026 (Accra), accepted and confirmed."""
    professional = make_professional()
    mission = propose(make_need(host), professional)
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    return mission


def test_transitions_notify_who_they_concern_at_once(host, make_need, make_professional, propose,
                                                     manager):
    professional = make_professional()
    coordinator = host.coordinators[0]
    mission = propose(make_need(host), professional)
    assert kinds(professional.user) == ["mission_proposed"]     # no scheduler run needed
    assert kinds(manager) == []                                  # not told of their own act
    act(mission, "accept", professional.user)
    assert kinds(manager) == ["mission_accepted"]
    act(mission, "confirm", manager)
    assert kinds(professional.user)[-1] == kinds(coordinator)[-1] == "mission_confirmed"
    act(mission, "cancel", manager, reason="Flooded roads")
    cancelled = inbox(coordinator)[-1]
    assert cancelled.kind == "mission_cancelled" and cancelled.payload["reason"] == "Flooded roads"
    assert kinds(manager) == ["mission_accepted"]


def test_withdrawn_consent_cancels_pending_proposals_and_tells_manager_and_host(
        host, make_need, make_professional, propose, manager):
    from diaspora.professionals import services as professionals

    professional = make_professional()
    mission = propose(make_need(host), professional)
    professionals.set_consent(db.session, professional, False, actor=professional.user,
                              now=START + timedelta(hours=1))
    assert mission.status == "cancelled"
    told = inbox(manager)[-1]
    assert told.kind == "mission_cancelled" and told.payload["reason"] == "consent withdrawn"
    assert kinds(host.coordinators[0]) == ["mission_cancelled"]
    assert kinds(professional.user) == ["mission_proposed"]     # not told of their own act


def test_a_decline_tells_the_programme_managers(make_need, make_professional, propose, manager,
                                                make_user):
    from diaspora.programmes.models import Programme

    colleague = make_user("manager")
    programme = Programme(name="MIDA Ghana Health", origin_country="GH", host_countries=["GH"],
                          starts_on=date(2026, 1, 1), managers=[colleague, manager])
    db.session.add(programme)
    professional = make_professional()
    mission = propose(make_need(programme=programme), professional)
    act(mission, "decline", professional.user, reason="Exams that month")
    assert kinds(colleague) == kinds(manager) == ["mission_declined"]


def test_each_app_has_its_own_hooks_registered_once(database_url):
    first, second = make_app(database_url), make_app(database_url)
    assert mission_hooks(first) is not mission_hooks(second)
    for app in (first, second):
        assert mission_hooks(app).after_transition.count(notices.on_transition) == 1
        assert mission_hooks(app).reminder_producers.count(producers.reports_due) == 1


def test_a_waiting_proposal_is_recalled_after_3_then_7_days(make_need, make_professional, propose,
                                                           clock):
    professional = make_professional()
    mission = propose(make_need(), professional)
    run(clock, START + timedelta(days=2, hours=23))
    assert kinds(professional.user) == ["mission_proposed"]
    run(clock, START + timedelta(days=3))
    run(clock, START + timedelta(days=4))
    assert kinds(professional.user) == ["mission_proposed", "proposal_waiting"]
    run(clock, START + timedelta(days=7))
    waiting = inbox(professional.user)[1:]
    assert [n.payload["days"] for n in waiting] == [3, 7]
    act(mission, "accept", professional.user, now=clock())
    run(clock, START + timedelta(days=30))
    assert kinds(professional.user).count("proposal_waiting") == 2


def test_after_downtime_one_run_catches_up_once(make_need, make_professional, propose, clock):
    """Down from day 1 to day 9: the 3-day reminder is superseded, the 7-day one sent once."""
    professional = make_professional()
    propose(make_need(), professional)
    run(clock, START + timedelta(days=9))
    run(clock)
    waiting = [n for n in inbox(professional.user) if n.kind == "proposal_waiting"]
    assert [n.payload["days"] for n in waiting] == [7]


def test_readiness_reminders_reach_whoever_can_tick_the_open_items(confirmed, manager, host, clock):
    professional, coordinator = confirmed.professional.user, host.coordinators[0]
    run(clock, confirmed.starts_at - timedelta(days=30))
    for person in (professional, coordinator, manager):
        assert kinds(person).count("readiness_incomplete") == 1
    reminder = inbox(coordinator)[-1]
    assert reminder.payload["days"] == 30 and "counterpart_assigned" in reminder.payload["missing"]
    # the managers' items are done (the licence by its verification against a document)
    lifecycle.tick(db.session, confirmed, "orientation", True, actor=manager, now=clock())
    verify_licence_for(confirmed.professional, manager, now=clock())
    run(clock, confirmed.starts_at - timedelta(days=14))
    assert kinds(manager).count("readiness_incomplete") == 1
    assert kinds(professional).count("readiness_incomplete") == 2
    for item in ("insurance", "terms_agreed", "travel_booked", "counterpart_assigned"):
        lifecycle.tick(db.session, confirmed, item, True, actor=manager, now=clock())
    run(clock, confirmed.starts_at - timedelta(days=7))
    assert kinds(professional).count("readiness_incomplete") == 2


def test_the_day_before_the_start_both_sides_are_reminded(confirmed, host, clock):
    run(clock, confirmed.starts_at - timedelta(days=1, minutes=1))
    assert "mission_starts" not in kinds(confirmed.professional.user)
    run(clock, confirmed.starts_at - timedelta(days=1))
    assert kinds(confirmed.professional.user).count("mission_starts") == 1
    assert kinds(host.coordinators[0]).count("mission_starts") == 1


def test_a_reminder_is_checked_again_when_it_fires(confirmed, manager, clock):
    """Stored while valid, the mission cancelled before it went out: nothing is sent."""
    due = confirmed.starts_at - timedelta(days=1)
    outbox.store(db.session, producers.missions_starting(db.session, due), due)
    act(confirmed, "cancel", manager, reason="Strike", now=due)
    run(clock, due)
    stored = db.session.scalars(sa.select(Notification).where(Notification.kind == "mission_starts")).all()
    assert stored and {(n.status, n.skip_reason) for n in stored} == {("skipped", "mission_withdrawn")}


def test_a_rescheduled_start_gets_a_new_reminder_and_drops_the_old(confirmed, manager, clock):
    old_due = confirmed.starts_at - timedelta(days=1)
    outbox.store(db.session, producers.missions_starting(db.session, old_due), old_due)
    act(confirmed, "postpone", manager, reason="Renovation", now=old_due)
    lifecycle.reschedule(db.session, confirmed, {"starts_on": date(2026, 5, 4)}, actor=manager,
                        now=old_due)
    run(clock, old_due)
    assert {n.status for n in db.session.scalars(sa.select(Notification).where(
        Notification.kind == "mission_starts"))} == {"skipped"}


def virtual_mission(make_need, host, professional, propose, manager, join_url):
    need = make_need(host, mode="virtual", purpose="teaching", duration_days=None,
                     sessions_per_week=1, weeks=3, session_hours=1.5)
    mission = propose(need, professional, kind="virtual", starts_on=date(2026, 4, 7),
                      weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=3,
                      join_url=join_url)
    act(mission, "accept", professional.user)
    act(mission, "confirm", manager)
    return mission


def test_an_hour_before_each_session_with_the_join_link(make_need, host, make_professional,
                                                        propose, manager, clock, signed_in):
    professional = make_professional()
    mission = virtual_mission(make_need, host, professional, propose, manager,
                              "https://meet.example.org/obstetrics")
    first, second, third = mission.sessions
    run(clock, first.starts_at - timedelta(hours=1))
    reminder = [n for n in inbox(professional.user) if n.kind == "session_starts"]
    assert [n.session_id for n in reminder] == [first.id]
    page = signed_in(professional.user).get("/inbox").get_data(as_text=True)
    assert "https://meet.example.org/obstetrics" in page and "Session in one hour" in page
    from missions.sessions.attendance import cancel_session

    cancel_session(db.session, second, "Public holiday", actor=manager, now=clock())
    run(clock, second.starts_at - timedelta(hours=1))
    run(clock, third.starts_at - timedelta(minutes=30))
    assert [n.session_id for n in inbox(professional.user) if n.kind == "session_starts"] == \
        [first.id, third.id]


def complete(mission, clock):
    run(clock, mission.starts_at)
    run(clock, mission.ends_at)
    db.session.refresh(mission)
    assert mission.status == "completed"


def test_report_due_a_week_after_the_end_then_follow_ups(confirmed, host, clock):
    complete(confirmed, clock)
    people = (confirmed.professional.user, host.coordinators[0])
    run(clock, confirmed.ends_at + timedelta(days=6))
    assert all("report_due" not in kinds(p) for p in people)
    run(clock, confirmed.ends_at + timedelta(days=7))
    assert all(kinds(p).count("report_due") == 1 for p in people)
    for months in (3, 6, 12):
        run(clock, confirmed.ends_at + timedelta(days=31 * months))
    for person in people:
        follow_ups = [n for n in inbox(person) if n.kind == "follow_up_due"]
        assert [n.payload["months"] for n in follow_ups] == [3, 6, 12]
        assert [n.due_at.date() for n in follow_ups] == [date(2026, 7, 20), date(2026, 10, 20),
                                                         date(2027, 4, 20)]


def test_follow_ups_of_long_past_missions_are_not_started(confirmed, clock):
    """The scheduler switched on 20 months after the end sends no year-old surveys."""
    complete(confirmed, clock)
    run(clock, confirmed.ends_at + timedelta(days=610))
    assert "follow_up_due" not in kinds(confirmed.professional.user)


def test_a_licence_expiring_within_90_days(make_professional, clock):
    professional = make_professional(licences=(("GH", date(2024, 1, 1), date(2026, 6, 15)),))
    run(clock, datetime(2026, 3, 16, 23, 0, tzinfo=UTC))
    assert "licence_expiring" not in kinds(professional.user)
    run(clock, datetime(2026, 3, 17, 0, 0, tzinfo=UTC))
    run(clock, datetime(2026, 3, 18, 0, 0, tzinfo=UTC))
    assert kinds(professional.user).count("licence_expiring") == 1


def test_a_renewed_licence_stops_the_reminder(make_professional, clock):
    from diaspora.professionals.models import Licence

    professional = make_professional(licences=(("GH", date(2024, 1, 1), date(2026, 5, 1)),))
    due = datetime(2026, 3, 1, tzinfo=UTC)
    outbox.store(db.session, producers.licences_expiring(db.session, due), due)
    professional.licences.append(Licence(country="GH", authority="Council", number="R1",
                                         valid_from=date(2026, 5, 1), valid_until=date(2029, 5, 1)))
    db.session.commit()
    run(clock)
    assert "licence_expiring" not in kinds(professional.user)


def test_availability_not_updated_for_six_months(make_professional, clock):
    professional = make_professional()  # created (and availability set) at START
    run(clock, START + timedelta(days=180))
    assert "availability_stale" not in kinds(professional.user)
    run(clock, datetime(2026, 9, 2, 9, 0, tzinfo=UTC))
    run(clock, datetime(2026, 10, 2, 9, 0, tzinfo=UTC))
    assert kinds(professional.user).count("availability_stale") == 1
    professional.availability_updated_at = clock()
    db.session.commit()
    run(clock, datetime(2027, 4, 2, 9, 0, tzinfo=UTC))
    assert kinds(professional.user).count("availability_stale") == 2


def test_a_deactivated_person_gets_no_reminder(make_need, make_professional, propose, clock):
    professional = make_professional()
    propose(make_need(), professional)
    professional.user.active = False
    db.session.commit()
    run(clock, START + timedelta(days=3))
    assert db.session.scalar(sa.select(Notification.skip_reason).where(
        Notification.kind == "proposal_waiting")) == "inactive_user"


def test_running_twice_stores_and_sends_nothing_twice(confirmed, clock):
    first = run(clock, confirmed.starts_at - timedelta(days=30))
    second = run(clock)
    assert first["stored"] > 0 and first["sent"] == first["stored"]
    assert second["stored"] == 0 and second.get("sent", 0) == 0


def test_a_large_first_production_is_stored_in_chunks_once(make_user, clock):
    """E.g. the scheduler switched on over a big registry: more rows than one statement takes."""
    user = make_user("professional")
    due = [reminders.Reminder(user_id=user.id, kind="report_due", key=f"first-run:{n}",
                              due_at=clock()) for n in range(1300)]
    assert outbox.store(db.session, due, clock()) == 1300
    assert outbox.store(db.session, reversed(due), clock()) == 0


SAMPLE_PAYLOAD = {"mission": "Emergency obstetric care", "facility": "Tamale Teaching Hospital",
                  "professional": "Ama Mensah", "starts_at": "2026-04-06T00:00:00+00:00",
                  "ends_at": "2026-04-20T00:00:00+00:00", "reason": "Strike", "days": 7,
                  "missing": ["insurance", "travel_booked"], "sequence": 2,
                  "join_url": "https://meet.example.org/x", "months": 6, "country": "GH",
                  "authority": "Medical and Dental Council", "valid_until": "2026-06-15",
                  "since": "2025-09-01", "licence_id": 1, "professional_id": 1,
                  # placements abroad (issue 16)
                  "placement": 3, "offer": "Obstetric emergencies fellowship",
                  "partner": "Radboudumc", "worker": "Abena Owusu",
                  "name": "Esi Coordinator", "user_id": 1,
                  "link": "http://localhost/claim/sample"}  # an imported person's invitation


@pytest.mark.parametrize("language, words", [("en", "Mission proposal"), ("fr", "Proposition de mission"),
                                             ("pt", "Proposta de missão")])
def test_every_kind_renders_in_every_language(app, language, words):
    row = Notification(kind="", payload=SAMPLE_PAYLOAD, mission_id=7)
    with app.test_request_context(), force_locale(language):
        for kind in messages.MESSAGES:
            row.kind = kind
            text = messages.render(row, "Europe/Paris")
            assert text.subject and text.body and text.link.startswith("http://localhost/")
            assert "%(" not in text.subject + text.body
        row.kind = "mission_proposed"
        assert words in messages.render(row, "Europe/Paris").subject


def test_an_in_person_mission_s_days_are_shown_as_host_dates_not_midnights(app, confirmed, host):
    """6–19 April 2026 in Accra: the message names the days, whatever the reader's zone."""
    notice = inbox(host.coordinators[0])[-1]
    assert notice.kind == "mission_confirmed"
    with app.test_request_context():
        rendered = messages.render(notice, "America/New_York")
    assert "April 6, 2026" in rendered.body and "AM" not in rendered.body, rendered.body


def test_a_session_s_time_is_shown_in_the_reader_s_zone(app, make_need, host, make_professional,
                                                        propose, manager, clock):
    """14:00 in Accra (UTC+0) is 16:00 in Paris in April (CEST)."""
    professional = make_professional()
    mission = virtual_mission(make_need, host, professional, propose, manager,
                              "https://meet.example.org/obstetrics")
    run(clock, mission.sessions[0].starts_at - timedelta(hours=1))
    [reminder] = [n for n in inbox(professional.user) if n.kind == "session_starts"]
    with app.test_request_context():
        body = messages.render(reminder, "Europe/Paris").body
    assert "Apr 7, 2026, 4:00:00\u202fPM CEST" in body, body
