"""Write facilities read from a ministry's list (DHIS2, mCSD): validated, upserted, idempotent.

A source reader yields ``SourceUnit``s: one facility each, with the source's identifiers, its
place in the hierarchy (region = admin1, district = admin2, the path of ancestors) and the day
the source closed it. ``store_units`` validates each with ``SourceUnitSchema`` (a problem is
reported with its line or entry number and never written), maps it to the registry's
vocabulary, and upserts it on ``external_id`` (``<source>:<source id>``), so importing the same
list again updates the same facilities. A manager's corrections are applied again at the end
(``corrections.apply_corrections``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from ... import bulk, geo
from ...fastload import FastLoader
from ...schemas import BaseSchema
from ..corrections import apply_corrections
from ..importer import plain_messages
from ..models import Facility
from ..vocabulary import CATEGORY_TIERS, category_for, ownership_for, setting_for

BATCH_SIZE = 10_000  # rows a commit: fewer commits (an fsync each)
WRITE_SIZE = 2_000  # rows a write: what is held in memory at once (~3 MB)


@dataclass(slots=True)
class SourceUnit:
    """One facility as a source states it (before validation)."""

    line: int                      # line (CSV) or position (JSON, bundle entry), for reports
    uid: str | None
    name: str | None
    code: str | None = None
    facility_type: str | None = None
    ownership: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    path: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    location_source: str | None = None
    closed_on: date | None = None


@dataclass
class SourceProblem:
    line: int
    column: str
    message: str


@dataclass
class SourceReport:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    closed: int = 0
    without_coordinates: int = 0
    corrections_kept: int = 0
    problems: list[SourceProblem] = field(default_factory=list)
    unmapped: Counter = field(default_factory=Counter)
    committed: bool = True

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "inserted": self.inserted, "updated": self.updated,
                "duplicates": self.duplicates, "invalid": len({p.line for p in self.problems}),
                "closed": self.closed, "without_coordinates": self.without_coordinates}

    def summary(self) -> str:
        return (f"{self.rows} units read: {self.inserted} new, {self.updated} updated, "
                f"{self.duplicates} duplicate, {len({p.line for p in self.problems})} invalid, "
                f"{self.closed} closed, {self.without_coordinates} without coordinates")


class SourceProblemError(ValueError):
    """The file is not a list this reader understands at all."""


class SourceUnitSchema(BaseSchema):
    uid = fields.String(required=True, validate=validate.Length(min=1, max=50))
    name = fields.String(required=True, validate=validate.Length(min=2, max=255))
    code = fields.String(allow_none=True, validate=validate.Length(max=64))
    facility_type = fields.String(allow_none=True, validate=validate.Length(max=120))
    ownership = fields.String(allow_none=True, validate=validate.Length(max=80))
    admin1 = fields.String(allow_none=True, validate=validate.Length(max=120))
    admin2 = fields.String(allow_none=True, validate=validate.Length(max=120))
    path = fields.String(allow_none=True, validate=validate.Length(max=400))
    latitude = fields.Float(allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(min=-180, max=180))
    location_source = fields.String(allow_none=True, validate=validate.Length(max=40))
    closed_on = fields.Date(allow_none=True)

    @validates_schema
    def _coordinates_together(self, data, **kwargs):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_l("Give both latitude and longitude, or neither."),
                                  field_name="latitude")


_INPUT_FIELDS = tuple(SourceUnitSchema().fields)
_INPUT_VALUES = attrgetter(*_INPUT_FIELDS)
_ALWAYS_GIVEN = frozenset(("uid", "name"))


def _as_input(unit: SourceUnit) -> dict:
    values = {key: value for key, value in zip(_INPUT_FIELDS, _INPUT_VALUES(unit), strict=True)
              if value is not None or key in _ALWAYS_GIVEN}
    closed_on = values.get("closed_on")
    if isinstance(closed_on, date):
        values["closed_on"] = closed_on.isoformat()
    return values


def to_facility(source: str, country: str, data: dict, now: datetime) -> dict:
    """A validated unit as the columns of ``facilities``."""
    get = data.get
    latitude, longitude = get("latitude"), get("longitude")
    if latitude == 0 and longitude == 0:
        latitude = longitude = None
    name, uid, facility_type, ownership = data["name"], data["uid"], get("facility_type"), get("ownership")
    described = f"{facility_type} {name}" if facility_type else name  # a name is never blank
    category = category_for(None, described)
    return {
        "external_id": f"{source}:{uid}"[:64],
        "source": source,
        "source_uid": uid,
        "source_code": get("code"),
        "source_path": get("path"),
        "name": " ".join(name.split()),
        "country": country,
        "admin1": get("admin1"),
        "admin2": get("admin2"),
        "facility_type": facility_type,
        "category": category,
        "tier": CATEGORY_TIERS.get(category),
        "ownership": ownership_for(ownership),
        "ownership_source": ownership[:80] if ownership else None,
        "latitude": latitude,
        "longitude": longitude,
        "location_source": get("location_source") if latitude is not None else None,
        "timezone": geo.zone_at(latitude, longitude, country),
        "setting": setting_for(described),
        "ict_ready": False,
        "closed_on": get("closed_on"),
        "imported_at": now,
        "updated_at": now,
    }


# A re-import refreshes what the source says; ``setting``, ``ict_ready`` and ``imported_at``
# stay as they are, and a facility keeps the day it was first seen closed.
UPDATED_COLUMNS = ("source", "source_uid", "source_code", "source_path", "name", "country",
                   "admin1", "admin2", "facility_type", "category", "tier", "ownership",
                   "ownership_source", "latitude", "longitude", "location_source", "timezone",
                   "updated_at")


# On a conflict a facility keeps the day it was first seen closed, and opens again when the
# source no longer closes it.
KEPT_CLOSING = ("CASE WHEN excluded.closed_on IS NULL THEN NULL "
                "ELSE COALESCE(facilities.closed_on, excluded.closed_on) END")
UPDATE = {**{name: f"excluded.{name}" for name in UPDATED_COLUMNS}, "closed_on": KEPT_CLOSING}


def _coordinates_together(data: dict) -> bool:
    """``SourceUnitSchema``'s schema-level validator, for the fast path."""
    return (data.get("latitude") is None) == (data.get("longitude") is None)


@lru_cache(maxsize=1)
def _loaders() -> tuple[SourceUnitSchema, FastLoader]:
    schema = SourceUnitSchema()
    return schema, FastLoader(schema, handled_hooks=("_coordinates_together",),
                              check=_coordinates_together)


def _write(connection, batch: list[dict], dry_run: bool) -> tuple[int, int]:
    """(rows, of which already stored) of one batch written (on the writer thread)."""
    existing = bulk.upsert_on(connection, Facility.__table__, batch, key="external_id",
                              update=UPDATE, dry_run=dry_run)
    return len(batch), existing


def store_units(session, source: str, country: str, units: Iterable[SourceUnit], *,
                now: datetime, dry_run: bool = False, batch_size: int = BATCH_SIZE,
                progress: Callable[[int], None] | None = None) -> SourceReport:
    """Validate and write ``units`` of ``source`` in ``country`` (see the module docstring)."""
    report = SourceReport()
    # Plain checks built from the schema; a unit they are not sure of goes through the schema
    # (same data, or the unit's error messages). See ``diaspora.fastload``.
    schema, fast = _loaders()
    seen: set[str] = set()
    batch: list[dict] = []

    uncommitted = 0
    # One batch is written on a thread while the next is read and mapped: the database's work
    # (sqlite3 and psycopg let the GIL go) overlaps Python's. The session is only touched
    # here while no write is under way, so at most two batches are held.
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store_units")
    pending: list[Future] = []

    def settle() -> None:
        """Wait for the write under way; count what it found."""
        while pending:
            written, existing = pending.pop().result()
            report.updated += existing
            report.inserted += written - existing

    def flush(*, commit: bool = False) -> None:
        nonlocal batch, uncommitted
        settle()
        if batch:
            pending.append(writer.submit(_write, session.connection(), batch, dry_run))
            uncommitted += len(batch)
            batch = []
        if uncommitted and (commit or uncommitted >= batch_size):
            settle()
            if not dry_run:
                session.commit()
            uncommitted = 0
            if progress:
                progress(report.rows)

    try:
        for unit in units:
            report.rows += 1
            given = _as_input(unit)
            data = fast.load(given)
            if data is None:
                try:
                    data = schema.load(given)
                except ValidationError as error:
                    for column, messages in plain_messages(error.messages).items():
                        for message in messages if isinstance(messages, list) else [messages]:
                            report.problems.append(SourceProblem(unit.line, column, str(message)))
                    continue
            facility = to_facility(source, country, data, now)
            if facility["external_id"] in seen:
                report.duplicates += 1
                continue
            seen.add(facility["external_id"])
            report.closed += facility["closed_on"] is not None
            report.without_coordinates += facility["latitude"] is None
            if facility["ownership"] == "unknown" and facility["ownership_source"]:
                report.unmapped[("ownership", facility["ownership_source"])] += 1
            batch.append(facility)
            if len(batch) >= min(batch_size, WRITE_SIZE):
                flush()
        flush(commit=True)
    except BaseException:
        for future in pending:
            future.cancel() or future.exception()  # the write has ended before the rollback
        session.rollback()
        raise
    finally:
        writer.shutdown()
    if dry_run:
        session.rollback()
        report.committed = False
    else:
        report.corrections_kept = apply_corrections(session)
        session.commit()
    return report
