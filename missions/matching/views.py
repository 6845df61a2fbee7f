"""Pages and API for matching: a need's shortlist and the programme-wide plan.

Matching is reachable only from an approved need (or, for the plan, the approved needs of a
period), and only by programme managers: there is no "browse the talent" search.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError, fields, validate, validates_schema

from diaspora.apispec import ApiBlueprint
from diaspora.clock import now
from diaspora.extensions import db
from diaspora.facilities.services import countries_present
from diaspora.forms import load_form
from diaspora.programmes.access import programmes_for
from diaspora.reference import country_name
from diaspora.schemas import BaseSchema, CountryCode
from diaspora.security import roles_required
from diaspora.vocabulary import JobStatus, Role
from diaspora.web import add_nav

from ..core.proposals import open_missions_for
from . import plan_jobs, planning
from .explanations import CRITERION_LABELS
from .filters import FILTER_LABELS, diagnose
from .ranking import shortlist_for
from .terms import Settings, terms_of

bp = Blueprint("matching", __name__)
blp = ApiBlueprint("matching_api", __name__, url_prefix="/api/v1", tags={
    "Matching": "Who fits an approved need, ranked and explained, and the programme-wide plan "
                "that proposes one professional per need of a period without double-booking "
                "anyone (programme managers).",
})

PROPOSE_ENDPOINT = "missions.propose"


REFRESH_SECONDS = 3       # a plan being made: its page refreshes itself (without scripts)


@bp.record_once
def _nav(state):
    add_nav(state.app, "matching.plan", _l("Plan"), (Role.MANAGER, Role.ADMIN), 45, "matching.plan")
    plan_jobs.init_app(state.app)


# --- schemas ------------------------------------------------------------------------------

class ShortlistQuerySchema(BaseSchema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class CriterionSchema(BaseSchema):
    key = fields.String(metadata={"description": "skill, availability, language, timezone, "
                                                "distance, continuity or fairness"})
    score = fields.Float(metadata={"description": "0..1"})
    weight = fields.Float(metadata={"description": "the criterion's weight (MATCH_WEIGHTS)"})
    explanation = fields.String()


class CandidateSchema(BaseSchema):
    professional_id = fields.Integer()
    name = fields.String()
    score = fields.Float(metadata={"description": "0..100"})
    origin_match = fields.Boolean(metadata={"description": "from the host country's diaspora"})
    mode = fields.String(metadata={"description": "suggested mode: physical or virtual"})
    suggested_start = fields.Date()
    suggested_end = fields.Date()
    criteria = fields.List(fields.Nested(CriterionSchema))
    checks = fields.List(fields.String(), metadata={"description": "hard requirements met"})


class ShortlistSchema(BaseSchema):
    need_id = fields.Integer()
    need_status = fields.String()
    candidates = fields.List(fields.Nested(CandidateSchema))


class PlanRequestSchema(BaseSchema):
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    programme_id = fields.Integer(allow_none=True, load_default=None)
    country = CountryCode(allow_none=True, load_default=None)

    @validates_schema(skip_on_field_errors=False)  # with the field errors, in one round
    def _period(self, data, **kwargs):
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise ValidationError(_l("The period must not end before it starts."),
                                  field_name="period_end")
        if start and end and (end - start).days > planning.MAX_PERIOD_DAYS:
            raise ValidationError(_l("Plan at most two years at a time."), field_name="period_end")


class NeedSummarySchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    priority = fields.Integer()
    facility_id = fields.Integer()
    facility_name = fields.String()
    country = fields.String()
    rural = fields.Boolean()
    tier = fields.Integer(allow_none=True)


class AssignmentSchema(BaseSchema):
    need = fields.Nested(NeedSummarySchema)
    professional_id = fields.Integer()
    name = fields.String()
    mode = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    score = fields.Float()
    weight = fields.Float()


class UnmetSchema(BaseSchema):
    need = fields.Nested(NeedSummarySchema)
    reason = fields.String(metadata={"description": "no_candidate, taken or not_chosen"})
    explanation = fields.String()


class PlanSchema(BaseSchema):
    period_start = fields.Date()
    period_end = fields.Date()
    optimal = fields.Boolean()
    assignments = fields.List(fields.Nested(AssignmentSchema))
    unmet = fields.List(fields.Nested(UnmetSchema))


class PlanJobSchema(BaseSchema):
    job_id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    started = fields.Boolean(metadata={
        "description": "false when the same plan was already being made: this is that job"})
    done = fields.Integer(metadata={"description": "needs ranked so far"})
    total = fields.Integer(allow_none=True, metadata={"description": "needs to rank"})
    percent = fields.Integer(allow_none=True)
    url = fields.String(metadata={"description": "where to ask for the job and its plan"})
    error = fields.String(allow_none=True)
    plan = fields.Nested(PlanSchema, allow_none=True,
                         metadata={"description": "the plan, once the job is done"})


# --- pages --------------------------------------------------------------------------------

def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _propose_endpoint() -> str | None:
    """The proposal form's endpoint, once the missions pages provide it."""
    return PROPOSE_ENDPOINT if PROPOSE_ENDPOINT in current_app.view_functions else None


@bp.get("/needs/<int:need_id>/shortlist")
@roles_required(Role.MANAGER)
def shortlist(need_id: int):
    """The ranked, explained shortlist of an approved need."""
    need, candidates = shortlist_for(db.session, need_id, actor=current_user, now=now(),
                                              settings=_settings())
    nobody = None
    if not candidates:  # the plan's explanation: which filter removed how many
        diagnosis = diagnose(db.session, terms_of(need))
        nobody = {"why": planning.why_nobody(diagnosis),
                  "removed": [(FILTER_LABELS[name], count)
                              for name, count in diagnosis.removed_by.items()]}
    return render_template("matching/shortlist.html", need=need, candidates=candidates,
                           propose_endpoint=_propose_endpoint(), settings=_settings(),
                           criterion_labels=CRITERION_LABELS, nobody=nobody,
                           open_missions=open_missions_for(db.session, need.id))


@bp.route("/plan", methods=["GET", "POST"])
@roles_required(Role.MANAGER)
def plan():
    """The programme-wide plan for the approved needs of a period: asked for here, made by a
    background job whose page shows the progress, then the plan."""
    errors = {}
    if request.method == "POST":
        data, errors = load_form(PlanRequestSchema())
        if data:
            job, started = plan_jobs.start(db.session, data, actor=current_user, now=now())
            if not started:
                flash(_("This plan is already being made: here it is."), "info")
            return redirect(url_for("matching.plan_job", job_id=job.id), code=303)
    return _plan_page(form=request.form if request.method == "POST" else _half_year(),
                      errors=errors, status=422 if errors else 200)


@bp.get("/plan/<int:job_id>")
@roles_required(Role.MANAGER)
def plan_job(job_id: int):
    """A plan being made (its progress) or made (the plan, to propose missions from)."""
    job, result = plan_jobs.plan_job_for(db.session, job_id, actor=current_user, now=now())
    form = {key: job.params.get(key) or "" for key in
            ("period_start", "period_end", "programme_id", "country")}
    return _plan_page(form=form, errors={}, job=job, plan=result,
                      refresh=None if job.finished else REFRESH_SECONDS)


def _half_year() -> dict:
    today = now().date()
    return {"period_start": today.isoformat(),
            "period_end": (today + timedelta(days=182)).isoformat()}


def _plan_page(*, form, errors, status: int = 200, job=None, plan=None, refresh=None):
    return render_template(
        "matching/plan.html", plan=plan, job=job, errors=errors, refresh=refresh,
        JobStatus=JobStatus, propose_endpoint=_propose_endpoint(), form=form,
        recent=plan_jobs.recent_plans(db.session, actor=current_user),
        programmes=programmes_for(db.session, current_user),
        countries=[(code, country_name(code)) for code in countries_present(db.session)]), status


# --- API ----------------------------------------------------------------------------------

@blp.get("/needs/<int:need_id>/shortlist")
@roles_required(Role.MANAGER)
@blp.arguments(ShortlistQuerySchema, location="query")
@blp.response(200, ShortlistSchema)
@blp.answers(409, "Only an approved need is matched (``current_status``).")
def get_shortlist(args, need_id: int):
    """The ranked, explained shortlist of an approved need."""
    need, candidates = shortlist_for(db.session, need_id, actor=current_user, now=now(),
                                       limit=args["limit"], settings=_settings())
    return {"need_id": need.id, "need_status": need.status, "candidates": candidates}


@blp.post("/plan")
@roles_required(Role.MANAGER)
@blp.arguments(PlanRequestSchema)
@blp.response(202, PlanJobSchema)
def plan_period(data):
    """Start the plan of the period: one professional per approved need, nobody double-booked.

    The plan is made by a background job: follow ``url`` (also the ``Location`` header) until
    its ``status`` is ``done``; the plan is then in ``plan``. Asking again for the same plan
    while it is being made answers the same job. A proposal only: nothing is booked until
    missions are proposed."""
    job, started = plan_jobs.start(db.session, data, actor=current_user, now=now())
    body = _job_body(job, None, started=started)
    return body, {"Location": body["url"]}


@blp.get("/plan/jobs/<int:job_id>")
@roles_required(Role.MANAGER)
@blp.response(200, PlanJobSchema)
def get_plan_job(job_id: int):
    """A plan's job: its progress and, once done, the plan."""
    job, result = plan_jobs.plan_job_for(db.session, job_id, actor=current_user, now=now())
    return _job_body(job, result)


def _job_body(job, result, started: bool | None = None) -> dict:
    body = {"job_id": job.id, "status": job.status, "done": job.progress_done,
            "total": job.progress_total, "percent": job.percent, "error": job.error,
            "url": url_for("matching_api.get_plan_job", job_id=job.id), "plan": result}
    if started is not None:
        body["started"] = started
    return body
