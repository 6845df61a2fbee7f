"""Translated labels of the outcome vocabularies (the codes are what the database stores)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SIDES = {"professional": _l("Professional's report"), "host": _l("Host facility's report")}

RATING_MEANING = {"professional": _l("The professional's rating of the placement"),
                  "host": _l("The host's rating of the professional's contribution")}

ITEM_KINDS = {
    "protocol": _l("Protocol introduced"),
    "guideline": _l("Guideline introduced"),
    "curriculum": _l("Curriculum introduced"),
    "equipment_installed": _l("Equipment installed"),
    "equipment_repaired": _l("Equipment repaired"),
}

BARRIERS = {
    "language": _l("Language"),
    "equipment": _l("Equipment missing or broken"),
    "supplies": _l("Supplies and medicines"),
    "staffing": _l("Staff shortages or turnover"),
    "time": _l("Too little time"),
    "connectivity": _l("Internet connection"),
    "accommodation": _l("Accommodation or transport"),
    "administration": _l("Administration and permits"),
    "security": _l("Security"),
    "other": _l("Other"),
}

NEXT_STEPS = {
    "follow_up_mission": _l("A follow-up mission"),
    "virtual_mentoring": _l("Online mentoring"),
    "training_abroad": _l("Training abroad for local staff"),
    "none": _l("Nothing further"),
}

FOLLOW_UPS = {3: _l("3 months"), 6: _l("6 months"), 12: _l("12 months")}
