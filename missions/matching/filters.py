"""The hard filters, in SQL: who could do the work at all, and why nobody can."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql

from diaspora.professionals.models import (
    AvailabilityWindow,
    Licence,
    MatchRow,
    Professional,
    ProfessionalCadre,
    ProfessionalSpecialty,
    ProgrammeConsent,
)
from diaspora.vocabulary import Mode

from .terms import Terms

FILTERS = ("cadre", "consent", "specialty", "mode", "licence", "availability")
MODE_FILTERS = ("mode", "licence", "availability")
FILTER_LABELS = {
    "consent": _l("consent"),
    "cadre": _l("cadre"),
    "specialty": _l("specialty"),
    "mode": _l("mode offered"),
    "licence": _l("licence in the host country"),
    "availability": _l("availability"),
}


def hard_filters(terms: Terms) -> list[tuple[str, sa.ColumnElement[bool]]]:
    """The hard filters in order, each condition including all the filters before it, for
    ``diagnose`` to tell which filter removed the most professionals when nobody passes.

    Conditions of one mode (offered, licence, availability) are grouped per mode, and the
    modes joined by OR: a need that accepts either mode takes a professional who qualifies in
    one of them.
    """
    common = _common_conditions(terms)
    by_mode = [_mode_conditions(terms, mode) for mode in terms.modes]
    names = [name for name in FILTERS
             if name in common or any(name in conditions for conditions in by_mode)]
    cumulative = []
    for index, name in enumerate(names):
        applied = names[:index + 1]
        parts = [common[n] for n in applied if n in common]
        per_mode = [n for n in applied if n in MODE_FILTERS]
        if per_mode:
            parts.append(sa.or_(*(sa.and_(*(conditions[n] for n in per_mode if n in conditions))
                                  for conditions in by_mode)))
        cumulative.append((name, sa.and_(*parts)))
    return cumulative


def _common_conditions(terms: Terms) -> dict[str, sa.ColumnElement[bool]]:
    conditions = {"cadre": _cadre(terms), "consent": _consent(terms)}
    if terms.specialty:
        conditions["specialty"] = sa.exists().where(
            ProfessionalSpecialty.professional_id == Professional.id,
            ProfessionalSpecialty.specialty == terms.specialty)
    return conditions


def _cadre(terms: Terms) -> sa.ColumnElement[bool]:
    """The main cadre or one of the others held (a nurse-midwife is matched as either)."""
    return sa.or_(Professional.cadre == terms.cadre, sa.exists().where(
        ProfessionalCadre.professional_id == Professional.id, ProfessionalCadre.cadre == terms.cadre))


def _consent(terms: Terms) -> sa.ColumnElement[bool]:
    """The registry consent and, for a need of a programme, consent to that programme (see
    ``Professional.consents_to``)."""
    registry = Professional.consent_given == sa.true()   # as the partial index states it
    if terms.programme_id is None:
        return registry
    return sa.and_(registry, sa.exists().where(
        ProgrammeConsent.professional_id == Professional.id,
        ProgrammeConsent.programme_id == terms.programme_id, ProgrammeConsent.given.is_(True)))


def _mode_conditions(terms: Terms, mode: str) -> dict[str, sa.ColumnElement[bool]]:
    offered = Professional.offers_physical if mode == Mode.PHYSICAL else Professional.offers_virtual
    span = timedelta(days=terms.span(mode) - 1)
    last_start, first_end = terms.last - span, terms.first + span
    conditions = {"mode": offered == sa.true()}
    if mode in terms.licence_modes:
        conditions["licence"] = sa.exists().where(
            Licence.professional_id == Professional.id, Licence.country == terms.country,
            Licence.valid_from <= last_start, Licence.valid_until >= first_end)
    # A run of days may join several windows: one must hold its first day, one its last.
    conditions["availability"] = sa.and_(
        _window_exists(terms, mode, starts_by=last_start, ends_from=terms.first),
        _window_exists(terms, mode, starts_by=terms.last, ends_from=first_end))
    return conditions


def _window_exists(terms: Terms, mode: str, *, starts_by: date,
                   ends_from: date) -> sa.ColumnElement[bool]:
    conditions = [AvailabilityWindow.professional_id == Professional.id,
                  AvailabilityWindow.kind == "available",
                  AvailabilityWindow.mode.in_((mode, Mode.EITHER)),
                  AvailabilityWindow.starts_on <= starts_by,
                  AvailabilityWindow.ends_on >= ends_from]
    if mode == Mode.VIRTUAL:
        conditions.append(AvailabilityWindow.hours_per_week >= terms.weekly_hours)
    return sa.exists().where(*conditions)


def hard_filter_query(terms: Terms, *columns, where=(),
                      dialect: str | None = None) -> sa.Select | sa.CompoundSelect:
    """``columns`` (the id by default) of the professionals who pass the hard filters.

    One SELECT per mode the need accepts and way of holding the cadre (``hard_filter_selects``),
    joined by UNION. On PostgreSQL (``dialect``), without ``columns``: the ids from the match
    rows instead (``match_row_selects``), one SELECT per mode.
    """
    if dialect == "postgresql" and not columns and not where:
        selects = match_row_selects(terms, sa.select(MatchRow.professional_id))
    else:
        selects = hard_filter_selects(terms, sa.select(*(columns or [Professional.id])),
                                      where=where)
    return selects[0] if len(selects) == 1 else sa.union(*selects)


def hard_filter_selects(terms: Terms, select: sa.Select, *, where=()) -> list[sa.Select]:
    """``select`` restricted to the professionals who pass the hard filters: one copy per mode
    the need accepts (PostgreSQL plans each mode's EXISTS conditions as joins, which it cannot
    do for an OR of them) and per way of holding the cadre (as the main one, served by the
    partial index ``ix_professionals_consenting_cadre``; or as another one, from
    ``professional_cadres``), so that no OR hides an index. A professional may pass in several
    copies: join them by UNION to count each once."""
    common = [condition for name, condition in _common_conditions(terms).items()
              if name != "cadre"]
    others = sa.select(ProfessionalCadre.professional_id).where(
        ProfessionalCadre.cadre == terms.cadre)
    cadre_held = [Professional.cadre == terms.cadre,
                  sa.and_(Professional.cadre != terms.cadre, Professional.id.in_(others))]
    return [select.where(held, *common, *_mode_conditions(terms, mode).values(), *where)
            for mode in terms.modes for held in cadre_held]


def match_row_selects(terms: Terms, select: sa.Select, *, where=()) -> list[sa.Select]:
    """PostgreSQL: ``select`` over ``match_rows`` restricted to the rows that pass the hard
    filters, one copy per mode the need accepts; the index (cadre, mode, origin, first day,
    last day) finds the rows, each tested on itself (no probe of windows or licences per
    professional).

    A necessary condition, as ``hard_filter_selects``: the union of a professional's windows
    (or licences) of a country stands for the windows, so where a run must lie inside one
    window (licence) two that touch pass too, and online windows pass on the most hours a
    week any of them gives; the exact checks decide.
    """
    return [select.where(*match_row_conditions(terms, mode), *where) for mode in terms.modes]


def match_row_conditions(terms: Terms, mode: str) -> list[sa.ColumnElement[bool]]:
    row = MatchRow
    span = timedelta(days=terms.span(mode) - 1)
    last_start, first_end = terms.last - span, terms.first + span
    conditions = [row.cadre == terms.cadre, row.mode == mode]
    if terms.programme_id is not None:
        conditions.append(sa.literal(terms.programme_id) == sa.any_(
            sa.type_coerce(row.programmes, postgresql.ARRAY(sa.Integer))))
    if terms.specialty:
        conditions.append(sa.literal(terms.specialty) == sa.any_(
            sa.type_coerce(row.specialties, postgresql.ARRAY(sa.String))))
    if mode in terms.licence_modes:
        position = sa.func.array_position(
            sa.type_coerce(row.licence_countries, postgresql.ARRAY(sa.String)),
            sa.literal(terms.country, sa.String))
        spans = sa.type_coerce(row.licence_spans, postgresql.ARRAY(postgresql.DATEMULTIRANGE))
        conditions.append(_holds(spans[position], starts_by=last_start, ends_from=first_end))
    # A run of days may join several windows: one must hold its first day, one its last.
    # Implied, and read in the index: their windows start by the last start, end from the
    # first end.
    conditions += [row.first_day <= last_start, row.last_day >= first_end,
                   _holds(row.available, starts_by=last_start, ends_from=terms.first),
                   _holds(row.available, starts_by=terms.last, ends_from=first_end)]
    if mode == Mode.VIRTUAL:
        conditions.append(row.hours >= terms.weekly_hours)
    return conditions


def _holds(ranges, *, starts_by: date, ends_from: date) -> sa.ColumnElement[bool]:
    """``ranges`` (a date multirange) has a range starting by ``starts_by`` and ending on or
    after ``ends_from``: one meeting the days between them, or holding them all."""
    if ends_from <= starts_by:
        return ranges.bool_op("&&")(sa.func.daterange(ends_from, starts_by, "[]"))
    return ranges.bool_op("@>")(sa.func.daterange(starts_by, ends_from, "[]"))


@dataclass(frozen=True)
class Diagnosis:
    """Why nobody can do the work: of the ``of`` professionals of the cadre asked, the number
    the worst filter removed."""

    of: int
    filter: str
    removed: int
    # filter → professionals of the cadre it removed first, in ``FILTERS`` order
    removed_by: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return str(FILTER_LABELS[self.filter])


def diagnose(session, terms: Terms) -> Diagnosis:
    """For a need nobody can do, in one query: the first hard filter each professional fails.

    Those who pass every filter in SQL fail the exact checks (blackouts, bookings, too few
    consecutive days, no licence on every day): they count as removed by availability.
    """
    failures = [(~condition, name) for name, condition in hard_filters(terms)]
    first_failed = sa.select(sa.case(*failures, else_=sa.literal("availability"))
                             .label("filter")).subquery()
    removed = dict(session.execute(sa.select(first_failed.c.filter, sa.func.count())
                                   .group_by(first_failed.c.filter)).all())
    of = sum(count for name, count in removed.items() if name != "cadre")
    worst = max(FILTERS[1:], key=lambda name: removed.get(name, 0)) if of else "cadre"
    return Diagnosis(of=of, filter=worst, removed=removed.get(worst, 0),
                     removed_by={name: removed[name] for name in FILTERS[1:]
                                 if removed.get(name)})
