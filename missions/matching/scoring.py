"""The exact checks (free days, licence stretches) and the soft scores of one professional."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from diaspora.geo import distance_km
from diaspora.vocabulary import Mode

from .profiles import Profile
from .terms import MODES, Settings, Terms

DISTANCE_HALF_SCORE_KM = 5000  # a home this far from the facility scores 0.5 on distance
MAX_HOURS_APART = 12         # a time difference this large scores 0 on time zone
NEUTRAL = 0.5                # the score of a criterion that cannot be measured
CRITERIA = ("skill", "availability", "language", "timezone", "distance", "continuity",
            "fairness")
NOT_FOR_MODE = {Mode.PHYSICAL: "timezone", Mode.VIRTUAL: "distance"}


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


def upper_bound(profile: Profile, scoring: Scoring, *,
                spoken: tuple[str, ...] | None = None) -> float:
    """The best score the professional could reach, were they free every day of the window and
    speaking every language asked — or those of them in ``spoken``, when known (the Python
    counterpart of ``pool.ceiling``, which the database ranks on)."""
    terms = scoring.terms
    best = 0.0
    for mode in terms.modes:
        if mode in profile.modes:
            facts = _facts(profile, mode, terms.days,
                           terms.languages if spoken is None else spoken, scoring)
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
        if window_mode in (mode, Mode.EITHER) and (
                mode == Mode.PHYSICAL or (hours is not None and hours >= terms.weekly_hours)):
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
    if mode == Mode.VIRTUAL:
        facts["timezone"] = _hours_apart(profile.zone, terms.zone, (terms.first, terms.last))
    else:
        facts["distance"] = _km(profile.location, terms.location)
    facts["continuity"] = profile.done_here
    facts["fairness"] = (_days_since(profile.last_return, scoring.now), profile.missions_this_year)
    return facts


def _days_since(moment: datetime | None, now: datetime) -> int | None:
    return None if moment is None else (now - moment).days


@lru_cache(maxsize=65536)
def _hours_apart(zone: str, other: str | None, days: tuple[date, ...]) -> float | None:
    """The largest time difference on the given days (clocks change between them)."""
    if not other:
        return None
    return max(abs(_utc_offset(zone, day) - _utc_offset(other, day)) for day in days) / 3600


def _utc_offset(zone: str, day: date) -> float:
    noon = datetime.combine(day, time(12), tzinfo=UTC)
    return noon.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()


@lru_cache(maxsize=65536)   # homes × facilities of a plan: a geodesic is costly
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
