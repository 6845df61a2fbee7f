"""Near-identical rows of one list: the same facility given twice with coordinates a few
millionths of a degree apart (127 such rows in the WHO 2019 list).

Two rows are the same place when their country, region, name and type fold to the same text
and their coordinates are within ``TOLERANCE`` degrees (about 11 m): the first row is kept, the
later ones merged into it. Rows without coordinates are never merged this way.
"""
from __future__ import annotations

from .vocabulary import fold

TOLERANCE = 1e-4


class NearDuplicates:
    def __init__(self, tolerance: float = TOLERANCE):
        self.tolerance = tolerance
        self.kept: dict[tuple, list[tuple[float, float]]] = {}

    def is_merged(self, facility: dict, key: str | tuple | None = None) -> bool:
        """Whether ``facility`` repeats a kept one nearby; otherwise it is kept. ``key``: its
        country, region, name and type already folded (``importer.place_key``)."""
        latitude, longitude = facility["latitude"], facility["longitude"]
        if latitude is None:
            return False
        if key is None:
            key = (facility["country"], fold(facility["admin1"]), fold(facility["name"]),
                   fold(facility["facility_type"]))
        points = self.kept.setdefault(key, [])
        for kept_latitude, kept_longitude in points:
            if (abs(kept_latitude - latitude) <= self.tolerance
                    and abs(kept_longitude - longitude) <= self.tolerance):
                return True
        points.append((latitude, longitude))
        return False
