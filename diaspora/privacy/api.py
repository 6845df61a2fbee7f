"""JSON API for a person's privacy rights."""
from __future__ import annotations

from flask_login import current_user
from marshmallow import fields

from ..apispec import ApiBlueprint
from ..clock import now
from ..errors import Invalid
from ..extensions import db
from ..schemas import BaseSchema
from ..security import login_required, verify_password
from . import services

blp = ApiBlueprint("privacy_api", __name__, url_prefix="/api/v1/users/me", tags={
    "Your data": "Export everything the registry holds about you, or erase your personal data.",
})


class ErasureSchema(BaseSchema):
    password = fields.String(required=True, load_only=True)


@blp.get("/export")
@login_required
@blp.response(200)
def export_my_data():
    """Everything the registry holds about you, as JSON."""
    user = current_user._get_current_object()
    return services.export_person(db.session, user, actor=user, now=now())


@blp.post("/erase")
@login_required
@blp.arguments(ErasureSchema)
@blp.response(204)
@blp.answers(409, "Not now: a confirmed or running mission must be cancelled or completed first "
                  "(``conflicting_mission``), or a staff account is erased by another "
                  "administrator.")
def erase_my_data(data):
    """Erase your personal data (statistics keep only anonymous counts). Needs your password."""
    user = current_user._get_current_object()
    if not verify_password(user.password_hash, data["password"]):
        raise Invalid(errors={"password": ["This is not your password."]})
    services.erase_person(db.session, user, actor=user, now=now())
