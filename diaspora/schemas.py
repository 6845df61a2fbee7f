"""Schema building blocks shared by every area: base schema, country/language/zone fields.

``BaseSchema`` is the input boundary that keeps out what the databases cannot hold, for every
field of every schema (API bodies and query strings, HTML forms, CSV rows), so no single field
has to remember it:

- text: no NUL character (PostgreSQL refuses it) and no unpaired surrogate (not encodable as
  UTF-8); no line break unless the field is ``Text`` (titles, names and reasons are one line:
  they end up in e-mail subjects and calendar lines);
- whole numbers: within the range of the ``INTEGER`` columns (ids, counts);
- dates and instants: years 1900 to 2200 (day arithmetic near year 1 or 9999 overflows).
"""
from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from . import reference

INTEGER_MIN, INTEGER_MAX = -2**31, 2**31 - 1  # an SQL INTEGER column
YEAR_MIN, YEAR_MAX = 1900, 2200
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LINE_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def check_storable(value: str) -> None:
    """Refuse text no database column can hold: NUL characters and unpaired surrogates."""
    if UNSTORABLE.search(value):
        raise ValidationError(_("Remove the characters that cannot be stored (NUL or an "
                                "unpaired surrogate)."))


def check_single_line(value: str) -> None:
    check_storable(value)
    if _LINE_BREAK.search(value):
        raise ValidationError(_("Use a single line, without line breaks."))


def check_year(value) -> None:
    """A date or an instant in the years the registry plans for."""
    if not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(_("Give a date between %(first)d and %(last)d.",
                                first=YEAR_MIN, last=YEAR_MAX))


INTEGER_RANGE = validate.Range(min=INTEGER_MIN, max=INTEGER_MAX,
                               error=_l("Give a whole number from {min} to {max}."))


class BaseSchema(Schema):
    """Unknown keys are ignored; blank strings from HTML forms arrive as missing (see forms).
    Every input field gets the storage checks of the module docstring.

    A partial load is a PATCH body: it must change at least one field.
    """

    class Meta:
        unknown = EXCLUDE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if not field_obj.dump_only:
            _add_storage_checks(field_obj)


    @validates_schema
    def _changes_something(self, data, **kwargs):
        if kwargs.get("partial") and not data:
            raise ValidationError(_("Give at least one field to change."))


def _add_storage_checks(field: fields.Field) -> None:
    """Add the validator of the field's kind (a List's items get theirs). The list is
    replaced, not appended to: a bound field is a shallow copy of the declared one."""
    if isinstance(field, fields.List):
        _add_storage_checks(field.inner)
        return
    for kind, check in _STORAGE_CHECKS:
        if isinstance(field, kind):
            field.validators = [*field.validators, check]
            return


class Trimmed(fields.String):
    """A string with surrounding whitespace removed; empty after trimming counts as missing."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return value.strip()


class Text(Trimmed):
    """Free text that may run over several lines (descriptions, notes, narratives)."""


# The first kind a field is an instance of decides (``Text`` before the other strings).
_STORAGE_CHECKS = ((Text, check_storable), (fields.String, check_single_line),
                   (fields.Integer, INTEGER_RANGE), (fields.Date, check_year),
                   (fields.DateTime, check_year))


class CountryCode(fields.String):
    """An ISO 3166-1 alpha-2 country code, upper-cased."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("description", "ISO 3166-1 alpha-2 code")
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().upper()
        if code not in reference.countries():
            raise ValidationError(_("Unknown country code: %(code)s.", code=code))
        return code


class LanguageCode(fields.String):
    """An ISO 639-1 (two letters) or ISO 639-3 (three letters) language code."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if reference.language(code) is None:
            raise ValidationError(_("Unknown language code: %(code)s.", code=code))
        return code


class TimeZone(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        zone = super()._deserialize(value, attr, data, **kwargs).strip()
        if not reference.is_timezone(zone):
            raise ValidationError(_("Unknown time zone: %(zone)s.", zone=zone))
        return zone


def one_of(choices) -> validate.OneOf:
    return validate.OneOf(list(choices), error=_l("Choose one of: {choices}."))


class PageQuerySchema(BaseSchema):
    """Common list filters for the API: free text."""

    q = fields.String(validate=validate.Length(max=100))
