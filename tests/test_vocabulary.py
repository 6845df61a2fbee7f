"""The vocabularies: codes that are their strings, groups that partition what they must, labels."""
from __future__ import annotations

import pytest

from diaspora.security import roles_required
from diaspora.vocabulary import MANAGERS, Mode, NeedStatus, Role, role_label
from diaspora.web import label
from missions.core import lifecycle, vocabulary as missions


def test_members_are_their_codes():
    assert Role.MANAGER == "manager" and f"{missions.MissionStatus.IN_PROGRESS}" == "in_progress"
    assert MANAGERS == ("manager", "admin")
    assert missions.MissionStatus.codes()[:2] == ("proposed", "accepted")
    assert NeedStatus.has("matched") and not NeedStatus.has("accepted")


def test_every_mission_status_holds_time_or_is_called_off():
    """The booking invariant speaks of these two groups: together they are every status."""
    holding, withdrawn = set(missions.HOLDING), set(missions.WITHDRAWN)
    assert holding | withdrawn == set(missions.MissionStatus) and not holding & withdrawn
    assert set(missions.COMMITTED) <= holding and set(missions.WENT_AHEAD) <= holding


def test_transitions_speak_the_vocabulary():
    assert set(lifecycle.TRANSITIONS) == set(missions.MissionAction)
    for rule in lifecycle.TRANSITIONS.values():
        assert missions.MissionStatus.has(rule.target)
        assert all(missions.MissionStatus.has(status) for status in rule.sources)


def test_label_filter_shows_labels_and_passes_unknown_codes():
    assert str(label("in_progress", missions.MissionStatus)) == "in progress"
    assert str(label(Mode.EITHER)) == "In person or online"
    assert label("retired", missions.MissionStatus) == "retired"
    assert role_label("scheduler") == "the scheduler" and role_label(None) == "—"


def test_a_route_cannot_name_a_role_that_does_not_exist():
    with pytest.raises(ValueError):
        roles_required("manger")
