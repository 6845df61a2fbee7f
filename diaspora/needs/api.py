"""JSON API for needs."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import fields

from ..apispec import ApiBlueprint, page_of
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent
from ..schemas import BaseSchema, Text
from ..security import roles_required
from ..vocabulary import Role
from . import services
from .schemas import NeedQuerySchema, NeedSchema

blp = ApiBlueprint("needs_api", __name__, url_prefix="/api/v1/needs", tags={
    "Needs": "Host facility coordinators file needs (what skills, when, for how long); "
             "programme managers approve or return them. Missions are proposed for approved "
             "needs.",
})
NOT_ITS_STATUS = "The need's status does not allow this (``current_status``)."
# action: summary (who may take it: TRANSITIONS in diaspora.needs.services)
ACTIONS = {
    "submit": "Submit a draft or returned need for approval (its coordinators, managers).",
    "approve": "Approve a submitted need (programme managers).",
    "return": "Return a submitted need to its facility with a reason (programme managers).",
    "close": "Close an open need with a reason (its coordinators, managers).",
}


class CreateQuerySchema(BaseSchema):
    submit = fields.Boolean(load_default=False, metadata={"description": "Submit at once"})


class ActionSchema(BaseSchema):
    reason = Text(allow_none=True)  # as the page's text area: it may span lines


@blp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.etag
@blp.arguments(NeedQuerySchema, location="query")
@blp.response(200, NeedSchema(many=True))
@blp.paginate()
def list_needs(args, pagination_parameters):
    """Needs: a coordinator's facilities', or all for programme managers."""
    return page_of(db.session, services.need_query(actor=current_user, **args), pagination_parameters)


@blp.post("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
@blp.arguments(CreateQuerySchema, location="query")
@blp.arguments(NeedSchema)
@blp.response(201, NeedSchema)
def create_need(query, data):
    """File a need for a facility you coordinate (as a draft, or submitted with ``submit=true``)."""
    return services.create_need(db.session, data, actor=current_user, now=now(),
                                submit=query["submit"])


@blp.get("/<int:need_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.etag
@blp.response(200, NeedSchema)
def get_need(need_id):
    """One need."""
    return services.get_need(db.session, need_id, actor=current_user)


@blp.patch("/<int:need_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.arguments(NeedSchema(partial=True))
@blp.response(200, NeedSchema)
@blp.answers(409, "Only a draft or returned need can be changed (``current_status``).")
def update_need(data, need_id):
    """Change a draft or returned need (the result is validated as a whole)."""
    need = services.get_need(db.session, need_id, actor=current_user)
    return services.update_need(db.session, need, data, actor=current_user, now=now())


def _register_action(action: str, summary: str) -> None:
    @blp.post(f"/<int:need_id>/{action}", endpoint=f"{action}_need")
    @roles_required(Role.COORDINATOR, Role.MANAGER)
    @blp.arguments(ActionSchema)
    @blp.response(200, NeedSchema)
    @blp.answers(409, NOT_ITS_STATUS)
    @blp.doc(summary=summary)
    def act_on_need(data, need_id):
        need = services.get_need(db.session, need_id, actor=current_user)
        return services.act(db.session, need, action, actor=current_user, now=now(),
                            reason=data.get("reason"))


for _action, _summary in ACTIONS.items():
    _register_action(_action, _summary)
