"""JSON API of programme money: a mission's cost lines, per diem and exchange rates, a
programme's budget and its execution, value for money."""
from __future__ import annotations

from flask_login import current_user

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.idempotency import idempotent
from diaspora.security import login_required, roles_required
from diaspora.vocabulary import Role

from ..core import access
from ..dashboards.filters import FilterSchema, filters_for
from . import budgets, rates, services, value
from .schemas import (
    BudgetLineSchema,
    BudgetQuerySchema,
    BudgetReportSchema,
    CostLineChangeSchema,
    CostLineHistorySchema,
    CostLineSchema,
    EstimateSchema,
    ExchangeRateSchema,
    PerDiemRateSchema,
    ValueSchema,
)

blp = ApiBlueprint("costs_api", __name__, url_prefix="/api/v1", tags={
    "Costs": "What missions cost: lines estimated, committed and spent in their own currency "
             "and converted at a stored rate; per diem and exchange rates; budgets and their "
             "execution; value for money.",
})
OVER_BUDGET = ("The line would take a budget line past what remains (``over_budget`` lists "
               "each with ``over_by``); send it again with ``over_budget_ok``. Or the stage "
               "does not fit the mission's status (``current_status``).")
MISSING_RATE = ("Bad input, or no exchange rate for the pair on or before the day "
                "(``missing_rate``), or no per diem rate (``missing_per_diem``).")
LINE = "/missions/<int:mission_id>/costs/<int:line_id>"


@blp.get("/missions/<int:mission_id>/costs")
@login_required
@blp.response(200, CostLineSchema(many=True))
@blp.answers(403, "Not your mission.")
def list_mission_costs(mission_id):
    """A mission's cost lines: all of them for its managers, the lines reimbursed to them for
    its professional, the contributions in kind for the host facility's coordinators."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return services.costs_of(db.session, current_user, mission).lines


@blp.post("/missions/<int:mission_id>/costs")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(CostLineSchema)
@blp.response(201, CostLineSchema)
@blp.answers(403, "Not a mission of your programmes.")
@blp.answers(409, OVER_BUDGET)
@blp.answers(422, MISSING_RATE)
def add_mission_cost(data, mission_id):
    """Add a cost line (estimated, committed or actual) in any currency."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    over = data.pop("over_budget_ok", False)
    return services.add_line(db.session, mission, data, actor=current_user, now=now(),
                             over_budget_ok=over)


@blp.post("/missions/<int:mission_id>/costs/estimate")
@roles_required(Role.MANAGER)
@idempotent
@blp.arguments(EstimateSchema)
@blp.response(201, CostLineSchema)
@blp.answers(403, "Not a mission of your programmes.")
@blp.answers(409, OVER_BUDGET)
@blp.answers(422, MISSING_RATE)
def estimate_mission_allowance(data, mission_id):
    """Estimate an in-person mission's living allowance: its days × the year's per diem rate
    of the host city (or country); an ``amount`` overrides it with an ``override_reason``."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    over = data.pop("over_budget_ok", False)
    return services.estimate_from_rate(db.session, mission, data, actor=current_user, now=now(),
                                       over_budget_ok=over)


@blp.patch(LINE)
@roles_required(Role.MANAGER)
@blp.arguments(CostLineChangeSchema(partial=True))
@blp.response(200, CostLineSchema)
@blp.answers(403, "Not a mission of your programmes.")
@blp.answers(409, OVER_BUDGET)
@blp.answers(422, MISSING_RATE + " An approved line needs a ``reason``.")
def change_mission_cost(data, mission_id, line_id):
    """Change a cost line. A change after approval is kept in its history and the line needs
    approving again."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    reason = data.pop("reason", None)
    over = data.pop("over_budget_ok", False)
    return services.change_line(db.session, line, data, actor=current_user, now=now(),
                                reason=reason, over_budget_ok=over)


@blp.post(f"{LINE}/approval")
@roles_required(Role.MANAGER)
@blp.response(200, CostLineSchema)
@blp.answers(403, "Not a mission of your programmes.")
@blp.answers(409, "The line is approved already.")
def approve_mission_cost(mission_id, line_id):
    """Approve a cost line."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    return services.approve(db.session, line, actor=current_user, now=now())


@blp.get(f"{LINE}/history")
@roles_required(Role.MANAGER)
@blp.response(200, CostLineHistorySchema(many=True))
@blp.answers(403, "Not a mission of your programmes.")
def mission_cost_history(mission_id, line_id):
    """The changes made to a line after it was approved: before, after, who, when and why."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    return services.get_line(db.session, current_user, mission, line_id).changes


@blp.delete(LINE)
@roles_required(Role.MANAGER)
@blp.response(204)
@blp.answers(403, "Not a mission of your programmes.")
@blp.answers(409, "An approved line is changed with a reason, not removed.")
def remove_mission_cost(mission_id, line_id):
    """Remove a line not yet approved."""
    mission = access.get_mission(db.session, mission_id, actor=current_user)
    line = services.get_line(db.session, current_user, mission, line_id)
    services.delete_line(db.session, line, actor=current_user, now=now())


@blp.get("/rates/per-diem")
@roles_required(Role.MANAGER)
@blp.response(200, PerDiemRateSchema(many=True))
def list_per_diem_rates():
    """Per diem rates by host country (and city) and year."""
    return rates.per_diem_rates(db.session)


@blp.put("/rates/per-diem")
@roles_required(Role.MANAGER)
@blp.arguments(PerDiemRateSchema)
@blp.response(200, PerDiemRateSchema)
def set_per_diem_rate(data):
    """Set the daily rate of a country (or one of its cities) for a year."""
    return rates.set_per_diem(db.session, data, actor=current_user, now=now())


@blp.get("/rates/exchange")
@roles_required(Role.MANAGER)
@blp.response(200, ExchangeRateSchema(many=True))
def list_exchange_rates():
    """Exchange rates, latest first (at most 200)."""
    return rates.exchange_rates(db.session)


@blp.put("/rates/exchange")
@roles_required(Role.MANAGER)
@blp.arguments(ExchangeRateSchema)
@blp.response(200, ExchangeRateSchema)
def set_exchange_rate(data):
    """Set the rate of a currency pair on a day. Lines converted before keep their rate."""
    return rates.set_exchange_rate(db.session, data, actor=current_user, now=now())


@blp.get("/programmes/<int:programme_id>/budget")
@roles_required(Role.MANAGER)
@blp.arguments(BudgetQuerySchema, location="query")
@blp.response(200, BudgetReportSchema)
@blp.answers(403, "Not your programme.")
def programme_budget(args, programme_id):
    """A programme's budget lines for a year (this year by default) against what is
    estimated, committed and spent, what remains, and the forecast at the current burn rate."""
    programme = budgets.get_programme(db.session, current_user, programme_id)
    today = now().date()
    return budgets.execution(db.session, programme, args.get("year", today.year), today)


@blp.put("/programmes/<int:programme_id>/budget")
@roles_required(Role.MANAGER)
@blp.arguments(BudgetLineSchema)
@blp.response(200, BudgetLineSchema)
@blp.answers(403, "Not your programme.")
@blp.answers(422, "Bad input, or the programme has no reporting currency.")
def set_programme_budget_line(data, programme_id):
    """Plan a category for a year (quarter 0) or a quarter, in the reporting currency."""
    programme = budgets.get_programme(db.session, current_user, programme_id)
    return budgets.set_budget_line(db.session, programme, data, actor=current_user, now=now())


@blp.get("/value-for-money")
@roles_required(Role.MANAGER)
@blp.arguments(FilterSchema, location="query")
@blp.response(200, ValueSchema(many=True))
@blp.answers(403, "A programme you do not manage.")
def value_for_money(args):
    """Cost per mission, per person-day in country, per online hour, per health worker
    trained and per practice in use at +12 months, in person and online, with the
    dashboard's filters (see README, *Programme money*)."""
    filters = filters_for(db.session, current_user, args)
    return value.value_for_money(db.session, filters)
