"""Validation and output of missions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from diaspora.reference import CADRES
from diaspora.schemas import BaseSchema, Text, Trimmed, one_of
from diaspora.vocabulary import KINDS

from ..sessions.series import WEEKDAYS
from .models import CHECKLIST, GENDERS
from .vocabulary import MissionStatus, SessionStatus

SERIES_ZONES = ("host", "professional")


class ScheduleSchema(BaseSchema):
    """When a mission happens. Physical: first and last day (host zone). Virtual: the series."""

    starts_on = fields.Date(required=True, metadata={"description": "First day (host zone)"})
    ends_on = fields.Date(allow_none=True, metadata={"description": "Last day, physical missions"})
    weekdays = fields.List(fields.String(validate=one_of(WEEKDAYS)), load_default=list,
                           metadata={"description": "Virtual: days of the week, e.g. [\"TU\"]"})
    session_start = fields.Time(allow_none=True, metadata={"description": "Virtual: host-zone time"})
    session_minutes = fields.Integer(allow_none=True, validate=validate.Range(min=15, max=480))
    weeks = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=104))
    exdates = fields.List(fields.Date(), load_default=list,
                          metadata={"description": "Virtual: local days without a session"})
    series_zone = fields.String(load_default="host", validate=one_of(SERIES_ZONES), metadata={
        "description": "Virtual: whose wall-clock time the sessions keep across daylight-saving "
                       "changes, the host facility's (default) or the professional's"})
    join_url = fields.URL(allow_none=True, schemes={"https", "http"},
                          validate=validate.Length(max=500))
    note = Text(allow_none=True, validate=validate.Length(max=2000))

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _order(self, data, **kwargs):
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError(_l("The last day must not be before the first."),
                                  field_name="ends_on")


class ProposalSchema(ScheduleSchema):
    professional_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=one_of(KINDS))


class ReasonSchema(BaseSchema):
    reason = Trimmed(allow_none=True, validate=validate.Length(max=2000))


class SessionCancelSchema(BaseSchema):
    """Cancelling one session: its reason is kept on the session, in at most 300 characters."""

    reason = Trimmed(allow_none=True, validate=validate.Length(max=300))


class TickSchema(BaseSchema):
    done = fields.Boolean(required=True)
    note = Trimmed(allow_none=True, validate=validate.Length(max=300))


class ChecklistItemSchema(BaseSchema):
    item = fields.String(validate=one_of(CHECKLIST))
    done_at = fields.AwareDateTime(allow_none=True)


class AttendanceRowSchema(BaseSchema):
    """Local counterparts of one cadre and gender present at a session."""

    cadre = fields.String(required=True, validate=one_of(CADRES), metadata={
        "description": "ISCO-08 unit group, e.g. 2221 (nurse)"})
    gender = fields.String(required=True, validate=one_of(GENDERS))
    count = fields.Integer(required=True, validate=validate.Range(min=1, max=1000))


class AttendanceSchema(BaseSchema):
    """The whole attendance of a session (replaces what was recorded); marks it held."""

    attendance = fields.List(fields.Nested(AttendanceRowSchema), load_default=list)

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _one_row_per_group(self, data, **kwargs):
        groups = [(row.get("cadre"), row.get("gender")) for row in data.get("attendance", [])
                  if "cadre" in row and "gender" in row]
        if len(groups) != len(set(groups)):
            raise ValidationError(_l("Give each cadre and gender once."), field_name="attendance")


class SessionSchema(BaseSchema):
    id = fields.Integer()
    sequence = fields.Integer()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    timezone = fields.String(metadata={"description": "The zone the series follows"})
    topic = fields.String(allow_none=True)
    status = fields.String(validate=one_of(SessionStatus))
    status_reason = fields.String(allow_none=True)
    status_changed_at = fields.AwareDateTime(allow_none=True)
    attendance = fields.List(fields.Nested(AttendanceRowSchema))
    attendees = fields.Integer()


class EventSchema(BaseSchema):
    at = fields.AwareDateTime()
    actor_label = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String()
    reason = fields.String(allow_none=True)


class MissionSchema(BaseSchema):
    id = fields.Integer()
    need_id = fields.Integer()
    facility_id = fields.Integer()
    facility_name = fields.Function(lambda m: m.facility.name)
    professional_id = fields.Integer()
    professional_name = fields.Function(lambda m: m.professional.full_name)
    professional_cadre = fields.Function(lambda m: m.professional.cadre, metadata={
        "description": "ISCO-08 unit group"})
    professional_languages = fields.Function(
        lambda m: [language.language for language in m.professional.languages])
    kind = fields.String(validate=one_of(KINDS))
    status = fields.String(validate=one_of(MissionStatus))
    status_reason = fields.String(allow_none=True)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    starts_on = fields.Date()
    ends_on = fields.Date()
    timezone = fields.String()
    cycle = fields.Integer()
    engagement_id = fields.Integer()
    rrule = fields.String(allow_none=True)
    series_timezone = fields.String(allow_none=True)
    session_start = fields.Time(allow_none=True)
    session_minutes = fields.Integer(allow_none=True)
    join_url = fields.String(allow_none=True)
    report_overdue_at = fields.AwareDateTime(allow_none=True)
    checklist = fields.List(fields.Nested(ChecklistItemSchema))
    sessions = fields.List(fields.Nested(SessionSchema))
    events = fields.List(fields.Nested(EventSchema))


class MissionQuerySchema(BaseSchema):
    status = fields.String(validate=one_of(MissionStatus))
    kind = fields.String(validate=one_of(KINDS))
    facility_id = fields.Integer()
    professional_id = fields.Integer()
