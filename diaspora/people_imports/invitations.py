"""Invitations of imported people: a signed link that expires (itsdangerous, ``CLAIM_DAYS``)
to a page where the person sets a password, reviews their data and gives consent. A link
works once: claiming stamps ``claimed_at``.

The e-mail goes through the app's ``invitation_senders`` hooks (the missions component puts
it in its outbox); the registry alone records the invitation and shows the link to managers.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from .. import audit
from ..db import unit_of_work
from ..errors import Conflict, Invalid, NotFound
from ..hooks import registry_hooks
from ..professionals.models import Professional
from ..professionals.services import _record_consent
from ..security import hash_password, is_easy_to_guess
from .models import DuplicateHold, Invitation

SALT = "diaspora.claim-account"
CLAIM_DAYS = 14


def _Serializer(secret: str, now: datetime) -> URLSafeTimedSerializer:
    """Stamps and checks with the ``now`` passed in, not the machine's clock."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(secret, salt=SALT, signer=Signer)


def make_token(invitation: Invitation, *, now: datetime) -> str:
    return _Serializer(current_app.secret_key, now).dumps({"i": invitation.id})


def claim_url(invitation: Invitation, *, now: datetime) -> str:
    """The claim link on the public address (a job runs outside any request)."""
    token = make_token(invitation, now=now)
    if has_request_context():
        return url_for("people_imports.claim", token=token, _external=True)
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        return url_for("people_imports.claim", token=token, _external=True)


def invitation_for(session, token: str, *, now: datetime) -> Invitation:
    """The open invitation of ``token``; NotFound if the link is forged, expired or used."""
    try:
        data = _Serializer(current_app.secret_key, now).loads(
            token, max_age=int(timedelta(days=CLAIM_DAYS).total_seconds()))
    except SignatureExpired as error:
        raise NotFound(_("This invitation link has expired. Ask the programme for a new one.")) from error
    except BadSignature as error:
        raise NotFound(_("This invitation link is not valid.")) from error
    invitation_id = data.get("i") if isinstance(data, dict) else None
    invitation = session.scalar(sa.select(Invitation).where(Invitation.id == invitation_id)
                                .execution_options(populate_existing=True))
    if invitation is None or invitation.user is None or invitation.user.erased_at is not None:
        raise NotFound(_("This invitation link is not valid."))
    if invitation.claimed_at is not None:
        raise NotFound(_("This invitation has already been used. Sign in with your password."))
    return invitation


def professional_of(session, invitation: Invitation) -> Professional:
    return session.scalar(sa.select(Professional).where(Professional.user_id == invitation.user_id))


def send_pending(session, *, now: datetime, job_id: int | None = None) -> int:
    """Send the invitations not sent yet (of one job), through the app's senders."""
    query = sa.select(Invitation).where(Invitation.sent_at.is_(None), Invitation.claimed_at.is_(None))
    if job_id is not None:
        query = query.where(Invitation.job_id == job_id)
    senders = registry_hooks().invitation_senders
    count = 0
    with unit_of_work(session):
        for invitation in session.scalars(query):
            if not senders:
                break
            link = claim_url(invitation, now=now)
            for sender in senders:
                sender(session, invitation.user, link=link, now=now, days=CLAIM_DAYS)
            invitation.sent_at = now
            count += 1
    return count


def claim(session, token: str, *, password: str, consent: bool, now: datetime):
    """Set the password and record the person's own consent; the link is spent."""
    invitation = invitation_for(session, token, now=now)
    user = invitation.user
    errors = {}
    if len(password or "") < 10 or is_easy_to_guess(password or "", user.email, user.name):
        errors["password"] = [_("Choose a longer password that is harder to guess.")]
    if not consent:
        errors["consent"] = [_("Consent is needed to be in the registry.")]
    if errors:
        raise Invalid(_("Please correct the fields shown."), errors=errors)
    with unit_of_work(session):
        claimed = session.execute(
            sa.update(Invitation).where(Invitation.id == invitation.id,
                                        Invitation.claimed_at.is_(None))
            .values(claimed_at=now).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise Conflict(_("This invitation has already been used. Sign in with your password."))
        user.password_hash = hash_password(password)
        professional = professional_of(session, invitation)
        _record_consent(session, professional, True, actor=user, now=now,
                        version=current_app.config["CONSENT_VERSION"])
        audit.record(session, now=now, actor=user, action="update", entity="invitation", entity_id=user.id)
    return user


def erase_invitation(session, user, now: datetime) -> None:
    """Erasure: the invitation (with the birth year the file gave) goes with the person, and
    so do the rows of theirs an import held as possible duplicates (the file's cells)."""
    session.execute(sa.delete(Invitation).where(Invitation.user_id == user.id)
                    .execution_options(synchronize_session=False))
    professional_id = sa.select(Professional.id).where(Professional.user_id == user.id) \
        .scalar_subquery()
    session.execute(sa.delete(DuplicateHold).where(sa.or_(
        DuplicateHold.email == user.email, DuplicateHold.professional_id == professional_id))
        .execution_options(synchronize_session=False))


def invitation_of(session, user) -> tuple[str, object]:
    """The person's data export: how they came into the registry."""
    invitation = session.scalar(sa.select(Invitation).where(Invitation.user_id == user.id))
    if invitation is None:
        return "invitation", None
    return "invitation", {"imported_at": invitation.created_at.isoformat(),
                          "birth_year": invitation.birth_year,
                          "sent_at": invitation.sent_at.isoformat() if invitation.sent_at else None,
                          "claimed_at": (invitation.claimed_at.isoformat()
                                         if invitation.claimed_at else None)}
