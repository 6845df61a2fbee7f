"""Calendar files: a mission's .ics, and each person's private feed and its settings page."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from diaspora.clock import now
from diaspora.errors import NotFound
from diaspora.extensions import db
from diaspora.idempotency import idempotent_secret
from diaspora.security import login_required

from ..core import access
from . import ics
from .services import active_feed, create_feed, feed_missions, feed_owner, revoke_feed

bp = Blueprint("calendars", __name__)


def mission_calendar_link(mission) -> list[dict]:
    return [{"url": url_for("calendars.mission_ics", mission_id=mission.id),
             "label": _("Add to calendar (.ics)")}]


@bp.record_once
def _links(state):
    state.app.extensions.setdefault("mission_link_providers", []).append(mission_calendar_link)


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/missions/<int:mission_id>/calendar.ics")
@login_required
def mission_ics(mission_id: int):
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return _ics(ics.calendar([mission], name=mission.need.title), f"mission-{mission.id}.ics")


@bp.get("/calendar")
@login_required
def feed_page():
    return render_template("calendars/feed.html", feed=active_feed(db.session, current_user),
                           feed_url=None)


@bp.post("/calendar/feed")
@login_required
@idempotent_secret
def new_feed():
    """A new secret address (shown once); any previous one stops working."""
    feed, token = create_feed(db.session, current_user, now=now())
    return render_template("calendars/feed.html", feed=feed,
                           feed_url=url_for("calendars.feed", token=token, _external=True))


@bp.post("/calendar/feed/revoke")
@login_required
def revoke():
    if revoke_feed(db.session, current_user, now=now()):
        flash(_("Calendar feed revoked: its address no longer works."), "success")
    return redirect(url_for("calendars.feed_page"))


@bp.get("/calendar/<token>.ics")
def feed(token: str):
    """The private feed: no sign-in, the secret address is the key."""
    instant = now()
    owner = feed_owner(db.session, token, now=instant)
    if owner is None:
        raise NotFound(_("No such calendar."))
    body = ics.calendar(feed_missions(db.session, owner, now=instant),
                        name=_("Missions — %(name)s", name=owner.name), refresh=ics.FEED_REFRESH)
    return _ics(body, "missions.ics")
