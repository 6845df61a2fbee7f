"""Cost lines of missions and their history, per diem rates, exchange rates, budget lines and
result targets.

Amounts are ``Decimal`` in their own ISO 4217 currency; each cost line also keeps its amount
converted into the programme's reporting currency *with the rate and the rate's date used*, so
a report made today reads the same next year, whatever rates are entered later.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from diaspora.extensions import db

from .vocabulary import CostCategory, CostStage, Indicator, Payer

AMOUNT = sa.Numeric(16, 3)     # up to 3 decimals (ISO 4217 minor units), below 10^13
RATE = sa.Numeric(20, 10)


class CostLine(db.Model):
    """One cost of one mission."""

    __tablename__ = "cost_lines"
    __table_args__ = (
        sa.CheckConstraint(f"category IN {CostCategory.codes()!r}", name="category"),
        sa.CheckConstraint(f"stage IN {CostStage.codes()!r}", name="stage"),
        sa.CheckConstraint(f"payer IN {Payer.codes()!r}", name="payer"),
        sa.CheckConstraint("amount >= 0 AND reporting_amount >= 0 AND exchange_rate > 0",
                           name="amounts"),
        sa.CheckConstraint("days IS NULL OR days >= 1", name="days"),
        sa.Index("ix_cost_lines_mission_stage", "mission_id", "stage"),
        sa.Index("ix_cost_lines_programme_incurred", "programme_id", "incurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mission_id: Mapped[int] = mapped_column(sa.ForeignKey("missions.id", ondelete="CASCADE"))
    # The programme of the mission's need when the line was made: its budget bears the cost.
    programme_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programmes.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(sa.String(30))
    stage: Mapped[str] = mapped_column(sa.String(10), default=CostStage.ESTIMATED)
    payer: Mapped[str] = mapped_column(sa.String(10), default=Payer.PROGRAMME)
    # Paid back to the professional (not paid to a supplier), and when.
    reimbursable: Mapped[bool] = mapped_column(default=False)
    payable_on: Mapped[date | None]
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    incurred_on: Mapped[date]                       # the day the budget period and rate follow
    reporting_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    reporting_currency: Mapped[str] = mapped_column(sa.String(3))
    exchange_rate: Mapped[Decimal] = mapped_column(RATE)   # reporting units per unit
    rate_on: Mapped[date]                           # the date of the rate used
    # Estimated from a per diem rate: the days and the daily rate; an override keeps its reason.
    days: Mapped[int | None]
    daily_rate: Mapped[Decimal | None] = mapped_column(AMOUNT)
    override_reason: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    approved_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None]

    mission = relationship("Mission")
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    changes: Mapped[list[CostLineChange]] = relationship(
        back_populates="line", cascade="all, delete-orphan", order_by="CostLineChange.id")

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class CostLineChange(db.Model):
    """A change made to a cost line after it was approved: what it was, what it became, why."""

    __tablename__ = "cost_line_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    cost_line_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cost_lines.id", ondelete="CASCADE"), index=True)
    changed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime]
    before: Mapped[dict] = mapped_column(sa.JSON)
    after: Mapped[dict] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.Text)

    line: Mapped[CostLine] = relationship(back_populates="changes")
    changed_by = relationship("User")


class PerDiemRate(db.Model):
    """The daily living allowance in a host country (or one of its cities) for a year.
    ``city`` is empty for the country's rate."""

    __tablename__ = "per_diem_rates"
    __table_args__ = (
        sa.UniqueConstraint("country", "city", "year", name="uq_per_diem_rates_place_year"),
        sa.CheckConstraint("daily_amount > 0", name="daily_amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    city: Mapped[str] = mapped_column(sa.String(120), default="")
    year: Mapped[int]
    daily_amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime]


class ExchangeRate(db.Model):
    """Units of ``quote`` for one unit of ``base`` on a day, as a manager entered it."""

    __tablename__ = "exchange_rates"
    __table_args__ = (
        sa.UniqueConstraint("base", "quote", "rate_on", name="uq_exchange_rates_pair_day"),
        sa.CheckConstraint("rate > 0", name="rate"),
        sa.CheckConstraint("base <> quote", name="pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    base: Mapped[str] = mapped_column(sa.String(3))
    quote: Mapped[str] = mapped_column(sa.String(3))
    rate_on: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(RATE)
    source: Mapped[str | None] = mapped_column(sa.String(200))
    entered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime]


class BudgetLine(db.Model):
    """What a programme plans to spend on one category in one period, in its reporting
    currency: a year (``quarter`` 0) or one quarter of it (1–4)."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "category", "year", "quarter",
                            name="uq_budget_lines_period"),
        sa.CheckConstraint(f"category IN {CostCategory.codes()!r}", name="category"),
        sa.CheckConstraint("quarter BETWEEN 0 AND 4", name="quarter"),
        sa.CheckConstraint("amount >= 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(sa.String(30))
    year: Mapped[int]
    quarter: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal] = mapped_column(AMOUNT)
    currency: Mapped[str] = mapped_column(sa.String(3))
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]

    programme = relationship("Programme")


class ResultTarget(db.Model):
    """One indicator of a programme's results framework for one period: where it started
    (baseline) and where it should be (target)."""

    __tablename__ = "result_targets"
    __table_args__ = (
        sa.UniqueConstraint("programme_id", "indicator", "year", "quarter",
                            name="uq_result_targets_period"),
        sa.CheckConstraint(f"indicator IN {Indicator.codes()!r}", name="indicator"),
        sa.CheckConstraint("quarter BETWEEN 0 AND 4", name="quarter"),
        sa.CheckConstraint("baseline >= 0 AND target >= 0", name="values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("programmes.id", ondelete="CASCADE"))
    indicator: Mapped[str] = mapped_column(sa.String(30))
    year: Mapped[int]
    quarter: Mapped[int] = mapped_column(default=0)
    baseline: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=0)
    target: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2))
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]
