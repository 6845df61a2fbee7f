"""Facility validation and output."""
from __future__ import annotations

from marshmallow import fields, validate

from .. import reference
from ..schemas import BaseSchema, CountryCode, Trimmed, one_of
from .models import CATEGORIES, OWNERSHIPS, SETTINGS


class FacilitySchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    external_id = fields.String(dump_only=True)
    source = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    country = fields.String(dump_only=True)
    country_name = fields.Function(lambda f: reference.country_name(f.country), dump_only=True)
    admin1 = fields.String(dump_only=True, allow_none=True)
    facility_type = fields.String(dump_only=True, allow_none=True)
    category = fields.String(dump_only=True)
    tier = fields.Integer(dump_only=True, allow_none=True)
    ownership = fields.String(dump_only=True)
    latitude = fields.Float(dump_only=True, allow_none=True)
    longitude = fields.Float(dump_only=True, allow_none=True)
    has_coordinates = fields.Boolean(dump_only=True)
    timezone = fields.String(dump_only=True, allow_none=True)
    setting = fields.String(dump_only=True)
    ict_ready = fields.Boolean(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class FacilityUpdateSchema(BaseSchema):
    """What a programme manager may correct after import."""

    setting = fields.String(validate=one_of(SETTINGS))
    ict_ready = fields.Boolean()
    tier = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=4))
    category = fields.String(validate=one_of(CATEGORIES))
    ownership = fields.String(validate=one_of(OWNERSHIPS))
    name = Trimmed(validate=validate.Length(min=2, max=255))


class FacilityQuerySchema(BaseSchema):
    q = fields.String(validate=validate.Length(max=100))
    country = CountryCode()
    admin1 = fields.String(validate=validate.Length(max=120))
    tier = fields.Integer(validate=validate.Range(min=1, max=4))
    category = fields.String(validate=one_of(CATEGORIES))
    setting = fields.String(validate=one_of(SETTINGS))
    mine = fields.Boolean(metadata={"description": "Only facilities I coordinate"})
