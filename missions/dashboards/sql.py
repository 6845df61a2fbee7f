"""SQL expressions that SQLite and PostgreSQL spell differently.

Each construct compiles to the dialect's own SQL, so the aggregates stay in the database on both.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class seconds_between(FunctionElement):
    """``seconds_between(start, end)``: the seconds from one instant to another."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


class year_month(FunctionElement):
    """``year_month(instant)``: the UTC month of an instant as text, e.g. ``2026-04``."""

    type = sa.String()
    inherit_cache = True


@compiles(year_month)
def _year_month(element, compiler, **kw):
    (instant,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"to_char({instant} AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(year_month, "sqlite")
def _year_month_sqlite(element, compiler, **kw):
    (instant,) = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"strftime('%Y-%m', {instant})"
