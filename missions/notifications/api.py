"""JSON API: your notifications, and marking them read."""
from __future__ import annotations

from flask_login import current_user

from diaspora.apispec import ApiBlueprint, page_of
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.security import login_required

from . import inbox, messages, preferences
from .schemas import MailPreferencesSchema, NotificationQuerySchema, NotificationSchema

blp = ApiBlueprint("notifications_api", __name__, url_prefix="/api/v1", tags={
    "Notifications": "Your inbox: what happened to your needs and missions, and what is due.",
})


def present(notification):
    """The notification with its texts in the reader's language and zone."""
    notification.text = messages.render(notification, current_user.timezone)
    return notification


@blp.get("/notifications")
@login_required
@blp.etag
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True))
@blp.paginate()
def list_notifications(args, pagination_parameters):
    """Your delivered notifications, newest first."""
    statement = inbox.inbox_query(current_user, unread_only=args["unread"])
    return [present(n) for n in page_of(db.session, statement, pagination_parameters)]


@blp.post("/notifications/<int:notification_id>/read")
@login_required
@blp.response(200, NotificationSchema)
def mark_notification_read(notification_id):
    """Mark one of your notifications read."""
    return present(inbox.mark_read(db.session, current_user, notification_id, now=now()))


@blp.get("/notifications/preferences")
@login_required
@blp.response(200, MailPreferencesSchema)
def get_mail_preferences():
    """Which reminders you receive by e-mail."""
    return {"mailed": preferences.preferences(db.session, current_user)}


@blp.put("/notifications/preferences")
@login_required
@blp.arguments(MailPreferencesSchema)
@blp.response(200, MailPreferencesSchema)
def update_mail_preferences(data):
    """Choose which reminders you receive by e-mail (kinds left out keep their setting)."""
    return {"mailed": preferences.set_preferences(db.session, current_user, data["mailed"],
                                                  actor=current_user, now=now())}
