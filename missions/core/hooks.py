"""What the parts of the missions package add to the lifecycle and to the scheduler, per app.

``missions.register`` puts one ``MissionHooks`` in ``app.extensions`` and fills it (notices,
follow-up surveys, reminders); ``lifecycle.transition``, the scheduler and the outbox run what
the current app holds (``mission_hooks()``). Nothing is kept at module level, so every app
built (tests build many) has its own hooks, registered once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import Flask, current_app

from ..scheduler.reminders import BatchCheck, Producer, Validator
from .models import Mission

EXTENSION = "missions.hooks"

# fn(session, mission, action, actor, now): after every change of status, inside its
# transaction (e.g. notifications, follow-up surveys).
TransitionHook = Callable[[object, Mission, str, object, datetime], None]
# fn(session, missions, action, actor, now): the same hook for many missions moved at once
# (``lifecycle.transition_many``), in a constant number of statements.
BatchTransitionHook = Callable[[object, list, str, object, datetime], None]
# fn(session, mission, now): raises a DomainError to refuse the action (e.g. "close" needs both
# outcome reports or a waiver).
Guard = Callable[[object, Mission, datetime], None]


@dataclass
class MissionHooks:
    after_transition: list[TransitionHook] = field(default_factory=list)
    # hook → its batch form, run instead of it when many missions move at once
    after_transition_batch: dict[TransitionHook, BatchTransitionHook] = field(default_factory=dict)
    guards: dict[str, list[Guard]] = field(default_factory=dict)   # action → guards
    reminder_producers: list[Producer] = field(default_factory=list)
    reminder_validators: dict[str, Validator] = field(default_factory=dict)   # kind → validator
    # kind → the same check for a whole delivery batch, one query for all its rows; the
    # dispatcher prefers it to the row-by-row validator
    reminder_batch_checks: dict[str, BatchCheck] = field(default_factory=dict)

    def add_guard(self, action: str, guard: Guard) -> None:
        self.guards.setdefault(action, []).append(guard)


def init_app(app: Flask) -> MissionHooks:
    hooks = app.extensions[EXTENSION] = MissionHooks()
    return hooks


def mission_hooks(app: Flask | None = None) -> MissionHooks:
    """The hooks of ``app`` (the current app by default)."""
    return (app or current_app).extensions[EXTENSION]
