"""Erasure and data export of a person's notifications.

After erasure, other people's inboxes no longer name the person ("[erased] accepted …"), and
the person's own notifications are kept (their idempotency keys stop a reminder from being
made again) with their payloads scrubbed, and nothing left to deliver.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from diaspora.auth.models import User
from diaspora.privacy.scrub import scrubber_for

from ..core.privacy import missions_touching
from ..core.vocabulary import EmailStatus, NotificationStatus
from .messages import render
from .models import Notification
from .preferences import preferences


def erase_notifications(session, user: User, now: datetime) -> None:
    """Erasure hook (the caller commits)."""
    scrubber = scrubber_for(session, user)
    concerned = session.scalars(sa.select(Notification).where(sa.or_(
        Notification.user_id == user.id,
        Notification.mission_id.in_(missions_touching(user.id))))).all()
    scrubber.rows(concerned, "payload", "last_error")
    for notification in concerned:
        if notification.user_id != user.id:
            continue
        if notification.status == NotificationStatus.PENDING:
            notification.status = NotificationStatus.SKIPPED
            notification.skip_reason = "recipient_erased"
        if notification.email_status == EmailStatus.PENDING:
            notification.email_status = EmailStatus.FAILED
        notification.claimed_by = notification.claimed_until = None


def notifications_of(session, user: User) -> tuple[str, list[dict]]:
    """Export section: the person's notifications as they read them (in their language)."""
    rows = session.scalars(sa.select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.created_at, Notification.id)).all()
    return "notifications", [_exported(n, user.timezone) for n in rows]


def _exported(notification: Notification, zone: str) -> dict:
    text = render(notification, zone)
    return {"kind": notification.kind, "subject": text.subject, "body": text.body,
            "mission_id": notification.mission_id, "status": notification.status,
            "due_at": notification.due_at.isoformat(),
            "sent_at": notification.sent_at.isoformat() if notification.sent_at else None,
            "read_at": notification.read_at.isoformat() if notification.read_at else None,
            "email_status": notification.email_status}


def mail_settings_of(session, user: User) -> tuple[str, dict]:
    """Export section: which reminders the person receives by e-mail."""
    return "mail_settings", preferences(session, user)
