"""HTML forms validated by the same marshmallow schemas as the API.

Flask-WTF supplies CSRF protection (``csrf_token()`` in every form); the fields themselves are
read from ``request.form`` into the shape the schema expects and loaded by the schema, so one
set of rules serves the pages, the API and the importers.
"""
from __future__ import annotations

import re

from flask import request
from marshmallow import Schema, ValidationError, fields

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


def load_form(schema: Schema) -> tuple[dict | None, dict]:
    """``(data, {})`` when valid, ``(None, errors)`` otherwise."""
    try:
        return schema.load(form_input(schema)), {}
    except ValidationError as error:
        return None, error.messages


def flat_errors(errors, path: tuple[str, ...] = ()) -> list[str]:
    """Messages of a nested marshmallow error dict, as "field › row › subfield: message" lines."""
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in flat_errors(value, (*path, str(key)))]
    if isinstance(errors, list):
        return [line for item in errors for line in flat_errors(item, path)]
    return [f"{' › '.join(path)}: {errors}" if path else str(errors)]
