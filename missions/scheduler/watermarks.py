"""Each reminder producer's watermark: ask it only for what fell due since its last run.

``produce`` reads every watermark in one query, runs each producer over its window and moves
the watermarks to ``now`` in one statement of the caller's transaction (an upsert, so two
schedulers starting at once do not collide): they are committed with the reminders they cover.
A watermark later than ``now`` (a clock set back) is ignored, and that producer reads everything
in force, as on a first run. A producer written to the older contract, ``fn(session, now)``
without ``since``, is still called that way: it reads everything in force at every run.
"""
from __future__ import annotations

import inspect
from datetime import datetime

import sqlalchemy as sa

from .models import SchedulerWatermark
from .reminders import Producer, Reminder


def name_of(producer: Producer) -> str:
    return f"{producer.__module__}.{producer.__qualname__}"[:80]


def produce(session, producers: list[Producer], now: datetime) -> list[Reminder]:
    """Every reminder the producers yield over their windows ending at ``now``; moves the
    watermarks (the caller commits)."""
    names = [name_of(producer) for producer in producers]
    marks = dict(session.execute(sa.select(SchedulerWatermark.producer, SchedulerWatermark.ran_until)
                                 .where(SchedulerWatermark.producer.in_(names))).all())
    due = []
    for name, producer in zip(names, producers, strict=True):
        since = marks.get(name)
        if not takes_since(producer):
            due.extend(producer(session, now))
            continue
        due.extend(producer(session, now, since=since if since is not None and since <= now else None))
    if names:
        advance(session, names, now)
    return due


def takes_since(producer: Producer) -> bool:
    return "since" in inspect.signature(producer).parameters


def advance(session, names: list[str], now: datetime) -> None:
    """Set the named watermarks to ``now`` (INSERT … ON CONFLICT DO UPDATE)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(SchedulerWatermark).values(
        [{"producer": name, "ran_until": now} for name in sorted(set(names))])
    session.execute(statement.on_conflict_do_update(
        index_elements=["producer"], set_={"ran_until": statement.excluded.ran_until}))
