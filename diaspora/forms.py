"""HTML forms validated by the same marshmallow schemas as the API.

Flask-WTF supplies CSRF protection (``csrf_token()`` in every form); the fields themselves are
read from ``request.form`` into the shape the schema expects and loaded by the schema, so one
set of rules serves the pages, the API and the importers.
"""
from __future__ import annotations

import base64
import binascii
import re

from flask import request
from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields

from . import library_messages
from .errors import Invalid

_ROW_KEY = re.compile(r"^(?P<field>[a-z_]+)-(?P<index>\d+)-(?P<sub>[a-z_]+)$")


def form_input(schema: Schema) -> dict:
    """``request.form`` as a dict for ``schema``.

    - blank text is left out, or sent as None where the field allows None (to clear it);
    - a List field takes every value of its key (``<select multiple>``, repeated inputs), and
      a single text input may hold several values separated by commas ("en, tw");
    - a List of Nested takes rows named ``<field>-<n>-<subfield>``; rows whose required
      subfields are all blank are dropped (spare rows whose selects keep their defaults);
    - a Boolean is a checkbox: present means true.
    """
    data: dict = {}
    form = request.form
    nested_rows = _nested_rows(form)
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        key = field.data_key or name
        if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            rows = nested_rows.get(key, {})
            required = [n for n, f in field.inner.schema.fields.items() if f.required]
            data[key] = [row for _, row in sorted(rows.items())
                         if any(row.get(name) for name in required or row)]
        elif isinstance(field, fields.List):
            data[key] = [part.strip() for value in form.getlist(key) for part in value.split(",")
                         if part.strip()]
        elif isinstance(field, fields.Boolean):
            data[key] = key in form
        elif key in form:
            value = form.get(key, "").strip()
            if value:
                data[key] = value
            elif field.allow_none:
                data[key] = None
    return data


def _nested_rows(form) -> dict[str, dict[int, dict]]:
    rows: dict[str, dict[int, dict]] = {}
    for key in form:
        match = _ROW_KEY.match(key)
        if match:
            value = form.get(key, "").strip()
            rows.setdefault(match["field"], {}).setdefault(int(match["index"]), {})[match["sub"]] = value
    for per_field in rows.values():
        for row in per_field.values():
            for sub in [k for k, v in row.items() if v == ""]:
                del row[sub]
    return rows


def uploaded_file(default_name: str) -> tuple[bytes, str]:
    """``(content, name)`` of the form's ``file``, or of the file a preview form carries back
    (base64 in ``content``, its name in ``filename``); empty content when there is neither or
    the carried text is not base64."""
    upload = request.files.get("file")
    content, name = (upload.read(), upload.filename or default_name) if upload else (b"", "")
    if not content and request.form.get("content"):
        try:
            content = base64.b64decode(request.form["content"], validate=True)
        except (binascii.Error, ValueError):
            content = b""
        name = request.form.get("filename", default_name)[:255]
    return content, name


def load_form(schema: Schema) -> tuple[dict | None, dict]:
    """``(data, {})`` when valid, ``(None, errors)`` otherwise."""
    try:
        return schema.load(form_input(schema)), {}
    except ValidationError as error:
        return None, library_messages.translate(error.messages)


def form_data(schema: Schema) -> dict:
    """``request.form`` loaded by ``schema``, for a form whose page flashes what went wrong:
    ``Invalid`` (422) with the field messages when it is not valid."""
    data, errors = load_form(schema)
    if errors:
        raise Invalid(" ".join(flat_errors(errors)), errors=errors)
    return data


# What the error summary calls a field: the label its form shows (the same msgids, so the
# catalogues already translate them); a field not listed is named after its key.
FIELD_LABELS = {
    "facility_id": _l("Facility"), "programme_id": _l("Programme"), "title": _l("Short title"),
    "cadre": _l("Cadre (ISCO-08)"), "other_cadres": _l("Other cadres you hold"),
    "specialty": _l("Specialty"), "specialties": _l("Specialties"),
    "skills": _l("Skills (comma-separated)"), "purpose": _l("Purpose"), "priority": _l("Priority"),
    "languages": _l("Languages"), "mode": _l("Mode"),
    "earliest_start": _l("Earliest start"), "latest_end": _l("Latest end"),
    "duration_days": _l("Days in person"), "sessions_per_week": _l("Online sessions per week"),
    "weeks": _l("Weeks"), "session_hours": _l("Hours per session"),
    "session_minutes": _l("Minutes per session"), "session_start": _l("Session start (host time)"),
    "join_url": _l("Join link (video call)"), "counterparts": _l("Local counterparts to be trained"),
    "starts_on": _l("First day"), "ends_on": _l("Last day"), "period_start": _l("From"),
    "period_end": _l("To"), "email": _l("E-mail"), "password": _l("Password"),
    "current_password": _l("Current password"), "new_password": _l("New password"),
    "name": _l("Name"), "given_name": _l("Given name"), "family_name": _l("Family name"),
    "timezone": _l("Time zone"), "locale": _l("Language"), "role": _l("Role"),
    "consent": _l("I give my consent"), "country": _l("Country"), "region": _l("Region"),
    "country_of_origin": _l("Country of origin"), "country_of_residence": _l("Country where you live"),
    "city_of_residence": _l("City where you live"), "phone": _l("Phone"),
    "organisation_id": _l("Diaspora organisation"), "gender": _l("Gender (for programme statistics)"),
    "authority": _l("Licensing authority"), "number": _l("Licence number"),
    "valid_from": _l("Valid from"), "valid_until": _l("Valid until"), "issuing_body": _l("Issued by"),
    "recognition": _l("Recognised in your country of origin?"), "year": _l("Year"),
    "hours_per_week": _l("Hours per week online"), "kind": _l("Kind"), "note": _l("Note"),
    "trained_total": _l("People trained in all"), "tested_count": _l("People tested"),
    "pre_score": _l("Score before (%%)"), "post_score": _l("Score after (%%)"),
    "sessions_held": _l("Sessions held"), "hours": _l("Hours"), "patients_seen": _l("Patients seen"),
    "procedures_done": _l("Procedures done"), "rating_comment": _l("Comments"),
    "origin_country": _l("Origin country"), "host_countries": _l("Host countries of the diaspora"),
    "funder": _l("Funder"), "budget": _l("Budget"), "currency": _l("Currency (ISO 4217)"),
    "manager_ids": _l("Programme managers"), "website": _l("Website"),
    "contact_email": _l("Contact e-mail"), "description": _l("Description"),
}


def field_label(key: str) -> str:
    if key.isdigit():
        return _("row %(n)s", n=int(key) + 1)
    label = FIELD_LABELS.get(key)
    return str(label).replace("%%", "%") if label else key.removesuffix("_id").replace("_", " ").capitalize()


def flat_errors(errors, path: tuple[str, ...] = ()) -> list[str]:
    """Messages of a nested marshmallow error dict, as "Field › row 2 › Subfield: message" lines,
    fields named by their labels; errors of the whole form (``_schema``) without a name."""
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in flat_errors(
            value, path if key == "_schema" else (*path, str(key)))]
    if isinstance(errors, list):
        return [line for item in errors for line in flat_errors(item, path)]
    return [f"{' › '.join(field_label(key) for key in path)}: {errors}" if path else str(errors)]


def error_links(errors) -> list[tuple[str | None, str]]:
    """The error summary's lines, each with the id of the field it is about (the form's field
    ids are their names; None for errors of the whole form)."""
    if not isinstance(errors, dict):
        return [(None, line) for line in flat_errors(errors)]
    return [(None if key == "_schema" else str(key), line) for key, value in errors.items()
            for line in flat_errors({key: value})]
