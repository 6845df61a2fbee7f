"""The inbox: a page and an API for every signed-in user, with the unread count in the menu."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from diaspora.extensions import db
from missions.notifications.models import Notification


def proposal(make_need, make_professional, propose):
    professional = make_professional()
    return propose(make_need(), professional), professional


def test_the_menu_counts_unread_and_the_page_marks_read(make_need, make_professional, propose,
                                                        signed_in):
    mission, professional = proposal(make_need, make_professional, propose)
    browser = signed_in(professional.user)
    page = browser.get("/inbox").get_data(as_text=True)
    assert "Inbox (1)" in page and "Mission proposal: Emergency obstetric care" in page
    assert f'href="http://localhost/missions/{mission.id}"' in page
    notice = db.session.scalar(sa.select(Notification.id))
    assert browser.post(f"/inbox/{notice}/read").status_code == 302
    page = browser.get("/inbox").get_data(as_text=True)
    assert "Inbox (1)" not in page and ">Inbox<" in page
    assert "Mission proposal" not in browser.get("/inbox?unread=1").get_data(as_text=True)


def test_nobody_reads_someone_elses_notification(make_need, make_professional, propose,
                                                 signed_in, api_client):
    proposal(make_need, make_professional, propose)
    notice = db.session.scalar(sa.select(Notification.id))
    assert signed_in("professional").post(f"/inbox/{notice}/read").status_code == 404
    client, headers = api_client(make_professional().user)
    assert client.post(f"/api/v1/notifications/{notice}/read", headers=headers).status_code == 404
    assert db.session.scalar(sa.select(Notification.read_at)) is None


def test_mark_all_read(make_need, make_professional, propose, signed_in):
    professional = make_professional()
    for first_day in (date(2026, 4, 6), date(2026, 5, 4)):
        propose(make_need(), professional, starts_on=first_day)
    browser = signed_in(professional.user)
    assert "Inbox (2)" in browser.get("/inbox").get_data(as_text=True)
    browser.post("/inbox/read-all")
    assert db.session.scalar(sa.select(sa.func.count()).where(Notification.read_at.is_(None))) == 0


def test_the_api_lists_and_marks_read_in_the_readers_language(make_need, make_professional,
                                                              propose, api_client):
    mission, professional = proposal(make_need, make_professional, propose)
    professional.user.locale = "pt"
    db.session.commit()
    client, headers = api_client(professional.user)
    [item] = client.get("/api/v1/notifications?unread=true", headers=headers).json
    assert item["kind"] == "mission_proposed" and item["mission_id"] == mission.id
    assert item["subject"].startswith("Proposta de missão")
    assert item["link"].endswith(f"/missions/{mission.id}") and item["read_at"] is None
    read = client.post(f"/api/v1/notifications/{item['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json["read_at"]
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json == []
    assert client.get("/api/v1/notifications?unread=maybe", headers=headers).status_code == 422
