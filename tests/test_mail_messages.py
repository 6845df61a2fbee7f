"""What the e-mail says and carries (issue 14): HTML with a text alternative, the programme's
Reply-To, the facts to decide, signed accept / decline links, the calendar invitation, the
host's "starts tomorrow" naming who comes, and per-person mail preferences."""
from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from diaspora.extensions import db
from missions.core import lifecycle
from missions.notifications.models import MailOptOut, Notification
from missions.scheduler.process import run_once

from .conftest import START


@pytest.fixture
def mail_app(app, mail_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_sink.port,
                      MAIL_SENDER="missions@registry.example.org",
                      PUBLIC_URL="https://registry.example.org")
    return app


def send(clock, at=None):
    """One scheduler run: what is due goes to the inbox and out by e-mail."""
    return run_once(db.session, at or clock())


def parts(message) -> dict:
    """The message's text, HTML and calendar parts by content type."""
    found = {}
    for part in message.walk():
        if part.get_content_maintype() != "multipart":
            found.setdefault(part.get_content_type(), part)
    return found


def only_message_to(mail_sink, user):
    mine = [m for m in mail_sink.messages if m["To"] == user.email]
    assert len(mine) == 1, [m["Subject"] for m in mine]
    return mine[0]


def invitation(message) -> Calendar:
    part = parts(message)["text/calendar"]
    return Calendar.from_ical(part.get_payload(decode=True))


def test_a_proposal_mail_has_html_a_text_alternative_the_facts_and_the_invitation(
        mail_app, mail_sink, make_need, make_professional, propose, clock, test_programme):
    programme = test_programme()
    programme.reply_to = "mida-ghana@iom.example.org"
    professional = make_professional(timezone="Europe/London")
    mission = propose(make_need(programme_id=programme.id), professional)
    send(clock)
    message = only_message_to(mail_sink, professional.user)
    assert message["Reply-To"] == "mida-ghana@iom.example.org"
    assert message.get_content_type() == "multipart/mixed"
    found = parts(message)
    assert {"text/plain", "text/html", "text/calendar"} <= set(found)
    text = found["text/plain"].get_content()
    html = found["text/html"].get_content()
    for facts in (text, html):   # what a person needs to decide, in both forms
        assert "In person" in facts and "14 days" in facts
        assert re.search(r"6 April 2026|April 6, 2026", facts)   # the host's days
        assert re.search(r"19 April 2026|April 19, 2026", facts)
        assert mission.facility.name in facts
    assert "<table" in html and "Accept" in html
    # the attachment: an invitation to the mission, from the programme to the professional
    part = found["text/calendar"]
    assert part.get_param("method") == "REQUEST" and part.get_filename() == f"mission-{mission.id}.ics"
    calendar = invitation(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:mida-ghana@iom.example.org"
    assert str(event["ATTENDEE"]) == f"mailto:{professional.user.email}"
    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event["DTSTART"].dt == date(2026, 4, 6)
    assert event.walk("VALARM")


def test_without_a_reply_to_address_replies_go_to_the_programmes_managers(
        mail_app, mail_sink, make_need, make_professional, propose, clock, manager, test_programme):
    professional = make_professional()
    propose(make_need(programme_id=test_programme().id), professional)
    send(clock)
    assert only_message_to(mail_sink, professional.user)["Reply-To"] == manager.email


def test_an_online_proposal_gives_sessions_duration_and_times_in_the_readers_zone(
        mail_app, mail_sink, make_need, make_facility, make_professional, propose, clock,
        test_programme):
    professional = make_professional()
    professional.user.timezone = "Europe/Paris"
    need = make_need(make_facility(timezone="Africa/Accra"), mode="virtual", purpose="teaching",
                     programme_id=test_programme().id, duration_days=None, sessions_per_week=2,
                     weeks=3, session_hours=1.5, earliest_start=date(2026, 3, 1))
    propose(need, professional, kind="virtual", starts_on=date(2026, 3, 10), weekdays=["TU", "TH"],
            session_start=time(14, 0), session_minutes=90, weeks=3)
    send(clock)
    text = parts(only_message_to(mail_sink, professional.user))["text/plain"].get_content()
    assert "Online" in text
    assert "6 sessions" in text and "90 minutes each" in text and "9 hours in all" in text
    # 14:00 in Accra is 15:00 in Paris (CET) before the change of 29 March
    assert "Tuesday, Thursday at 14:00 Africa/Accra (15:00 CET for you)" in text
    assert re.search(r"(10 March 2026|March 10, 2026) 15:00 CET", text)


def answer_links(text: str) -> dict[str, str]:
    links = dict(re.findall(r"https://registry\.example\.org(/answer/(\S+))", text))
    found = {}
    for path in links:
        line = next(line for line in text.splitlines() if path in line)
        found["accept" if "Accept" in line else "decline"] = path
    return found


@pytest.fixture
def proposal_mail(mail_app, mail_sink, make_need, make_professional, propose, clock):
    professional = make_professional()
    mission = propose(make_need(), professional)
    send(clock)
    text = parts(only_message_to(mail_sink, professional.user))["text/plain"].get_content()
    return mission, professional, answer_links(text)


def test_the_accept_link_asks_first_then_accepts_once(proposal_mail, browser, client):
    mission, professional, links = proposal_mail
    assert set(links) == {"accept", "decline"}
    page = client.get(links["accept"])   # opening the link (a mail scanner too) does nothing
    assert page.status_code == 200 and "Accept this proposal?" in page.get_data(as_text=True)
    assert mission.status == "proposed"
    assert client.post(links["accept"]).status_code == 400   # no CSRF token: refused
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    answered = client.post(links["accept"], data={"csrf_token": token})
    assert answered.status_code == 302
    db.session.refresh(mission)
    assert mission.status == "accepted"
    again = client.post(links["accept"], data={"csrf_token": token})   # a second click
    assert again.status_code == 200 and "You accepted this proposal" in again.get_data(as_text=True)
    assert [e.to_status for e in mission.events] == ["proposed", "accepted"]
    late = client.get(links["decline"])   # the other link, once answered: 409
    assert late.status_code == 409 and "can no longer be answered" in late.get_data(as_text=True)


def test_the_decline_link_needs_a_reason(proposal_mail, client):
    mission, _professional, links = proposal_mail
    page = client.get(links["decline"]).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    missing = client.post(links["decline"], data={"csrf_token": token, "reason": " "})
    assert missing.status_code == 422 and "Give a reason." in missing.get_data(as_text=True)
    assert client.post(links["decline"], data={"csrf_token": token, "reason": "On duty"}).status_code == 302
    db.session.refresh(mission)
    assert (mission.status, mission.status_reason) == ("declined", "On duty")


def test_a_link_cancelled_meanwhile_expired_forged_or_for_someone_else_does_nothing(
        proposal_mail, client, manager, clock, signed_in, make_professional):
    mission, _professional, links = proposal_mail
    forged = links["accept"][:-3] + ("abc" if not links["accept"].endswith("abc") else "abd")
    assert client.get(forged).status_code == 404
    other = signed_in(make_professional().user)
    assert other.get(links["accept"]).status_code == 403
    clock.advance(days=15)   # links work for ANSWER_LINK_DAYS (14)
    expired = client.get(links["accept"])
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    clock.advance(days=-15)
    lifecycle.transition(db.session, mission, "cancel", actor=manager, now=START, reason="Strike")
    page = client.get(links["accept"])
    assert page.status_code == 409 and "the mission is cancelled" in page.get_data(as_text=True)


def test_a_cancellation_mail_takes_the_mission_off_the_calendar(
        mail_app, mail_sink, make_need, make_professional, propose, clock, manager):
    professional = make_professional()
    mission = propose(make_need(), professional)
    lifecycle.transition(db.session, mission, "cancel", actor=manager, now=START, reason="Strike")
    send(clock)
    mails = [m for m in mail_sink.messages if m["To"] == professional.user.email]
    cancelled = next(m for m in mails if "cancelled" in m["Subject"])
    calendar = invitation(cancelled)
    assert str(calendar["METHOD"]) == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and str(event["UID"]).startswith(f"mission-{mission.id}@")
    assert not event.walk("VALARM")


def confirmed_mission(need, professional, propose, manager):
    mission = propose(need, professional)
    lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
    return mission


def test_the_host_hears_who_starts_tomorrow_one_mail_per_mission(
        mail_app, mail_sink, make_facility, make_need, make_professional, propose, manager,
        make_user, clock):
    host = make_facility()
    coordinator = make_user("coordinator")
    host.coordinators.append(coordinator)
    db.session.commit()
    need = make_need(host)
    missions = [confirmed_mission(need, make_professional(given_name=name), propose, manager)
                for name in ("Ama", "Kofi", "Efua")]
    send(clock)
    mail_sink.messages.clear()
    send(clock, missions[0].starts_at - timedelta(days=1))
    to_host = sorted(m["Subject"] for m in mail_sink.messages
                     if m["To"] == coordinator.email and "tomorrow" in m["Subject"])
    names = sorted(m.professional.full_name for m in missions)
    assert to_host == sorted(f"{name} starts tomorrow: Emergency obstetric care" for name in names)
    to_ama = [m["Subject"] for m in mail_sink.messages
              if m["To"] == missions[0].professional.user.email and "tomorrow" in m["Subject"]]
    assert to_ama == ["Your mission starts tomorrow: Emergency obstetric care"]


def test_a_reminder_switched_off_reaches_the_inbox_but_not_the_mailbox(
        mail_app, mail_sink, make_need, make_professional, propose, manager, clock, signed_in):
    professional = make_professional()
    browser = signed_in(professional.user)
    page = browser.get("/account/mail").get_data(as_text=True)
    assert 'name="mission_starts"' in page and "checked" in page
    chosen = {kind: "1" for kind in ("proposal_waiting", "follow_up_due")}   # the rest off
    assert browser.post("/account/mail", chosen).status_code == 302
    assert "mission_starts" in {o.kind for o in db.session.scalars(sa.select(MailOptOut))}
    mission = confirmed_mission(make_need(), professional, propose, manager)
    send(clock)
    assert any("confirmed" in m["Subject"] for m in mail_sink.messages)   # notices: always mailed
    mail_sink.messages.clear()
    send(clock, mission.starts_at - timedelta(days=1))
    reminder = db.session.scalar(sa.select(Notification).where(
        Notification.kind == "mission_starts", Notification.user_id == professional.user_id))
    assert (reminder.status, reminder.email_status) == ("sent", None)   # in the inbox only
    assert [m for m in mail_sink.messages if m["To"] == professional.user.email] == []


def test_the_mail_preferences_api(api_client, make_professional):
    professional = make_professional()
    client, headers = api_client(professional.user)
    body = client.get("/api/v1/notifications/preferences", headers=headers).get_json()
    assert body["mailed"]["follow_up_due"] is True and "mission_proposed" not in body["mailed"]
    changed = client.put("/api/v1/notifications/preferences", headers=headers,
                         json={"mailed": {"follow_up_due": False}})
    assert changed.status_code == 200
    assert changed.get_json()["mailed"]["follow_up_due"] is False
    assert changed.get_json()["mailed"]["mission_starts"] is True
    refused = client.put("/api/v1/notifications/preferences", headers=headers,
                         json={"mailed": {"mission_cancelled": False}})   # essential: not optional
    assert refused.status_code == 422 and "mailed" in refused.get_json()["errors"]["json"]


def test_a_link_of_an_earlier_proposal_stops_working_once_new_dates_are_proposed(
        proposal_mail, client, manager):
    mission, _professional, links = proposal_mail
    lifecycle.transition(db.session, mission, "postpone", actor=manager, now=START,
                         reason="Renovation")
    lifecycle.reschedule(db.session, mission, {"starts_on": date(2026, 5, 4)}, actor=manager,
                         now=START + timedelta(hours=1))
    assert mission.status == "proposed"   # proposed again, with new dates
    page = client.get(links["accept"])
    assert page.status_code == 409 and "earlier proposal" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    assert client.post(links["accept"], data={"csrf_token": token.group(1)}).status_code == 409
    db.session.refresh(mission)
    assert mission.status == "proposed"


def test_a_persons_data_export_holds_their_mail_settings(make_professional):
    from diaspora.privacy.services import export_person
    from missions.notifications import preferences

    user = make_professional().user
    preferences.set_preferences(db.session, user, {"availability_stale": False}, actor=user, now=START)
    exported = export_person(db.session, user, actor=user, now=START)
    assert exported["mail_settings"]["availability_stale"] is False
    assert exported["mail_settings"]["mission_starts"] is True
