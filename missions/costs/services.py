"""Cost lines of a mission: estimate (by hand or from the per diem rates), commit on
confirmation, actuals after the end, approval, changes after approval with their history.

Who does what (``relation`` of ``missions.core.access``, so programmes are boundaries):

- programme managers of the mission's programme (and admins) enter, change and approve lines;
- the mission's professional sees the lines reimbursed to them (committed or actual) and when;
- coordinators of the host facility see what the facility contributes in kind.

Every line is converted into the programme's reporting currency when it is written, with the
rate and the rate's day stored on it (``rates.convert``). Every change is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from diaspora import audit
from diaspora.db import unit_of_work
from diaspora.errors import Conflict, Forbidden, Invalid, NotFound
from diaspora.programmes.models import Programme
from diaspora.vocabulary import MANAGERS, Role

from ..core.access import relation
from ..core.models import Mission
from ..core.vocabulary import CONFIRMED_AHEAD, DONE, HOLDING, WENT_AHEAD, MissionStatus
from . import budgets, rates
from .models import CostLine, CostLineChange
from .vocabulary import CostCategory, CostStage, Payer

# Which stage a line may be entered at, by the mission's status.
STAGES_BY_STATUS = {
    CostStage.ESTIMATED: HOLDING,
    CostStage.COMMITTED: WENT_AHEAD,
    CostStage.ACTUAL: (MissionStatus.IN_PROGRESS,) + DONE,
}
# The fields a change may touch; the others (mission, conversion, approval) follow from them.
# The largest amount a line holds (NUMERIC(16, 3)), in its currency and converted.
LARGEST = Decimal("9999999999999")
EDITABLE = ("category", "stage", "payer", "reimbursable", "payable_on", "amount", "currency",
            "incurred_on", "note")


@dataclass
class Visible:
    """What ``actor`` sees of a mission's costs, and what they may do."""

    lines: list[CostLine]
    manages: bool
    as_role: str | None

    def total(self, stage: str, payer: str = Payer.PROGRAMME) -> Decimal:
        return sum((line.reporting_amount for line in self.lines
                    if line.stage == stage and line.payer == payer), Decimal(0))

    @property
    def for_professional(self) -> bool:
        """Seen by the professional: what is paid back to them, not what the host gives."""
        return self.as_role == Role.PROFESSIONAL

    @property
    def reporting_currency(self) -> str | None:
        return self.lines[0].reporting_currency if self.lines else None


# --- reading ------------------------------------------------------------------------------

def manages(session, actor, mission: Mission) -> bool:
    return relation(session, actor, mission) in MANAGERS


def require_manager_of(session, actor, mission: Mission) -> None:
    if not manages(session, actor, mission):
        raise Forbidden(_("Only the programme's managers enter and approve costs."))


def costs_of(session, actor, mission: Mission) -> Visible:
    """The lines of ``mission`` that ``actor`` may see (``Forbidden`` if none may be)."""
    as_role = relation(session, actor, mission)
    if as_role is None:
        raise Forbidden(_("This mission is not yours to see."))
    query = sa.select(CostLine).where(CostLine.mission_id == mission.id)
    if as_role == Role.PROFESSIONAL:
        query = query.where(CostLine.reimbursable.is_(True), CostLine.payer == Payer.PROGRAMME,
                            CostLine.stage != CostStage.ESTIMATED)
    elif as_role == Role.COORDINATOR:
        query = query.where(CostLine.payer == Payer.HOST)
    lines = list(session.scalars(query.options(selectinload(CostLine.approved_by),
                                               selectinload(CostLine.changes))
                                 .order_by(CostLine.stage, CostLine.category, CostLine.id)))
    return Visible(lines, as_role in MANAGERS, as_role)


def get_line(session, actor, mission: Mission, line_id: int) -> CostLine:
    line = session.get(CostLine, line_id)
    if line is None or line.mission_id != mission.id:
        raise NotFound(_("No such cost line."))
    require_manager_of(session, actor, mission)
    return line


def reporting_currency(session, mission: Mission) -> tuple[Programme, str]:
    """The programme that bears the mission's costs and its reporting currency (422 when the
    mission has no programme, or the programme no currency)."""
    programme = session.get(Programme, mission.need.programme_id) if mission.need.programme_id else None
    if programme is None:
        message = _("The mission's need belongs to no programme, so no budget bears its costs.")
        raise Invalid(message, errors={"mission": [message]})
    if not rates.is_currency(programme.currency):
        message = _("Set the reporting currency of %(programme)s first.", programme=programme.name)
        raise Invalid(message, errors={"currency": [message]})
    return programme, programme.currency


# --- writing ------------------------------------------------------------------------------

def add_line(session, mission: Mission, data: dict, *, actor, now: datetime,
             over_budget_ok: bool = False, derived: dict | None = None) -> CostLine:
    """A new line (``data`` loaded by ``CostLineSchema``). A programme-paid line that would take
    a budget line past what remains is refused with 409 and the amounts over
    (``over_budget``) unless ``over_budget_ok``: the manager has seen the warning."""
    require_manager_of(session, actor, mission)
    stage = data.get("stage", CostStage.ESTIMATED)
    _check_stage(mission, stage)
    programme, target = reporting_currency(session, mission)
    line = CostLine(mission_id=mission.id, programme_id=programme.id, stage=stage,
                    created_by_id=getattr(actor, "id", None), created_at=now, updated_at=now)
    _fill(session, line, mission, data, target)
    for key, value in (derived or {}).items():   # what a rate-based estimate was made of
        setattr(line, key, value)
    _warn_over_budget(session, line, over_budget_ok)
    with unit_of_work(session):
        session.add(line)
        session.flush()
        _after_change(session, mission)
        audit.record(session, now=now, actor=actor, action="create", entity="cost_line",
                     entity_id=line.id, detail=_snapshot(line) | {"mission_id": mission.id})
    return line


def estimate_from_rate(session, mission: Mission, data: dict, *, actor, now: datetime,
                       over_budget_ok: bool = False) -> CostLine:
    """The living allowance of an in-person mission: its days in the host country × that
    year's per diem rate for the city (``data["city"]``) or else the country. An ``amount``
    given overrides the product and needs an ``override_reason``."""
    require_manager_of(session, actor, mission)
    if mission.kind != "physical":
        message = _("Only in-person missions have a living allowance.")
        raise Invalid(message, errors={"mission": [message]})
    days = (mission.ends_on - mission.starts_on).days + 1
    rate = rates.per_diem_for(session, mission.facility.country, data.get("city"),
                              mission.starts_on.year)
    amount = rates.rounded(rate.daily_amount * days, rate.currency)
    override = data.get("amount")
    if override is not None and override != amount and not data.get("override_reason"):
        message = _("Say why the amount differs from the rate (%(amount)s %(currency)s).",
                    amount=amount, currency=rate.currency)
        raise Invalid(message, errors={"override_reason": [message]})
    line_data = {"category": CostCategory.LIVING_ALLOWANCE, "stage": CostStage.ESTIMATED,
                 "payer": Payer.PROGRAMME, "reimbursable": True,
                 "amount": amount if override is None else override, "currency": rate.currency,
                 "note": data.get("note")}
    overridden = override is not None and override != amount
    return add_line(session, mission, line_data, actor=actor, now=now,
                    over_budget_ok=over_budget_ok,
                    derived={"days": days, "daily_rate": rate.daily_amount,
                             "override_reason": data.get("override_reason") if overridden else None})


def change_line(session, line: CostLine, data: dict, *, actor, now: datetime,
                reason: str | None = None, over_budget_ok: bool = False) -> CostLine:
    """Change a line. A line already approved keeps the change in its history (a ``reason``
    is required) and needs approving again."""
    mission = line.mission
    require_manager_of(session, actor, mission)
    if line.approved and not (reason and reason.strip()):
        message = _("This line was approved: say why it changes.")
        raise Invalid(message, errors={"reason": [message]})
    if "stage" in data:
        _check_stage(mission, data["stage"])
    before = _snapshot(line)
    _programme, target = reporting_currency(session, mission)
    merged = {key: getattr(line, key) for key in EDITABLE} | data
    added = _fill_preview(session, line, mission, merged, target)
    _warn_over_budget(session, added, over_budget_ok, replacing=line)
    with unit_of_work(session):
        _fill(session, line, mission, merged, target)
        line.stage = merged["stage"]
        line.updated_at = now
        after = _snapshot(line)
        if line.approved:
            session.add(CostLineChange(line=line, changed_by_id=getattr(actor, "id", None),
                                       changed_at=now, before=before, after=after,
                                       reason=reason.strip()))
            line.approved_at = line.approved_by_id = None
        _after_change(session, mission)
        audit.record(session, now=now, actor=actor, action="update", entity="cost_line",
                     entity_id=line.id, detail={"before": before, "after": after,
                                                "reason": reason})
    return line


def approve(session, line: CostLine, *, actor, now: datetime) -> CostLine:
    require_manager_of(session, actor, line.mission)
    if line.approved:
        raise Conflict(_("This line is approved already."))
    with unit_of_work(session):
        updated = session.execute(
            sa.update(CostLine).where(CostLine.id == line.id, CostLine.approved_at.is_(None))
            .values(approved_at=now, approved_by_id=getattr(actor, "id", None))
            .execution_options(synchronize_session=False)).rowcount
        if updated != 1:
            raise Conflict(_("This line is approved already."))
        session.refresh(line)
        audit.record(session, now=now, actor=actor, action="update", entity="cost_line",
                     entity_id=line.id, detail={"approved": True})
    return line


def delete_line(session, line: CostLine, *, actor, now: datetime) -> None:
    """Remove a line not yet approved (an approved one is changed, with a reason)."""
    mission = line.mission
    require_manager_of(session, actor, mission)
    if line.approved:
        raise Conflict(_("An approved line is not removed: change it and say why."))
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="delete", entity="cost_line",
                     entity_id=line.id, detail=_snapshot(line))
        session.delete(line)
        session.flush()
        _after_change(session, mission)


def commit_on_confirm(session, mission: Mission, action: str, actor, now: datetime) -> None:
    """Lifecycle hook: confirming a mission commits its estimated lines."""
    if action != "confirm":
        return
    ids = list(session.scalars(sa.select(CostLine.id).where(
        CostLine.mission_id == mission.id, CostLine.stage == CostStage.ESTIMATED)))
    if not ids:
        return
    session.execute(sa.update(CostLine).where(CostLine.id.in_(ids))
                    .values(stage=CostStage.COMMITTED, updated_at=now)
                    .execution_options(synchronize_session=False))
    for line in session.identity_map.values():
        if isinstance(line, CostLine) and line.id in ids:
            session.expire(line)
    audit.record(session, now=now, actor=actor, action="update", entity="mission_costs",
                 entity_id=mission.id, detail={"committed_lines": ids})


# --- helpers ------------------------------------------------------------------------------

def default_stage(mission: Mission) -> str:
    """The stage a new line most likely has at the mission's status (the form's default)."""
    if mission.status in STAGES_BY_STATUS[CostStage.ACTUAL]:
        return CostStage.ACTUAL
    if mission.status in CONFIRMED_AHEAD:
        return CostStage.COMMITTED
    return CostStage.ESTIMATED


def _check_stage(mission: Mission, stage: str) -> None:
    if mission.status not in STAGES_BY_STATUS[stage]:
        message = {
            CostStage.ESTIMATED: _("Costs are estimated while the mission is planned."),
            CostStage.COMMITTED: _("Costs are committed once the mission is confirmed."),
            CostStage.ACTUAL: _("Actual costs are entered once the mission is under way or over."),
        }[stage]
        raise Conflict(message, extra={"current_status": mission.status})


def _default_day(mission: Mission, stage: str) -> date:
    return mission.ends_on if stage == CostStage.ACTUAL else mission.starts_on


def _fill(session, line: CostLine, mission: Mission, data: dict, target: str) -> None:
    for key in ("category", "payer", "note", "payable_on"):
        if key in data:
            setattr(line, key, data[key])
    line.payer = line.payer or Payer.PROGRAMME
    line.reimbursable = bool(data.get("reimbursable", False))
    line.currency = data["currency"]
    line.amount = rates.rounded(data["amount"], line.currency)
    line.incurred_on = data.get("incurred_on") or _default_day(mission, data.get("stage", line.stage))
    conversion = rates.convert(session, line.amount, line.currency, target, line.incurred_on)
    if line.amount > LARGEST or conversion.amount > LARGEST:
        message = _("This amount is too large to keep.")
        raise Invalid(message, errors={"amount": [message]})
    line.reporting_amount = conversion.amount
    line.reporting_currency = target
    line.exchange_rate = conversion.rate
    line.rate_on = conversion.rate_on


def _fill_preview(session, line: CostLine, mission: Mission, data: dict, target: str) -> CostLine:
    """A detached copy of ``line`` as ``data`` would make it (for the budget check)."""
    preview = CostLine(programme_id=line.programme_id, stage=data["stage"])
    _fill(session, preview, mission, data, target)
    return preview


def _warn_over_budget(session, line: CostLine, over_budget_ok: bool,
                      replacing: CostLine | None = None) -> None:
    """Warn before planning past the budget; actual spending is recorded as it was."""
    if line.payer != Payer.PROGRAMME or line.stage == CostStage.ACTUAL or over_budget_ok:
        return
    warnings = budgets.overruns(session, line.programme_id, line.category, line.incurred_on,
                                line.reporting_amount, replacing=replacing)
    if warnings:
        raise Conflict(" ".join(w.message() for w in warnings),
                       extra={"over_budget": [w.as_dict() for w in warnings]})


def _after_change(session, mission: Mission) -> None:
    """Keep the mission's own cost (read by the dashboard and the exports) equal to its actual
    programme-paid cost in the reporting currency, or empty while it has none."""
    row = session.execute(
        sa.select(sa.func.sum(CostLine.reporting_amount), sa.func.min(CostLine.reporting_currency))
        .where(CostLine.mission_id == mission.id, CostLine.stage == CostStage.ACTUAL,
               CostLine.payer == Payer.PROGRAMME)).one()
    mission.cost_amount = None if row[0] is None else Decimal(row[0]).quantize(Decimal("0.01"))
    mission.cost_currency = row[1]


def _snapshot(line: CostLine) -> dict:
    return {"category": line.category, "stage": line.stage, "payer": line.payer,
            "reimbursable": line.reimbursable,
            "payable_on": line.payable_on.isoformat() if line.payable_on else None,
            "amount": str(rates.rounded(Decimal(line.amount), line.currency)),
            "currency": line.currency,
            "incurred_on": line.incurred_on.isoformat(),
            "reporting_amount": str(rates.rounded(Decimal(line.reporting_amount),
                                                  line.reporting_currency)),
            "reporting_currency": line.reporting_currency, "exchange_rate": str(line.exchange_rate),
            "rate_on": line.rate_on.isoformat(), "note": line.note}
