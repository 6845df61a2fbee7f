"""E-mail through SMTP (``MAIL_*`` settings), in each recipient's language and time zone."""
from __future__ import annotations

import hashlib
import smtplib
from contextlib import contextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from flask import Flask, render_template
from flask_babel import force_locale

from . import messages
from .models import Notification


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
        # A request context on the public address lets url_for(_external=True) build links.
        with self.app.test_request_context(base_url=self.config["PUBLIC_URL"]), \
                force_locale(user.locale or self.config["BABEL_DEFAULT_LOCALE"]):
            text = messages.render(notification, user.timezone)
            body = render_template("notifications/email.txt", text=text, user=user)
        message = EmailMessage()
        message["Subject"] = " ".join(text.subject.split())  # one line, whatever a title holds
        message["From"] = self.config["MAIL_SENDER"]
        message["To"] = user.email
        message["Date"] = format_datetime(now)
        message["Message-ID"] = message_id(notification.key, self.config["MAIL_SENDER"])
        message["X-Diaspora-Notification"] = notification.key
        message.set_content(body)
        return message


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for every copy of one notification, so clients fold duplicates."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender.rpartition('@')[2] or 'localhost'}>"
