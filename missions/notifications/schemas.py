"""Notifications as the API shows them: texts rendered in the reader's language and zone."""
from __future__ import annotations

from marshmallow import fields, validate

from diaspora.schemas import BaseSchema

from .preferences import OPTIONAL


class NotificationQuerySchema(BaseSchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only unread ones"})


class NotificationSchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "e.g. mission_proposed, session_starts"})
    subject = fields.Function(lambda n: n.text.subject)
    body = fields.Function(lambda n: n.text.body)
    link = fields.Function(lambda n: n.text.link)
    mission_id = fields.Integer(allow_none=True)
    session_id = fields.Integer(allow_none=True)
    due_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    email_status = fields.String(allow_none=True, metadata={
        "description": "null (in-app only), pending, sent or failed"})


class MailPreferencesSchema(BaseSchema):
    mailed = fields.Dict(
        keys=fields.String(validate=validate.OneOf(tuple(OPTIONAL))), values=fields.Boolean(),
        required=True, metadata={
            "description": "Reminder kind → whether it is e-mailed (it always reaches the inbox). "
                           "Kinds left out keep their setting. Notices of proposals, "
                           "confirmations, cancellations and changes are always e-mailed.",
            "example": {"follow_up_due": False, "mission_starts": True}})
