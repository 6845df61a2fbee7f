"""A hook for the crash tests: stop a dispatcher in the middle of a batch.

With ``SCHEDULER_PAUSE_AT = "inbox:10"`` (or ``"email:3"``) and ``SCHEDULER_PAUSE_FILE`` set,
the process, on handling its 10th row of that stage, writes the file and waits while it
exists: a test can SIGKILL it there, or delete the file to let it go on. Unset — always,
outside those tests — it does nothing.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from flask import current_app

_handled: Counter[str] = Counter()


def armed() -> bool:
    """Whether a pause is configured at all (else ``point`` does nothing: callers that handle
    many rows ask once)."""
    return bool(current_app.config.get("SCHEDULER_PAUSE_AT")
                and current_app.config.get("SCHEDULER_PAUSE_FILE"))


def point(stage: str) -> None:
    pause_at = current_app.config.get("SCHEDULER_PAUSE_AT")
    marker = current_app.config.get("SCHEDULER_PAUSE_FILE")
    if not (pause_at and marker):
        return
    _handled[stage] += 1
    if pause_at != f"{stage}:{_handled[stage]}":
        return
    path = Path(marker)
    path.write_text(pause_at)
    while path.exists():
        time.sleep(0.05)
