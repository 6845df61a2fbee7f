"""JSON API for placements abroad, named counterparts and the placement figures."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import fields
from sqlalchemy.orm import selectinload

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.errors import NotFound
from diaspora.extensions import db
from diaspora.idempotency import idempotent
from diaspora.schemas import BaseSchema
from diaspora.security import roles_required
from diaspora.vocabulary import Role
from diaspora.workforce import services as workforce

from ..core import access as mission_access
from ..core.models import MissionSession
from ..dashboards.filters import filters_for
from . import access, counterparts, figures, services
from .models import Placement
from .schemas import (
    NamedCounterpartSchema,
    PlacementActionSchema,
    PlacementFollowUpAnswerSchema,
    PlacementFollowUpSchema,
    PlacementNominationSchema,
    PlacementOfferSchema,
    PlacementSchema,
    PlacementTickSchema,
    SessionTraineesSchema,
)
from .vocabulary import ChecklistItem, PlacementAction

blp = ApiBlueprint("placements_api", __name__, url_prefix="/api/v1", tags={
    "Placements": "Training placements abroad: a partner institution's offers, nominations by "
                  "coordinators, selection by managers, readiness, return and the follow-ups at "
                  "+6, +12 and +24 months; the named counterparts of missions and sessions.",
})
ACTION = f"<any({', '.join(PlacementAction.codes())}):action>"
ITEM = f"<any({', '.join(ChecklistItem.codes())}):item>"


class CounterpartWorkerSchema(BaseSchema):
    id = fields.Integer()
    given_name = fields.String()
    family_name = fields.String()
    cadre = fields.String()


class PlacementRetentionSchema(BaseSchema):
    months = fields.Integer()
    answered = fields.Integer()
    in_post = fields.Integer()


class PlacementChainSchema(BaseSchema):
    counterparts = fields.Integer()
    placed_abroad = fields.Integer()
    training_others = fields.Integer()
    colleagues_trained = fields.Integer()


class PlacementFiguresSchema(BaseSchema):
    placements = fields.Integer()
    returned = fields.Integer()
    by_partner = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_country = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_cadre = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_gender = fields.Dict(keys=fields.String(), values=fields.Integer())
    retention = fields.List(fields.Nested(PlacementRetentionSchema))
    chain = fields.Nested(PlacementChainSchema)


@blp.get("/placement-offers")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PlacementOfferSchema(many=True))
def list_offers():
    """Every placement offer, by first day."""
    return services.list_offers(db.session)


@blp.post("/placement-offers")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(PlacementOfferSchema)
@blp.response(201, PlacementOfferSchema)
def create_offer(data):
    """Record places a partner institution offers (programme managers)."""
    return services.create_offer(db.session, data, actor=current_user, now=now())


@blp.get("/placement-offers/<int:offer_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PlacementOfferSchema)
def get_offer(offer_id):
    """One offer."""
    return access.get_offer(db.session, offer_id)


@blp.post("/placement-offers/<int:offer_id>/withdraw")
@roles_required(Role.MANAGER)
@blp.response(200, PlacementOfferSchema)
@blp.answers(409, "The offer was withdrawn already (``current_status``).")
def withdraw_offer(offer_id):
    """The partner takes its offer back: no more nominations or selections."""
    offer = access.get_offer(db.session, offer_id)
    return services.withdraw_offer(db.session, offer, actor=current_user, now=now())


@blp.post("/placement-offers/<int:offer_id>/nominations")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
@blp.arguments(PlacementNominationSchema)
@blp.response(201, PlacementSchema)
@blp.answers(409, "The offer was withdrawn, or the worker is nominated already.")
def nominate(data, offer_id):
    """Nominate a member of your facility's staff (confirmed, with consent, of the cadre)."""
    offer = access.get_offer(db.session, offer_id)
    worker = workforce.get_worker(db.session, data["worker_id"], actor=current_user)
    return services.nominate(db.session, offer, worker, actor=current_user, now=now(),
                             note=data.get("note"))


@blp.get("/placements")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PlacementSchema(many=True))
def list_placements():
    """The placements you follow: your facilities' staff, or your programmes'."""
    return db.session.scalars(access.placement_query(db.session, current_user).options(
        selectinload(Placement.checklist), selectinload(Placement.follow_ups))).all()


@blp.get("/placements/<int:placement_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PlacementSchema)
def get_placement(placement_id):
    """One placement with its checklist and follow-ups."""
    return access.get_placement(db.session, placement_id, actor=current_user)


@blp.post(f"/placements/<int:placement_id>/{ACTION}")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.arguments(PlacementActionSchema)
@blp.response(200, PlacementSchema)
@blp.answers(409, "Not from the placement's status (``current_status``), the worker has an "
                  "overlapping placement (``conflicting_placement``), no place is left, or the "
                  "checklist is incomplete (``missing``).")
def act_on_placement(data, placement_id, action):
    """Select, decline (not selected), confirm, mark ready, departed, returned (with
    ``returned_on``), report (the reason is the report), close, cancel or postpone."""
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    return services.transition(db.session, placement, action, actor=current_user, now=now(),
                               reason=data.get("reason"), returned_on=data.get("returned_on"))


@blp.put(f"/placements/<int:placement_id>/checklist/{ITEM}")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.arguments(PlacementTickSchema)
@blp.response(200, PlacementSchema)
def tick_placement_item(data, placement_id, item):
    """Tick or untick a readiness item (from selection until departure)."""
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    services.tick(db.session, placement, item, data["done"], actor=current_user, now=now())
    return placement


@blp.put("/placements/<int:placement_id>/follow-ups/<int:months>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
@blp.arguments(PlacementFollowUpAnswerSchema)
@blp.response(200, PlacementFollowUpSchema)
@blp.answers(409, "The survey is not open yet.")
def answer_placement_follow_up(data, placement_id, months):
    """Answer the survey at +6, +12 or +24 months after return (open a week before)."""
    placement = access.get_placement(db.session, placement_id, actor=current_user)
    survey = services.get_follow_up(placement, months)
    return services.answer_follow_up(db.session, survey, data, actor=current_user, now=now())


@blp.get("/placement-figures")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, PlacementFiguresSchema)
def placement_figures():
    """Placements by partner, country, cadre and gender; retention; the chain (your
    facilities, or your programmes)."""
    return figures.compute(db.session, filters_for(db.session, current_user, {}))


@blp.get("/missions/<int:mission_id>/counterparts")
@roles_required(Role.PROFESSIONAL, Role.COORDINATOR, Role.MANAGER)
@blp.response(200, CounterpartWorkerSchema(many=True))
def list_counterparts(mission_id):
    """The host health workers named as the mission's counterparts."""
    mission = mission_access.get_mission(db.session, mission_id, actor=current_user)
    return counterparts.counterparts_of(db.session, mission)


@blp.post("/missions/<int:mission_id>/counterparts")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.arguments(NamedCounterpartSchema)
@blp.response(201)
@blp.answers(409, "Named already, or the mission was called off.")
def add_counterpart(data, mission_id):
    """Name a member of the host facility's staff as a counterpart of the mission."""
    mission = mission_access.get_mission(db.session, mission_id, actor=current_user)
    worker = workforce.get_worker(db.session, data["worker_id"], actor=current_user)
    counterparts.add_counterpart(db.session, mission, worker, actor=current_user, now=now())
    return {}


@blp.put("/missions/<int:mission_id>/sessions/<int:session_id>/trainees")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.arguments(SessionTraineesSchema)
@blp.response(204)
@blp.answers(409, "The session is not held.")
def record_session_trainees(data, mission_id, session_id):
    """Who attended a held session, by name (the counts by cadre and gender stay as they are)."""
    mission = mission_access.get_mission(db.session, mission_id, actor=current_user)
    held = db.session.get(MissionSession, session_id)
    if held is None or held.mission_id != mission.id:
        raise NotFound(_("This mission has no such session."))
    workers = [workforce.get_worker(db.session, worker_id, actor=current_user)
               for worker_id in dict.fromkeys(data["worker_ids"])]
    counterparts.record_trainees(db.session, held, workers, actor=current_user, now=now())
