"""What the scheduler remembers between runs: one watermark per reminder producer.

``ran_until`` is the ``now`` of the last run whose reminders were stored: the next run asks the
producer only for what fell due in ``(ran_until, now]`` (plus what changed since), so an idle
run reads a handful of rows whatever the registry's size. The watermark is written in the
same transaction as the reminders it covers, so a run that dies stores neither and the next
one does the window again (the reminders' keys make that harmless).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from diaspora.extensions import db


class SchedulerWatermark(db.Model):
    __tablename__ = "scheduler_watermarks"

    producer: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    ran_until: Mapped[datetime]

    def __repr__(self) -> str:
        return f"<SchedulerWatermark {self.producer} {self.ran_until}>"
