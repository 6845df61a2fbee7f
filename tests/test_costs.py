"""Programme money: cost lines from estimate to actual, rates and currencies, approval and
history, budget execution and warnings, value for money — each figure against a hand count."""
from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from diaspora.audit import AuditEvent
from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.extensions import db
from missions.core import lifecycle
from missions.costs import budgets, rates, services as costs, value
from missions.costs.models import CostLine, CostLineChange
from missions.costs.schemas import CostLineSchema, ExchangeRateSchema
from missions.dashboards.filters import Filters
from missions.outcomes import services as outcomes
from missions.outcomes.models import FollowUp

from .conftest import START
from .test_missions import tick_all

D = Decimal
REPORT = {"trained_total": 12, "sessions_held": 6, "hours": 18, "rating": 5,
          "trainees": [{"cadre": "2221", "gender": "female", "count": 12}]}


@pytest.fixture
def programme(test_programme):
    programme = test_programme()
    programme.currency = "EUR"
    db.session.commit()
    return programme


@pytest.fixture
def host(make_facility, make_user):
    facility = make_facility()
    coordinator = make_user("coordinator")
    facility.coordinators.append(coordinator)
    db.session.commit()
    return facility, coordinator


@pytest.fixture
def proposed(programme, host, make_need, make_professional, propose):
    """``proposed(kind)`` → a mission of the programme: 21 days in person from 6 April 2026,
    or online, four weekly 90-minute sessions from 7 April."""

    def make(kind="physical"):
        facility, _coordinator = host
        professional = make_professional()
        if kind == "physical":
            need = make_need(facility, programme_id=programme.id, duration_days=21)
            return propose(need, professional)
        need = make_need(facility, programme_id=programme.id, mode="virtual", purpose="teaching",
                         duration_days=None, sessions_per_week=1, weeks=4, session_hours=1.5)
        return propose(need, professional, kind="virtual", starts_on=date(2026, 4, 7),
                       weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=4)

    return make


def advance(mission, manager, *, to="completed"):
    steps = [("accept", mission.professional.user), ("confirm", manager)]
    for action, actor in steps:
        lifecycle.transition(db.session, mission, action, actor=actor, now=START)
    if to == "confirmed":
        return mission
    tick_all(mission, manager)  # the licence verified against a document (issue 18)
    lifecycle.transition(db.session, mission, "ready", actor=manager, now=START)
    lifecycle.transition(db.session, mission, "start", actor=lifecycle.SCHEDULER, now=mission.starts_at)
    lifecycle.transition(db.session, mission, "complete", actor=lifecycle.SCHEDULER, now=mission.ends_at)
    return mission


@pytest.fixture
def rated(manager):
    """The rates of the story: Tamale's per diem in 2026, GHS and GBP against the euro."""
    rates.set_per_diem(db.session, {"country": "GH", "city": "Tamale", "year": 2026,
                                    "daily_amount": D("250"), "currency": "GHS"},
                       actor=manager, now=START)
    rates.set_per_diem(db.session, {"country": "GH", "year": 2026, "daily_amount": D("200"),
                                    "currency": "GHS"}, actor=manager, now=START)
    rates.set_exchange_rate(db.session, {"base": "GHS", "quote": "EUR", "rate_on": date(2026, 3, 1),
                                         "rate": D("0.06")}, actor=manager, now=START)
    # entered the other way round: GBP→EUR is 1 / 0.8 = 1.25
    rates.set_exchange_rate(db.session, {"base": "EUR", "quote": "GBP", "rate_on": date(2026, 3, 1),
                                         "rate": D("0.8")}, actor=manager, now=START)


def line(mission, manager, **data):
    values = {"category": "international_travel", "amount": D("900"), "currency": "GBP", **data}
    over = values.pop("over_budget_ok", False)
    return costs.add_line(db.session, mission, values, actor=manager, now=START,
                          over_budget_ok=over)


def test_estimate_from_the_rate_commit_on_confirm_and_actuals_in_two_currencies(
        proposed, manager, rated):
    mission = proposed()
    estimate = costs.estimate_from_rate(db.session, mission, {"city": "Tamale"}, actor=manager,
                                        now=START)
    # 21 days × 250 GHS = 5,250 GHS; × 0.06 = 315 EUR
    assert (estimate.days, estimate.daily_rate, estimate.amount) == (21, D("250"), D("5250"))
    assert (estimate.reporting_amount, estimate.reporting_currency) == (D("315"), "EUR")
    assert (estimate.exchange_rate, estimate.rate_on, estimate.stage) == \
        (D("0.06"), date(2026, 3, 1), "estimated")
    # a city without a rate of its own takes the country's: 21 × 200
    assert costs.estimate_from_rate(db.session, mission, {"city": "Bolga"}, actor=manager,
                                    now=START).amount == D("4200")

    advance(mission, manager, to="completed")
    assert {row.stage for row in db.session.scalars(
        sa.select(CostLine).where(CostLine.mission_id == mission.id))} == {"committed"}

    flight = line(mission, manager, stage="actual")          # 900 GBP × 1.25
    stay = line(mission, manager, stage="actual", category="living_allowance",
                amount=D("5000.40"), currency="GHS")         # × 0.06 = 300.024 → 300.02
    assert (flight.reporting_amount, flight.exchange_rate) == (D("1125"), D("1.25"))
    assert stay.reporting_amount == D("300.02")
    assert flight.incurred_on == mission.ends_on
    assert (mission.cost_amount, mission.cost_currency) == (D("1425.02"), "EUR")


def test_a_stored_rate_never_changes_with_later_rates(proposed, manager, rated):
    mission = proposed()
    first = line(mission, manager, currency="GHS", amount=D("1000"))
    rates.set_exchange_rate(db.session, {"base": "GHS", "quote": "EUR", "rate_on": date(2026, 4, 1),
                                         "rate": D("0.05")}, actor=manager, now=START)
    db.session.expire_all()
    assert (first.reporting_amount, first.exchange_rate) == (D("60"), D("0.06"))
    assert line(mission, manager, currency="GHS", amount=D("1000")).reporting_amount == D("50")


def test_missing_rates_and_bad_input_are_refused_naming_what_is_missing(proposed, manager, rated):
    mission = proposed()
    with pytest.raises(Invalid) as missing:
        line(mission, manager, currency="XOF")
    assert missing.value.extra["missing_rate"] == {"base": "XOF", "quote": "EUR", "on": "2026-04-06"}
    assert "XOF" in missing.value.message and "2026-04-06" in missing.value.message
    with pytest.raises(Invalid) as no_per_diem:
        rates.per_diem_for(db.session, "SN", "Dakar", 2026)
    assert no_per_diem.value.extra["missing_per_diem"]["country"] == "SN"
    with pytest.raises(Invalid) as no_reason:
        costs.estimate_from_rate(db.session, mission, {"city": "Tamale", "amount": D("6000")},
                                 actor=manager, now=START)
    assert "override_reason" in no_reason.value.errors
    overridden = costs.estimate_from_rate(
        db.session, mission, {"city": "Tamale", "amount": D("6000"),
                              "override_reason": "Guest house in Tamale costs more"},
        actor=manager, now=START)
    assert (overridden.amount, overridden.override_reason) == \
        (D("6000"), "Guest house in Tamale costs more")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CostLine)) == 1

    schema = CostLineSchema()
    for bad in ({"amount": "-1"}, {"currency": "ABC"}, {"currency": "XXX"}, {"amount": "NaN"},
                {"amount": "1e40"}):
        with pytest.raises(ValidationError) as error:
            schema.load({"category": "visa", "amount": "10", "currency": "EUR", **bad})
        assert set(error.value.messages) <= {"amount", "currency"}
    with pytest.raises(ValidationError):
        ExchangeRateSchema().load({"base": "EUR", "quote": "EUR", "rate_on": "2026-01-01",
                                   "rate": "1"})
    with pytest.raises(Conflict):   # actuals wait for the mission to be under way
        line(mission, manager, stage="actual")
    rates.set_exchange_rate(db.session, {"base": "EUR", "quote": "XOF", "rate_on": date(2026, 1, 1),
                                         "rate": D("0.000001")}, actor=manager, now=START)
    with pytest.raises(Invalid) as huge:   # 10^12 XOF is 10^18 EUR: more than a line holds
        line(mission, manager, currency="XOF", amount=D("999999999999"))
    assert "amount" in huge.value.errors
    with pytest.raises(ValidationError):
        ExchangeRateSchema().load({"base": "EUR", "quote": "GHS", "rate_on": "2026-01-01",
                                   "rate": "0.0000001"})


def test_approval_then_a_change_keeps_its_history(proposed, manager, rated):
    mission = proposed()
    visa = line(mission, manager, category="visa", amount=D("60"), currency="EUR")
    costs.approve(db.session, visa, actor=manager, now=START)
    assert visa.approved and visa.approved_by_id == manager.id
    with pytest.raises(Conflict):
        costs.approve(db.session, visa, actor=manager, now=START)
    with pytest.raises(Invalid):
        costs.change_line(db.session, visa, {"amount": D("90")}, actor=manager, now=START)
    with pytest.raises(Conflict):
        costs.delete_line(db.session, visa, actor=manager, now=START)
    costs.change_line(db.session, visa, {"amount": D("90")}, actor=manager, now=START,
                      reason="Express visa")
    change = db.session.scalar(sa.select(CostLineChange))
    assert (change.before["amount"], change.after["amount"], change.reason) == \
        ("60.00", "90.00", "Express visa")
    assert not visa.approved and visa.reporting_amount == D("90")
    entities = db.session.scalars(sa.select(AuditEvent.entity).where(
        AuditEvent.entity_id == visa.id, AuditEvent.entity == "cost_line")).all()
    assert len(entities) == 3   # created, approved, changed


def test_who_sees_what(proposed, manager, rated, make_user, host):
    mission = proposed()
    advance(mission, manager, to="confirmed")
    line(mission, manager, stage="committed", category="living_allowance", reimbursable=True,
         payable_on=date(2026, 4, 30), amount=D("100"), currency="EUR")
    line(mission, manager, stage="committed")                                # paid to the airline
    line(mission, manager, stage="committed", category="accommodation", payer="host",
         amount=D("0"), currency="EUR", note="Staff guest house")
    professional = mission.professional.user
    seen = costs.costs_of(db.session, professional, mission)
    assert [(l.category, l.payable_on) for l in seen.lines] == [("living_allowance", date(2026, 4, 30))]
    _facility, coordinator = host
    assert [l.payer for l in costs.costs_of(db.session, coordinator, mission).lines] == ["host"]
    assert len(costs.costs_of(db.session, manager, mission).lines) == 3
    stranger = make_user("manager", programmes=())
    with pytest.raises(Forbidden):
        costs.costs_of(db.session, stranger, mission)
    with pytest.raises(Forbidden):
        line(mission, stranger)
    with pytest.raises(Forbidden):
        line(mission, professional)


def test_budget_execution_and_the_warning_before_overspending(proposed, programme, manager, rated):
    for quarter, amount in ((0, "2000"), (2, "1800")):
        budgets.set_budget_line(db.session, programme, {"category": "international_travel",
                                                        "year": 2026, "quarter": quarter,
                                                        "amount": D(amount)},
                                actor=manager, now=START)
    planned = proposed()                                # stays proposed: estimated
    line(planned, manager, currency="EUR", amount=D("400"))
    going = proposed()
    line(going, manager, currency="EUR", amount=D("500"))
    advance(going, manager, to="confirmed")             # committed
    done = proposed()
    line(done, manager, currency="EUR", amount=D("700"))
    advance(done, manager)
    line(done, manager, stage="actual", currency="EUR", amount=D("650"))   # replaces the 700

    # 2026-06-01: Q2 is 61 of 91 days old; 650 spent → forecast 650 / 61 × 91 = 969.67
    report = budgets.execution(db.session, programme, 2026, date(2026, 6, 1))
    year, q2 = report.lines
    assert (year.planned, year.estimated, year.committed, year.spent, year.remaining) == \
        (D("2000"), D("400"), D("500"), D("650"), D("450"))
    assert (q2.period, q2.remaining) == ("2026 Q2", D("250"))
    assert q2.forecast == D("1150.00")        # never below spent + committed (650 + 500)
    assert year.forecast == D("1560.86")      # 650 / 152 days × 365
    # spent on the mission's last day, 26 April; months up to June
    assert [(p.month, p.remaining) for p in report.burn_down] == [
        ("2026-01", D("2000")), ("2026-02", D("2000")), ("2026-03", D("2000")),
        ("2026-04", D("1350")), ("2026-05", D("1350")), ("2026-06", D("1350"))]

    with pytest.raises(Conflict) as warned:
        line(proposed(), manager, currency="EUR", amount=D("400"))
    over = {w["period"]: w for w in warned.value.extra["over_budget"]}
    assert over == {"2026 Q2": {"category": "international_travel", "period": "2026 Q2",
                                "remaining": "250.00", "amount": "400.00", "over_by": "150.00",
                                "currency": "EUR"}}
    assert "by 150.00 EUR" in warned.value.message
    assert line(proposed(), manager, currency="EUR", amount=D("400"), over_budget_ok=True).id


def test_value_for_money_in_person_and_online_against_a_hand_count(proposed, programme, manager,
                                                                  rated, host):
    _facility, coordinator = host
    in_person = advance(proposed(), manager)
    line(in_person, manager, stage="actual", currency="EUR", amount=D("2100"))
    line(in_person, manager, stage="actual", category="accommodation", payer="host",
         currency="EUR", amount=D("999"))                       # in kind: not counted
    outcomes.file_report(db.session, in_person, "host", REPORT | {"patients_seen": 1},
                         actor=coordinator, now=in_person.ends_at)
    survey = db.session.scalar(sa.select(FollowUp).where(FollowUp.mission_id == in_person.id,
                                                         FollowUp.months == 12))
    survey.practice_in_use, survey.answered_at = True, START
    online = advance(proposed("virtual"), manager)
    line(online, manager, stage="actual", category="ict", currency="GBP", amount=D("240"))
    advance(proposed(), manager)                                # done, no cost: not counted
    db.session.commit()

    figures = value.value_for_money(db.session, Filters(programme_id=programme.id))
    physical, virtual = figures
    # in person: 2,100 EUR, 21 days, 12 trained, 1 practice in use
    assert (physical.mode, physical.missions, physical.cost, physical.person_days) == \
        ("physical", 1, D("2100"), 21)
    assert (physical.per_mission, physical.per_person_day, physical.per_trained,
            physical.per_practice_in_use, physical.per_online_hour) == \
        (D("2100.00"), D("100.00"), D("175.00"), D("2100.00"), None)
    # online: 240 GBP = 300 EUR, 4 sessions × 1.5 h = 6 h, nobody reported trained
    assert (virtual.cost, virtual.online_hours, virtual.per_online_hour, virtual.per_trained) == \
        (D("300"), D("6.00"), D("50.00"), None)


def test_the_api_from_rates_to_budget(proposed, programme, manager, api_client):
    client, headers = api_client(manager)
    mission = proposed()
    assert client.put("/api/v1/rates/per-diem", headers=headers, json={
        "country": "GH", "city": "Tamale", "year": 2026, "daily_amount": "250",
        "currency": "ghs"}).status_code == 200
    missing = client.post(f"/api/v1/missions/{mission.id}/costs/estimate", headers=headers,
                          json={"city": "Tamale"})
    assert missing.status_code == 422
    assert missing.json["missing_rate"] == {"base": "GHS", "quote": "EUR", "on": "2026-04-06"}
    assert client.put("/api/v1/rates/exchange", headers=headers, json={
        "base": "GHS", "quote": "EUR", "rate_on": "2026-03-01", "rate": "0.06"}).status_code == 200
    estimate = client.post(f"/api/v1/missions/{mission.id}/costs/estimate", headers=headers,
                           json={"city": "Tamale"})
    assert estimate.status_code == 201, estimate.json
    assert (estimate.json["amount"], estimate.json["reporting_amount"], estimate.json["days"]) == \
        ("5250.000", "315.000", 21)
    for bad in ({"amount": "-5"}, {"currency": "EURO"}, {"category": "bribes"}):
        response = client.post(f"/api/v1/missions/{mission.id}/costs", headers=headers,
                               json={"category": "visa", "amount": "60", "currency": "EUR", **bad})
        assert response.status_code == 422 and set(response.json["errors"]["json"]) == set(bad)
    assert client.put(f"/api/v1/programmes/{programme.id}/budget", headers=headers, json={
        "category": "living_allowance", "year": 2026, "amount": "400"}).status_code == 200
    over = client.post(f"/api/v1/missions/{mission.id}/costs", headers=headers, json={
        "category": "living_allowance", "amount": "100", "currency": "EUR"})
    assert over.status_code == 409 and over.json["over_budget"][0]["over_by"] == "15.00"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CostLine)) == 1
    budget = client.get(f"/api/v1/programmes/{programme.id}/budget?year=2026", headers=headers)
    assert budget.json["lines"][0] | {"forecast": None} == {
        "id": budget.json["lines"][0]["id"], "category": "living_allowance", "period": "2026",
        "year": 2026, "quarter": 0, "currency": "EUR", "planned": "400.000",
        "estimated": "315.000", "committed": "0", "spent": "0", "remaining": "85.000",
        "forecast": None}
    listed = client.get(f"/api/v1/missions/{mission.id}/costs", headers=headers)
    line_id = listed.json[0]["id"]
    assert client.post(f"/api/v1/missions/{mission.id}/costs/{line_id}/approval",
                       headers=headers).status_code == 200
    assert client.patch(f"/api/v1/missions/{mission.id}/costs/{line_id}", headers=headers,
                        json={"note": "Two more nights"}).status_code == 422
    changed = client.patch(f"/api/v1/missions/{mission.id}/costs/{line_id}", headers=headers,
                           json={"amount": "5500", "reason": "Two more nights"})
    assert changed.status_code == 200 and changed.json["approved"] is False
    history = client.get(f"/api/v1/missions/{mission.id}/costs/{line_id}/history", headers=headers)
    assert [h["reason"] for h in history.json] == ["Two more nights"]
    assert client.get("/api/v1/value-for-money", headers=headers).json == []
