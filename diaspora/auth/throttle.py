"""Slowing down password guessing, in the database so that every web worker sees the same counts.

Two mechanisms:

- **Back-off per e-mail and client address.** The first ``LOGIN_LOCKOUT_THRESHOLD`` failures
  for one e-mail address from one client address are free; each further failure makes that
  pair wait ``LOGIN_BACKOFF_SECONDS``, doubled each time, up to ``LOGIN_BACKOFF_MAX_MINUTES``.
  Unknown e-mail addresses are counted like accounts. Someone guessing from elsewhere never
  locks the owner out of their own address. A day without failures forgets the pair.
- **A rate limit per client address** on sign-in, registration and token requests
  (flask-limiter, ``LOGIN_RATE_LIMIT``). Its counters live in Redis when
  ``RATELIMIT_STORAGE_URI`` says so, otherwise in this app's own database: the
  ``database://`` storage below, which flask-limiter finds by its scheme.
"""
from __future__ import annotations

import hmac
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from limits.storage import Storage

from ..extensions import db
from .models import RateLimitCounter, SignInFailure

# A pair of addresses with no failure for this long starts again from zero.
FORGET_AFTER = timedelta(days=1)


def _insert(bind):
    """The dialect's INSERT, which has ON CONFLICT … DO UPDATE on both databases."""
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


# --- back-off per e-mail and client address --------------------------------------------------

def attempt_key(email: str, address: str | None) -> str:
    """The key of one (e-mail, client address) pair: an HMAC with the app's secret key."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    message = f"{email.strip().lower()}\n{address or ''}".encode()
    return hmac.new(secret, message, "sha256").hexdigest()


def is_blocked(session, key: str, now: datetime) -> bool:
    blocked_until = session.scalar(sa.select(SignInFailure.blocked_until).where(
        SignInFailure.key == key, SignInFailure.last_failed_at >= now - FORGET_AFTER))
    return blocked_until is not None and blocked_until > now


def record_failure(session, key: str, now: datetime) -> None:
    """Count one failure (atomically: several workers may count at once) and, past the
    threshold, block the pair for a doubling wait. The caller commits."""
    session.execute(sa.delete(SignInFailure).where(SignInFailure.last_failed_at < now - FORGET_AFTER))
    insert = _insert(session.get_bind())(SignInFailure).values(key=key, failures=1, last_failed_at=now)
    failures = session.execute(insert.on_conflict_do_update(
        index_elements=["key"],
        set_={"failures": SignInFailure.failures + 1, "last_failed_at": insert.excluded.last_failed_at},
    ).returning(SignInFailure.failures)).scalar_one()
    config = current_app.config
    beyond = failures - config["LOGIN_LOCKOUT_THRESHOLD"]
    if beyond >= 0:
        wait = min(config["LOGIN_BACKOFF_SECONDS"] * 2 ** beyond, config["LOGIN_BACKOFF_MAX_MINUTES"] * 60)
        session.execute(sa.update(SignInFailure).where(SignInFailure.key == key)
                        .values(blocked_until=now + timedelta(seconds=wait)))


def clear_failures(session, key: str) -> None:
    session.execute(sa.delete(SignInFailure).where(SignInFailure.key == key))


# --- flask-limiter's counters in the database -------------------------------------------------

class DatabaseStorage(Storage):
    """``database://``: fixed-window counters (flask-limiter's default strategy) in the table
    ``rate_limit_counters`` of the current app's database, each change in a short transaction
    of its own. Counting is one atomic upsert, so concurrent workers never lose a hit."""

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self) -> type[Exception]:
        return sa.exc.SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateLimitCounter.__table__
        with db.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.expires_at <= now))
            insert = _insert(connection)(table).values(key=key, count=amount, expires_at=now + expiry)
            return connection.execute(insert.on_conflict_do_update(
                index_elements=["key"], set_={"count": table.c.count + insert.excluded.count},
            ).returning(table.c.count)).scalar_one()

    def get(self, key: str) -> int:
        table = RateLimitCounter.__table__
        with db.engine.connect() as connection:
            count = connection.scalar(sa.select(table.c.count).where(
                table.c.key == key, table.c.expires_at > time.time()))
        return count or 0

    def get_expiry(self, key: str) -> float:
        table = RateLimitCounter.__table__
        with db.engine.connect() as connection:
            expires_at = connection.scalar(sa.select(table.c.expires_at).where(table.c.key == key))
        return expires_at if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            with db.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            return connection.execute(RateLimitCounter.__table__.delete()).rowcount

    def clear(self, key: str) -> None:
        table = RateLimitCounter.__table__
        with db.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.key == key))
