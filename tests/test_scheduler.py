"""The scheduler process: where it starts, its job, its command — and, on PostgreSQL, real
processes killed mid-batch or running side by side, delivering everything exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from missions.core.models import Mission, MissionEvent
from missions.notifications.models import Notification
from missions.scheduler import process as scheduler

from .conftest import START, make_app

ROOT = Path(__file__).resolve().parents[1]


# --- where the scheduler starts --------------------------------------------------------------

@pytest.mark.parametrize("command, reload, debug, run_main, starts", [
    ("run", False, False, None, True),     # make run: flask run --no-reload
    ("run", None, False, None, True),      # flask run: no reloader without --debug
    ("run", None, True, None, False),      # flask run --debug: the reloader's watcher ...
    ("run", None, True, "true", True),     # ... and its serving child
    ("run", True, False, None, False),     # flask run --reload: the watcher
    ("run", True, False, "true", True),
    ("upgrade", None, False, None, False),  # any other command
    ("scheduler", None, False, None, False),
])
def test_only_the_serving_process_of_flask_run_starts_it(app, monkeypatch, command, reload, debug,
                                                         run_main, starts):
    app.config["SCHEDULER_ENABLED"] = True
    app.debug = debug
    if run_main:
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", run_main)
    else:
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    with click.Context(click.Command(command), info_name=command) as context:
        context.params["reload"] = reload
        assert scheduler.should_start_in_process(app) is starts
        app.config["SCHEDULER_ENABLED"] = False
        assert scheduler.should_start_in_process(app) is False


def test_outside_flask_run_nothing_starts(app):
    app.config["SCHEDULER_ENABLED"] = True
    assert scheduler.should_start_in_process(app) is False
    assert "scheduler" not in app.extensions


def wait_for(condition, seconds: float = 60, what: str = "condition", watched=()):
    """Poll ``condition`` until it holds (the subject is another thread or process); on a
    time-out, say what the ``watched`` processes printed."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n"
                                 + "\n".join(process.describe() for process in watched))
        time.sleep(0.1)


@pytest.mark.own_app   # the job runs in the scheduler's thread, on its own connection
def test_the_background_job_runs_at_once_then_on_its_interval(app, make_need, make_professional,
                                                              propose, clock):
    professional = make_professional()
    propose(make_need(), professional)
    clock.set(START + timedelta(days=3))
    running = scheduler.start(app)
    try:
        job = running.get_job(scheduler.JOB_ID)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
        assert job.trigger.interval == timedelta(seconds=60)

        def reminded():
            db.session.expire_all()
            return db.session.scalar(sa.select(Notification.status).where(
                Notification.kind == "proposal_waiting")) == "sent"

        wait_for(reminded, what="the first run")
    finally:
        running.shutdown(wait=True)


def test_the_command_runs_once(app, runner, make_need, make_professional, propose, clock):
    propose(make_need(), make_professional())
    clock.set(START + timedelta(days=3))
    result = runner.invoke(args=["missions", "scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output and "stored=1" in result.output


# --- real processes on PostgreSQL --------------------------------------------------------------

def seed(url: str, *, people: int, started_missions: int = 0) -> set[str]:
    """People whose availability is seven months old (one reminder each is due), and confirmed
    missions whose start has passed; returns the reminders' keys."""
    from diaspora.auth.models import User
    from diaspora.facilities.models import Facility
    from diaspora.needs.models import Need
    from diaspora.professionals.services import create_professional
    from missions.core import lifecycle, proposals

    now = datetime.now(UTC)
    app = make_app(url)
    with app.app_context():
        manager = User(email="admin@example.org", name="Admin", role="admin",  # acts on every programme
                       password_hash="x", created_at=now)
        facility = Facility(external_id="seed", source="test", name="Tamale", country="GH",
                            category="hospital", ownership="public", timezone="Africa/Accra",
                            setting="urban", imported_at=now, updated_at=now)
        db.session.add_all([manager, facility])
        professionals = []
        for n in range(people):
            user = User(email=f"p{n}@example.org", name=f"P{n}", role="professional",
                        password_hash="x", created_at=now, timezone="Africa/Accra")
            db.session.add(user)
            professional = create_professional(db.session, user, {
                "given_name": "Ama", "family_name": f"P{n}", "cadre": "2221",
                "country_of_origin": "GH", "country_of_residence": "GB", "timezone": "Europe/London",
                "gender": "female", "offers_physical": True, "offers_virtual": True},
                now=now, consent_version="2026-01")
            professional.consent_given = True
            professional.availability_updated_at = now - timedelta(days=212)
            professionals.append(professional)
        db.session.commit()
        today = now.date()
        for professional in professionals[:started_missions]:
            need = Need(facility_id=facility.id, title="Teaching", cadre="2221", purpose="teaching",
                        mode="physical", earliest_start=today - timedelta(days=30),
                        latest_end=today + timedelta(days=60), duration_days=10, status="approved",
                        created_at=now, updated_at=now)
            db.session.add(need)
            db.session.commit()
            mission = proposals.propose_mission(
                db.session, need, professional,
                {"kind": "physical", "starts_on": today - timedelta(days=2)}, actor=manager, now=now)
            lifecycle.transition(db.session, mission, "accept", actor=professional.user, now=now)
            lifecycle.transition(db.session, mission, "confirm", actor=manager, now=now)
        keys = {f"availability_stale:{p.id}:{int(p.availability_updated_at.timestamp())}"
                for p in professionals}
        db.session.remove()
        db.engine.dispose()
    return keys


class SchedulerProcess:
    """``flask missions scheduler`` as a child process, its output in a file."""

    def __init__(self, url: str, folder: Path, name: str, *args: str, **settings: str):
        self.name = name
        self.log = folder / f"{name}.log"
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith(("SCHEDULER_", "MAIL_", "DATABASE_URL"))}
        environment.update({"APP_ENV": "development", "FLASK_APP": "diaspora",
                            "SECRET_KEY": "process-test", "INSTANCE_PATH": str(folder),
                            "DATABASE_URL": f"{url}?application_name={name}", **settings})
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "missions", "scheduler", *args], cwd=ROOT,
                env=environment, stdout=output, stderr=subprocess.STDOUT, text=True)

    def wait(self, seconds: float = 120) -> int:
        code = self.process.wait(timeout=seconds)
        assert code == 0, self.log.read_text()
        return code

    def describe(self) -> str:
        return f"--- {self.name} (exit {self.process.poll()}):\n{self.log.read_text()}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def processes():
    started: list[SchedulerProcess] = []
    yield started
    for process in started:
        process.kill()


def count(url: str, statement) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(statement)
    finally:
        engine.dispose()


def sent_count(url: str) -> int:
    return count(url, sa.select(sa.func.count()).select_from(Notification)
                 .where(Notification.status == "sent"))


def connections_of(url: str, name: str) -> int:
    return count(url, sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
                              " AND datname = current_database()")
                 .bindparams(name=name))


def mailed_keys(sink) -> Counter:
    return Counter(message["X-Diaspora-Notification"] for message in sink.messages)


def mail_settings(sink, **extra) -> dict[str, str]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), **extra}


def test_killed_mid_batch_and_restarted_every_notification_goes_out_once(
        postgres_database_url, mail_sink, processes, tmp_path):
    url = postgres_database_url
    keys = seed(url, people=12)
    pause = tmp_path / "paused"
    first = SchedulerProcess(url, tmp_path, "scheduler-killed", "--once", **mail_settings(
        mail_sink, SCHEDULER_BATCH_SIZE="5", SCHEDULER_PAUSE_AT="inbox:8",
        SCHEDULER_PAUSE_FILE=str(pause)))
    processes.append(first)
    wait_for(pause.exists, what="the pause in the second batch", watched=[first])
    assert sent_count(url) == 5   # the first batch is committed; the second is half done
    first.kill()
    wait_for(lambda: connections_of(url, "scheduler-killed") == 0,
             what="PostgreSQL to end the killed process's transaction")
    assert sent_count(url) == 5 and mail_sink.messages == []

    second = SchedulerProcess(url, tmp_path, "scheduler-restarted", "--once", **mail_settings(mail_sink))
    processes.append(second)
    second.wait()
    assert sent_count(url) == 12
    mailed = mailed_keys(mail_sink)
    assert set(mailed) == keys and set(mailed.values()) == {1}


def test_killed_while_mailing_the_rest_is_mailed_once_when_the_lease_ends(
        postgres_database_url, mail_sink, processes, tmp_path):
    url = postgres_database_url
    keys = seed(url, people=8)
    pause = tmp_path / "paused"
    lease = {"SCHEDULER_LEASE_SECONDS": "2"}
    first = SchedulerProcess(url, tmp_path, "mailer-killed", "--once", **mail_settings(
        mail_sink, SCHEDULER_PAUSE_AT="email:5", SCHEDULER_PAUSE_FILE=str(pause), **lease))
    processes.append(first)
    wait_for(pause.exists, what="the pause in the e-mail batch", watched=[first])
    first.kill()
    assert len(mail_sink.messages) == 5   # the other 3 stay leased by the dead process

    standalone = SchedulerProcess(url, tmp_path, "mailer-restarted", **mail_settings(
        mail_sink, SCHEDULER_INTERVAL_SECONDS="1", **lease))
    processes.append(standalone)
    emailed = sa.select(sa.func.count()).select_from(Notification).where(
        Notification.email_status == "sent")
    wait_for(lambda: count(url, emailed) == 8, what="every e-mail", watched=[standalone])
    standalone.process.send_signal(signal.SIGTERM)
    standalone.wait()
    assert "scheduler stopped" in standalone.log.read_text()
    mailed = mailed_keys(mail_sink)
    assert set(mailed) == keys and set(mailed.values()) == {1}


def test_two_schedulers_at_once_share_the_work_without_duplicates(
        postgres_database_url, mail_sink, processes, tmp_path):
    url = postgres_database_url
    keys = seed(url, people=20, started_missions=3)
    pauses = [tmp_path / "a.paused", tmp_path / "b.paused"]
    for name, pause in zip(("scheduler-a", "scheduler-b"), pauses):
        processes.append(SchedulerProcess(url, tmp_path, name, "--once", **mail_settings(
            mail_sink, SCHEDULER_BATCH_SIZE="4", SCHEDULER_PAUSE_AT="inbox:2",
            SCHEDULER_PAUSE_FILE=str(pause))))
    # Both stopped inside a batch at the same moment: each holds rows locked that the other
    # skipped (without SKIP LOCKED the second would wait for the first and never get here).
    wait_for(lambda: all(p.exists() for p in pauses), what="both schedulers inside a batch",
             watched=processes)
    for pause in pauses:
        pause.unlink()
    for process in processes:
        process.wait()

    mailed = mailed_keys(mail_sink)
    assert set(mailed) == keys and set(mailed.values()) == {1}
    assert count(url, sa.select(sa.func.count()).select_from(Notification)
                 .where(Notification.status == "pending")) == 0
    started = count(url, sa.select(sa.func.count()).select_from(MissionEvent)
                    .where(MissionEvent.to_status == "in_progress"))
    assert started == 3
    assert count(url, sa.select(sa.func.count()).select_from(Mission)
                 .where(Mission.status == "in_progress")) == 3
