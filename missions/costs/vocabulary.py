"""The costs package's closed vocabularies: what a cost is for, how firm it is, who pays it,
and the indicators of the results framework."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from diaspora.vocabulary import Vocabulary


class CostCategory(Vocabulary):
    INTERNATIONAL_TRAVEL = "international_travel", _l("International travel")
    LOCAL_TRANSPORT = "local_transport", _l("Local transport")
    ACCOMMODATION = "accommodation", _l("Accommodation")
    LIVING_ALLOWANCE = "living_allowance", _l("Living allowance / per diem")
    INSURANCE = "insurance", _l("Insurance")
    VISA = "visa", _l("Visa and permits")
    REGISTRATION = "registration", _l("Professional registration fees")
    ICT = "ict", _l("ICT and data for online work")
    HONORARIUM = "honorarium", _l("Honorarium")
    OTHER = "other", _l("Other")


class CostStage(Vocabulary):
    """How firm a cost is: estimated when the mission is proposed, committed when it is
    confirmed, actual once spent."""

    ESTIMATED = "estimated", _l("estimated")
    COMMITTED = "committed", _l("committed")
    ACTUAL = "actual", _l("actual")


class Payer(Vocabulary):
    """Who bears a cost: the programme, or the host facility in kind (housing, transport)."""

    PROGRAMME = "programme", _l("the programme")
    HOST = "host", _l("the host facility (in kind)")


class Indicator(Vocabulary):
    """Indicators of a programme's results framework, each counted by the dashboard's
    definitions (see README, *Programme money*)."""

    MISSIONS_DONE = "missions_done", _l("Missions done")
    PERSON_DAYS = "person_days", _l("Person-days in country")
    ONLINE_HOURS = "online_hours", _l("Online hours")
    PEOPLE_TRAINED = "people_trained", _l("Health workers trained")
    PEOPLE_TRAINED_FEMALE = "people_trained_female", _l("Women health workers trained")
    PRACTICE_IN_USE_6 = "practice_in_use_6", _l("Practices in use at +6 months")
    PRACTICE_IN_USE_12 = "practice_in_use_12", _l("Practices in use at +12 months")
    COUNTERPARTS_IN_POST = "counterparts_in_post", _l("Counterparts still in post (+12 months)")
