"""Validation of placement offers, nominations, actions, checklist ticks and follow-ups."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from diaspora import reference
from diaspora.schemas import BaseSchema, LanguageCode, Text, Trimmed, one_of

from .vocabulary import OfferStatus, PlacementStatus


class PlacementOfferSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    partner_id = fields.Integer(required=True)
    partnership_id = fields.Integer(allow_none=True)
    programme_id = fields.Integer(allow_none=True)
    title = Trimmed(required=True, validate=validate.Length(min=3, max=200))
    specialty = fields.String(allow_none=True, validate=one_of(reference.SPECIALTIES))
    cadre = fields.String(required=True, validate=one_of(reference.CADRES))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    language = LanguageCode(required=True)
    supervisor = Trimmed(allow_none=True, validate=validate.Length(max=200))
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    service_months = fields.Integer(load_default=24, validate=validate.Range(min=0, max=120),
                                    metadata={"description": "Return-and-service agreement: "
                                              "months back at the home facility"})
    status = fields.String(dump_only=True, validate=one_of(OfferStatus))

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError({"ends_on": [_l("The end must not be before the start.")]})
        if data.get("starts_on") and data.get("ends_on") and \
                (data["ends_on"] - data["starts_on"]).days > 3 * 366:
            raise ValidationError({"ends_on": [_l("A placement lasts three years at most.")]})


class PlacementNominationSchema(BaseSchema):
    worker_id = fields.Integer(required=True)
    note = Text(allow_none=True, validate=validate.Length(max=2000))


class PlacementActionSchema(BaseSchema):
    reason = Text(allow_none=True, validate=validate.Length(max=4000))
    returned_on = fields.Date(allow_none=True)


class PlacementTickSchema(BaseSchema):
    done = fields.Boolean(required=True)


class PlacementFollowUpAnswerSchema(BaseSchema):
    in_post = fields.Boolean(required=True, metadata={"description": "Back in post at the home facility"})
    colleagues_trained = fields.Integer(required=True, validate=validate.Range(min=0, max=10000),
                                        metadata={"description": "Colleagues trained in turn since the return"})
    introduced = Text(allow_none=True, validate=validate.Length(max=4000))
    note = Text(allow_none=True, validate=validate.Length(max=4000))


class PlacementFollowUpSchema(PlacementFollowUpAnswerSchema):
    months = fields.Integer(dump_only=True)
    due_at = fields.AwareDateTime(dump_only=True)
    answered_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    in_post = fields.Boolean(dump_only=True, allow_none=True)
    colleagues_trained = fields.Integer(dump_only=True, allow_none=True)


class PlacementChecklistRowSchema(BaseSchema):
    item = fields.String(dump_only=True)
    done_at = fields.AwareDateTime(dump_only=True, allow_none=True)


class PlacementSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    offer_id = fields.Integer(dump_only=True)
    worker_id = fields.Integer(dump_only=True)
    facility_id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, validate=one_of(PlacementStatus))
    starts_on = fields.Date(dump_only=True)
    ends_on = fields.Date(dump_only=True)
    returned_on = fields.Date(dump_only=True, allow_none=True)
    service_months = fields.Integer(dump_only=True)
    safeguards_flag = fields.Boolean(dump_only=True)
    report = fields.String(dump_only=True, allow_none=True)
    status_reason = fields.String(dump_only=True, allow_none=True)
    checklist = fields.List(fields.Nested(PlacementChecklistRowSchema), dump_only=True)
    follow_ups = fields.List(fields.Nested(PlacementFollowUpSchema), dump_only=True)


class NamedCounterpartSchema(BaseSchema):
    worker_id = fields.Integer(required=True)


class SessionTraineesSchema(BaseSchema):
    worker_ids = fields.List(fields.Integer(), required=True, validate=validate.Length(max=200))
