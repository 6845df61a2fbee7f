"""Rewriting free text so that it no longer names an erased person.

Erasure keeps the rows other people wrote (a mission's history, a host's report, a manager's
inbox), so their counts stay; what those texts say *about* the person loses the person's name,
e-mail and phone, each replaced by ``ERASED``. Texts the person wrote themself are replaced
whole (``Scrubber.own``).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from ..auth.models import User
from ..professionals.models import Professional

ERASED = "[erased]"
# Phones are matched on their digits, whatever separators a writer used; a national number
# is also found written with a leading 0 instead of the country code (+233 24 … as 024 …).
PHONE_SEPARATORS = r"[\s().\-/]*"
NATIONAL_DIGITS = 9
PHONE_MIN_DIGITS = 6   # shorter "phones" would match ordinary numbers


class Scrubber:
    """Replaces one person's identifiers in text and in JSON values."""

    def __init__(self, *, names: Iterable[str | None], emails: Iterable[str | None],
                 phones: Iterable[str | None]):
        patterns = [re.escape(email) for email in emails if email]
        patterns += [_phone_pattern(phone) for phone in phones
                     if phone and len(re.sub(r"\D", "", phone)) >= PHONE_MIN_DIGITS]
        patterns += [rf"(?<!\w){re.escape(name)}(?!\w)" for name in _names_and_parts(names)]
        self._pattern = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def text(self, value: str | None) -> str | None:
        """``value`` without the person's identifiers."""
        if not value or self._pattern is None:
            return value
        return self._pattern.sub(ERASED, value)

    def value(self, value):
        """A JSON value (dict, list, text or scalar) with every text scrubbed; keys are kept."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.value(item) for item in value]
        return value

    def rows(self, rows: Iterable, *columns: str) -> None:
        """Scrub the named text or JSON attributes of each row (only changed values are set,
        so unchanged rows are not written)."""
        for row in rows:
            for column in columns:
                before = getattr(row, column)
                after = self.value(before)
                if after != before:
                    setattr(row, column, after)

    @staticmethod
    def own(rows: Iterable, *columns: str) -> None:
        """Texts the person wrote themself: replaced whole (empty ones stay empty)."""
        for row in rows:
            for column in columns:
                if getattr(row, column):
                    setattr(row, column, ERASED)


def scrubber_for(session, user: User) -> Scrubber:
    """The scrubber of ``user``'s identifiers, read before erasure rewrites them."""
    professional = session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    names = [user.name]
    phones: list[str | None] = []
    if professional is not None:
        names += [professional.full_name, professional.given_name, professional.family_name]
        phones.append(professional.phone)
    return Scrubber(names=names, emails=[user.email], phones=phones)


def _names_and_parts(names: Iterable[str | None]) -> list[str]:
    """Whole names, then their parts of three letters or more, longest first (so "Ama Mensah"
    becomes one ``ERASED``, not two)."""
    found = set()
    for name in names:
        if not name or not name.strip():
            continue
        found.add(" ".join(name.split()))
        found.update(part for part in re.split(r"[\s\-]+", name) if len(part) >= 3)
    return sorted(found, key=len, reverse=True)


def _phone_pattern(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    forms = [r"\+?" + PHONE_SEPARATORS.join(digits)]
    if len(digits) > NATIONAL_DIGITS:
        forms.append("0?" + PHONE_SEPARATORS.join(digits[-NATIONAL_DIGITS:]))
    return r"(?<!\d)(?:" + "|".join(forms) + r")(?!\d)"
