"""Benchmark: the full programme dashboard over 100,000 missions with outcomes and costs.

Generates a programme (facilities, professionals, needs, missions in every status, online
sessions, outcome reports with trainees and items, waivers, follow-up surveys) with bulk inserts
into a scratch SQLite file and a scratch PostgreSQL database (created if missing; its schema is
reset), then times ``missions.dashboards.indicators.compute`` and counts its SQL queries — for a
manager (everything) and a facility coordinator (their facilities) — at two sizes, to show the
number of queries does not depend on the size of the data. Each mission has 8 cost lines (at
the stage its status implies) and each programme a budget: the money figures — value for money
and a programme's budget execution — are timed and counted too.

    .venv/bin/python bench/dashboard.py [--sizes 20000 100000] [--runs 5] [--postgres URL]
                                        [--only SQLite|PostgreSQL]

Target: every figure and page in under 500 ms on PostgreSQL at 100,000 missions, the same number of
queries at every size.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import database_targets, fresh_app  # noqa: E402  (bench/common.py)

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/diaspora_bench_dashboard"
NOW = datetime(2026, 7, 1, tzinfo=UTC)
PASSWORD = "bench-dashboard-password"
COUNTRIES = {"GH": (5.0, 11.0, -3.0, 1.0, "Africa/Accra"), "KE": (-4.0, 4.0, 34.0, 41.0, "Africa/Nairobi"),
             "SN": (12.5, 16.5, -17.0, -11.5, "Africa/Dakar"), "UG": (-1.0, 4.0, 30.0, 35.0, "Africa/Kampala")}
STATUSES = {"closed": 30, "reported": 15, "completed": 10, "in_progress": 3, "ready": 3,
            "confirmed": 10, "accepted": 5, "proposed": 7, "cancelled": 10, "declined": 5,
            "postponed": 2}
CADRES = ("2211", "2212", "2221", "2222", "2262")
GENDERS = ("female", "male", "other", "undisclosed")
HOLDING = {"proposed", "accepted", "confirmed", "ready", "in_progress", "completed", "reported",
           "closed"}   # hold the professional's time: one active booking per span (migration 0007)
SLOT = timedelta(days=42)   # a mission and its six weekly sessions fit in one slot
SLOTS = 30                  # slots from 2023-01-02: missions of one person never overlap
COST_CATEGORIES = ("international_travel", "local_transport", "accommodation", "living_allowance",
                   "insurance", "visa", "registration", "ict")   # 8 lines per mission
STAGE_OF = {"proposed": "estimated", "accepted": "estimated", "declined": "estimated",
            "cancelled": "estimated", "postponed": "estimated", "confirmed": "committed",
            "ready": "committed", "in_progress": "committed", "completed": "actual",
            "reported": "actual", "closed": "actual"}


class Generator:
    """Rows for every table, built in memory and inserted in bulk (one INSERT per table)."""

    def __init__(self, missions: int, seed: int = 7):
        self.size = missions
        self.rng = random.Random(seed)
        self.rows: dict[str, list[dict]] = {}
        self.engagements: dict[tuple[int, int], int] = {}
        self.free_slots: dict[int, list[int]] = {}

    def add(self, table: str, row: dict) -> int:
        rows = self.rows.setdefault(table, [])
        row["id"] = len(rows) + 1
        rows.append(row)
        return row["id"]

    def build(self) -> dict[str, list[dict]]:
        self.add("users", _user("manager", 0))
        self.facilities()
        self.professionals()
        for name in ("MIDA Ghana Health", "Kenya Diaspora Health", "Sahel Midwives"):
            programme_id = self.add("programmes", {"name": name, "origin_country": "GH",
                                                   "host_countries": [], "currency": "EUR",
                                                   "starts_on": date(2023, 1, 1)})
            for year in range(2023, 2027):
                for category in COST_CATEGORIES:
                    self.add("budget_lines", {"programme_id": programme_id, "category": category,
                                              "year": year, "quarter": 0,
                                              "amount": Decimal(self.size * 50), "currency": "EUR",
                                              "updated_at": NOW})
        for _ in range(self.size):
            self.mission()
        return self.rows

    def facilities(self):
        self.facility_ids = []
        for n in range(max(50, self.size // 40)):
            country = self.rng.choice(list(COUNTRIES))
            south, north, west, east, zone = COUNTRIES[country]
            facility_id = self.add("facilities", {
                "external_id": f"bench:{n}", "source": "bench", "name": f"Facility {n}",
                "country": country, "admin1": f"Region {n % 8}", "facility_type": "Hospital",
                "category": "hospital", "tier": 1 + n % 4, "ownership": "public",
                "latitude": self.rng.uniform(south, north), "longitude": self.rng.uniform(west, east),
                "timezone": zone, "setting": ("rural", "urban", "unknown")[n % 3], "ict_ready": False,
                "imported_at": NOW, "updated_at": NOW})
            self.facility_ids.append(facility_id)
            if n % 10 == 0:
                coordinator = self.add("users", _user("coordinator", facility_id))
                self.rows.setdefault("facility_coordinators", []).append(
                    {"facility_id": facility_id, "user_id": coordinator})

    def professionals(self):
        self.professional_ids, self.homes = [], {}
        for n in range(max(20, self.size // 10)):
            user_id = self.add("users", _user("professional", n))
            professional_id = self.add("professionals", {
                "user_id": user_id, "given_name": "Ama", "family_name": f"Mensah {n}",
                "gender": GENDERS[n % 4], "cadre": CADRES[n % 5], "country_of_origin": "GH",
                "country_of_residence": "GB", "timezone": "Europe/London",
                "offers_physical": True, "offers_virtual": True, "consent_given": True,
                "created_at": NOW, "updated_at": NOW, "booking_version": 0})
            self.professional_ids.append(professional_id)
            # each professional serves a few facilities again and again: circularity
            self.homes[professional_id] = self.rng.sample(self.facility_ids, 3)

    def mission(self):
        rng = self.rng
        professional_id = rng.choice(self.professional_ids)
        while not self.free_slots.setdefault(professional_id, rng.sample(range(SLOTS), SLOTS)):
            professional_id = rng.choice(self.professional_ids)   # this one's calendar is full
        facility_id = rng.choice(self.homes[professional_id])
        status = rng.choices(list(STATUSES), weights=list(STATUSES.values()))[0]
        kind = "physical" if rng.random() < 0.7 else "virtual"
        starts_at = (datetime(2023, 1, 2, tzinfo=UTC) + SLOT * self.free_slots[professional_id].pop()
                     + timedelta(days=rng.randrange(7)))
        need_id = self.need(facility_id, kind, starts_at, status)
        engagement_id = self.engagement(professional_id, facility_id)
        done = status in ("completed", "reported", "closed")
        mission_id = self.add("missions", {
            "need_id": need_id, "professional_id": professional_id, "facility_id": facility_id,
            "engagement_id": engagement_id, "cycle": 1, "kind": kind, "status": status,
            "starts_at": starts_at, "ends_at": starts_at + timedelta(days=14), "timezone": "UTC",
            "exdates": [], "proposed_at": starts_at - timedelta(days=60),
            "created_at": starts_at - timedelta(days=60), "updated_at": starts_at,
            "confirmed_at": starts_at - timedelta(days=30) if status not in ("proposed", "accepted", "declined") else None,
            "cost_amount": None, "cost_currency": None})
        self.costs(mission_id, need_id, status, starts_at)
        holds = status in HOLDING
        if kind == "physical" and holds:
            self.add("bookings", {"professional_id": professional_id, "mission_id": mission_id,
                                  "session_id": None,
                                  "starts_at": starts_at, "ends_at": starts_at + timedelta(days=14),
                                  "active": True})
        if kind == "virtual":
            for week in range(6):
                start = starts_at + timedelta(days=7 * week, hours=14)
                session_id = self.add("mission_sessions", {
                    "mission_id": mission_id, "sequence": week + 1, "starts_at": start,
                    "ends_at": start + timedelta(minutes=90), "timezone": "UTC", "status": "held"})
                if holds:
                    self.add("bookings", {"professional_id": professional_id,
                                          "mission_id": mission_id, "session_id": session_id,
                                          "starts_at": start, "ends_at": start + timedelta(minutes=90),
                                          "active": True})
        if done:
            self.outcomes(mission_id, starts_at + timedelta(days=14), status)

    def costs(self, mission_id, need_id, status, starts_at):
        """8 lines at the stage the status implies; the mission keeps its actual programme-paid
        cost, as the cost services do (``missions.costs.services``)."""
        stage = STAGE_OF[status]
        programme_id = self.rows["needs"][need_id - 1]["programme_id"]
        mission = self.rows["missions"][mission_id - 1]
        for category in COST_CATEGORIES:
            amount = Decimal(self.rng.randrange(20, 2000))
            currency, rate = self.rng.choice((("EUR", Decimal(1)), ("GBP", Decimal("1.17")),
                                              ("GHS", Decimal("0.06"))))
            self.add("cost_lines", {
                "mission_id": mission_id, "programme_id": programme_id, "category": category,
                "stage": stage, "payer": "host" if category == "accommodation" else "programme",
                "reimbursable": category == "living_allowance", "amount": amount,
                "currency": currency, "incurred_on": starts_at.date(),
                "reporting_amount": (amount * rate).quantize(Decimal("0.01")),
                "reporting_currency": "EUR", "exchange_rate": rate, "rate_on": date(2023, 1, 1),
                "created_at": NOW, "updated_at": NOW})
            if stage == "actual" and category != "accommodation":
                mission["cost_amount"] = (mission["cost_amount"] or 0) + (amount * rate).quantize(
                    Decimal("0.01"))
                mission["cost_currency"] = "EUR"

    def need(self, facility_id, kind, starts_at, mission_status) -> int:
        submitted = starts_at - timedelta(days=90)
        status = {"completed": "fulfilled", "reported": "fulfilled", "closed": "fulfilled"}.get(
            mission_status, "matched" if mission_status in ("confirmed", "ready", "in_progress") else "approved")
        return self.add("needs", {
            "facility_id": facility_id, "programme_id": 1 + facility_id % 3, "title": "Need",
            "cadre": self.rng.choice(CADRES), "skills": [], "languages": ["en"],
            "purpose": "training_of_trainers", "mode": kind, "earliest_start": submitted.date(),
            "latest_end": (starts_at + timedelta(days=120)).date(), "duration_days": 14,
            "priority": 3, "status": status, "created_at": submitted, "updated_at": submitted,
            "submitted_at": submitted, "approved_at": submitted + timedelta(days=3)})

    def engagement(self, professional_id, facility_id) -> int:
        key = (professional_id, facility_id)
        if key not in self.engagements:
            self.engagements[key] = self.add("engagements", {
                "professional_id": professional_id, "facility_id": facility_id, "created_at": NOW})
        return self.engagements[key]

    def outcomes(self, mission_id, ended, status):
        rng = self.rng
        sides = ["professional", "host"] if status != "completed" else rng.sample(["professional", "host"], 1)
        if status != "completed" and rng.random() < 0.1:
            self.add("report_waivers", {"mission_id": mission_id, "side": sides.pop(),
                                        "reason": "No coordinator", "waived_at": ended})
        for side in sides:
            self.report(mission_id, side, ended)
        for months in (3, 6, 12):
            answered = rng.random() < 0.5
            self.add("follow_ups", {
                "mission_id": mission_id, "months": months, "created_at": ended,
                "due_at": ended + timedelta(days=30 * months),
                "answered_at": ended + timedelta(days=30 * months) if answered else None,
                "practice_in_use": rng.random() < 0.7 if answered else None,
                "counterparts_in_post": rng.randrange(4) if answered else None,
                "trainees_cascaded": rng.randrange(10) if answered else None})

    def report(self, mission_id, side, ended):
        rng = self.rng
        cadres = rng.sample(CADRES, 2)
        trainees = [(cadre, gender, rng.randrange(1, 8)) for cadre in cadres for gender in ("female", "male")]
        report_id = self.add("outcome_reports", {
            "mission_id": mission_id, "side": side, "filed_at": ended, "updated_at": ended,
            "trained_total": sum(n for _, _, n in trainees), "sessions_held": 6, "hours": 18.0,
            "patients_seen": rng.randrange(80), "procedures_done": rng.randrange(20),
            "tested_count": 5, "pre_score": rng.uniform(30, 60), "post_score": rng.uniform(60, 95),
            "rating": rng.randrange(1, 6), "barriers": [], "next_steps": []})
        for cadre, gender, count in trainees:
            self.add("outcome_trainees", {"report_id": report_id, "cadre": cadre, "gender": gender,
                                          "count": count})
        if rng.random() < 0.5:
            self.add("outcome_items", {"report_id": report_id, "kind": "protocol", "title": "Protocol"})


def _user(role: str, n: int) -> dict:
    return {"email": f"{role}{n}@bench.example", "name": f"{role} {n}", "password_hash": "x",
            "role": role, "timezone": "UTC", "active": True, "created_at": NOW,
            "session_version": 1}


def load(db, rows: dict[str, list[dict]]) -> float:
    """Insert every table in bulk, parents first; returns the seconds it took."""
    import sqlalchemy as sa

    started = time.perf_counter()
    for table in ("users", "facilities", "facility_coordinators", "professionals", "programmes",
                  "needs", "engagements", "missions", "mission_sessions", "bookings",
                  "outcome_reports",
                  "outcome_trainees", "outcome_items", "report_waivers", "follow_ups",
                  "cost_lines", "budget_lines"):
        if rows.get(table):
            db.session.execute(sa.insert(db.metadata.tables[table]), rows[table])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def measure(db, work, runs: int) -> tuple[float, int]:
    """Median milliseconds of ``work()`` over ``runs`` (after a warm-up) and its SQL queries."""
    import sqlalchemy as sa

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    db.session.remove()
    work()   # warm-up: connection, caches
    timings = []
    for _ in range(runs):
        db.session.remove()   # a fresh session each time, as each request of a server gets
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
        sa.event.remove(db.engine, "before_cursor_execute", count)
        db.session.rollback()
    return statistics.median(timings), len(statements)


PAGES = ("dashboard", "missions", "mission", "facility", "needs", "need")


def run(url: str, size: int, runs: int) -> dict:
    """Generate ``size`` missions, then time the dashboard's figures (manager, coordinator), the
    money figures, and the pages a manager opens, each whole through the test client: the
    dashboard, the missions board, a mission, a facility (with its map), the needs list and a
    need (with its shortlist link)."""
    import re

    import sqlalchemy as sa

    from diaspora.auth.models import User
    from diaspora.clock import FakeClock
    from diaspora.extensions import db
    from diaspora.programmes.models import Programme, programme_managers
    from diaspora.security import hash_password
    from missions.costs import budgets, value
    from missions.dashboards import indicators
    from missions.dashboards.filters import Filters

    app = fresh_app(url)
    app.config["CLOCK"] = FakeClock(NOW)
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        rows = Generator(size).build()
        result = {"load_s": load(db, rows), "reports": len(rows["outcome_reports"])}
        coordinator = rows["facility_coordinators"][0]["user_id"]
        manager = db.session.get(User, 1)
        email = manager.email
        manager.password_hash = hash_password(PASSWORD)
        db.session.execute(sa.insert(programme_managers),
                           [{"programme_id": p["id"], "user_id": 1} for p in rows["programmes"]])
        db.session.commit()

        assert indicators.compute(db.session, Filters(), NOW).missions == size
        result["manager"] = measure(db, lambda: indicators.compute(db.session, Filters(), NOW), runs)
        result["coordinator"] = measure(
            db, lambda: indicators.compute(db.session, Filters(coordinator_id=coordinator), NOW), runs)

        def money():
            value.value_for_money(db.session, Filters())
            budgets.execution(db.session, db.session.get(Programme, 1), 2025, NOW.date())

        result["money"] = measure(db, money, runs)

        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        signed = client.post("/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token})
        assert signed.status_code == 302, signed.status_code
        # the busiest records: the facility and the need with the most missions, a mission of it
        busiest = max(rows["facilities"], key=lambda f: sum(
            1 for m in rows["missions"] if m["facility_id"] == f["id"]))["id"]
        mission = next(m for m in reversed(rows["missions"]) if m["facility_id"] == busiest
                       and m["kind"] == "virtual" and m["status"] == "closed")   # the fullest page
        need = next(n["id"] for n in rows["needs"] if n["facility_id"] == busiest
                    and n["status"] == "approved")   # open: its page links to its shortlist
        paths = {"dashboard": ("/dashboard", "People trained by cadre and gender"),
                 "missions": ("/missions", "Proposed"),
                 "mission": (f"/missions/{mission['id']}", "Facility"),
                 "facility": (f"/facilities/{busiest}", "Facility"),
                 "needs": ("/needs", "Need"),
                 "need": (f"/needs/{need}", f"/needs/{need}/shortlist")}
        for name, (path, expected) in paths.items():
            def page(path=path, expected=expected):
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                assert expected in response.get_data(as_text=True), (path, expected)
            result[name] = measure(db, page, runs)
        db.session.remove()
        db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DASHBOARD_URL", DEFAULT_POSTGRES),
                        help="PostgreSQL URL of a scratch database (created if missing; its "
                             "schema is reset)")
    parser.add_argument("--only", choices=("SQLite", "PostgreSQL"),
                        help="measure one database only")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations' progress lines
    with tempfile.TemporaryDirectory() as folder:
        targets = database_targets(folder, args.postgres, "dashboard.sqlite3")
        print(f"median of {args.runs} runs after a warm-up; ms and SQL queries of the dashboard's "
              "figures for a manager (all) and a coordinator (their facilities), the money figures "
              "(value for money + one programme's budget execution), and whole pages a programme "
              "manager opens through the test client: the dashboard, the missions board, an "
              "online mission, the busiest facility (with its map), the needs list, a need")
        columns = ("manager", "coordinator", "money", *PAGES)
        print(f"{'database':<11} {'missions':>9} {'reports':>8} {'load s':>7} "
              + " ".join(f"{c:>14}" for c in columns))
        for name, url in targets:
            if args.only and name != args.only:
                continue
            for size in args.sizes:
                if name == "SQLite":
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
                result = run(url, size, args.runs)
                timings = " ".join(f"{result[k][0]:>6.0f} ms {result[k][1]:>3}q" for k in columns)
                print(f"{name:<11} {size:>9,} {result['reports']:>8,} {result['load_s']:>7.1f} "
                      f"{timings}", flush=True)
        print("target: every figure and page < 500 ms on PostgreSQL at 100,000 missions (8 cost "
              "lines each); equal query counts at every size")
        print(f"load average while measuring: {' '.join(f'{n:.1f}' for n in os.getloadavg())}")

if __name__ == "__main__":
    main()
