"""Queue, claim and run background jobs.

A job is a row in ``jobs``. ``enqueue`` adds it (in the request that asks for the work) and
hands it to the configured backend:

- ``embedded`` (the default): nothing more — a worker polls the table. The worker is a thread
  of the process that runs the scheduler (``make run``), or ``flask diaspora jobs-worker`` on
  its own. It claims the oldest queued job with a compare-and-set of its status
  (``diaspora.statemachine``; on PostgreSQL after ``FOR UPDATE SKIP LOCKED``), so two workers
  never run the same job, and a web worker restarting loses nothing: the job is a row.
- ``rq``: the job id is also put on an RQ queue in Redis (``JOBS_REDIS_URL``); an ``rq worker``
  calls ``rq_entry.run_job_in_new_app``. The row stays the truth (status, progress, result).

A handler is a function ``handler(session, job, progress, now) -> dict`` registered per app
under the job's kind (``register_handler``). ``progress(done, total)`` stores the progress and
the heartbeat; a running job whose heartbeat is older than ``JOBS_STALE_SECONDS`` is queued
again (its worker died), up to ``JOBS_MAX_ATTEMPTS`` runs, so handlers must be idempotent.
"""
from __future__ import annotations

import csv
import io
import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _
from redis import Redis
from rq import Queue

from .. import statemachine
from ..db import unit_of_work
from ..errors import Forbidden, NotFound
from ..statemachine import Transition
from ..vocabulary import MANAGERS, JobStatus
from .models import Job

log = logging.getLogger(__name__)

Handler = Callable[..., dict]
CLAIM = Transition((JobStatus.QUEUED,), JobStatus.RUNNING)
FINISH = Transition((JobStatus.RUNNING,), JobStatus.DONE)
FAIL = Transition((JobStatus.RUNNING, JobStatus.QUEUED), JobStatus.FAILED)
REQUEUE = Transition((JobStatus.RUNNING,), JobStatus.QUEUED)


def _refusal(current: str) -> str:
    return _("This job is already %(status)s.", status=current)


def handlers(app: Flask | None = None) -> dict[str, Handler]:
    """The current app's job handlers by kind."""
    app = app or current_app
    return app.extensions.setdefault("job_handlers", {})


def titles(app: Flask | None = None) -> dict[str, object]:
    """The current app's job titles (translated) by kind."""
    app = app or current_app
    return app.extensions.setdefault("job_titles", {})


def register_handler(app: Flask, kind: str, handler: Handler, title,
                     follow_up: tuple[str, object] | None = None, page: str | None = None) -> None:
    """Make jobs of ``kind`` runnable in ``app`` (called once, when a blueprint registers).
    ``follow_up``: (endpoint taking ``job_id``, label) of a page the finished job links to;
    ``page``: the endpoint that shows them, instead of the generic job page."""
    handlers(app)[kind] = handler
    titles(app)[kind] = title
    if follow_up:
        follow_ups(app)[kind] = follow_up
    if page:
        pages(app)[kind] = page


def follow_ups(app: Flask | None = None) -> dict[str, tuple[str, object]]:
    """The current app's follow-up pages of finished jobs, by kind."""
    app = app or current_app
    return app.extensions.setdefault("job_follow_ups", {})


def pages(app: Flask | None = None) -> dict[str, str]:
    """The endpoint (taking ``job_id``) that shows a job of each kind its own way, by kind."""
    app = app or current_app
    return app.extensions.setdefault("job_pages", {})


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(session, kind: str, *, actor, now: datetime, params: dict | None = None,
            input_name: str | None = None, input_data: bytes | None = None) -> Job:
    """Queue a job of ``kind`` (committed), then hand it to the backend."""
    if kind not in handlers():
        raise NotFound(_("No such kind of job."))
    with unit_of_work(session):
        job = Job(kind=kind, status=JobStatus.QUEUED, params=params or {},
                  started_by_id=getattr(actor, "id", None), input_name=input_name,
                  input_data=input_data, created_at=now)
        session.add(job)
    _hand_to_backend(job)
    return job


def enqueue_once(session, kind: str, key: str, *, actor, now: datetime,
                 params: dict | None = None) -> tuple[Job, bool]:
    """The queued or running job of ``key``, or a new one: ``(job, started)``.

    A compare-and-set on the database's unique index of active keys: of two people asking at
    once, one inserts the job, the other's insert fails and they get the first one's job.
    """
    if kind not in handlers():
        raise NotFound(_("No such kind of job."))
    for _attempt in range(3):  # the active job may finish between our insert and our look
        active = session.scalar(sa.select(Job).where(Job.key == key, Job.status.in_(
            (JobStatus.QUEUED, JobStatus.RUNNING))))
        if active is not None:
            return active, False
        try:
            with unit_of_work(session):
                job = Job(kind=kind, key=key, status=JobStatus.QUEUED, params=params or {},
                          started_by_id=getattr(actor, "id", None), created_at=now)
                session.add(job)
        except sa.exc.IntegrityError:
            continue  # someone else's job holds the key now: take theirs
        _hand_to_backend(job)
        return job, True
    raise RuntimeError(f"no active job of key {key!r} and none could be queued")


def _hand_to_backend(job: Job) -> None:
    if current_app.config.get("JOBS_BACKEND") == "rq":
        rq_queue().enqueue("diaspora.jobs.rq_entry.run_job_in_new_app", job.id,
                           job_id=f"diaspora-job-{job.id}")


def get_job(session, job_id: int, *, actor) -> Job:
    """A job, for the person who started it or a manager."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(_("No such job."))
    if job.started_by_id != getattr(actor, "id", None) and getattr(actor, "role", None) not in MANAGERS:
        raise Forbidden(_("This job is not yours."))
    return job


def jobs_of_kind(session, kinds: tuple[str, ...], limit: int = 50) -> list[Job]:
    """The latest jobs of these kinds, newest first (the import history)."""
    return list(session.scalars(sa.select(Job).where(Job.kind.in_(kinds))
                                .order_by(Job.id.desc()).limit(limit)))


def requeue_stale(session, now: datetime) -> int:
    """Queue again the running jobs whose worker stopped beating; fail those tried too often."""
    config = current_app.config
    cutoff = now - timedelta(seconds=config["JOBS_STALE_SECONDS"])
    stale = session.scalars(sa.select(Job).where(Job.status == JobStatus.RUNNING,
                                                 Job.heartbeat_at < cutoff)).all()
    count = 0
    for job in stale:
        with unit_of_work(session):
            try:
                if job.attempts >= config["JOBS_MAX_ATTEMPTS"]:
                    statemachine.apply(session, job, FAIL, refusal=_refusal, finished_at=now,
                                       error="The worker stopped too many times.")
                else:
                    statemachine.apply(session, job, REQUEUE, refusal=_refusal, worker=None)
                    count += 1
            except Exception:  # another worker moved it meanwhile
                session.rollback()
    return count


def claim_next(session, now: datetime, *, worker: str, job_id: int | None = None) -> Job | None:
    """Claim the oldest queued job (or ``job_id``): running, this worker's; None if none."""
    query = sa.select(Job).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    with unit_of_work(session):
        job = session.scalar(query)
        if job is None:
            return None
        statemachine.apply(session, job, CLAIM, refusal=_refusal, started_at=now,
                           heartbeat_at=now, worker=worker, attempts=job.attempts + 1)
    return job


def run_job(session, job: Job, *, clock: Callable[[], datetime]) -> Job:
    """Run a claimed job with its handler; it ends done (with its result) or failed."""
    job_id = job.id

    def progress(done: int, total: int | None = None) -> None:
        values = {"progress_done": done, "heartbeat_at": clock()}
        if total is not None:
            values["progress_total"] = total
        session.execute(sa.update(Job).where(Job.id == job_id).values(**values)
                        .execution_options(synchronize_session=False))
        session.commit()

    try:
        result = handlers()[job.kind](session, job, progress, clock())
    except Exception as error:  # the job fails, with its report; the worker carries on
        session.rollback()
        log.exception("job %s (%s) failed", job_id, job.kind)
        job = session.get(Job, job_id)
        session.refresh(job)
        with unit_of_work(session):
            statemachine.apply(session, job, FAIL, refusal=_refusal, finished_at=clock(),
                               error=_error_report(error))
        return job
    job = session.get(Job, job_id)
    session.refresh(job)
    with unit_of_work(session):
        done = job.progress_total if job.progress_total is not None else job.progress_done
        statemachine.apply(session, job, FINISH, refusal=_refusal, finished_at=clock(),
                           result=result, progress_done=done)
    return job


def _error_report(error: Exception) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return "".join(lines).strip()[:4000]


def run_pending(session, *, clock: Callable[[], datetime], worker: str | None = None,
                limit: int | None = None) -> int:
    """Requeue stale jobs, then run queued ones one by one; returns how many ran."""
    worker = worker or worker_name()
    requeue_stale(session, clock())
    ran = 0
    while limit is None or ran < limit:
        job = claim_next(session, clock(), worker=worker)
        if job is None:
            break
        run_job(session, job, clock=clock)
        ran += 1
    return ran


def rq_queue() -> Queue:
    """The RQ queue of the ``rq`` backend."""
    config = current_app.config
    return Queue(config["JOBS_RQ_QUEUE"], connection=Redis.from_url(config["JOBS_REDIS_URL"]))


def problems_csv(job: Job) -> str:
    """A job's per-row problems (``result["problems"]``: line, column, message) as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "column", "message"])
    for problem in (job.result or {}).get("problems", []):
        writer.writerow([problem.get("line"), problem.get("column"),
                         _csv_safe(problem.get("message"))])
    return out.getvalue()


def _csv_safe(text) -> str:
    """No cell starts a spreadsheet formula (CSV injection)."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
