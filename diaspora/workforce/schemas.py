"""Validation of host health workers (HTML forms and API)."""
from __future__ import annotations

from marshmallow import fields, validate

from .. import reference
from ..professionals.models import GENDERS
from ..schemas import BaseSchema, Trimmed, one_of

CERTIFICATE_LANGUAGES = ("en", "fr", "pt")


class HostHealthWorkerSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    facility_id = fields.Integer(required=True)
    given_name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    family_name = Trimmed(required=True, validate=validate.Length(min=1, max=100))
    cadre = fields.String(required=True, validate=one_of(reference.CADRES))
    gender = fields.String(load_default="undisclosed", validate=one_of(GENDERS))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = Trimmed(allow_none=True, validate=validate.Length(max=40))
    language = fields.String(allow_none=True, validate=one_of(CERTIFICATE_LANGUAGES), metadata={
        "description": "The language their certificates are printed in (else the training's)."})
    consent_given = fields.Boolean(required=True, metadata={
        "description": "The worker agreed to be named as a counterpart or trainee."})
    self_registered = fields.Boolean(dump_only=True)
    confirmed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)


class WorkerQuerySchema(BaseSchema):
    facility_id = fields.Integer()
