"""Value for money: what a mission, a day in the country, an online hour, a health worker
trained and a practice still in use cost, in person and online side by side.

Definitions (also in the README and beside the figures):

- *costed missions*: missions done (completed, reported, closed) of the dashboard's selection
  (programme, country, region, period, cadre, mode) with at least one actual programme-paid
  cost line; their *cost* is the sum of those lines in the reporting currency (one row per
  currency when programmes report in several);
- *per mission*: cost ÷ costed missions;
- *per person-day in country*: cost of in-person costed missions ÷ their whole days;
- *per online hour*: cost of online costed missions ÷ the hours of their sessions not cancelled;
- *per health worker trained*: cost ÷ the people trained according to their reference reports
  (the host's report, else the professional's);
- *per practice in use at +12 months*: cost ÷ their +12-month follow-up surveys answering that
  the practice is still in use.

Four aggregate queries, whatever the number of missions.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..core.models import Mission, MissionSession
from ..core.vocabulary import DONE, SessionStatus
from ..dashboards.filters import Filters, mission_conditions
from ..dashboards.sql import seconds_between
from ..outcomes.models import FollowUp, OutcomeReport
from .models import CostLine
from .vocabulary import CostStage, Payer

CENT = Decimal("0.01")
DAY = 86400.0


@dataclass
class Value:
    """The figures of one mode ("physical" or "virtual") in one currency."""

    mode: str
    currency: str
    missions: int = 0
    cost: Decimal = Decimal(0)
    person_days: int = 0
    online_hours: Decimal = Decimal(0)
    trained: int = 0
    practices_in_use: int = 0

    @staticmethod
    def _per(cost: Decimal, units) -> Decimal | None:
        return (cost / Decimal(units)).quantize(CENT, rounding=ROUND_HALF_UP) if units else None

    @property
    def per_mission(self) -> Decimal | None:
        return self._per(self.cost, self.missions)

    @property
    def per_person_day(self) -> Decimal | None:
        return self._per(self.cost, self.person_days) if self.mode == "physical" else None

    @property
    def per_online_hour(self) -> Decimal | None:
        return self._per(self.cost, self.online_hours) if self.mode == "virtual" else None

    @property
    def per_trained(self) -> Decimal | None:
        return self._per(self.cost, self.trained)

    @property
    def per_practice_in_use(self) -> Decimal | None:
        return self._per(self.cost, self.practices_in_use)


def _costed(filters: Filters):
    """Subquery: the costed missions of the selection with their cost and currency."""
    return (sa.select(CostLine.mission_id.label("mission_id"),
                      CostLine.reporting_currency.label("currency"),
                      sa.func.sum(CostLine.reporting_amount).label("cost"))
            .join(Mission, Mission.id == CostLine.mission_id)
            .where(CostLine.stage == CostStage.ACTUAL, CostLine.payer == Payer.PROGRAMME,
                   *mission_conditions(filters, DONE))
            .group_by(CostLine.mission_id, CostLine.reporting_currency).subquery())


def value_for_money(session, filters: Filters) -> list[Value]:
    """In-person and online figures per reporting currency, in-person first."""
    costed = _costed(filters)
    days = sa.func.round(seconds_between(Mission.starts_at, Mission.ends_at) / DAY)
    values: dict[tuple[str, str], Value] = {}
    for kind, currency, missions, cost, person_days in session.execute(
            sa.select(Mission.kind, costed.c.currency, sa.func.count(), sa.func.sum(costed.c.cost),
                      sa.func.sum(sa.case((Mission.kind == "physical", days), else_=0)))
            .join(costed, costed.c.mission_id == Mission.id)
            .group_by(Mission.kind, costed.c.currency)):
        values[(kind, currency)] = Value(kind, currency, missions, Decimal(cost),
                                         int(person_days or 0))

    seconds = seconds_between(MissionSession.starts_at, MissionSession.ends_at)
    for kind, currency, total in session.execute(
            sa.select(Mission.kind, costed.c.currency, sa.func.sum(seconds))
            .select_from(MissionSession).join(Mission, Mission.id == MissionSession.mission_id)
            .join(costed, costed.c.mission_id == Mission.id)
            .where(MissionSession.status != SessionStatus.CANCELLED, Mission.kind == "virtual")
            .group_by(Mission.kind, costed.c.currency)):
        values[(kind, currency)].online_hours = (Decimal(str(total or 0)) / 3600).quantize(CENT)

    host = aliased(OutcomeReport)
    for kind, currency, trained in session.execute(
            sa.select(Mission.kind, costed.c.currency, sa.func.sum(OutcomeReport.trained_total))
            .select_from(OutcomeReport).join(Mission, Mission.id == OutcomeReport.mission_id)
            .join(costed, costed.c.mission_id == Mission.id)
            .outerjoin(host, sa.and_(host.mission_id == OutcomeReport.mission_id,
                                     host.side == "host"))
            .where(sa.or_(OutcomeReport.side == "host", host.id.is_(None)))
            .group_by(Mission.kind, costed.c.currency)):
        values[(kind, currency)].trained = int(trained or 0)

    for kind, currency, in_use in session.execute(
            sa.select(Mission.kind, costed.c.currency, sa.func.count())
            .select_from(FollowUp).join(Mission, Mission.id == FollowUp.mission_id)
            .join(costed, costed.c.mission_id == Mission.id)
            .where(FollowUp.months == 12, FollowUp.practice_in_use.is_(True))
            .group_by(Mission.kind, costed.c.currency)):
        values[(kind, currency)].practices_in_use = in_use
    return sorted(values.values(), key=lambda value: (value.currency, value.mode != "physical"))
