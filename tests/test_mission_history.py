"""Past missions imported from a programme's spreadsheet (issue 17): closed missions with their
bookings and outcome records, in the professional's engagement (cycles continue), per-row
errors, idempotent re-import, and nobody notified or reminded."""
from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from diaspora.extensions import db
from diaspora.jobs import services as jobs
from missions.core import lifecycle, proposals
from missions.core.models import Mission
from missions.dashboards import indicators
from missions.dashboards.filters import Filters
from missions.history import services as history
from missions.notifications.models import Notification
from missions.outcomes.models import FollowUp, OutcomeReport, ReportWaiver
from missions.scheduler import process as scheduler

from .conftest import START, Browser
from .test_people_imports import as_csv
from .test_races import check_booking_invariant

HEADER = ["Professional e-mail", "Facility", "Start date", "End date", "Mode", "Cadre",
          "People trained", "Trainees", "Rating"]


def world(make_professional, make_facility):
    ama = make_professional()
    kwame = make_professional(given_name="Kwame", consent=False)
    tamale = make_facility(name="Tamale Teaching Hospital", source_code="GH-TTH")
    bolga = make_facility(name="Bolgatanga Regional Hospital")
    make_facility(name="Twin Clinic")
    make_facility(name="Twin Clinic")
    return ama, kwame, tamale, bolga


def rows(ama, kwame):
    a, k = ama.user.email, kwame.user.email
    return [
        [a, "GH-TTH", "2025-02-03", "2025-02-14", "in person", "2212", "", "2222 F 8; 2211 M 3", "5"],
        [a, "GH-TTH", "10/11/2025", "21/11/2025", "présentiel", "", "20", "", ""],
        [k, "bolgatanga regional hospital", "2025-06-02", "2025-06-06", "", "", "", "", ""],
        ["nobody@example.org", "GH-TTH", "2025-01-06", "2025-01-10", "", "", "", "", ""],   # 5
        [a, "Nowhere Clinic", "2025-01-06", "2025-01-10", "", "", "", "", ""],
        [a, "Twin Clinic", "2025-01-06", "2025-01-10", "", "", "", "", ""],
        [a, "GH-TTH", "2026-05-01", "2026-05-10", "", "", "", "", ""],                   # future
        [a, "GH-TTH", "2025-13-01", "2025-02-10", "", "", "", "", ""],
        [a, "GH-TTH", "2025-03-02", "2025-03-06", "online", "", "", "", ""],            # 10
        [a, "Bolgatanga Regional Hospital", "2025-02-10", "2025-02-20", "", "", "", "", ""],  # overlap
        [a, "GH-TTH", "2025-02-03", "2025-02-14", "", "", "", "", ""],                   # again
        [a, "GH-TTH", "2025-04-07", "2025-04-11", "", "", "", "Astronaut X 3", "9"],
    ]


def by_row(report):
    return {r.row: (r.status, r.messages) for r in report.rows}


def test_past_missions_are_closed_with_bookings_and_outcomes_and_notify_nobody(
        app, make_user, make_professional, make_facility):
    manager = make_user("manager")
    ama, kwame, tamale, bolga = world(make_professional, make_facility)
    data = as_csv(rows(ama, kwame), header=HEADER)
    dry = history.import_missions(db.session, data, "missions.csv", actor=manager, now=START,
                                  dry_run=True)
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 0
    report = history.import_missions(db.session, data, "missions.csv", actor=manager, now=START)
    assert [(r.row, r.status) for r in report.rows] == [(r.row, r.status) for r in dry.rows]
    statuses = by_row(report)
    assert [statuses[n][0] for n in range(2, 14)] == [
        "created", "created", "created", "invalid", "invalid", "invalid", "invalid", "invalid",
        "invalid", "invalid", "skipped", "invalid"]
    assert "import the people first" in statuses[5][1][0]
    assert "No facility" in statuses[6][1][0]
    assert "Several facilities" in statuses[7][1][0]
    assert "over" in statuses[8][1][0]
    assert "Start date" in statuses[9][1][0]
    assert "Online" in statuses[10][1][0]
    assert "Overlaps" in statuses[11][1][0]
    assert len(statuses[13][1]) == 2  # the trainees' groups and the rating
    missions = db.session.scalars(sa.select(Mission).order_by(Mission.starts_at)).all()
    assert [(m.professional_id, m.facility_id, m.status, m.cycle) for m in missions] == [
        (ama.id, tamale.id, "closed", 1), (kwame.id, bolga.id, "closed", 1),
        (ama.id, tamale.id, "closed", 2)]
    assert missions[0].need.status == "fulfilled"
    check_booking_invariant(db.session)
    first = db.session.scalar(sa.select(OutcomeReport).where(OutcomeReport.mission_id == missions[0].id))
    assert (first.side, first.trained_total, first.rating) == ("host", 11, 5)
    assert sorted((t.cadre, t.gender, t.count) for t in first.trainees) == [
        ("2211", "male", 3), ("2222", "female", 8)]
    third = db.session.scalar(sa.select(OutcomeReport).where(OutcomeReport.mission_id == missions[2].id))
    assert third.trained_total == 20 and third.trainees == []
    # no rating in the file: none is made up, and the mean is of the ratings given
    assert third.rating is None
    assert indicators.ratings(db.session, Filters())["host"] == indicators.Rating(5, 1)
    # no figures: both sides waived, with the reason
    assert sorted(db.session.scalars(sa.select(ReportWaiver.side).where(
        ReportWaiver.mission_id == missions[1].id))) == ["host", "professional"]
    # nobody is told, nothing falls due: no notices, no surveys, even once the scheduler ran
    scheduler.run_once(db.session, START)
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(FollowUp.id))) == 0
    # again: nothing new
    again = history.import_missions(db.session, data, "missions.csv", actor=manager, now=START)
    assert {k: v for k, v in again.counts().items() if v} == {"rows": 12, "skipped": 4,
                                                              "invalid": 8}
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 3
    # the next visit continues the chain: cycle 3
    ama.consent_given = True
    db.session.commit()
    need = db.session.get(type(missions[0].need), make_need_at(tamale).id)
    proposed = proposals.propose_mission(db.session, need, ama, {
        "kind": "physical", "starts_on": date(2026, 4, 6)}, actor=manager, now=START)
    assert proposed.cycle == 3
    assert lifecycle  # the chain is renumbered by the proposal itself


def make_need_at(facility):
    from diaspora.needs.models import Need
    need = Need(facility_id=facility.id, title="Return visit", cadre="2212",
                specialty="obstetrics-gynaecology", purpose="clinical_service", mode="physical",
                earliest_start=date(2026, 4, 1), latest_end=date(2026, 6, 30), duration_days=5,
                status="approved", languages=["en"], skills=[], created_at=START,
                updated_at=START)
    db.session.add(need)
    db.session.commit()
    return need


def test_row_messages_come_in_the_users_language(app, make_user):
    manager = make_user("manager")
    with force_locale("fr"):
        report = history.import_missions(
            db.session, as_csv([["x@example.org", "GH-TTH", "pas une date", "2025-01-01", "",
                                 "", "", "", ""]], header=HEADER), "m.csv", actor=manager,
            now=START, dry_run=True)
    assert report.rows[0].status == "invalid"
    assert "Premier jour" in report.rows[0].messages[0] or "date" in report.rows[0].messages[0]
    assert report.rows[0].messages[0] != (
        "First day: give a date as 2025-03-31 or 31/03/2025.")


def test_manager_previews_and_imports_past_missions_in_a_job(app, make_user, make_professional,
                                                            make_facility):
    manager = make_user("manager")
    ama, kwame, _tamale, _bolga = world(make_professional, make_facility)
    browser = Browser(app.test_client())
    browser.login(manager)
    url = "/facilities/imports/missions"
    assert browser.get(url).status_code == 200
    data = as_csv(rows(ama, kwame), header=HEADER)
    page = browser.post(url, {"file": (io.BytesIO(data), "missions.csv")},
                        content_type="multipart/form-data")
    assert page.status_code == 200 and "Created: 3" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 0
    import base64
    response = browser.post(f"{url}/import", {"content": base64.b64encode(data).decode(),
                                              "filename": "missions.csv",
                                              "submission_token": "once"})
    assert response.status_code == 302
    assert jobs.run_pending(db.session, clock=lambda: START) == 1
    job = jobs.jobs_of_kind(db.session, ("missions.history",))[0]
    assert job.status == "done", job.error
    assert job.result["counts"]["created"] == 3
    assert "missions.csv" in browser.get(url).get_data(as_text=True)
    # bad input: no file, not a spreadsheet, a header without the needed columns
    assert browser.post(url, {}, content_type="multipart/form-data").status_code == 422
    assert browser.post(url, {"file": (io.BytesIO(b"\xff\xfebad"), "m.csv")},
                        content_type="multipart/form-data").status_code == 422
    refused = browser.post(url, {"file": (io.BytesIO(b"a,b\n1,2\n"), "m.csv")},
                           content_type="multipart/form-data")
    assert refused.status_code == 422 and "No column for" in refused.get_data(as_text=True)
    assert browser.post(url, {"file": (io.BytesIO(data), "m.csv"), "programme_id": "99999"},
                        content_type="multipart/form-data").status_code == 403
