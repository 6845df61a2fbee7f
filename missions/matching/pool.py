"""The candidate pool: who passes the hard filters, best first, ranked in SQL.

The hard-filter query (``filters``) also computes, for each professional who passes, a
*ceiling*: a score no check can raise them above (see ``ceiling``). The database sorts on it
and hands over only the top of the list — ids and ceilings, no profile — so Python checks a
bounded pool, not everyone who passes. ``ranking.rank`` checks the pool in that order and stops
once nobody left could enter the list: the result is the same as checking everyone.

The ceiling takes every criterion as ``scoring`` scores it, except where the exact value needs
what only the day-by-day checks see:

- skills, languages: those asked that they have (counted in SQL);
- availability: the days of the need's window their available windows of the mode cover,
  counted window by window (overlapping windows counted twice: never fewer than the free days);
- distance: great-circle distance less 1 % (never more than the geodesic one ``scoring`` uses);
- time zone: the hours apart of every time zone (``zoneinfo``) on the window's first and last
  day, zones grouped by score; a zone not listed scores 1;
- continuity: completed missions at this facility;
- fairness: 1 (recent missions only lower it).
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace
from datetime import date
from functools import lru_cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from diaspora.professionals.models import (
    AvailabilityWindow,
    MatchRow,
    Professional,
    ProfessionalLanguage,
    ProfessionalSkill,
)
from diaspora.vocabulary import Mode

from ..core.models import Mission
from ..core.vocabulary import DONE
from .filters import hard_filter_selects, match_row_selects
from .scoring import DISTANCE_HALF_SCORE_KM, MAX_HOURS_APART, NEUTRAL, Scoring, _hours_apart

EARTH_KM = 6371.0088         # mean radius: great-circle distances within 0.6 % of geodesic ones
GEODESIC_MARGIN = 0.99       # so the ceiling's distance is never longer than the real one
ROUNDING = 0.06              # scores are rounded to 0.1: the ceiling covers that, and float error


def pool_query(session, scoring: Scoring, *, origin_match: bool, limit: int | None,
               offset: int = 0) -> sa.Select:
    """``(id, ceiling)`` of the professionals who pass the hard filters, from the host country
    (``origin_match``) or not, highest ceiling first. A professional who passes in both modes
    may come twice (one row per mode)."""
    terms = scoring.terms
    dialect = session.get_bind().dialect.name
    from_host = Professional.country_of_origin == terms.country
    done_here = (sa.select(Mission.professional_id, sa.func.count().label("done"))
                 .where(Mission.facility_id == terms.facility_id, Mission.status.in_(DONE))
                 .group_by(Mission.professional_id).subquery("done_here"))
    selects = []
    for mode in terms.modes:
        if dialect == "postgresql":   # one narrow row per professional: no probe per person
            row = MatchRow
            columns = (row.professional_id.label("id"),
                       row_ceiling(scoring, mode, done_here.c.done).label("ceiling"))
            origin = row.origin == terms.country
            selects += match_row_selects(
                replace(terms, modes=(mode,)),
                sa.select(*columns).select_from(row)
                .outerjoin(done_here, done_here.c.professional_id == row.professional_id),
                where=[origin if origin_match else row.origin != terms.country])
            continue
        columns = (Professional.id.label("id"),
                   ceiling(scoring, mode, dialect, done_here.c.done).label("ceiling"))
        selects += hard_filter_selects(
            replace(terms, modes=(mode,)),
            sa.select(*columns).select_from(Professional)
            .outerjoin(done_here, done_here.c.professional_id == Professional.id),
            where=[from_host if origin_match else ~from_host])
    rows = selects[0].subquery() if len(selects) == 1 else sa.union_all(*selects).subquery()
    query = sa.select(rows.c.id, rows.c.ceiling).order_by(rows.c.ceiling.desc(), rows.c.id)
    if limit is not None:
        query = query.limit(limit)
    return query.offset(offset) if offset else query


def ceiling(scoring: Scoring, mode: str, dialect: str, done) -> sa.ColumnElement[float]:
    """SQL: the highest score (0..100) a professional could reach in ``mode``, never below
    what ``scoring`` gives them once checked."""
    terms, shares = scoring.terms, scoring.shares[mode]
    return _summed(scoring, mode, done, Professional,
                   skill=_counted(ProfessionalSkill, ProfessionalSkill.skill, sorted(terms.skills),
                                  shares["skill"]),
                   language=_counted(ProfessionalLanguage, ProfessionalLanguage.language,
                                     terms.languages, shares["language"]),
                   availability=_available(scoring, mode, dialect))


def row_ceiling(scoring: Scoring, mode: str, done) -> sa.ColumnElement[float]:
    """``ceiling`` read from a match row (PostgreSQL): the same parts, each from the row, and
    availability as the days of the window from the first to the last day of their windows of
    ``mode`` (never fewer than the free days; online, windows of any hours a week)."""
    terms, shares = scoring.terms, scoring.shares[mode]
    return _summed(scoring, mode, done, MatchRow,
                   skill=_held(MatchRow.skills, sorted(terms.skills), shares["skill"]),
                   language=_held(MatchRow.languages, terms.languages, shares["language"]),
                   availability=_covered(terms))


def _summed(scoring: Scoring, mode: str, done, place, *, skill, language,
            availability) -> sa.ColumnElement[float]:
    """The ceiling's parts summed, as 0..100: ``skill`` and ``language`` (already weighted)
    and ``availability`` (0..1) as the caller reads them; continuity from ``done``; the zone
    or the distance from ``place`` (``Professional`` or ``MatchRow``: timezone, latitude,
    longitude)."""
    terms, shares = scoring.terms, scoring.shares[mode]
    parts = [skill, language, availability * shares["availability"],
             # done / (done + 1), 0 with no mission here
             sa.func.coalesce(sa.cast(done, sa.Float) / (sa.cast(done, sa.Float) + 1), 0.0)
             * shares["continuity"],
             sa.literal(shares["fairness"], sa.Float)]
    if mode == Mode.VIRTUAL:
        parts.append(_zone_score(terms.zone, terms.first, terms.last, place.timezone)
                     * shares["timezone"])
    else:
        parts.append(_distance_score(terms.location, place.latitude, place.longitude)
                     * shares["distance"])
    return sum(parts[1:], parts[0]) * 100 + ROUNDING


def _held(column, asked, share: float) -> sa.ColumnElement[float]:
    """share × the part of ``asked`` the row's array ``column`` holds: 1 when none asked."""
    if not asked:
        return sa.literal(share, sa.Float)
    array = sa.type_coerce(column, postgresql.ARRAY(sa.String))
    # each asked item counted, as ``scoring`` counts a language asked twice twice
    have = sum((sa.cast(sa.literal(item, sa.String) == sa.any_(array), sa.Integer)
                for item in asked), sa.literal(0))
    return have * sa.literal(share / len(asked), sa.Float)


def _covered(terms) -> sa.ColumnElement[float]:
    """0..1: the days of the need's window from the first to the last day of the row's
    available ranges (never fewer than the days they cover), over its days. Rows that pass
    the hard filters meet the window."""
    first = sa.func.greatest(MatchRow.first_day, sa.literal(terms.first, sa.Date))
    last = sa.func.least(MatchRow.last_day, sa.literal(terms.last, sa.Date))
    return sa.func.greatest(last - first + 1, 0) * sa.literal(1 / terms.days, sa.Float)


def plain(session) -> None:
    """PostgreSQL: no JIT compilation for the rest of the transaction. The pool's and the hard
    filters' estimated costs pass ``jit_above_cost``, and compiling them takes 100–200 ms
    (measured at 1,000,000 professionals) to save a few."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))


def _counted(model, column, asked, share: float) -> sa.ColumnElement[float]:
    """share × the part of ``asked`` (skills, languages) the professional has: 1 when none asked."""
    if not asked:
        return sa.literal(share, sa.Float)
    have = (sa.select(sa.func.count()).where(model.professional_id == Professional.id,
                                             column.in_(list(asked)))
            .scalar_subquery())
    return have * sa.literal(share / len(asked), sa.Float)


def _available(scoring: Scoring, mode: str, dialect: str) -> sa.ColumnElement[float]:
    """0..1: the days of the window their available windows of ``mode`` cover, over its days."""
    terms = scoring.terms
    window = AvailabilityWindow
    first, last = sa.literal(terms.first, sa.Date), sa.literal(terms.last, sa.Date)
    if dialect == "postgresql":
        overlap = sa.func.least(window.ends_on, last) - sa.func.greatest(window.starts_on, first) + 1
        least = sa.func.least
    else:  # SQLite: dates are ISO text; min() and max() of several arguments are scalar
        overlap = (sa.func.julianday(sa.func.min(window.ends_on, last))
                   - sa.func.julianday(sa.func.max(window.starts_on, first)) + 1)
        least = sa.func.min
    conditions = [window.professional_id == Professional.id, window.kind == "available",
                  window.mode.in_((mode, Mode.EITHER)), window.starts_on <= terms.last,
                  window.ends_on >= terms.first]
    if mode == Mode.VIRTUAL:
        conditions.append(window.hours_per_week >= terms.weekly_hours)
    covered = sa.select(sa.func.coalesce(sa.func.sum(overlap), 0)).where(*conditions)
    return least(covered.scalar_subquery(), terms.days) * sa.literal(1 / terms.days, sa.Float)


def _distance_score(facility: tuple[float, float] | None, lat, lon) -> sa.ColumnElement[float]:
    """1 / (1 + km / 5,000) on a great circle 1 % short; 0.5 when a place is not known."""
    if facility is None:
        return sa.literal(NEUTRAL, sa.Float)
    phi, lam = math.radians(facility[0]), math.radians(facility[1])
    half_lat = sa.func.sin((sa.func.radians(lat) - phi) / 2)
    half_lon = sa.func.sin((sa.func.radians(lon) - lam) / 2)
    haversine = half_lat * half_lat + sa.func.cos(sa.func.radians(lat)) * math.cos(phi) * half_lon * half_lon
    km = 2 * EARTH_KM * GEODESIC_MARGIN * sa.func.asin(sa.func.sqrt(
        sa.case((haversine > 1, 1.0), else_=haversine)))
    return sa.case((sa.or_(lat.is_(None), lon.is_(None)), NEUTRAL),
                   else_=1 / (1 + km / DISTANCE_HALF_SCORE_KM))


def _zone_score(zone: str | None, first: date, last: date, timezone) -> sa.ColumnElement[float]:
    """The time-zone score of the professional's zone: zones grouped by score."""
    if not zone:
        return sa.literal(NEUTRAL, sa.Float)
    groups = _zones_by_score(zone, first, last)
    if not groups:
        return sa.literal(1.0, sa.Float)
    # one expanding parameter per group: SQLAlchemy does not coerce hundreds of literals
    return sa.case(*((timezone.in_(sa.bindparam(None, list(zones), type_=sa.String,
                                                             expanding=True)), score)
                     for score, zones in groups), else_=1.0)


@lru_cache(maxsize=256)
def _zones_by_score(zone: str, first: date, last: date) -> tuple[tuple[float, tuple[str, ...]], ...]:
    """(score, zones) for every zone scoring below 1, best score first."""
    groups = defaultdict(list)
    for other in sorted(available_timezones()):
        hours = _hours_apart.__wrapped__(other, zone, (first, last))  # not through its cache
        score = 1 - min(hours, MAX_HOURS_APART) / MAX_HOURS_APART
        if score < 1:
            groups[score].append(other)
    return tuple((score, tuple(zones)) for score, zones in sorted(groups.items(), reverse=True))
