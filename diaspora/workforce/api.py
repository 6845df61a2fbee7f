"""JSON API for host health workers."""
from __future__ import annotations

from flask_login import current_user

from ..apispec import ApiBlueprint
from ..clock import now
from ..extensions import db
from ..idempotency import idempotent
from ..security import roles_required
from ..vocabulary import Role
from . import services
from .schemas import HostHealthWorkerSchema, WorkerQuerySchema

blp = ApiBlueprint("workforce_api", __name__, url_prefix="/api/v1/host-workers", tags={
    "Host health workers": "A host facility's own staff with a minimal record and consent: the "
                           "named counterparts of missions and the trainees of placements. "
                           "Coordinators see their own facilities' staff only.",
})


@blp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.arguments(WorkerQuerySchema, location="query")
@blp.response(200, HostHealthWorkerSchema(many=True))
def list_workers(args):
    """The staff you keep records of (a coordinator's facilities; a manager's programmes)."""
    return services.list_workers(db.session, current_user, facility_id=args.get("facility_id"))


@blp.post("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@idempotent
@blp.arguments(HostHealthWorkerSchema)
@blp.response(201, HostHealthWorkerSchema)
def create_worker(data):
    """Record a member of your facility's staff (confirmed at once)."""
    return services.create_worker(db.session, data, actor=current_user, now=now())


@blp.get("/<int:worker_id>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, HostHealthWorkerSchema)
def get_worker(worker_id):
    """One health worker."""
    return services.get_worker(db.session, worker_id, actor=current_user)


@blp.post("/<int:worker_id>/confirm")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200, HostHealthWorkerSchema)
@blp.answers(409, "Confirmed already.")
def confirm_worker(worker_id):
    """Confirm a self-registration."""
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    return services.confirm(db.session, worker, actor=current_user, now=now())


@blp.get("/<int:worker_id>/export")
@roles_required(Role.COORDINATOR, Role.MANAGER)
@blp.response(200)
def export_worker(worker_id):
    """Everything held about the worker (their data-access request)."""
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    return services.export_worker(db.session, worker, actor=current_user, now=now())


@blp.post("/<int:worker_id>/erase")
@roles_required(Role.MANAGER)
@blp.response(204)
@blp.answers(409, "A placement is under way, or the record is erased already.")
def erase_worker(worker_id):
    """Erase the worker's personal data on their request (programme managers)."""
    worker = services.get_worker(db.session, worker_id, actor=current_user)
    services.erase_worker(db.session, worker, actor=current_user, now=now())
