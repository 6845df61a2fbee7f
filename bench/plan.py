"""Benchmark: the programme-wide plan of 1,000 needs over 1,000,000 professionals.

The registry of ``bench/matching.py`` (its ``load``: the shipped WHO facility lists,
professionals with licences, availability, languages, specialties, skills and mission history,
1,000 approved needs) is filled in a scratch database — 1,000,000 professionals on PostgreSQL,
fewer on SQLite — then, in a fresh child process, the plan of every approved need is made as
the plan's job makes it (``planning.make_plan``: every need ranked in one pass, then solved).
It prints:

- the plan's time (wall and the process's CPU), split into loading the registry, ranking the
  needs and solving, with the needs met and the peak RSS;
- the floor: the same SQL statements the plan ran, executed bare (DB-API, rows fetched, nothing
  built), and the ratio of the plan's time to it — and of its CPU time, steadier on a busy
  machine (the CPU of each phase is printed below the row, with the load average);
- for comparison, the old way — one shortlist per need in sequence (``ranking.rank``) — timed
  on ``--sample`` needs and scaled to all of them.

Target (issue 19): the plan of 1,000 needs at 1,000,000 professionals in under a minute.

    .venv/bin/python bench/plan.py [--professionals 1000000] [--sqlite-professionals 20000]
                                   [--needs 1000] [--sample 20] [--keep] [--postgres URL]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import database_targets, run_child  # noqa: E402  (bench/common.py)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/diaspora_bench_plan"
TARGET_SECONDS = 60


def fill(url: str, professionals: int, needs: int) -> dict:
    """Run in a child process: the registry of bench/matching.py."""
    import matching  # bench/matching.py

    return matching.load(url, professionals, needs)


def measure(url: str, sample: int) -> dict:
    """Run in a child process: the plan of every approved need, its phases and its floor."""
    import matching  # bench/matching.py
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from diaspora import create_app
    from diaspora.extensions import db
    from diaspora.needs.models import Need
    from missions.matching import batch, planning, ranking, terms as matching_terms

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    phases = {"load": 0.0, "solve": 0.0, "load_cpu": 0.0, "solve_cpu": 0.0}

    def timed(function, phase):
        def wrapper(*args, **kwargs):
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                phases[phase] += time.perf_counter() - started
                phases[f"{phase}_cpu"] += time.process_time() - cpu
        return wrapper

    batch.load_registry = timed(batch.load_registry, "load")
    planning.choose = timed(planning.choose, "solve")
    statements: list[tuple] = []

    with app.app_context():
        upgrade()  # a database filled by an earlier run (--keep) may lack the latest migrations
        session = db.session
        settings = matching_terms.Settings.from_config(app.config)
        first, last = session.execute(sa.select(sa.func.min(Need.earliest_start),
                                                sa.func.max(Need.latest_end))
                                      .where(Need.status == "approved")).one()
        period = {"period_start": first, "period_end": last}

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _record(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append((statement, parameters))

        wall, cpu = time.perf_counter(), time.process_time()
        plan = planning.make_plan(session, now=matching.NOW, settings=settings, **period)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # the plan's peak
        sa.event.remove(db.engine, "before_cursor_execute", _record)
        floor = bare_seconds(db.engine, statements)

        needs = planning.needs_in_period(session, **period)
        step = max(1, len(needs) // sample)
        started = time.perf_counter()
        for need in needs[::step][:sample]:
            ranking.rank(session, matching_terms.terms_of(need), now=matching.NOW,
                         settings=settings, limit=planning.TOP_K)
        per_need = (time.perf_counter() - started) / min(sample, len(needs))
    return {"needs": len(plan.assignments) + len(plan.unmet), "assigned": len(plan.assignments),
            "optimal": plan.optimal, "wall": wall, "cpu": cpu, "load": phases["load"],
            "solve": phases["solve"], "rank": wall - phases["load"] - phases["solve"],
            "load_cpu": phases["load_cpu"], "solve_cpu": phases["solve_cpu"],
            "rank_cpu": cpu - phases["load_cpu"] - phases["solve_cpu"],
            "floor": floor, "statements": len(statements), "old_way": per_need * len(needs),
            "rss_mb": rss_mb}


def bare_seconds(engine, statements) -> float:
    """Seconds to run ``statements`` on a bare DB-API cursor, every row fetched."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        return time.perf_counter() - started
    finally:
        connection.close()


def child(kind: str, url: str, *numbers: str) -> None:
    result = fill(url, *map(int, numbers)) if kind == "fill" else measure(url, *map(int, numbers))
    print(json.dumps(result, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--professionals", type=int, default=1_000_000,
                        help="professionals on PostgreSQL")
    parser.add_argument("--sqlite-professionals", type=int, default=20_000,
                        help="professionals on SQLite (0: skip SQLite)")
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=20,
                        help="needs timed one shortlist at a time (the old way)")
    parser.add_argument("--keep", action="store_true",
                        help="measure the PostgreSQL database as it is (filled by an earlier run)")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL of a scratch database (created if missing; its "
                             "schema is reset unless --keep)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = database_targets(folder, args.postgres, "plan.sqlite3")
        sizes = {"SQLite": args.sqlite_professionals, "PostgreSQL": args.professionals}
        print(f"plan of {args.needs:,} needs; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs")
        print(f"{'database':<11} {'people':>9} {'needs':>6} {'met':>5} {'plan s':>7} "
              f"{'cpu s':>6} {'load':>6} {'rank':>6} {'solve':>6} {'floor s':>8} {'ratio':>6} "
              f"{'SQL':>5} {'RSS MB':>7} {'1 by 1 s':>9}")
        for name, url in targets:
            if not sizes[name]:
                continue
            if not (args.keep and name == "PostgreSQL"):
                run_child(__file__, "fill", url, sizes[name], args.needs)
            r = run_child(__file__, "measure", url, args.sample)
            print(f"{name:<11} {sizes[name]:>9,} {r['needs']:>6} {r['assigned']:>5} "
                  f"{r['wall']:>7.1f} {r['cpu']:>6.1f} {r['load']:>6.1f} {r['rank']:>6.1f} "
                  f"{r['solve']:>6.1f} {r['floor']:>8.1f} {r['wall'] / r['floor']:>6.1f} "
                  f"{r['statements']:>5} {r['rss_mb']:>7.0f} {r['old_way']:>9.0f}"
                  f"{'' if r['optimal'] else ' (solver time limit)'}")
            print(f"{'':<11} CPU of the plan's process: load {r['load_cpu']:.1f} s, rank "
                  f"{r['rank_cpu']:.1f} s, solve {r['solve_cpu']:.1f} s; CPU / floor "
                  f"{r['cpu'] / r['floor']:.1f}; load average {os.getloadavg()[0]:.1f}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        print("floor: the plan's SELECTs run bare (DB-API, rows fetched); ratio: plan / floor; "
              "1 by 1: one shortlist per need in sequence, timed on a sample, scaled")
        print(f"target: the plan of 1,000 needs at 1,000,000 professionals in under "
              f"{TARGET_SECONDS} s (PostgreSQL)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
