"""The filters of dashboards, exports and reports, and the missions and needs they select."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError, fields, validates_schema

from diaspora import reference
from diaspora.errors import Invalid
from diaspora.facilities.models import Facility, facility_coordinators
from diaspora.needs.models import Need
from diaspora.professionals.models import Professional
from diaspora.programmes import access as programmes
from diaspora.schemas import BaseSchema, CountryCode, Trimmed, one_of
from diaspora.vocabulary import KINDS, Mode, Role

from ..core.models import Mission


@dataclass(frozen=True)
class Filters:
    """What to count. The period selects missions by their first day and needs by the day they
    were submitted (UTC days, both ends included); ``coordinator_id`` limits everything to the
    facilities that coordinator is attached to, ``manager_id`` to the needs (and their
    missions) of the programmes that manager manages (``diaspora.programmes.access``)."""

    programme_id: int | None = None
    country: str | None = None
    region: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    mode: str | None = None
    cadre: str | None = None
    coordinator_id: int | None = None
    manager_id: int | None = None

    def query_args(self) -> dict[str, str | int]:
        """The filters as URL query arguments (links to exports and the report, audit log)."""
        return {key: value.isoformat() if isinstance(value, date) else value
                for key, value in asdict(self).items()
                if value is not None and key not in ("coordinator_id", "manager_id")}


class FilterSchema(BaseSchema):
    programme_id = fields.Integer()
    country = CountryCode()
    region = Trimmed()
    starts_on = fields.Date(metadata={"description": "First day of the period"})
    ends_on = fields.Date(metadata={"description": "Last day of the period"})
    mode = fields.String(validate=one_of(KINDS))
    cadre = fields.String(validate=one_of(reference.CADRES))

    @validates_schema
    def _order(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(_l("The period must not end before it starts."),
                                  field_name="ends_on")


def filters_for(session, actor, args) -> Filters:
    """The filters in ``args`` (blank values ignored) for ``actor``; 422 if one is invalid,
    403 for a programme the (programme) manager does not manage."""
    try:
        loaded = FilterSchema().load({key: value for key, value in args.items() if value})
    except ValidationError as error:
        raise Invalid(_("Some filters are not valid."), errors=error.messages) from error
    programmes.require_programme(session, actor, loaded.get("programme_id"))
    coordinator_id = actor.id if actor.role == Role.COORDINATOR else None
    manager_id = actor.id if programmes.is_bounded(actor) else None
    return Filters(**loaded, coordinator_id=coordinator_id, manager_id=manager_id)


def _utc_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _in_period(column, filters: Filters) -> list:
    conditions = []
    if filters.starts_on:
        conditions.append(column >= _utc_day(filters.starts_on))
    if filters.ends_on:
        conditions.append(column < _utc_day(filters.ends_on + timedelta(days=1)))
    return conditions


def _facilities(filters: Filters) -> sa.Select | None:
    """``SELECT facilities.id`` by country, region and the coordinator's facilities; None when
    no filter is on the facility."""
    if not (filters.country or filters.region or filters.coordinator_id):
        return None
    facilities = sa.select(Facility.id)
    if filters.country:
        facilities = facilities.where(Facility.country == filters.country)
    if filters.region:
        facilities = facilities.where(Facility.admin1 == filters.region)
    if filters.coordinator_id:
        facilities = facilities.join(facility_coordinators).where(
            facility_coordinators.c.user_id == filters.coordinator_id)
    return facilities


def mission_conditions(filters: Filters, statuses: tuple[str, ...] | None = None) -> list:
    """WHERE conditions on ``Mission`` selecting the missions the filters select (optionally
    only those in ``statuses``). Other tables are reached through small ``IN`` subqueries, so
    a query on missions (or joined to them) scans the missions once."""
    conditions = _in_period(Mission.starts_at, filters)
    if (facilities := _facilities(filters)) is not None:
        conditions.append(Mission.facility_id.in_(facilities))
    if filters.programme_id:
        conditions.append(Mission.need_id.in_(
            sa.select(Need.id).where(Need.programme_id == filters.programme_id)))
    if filters.manager_id:
        conditions.append(Mission.need_id.in_(programmes.needs_managed_by(filters.manager_id)))
    if filters.cadre:
        conditions.append(Mission.professional_id.in_(
            sa.select(Professional.id).where(Professional.cadre == filters.cadre)))
    if filters.mode:
        conditions.append(Mission.kind == filters.mode)
    if statuses:
        conditions.append(Mission.status.in_(statuses))
    return conditions


def need_conditions(filters: Filters) -> list:
    """WHERE conditions on ``Need`` selecting the submitted needs the filters select. A need for
    "either" mode counts under both modes."""
    conditions = [Need.submitted_at.is_not(None), *_in_period(Need.submitted_at, filters)]
    if (facilities := _facilities(filters)) is not None:
        conditions.append(Need.facility_id.in_(facilities))
    if filters.programme_id:
        conditions.append(Need.programme_id == filters.programme_id)
    if filters.manager_id:
        conditions.append(Need.id.in_(programmes.needs_managed_by(filters.manager_id)))
    if filters.mode:
        conditions.append(Need.mode.in_((filters.mode, Mode.EITHER)))
    if filters.cadre:
        conditions.append(Need.cadre == filters.cadre)
    return conditions
