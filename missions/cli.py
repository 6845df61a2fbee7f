"""``flask missions ...`` commands."""
from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from diaspora.clock import now
from diaspora.extensions import db

from .scheduler import process as scheduler

group = AppGroup("missions", help="Missions: the scheduler.")


@group.command("scheduler")
@click.option("--once", is_flag=True,
              help="Do one run (lifecycle, reminders, delivery, e-mail) and exit.")
def scheduler_command(once: bool) -> None:
    """Run the scheduler: the one process that sends reminders and moves missions on time."""
    if once:
        counts = scheduler.run_once(db.session, now())
        click.echo(" ".join(f"{name}={value}" for name, value in sorted(counts.items())))
        return
    running = scheduler.start(current_app._get_current_object())
    stopping = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stopping.set())
    click.echo(f"scheduler running every {current_app.config['SCHEDULER_INTERVAL_SECONDS']} s; "
               "stop with Ctrl-C or SIGTERM")
    stopping.wait()
    running.shutdown(wait=True)  # lets a run in progress finish
    click.echo("scheduler stopped")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)
