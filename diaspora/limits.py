"""What a request may carry, checked before any view runs.

The schemas (``diaspora.schemas.BaseSchema``) are the boundary for the fields they load; this
module guards the parts of a request that reach code without a schema, so hostile input is a
4xx and never a database error or a crash:

- ``<int:…>`` in a route matches only numbers an ``INTEGER`` id column can hold: any other is
  a 404 (the id cannot exist) instead of an out-of-range query; ``record_id`` does the same
  for an id read from a query string or a form;
- query strings, form fields and path segments carry no NUL character or unpaired surrogate
  (422, naming the field; 404 for a path segment);
- a JSON body is at most ``JSON_MAX_DEPTH`` levels deep and its numbers are readable (400), so
  neither the parser nor the schemas recurse without bound or fail; its size is capped by
  Flask's ``MAX_CONTENT_LENGTH`` (413);
- a page number fits an ``INTEGER`` (422), so the page's OFFSET stays within what both
  databases accept.
"""
from __future__ import annotations

import json

from flask import Flask, abort, current_app, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .errors import Invalid, NotFound
from .schemas import INTEGER_MAX, UNSTORABLE


def digits_up_to(largest: int) -> str:
    """A regular expression matching the decimal numbers from 0 to ``largest`` (leading zeros
    allowed): shorter numbers, then for each leading digit of ``largest`` the numbers that
    share its prefix and fall below it at that digit."""
    text = str(largest)
    shorter = rf"\d{{1,{len(text) - 1}}}" if len(text) > 1 else None
    below = [rf"{text[:i]}[0-{int(text[i]) - 1}]\d{{{len(text) - i - 1}}}"
             for i in range(len(text)) if text[i] != "0"]
    return "0*(?:" + "|".join(filter(None, [shorter, *below, text])) + ")"


class IdConverter(IntegerConverter):
    """``<int:…>``: a non-negative whole number an ``INTEGER`` column can hold.

    The range is in the pattern, not only in ``to_python``: werkzeug turns a converter's
    refusal into "method not allowed" when another rule on the same path takes other methods
    (PATCH on a GET-only path with a huge id answered 405); a pattern that does not match
    leaves every rule unmatched, so the answer is the 404 of an id that cannot exist."""

    regex = digits_up_to(INTEGER_MAX)

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", INTEGER_MAX)
        super().__init__(map, *args, **kwargs)


def record_id(text: str) -> int:
    """``type=`` for ``request.args.get`` and ``request.form.get``: an id an ``INTEGER`` column
    can hold; anything else raises ValueError, so ``get`` answers its default."""
    value = int(text)
    if not 0 < value <= INTEGER_MAX:
        raise ValueError(f"not an id: {text}")
    return value


def refuse_unstorable_input() -> None:
    """422 for a query string or form field (name or value) holding a NUL character or an
    unpaired surrogate; 404 for such a path segment (no record can be named that)."""
    if any(UNSTORABLE.search(value) for value in (request.view_args or {}).values()
           if isinstance(value, str)):
        raise NotFound()
    for location, values in (("query", request.args), ("form", request.form)):
        bad = [key for key, value in values.items(multi=True)   # (a field may come without a value)
               if any(isinstance(text, str) and UNSTORABLE.search(text) for text in (key, value))]
        if bad:
            message = _("Remove the characters that cannot be stored (NUL or an unpaired "
                        "surrogate).")
            raise Invalid(message, errors={location: {key: [message] for key in bad}})


def refuse_unreadable_json() -> None:
    """400 for a JSON body nested deeper than ``JSON_MAX_DEPTH``, or holding a number too long
    for Python to read (more than 4,300 digits), which the parsers would not survive.
    Malformed JSON is left to the parsers, which answer it themselves."""
    if not request.is_json or not request.content_length:
        return
    limit = current_app.config["JSON_MAX_DEPTH"]
    too_deep = _("The JSON document is nested more than %(n)d levels deep.", n=limit)
    try:
        document = json.loads(request.get_data(cache=True))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return
    except RecursionError:
        abort(400, description=too_deep)
    except ValueError:
        abort(400, description=_("A number in the JSON document has too many digits."))
    if nesting_exceeds(document, limit):
        abort(400, description=too_deep)


def nesting_exceeds(document, limit: int) -> bool:
    """Whether objects and arrays in ``document`` nest more than ``limit`` levels (iterative:
    the check itself must not recurse)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in value)
    return False


def check_page_number(page: int) -> None:
    """A page beyond an ``INTEGER`` is refused before its OFFSET reaches the database."""
    if page > INTEGER_MAX:
        message = _("Give a page number from 1 to %(max)d.", max=INTEGER_MAX)
        raise Invalid(message, errors={"query": {"page": [message]}})


def init_app(app: Flask) -> None:
    """Install the guards; call before any blueprint is registered (routes bind their
    converters when they are added)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_input)
    app.before_request(refuse_unreadable_json)
