"""Site-wide web plumbing: home page, health check, API docs, security headers, compression,
fingerprinted static files, template globals."""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import swagger_ui_bundle
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import safe_join

from . import idempotency, reference, safeguards, vocabulary
from .extensions import compress, db
from .forms import flat_errors
from .vocabulary import Role

bp = Blueprint("main", __name__)

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
# Swagger UI sets inline style attributes; its page alone may use them (scripts stay 'self').
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

# A static file asked for with its current fingerprint (``?v=``) never changes: cached a year.
IMMUTABLE = "public, max-age=31536000, immutable"
# Files sent from disk up to this size are read into memory to be compressed (the largest is
# the API docs' Swagger UI bundle, about 1 MB).
MAX_BUFFERED_FILE = 4 * 1024 * 1024

HOME_BY_ROLE = {
    Role.PROFESSIONAL: "professionals.me",
    Role.COORDINATOR: "facilities.mine",
    Role.MANAGER: "programmes.overview",
    Role.ADMIN: "programmes.overview",
}


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, translated when shown
    roles: frozenset[str]
    order: int
    active_prefix: str


def add_nav(app: Flask, endpoint: str, label, roles: tuple[str, ...], order: int,
            active_prefix: str | None = None) -> None:
    """Add an entry to the main navigation, shown to the given roles."""
    app.extensions.setdefault("nav", []).append(
        NavItem(endpoint, label, frozenset(roles), order, active_prefix or endpoint))


def nav_items() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = current_app.extensions.get("nav", [])
    return sorted((i for i in items if current_user.role in i.roles), key=lambda i: i.order)


def csv_response(filename: str, header: list[str], rows) -> Response:
    """A CSV download (UTF-8 with a byte-order mark, so spreadsheet programs read accents)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    return render_template("main/index.html")


@bp.get("/ping")
def ping():
    """Liveness: the process answers (no database). ``/healthz`` also checks the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/healthz")
def health():
    """Readiness: 503 while the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on pages without an icon link (JSON, files): the SVG icon."""
    return send_from_directory(current_app.static_folder, "favicon.svg", mimetype="image/svg+xml",
                               max_age=86400)


@bp.get("/api/docs")
def api_docs():
    return render_template("main/api_docs.html")


@bp.get("/api/docs/assets/<path:filename>")
def api_docs_asset(filename: str):
    return send_from_directory(Path(swagger_ui_bundle.swagger_ui_path), filename, max_age=86400)


def security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       DOCS_CSP if request.path.startswith("/api/docs") else CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if current_user.is_authenticated:
        headers.setdefault("Cache-Control", "no-store")
    return response


def static_fingerprint(filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static file, computed once per file per
    process (None when there is no such file)."""
    fingerprints = current_app.extensions.setdefault("static_fingerprints", {})
    if filename not in fingerprints:
        path = safe_join(current_app.static_folder, filename)
        if path is None or not Path(path).is_file():
            return None
        fingerprints[filename] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return fingerprints[filename]


def fingerprint_static_urls(endpoint: str, values: dict) -> None:
    """``url_for('static', filename=…)`` appends ``?v=<fingerprint>``: a changed file gets a new
    URL, so the old one can be cached for a year."""
    if endpoint == "static" and "v" not in values:
        fingerprint = static_fingerprint(values.get("filename", ""))
        if fingerprint:
            values["v"] = fingerprint


def buffer_sent_files(response):
    """A file sent from disk (static files, the API docs' assets) is a stream, which
    Flask-Compress leaves alone; a text one is read into memory so that it is compressed."""
    if (response.direct_passthrough and response.status_code == 200
            and response.mimetype in current_app.config["COMPRESS_MIMETYPES"]
            and response.content_length is not None
            and response.content_length <= MAX_BUFFERED_FILE):
        sent = response.response
        response.direct_passthrough = False
        response.set_data(b"".join(sent))
        sent.close()
    return response


def cache_fingerprinted_static(response):
    """A static file asked for with its current fingerprint is immutable; any other request
    for it (no ``v``, or an old one) keeps Flask's ``no-cache``, checked each time."""
    if (request.endpoint == "static" and response.status_code in (200, 304)
            and request.args.get("v")
            and request.args["v"] == static_fingerprint(request.view_args["filename"])):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def template_globals(app: Flask) -> dict:
    """Names every template (and every imported macro) can use."""
    return {"ref": reference, "languages": app.config["LANGUAGES"], "get_locale": get_locale,
            "nav_items": nav_items, "flat_errors": flat_errors, "role_label": role_label,
            "roles_choices": roles_choices, "tier_label": reference.tier_label,
            "facility_categories": reference.FACILITY_CATEGORIES,
            "facility_ownerships": reference.FACILITY_OWNERSHIPS,
            "facility_settings": reference.FACILITY_SETTINGS,
            "organisation_kinds": reference.ORGANISATION_KINDS, "choices_of": choices_of,
            "safeguard": safeguards.is_listed, "has_endpoint": has_endpoint,
            "submission_token": idempotency.new_token,
            # the vocabularies (``{{ need.status|label(NeedStatus) }}``) and their groups
            "Role": vocabulary.Role, "Mode": vocabulary.Mode, "Purpose": vocabulary.Purpose,
            "NeedStatus": vocabulary.NeedStatus, "Recognition": vocabulary.Recognition}


def label(code, of: type[vocabulary.Vocabulary] | None = None) -> object:
    """Template filter: a code's translated label, ``{{ m.status|label(MissionStatus) }}``
    (a member knows its own vocabulary: ``{{ Mode.PHYSICAL|label }}``)."""
    if of is not None:
        return of.label_of(code)
    return code.label if isinstance(code, vocabulary.Vocabulary) else code


def has_endpoint(endpoint: str) -> bool:
    """Whether the app serves ``endpoint``: registry pages link to a component's pages only
    when the component is part of the app (``COMPONENTS``)."""
    return endpoint in current_app.view_functions


def choices_of(records, value: str = "id", label: str = "name") -> list[tuple]:
    """(value, label) pairs of records, for a select."""
    return [(getattr(r, value), getattr(r, label)) for r in records]


role_label = vocabulary.role_label


def roles_choices(roles, current: str | None) -> list[tuple[str, str]]:
    """Role options for a select: the grantable ones, plus the current one so it shows."""
    codes = list(roles) + ([current] if current and current not in roles else [])
    return [(code, role_label(code)) for code in codes]


def init_app(app: Flask) -> None:
    # Compression's after_request is registered first, so that it runs last, on the final body.
    compress.init_app(app)
    app.after_request(buffer_sent_files)
    app.register_blueprint(bp)
    app.after_request(security_headers)
    app.after_request(cache_fingerprinted_static)
    app.url_defaults(fingerprint_static_urls)
    app.jinja_env.globals.update(template_globals(app))
    app.jinja_env.filters["label"] = label
