"""Validation of partner institutions, agreements and partnerships (HTML forms and API)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from ..schemas import BaseSchema, CountryCode, Text, Trimmed, one_of
from .models import PARTNER_KINDS


def _period(data) -> None:
    if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
        raise ValidationError({"ends_on": [_l("The end must not be before the start.")]})


class AgreementSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    facility_id = fields.Integer(allow_none=True)
    counterparty = Trimmed(allow_none=True, validate=validate.Length(max=200))
    title = Trimmed(required=True, validate=validate.Length(min=3, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)

    @validates_schema
    def _shape(self, data, **kwargs):
        _period(data)
        if not data.get("facility_id") and not data.get("counterparty"):
            raise ValidationError({"counterparty": [
                _l("Name the facility or the other party (e.g. the Ministry of Health).")]})


class PartnerSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    country = CountryCode(required=True)
    city = Trimmed(allow_none=True, validate=validate.Length(max=120))
    kind = fields.String(required=True, validate=one_of(PARTNER_KINDS))
    contact_name = Trimmed(allow_none=True, validate=validate.Length(max=200))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    website = fields.URL(allow_none=True, validate=validate.Length(max=300))
    agreements = fields.List(fields.Nested(AgreementSchema), dump_only=True)


class PartnershipSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    partner_id = fields.Integer(required=True)
    facility_id = fields.Integer(required=True)
    programme_id = fields.Integer(allow_none=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    aims = Text(allow_none=True, validate=validate.Length(max=4000))

    @validates_schema
    def _shape(self, data, **kwargs):
        _period(data)


class EmployerSchema(BaseSchema):
    partner_id = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The partner institution that employs the professional; null: none"})
    since = fields.Date(allow_none=True)
