"""What happens next after a need changes status, shown after a person's action."""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from ..vocabulary import NeedStatus as S

NEXT = {
    S.SUBMITTED: _l("A programme manager approves it or returns it with a reason; it then shows "
                    "on your home page."),
    S.APPROVED: _l("It can now be matched: open its shortlist to propose a professional."),
    S.RETURNED: _l("The coordinator is shown the reason on their home page, changes the need "
                   "and submits it again."),
    S.CLOSED: _l("Nobody more will be proposed for it."),
}


def after(status: str) -> str:
    """'The need is now <label>. <what happens next>' in the reader's language."""
    now = _("The need is now %(status)s.", status=S.label_of(status))
    return f"{now} {NEXT[status]}" if status in NEXT else now
