"""``flask diaspora ...`` commands: import facilities, load demo data, create users."""
from __future__ import annotations

import sys
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from . import reference
from .auth.models import User
from .auth.schemas import UserCreateSchema
from .auth.services import find_user_by_email
from .clock import now
from .db import unit_of_work
from .demo import DemoDataRefused, load_demo_data
from .documents import services as documents
from .errors import DomainError
from .extensions import db
from .facilities.importer import HeaderError, import_facilities
from .facilities.sources.store import SourceProblemError
from .facilities.uploads import UnknownFormat, import_file
from .jobs.services import run_pending
from .jobs.worker import work
from .privacy.services import erase_person, retention_candidates
from .security import SYSTEM, hash_password
from .vocabulary import NEED_ROLES

group = AppGroup("diaspora", help="Registry administration.")


@group.command("import-facilities")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Write nothing if any row is invalid.")
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@click.option("--show-errors", default=20, show_default=True,
              help="How many row problems to print (all are counted).")
def import_facilities_command(path: Path, strict: bool, dry_run: bool, show_errors: int) -> None:
    """Import a WHO-format facility CSV (idempotent: re-import updates, never duplicates).

    A ministry's list (DHIS2, mCSD) goes through ``import-ministry-facilities``."""
    progress = None
    bar = None
    if sys.stderr.isatty():
        with path.open("rb") as handle:
            total = max(sum(1 for _ in handle) - 1, 0)
        bar = click.progressbar(length=total, label=f"Importing {path.name}", file=sys.stderr)
        bar.__enter__()
        progress = _bar_updater(bar)

    try:
        report = import_facilities(db.session, path, now=now(), strict=strict, dry_run=dry_run,
                                   progress=progress)
    except HeaderError as error:
        raise click.ClickException(str(error)) from error
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    click.echo(report.summary())
    for (what, value), count in report.unmapped.most_common():
        click.echo(f"  unmapped {what} {value!r}: {count} rows", err=True)
    for problem in report.invalid[:show_errors]:
        click.echo("  " + problem.describe(), err=True)
    if len(report.invalid) > show_errors:
        click.echo(f"  … and {len(report.invalid) - show_errors} more", err=True)
    if not report.committed:
        click.echo("Nothing was written" + (" (dry run)." if dry_run else
                                            ": invalid rows found in --strict mode."))
    if strict and report.invalid:
        sys.exit(1)


def _bar_updater(bar):
    """A progress callback (rows read so far) that advances a click progress bar."""
    done = [0]

    def update(rows: int) -> None:
        bar.update(rows - done[0])
        done[0] = rows

    return update


@group.command("demo-data")
@click.option("--facilities", "facilities_path", type=click.Path(path_type=Path),
              help="WHO-format CSV to import (default: ../shared/data/facilities/who-ssa-2019-GHA.csv "
                   "when present, else a generated set).")
@click.option("--professionals", default=80, show_default=True)
@click.option("--seed", default=2026, show_default=True)
def demo_data_command(facilities_path: Path | None, professionals: int, seed: int) -> None:
    """Load demo facilities, users, a programme and synthetic professionals (idempotent)."""
    try:
        lines = load_demo_data(db.session, now=now(), facilities_path=facilities_path,
                               professionals=professionals, seed=seed)
    except DemoDataRefused as error:
        raise click.ClickException(str(error)) from error
    for line in lines:
        click.echo(line)


@group.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([role.value for role in NEED_ROLES]), required=True)
@click.password_option()
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create a staff account (the first admin is made this way)."""
    try:
        data = UserCreateSchema().load({"email": email, "name": name, "role": role,
                                        "password": password,
                                        "timezone": current_app.config["DEFAULT_TIMEZONE"]})
    except ValidationError as error:
        raise click.ClickException(str(error.messages)) from error
    if find_user_by_email(db.session, data["email"]):
        raise click.ClickException("a user with this e-mail exists")
    with unit_of_work(db.session):
        db.session.add(User(email=data["email"], name=data["name"], role=role,
                            password_hash=hash_password(password), created_at=now(),
                            timezone=data["timezone"]))
    click.echo(f"created {role} {data['email']}")


def init_app(app: Flask) -> None:
    app.cli.add_command(group)


@group.command("retention")
@click.option("--apply", "apply_", is_flag=True, help="Erase the accounts listed (otherwise only list).")
def retention_command(apply_: bool) -> None:
    """List (or erase) accounts unused for longer than RETENTION_INACTIVE_DAYS."""
    instant = now()
    candidates = retention_candidates(db.session, now=instant)
    for user in candidates:
        seen = user.last_login_at or user.created_at
        line = f"{user.id}\t{user.role}\tlast seen {seen:%Y-%m-%d}"
        if apply_:
            try:
                erase_person(db.session, user, actor=SYSTEM, now=instant)
                line += "\terased"
            except DomainError as error:   # erase_person rolled its unit of work back
                line += f"\tkept: {error.message}"
        click.echo(line)
    click.echo(f"{len(candidates)} account(s) past the retention period"
               + ("" if apply_ else " (use --apply to erase them)"))


@group.command("db-roles")
@click.option("--owner", required=True, help="Role that owns the schema and runs the migrations.")
@click.option("--app", "app_role", required=True, help="Role the web app and the scheduler connect as.")
@click.option("--apply", "apply_", is_flag=True,
              help="Run the statements on DATABASE_URL (connected as a superuser) instead of printing them.")
def db_roles_command(owner: str, app_role: str, apply_: bool) -> None:
    """PostgreSQL roles in which the web app cannot rewrite the audit log (README: Database roles)."""
    from .db_roles import role_statements

    url = db.engine.url
    if url.get_backend_name() != "postgresql":
        raise click.ClickException("database roles are for PostgreSQL; DATABASE_URL is not")
    try:
        statements = role_statements(url.database, owner, app_role)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if not apply_:
        click.echo(";\n".join(statements) + ";")
        return
    with db.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    click.echo(f"roles ready: {owner} owns {url.database} and runs the migrations; {app_role} "
               "serves the app and cannot rewrite the audit log")


@group.command("jobs-worker")
@click.option("--once", is_flag=True, help="Run the queued jobs, then stop.")
def jobs_worker_command(once: bool) -> None:
    """Run background jobs (imports): the embedded backend's worker, standalone."""
    if once:
        click.echo(f"{run_pending(db.session, clock=now)} job(s) run")
        return
    stop = threading.Event()
    click.echo("running background jobs (Ctrl-C to stop)")
    try:
        work(current_app._get_current_object(), stop)
    except KeyboardInterrupt:
        stop.set()
@group.command("documents-retention")
@click.option("--apply", "apply_", is_flag=True, help="Remove the documents listed (otherwise only list).")
def documents_retention_command(apply_: bool) -> None:
    """List (or remove) documents older than DOCUMENT_RETENTION_DAYS that no licence in force
    rests on."""
    instant = now()
    candidates = documents.retention_candidates(db.session, now=instant)
    for document in candidates:
        click.echo(f"{document.id}\t{document.purpose}\tuploaded {document.uploaded_at:%Y-%m-%d}")
    if apply_:
        documents.apply_retention(db.session, now=instant)
    click.echo(f"{len(candidates)} document(s) past the retention period"
               + (": removed" if apply_ else " (use --apply to remove them)"))


@group.command("import-ministry-facilities")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code of the ministry's list.")
@click.option("--level", "facility_level", type=int, default=None,
              help="DHIS2 level of the facilities (default: the deepest level in the file).")
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@click.option("--show-errors", default=20, show_default=True)
def import_ministry_facilities_command(path: Path, country: str, facility_level: int | None,
                                       dry_run: bool, show_errors: int) -> None:
    """Import a DHIS2 organisation-unit export (JSON or CSV) or an mCSD FHIR Bundle."""
    code = country.strip().upper()
    if code not in reference.countries():
        raise click.ClickException(f"unknown country code {country!r}")
    try:
        result = import_file(db.session, path.read_bytes(), country=code, now=now(),
                             facility_level=facility_level, dry_run=dry_run)
    except (UnknownFormat, SourceProblemError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{result['format']}: " + ", ".join(f"{k} {v}" for k, v in result["counts"].items()))
    for line in result["notes"]:
        click.echo("  " + line, err=True)
    for problem in result["problems"][:show_errors]:
        click.echo(f"  entry {problem['line']}: {problem['column']}: {problem['message']}", err=True)
    if len(result["problems"]) > show_errors:
        click.echo(f"  … and {len(result['problems']) - show_errors} more", err=True)
