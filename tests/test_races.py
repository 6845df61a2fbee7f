"""Two people acting on one record at the same moment: exactly one wins, the other is a 409.

Each race brings a fresh record to a status, lets every racer read it (as a page they have
open), holds them at a barrier, then releases them together, each with its own connection:
threads on SQLite, separate OS processes (``spawn``) on PostgreSQL. After every run: one
winner, the others 409 with the winner's status, one history entry, one notice, and the
booking invariant (a mission holds its bookings exactly while its status holds time, and no
two active bookings of one professional overlap).

``RACE_REPLAYS`` (default 10) sets how many times each race is replayed.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from diaspora.errors import Conflict
from diaspora.extensions import db
from diaspora.needs import services as needs
from diaspora.needs.models import Need, NeedEvent
from missions.core import lifecycle, proposals
from missions.core.models import Booking, Mission, MissionEvent
from missions.core.vocabulary import HOLDING
from missions.notifications.models import Notification

from .conftest import START, make_app

REPLAYS = int(os.environ.get("RACE_REPLAYS", "10"))
REASON = "Changed plans"
WAIT_SECONDS = 120   # a racer that never reaches the barrier fails the test, never hangs it


@dataclass(frozen=True)
class Race:
    name: str
    record: str                           # "mission" or "need"
    start: str                            # the status the record is brought to first
    attempts: tuple[tuple[str, str], ...]  # (action, who): "professional" or "manager"


RACES = [
    Race("accept-vs-cancel", "mission", "proposed", (("accept", "professional"), ("cancel", "manager"))),
    Race("confirm-confirm-cancel", "mission", "accepted",
         (("confirm", "manager"), ("confirm", "manager"), ("cancel", "manager"))),
    Race("triple-accept", "mission", "proposed", (("accept", "professional"),) * 3),
    Race("approve-vs-return", "need", "submitted", (("approve", "manager"), ("return", "manager"))),
]


@dataclass(frozen=True)
class Job:
    record: str
    record_id: int
    action: str
    actor_id: int
    reason: str | None


# --- what each racer does (in a thread or in a process) --------------------------------------

def attempt(job: Job, barrier) -> str:
    """Read the record, wait for the others, act: "won", "409 <current status>" or an error."""
    from diaspora.auth.models import User

    try:
        actor = db.session.get(User, job.actor_id)
        if job.record == "mission":
            mission = db.session.get(Mission, job.record_id)
            assert mission.status  # what the racer's open page shows

            def fire():
                lifecycle.transition(db.session, mission, job.action, actor=actor, now=START,
                                     reason=job.reason)
        else:
            need = db.session.get(Need, job.record_id)
            assert need.status

            def fire():
                needs.act(db.session, need, job.action, actor=actor, now=START, reason=job.reason)
        barrier.wait(timeout=WAIT_SECONDS)
        fire()
        return "won"
    except Conflict as error:
        return f"409 {error.extra.get('current_status')}"
    except Exception as error:  # reported to the test, which fails on it
        return f"error {error!r}"
    finally:
        db.session.remove()


def serve(url: str, barrier, connection, attempt=attempt) -> None:
    """A racing process: its own app and connection; one ``attempt`` per job until told to stop
    (``attempt`` is a module-level function, so a spawned process can import it)."""
    app = make_app(url)
    with app.app_context():
        while (job := connection.recv()) is not None:
            connection.send(attempt(job, barrier))
        db.engine.dispose()


class ThreadRacers:
    def __init__(self, url: str, parties: int, attempt=attempt):
        self.app = make_app(url)
        self.attempt = attempt

    def run(self, jobs: list[Job]) -> list[str]:
        barrier = threading.Barrier(len(jobs))
        outcomes: list[str | None] = [None] * len(jobs)

        def race(index: int, job: Job) -> None:
            with self.app.app_context():
                outcomes[index] = self.attempt(job, barrier)

        threads = [threading.Thread(target=race, args=pair) for pair in enumerate(jobs)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS)
        return outcomes

    def close(self) -> None:
        with self.app.app_context():
            db.engine.dispose()


class ProcessRacers:
    def __init__(self, url: str, parties: int, attempt=attempt):
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(parties)
        self.pipes, self.processes = [], []
        for _ in range(parties):
            ours, theirs = context.Pipe()
            process = context.Process(target=serve, args=(url, self.barrier, theirs, attempt),
                                      daemon=True)
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)

    def run(self, jobs: list[Job]) -> list[str]:
        for pipe, job in zip(self.pipes, jobs):
            pipe.send(job)
        return [pipe.recv() if pipe.poll(WAIT_SECONDS) else "error: no answer" for pipe in self.pipes]

    def close(self) -> None:
        for pipe, process in zip(self.pipes, self.processes):
            pipe.send(None)
            process.join(WAIT_SECONDS)
            if process.is_alive():
                process.kill()


# --- staging and checking (in the test's own process) ----------------------------------------

@dataclass(frozen=True)
class People:
    manager_id: int
    professional_id: int
    professional_user_id: int
    facility_id: int


def seed_people(session) -> People:
    from diaspora.auth.models import User
    from diaspora.facilities.models import Facility
    from diaspora.professionals.models import Licence
    from diaspora.professionals.services import create_professional
    from diaspora.programmes.models import Programme

    manager = User(email="manager@race.example", name="Manager", role="manager", password_hash="-",
                   created_at=START, timezone="Africa/Accra")
    person = User(email="pro@race.example", name="Professional", role="professional",
                  password_hash="-", created_at=START, timezone="Europe/London")
    facility = Facility(external_id="race:1", source="test", name="Race Hospital", country="GH",
                        admin1="Northern", facility_type="District Hospital", category="hospital",
                        tier=3, ownership="public", latitude=9.4, longitude=-0.85,
                        timezone="Africa/Accra", setting="rural", imported_at=START, updated_at=START)
    # The manager's programme has the facility's country as origin: the race's needs (filed
    # without a programme) are within the manager's reach (``diaspora.programmes.access``).
    programme = Programme(name="Race programme", origin_country="GH", host_countries=["GB"],
                          starts_on=date(2025, 1, 1), managers=[manager])
    session.add_all([manager, person, facility, programme])
    session.flush()
    professional = create_professional(session, person, {
        "given_name": "Ama", "family_name": "Mensah", "cadre": "2212", "country_of_origin": "GH",
        "country_of_residence": "GB", "timezone": "Europe/London", "gender": "female",
        "offers_physical": True, "offers_virtual": True}, now=START, consent_version="2026-01")
    professional.consent_given = True
    professional.licences.append(Licence(country="GH", authority="Council", number="N1",
                                         valid_from=date(2025, 1, 1), valid_until=date(2028, 12, 31)))
    session.commit()
    return People(manager.id, professional.id, person.id, facility.id)


def stage(session, people: People, race: Race, replay: int) -> int:
    """A fresh record in ``race.start``; its id. Missions of one professional never overlap
    from one replay to the next: each takes two days of its own."""
    from diaspora.auth.models import User
    from diaspora.professionals.models import Professional

    need = Need(facility_id=people.facility_id, title=f"Race {replay}", cadre="2212",
                specialty="obstetrics-gynaecology", purpose="clinical_service", mode="physical",
                earliest_start=date(2026, 4, 1), latest_end=date(2027, 12, 31), duration_days=2,
                status="submitted" if race.record == "need" else "approved", languages=["en"],
                skills=[], created_at=START, updated_at=START)
    session.add(need)
    session.commit()
    if race.record == "need":
        return need.id
    manager = session.get(User, people.manager_id)
    mission = proposals.propose_mission(
        session, need, session.get(Professional, people.professional_id),
        {"kind": "physical", "starts_on": date(2026, 4, 1) + timedelta(days=3 * replay)},
        actor=manager, now=START)
    if race.start == "accepted":
        lifecycle.transition(session, mission, "accept", actor=session.get(User, people.professional_user_id),
                             now=START)
    assert mission.status == race.start
    return mission.id


def jobs_for(race: Race, people: People, record_id: int) -> list[Job]:
    rules = lifecycle.TRANSITIONS if race.record == "mission" else needs.TRANSITIONS
    return [Job(race.record, record_id, action,
                people.manager_id if who == "manager" else people.professional_user_id,
                REASON if rules[action].needs_reason else None)
            for action, who in race.attempts]


def history_and_notices(session, race: Race, record_id: int) -> tuple[int, int]:
    if race.record == "mission":
        events = sa.select(sa.func.count()).where(MissionEvent.mission_id == record_id)
        notices = sa.select(sa.func.count()).where(Notification.mission_id == record_id)
    else:
        events = sa.select(sa.func.count()).where(NeedEvent.need_id == record_id)
        notices = sa.select(sa.func.count()).select_from(Notification)
    return session.scalar(events), session.scalar(notices)


def check_booking_invariant(session) -> None:
    for mission in session.scalars(sa.select(Mission)):
        active = [booking.active for booking in mission.bookings]
        if mission.status in HOLDING:
            assert active and all(active), f"{mission} lost its bookings"
        else:
            assert not any(active), f"{mission} still holds time"
    first, second = aliased(Booking), aliased(Booking)
    overlapping = session.scalar(sa.select(sa.func.count()).select_from(first).join(second, sa.and_(
        first.professional_id == second.professional_id, first.id < second.id,
        first.active, second.active, first.starts_at < second.ends_at,
        second.starts_at < first.ends_at)))
    assert overlapping == 0


def replay(url: str, race: Race, racers_of) -> None:
    app = make_app(url)
    racers = racers_of(url, len(race.attempts))
    try:
        with app.app_context():
            people = seed_people(db.session)
            for n in range(REPLAYS):
                record_id = stage(db.session, people, race, n)
                events, notices = history_and_notices(db.session, race, record_id)
                outcomes = racers.run(jobs_for(race, people, record_id))
                db.session.expire_all()
                check_one_winner(db.session, race, record_id, outcomes, events, notices, n)
            db.session.remove()
            db.engine.dispose()
    finally:
        racers.close()


def check_one_winner(session, race: Race, record_id: int, outcomes: list[str], events: int,
                     notices: int, n: int) -> None:
    rules = lifecycle.TRANSITIONS if race.record == "mission" else needs.TRANSITIONS
    assert outcomes.count("won") == 1, f"replay {n}: {outcomes}"
    target = rules[race.attempts[outcomes.index("won")][0]].target
    assert sorted(outcomes) == sorted(["won"] + [f"409 {target}"] * (len(outcomes) - 1)), outcomes
    record = session.get(Mission if race.record == "mission" else Need, record_id)
    assert record.status == target
    # One history entry and (for a mission) one notice: the winner's, none of the losers'.
    assert history_and_notices(session, race, record_id) == (
        events + 1, notices + (1 if race.record == "mission" else 0)), f"replay {n}"
    check_booking_invariant(session)


@pytest.mark.parametrize("race", RACES, ids=[race.name for race in RACES])
def test_threads_on_sqlite_one_winner(sqlite_url, race):
    replay(sqlite_url, race, ThreadRacers)


@pytest.mark.parametrize("race", RACES, ids=[race.name for race in RACES])
def test_processes_on_postgresql_one_winner(postgres_database_url, race):
    replay(postgres_database_url, race, ProcessRacers)
