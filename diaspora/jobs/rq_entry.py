"""What an RQ worker runs for a job of the ``rq`` backend (``JOBS_BACKEND=rq``).

Only ``rq worker`` imports this module; it builds the app from the environment, as ``flask``
commands do, then claims and runs the job like the embedded worker.
"""
from __future__ import annotations

from .. import create_app
from ..clock import now
from ..extensions import db
from .services import claim_next, run_job, worker_name


def run_job_in_new_app(job_id: int) -> str:
    app = create_app()
    with app.app_context():
        return run_job_by_id(job_id)


def run_job_by_id(job_id: int) -> str:
    """Claim and run ``job_id`` in the current app; its final status, or why nothing ran."""
    job = claim_next(db.session, now(), worker=f"rq:{worker_name()}", job_id=job_id)
    if job is None:
        return "not queued"
    return run_job(db.session, job, clock=now).status
