"""JSON API for needs."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from ..apispec import page_of
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent
from ..schemas import BaseSchema
from ..security import roles_required
from . import services
from .schemas import NeedQuerySchema, NeedSchema

blp = Blueprint("needs_api", __name__, url_prefix="/api/v1/needs",
                description="Needs filed by host facilities")


class CreateQuerySchema(BaseSchema):
    submit = fields.Boolean(load_default=False, metadata={"description": "Submit at once"})


class ActionSchema(BaseSchema):
    reason = fields.String(allow_none=True)


@blp.get("")
@roles_required("coordinator", "manager")
@blp.etag
@blp.arguments(NeedQuerySchema, location="query")
@blp.response(200, NeedSchema(many=True))
@blp.paginate()
def list_needs(args, pagination_parameters):
    """Needs: a coordinator's facilities', or all for programme managers."""
    return page_of(db.session, services.need_query(actor=current_user, **args), pagination_parameters)


@blp.post("")
@roles_required("coordinator", "manager")
@idempotent
@blp.arguments(CreateQuerySchema, location="query")
@blp.arguments(NeedSchema)
@blp.response(201, NeedSchema)
def create_need(query, data):
    """File a need for a facility you coordinate (as a draft, or submitted with ``submit=true``)."""
    return services.create_need(db.session, data, actor=current_user, now=now(),
                                submit=query["submit"])


@blp.get("/<int:need_id>")
@roles_required("coordinator", "manager")
@blp.etag
@blp.response(200, NeedSchema)
def get_need(need_id):
    return services.get_need(db.session, need_id, actor=current_user)


@blp.patch("/<int:need_id>")
@roles_required("coordinator", "manager")
@blp.arguments(NeedSchema(partial=True))
@blp.response(200, NeedSchema)
def update_need(data, need_id):
    """Change a draft or returned need (the result is validated as a whole)."""
    need = services.get_need(db.session, need_id, actor=current_user)
    return services.update_need(db.session, need, data, actor=current_user, now=now())


@blp.post("/<int:need_id>/<any(submit, approve, return, close):action>")
@roles_required("coordinator", "manager")
@blp.arguments(ActionSchema)
@blp.response(200, NeedSchema)
def act_on_need(data, need_id, action):
    """Submit (coordinator), approve or return with a reason (manager), close with a reason.

    An action that does not fit the current status answers 409 with ``current_status``.
    """
    need = services.get_need(db.session, need_id, actor=current_user)
    return services.act(db.session, need, action, actor=current_user, now=now(),
                        reason=data.get("reason"))
