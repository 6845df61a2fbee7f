"""Budget lines and their execution: planned, estimated, committed, spent, remaining, the
forecast at the current burn rate and the burn-down by month.

What a budget line counts, over the programme-paid cost lines of its programme, category and
period (by the line's ``incurred_on`` day), in the reporting currency:

- *spent*: actual lines;
- *committed*: committed lines of missions that went ahead and have no actual line yet (once
  actuals are in, they replace the commitment);
- *estimated*: estimated lines of missions still planned or under way, with no actual line;
- *remaining* = planned − spent − committed − estimated;
- *forecast* at the current burn rate = spent ÷ days elapsed in the period × days in the
  period (before the period starts: committed + estimated), never below spent + committed.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Forbidden, Invalid, NotFound
from diaspora.programmes import access as programmes
from diaspora.programmes.models import Programme

from ..core.models import Mission
from ..core.vocabulary import DONE, HOLDING, WENT_AHEAD
from . import rates
from .models import BudgetLine, CostLine
from .vocabulary import CostCategory, CostStage, Payer

CENT = Decimal("0.01")
BUCKETS = ("spent", "committed", "estimated")


def period_of(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a year (quarter 0) or of one of its quarters."""
    if quarter == 0:
        return date(year, 1, 1), date(year, 12, 31)
    first_month = 3 * quarter - 2
    last_month = first_month + 2
    return date(year, first_month, 1), date(year, last_month,
                                            calendar.monthrange(year, last_month)[1])


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def period_label(year: int, quarter: int) -> str:
    return str(year) if quarter == 0 else f"{year} Q{quarter}"


def _has_actuals(programme_id: int, dialect: str):
    """(a subquery to outer-join on the line's mission or None, the SQL condition) that a
    line's mission has actual programme-paid lines of the programme. PostgreSQL hash-joins a
    DISTINCT subquery (6 x faster than the probes below); SQLite puts no index on it (quadratic:
    15 s at 20,000 missions), so there it is a correlated EXISTS served by
    ``ix_cost_lines_mission_stage``."""
    if dialect == "postgresql":
        with_actuals = (sa.select(CostLine.mission_id.label("mission_id"))
                        .where(CostLine.programme_id == programme_id,
                               CostLine.stage == CostStage.ACTUAL,
                               CostLine.payer == Payer.PROGRAMME)
                        .distinct().subquery("with_actuals"))
        return with_actuals, with_actuals.c.mission_id.is_not(None)
    actual = sa.orm.aliased(CostLine, name="actual")
    return None, sa.exists().where(actual.mission_id == CostLine.mission_id,
                                   actual.stage == CostStage.ACTUAL,
                                   actual.programme_id == programme_id,
                                   actual.payer == Payer.PROGRAMME)


def _bucket(has_actuals):
    """SQL: which bucket of a budget a programme-paid cost line falls in (NULL: none)."""
    no_actual = ~has_actuals
    planned = tuple(status for status in HOLDING if status not in DONE)
    return sa.case(
        (CostLine.stage == CostStage.ACTUAL, "spent"),
        (sa.and_(CostLine.stage == CostStage.COMMITTED, Mission.status.in_(WENT_AHEAD),
                 no_actual), "committed"),
        (sa.and_(CostLine.stage == CostStage.ESTIMATED, Mission.status.in_(planned),
                 no_actual), "estimated"),
        else_=None)


def _lines_of(session, programme_id: int):
    """A SELECT (columns to add) from the programme's programme-paid lines and their missions,
    and the bucket expression of each line."""
    joined, has_actuals = _has_actuals(programme_id, session.get_bind().dialect.name)
    query = (sa.select().select_from(CostLine)
             .join(Mission, Mission.id == CostLine.mission_id))
    if joined is not None:
        query = query.outerjoin(joined, joined.c.mission_id == CostLine.mission_id)
    query = query.where(CostLine.programme_id == programme_id, CostLine.payer == Payer.PROGRAMME)
    return query, _bucket(has_actuals)


def _counted(session, programme_id: int, first: date, last: date, category: str | None = None):
    """(bucket, category, year, month, amount) of the programme's cost lines in the days."""
    query, bucket = _lines_of(session, programme_id)
    bucket = bucket.label("bucket")
    year = sa.extract("year", CostLine.incurred_on).label("year")
    month = sa.extract("month", CostLine.incurred_on).label("month")
    query = (query.add_columns(bucket, CostLine.category, year, month,
                               sa.func.sum(CostLine.reporting_amount))
             .where(CostLine.incurred_on >= first, CostLine.incurred_on <= last)
             .group_by(bucket, CostLine.category, year, month))
    if category:
        query = query.where(CostLine.category == category)
    return query


@dataclass
class Execution:
    """One budget line against what was spent, committed and estimated in its period."""

    id: int | None
    category: str
    year: int
    quarter: int
    planned: Decimal
    currency: str
    spent: Decimal = Decimal(0)
    committed: Decimal = Decimal(0)
    estimated: Decimal = Decimal(0)
    forecast: Decimal = Decimal(0)

    @property
    def period(self) -> str:
        return period_label(self.year, self.quarter)

    @property
    def remaining(self) -> Decimal:
        return self.planned - self.spent - self.committed - self.estimated

    @property
    def forecast_over(self) -> Decimal:
        return max(self.forecast - self.planned, Decimal(0))

    def share(self, part: Decimal) -> float:
        """``part`` as a percentage of the plan, for bars (0 when nothing is planned)."""
        return float(100 * part / self.planned) if self.planned else 0.0


@dataclass
class BurnPoint:
    month: str            # "2026-04"
    spent: Decimal        # in the month
    remaining: Decimal    # of the year's plan after the month


@dataclass
class BudgetReport:
    programme: Programme
    year: int
    lines: list[Execution]
    burn_down: list[BurnPoint] = field(default_factory=list)

    def burn_down_values(self) -> dict[str, float]:
        """month → what remains of the year's plan, for the chart (drawn down to 0; the table
        beside it shows an overspend)."""
        return {point.month: max(float(point.remaining), 0.0) for point in self.burn_down}

    def total(self, attribute: str) -> Decimal:
        return sum((getattr(line, attribute) for line in self.lines if line.quarter == 0),
                   Decimal(0))


def execution(session, programme: Programme, year: int, today: date) -> BudgetReport:
    """Every budget line of ``programme`` in ``year`` with its figures (two queries)."""
    budget = list(session.scalars(sa.select(BudgetLine).where(
        BudgetLine.programme_id == programme.id, BudgetLine.year == year)
        .order_by(BudgetLine.quarter, BudgetLine.category)))
    rows = session.execute(_counted(session, programme.id, date(year, 1, 1), date(year, 12, 31))).all()
    lines = []
    for item in budget:
        line = Execution(item.id, item.category, item.year, item.quarter, item.amount,
                         item.currency)
        first, last = period_of(item.year, item.quarter)
        for bucket, category, _year, month, amount in rows:
            if bucket in BUCKETS and category == item.category and \
                    first.month <= int(month) <= last.month:
                setattr(line, bucket, getattr(line, bucket) + Decimal(amount))
        line.forecast = _forecast(line, first, last, today)
        lines.append(line)
    report = BudgetReport(programme, year, lines)
    report.burn_down = _burn_down(report.total("planned"), rows, year, today)
    return report


def _forecast(line: Execution, first: date, last: date, today: date) -> Decimal:
    floor = line.spent + line.committed
    if today < first:
        return (floor + line.estimated).quantize(CENT)
    elapsed = (min(today, last) - first).days + 1
    days = (last - first).days + 1
    at_rate = line.spent / elapsed * days
    return max(at_rate, floor).quantize(CENT, rounding=ROUND_HALF_UP)


def _burn_down(planned: Decimal, rows, year: int, today: date) -> list[BurnPoint]:
    """What remains of the year's plan after each month's spending, up to this month."""
    by_month: dict[int, Decimal] = {}
    for bucket, _category, _year, month, amount in rows:
        if bucket == "spent":
            by_month[int(month)] = by_month.get(int(month), Decimal(0)) + Decimal(amount)
    last = 12 if today.year > year else (today.month if today.year == year else 0)
    last = max([last] + list(by_month))
    points, remaining = [], planned
    for month in range(1, last + 1):
        spent = by_month.get(month, Decimal(0))
        remaining -= spent
        points.append(BurnPoint(f"{year:04d}-{month:02d}", spent, remaining))
    return points


# --- warnings before a proposal ------------------------------------------------------------

@dataclass
class Overrun:
    category: str
    period: str
    remaining: Decimal
    amount: Decimal
    currency: str

    @property
    def over_by(self) -> Decimal:
        return self.amount - self.remaining

    def message(self) -> str:
        return _("This takes the %(category)s budget of %(period)s past what remains "
                 "(%(remaining)s %(currency)s) by %(over)s %(currency)s.",
                 category=CostCategory.label_of(self.category), period=self.period,
                 remaining=self.remaining, over=self.over_by, currency=self.currency)

    def as_dict(self) -> dict:
        return {"category": self.category, "period": self.period,
                "remaining": str(self.remaining), "amount": str(self.amount),
                "over_by": str(self.over_by), "currency": self.currency}


def overruns(session, programme_id: int, category: str, day: date, amount: Decimal,
             replacing: CostLine | None = None) -> list[Overrun]:
    """The budget lines (the year's and the quarter's) that ``amount`` more on ``category``
    on ``day`` would take past what remains; ``replacing`` is a line being changed, whose
    present amount is no longer counted."""
    budget = list(session.scalars(sa.select(BudgetLine).where(
        BudgetLine.programme_id == programme_id, BudgetLine.category == category,
        BudgetLine.year == day.year, BudgetLine.quarter.in_((0, quarter_of(day))))))
    if not budget:
        return []
    rows = session.execute(_counted(session, programme_id, date(day.year, 1, 1),
                                    date(day.year, 12, 31), category)).all()
    found = []
    for item in budget:
        first, last = period_of(item.year, item.quarter)
        used = sum((Decimal(amount_) for bucket, _c, _y, month, amount_ in rows
                    if bucket in BUCKETS and first.month <= int(month) <= last.month), Decimal(0))
        if replacing is not None and replacing.id is not None and \
                replacing.category == category and first <= replacing.incurred_on <= last:
            used -= _counted_amount(session, replacing)
        remaining = rates.rounded(Decimal(item.amount) - used, item.currency)
        if amount > remaining:
            found.append(Overrun(category, period_label(item.year, item.quarter), remaining,
                                 rates.rounded(Decimal(amount), item.currency), item.currency))
    return found


def _counted_amount(session, line: CostLine) -> Decimal:
    query, bucket = _lines_of(session, line.programme_id)
    bucket = session.scalar(query.add_columns(bucket).where(CostLine.id == line.id))
    return line.reporting_amount if bucket in BUCKETS and line.payer == Payer.PROGRAMME \
        else Decimal(0)


# --- keeping the budget ----------------------------------------------------------------------

def require_programme_manager(session, actor, programme: Programme) -> None:
    rates.require_manager(actor)
    if not programmes.manages_programme(session, actor, programme):
        raise Forbidden(_("You do not manage this programme."))


def set_budget_line(session, programme: Programme, data: dict, *, actor,
                    now: datetime) -> BudgetLine:
    """Plan (or re-plan) a category for a year or quarter, in the reporting currency."""
    require_programme_manager(session, actor, programme)
    if not rates.is_currency(programme.currency):
        message = _("Set the reporting currency of %(programme)s first.", programme=programme.name)
        raise Invalid(message, errors={"currency": [message]})
    quarter = data.get("quarter") or 0
    with unit_of_work(session):
        line = session.scalar(sa.select(BudgetLine).where(
            BudgetLine.programme_id == programme.id, BudgetLine.category == data["category"],
            BudgetLine.year == data["year"], BudgetLine.quarter == quarter))
        before = None if line is None else str(line.amount)
        if line is None:
            line = BudgetLine(programme_id=programme.id, category=data["category"],
                              year=data["year"], quarter=quarter)
            session.add(line)
        line.amount = rates.rounded(data["amount"], programme.currency)
        line.currency = programme.currency
        line.updated_by_id = getattr(actor, "id", None)
        line.updated_at = now
        session.flush()
        audit.record(session, now=now, actor=actor, action="create" if before is None else "update",
                     entity="budget_line", entity_id=line.id,
                     detail={"programme_id": programme.id, "category": line.category,
                             "period": period_label(line.year, line.quarter),
                             "before": before, "amount": str(line.amount)})
    return line


def get_programme(session, actor, programme_id: int) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFound(_("No such programme."))
    require_programme_manager(session, actor, programme)
    return programme
