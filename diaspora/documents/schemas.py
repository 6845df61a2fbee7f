"""The fields that come with an upload and with a verification."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

from ..schemas import BaseSchema, one_of
from .vocabulary import MISSION, PERSONAL


class PersonalUploadSchema(BaseSchema):
    purpose = fields.String(required=True, validate=one_of(PERSONAL))


class MissionUploadSchema(BaseSchema):
    purpose = fields.String(required=True, validate=one_of(MISSION))


class VerificationSchema(BaseSchema):
    document_id = fields.Integer(required=True, strict=False,
                                 validate=validate.Range(min=1, max=2**31 - 1))
    register = fields.String(required=True, validate=validate.Length(
        min=3, max=200, error=_l("Name the register you checked (3 to 200 characters).")))
