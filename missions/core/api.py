"""JSON API for missions: proposals, the lifecycle, readiness, rescheduling."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from diaspora.apispec import page_of
from diaspora.clock import now
from diaspora.errors import NotFound
from diaspora.extensions import db
from diaspora.idempotency import idempotent
from diaspora.needs.services import get_need
from diaspora.professionals.models import Professional
from diaspora.security import login_required, roles_required

from . import access, lifecycle, proposals
from .models import CHECKLIST
from .schemas import (MissionQuerySchema, MissionSchema, ProposalSchema, ReasonSchema,
                      ScheduleSchema, TickSchema)

blp = Blueprint("missions_api", __name__, url_prefix="/api/v1", description="Missions")
ACTIONS = "accept, decline, confirm, ready, start, complete, report, close, cancel, postpone"


@blp.post("/needs/<int:need_id>/missions")
@roles_required("manager")
@idempotent
@blp.arguments(ProposalSchema)
@blp.response(201, MissionSchema)
def propose(data, need_id):
    """Propose a mission to a professional for an approved need (409 if their time is taken)."""
    need = get_need(db.session, need_id, actor=current_user)
    professional = db.session.get(Professional, data["professional_id"])
    if professional is None:
        raise NotFound("No such professional.")
    mission = proposals.propose_mission(db.session, need, professional, data, actor=current_user,
                                       now=now())
    return access.present(mission, current_user)


@blp.get("/missions")
@login_required
@blp.etag
@blp.arguments(MissionQuerySchema, location="query")
@blp.response(200, MissionSchema(many=True))
@blp.paginate()
def list_missions(args, pagination_parameters):
    """Your missions (professionals), your facilities' (coordinators), or all (managers)."""
    statement = access.mission_query(actor=current_user, **args)
    return [access.present(m, current_user)
            for m in page_of(db.session, statement, pagination_parameters)]


@blp.get("/missions/<int:mission_id>")
@login_required
@blp.etag
@blp.response(200, MissionSchema)
def get_mission(mission_id):
    return access.present(access.get_mission(db.session, mission_id, actor=current_user),
                            current_user)


@blp.post(f"/missions/<int:mission_id>/<any({ACTIONS}):action>")
@login_required
@blp.arguments(ReasonSchema)
@blp.response(200, MissionSchema)
def act(data, mission_id, action):
    """Move a mission along its lifecycle; an action that does not fit answers 409 with
    ``current_status``. Declining, cancelling and postponing take a ``reason``."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    lifecycle.transition(db.session, mission, action, actor=current_user, now=now(),
                        reason=data.get("reason"))
    return access.present(mission, current_user)


@blp.put(f"/missions/<int:mission_id>/checklist/<any({', '.join(CHECKLIST)}):item>")
@login_required
@blp.arguments(TickSchema)
@blp.response(200, MissionSchema)
def tick(data, mission_id, item):
    """Tick or untick a readiness item (who may tick which item depends on the role)."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    lifecycle.tick(db.session, mission, item, data["done"], actor=current_user, now=now(),
                  note=data.get("note"))
    return access.present(mission, current_user)


@blp.post("/missions/<int:mission_id>/reschedule")
@roles_required("manager")
@blp.arguments(ScheduleSchema)
@blp.response(200, MissionSchema)
def reschedule(data, mission_id):
    """Give a postponed mission new dates; it is proposed again."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return access.present(lifecycle.reschedule(db.session, mission, data, actor=current_user,
                                                now=now()), current_user)
