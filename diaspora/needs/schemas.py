"""Validation of needs (HTML forms and API)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from .. import reference
from ..schemas import BaseSchema, LanguageCode, Text, Trimmed, one_of
from ..vocabulary import Mode, NeedStatus, Purpose


class CounterpartSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    name = Trimmed(required=True, validate=validate.Length(min=2, max=200))
    cadre = fields.String(allow_none=True, validate=one_of(reference.CADRES))
    role = Trimmed(allow_none=True, validate=validate.Length(max=120))


class NeedSchema(BaseSchema):
    id = fields.Integer(dump_only=True)
    facility_id = fields.Integer(required=True)
    programme_id = fields.Integer(allow_none=True)
    title = Trimmed(required=True, validate=validate.Length(min=3, max=200))
    description = Text(allow_none=True, validate=validate.Length(max=4000))
    cadre = fields.String(required=True, validate=one_of(reference.CADRES))
    specialty = fields.String(allow_none=True, validate=one_of(reference.SPECIALTIES))
    skills = fields.List(Trimmed(validate=validate.Length(min=2, max=80)), load_default=list,
                         validate=validate.Length(max=20))
    languages = fields.List(LanguageCode(), load_default=list, validate=validate.Length(max=10))
    purpose = fields.String(required=True, validate=one_of(Purpose))
    mode = fields.String(required=True, validate=one_of(Mode))
    earliest_start = fields.Date(required=True)
    latest_end = fields.Date(required=True)
    duration_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=365))
    sessions_per_week = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=14))
    weeks = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=104))
    session_hours = fields.Float(allow_none=True, validate=validate.Range(min=0.25, max=8))
    priority = fields.Integer(load_default=3, validate=validate.Range(min=1, max=4),
                              metadata={"description": "1 critical, 2 high, 3 medium, 4 low"})
    counterparts = fields.List(fields.Nested(CounterpartSchema), load_default=list,
                               validate=validate.Length(max=50))
    status = fields.String(dump_only=True, validate=one_of(NeedStatus))
    return_reason = fields.String(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)
    submitted_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    approved_at = fields.AwareDateTime(dump_only=True, allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _shape(self, data, **kwargs):
        errors: dict[str, list] = {}
        start, end = data.get("earliest_start"), data.get("latest_end")
        window_days = (end - start).days + 1 if start and end else None
        if window_days is not None and window_days < 1:
            errors["latest_end"] = [_l("The latest end must not be before the earliest start.")]
        mode = data.get("mode")
        if mode in (Mode.PHYSICAL, Mode.EITHER):
            if not data.get("duration_days"):
                errors["duration_days"] = [_l("Say how many days in person.")]
            elif window_days and data["duration_days"] > window_days:
                errors["duration_days"] = [_l("The stay does not fit between the earliest start and the latest end.")]
        if mode in (Mode.VIRTUAL, Mode.EITHER):
            for key in ("sessions_per_week", "weeks", "session_hours"):
                if not data.get(key):
                    errors[key] = [_l("Needed for online work.")]
            if data.get("weeks") and window_days and data["weeks"] * 7 > window_days + 6:
                errors["weeks"] = [_l("The weeks do not fit between the earliest start and the latest end.")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data, **kwargs):
        if "skills" in data:
            data["skills"] = sorted({" ".join(s.lower().split()) for s in data["skills"]})
        if "languages" in data:
            data["languages"] = list(dict.fromkeys(data["languages"]))
        return data


class NeedDecisionSchema(BaseSchema):
    """Returning or closing a need takes a reason."""

    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class NeedQuerySchema(BaseSchema):
    status = fields.String(validate=one_of(NeedStatus))
    facility_id = fields.Integer()
    country = fields.String(validate=validate.Length(equal=2))
    mode = fields.String(validate=one_of(Mode))
    purpose = fields.String(validate=one_of(Purpose))
