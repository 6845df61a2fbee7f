"""One error catalogue.

Domain code raises these; the factory maps them once to a JSON problem body for ``/api/...``
requests and to a rendered page everywhere else. The JSON shape is flask-smorest's own::

    {"code": 422, "status": "Unprocessable Entity", "message": "...",
     "errors": {"json": {"field": ["message", ...]}}}
"""
from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

# Where webargs found a field: the first key of an error dict in the API's 422 bodies.
LOCATIONS = {"json", "query", "form", "path", "headers"}


class DomainError(Exception):
    """Base class: an expected failure a user can act on."""

    code = 400

    def __init__(self, message: str | None = None, *, errors: dict | None = None,
                 extra: dict[str, Any] | None = None):
        super().__init__(message or self.default_message())
        self.message = message or self.default_message()
        self.errors = errors
        self.extra = extra or {}

    def default_message(self) -> str:
        return HTTP_STATUS_CODES.get(self.code, "Error")


class NotFound(DomainError):
    code = 404


class Forbidden(DomainError):
    code = 403


class Unauthorized(DomainError):
    code = 401


class Conflict(DomainError):
    code = 409


class Invalid(DomainError):
    """Bad input. ``errors`` maps field names to lists of messages."""

    code = 422


def wants_json() -> bool:
    """API paths always answer JSON; other paths when the client prefers JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def problem(code: int, message: str | None = None, errors: dict | None = None,
            extra: dict | None = None):
    body: dict[str, Any] = {"code": code, "status": HTTP_STATUS_CODES.get(code, "Error")}
    if message:
        body["message"] = message
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def render_error(code: int, message: str | None = None, errors: dict | None = None,
                 extra: dict | None = None, headers: dict | None = None):
    if wants_json():
        response = jsonify(problem(code, message, errors, extra))
        response.status_code = code
        if code == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    else:
        response = make_response(render_template(
            "errors/error.html", code=code, message=message, title=_error_title(code)), code)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error_title(code: int) -> str:
    titles = {
        400: _("Bad request"),
        401: _("Please sign in"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("Method not allowed"),
        409: _("Conflict"),
        413: _("Request too large"),
        422: _("Some information is not valid"),
        429: _("Too many requests"),
        500: _("Something went wrong on our side"),
        503: _("Temporarily unavailable"),
    }
    return titles.get(code, HTTP_STATUS_CODES.get(code, "Error"))


def handle_domain_error(error: DomainError):
    if error.code == 401 and not wants_json():
        flash(_("Please sign in to see this page."), "warning")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    errors = error.errors
    if errors is not None and request.path.startswith("/api/") and not LOCATIONS & errors.keys():
        errors = {"json": errors}
    return render_error(error.code, error.message, errors, error.extra)


def handle_http_exception(error: HTTPException):
    if error.code == 304:  # If-None-Match matched the ETag (flask-smorest): no body
        response = current_app.response_class(status=304)
        tags = list(request.if_none_match.as_set())
        if len(tags) == 1:
            response.set_etag(tags[0])
        return response
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    headers = dict(data.get("headers") or {})
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    message = data.get("message") or error.description
    if error.code == 500:  # whatever failed may have been the database: don't ask it again
        message = None
        forget_signed_in_user()
    return render_error(error.code or 500, message, errors, headers=headers)


def handle_database_error(error: SQLAlchemyError):
    """503 while the database is unreachable, 500 for any other database error; the page is
    rendered as for an anonymous visitor, so nothing on it (the signed-in user, the inbox
    count in the menu, the language setting) goes back to the database."""
    current_app.logger.exception("database error", exc_info=error)
    forget_signed_in_user()
    unavailable = isinstance(error, (OperationalError, InterfaceError, DisconnectionError,
                                     sa_exc.TimeoutError))
    return render_error(503 if unavailable else 500,
                        _("The database is not available; please try again in a minute.")
                        if unavailable else None)


def forget_signed_in_user() -> None:
    """Treat the rest of this request as anonymous. Flask-Login keeps the request's user in
    ``g._login_user`` and loads it from the database when it is missing."""
    g._login_user = current_app.login_manager.anonymous_user()


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(SQLAlchemyError, handle_database_error)
