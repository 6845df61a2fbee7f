"""The time-zone picker's lists: current IANA zones only (the zones of ``zone.tab`` in the
``tzdata`` package, so no obsolete links such as ``US/Eastern`` or ``Asia/Calcutta``), the
country's own zones first, then the zones where most of the diaspora and the hosts live.

A stored zone that is no longer current is still shown (and accepted: ``reference.is_timezone``)
so that nobody's setting changes behind their back. The browser's own zone is proposed by
``static/js/timezone.js`` when the field is blank.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from flask_babel import lazy_gettext as _l

from . import reference

# Host countries first, then where most of the diaspora lives.
COMMON_ZONES = ("Africa/Accra", "Africa/Lagos", "Africa/Abidjan", "Africa/Nairobi",
                "Africa/Johannesburg", "Africa/Maputo", "Africa/Luanda", "Europe/London",
                "Europe/Dublin", "Europe/Paris", "Europe/Brussels", "Europe/Amsterdam",
                "Europe/Berlin", "Europe/Rome", "Europe/Madrid", "Europe/Lisbon",
                "America/New_York", "America/Chicago", "America/Los_Angeles", "America/Toronto",
                "America/Sao_Paulo", "Asia/Dubai", "Australia/Sydney")
GROUPS = {"country": _l("Your country"), "common": _l("Common time zones"),
          "all": _l("All time zones")}


@lru_cache(maxsize=1)
def zones_by_country() -> dict[str, tuple[str, ...]]:
    """ISO 3166 alpha-2 code → its current zones, in the order of ``zone.tab``."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _coordinates, zone = line.split("\t")[:3]
            zones.setdefault(country, []).append(zone)
    return {country: tuple(found) for country, found in zones.items()}


@lru_cache(maxsize=1)
def current_zones() -> tuple[str, ...]:
    return tuple(sorted({zone for zones in zones_by_country().values() for zone in zones}))


@lru_cache(maxsize=1)
def country_of_zone() -> dict[str, str]:
    return {zone: country for country, zones in zones_by_country().items() for zone in zones}


def zone_for_country(country: str | None) -> str | None:
    """The zone to propose for someone living in ``country``: its zone when it has one only."""
    zones = zones_by_country().get((country or "").upper(), ())
    return zones[0] if len(zones) == 1 else None


def zone_label(zone: str) -> str:
    """"Accra (Ghana)", "Indiana/Indianapolis (United States)"."""
    place = zone.split("/", 1)[-1].replace("_", " ")
    country = country_of_zone().get(zone)
    return f"{place} ({reference.country_name(country)})" if country else zone.replace("_", " ")


def zone_groups(country: str | None = None, current: str | None = None) -> list[tuple]:
    """``[(group label, [(zone, label), …]), …]`` for a select with optgroups: the country's
    zones, the common ones, then every current zone (and ``current`` if it is not among them)."""
    own = zones_by_country().get((country or "").upper(), ())
    common = [zone for zone in COMMON_ZONES if zone not in own]
    rest = list(current_zones())
    if current and current not in rest and current not in COMMON_ZONES:
        rest = sorted(rest + [current])
    groups = [("country", own), ("common", common), ("all", rest)]
    return [(GROUPS[key], [(zone, zone_label(zone)) for zone in zones])
            for key, zones in groups if zones]


def init_app(app) -> None:
    """Templates reach the picker's lists as ``timezones`` (``macros/forms.html``)."""
    import sys
    app.jinja_env.globals["timezones"] = sys.modules[__name__]
