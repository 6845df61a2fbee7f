"""A job's page: its progress (a bar that refreshes itself without JavaScript, and a small
static script that polls the status instead when scripts run), its result and its report."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..security import login_required
from ..vocabulary import JobStatus
from . import services

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
REFRESH_SECONDS = 3
COUNT_LABELS = {
    "rows": _l("Rows read"), "inserted": _l("New"), "updated": _l("Updated"),
    "duplicates": _l("Duplicates in the file"), "merged": _l("Near-identical rows merged"),
    "invalid": _l("Rows with errors"), "closed": _l("Closed in the source"),
    "without_coordinates": _l("Without coordinates"), "corrections_kept": _l("Corrections kept"),
    "links_proposed": _l("Links to the WHO list proposed"),
    "created": _l("People invited"), "skipped": _l("Already in the registry (skipped)"),
    "duplicate": _l("Possible duplicates (not created)"), "invited": _l("Invitations sent"),
}


@bp.get("/<int:job_id>")
@login_required
def detail(job_id: int):
    job = services.get_job(db.session, job_id, actor=current_user)
    page = services.pages().get(job.kind)
    if page:  # a kind shown its own way (the plan): that page checks who may see it
        return redirect(url_for(page, job_id=job.id))
    follow_up = services.follow_ups().get(job.kind) if job.status == JobStatus.DONE else None
    return render_template("jobs/detail.html", job=job, JobStatus=JobStatus,
                           job_titles=services.titles(), count_labels=COUNT_LABELS,
                           follow_up=(url_for(follow_up[0], job_id=job.id), follow_up[1])
                           if follow_up else None,
                           refresh=None if job.finished else REFRESH_SECONDS)


@bp.get("/<int:job_id>/status")
@login_required
def status(job_id: int):
    """The job's progress as JSON, for the page's poll."""
    job = services.get_job(db.session, job_id, actor=current_user)
    return jsonify(id=job.id, status=job.status, done=job.progress_done,
                   total=job.progress_total, percent=job.percent, finished=job.finished)


@bp.get("/<int:job_id>/problems.csv")
@login_required
def problems(job_id: int):
    """The job's per-row problems as CSV (line, column, message)."""
    job = services.get_job(db.session, job_id, actor=current_user)
    body = services.problems_csv(job)
    name = f"job-{job.id}-problems.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
