"""Money pages: a mission's costs (panel and page), per diem and exchange rates, a
programme's budget with its burn-down, the results report, and value for money on the
dashboard. Thin over the services; the services check who may do what."""
from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_currency, gettext as _, lazy_gettext as _l
from flask_login import current_user

from diaspora.clock import now
from diaspora.documents.views import send
from diaspora.errors import Conflict, Invalid
from diaspora.extensions import db
from diaspora.forms import load_form
from diaspora.idempotency import idempotent
from diaspora.programmes.access import programmes_for
from diaspora.security import roles_required
from diaspora.vocabulary import MANAGERS, Role
from diaspora.web import add_nav

from ..core import access
from ..dashboards.filters import Filters
from ..documents import receipts
from . import budgets, rates, results, services, value
from .schemas import (
    BudgetLineSchema,
    CostLineChangeSchema,
    CostLineSchema,
    EstimateSchema,
    ExchangeRateSchema,
    PerDiemRateSchema,
    TargetSchema,
)
from .vocabulary import CostCategory, CostStage, Indicator, Payer

bp = Blueprint("costs", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.record_once
def _register(state):
    add_nav(state.app, "costs.index", _l("Money"), MANAGERS, 27, "costs.")
    state.app.extensions.setdefault("mission_panels", []).append("costs/_mission_panel.html")
    state.app.jinja_env.globals.update(
        mission_costs=_panel_costs, value_for_money=_panel_value,
        CostCategory=CostCategory, CostStage=CostStage, Payer=Payer, Indicator=Indicator)
    state.app.jinja_env.filters["money"] = _money


def _money(amount, currency: str | None) -> str:
    """An amount with its currency in the viewer's locale ("GH₵5,250.00", "5 250,00 €")."""
    if amount is None or not currency:
        return "—"
    return format_currency(amount, currency)


def _panel_costs(mission):
    return services.costs_of(db.session, current_user, mission)


def _panel_value(filters: Filters):
    return value.value_for_money(db.session, filters)


def _failed(error) -> dict:
    """A refused write as form errors (the field the service named, else the whole form)."""
    return error.errors or {"_schema": [error.message]}


def _write(mission, write, done: str):
    """Run a write that a budget may refuse: ``(redirect, {}, None)`` once saved, else
    ``(None, errors, over_budget)`` for the form to show again (409 when over budget)."""
    try:
        write()
    except Conflict as error:
        return None, _failed(error), error.extra.get("over_budget")
    except Invalid as error:
        return None, _failed(error), None
    flash(done, "success")
    return redirect(url_for("costs.mission_costs", mission_id=mission.id)), {}, None


# --- a mission's costs ---------------------------------------------------------------------

@bp.route("/missions/<int:mission_id>/costs", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
@idempotent
def mission_costs(mission_id: int):
    """Every cost line of a mission, and the forms to add one or estimate the allowance."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    services.require_manager_of(db.session, current_user, mission)
    errors, over_budget, status = {}, None, 200
    if request.method == "POST":
        data, errors = load_form(CostLineSchema())
        if data:
            over = data.pop("over_budget_ok", False)
            saved, errors, over_budget = _write(mission, lambda: services.add_line(
                db.session, mission, data, actor=current_user, now=now(), over_budget_ok=over),
                _("Cost line saved."))
            if saved:
                return saved
        status = 409 if over_budget else 422
    return _mission_page(mission, errors=errors, over_budget=over_budget, form_name="line",
                         status=status)


def _mission_page(mission, *, errors=None, over_budget=None, form_name=None, status=200):
    return render_template("costs/mission.html", m=mission,
                           costs=services.costs_of(db.session, current_user, mission),
                           errors=errors or {}, over_budget=over_budget, form_name=form_name,
                           form=request.form, default_stage=services.default_stage(mission)), status


@bp.post("/missions/<int:mission_id>/costs/estimate")
@roles_required(Role.MANAGER)
@idempotent
def estimate(mission_id: int):
    """The living allowance from the per diem rates (days × rate), or an amount and a reason."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    data, errors = load_form(EstimateSchema())
    over_budget = None
    if data:
        over = data.pop("over_budget_ok", False)
        saved, errors, over_budget = _write(mission, lambda: services.estimate_from_rate(
            db.session, mission, data, actor=current_user, now=now(), over_budget_ok=over),
            _("Living allowance estimated."))
        if saved:
            return saved
    return _mission_page(mission, errors=errors, over_budget=over_budget, form_name="estimate",
                         status=409 if over_budget else 422)


@bp.route("/missions/<int:mission_id>/costs/<int:line_id>", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def edit_line(mission_id: int, line_id: int):
    """Change a line; an approved one needs a reason and keeps its history."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    errors, over_budget = {}, None
    if request.method == "POST":
        data, errors = load_form(CostLineChangeSchema())
        if data:
            reason, over = data.pop("reason", None), data.pop("over_budget_ok", False)
            saved, errors, over_budget = _write(mission, lambda: services.change_line(
                db.session, line, data, actor=current_user, now=now(), reason=reason,
                over_budget_ok=over), _("Cost line changed."))
            if saved:
                return saved
    status = 200 if not errors else (409 if over_budget else 422)
    return _line_page(mission, line, errors=errors, over_budget=over_budget, status=status)


def _line_page(mission, line, *, errors=None, receipt_errors=None, over_budget=None, status=200):
    return render_template("costs/line_form.html", m=mission, line=line, errors=errors or {},
                           over_budget=over_budget, form=request.form,
                           receipts=receipts.of_line(db.session, line),
                           attachable=[(d.id, d.filename) for d in receipts.attachable(db.session, line)],
                           receipt_errors=receipt_errors or {}), status


# --- receipts of a cost line ----------------------------------------------------------------

@bp.post("/missions/<int:mission_id>/costs/<int:line_id>/receipts")
@roles_required(Role.MANAGER)
def attach_receipt(mission_id: int, line_id: int):
    """Attach one of the mission's receipts to the line."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    try:
        receipts.attach(db.session, line, request.form.get("document_id", type=int),
                        actor=current_user, now=now())
    except Invalid as error:
        return _line_page(mission, line, receipt_errors=_failed(error), status=422)
    flash(_("Receipt attached."), "success")
    return redirect(url_for("costs.edit_line", mission_id=mission.id, line_id=line.id,
                            _anchor="receipts"), code=303)


@bp.post("/missions/<int:mission_id>/costs/<int:line_id>/receipts/<int:document_id>/detach")
@roles_required(Role.MANAGER)
def detach_receipt(mission_id: int, line_id: int, document_id: int):
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    receipts.detach(db.session, line, document_id, actor=current_user, now=now())
    flash(_("Receipt detached (it stays among the mission's documents)."), "success")
    return redirect(url_for("costs.edit_line", mission_id=mission.id, line_id=line.id,
                            _anchor="receipts"), code=303)


@bp.get("/missions/<int:mission_id>/costs/<int:line_id>/receipts/<int:document_id>")
@roles_required(Role.MANAGER)
def receipt(mission_id: int, line_id: int, document_id: int):
    """Open a receipt of the line (audited)."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    return send(*receipts.open_receipt(db.session, line, document_id, actor=current_user,
                                       now=now()))


@bp.post("/missions/<int:mission_id>/costs/<int:line_id>/approve")
@roles_required(Role.MANAGER)
def approve(mission_id: int, line_id: int):
    return _act_on_line(mission_id, line_id, services.approve, _("Cost line approved."))


@bp.post("/missions/<int:mission_id>/costs/<int:line_id>/delete")
@roles_required(Role.MANAGER)
def remove_line(mission_id: int, line_id: int):
    return _act_on_line(mission_id, line_id, services.delete_line, _("Cost line removed."))


def _act_on_line(mission_id: int, line_id: int, act, done: str):
    """Approve or remove a line; a refusal (409) is said on the mission's costs page."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    try:
        act(db.session, line, actor=current_user, now=now())
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(done, "success")
    return redirect(url_for("costs.mission_costs", mission_id=mission.id))


# --- money home, rates ------------------------------------------------------------------------

@bp.get("/money")
@roles_required(Role.MANAGER)
def index():
    """The programmes whose money the manager keeps, and the rates."""
    return render_template("costs/index.html",
                           programmes=programmes_for(db.session, current_user))


@bp.route("/money/rates", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def per_diem():
    errors = {}
    if request.method == "POST":
        data, errors = load_form(PerDiemRateSchema())
        if data:
            rates.set_per_diem(db.session, data, actor=current_user, now=now())
            flash(_("Per diem rate saved."), "success")
            return redirect(url_for("costs.per_diem"))
    return render_template("costs/rates.html", rates=rates.per_diem_rates(db.session),
                           errors=errors, form=request.form), 422 if errors else 200


@bp.route("/money/exchange-rates", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def exchange_rates():
    errors = {}
    if request.method == "POST":
        if "file" in request.files:
            text = request.files["file"].read().decode("utf-8-sig", errors="replace")
            try:
                count = rates.import_exchange_rates(db.session, text, ExchangeRateSchema(),
                                                    actor=current_user, now=now())
            except Invalid as error:
                errors = _failed(error)
            else:
                flash(_("%(count)s exchange rates imported.", count=count), "success")
                return redirect(url_for("costs.exchange_rates"))
        else:
            data, errors = load_form(ExchangeRateSchema())
            if data:
                rates.set_exchange_rate(db.session, data, actor=current_user, now=now())
                flash(_("Exchange rate saved."), "success")
                return redirect(url_for("costs.exchange_rates"))
    return render_template("costs/exchange_rates.html", rates=rates.exchange_rates(db.session),
                           errors=errors, form=request.form), 422 if errors else 200


# --- budget and results -----------------------------------------------------------------------

def _year(default: int) -> int:
    try:
        year = int(request.args.get("year", default))
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


@bp.route("/programmes/<int:programme_id>/budget", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def budget(programme_id: int):
    """Budget lines against spending, with the burn-down and the form to plan a line."""
    programme = budgets.get_programme(db.session, current_user, programme_id)
    today = now().date()
    year = _year(today.year)
    errors = {}
    if request.method == "POST":
        data, errors = load_form(BudgetLineSchema())
        if data:
            try:
                budgets.set_budget_line(db.session, programme, data, actor=current_user, now=now())
            except Invalid as error:
                errors = _failed(error)
            else:
                flash(_("Budget line saved."), "success")
                return redirect(url_for("costs.budget", programme_id=programme.id,
                                        year=data["year"]))
    report = budgets.execution(db.session, programme, year, today)
    return render_template("costs/budget.html", programme=programme, report=report, year=year,
                           errors=errors, form=request.form), 422 if errors else 200


def _period() -> tuple[int, int]:
    default_year, default_quarter = results.default_period(now().date())
    try:
        quarter = int(request.args.get("quarter", default_quarter))
    except ValueError:
        quarter = default_quarter
    return _year(default_year), quarter if 0 <= quarter <= 4 else default_quarter


@bp.route("/programmes/<int:programme_id>/results", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def results_report(programme_id: int):
    """The funder's report: results against targets with the budget beside them (printable),
    and the form to set a target."""
    programme = budgets.get_programme(db.session, current_user, programme_id)
    year, quarter = _period()
    errors = {}
    if request.method == "POST":
        data, errors = load_form(TargetSchema())
        if data:
            results.set_target(db.session, programme, data, actor=current_user, now=now())
            flash(_("Target saved."), "success")
            return redirect(url_for("costs.results_report", programme_id=programme.id,
                                    year=data["year"], quarter=data["quarter"]))
    return render_template("costs/results.html",
                           r=results.report(db.session, programme, year, quarter, now=now()),
                           errors=errors, form=request.form), 422 if errors else 200


@bp.get("/programmes/<int:programme_id>/results.xlsx")
@roles_required(Role.MANAGER)
def results_xlsx(programme_id: int):
    programme = budgets.get_programme(db.session, current_user, programme_id)
    year, quarter = _period()
    body = results.to_xlsx(results.report(db.session, programme, year, quarter, now=now()))
    filename = f"results-{programme.id}-{budgets.period_label(year, quarter).replace(' ', '')}.xlsx"
    return Response(body, mimetype=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


