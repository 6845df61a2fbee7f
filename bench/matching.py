"""Benchmark: shortlists over 1,000,000 professionals (PostgreSQL) and 100,000 (SQLite).

For SQLite and PostgreSQL, a fresh scratch database is migrated and filled — ``COPY`` on
PostgreSQL, ``executemany`` on SQLite, streamed 50,000 professionals at a time — with the
shipped WHO facility lists, the professionals (about 3 licences, 2 availability windows, 2–3
languages, 1–2 specialties and skills each; some with past missions or a booking) and 1,000
approved needs. Then, in a separate process, it prints:

- p50/p95 of one shortlist (top 20 with explanations) over ``--samples`` needs (for each need,
  the median of 3 runs);
- p50/p95 of the floor: the bare SQL query of the hard filters alone (ids only), at its best —
  on PostgreSQL from the match rows (migration 0022_shortq), JIT off as the shortlist runs —
  same needs, timed the same way; on PostgreSQL also (``old floor``, once per need) the same
  filters over the source tables, as the shortlist read them before the match rows;
- their ratio;
- the time of the programme-wide plan for ``--plan-needs`` needs (0: none).

Targets (issue 19): shortlist p95 < 250 ms, ratio <= 2. The query plan of the floor (the need
most professionals pass) is printed with the indexes it uses.

    .venv/bin/python bench/matching.py [--professionals 1000000] [--sqlite-professionals 100000]
                                       [--needs 1000] [--samples 50] [--plan-needs 200]
                                       [--postgres URL] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from common import database_targets, fresh_app, reset_sequences, run_child  # noqa: E402  (bench/common.py)
from scheduler import Loader  # noqa: E402  (bench/scheduler.py: COPY on PostgreSQL)

SHARED = ROOT.parent / "shared" / "data" / "facilities"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/diaspora_bench_matching"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
BATCH = 10_000
CHUNK = 50_000  # professionals generated and written at a time
COLUMNS = {  # the generated tables, in the order they are written
    "users": ("id", "email", "name", "password_hash", "role", "timezone", "active", "created_at",
              "session_version"),
    "professionals": ("id", "user_id", "given_name", "family_name", "gender", "cadre",
                      "country_of_origin", "country_of_residence", "city_of_residence",
                      "latitude", "longitude", "timezone", "offers_physical", "offers_virtual",
                      "consent_given", "consent_version", "created_at", "updated_at",
                      "booking_version"),
    "professional_languages": ("professional_id", "language", "proficiency"),
    "professional_specialties": ("professional_id", "specialty"),
    "professional_skills": ("professional_id", "skill"),
    "licences": ("professional_id", "country", "authority", "number", "valid_from",
                 "valid_until"),
    "availability_windows": ("professional_id", "kind", "mode", "starts_on", "ends_on",
                             "hours_per_week"),
}
RUNS = 3  # each need is timed this many times and its median counts (steadier when busy)

# country: (share, languages of the country, languages people may also speak)
ORIGINS = {
    "GH": (45, ["en"], ["tw", "ee", "ga", "dag", "ha"]),
    "SN": (15, ["fr"], ["wo", "ff"]),
    "MZ": (10, ["pt"], ["ts", "sw"]),
    "NG": (15, ["en"], ["yo", "ig", "ha"]),
    "KE": (5, ["en"], ["sw"]),
    "CM": (5, ["fr", "en"], ["ff"]),
    "ZW": (5, ["en"], ["sn"]),
}
# country, city, zone, latitude, longitude, language, share
RESIDENCES = [
    ("GB", "London", "Europe/London", 51.507, -0.128, None, 25),
    ("GB", "Manchester", "Europe/London", 53.481, -2.242, None, 6),
    ("FR", "Paris", "Europe/Paris", 48.857, 2.352, "fr", 12),
    ("FR", "Lyon", "Europe/Paris", 45.764, 4.836, "fr", 4),
    ("BE", "Brussels", "Europe/Brussels", 50.850, 4.352, "fr", 4),
    ("PT", "Lisbon", "Europe/Lisbon", 38.722, -9.139, "pt", 6),
    ("NL", "Amsterdam", "Europe/Amsterdam", 52.370, 4.895, "nl", 6),
    ("DE", "Hamburg", "Europe/Berlin", 53.551, 9.994, "de", 6),
    ("US", "New York City", "America/New_York", 40.713, -74.006, None, 14),
    ("US", "Houston", "America/Chicago", 29.760, -95.370, None, 6),
    ("CA", "Toronto", "America/Toronto", 43.653, -79.383, None, 6),
    ("GB", None, "Europe/London", None, None, None, 5),   # no coordinates
]
PURPOSES = [("clinical_service", 45), ("teaching", 20), ("training_of_trainers", 15),
            ("management", 10), ("equipment", 10)]
NEED_MODES = [("physical", 40), ("virtual", 30), ("either", 30)]
LICENCE_COUNTRIES = ["GH", "SN", "MZ", "NG", "GB", "US", "FR", "PT"]


def pick(rng: random.Random, weighted, weight_index: int = -1):
    """An item of tuples holding their weight at ``weight_index``, or a key of a
    {key: (weight, ...)} mapping."""
    if isinstance(weighted, dict):
        keys = list(weighted)
        return rng.choices(keys, weights=[weighted[k][0] for k in keys])[0]
    return rng.choices(weighted, weights=[item[weight_index] for item in weighted])[0]


# --- building the database ----------------------------------------------------------------

def load(url: str, professionals: int, needs: int) -> dict:
    """Run in a child process: migrate and fill the scratch database."""
    import sqlalchemy as sa

    from diaspora.extensions import db

    app = fresh_app(url)
    started = time.perf_counter()
    rng = random.Random(2026)
    with app.app_context():
        facilities = load_facilities(db.session)
        loader = Loader(db.engine)
        loader.begin_bulk()
        insert_professionals(loader, rng, professionals)
        loader.end_bulk()
        loader.close()
        with db.engine.begin() as connection:
            if url.startswith("postgresql"):  # COPY ran with triggers off: the match rows
                connection.execute(sa.text("SELECT match_rows_rebuild()"))
            reset_sequences(connection, ["users", "professionals"])
            need_rows = insert_needs(connection, rng, facilities, needs)
            insert_history(connection, rng, facilities, professionals, need_rows)
        # Statistics for the planners, as autovacuum keeps them in production.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE" if url.startswith("postgresql")
                                       else "ANALYZE"))
    return {"seconds": time.perf_counter() - started}


def load_facilities(session) -> list[tuple]:
    """The shipped WHO lists (or a generated one); rural setting for tiers 1–2 mostly."""
    import sqlalchemy as sa

    from diaspora.demo import write_generated_facilities
    from diaspora.facilities.importer import import_facilities
    from diaspora.facilities.models import Facility

    sources = sorted(SHARED.glob("who-ssa-2019-*.csv"))
    with tempfile.TemporaryDirectory() as folder:
        if not sources:
            sources = [Path(folder) / "generated.csv"]
            write_generated_facilities(sources[0], rows=3000, seed=1)
        for source in sources:
            import_facilities(session, source, now=NOW, workers=0)
    session.execute(sa.update(Facility).where(Facility.tier <= 2).values(setting="rural"))
    session.execute(sa.update(Facility).where(Facility.tier > 2).values(setting="urban"))
    session.commit()
    return session.execute(sa.select(Facility.id, Facility.country, Facility.timezone)).all()


def insert(connection, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        connection.execute(model.__table__.insert(), rows[start:start + BATCH])


def insert_professionals(loader, rng: random.Random, count: int) -> None:
    """``count`` professionals with their languages, specialties, skills, licences and
    availability, streamed to the database in chunks (``COPY`` on PostgreSQL)."""
    from diaspora.demo import CADRE_PROFILES

    origins, origin_weights = list(ORIGINS), list(accumulate(w for w, *_ in ORIGINS.values()))
    residence_weights = list(accumulate(item[-1] for item in RESIDENCES))
    cadre_weights = list(accumulate(item[1] for item in CADRE_PROFILES))
    window_modes = ["either", "physical", "virtual"]
    offers_choices = [(True, True), (True, True), (True, False), (False, True)]
    hours = [2, 3, 4, 6, 8]
    genders = ["female", "male", "undisclosed"]
    tables = {name: [] for name in COLUMNS}
    for n in range(1, count + 1):
        origin = rng.choices(origins, cum_weights=origin_weights)[0]
        _share, official, local = ORIGINS[origin]
        country, city, zone, latitude, longitude, spoken_there, _ = rng.choices(
            RESIDENCES, cum_weights=residence_weights)[0]
        cadre, _weight, specialties, skills, _degree = rng.choices(
            CADRE_PROFILES, cum_weights=cadre_weights)[0]
        offers = rng.choice(offers_choices)
        tables["users"].append((n, f"p{n}@bench.example", f"P {n}", "-", "professional", zone,
                                True, NOW, 1))
        tables["professionals"].append((
            n, n, "Given", f"Family{n}", rng.choice(genders), cadre, origin, country, city,
            latitude, longitude, zone, offers[0], offers[1], rng.random() < 0.95, "2026-01",
            NOW, NOW, 0))
        spoken = official + [rng.choice(local)] + ([spoken_there] if spoken_there else [])
        for code in dict.fromkeys(spoken):
            tables["professional_languages"].append((n, code, "native"))
        for specialty in rng.sample(specialties, k=min(len(specialties), rng.randint(1, 2))):
            tables["professional_specialties"].append((n, specialty))
        for skill in rng.sample(skills, k=min(len(skills), rng.randint(1, 3))):
            tables["professional_skills"].append((n, skill))
        third = rng.choice([c for c in LICENCE_COUNTRIES if c not in (country, origin)])
        for licence_country, until in ((country, rng.randint(100, 1500)),
                                       (origin, rng.randint(-300, 1000)),
                                       (third, rng.randint(-300, 1000))):
            valid_until = TODAY + timedelta(days=until)
            tables["licences"].append((n, licence_country, "Council", f"L{n}-{licence_country}",
                                       valid_until - timedelta(days=3 * 365), valid_until))
        for _ in range(2):
            mode = rng.choice(window_modes)
            starts_on = TODAY + timedelta(days=rng.randint(0, 330))
            tables["availability_windows"].append((
                n, "available", mode, starts_on, starts_on + timedelta(days=rng.randint(14, 150)),
                None if mode == "physical" else rng.choice(hours)))
        if rng.random() < 0.1:
            starts_on = TODAY + timedelta(days=rng.randint(0, 330))
            tables["availability_windows"].append((
                n, "blackout", "either", starts_on,
                starts_on + timedelta(days=rng.randint(3, 20)), None))
        if n % CHUNK == 0 or n == count:
            for name, rows in tables.items():
                loader.write(name, COLUMNS[name], rows, commit=False)
                rows.clear()
    loader.connection.commit()


def insert_needs(connection, rng: random.Random, facilities, count: int) -> list[dict]:
    """``count`` approved needs, and half as many fulfilled ones for the mission history."""
    from diaspora.demo import CADRE_PROFILES
    from diaspora.needs.models import Need

    rows = []
    for n in range(1, count + count // 2 + 1):
        facility_id, country, _zone = rng.choice(facilities)
        cadre, _weight, specialties, skills, _degree = pick(rng, CADRE_PROFILES, weight_index=1)
        mode = pick(rng, NEED_MODES)[0]
        window = rng.randint(21, 120)
        earliest = TODAY + timedelta(days=rng.randint(14, 300))
        weeks = rng.randint(2, min(12, (window - 1) // 7 + 1))
        language = {"GH": "en", "SN": "fr", "MZ": "pt"}.get(country, "en")
        rows.append({
            "id": n, "facility_id": facility_id, "title": f"Need {n}", "cadre": cadre,
            "specialty": rng.choice(specialties) if cadre == "2212" or rng.random() < 0.3 else None,
            "skills": rng.sample(skills, k=rng.randint(0, 2)), "languages": [language],
            "purpose": pick(rng, PURPOSES)[0], "mode": mode, "earliest_start": earliest,
            "latest_end": earliest + timedelta(days=window - 1),
            "duration_days": rng.randint(7, min(28, window)) if mode != "virtual" else None,
            "sessions_per_week": rng.randint(1, 2) if mode != "physical" else None,
            "weeks": weeks if mode != "physical" else None,
            "session_hours": rng.choice([1.0, 1.5, 2.0]) if mode != "physical" else None,
            "priority": rng.randint(1, 4), "status": "approved" if n <= count else "fulfilled",
            "created_at": NOW, "updated_at": NOW})
    insert(connection, Need, rows)
    return rows


def insert_history(connection, rng: random.Random, facilities, professionals: int,
                   needs: list[dict], missions_wanted: int = 8000) -> None:
    """Completed missions (continuity, fairness) and proposed ones, each holding its booking
    (a mission that went ahead or is proposed holds its time: migration 0007)."""
    from missions.core.models import Booking, Engagement, Mission

    done = [need for need in needs if need["status"] == "fulfilled"]
    zones = {facility_id: zone for facility_id, _country, zone in facilities}
    engagements, missions, bookings = [], [], []
    people = rng.sample(range(1, professionals + 1), k=min(professionals, missions_wanted))
    for n, professional_id in enumerate(people, start=1):
        need = rng.choice(done)
        upcoming = n % 3 == 0
        days = rng.randint(20, 300) if upcoming else -rng.randint(30, 500)
        starts_at = NOW + timedelta(days=days)
        ends_at = starts_at + timedelta(days=rng.randint(7, 28))
        engagements.append({"id": n, "professional_id": professional_id,
                            "facility_id": need["facility_id"], "created_at": NOW})
        missions.append({"id": n, "need_id": need["id"], "professional_id": professional_id,
                         "facility_id": need["facility_id"], "engagement_id": n, "cycle": 1,
                         "kind": "physical", "status": "proposed" if upcoming else "completed",
                         "starts_at": starts_at, "ends_at": ends_at,
                         "timezone": zones[need["facility_id"]] or "UTC", "exdates": [],
                         "proposed_at": NOW, "created_at": NOW, "updated_at": NOW})
        bookings.append({"professional_id": professional_id, "mission_id": n,
                         "starts_at": starts_at, "ends_at": ends_at, "active": True})
    insert(connection, Engagement, engagements)
    insert(connection, Mission, missions)
    insert(connection, Booking, bookings)


# --- measuring ----------------------------------------------------------------------------

def measure(url: str, samples: int, plan_needs: int) -> dict:
    """Run in a child process: time shortlists, their floor, and the plan."""
    import sqlalchemy as sa
    from sqlalchemy.orm import joinedload

    from diaspora import create_app
    from diaspora.extensions import db
    from diaspora.needs.models import Need
    from missions import matching
    from missions.matching import planning

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        session = db.session
        dialect = session.get_bind().dialect.name
        postgres = dialect == "postgresql"
        if postgres:   # as the shortlist runs its queries (``pool.plain``)
            session.execute(sa.text("SET jit = off"))
        settings = matching.Settings.from_config(app.config)
        approved = session.scalars(sa.select(Need).options(joinedload(Need.facility))
                                   .where(Need.status == "approved").order_by(Need.id)).all()
        sample = approved[::max(1, len(approved) // samples)][:samples]
        matching.shortlist(session, sample[-1], now=NOW, settings=settings)  # warm caches
        full, floor, old_floor, passed, shown = [], [], [], [], []
        for need in sample:
            terms = matching.terms_of(need)
            floor_runs, full_runs = [], []
            if postgres:
                started = time.perf_counter()
                session.execute(matching.hard_filter_query(terms)).all()
                old_floor.append(time.perf_counter() - started)
            for _ in range(RUNS):
                started = time.perf_counter()
                ids = session.execute(matching.hard_filter_query(terms, dialect=dialect)).all()
                floor_runs.append(time.perf_counter() - started)
                started = time.perf_counter()
                candidates = matching.shortlist(session, need, now=NOW, settings=settings)
                full_runs.append(time.perf_counter() - started)
            floor.append(statistics.median(floor_runs))
            full.append(statistics.median(full_runs))
            passed.append(len(ids))
            shown.append(len(candidates))
        widest = sample[passed.index(max(passed))]
        explain = index_use(session, matching.hard_filter_query(matching.terms_of(widest),
                                                                dialect=dialect))
        result = {"full": full, "floor": floor, "old_floor": old_floor, "passed": passed,
                  "shown": shown,
                  "explain": explain, "plan_needs": 0, "plan_seconds": 0.0, "assigned": 0,
                  "optimal": True}
        if plan_needs:
            by_end = sorted(approved, key=lambda need: need.latest_end)[:plan_needs]
            period = {"period_start": min(need.earliest_start for need in by_end),
                      "period_end": by_end[-1].latest_end}
            planned = planning.needs_in_period(session, **period)
            started = time.perf_counter()
            plan = planning.make_plan(session, now=NOW, settings=settings, **period)
            result.update(plan_needs=len(planned), plan_seconds=time.perf_counter() - started,
                          assigned=len(plan.assignments), optimal=plan.optimal)
    return result


def index_use(session, query) -> list[str]:
    """The lines of the query plan that name an index (the floor's query: the hard filters)."""
    import sqlalchemy as sa

    dialect = session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name == "postgresql":
        lines = [row[0] for row in session.execute(sa.text(f"EXPLAIN {sql}"))]
        return [line.strip() for line in lines
                if "Index" in line or "Seq Scan" in line or "Heap Scan" in line]
    rows = session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")).all()
    return [row[-1] for row in rows if "INDEX" in row[-1] or row[-1].startswith("SCAN")]


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def child(kind: str, url: str, *numbers: str) -> None:
    result = load(url, *map(int, numbers)) if kind == "load" else measure(url, *map(int, numbers))
    print(json.dumps(result))


def report(name: str, loaded: dict, result: dict) -> None:
    ms = lambda seconds: seconds * 1000  # noqa: E731
    full50, full95 = percentile(result["full"], 0.5), percentile(result["full"], 0.95)
    floor50, floor95 = percentile(result["floor"], 0.5), percentile(result["floor"], 0.95)
    print(f"{name:<11} {loaded['seconds']:>7.0f} {ms(full50):>8.1f} {ms(full95):>8.1f} "
          f"{ms(floor50):>9.1f} {ms(floor95):>9.1f} "
          f"{full50 / floor50:>6.2f} {full95 / floor95:>6.2f} "
          f"{statistics.median(result['passed']):>7.0f} {max(result['passed']):>7} "
          f"{result['plan_needs']:>6} {result['assigned']:>8} {result['plan_seconds']:>7.1f}"
          f"{'' if result['optimal'] else ' (time limit)'}")
    if result["old_floor"]:
        old50, old95 = percentile(result["old_floor"], 0.5), percentile(result["old_floor"], 0.95)
        print(f"  {name} old floor (the same filters over the source tables, once per need): "
              f"p50 {ms(old50):.1f} ms, p95 {ms(old95):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--professionals", type=int, default=1_000_000,
                        help="professionals on PostgreSQL")
    parser.add_argument("--sqlite-professionals", type=int, default=100_000,
                        help="professionals on SQLite (0: skip SQLite)")
    parser.add_argument("--needs", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--plan-needs", type=int, default=200, help="0: no plan")
    parser.add_argument("--keep", action="store_true",
                        help="measure the PostgreSQL database as it is (filled by an earlier run)")
    parser.add_argument("--postgres",
                        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL of a scratch database (created if missing; its "
                             "schema is reset)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        targets = database_targets(folder, args.postgres)
        sizes = {"SQLite": args.sqlite_professionals, "PostgreSQL": args.professionals}
        print(f"professionals: {', '.join(f'{sizes[name]:,} on {name}' for name, _ in targets)}; "
              f"{args.needs:,} needs; shortlist of 20 over {args.samples} needs; "
              f"plan over {args.plan_needs} needs; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'database':<11} {'load s':>7} {'p50 ms':>8} {'p95 ms':>8} {'floor p50':>9} "
              f"{'floor p95':>9} {'r p50':>6} {'r p95':>6} {'passed':>7} {'max':>7} "
              f"{'needs':>6} {'assigned':>8} {'plan s':>7}")
        for name, url in targets:
            if not sizes[name]:
                continue
            if args.keep and name == "PostgreSQL":
                loaded = {"seconds": 0.0}
            else:
                loaded = run_child(__file__, "load", url, sizes[name], args.needs)
            result = run_child(__file__, "measure", url, args.samples, args.plan_needs)
            report(name, loaded, result)
            print(f"  {name} plan of the hard filters (the need most pass), index use:")
            for line in result["explain"]:
                print(f"    {line}")
        print(f"load average {os.getloadavg()[0]:.1f} at the end")
        print("passed: professionals through the SQL hard filters per need (median, max); "
              "r: shortlist / floor")
        print("targets: shortlist p95 < 250 ms, ratio <= 2, plan of 200 needs < 30 s")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
    else:
        main()
