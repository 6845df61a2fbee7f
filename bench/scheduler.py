"""Benchmark: dispatch 10,000 due notifications to the in-app inbox, on SQLite and PostgreSQL.

The notifications are the scheduler's everyday mix — "session in one hour", "mission starts
tomorrow" and "readiness checklist incomplete" reminders about 40 confirmed virtual missions —
so each one is claimed, re-validated against its mission, checklist and session, and
delivered, exactly as
``missions.notifications.outbox.deliver_due`` does it in production. The floor is a bare
DB-API ``executemany`` INSERT of the same rows into the same table. Targets: under 10 s, and
under 5 times the floor.

    .venv/bin/python bench/scheduler.py [--rows 10000] [--postgres URL]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import bare_insert_seconds, fresh_app, postgres_available  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/diaspora_bench_scheduler"
MISSIONS = 40
NOW = datetime(2026, 3, 31, 13, 0, tzinfo=UTC)  # an hour before the first sessions


def seed_missions(session) -> list:
    """40 professionals, each with a confirmed weekly series of 8 online sessions."""
    from diaspora.auth.models import User
    from diaspora.facilities.models import Facility
    from diaspora.needs.models import Need
    from diaspora.professionals.services import create_professional
    from missions.core import lifecycle, proposals

    start = NOW - timedelta(days=30)
    manager = User(email="manager@bench.example", name="Manager", role="admin",  # every programme
                   password_hash="x", created_at=start)
    facility = Facility(external_id="bench", source="bench", name="Tamale Teaching Hospital",
                        country="GH", category="hospital", ownership="public",
                        timezone="Africa/Accra", setting="urban", imported_at=start,
                        updated_at=start)
    session.add_all([manager, facility])
    session.commit()
    missions = []
    for n in range(MISSIONS):
        user = User(email=f"p{n}@bench.example", name=f"P{n}", role="professional",
                    password_hash="x", created_at=start, timezone="Europe/London")
        session.add(user)
        professional = create_professional(session, user, {
            "given_name": "Ama", "family_name": f"P{n}", "cadre": "2222",
            "country_of_origin": "GH", "country_of_residence": "GB", "timezone": "Europe/London",
            "gender": "female", "offers_physical": True, "offers_virtual": True},
            now=start, consent_version="2026-01")
        professional.consent_given = True
        need = Need(facility_id=facility.id, title=f"Midwifery teaching {n}", cadre="2222",
                    purpose="teaching", mode="virtual", earliest_start=date(2026, 3, 1),
                    latest_end=date(2026, 12, 31), sessions_per_week=1, weeks=8,
                    session_hours=1.0, status="approved", created_at=start, updated_at=start)
        session.add(need)
        session.commit()
        mission = proposals.propose_mission(session, need, professional, {
            "kind": "virtual", "starts_on": date(2026, 3, 31), "weekdays": ["TU"],
            "session_minutes": 60, "weeks": 8}, actor=manager, now=start)
        lifecycle.transition(session, mission, "accept", actor=professional.user, now=start)
        lifecycle.transition(session, mission, "confirm", actor=manager, now=start)
        missions.append(mission)
    return missions


def notification_rows(missions, rows: int) -> list[dict]:
    """``rows`` due reminders spread over the missions, with payloads that pass validation."""
    from missions.notifications.recipients import mission_facts

    result = []
    for n in range(rows):
        mission = missions[n % len(missions)]
        upcoming = mission.sessions[0]
        kind = ("session_starts", "mission_starts", "readiness_incomplete")[n % 3]
        payload = mission_facts(mission)
        if kind == "session_starts":
            payload |= {"sequence": upcoming.sequence, "starts_at": upcoming.starts_at.isoformat(),
                        "join_url": None}
        if kind == "readiness_incomplete":
            payload |= {"days": 7, "missing": ["insurance"]}
        result.append({"user_id": mission.professional.user_id, "kind": kind,
                       "key": f"bench:{n}", "due_at": NOW - timedelta(minutes=1),
                       "payload": payload, "mission_id": mission.id,
                       "session_id": upcoming.id if kind == "session_starts" else None,
                       "status": "pending", "attempts": 0, "created_at": NOW - timedelta(hours=1)})
    return result


def measure_dispatch(url: str, rows: int) -> dict:
    import sqlalchemy as sa

    from diaspora.extensions import db
    from missions.notifications import outbox
    from missions.notifications.models import Notification

    app = fresh_app(url)
    with app.app_context():
        missions = seed_missions(db.session)
        prepared = notification_rows(missions, rows)
        db.session.execute(sa.insert(Notification), prepared)
        db.session.commit()
        db.session.expunge_all()
        started = time.perf_counter()
        counts = outbox.deliver_due(db.session, NOW, worker="bench",
                                    batch_size=app.config["SCHEDULER_BATCH_SIZE"])
        seconds = time.perf_counter() - started
        db.engine.dispose()
    return {"seconds": seconds, "counts": counts, "rows": prepared}


def measure_floor(url: str, prepared: list[dict]) -> float:
    """A bare executemany of the same rows, in a fresh schema."""
    from diaspora.extensions import db

    app = fresh_app(url)
    postgres = url.startswith("postgresql")
    columns = ["user_id", "kind", "key", "due_at", "payload", "mission_id", "session_id",
               "status", "attempts", "created_at"]

    def plain(name, value):
        if name == "payload":
            return json.dumps(value)
        if isinstance(value, datetime) and not postgres:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return value

    values = [tuple(plain(c, row[c]) for c in columns) for row in prepared]
    with app.app_context():
        # the rows' users, missions and sessions must exist for the foreign keys
        seed_missions(db.session)
        db.session.remove()
        seconds = bare_insert_seconds(db.engine, "notifications", columns, values)
        db.engine.dispose()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_SCHEDULER_DATABASE_URL",
                                                             DEFAULT_POSTGRES),
                        help="PostgreSQL URL of a scratch database (created if missing; its "
                             "schema is reset)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = [("SQLite", f"sqlite:///{Path(folder) / 'dispatch.sqlite3'}",
                    f"sqlite:///{Path(folder) / 'floor.sqlite3'}")]
        if postgres_available(args.postgres):
            targets.append(("PostgreSQL", args.postgres, args.postgres))
        else:
            print(f"PostgreSQL not reachable at {args.postgres}: skipped")
        print(f"{args.rows:,} due notifications ({MISSIONS} missions), dispatched to the inbox")
        print(f"{'database':<11} {'seconds':>8} {'rows/s':>9} {'sent':>7} {'floor s':>8} {'ratio':>6}")
        for name, url, floor_url in targets:
            result = measure_dispatch(url, args.rows)
            floor = measure_floor(floor_url, result["rows"])
            print(f"{name:<11} {result['seconds']:>8.2f} {args.rows / result['seconds']:>9,.0f} "
                  f"{result['counts'].get('sent', 0):>7,} {floor:>8.2f} "
                  f"{result['seconds'] / floor:>6.2f}")
    print("targets: < 10 s for 10,000 notifications, ratio < 5")


if __name__ == "__main__":
    main()
