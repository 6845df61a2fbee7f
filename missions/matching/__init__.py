"""Explainable matching: the ranked shortlist of professionals for one approved need.

How a shortlist is made:

1. **Hard filters, in SQL** (one query, ``hard_filters``): consent given; the cadre (and the
   specialty when the need names one); a mode the need accepts and the professional offers; for
   in-person clinical work a licence in the host country that could cover a stay inside the
   need's window; availability windows that could hold the work. The query is a necessary
   condition, cheap enough to run over the whole registry.
2. **Ranking**: the diaspora of the host country first, then by score, then by the earliest
   start. So the host country's diaspora is examined first, the others only when fewer than
   the number asked for can do the work.
3. **Upper bounds**: for those who pass, the skills asked for that they have and their
   missions are loaded in bulk (one query each, ``IN`` on their ids). That bounds each
   professional's score: what it would be were they free on every day of the window and
   speaking every language asked.
4. **Exact checks**, in the order of the upper bound and in growing batches, until nobody left
   could enter the list: windows, blackouts, bookings, licences and languages are loaded for
   the batch, and availability is worked out day by day over the need's window, mode by mode
   — available
   days (windows of that mode; online, with enough hours a week) minus blackouts minus days
   already booked; a run of consecutive days long enough for the work; for in-person clinical
   work one licence valid in the host country on every day of the run (the rule of
   ``missions.core.licences.has_licence_for``).
5. **Soft scores** (each 0..1, weighted by ``MATCH_WEIGHTS``) make a score of 0..100; the
   professional's best mode is suggested, with the earliest start that works.

Explanations (translatable sentences) are written only for the candidates shown.
"""
from __future__ import annotations

import heapq
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql

from diaspora import audit, reference
from diaspora.config import Config
from diaspora.errors import Conflict
from diaspora.geo import distance_km
from diaspora.needs import services as needs
from diaspora.needs.models import Need
from diaspora.professionals.models import (AvailabilityWindow, Licence, Professional,
                                           ProfessionalLanguage, ProfessionalSkill,
                                           ProfessionalSpecialty)

from ..core.models import HOLDING, Booking, Mission
from ..core.access import DONE
from ..core.licences import needs_valid_licence
from ..sessions.series import day_span

MATCHABLE = ("approved", "matched")
MODES = ("physical", "virtual")
OFFERED = {(True, True): MODES, (True, False): ("physical",), (False, True): ("virtual",),
           (False, False): ()}   # (offers_physical, offers_virtual) → modes
CHUNK = 5000                 # ids per IN (...) list
FIRST_BATCH = 100            # professionals checked first; each further batch twice as many
DISTANCE_HALF_SCORE_KM = 5000  # a home this far from the facility scores 0.5 on distance
MAX_HOURS_APART = 12         # a time difference this large scores 0 on time zone
NEUTRAL = 0.5                # the score of a criterion that cannot be measured

CRITERION_LABELS = {
    "skill": _l("Skills"),
    "availability": _l("Availability"),
    "language": _l("Languages"),
    "timezone": _l("Time zone"),
    "distance": _l("Distance"),
    "continuity": _l("Continuity"),
    "fairness": _l("Fairness"),
}
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


@dataclass(frozen=True)
class Settings:
    """How candidates are weighed (see README, "Matching")."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(Config.MATCH_WEIGHTS))
    recent_return_days: int = 90     # a mission ended this recently lowers fairness
    busy_missions_per_year: int = 4  # this many missions in the year bring fairness to 0

    @classmethod
    def from_config(cls, config: Mapping) -> Settings:
        return cls(weights=config["MATCH_WEIGHTS"],
                   recent_return_days=config.get("MATCH_RECENT_RETURN_DAYS",
                                                 cls.recent_return_days),
                   busy_missions_per_year=config.get("MATCH_BUSY_MISSIONS_PER_YEAR",
                                                     cls.busy_missions_per_year))


@dataclass(frozen=True)
class Criterion:
    key: str
    score: float      # 0..1
    weight: float     # from Settings.weights
    explanation: str


@dataclass(frozen=True)
class Candidate:
    """One line of a shortlist: enough for a manager to propose a mission directly."""

    professional_id: int
    name: str
    score: float              # 0..100
    origin_match: bool        # from the host country's diaspora
    mode: str                 # suggested: physical or virtual
    suggested_start: date
    suggested_end: date
    criteria: list[Criterion]
    checks: list[str]         # hard requirements met that a manager should know of (licence)


# --- what the need asks -------------------------------------------------------------------

@dataclass(frozen=True)
class Terms:
    """What a need asks, as plain values; days are the host facility's local dates."""

    need_id: int
    facility_id: int
    country: str
    zone: str | None
    location: tuple[float, float] | None
    cadre: str
    specialty: str | None
    skills: frozenset[str]
    languages: tuple[str, ...]
    modes: tuple[str, ...]            # the modes the need accepts
    licence_modes: frozenset[str]     # modes in which a host-country licence is required
    first: date                       # earliest start
    last: date                        # latest end
    stay_days: int                    # in person: days in the country
    weeks: int                        # online: weeks of weekly sessions
    weekly_hours: float               # online: sessions a week × hours a session

    @property
    def days(self) -> int:
        """Days in the need's window."""
        return (self.last - self.first).days + 1

    def span(self, mode: str) -> int:
        """Days the work takes: the stay, or the first to the last of the weekly sessions."""
        return self.stay_days if mode == "physical" else 7 * (self.weeks - 1) + 1


def terms_of(need: Need) -> Terms:
    facility = need.facility
    modes = MODES if need.mode == "either" else (need.mode,)
    location = None
    if facility.latitude is not None and facility.longitude is not None:
        location = (facility.latitude, facility.longitude)
    return Terms(
        need_id=need.id, facility_id=facility.id, country=facility.country,
        zone=facility.timezone, location=location, cadre=need.cadre, specialty=need.specialty,
        skills=frozenset(" ".join(s.lower().split()) for s in need.skills or []),
        languages=tuple(need.languages or []), modes=modes,
        licence_modes=frozenset(m for m in modes if needs_valid_licence(need, m)),
        first=need.earliest_start, last=need.latest_end, stay_days=need.duration_days or 1,
        weeks=need.weeks or 1, weekly_hours=need.weekly_hours or 0.0)


# --- hard filters in SQL ------------------------------------------------------------------

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
    conditions = {"cadre": Professional.cadre == terms.cadre,
                  "consent": Professional.consent_given.is_(True)}
    if terms.specialty:
        conditions["specialty"] = sa.exists().where(
            ProfessionalSpecialty.professional_id == Professional.id,
            ProfessionalSpecialty.specialty == terms.specialty)
    return conditions


def _mode_conditions(terms: Terms, mode: str) -> dict[str, sa.ColumnElement[bool]]:
    offered = Professional.offers_physical if mode == "physical" else Professional.offers_virtual
    span = timedelta(days=terms.span(mode) - 1)
    last_start, first_end = terms.last - span, terms.first + span
    conditions = {"mode": offered.is_(True)}
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
                  AvailabilityWindow.mode.in_((mode, "either")),
                  AvailabilityWindow.starts_on <= starts_by,
                  AvailabilityWindow.ends_on >= ends_from]
    if mode == "virtual":
        conditions.append(AvailabilityWindow.hours_per_week >= terms.weekly_hours)
    return sa.exists().where(*conditions)


def hard_filter_query(terms: Terms, *columns, where=()) -> sa.Select | sa.CompoundSelect:
    """``columns`` (the id by default) of the professionals who pass the hard filters.

    One SELECT per mode the need accepts, joined by UNION: PostgreSQL plans each mode's
    EXISTS conditions as joins, which it cannot do for an OR of them.
    """
    common = list(_common_conditions(terms).values())
    selects = [sa.select(*(columns or [Professional.id]))
               .where(*common, *_mode_conditions(terms, mode).values(), *where)
               for mode in terms.modes]
    return selects[0] if len(selects) == 1 else sa.union(*selects)


def candidates_query(terms: Terms, *, origin_match: bool) -> sa.Select | sa.CompoundSelect:
    """The professionals who pass the hard filters, with the columns a profile needs: those
    from the host country, or (``origin_match`` false) the others."""
    from_host = Professional.country_of_origin == terms.country
    return hard_filter_query(
        terms, Professional.id, Professional.given_name, Professional.family_name,
        Professional.country_of_origin, Professional.country_of_residence,
        Professional.city_of_residence, Professional.timezone, Professional.latitude,
        Professional.longitude, Professional.offers_physical, Professional.offers_virtual,
        where=[from_host if origin_match else ~from_host])


# --- profiles, loaded in two steps --------------------------------------------------------

@dataclass(slots=True)
class Profile:
    """A professional as matching sees them: what the checks and scores are computed from.

    Loaded in two steps (see ``rank``): first what the upper bound needs, then, for the
    professionals checked, their windows, blackouts, bookings, licences and languages.
    """

    id: int
    name: str
    origin: str
    residence: str
    city: str | None
    zone: str
    location: tuple[float, float] | None
    modes: tuple[str, ...]                        # the modes offered
    languages: frozenset[str] = frozenset()       # those asked that they speak
    skills: frozenset[str] = frozenset()          # those asked that they have
    done_here: int = 0                            # completed missions at this facility
    last_return: datetime | None = None           # end of the latest completed mission
    missions_this_year: int = 0
    windows: tuple[tuple[str, date, date, float | None], ...] = ()   # mode, first, last, hours
    blackouts: tuple[tuple[date, date], ...] = ()
    booked: tuple[tuple[date, date], ...] = ()    # days in the host's zone
    licences: tuple[tuple[date, date], ...] = ()  # in the host country


def load_profiles(session, terms: Terms, *, origin_match: bool, now: datetime,
                  settings: Settings) -> dict[int, Profile]:
    """Run the hard-filter query, then load the skills and missions of those who pass (one
    query each)."""
    query = candidates_query(terms, origin_match=origin_match)
    profiles = {row[0]: _profile(row) for row in session.execute(query)}
    for chunk in _chunks(list(profiles)):
        if terms.skills:
            _attach_skills(session, terms, profiles, chunk)
        _attach_missions(session, terms, profiles, chunk, now=now, settings=settings)
    return profiles


def load_details(session, terms: Terms, profiles: dict[int, Profile]) -> None:
    """Load the windows, blackouts, bookings, licences and languages of ``profiles`` (one
    query each)."""
    for chunk in _chunks(list(profiles)):
        _attach_windows(session, terms, profiles, chunk)
        _attach_bookings(session, terms, profiles, chunk)
        if terms.licence_modes:
            _attach_licences(session, terms, profiles, chunk)
        if terms.languages:
            _attach_languages(session, terms, profiles, chunk)


def _profile(row) -> Profile:
    """A profile from a row of ``candidates_query``."""
    (professional_id, given_name, family_name, origin, residence, city, zone, latitude,
     longitude, physical, virtual) = row
    location = None if latitude is None or longitude is None else (latitude, longitude)
    return Profile(id=professional_id, name=f"{given_name} {family_name}", origin=origin,
                   residence=residence, city=city, zone=zone, location=location,
                   modes=OFFERED[physical, virtual])


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    return (ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK))


def _among(session, column, ids: list[int]) -> sa.ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL as one array parameter (``= ANY``), which binds and
    plans much faster than thousands of parameters."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, ids, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _grouped(rows) -> dict[int, list[tuple]]:
    """Rows ``(professional_id, *values)`` as professional id → list of value tuples."""
    grouped = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    return grouped


def _attach_languages(session, terms, profiles, ids) -> None:
    spoken = ProfessionalLanguage
    rows = session.execute(sa.select(spoken.professional_id, spoken.language)
                           .where(_among(session, spoken.professional_id, ids),
                                  spoken.language.in_(terms.languages)))
    for professional_id, codes in _grouped(rows).items():
        profiles[professional_id].languages = frozenset(code for (code,) in codes)


def _attach_skills(session, terms, profiles, ids) -> None:
    skill = ProfessionalSkill
    rows = session.execute(sa.select(skill.professional_id, skill.skill)
                           .where(_among(session, skill.professional_id, ids),
                                  skill.skill.in_(sorted(terms.skills))))
    for professional_id, skills in _grouped(rows).items():
        profiles[professional_id].skills = frozenset(name for (name,) in skills)


def _attach_missions(session, terms, profiles, ids, *, now, settings) -> None:
    """Missions that count for continuity (done here) or fairness (recent, or this year)."""
    year_start = datetime(now.year, 1, 1, tzinfo=timezone.utc)
    next_year = datetime(now.year + 1, 1, 1, tzinfo=timezone.utc)
    recent = now - timedelta(days=settings.recent_return_days)
    rows = session.execute(sa.select(Mission.professional_id, Mission.facility_id, Mission.status,
                                     Mission.starts_at, Mission.ends_at)
                           .where(_among(session, Mission.professional_id, ids),
                                  Mission.status.in_(HOLDING),
                                  sa.or_(Mission.facility_id == terms.facility_id,
                                         Mission.ends_at >= recent,
                                         Mission.starts_at >= year_start)))
    for professional_id, facility_id, status, starts_at, ends_at in rows:
        profile = profiles[professional_id]
        done = status in DONE
        if done and facility_id == terms.facility_id:
            profile.done_here += 1
        if done and ends_at <= now:
            profile.last_return = max(ends_at, profile.last_return or ends_at)
        if year_start <= starts_at < next_year:
            profile.missions_this_year += 1


def _attach_windows(session, terms, profiles, ids) -> None:
    window = AvailabilityWindow
    rows = session.execute(sa.select(window.professional_id, window.kind, window.mode,
                                     window.starts_on, window.ends_on, window.hours_per_week)
                           .where(_among(session, window.professional_id, ids),
                                  window.starts_on <= terms.last, window.ends_on >= terms.first))
    for professional_id, windows in _grouped(rows).items():
        profile = profiles[professional_id]
        profile.windows = tuple((mode, first, last, hours)
                                for kind, mode, first, last, hours in windows
                                if kind == "available")
        profile.blackouts = tuple((first, last) for kind, _mode, first, last, _hours in windows
                                  if kind == "blackout")


def _attach_bookings(session, terms, profiles, ids) -> None:
    zone = ZoneInfo(terms.zone or "UTC")
    window_start, window_end = day_span(terms.first, terms.last, terms.zone or "UTC")
    rows = session.execute(sa.select(Booking.professional_id, Booking.starts_at, Booking.ends_at)
                           .where(_among(session, Booking.professional_id, ids),
                                  Booking.active.is_(True),
                                  Booking.starts_at < window_end, Booking.ends_at > window_start))
    for professional_id, bookings in _grouped(rows).items():
        profiles[professional_id].booked = tuple(
            (starts_at.astimezone(zone).date(),
             (ends_at - timedelta(microseconds=1)).astimezone(zone).date())
            for starts_at, ends_at in bookings)


def _attach_licences(session, terms, profiles, ids) -> None:
    # The country is checked here, not in SQL: given it, SQLite's planner may pick the
    # (country, valid_until) index and read every licence of the country.
    rows = session.execute(sa.select(Licence.professional_id, Licence.country, Licence.valid_from,
                                     Licence.valid_until)
                           .where(_among(session, Licence.professional_id, ids),
                                  Licence.valid_from <= terms.last,
                                  Licence.valid_until >= terms.first))
    for professional_id, licences in _grouped(rows).items():
        profiles[professional_id].licences = tuple(
            (valid_from, valid_until) for country, valid_from, valid_until in licences
            if country == terms.country)


# --- checks and scores --------------------------------------------------------------------

CRITERIA = ("skill", "availability", "language", "timezone", "distance", "continuity",
            "fairness")
NOT_FOR_MODE = {"physical": "timezone", "virtual": "distance"}


@dataclass(frozen=True)
class Scoring:
    """What scoring the candidates of one need shares."""

    terms: Terms
    settings: Settings
    now: datetime
    shares: Mapping[str, Mapping[str, float]]   # mode → criterion → share of the score (sum 1)


def scoring_for(terms: Terms, settings: Settings, now: datetime) -> Scoring:
    """Each criterion's share of the score in each mode: its weight over the weights of the
    criteria that apply (time zone to online work, distance to work in person)."""
    shares = {}
    for mode in MODES:
        weights = {key: settings.weights.get(key, 0.0) for key in CRITERIA
                   if key != NOT_FOR_MODE[mode]}
        total = sum(weights.values())
        shares[mode] = {key: weight / total if total > 0 else 0.0
                        for key, weight in weights.items()}
    return Scoring(terms=terms, settings=settings, now=now, shares=shares)


@dataclass(frozen=True)
class Fit:
    """A professional who can do the work in one mode: when, and how well."""

    profile: Profile
    mode: str
    origin_match: bool
    first_start: date
    free: bytes                           # one byte per day of the need's window: 1 = free
    stretches: tuple[tuple[int, int], ...]  # day ranges the work may use (licence validity)
    span: int                             # days the work takes
    facts: Mapping[str, object]           # what each criterion measured
    scores: Mapping[str, float]           # criterion → 0..1
    score: float                          # 0..100

    @property
    def first_end(self) -> date:
        return self.first_start + timedelta(days=self.span - 1)

    def starts(self, terms: Terms) -> list[date]:
        """Every day the work could start."""
        pattern = _run_pattern(self.span)
        indexes = {match.start() for first, last in self.stretches
                   for match in pattern.finditer(self.free, first, last + 1)}
        return [terms.first + timedelta(days=i) for i in sorted(indexes)]


def best_fit(profile: Profile, scoring: Scoring) -> Fit | None:
    """The professional's best mode for the need, or None when no mode passes the checks."""
    fits = [fit for mode in scoring.terms.modes if mode in profile.modes
            if (fit := _fit(profile, mode, scoring)) is not None]
    return max(fits, key=lambda fit: fit.score, default=None)


def upper_bound(profile: Profile, scoring: Scoring) -> float:
    """The best score the professional could reach, were they free every day of the window and
    speaking every language asked: computed before those are loaded, it tells who is worth
    checking."""
    terms = scoring.terms
    best = 0.0
    for mode in terms.modes:
        if mode in profile.modes:
            facts = _facts(profile, mode, terms.days, terms.languages, scoring)
            best = max(best, _total(_scores(facts, scoring), scoring.shares[mode]))
    return best


def _fit(profile: Profile, mode: str, scoring: Scoring) -> Fit | None:
    terms = scoring.terms
    free = _free_days(profile, mode, terms)
    span = terms.span(mode)
    stretches = _stretches(profile, mode, terms)
    first_index = _first_run(free, span, stretches)
    if first_index is None:
        return None
    spoken = tuple(code for code in terms.languages if code in profile.languages)
    facts = _facts(profile, mode, free.count(1), spoken, scoring)
    scores = _scores(facts, scoring)
    return Fit(profile=profile, mode=mode, origin_match=profile.origin == terms.country,
               first_start=terms.first + timedelta(days=first_index), free=bytes(free),
               stretches=stretches, span=span, facts=facts, scores=scores,
               score=_total(scores, scoring.shares[mode]))


def _free_days(profile: Profile, mode: str, terms: Terms) -> bytearray:
    """One byte per day of the need's window: 1 when the professional can work that day in
    ``mode`` (an available window of that mode — online with enough hours a week — and no
    blackout or booking)."""
    free = bytearray(terms.days)
    for window_mode, first, last, hours in profile.windows:
        if window_mode in (mode, "either") and (
                mode == "physical" or (hours is not None and hours >= terms.weekly_hours)):
            _mark(free, terms, first, last, 1)
    for first, last in profile.blackouts + profile.booked:
        _mark(free, terms, first, last, 0)
    return free


def _mark(days: bytearray, terms: Terms, first: date, last: date, value: int) -> None:
    start = max((first - terms.first).days, 0)
    end = min((last - terms.first).days, len(days) - 1)
    if start <= end:
        days[start:end + 1] = bytes([value]) * (end - start + 1)


def _stretches(profile: Profile, mode: str, terms: Terms) -> tuple[tuple[int, int], ...]:
    """Day ranges the work must fit in: the whole window, or — when a licence is required —
    the validity of each host-country licence (one licence must cover every day)."""
    if mode not in terms.licence_modes:
        return ((0, terms.days - 1),)
    stretches = []
    for valid_from, valid_until in profile.licences:
        start = max((valid_from - terms.first).days, 0)
        end = min((valid_until - terms.first).days, terms.days - 1)
        if start <= end:
            stretches.append((start, end))
    return tuple(stretches)


def _first_run(free: bytearray, span: int, stretches) -> int | None:
    """The first day a run of ``span`` free days starts, inside one stretch."""
    run = b"\x01" * span
    found = [index for first, last in stretches
             if (index := free.find(run, first, last + 1)) >= 0]
    return min(found, default=None)


@lru_cache(maxsize=128)
def _run_pattern(span: int) -> re.Pattern[bytes]:
    """Matches (without consuming) where a run of ``span`` free days starts."""
    return re.compile(b"(?=\x01{%d})" % span)


def _facts(profile: Profile, mode: str, free_days: int, spoken: tuple[str, ...],
           scoring: Scoring) -> dict[str, object]:
    """What each criterion that applies to ``mode`` measures, in the order of ``CRITERIA``."""
    terms = scoring.terms
    facts: dict[str, object] = {
        "skill": sorted(profile.skills),
        "availability": free_days,
        "language": spoken,
    }
    if mode == "virtual":
        facts["timezone"] = _hours_apart(profile.zone, terms.zone, (terms.first, terms.last))
    else:
        facts["distance"] = _km(profile.location, terms.location)
    facts["continuity"] = profile.done_here
    facts["fairness"] = (_days_since(profile.last_return, scoring.now), profile.missions_this_year)
    return facts


def _days_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else (now - moment).days


@lru_cache(maxsize=4096)
def _hours_apart(zone: str, other: str | None, days: tuple[date, ...]) -> float | None:
    """The largest time difference on the given days (clocks change between them)."""
    if not other:
        return None
    return max(abs(_utc_offset(zone, day) - _utc_offset(other, day)) for day in days) / 3600


def _utc_offset(zone: str, day: date) -> float:
    noon = datetime.combine(day, time(12), tzinfo=timezone.utc)
    return noon.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()


@lru_cache(maxsize=4096)
def _km(home: tuple[float, float] | None, facility: tuple[float, float] | None) -> float | None:
    if home is None or facility is None:
        return None
    return distance_km(home, facility)


def _scores(facts: Mapping[str, object], scoring: Scoring) -> dict[str, float]:
    return {key: SCORERS[key](fact, scoring) for key, fact in facts.items()}


def _total(scores: Mapping[str, float], shares: Mapping[str, float]) -> float:
    """0..100: the criteria's scores weighted by their shares."""
    return round(100 * sum(shares[key] * score for key, score in scores.items()), 1)


def _skill_score(matched, scoring: Scoring) -> float:
    asked = scoring.terms.skills
    return len(matched) / len(asked) if asked else 1.0


def _availability_score(free_days, scoring: Scoring) -> float:
    return free_days / scoring.terms.days


def _language_score(spoken, scoring: Scoring) -> float:
    asked = scoring.terms.languages
    return len(spoken) / len(asked) if asked else 1.0


def _timezone_score(hours, scoring: Scoring) -> float:
    return NEUTRAL if hours is None else 1 - min(hours, MAX_HOURS_APART) / MAX_HOURS_APART


def _distance_score(km, scoring: Scoring) -> float:
    return NEUTRAL if km is None else 1 / (1 + km / DISTANCE_HALF_SCORE_KM)


def _continuity_score(done_here, scoring: Scoring) -> float:
    """0 for a first visit, then 1/2, 2/3, 3/4 …: every return is valued, less and less."""
    return done_here / (done_here + 1)


def _fairness_score(fact, scoring: Scoring) -> float:
    """Lower for a recent return (rising back to 1 over ``recent_return_days``) and for a
    year already full of missions."""
    days_since, this_year = fact
    settings = scoring.settings
    recency = 1.0 if days_since is None else min(1.0, days_since / settings.recent_return_days)
    load = max(0.0, 1 - this_year / settings.busy_missions_per_year)
    return recency * load


SCORERS = {
    "skill": _skill_score,
    "availability": _availability_score,
    "language": _language_score,
    "timezone": _timezone_score,
    "distance": _distance_score,
    "continuity": _continuity_score,
    "fairness": _fairness_score,
}


# --- ranking ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ranking:
    fits: list[Fit]       # best first
    checked: int          # professionals that passed the SQL filters and were checked


def rank(session, terms: Terms, *, now: datetime, settings: Settings,
         limit: int | None = None) -> Ranking:
    """The best ``limit`` professionals who can do the work (all when no limit), best first.

    The host country's diaspora ranks first, so they are checked first, the others only when
    fewer than ``limit`` of them can do the work. Within each group, professionals are checked
    in the order of their upper bound (``upper_bound``), in growing batches, until nobody left
    could enter the best ``limit``: the result is exact, and most of a large group is never
    checked.
    """
    scoring = scoring_for(terms, settings, now)
    fits: list[Fit] = []
    checked = 0
    for origin_match in (True, False):
        profiles = load_profiles(session, terms, now=now, settings=settings,
                                 origin_match=origin_match)
        found, count = _best_fits(session, profiles, scoring,
                                  wanted=limit - len(fits) if limit else None)
        fits.extend(found)
        checked += count
        if limit and len(fits) >= limit:
            break
    fits.sort(key=lambda fit: (not fit.origin_match, -fit.score, fit.first_start, fit.profile.id))
    return Ranking(fits=fits[:limit] if limit else fits, checked=checked)


def _best_fits(session, profiles: dict[int, Profile], scoring: Scoring, *,
               wanted: int | None) -> tuple[list[Fit], int]:
    """The fits among ``profiles`` that could be among the best ``wanted`` (all when None),
    and how many professionals were checked to find them."""
    bounds = {profile.id: upper_bound(profile, scoring) for profile in profiles.values()}
    queue = sorted(profiles.values(), key=lambda profile: -bounds[profile.id])
    fits: list[Fit] = []
    checked, batch = 0, FIRST_BATCH
    while checked < len(queue):
        if wanted and len(fits) >= wanted and \
                heapq.nlargest(wanted, (fit.score for fit in fits))[-1] > bounds[queue[checked].id]:
            break
        chunk = {profile.id: profile for profile in queue[checked:checked + batch]}
        load_details(session, scoring.terms, chunk)
        fits.extend(fit for profile in chunk.values()
                    if (fit := best_fit(profile, scoring)) is not None)
        checked += len(chunk)
        batch *= 2
    return fits, checked


def require_matchable(need: Need) -> None:
    """Matching starts only from an approved need."""
    if need.status not in MATCHABLE:
        raise Conflict(_("Only an approved need can be matched (this one is %(status)s).",
                         status=need.status), extra={"current_status": need.status})


def shortlist(session, need: Need, *, now: datetime, limit: int = 20,
              settings: Settings | None = None) -> list[Candidate]:
    """The ranked, explained shortlist of an approved need."""
    require_matchable(need)
    settings = settings or Settings()
    terms = terms_of(need)
    ranking = rank(session, terms, now=now, settings=settings, limit=limit)
    return [candidate(fit, terms, settings) for fit in ranking.fits]


def shortlist_for(session, need_id: int, *, actor, now: datetime, limit: int = 20,
                  settings: Settings | None = None) -> tuple[Need, list[Candidate]]:
    """The shortlist as a manager asks for it: the need checked, the read audited."""
    need = needs.get_need(session, need_id, actor=actor)
    candidates = shortlist(session, need, now=now, limit=limit, settings=settings)
    audit.record(session, now=now, actor=actor, action="read", entity="shortlist",
                 entity_id=need.id,
                 detail={"professionals": [c.professional_id for c in candidates]})
    session.commit()
    return need, candidates


@dataclass(frozen=True)
class Diagnosis:
    """Why nobody can do the work: of the ``of`` professionals of the cadre asked, the number
    the worst filter removed."""

    of: int
    filter: str
    removed: int

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
    return Diagnosis(of=of, filter=worst, removed=removed.get(worst, 0))


# --- explanations -------------------------------------------------------------------------

def candidate(fit: Fit, terms: Terms, settings: Settings) -> Candidate:
    """A fit with its explanations, ready to show."""
    criteria = [Criterion(key=key, score=round(fit.scores[key], 3),
                          weight=settings.weights.get(key, 0.0),
                          explanation=EXPLAINERS[key](fact, fit, terms))
                for key, fact in fit.facts.items()]
    return Candidate(professional_id=fit.profile.id, name=fit.profile.name, score=fit.score,
                     origin_match=fit.origin_match, mode=fit.mode,
                     suggested_start=fit.first_start, suggested_end=fit.first_end,
                     criteria=criteria, checks=_checks(fit, terms))


def _checks(fit: Fit, terms: Terms) -> list[str]:
    if fit.mode not in terms.licence_modes:
        return []
    until = max(valid_until for valid_from, valid_until in fit.profile.licences
                if valid_from <= fit.first_start and fit.first_end <= valid_until)
    return [_("licence valid in %(country)s until %(date)s",
              country=reference.country_name(terms.country), date=until.isoformat())]


def _explain_skill(matched, fit: Fit, terms: Terms) -> str:
    parts = []
    if terms.specialty:
        parts.append(_("specialty: %(specialty)s",
                       specialty=reference.SPECIALTIES.get(terms.specialty, terms.specialty)))
    if not terms.skills:
        parts.append(_("no particular skill asked"))
    elif matched:
        parts.append(_("%(matched)d of %(asked)d skills asked: %(skills)s", matched=len(matched),
                       asked=len(terms.skills), skills=", ".join(matched)))
    else:
        parts.append(ngettext("does not have the skill asked", "none of the %(num)d skills asked",
                              len(terms.skills)))
    return "; ".join(parts)


def _explain_availability(free_days, fit: Fit, terms: Terms) -> str:
    if fit.mode == "physical":
        text = _("available in person %(free)d of %(total)d days from %(first)s to %(last)s",
                 free=free_days, total=terms.days, first=terms.first.isoformat(),
                 last=terms.last.isoformat())
    else:
        text = _("available online (%(hours)s h a week) %(free)d of %(total)d days from "
                 "%(first)s to %(last)s", hours=format_decimal(terms.weekly_hours),
                 free=free_days, total=terms.days, first=terms.first.isoformat(),
                 last=terms.last.isoformat())
    return "; ".join([text, _("can start %(date)s", date=fit.first_start.isoformat())])


def _explain_language(spoken, fit: Fit, terms: Terms) -> str:
    if not terms.languages:
        return _("no language asked")
    missing = [code for code in terms.languages if code not in spoken]
    parts = []
    if spoken:
        parts.append(_("speaks %(languages)s", languages=_language_list(spoken)))
    if missing:
        parts.append(_("does not speak %(languages)s", languages=_language_list(missing)))
    return "; ".join(parts)


def _language_list(codes: Iterable[str]) -> str:
    return ", ".join(reference.language_name(code) for code in codes)


def _explain_timezone(hours, fit: Fit, terms: Terms) -> str:
    if hours is None:
        return _("the facility's time zone is not known")
    if hours == 0:
        return _("same time as the facility (%(zone)s)", zone=fit.profile.zone)
    return _("%(hours)s h time difference (%(zone)s)", hours=format_decimal(hours),
             zone=fit.profile.zone)


def _explain_distance(km, fit: Fit, terms: Terms) -> str:
    if km is None:
        return _("distance not known: no coordinates for the home or the facility")
    profile = fit.profile
    home = ", ".join(filter(None, [profile.city, reference.country_name(profile.residence)]))
    return _("lives %(km)s km away (%(home)s)", km=format_decimal(round(km)), home=home)


def _explain_continuity(done_here, fit: Fit, terms: Terms) -> str:
    if not done_here:
        return _("no earlier mission here")
    return ngettext("%(num)d earlier mission here", "%(num)d earlier missions here", done_here)


def _explain_fairness(fact, fit: Fit, terms: Terms) -> str:
    days_since, this_year = fact
    parts = []
    if days_since is not None:
        parts.append(_("last mission ended %(days)d days ago", days=days_since))
    if this_year:
        parts.append(ngettext("%(num)d mission this year", "%(num)d missions this year",
                              this_year))
    return "; ".join(parts) or _("no mission this year")


EXPLAINERS = {
    "skill": _explain_skill,
    "availability": _explain_availability,
    "language": _explain_language,
    "timezone": _explain_timezone,
    "distance": _explain_distance,
    "continuity": _explain_continuity,
    "fairness": _explain_fairness,
}
