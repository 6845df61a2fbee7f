"""JSON API for outcomes: a mission's reports, filing one side, waivers, follow-up answers."""
from __future__ import annotations

from flask_login import current_user

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.idempotency import idempotent
from diaspora.security import login_required, roles_required
from diaspora.vocabulary import Role

from ..core import access
from . import services
from .schemas import (
    FollowUpAnswerSchema,
    FollowUpSchema,
    MissionOutcomesSchema,
    OutcomeReportSchema,
    WaiverSchema,
)

blp = ApiBlueprint("outcomes_api", __name__, url_prefix="/api/v1/missions", tags={
    "Outcomes": "After a mission: the professional's and the host's outcome reports, waivers, "
                "and the follow-up surveys at +3, +6 and +12 months.",
})
NOT_YOURS = "Not your mission, or not your side of it."
SIDE = "<any(professional, host):side>"


@blp.get("/<int:mission_id>/outcomes")
@login_required
@blp.etag
@blp.response(200, MissionOutcomesSchema)
@blp.answers(403, "Not your mission.")
def list_outcomes(mission_id):
    """Both reports, the waivers, the sides still missing and the follow-up surveys."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return services.outcomes_of(db.session, mission)


@blp.put(f"/<int:mission_id>/outcomes/{SIDE}")
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR)
@idempotent
@blp.arguments(OutcomeReportSchema)
@blp.response(200, OutcomeReportSchema)
@blp.answers(403, NOT_YOURS)
@blp.answers(409, "Reports are filed once the mission is completed and until it is closed "
                  "(``current_status``), or someone saved this report at the same moment.")
def file_outcome_report(data, mission_id, side):
    """File or replace your side's outcome report.

    The professional files "professional", a host coordinator "host"; once the mission is
    completed and until it is closed."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return services.file_report(db.session, mission, side, data, actor=current_user, now=now())


@blp.post(f"/<int:mission_id>/outcomes/{SIDE}/waiver")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(WaiverSchema)
@blp.response(201, WaiverSchema)
@blp.answers(409, "Reports are waived once the mission is completed and until it is closed "
                  "(``current_status``), and only if not filed or waived already.")
def waive_outcome_report(data, mission_id, side):
    """Waive a side's report (a reason is required); the mission can then be closed."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return services.waive(db.session, mission, side, data["reason"], actor=current_user, now=now())


@blp.put("/<int:mission_id>/follow-ups/<int:months>")
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR)
@idempotent
@blp.arguments(FollowUpAnswerSchema)
@blp.response(200, FollowUpSchema)
@blp.answers(403, NOT_YOURS)
@blp.answers(409, "The survey is not open yet.")
def answer_follow_up(data, mission_id, months):
    """Answer the survey at +3, +6 or +12 months (open from a week before it is due)."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    survey = services.get_follow_up(db.session, mission, months)
    return services.answer_follow_up(db.session, survey, data, actor=current_user, now=now())
