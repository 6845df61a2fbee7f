"""Each role's home lists what waits for that person now, and agrees with the scheduler.

Agreement is tested by running the scheduler's own reminder producers and validators (as
``run_once`` does) at the moment a reminder comes due and comparing, person by person, what they
would be reminded of with what their home lists; and by checking that what the home lists before
then is reminded when its moment comes.
"""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.professionals.models import Licence
from diaspora.todo import todo_for
from missions.core import lifecycle
from missions.core.hooks import mission_hooks
from missions.core.models import Mission
from missions.notifications.producers import READINESS_DAYS_BEFORE
from missions.outcomes import services as outcomes
from missions.scheduler.automation import REPORT_OVERDUE_AFTER

from .conftest import START
from .test_missions import tick_all

REMINDED = {"proposal_waiting", "readiness_incomplete", "mission_starts", "report_due",
            "follow_up_due", "licence_expiring"}


def reminded(user, now) -> set[tuple[str, int]]:
    """What the scheduler reminds ``user`` of at ``now``: (kind, mission or licence id), after
    the checks made just before sending."""
    hooks = mission_hooks()
    found = set()
    for producer in hooks.reminder_producers:
        for reminder in producer(db.session, now):
            if reminder.user_id != user.id or reminder.kind not in REMINDED:
                continue
            row = SimpleNamespace(id=None, user_id=reminder.user_id, kind=reminder.kind,
                                  key=reminder.key, due_at=reminder.due_at,
                                  payload=reminder.payload, mission_id=reminder.mission_id,
                                  session_id=reminder.session_id)
            validator = hooks.reminder_validators.get(reminder.kind)
            if validator is None or validator(db.session, row, now):
                found.add((reminder.kind, reminder.mission_id or reminder.payload["licence_id"]))
    return found


def listed(user, now, kinds=None) -> set[tuple[str, int]]:
    groups = todo_for(db.session, user, now)
    return {(item.kind, item.subject_id) for group in groups for item in group.items
            if kinds is None or item.kind in kinds}


def agree(user, now) -> None:
    assert reminded(user, now) == listed(user, now, REMINDED)


def act(mission, action, actor, now=START):
    return lifecycle.transition(db.session, mission, action, actor=actor, now=now)


@pytest.fixture
def host(make_facility, make_user):
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    return facility


@pytest.fixture
def proposed(host, make_need, make_professional, propose):
    """A physical mission 6–19 April 2026, proposed at START."""
    return propose(make_need(host), make_professional())


def test_a_proposal_is_listed_at_once_and_reminded_when_due(proposed, manager, signed_in):
    person = proposed.professional.user
    assert listed(person, START) == {("proposal_waiting", proposed.id)}
    assert reminded(person, START) == set()  # the first reminder comes after three days
    agree(person, START + timedelta(days=3))
    assert listed(manager, START) >= {("proposal_unanswered", proposed.id)}

    page = signed_in(person).get("/me").get_data(as_text=True)
    assert "Proposals to answer" in page and f'href="/missions/{proposed.id}"' in page

    act(proposed, "accept", person)
    assert listed(person, START) == {("readiness_incomplete", proposed.id)}  # what comes next
    agree(person, proposed.starts_at - timedelta(days=max(READINESS_DAYS_BEFORE)))


def test_checklist_items_listed_for_whoever_can_tick_them(proposed, host, manager):
    person = proposed.professional.user
    coordinator = host.coordinators[0]
    act(proposed, "accept", person)
    act(proposed, "confirm", manager)
    for user in (person, coordinator, manager):
        assert ("readiness_incomplete", proposed.id) in listed(user, START)
    first_reminder = proposed.starts_at - timedelta(days=max(READINESS_DAYS_BEFORE))
    for user in (person, coordinator, manager):
        agree(user, first_reminder)
    # once the professional's items are ticked, only the others are still asked
    for item in proposed.checklist:
        if item.item in ("insurance", "terms_agreed", "travel_booked"):
            lifecycle.tick(db.session, proposed, item.item, True, actor=person, now=START)
    assert ("readiness_incomplete", proposed.id) not in listed(person, first_reminder)
    for user in (person, coordinator, manager):
        agree(user, first_reminder)


def test_missions_starting_listed_for_the_coordinator(proposed, host, manager):
    coordinator = host.coordinators[0]
    act(proposed, "accept", proposed.professional.user)
    act(proposed, "confirm", manager)
    week_before = proposed.starts_at - timedelta(days=7)
    assert ("mission_starts", proposed.id) not in listed(coordinator, week_before - timedelta(hours=1))
    assert ("mission_starts", proposed.id) in listed(coordinator, week_before)
    agree(coordinator, proposed.starts_at - timedelta(hours=12))


def _complete(mission, manager):
    act(mission, "accept", mission.professional.user)
    act(mission, "confirm", manager)
    tick_all(mission, manager)  # the licence verified against a document (issue 18)
    act(mission, "ready", manager)
    act(mission, "start", lifecycle.SCHEDULER, now=mission.starts_at)
    act(mission, "complete", lifecycle.SCHEDULER, now=mission.ends_at)


REPORT = {"trained_total": 2, "sessions_held": 2, "hours": 4, "rating": 4,
          "trainees": [{"cadre": "2222", "gender": "female", "count": 2}]}


def test_reports_surveys_and_overdue_reports(proposed, host, manager):
    person, coordinator = proposed.professional.user, host.coordinators[0]
    _complete(proposed, manager)
    just_after = proposed.ends_at + timedelta(hours=1)
    for user in (person, coordinator):
        assert ("report_due", proposed.id) in listed(user, just_after)
        agree(user, proposed.ends_at + timedelta(days=7))
    assert ("report_overdue", proposed.id) not in listed(manager, just_after)
    assert ("report_overdue", proposed.id) in listed(manager, proposed.ends_at + REPORT_OVERDUE_AFTER)

    outcomes.file_report(db.session, proposed, "professional", dict(REPORT), actor=person,
                         now=just_after)
    assert ("report_due", proposed.id) not in listed(person, just_after)
    assert ("report_due", proposed.id) in listed(coordinator, just_after)
    agree(person, proposed.ends_at + timedelta(days=7))

    three_months = outcomes.follow_up_due_at(proposed, 3)
    assert ("follow_up_due", proposed.id) not in listed(person, three_months - timedelta(days=8))
    assert ("follow_up_due", proposed.id) in listed(person, three_months - timedelta(days=6))
    agree(person, three_months)
    agree(coordinator, three_months)


def test_licences_expiring_agree_with_the_reminder(make_professional):
    professional = make_professional(licences=(("GH", date(2024, 1, 1), date(2026, 5, 1)),
                                               ("GB", date(2024, 1, 1), date(2029, 1, 1))))
    person = professional.user
    gh = next(licence for licence in professional.licences if licence.country == "GH")
    assert listed(person, START) == {("licence_expiring", gh.id)}
    agree(person, START)
    professional.licences.append(Licence(country="GH", authority="Council", number="R1",
                                         valid_from=date(2026, 4, 1), valid_until=date(2029, 1, 1)))
    db.session.commit()  # renewed
    assert listed(person, START) == set()
    agree(person, START)


def test_manager_sees_needs_to_approve_and_coordinators_waiting(make_need, make_user,
                                                                make_facility, manager, signed_in):
    submitted = make_need(status="submitted", submitted_at=START)
    make_need(status="draft")
    waiting = make_user("coordinator", name="Kofi Waiting")
    assert listed(manager, START) == {("need_to_approve", submitted.id),
                                      ("coordinator_unattached", waiting.id)}
    outsider = make_user("manager", programmes=())
    assert ("need_to_approve", submitted.id) not in listed(outsider, START)

    page = signed_in(manager).get("/overview").get_data(as_text=True)
    assert "Needs to approve" in page and f"/needs/{submitted.id}" in page
    assert "Kofi Waiting" in page and f"/users/{waiting.id}" in page


def test_coordinator_sees_returned_needs_and_nothing_else_of_others(make_need, host, make_user,
                                                                   signed_in):
    coordinator = host.coordinators[0]
    returned = make_need(host, status="returned", return_reason="Say which ward")
    make_need(status="returned")  # another facility's
    assert listed(coordinator, START) == {("need_returned", returned.id)}
    page = signed_in(coordinator).get("/facilities/mine").get_data(as_text=True)
    assert "Needs returned to you" in page and f"/needs/{returned.id}" in page


def test_nothing_waiting_says_so(signed_in, make_professional):
    professional = make_professional()
    page = signed_in(professional.user).get("/me").get_data(as_text=True)
    assert "Nothing waits for you now." in page
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 0


def test_after_an_action_the_flash_says_what_happens_next(proposed, signed_in):
    browser = signed_in(proposed.professional.user)
    page = browser.post(f"/missions/{proposed.id}/accept", follow_redirects=True) \
        .get_data(as_text=True)
    assert "The mission is now accepted. A programme manager confirms the mission" in page


def test_the_flash_names_the_status_in_words_in_every_language(app):
    from flask_babel import force_locale

    from missions.core import next_steps
    with app.test_request_context():
        assert next_steps.after("in_progress").startswith("The mission is now in progress.")
        with force_locale("fr"):
            text = next_steps.after("in_progress")
        assert "in_progress" not in text and "in progress" not in text


def test_a_coordinator_registers_naming_the_facility_and_managers_are_told(
        browser, manager, make_user, signed_in):
    from diaspora.auth.models import User
    from missions.notifications.models import Notification

    admin = make_user("admin")
    form = {"role": "coordinator", "email": "esi@example.org", "password": "another-long-one-1",
            "name": "Esi Coordinator", "timezone": "Africa/Accra"}
    refused = browser.post("/register", form)
    assert refused.status_code == 422 and "Say which facility you coordinate." in \
        refused.get_data(as_text=True)
    assert browser.post("/register", {**form, "facility_requested": "Tamale  Teaching Hospital"}) \
        .status_code == 302
    esi = db.session.scalar(sa.select(User).where(User.email == "esi@example.org"))
    assert esi.facility_requested == "Tamale Teaching Hospital"
    told = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "coordinator_registered")).all()
    assert sorted(n.user_id for n in told) == sorted([manager.id, admin.id])
    assert told[0].payload["facility"] == "Tamale Teaching Hospital"

    assert ("coordinator_unattached", esi.id) in listed(manager, START)
    inbox = signed_in(manager).get("/inbox").get_data(as_text=True)
    assert "A facility coordinator registered: Esi Coordinator" in inbox
    home = signed_in(manager).get("/overview").get_data(as_text=True)
    assert "asks for “Tamale Teaching Hospital”" in home
    mine = browser.get("/facilities/mine").get_data(as_text=True)
    assert "You asked for “Tamale Teaching Hospital”" in mine


def test_a_nurse_midwife_is_matched_for_either_cadre(make_need, make_professional, signed_in):
    from missions.matching import shortlist

    nurse = make_professional(cadre="2221", specialties=())
    page = signed_in(nurse.user)
    form = {"given_name": "Ama", "family_name": "Mensah", "cadre": "2221",
            "other_cadres": ["2222", "2221"], "country_of_origin": "GH",
            "country_of_residence": "GB", "timezone": "Europe/London", "gender": "female",
            "offers_physical": "y", "offers_virtual": "y"}
    assert page.post("/me/edit", form).status_code == 302
    db.session.refresh(nurse)
    assert nurse.cadres == ["2221", "2222"]
    assert "Midwi" in page.get("/me").get_data(as_text=True)
    for cadre in ("2221", "2222"):
        need = make_need(cadre=cadre, specialty=None)
        assert [c.professional_id for c in shortlist(db.session, need, now=START)] == [nurse.id]
    assert [c.professional_id for c in shortlist(db.session, make_need(cadre="2262",
                                                                         specialty=None),
                                                   now=START)] == []


def test_a_managers_list_says_how_long_a_proposal_has_waited(proposed, manager):
    def text(now):
        [group] = [g for g in todo_for(db.session, manager, now) if g.kind == "proposal_unanswered"]
        return group.items[0].text
    assert text(START).endswith("proposed today")
    assert text(START + timedelta(days=1)).endswith("proposed 1 day ago")
    assert text(START + timedelta(days=5)).endswith("proposed 5 days ago")
