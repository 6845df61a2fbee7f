"""Value for money: what a mission, a day in the country, an online hour, a health worker
trained and a practice still in use cost, in person and online side by side.

Definitions (also in the README and beside the figures):

- *costed missions*: missions done (completed, reported, closed) of the dashboard's selection
  (programme, country, region, period, cadre, mode) with at least one actual programme-paid
  cost line; their *cost* is the sum of those lines in the reporting currency (one row per
  currency when programmes report in several), which the cost services keep on the mission
  (``Mission.cost_amount``, also read by the dashboard's cost per trained health worker);
- *per mission*: cost ÷ costed missions;
- *per person-day in country*: cost of in-person costed missions ÷ their whole days;
- *per online hour*: cost of online costed missions ÷ the hours of their sessions not cancelled;
- *per health worker trained*: cost ÷ the people trained according to their reference reports
  (the host's report, else the professional's);
- *per practice in use at +12 months*: cost ÷ their +12-month follow-up surveys answering that
  the practice is still in use.

One aggregate query, whatever the number of missions.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from ..core.models import Mission, MissionSession
from ..core.vocabulary import DONE, SessionStatus
from ..dashboards.filters import Filters, mission_conditions
from ..dashboards.sql import seconds_between
from ..outcomes.models import FollowUp, OutcomeReport

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


def value_for_money(session, filters: Filters) -> list[Value]:
    """In-person and online figures per reporting currency, in-person first: one query over the
    costed missions, with sessions, reports and follow-ups aggregated per mission."""
    costed = (sa.select(Mission.id.label("mission_id"), Mission.cost_currency.label("currency"),
                        Mission.cost_amount.label("cost"))
              .where(*mission_conditions(filters, DONE), Mission.cost_amount.is_not(None))
              .subquery("costed"))
    seconds = seconds_between(MissionSession.starts_at, MissionSession.ends_at)
    hours = (sa.select(MissionSession.mission_id.label("mission_id"),
                       sa.func.sum(seconds).label("seconds"))
             .where(MissionSession.status != SessionStatus.CANCELLED)
             .group_by(MissionSession.mission_id).subquery())
    trained_by = {side: sa.func.max(sa.case((OutcomeReport.side == side,
                                             OutcomeReport.trained_total)))
                  for side in ("host", "professional")}
    trained = (sa.select(OutcomeReport.mission_id.label("mission_id"),
                         sa.func.coalesce(trained_by["host"], trained_by["professional"])
                         .label("people"))   # the reference report: the host's, else the other
               .group_by(OutcomeReport.mission_id).subquery())
    in_use = (sa.select(FollowUp.mission_id.label("mission_id"), sa.func.count().label("count"))
              .where(FollowUp.months == 12, FollowUp.practice_in_use.is_(True))
              .group_by(FollowUp.mission_id).subquery())
    days = sa.func.round(seconds_between(Mission.starts_at, Mission.ends_at) / DAY)
    rows = session.execute(
        sa.select(Mission.kind, costed.c.currency, sa.func.count(), sa.func.sum(costed.c.cost),
                  sa.func.sum(sa.case((Mission.kind == "physical", days), else_=0)),
                  sa.func.sum(sa.case((Mission.kind == "virtual", hours.c.seconds), else_=0)),
                  sa.func.sum(trained.c.people), sa.func.sum(in_use.c.count))
        .select_from(costed).join(Mission, Mission.id == costed.c.mission_id)
        .outerjoin(hours, hours.c.mission_id == Mission.id)
        .outerjoin(trained, trained.c.mission_id == Mission.id)
        .outerjoin(in_use, in_use.c.mission_id == Mission.id)
        .group_by(Mission.kind, costed.c.currency))
    values = [Value(kind, currency, missions, Decimal(cost), int(person_days or 0),
                    (Decimal(str(seconds or 0)) / 3600).quantize(CENT), int(people or 0),
                    int(practices or 0))
              for kind, currency, missions, cost, person_days, seconds, people, practices in rows]
    return sorted(values, key=lambda value: (value.currency, value.mode != "physical"))
