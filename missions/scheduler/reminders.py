"""The contract between what is due and the scheduler that sends it.

Any part of the missions package can declare reminders without knowing how they are sent:

- a *producer* is ``fn(session, now, since=None) -> Iterable[Reminder]``: the reminders that
  should exist at ``now`` (due now or later) and fell due after ``since`` — the producer's
  watermark, the ``now`` of its previous run (``missions.scheduler.watermarks``) — or concern
  a record changed since then; with ``since=None``, every reminder in force. Producers are
  pure reads; the scheduler stores what they yield as outbox rows keyed by ``Reminder.key``,
  so yielding the same reminder again changes nothing.
- a *validator* for a kind is ``fn(session, notification, now) -> bool``, asked again just
  before sending: False means the reason is gone (mission cancelled, report already filed) and
  nothing is sent. ``notification`` is a row with the fields ``ROW_FIELDS``; the mission and
  session it names are already loaded, so ``session.get(Mission, notification.mission_id)``
  costs no query. Whatever the kind, the dispatcher itself drops a reminder whose recipient
  was deactivated or whose mission was cancelled, declined or postponed.

A kind whose check needs a query may also declare a *batch check*,
``fn(session, notifications, now) -> list[bool]``: the same answer for every row of a delivery
batch at once (one query for all of them, not one per row); the dispatcher prefers it, and the
row validator is then ``one_at_a_time(batch)``, the same rule asked for one row.

Producers, validators and batch checks are registered per app, on its ``MissionHooks``
(``missions.core.hooks``: ``reminder_producers``, ``reminder_validators``,
``reminder_batch_checks``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Reminder:
    user_id: int
    kind: str                 # e.g. "proposal_waiting", "follow_up_due"
    key: str                  # idempotency key, unique across all reminders ever
    due_at: datetime          # UTC, aware
    mission_id: int | None = None
    session_id: int | None = None
    payload: dict = field(default_factory=dict)  # values for the message template


# What a validator can read of the notification it is asked about.
ROW_FIELDS = ("id", "user_id", "kind", "key", "due_at", "payload", "mission_id", "session_id")

Producer = Callable[..., Iterable[Reminder]]   # (session, now, since=None)
Validator = Callable[[object, object, datetime], bool]
BatchCheck = Callable[[object, list, datetime], list[bool]]


def one_at_a_time(check: BatchCheck) -> Validator:
    """The row validator of a batch check: the same rule, asked for one row."""
    def validator(session, notification, now: datetime) -> bool:
        return check(session, [notification], now)[0]
    return validator
