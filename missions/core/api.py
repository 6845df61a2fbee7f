"""JSON API for missions: proposals, the lifecycle, readiness, rescheduling."""
from __future__ import annotations

from flask_login import current_user

from diaspora.apispec import ApiBlueprint, page_of
from diaspora.clock import now
from diaspora.errors import NotFound
from diaspora.extensions import db
from diaspora.idempotency import idempotent
from diaspora.needs.services import get_need
from diaspora.professionals.models import Professional
from diaspora.professionals.schemas import ContactSchema
from diaspora.security import login_required, roles_required
from diaspora.vocabulary import Role

from . import access, lifecycle, proposals
from .models import CHECKLIST
from .schemas import (
    MissionQuerySchema,
    MissionSchema,
    ProposalSchema,
    ReasonSchema,
    ScheduleSchema,
    TickSchema,
)

blp = ApiBlueprint("missions_api", __name__, url_prefix="/api/v1", tags={
    "Missions": "Propose a mission for an approved need, then move it along its lifecycle "
                "(accept, confirm, ready, start, complete, report, close; or decline, cancel, "
                "postpone and reschedule) and keep its readiness checklist.",
})
NOT_YOURS = "Not your mission, or your role cannot do this to it."
NOT_ITS_STATUS = "The mission's status does not allow this (``current_status``)."
# action: (endpoint, summary, why else it may answer 409); who may: lifecycle.TRANSITIONS
ACTIONS = {
    "accept": ("accept_mission", "Accept a proposed mission (its professional).", ""),
    "decline": ("decline_mission", "Decline a proposed mission, with a reason (its professional).",
                ""),
    "confirm": ("confirm_mission", "Confirm an accepted mission (programme managers).",
                " A physical clinical mission needs a licence valid in the host country on "
                "every day."),
    "ready": ("mark_mission_ready", "Mark a confirmed mission ready (programme managers).",
              " Every checklist item must be ticked (``missing`` lists the others)."),
    "start": ("start_mission", "Start a confirmed or ready mission (programme managers).",
              " Not before its first day."),
    "complete": ("complete_mission", "Complete a mission in progress (programme managers).", ""),
    "report": ("report_mission", "Mark a completed mission reported (programme managers).", ""),
    "close": ("close_mission", "Close a reported mission (programme managers).",
              " Both outcome reports must be filed or waived (``missing_reports``)."),
    "cancel": ("cancel_mission", "Cancel an open mission, with a reason (its professional, "
                                 "a host coordinator or a programme manager).", ""),
    "postpone": ("postpone_mission", "Postpone a mission not yet started, with a reason (a host "
                                     "coordinator or a programme manager).", ""),
}


@blp.post("/needs/<int:need_id>/missions")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(ProposalSchema)
@blp.response(201, MissionSchema)
@blp.answers(404, "No such need or professional.")
@blp.answers(409, "The need is not approved (``current_status``), or the professional is "
                  "already booked at that time (``conflicting_mission``).")
def propose_mission(data, need_id):
    """Propose a mission to a professional for an approved need."""
    need = get_need(db.session, need_id, actor=current_user)
    professional = db.session.get(Professional, data["professional_id"])
    if professional is None:
        raise NotFound("No such professional.")
    return proposals.propose_mission(db.session, need, professional, data, actor=current_user,
                                     now=now())


@blp.get("/missions")
@login_required
@blp.etag
@blp.arguments(MissionQuerySchema, location="query")
@blp.response(200, MissionSchema(many=True))
@blp.paginate()
def list_missions(args, pagination_parameters):
    """Your missions (professionals), your facilities' (coordinators), or all (managers)."""
    statement = access.mission_query(actor=current_user, **args)
    return page_of(db.session, statement, pagination_parameters)


@blp.get("/missions/<int:mission_id>")
@login_required
@blp.etag
@blp.response(200, MissionSchema)
@blp.answers(403, NOT_YOURS)
def get_mission(mission_id):
    """One mission; the professional's contact is not in it (see ``/missions/<id>/contact``)."""
    return access.get_mission(db.session, mission_id, actor=current_user)


@blp.get("/missions/<int:mission_id>/contact")
@login_required
@blp.response(200, ContactSchema)
@blp.answers(403, NOT_YOURS)
@blp.answers(409, "The contact is shared with the host facility while the mission is confirmed or "
                  "under way, and for a set number of days after it ends.")
def contact(mission_id):
    """The professional's e-mail and phone, for this mission: programme managers, and the host
    facility while the mission is confirmed or under way and for ``CONTACT_VISIBLE_DAYS_AFTER``
    days after it ends (409 otherwise). Every read is written to the audit log."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return access.mission_contact(db.session, mission, actor=current_user, now=now())


def _register_action(action: str, endpoint: str, summary: str, also_conflicts: str) -> None:
    @blp.post(f"/missions/<int:mission_id>/{action}", endpoint=endpoint)
    @login_required
    @blp.arguments(ReasonSchema)
    @blp.response(200, MissionSchema)
    @blp.answers(403, NOT_YOURS)
    @blp.answers(409, NOT_ITS_STATUS + also_conflicts)
    @blp.doc(summary=summary)
    def act(data, mission_id):
        mission = access.get_mission(db.session, mission_id, actor=current_user)
        lifecycle.transition(db.session, mission, action, actor=current_user, now=now(),
                             reason=data.get("reason"))
        return mission


for _action, (_endpoint, _summary, _also_conflicts) in ACTIONS.items():
    _register_action(_action, _endpoint, _summary, _also_conflicts)


@blp.put(f"/missions/<int:mission_id>/checklist/<any({', '.join(CHECKLIST)}):item>")
@login_required
@blp.arguments(TickSchema)
@blp.response(200, MissionSchema)
@blp.answers(403, "Not your mission, or not an item your role ticks.")
@blp.answers(409, "The checklist is kept between acceptance and the start (``current_status``).")
def tick_checklist_item(data, mission_id, item):
    """Tick or untick a readiness item (who may tick which item depends on the role)."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    lifecycle.tick(db.session, mission, item, data["done"], actor=current_user, now=now(),
                  note=data.get("note"))
    return mission


@blp.post("/missions/<int:mission_id>/reschedule")
@roles_required(Role.MANAGER)
@blp.arguments(ScheduleSchema)
@blp.response(200, MissionSchema)
@blp.answers(409, "Only a postponed mission is rescheduled (``current_status``), and the "
                  "professional must be free at the new time (``conflicting_mission``).")
def reschedule_mission(data, mission_id):
    """Give a postponed mission new dates; it is proposed again."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return lifecycle.reschedule(db.session, mission, data, actor=current_user, now=now())
