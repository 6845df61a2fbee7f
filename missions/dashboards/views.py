"""Dashboard pages: the indicators with their filters, the exports, and the printable
programme report. Coordinators see their own facilities only (see ``filters.filters_for``)."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale, lazy_gettext as _l
from flask_login import current_user

from diaspora import reference, safeguards
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.facilities.services import countries_present, regions_of
from diaspora.programmes.access import programmes_for
from diaspora.programmes.models import Programme
from diaspora.security import roles_required
from diaspora.vocabulary import KINDS, Mode, Role
from diaspora.web import add_nav

from ..placements import figures as placement_figures
from . import charts, indicators, services
from .filters import Filters, filters_for, mission_conditions

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@bp.record_once
def _register(state):
    add_nav(state.app, "dashboards.index", _l("Dashboard"), (Role.COORDINATOR, Role.MANAGER, Role.ADMIN), 25,
            "dashboards.")
    state.app.jinja_env.globals.update(bar_chart=charts.bar_chart, line_chart=charts.line_chart,
                                       host_map=charts.host_map)
    state.app.jinja_env.filters.update(percent=charts.percent)


def _options(filters: Filters) -> dict:
    """Choices for the filter form."""
    return {"programmes": programmes_for(db.session, current_user),
            "countries": [(code, reference.country_name(code))
                          for code in countries_present(db.session)],
            "regions": [(region, region) for region in regions_of(db.session, filters.country)],
            "cadres": reference.CADRES, "modes": Mode.choices(KINDS)}


HOST_ROWS = 25  # host facilities listed on the dashboard page; the rest are summed in one row


@bp.get("")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def index():
    filters = filters_for(db.session, current_user, request.args)
    return render_template("dashboards/index.html",
                           d=indicators.compute(db.session, filters, now()),
                           pf=_placement_figures(filters),
                           options=_options(filters), host_rows_limit=HOST_ROWS,
                           own_facilities_only=filters.coordinator_id is not None)


def _placement_figures(filters: Filters):
    return placement_figures.compute(db.session, filters, mission_conditions(filters))


@bp.get(f"/missions.<any({', '.join(services.FORMATS)}):file_format>")
@roles_required(Role.COORDINATOR, Role.MANAGER)
def export(file_format: str):
    """Missions and outcomes with the dashboard's filters (names only, no contact details)."""
    filters = filters_for(db.session, current_user, request.args)
    body = services.missions_export(db.session, filters, file_format, actor=current_user, now=now(),
                                    language=str(get_locale().language))
    filename = f"missions-{now():%Y%m%d}.{file_format}"
    return Response(body, mimetype=MEDIA_TYPES[file_format],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/workforce.fhir.json")
@roles_required(Role.MANAGER)
def fhir_bundle():
    """The FHIR workforce Bundle as a file (the same as ``GET /api/v1/fhir/workforce``)."""
    country = filters_for(db.session, current_user, request.args).country
    body = services.workforce_export(db.session, country=country, actor=current_user, now=now())
    return Response(body, mimetype="application/fhir+json",
                    headers={"Content-Disposition": 'attachment; filename="workforce.fhir.json"'})


@bp.get("/report")
@roles_required(Role.MANAGER)
def report():
    """The programme report for a period, for funders: the dashboard laid out to print."""
    filters = filters_for(db.session, current_user, request.args)
    programme = db.session.get(Programme, filters.programme_id) if filters.programme_id else None
    return render_template("dashboards/report.html",
                           d=indicators.compute(db.session, filters, now()), programme=programme,
                           pf=_placement_figures(filters),
                           host_rows_limit=None,  # the printed report lists every host
                           generated_at=now(), safeguards_source=safeguards.list_in_force(db.session))
