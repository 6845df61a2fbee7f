"""Money in the browser: a manager estimates a mission from the rates, confirms it, enters
actuals in two currencies, and sees the budget, value for money and the results report move;
the professional and the host see their own lines on the mission page."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from diaspora.extensions import db
from missions.costs import rates, results
from missions.costs.models import CostLine, ResultTarget
from missions.outcomes import services as outcomes

from .conftest import START, inline_code
from .test_costs import REPORT, advance, host, programme, proposed  # noqa: F401 - fixtures

D = Decimal


def test_a_manager_goes_from_estimate_to_report_in_the_browser(
        proposed, programme, manager, signed_in, host, clock):  # noqa: F811
    browser = signed_in(manager)
    mission = proposed()
    costs_page = f"/missions/{mission.id}/costs"
    assert browser.post("/money/rates", {"country": "GH", "city": "Tamale", "year": "2026",
                                         "daily_amount": "250", "currency": "GHS"}).status_code == 302
    refused = browser.post(f"{costs_page}/estimate", {"city": "Tamale"})
    assert refused.status_code == 422
    assert "No exchange rate from GHS to EUR on or before 2026-04-06" in refused.get_data(as_text=True)
    csv = "date,base,quote,rate\n2026-03-01,GHS,EUR,0.06\n2026-03-01,EUR,GBP,0.8\n"
    assert browser.post("/money/exchange-rates", {"file": (io.BytesIO(csv.encode()), "rates.csv")},
                        content_type="multipart/form-data").status_code == 302
    assert browser.post(f"/programmes/{programme.id}/budget", {
        "category": "living_allowance", "year": "2026", "quarter": "0",
        "amount": "300"}).status_code == 302

    warned = browser.post(f"{costs_page}/estimate", {"city": "Tamale"})
    assert warned.status_code == 409
    assert "over by €15.00" in warned.get_data(as_text=True)
    assert browser.post(f"{costs_page}/estimate", {"city": "Tamale", "over_budget_ok": "1"}) \
        .status_code == 302
    page = browser.get(costs_page).get_data(as_text=True)
    assert "21 days × GHS250.00" in page and "€315.00" in page and not inline_code(page)

    advance(mission, manager)   # confirmed (the estimate is committed), then done
    for data in ({"category": "international_travel", "stage": "actual", "amount": "900",
                  "currency": "gbp"},
                 {"category": "living_allowance", "stage": "actual", "amount": "5000",
                  "currency": "GHS", "reimbursable": "1", "payable_on": "2026-05-15"}):
        assert browser.post(costs_page, data).status_code == 302
    assert sorted((l.stage, l.reporting_amount) for l in db.session.scalars(
        sa.select(CostLine).where(CostLine.mission_id == mission.id))) == \
        [("actual", D("300")), ("actual", D("1125")), ("committed", D("315"))]
    assert browser.post(costs_page, {"category": "visa", "amount": "-3", "currency": "EUR"}) \
        .status_code == 422

    clock.set(datetime_in(2026, 7, 1))
    budget = browser.get(f"/programmes/{programme.id}/budget?year=2026").get_data(as_text=True)
    assert "€300.00" in budget and "burn-down-title" in budget and not inline_code(budget)

    _facility, coordinator = host
    outcomes.file_report(db.session, mission, "host", REPORT | {"patients_seen": 1},
                         actor=coordinator, now=mission.ends_at)
    dashboard = browser.get(f"/dashboard?programme_id={programme.id}").get_data(as_text=True)
    # 1,425 EUR over 21 person-days = 67.86; over 12 trained = 118.75
    assert "€1,425.00" in dashboard and "€67.86" in dashboard and "€118.75" in dashboard

    assert browser.post(f"/programmes/{programme.id}/results?year=2026&quarter=2", {
        "indicator": "people_trained", "year": "2026", "quarter": "2", "baseline": "0",
        "target": "24"}).status_code == 302
    report = browser.get(f"/programmes/{programme.id}/results?year=2026&quarter=2")
    text = report.get_data(as_text=True)
    assert report.status_code == 200 and "50%" in text and not inline_code(text)   # 12 of 24
    sheet = browser.get(f"/programmes/{programme.id}/results.xlsx?year=2026&quarter=2")
    workbook = load_workbook(io.BytesIO(sheet.data))
    rows = {row[0]: row for row in workbook["results"].iter_rows(min_row=3, values_only=True)}
    assert rows["people_trained"][2:] == (0, 24, 12)

    # the professional sees what is paid back to them, and when; the host its contributions
    seen = signed_in(mission.professional.user).get(f"/missions/{mission.id}").get_data(as_text=True)
    assert "What is paid back to you" in seen and "GHS5,000.00" in seen and "£900.00" not in seen
    host_page = signed_in(coordinator).get(f"/missions/{mission.id}").get_data(as_text=True)
    assert "GHS5,000.00" not in host_page


def datetime_in(year, month, day):
    return START.replace(year=year, month=month, day=day)


def test_results_count_each_indicator_by_hand(proposed, programme, manager, host):  # noqa: F811
    _facility, coordinator = host
    done = advance(proposed(), manager)
    outcomes.file_report(db.session, done, "host", REPORT | {"patients_seen": 1},
                         actor=coordinator, now=done.ends_at)
    online = advance(proposed("virtual"), manager)
    proposed()   # not done: counts nowhere
    results.set_target(db.session, programme, {"indicator": "missions_done", "year": 2026,
                                               "quarter": 2, "baseline": D(1), "target": D(3)},
                       actor=manager, now=START)
    report = results.report(db.session, programme, 2026, 2, now=START.replace(month=7))
    counted = {r.indicator: r for r in report.results}
    assert counted["missions_done"].actual == 2 and counted["missions_done"].progress == 0.5
    assert counted["person_days"].actual == 21            # one in-person mission, 21 days
    assert counted["online_hours"].actual == D("6")       # 4 sessions × 1.5 h
    assert counted["people_trained"].actual == 12
    assert counted["people_trained_female"].actual == 12
    assert counted["practice_in_use_12"].actual == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResultTarget)) == 1
    assert online.kind == "virtual" and rates.is_currency("XOF") and not rates.is_currency("XAU")
    assert report.period == "2026 Q2" and date(2026, 4, 6) == done.starts_on
