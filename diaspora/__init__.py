"""Diaspora skills registry: the Flask application factory.

Importing this package has no side effects; ``create_app`` builds a configured app: the
registry (``diaspora``) and then the components named in ``COMPONENTS`` (``missions`` by
default), each imported by name and asked to ``register(app)``.
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event

from . import cli, extensions, hooks, i18n, limits, ratelimit, timezones, todo, web
from .admin import views as admin_views
from .auth import (  # noqa: F401 - throttle registers the database:// rate-limit storage
    api as auth_api,
    session as auth_session,
    throttle,
    views as auth_views,
)
from .config import CONFIGS, MIN_SECRET_KEY_BYTES, PROJECT_ROOT, default_database_url
from .documents import (
    api as documents_api,
    init_app as init_documents,
    uploads as document_uploads,
    views as documents_views,
)
from .errors import register_error_handlers
from .facilities import (
    api as facilities_api,
    import_views as facility_import_views,
    request_views as facility_request_views,
    views as facilities_views,
)
from .jobs import views as jobs_views, worker as jobs_worker
from .needs import api as needs_api, views as needs_views
from .partners import api as partners_api, views as partners_views
from .people_imports import views as people_imports_views
from .privacy import api as privacy_api, views as privacy_views
from .professionals import api as professionals_api, views as professionals_views
from .programmes import api as programmes_api, views as programmes_views
from .security import instance_secret_key
from .workforce import api as workforce_api, views as workforce_views


def create_app(config: str | dict[str, Any] | None = None) -> Flask:
    """Build the app.

    ``config`` is a config name (``development``, ``testing``, ``production``), a dict of
    overrides applied on top of the ``APP_ENV`` config (``development`` by default), or None.
    """
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
    )
    overrides: dict[str, Any] = {}
    name = os.environ.get("APP_ENV", "development")
    if isinstance(config, str):
        name = config
    elif isinstance(config, dict):
        overrides = config
        name = overrides.pop("ENV_NAME", name) if "ENV_NAME" in overrides else name
    app.config.from_object(CONFIGS[name])
    app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = default_database_url(app.instance_path)
    _use_instance_secret_key(app)
    _check_production_settings(app)

    limits.init_app(app)
    extensions.db.init_app(app)
    _configure_sqlite(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(PROJECT_ROOT / "migrations"),
                                compare_type=True, render_as_batch=True)
    extensions.csrf.init_app(app)
    ratelimit.init_app(app)
    i18n.init_app(app)
    extensions.api.init_app(app)
    auth_session.init_app(app)
    register_error_handlers(app)
    web.init_app(app)
    hooks.init_app(app)
    todo.init_app(app)
    timezones.init_app(app)
    _register_blueprints(app)
    document_uploads.init_app(app)
    for component in app.config["COMPONENTS"]:
        importlib.import_module(component).register(app)
    ratelimit.limit_marked_views(app)
    init_documents(app)   # after the components: their refusals of an erasure come first
    cli.init_app(app)
    jobs_worker.init_app(app)
    return app


def _use_instance_secret_key(app: Flask) -> None:
    """Outside production, no SECRET_KEY means a random one made once into instance/secret_key,
    never a constant that anyone could read here and sign an admin's cookie with."""
    if app.config.get("SECRET_KEY") or app.config["ENV_NAME"] == "production":
        return
    app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path) / "secret_key")


def _check_production_settings(app: Flask) -> None:
    if app.config["ENV_NAME"] != "production":
        return
    key = app.config.get("SECRET_KEY") or ""
    if len(key.encode() if isinstance(key, str) else key) < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(f"SECRET_KEY must be set in the environment in production, at least "
                           f"{MIN_SECRET_KEY_BYTES} bytes long (e.g. python -c 'import secrets; "
                           f"print(secrets.token_hex(32))')")


def _configure_sqlite(app: Flask) -> None:
    """SQLite: enforce foreign keys and wait for locks instead of failing at once."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = extensions.db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def _register_blueprints(app: Flask) -> None:
    for module in (auth_views, professionals_views, facilities_views, programmes_views,
                   needs_views, privacy_views, admin_views, partners_views, workforce_views,
                   jobs_views, facility_import_views, facility_request_views, documents_views,
                   people_imports_views):
        app.register_blueprint(module.bp)
    for module in (auth_api, professionals_api, facilities_api, programmes_api, needs_api,
                   privacy_api, partners_api, workforce_api, documents_api):
        extensions.csrf.exempt(module.blp)  # the API authenticates by bearer token only, never by cookie
        extensions.api.register_blueprint(module.blp)
