"""Currencies, exchange rates and per diem rates.

- A currency is an ISO 4217 code babel knows (not the codes for gold, testing or "no currency").
- An amount converts at the rate of the latest day on or before the day asked for, entered for
  the pair either way round (GBP→EUR, or EUR→GBP inverted). No such rate is a 422 that names
  the pair and the day, so the manager knows which rate to enter.
- A per diem rate is looked up for the host city in that year, else for the host country.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from babel.numbers import get_currency_precision, is_currency as babel_currency
from flask_babel import gettext as _
from marshmallow import ValidationError

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Forbidden, Invalid
from diaspora.vocabulary import MANAGERS

from .models import ExchangeRate, PerDiemRate

# ISO 4217 codes that are not money one pays a cost in: precious metals, funds units, testing.
NOT_MONEY = frozenset({"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XDR", "XBA", "XBB", "XBC",
                       "XBD", "XSU", "XUA"})
RATE_PLACES = Decimal("0.0000000001")


def is_currency(code: str | None) -> bool:
    return bool(code) and code not in NOT_MONEY and babel_currency(code)


def minor_units(currency: str) -> Decimal:
    """The smallest amount of ``currency`` kept (0.01 for EUR, 1 for XOF; at most 0.001)."""
    places = min(get_currency_precision(currency), 3)
    return Decimal(1).scaleb(-places)


def rounded(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_units(currency), rounding=ROUND_HALF_UP)


def require_manager(actor) -> None:
    if getattr(actor, "role", None) not in MANAGERS:
        raise Forbidden(_("Only programme managers keep rates and budgets."))


# --- exchange rates -----------------------------------------------------------------------

@dataclass(frozen=True)
class Conversion:
    amount: Decimal          # in the target currency, rounded to its minor units
    currency: str
    rate: Decimal            # target units per unit
    rate_on: date            # the day of the rate used


def missing_rate(base: str, quote: str, day: date) -> Invalid:
    message = _("No exchange rate from %(base)s to %(quote)s on or before %(day)s: enter it "
                "under Exchange rates.", base=base, quote=quote, day=day.isoformat())
    return Invalid(message, errors={"currency": [message]},
                   extra={"missing_rate": {"base": base, "quote": quote, "on": day.isoformat()}})


def rate_for(session, base: str, quote: str, day: date) -> tuple[Decimal, date]:
    """Units of ``quote`` per unit of ``base`` on ``day`` (the latest rate on or before it)."""
    if base == quote:
        return Decimal(1), day
    found = []
    for left, right, inverted in ((base, quote, False), (quote, base, True)):
        row = session.execute(
            sa.select(ExchangeRate.rate, ExchangeRate.rate_on)
            .where(ExchangeRate.base == left, ExchangeRate.quote == right,
                   ExchangeRate.rate_on <= day)
            .order_by(ExchangeRate.rate_on.desc()).limit(1)).first()
        if row is not None:
            rate = (Decimal(1) / row.rate).quantize(RATE_PLACES) if inverted else row.rate
            found.append((row.rate_on, not inverted, rate))
    if not found:
        raise missing_rate(base, quote, day)
    rate_on, _direct, rate = max(found)   # the latest day; on a tie the pair as entered
    return Decimal(rate), rate_on


def convert(session, amount: Decimal, currency: str, target: str, day: date) -> Conversion:
    rate, rate_on = rate_for(session, currency, target, day)
    return Conversion(rounded(amount * rate, target), target, rate, rate_on)


def set_exchange_rate(session, data: dict, *, actor, now: datetime) -> ExchangeRate:
    """Enter (or correct) the rate of a pair on a day. Lines already converted keep theirs."""
    require_manager(actor)
    with unit_of_work(session):
        rate = _upsert_rate(session, data, actor=actor, now=now)
    return rate


def _upsert_rate(session, data: dict, *, actor, now: datetime) -> ExchangeRate:
    rate = session.scalar(sa.select(ExchangeRate).where(
        ExchangeRate.base == data["base"], ExchangeRate.quote == data["quote"],
        ExchangeRate.rate_on == data["rate_on"]))
    action = "update" if rate else "create"
    if rate is None:
        rate = ExchangeRate(base=data["base"], quote=data["quote"], rate_on=data["rate_on"])
        session.add(rate)
    rate.rate = data["rate"]
    rate.source = data.get("source")
    rate.entered_by_id = getattr(actor, "id", None)
    rate.entered_at = now
    session.flush()
    audit.record(session, now=now, actor=actor, action=action, entity="exchange_rate",
                 entity_id=rate.id, detail={"pair": f"{rate.base}/{rate.quote}",
                                            "on": rate.rate_on.isoformat(), "rate": str(rate.rate)})
    return rate


def import_exchange_rates(session, text: str, schema, *, actor, now: datetime) -> int:
    """Rates from CSV text with the columns ``date,base,quote,rate`` (and optional ``source``):
    every row is checked first; one bad row and nothing is written (422 with line numbers)."""
    require_manager(actor)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"date", "base", "quote", "rate"} <= set(reader.fieldnames):
        raise Invalid(_("The file needs the columns date, base, quote and rate."),
                      errors={"file": [_("The file needs the columns date, base, quote and rate.")]})
    rows, errors = [], {}
    for line, row in enumerate(reader, start=2):
        try:
            rows.append(schema.load({"rate_on": row.get("date"), "base": row.get("base"),
                                     "quote": row.get("quote"), "rate": row.get("rate"),
                                     "source": row.get("source") or None}))
        except ValidationError as error:
            errors[f"line {line}"] = [f"{field}: {' '.join(map(str, messages))}"
                                      for field, messages in error.messages.items()]
    if errors:
        raise Invalid(_("Some rows are not valid; nothing was imported."), errors=errors)
    if not rows:
        raise Invalid(_("The file has no rates."), errors={"file": [_("The file has no rates.")]})
    with unit_of_work(session):
        for data in rows:
            _upsert_rate(session, data, actor=actor, now=now)
    return len(rows)


def exchange_rates(session, limit: int = 200) -> list[ExchangeRate]:
    return list(session.scalars(sa.select(ExchangeRate).order_by(
        ExchangeRate.rate_on.desc(), ExchangeRate.base, ExchangeRate.quote).limit(limit)))


# --- per diem -----------------------------------------------------------------------------

def set_per_diem(session, data: dict, *, actor, now: datetime) -> PerDiemRate:
    require_manager(actor)
    city = data.get("city") or ""
    with unit_of_work(session):
        rate = session.scalar(sa.select(PerDiemRate).where(
            PerDiemRate.country == data["country"], PerDiemRate.city == city,
            PerDiemRate.year == data["year"]))
        action = "update" if rate else "create"
        if rate is None:
            rate = PerDiemRate(country=data["country"], city=city, year=data["year"])
            session.add(rate)
        rate.daily_amount = rounded(data["daily_amount"], data["currency"])
        rate.currency = data["currency"]
        rate.entered_by_id = getattr(actor, "id", None)
        rate.entered_at = now
        session.flush()
        audit.record(session, now=now, actor=actor, action=action, entity="per_diem_rate",
                     entity_id=rate.id, detail={"place": f"{rate.country} {rate.city}".strip(),
                                                "year": rate.year,
                                                "daily": f"{rate.daily_amount} {rate.currency}"})
    return rate


def per_diem_for(session, country: str, city: str | None, year: int) -> PerDiemRate:
    """The city's rate for the year, else the country's; 422 naming what is missing."""
    cities = [city, ""] if city else [""]
    rates = {rate.city: rate for rate in session.scalars(sa.select(PerDiemRate).where(
        PerDiemRate.country == country, PerDiemRate.year == year, PerDiemRate.city.in_(cities)))}
    for name in cities:
        if name in rates:
            return rates[name]
    message = _("No per diem rate for %(place)s in %(year)s: enter it under Rates.",
                place=f"{city}, {country}" if city else country, year=year)
    raise Invalid(message, errors={"city": [message]},
                  extra={"missing_per_diem": {"country": country, "city": city or "",
                                              "year": year}})


def per_diem_rates(session) -> list[PerDiemRate]:
    return list(session.scalars(sa.select(PerDiemRate).order_by(
        PerDiemRate.year.desc(), PerDiemRate.country, PerDiemRate.city)))
