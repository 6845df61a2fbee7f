"""JSON API for programmes and organisations."""
from __future__ import annotations

from flask_login import current_user

from ..apispec import ApiBlueprint, page_of
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent
from ..schemas import PageQuerySchema
from ..security import login_required, roles_required
from ..vocabulary import Role
from . import services
from .schemas import OrganisationSchema, ProgrammeSchema

blp = ApiBlueprint("programmes_api", __name__, url_prefix="/api/v1", tags={
    "Programmes and organisations": "The programmes missions are run under and the diaspora "
                                    "organisations professionals belong to: everyone reads "
                                    "them, programme managers keep them.",
})


def _register_routes(entity: str, plural: str, schema) -> None:
    """List/read for every signed-in user; create/change/delete for programme managers."""
    a_record = f"an {entity}" if entity[0] in "aeiou" else f"a {entity}"

    @blp.get(f"/{plural}", endpoint=f"list_{plural}")
    @login_required
    @blp.etag
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, schema(many=True))
    @blp.paginate()
    @blp.doc(summary=f"List {plural}.")
    def list_records(args, pagination_parameters):
        return page_of(db.session, services.query(entity, args.get("q")), pagination_parameters)

    @blp.post(f"/{plural}", endpoint=f"create_{entity}")
    @roles_required(Role.MANAGER)
    @idempotent
    @blp.arguments(schema)
    @blp.response(201, schema)
    @blp.answers(409, "A record with this name already exists.")
    @blp.doc(summary=f"Create {a_record}.")
    def create_record(data):
        return services.save(db.session, entity, data, actor=current_user, now=now())

    @blp.get(f"/{plural}/<int:record_id>", endpoint=f"get_{entity}")
    @login_required
    @blp.etag
    @blp.response(200, schema)
    @blp.doc(summary=f"Read {a_record}.")
    def get_record(record_id):
        return services.get(db.session, entity, record_id)

    @blp.patch(f"/{plural}/<int:record_id>", endpoint=f"update_{entity}")
    @roles_required(Role.MANAGER)
    @blp.arguments(schema(partial=True))
    @blp.response(200, schema)
    @blp.answers(409, "A record with this name already exists.")
    @blp.doc(summary=f"Change {a_record}.")
    def update_record(data, record_id):
        record = services.get(db.session, entity, record_id)
        return services.save(db.session, entity, data, actor=current_user, now=now(), record=record)

    @blp.delete(f"/{plural}/<int:record_id>", endpoint=f"delete_{entity}")
    @roles_required(Role.MANAGER)
    @blp.response(204)
    @blp.answers(409, "This record is still in use.")
    @blp.doc(summary=f"Delete {a_record}.")
    def delete_record(record_id):
        record = services.get(db.session, entity, record_id)
        services.delete(db.session, entity, record, actor=current_user, now=now())


_register_routes("programme", "programmes", ProgrammeSchema)
_register_routes("organisation", "organisations", OrganisationSchema)
