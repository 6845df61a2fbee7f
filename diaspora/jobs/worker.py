"""The embedded worker: a thread that runs queued jobs, one at a time.

Started by the factory when ``JOBS_WORKER_ENABLED`` is set (``make run``, next to the in-process
scheduler; gunicorn workers leave it off) or standalone by ``flask diaspora jobs-worker``. Two
workers may run side by side: each job is claimed by exactly one (``services.claim_next``).
"""
from __future__ import annotations

import logging
import threading

from flask import Flask

from ..clock import now
from ..extensions import db
from .services import run_pending, worker_name

log = logging.getLogger(__name__)


def work(app: Flask, stop: threading.Event) -> None:
    """Run queued jobs until ``stop`` is set, looking every ``JOBS_POLL_SECONDS``."""
    name = worker_name()
    while not stop.is_set():
        try:
            with app.app_context():
                run_pending(db.session, clock=now, worker=name)
                db.session.remove()
        except Exception:  # a database that is down: try again at the next poll
            log.exception("the job worker's poll failed")
        stop.wait(app.config["JOBS_POLL_SECONDS"])


def start(app: Flask) -> threading.Event:
    """Start the worker thread; returns the event that stops it."""
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(app, stop), name="diaspora-jobs", daemon=True)
    thread.start()
    app.extensions["jobs_worker"] = (thread, stop)
    return stop


def init_app(app: Flask) -> None:
    if app.config["JOBS_WORKER_ENABLED"] and app.config["JOBS_BACKEND"] == "embedded":
        start(app)
