"""The inbox page: every signed-in user's notifications, with the unread count in the menu."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import LazyString, gettext as _
from flask_login import current_user

from diaspora.clock import now
from diaspora.extensions import db
from diaspora.security import login_required
from diaspora.vocabulary import Role
from diaspora.web import add_nav

from . import inbox as inbox_service, messages

bp = Blueprint("notifications", __name__)


def inbox_label() -> str:
    count = inbox_service.unread_count(db.session, current_user)
    return _("Inbox (%(n)d)", n=count) if count else _("Inbox")


@bp.record_once
def _nav(state):
    add_nav(state.app, "notifications.inbox", LazyString(inbox_label), tuple(Role), 90, "notifications.")


@bp.get("/inbox")
@login_required
def inbox():
    unread = request.args.get("unread") == "1"
    page = db.paginate(inbox_service.inbox_query(current_user, unread_only=unread),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    items = [(n, messages.render(n, current_user.timezone)) for n in page.items]
    return render_template("notifications/inbox.html", page=page, items=items, unread=unread)


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    inbox_service.mark_read(db.session, current_user, notification_id, now=now())
    return redirect(url_for("notifications.inbox", _anchor=f"n{notification_id}"))


@bp.post("/inbox/read-all")
@login_required
def read_all():
    count = inbox_service.mark_all_read(db.session, current_user, now=now())
    flash(_("%(n)d notifications marked read.", n=count), "success")
    return redirect(url_for("notifications.inbox"))
