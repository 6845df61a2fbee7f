"""The inbox page: every signed-in user's notifications, with the unread count in the menu."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import LazyString, gettext as _
from flask_login import current_user

from diaspora.clock import now
from diaspora.errors import Conflict, Forbidden, Invalid
from diaspora.extensions import db
from diaspora.security import login_required
from diaspora.vocabulary import Role
from diaspora.web import add_nav

from ..core import lifecycle
from . import answers, details, inbox as inbox_service, messages, preferences

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


@bp.route("/account/mail", methods=["GET", "POST"])
@login_required
def mail_settings():
    """Which reminders the signed-in person wants e-mailed (all by default)."""
    if request.method == "POST":
        chosen = {kind: request.form.get(kind) == "1" for kind in preferences.OPTIONAL}
        preferences.set_preferences(db.session, current_user, chosen, actor=current_user, now=now())
        flash(_("Your mail settings are saved."), "success")
        return redirect(url_for("notifications.mail_settings"))
    return render_template("notifications/mail_settings.html",
                           mailed=preferences.preferences(db.session, current_user),
                           labels=preferences.OPTIONAL,
                           mail_on=bool(current_app.config.get("MAIL_SERVER")))


@bp.route("/answer/<token>", methods=["GET", "POST"])
def answer(token: str):
    """A proposal answered from its e-mail's signed link: the page shows the proposal and asks
    to confirm; only the POST (with its CSRF token) acts, through the missions' lifecycle.
    No sign-in is needed: the signed link names the professional (another signed-in person is
    refused). A second answer, or a reload, shows the answer already given."""
    instant = now()
    reply = answers.read_token(db.session, token, now=instant)
    if current_user.is_authenticated and current_user.id != reply.user.id:
        raise Forbidden(_("This link was sent to someone else. Sign out to use it."))
    errors, refused, status = {}, None, 200
    if request.method == "POST" and reply.open:
        try:
            lifecycle.transition(db.session, reply.mission, reply.action, actor=reply.user,
                                 now=instant, reason=request.form.get("reason"))
        except Invalid as error:
            errors, status = error.errors or {"reason": [error.message]}, 422
        except Conflict as error:   # changed meanwhile, e.g. cancelled or answered elsewhere
            refused, status = error.message, 409
            db.session.expire(reply.mission)
        else:
            return redirect(url_for("notifications.answer", token=token))
    if not reply.open and not reply.given:
        status = 410 if reply.expired and not reply.superseded else 409
    return render_template("notifications/answer.html", reply=reply, errors=errors,
                           refused=refused, reason=request.form.get("reason"),
                           facts=details.facts(reply.mission, reply.user.timezone)), status
