"""A programme's results framework and the funder's report against it.

Targets (``ResultTarget``) give an indicator's baseline and target for a year (quarter 0) or a
quarter. The report counts each indicator over the programme's missions of that period with
the dashboard's own definitions (``missions.dashboards.indicators``; the period selects
missions by their first day), and sets the budget's execution and value for money beside them.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import Workbook

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.programmes.models import Programme

from ..core.vocabulary import DONE
from ..dashboards import indicators
from ..dashboards.filters import Filters
from . import budgets, value
from .models import ResultTarget
from .vocabulary import CostCategory, Indicator


@dataclass
class Result:
    indicator: str
    baseline: Decimal | None
    target: Decimal | None
    actual: Decimal

    @property
    def label(self):
        return Indicator.label_of(self.indicator)

    @property
    def progress(self) -> float | None:
        """How far from the baseline to the target the period went (1.0 = target met)."""
        if self.target is None:
            return None
        span = self.target - (self.baseline or 0)
        if span <= 0:
            return None
        return float((self.actual - (self.baseline or 0)) / span)


@dataclass
class Report:
    programme: Programme
    year: int
    quarter: int
    results: list[Result]
    budget: list[budgets.Execution]
    value: list[value.Value]
    generated_at: datetime
    burn_down: list[budgets.BurnPoint] = field(default_factory=list)

    @property
    def period(self) -> str:
        return budgets.period_label(self.year, self.quarter)


def set_target(session, programme: Programme, data: dict, *, actor, now: datetime) -> ResultTarget:
    budgets.require_programme_manager(session, actor, programme)
    quarter = data.get("quarter") or 0
    with unit_of_work(session):
        target = session.scalar(sa.select(ResultTarget).where(
            ResultTarget.programme_id == programme.id, ResultTarget.indicator == data["indicator"],
            ResultTarget.year == data["year"], ResultTarget.quarter == quarter))
        action = "update" if target else "create"
        if target is None:
            target = ResultTarget(programme_id=programme.id, indicator=data["indicator"],
                                  year=data["year"], quarter=quarter)
            session.add(target)
        target.baseline = data.get("baseline") or Decimal(0)
        target.target = data["target"]
        target.updated_by_id = getattr(actor, "id", None)
        target.updated_at = now
        session.flush()
        audit.record(session, now=now, actor=actor, action=action, entity="result_target",
                     entity_id=target.id, detail={"programme_id": programme.id,
                                                  "indicator": target.indicator,
                                                  "period": budgets.period_label(target.year, quarter),
                                                  "baseline": str(target.baseline),
                                                  "target": str(target.target)})
    return target


def actuals(dashboard: indicators.Dashboard) -> dict[str, Decimal]:
    """Each indicator's value in a computed dashboard."""
    follow_ups = {f.months: f for f in dashboard.follow_ups}

    def follow_up(months: int, attribute: str) -> int:
        return getattr(follow_ups[months], attribute) if months in follow_ups else 0

    done = sum(row.total for row in dashboard.by_status if row.label in DONE)
    return {
        Indicator.MISSIONS_DONE: Decimal(done),
        Indicator.PERSON_DAYS: Decimal(dashboard.person_days),
        Indicator.ONLINE_HOURS: Decimal(str(dashboard.virtual_hours)),
        Indicator.PEOPLE_TRAINED: Decimal(dashboard.delivery.trained),
        Indicator.PEOPLE_TRAINED_FEMALE: Decimal(dashboard.trained_by(1).get("female", 0)),
        Indicator.PRACTICE_IN_USE_6: Decimal(follow_up(6, "practice_in_use")),
        Indicator.PRACTICE_IN_USE_12: Decimal(follow_up(12, "practice_in_use")),
        Indicator.COUNTERPARTS_IN_POST: Decimal(follow_up(12, "counterparts_in_post")),
    }


def report(session, programme: Programme, year: int, quarter: int, *, now: datetime) -> Report:
    """The results of ``programme`` in a year (quarter 0) or quarter against its targets, with
    the budget's execution and value for money."""
    first, last = budgets.period_of(year, quarter)
    filters = Filters(programme_id=programme.id, starts_on=first, ends_on=last)
    counted = actuals(indicators.compute(session, filters, now))
    targets = {t.indicator: t for t in session.scalars(sa.select(ResultTarget).where(
        ResultTarget.programme_id == programme.id, ResultTarget.year == year,
        ResultTarget.quarter == quarter))}
    results = [Result(code, targets[code].baseline if code in targets else None,
                      targets[code].target if code in targets else None, counted[code])
               for code in Indicator.codes()]
    execution = budgets.execution(session, programme, year, now.date())
    lines = [line for line in execution.lines if line.quarter in (0, quarter)]
    return Report(programme, year, quarter, results, lines,
                  value.value_for_money(session, filters), now, execution.burn_down)


def safe_cell(text: str) -> str:
    """Text a spreadsheet would run as a formula (a programme's name) is quoted."""
    return "'" + text if text.startswith(("=", "+", "-", "@")) else text


def to_xlsx(result: Report) -> bytes:
    """The report as a workbook: results, budget, value for money."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("results")
    sheet.append([safe_cell(result.programme.name), result.period,
                  result.generated_at.isoformat()])
    sheet.append(["indicator", "label", "baseline", "target", "actual"])
    for row in result.results:
        sheet.append([row.indicator, str(row.label), row.baseline, row.target, row.actual])
    budget = workbook.create_sheet("budget")
    budget.append(["category", "label", "period", "currency", "planned", "estimated",
                   "committed", "spent", "remaining", "forecast"])
    for line in result.budget:
        budget.append([line.category, str(CostCategory.label_of(line.category)), line.period,
                       line.currency, line.planned, line.estimated, line.committed, line.spent,
                       line.remaining, line.forecast])
    money = workbook.create_sheet("value_for_money")
    money.append(["mode", "currency", "missions", "cost", "person_days", "online_hours",
                  "trained", "practices_in_use", "per_mission", "per_person_day",
                  "per_online_hour", "per_trained", "per_practice_in_use"])
    for row in result.value:
        money.append([row.mode, row.currency, row.missions, row.cost, row.person_days,
                      row.online_hours, row.trained, row.practices_in_use, row.per_mission,
                      row.per_person_day, row.per_online_hour, row.per_trained,
                      row.per_practice_in_use])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def default_period(today: date) -> tuple[int, int]:
    """The quarter before ``today``'s (the one a quarterly report is due for)."""
    quarter = budgets.quarter_of(today) - 1
    return (today.year, quarter) if quarter else (today.year - 1, 4)


