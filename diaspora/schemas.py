"""Schema building blocks shared by every area: base schema, country/language/zone fields."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from . import reference


class BaseSchema(Schema):
    """Unknown keys are ignored; blank strings from HTML forms arrive as missing (see forms).

    A partial load is a PATCH body: it must change at least one field.
    """

    class Meta:
        unknown = EXCLUDE
        ordered = True

    @validates_schema
    def _changes_something(self, data, **kwargs):
        if kwargs.get("partial") and not data:
            raise ValidationError(_("Give at least one field to change."))


class Trimmed(fields.String):
    """A string with surrounding whitespace removed; empty after trimming counts as missing."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        return value.strip()


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
