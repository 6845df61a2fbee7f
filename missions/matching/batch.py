"""Many needs ranked in one pass: what the plan does instead of one shortlist per need.

``rank(session, terms, limit=k)`` per need runs the hard-filter SQL over the registry, loads the
skills and missions of everyone who passes, bounds their scores and checks the best. For a
plan of a thousand needs over a million professionals that is a thousand scans. ``rank_many``
gives the same rankings (tests/test_planning.py compares them need by need) from one load:

1. **Once for all needs**: the consenting professionals of the cadres asked, as columns
   (numpy arrays); their other cadres, specialties and programme consents asked; their
   availability windows and licences in the host countries that touch the period; their skills
   and languages asked; the missions that count for continuity or fairness; active bookings in
   the period. Rows are streamed from a server-side cursor ``STREAM`` at a time; dates come as
   day numbers and modes as codes computed by the database, strings become small codes.
2. **Per need, in arrays**: the hard filters of ``filters.hard_filters`` (cadre, consent,
   specialty; per mode: offered, a host-country licence that could cover a stay, windows that
   could hold the work), on arrays as long as the need's members (cadre, specialty, consent).
3. **Upper bounds per kind of professional**: ``scoring.upper_bound`` depends only on the modes
   they offer, their home (zone, coordinates), the skills asked that they have, the languages
   asked that they speak and their mission facts: it is computed once per distinct kind, then lowered by the days their
   windows leave out (a bound still, and a tighter one: fewer professionals are checked).
4. **Exact checks** as ``ranking._best_fits`` does them — in the order of the bound, in growing
   batches, until nobody left could enter the best ``limit`` — with profiles built from what is
   in memory, scored by ``scoring.best_fit``. Names are looked up at the end, once, for the
   candidates kept.

The result is exact: the best ``limit`` under the shortlist's order (host country's diaspora
first, score, earliest start, id). Only licence verifications are not loaded: the plan does not
show them.
"""
from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa

from diaspora.professionals.models import (
    AvailabilityWindow,
    Licence,
    Professional,
    ProfessionalCadre,
    ProfessionalLanguage,
    ProfessionalSkill,
    ProfessionalSpecialty,
    ProgrammeConsent,
)
from diaspora.vocabulary import Mode

from ..core.models import Booking, Mission
from ..core.vocabulary import DONE, HOLDING
from ..sessions.series import day_span
from .profiles import OFFERED, Profile
from .ranking import FIRST_BATCH, Ranking
from .scoring import Fit, best_fit, scoring_for, upper_bound
from .terms import Settings, Terms

CHUNK = 5000   # ids per IN (...) list of the look-up of names
STREAM = 50_000  # rows fetched at a time from a server-side cursor
MODE_CODES = {Mode.PHYSICAL: 0, Mode.VIRTUAL: 1, Mode.EITHER: 2}
MODES_OF_CODES = {code: mode for mode, code in MODE_CODES.items()}
AVAILABLE, BLACKOUT = 0, 1
ORDINAL_OFFSET = date(2000, 1, 1).toordinal()


class Codes(dict):
    """Strings as small integers: ``codes[value]`` → code, ``codes.values_of[code]`` → value."""

    def __init__(self):
        super().__init__()
        self.values_of: list = []

    def encode(self, values) -> np.ndarray:
        codes = np.empty(len(values), dtype=np.int32)
        for index, value in enumerate(values):
            code = self.get(value)
            if code is None:
                code = self[value] = len(self.values_of)
                self.values_of.append(value)
            codes[index] = code
        return codes


@dataclass
class Registry:
    """The professionals of the cadres asked and what the filters and checks read of them."""

    ids: np.ndarray               # sorted professional ids; a professional's position indexes
    cadre: np.ndarray             # main cadre, a code of ``cadres``
    cadres: Codes
    origin: np.ndarray            # country of origin, a code of ``origins``
    origins: Codes
    home: np.ndarray              # index into ``homes``
    homes: list[tuple]            # (residence, city, zone, location)
    offers: np.ndarray            # 0..3: 2 × physical + virtual
    other_cadres: dict[str, np.ndarray]      # cadre → positions holding it as a further cadre
    specialties: dict[str, np.ndarray]       # specialty → positions
    consents: dict[int, np.ndarray]          # programme → positions consenting to it
    skills: dict[str, np.ndarray]            # skill → positions
    languages: dict[str, np.ndarray]         # language asked → positions speaking it
    windows: dict[str, np.ndarray]           # columns, sorted by position
    licences: dict[str, np.ndarray]          # columns, sorted by position (country: a code)
    country_codes: Codes                     # of the licences' countries
    missions: dict[int, list[tuple]]         # position → (facility, status, starts, ends)
    bookings: dict[int, list[tuple]]         # position → (starts_at, ends_at)
    names: dict[int, str]

    def positions(self, ids) -> np.ndarray:
        """Positions of ``ids`` that are in the registry (others dropped)."""
        ids = np.asarray(ids, dtype=np.int64)
        found = np.searchsorted(self.ids, ids)
        inside = found < len(self.ids)
        found, ids = found[inside], ids[inside]
        return found[self.ids[found] == ids]

    def mask(self, positions: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[positions] = True
        return mask


def _stream(session, query):
    """The rows of ``query`` in lists of up to ``STREAM``, from a server-side cursor where the
    database has them (the whole result is never held at once)."""
    # on the statement: a connection's execution_options would stay set for the session
    result = session.connection().execute(query.execution_options(yield_per=STREAM))
    yield from result.partitions()


def _day_number(session, column):
    """A date column as days since 2000-01-01, computed by the database (an integer)."""
    if session.get_bind().dialect.name == "postgresql":
        return column - sa.literal(date(2000, 1, 1), sa.Date)
    return sa.cast(sa.func.julianday(column) - sa.func.julianday("2000-01-01"), sa.Integer)


def _day(day: date) -> int:
    """``day`` as the database gives it (``_day_number``)."""
    return day.toordinal() - ORDINAL_OFFSET


@cache
def _date_of(number: int) -> date:
    return date.fromordinal(number + ORDINAL_OFFSET)


def load_registry(session, all_terms: list[Terms], *, now: datetime,
                  settings: Settings) -> Registry:
    """Everything ``rank_many`` reads, in one query per table (see the module docstring)."""
    cadres = sorted({terms.cadre for terms in all_terms})
    eligible = sa.and_(Professional.consent_given.is_(True), sa.or_(
        Professional.cadre.in_(cadres), Professional.id.in_(
            sa.select(ProfessionalCadre.professional_id).where(ProfessionalCadre.cadre.in_(cadres)))))
    offers = sa.case((Professional.offers_physical, 2), else_=0) + \
        sa.case((Professional.offers_virtual, 1), else_=0)
    homes: dict[tuple, int] = {}
    registry = Registry(
        ids=np.empty(0, dtype=np.int64), cadre=np.empty(0, dtype=np.int32), cadres=Codes(),
        origin=np.empty(0, dtype=np.int32), origins=Codes(), home=np.empty(0, dtype=np.int32),
        homes=[], offers=np.empty(0, dtype=np.int8), other_cadres={}, specialties={},
        consents={}, skills={}, languages={}, windows={}, licences={}, country_codes=Codes(),
        missions={}, bookings={}, names={})
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for rows in _stream(session, sa.select(
            Professional.id, Professional.cadre, Professional.country_of_origin,
            Professional.country_of_residence, Professional.city_of_residence,
            Professional.timezone, Professional.latitude, Professional.longitude, offers)
            .where(eligible).order_by(Professional.id)):
        ids, cadre, origin, residence, city, zone, lat, lon, offered = zip(*rows)
        parts["ids"].append(np.array(ids, dtype=np.int64))
        parts["cadre"].append(registry.cadres.encode(cadre))
        parts["origin"].append(registry.origins.encode(origin))
        parts["home"].append(np.fromiter((homes.setdefault(
            (r, c, z, None if a is None or o is None else (a, o)), len(homes))
            for r, c, z, a, o in zip(residence, city, zone, lat, lon)),
            dtype=np.int32, count=len(rows)))
        parts["offers"].append(np.array(offered, dtype=np.int8))
    for name, chunks in parts.items():
        setattr(registry, name, np.concatenate(chunks))
    registry.homes = list(homes)
    inside = sa.select(Professional.id).where(eligible)   # professional_id IN (inside)
    _load_sets(session, registry, all_terms, inside)
    first = min(terms.first for terms in all_terms)
    last = max(terms.last for terms in all_terms)
    _load_windows(session, registry, inside, first, last)
    _load_licences(session, registry, inside, first, last,
                   sorted({terms.country for terms in all_terms if terms.licence_modes}))
    _load_missions(session, registry, inside, all_terms, now=now, settings=settings)
    _load_bookings(session, registry, inside, first, last)
    return registry


def _grouped_positions(registry: Registry, query, session) -> dict:
    """``query`` of ``(professional_id, key)`` rows as key → positions (sorted)."""
    ids, keys, codes = [], [], Codes()
    for rows in _stream(session, query):
        chunk_ids, chunk_keys = zip(*rows)
        ids.append(np.array(chunk_ids, dtype=np.int64))
        keys.append(codes.encode(chunk_keys))
    if not ids:
        return {}
    ids, keys = np.concatenate(ids), np.concatenate(keys)
    order = np.lexsort((ids, keys))
    ids, keys = ids[order], keys[order]
    bounds = np.searchsorted(keys, np.arange(len(codes.values_of) + 1))
    return {key: registry.positions(ids[bounds[code]:bounds[code + 1]])
            for code, key in enumerate(codes.values_of)}


def _load_sets(session, registry, all_terms, inside) -> None:
    cadres = sorted({terms.cadre for terms in all_terms})
    registry.other_cadres = _grouped_positions(registry, (
        sa.select(ProfessionalCadre.professional_id, ProfessionalCadre.cadre)
        .where(ProfessionalCadre.cadre.in_(cadres))), session)
    programmes = sorted({terms.programme_id for terms in all_terms
                         if terms.programme_id is not None})
    if programmes:
        registry.consents = _grouped_positions(registry, (
            sa.select(ProgrammeConsent.professional_id, ProgrammeConsent.programme_id)
            .where(ProgrammeConsent.programme_id.in_(programmes),
                   ProgrammeConsent.given.is_(True))), session)
    # What the needs ask for, among the members of their cadres (``inside``).
    asked = (
        ("specialties", ProfessionalSpecialty, ProfessionalSpecialty.specialty,
         {terms.specialty for terms in all_terms if terms.specialty}),
        ("skills", ProfessionalSkill, ProfessionalSkill.skill,
         {skill for terms in all_terms for skill in terms.skills}),
        ("languages", ProfessionalLanguage, ProfessionalLanguage.language,
         {code for terms in all_terms for code in terms.languages}),
    )
    for attribute, model, column, values in asked:
        if values:
            setattr(registry, attribute, _grouped_positions(registry, (
                sa.select(model.professional_id, column)
                .where(column.in_(sorted(values)), model.professional_id.in_(inside))), session))


def _columns(registry: Registry, session, query, names: tuple[str, ...],
             types: tuple) -> dict[str, np.ndarray]:
    """Rows ``(professional_id, *values)`` of ``query`` as arrays by name (of ``types``; a
    ``Codes`` for strings), sorted by position."""
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    for rows in _stream(session, query) if query is not None else ():
        columns = list(zip(*rows))
        parts["pos"].append(np.searchsorted(registry.ids, np.array(columns[0], dtype=np.int64)))
        for name, kind, values in zip(names, types, columns[1:]):
            if isinstance(kind, Codes):
                parts[name].append(kind.encode(values))
            elif kind is float:
                parts[name].append(np.array(values, dtype=float))   # None: NaN
            else:
                parts[name].append(np.array(values, dtype=kind))
    if not parts:
        return {"pos": np.empty(0, dtype=np.int64)} | {
            name: np.empty(0, dtype=float if kind is float else
                           np.int32 if isinstance(kind, Codes) else kind)
            for name, kind in zip(names, types)}
    arrays = {name: np.concatenate(chunks) for name, chunks in parts.items()}
    order = np.argsort(arrays["pos"], kind="stable")
    return {name: values[order] for name, values in arrays.items()}


def _load_windows(session, registry, inside, first: date, last: date) -> None:
    window = AvailabilityWindow
    registry.windows = _columns(registry, session, sa.select(
        window.professional_id,
        sa.case((window.kind == "available", AVAILABLE), else_=BLACKOUT),
        sa.case(*((window.mode == mode, code) for mode, code in MODE_CODES.items()), else_=-1),
        _day_number(session, window.starts_on), _day_number(session, window.ends_on),
        window.hours_per_week)
        .where(window.professional_id.in_(inside),
               window.starts_on <= last, window.ends_on >= first),
        ("kind", "mode", "first", "last", "hours"), (np.int8, np.int8, np.int32, np.int32, float))


def _load_licences(session, registry, inside, first: date, last: date,
                   countries: list[str]) -> None:
    query = sa.select(Licence.professional_id, Licence.country,
                      _day_number(session, Licence.valid_from),
                      _day_number(session, Licence.valid_until)).where(
        Licence.professional_id.in_(inside), Licence.country.in_(countries),
        Licence.valid_from <= last, Licence.valid_until >= first)
    registry.licences = _columns(registry, session, query if countries else None,
                                 ("country", "first", "last"),
                                 (registry.country_codes, np.int32, np.int32))


def _load_missions(session, registry, inside, all_terms, *, now, settings) -> None:
    """The missions any need's ``profiles._attach_missions`` could select."""
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    recent = now - timedelta(days=settings.recent_return_days)
    facilities = sorted({terms.facility_id for terms in all_terms})
    rows = session.execute(sa.select(Mission.professional_id, Mission.facility_id, Mission.status,
                                     Mission.starts_at, Mission.ends_at)
                           .where(Mission.status.in_(HOLDING),
                                  Mission.professional_id.in_(inside),
                                  sa.or_(Mission.facility_id.in_(facilities),
                                         Mission.ends_at >= recent,
                                         Mission.starts_at >= year_start)))
    for professional_id, *values in rows:
        position = registry.positions([professional_id])
        if len(position):
            registry.missions.setdefault(int(position[0]), []).append(tuple(values))


def _load_bookings(session, registry, inside, first: date, last: date) -> None:
    start = datetime.combine(first - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    rows = session.execute(sa.select(Booking.professional_id, Booking.starts_at, Booking.ends_at)
                           .where(Booking.active.is_(True), Booking.starts_at < end,
                                  Booking.ends_at > start,
                                  Booking.professional_id.in_(inside)))
    for professional_id, starts_at, ends_at in rows:
        position = registry.positions([professional_id])
        if len(position):
            registry.bookings.setdefault(int(position[0]), []).append((starts_at, ends_at))


def _marked(indexes: np.ndarray, count: int) -> np.ndarray:
    mask = np.zeros(count, dtype=bool)
    mask[indexes] = True
    return mask


# --- per need -------------------------------------------------------------------------------

class Ranker:
    """Ranks needs one after the other over one ``Registry``, keeping what needs share."""

    def __init__(self, session, registry: Registry, *, now: datetime, settings: Settings):
        self.session, self.registry, self.now, self.settings = session, registry, now, settings
        self._common: dict[tuple, np.ndarray] = {}
        self._common_masks: dict[tuple, np.ndarray] = {}
        self._cadre_rows: dict[tuple, dict[str, np.ndarray]] = {}
        self._skill_masks: dict[str, np.ndarray] = {}
        self._language_masks: dict[str, np.ndarray] = {}
        self._spans: dict[tuple, tuple] = {}
        # where each position's rows start in the windows and licences (sorted by position)
        everyone = np.arange(len(registry.ids) + 1)
        self._window_at = np.searchsorted(registry.windows["pos"], everyone)
        self._licence_at = np.searchsorted(registry.licences["pos"], everyone)

    def rank(self, terms: Terms, limit: int) -> Ranking:
        """As ``ranking.rank(session, terms, limit=limit)``."""
        passing = self._passing(terms)
        scoring = scoring_for(terms, self.settings, self.now)
        from_host = self._from(terms.country)[passing]
        fits: list[Fit] = []
        checked = 0
        for origin_match in (True, False):
            group = passing[from_host if origin_match else ~from_host]
            found, count = self._best_fits(group, terms, scoring, wanted=limit - len(fits))
            fits.extend(found)
            checked += count
            if len(fits) >= limit:
                break
        fits.sort(key=lambda fit: (not fit.origin_match, -fit.score, fit.first_start,
                                   fit.profile.id))
        return Ranking(fits=fits[:limit], checked=checked)

    # the hard filters

    def _members(self, terms: Terms) -> np.ndarray:
        """Positions passing cadre, consent and specialty."""
        key = (terms.cadre, terms.specialty, terms.programme_id)
        if key not in self._common:
            registry = self.registry
            mask = registry.cadre == registry.cadres.get(terms.cadre, -1)
            mask[registry.other_cadres.get(terms.cadre, [])] = True
            if terms.specialty:
                mask &= registry.mask(registry.specialties.get(terms.specialty, []))
            if terms.programme_id is not None:
                mask &= registry.mask(registry.consents.get(terms.programme_id, []))
            self._common[key] = np.flatnonzero(mask)
            self._common_masks[key] = mask
        return self._common[key]

    def _from(self, country: str) -> np.ndarray:
        """Whether each professional is of the diaspora of ``country``."""
        cache = self.__dict__.setdefault("_origins", {})
        if country not in cache:
            cache[country] = self.registry.origin == self.registry.origins.get(country, -1)
        return cache[country]

    def _members_mask(self, terms: Terms) -> np.ndarray:
        self._members(terms)
        return self._common_masks[(terms.cadre, terms.specialty, terms.programme_id)]

    def _skill_mask(self, skill: str) -> np.ndarray:
        if skill not in self._skill_masks:
            self._skill_masks[skill] = self.registry.mask(self.registry.skills.get(skill, []))
        return self._skill_masks[skill]

    def _rows_of(self, table: str, terms: Terms) -> dict[str, np.ndarray]:
        """The rows of ``table`` (windows, licences) of the need's members."""
        key = (table, terms.cadre, terms.specialty, terms.programme_id)
        if key not in self._cadre_rows:
            rows = getattr(self.registry, table)
            keep = self._members_mask(terms)[rows["pos"]]
            self._cadre_rows[key] = {name: values[keep] for name, values in rows.items()}
            # "at": the row's professional among the members (arrays as long as the members)
            self._cadre_rows[key]["at"] = np.searchsorted(self._members(terms),
                                                          self._cadre_rows[key]["pos"])
        return self._cadre_rows[key]

    def _passing(self, terms: Terms) -> np.ndarray:
        """Positions passing every hard filter, as ``filters.hard_filter_query``."""
        registry = self.registry
        members = self._members(terms)
        count = len(members)
        passing = np.zeros(count, dtype=bool)
        windows = self._rows_of("windows", terms)
        offers = registry.offers[members]
        for mode in terms.modes:
            ok = (offers & (2 if mode == Mode.PHYSICAL else 1)) > 0
            span = terms.span(mode) - 1
            last_start = _day(terms.last - timedelta(days=span))
            first_end = _day(terms.first + timedelta(days=span))
            if mode in terms.licence_modes:
                licences = self._rows_of("licences", terms)
                country = registry.country_codes.get(terms.country, -1)
                held = (licences["country"] == country) & \
                    (licences["first"] <= last_start) & (licences["last"] >= first_end)
                ok &= _marked(licences["at"][held], count)
            usable = self._usable(windows, terms, mode)
            first, last = _day(terms.first), _day(terms.last)
            starts = usable & (windows["first"] <= last_start) & (windows["last"] >= first)
            ends = usable & (windows["first"] <= last) & (windows["last"] >= first_end)
            ok &= _marked(windows["at"][starts], count) & _marked(windows["at"][ends], count)
            passing |= ok
        return members[passing]

    @staticmethod
    def _usable(windows: dict[str, np.ndarray], terms: Terms, mode: str) -> np.ndarray:
        """Rows of available windows of ``mode`` (online: with enough hours a week)."""
        usable = (windows["kind"] == AVAILABLE) & (
            (windows["mode"] == MODE_CODES[mode]) | (windows["mode"] == MODE_CODES[Mode.EITHER]))
        if mode == Mode.VIRTUAL:
            usable &= windows["hours"] >= terms.weekly_hours   # NaN (none given): no
        return usable

    # bounds and checks

    def _best_fits(self, group: np.ndarray, terms: Terms, scoring, *,
                   wanted: int) -> tuple[list[Fit], int]:
        """As ``ranking._best_fits`` over the positions ``group``."""
        if not len(group):
            return [], 0
        bounds = self._bounds(group, terms, scoring)
        order = np.argsort(-bounds, kind="stable")
        queue, bounds = group[order], bounds[order]
        fits: list[Fit] = []
        # The first batch is no larger than the places to fill: profiles here cost Python time,
        # bounds are cheap, so the bound is checked again sooner than ``ranking`` does.
        checked, batch = 0, min(FIRST_BATCH, max(wanted, 1))
        while checked < len(queue):
            if len(fits) >= wanted and \
                    heapq.nlargest(wanted, (fit.score for fit in fits))[-1] > bounds[checked]:
                break
            chunk = queue[checked:checked + batch]
            fits.extend(fit for position in chunk.tolist()
                        if (fit := best_fit(self._profile(position, terms), scoring))
                        is not None)
            checked += len(chunk)
            batch *= 2
        return fits, checked

    def _bounds(self, group: np.ndarray, terms: Terms, scoring) -> np.ndarray:
        """An upper bound of each score in ``group``: ``scoring.upper_bound`` per mode — computed
        once per kind of professional (modes offered, home, skills asked held, mission facts) —
        lowered by the days their windows of that mode leave out of the need's window (they
        are free on no more days than their windows hold), with 0.1 for the rounding."""
        registry = self.registry
        skills = sorted(terms.skills)
        bits = np.zeros(len(group), dtype=np.int64)
        for index, skill in enumerate(skills):
            bits |= self._skill_mask(skill)[group].astype(np.int64) << index
        languages = terms.languages
        spoken_bits = np.zeros(len(group), dtype=np.int64)
        for index, code in enumerate(languages):
            spoken_bits |= self._language_mask(code)[group].astype(np.int64) << index
        bits = (bits << len(languages)) | spoken_bits
        language_bits = (1 << len(languages)) - 1
        # Missions enter the bound by continuity only (missions done here): fairness is taken
        # at its best, 1, so that the bound holds for all with a few kinds.
        facts = np.zeros(len(group), dtype=np.int64)
        kinds_of_facts: dict[tuple, int] = {(0, None, 0): 0}
        with_missions = np.flatnonzero(self._with_missions()[group])
        for index in with_missions:
            done_here = self._mission_facts(int(group[index]), terms)[0]
            facts[index] = kinds_of_facts.setdefault((done_here, None, 0), len(kinds_of_facts))
        facts_of = {index: fact for fact, index in kinds_of_facts.items()}
        keys = ((registry.offers[group] * len(registry.homes) + registry.home[group])
                * (1 << (len(skills) + len(languages))) + bits) * len(kinds_of_facts) + facts
        kinds, first_of_kind, inverse = np.unique(keys, return_index=True, return_inverse=True)
        best = np.full(len(group), -np.inf)
        for mode in terms.modes:
            values = np.full(len(kinds), -np.inf)
            for index, at in enumerate(first_of_kind):
                offers = int(registry.offers[group[at]])
                if mode not in OFFERED[bool(offers & 2), bool(offers & 1)]:
                    continue
                residence, city, zone, location = registry.homes[registry.home[group[at]]]
                done_here, last_return, this_year = facts_of[int(facts[at])]
                held = int(bits[at]) >> len(languages)
                spoken = int(bits[at]) & language_bits
                profile = Profile(
                    id=0, name="", origin="", residence=residence, city=city, zone=zone,
                    location=location, modes=(mode,),
                    skills=frozenset(s for i, s in enumerate(skills) if held >> i & 1),
                    done_here=done_here, last_return=last_return, missions_this_year=this_year)
                values[index] = upper_bound(profile, scoring, spoken=tuple(
                    code for i, code in enumerate(languages) if spoken >> i & 1))
            missing = 1 - np.minimum(self._window_days(group, terms, mode), terms.days) / terms.days
            share = scoring.shares[mode].get("availability", 0.0)
            best = np.maximum(best, values[inverse.reshape(-1)] + 0.1 - 100 * share * missing)
        return best

    def _with_missions(self) -> np.ndarray:
        if not hasattr(self, "_missions_mask"):
            self._missions_mask = self.registry.mask(np.fromiter(self.registry.missions,
                                                                 dtype=np.int64))
        return self._missions_mask

    def _window_days(self, group: np.ndarray, terms: Terms, mode: str) -> np.ndarray:
        """For each of ``group``, the days of the need's window their windows of ``mode`` hold
        (counted once per window: at least the days they could be free)."""
        windows = self._rows_of("windows", terms)
        usable = self._usable(windows, terms, mode)
        first, last = _day(terms.first), _day(terms.last)
        days = np.minimum(windows["last"], last) - np.maximum(windows["first"], first) + 1
        days = np.where(usable, np.maximum(days, 0), 0)
        members = self._members(terms)
        held = np.bincount(windows["at"], weights=days, minlength=len(members))
        return held[np.searchsorted(members, group)]

    def _mission_facts(self, position: int, terms: Terms) -> tuple:
        """(done here, last return, missions this year), as ``profiles._attach_missions``."""
        now, settings = self.now, self.settings
        year_start = datetime(now.year, 1, 1, tzinfo=UTC)
        next_year = datetime(now.year + 1, 1, 1, tzinfo=UTC)
        recent = now - timedelta(days=settings.recent_return_days)
        done_here, last_return, this_year = 0, None, 0
        for facility_id, status, starts_at, ends_at in self.registry.missions[position]:
            if not (facility_id == terms.facility_id or ends_at >= recent or starts_at >= year_start):
                continue
            done = status in DONE
            if done and facility_id == terms.facility_id:
                done_here += 1
            if done and ends_at <= now:
                last_return = max(ends_at, last_return or ends_at)
            if year_start <= starts_at < next_year:
                this_year += 1
        return done_here, last_return, this_year

    def _language_mask(self, code: str) -> np.ndarray:
        if code not in self._language_masks:
            self._language_masks[code] = self.registry.mask(
                self.registry.languages.get(code, []))
        return self._language_masks[code]

    def _span(self, terms: Terms) -> tuple:
        """The need's window as a UTC span in the host's zone, and that zone."""
        host = terms.zone or "UTC"
        key = (terms.first, terms.last, host)
        if key not in self._spans:
            self._spans[key] = (*day_span(terms.first, terms.last, host), ZoneInfo(host))
        return self._spans[key]

    def _profile(self, position: int, terms: Terms) -> Profile:
        """The professional as ``profiles.load_batch`` makes them."""
        registry = self.registry
        residence, city, zone, location = registry.homes[registry.home[position]]
        offers = int(registry.offers[position])
        done_here, last_return, this_year = self._mission_facts(position, terms) \
            if position in registry.missions else (0, None, 0)
        first, last = _day(terms.first), _day(terms.last)
        windows, blackouts = [], []
        lo, hi = int(self._window_at[position]), int(self._window_at[position + 1])
        if lo < hi:
            rows = registry.windows
            for kind, mode, start, end, hours in zip(
                    rows["kind"][lo:hi].tolist(), rows["mode"][lo:hi].tolist(),
                    rows["first"][lo:hi].tolist(), rows["last"][lo:hi].tolist(),
                    rows["hours"][lo:hi].tolist()):
                if start <= last and end >= first:
                    if kind == AVAILABLE:
                        windows.append((MODES_OF_CODES[mode], _date_of(start), _date_of(end),
                                        None if hours != hours else hours))   # NaN: none given
                    else:
                        blackouts.append((_date_of(start), _date_of(end)))
        licences = []
        lo, hi = int(self._licence_at[position]), int(self._licence_at[position + 1])
        if terms.licence_modes and lo < hi:
            rows = registry.licences
            country = registry.country_codes.get(terms.country, -1)
            licences = [(_date_of(start), _date_of(end)) for code, start, end in zip(
                rows["country"][lo:hi].tolist(), rows["first"][lo:hi].tolist(),
                rows["last"][lo:hi].tolist())
                if code == country and start <= last and end >= first]
        booked = ()
        if position in registry.bookings:
            window_start, window_end, zone_info = self._span(terms)
            booked = tuple((starts_at.astimezone(zone_info).date(),
                            (ends_at - timedelta(microseconds=1)).astimezone(zone_info).date())
                           for starts_at, ends_at in registry.bookings[position]
                           if starts_at < window_end and ends_at > window_start)
        return Profile(
            id=int(registry.ids[position]), name="",
            origin=registry.origins.values_of[registry.origin[position]],
            residence=residence, city=city, zone=zone, location=location,
            modes=OFFERED[bool(offers & 2), bool(offers & 1)],
            languages=frozenset(code for code in terms.languages
                                if self._language_mask(code)[position]),
            skills=frozenset(skill for skill in terms.skills if self._skill_mask(skill)[position]),
            done_here=done_here, last_return=last_return, missions_this_year=this_year,
            windows=tuple(windows), blackouts=tuple(blackouts), booked=booked,
            licences=tuple(licences))


def _name_fits(session, rankings: list[Ranking]) -> None:
    """Give the candidates kept their names: one look-up for all (``CHUNK`` ids at a time)."""
    ids = sorted({fit.profile.id for ranking in rankings for fit in ranking.fits})
    names = {}
    for start in range(0, len(ids), CHUNK):
        names.update((professional_id, f"{given} {family}")
                     for professional_id, given, family in session.execute(
                         sa.select(Professional.id, Professional.given_name,
                                   Professional.family_name)
                         .where(Professional.id.in_(ids[start:start + CHUNK]))))
    for ranking in rankings:
        for fit in ranking.fits:
            fit.profile.name = names[fit.profile.id]


def rank_many(session, all_terms: list[Terms], *, now: datetime, settings: Settings, limit: int,
              progress: Callable[[int, int], None] | None = None, every: int = 10):
    """``(terms, ranking)`` of each of ``all_terms``, as ``ranking.rank(..., limit=limit)``."""
    if not all_terms:
        return
    if progress:
        progress(0, len(all_terms))
    ranker = Ranker(session, load_registry(session, all_terms, now=now, settings=settings),
                    now=now, settings=settings)
    rankings = []
    for done, terms in enumerate(all_terms, start=1):
        rankings.append(ranker.rank(terms, limit))
        if progress and (done % every == 0 or done == len(all_terms)):
            progress(done, len(all_terms))
    del ranker   # the registry: only the rankings are kept
    _name_fits(session, rankings)
    yield from zip(all_terms, rankings)
