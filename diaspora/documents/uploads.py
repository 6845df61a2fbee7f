"""Reading an uploaded file from a form, within the document size limit.

The app refuses any body over ``MAX_CONTENT_LENGTH`` (1 MB) before reading it; the upload
routes (``UPLOAD_ENDPOINTS``) may carry a file of up to ``DOCUMENT_MAX_BYTES`` (and a little
for the form's other fields). This is set before any other code reads the form (CSRF
included), and a larger upload is still refused unread, with 413.
"""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import gettext as _

from . import checks

FORM_OVERHEAD = 64 * 1024
UPLOAD_ENDPOINTS: set[str] = set()


def upload_route(endpoint: str) -> None:
    UPLOAD_ENDPOINTS.add(endpoint)


def _allow_upload_size() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = current_app.config["DOCUMENT_MAX_BYTES"] + FORM_OVERHEAD


def init_app(app: Flask) -> None:
    # First of the app's before-request functions: CSRF protection reads the form after it.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_upload_size)


def uploaded_file() -> tuple[bytes, str | None]:
    """The bytes and name of the form's ``file``, read no further than one byte past the limit
    (so the checks can say it is too big); ``checks.refuse`` when no file was chosen."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise checks.refuse(_("Choose a file."))
    return upload.read(current_app.config["DOCUMENT_MAX_BYTES"] + 1), upload.filename
