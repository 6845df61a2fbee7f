"""JSON API for a person's privacy rights."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from ..clock import now
from ..errors import Invalid
from ..extensions import db
from ..schemas import BaseSchema
from ..security import login_required, verify_password
from . import services

blp = Blueprint("privacy_api", __name__, url_prefix="/api/v1/users/me",
                description="Your data: export and erasure")


class ErasureSchema(BaseSchema):
    password = fields.String(required=True, load_only=True)


@blp.get("/export")
@login_required
@blp.response(200)
def export():
    """Everything the registry holds about you, as JSON."""
    user = current_user._get_current_object()
    return services.export_person(db.session, user, actor=user, now=now())


@blp.post("/erase")
@login_required
@blp.arguments(ErasureSchema)
@blp.response(204)
def erase(data):
    """Erase your personal data (statistics keep only anonymous counts). Needs your password."""
    user = current_user._get_current_object()
    if not verify_password(user.password_hash, data["password"]):
        raise Invalid(errors={"password": ["This is not your password."]})
    services.erase_person(db.session, user, actor=user, now=now())
