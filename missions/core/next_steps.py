"""What happens next after a mission changes status: one sentence per status, shown after a
person's action ("The mission is now accepted. Next: …"), so nobody is left guessing."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from .vocabulary import MissionStatus as S

NEXT = {
    S.PROPOSED: _l("The professional is told and accepts or declines; you are told of the answer."),
    S.ACCEPTED: _l("A programme manager confirms the mission, and the readiness checklist is "
                   "worked through; your part of it is on your home page."),
    S.DECLINED: _l("The programme manager is told and may propose someone else."),
    S.CONFIRMED: _l("The professional and the host coordinators are told. Once the checklist "
                    "is complete a manager marks the mission ready; it starts on its first day."),
    S.READY: _l("Everything is in place: the mission starts on its own on its first day, and "
                "everyone is reminded the day before."),
    S.IN_PROGRESS: _l("The mission completes on its own on its last day."),
    S.COMPLETED: _l("The professional and the host coordinators each file an outcome report; "
                    "it waits on their home pages."),
    S.REPORTED: _l("Both reports are in: a manager can close the mission. Follow-up surveys "
                   "come 3, 6 and 12 months after the end."),
    S.CLOSED: _l("Nothing more to do. Follow-up surveys come 3, 6 and 12 months after the end."),
    S.CANCELLED: _l("Everyone concerned is told, and the professional's time is free again."),
    S.POSTPONED: _l("Everyone concerned is told; a manager proposes new dates."),
}


def after(status: str) -> str:
    """'The mission is now <label>. <what happens next>' in the reader's language."""
    now = _("The mission is now %(status)s.", status=S.label_of(status))
    return f"{now} {NEXT[status]}" if status in NEXT else now
