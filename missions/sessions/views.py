"""Pages and API for a virtual mission's sessions: attendance and cancellation."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.errors import DomainError
from diaspora.extensions import db
from diaspora.forms import form_data, load_form
from diaspora.security import login_required

from ..core import access
from ..core.schemas import AttendanceSchema, SessionCancelSchema, SessionSchema
from . import attendance

bp = Blueprint("sessions", __name__)
blp = ApiBlueprint("sessions_api", __name__, url_prefix="/api/v1", tags={
    "Virtual sessions": "The sessions of a virtual mission: who attended each, or why it was "
                        "cancelled.",
})
NOT_YOURS = "Not your mission."
SPARE_ROWS = 3


@bp.record_once
def _register(state):
    state.app.jinja_env.globals.update(session_offer=attendance.session_offer)


def _mission_session(mission_id: int, session_id: int):
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return attendance.get_session(db.session, mission, session_id)


@bp.route("/missions/<int:mission_id>/sessions/<int:session_id>/attendance",
          methods=["GET", "POST"])
@login_required
def record_attendance(mission_id: int, session_id: int):
    """Who attended: local counterparts by cadre and gender (saving marks the session held)."""
    mission_session = _mission_session(mission_id, session_id)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(AttendanceSchema())
        if data:
            try:
                attendance.record_attendance(db.session, mission_session, data["attendance"],
                                             actor=current_user, now=now())
            except DomainError as error:
                if error.code in (401, 403, 404):
                    raise
                errors = error.errors or {"attendance": [error.message]}
            else:
                flash(_("Attendance saved: session %(n)d was held.", n=mission_session.sequence),
                      "success")
                return redirect(url_for("missions.detail", mission_id=mission_id,
                                        _anchor="sessions"))
    rows = [{"cadre": row.cadre, "gender": row.gender, "count": row.count}
            for row in mission_session.attendance] + [{}] * SPARE_ROWS
    return render_template("missions/attendance.html", s=mission_session, m=mission_session.mission,
                           rows=rows, errors=errors), 422 if errors else 200


@bp.post("/missions/<int:mission_id>/sessions/<int:session_id>/cancel")
@login_required
def cancel(mission_id: int, session_id: int):
    mission_session = _mission_session(mission_id, session_id)
    try:
        attendance.cancel_session(db.session, mission_session,
                                  form_data(SessionCancelSchema()).get("reason"),
                                  actor=current_user, now=now())
    except DomainError as error:
        if error.code in (401, 403, 404):
            raise
        flash(error.message, "error")
    else:
        flash(_("Session %(n)d cancelled.", n=mission_session.sequence), "success")
    return redirect(url_for("missions.detail", mission_id=mission_id, _anchor="sessions"))


@blp.get("/missions/<int:mission_id>/sessions")
@login_required
@blp.etag
@blp.response(200, SessionSchema(many=True))
@blp.answers(403, NOT_YOURS)
def list_sessions(mission_id):
    """A virtual mission's sessions with their status and attendance."""
    return access.get_mission(db.session, mission_id, actor=current_user).sessions


@blp.put("/missions/<int:mission_id>/sessions/<int:session_id>/attendance")
@login_required
@blp.arguments(AttendanceSchema)
@blp.response(200, SessionSchema)
@blp.answers(403, NOT_YOURS)
@blp.answers(409, "Attendance is recorded once the mission is under way and the session has "
                  "begun, and never for a cancelled session (``current_status``).")
def record_session_attendance(data, mission_id, session_id):
    """Record who attended (replaces what was recorded); the session is then held."""
    return attendance.record_attendance(db.session, _mission_session(mission_id, session_id),
                                        data["attendance"], actor=current_user, now=now())


@blp.post("/missions/<int:mission_id>/sessions/<int:session_id>/cancel")
@login_required
@blp.arguments(SessionCancelSchema)
@blp.response(200, SessionSchema)
@blp.answers(403, NOT_YOURS)
@blp.answers(409, "Only a scheduled session of a mission that is still on is cancelled "
                  "(``current_status``).")
def cancel_session(data, mission_id, session_id):
    """Cancel a scheduled session (a reason is required); its time is freed."""
    return attendance.cancel_session(db.session, _mission_session(mission_id, session_id),
                                     data.get("reason"), actor=current_user, now=now())
