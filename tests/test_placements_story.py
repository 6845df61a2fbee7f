"""The "done when" story of issue 16, through the pages, checked against a hand count.

A Dutch hospital offers two places; a coordinator in Ghana nominates a midwife who was a named
counterpart of an earlier mission (by a doctor the hospital employs); the manager selects her;
the checklist completes; she goes and returns; the +6-month follow-up says she is in post and
has trained four colleagues — and the partnership page, the dashboard and the programme report
show exactly that.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.partners import services as partners
from diaspora.partners.models import PartnerInstitution, Partnership
from diaspora.workforce.models import HostHealthWorker
from missions.core import lifecycle
from missions.outcomes import services as outcomes
from missions.placements import figures
from missions.placements.models import Placement, PlacementOffer
from missions.placements.vocabulary import ChecklistItem

from .conftest import START
from .test_missions import tick_all


def flat(html: str) -> str:
    """The page's text with tags kept and runs of white space made one space."""
    return re.sub(r"\s+", " ", html)


def test_a_midwife_goes_to_a_dutch_hospital_and_comes_back_to_train_four(
        app, clock, signed_in, make_user, make_facility, make_need, make_professional, propose,
        manager):
    facility = make_facility(name="Tamale Teaching Hospital", country="GH")
    coordinator = make_user("coordinator", name="Coordinator Tamale")
    facility.coordinators.append(coordinator)
    db.session.commit()
    as_manager, as_coordinator = signed_in(manager), signed_in(coordinator)

    # The manager records the Dutch hospital and its twinning with Tamale.
    response = as_manager.post("/partners/new", {
        "name": "Radboudumc", "country": "NL", "city": "Nijmegen", "kind": "hospital"})
    assert response.status_code == 302, response.get_data(as_text=True)
    partner = db.session.scalar(sa.select(PartnerInstitution))
    assert as_manager.post("/partners/partnerships/new", {
        "partner_id": partner.id, "facility_id": facility.id, "starts_on": "2026-01-01",
        "aims": "Safer births"}).status_code == 302
    partnership = db.session.scalar(sa.select(Partnership))

    # An earlier mission by a gynaecologist the hospital employs; the midwife its counterpart.
    doctor = make_professional()
    partners.set_employer(db.session, doctor, partner, actor=manager, now=START)
    assert as_coordinator.post("/staff/new", {
        "facility_id": facility.id, "given_name": "Abena", "family_name": "Owusu",
        "cadre": "2222", "gender": "female", "consent_given": "y"}).status_code == 302
    midwife = db.session.scalar(sa.select(HostHealthWorker))
    mission = propose(make_need(facility, title="Emergency obstetric care"), doctor)
    assert as_coordinator.post(f"/missions/{mission.id}/counterparts",
                               {"worker_id": midwife.id}).status_code == 302
    lifecycle.transition(db.session, mission, "accept", actor=doctor.user, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
    tick_all(mission, manager)  # the licence verified against a document (issue 18)
    for action, at in (("ready", START), ("start", mission.starts_at), ("complete", mission.ends_at)):
        lifecycle.transition(db.session, mission, action, actor=manager, now=at)
    outcomes.file_report(db.session, mission, "host", {
        "trained_total": 6, "sessions_held": 10, "hours": 40, "rating": 5, "trainees": [],
        "items": [], "barriers": [], "next_steps": ["training_abroad"]},
        actor=coordinator, now=mission.ends_at)

    # The hospital offers two places; the coordinator nominates her; the manager selects her.
    assert as_manager.post("/placements/offers/new", {
        "partner_id": partner.id, "title": "Obstetric emergencies fellowship", "cadre": "2222",
        "specialty": "obstetrics-gynaecology", "language": "en", "starts_on": "2026-09-01",
        "ends_on": "2026-11-30", "capacity": 2, "service_months": 24,
        "supervisor": "Dr. M. de Vries"}).status_code == 302
    offer = db.session.scalar(sa.select(PlacementOffer))
    assert as_coordinator.post(f"/placements/offers/{offer.id}/nominations",
                               {"worker_id": midwife.id, "note": "Led the drills"}).status_code == 302
    placement = db.session.scalar(sa.select(Placement))
    assert as_manager.post(f"/placements/{placement.id}/select").status_code == 302
    assert "1 of 2 left" in as_coordinator.get(f"/placements/offers/{offer.id}").get_data(as_text=True)
    for item in ChecklistItem.codes():
        assert as_coordinator.post(f"/placements/{placement.id}/checklist/{item}",
                                   {"done": "1"}).status_code == 302
    for action in ("confirm", "ready"):
        assert as_manager.post(f"/placements/{placement.id}/{action}").status_code == 302

    # She goes and comes back.
    clock.set(datetime(2026, 9, 1, 6, tzinfo=UTC))
    assert as_manager.post(f"/placements/{placement.id}/depart").status_code == 302
    clock.set(datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert as_coordinator.post(f"/placements/{placement.id}/return",
                               {"returned_on": "2026-12-01"}).status_code == 302

    # +6 months: in post, four colleagues trained.
    clock.set(datetime(2027, 6, 1, 9, tzinfo=UTC))
    survey = f"/placements/{placement.id}/follow-ups/6"
    assert as_coordinator.get(survey).status_code == 200
    assert as_coordinator.post(survey, {"in_post": "y", "colleagues_trained": "4",
                                        "introduced": "Shoulder dystocia drill"}).status_code == 302
    db.session.expire_all()
    placement = db.session.get(Placement, placement.id)
    assert placement.status == "completed" and placement.returned_on == date(2026, 12, 1)

    # The hand count: one placement to the Netherlands, a female midwife, back in post at +6
    # months, one counterpart → one placed abroad → one training others, four colleagues.
    counted = figures.compute(db.session)
    assert (counted.placements, dict(counted.by_partner), dict(counted.by_country),
            dict(counted.by_gender)) == (1, {"Radboudumc": 1}, {"Netherlands": 1}, {"female": 1})
    assert [(r.months, r.answered, r.in_post) for r in counted.retention] == \
        [(6, 1, 1), (12, 0, 0), (24, 0, 0)]
    chain_row = ('<td>Tamale Teaching Hospital</td><td class="num">1</td><td class="num">1</td>'
                 '<td class="num">1</td><td class="num">4</td>')
    retention_row = ('<td>+6 months</td><td class="num">1</td><td class="num">1</td>'
                     '<td class="num">100%</td>')
    for page in ("/dashboard", "/dashboard/report"):
        html = flat(as_manager.get(page).get_data(as_text=True))
        assert chain_row in html and retention_row in html, page
        assert "1 placements went ahead, 1 back home." in html
        assert '<td>Radboudumc</td><td class="num">1</td>' in html
    html = flat(as_coordinator.get(f"/partnerships/{partnership.id}").get_data(as_text=True))
    assert "Emergency obstetric care</a>" in html and '<td class="num">6</td>' in html
    assert "Abena Owusu</a>" in html and "yes (+6 months)" in html
    assert '<dt>Named counterparts</dt><dd>1</dd>' in html
    assert '<dt>Placed abroad</dt><dd>1</dd>' in html
    assert '<dt>Back and training others</dt><dd>1</dd>' in html
    assert '<dt>Colleagues trained</dt><dd>4</dd>' in html
    # Her page tells her training history: the mission, then the placement.
    history = flat(as_coordinator.get(f"/staff/{midwife.id}").get_data(as_text=True))
    assert history.index("Emergency obstetric care") < history.index("Obstetric emergencies fellowship")
