"""The WHO health workforce support and safeguards list (WHO Global Code of Practice).

Countries on the list face the most pressing health workforce shortages; needs, missions and
reports touching them are flagged. The list ships as ``data/who-safeguards-2023.json`` with its
source and criteria.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def shipped_list() -> dict:
    text = resources.files("diaspora").joinpath("data/who-safeguards-2023.json").read_text("utf-8")
    return json.loads(text)


def listed_countries() -> frozenset[str]:
    return frozenset(shipped_list()["countries"])


def is_listed(country: str | None) -> bool:
    """True when the ISO alpha-2 ``country`` is on the safeguards list."""
    return bool(country) and country.upper() in listed_countries()
