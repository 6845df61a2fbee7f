"""The shortlist marks who already has an open mission for the need (no second proposal, the
service refuses too), and an empty shortlist says which filter removed how many."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from diaspora.errors import Conflict
from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.models import Mission

from .conftest import START


def test_a_proposed_candidate_is_marked_and_not_proposable(make_need, make_professional, propose,
                                                           manager, signed_in):
    need = make_need(duration_days=7)
    proposed, free = make_professional(), make_professional()
    mission = propose(need, proposed, starts_on=date(2026, 4, 6))
    page = signed_in(manager).get(f"/needs/{need.id}/shortlist").get_data(as_text=True)
    assert "Already proposed for this need" in page
    assert f'href="/missions/{mission.id}"' in page
    assert f'name="professional_id" value="{proposed.id}"' not in page   # no Propose button
    assert f'name="professional_id" value="{free.id}"' in page

    with pytest.raises(Conflict) as refused:
        propose(need, proposed, starts_on=date(2026, 5, 4))
    assert refused.value.extra["mission_id"] == mission.id
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 1


def test_a_booked_candidate_is_refused_and_a_declined_one_may_be_asked_again(
        make_need, make_professional, propose, manager):
    need = make_need(duration_days=7)
    person = make_professional()
    mission = propose(need, person, starts_on=date(2026, 4, 6))
    lifecycle.transition(db.session, mission, "accept", actor=person.user, now=START)
    with pytest.raises(Conflict):
        propose(need, person, starts_on=date(2026, 5, 4))
    lifecycle.transition(db.session, mission, "cancel", actor=manager, now=START, reason="Roads")
    again = propose(need, person, starts_on=date(2026, 5, 4))
    assert again.status == "proposed"


def test_proposing_twice_through_the_form_shows_the_reason(make_need, make_professional,
                                                           propose, manager, signed_in):
    need = make_need(duration_days=7)
    person = make_professional()
    propose(need, person, starts_on=date(2026, 4, 6))
    response = signed_in(manager).post(f"/needs/{need.id}/propose", {
        "professional_id": person.id, "kind": "physical", "starts_on": "2026-05-04",
        "submission_token": "t-1", "confirm": "1"})
    assert response.status_code in (409, 422)
    assert "already has a mission for this need" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 1


def test_an_empty_shortlist_says_which_filter_removed_how_many(make_need, make_professional,
                                                               manager, signed_in):
    make_professional(consent=False)
    make_professional(licences=())
    make_professional(licences=())
    need = make_need()
    page = signed_in(manager).get(f"/needs/{need.id}/shortlist").get_data(as_text=True)
    assert "None of the 3 professionals of this cadre can do it" in page
    assert "the licence in the host country filter removed the most (2)" in page
    assert "the consent filter removed 1 professional" in page
    assert "the licence in the host country filter removed 2 professionals" in page


def test_the_proposal_form_previews_the_dates_before_sending(make_need, make_professional,
                                                              manager, signed_in):
    need = make_need(mode="virtual", purpose="teaching", duration_days=None, sessions_per_week=1,
                     weeks=3, session_hours=1.5)
    person = make_professional()
    browser = signed_in(manager)
    form = {"professional_id": person.id, "kind": "virtual", "starts_on": "2026-04-07",
            "weekdays": "TU", "session_start": "14:00", "session_minutes": "90", "weeks": "3",
            "step": "preview", "submission_token": "p1"}
    page = browser.post(f"/needs/{need.id}/propose", form).get_data(as_text=True)
    assert "The proposal books 3 sessions:" in page
    assert "7 Apr 2026 14:00" in page and "21 Apr 2026 14:00" in page
    assert 'name="confirm" value="1"' in page
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 0   # nothing booked yet

    no_day = {**form, "submission_token": "p2"}
    del no_day["weekdays"]
    refused = browser.post(f"/needs/{need.id}/propose", {**no_day, "confirm": "1"})
    assert refused.status_code == 422
    assert "Tick at least one day of the week." in refused.get_data(as_text=True)

    sent = browser.post(f"/needs/{need.id}/propose", {**form, "step": "", "confirm": "1",
                                                      "submission_token": "p3"})
    assert sent.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 1


def test_an_in_person_preview_names_the_days(make_need, make_professional, manager, signed_in):
    need = make_need(duration_days=7)
    person = make_professional()
    page = signed_in(manager).post(f"/needs/{need.id}/propose", {
        "professional_id": person.id, "kind": "physical", "starts_on": "2026-04-06",
        "step": "preview", "submission_token": "q1"}).get_data(as_text=True)
    assert "The proposal books these days:" in page
    assert "from 6 Apr 2026 to 12 Apr 2026" in page
