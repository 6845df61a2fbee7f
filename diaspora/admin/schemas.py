"""What the administrator pages accept: the audit log's filters, a new safeguards list."""
from __future__ import annotations

from marshmallow import fields, validate

from ..audit import ACTIONS
from ..schemas import BaseSchema, CountryCode, Text, Trimmed


class AuditQuerySchema(BaseSchema):
    action = fields.String(validate=validate.OneOf(ACTIONS))
    entity = fields.String(validate=validate.Length(max=40))
    actor_id = fields.Integer()
    entity_id = fields.Integer()
    since = fields.Date()
    until = fields.Date()


class SafeguardListSchema(BaseSchema):
    name = Trimmed(required=True, validate=validate.Length(min=3, max=200))
    published = fields.Date(allow_none=True)
    source = Trimmed(required=True, validate=validate.Length(min=3, max=2000))
    criteria = Text(allow_none=True, validate=validate.Length(max=4000))
    countries = fields.List(CountryCode(), required=True, validate=validate.Length(min=1, max=250))
