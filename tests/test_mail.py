"""E-mail through a real SMTP server started by the test (aiosmtpd), in the recipient's language."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from missions.notifications import outbox
from missions.notifications.mail import message_id
from missions.notifications.models import Notification
from missions.scheduler.process import run_once

from .conftest import START, free_port


@pytest.fixture
def mail_app(app, mail_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_sink.port,
                      MAIL_SENDER="missions@registry.example.org",
                      PUBLIC_URL="https://registry.example.org")
    return app


def proposal_for(make_need, make_professional, propose, **user_settings):
    professional = make_professional()
    for name, value in user_settings.items():
        setattr(professional.user, name, value)
    db.session.commit()
    return propose(make_need(), professional), professional


def test_a_notice_is_mailed_once_in_the_recipients_language(mail_app, mail_sink, make_need,
                                                            make_professional, propose, clock):
    mission, professional = proposal_for(make_need, make_professional, propose, locale="fr",
                                         timezone="Europe/Paris")
    counts = run_once(db.session, clock())
    assert counts["emailed"] == 1
    run_once(db.session, clock() + timedelta(minutes=1))
    [message] = mail_sink.messages
    assert message["To"] == professional.user.email
    assert message["From"] == "missions@registry.example.org"
    assert message["Subject"] == "Proposition de mission : Emergency obstetric care"
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"https://registry.example.org/missions/{mission.id}" in body
    # an in-person mission's first day is a date in the host's zone, not a Paris midnight
    assert "à partir du 6 avril 2026" in body and "CEST" not in body
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == professional.user_id))
    assert message["Message-ID"] == message_id(notice.key, "missions@registry.example.org")
    assert (notice.email_status, notice.attempts, notice.emailed_at) == ("sent", 1, clock())


def test_without_mail_settings_the_inbox_is_the_only_channel(app, make_need, make_professional,
                                                            propose, clock):
    proposal_for(make_need, make_professional, propose)
    counts = run_once(db.session, clock())
    assert "emailed" not in counts
    assert db.session.scalar(sa.select(Notification.email_status)) is None


def test_an_unreachable_server_is_retried_later_then_mailed_once(mail_app, mail_sink, make_need,
                                                                 make_professional, propose, clock):
    proposal_for(make_need, make_professional, propose)
    mail_app.config["MAIL_PORT"] = free_port()  # nobody listens there
    run_once(db.session, clock())
    notice = db.session.scalar(sa.select(Notification))
    assert (notice.email_status, notice.attempts) == ("pending", 1) and notice.last_error
    mail_app.config["MAIL_PORT"] = mail_sink.port
    run_once(db.session, clock() + timedelta(minutes=1))   # still within the lease
    assert mail_sink.messages == []
    run_once(db.session, clock() + timedelta(minutes=6))
    run_once(db.session, clock() + timedelta(minutes=7))
    assert len(mail_sink.messages) == 1


def test_a_lease_left_by_a_dead_dispatcher_is_taken_over_when_it_ends(mail_app, mail_sink,
                                                                      make_need, make_professional,
                                                                      propose, clock):
    proposal_for(make_need, make_professional, propose)
    leased = outbox._lease_emails(db.session, clock(), "dead-worker", 10, timedelta(minutes=5))
    db.session.commit()   # ... and the process that took the lease is gone
    assert len(leased) == 1
    run_once(db.session, clock() + timedelta(minutes=4))
    assert mail_sink.messages == []
    run_once(db.session, clock() + timedelta(minutes=5))
    run_once(db.session, clock() + timedelta(minutes=6))
    assert len(mail_sink.messages) == 1
    assert db.session.scalar(sa.select(Notification.claimed_by)) != "dead-worker"


def test_after_five_failed_attempts_the_mail_is_given_up(mail_app, make_need, make_professional,
                                                        propose, clock):
    proposal_for(make_need, make_professional, propose)
    mail_app.config["MAIL_PORT"] = free_port()
    instant = START
    for _ in range(7):
        run_once(db.session, instant)
        instant += timedelta(hours=3)
    notice = db.session.scalar(sa.select(Notification))
    assert (notice.email_status, notice.attempts) == ("failed", 5)
    assert notice.status == "sent"   # it stays in the inbox
