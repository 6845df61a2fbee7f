"""The plan as a background job: asked for in a request, made by a job worker, kept.

A manager asks for the plan of a period (``start``); a job makes it (``run_plan``, with its
progress: needs ranked) and stores it in the job's result, so that the page shows it again on
reload and a web worker restarting loses nothing. Two managers asking for the same plan (same
period, programme, country and reach) at once get one job: the job's ``key`` is unique among
queued and running jobs (``jobs.services.enqueue_once``). Who may see a plan: the managers
whose reach is the one it was made for, and admins (``plan_job_for``).
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _, lazy_gettext as _l

from diaspora import audit
from diaspora.auth.models import User
from diaspora.db import unit_of_work
from diaspora.errors import Forbidden, NotFound
from diaspora.facilities.models import Facility
from diaspora.jobs import services as jobs
from diaspora.jobs.models import Job
from diaspora.needs.models import Need
from diaspora.programmes import access as programmes
from diaspora.vocabulary import JobStatus

from . import planning
from .terms import Settings

KIND = "matching.plan"
PAGE = "matching.plan_job"
RECENT = 10          # plans listed on the plan's page


def init_app(app: Flask) -> None:
    jobs.register_handler(app, KIND, run_plan, _l("Programme-wide plan"), page=PAGE)


def scope_of(session, actor) -> dict | None:
    """The needs ``actor`` may plan, as stored with the job: None for every need, else the
    programmes they manage and those programmes' origin countries (``access.Reach``)."""
    reach = programmes.reach_of(session, actor)
    if reach is None:
        return None
    return {"programmes": sorted(reach.programme_ids), "countries": sorted(reach.countries)}


def _within(scope: dict | None) -> sa.Select | None:
    """``SELECT needs.id`` of the needs in ``scope`` (the rule of ``Reach.covers``)."""
    if scope is None:
        return None
    return sa.select(Need.id).join(Facility, Facility.id == Need.facility_id).where(sa.or_(
        Need.programme_id.in_(scope["programmes"]),
        sa.and_(Need.programme_id.is_(None), Facility.country.in_(scope["countries"]))))


def start(session, data: dict, *, actor, now: datetime) -> tuple[Job, bool]:
    """Queue the plan ``data`` asks for (``PlanRequestSchema``), or join the same plan being
    made: ``(job, started)``. A programme manager plans their own programmes' needs only."""
    programmes.require_programme(session, actor, data.get("programme_id"))
    params = {"period_start": data["period_start"].isoformat(),
              "period_end": data["period_end"].isoformat(),
              "programme_id": data.get("programme_id"), "country": data.get("country"),
              "scope": scope_of(session, actor)}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:40]
    return jobs.enqueue_once(session, KIND, f"{KIND}:{digest}", actor=actor, now=now,
                             params=params)


def run_plan(session, job: Job, progress, now: datetime) -> dict:
    """The job's handler: make the plan, audit it as read by whoever asked, answer it."""
    params = job.params
    plan = planning.make_plan(
        session, now=now, settings=Settings.from_config(current_app.config),
        period_start=date.fromisoformat(params["period_start"]),
        period_end=date.fromisoformat(params["period_end"]),
        programme_id=params.get("programme_id"), country=params.get("country"),
        within=_within(params.get("scope")), progress=progress)
    actor = session.get(User, job.started_by_id) if job.started_by_id else None
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="plan",
                     entity_id=job.id, detail=_audit_detail(plan))
    return to_json(plan)


def _audit_detail(plan: planning.Plan) -> dict:
    return {"period_start": plan.period_start.isoformat(),
            "period_end": plan.period_end.isoformat(),
            "professionals": sorted({a.professional_id for a in plan.assignments})}


def may_see(session, actor, job: Job) -> bool:
    """Whether ``actor`` may see the plan of ``job``: made for the needs they may plan."""
    return job.kind == KIND and scope_of(session, actor) in (None, job.params.get("scope"))


def plan_job_for(session, job_id: int, *, actor, now: datetime) -> tuple[Job, planning.Plan | None]:
    """A plan job and, once it is done, its plan (its read audited)."""
    job = session.get(Job, job_id)
    if job is None or job.kind != KIND:
        raise NotFound(_("No such plan."))
    if not may_see(session, actor, job):
        raise Forbidden(_("This plan was made for needs you do not manage."))
    if job.status != JobStatus.DONE or not job.result:
        return job, None
    plan = from_json(job.result)
    with unit_of_work(session):
        audit.record(session, now=now, actor=actor, action="read", entity="plan",
                     entity_id=job.id, detail=_audit_detail(plan))
    return job, plan


def recent_plans(session, *, actor) -> list[Job]:
    """The latest plan jobs ``actor`` may see, newest first."""
    scope = scope_of(session, actor)
    found = session.scalars(sa.select(Job).where(Job.kind == KIND)
                            .order_by(Job.id.desc()).limit(RECENT * 5))
    return [job for job in found if scope is None or job.params.get("scope") == scope][:RECENT]


# --- the plan as JSON (the job's result) ----------------------------------------------------

def to_json(plan: planning.Plan) -> dict:
    def need(summary: planning.NeedSummary) -> dict:
        return {"id": summary.id, "title": summary.title, "priority": summary.priority,
                "facility_id": summary.facility_id, "facility_name": summary.facility_name,
                "country": summary.country, "rural": summary.rural, "tier": summary.tier}

    return {
        "period_start": plan.period_start.isoformat(), "period_end": plan.period_end.isoformat(),
        "optimal": plan.optimal,
        "assignments": [{"need": need(a.need), "professional_id": a.professional_id,
                         "name": a.name, "mode": a.mode, "starts_on": a.starts_on.isoformat(),
                         "ends_on": a.ends_on.isoformat(), "score": a.score, "weight": a.weight}
                        for a in plan.assignments],
        "unmet": [{"need": need(u.need), "reason": u.reason, "detail": u.detail}
                  for u in plan.unmet],
        "counts": {"needs": len(plan.assignments) + len(plan.unmet),
                   "assigned": len(plan.assignments), "unmet": len(plan.unmet)},
    }


def from_json(data: dict) -> planning.Plan:
    """The stored plan, its unmet needs explained in the current language."""
    def need(values: dict) -> planning.NeedSummary:
        return planning.NeedSummary(**values)

    return planning.Plan(
        period_start=date.fromisoformat(data["period_start"]),
        period_end=date.fromisoformat(data["period_end"]), optimal=data["optimal"],
        assignments=[planning.Assignment(
            need=need(a["need"]), professional_id=a["professional_id"], name=a["name"],
            mode=a["mode"], starts_on=date.fromisoformat(a["starts_on"]),
            ends_on=date.fromisoformat(a["ends_on"]), score=a["score"], weight=a["weight"])
            for a in data["assignments"]],
        unmet=[planning.unmet(need(u["need"]), u["reason"], u["detail"]) for u in data["unmet"]])
