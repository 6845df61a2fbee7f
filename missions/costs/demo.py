"""Demo money on top of the demo missions: rates, a budget, targets and cost lines at every
stage, entered through the same services a manager uses."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from diaspora.needs.models import Need

from ..core.models import Mission
from ..core.vocabulary import DONE, MissionStatus
from . import budgets, rates, results, services
from .vocabulary import CostCategory, CostStage, Indicator, Payer

D = Decimal
BUDGET = {  # category → the year's plan, in the programme's currency (EUR)
    CostCategory.INTERNATIONAL_TRAVEL: D("60000"), CostCategory.LOCAL_TRANSPORT: D("8000"),
    CostCategory.ACCOMMODATION: D("15000"), CostCategory.LIVING_ALLOWANCE: D("40000"),
    CostCategory.INSURANCE: D("6000"), CostCategory.VISA: D("3000"),
    CostCategory.REGISTRATION: D("2500"), CostCategory.ICT: D("5000"),
    CostCategory.HONORARIUM: D("10000"), CostCategory.OTHER: D("2000"),
}
TARGETS = {Indicator.MISSIONS_DONE: (0, 12), Indicator.PERSON_DAYS: (0, 200),
           Indicator.ONLINE_HOURS: (0, 120), Indicator.PEOPLE_TRAINED: (0, 150),
           Indicator.PEOPLE_TRAINED_FEMALE: (0, 90), Indicator.PRACTICE_IN_USE_12: (0, 6)}


def load(session, *, now, rng, staff, programme) -> list[str]:
    manager = staff["manager"]
    if not rates.is_currency(programme.currency):
        return ["demo money skipped: the programme has no reporting currency"]
    years = sorted({now.year - 1, now.year, now.year + 1})
    for year in years:
        rates.set_per_diem(session, {"country": "GH", "year": year, "daily_amount": D("600"),
                                     "currency": "GHS"}, actor=manager, now=now)
        rates.set_per_diem(session, {"country": "GH", "city": "Tamale", "year": year,
                                     "daily_amount": D("520"), "currency": "GHS"},
                           actor=manager, now=now)
        for base, rate in (("GHS", "0.0602"), ("GBP", "1.1700"), ("USD", "0.9200")):
            rates.set_exchange_rate(session, {"base": base, "quote": programme.currency,
                                              "rate_on": date(year - 1, 12, 31),
                                              "rate": D(rate), "source": "demo"},
                                    actor=manager, now=now)
    for year in years[:2]:
        for category, amount in BUDGET.items():
            budgets.set_budget_line(session, programme, {"category": category, "year": year,
                                                         "amount": amount}, actor=manager, now=now)
        for indicator, (baseline, target) in TARGETS.items():
            results.set_target(session, programme, {"indicator": indicator, "year": year,
                                                    "baseline": D(baseline), "target": D(target)},
                               actor=manager, now=now)
    missions = session.scalars(sa.select(Mission).join(Need, Need.id == Mission.need_id)
                               .where(Need.programme_id == programme.id)
                               .order_by(Mission.starts_at)).all()
    lines = sum(_cost(session, mission, manager, now) for mission in missions)
    return [f"demo money: per diem and exchange rates, a budget and targets for {years[0]}–"
            f"{years[1]}, {lines} cost lines"]


def _cost(session, mission: Mission, manager, now) -> int:
    """Lines fitting the mission's status: estimates while planned, commitments once
    confirmed, actuals in two currencies once done."""
    add = []
    if mission.status in DONE:
        stage = CostStage.ACTUAL
    elif mission.status in (MissionStatus.PROPOSED, MissionStatus.ACCEPTED):
        stage = CostStage.ESTIMATED
    else:
        stage = CostStage.COMMITTED
    if mission.kind == "physical":
        if stage == CostStage.ESTIMATED:
            add.append(services.estimate_from_rate(session, mission, {"city": "Tamale"},
                                                   actor=manager, now=now, over_budget_ok=True))
        days = (mission.ends_on - mission.starts_on).days + 1
        for category, amount, currency, extra in (
                (CostCategory.INTERNATIONAL_TRAVEL, D("780"), "GBP", {}),
                (CostCategory.INSURANCE, D("65"), "GBP", {}),
                (CostCategory.VISA, D("60"), "USD", {}),
                (CostCategory.LIVING_ALLOWANCE, D(520 * days), "GHS",
                 {"reimbursable": True, "payable_on": mission.ends_on}),
                (CostCategory.ACCOMMODATION, D(0), "GHS",
                 {"payer": Payer.HOST, "note": "Hospital guest house"})):
            if category == CostCategory.LIVING_ALLOWANCE and stage == CostStage.ESTIMATED:
                continue   # estimated from the rate above
            add.append(services.add_line(session, mission, {
                "category": category, "stage": stage, "amount": amount, "currency": currency,
                **extra}, actor=manager, now=now, over_budget_ok=True))
    else:
        add.append(services.add_line(session, mission, {
            "category": CostCategory.ICT, "stage": stage, "amount": D("45"), "currency": "GBP",
            "note": "Data bundle and headset", "reimbursable": True}, actor=manager, now=now,
            over_budget_ok=True))
    if stage != CostStage.ESTIMATED:
        for line in add[:2]:
            services.approve(session, line, actor=manager, now=now)
    return len(add)
