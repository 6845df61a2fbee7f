"""Programme and organisation validation and output."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from ..schemas import BaseSchema, CountryCode, Text, Trimmed, one_of
from .models import ORGANISATION_KINDS


def _money(value) -> None:
    """A budget: not negative, below a hundred billion (kept out of the spec's number range,
    as the value travels as a decimal string)."""
    if value < 0 or value >= 10**11:
        raise ValidationError(_l("Give an amount from 0 to 99,999,999,999.99."))


class ProgrammeSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    origin_country = CountryCode(required=True)
    host_countries = fields.List(CountryCode(), load_default=list)
    funder = Trimmed(allow_none=True, validate=validate.Length(max=200))
    budget = fields.Decimal(allow_none=True, places=2, as_string=True, validate=_money,
                            metadata={"type": "string", "format": "decimal",
                                      "example": "1500000.00"})
    currency = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[A-Z]{3}$", error=_l("Use a three-letter ISO 4217 code, e.g. USD.")))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)
    description = Text(allow_none=True, validate=validate.Length(max=4000))
    manager_ids = fields.List(fields.Integer(), load_default=list)
    reply_to = fields.Email(allow_none=True, validate=validate.Length(max=254), metadata={
        "description": "Where replies to the programme's e-mail go (else its managers)"})

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _period(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(_l("The programme cannot end before it starts."),
                                  field_name="ends_on")


class OrganisationSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    kind = fields.String(load_default="diaspora_association", validate=one_of(ORGANISATION_KINDS))
    country = CountryCode(allow_none=True)
    city = Trimmed(allow_none=True, validate=validate.Length(max=120))
    website = fields.URL(allow_none=True, schemes={"http", "https"},
                         validate=validate.Length(max=255))
    contact_email = fields.Email(allow_none=True, validate=validate.Length(max=254))
