"""Calendar feeds: a secret URL per person (only its digest is stored), revocable at will."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from diaspora.db import unit_of_work
from diaspora.security import token_digest

from ..core import access
from ..core.models import Mission
from .models import CalendarFeed

TOKEN_PREFIX = "cal_"
# Feeds show missions that ended up to this long ago, and everything after.
FEED_HISTORY = timedelta(days=180)


def active_feed(session, user) -> CalendarFeed | None:
    return session.scalar(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id,
                                                        CalendarFeed.revoked_at.is_(None)))


def create_feed(session, user, *, now: datetime) -> tuple[CalendarFeed, str]:
    """A new secret feed address for ``user`` (the old one stops working); the token is
    returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work(session):
        _revoke(session, user, now)
        feed = CalendarFeed(user_id=user.id, token_hash=token_digest(token), prefix=token[:12],
                            created_at=now)
        session.add(feed)
    return feed, token


def revoke_feed(session, user, *, now: datetime) -> bool:
    with unit_of_work(session):
        return _revoke(session, user, now)


def _revoke(session, user, now: datetime) -> bool:
    result = session.execute(sa.update(CalendarFeed)
                             .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
                             .values(revoked_at=now).execution_options(synchronize_session=False))
    return result.rowcount > 0


def feed_owner(session, token: str, *, now: datetime):
    """The user whose live feed this token opens, or None."""
    feed = session.scalar(sa.select(CalendarFeed).where(CalendarFeed.token_hash == token_digest(token)))
    if feed is None or not feed.active or not feed.user.active:
        return None
    with unit_of_work(session):
        feed.last_used_at = now
    return feed.user


def feed_missions(session, user, *, now: datetime) -> list[Mission]:
    """The missions ``user`` may see, from ``FEED_HISTORY`` ago on."""
    query = (access.mission_query(actor=user).where(Mission.ends_at >= now - FEED_HISTORY)
             .options(joinedload(Mission.need), joinedload(Mission.facility),
                      joinedload(Mission.professional), selectinload(Mission.sessions),
                      selectinload(Mission.events)))
    return list(session.scalars(query).unique())


def erase_feeds(session, user, now: datetime) -> None:
    """Erasure hook: the person's feed address stops working (the caller commits)."""
    _revoke(session, user, now)
