"""JSON API for professionals: their own profile (self-service) and, for managers, the registry."""
from __future__ import annotations

from flask_login import current_user
from flask_smorest import Blueprint

from ..apispec import page_of
from ..clock import now
from ..extensions import db
from ..security import roles_required
from . import services
from .schemas import (ConsentSchema, LicenceSchema, ProfessionalQuerySchema, ProfessionalSchema,
                      ProfileUpdateSchema, QualificationSchema, WindowSchema)

blp = Blueprint("professionals_api", __name__, url_prefix="/api/v1/professionals",
                description="Diaspora health professionals")

CHILD_SCHEMAS = {
    "qualifications": QualificationSchema,
    "licences": LicenceSchema,
    "windows": WindowSchema,
}


def _me():
    return services.own_profile(db.session, current_user)


@blp.get("/me")
@roles_required("professional")
@blp.etag
@blp.response(200, ProfessionalSchema)
def get_me():
    """Your profile."""
    return _me()


@blp.patch("/me")
@roles_required("professional")
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, ProfessionalSchema)
def update_me(data):
    """Change your profile; lists (specialties, skills, languages) are replaced as a whole."""
    return services.update_profile(db.session, _me(), data, actor=current_user, now=now())


@blp.put("/me/consent")
@roles_required("professional")
@blp.arguments(ConsentSchema)
@blp.response(200, ProfessionalSchema)
def set_consent(data):
    """Give or withdraw the registry consent. Withdrawing removes you from matching at once."""
    return services.set_consent(db.session, _me(), data["given"], actor=current_user, now=now())


@blp.put("/me/consent/programmes/<int:programme_id>")
@roles_required("professional")
@blp.arguments(ConsentSchema)
@blp.response(200, ProfessionalSchema)
def set_programme_consent(data, programme_id):
    """Give or withdraw consent to one programme (only a running one can be given): a need of
    a programme is matched only with professionals who consented to it. Withdrawing cancels
    your pending proposals for that programme's needs."""
    return services.set_programme_consent(db.session, _me(), programme_id, data["given"],
                                          actor=current_user, now=now())


def _register_child_routes(kind: str, schema) -> None:
    """List/add/change/remove routes for one kind of profile part (qualifications, ...)."""
    update_schema = schema(partial=True)

    @blp.get(f"/me/{kind}", endpoint=f"list_{kind}")
    @roles_required("professional")
    @blp.etag
    @blp.response(200, schema(many=True))
    def list_children():
        return getattr(_me(), kind)

    @blp.post(f"/me/{kind}", endpoint=f"add_{kind}")
    @roles_required("professional")
    @blp.arguments(schema)
    @blp.response(201, schema)
    def add_child(data):
        return services.add_child(db.session, _me(), kind, data, actor=current_user, now=now())

    @blp.patch(f"/me/{kind}/<int:child_id>", endpoint=f"update_{kind}")
    @roles_required("professional")
    @blp.arguments(update_schema)
    @blp.response(200, schema)
    def update_child(data, child_id):
        return services.update_child(db.session, _me(), kind, child_id, data,
                                     actor=current_user, now=now())

    @blp.delete(f"/me/{kind}/<int:child_id>", endpoint=f"delete_{kind}")
    @roles_required("professional")
    @blp.response(204)
    def delete_child(child_id):
        services.delete_child(db.session, _me(), kind, child_id, actor=current_user, now=now())

    for view, verb in ((list_children, "List"), (add_child, "Add to"), (update_child, "Change one of"),
                       (delete_child, "Remove one of")):
        view.__doc__ = f"{verb} your {kind}."


for _kind, _schema in CHILD_SCHEMAS.items():
    _register_child_routes(_kind, _schema)


@blp.get("")
@roles_required("manager")
@blp.etag
@blp.arguments(ProfessionalQuerySchema, location="query")
@blp.response(200, ProfessionalSchema(many=True))
@blp.paginate()
def list_professionals(args, pagination_parameters):
    """The registry (programme managers only; every list is audited)."""
    statement = services.list_professionals(db.session, actor=current_user, now=now(), **args)
    return page_of(db.session, statement.options(*services.profile_loading()), pagination_parameters)


@blp.get("/<int:professional_id>")
@roles_required("professional", "coordinator", "manager")
@blp.etag
@blp.response(200, ProfessionalSchema)
def get_professional(professional_id):
    """One profile: yourself, or as a manager (audited)."""
    return services.get_professional(db.session, professional_id, actor=current_user, now=now())


@blp.post("/<int:professional_id>/licences/<int:licence_id>/verify")
@roles_required("manager")
@blp.response(200, LicenceSchema)
def verify_licence(professional_id, licence_id):
    """Record that a manager has checked a licence with its authority."""
    professional = services.get_professional(db.session, professional_id, actor=current_user,
                                             now=now())
    licence = services.get_child(db.session, professional, "licences", licence_id)
    return services.verify_licence(db.session, licence, actor=current_user, now=now())
