"""DHIS2 organisation units: the Web API's JSON (``/api/organisationUnits.json?paging=false
&fields=id,code,name,level,parent,path,geometry,openingDate,closedDate,organisationUnitGroups``)
and the CSV export of the same fields.

The whole hierarchy is read first (units are small; 100,000 fit in memory), then the units at
the facility level — by default the deepest level in the file — are yielded as ``SourceUnit``s
with their region (``region_level``, 2 by default: level 1 is the country) and district
(``district_level``, 3). A unit with a ``closedDate`` on or before today is closed.
Coordinates come from ``geometry`` (a GeoJSON Point, or a polygon's centroid), or from the
older ``coordinates`` text with ``featureType``.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from .store import SourceProblemError, SourceUnit

SOURCE = "dhis2"
REGION_LEVEL = 2
DISTRICT_LEVEL = 3


@dataclass(slots=True)
class OrgUnit:
    line: int
    uid: str | None
    code: str | None
    name: str | None
    level: int | None
    parent: str | None
    path: str | None
    point: tuple  # (latitude, longitude, how) from the geometry: see ``_point``
    closed: str | None
    groups: tuple[str, ...] = ()


def read_json(text: str) -> list[OrgUnit]:
    """The units of the export. Each unit is read as soon as it is decoded, so the whole
    document is never held as Python objects (100,000 units: a few tens of MB, not hundreds)."""
    try:
        parents: dict = {}
        units = _top_level_list(text, "organisationUnits",
                                lambda unit, position: _org_unit(unit, position, parents))
    except ValueError as error:
        raise SourceProblemError(f"not JSON: {error}") from error
    if units is None:
        raise SourceProblemError("not a DHIS2 export: no list of organisationUnits")
    return units


def _org_unit(unit, position: int, parents: dict | None = None) -> OrgUnit:
    # ``_text`` of each value, with its call saved for a string (100,000 units: 0.1 s).
    if type(unit) is not dict:
        unit = {}
    get = unit.get
    uid, code, name, path, closed = (get("id"), get("code"), get("name"), get("path"),
                                     get("closedDate"))
    uid = (uid.strip() or None) if type(uid) is str else _text(uid)
    code = (code.strip() or None) if type(code) is str else _text(code)
    name = (name.strip() or None) if type(name) is str else _text(name)
    path = (path.strip() or None) if type(path) is str else _text(path)
    closed = (closed.strip() or None) if type(closed) is str else _text(closed)
    parent = get("parent")
    parent = _text(parent.get("id") if type(parent) is dict else parent)
    if parents is not None:  # a district's uid is held once, not once per facility under it
        parent = parents.setdefault(parent, parent)
    groups = get("organisationUnitGroups")
    geometry = get("geometry")
    level = get("level")
    return OrgUnit(
        position, uid, code, name,
        level if type(level) is int and 0 < level < 100 else _level(level),
        parent, path,
        _point(geometry if geometry else _old_coordinates(unit)), closed,
        tuple(_text(g.get("name")) or "" for g in groups if isinstance(g, dict))
        if groups else ())


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")  # what ``json`` skips between tokens
_SPACE_CHARACTERS = frozenset(" \t\n\r")


def _top_level_list(text: str, key: str, convert) -> list | None:
    """``convert(item, position)`` of each item of the list at ``key`` of the JSON object in
    ``text``, decoded one item at a time; None when the document is not an object with such a
    list. Raises ``json.JSONDecodeError`` where ``json.loads`` would, before anything is
    written: the whole text is read first."""
    skip = _SPACE.match
    position = skip(text).end()
    if not text.startswith("{", position):
        json.loads(text)  # not an object: json's own error, or a value without the list
        return None
    found = None
    position = skip(text, position + 1).end()
    closed = text.startswith("}", position)
    while not closed:
        if not text.startswith('"', position):
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes",
                                       text, position)
        name, position = _DECODER.raw_decode(text, position)
        position = skip(text, position).end()
        if not text.startswith(":", position):
            raise json.JSONDecodeError("Expecting ':' delimiter", text, position)
        position = skip(text, position + 1).end()
        if name == key and text.startswith("[", position):
            found, position = _decode_list(text, position, convert)
        else:
            _value, position = _DECODER.raw_decode(text, position)
            if name == key:
                found = None  # the last value of a repeated key counts, as in json.loads
        position = skip(text, position).end()
        if text.startswith(",", position):
            position = skip(text, position + 1).end()
        elif text.startswith("}", position):
            closed = True
        else:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
    position = skip(text, position + 1).end()
    if position != len(text):
        raise json.JSONDecodeError("Extra data", text, position)
    return found


def _decode_list(text: str, position: int, convert) -> tuple[list, int]:
    """The JSON array starting at ``position``, each item converted; and the position after."""
    skip, scan = _SPACE.match, _DECODER.scan_once
    items: list = []
    position = skip(text, position + 1).end()
    if text.startswith("]", position):
        return items, position + 1
    while True:
        try:  # what ``raw_decode`` does, without its call
            item, position = scan(text, position)
        except StopIteration as error:
            raise json.JSONDecodeError("Expecting value", text, error.value) from None
        items.append(convert(item, len(items) + 1))
        if text.startswith(",", position):
            position += 1
        else:
            position = skip(text, position).end()
            if text.startswith(",", position):
                position += 1
            elif text.startswith("]", position):
                return items, position + 1
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, position)
        if text[position:position + 1] in _SPACE_CHARACTERS:
            position = skip(text, position).end()


CSV_NAMES = {  # column aliases of DHIS2's CSV exports → our names
    "id": "uid", "uid": "uid", "code": "code", "name": "name", "level": "level",
    "parent": "parent", "parent.id": "parent", "path": "path", "geometry": "geometry",
    "coordinates": "coordinates", "featuretype": "featureType", "closeddate": "closedDate",
    "latitude": "latitude", "longitude": "longitude",
    "organisationunitgroups": "groups", "groups": "groups", "ownership": "groups",
}


def read_csv(text: str) -> list[OrgUnit]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [CSV_NAMES.get(name.strip().lower(), name.strip()) for name in next(reader, [])]
    if "uid" not in header or "name" not in header or not ({"parent", "path"} & set(header)):
        raise SourceProblemError("not a DHIS2 organisation-unit CSV: it needs the columns "
                                 "id (or uid), name, and parent or path")
    read = []
    for line, values in enumerate(reader, start=2):
        if not any(values):
            continue
        row = dict(zip(header, (value.strip() for value in values)))
        geometry = row.get("geometry") or None
        if geometry:
            try:
                geometry = json.loads(geometry)
            except ValueError:
                geometry = {"invalid": geometry}
        elif row.get("latitude") or row.get("longitude"):
            geometry = {"type": "Point", "coordinates": [row.get("longitude"), row.get("latitude")]}
        else:
            geometry = _old_coordinates(row)
        read.append(OrgUnit(
            line=line, uid=row.get("uid") or None, code=row.get("code") or None,
            name=row.get("name") or None, level=_level(row.get("level")),
            parent=row.get("parent") or None, path=row.get("path") or None,
            point=_point(geometry),
            closed=row.get("closedDate") or None,
            groups=tuple(g.strip() for g in (row.get("groups") or "").split(";") if g.strip())))
    return read


def facilities(units: list[OrgUnit], *, today: date, facility_level: int | None = None,
               region_level: int = REGION_LEVEL,
               district_level: int = DISTRICT_LEVEL) -> Iterator[SourceUnit]:
    """The facility-level units, with their region, district and closing day."""
    by_uid, ancestry, levels = _hierarchy(units)
    if facility_level is None:
        facility_level = _deepest(levels)
    for unit in units:
        if levels[unit.line] != facility_level:
            continue
        chain = ancestry(unit) if unit.uid else []
        region = _name_at(by_uid, chain, region_level, facility_level)
        district = _name_at(by_uid, chain, district_level, facility_level)
        latitude, longitude, how = unit.point
        yield SourceUnit(
            line=unit.line, uid=unit.uid, name=unit.name, code=unit.code,
            facility_type=None, ownership="; ".join(unit.groups) or None,
            admin1=region, admin2=district,
            path=("/" + "/".join(chain)) if chain else None,
            latitude=latitude, longitude=longitude, location_source=how,
            closed_on=_closed_on(unit.closed, today))


def facility_count(units: list[OrgUnit], *, facility_level: int | None = None) -> int:
    """How many units ``facilities`` yields (for a progress bar, before reading them)."""
    _by_uid, _ancestry, levels = _hierarchy(units)
    if facility_level is None:
        facility_level = _deepest(levels)
    return sum(level == facility_level for level in levels.values())


def _hierarchy(units: list[OrgUnit]):
    """Units by uid, a unit's ancestry (uids from the root down to it, from ``path``, else by
    walking ``parent``) and each unit's level (by line)."""
    by_uid = {unit.uid: unit for unit in units if unit.uid}
    paths: dict[str, list[str]] = {}

    def ancestry(unit: OrgUnit) -> list[str]:
        if unit.path:
            return [part for part in unit.path.split("/") if part]
        if unit.uid in paths:
            return paths[unit.uid]
        chain, current, guard = [], unit, 0
        while current is not None and guard < 50:  # a cycle in a broken file ends here
            chain.append(current.uid)
            current = by_uid.get(current.parent) if current.parent else None
            guard += 1
        chain.reverse()
        paths[unit.uid] = chain
        return chain

    levels = {unit.line: unit.level or (len(ancestry(unit)) if unit.uid else None)
              for unit in units}
    return by_uid, ancestry, levels


def _deepest(levels: dict) -> int:
    return max((level for level in levels.values() if level), default=1)


def _name_at(by_uid: dict, chain: list[str], level: int, facility_level: int) -> str | None:
    """The name of the ancestor at ``level`` in ``chain`` (uids from the root down)."""
    if len(chain) >= level and level < facility_level:
        ancestor = by_uid.get(chain[level - 1])
        return ancestor.name if ancestor else None
    return None


def _text(value) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _level(value) -> int | None:
    try:
        level = int(value)
    except (TypeError, ValueError):
        return None
    return level if 0 < level < 100 else None


def _old_coordinates(unit: dict):
    """DHIS2 before 2.32: ``featureType`` POINT and ``coordinates`` "[lon,lat]"."""
    text = unit.get("coordinates")
    if not text or str(unit.get("featureType", "POINT")).upper() != "POINT":
        return None
    try:
        return {"type": "Point", "coordinates": json.loads(text)}
    except ValueError:
        return {"invalid": text}


def _point(geometry) -> tuple[object, object, str | None]:
    """(latitude, longitude, how) of a GeoJSON geometry; a polygon gives its ring's centroid.
    Values that are not numbers are passed on for the schema to refuse."""
    if not isinstance(geometry, dict):
        return None, None, None
    if "invalid" in geometry:
        return geometry["invalid"], None, None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    try:
        if kind == "Point":
            return coordinates[1], coordinates[0], "dhis2"
        if kind in ("Polygon", "MultiPolygon"):
            ring = coordinates[0] if kind == "Polygon" else coordinates[0][0]
            points = [(float(lat), float(lon)) for lon, lat, *_ in ring]
            return (sum(p[0] for p in points) / len(points),
                    sum(p[1] for p in points) / len(points), "dhis2 centroid")
    except (TypeError, ValueError, IndexError, ZeroDivisionError):
        return str(coordinates)[:40], None, None
    return None, None, None


def _closed_on(text: str | None, today: date) -> date | str | None:
    """The closing day when it is today or past; text that is not a date is passed on."""
    if not text:
        return None
    try:
        closed = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return closed if closed <= today else None
