"""Validation of cost lines, rates, budgets and targets (API bodies, forms, the rates CSV),
and their output. Amounts travel as decimal strings ("1234.50"), never as floats."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from diaspora.schemas import BaseSchema, CountryCode, Text, Trimmed, one_of

from .rates import is_currency
from .vocabulary import CostCategory, CostStage, Indicator, Payer

MOST = Decimal("999999999999")   # below 10^12 in any currency
DECIMAL_META = {"type": "string", "format": "decimal", "example": "1250.00"}


class Currency(fields.String):
    """An ISO 4217 currency code (EUR, GBP, USD, GHS, XOF …), upper-cased."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(description="ISO 4217 currency code",
                                                 example="EUR")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if not is_currency(code):
            raise ValidationError(_l("Use an ISO 4217 currency code, e.g. EUR, GHS or XOF."))
        return code


def _between(low: Decimal, high: Decimal, message):
    """A range check kept out of the OpenAPI document (whose bounds are numbers, while these
    values travel as decimal strings)."""
    def check(value) -> None:
        if not low <= value <= high:
            raise ValidationError(message)
    return check


def Amount(*, positive: bool = False, **kwargs) -> fields.Decimal:  # noqa: N802 - a field maker
    """A money amount as a decimal string: not negative (or above 0), below 10^12."""
    low = Decimal("0.001") if positive else Decimal(0)
    message = _l("Give an amount from %(low)s to 999,999,999,999.", low=str(low))
    return fields.Decimal(as_string=True, validate=_between(low, MOST, message),
                          metadata=DECIMAL_META | kwargs.pop("metadata", {}), **kwargs)


class CostLineSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    mission_id = fields.Integer(dump_only=True)
    category = fields.String(required=True, validate=one_of(CostCategory.codes()))
    stage = fields.String(load_default=CostStage.ESTIMATED, validate=one_of(CostStage.codes()),
                          metadata={"description": "estimated (planned), committed (confirmed) "
                                                   "or actual (spent)"})
    payer = fields.String(load_default=Payer.PROGRAMME, validate=one_of(Payer.codes()),
                          metadata={"description": "programme, or host for a contribution in kind"})
    reimbursable = fields.Boolean(load_default=False,
                                  metadata={"description": "Paid back to the professional"})
    payable_on = fields.Date(allow_none=True, metadata={"description": "When it is paid back"})
    amount = Amount(required=True)
    currency = Currency(required=True)
    incurred_on = fields.Date(metadata={"description": "The day the cost falls on (budget period "
                                                       "and exchange rate); by default the "
                                                       "mission's first day, or its last for "
                                                       "actuals"})
    note = Text(allow_none=True, validate=validate.Length(max=2000))
    reporting_amount = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    reporting_currency = fields.String(dump_only=True)
    exchange_rate = fields.Decimal(as_string=True, dump_only=True,
                                   metadata=DECIMAL_META | {"example": "0.0712"})
    rate_on = fields.Date(dump_only=True, metadata={"description": "Day of the rate used"})
    days = fields.Integer(dump_only=True, allow_none=True)
    daily_rate = fields.Decimal(as_string=True, dump_only=True, allow_none=True,
                                metadata=DECIMAL_META)
    override_reason = fields.String(dump_only=True, allow_none=True)
    approved = fields.Boolean(dump_only=True)
    approved_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    over_budget_ok = fields.Boolean(load_only=True, load_default=False, metadata={
        "description": "Save although it takes a budget line past what remains (after a 409 "
                       "with over_budget)"})

    @validates_schema
    def _in_kind(self, data, **kwargs):
        if data.get("payer") == Payer.HOST and data.get("reimbursable"):
            raise ValidationError(_l("A contribution in kind is not reimbursed."),
                                  field_name="reimbursable")


class CostLineChangeSchema(CostLineSchema):
    """A change: the fields given replace the line's; ``reason`` is needed once approved."""

    reason = Text(load_only=True, validate=validate.Length(max=2000))


class CostLineHistorySchema(BaseSchema):
    changed_at = fields.AwareDateTime(dump_only=True)
    changed_by = fields.Function(lambda c: c.changed_by.name if c.changed_by else None,
                                 dump_only=True)
    before = fields.Dict(dump_only=True)
    after = fields.Dict(dump_only=True)
    reason = fields.String(dump_only=True)


class EstimateSchema(BaseSchema):
    city = Trimmed(validate=validate.Length(max=120),
                   metadata={"description": "Host city whose rate applies (else the country's)"})
    amount = Amount(metadata={"description": "Overrides days × rate; needs override_reason"})
    override_reason = Text(validate=validate.Length(max=2000))
    note = Text(validate=validate.Length(max=2000))
    over_budget_ok = fields.Boolean(load_default=False)


class ExchangeRateSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    base = Currency(required=True)
    quote = Currency(required=True)
    rate_on = fields.Date(required=True, metadata={"description": "The day of the rate"})
    rate = fields.Decimal(as_string=True, required=True, metadata=DECIMAL_META | {
        "description": "Units of quote for one unit of base", "example": "15.42"},
        validate=_between(Decimal("0.000001"), Decimal("1000000"),
                          _l("Give a rate from 0.000001 to 1,000,000.")))
    source = Trimmed(allow_none=True, validate=validate.Length(max=200))

    @validates_schema
    def _pair(self, data, **kwargs):
        if data.get("base") and data.get("base") == data.get("quote"):
            raise ValidationError(_l("Choose two different currencies."), field_name="quote")


class PerDiemRateSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    country = CountryCode(required=True)
    city = Trimmed(validate=validate.Length(max=120), load_default="")
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    daily_amount = Amount(required=True, positive=True)
    currency = Currency(required=True)


class BudgetLineSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    category = fields.String(required=True, validate=one_of(CostCategory.codes()))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    quarter = fields.Integer(load_default=0, validate=validate.Range(min=0, max=4),
                             metadata={"description": "0 for the whole year, else 1–4"})
    amount = Amount(required=True)
    currency = fields.String(dump_only=True)


class ExecutionSchema(BaseSchema):
    id = fields.Integer(dump_only=True, allow_none=True)
    category = fields.String(dump_only=True)
    period = fields.String(dump_only=True)
    year = fields.Integer(dump_only=True)
    quarter = fields.Integer(dump_only=True)
    currency = fields.String(dump_only=True)
    planned = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    estimated = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    committed = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    spent = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    remaining = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    forecast = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)


class BudgetReportSchema(BaseSchema):
    year = fields.Integer(dump_only=True)
    lines = fields.List(fields.Nested(ExecutionSchema), dump_only=True)


class BudgetQuerySchema(BaseSchema):
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))


class ValueSchema(BaseSchema):
    mode = fields.String(dump_only=True)
    currency = fields.String(dump_only=True)
    missions = fields.Integer(dump_only=True)
    cost = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    person_days = fields.Integer(dump_only=True)
    online_hours = fields.Decimal(as_string=True, dump_only=True, metadata=DECIMAL_META)
    trained = fields.Integer(dump_only=True)
    practices_in_use = fields.Integer(dump_only=True)
    per_mission = fields.Decimal(as_string=True, dump_only=True, allow_none=True,
                                 metadata=DECIMAL_META)
    per_person_day = fields.Decimal(as_string=True, dump_only=True, allow_none=True,
                                    metadata=DECIMAL_META)
    per_online_hour = fields.Decimal(as_string=True, dump_only=True, allow_none=True,
                                     metadata=DECIMAL_META)
    per_trained = fields.Decimal(as_string=True, dump_only=True, allow_none=True,
                                 metadata=DECIMAL_META)
    per_practice_in_use = fields.Decimal(as_string=True, dump_only=True, allow_none=True,
                                         metadata=DECIMAL_META)


class TargetSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    indicator = fields.String(required=True, validate=one_of(Indicator.codes()))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    quarter = fields.Integer(load_default=0, validate=validate.Range(min=0, max=4))
    baseline = Amount(load_default=Decimal(0))
    target = Amount(required=True)
