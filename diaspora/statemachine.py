"""One way to change the status of a record, safe when two people act at the same moment.

A ``Transition`` says from which statuses an action starts, to which it leads, who may take it
and whether it needs a reason. ``apply`` makes the change as a compare-and-set, in one
statement::

    UPDATE needs SET status = :target, … WHERE id = :id AND status = :seen

where ``seen`` is the status the caller read (and checked its rules against). The UPDATE takes
the row lock (PostgreSQL) or the write lock (SQLite), so of two racing transitions the second
waits for the first to commit, then finds the status changed, changes nothing and answers 409
with the status read afresh. Callers apply the transition *before* any side effect (bookings,
history, notices, audit), so the loser writes nothing at all.

Comparing with the status seen rather than with any of ``sources`` is deliberate: the caller's
checks (guards, reasons, permissions) were made against the status it saw, and a person who
confirmed a mission while another cancelled it must learn that it changed under them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from .errors import Conflict, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...] = ()
    needs_reason: bool = False

    def allows(self, status: str) -> bool:
        return status in self.sources


def check(record, transition: Transition, refusal: Callable[[str], str]) -> None:
    """409 with the current status if ``transition`` does not start from the record's status."""
    if not transition.allows(record.status):
        raise Conflict(refusal(record.status), extra={"current_status": record.status})


def rule_for(transitions: dict[str, Transition], action: str, record, *, acting_as: str | None,
             refusal: Callable[[str], str], forbidden: str, reason: str | None = None) -> Transition:
    """The rule of ``action`` on ``record`` once every check before the write passes: a known
    action (404), taken in a role it allows (403 with ``forbidden``), from the record's status
    (409, see ``check``), with a reason when it needs one (422)."""
    rule = transitions.get(action)
    if rule is None:
        raise NotFound(_("Unknown action."))
    if acting_as is None or acting_as not in rule.roles:
        raise Forbidden(forbidden)
    check(record, rule, refusal)
    if rule.needs_reason and not (reason and reason.strip()):
        raise Invalid(_("Give a reason."), errors={"reason": [_("Give a reason.")]})
    return rule


def apply(session, record, transition: Transition, *, refusal: Callable[[str], str],
          **values) -> str:
    """Move ``record`` from the status it was read with to ``transition.target``, setting
    ``values`` in the same UPDATE; returns the status it left.

    ``refusal(current_status)`` is the message of the 409 when the transition does not start
    from the record's status, or when someone changed that status meanwhile.
    """
    check(record, transition, refusal)
    model = type(record)
    seen = record.status
    changed = session.execute(
        sa.update(model).where(model.id == record.id, model.status == seen)
        .values(status=transition.target, **values)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        current = session.scalar(sa.select(model.status).where(model.id == record.id))
        raise Conflict(refusal(current), extra={"current_status": current})
    _settle(record, transition, values)
    return seen


def apply_many(session, records: list, transition: Transition, **values) -> list[tuple[object, str]]:
    """``apply`` for many records of one model at once: one compare-and-set UPDATE per status
    seen (``… WHERE id IN (:ids) AND status = :seen RETURNING id``), so a constant number of
    statements however many records. Returns ``(record, status it left)`` for the records
    that moved; a record whose status someone changed meanwhile (or that the transition does
    not start from) is left out, untouched."""
    by_seen: dict[str, list] = {}
    for record in records:
        if transition.allows(record.status):
            by_seen.setdefault(record.status, []).append(record)
    moved = []
    for seen, group in by_seen.items():
        model = type(group[0])
        changed = set(session.scalars(
            sa.update(model).where(model.id.in_([record.id for record in group]), model.status == seen)
            .values(status=transition.target, **values).returning(model.id)
            .execution_options(synchronize_session=False)))
        for record in group:
            if record.id in changed:
                _settle(record, transition, values)
                moved.append((record, seen))
    return moved


def _settle(record, transition: Transition, values: dict) -> None:
    """Show the row's new values on the loaded record, as committed (no second write)."""
    for name, value in {"status": transition.target, **values}.items():
        set_committed_value(record, name, value)
