"""A coordinator asks for a facility missing from the list; a manager verifies it and adds it
(or declines, saying why).

The request keeps what the coordinator said; adding makes a facility of source ``request``
(``external_id`` ``request:<id>``, so it is added once), maps its type with the importer's
vocabulary, derives its zone, and attaches the coordinator to it. Both decisions go through
``diaspora.statemachine`` (two managers deciding at once: one wins, the other gets 409).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import audit, geo, statemachine
from ..db import unit_of_work
from ..errors import Forbidden, NotFound
from ..extensions import db
from ..schemas import BaseSchema, CountryCode, Trimmed
from ..statemachine import Transition
from ..vocabulary import MANAGERS, FacilityRequestStatus as Status, Role
from .models import Facility
from .vocabulary import CATEGORY_TIERS, category_for, setting_for

ADD = Transition((Status.REQUESTED,), Status.ADDED, roles=MANAGERS)
DECLINE = Transition((Status.REQUESTED,), Status.DECLINED, roles=MANAGERS)


class FacilityRequest(db.Model):
    __tablename__ = "facility_requests"
    __table_args__ = (sa.CheckConstraint(f"status IN {Status.codes()!r}", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    country: Mapped[str] = mapped_column(sa.String(2))
    admin1: Mapped[str | None] = mapped_column(sa.String(120))
    facility_type: Mapped[str | None] = mapped_column(sa.String(120))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    note: Mapped[str | None] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(20), default=Status.REQUESTED, index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    facility_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("facilities.id", ondelete="SET NULL"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    requested_by = relationship("User", foreign_keys=[requested_by_id])
    facility = relationship(Facility)


class FacilityRequestSchema(BaseSchema):
    name = Trimmed(required=True, validate=validate.Length(min=2, max=255))
    country = CountryCode(required=True)
    admin1 = Trimmed(load_default=None, validate=validate.Length(max=120))
    facility_type = Trimmed(load_default=None, validate=validate.Length(max=120))
    latitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-90, max=90))
    longitude = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=-180, max=180))
    note = Trimmed(load_default=None, validate=validate.Length(max=1000))

    @validates_schema
    def _coordinates_together(self, data, **kwargs):
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise ValidationError(_l("Give both latitude and longitude, or neither."),
                                  field_name="latitude")


class DeclineSchema(BaseSchema):
    reason = Trimmed(required=True, validate=validate.Length(min=2, max=500))


def _refusal(current: str) -> str:
    return _("This request is already %(status)s.", status=Status.label_of(current))


def request_facility(session, data: dict, *, actor, now: datetime) -> FacilityRequest:
    if not may_ask(actor):
        raise Forbidden(_("Facility coordinators ask for missing facilities."))
    with unit_of_work(session):
        request = FacilityRequest(**data, requested_by_id=actor.id, status=Status.REQUESTED,
                                  created_at=now)
        session.add(request)
        session.flush()
        audit.record(session, now=now, actor=actor, action="create", entity="facility_request",
                     entity_id=request.id)
    return request


def may_ask(actor) -> bool:
    """Coordinators ask for the facilities they miss."""
    return actor.role == Role.COORDINATOR


def decidable(actor, requests: list[FacilityRequest]) -> set[int]:
    """The ids of ``requests`` that ``actor`` may add or decline now."""
    return {request.id for request in requests
            if actor.role in ADD.roles and ADD.allows(request.status)}


def visible_requests(session, actor) -> list[FacilityRequest]:
    """A coordinator's own requests; every request for a manager (the open ones first)."""
    query = sa.select(FacilityRequest).order_by(
        (FacilityRequest.status != Status.REQUESTED), FacilityRequest.id.desc())
    if not actor.is_manager:
        query = query.where(FacilityRequest.requested_by_id == actor.id)
    return list(session.scalars(query))


def _get(session, request_id: int, actor) -> FacilityRequest:
    if not actor.is_manager:
        raise Forbidden(_("Only programme managers verify facility requests."))
    request = session.get(FacilityRequest, request_id)
    if request is None:
        raise NotFound(_("No such request."))
    return request


def add_requested(session, request_id: int, *, actor, now: datetime) -> Facility:
    """Verified: the facility joins the list, coordinated by the one who asked."""
    request = _get(session, request_id, actor)
    with unit_of_work(session):
        statemachine.apply(session, request, ADD, refusal=_refusal, decided_by_id=actor.id,
                           decided_at=now)
        category = category_for(None, " ".join(filter(None, (request.facility_type, request.name))))
        facility = Facility(
            external_id=f"request:{request.id}", source="request", name=request.name,
            country=request.country, admin1=request.admin1, facility_type=request.facility_type,
            category=category, tier=CATEGORY_TIERS.get(category), ownership="unknown",
            latitude=request.latitude, longitude=request.longitude,
            location_source="coordinator" if request.latitude is not None else None,
            timezone=geo.zone_at(request.latitude, request.longitude, request.country),
            setting=setting_for(request.facility_type), ict_ready=False,
            imported_at=now, updated_at=now)
        if request.requested_by is not None and request.requested_by.role == Role.COORDINATOR:
            facility.coordinators.append(request.requested_by)
        session.add(facility)
        session.flush()
        request.facility_id = facility.id
        audit.record(session, now=now, actor=actor, action="create", entity="facility",
                     entity_id=facility.id, detail={"request": request.id})
    return facility


def decline_requested(session, request_id: int, reason: str, *, actor, now: datetime) -> None:
    request = _get(session, request_id, actor)
    with unit_of_work(session):
        statemachine.apply(session, request, DECLINE, refusal=_refusal, decided_by_id=actor.id,
                           decided_at=now, reason=reason)
        audit.record(session, now=now, actor=actor, action="update", entity="facility_request",
                     entity_id=request.id, detail={"status": Status.DECLINED})
