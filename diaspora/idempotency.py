"""Creating a record once, however often the request is sent (double clicks, client retries).

A view that creates something takes ``@idempotent``. The request names itself with a key:

- API clients send an ``Idempotency-Key`` header (1–200 visible ASCII characters);
- HTML forms carry a one-time ``submission_token`` hidden field (the ``csrf()`` form macro adds
  one to every form).

The first request with a key claims it — a row of ``idempotency_keys``, unique per user, route
(method and path) and key, committed before the work starts — and stores its response once it
succeeded (2xx or 3xx: a refused request did nothing, so a corrected retry may use the key
again). A repeat gets that response back, status and body, with ``Idempotent-Replayed: true``,
and nothing is done twice: a form's repeat is redirected to the record the first one made (a
form sent again *changed* — back, edit, send — is a new submission). If the first request is
still at work, the repeat waits for it (up to ``WAIT_SECONDS``, then 409); the unique
constraint means two racing requests can never both claim the key. A response that shows a
secret once (``idempotent_secret``) is not kept, and its repeat answers 409. An API repeat
whose query or body differ from the first answers 422. Keys are kept for
``IDEMPOTENCY_RETENTION_HOURS`` and pruned on each claim. Requests without a key, or from
anonymous clients, run as usual.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import time
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, make_response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .clock import now
from .errors import Conflict, Invalid
from .extensions import db

HEADER = "Idempotency-Key"
FORM_FIELD = "submission_token"
KEY = re.compile(r"[\x21-\x7e]{1,200}")
# How long a repeat waits for the first request to finish, and how often it looks.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
# What of the first response a repeat gets back, besides status and body.
KEPT_HEADERS = ("Content-Type", "Location")


class IdempotencyKey(db.Model):
    """A key claimed by a request; ``status`` is None until its response is stored, ``body``
    None if that response showed a secret (``idempotent_secret``)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("user_id", "route", "key",
                                          name="uq_idempotency_keys_user_route_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    route: Mapped[str] = mapped_column(sa.String(300))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)


def new_token() -> str:
    """A one-time submission token for a form (template global ``submission_token``)."""
    return secrets.token_urlsafe(16)


def idempotent(view):
    """Run ``view`` once per key (see the module docstring); GET requests pass through."""
    return _once(view, secret=False)


def idempotent_secret(view):
    """``idempotent`` for a view whose response shows a secret once (API token, calendar
    address): the secret is not stored, so a repeat creates nothing and answers 409."""
    return _once(view, secret=True)


def _once(view, *, secret: bool):
    @functools.wraps(view)
    def once(*args, **kwargs):
        if request.method in ("GET", "HEAD") or not current_user.is_authenticated:
            return view(*args, **kwargs)
        named = _request_key()
        if named is None:
            return view(*args, **kwargs)
        claim, first = _claim(current_user.id, *named)
        if first is not None:
            return _replay(first)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _release(claim)
            raise
        if 200 <= response.status_code < 400:
            _store(claim, response, secret=secret)
        else:
            _release(claim)
        return response

    return once


def _request_key() -> tuple[str, str] | None:
    """The request's key and the fingerprint of what it asks, or None without a key.

    A form's key is its submission token *and* its fields: sent again unchanged (a double
    click) it is a repeat; changed and sent again (back, edit, send) it is another submission.
    """
    if HEADER in request.headers:
        key = _valid(request.headers[HEADER])
        return key, _digest(f"{request.method} {request.full_path}".encode(), request.get_data())
    if FORM_FIELD not in request.form:
        return None
    token = _valid(request.form[FORM_FIELD])
    fields = sorted((name, value) for name, value in request.form.items(multi=True)
                    if name != "csrf_token")
    fingerprint = _digest(f"{request.method} {request.full_path}".encode(),
                          json.dumps(fields).encode())
    return _digest(token.encode(), fingerprint.encode()), fingerprint


def _valid(key: str) -> str:
    if not KEY.fullmatch(key):
        raise Invalid(_("The %(header)s must be 1 to 200 visible ASCII characters.", header=HEADER))
    return key


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
        digest.update(b"\n")
    return digest.hexdigest()


def _claim(user_id: int, key: str,
           fingerprint: str) -> tuple[int | None, IdempotencyKey | None]:
    """Claim ``key``: (the claim's id, None), or (None, the first request's row) for a repeat."""
    session = db.session
    route = f"{request.method} {request.path}"
    instant = now()
    retention = timedelta(hours=current_app.config["IDEMPOTENCY_RETENTION_HOURS"])
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        session.execute(sa.delete(IdempotencyKey)
                        .where(IdempotencyKey.created_at < instant - retention))
        claim = IdempotencyKey(user_id=user_id, route=route, key=key, fingerprint=fingerprint,
                               created_at=instant)
        session.add(claim)
        try:
            session.commit()
            return claim.id, None
        except IntegrityError:
            session.rollback()
        while (first := _first(user_id, route, key)) is not None:
            if first.fingerprint != fingerprint:
                raise Invalid(_("This %(header)s was used with another request.", header=HEADER))
            if first.status is not None:
                return None, first
            session.rollback()  # the next look is a new transaction: it sees the first's commit
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
        else:  # the first request failed and gave the key up: this one claims it
            time.sleep(POLL_SECONDS)
    raise Conflict(_("A request with this %(header)s is still in progress.", header=HEADER))


def _first(user_id: int, route: str, key: str) -> IdempotencyKey | None:
    return db.session.scalar(sa.select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.route == route,
        IdempotencyKey.key == key))


def _replay(first: IdempotencyKey):
    if first.body is None:  # it showed a secret, not kept
        raise Conflict(_("The first request with this key already did this, and showed what it "
                         "made only once; make another if it was missed."))
    headers = {**first.headers, "Idempotent-Replayed": "true"}
    return current_app.response_class(first.body, status=first.status, headers=headers)


def _store(claim_id: int, response, *, secret: bool) -> None:
    db.session.rollback()  # what the view did not commit is dropped, as at the request's end
    kept = {} if secret else {
        "body": response.get_data(as_text=True),
        "headers": {name: response.headers[name] for name in KEPT_HEADERS
                    if name in response.headers}}
    db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim_id)
                       .values(status=response.status_code, **kept))
    db.session.commit()


def _release(claim_id: int) -> None:
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
    db.session.commit()
