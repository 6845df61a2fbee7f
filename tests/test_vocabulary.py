"""The vocabularies: codes that are their strings, groups that partition what they must, labels."""
from __future__ import annotations

import re
from pathlib import Path

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


# A template that compares a role or a status with a literal re-derives a rule (who may see,
# what comes next) that a service owns; templates read booleans and labels instead.
TEMPLATE_RULE = re.compile(
    r"""(?:\brole|\bstatus|\.role|\.status)\s*(?:==|!=|\bnot\s+in\b|\bin\b)\s*[(\[]?\s*["']""")
ROOT = Path(__file__).resolve().parent.parent


def rules_in_templates() -> list[str]:
    return [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for path in sorted((ROOT / "templates").rglob("*.html"))
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if TEMPLATE_RULE.search(line) or "current_user.role" in line]


def test_templates_read_booleans_not_roles_or_statuses():
    assert rules_in_templates() == []


@pytest.mark.parametrize("line", [
    '{% if m.status in ("completed", "closed") %}', "{% if user.role != 'professional' %}",
    '{% if current_user.role == "admin" %}', '{% if r.status == "requested" %}'])
def test_the_template_rule_sees_a_comparison(line):
    assert TEMPLATE_RULE.search(line) or "current_user.role" in line
