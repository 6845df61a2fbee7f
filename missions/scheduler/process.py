"""The scheduler: one recurring job that does all the timed work, in exactly one process.

``run_once(session, now)`` is the work — lifecycle moves, storing due reminders, delivering
them, e-mailing them — as a plain function of the clock: the APScheduler job calls it with the
real clock, tests with a fake one. Everything it needs to remember lives in the database, so a
restarted scheduler simply carries on, and two running at once share the work without sending
anything twice (see ``notifications.outbox`` and ``automation``).

It runs either standalone (``flask missions scheduler``: deployments, next to gunicorn whose
workers never start it) or inside the development server (``make run`` sets
``SCHEDULER_ENABLED=1``; see ``should_start_in_process``). The APScheduler object is made per
app by ``start`` and kept in ``app.extensions["scheduler"]`` — not a module-level extension,
as tests build many apps.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import UTC, datetime

import click
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask, current_app

from diaspora.clock import now as clock_now
from diaspora.extensions import db

from ..core.hooks import mission_hooks
from ..notifications import outbox
from ..notifications.mail import Mailer
from . import automation, watermarks

log = logging.getLogger(__name__)
JOB_ID = "missions-run-once"


def worker_name() -> str:
    """Names this process in the claims it makes (host, pid, and a per-start token)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_once(session, now: datetime, *, worker: str | None = None) -> dict[str, int]:
    """Do everything due at ``now``: returns counts by step."""
    config = current_app.config
    worker = worker or worker_name()
    counts = dict(automation.run(session, now))
    # only what fell due since each producer's last run; stored and watermarked in one commit
    produced = watermarks.produce(session, mission_hooks().reminder_producers, now)
    counts["stored"] = outbox.store(session, produced, now)
    counts.update(outbox.deliver_due(session, now, worker=worker,
                                     batch_size=config["SCHEDULER_BATCH_SIZE"]))
    if config.get("MAIL_SERVER"):
        counts.update(outbox.send_emails(session, now, worker=worker,
                                         mailer=Mailer(current_app._get_current_object())))
    return counts


def _job(app: Flask, worker: str) -> None:
    with app.app_context():
        try:
            counts = run_once(db.session, clock_now(), worker=worker)
            log.info("scheduler run: %s", counts)
        finally:
            db.session.remove()


def start(app: Flask) -> BackgroundScheduler:
    """Start the background scheduler for ``app`` (one recurring job)."""
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        _job, "interval", args=[app, worker_name()], id=JOB_ID,
        seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
        # Run at once on start: work missed while the scheduler was down is caught up now.
        next_run_time=datetime.now(UTC),
        # The work lives in the database, so a late run is never wrong, only late: run however
        # late it is (no misfire is dropped) ...
        misfire_grace_time=None,
        # ... but once: runs missed during a pause (a suspended machine, a slow run) collapse
        # into one, which does all that is due; and a run never overlaps the previous one.
        coalesce=True, max_instances=1)
    scheduler.start()
    app.extensions["scheduler"] = scheduler
    return scheduler


def should_start_in_process(app: Flask) -> bool:
    """True only in the process that serves ``flask run`` with ``SCHEDULER_ENABLED``.

    Other commands (``flask db upgrade``, ``flask missions scheduler``) and WSGI servers never
    start it. Under the reloader ``flask run`` loads the app twice — in the watcher and in the
    serving child, which has ``WERKZEUG_RUN_MAIN=true`` — and only the child may start it.
    """
    if not app.config["SCHEDULER_ENABLED"]:
        return False
    context = click.get_current_context(silent=True)
    if context is None or context.info_name != "run":
        return False
    reloading = context.params.get("reload")
    if reloading is None:  # flask run's default: the reloader follows --debug
        reloading = app.debug
    return not reloading or os.environ.get("WERKZEUG_RUN_MAIN") == "true"
