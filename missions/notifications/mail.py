"""E-mail through SMTP (``MAIL_*`` settings), in each recipient's language and time zone.

Each message is HTML with a plain-text alternative. Replies go to the programme (its reply-to
address, else its managers, else ``MAIL_REPLY_TO``). Mail about a mission carries the facts
a person needs to decide, and a proposal the professional's signed accept / decline links
(``answers``). Proposals, confirmations and changes carry the mission as an iCalendar
invitation (``METHOD:REQUEST``), and cancellations, declines and postponements take it off
calendars (``METHOD:CANCEL``).
"""
from __future__ import annotations

import hashlib
import smtplib
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from flask import Flask, render_template
from flask_babel import force_locale, get_locale
from sqlalchemy.orm import object_session

from ..calendars import ics
from ..core.models import Mission
from ..core.vocabulary import MissionStatus
from . import answers, details, messages
from .models import Notification

# Kinds whose mail shows the mission's facts.
WITH_FACTS = ("mission_proposed", "proposal_waiting", "mission_confirmed")
# Kinds whose mail carries the mission as a calendar invitation (or its cancellation).
WITH_INVITATION = ("mission_proposed", "mission_confirmed", "mission_cancelled",
                   "mission_postponed", "session_cancelled")
# Kinds whose mail asks the professional for an answer.
WITH_ANSWER = ("mission_proposed", "proposal_waiting")
# A mission in these states is off the calendar: its invitation is a cancellation.
CALLED_OFF = (MissionStatus.CANCELLED, MissionStatus.DECLINED, MissionStatus.POSTPONED)


class Mailer:
    """Sends notifications through the configured SMTP server, one connection per batch."""

    def __init__(self, app: Flask):
        self.app = app
        self.config = app.config

    @contextmanager
    def connection(self):
        smtp = smtplib.SMTP(self.config["MAIL_SERVER"], self.config["MAIL_PORT"],
                            timeout=self.config["MAIL_TIMEOUT_SECONDS"])
        try:
            if self.config["MAIL_USE_TLS"]:
                smtp.starttls()
            if self.config["MAIL_USERNAME"]:
                smtp.login(self.config["MAIL_USERNAME"], self.config["MAIL_PASSWORD"] or "")
            yield smtp
        finally:
            smtp.close()

    def send(self, smtp: smtplib.SMTP, notification: Notification, now: datetime) -> None:
        smtp.send_message(self.compose(notification, now))

    def compose(self, notification: Notification, now: datetime) -> EmailMessage:
        user = notification.user
        mission = (object_session(notification).get(Mission, notification.mission_id)
                   if notification.mission_id else None)
        # A request context on the public address lets url_for(_external=True) build links.
        with self.app.test_request_context(base_url=self.config["PUBLIC_URL"]), \
                force_locale(user.locale or self.config["BABEL_DEFAULT_LOCALE"]):
            text = messages.render(notification, user.timezone)
            context = {
                "text": text, "user": user, "mission": mission, "locale": str(get_locale()),
                "facts": (details.facts(mission, user.timezone)
                          if mission is not None and notification.kind in WITH_FACTS else []),
                "answer": (answers.answer_links(mission, user, now=now)
                           if mission is not None and notification.kind in WITH_ANSWER else {}),
            }
            body = render_template("notifications/email.txt", **context)
            html = render_template("notifications/email.html", **context)
            invitation = self._invitation(notification, mission)
        message = EmailMessage()
        message["Subject"] = " ".join(text.subject.split())  # one line, whatever a title holds
        message["From"] = self.config["MAIL_SENDER"]
        message["To"] = user.email
        if reply_to := reply_addresses(mission, self.config):
            message["Reply-To"] = ", ".join(reply_to)
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id(notification.key, self.config["MAIL_SENDER"])
        message["X-Diaspora-Notification"] = notification.key
        message.set_content(body)
        message.add_alternative(html, subtype="html")
        if invitation is not None:
            method, calendar = invitation
            message.add_attachment(calendar, maintype="text", subtype="calendar",
                                   filename=f"mission-{mission.id}.ics",
                                   params={"method": method})
        return message

    @staticmethod
    def _invitation(notification: Notification, mission: Mission | None) -> tuple[str, bytes] | None:
        if mission is None or notification.kind not in WITH_INVITATION:
            return None
        method = "CANCEL" if mission.status in CALLED_OFF else "REQUEST"
        return method, ics.invitation(mission, attendee=notification.user, method=method)


def reply_addresses(mission: Mission | None, config) -> list[str]:
    """Where a reply goes: the programme's reply-to address, else its managers, else
    ``MAIL_REPLY_TO`` (none: no Reply-To)."""
    programme = mission.need.programme if mission is not None else None
    if programme is not None:
        if programme.reply_to:
            return [programme.reply_to]
        managers = [user.email for user in programme.managers if user.active]
        if managers:
            return managers
    return [config["MAIL_REPLY_TO"]] if config.get("MAIL_REPLY_TO") else []


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for every copy of one notification, so clients fold duplicates."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender.rpartition('@')[2] or 'localhost'}>"
