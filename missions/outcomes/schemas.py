"""Validation of outcome reports, waivers and follow-up answers (HTML forms and API), and
their output."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validate, validates_schema

from diaspora import reference
from diaspora.professionals.models import GENDERS
from diaspora.schemas import BaseSchema, Text, Trimmed, one_of

from .models import BARRIERS, FOLLOW_UP_MONTHS, ITEM_KINDS, NEXT_STEPS, SIDES

MOST = 100_000  # no mission trains, treats or teaches more than this


class Count(fields.Integer):
    """A whole number, by default 0 or more: ``3`` or ``"3"`` (forms), never ``1.5``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(min=0, max=MOST))
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class Score(fields.Float):
    """A mean test score in percent."""

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, validate=validate.Range(min=0, max=100), **kwargs)


class TraineeSchema(BaseSchema):
    cadre = fields.String(required=True, validate=one_of(reference.CADRES))
    gender = fields.String(required=True, validate=one_of(GENDERS))
    count = Count(required=True, validate=validate.Range(min=1, max=MOST))


class ItemSchema(BaseSchema):
    kind = fields.String(required=True, validate=one_of(ITEM_KINDS))
    title = Trimmed(required=True, validate=validate.Length(min=2, max=200))


class OutcomeReportSchema(BaseSchema):
    """One side's report. Rules that need the mission (in-person only figures, sessions
    scheduled) are checked by ``services.file_report``."""

    side = fields.String(dump_only=True, validate=one_of(SIDES))
    filed_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)
    author = fields.Function(lambda r: r.author.name if r.author else None, dump_only=True)
    trained_total = Count(required=True, metadata={"description": "People trained, all cadres"})
    trainees = fields.List(fields.Nested(TraineeSchema), load_default=list,
                           validate=validate.Length(max=100),
                           metadata={"description": "People trained by cadre and gender; the "
                                                    "counts add up to trained_total"})
    sessions_held = Count(required=True)
    hours = fields.Float(required=True, validate=validate.Range(min=0, max=10_000),
                         metadata={"description": "Hours of teaching, mentoring or care"})
    patients_seen = Count(allow_none=True, metadata={"description": "In-person missions only"})
    procedures_done = Count(allow_none=True, metadata={"description": "In-person missions only"})
    items = fields.List(fields.Nested(ItemSchema), load_default=list,
                        validate=validate.Length(max=100),
                        metadata={"description": "Protocols, guidelines or curricula "
                                                 "introduced; equipment installed or repaired"})
    tested_count = Count(allow_none=True, metadata={"description": "Trainees who sat the test"})
    pre_score = Score(metadata={"description": "Mean score before the training, percent"})
    post_score = Score(metadata={"description": "Mean score after the training, percent"})
    rating = Count(required=True, validate=validate.Range(min=1, max=5),
                            metadata={"description": "1–5: the professional rates the placement, "
                                                     "the host rates the professional"})
    rating_comment = Text(allow_none=True, validate=validate.Length(max=2000))
    barriers = fields.List(fields.String(validate=one_of(BARRIERS)), load_default=list)
    barriers_note = Text(allow_none=True, validate=validate.Length(max=2000))
    next_steps = fields.List(fields.String(validate=one_of(NEXT_STEPS)), load_default=list)
    next_steps_note = Text(allow_none=True, validate=validate.Length(max=2000))
    narrative = Text(allow_none=True, validate=validate.Length(max=8000))

    @validates_schema
    def _consistent(self, data, **kwargs):
        errors = {**_trainee_errors(data), **_session_errors(data), **_score_errors(data)}
        if "none" in data.get("next_steps", []) and len(data["next_steps"]) > 1:
            errors["next_steps"] = [_l("“Nothing further” excludes the other choices.")]
        if errors:
            raise ValidationError(errors)


def _trainee_errors(data: dict) -> dict:
    rows = data.get("trainees", [])
    pairs = [(row["cadre"], row["gender"]) for row in rows]
    if len(pairs) != len(set(pairs)):
        return {"trainees": [_l("Give each cadre and gender once.")]}
    if rows and sum(row["count"] for row in rows) != data["trained_total"]:
        return {"trainees": [_l("The people trained by cadre and gender must add up to the total.")]}
    if data["trained_total"] and not rows:
        return {"trainees": [_l("Say who was trained, by cadre and gender.")]}
    return {}


def _session_errors(data: dict) -> dict:
    if data["sessions_held"] == 0 and data["hours"] > 0:
        return {"hours": [_l("Hours need at least one session.")]}
    if data["hours"] > 24 * data["sessions_held"]:
        return {"hours": [_l("More hours than the sessions can hold.")]}
    return {}


def _score_errors(data: dict) -> dict:
    pre, post, tested = data.get("pre_score"), data.get("post_score"), data.get("tested_count")
    if (pre is None) != (post is None):
        return {"post_score" if post is None else "pre_score":
                [_l("Give both the score before and the score after.")]}
    if pre is None:
        return {"tested_count": [_l("Give the scores of the people tested.")]} if tested else {}
    if not tested:
        return {"tested_count": [_l("Say how many trainees sat the test.")]}
    if tested > data["trained_total"]:
        return {"tested_count": [_l("More people tested than trained.")]}
    return {}


class WaiverSchema(BaseSchema):
    side = fields.String(dump_only=True, validate=one_of(SIDES))
    reason = Trimmed(required=True, validate=validate.Length(min=5, max=2000))
    waived_at = fields.AwareDateTime(dump_only=True)
    waived_by = fields.Function(lambda w: w.waived_by.name if w.waived_by else None,
                                dump_only=True)


class FollowUpAnswerSchema(BaseSchema):
    practice_in_use = fields.Boolean(required=True, metadata={
        "description": "Is the practice taught still in use?"})
    counterparts_in_post = Count(required=True, metadata={
        "description": "Local counterparts trained who are still in post"})
    trainees_cascaded = Count(required=True, metadata={
        "description": "Further people trained since by those trained"})
    note = Text(allow_none=True, validate=validate.Length(max=4000))


class FollowUpSchema(FollowUpAnswerSchema):
    months = fields.Integer(dump_only=True, validate=one_of(FOLLOW_UP_MONTHS))
    due_at = fields.AwareDateTime(dump_only=True)
    answered_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    practice_in_use = fields.Boolean(dump_only=True, allow_none=True)
    counterparts_in_post = fields.Integer(dump_only=True, allow_none=True)
    trainees_cascaded = fields.Integer(dump_only=True, allow_none=True)


class MissionOutcomesSchema(BaseSchema):
    """Everything on a mission's outcomes, as ``services.outcomes_of`` gathers it."""

    mission_id = fields.Integer()
    reports = fields.Dict(keys=fields.String(validate=one_of(SIDES)),
                          values=fields.Nested(OutcomeReportSchema))
    waivers = fields.Dict(keys=fields.String(validate=one_of(SIDES)),
                          values=fields.Nested(WaiverSchema))
    missing = fields.List(fields.String(validate=one_of(SIDES)),
                          metadata={"description": "Sides neither filed nor waived"})
    follow_ups = fields.List(fields.Nested(FollowUpSchema))
