"""Every dashboard figure on a small data set whose numbers are worked out by hand, the filters,
coordinators' limits, the pages, the CSV/XLSX exports and the FHIR Bundle.

The data set (``world``), in 2026 unless said otherwise:

    mission  professional → facility       mode      status      start   days  cost
    M1       P1 (2212) → F1 GH rural t1    physical  closed      5 Jan   14    1400 USD
    M2       P1        → F1 (a return)     physical  reported    2 Mar   10     600 USD
    M3       P1        → F2 GH urban t4    virtual   completed   3 Feb   4 × 90 min, one cancelled;  300 EUR
    M4       P2 (2222) → F3 KE t2          physical  confirmed   4 May    7     500 USD  (programme B)
    M5       P3 (2221) → F2                physical  cancelled   6 Apr    5
    M6       P2        → F1                physical  proposed    1 Jun    7

Reports: M1 host (12 trained) and professional (15, not counted: the host's report is the
reference); M2 professional only (5 trained), host waived; M3 host only (8 trained).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from fhir.resources.R4B.bundle import Bundle
from openpyxl import load_workbook

from diaspora.extensions import db
from diaspora.needs.models import Need
from diaspora.programmes.models import Programme
from missions.core.booking import bookings_for
from missions.core.models import HOLDING, Engagement, Mission, MissionSession
from missions.dashboards import indicators
from missions.dashboards.exports import COLUMNS
from missions.dashboards.filters import Filters
from missions.outcomes.models import FollowUp, OutcomeItem, OutcomeReport, OutcomeTrainee, ReportWaiver

from .conftest import START, inline_code, is_savepoint

NOW = datetime(2026, 7, 1, tzinfo=UTC)


def utc(year, month, day, hour=0, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    facilities: dict = field(default_factory=dict)
    professionals: dict = field(default_factory=dict)
    programmes: dict = field(default_factory=dict)
    missions: dict = field(default_factory=dict)
    coordinator: object = None
    manager: object = None     # of programmes A and B, the world's every need


class Builder:
    """Writes the data set straight into the tables (the lifecycle is tested elsewhere)."""

    def __init__(self, make_facility, make_professional, make_user, tag: str = ""):
        self.make_facility, self.make_professional, self.make_user = \
            make_facility, make_professional, make_user
        self.tag = tag

    def build(self) -> World:
        world = World()
        world.programmes = {name: self._programme(f"Programme {name}{self.tag}") for name in "AB"}
        world.facilities = {
            "F1": self.make_facility(country="GH", admin1="Northern", tier=1, setting="rural",
                                     latitude=9.4, longitude=-0.85),
            "F2": self.make_facility(country="GH", admin1="Greater Accra", tier=4, setting="urban",
                                     latitude=5.6, longitude=-0.19),
            "F3": self.make_facility(country="KE", admin1="Nairobi", tier=2, setting="unknown",
                                     latitude=-1.29, longitude=36.82, timezone="Africa/Nairobi"),
        }
        world.coordinator = self.make_user("coordinator")
        world.manager = self.make_user("manager", programmes=list(world.programmes.values()))
        world.facilities["F2"].coordinators.append(world.coordinator)
        world.professionals = {"P1": self.make_professional(cadre="2212"),
                               "P2": self.make_professional(cadre="2222", gender="male"),
                               "P3": self.make_professional(cadre="2221", phone="+233 20 123 4567")}
        self._missions(world)
        self._outcomes(world)
        db.session.commit()
        return world

    def _programme(self, name):
        programme = Programme(name=name, origin_country="GH", host_countries=["GH", "KE"],
                              starts_on=date(2025, 1, 1), funder="The Funder")
        db.session.add(programme)
        db.session.flush()
        return programme

    def _need(self, world, facility, programme, *, submitted, approved=None, status, cadre="2212",
              mode="physical"):
        need = Need(facility_id=world.facilities[facility].id,
                    programme_id=world.programmes[programme].id, title="Skills", cadre=cadre,
                    purpose="training_of_trainers", mode=mode, earliest_start=date(2025, 1, 1),
                    latest_end=date(2026, 12, 31), duration_days=14, status=status,
                    created_at=utc(2025, 11, 1), updated_at=START, submitted_at=submitted,
                    approved_at=approved)
        db.session.add(need)
        db.session.flush()
        return need

    def _mission(self, world, name, need, professional, *, status, first, days=None,
                 sessions=(), kind="physical", confirmed=None, cost=None):
        professional = world.professionals[professional]
        engagement = db.session.scalar(sa.select(Engagement).where(
            Engagement.professional_id == professional.id,
            Engagement.facility_id == need.facility_id))
        if engagement is None:
            engagement = Engagement(professional_id=professional.id,
                                    facility_id=need.facility_id, created_at=START)
        mission = Mission(need=need, professional=professional, facility_id=need.facility_id,
                          engagement=engagement, kind=kind, status=status, timezone="UTC",
                          proposed_at=START, created_at=START, updated_at=START,
                          confirmed_at=confirmed, cost_amount=cost and Decimal(cost[0]),
                          cost_currency=cost and cost[1])
        for number, (start, minutes, session_status) in enumerate(sessions, start=1):
            mission.sessions.append(MissionSession(sequence=number, starts_at=start,
                                                   ends_at=start + timedelta(minutes=minutes),
                                                   timezone="UTC", status=session_status))
        if kind == "physical":
            mission.starts_at = datetime.combine(first, time(0), tzinfo=UTC)
            mission.ends_at = mission.starts_at + timedelta(days=days)
        else:
            mission.starts_at, mission.ends_at = mission.sessions[0].starts_at, mission.sessions[-1].ends_at
        db.session.add(mission)
        db.session.flush()
        if status in HOLDING:  # the database expects its bookings
            db.session.add_all(bookings_for(mission))
        world.missions[name] = mission

    def _missions(self, world):
        n1 = self._need(world, "F1", "A", submitted=utc(2025, 12, 1), approved=utc(2025, 12, 3),
                        status="fulfilled")
        n2 = self._need(world, "F1", "A", submitted=utc(2026, 1, 10), approved=utc(2026, 1, 12),
                        status="fulfilled")
        n3 = self._need(world, "F2", "A", submitted=utc(2026, 1, 15), approved=utc(2026, 1, 16),
                        status="fulfilled", mode="virtual")
        n4 = self._need(world, "F3", "B", submitted=utc(2026, 2, 1), approved=utc(2026, 2, 2),
                        status="matched", cadre="2222")
        n5 = self._need(world, "F2", "A", submitted=utc(2026, 2, 10), approved=utc(2026, 2, 11),
                        status="approved")
        n6 = self._need(world, "F1", "A", submitted=utc(2026, 3, 1), approved=utc(2026, 3, 2),
                        status="approved", cadre="2222")
        self._need(world, "F2", "A", submitted=utc(2026, 3, 5), status="submitted")
        self._need(world, "F1", "A", submitted=None, status="draft")
        self._mission(world, "M1", n1, "P1", status="closed", first=date(2026, 1, 5), days=14,
                      confirmed=utc(2025, 12, 13), cost=("1400", "USD"))
        self._mission(world, "M2", n2, "P1", status="reported", first=date(2026, 3, 2), days=10,
                      confirmed=utc(2026, 2, 1), cost=("600", "USD"))
        weekly = [(utc(2026, 2, 3 + 7 * week, 14), 90, "cancelled" if week == 2 else "held")
                  for week in range(4)]
        self._mission(world, "M3", n3, "P1", status="completed", first=None, sessions=weekly,
                      kind="virtual", confirmed=utc(2026, 1, 20), cost=("300", "EUR"))
        self._mission(world, "M4", n4, "P2", status="confirmed", first=date(2026, 5, 4), days=7,
                      confirmed=utc(2026, 3, 1), cost=("500", "USD"))
        self._mission(world, "M5", n5, "P3", status="cancelled", first=date(2026, 4, 6), days=5,
                      confirmed=utc(2026, 2, 20))
        self._mission(world, "M6", n6, "P2", status="proposed", first=date(2026, 6, 1), days=7)

    def _report(self, mission, side, *, trainees, rating, items=(), **figures):
        report = OutcomeReport(mission_id=mission.id, side=side, filed_at=mission.ends_at,
                               updated_at=mission.ends_at, rating=rating,
                               trained_total=sum(count for _, _, count in trainees), **figures)
        report.trainees = [OutcomeTrainee(cadre=c, gender=g, count=n) for c, g, n in trainees]
        report.items = [OutcomeItem(kind=kind, title=title) for kind, title in items]
        db.session.add(report)

    def _outcomes(self, world):
        m1, m2, m3 = (world.missions[name] for name in ("M1", "M2", "M3"))
        self._report(m1, "host", rating=5, sessions_held=6, hours=18, patients_seen=40,
                     procedures_done=9, tested_count=10, pre_score=50, post_score=80,
                     trainees=[("2221", "female", 7), ("2221", "male", 3), ("2222", "female", 2)],
                     items=[("protocol", "PPH protocol"), ("equipment_installed", "CTG monitor")])
        self._report(m1, "professional", rating=4, sessions_held=7, hours=20, patients_seen=50,
                     procedures_done=10, tested_count=15, pre_score=40, post_score=90,
                     trainees=[("2221", "female", 15)], items=[("curriculum", "Not counted")])
        self._report(m2, "professional", rating=3, sessions_held=2, hours=4, patients_seen=10,
                     procedures_done=0, tested_count=5, pre_score=60, post_score=70,
                     trainees=[("2211", "male", 5)], items=[("guideline", "Sepsis guideline")])
        db.session.add(ReportWaiver(mission_id=m2.id, side="host", reason="No coordinator",
                                    waived_at=m2.ends_at))
        self._report(m3, "host", rating=4, sessions_held=3, hours=4.5,
                     trainees=[("2222", "female", 8)])
        answers = {(m1, 3): (True, 2, 6), (m2, 3): (False, 1, 0)}
        for mission in (m1, m2, m3):
            for months in (3, 6, 12):
                answer = answers.get((mission, months))
                db.session.add(FollowUp(
                    mission_id=mission.id, months=months, created_at=mission.ends_at,
                    due_at=mission.ends_at + relativedelta(months=months),
                    answered_at=answer and NOW, practice_in_use=answer and answer[0],
                    counterparts_in_post=answer and answer[1], trainees_cascaded=answer and answer[2]))


@pytest.fixture
def builder(make_facility, make_professional, make_user):
    return Builder(make_facility, make_professional, make_user)


@pytest.fixture
def world(builder) -> World:
    return builder.build()


def figures(**filters) -> indicators.Dashboard:
    return indicators.compute(db.session, Filters(**filters), NOW)


# --- every figure on the whole data set ---------------------------------------------------

def test_missions_by_status_and_mode(world):
    d = figures()
    assert {(r.label, r.physical, r.virtual) for r in d.by_status} == {
        ("closed", 1, 0), ("reported", 1, 0), ("completed", 0, 1), ("confirmed", 1, 0),
        ("cancelled", 1, 0), ("proposed", 1, 0)}
    assert d.missions == 6


def test_missions_that_went_ahead_by_month_with_empty_months(world):
    assert [(r.label, r.physical, r.virtual) for r in figures().by_month] == [
        ("2026-01", 1, 0), ("2026-02", 0, 1), ("2026-03", 1, 0), ("2026-04", 0, 0),
        ("2026-05", 1, 0)]


def test_person_days_and_online_hours_of_missions_done(world):
    d = figures()
    assert d.person_days == 14 + 10
    assert d.virtual_hours == 4.5   # three 90-minute sessions; the cancelled one does not count


def test_needs_filed_filled_fulfilled_and_median_time_to_fill(world):
    needs = figures().needs
    assert (needs.filed, needs.approved, needs.filled, needs.fulfilled) == (7, 6, 4, 3)
    assert needs.median_days_to_fill == 15.0   # days to fill 4, 10, 20, 27


def test_rural_lower_tier_and_safeguards_shares(world):
    reach = figures().reach
    assert (reach.missions, reach.rural, reach.lower_tier, reach.safeguards) == (4, 2, 3, 3)
    assert (reach.rural_share, reach.lower_tier_share) == (0.5, 0.75)


def test_circularity_returns_and_repeat_hosts(world):
    c = figures().circularity
    assert (c.professionals, c.missions, c.returning, c.repeat_host_missions) == (2, 4, 1, 1)
    assert (c.returns_per_professional, c.returning_share, c.repeat_host_share) == (1.0, 0.5, 0.25)


def test_people_trained_by_cadre_and_gender_from_reference_reports(world):
    d = figures()
    assert d.trained == {("2221", "female"): 7, ("2221", "male"): 3, ("2222", "female"): 10,
                         ("2211", "male"): 5}
    assert d.trained_by(0) == {"2221": 10, "2222": 10, "2211": 5}
    assert d.trained_by(1) == {"female": 17, "male": 8}


def test_delivery_totals_and_score_gain(world):
    delivery = figures().delivery
    assert (delivery.reports, delivery.trained, delivery.sessions_held, delivery.hours,
            delivery.patients_seen, delivery.procedures_done, delivery.tested) == (
        3, 25, 11, 26.5, 50, 9, 15)
    assert delivery.pre_score == pytest.approx(800 / 15)    # weighted by the people tested
    assert delivery.post_score == pytest.approx(1150 / 15)
    assert delivery.score_gain == pytest.approx(350 / 15)


def test_items_left_behind_and_ratings(world):
    d = figures()
    assert d.items == {"protocol": 1, "equipment_installed": 1, "guideline": 1}
    assert (d.ratings["host"].average, d.ratings["host"].count) == (4.5, 2)
    assert (d.ratings["professional"].average, d.ratings["professional"].count) == (3.5, 2)


def test_reports_filed_waived_and_missing(world):
    reporting = figures().reporting
    assert reporting.done == 3
    assert reporting.filed == {"professional": 2, "host": 2}
    assert reporting.waived == {"professional": 0, "host": 1}
    assert (reporting.missing("professional"), reporting.missing("host")) == (1, 0)


def test_follow_up_retention(world):
    rows = {f.months: f for f in figures().follow_ups}
    three = rows[3]
    assert (three.surveys, three.due, three.answered, three.practice_in_use,
            three.counterparts_in_post, three.trainees_cascaded) == (3, 3, 2, 1, 3, 6)
    assert three.retention == 0.5
    assert (rows[6].due, rows[6].answered, rows[6].retention) == (0, 0, None)
    assert figures().retention_percent() == {3: 50.0}


def test_cost_per_trained_health_worker_by_currency(world):
    costs = {c.currency: c for c in figures().costs}
    usd, eur = costs["USD"], costs["EUR"]
    assert (usd.missions, usd.amount, usd.trained) == (2, 2000.0, 17)   # M4 is not done yet
    assert usd.per_trained == pytest.approx(2000 / 17)
    assert (eur.missions, eur.amount, eur.trained, eur.per_trained) == (1, 300.0, 8, 37.5)


def test_host_facilities_for_the_map(world):
    hosts = [(h.id, h.missions) for h in figures().hosts]
    f1, f2, f3 = (world.facilities[name].id for name in ("F1", "F2", "F3"))
    assert hosts[0] == (f1, 2) and set(hosts[1:]) == {(f2, 1), (f3, 1)}


# --- filters ------------------------------------------------------------------------------

def test_programme_filter(world):
    d = figures(programme_id=world.programmes["B"].id)
    assert [(r.label, r.total) for r in d.by_status] == [("confirmed", 1)]
    assert d.needs.filed == 1


def test_country_and_region_filters(world):
    kenya = figures(country="KE")
    assert (kenya.reach.missions, kenya.reach.safeguards) == (1, 0)
    assert [h.id for h in kenya.hosts] == [world.facilities["F3"].id]
    northern = figures(country="GH", region="Northern")
    assert {r.label for r in northern.by_status} == {"closed", "reported", "proposed"}
    assert northern.person_days == 24 and northern.delivery.trained == 17


def test_period_filter(world):
    d = figures(starts_on=date(2026, 2, 1), ends_on=date(2026, 3, 31))
    assert {(r.label, r.total) for r in d.by_status} == {("reported", 1), ("completed", 1)}
    assert d.needs.filed == 4        # submitted 1 Feb, 10 Feb, 1 Mar, 5 Mar
    assert d.circularity.repeat_host_missions == 1   # M2 returns to F1 after M1 in January


def test_mode_filter(world):
    d = figures(mode="virtual")
    assert (d.missions, d.person_days, d.virtual_hours, d.needs.filed) == (1, 0, 4.5, 1)


def test_cadre_filter(world):
    d = figures(cadre="2222")
    assert {r.label for r in d.by_status} == {"confirmed", "proposed"}
    assert (d.needs.filed, d.delivery.trained) == (2, 0)


def test_coordinators_see_only_their_facilities(world):
    d = figures(coordinator_id=world.coordinator.id)
    assert {r.label for r in d.by_status} == {"completed", "cancelled"}
    assert [h.id for h in d.hosts] == [world.facilities["F2"].id]
    assert (d.needs.filed, d.delivery.trained, d.virtual_hours) == (3, 8, 4.5)


def test_query_count_does_not_grow_with_the_data(world, builder, app):
    def count_queries():
        statements = []

        def listener(_connection, _cursor, statement, *_args):
            if not is_savepoint(statement):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            indicators.compute(db.session, Filters(), NOW)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    before = count_queries()
    builder.tag = " again"
    builder.build()
    assert figures().missions == 12
    assert count_queries() == before


# --- pages --------------------------------------------------------------------------------

def test_dashboard_page_shows_figures_charts_and_tables(world, signed_in, clock):
    clock.set(NOW)
    page = signed_in(world.manager).get("/dashboard")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('<svg class="chart"') >= 4 and '<svg class="map"' in html
    assert "<caption>" in html and "People trained by cadre and gender" in html
    assert inline_code(html) == []
    assert world.facilities["F3"].name in html


def test_the_page_lists_the_busiest_hosts_and_sums_the_rest_the_report_lists_all(
        world, signed_in, monkeypatch):
    from missions.dashboards import charts, views

    monkeypatch.setattr(views, "HOST_ROWS", 1)
    monkeypatch.setattr(charts, "LABELLED_HOSTS", 1)
    browser = signed_in(world.manager)
    html = browser.get("/dashboard").get_data(as_text=True)
    f1, f2, f3 = (world.facilities[name].name for name in ("F1", "F2", "F3"))
    assert f1 in html and f2 not in html and f3 not in html     # the busiest, with a hover label
    assert "2 more host facilities (every one is in the CSV export)" in html
    report = browser.get("/dashboard/report").get_data(as_text=True)
    assert f2 in report and f3 in report and "more host facilit" not in report


def test_coordinator_dashboard_is_limited_and_invalid_filters_are_422(world, signed_in):
    browser = signed_in(world.coordinator)
    html = browser.get("/dashboard").get_data(as_text=True)
    assert world.facilities["F2"].name in html and world.facilities["F1"].name not in html
    assert "Printable programme report" not in html
    assert browser.get("/dashboard?mode=teleport").status_code == 422
    assert browser.get("/dashboard?starts_on=2026-05-01&ends_on=2026-01-01").status_code == 422
    assert browser.get("/dashboard/report").status_code == 403


@pytest.mark.parametrize("language, heading", [("fr", "Tableau de bord du programme"),
                                                ("pt", "Painel do programa")])
def test_dashboard_speaks_the_viewer_s_language(world, signed_in, language, heading):
    html = signed_in(world.manager).get(f"/dashboard?lang={language}").get_data(as_text=True)
    assert heading in html


def test_programme_report_for_funders(world, signed_in):
    programme = world.programmes["A"]
    html = signed_in(world.manager).get(
        f"/dashboard/report?programme_id={programme.id}&starts_on=2026-01-01&ends_on=2026-12-31"
    ).get_data(as_text=True)
    assert programme.name in html and "The Funder" in html
    assert "3 of the 3 missions that went ahead were in countries on the WHO" in html


# --- exports ------------------------------------------------------------------------------

def test_csv_export_with_filters_and_no_contact_details(world, signed_in):
    response = signed_in(world.manager).get("/dashboard/missions.csv?country=GH")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    rows = {row["mission_id"]: row for row in _csv(text)}
    assert len(rows) == 5       # M4 is in Kenya
    m1, m2, m3 = (rows[str(world.missions[name].id)] for name in ("M1", "M2", "M3"))
    assert (m1["people_trained"], m1["trained_female"], m1["trained_male"]) == ("12", "9", "3")
    assert (m1["first_day"], m1["last_day"], m1["safeguards_list"]) == ("2026-01-05", "2026-01-18", "yes")
    assert (m1["host_rating"], m1["professional_rating"], m1["practice_in_use_3m"]) == ("5", "4", "yes")
    assert (m2["host_report"], m2["practice_in_use_3m"], m3["professional_report"]) == ("waived", "no", "missing")
    assert m1["professional"] == world.professionals["P1"].full_name
    for professional in world.professionals.values():
        assert professional.user.email not in text
    assert "123 4567" not in text and "@" not in text


def test_coordinator_export_is_limited_to_their_facilities(world, signed_in):
    text = signed_in(world.coordinator).get("/dashboard/missions.csv").get_data(as_text=True)
    assert sorted(int(row["mission_id"]) for row in _csv(text)) == sorted(
        world.missions[name].id for name in ("M3", "M5"))


def test_xlsx_export(world, signed_in):
    response = signed_in(world.manager).get("/dashboard/missions.xlsx?mode=virtual")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(workbook["missions"].values)
    (m3,) = rows[1:]
    assert dict(zip(COLUMNS, m3))["hours"] == 4.5
    assert ("mode", "virtual") in list(workbook["filters"].values)


def test_spreadsheet_formulas_in_names_are_defused(world, signed_in):
    world.facilities["F1"].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    text = signed_in(world.manager).get("/dashboard/missions.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in text


# --- FHIR ---------------------------------------------------------------------------------

def test_fhir_bundle_of_host_facilities_and_confirmed_professionals(world, api_client):
    client, headers = api_client(world.manager)
    response = client.get("/api/v1/fhir/workforce", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.get_data())
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert {kind: kinds.count(kind) for kind in set(kinds)} == {
        "Organization": 3, "Location": 3, "Practitioner": 2, "PractitionerRole": 3}
    raw = json.loads(response.get_data())
    practitioners = [e["resource"] for e in raw["entry"] if e["resource"]["resourceType"] == "Practitioner"]
    assert {p["name"][0]["family"] for p in practitioners} == {
        world.professionals[name].family_name for name in ("P1", "P2")}   # P3's only was cancelled
    assert all("telecom" not in p and "address" not in p for p in practitioners)
    roles = [e["resource"] for e in raw["entry"] if e["resource"]["resourceType"] == "PractitionerRole"]
    full_urls = {e["fullUrl"] for e in raw["entry"]}
    assert all(r["practitioner"]["reference"] in full_urls and r["location"][0]["reference"] in full_urls
               for r in roles)
    assert {r["code"][0]["coding"][0]["code"] for r in roles} == {"2212", "2222"}


def test_fhir_bundle_by_country_and_for_managers_only(world, api_client, signed_in):
    client, headers = api_client(world.manager)
    raw = client.get("/api/v1/fhir/workforce?country=KE", headers=headers).json
    assert [e["resource"]["resourceType"] for e in raw["entry"]] == [
        "Organization", "Location", "Practitioner", "PractitionerRole"]
    assert raw["entry"][1]["resource"]["position"] == {"latitude": -1.29, "longitude": 36.82}
    client, headers = api_client(world.coordinator)
    assert client.get("/api/v1/fhir/workforce", headers=headers).status_code == 403
    download = signed_in(world.manager).get("/dashboard/workforce.fhir.json")
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]


def _csv(text, delimiter=","):
    """The rows by column key (the headers are in the reader's language)."""
    import csv

    from missions.dashboards.exports import COLUMNS

    header, *rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    assert len(header) == len(COLUMNS)
    return [dict(zip(COLUMNS, row)) for row in rows]
