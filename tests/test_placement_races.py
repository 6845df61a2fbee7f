"""One trainee, two overlapping places, two managers selecting at the same moment: exactly one
wins, the other answers 409 naming the winner's placement, and the database holds no overlap.

Racers are separate OS processes (``spawn``) on PostgreSQL and threads on SQLite, each with its
own app and connection, released together from a barrier (as ``tests/test_races.py``).
"""
from __future__ import annotations

import os
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from diaspora.errors import Conflict
from diaspora.extensions import db
from missions.placements import services
from missions.placements.models import Placement, PlacementEvent
from missions.placements.vocabulary import HOLDING

from .conftest import START, make_app
from .test_races import WAIT_SECONDS, ProcessRacers, ThreadRacers

REPLAYS = int(os.environ.get("RACE_REPLAYS", "5"))


def attempt(job, barrier) -> str:
    """Select the placement ``job.record_id`` as ``job.actor_id`` once every racer is ready."""
    from diaspora.auth.models import User

    try:
        actor = db.session.get(User, job.actor_id)
        placement = db.session.get(Placement, job.record_id)
        assert placement.status == "nominated"   # what the manager's open page shows
        barrier.wait(timeout=WAIT_SECONDS)
        services.transition(db.session, placement, "select", actor=actor, now=START)
        return "won"
    except Conflict as error:
        return f"409 {error.extra.get('conflicting_placement')}"
    except Exception as error:  # reported to the test, which fails on it
        return f"error {error!r}"
    finally:
        db.session.remove()


class Job:
    def __init__(self, record_id: int, actor_id: int):
        self.record_id, self.actor_id = record_id, actor_id


def seed(session):
    """Two managers, a coordinator's facility with one midwife, a partner."""
    from diaspora.auth.models import User
    from diaspora.facilities.models import Facility
    from diaspora.programmes.models import Programme

    from .placement_factories import make_partner, make_worker

    managers = [User(email=f"m{n}@race.example", name=f"Manager {n}", role="manager",
                     password_hash="-", created_at=START, timezone="Africa/Accra") for n in (1, 2)]
    facility = Facility(external_id="race:placements", source="test", name="Race Hospital",
                        country="GH", category="hospital", ownership="public",
                        timezone="Africa/Accra", setting="rural", imported_at=START,
                        updated_at=START)
    session.add_all([*managers, facility, Programme(name="Race", origin_country="GH",
                                                     host_countries=["NL"],
                                                     starts_on=date(2025, 1, 1), managers=managers)])
    session.commit()
    partner = make_partner(managers[0])
    worker = make_worker(managers[0], facility)
    return [m.id for m in managers], partner, worker


def stage(session, managers, partner, worker, n: int) -> list[int]:
    """Two nominations of the worker on offers that overlap; each replay a month of its own."""
    from diaspora.auth.models import User

    from .placement_factories import make_offer

    manager = session.get(User, managers[0])
    first_day = date(2026, 6, 1) + timedelta(days=40 * n)
    offers = [make_offer(manager, partner, title=f"Offer {n}-{k}",
                         starts_on=first_day + timedelta(days=5 * k),
                         ends_on=first_day + timedelta(days=20 + 5 * k)) for k in (0, 1)]
    return [services.nominate(session, offer, worker, actor=manager, now=START).id
            for offer in offers]


def check(session, ids: list[int], outcomes: list[str], n: int) -> None:
    assert outcomes.count("won") == 1, f"replay {n}: {outcomes}"
    winner = ids[outcomes.index("won")]
    loser = ids[1 - outcomes.index("won")]
    assert outcomes[ids.index(loser)] == f"409 {winner}", outcomes
    statuses = {p.id: p.status for p in session.scalars(
        sa.select(Placement).where(Placement.id.in_(ids)))}
    assert statuses == {winner: "selected", loser: "nominated"}
    # The loser wrote nothing: its history is its nomination alone.
    assert session.scalar(sa.select(sa.func.count()).where(PlacementEvent.placement_id == loser)) == 1
    first, second = aliased(Placement), aliased(Placement)
    assert session.scalar(sa.select(sa.func.count()).select_from(first).join(second, sa.and_(
        first.worker_id == second.worker_id, first.id < second.id,
        first.status.in_(HOLDING), second.status.in_(HOLDING),
        first.starts_on <= second.ends_on, second.starts_on <= first.ends_on))) == 0


def replay(url: str, racers_of) -> None:
    app = make_app(url)
    racers = racers_of(url, 2, attempt=attempt)
    try:
        with app.app_context():
            managers, partner, worker = seed(db.session)
            for n in range(REPLAYS):
                ids = stage(db.session, managers, partner, worker, n)
                outcomes = racers.run([Job(ids[0], managers[0]), Job(ids[1], managers[1])])
                db.session.expire_all()
                check(db.session, ids, outcomes, n)
            db.session.remove()
            db.engine.dispose()
    finally:
        racers.close()


def test_processes_on_postgresql_one_trainee_one_winner(postgres_database_url):
    replay(postgres_database_url, ProcessRacers)


def test_threads_on_sqlite_one_trainee_one_winner(sqlite_url):
    replay(sqlite_url, ThreadRacers)
