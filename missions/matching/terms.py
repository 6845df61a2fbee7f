"""What a need asks (``Terms``) and how candidates are weighed (``Settings``)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from diaspora.config import Config
from diaspora.needs.models import Need
from diaspora.vocabulary import Mode

from ..core.licences import needs_valid_licence

MODES = (Mode.PHYSICAL, Mode.VIRTUAL)


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
    programme_id: int | None = None   # the need's programme: candidates must consent to it

    @property
    def days(self) -> int:
        """Days in the need's window."""
        return (self.last - self.first).days + 1

    def span(self, mode: str) -> int:
        """Days the work takes: the stay, or the first to the last of the weekly sessions."""
        return self.stay_days if mode == Mode.PHYSICAL else 7 * (self.weeks - 1) + 1


def terms_of(need: Need) -> Terms:
    facility = need.facility
    modes = MODES if need.mode == Mode.EITHER else (need.mode,)
    location = None
    if facility.latitude is not None and facility.longitude is not None:
        location = (facility.latitude, facility.longitude)
    return Terms(
        need_id=need.id, programme_id=need.programme_id, facility_id=facility.id,
        country=facility.country,
        zone=facility.timezone, location=location, cadre=need.cadre, specialty=need.specialty,
        skills=frozenset(" ".join(s.lower().split()) for s in need.skills or []),
        languages=tuple(need.languages or []), modes=modes,
        licence_modes=frozenset(m for m in modes if needs_valid_licence(need, m)),
        first=need.earliest_start, last=need.latest_end, stay_days=need.duration_days or 1,
        weeks=need.weeks or 1, weekly_hours=need.weekly_hours or 0.0)
