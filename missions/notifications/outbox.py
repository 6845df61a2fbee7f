"""The outbox: store each reminder once, deliver what is due exactly once, then e-mail it.

Every step is safe with several scheduler processes at once and with a process killed at any
instant:

1. ``store`` inserts reminders that are not there yet; the unique ``key`` and
   ``ON CONFLICT (key) DO NOTHING`` make a second production of the same reminder a no-op.
2. ``deliver_due`` takes due rows in batches. A batch is claimed, re-validated and delivered
   in ONE transaction: on PostgreSQL the claim is ``SELECT … FOR UPDATE SKIP LOCKED``, so other
   dispatchers skip the locked rows and take the next ones; on SQLite it is an UPDATE, which
   takes the database's write lock, so the next dispatcher waits and then finds the rows no
   longer pending. Each row is then marked ``sent`` (it is in the inbox) or ``skipped``, and
   the transaction commits. A process killed before that commit loses its whole batch to the
   rollback and the next run takes it again, so every row reaches the inbox exactly once.
3. ``send_emails`` mails delivered rows when SMTP is configured. Mail cannot share a
   transaction with the database, so one row after another is leased (``claimed_by``,
   ``claimed_until``, committed), sent, and marked ``emailed_at`` (committed). Rows leased by a
   process that died are taken over when the lease ends. The one window for a duplicate is a
   crash between the SMTP server accepting a message and the commit just after; the message's
   Message-ID comes from the key, so mail clients fold such a copy.
"""
from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from diaspora.auth.models import User
from diaspora.db import unit_of_work

from ..core.hooks import mission_hooks
from ..core.models import Mission, MissionSession
from ..core.vocabulary import WITHDRAWN, EmailStatus, NotificationStatus as Status
from ..scheduler import reminders
from . import pause, preferences
from .models import Notification

log = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5
EMAIL_RETRY_AFTER = timedelta(minutes=5)   # doubled after every failed attempt
# Reminders checked and inserted per statement (SQLite allows 32,766 parameters in one).
STORE_CHUNK = 500
# E-mails leased at once: few enough to be sent well within a lease (SCHEDULER_LEASE_SECONDS).
EMAIL_BATCH = 50


# --- 1. storing -------------------------------------------------------------------------------

def store(session, due: Iterable[reminders.Reminder], now: datetime) -> int:
    """Add the reminders whose key is new, in one unit of work; returns how many were added."""
    candidates = {reminder.key: reminder for reminder in due}
    added = 0
    with unit_of_work(session):
        connection = session.connection()   # Core: plain rows in, no ORM bulk machinery
        insert = _insert_new(connection)
        for keys in _chunks(list(candidates), STORE_CHUNK):
            known = set(connection.scalars(_KNOWN_KEYS, {"keys": keys}))
            rows = [_row(candidates[key], now) for key in keys if key not in known]
            if rows:
                # one executemany per chunk (one cached statement, batched by the driver)
                # rather than a VALUES list of 500 rows, which would be compiled anew each time
                added += len(connection.execute(insert, rows).all())
    return added


_KNOWN_KEYS = sa.select(Notification.key).where(
    Notification.key.in_(sa.bindparam("keys", expanding=True)))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _row(reminder: reminders.Reminder, now: datetime) -> dict:
    return {"user_id": reminder.user_id, "kind": reminder.kind, "key": reminder.key,
            "due_at": reminder.due_at, "payload": reminder.payload,
            "mission_id": reminder.mission_id, "session_id": reminder.session_id,
            "status": Status.PENDING, "attempts": 0, "created_at": now}


_INSERT_NEW: dict[str, sa.Insert] = {}


def _insert_new(connection):
    """INSERT … ON CONFLICT (key) DO NOTHING RETURNING id, in the connection's dialect (built
    once per dialect)."""
    dialect = connection.dialect.name
    if dialect not in _INSERT_NEW:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        _INSERT_NEW[dialect] = (insert(Notification.__table__)
                                .on_conflict_do_nothing(index_elements=["key"])
                                .returning(Notification.__table__.c.id))
    return _INSERT_NEW[dialect]


def notify_now(session, *, user: User, kind: str, key: str, now: datetime,
               mission_id: int | None = None, session_id: int | None = None,
               payload: dict | None = None) -> Notification:
    """A notice delivered to the inbox at once, inside the caller's transaction (e.g. a
    mission's transition): it needs no re-validation, as it reports what just happened."""
    notification = Notification(
        user_id=user.id, kind=kind, key=key, due_at=now, payload=payload or {},
        mission_id=mission_id, session_id=session_id, status=Status.SENT, sent_at=now,
        created_at=now, attempts=0, email_status=_email_status())
    session.add(notification)
    return notification


def notify_all(session, notices: list[dict], now: datetime) -> None:
    """``notify_now`` for many notices at once (dicts of its keyword arguments, with
    ``user_id`` for ``user``), in one INSERT of the caller's transaction."""
    if not notices:
        return
    email_status = _email_status()
    session.execute(sa.insert(Notification), [
        {"user_id": notice["user_id"], "kind": notice["kind"], "key": notice["key"], "due_at": now,
         "payload": notice.get("payload") or {}, "mission_id": notice.get("mission_id"),
         "session_id": notice.get("session_id"), "status": Status.SENT, "sent_at": now,
         "created_at": now, "attempts": 0, "email_status": email_status} for notice in notices])


def _email_status() -> str | None:
    """With mail configured, a delivered row waits for its e-mail."""
    return EmailStatus.PENDING if current_app.config.get("MAIL_SERVER") else None


# --- 2. delivering to the inbox -------------------------------------------------------------

def deliver_due(session, now: datetime, *, worker: str, batch_size: int) -> dict[str, int]:
    """Deliver or skip every row due at ``now``, batch by batch; counts by outcome."""
    counts: dict[str, int] = defaultdict(int)
    while True:
        with unit_of_work(session):   # one batch
            batch = _claim_due(session, now, worker, batch_size)
            if not batch:
                return dict(counts)
            for outcome, ids in _decide(session, batch, now).items():
                _settle(session, ids, outcome, now, worker)
                counts[Status.SENT if outcome is None else Status.SKIPPED] += len(ids)


def _claim_due(session, now: datetime, worker: str, limit: int) -> list[sa.Row]:
    """Lock and return up to ``limit`` due rows (plain rows: cheaper than ORM objects).

    PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` — row locks that other dispatchers step
    over, and that leave the rows' unique keys free for ``store`` to check against without
    waiting. SQLite: a claim by UPDATE, which takes the database's write lock.
    """
    table = Notification.__table__
    columns = [table.c[name] for name in reminders.ROW_FIELDS]
    due = (sa.select(*columns)
           .where(table.c.status == Status.PENDING, table.c.due_at <= now)
           .order_by(table.c.due_at, table.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        return list(session.execute(due.with_for_update(skip_locked=True)))
    claim = (table.update().where(table.c.id.in_(due.with_only_columns(table.c.id).scalar_subquery()))
             .values(claimed_by=worker).returning(*columns))
    return list(session.execute(claim))


def _decide(session, batch: list[sa.Row], now: datetime) -> dict[str | None, list[int]]:
    """Row ids by outcome: None (deliver) or the reason to skip."""
    context = _Context.load(session, batch)
    context.checked = _batch_checks(session, batch, now)
    outcomes: dict[str | None, list[int]] = defaultdict(list)
    pausing = pause.armed()
    for notification in batch:
        outcomes[skip_reason(session, context, notification, now)].append(notification.id)
        if pausing:
            pause.point("inbox")
    return outcomes


def _batch_checks(session, batch: list[sa.Row], now: datetime) -> dict[int, bool]:
    """The answers of the kinds that check a whole batch at once (one call per kind present),
    by row id."""
    checks = mission_hooks().reminder_batch_checks
    by_kind: dict[str, list[sa.Row]] = defaultdict(list)
    for notification in batch:
        if notification.kind in checks:
            by_kind[notification.kind].append(notification)
    answers = {}
    for kind, rows in by_kind.items():
        answers.update(zip((row.id for row in rows), checks[kind](session, rows, now), strict=True))
    return answers


_INACTIVE = sa.select(User.id).where(User.id.in_(sa.bindparam("ids", expanding=True)),
                                     User.active.is_(False))
_WITHDRAWN = sa.select(Mission.id).where(Mission.id.in_(sa.bindparam("ids", expanding=True)),
                                         Mission.status.in_(WITHDRAWN))


@dataclass
class _Context:
    """What a batch refers to, read at once: its inactive recipients and withdrawn missions
    (plain ids, one statement each), and the answers of the kinds checked a batch at a time
    (``MissionHooks.reminder_batch_checks``: every kind this package produces). Only for rows
    of a kind with a row validator alone are their records loaded — recipients, missions
    (with what the validators read) and sessions, a query per kind of record — which keeps
    them in the session's identity map, where validators find them with ``session.get``."""

    inactive_users: set[int]
    withdrawn_missions: set[int]
    held: list
    checked: dict[int, bool] = field(default_factory=dict)   # the batch checks' answers by row id

    @classmethod
    def load(cls, session, batch: list[sa.Row]) -> _Context:
        checks = mission_hooks().reminder_batch_checks
        alone = [n for n in batch if n.kind not in checks]   # checked row by row
        held = []
        if alone:
            held = [*_by_id(session, User, {n.user_id for n in alone}).values(),
                    # with their checklists and histories, which the reminders look at
                    *_by_id(session, Mission, {n.mission_id for n in alone},
                            selectinload(Mission.checklist), selectinload(Mission.events)).values(),
                    *_by_id(session, MissionSession, {n.session_id for n in alone}).values()]
        return cls(inactive_users=_ids(session, _INACTIVE, {n.user_id for n in batch}),
                   withdrawn_missions=_ids(session, _WITHDRAWN, {n.mission_id for n in batch}),
                   held=held)


def _ids(session, statement, ids: set) -> set[int]:
    ids.discard(None)
    if not ids:
        return set()
    return set(session.scalars(statement, {"ids": sorted(ids)}))


def _by_id(session, model, ids: set, *options) -> dict:
    ids.discard(None)
    if not ids:
        return {}
    query = sa.select(model).where(model.id.in_(ids)).options(*options)
    return {record.id: record for record in session.scalars(query)}


def skip_reason(session, context: _Context, notification: sa.Row, now: datetime) -> str | None:
    """Why a due row must not be sent any more, or None to send it."""
    if notification.user_id in context.inactive_users:
        return "inactive_user"
    if notification.mission_id in context.withdrawn_missions:
        return "mission_withdrawn"
    if notification.id in context.checked:
        return None if context.checked[notification.id] else "no_longer_valid"
    validator = mission_hooks().reminder_validators.get(notification.kind)
    if validator is not None and not validator(session, notification, now):
        return "no_longer_valid"
    return None


def _settle(session, ids: list[int], outcome: str | None, now: datetime, worker: str) -> None:
    values = ({"status": Status.SENT, "sent_at": now, "email_status": _email_status()}
              if outcome is None else {"status": Status.SKIPPED, "skip_reason": outcome})
    values["claimed_by"] = worker  # who decided
    session.execute(sa.update(Notification).where(Notification.id.in_(ids)).values(**values)
                    .execution_options(synchronize_session=False))
    if outcome is None and values["email_status"] is not None:
        preferences.unmail_opted_out(session, ids)


# --- 3. e-mail ------------------------------------------------------------------------------

def send_emails(session, now: datetime, *, worker: str, mailer) -> dict[str, int]:
    """Send every delivered row waiting for e-mail whose lease is free; counts by outcome."""
    counts: dict[str, int] = defaultdict(int)
    lease = timedelta(seconds=current_app.config["SCHEDULER_LEASE_SECONDS"])
    with unit_of_work(session):
        if gave_up := _give_up(session, now):
            counts["gave_up"] = gave_up
    while True:
        with unit_of_work(session):   # the lease holds from here, whatever happens to this process
            batch = _lease_emails(session, now, worker, EMAIL_BATCH, lease)
        if not batch:
            break
        try:
            with mailer.connection() as connection:
                for notification in batch:
                    with unit_of_work(session):
                        outcome = _send_one(session, connection, mailer, notification, now,
                                            worker)
                    counts[outcome] += 1
                    pause.point("email")
        except (smtplib.SMTPException, OSError) as error:
            log.warning("SMTP server unavailable: %s", error)
            with unit_of_work(session):
                for notification in batch:  # those not sent yet wait for a later attempt
                    session.execute(_fenced(notification, worker)
                                    .values(**_failure(notification, now, error)))
            counts["smtp_unavailable"] += 1
            break
    return dict(counts)


def _free_lease(now: datetime):
    return sa.or_(Notification.claimed_until.is_(None), Notification.claimed_until <= now)


def _give_up(session, now: datetime) -> int:
    """Fail the rows whose every attempt was used without an outcome being recorded (the
    process sending them died or was stopped): the attempt cap holds whatever happened."""
    result = session.execute(
        sa.update(Notification)
        .where(Notification.email_status == EmailStatus.PENDING, _free_lease(now),
               Notification.attempts >= MAX_EMAIL_ATTEMPTS)
        .values(email_status=EmailStatus.FAILED, claimed_until=None,
                last_error=f"gave up after {MAX_EMAIL_ATTEMPTS} attempts")
        .execution_options(synchronize_session=False))
    return result.rowcount


def _lease_emails(session, now: datetime, worker: str, limit: int,
                  lease: timedelta) -> list[Notification]:
    free = (sa.select(Notification.id)
            .where(Notification.email_status == EmailStatus.PENDING, _free_lease(now),
                   Notification.attempts < MAX_EMAIL_ATTEMPTS)
            .order_by(Notification.id).limit(limit)
            .with_for_update(skip_locked=True))
    claim = (sa.update(Notification).where(Notification.id.in_(free.scalar_subquery()))
             .values(claimed_by=worker, claimed_until=now + lease,
                     attempts=Notification.attempts + 1)
             .returning(Notification)
             .execution_options(synchronize_session=False, populate_existing=True))
    return list(session.scalars(claim))


def _send_one(session, connection, mailer, notification: Notification, now: datetime,
              worker: str) -> str:
    """Send one leased row and record the outcome (the caller commits).

    An SMTP or network error is retried later (``_failure``). Any other error comes from the
    row itself (a message that cannot be built or encoded): retrying cannot help, so the row
    is failed at once with the reason, and the rest of the batch goes out."""
    fence = _fenced(notification, worker)
    try:
        mailer.send(connection, notification, now)
    except (smtplib.SMTPException, OSError) as error:
        log.warning("e-mail for notification %s failed: %s", notification.id, error)
        session.execute(fence.values(**_failure(notification, now, error)))
        return EmailStatus.FAILED
    except SQLAlchemyError:
        raise
    except Exception as error:  # noqa: BLE001 - a poisoned row must not stop the run
        log.exception("e-mail for notification %s cannot be sent", notification.id)
        session.execute(fence.values(email_status=EmailStatus.FAILED, claimed_until=None,
                                     last_error=f"{type(error).__name__}: {error}"[:500]))
        return EmailStatus.FAILED
    session.execute(fence.values(email_status=EmailStatus.SENT, emailed_at=now, claimed_until=None,
                                 last_error=None))
    return "emailed"


def _fenced(notification: Notification, worker: str) -> sa.Update:
    """An UPDATE of the row that does nothing if the lease has passed to another dispatcher
    (or the row was already sent)."""
    return sa.update(Notification).where(Notification.id == notification.id,
                                         Notification.claimed_by == worker,
                                         Notification.email_status == EmailStatus.PENDING)


def _failure(notification: Notification, now: datetime, error: Exception) -> dict:
    """Retry later with a doubling delay; give up after ``MAX_EMAIL_ATTEMPTS``."""
    values = {"last_error": str(error)[:500]}
    if notification.attempts >= MAX_EMAIL_ATTEMPTS:
        return {**values, "email_status": EmailStatus.FAILED, "claimed_until": None}
    return {**values, "claimed_until": now + EMAIL_RETRY_AFTER * 2 ** (notification.attempts - 1)}
