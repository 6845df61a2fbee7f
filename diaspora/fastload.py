"""A fast path in front of a marshmallow schema, for imports of many rows.

``schema.load`` costs about a millisecond a row on this machine's shared cores — most of a
100,000-row import. ``FastLoader`` reads the schema's own fields once (their data keys,
required / allow-none / default, ``Length``, ``Range`` and ``OneOf`` bounds, the storage checks
of ``BaseSchema``) and checks a row with plain comparisons. It answers the dict ``schema.load``
would answer, or ``None`` when it is not sure the row is valid: the caller then runs
``schema.load`` itself, so every invalid row gets the schema's own messages, in the user's
language, exactly as before. A wrong ``None`` only costs time; a dict is only answered for a
row the schema accepts unchanged (tests/test_fastload.py checks this against the schema).

Only flat schemas of ``String``, ``Float`` and ``Date`` fields are handled; anything else
(another field kind, a validator it does not know, a hook not declared as handled by the
caller) raises ``TypeError`` when the loader is built, so a later change to the schema cannot
be skipped silently. Schema-level validators are the caller's ``check``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from datetime import date

from marshmallow import Schema, fields, missing, validate

from .schemas import (
    _LINE_BREAK,
    UNSTORABLE,
    YEAR_MAX,
    YEAR_MIN,
    check_single_line,
    check_storable,
    check_year,
)

_STRING, _FLOAT, _DATE = range(3)
_INFINITIES = (math.inf, -math.inf)
# What ``check_single_line`` refuses: what ``check_storable`` refuses, and line breaks.
_SINGLE_LINE = re.compile(f"{UNSTORABLE.pattern}|{_LINE_BREAK.pattern}")


class FastLoader:
    def __init__(self, schema: Schema, *, handled_hooks: Iterable[str] = (),
                 check: Callable[[dict], bool] | None = None):
        hooks = {name for entries in schema._hooks.values() for name, *_ in entries}
        unknown = hooks - set(handled_hooks) - {"_changes_something"}  # only for partial loads
        if unknown:
            raise TypeError(f"{type(schema).__name__}: hooks {sorted(unknown)} are not handled")
        self.check = check
        self.plan = [self._plan(name, field) for name, field in schema.load_fields.items()]
        self.load: Callable[[dict], dict | None] = self._compile()
        """What ``schema.load(data)`` answers, or None when the row needs the schema."""

    @staticmethod
    def _plan(name: str, field: fields.Field) -> tuple:
        if type(field) is fields.String:
            kind = _STRING
        elif type(field) is fields.Float and not field.allow_nan:
            kind = _FLOAT
        elif type(field) is fields.Date and field.format in (None, "iso", "iso8601"):
            kind = _DATE
        else:
            raise TypeError(f"{name}: {type(field).__name__} fields are not handled")
        lowest = highest = choices = pattern = None
        for validator in field.validators:
            if (lowest is not None or highest is not None) and isinstance(
                    validator, validate.Length | validate.Range):
                raise TypeError(f"{name}: two bounds are not handled")
            if isinstance(validator, validate.Length) and validator.equal is None:
                lowest, highest = validator.min, validator.max
            elif (isinstance(validator, validate.Range) and validator.min_inclusive
                  and validator.max_inclusive):
                lowest, highest = validator.min, validator.max
            elif isinstance(validator, validate.OneOf):
                choices = validator.choices
            elif validator is check_single_line:
                pattern = _SINGLE_LINE
            elif validator is check_storable:
                pattern = UNSTORABLE
            elif validator is check_year and kind == _DATE:
                lowest, highest = YEAR_MIN, YEAR_MAX
            else:
                raise TypeError(f"{name}: validator {validator!r} is not handled")
        default = field.load_default
        if callable(default):
            raise TypeError(f"{name}: a callable default is not handled")
        return (field.data_key or name, name, kind, field.required, field.allow_none, default,
                lowest, highest, choices, pattern)

    def _compile(self) -> Callable[[dict], dict | None]:
        """``load`` as straight-line code, one block per field (a loop over the fields with
        their settings costs three times as much per row)."""
        names = {"MISSING": missing, "CHECK": self.check, "INFINITIES": _INFINITIES,
                 "fromisoformat": date.fromisoformat}
        lines = ["def load(data):", "    loaded = {}"]
        for number, (key, name, kind, required, allow_none, default, lowest, highest, choices,
                     pattern) in enumerate(self.plan):
            names.update({f"DEFAULT{number}": default, f"LOWEST{number}": lowest,
                          f"HIGHEST{number}": highest, f"CHOICES{number}": choices,
                          f"PATTERN{number}": pattern})
            lines += [f"    value = data.get({key!r}, MISSING)",
                      "    if value is MISSING:",
                      "        return None" if required else (
                          "        pass" if default is missing
                          else f"        loaded[{name!r}] = DEFAULT{number}"),
                      "    elif value is None:",
                      f"        loaded[{name!r}] = None" if allow_none else "        return None",
                      "    else:"]
            if kind == _STRING:
                lines.append("        if type(value) is not str: return None")
                if pattern is not None:
                    lines.append(f"        if PATTERN{number}.search(value): return None")
                if lowest is not None:
                    lines.append(f"        if len(value) < LOWEST{number}: return None")
                if highest is not None:
                    lines.append(f"        if len(value) > HIGHEST{number}: return None")
            elif kind == _FLOAT:
                lines += ["        if type(value) not in (str, float, int): return None",
                          "        try:",
                          "            value = float(value)",
                          "        except (ValueError, OverflowError):",
                          "            return None",
                          "        if value != value or value in INFINITIES: return None"]
                if lowest is not None:
                    lines.append(f"        if value < LOWEST{number}: return None")
                if highest is not None:
                    lines.append(f"        if value > HIGHEST{number}: return None")
            else:
                lines += ["        if type(value) is not str: return None",
                          "        try:",
                          "            value = fromisoformat(value)",
                          "        except ValueError:",
                          "            return None"]
                if lowest is not None:
                    lines.append(f"        if not LOWEST{number} <= value.year <= HIGHEST{number}:"
                                 " return None")
            if choices is not None:
                lines.append(f"        if value not in CHOICES{number}: return None")
            lines.append(f"        loaded[{name!r}] = value")
        if self.check is not None:
            lines.append("    if not CHECK(loaded): return None")
        lines.append("    return loaded")
        exec("\n".join(lines), names)  # noqa: S102 - the source is made here, from the schema
        return names["load"]
