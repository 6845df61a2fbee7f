"""Marshmallow's own messages ("Missing data for required field.") in the reader's language.

Marshmallow writes its messages in English when a field or validator fails; forms show them
(``forms.load_form``) after this module has put them in the reader's language: the fixed ones
through the catalogue (the same text is the msgid), the ones with values by pattern.
"""
from __future__ import annotations

import re

from flask_babel import gettext as _, lazy_gettext as _l

# Listed here so that ``make messages`` extracts them; looked up by their English text.
FIXED = (
    _l("Missing data for required field."), _l("Field may not be null."),
    _l("Not a valid string."), _l("Not a valid integer."), _l("Not a valid number."),
    _l("Not a valid boolean."), _l("Not a valid date."), _l("Not a valid datetime."),
    _l("Not a valid time."), _l("Not a valid email address."), _l("Not a valid URL."),
    _l("Not a valid list."), _l("Invalid value."), _l("Invalid type."),
    _l("Invalid input type."), _l("Number too large."), _l("Unknown field."),
)
_FIXED = frozenset(message._args[0] for message in FIXED)

PATTERNS = (
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     _l("Length must be between %(min)s and %(max)s.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
     _l("Shorter than minimum length %(min)s.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
     _l("Longer than maximum length %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+) and less than or equal to "
                r"(?P<max>\S+)\.$"),
     _l("Must be greater than or equal to %(min)s and less than or equal to %(max)s.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>\S+)\.$"),
     _l("Must be greater than or equal to %(min)s.")),
    (re.compile(r"^Must be less than or equal to (?P<max>\S+)\.$"),
     _l("Must be less than or equal to %(max)s.")),
    (re.compile(r"^Must be one of: (?P<choices>.*)\.$"), _l("Must be one of: %(choices)s.")),
)


def translate(message):
    """One message, or a nested dict/list of them, in the current language."""
    if isinstance(message, dict):
        return {key: translate(value) for key, value in message.items()}
    if isinstance(message, list):
        return [translate(item) for item in message]
    if not isinstance(message, str):
        return message
    if message in _FIXED:
        return _(message)
    for pattern, template in PATTERNS:
        match = pattern.match(message)
        if match:
            return str(template) % match.groupdict()
    return message
