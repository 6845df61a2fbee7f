"""Pages and API for matching: a need's shortlist and the programme-wide plan.

Matching is reachable only from an approved need (or, for the plan, the approved needs of a
period), and only by programme managers: there is no "browse the talent" search.
"""
from __future__ import annotations

from flask import Blueprint
from flask_smorest import Blueprint as ApiBlueprint

from diaspora.errors import NotFound
from diaspora.security import roles_required

bp = Blueprint("matching", __name__)
blp = ApiBlueprint("matching_api", __name__, url_prefix="/api/v1",
                   description="Shortlists and the programme-wide plan")


@bp.get("/needs/<int:need_id>/shortlist")
@roles_required("manager")
def shortlist(need_id: int):
    """The ranked, explained shortlist of an approved need."""
    raise NotFound()


@bp.route("/plan", methods=["GET", "POST"])
@roles_required("manager")
def plan():
    """The programme-wide plan for the approved needs of a period."""
    raise NotFound()


@blp.get("/needs/<int:need_id>/shortlist")
@roles_required("manager")
def shortlist_api(need_id: int):
    raise NotFound()


@blp.post("/plan")
@roles_required("manager")
def plan_api():
    raise NotFound()
