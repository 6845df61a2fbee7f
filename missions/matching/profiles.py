"""Professionals as matching sees them, loaded in bulk batch by batch (see ``ranking.rank``)."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from diaspora.documents.models import Verification
from diaspora.professionals.models import (
    AvailabilityWindow,
    Licence,
    Professional,
    ProfessionalLanguage,
    ProfessionalSkill,
)
from diaspora.vocabulary import Mode

from ..core.models import Booking, Mission
from ..core.vocabulary import DONE, HOLDING
from ..sessions.series import day_span
from .terms import MODES, Settings, Terms

OFFERED = {(True, True): MODES, (True, False): (Mode.PHYSICAL,), (False, True): (Mode.VIRTUAL,),
           (False, False): ()}   # (offers_physical, offers_virtual) → modes
CHUNK = 5000                 # ids per IN (...) list


@dataclass(slots=True)
class Profile:
    """A professional as matching sees them: what the checks and scores are computed from.

    Loaded for the professionals checked, a batch at a time (``load_batch``).
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
    verified_licences: frozenset[tuple[date, date]] = frozenset()   # of those, verified (issue 18)


PROFILE_COLUMNS = (Professional.id, Professional.given_name, Professional.family_name,
                   Professional.country_of_origin, Professional.country_of_residence,
                   Professional.city_of_residence, Professional.timezone, Professional.latitude,
                   Professional.longitude, Professional.offers_physical,
                   Professional.offers_virtual)


def load_batch(session, terms: Terms, ids: list[int], *, now: datetime,
               settings: Settings) -> dict[int, Profile]:
    """The profiles of ``ids`` with everything the checks and scores need, in a constant
    number of queries (one per kind of row) whatever the number of ids."""
    profiles: dict[int, Profile] = {}
    for chunk in _chunks(ids):
        rows = session.execute(sa.select(*PROFILE_COLUMNS)
                               .where(_among(session, Professional.id, chunk)))
        batch = {row[0]: _profile(row) for row in rows}
        if terms.skills:
            _attach_skills(session, terms, batch, chunk)
        _attach_missions(session, terms, batch, chunk, now=now, settings=settings)
        load_details(session, terms, batch)
        profiles.update(batch)
    return {professional_id: profiles[professional_id] for professional_id in ids
            if professional_id in profiles}


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
    """A profile from a row of ``PROFILE_COLUMNS``."""
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
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    next_year = datetime(now.year + 1, 1, 1, tzinfo=UTC)
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
    # Verified: a verification against a document still describes the licence as it stands.
    verified = sa.exists().where(
        Verification.licence_id == Licence.id, Verification.country == Licence.country,
        Verification.number == Licence.number, Verification.valid_from == Licence.valid_from,
        Verification.valid_until == Licence.valid_until)
    rows = session.execute(sa.select(Licence.professional_id, Licence.country, Licence.valid_from,
                                     Licence.valid_until, verified)
                           .where(_among(session, Licence.professional_id, ids),
                                  Licence.valid_from <= terms.last,
                                  Licence.valid_until >= terms.first))
    for professional_id, licences in _grouped(rows).items():
        here = [(valid_from, valid_until, checked) for country, valid_from, valid_until, checked
                in licences if country == terms.country]
        profiles[professional_id].licences = tuple((first, last) for first, last, _ in here)
        profiles[professional_id].verified_licences = frozenset(
            (first, last) for first, last, checked in here if checked)
