"""The registry's ``invitation_senders`` hook: an imported person's claim link goes out as a
notice of the outbox (e-mailed like every other when mail is configured)."""
from __future__ import annotations

from datetime import datetime

from diaspora.auth.models import User

from . import outbox


def send_invitation(session, user: User, *, link: str, now: datetime, days: int) -> None:
    outbox.notify_now(session, user=user, kind="account_invitation",
                      key=f"account_invitation:{user.id}:{int(now.timestamp())}", now=now,
                      payload={"link": link, "days": days})
