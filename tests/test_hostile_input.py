"""Hostile input is a 4xx with a message, never a 500, and writes nothing — on both databases.

What the databases cannot hold (NUL characters, unpaired surrogates, numbers beyond INTEGER,
dates near year 1 or 9999, text longer than its column) is refused at the input boundary
(``diaspora.schemas.BaseSchema`` and ``diaspora.limits``), in JSON bodies, query strings, form
posts, paths and CSV rows; so are bodies too large or too deeply nested to parse safely.
"""
from __future__ import annotations

import io
import json
import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.facilities.importer import import_facilities
from diaspora.facilities.models import Facility
from diaspora.needs.models import Need
from missions.core import lifecycle
from missions.core.models import Mission, MissionSession

from .conftest import START, make_app
from .test_needs import NEED, coordinator_of

UNSTORABLE = "cannot be stored"
BEYOND_INTEGER = 2**31
BEYOND_BIGINT = 2**63 + 1


@pytest.fixture
def coordinator_api(api_client, make_user, make_facility):
    facility = make_facility()
    client, headers = api_client(coordinator_of(make_user, facility))
    return client, headers, facility


def needs_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Need.id)))


def field_errors(response, location="json") -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    return response.json["errors"][location]


# --- text the database cannot hold ----------------------------------------------------------

@pytest.mark.parametrize("title", ["Obstetric\x00 care", "Obstetric \ud800care"],
                         ids=["nul", "lone-surrogate"])
def test_unstorable_characters_in_a_body_are_a_field_error(coordinator_api, title):
    client, headers, facility = coordinator_api
    response = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": facility.id, "title": title, "skills": ["ok", "bad\x00"],
        "counterparts": [{"name": "Akua\x00 Mensah"}]})
    errors = field_errors(response)
    assert UNSTORABLE in errors["title"][0]
    assert UNSTORABLE in errors["skills"]["1"][0]
    assert UNSTORABLE in errors["counterparts"]["0"]["name"][0]
    assert needs_count() == 0


def test_line_breaks_are_refused_in_single_line_fields_only(coordinator_api):
    client, headers, facility = coordinator_api
    broken = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": facility.id, "title": "Obstetric\r\nBcc: x@example.org"})
    assert "single line" in field_errors(broken)["title"][0]
    assert needs_count() == 0
    paragraphs = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": facility.id, "description": "First.\n\nSecond."})
    assert paragraphs.status_code == 201
    assert paragraphs.json["description"] == "First.\n\nSecond."


@pytest.mark.parametrize("value", [BEYOND_INTEGER, -BEYOND_INTEGER - 1, BEYOND_BIGINT])
def test_integers_beyond_their_column_are_a_field_error(coordinator_api, value):
    client, headers, facility = coordinator_api
    response = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": value, "programme_id": value})
    errors = field_errors(response)
    assert "whole number from -2147483648 to 2147483647" in errors["facility_id"][0]
    assert "programme_id" in errors
    assert needs_count() == 0


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_dates_outside_1900_to_2200_are_a_field_error(coordinator_api, day):
    client, headers, facility = coordinator_api
    response = client.post("/api/v1/needs", headers=headers, json={
        **NEED, "facility_id": facility.id, "earliest_start": day, "latest_end": day})
    assert "between 1900 and 2200" in field_errors(response)["earliest_start"][0]
    assert needs_count() == 0


def test_extreme_dates_in_a_proposal_and_the_plan(api_client, make_need, make_professional):
    need, professional = make_need(), make_professional()
    client, headers = api_client(role="manager")
    proposal = client.post(f"/api/v1/needs/{need.id}/missions", headers=headers, json={
        "professional_id": professional.id, "kind": "physical", "starts_on": "9999-12-30",
        "exdates": ["0001-01-01"]})
    errors = field_errors(proposal)
    assert "between 1900 and 2200" in errors["starts_on"][0]
    assert "between 1900 and 2200" in errors["exdates"]["0"][0]
    assert db.session.scalar(sa.select(sa.func.count(Mission.id))) == 0
    plan = client.post("/api/v1/plan", headers=headers,
                       json={"period_start": "0001-01-01", "period_end": "9999-12-31"})
    assert set(field_errors(plan)) == {"period_start", "period_end"}


@pytest.mark.parametrize("url", ["/dashboard?starts_on=0001-01-01",
                                 "/dashboard?ends_on=9999-12-31",
                                 "/dashboard/missions.csv?starts_on=0001-01-01",
                                 f"/dashboard?programme_id={BEYOND_BIGINT}"])
def test_extreme_dashboard_filters_are_a_422_page(signed_in, url):
    response = signed_in("manager").get(url)
    assert response.status_code == 422
    assert "not valid" in response.get_data(as_text=True)


def test_a_session_cancel_reason_longer_than_its_column_is_refused(api_client, signed_in,
                                                                     make_need, make_facility,
                                                                     make_professional, propose,
                                                                     manager):
    need = make_need(mode="virtual", purpose="teaching", duration_days=None,
                     sessions_per_week=1, weeks=2, session_hours=1.5)
    professional = make_professional()
    mission = propose(need, professional, kind="virtual", starts_on=date(2026, 4, 7),
                      weekdays=["TU"], session_start=time(14, 0), session_minutes=90, weeks=2)
    for action, actor in (("accept", professional.user), ("confirm", manager)):
        lifecycle.transition(db.session, mission, action, actor=actor, now=START)
    first = mission.sessions[0]
    url = f"/missions/{mission.id}/sessions/{first.id}/cancel"
    client, headers = api_client(manager)
    assert "reason" in field_errors(client.post(f"/api/v1{url}", headers=headers,
                                                json={"reason": "x" * 301}))
    browser = signed_in(manager)
    page = browser.post(url, {"reason": "x" * 301}, follow_redirects=True)
    assert "maximum length 300" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MissionSession, first.id).status == "scheduled"
    assert client.post(f"/api/v1{url}", headers=headers,
                       json={"reason": "x" * 300}).status_code == 200


# --- sign-in, query strings, form posts and paths -----------------------------------------

def test_sign_in_with_a_nul_byte_is_refused(browser, api_client, make_user):
    user = make_user("manager")
    page = browser.post("/login", {"email": user.email + "\x00", "password": "x\x00"})
    assert page.status_code == 422
    client, _headers = api_client(user)
    token = client.post("/api/v1/auth/tokens", json={"email": "a\x00@example.org",
                                                      "password": "\ud800"})
    assert set(field_errors(token)) >= {"email", "password"}


@pytest.mark.parametrize("url", ["/api/v1/facilities?q=a%00b", "/api/v1/professionals?q=%00",
                                 "/api/v1/programmes?q=%00", "/api/v1/missions?status=%00"])
def test_nul_in_an_api_query_string_is_a_422(api_client, url):
    client, headers = api_client(role="manager")
    response = client.get(url, headers=headers)
    assert response.status_code == 422
    assert UNSTORABLE in json.dumps(response.json["errors"])


@pytest.mark.parametrize("url", ["/programmes?q=%00", "/facilities?q=a%00", "/needs?status=%00",
                                 "/missions?status=%00", "/admin/audit?entity=%00"])
def test_nul_in_a_page_query_string_is_a_422_page(signed_in, url):
    response = signed_in("admin").get(url)
    assert response.status_code == 422
    assert "cannot be stored" in response.get_data(as_text=True)


def test_nul_in_a_form_post_writes_nothing(signed_in, make_user, make_facility):
    facility = make_facility()
    coordinator = signed_in(coordinator_of(make_user, facility))
    response = coordinator.post("/needs/new", {
        "facility_id": str(facility.id), "title": "Neonatal\x00 care", "cadre": "2221",
        "purpose": "teaching", "mode": "physical", "earliest_start": "2026-05-01",
        "latest_end": "2026-08-31", "duration_days": "5"})
    assert response.status_code == 422
    assert needs_count() == 0


@pytest.mark.parametrize("url", ["/api/docs/assets/swagger%00ui.css", "/calendar/abc%00.ics"])
def test_nul_in_a_path_segment_is_a_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("number", [BEYOND_INTEGER, BEYOND_BIGINT, 10**30])
def test_ids_no_column_can_hold_are_a_404(api_client, signed_in, number):
    client, headers = api_client(role="manager")
    for url in (f"/api/v1/needs/{number}", f"/api/v1/missions/{number}",
                f"/api/v1/professionals/{number}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.json["code"] == 404, url
    browser = signed_in("manager")
    for url in (f"/needs/{number}", f"/missions/{number}", f"/missions/{number}/calendar.ics"):
        assert browser.get(url).status_code == 404, url


@pytest.mark.parametrize("number", [BEYOND_INTEGER, BEYOND_BIGINT])
def test_ids_no_column_can_hold_are_a_404_for_every_method(app, api_client, number):
    """Not the 405 werkzeug gave when another rule on the path takes other methods (PATCH on
    /needs/<id>, which has GET; DELETE on /professionals/me/licences/<id>, which has PATCH)."""
    client, headers = api_client(role="manager")
    tried = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:[^>]+>", str(number), rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, headers=headers, json={})
            assert response.status_code == 404, (method, url, response.status_code)
            tried += 1
    assert tried > 30


@pytest.mark.parametrize("number", [BEYOND_INTEGER, BEYOND_BIGINT])
def test_page_numbers_beyond_integer_are_a_422(api_client, signed_in, number):
    client, headers = api_client(role="manager")
    for url in (f"/api/v1/needs?page={number}", f"/api/v1/missions?page={number}",
                f"/api/v1/facilities?page_size={number}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 422, url
        assert set(response.json["errors"]["query"]) & {"page", "page_size"}, url
    browser = signed_in("manager")
    for url in (f"/needs?page={number}", f"/facilities?page={number}", f"/inbox?page={number}"):
        response = browser.get(url)
        assert response.status_code == 422 and "page number" in response.get_data(as_text=True), url
    assert client.get("/api/v1/needs?page=2147483647", headers=headers).json == []


# --- request size and JSON depth ----------------------------------------------------------

def test_a_body_over_the_size_limit_is_a_413(database_url):
    app = make_app(database_url, MAX_CONTENT_LENGTH=10_000)
    with app.app_context():
        client = app.test_client()
        api = client.post("/api/v1/auth/tokens", json={"email": "a@example.org",
                                                       "password": "x" * 20_000})
        assert api.status_code == 413
        assert api.json["code"] == 413 and api.json["status"] == "Request Entity Too Large"
        page = client.post("/login", data={"email": "a@example.org", "password": "x" * 20_000})
        assert page.status_code == 413
        assert "Request too large" in page.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_the_default_size_limit_refuses_ten_megabytes(client):
    response = client.post("/api/v1/auth/tokens", data=b" " * 10_000_000,
                           content_type="application/json")
    assert response.status_code == 413


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000,
                                  '{"email": ' + '{"a": ' * 25 + "1" + "}" * 25 + "}"],
                         ids=["beyond-the-parser", "beyond-the-limit"])
def test_deeply_nested_json_is_a_400_even_anonymous(client, api_client, body):
    anonymous = client.post("/api/v1/auth/tokens", data=body, content_type="application/json")
    assert anonymous.status_code == 400 and "nested" in anonymous.json["message"]
    api, headers = api_client(role="manager")
    signed = api.post("/api/v1/plan", data=body, headers=headers, content_type="application/json")
    assert signed.status_code == 400


# --- CSV import -----------------------------------------------------------------------------

def test_a_nul_in_a_csv_cell_fails_that_row_and_keeps_the_rest(app):
    header = "Country,Admin1,Facility name,Facility type,Ownership,Lat,Long,LL source,iso3c"
    rows = ["Ghana,Northern,Tamale Teaching Hospital,Teaching Hospital,MoH,9.41,-0.85,GPS,GHA",
            "Ghana,Northern,Bad\x00 Clinic,Clinic,MoH,9.42,-0.86,GPS,GHA",
            "Ghana,Northern,Savelugu Hospital,District Hospital,MoH,9.62,-0.83,GPS,GHA"]
    report = import_facilities(db.session, io.StringIO("\n".join([header, *rows]) + "\n"),
                               now=START, workers=0)
    assert report.inserted == 2
    [problem] = report.invalid
    assert problem.line == 3 and UNSTORABLE in problem.describe()
    assert sorted(db.session.scalars(sa.select(Facility.name))) == [
        "Savelugu Hospital", "Tamale Teaching Hospital"]


# --- a line break in a title: calendars and e-mail ------------------------------------------

def test_a_need_title_with_a_line_break_makes_a_valid_calendar(make_need, make_professional,
                                                                propose, signed_in):
    from icalendar import Calendar

    professional = make_professional()
    mission = propose(make_need(title="Obstetric\r\ncare; ward 2, night"), professional)
    response = signed_in(professional.user).get(f"/missions/{mission.id}/calendar.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    # escaped as TEXT (RFC 5545 3.3.11), which a reader unescapes
    assert str(calendar["X-WR-CALNAME"]) == "Obstetric\\ncare\\; ward 2\\, night"
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Obstetric")


@pytest.fixture
def mail_app(app, mail_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_sink.port,
                      MAIL_SENDER="missions@registry.example.org")
    return app


def test_a_title_with_a_line_break_is_mailed_on_one_line(mail_app, mail_sink, make_need,
                                                         make_professional, propose, clock):
    from missions.scheduler.process import run_once

    propose(make_need(title="Obstetric\r\ncare"), make_professional())
    assert run_once(db.session, clock())["emailed"] == 1
    [message] = mail_sink.messages
    assert message["Subject"] == "Mission proposal: Obstetric care"


def test_a_poisoned_row_is_failed_and_the_rest_of_the_batch_goes_out(mail_app, mail_sink,
                                                                     make_need, make_facility,
                                                                     make_professional, propose,
                                                                     clock):
    from missions.notifications.models import Notification
    from missions.scheduler.process import run_once

    for _ in range(3):
        propose(make_need(), make_professional())
    notices = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    poisoned = notices[1]
    poisoned.payload = {}   # its message can no longer be written
    db.session.commit()
    counts = run_once(db.session, clock())
    assert (counts["emailed"], counts["failed"]) == (2, 1)
    assert len(mail_sink.messages) == 2
    db.session.expire_all()
    poisoned = db.session.get(Notification, poisoned.id)
    assert (poisoned.email_status, poisoned.attempts) == ("failed", 1)
    assert poisoned.last_error.startswith("KeyError")
    assert "emailed" not in run_once(db.session, clock())


def test_the_attempt_cap_holds_when_a_sender_died_mid_send(mail_app, mail_sink, make_need,
                                                           make_professional, propose, clock):
    from missions.notifications.models import Notification
    from missions.notifications.outbox import MAX_EMAIL_ATTEMPTS
    from missions.scheduler.process import run_once

    propose(make_need(), make_professional())
    notice = db.session.scalar(sa.select(Notification))
    notice.attempts, notice.claimed_by, notice.claimed_until = MAX_EMAIL_ATTEMPTS, "dead", START
    db.session.commit()
    counts = run_once(db.session, clock())
    assert counts["gave_up"] == 1 and "emailed" not in counts
    assert mail_sink.messages == []
    db.session.expire_all()
    notice = db.session.get(Notification, notice.id)
    assert (notice.email_status, notice.attempts) == ("failed", MAX_EMAIL_ATTEMPTS)
    assert "gave up" in notice.last_error


# --- the database is down -------------------------------------------------------------------

@pytest.fixture
def database_down(app):
    """``database_down()`` makes every later statement fail as a lost connection does;
    returns the list of statements tried since."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    def down() -> list[str]:
        tried: list[str] = []

        def refuse(conn, cursor, statement, parameters, context, executemany):
            tried.append(statement)
            raise OperationalError(statement, parameters, Exception("connection refused"))

        event.listen(db.engine, "before_cursor_execute", refuse)
        return tried

    return down


@pytest.mark.own_app  # the engine stays broken for the rest of the app's life
def test_a_signed_in_page_renders_503_without_the_database(signed_in, database_down):
    browser = signed_in("manager")
    tried = database_down()
    response = browser.get("/needs")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Temporarily unavailable" in page and "Sign in" in page
    assert len(tried) == 1   # the failing statement only: the error page asked nothing


@pytest.mark.own_app  # the engine stays broken for the rest of the app's life
def test_the_api_says_503_as_json_when_the_database_is_down(api_client, database_down):
    client, headers = api_client(role="manager")
    database_down()
    response = client.get("/api/v1/needs", headers=headers)
    assert response.status_code == 503 and response.json["code"] == 503


@pytest.mark.own_app  # the engine stays broken for the rest of the app's life
def test_healthz_says_503_when_the_database_is_down(client, database_down):
    assert client.get("/healthz").status_code == 200
    database_down()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "unavailable"}


@pytest.mark.parametrize("number", [BEYOND_INTEGER, BEYOND_BIGINT])
def test_ids_beyond_integer_in_a_query_string_or_form_find_nothing(signed_in, make_need,
                                                                   make_facility, number):
    browser = signed_in("manager")
    assert browser.get(f"/needs/new?facility_id={number}").status_code == 200
    need = make_need()
    assert browser.get(f"/needs/{need.id}/propose?professional_id={number}").status_code == 404
    facility = make_facility()
    assert browser.post(f"/facilities/{facility.id}/coordinators",
                        {"user_id": str(number)}).status_code == 404


def test_a_number_too_long_to_read_is_a_400(client):
    body = '{"email": "a@example.org", "password": 1' + "0" * 5000 + "}"
    response = client.post("/api/v1/auth/tokens", data=body, content_type="application/json")
    assert response.status_code == 400 and "too many digits" in response.json["message"]
