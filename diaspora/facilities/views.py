"""Facility pages: browse with search and filters, a facility's page with its map."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from .. import maps
from ..auth.models import User
from ..clock import now
from ..errors import Invalid, NotFound
from ..extensions import db
from ..forms import load_form
from ..limits import record_id
from ..needs.services import can_file_need
from ..security import login_required, roles_required
from ..vocabulary import MANAGERS, Role
from ..web import add_nav
from . import services
from .schemas import FacilityQuerySchema, FacilityUpdateSchema

bp = Blueprint("facilities", __name__, url_prefix="/facilities")
MAP_POINTS = 2500  # at most this many other facilities are drawn around a facility


@bp.record_once
def _nav(state):
    add_nav(state.app, "facilities.mine", _l("Our facilities"), (Role.COORDINATOR,), 10, "facilities.mine")
    add_nav(state.app, "facilities.index", _l("Facilities"), MANAGERS, 40,
            "facilities.index")


def _filters() -> dict:
    """Valid filters from the query string; invalid ones are ignored (and shown as such)."""
    schema = FacilityQuerySchema()
    raw = {k: v for k, v in request.args.items() if v and k != "page"}
    invalid = schema.validate(raw)
    return schema.load({k: v for k, v in raw.items() if k not in invalid})


@bp.get("")
@login_required
def index():
    filters = _filters()
    filters.pop("mine", None)
    statement = services.facility_query(**filters)
    page = db.paginate(statement, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("facilities/index.html", page=page,
                           args={k: v for k, v in request.args.items() if k != "page"},
                           countries=services.countries_present(db.session),
                           regions=services.regions_of(db.session, filters.get("country")))


@bp.get("/mine")
@roles_required(Role.COORDINATOR)
def mine():
    facilities = db.session.scalars(services.facility_query(coordinator=current_user)).all()
    return render_template("facilities/mine.html", facilities=facilities)


@bp.get("/<int:facility_id>")
@login_required
def detail(facility_id: int):
    facility = services.get_facility(db.session, facility_id)
    svg_map = None
    if facility.has_coordinates:
        # a large country is drawn from a bounded sample, on its cached outline
        others = services.map_sample(db.session, facility.country, leaving_out=facility.id,
                                     limit=MAP_POINTS)
        neighbours = [maps.MapPoint(lat, lon, size=1.6) for lat, lon in others]
        here = maps.MapPoint(facility.latitude, facility.longitude, facility.name, size=6,
                             highlight=True)
        svg_map = maps.draw_country(facility.country, [*neighbours, here])
    coordinators = []
    if current_user.is_manager:
        coordinators = db.session.scalars(sa.select(User).where(User.role == Role.COORDINATOR,
                                                                User.active.is_(True))
                                          .order_by(User.name)).all()
    return render_template("facilities/detail.html", f=facility, location_map=svg_map,
                           coordinator_choices=coordinators,
                           may_file_need=can_file_need(db.session, current_user, facility.id),
                           facility_panels=current_app.extensions.get("facility_panels", []))


@bp.route("/<int:facility_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def edit(facility_id: int):
    facility = services.get_facility(db.session, facility_id)
    errors: dict = {}
    if request.method == "POST":
        data, errors = load_form(FacilityUpdateSchema())
        if data:
            services.update_facility(db.session, facility, data, actor=current_user, now=now())
            flash(_("Facility saved."), "success")
            return redirect(url_for("facilities.detail", facility_id=facility.id))
    return render_template("facilities/edit.html", f=facility, errors=errors,
                           form=request.form), 422 if errors else 200


@bp.post("/<int:facility_id>/coordinators")
@roles_required(Role.MANAGER)
def attach_coordinator(facility_id: int):
    facility = services.get_facility(db.session, facility_id)
    user = db.session.get(User, request.form.get("user_id", type=record_id) or 0)
    if user is None:
        raise NotFound(_("No such user."))
    if user.role != Role.COORDINATOR:
        raise Invalid(_("Only facility coordinators can be attached."))
    services.attach_coordinator(db.session, facility, user, actor=current_user, now=now())
    flash(_("%(name)s now coordinates this facility.", name=user.name), "success")
    return redirect(url_for("facilities.detail", facility_id=facility.id))


@bp.post("/<int:facility_id>/coordinators/<int:user_id>/remove")
@roles_required(Role.MANAGER)
def detach_coordinator(facility_id: int, user_id: int):
    facility = services.get_facility(db.session, facility_id)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    services.detach_coordinator(db.session, facility, user, actor=current_user, now=now())
    flash(_("Removed."), "success")
    return redirect(url_for("facilities.detail", facility_id=facility.id))
