"""A person's inbox: the notifications delivered to them, newest first."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora.db import unit_of_work
from diaspora.errors import NotFound

from ..core.vocabulary import NotificationStatus
from .models import Notification


def inbox_query(user, *, unread_only: bool = False) -> sa.Select:
    query = (sa.select(Notification)
             .where(Notification.user_id == user.id, Notification.status == NotificationStatus.SENT)
             .order_by(Notification.sent_at.desc(), Notification.id.desc()))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query


def unread_count(session, user) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(
        inbox_query(user, unread_only=True).order_by(None).subquery()))


def get_own(session, user, notification_id: int) -> Notification:
    """One of the user's delivered notifications (someone else's is as absent as a missing one)."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id or notification.status != NotificationStatus.SENT:
        raise NotFound(_("No such notification."))
    return notification


def mark_read(session, user, notification_id: int, *, now: datetime) -> Notification:
    notification = get_own(session, user, notification_id)
    if notification.read_at is None:
        with unit_of_work(session):
            notification.read_at = now
    return notification


def mark_all_read(session, user, *, now: datetime) -> int:
    with unit_of_work(session):
        result = session.execute(
            sa.update(Notification)
            .where(Notification.user_id == user.id, Notification.status == NotificationStatus.SENT,
                   Notification.read_at.is_(None))
            .values(read_at=now).execution_options(synchronize_session=False))
    return result.rowcount
