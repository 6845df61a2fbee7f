"""Import a WHO-format master facility list (CSV).

Format: the WHO / KEMRI-Wellcome 2019 list of public-sector health facilities in sub-Saharan
Africa (Maina et al., Scientific Data 6, 134, 2019), columns ``Country, Admin1, Facility name,
Facility type, Ownership, Lat, Long, LL source, iso3c, facility_type_9, Tier, Tier_name``.

- Every row is validated by ``FacilityRowSchema``; invalid rows are reported with their line
  number and never written. ``strict=True`` writes nothing at all if any row is invalid.
- Types (English, French, Portuguese), tiers and ownership are mapped to the registry's
  vocabulary (``vocabulary``); the source text is kept.
- Rows without coordinates are kept and counted; their zone comes from the country when it
  has a single zone.
- Re-importing updates facilities in place: ``external_id`` is a digest of the row's identity
  (country, region, name, type, coordinates), so the same row always maps to the same facility.
  Two rows with the same identity in one file are reported as duplicates and imported once.
- Rows are validated by a fast path built from the schema (``diaspora.fastload``; the schema
  itself gives the messages of the rows it is not sure of) and written in batches of one bulk
  upsert each (``diaspora.bulk``: ``executemany`` on SQLite, ``COPY`` on PostgreSQL),
  streaming the file, so a 100,000-row file runs in seconds with flat memory.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, pre_load, validate, validates_schema

from .. import bulk, geo, reference
from ..fastload import FastLoader
from ..schemas import BaseSchema
from .corrections import apply_corrections
from .models import Facility
from .nearby import NearDuplicates
from .vocabulary import CATEGORY_TIERS, category_for, fold, ownership_for, setting_for

SOURCE = "who-ssa-2019"
WHO_COLUMNS = ("Country", "Admin1", "Facility name", "Facility type", "Ownership", "Lat", "Long",
               "LL source", "iso3c", "facility_type_9", "Tier", "Tier_name")
REQUIRED_COLUMNS = ("Country", "Admin1", "Facility name", "Facility type", "Ownership", "Lat",
                    "Long", "iso3c")
BATCH_SIZE = 10_000  # rows a commit: fewer commits (an fsync each), a batch is ~15 MB


@dataclass
class RowProblem:
    line: int
    errors: dict

    def describe(self) -> str:
        parts = []
        for name, messages in sorted(self.errors.items()):
            if isinstance(messages, dict):
                messages = [str(m) for value in messages.values() for m in value]
            parts.append(f"{name}: {'; '.join(str(m) for m in messages)}")
        return f"line {self.line}: " + " | ".join(parts)


@dataclass
class ImportReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    merged: int = 0  # near-identical rows merged into an earlier one (see ``nearby``)
    without_coordinates: int = 0
    invalid: list[RowProblem] = field(default_factory=list)
    committed: bool = True
    # Stated ownerships and types the vocabulary could not map: (what, value) → rows.
    unmapped: Counter = field(default_factory=Counter)

    @property
    def written(self) -> int:
        return self.inserted + self.updated

    def summary(self) -> str:
        return (f"{self.rows} rows read: {self.inserted} new, {self.updated} updated, "
                f"{self.duplicates} duplicate, {len(self.invalid)} invalid, "
                f"{self.without_coordinates} without coordinates, "
                f"{self.merged} near-identical merged")


class HeaderError(ValueError):
    """The file is not in the WHO format at all."""


def _blank_to_none(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class FacilityRowSchema(BaseSchema):
    """One WHO-format row. Field names follow the file's column headers."""

    country_name = fields.String(required=True, data_key="Country",
                                 validate=validate.Length(max=120))
    admin1 = fields.String(allow_none=True, load_default=None, data_key="Admin1",
                           validate=validate.Length(max=120))
    name = fields.String(required=True, data_key="Facility name",
                         validate=validate.Length(min=2, max=255))
    facility_type = fields.String(allow_none=True, load_default=None, data_key="Facility type",
                                  validate=validate.Length(max=120))
    ownership = fields.String(allow_none=True, load_default=None, data_key="Ownership",
                              validate=validate.Length(max=80))
    latitude = fields.Float(allow_none=True, load_default=None, data_key="Lat",
                            validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, load_default=None, data_key="Long",
                             validate=validate.Range(min=-180, max=180))
    location_source = fields.String(allow_none=True, load_default=None, data_key="LL source",
                                    validate=validate.Length(max=40))
    iso3 = fields.String(required=True, data_key="iso3c")
    type9 = fields.String(allow_none=True, load_default=None, data_key="facility_type_9")
    tier = fields.Float(allow_none=True, load_default=None, data_key="Tier",
                        validate=validate.OneOf([1, 2, 3, 4], error=_l("Tier must be 1 to 4.")))

    @pre_load
    def _blanks(self, data, **kwargs):
        return {key: _blank_to_none(value) for key, value in data.items() if key is not None}

    @validates_schema
    def _coordinates_together(self, data, **kwargs):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_l("Give both latitude and longitude, or neither."),
                                  field_name="Lat")

    @validates_schema
    def _known_country(self, data, **kwargs):
        if data.get("iso3") and reference.alpha2_from_alpha3(data["iso3"]) is None:
            raise ValidationError(_l("Unknown ISO 3166 alpha-3 code."), field_name="iso3c")


def place_key(iso3: str, admin1: str | None, name: str, facility_type: str | None) -> str:
    """Country, region, name and type of a row, folded: the same place but for coordinates
    (``external_id`` adds them; ``nearby`` merges rows with this key a few metres apart)."""
    return "|".join((iso3.upper(), fold(admin1), fold(name), fold(facility_type)))


def external_id(iso3: str, admin1: str | None, name: str, facility_type: str | None,
                latitude: float | None, longitude: float | None, *, key: str | None = None) -> str:
    """A stable identity for a source row (see the module docstring); ``key`` is its
    ``place_key`` when already known."""
    coordinates = "" if latitude is None else f"{latitude:.5f},{longitude:.5f}"
    key = f"{key or place_key(iso3, admin1, name, facility_type)}|{coordinates}"
    return f"{SOURCE}:{hashlib.sha1(key.encode()).hexdigest()[:24]}"


def to_facility(row: dict, now: datetime, key: str | None = None) -> dict:
    """Map a validated row to the columns of ``facilities`` (``key``: its ``place_key``)."""
    latitude, longitude = row["latitude"], row["longitude"]
    if latitude == 0 and longitude == 0:  # "null island": a placeholder, not a location
        latitude = longitude = None
    country = reference.alpha2_from_alpha3(row["iso3"])
    category = category_for(row["type9"], row["facility_type"])
    tier = int(row["tier"]) if row["tier"] is not None else CATEGORY_TIERS.get(category)
    return {
        "external_id": external_id(row["iso3"], row["admin1"], row["name"], row["facility_type"],
                                   latitude, longitude, key=key),
        "source": SOURCE,
        "name": " ".join(row["name"].split()),
        "country": country,
        "admin1": row["admin1"],
        "facility_type": row["facility_type"],
        "category": category,
        "tier": tier,
        "ownership": ownership_for(row["ownership"]),
        "ownership_source": row["ownership"],
        "latitude": latitude,
        "longitude": longitude,
        "location_source": row["location_source"] if latitude is not None else None,
        "timezone": geo.zone_at(latitude, longitude, country),
        "setting": setting_for(row["facility_type"]),
        "ict_ready": False,
        "imported_at": now,
        "updated_at": now,
    }


# Columns a re-import refreshes; ``setting``, ``ict_ready`` and ``imported_at`` are left as a
# manager may have set them.
UPDATED_COLUMNS = ("source", "name", "country", "admin1", "facility_type", "category", "tier",
                   "ownership", "ownership_source", "latitude", "longitude", "location_source",
                   "timezone", "updated_at")


def open_rows(source: str | Path | io.TextIOBase) -> tuple[list[str], Iterator[list[str]], Callable[[], None]]:
    """The header, a reader of rows (lists) and a function that closes the file.

    UTF-8, with or without a byte-order mark. Rows stay lists until validation (cheap to hand
    to a worker process); ``as_record`` pairs them with the header.
    """
    handle = open(source, encoding="utf-8-sig", newline="") if isinstance(source, (str, Path)) else source
    reader = csv.reader(handle)
    header = [name.strip() for name in next(reader, [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        handle.close()
        raise HeaderError(f"not a WHO-format facility file: missing column(s) {', '.join(missing)}")
    return header, reader, handle.close


def as_record(header: list[str], values: list[str]) -> dict:
    """A row as ``{column: value}``; short rows get None for the missing cells."""
    record = dict(zip(header, values))
    for column in header[len(values):]:
        record[column] = None
    return record


def plain_messages(messages):
    """Error messages as plain strings (lazy translations resolved), safe to pickle."""
    if isinstance(messages, dict):
        return {key: plain_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [plain_messages(item) for item in messages]
    return str(messages)


def _row_checks(data: dict) -> bool:
    """``FacilityRowSchema``'s schema-level validators, for the fast path."""
    return ((data["latitude"] is None) == (data["longitude"] is None)
            and reference.alpha2_from_alpha3(data["iso3"]) is not None)


@lru_cache(maxsize=1)
def _loaders() -> tuple[FacilityRowSchema, FastLoader]:
    schema = FacilityRowSchema()
    return schema, FastLoader(schema, handled_hooks=("_blanks", "_coordinates_together",
                                                     "_known_country"), check=_row_checks)


def validate_rows(header: list[str], numbered_rows: list[tuple[int, list[str]]],
                  now: datetime) -> tuple[list[dict], list[str], list[RowProblem]]:
    """Validate and map a chunk of ``(line, values)``: the CPU-bound half of an import. The
    facilities (columns), their ``place_key``s and the invalid rows.

    A row goes through ``FastLoader`` (plain checks built from the schema's own fields); a row
    it is not sure of goes through ``FacilityRowSchema``, which answers the same data or the
    row's error messages. Runs in the importing process or in a worker process (``workers``).
    """
    schema, fast = _loaders()
    # Each column's cell (the last one when a name repeats), blank → None like ``_blanks``.
    positions = list(dict(zip(header, range(len(header)))).items())
    facilities, keys, problems = [], [], []
    for line, values in numbered_rows:
        size = len(values)
        data = fast.load({column: (values[i].strip() or None) if i < size else None
                          for column, i in positions})
        if data is None:
            try:
                data = schema.load(as_record(header, values))
            except ValidationError as error:
                problems.append(RowProblem(line, plain_messages(error.messages)))
                continue
        key = place_key(data["iso3"], data["admin1"], data["name"], data["facility_type"])
        facilities.append(to_facility(data, now, key))
        keys.append(key)
    return facilities, keys, problems


def _chunks(rows: Iterator[list[str]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for line, values in enumerate(rows, start=2):  # line 1 is the header
        if not any(values):
            continue  # blank line
        chunk.append((line, values))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _count_unmapped(unmapped: Counter, facility: dict) -> None:
    if facility["ownership"] == "unknown" and facility["ownership_source"]:
        unmapped[("ownership", facility["ownership_source"])] += 1
    if facility["category"] == "other" and facility["facility_type"]:
        unmapped[("type", facility["facility_type"])] += 1


def import_facilities(session, source, *, now: datetime, strict: bool = False,
                      dry_run: bool = False, batch_size: int = BATCH_SIZE,
                      workers: int = 0,
                      progress: Callable[[int], None] | None = None) -> ImportReport:
    """Import ``source`` (a path or an open text file). See the module docstring.

    With ``workers`` > 0, chunks are validated in that many worker processes while this
    process writes the previous chunks (a pipeline); the result is the same as in-process.
    The default is in-process: with the fast path a row costs tens of microseconds, less than
    starting a worker (which imports the whole app) saves on a machine whose cores are shared.
    """
    report = ImportReport()
    seen: set[str] = set()
    nearby = NearDuplicates()
    hold_commits = strict or dry_run
    header, rows, close = open_rows(source)

    def store(facilities: list[dict], keys: list[str], problems: list[RowProblem]) -> None:
        report.invalid.extend(problems)
        batch = []
        for facility, key in zip(facilities, keys, strict=True):
            if facility["external_id"] in seen:
                report.duplicates += 1
                continue
            seen.add(facility["external_id"])
            if nearby.is_merged(facility, key):
                report.merged += 1
                continue
            _count_unmapped(report.unmapped, facility)
            report.without_coordinates += facility["latitude"] is None
            batch.append(facility)
        if batch:
            existing = bulk.upsert(session, Facility.__table__, batch, key="external_id",
                                   update=UPDATED_COLUMNS, dry_run=dry_run)
            report.updated += existing
            report.inserted += len(batch) - existing
            if not dry_run and not hold_commits:
                session.commit()
        if progress:
            progress(report.rows)

    pool = ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) if workers else None
    with bulk.without_cycle_collection():  # many rows, no cycles
        try:
            pending: deque = deque()
            for chunk in _chunks(rows, batch_size):
                report.rows += len(chunk)
                if pool is None:
                    store(*validate_rows(header, chunk, now))
                    continue
                pending.append(pool.submit(validate_rows, header, chunk, now))
                while len(pending) > 2 * workers:  # a bounded backlog keeps memory flat
                    store(*pending.popleft().result())
            while pending:
                store(*pending.popleft().result())
        except BaseException:
            session.rollback()
            raise
        finally:
            close()
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    if dry_run or (strict and report.invalid):
        session.rollback()
        report.committed = False
    else:
        apply_corrections(session)  # a manager's corrections win over the source's values
        session.commit()
    return report
