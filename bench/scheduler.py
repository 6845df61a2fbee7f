"""Benchmark: scheduler runs over a registry of 100,000 and 1,000,000 professionals.

A registry already served by a running scheduler (its watermarks at ``NOW``): professionals
with one or two licences whose ends are spread over four years, availability last updated
over the past four years, one mission for every ten professionals spread over three years in
every status (proposals waiting, checklists open, online sessions, reports and follow-ups
due). Generated in bulk — ``COPY`` on PostgreSQL, ``executemany`` on SQLite — then, each in a
fresh child process:

- an **idle** run a minute later: nothing new has fallen due;
- a **catch-up** run after ``--downtime-days`` of downtime: every reminder that fell due in
  those days is produced, stored and delivered, and missions start and complete;
- an idle run a minute after that.

Each prints seconds, SQL statements, what it stored and sent, the child's peak RSS, and the
floor: the bare SQL selects that find the same due rows (one per producer, ids only, no
reminder built or delivered) plus the bare INSERT of the reminders the run stored (one
``executemany`` into an index-free copy of the table), with the ratio to it. Then a few idle
runs in one process, as a long-lived scheduler makes them, print the RSS after each.

    .venv/bin/python bench/scheduler.py [--professionals 100000 1000000] [--downtime-days 30]
                                        [--postgres URL] [--no-sqlite] [--sqlite-up-to 100000]
                                        [--repeat 5]

SQLite is measured up to ``--sqlite-up-to`` professionals (its 1,000,000 load takes long).

Targets (issue 19): an idle run at 1,000,000 professionals in under 1 s and under 50
statements; a catch-up bounded by what fell due.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import database_targets, fresh_app, reset_sequences, run_child  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/diaspora_bench_scheduler"
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
CHUNK = 50_000
CHECKLIST = ("orientation", "insurance", "licence_verified", "terms_agreed", "travel_booked",
             "ict_tested", "counterpart_assigned")
COUNTRIES = (("GH", "Africa/Accra"), ("KE", "Africa/Nairobi"), ("SN", "Africa/Dakar"),
             ("UG", "Africa/Kampala"))
CADRES = ("2211", "2212", "2221", "2222", "2262")


# --- the registry -------------------------------------------------------------------------

class Loader:
    """Rows written table by table in chunks: COPY (PostgreSQL) or executemany (SQLite)."""

    def __init__(self, engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.connection = engine.raw_connection()

    def begin_bulk(self) -> None:
        if self.postgres:
            self.connection.cursor().execute("SET session_replication_role = replica")

    def end_bulk(self) -> None:
        self.connection.commit()
        if self.postgres:
            self.connection.cursor().execute("SET session_replication_role = DEFAULT")
            self.connection.commit()

    def write(self, table: str, columns: tuple[str, ...], rows, commit: bool = True) -> int:
        cursor = self.connection.cursor()
        written, batch = 0, []
        for row in rows:
            batch.append(row)
            if len(batch) == CHUNK:
                self._flush(cursor, table, columns, batch)
                written += len(batch)
                batch = []
        if batch:
            self._flush(cursor, table, columns, batch)
            written += len(batch)
        if commit:
            self.connection.commit()
        return written

    def _flush(self, cursor, table, columns, batch) -> None:
        if self.postgres:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row(row)
            return
        plain = [tuple(_sqlite(value) for value in row) for row in batch]
        marks = ", ".join("?" * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", plain)

    def close(self) -> None:
        self.connection.close()


def _sqlite(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def generate(url: str, professionals: int, seed: int = 19) -> dict[str, int]:
    """Fill a freshly migrated database; returns row counts by table."""
    import sqlalchemy as sa

    from diaspora.extensions import db
    from missions.notifications.producers import PRODUCERS
    from missions.scheduler.watermarks import name_of

    rng = random.Random(seed)
    app = fresh_app(url)
    counts = {}
    with app.app_context():
        loader = Loader(db.engine)
        facilities = max(100, professionals // 1000)
        coordinators = facilities  # one per facility, users 1..facilities
        counts["users"] = loader.write("users", (
            "id", "email", "name", "password_hash", "role", "timezone", "active", "created_at",
            "session_version"),
            ((n, f"user{n}@bench.example", f"User {n}", "x",
              "admin" if n == 1 else "coordinator" if n <= coordinators else "professional",
              "UTC", True, NOW - timedelta(days=1500), 1)
             for n in range(1, coordinators + professionals + 1)))
        counts["facilities"] = loader.write("facilities", (
            "id", "external_id", "source", "name", "country", "category", "ownership",
            "latitude", "longitude", "timezone", "setting", "ict_ready", "imported_at", "updated_at"),
            ((n, f"bench:{n}", "bench", f"Facility {n}", COUNTRIES[n % 4][0], "hospital", "public",
              5.0 + n % 7, -1.0 + n % 5, COUNTRIES[n % 4][1], "urban", False, NOW, NOW)
             for n in range(1, facilities + 1)))
        loader.write("facility_coordinators", ("facility_id", "user_id"),
                     ((n, n) for n in range(2, facilities + 1)))

        def professional_rows():
            for n in range(1, professionals + 1):
                created = NOW - timedelta(days=200 + rng.randrange(1300))
                updated = NOW - timedelta(days=rng.randrange(1460), hours=rng.randrange(24))
                yield (n, coordinators + n, "Ama", f"Mensah {n}", "female", CADRES[n % 5], "GH",
                       "GB", "Europe/London", True, True, rng.random() < 0.9, "2026-01",
                       created, max(created, updated), max(created, updated), 0)
        counts["professionals"] = loader.write("professionals", (
            "id", "user_id", "given_name", "family_name", "gender", "cadre", "country_of_origin",
            "country_of_residence", "timezone", "offers_physical", "offers_virtual",
            "consent_given", "consent_version", "created_at", "updated_at",
            "availability_updated_at", "booking_version"), professional_rows())

        def licence_rows():
            number = 0
            for n in range(1, professionals + 1):
                for country in (("GH",) if n % 3 else ("GH", "KE")):
                    number += 1
                    ends = NOW.date() + timedelta(days=rng.randrange(-365, 1095))
                    yield (number, n, country, "Medical and Dental Council", f"L{number}",
                           ends - timedelta(days=1095), ends)
        counts["licences"] = loader.write("licences", (
            "id", "professional_id", "country", "authority", "number", "valid_from", "valid_until"),
            licence_rows())

        missions = max(1, professionals // 10)
        counts.update(_missions(loader, rng, missions, professionals, facilities))
        loader.write("scheduler_watermarks", ("producer", "ran_until"),
                     ((name_of(producer), NOW) for producer in PRODUCERS))
        loader.close()
        with db.engine.begin() as connection:
            reset_sequences(connection, ["users", "facilities", "professionals", "licences",
                                         "needs", "engagements", "missions"])
            connection.execute(sa.text("ANALYZE"))
        db.engine.dispose()
    return counts


def _status(rng, starts: datetime, ends: datetime) -> str:
    if starts > NOW:
        return rng.choices(("proposed", "accepted", "confirmed", "ready", "cancelled"),
                           (10, 15, 55, 10, 10))[0]
    if ends > NOW:
        return "in_progress"
    return rng.choices(("completed", "reported", "closed", "cancelled"), (5, 25, 60, 10))[0]


def _missions(loader, rng, missions: int, professionals: int, facilities: int) -> dict[str, int]:
    """One need, engagement and mission per row; events, checklists and sessions as they fit."""
    plan, sessions = [], 0
    for n in range(1, missions + 1):
        starts = midnight(NOW.date() + timedelta(days=rng.randrange(-730, 365)))
        kind = "virtual" if n % 4 == 0 else "physical"
        ends = starts + timedelta(days=42 if kind == "virtual" else 14)
        status = _status(rng, starts, ends)
        proposed = (NOW - timedelta(days=rng.randrange(10), hours=rng.randrange(24))
                    if status == "proposed" else starts - timedelta(days=60))
        first_session = None
        if kind == "virtual" and status != "cancelled":
            first_session, sessions = sessions + 1, sessions + 6
        plan.append((n, starts, ends, kind, status, proposed, first_session))
    counts = {"needs": loader.write("needs", (
        "id", "facility_id", "title", "cadre", "skills", "languages", "purpose", "mode",
        "earliest_start", "latest_end", "priority", "status", "created_at", "updated_at"),
        ((n, 1 + n % facilities, f"Need {n}", CADRES[n % 5], "[]", '["en"]', "clinical_service",
          kind, (starts - timedelta(days=30)).date(), (ends + timedelta(days=30)).date(), 3,
          "matched", starts - timedelta(days=90), starts - timedelta(days=90))
         for n, starts, ends, kind, status, *_ in plan))}
    step = max(1, professionals // missions)

    def professional_of(mission: int) -> int:
        return 1 + ((mission - 1) * step) % professionals

    counts["engagements"] = loader.write("engagements", (
        "id", "professional_id", "facility_id", "created_at"),
        ((n, professional_of(n), 1 + n % facilities, starts - timedelta(days=60))
         for n, starts, ends, kind, status, *_ in plan))

    def mission_rows():
        for n, starts, ends, kind, status, proposed, *_ in plan:
            overdue = NOW if status == "completed" else None
            yield (n, n, professional_of(n), 1 + n % facilities, n, 1, kind,
                   status, starts, ends, "UTC", "[]", 1, proposed, proposed, proposed, overdue)

    def session_rows():
        for n, starts, _ends, _kind, _status, _proposed, first_session in plan:
            if first_session is not None:
                for week in range(6):
                    begins = starts + timedelta(days=7 * week, hours=14)
                    yield (first_session + week, n, week + 1, begins, begins + timedelta(hours=1),
                           "UTC", "scheduled" if begins > NOW else "held")

    def booking_rows():
        """What the booking invariant asks (migration 0007): the mission's span, or each
        session's, held by one active booking while the mission holds time."""
        for n, starts, ends, _kind, status, _proposed, first_session in plan:
            if status == "cancelled":
                continue
            if first_session is None:
                yield (professional_of(n), n, None, starts, ends, True)
                continue
            for week in range(6):
                begins = starts + timedelta(days=7 * week, hours=14)
                yield (professional_of(n), n, first_session + week, begins,
                       begins + timedelta(hours=1), True)

    # One transaction, as the invariant is checked at commit; on PostgreSQL its per-row
    # triggers are switched off for the load (the rows are consistent by construction).
    loader.begin_bulk()
    counts["missions"] = loader.write("missions", (
        "id", "need_id", "professional_id", "facility_id", "engagement_id", "cycle", "kind",
        "status", "starts_at", "ends_at", "timezone", "exdates", "proposed_by_id", "proposed_at",
        "created_at", "updated_at", "report_overdue_at"), mission_rows(), commit=False)
    counts["mission_sessions"] = loader.write("mission_sessions", (
        "id", "mission_id", "sequence", "starts_at", "ends_at", "timezone", "status"),
        session_rows(), commit=False)
    counts["bookings"] = loader.write("bookings", (
        "professional_id", "mission_id", "session_id", "starts_at", "ends_at", "active"),
        booking_rows(), commit=False)
    loader.end_bulk()
    counts["mission_events"] = loader.write("mission_events", (
        "mission_id", "at", "actor_label", "to_status"),
        ((row[0], row[5], "manager", "proposed") for row in plan))
    counts["mission_checklist"] = loader.write("mission_checklist", ("mission_id", "item"),
        ((row[0], item) for row in plan if row[4] in ("accepted", "confirmed") for item in CHECKLIST))
    return counts


# --- one run, in a child process ----------------------------------------------------------

def child_run(url: str, since: str, at: str) -> dict:
    import sqlalchemy as sa

    from diaspora import create_app
    from diaspora.extensions import db
    from missions.scheduler.process import run_once

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    at = datetime.fromisoformat(at)
    with app.app_context():
        # A running scheduler is a warm process: it has connected, configured the mappers and
        # compiled its statements in earlier runs. So first a run at the previous run's moment
        # (``since``, where the watermarks are): nothing is due in an empty window, and every
        # lifecycle move due then was made by that run, so it changes nothing.
        run_once(db.session, datetime.fromisoformat(since), worker="bench")
        db.session.remove()
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
        rss_before = _rss_mb()
        started, started_cpu = time.perf_counter(), time.process_time()
        counts = run_once(db.session, at, worker="bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
        db.session.remove()
        db.engine.dispose()
    return {"seconds": seconds, "cpu": cpu, "statements": len(statements), "counts": counts,
            "rss_mb": _rss_mb(), "rss_before_mb": rss_before}


def _rss_mb() -> float:
    """Peak RSS of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mb() -> float:
    """RSS now (Linux: /proc/self/statm), to see memory stay flat run after run."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return _rss_mb()
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_repeat(url: str, at: str, runs: str) -> dict:
    """``runs`` idle runs a minute apart in one process, as a long-lived scheduler does:
    the RSS after each."""
    from diaspora import create_app
    from diaspora.extensions import db
    from missions.scheduler.process import run_once

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    at = datetime.fromisoformat(at)
    rss, seconds = [], []
    with app.app_context():
        for n in range(int(runs)):
            started = time.perf_counter()
            run_once(db.session, at + timedelta(minutes=n), worker="bench")
            seconds.append(time.perf_counter() - started)
            db.session.remove()
            rss.append(round(_current_rss_mb()))
        db.engine.dispose()
    return {"rss_mb": rss, "seconds": seconds}


# What a run writes, found afterwards by its ``now``: (table, the column that holds it).
WRITTEN = (("notifications", "created_at"), ("mission_events", "at"), ("audit_events", "at"),
           ("follow_ups", "created_at"))


def child_floor(url: str, since: str, at: str, repeat: str = "1") -> dict:
    """The floor of a run over ``(since, at]``: the bare selects of the due rows (ids only:
    one per producer, the lifecycle moves' three, the watermarks and the due outbox rows),
    plus the bare writes of what the run wrote — one ``executemany`` INSERT per table of the
    same rows (reminders, mission histories, audit rows, follow-up surveys) into index-free
    scratch copies, and one bare UPDATE marking the delivered reminders sent — committed."""
    import sqlalchemy as sa

    from diaspora import create_app
    from diaspora.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    at = datetime.fromisoformat(at)
    with app.app_context(), db.engine.connect() as connection:
        # warm, as the run is: the same queries over an empty window first
        for query in floor_queries(datetime.fromisoformat(since), datetime.fromisoformat(since)):
            connection.execute(query).all()
        queries = floor_queries(datetime.fromisoformat(since), at)
        timings, cpu = [], []
        for _ in range(int(repeat)):   # the fastest of ``repeat`` (the machine is shared)
            started, started_cpu = time.perf_counter(), time.process_time()
            rows = sum(len(connection.execute(query).all()) for query in queries)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        seconds = min(timings)
        # what the run wrote (its rows carry its now), as plain values
        written = {}
        for table_name, column in WRITTEN:
            table = db.metadata.tables[table_name]
            columns = [c.name for c in table.columns if c.name != "id"]
            written[table_name] = (columns, connection.execute(
                sa.select(*(table.c[name] for name in columns)).where(table.c[column] == at)).all())
        connection.rollback()
        writing, writing_cpu, statements = _write_seconds(db.engine, url, written, at)
    return {"seconds": seconds + writing, "select_seconds": seconds, "cpu": min(cpu) + writing_cpu,
            "insert_seconds": writing, "rows": rows,
            "inserted": len(written["notifications"][1]),
            "statements": len(queries) + statements}


def _write_seconds(engine, url: str, written: dict, at: datetime) -> tuple[float, float, int]:
    """Seconds (wall, CPU) and statements of the bare writes of ``written`` (table name ->
    columns, rows) into index-free copies of the tables, then the delivery's bare UPDATE."""
    connection = engine.raw_connection()
    seconds = cpu = 0.0
    statements = 0
    try:
        cursor = connection.cursor()
        marker = "%s" if url.startswith("postgresql") else "?"
        for table, (columns, rows) in written.items():
            cursor.execute(f"DROP TABLE IF EXISTS bench_floor_{table}")
            cursor.execute(f"CREATE TABLE bench_floor_{table} AS SELECT * FROM {table} WHERE 1 = 0")
            connection.commit()
            if not rows:
                continue
            values = [tuple(_plain(value, url) for value in row) for row in rows]
            started, started_cpu = time.perf_counter(), time.process_time()
            cursor.executemany(f"INSERT INTO bench_floor_{table} ({', '.join(columns)}) "
                               f"VALUES ({', '.join([marker] * len(columns))})", values)
            connection.commit()
            seconds += time.perf_counter() - started
            cpu += time.process_time() - started_cpu
            statements += 1
        if written["notifications"][1]:
            started, started_cpu = time.perf_counter(), time.process_time()
            cursor.execute(f"UPDATE bench_floor_notifications SET status = 'sent', sent_at = {marker}",
                           (_plain(at, url),))
            connection.commit()
            seconds += time.perf_counter() - started
            cpu += time.process_time() - started_cpu
            statements += 1
        for table in written:
            cursor.execute(f"DROP TABLE bench_floor_{table}")
        connection.commit()
    finally:
        connection.close()
    return seconds, cpu, statements


def _plain(value, url: str):
    """A value as the DB-API driver takes it (JSON as text)."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value if url.startswith("postgresql") else _sqlite(value)


def floor_queries(since: datetime, now: datetime) -> list:
    """One select per producer: the rows whose reminder moment fell in ``(since, now]``."""
    import sqlalchemy as sa
    from dateutil.relativedelta import relativedelta

    from diaspora.professionals.models import Licence, Professional
    from missions.core.models import Mission, MissionEvent, MissionSession
    from missions.notifications.models import Notification
    from missions.notifications.producers import ended_by
    from missions.scheduler.models import SchedulerWatermark

    day = timedelta(days=1)
    stale = now - relativedelta(months=6)
    after = since - relativedelta(months=6)
    longer = sa.orm.aliased(Licence)
    return [
        # the lifecycle moves' due missions, the watermarks, the due outbox rows
        sa.select(Mission.id).where(Mission.status.in_(("confirmed", "ready")), Mission.starts_at <= now),
        sa.select(Mission.id).where(Mission.status == "in_progress", Mission.ends_at <= now),
        sa.select(Mission.id).where(Mission.status == "completed", Mission.report_overdue_at.is_(None),
                                    Mission.ends_at <= now - 14 * day),
        sa.select(SchedulerWatermark.producer, SchedulerWatermark.ran_until),
        sa.select(Notification.id).where(Notification.status == "pending", Notification.due_at <= now),
        sa.select(MissionEvent.mission_id).join(Mission, Mission.id == MissionEvent.mission_id).where(
            Mission.status == "proposed", MissionEvent.to_status == "proposed", sa.or_(
                *(sa.and_(MissionEvent.at > since - d * day, MissionEvent.at <= now - d * day)
                  for d in (3, 7)))),
        sa.select(Mission.id).where(Mission.status.in_(("accepted", "confirmed")),
                                    Mission.starts_at > now, sa.or_(
            *(sa.and_(Mission.starts_at > since + d * day, Mission.starts_at <= now + d * day)
              for d in (30, 14, 7)))),
        sa.select(Mission.id).where(Mission.status.in_(("confirmed", "ready")),
                                    Mission.starts_at > max(now, since + day),
                                    Mission.starts_at <= now + day),
        sa.select(MissionSession.id).join(Mission, Mission.id == MissionSession.mission_id).where(
            MissionSession.status == "scheduled",
            Mission.status.in_(("confirmed", "ready", "in_progress")),
            MissionSession.starts_at > max(now, since + timedelta(hours=1)),
            MissionSession.starts_at <= now + timedelta(hours=1)),
        sa.select(Mission.id).where(Mission.status == "completed",
                                    Mission.ends_at > since - 7 * day, Mission.ends_at <= now - 7 * day),
        sa.union_all(*(sa.select(Mission.id).where(
            Mission.status.in_(("completed", "reported", "closed")),
            Mission.ends_at > ended_by(since, m), Mission.ends_at <= ended_by(now, m))
            for m in (3, 6, 12))),
        sa.select(Licence.id).join(Professional, Professional.id == Licence.professional_id).where(
            Professional.consent_given.is_(True), Licence.valid_until >= now.date(),
            Licence.valid_until > since.date() + 90 * day, Licence.valid_until <= now.date() + 90 * day,
            ~sa.exists().where(longer.professional_id == Licence.professional_id,
                               longer.country == Licence.country,
                               longer.valid_until > Licence.valid_until)),
        sa.union_all(
            sa.select(Professional.id).where(
                Professional.consent_given.is_(True), Professional.availability_updated_at > after,
                Professional.availability_updated_at <= stale),
            sa.select(Professional.id).where(
                Professional.consent_given.is_(True), Professional.availability_updated_at.is_(None),
                Professional.created_at > after, Professional.created_at <= stale)),
    ]


# --- the report ---------------------------------------------------------------------------

def measure(url: str, since: datetime, at: datetime, repeat: int = 1) -> dict:
    result = run_child(__file__, "run", url, since.isoformat(), at.isoformat())
    result["floor"] = run_child(__file__, "floor", url, since.isoformat(), at.isoformat(), repeat)
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, *args = sys.argv[2:]
        child = {"run": child_run, "floor": child_floor, "repeat": child_repeat}[mode]
        print(json.dumps(child(*args)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--professionals", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--downtime-days", type=int, default=30)
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--sqlite-up-to", type=int, default=100_000,
                        help="SQLite only at sizes up to this (its 1,000,000 load is long)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="idle runs in one process at the end, RSS printed after each")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_SCHEDULER_DATABASE_URL",
                                                             DEFAULT_POSTGRES),
                        help="PostgreSQL URL of a scratch database (created if missing; its "
                             "schema is reset)")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    idle = NOW + timedelta(minutes=1)
    back = NOW + timedelta(days=args.downtime_days)
    steps = (("idle", NOW, idle), (f"catch-up {args.downtime_days} d", idle, back),
             ("idle after", back, back + timedelta(minutes=1)))
    with tempfile.TemporaryDirectory() as folder:
        targets = database_targets(folder, args.postgres, "scheduler.sqlite3")
        if args.no_sqlite:
            targets = [target for target in targets if target[0] != "SQLite"]
        print("scheduler runs over a registry already watermarked at its last run; each in a "
              "fresh process; floor = the bare selects of the same due rows (producers, lifecycle "
              "moves, watermarks, due outbox rows) + the bare executemany INSERT of the rows the "
              "run wrote (reminders, histories, audit rows, surveys) + the bare UPDATE of the "
              "delivered reminders")
        print("cpu = this process's CPU seconds (SQLite's work included, PostgreSQL's server not); "
              "load = the 1-minute load average as the run started")
        print(f"{'database':<11} {'profess.':>9} {'run':<15} {'seconds':>8} {'cpu':>6} {'stmts':>6} "
              f"{'stored':>7} {'sent':>7} {'peak MB':>8} {'floor s':>8} {'cpu':>6} {'stmts':>5} "
              f"{'rows':>7} {'ratio':>6} {'load':>5}")
        for name, url in targets:
            for size in args.professionals:
                if name == "SQLite" and size > args.sqlite_up_to:
                    print(f"{name:<11} {size:>9,} skipped (--sqlite-up-to {args.sqlite_up_to:,})")
                    continue
                if name == "SQLite":
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                started = time.perf_counter()
                generate(url, size)
                print(f"{name:<11} {size:>9,} generated in {time.perf_counter() - started:.0f} s",
                      flush=True)
                for label, since, at in steps:
                    # an idle floor is short: the fastest of a few (the catch-up's: once)
                    load = os.getloadavg()[0]
                    result = measure(url, since, at, 5 if label.startswith("idle") else 1)
                    floor = result["floor"]
                    counts = result["counts"]
                    print(f"{name:<11} {size:>9,} {label:<15} {result['seconds']:>8.2f} "
                          f"{result['cpu']:>6.2f} {result['statements']:>6} "
                          f"{counts.get('stored', 0):>7,} {counts.get('sent', 0):>7,} "
                          f"{result['rss_mb']:>8.0f} {floor['seconds']:>8.3f} {floor['cpu']:>6.3f} "
                          f"{floor['statements']:>5} {floor['rows']:>7,} "
                          f"{result['seconds'] / max(floor['seconds'], 1e-6):>6.1f} {load:>5.1f}",
                          flush=True)
                if args.repeat:
                    last = steps[-1][2]
                    back_idle = last + timedelta(minutes=1)
                    repeated = run_child(__file__, "repeat", url, back_idle.isoformat(), args.repeat)
                    floor = run_child(__file__, "floor", url, last.isoformat(),
                                      back_idle.isoformat(), args.repeat)
                    fastest = min(repeated["seconds"])
                    print(f"{name:<11} {size:>9,} {args.repeat} idle runs in one process: RSS MB "
                          f"{' '.join(map(str, repeated['rss_mb']))}; seconds "
                          f"{' '.join(f'{s:.2f}' for s in repeated['seconds'])}; fastest "
                          f"{fastest:.3f} s, floor (fastest of {args.repeat}) {floor['seconds']:.3f} s, "
                          f"ratio {fastest / max(floor['seconds'], 1e-6):.1f}; load average "
                          f"{os.getloadavg()[0]:.1f}", flush=True)
    print("targets: idle run < 1 s and < 50 statements at 1,000,000 professionals")


if __name__ == "__main__":
    main()
