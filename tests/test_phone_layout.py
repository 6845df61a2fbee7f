"""Every page at phone size, for every role, in English, French and Portuguese: no sideways
scrolling.

Generic over the app's URL map, so a new page is covered without touching this file: every GET
rule is visited with its arguments filled from the demo data (``FILLS``: argument name → the
records to try), or is listed in ``SKIPPED`` with the reason. A rule that can be neither fails
the test, and so does a filled rule that no role could open. Each URL is first asked for with
the test client as that role; what answers 200 with HTML is then loaded at 360 × 740 in one
headless Chromium (one page per role, reused), where the page must not be wider than the
screen: ``document.documentElement.scrollWidth <= window.innerWidth``. Wide tables scroll
inside their own region instead (``.table-scroll``). Each role's home page is saved to
``artifacts/playwright/phone/``.
"""
from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright

from diaspora.auth.models import User
from diaspora.clock import now as clock_now
from diaspora.demo import DEMO_ADMIN, load_demo_data
from diaspora.extensions import db
from diaspora.jobs import services as jobs
from diaspora.jobs.models import Job
from diaspora.needs.models import Need
from diaspora.partners.models import PartnerInstitution, Partnership
from diaspora.people_imports import invitations, services as people_imports
from diaspora.people_imports.models import Invitation
from diaspora.professionals.models import Licence, Professional
from diaspora.programmes.models import Organisation, Programme
from diaspora.security import DEMO_PASSWORD
from diaspora.workforce.models import HostHealthWorker
from missions.core import lifecycle
from missions.core.models import Mission, MissionSession
from missions.core.vocabulary import MissionAction as Action, MissionStatus
from missions.costs.models import CostLine
from missions.matching import plan_jobs
from missions.placements.models import Placement, PlacementOffer

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in
from .conftest import START, Browser

PHONE = {"width": 360, "height": 740}
LANGUAGES = ("en", "fr", "pt")
FIXTURE = Path(__file__).parent / "data" / "who-format-fixture.csv"
PEOPLE = {  # role → the demo account (None: not signed in)
    "visitor": None,
    "professional": "dzifa.ocansey.1@demo.example",  # a closed and a confirmed mission
    "coordinator": "coordinator@demo.example",
    "manager": "manager@demo.example",
    "admin": DEMO_ADMIN,
}
SKIPPED = {  # endpoint → why it is not visited
    "static": "files, not pages",
    "main.api_docs_asset": "Swagger UI's own files",
    "main.api_docs": "Swagger UI's page: a third-party desktop tool for developers",
    "calendars.feed": "an iCalendar file, opened by a calendar program",
    "dashboards.export": "a CSV or XLSX download",
    "notifications.answer": "opened from a proposal e-mail's signed link (tests/test_accessibility.py "
                            "checks it; tests/test_mail_messages.py its behaviour)",
    "costs.results_xlsx": "an XLSX download",
    "jobs.status": "JSON for the job page's progress poll",
    "jobs.problems": "a CSV download",
    "facility_imports.export_mcsd": "a FHIR JSON download",
    "documents.download": "an uploaded PDF or image, sent as a download",
    "mission_documents.download": "an uploaded PDF or image, sent as a download",
    "mission_documents.certificate": "a PDF certificate",
    "mission_documents.attendance_certificate": "a PDF certificate",
    "costs.receipt": "an uploaded PDF or image, sent as a download",
}
MAX_URLS_PER_RULE = 2  # e.g. two missions in different states, not every record
OVERFLOW = """() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")].filter(element => {
    const box = element.getBoundingClientRect();
    return box.right > width + 1 && !(element.parentElement.getBoundingClientRect().right > width + 1);
  });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width,
          wide: wide.slice(0, 4).map(e => e.tagName.toLowerCase()
            + (e.className ? "." + String(e.className).trim().split(/\\s+/).join(".") : "")
            + " " + Math.round(e.getBoundingClientRect().right) + "px")};
}"""


def complete_the_proposed_mission() -> Mission:
    """The demo's proposed (online) mission, accepted and run to its end: its report forms and
    its sessions' attendance become pages too. The app's clock moves past its end."""
    mission = db.session.scalar(sa.select(Mission).where(Mission.status == MissionStatus.PROPOSED))
    manager = db.session.scalar(sa.select(User).where(User.email == PEOPLE["manager"]))
    lifecycle.transition(db.session, mission, Action.ACCEPT, actor=mission.professional.user,
                         now=START)
    lifecycle.transition(db.session, mission, Action.CONFIRM, actor=manager, now=START)
    for item in mission.checklist:
        lifecycle.tick(db.session, mission, item.item, True, actor=manager, now=START)
    lifecycle.transition(db.session, mission, Action.READY, actor=manager, now=START)
    lifecycle.transition(db.session, mission, Action.START, actor=lifecycle.SCHEDULER,
                         now=mission.starts_at)
    lifecycle.transition(db.session, mission, Action.COMPLETE, actor=lifecycle.SCHEDULER,
                         now=mission.ends_at)
    return mission


def finished_import_job() -> int:
    """A facility import the demo manager ran, with a row problem: its job page."""
    manager = db.session.scalar(sa.select(User).where(User.email == PEOPLE["manager"]))
    job = Job(kind="facilities.import", status="done", started_by_id=manager.id,
              params={"country": "GH"}, input_name="ghana-organisation-units.json",
              progress_done=120, progress_total=120, created_at=START, finished_at=START,
              result={"counts": {"rows": 120, "inserted": 119, "invalid": 1},
                      "notes": ["unmapped ownership 'Syndicat': 3"],
                      "problems": [{"line": 7, "column": "name", "message": "Missing."}]})
    db.session.add(job)
    db.session.commit()
    return job.id


def people_import_job() -> int:
    """A spreadsheet of professionals the demo manager imported through its job: the job's
    page links to its held duplicates (issue 17)."""
    manager = db.session.scalar(sa.select(User).where(User.email == PEOPLE["manager"]))
    job = jobs.enqueue(db.session, "professionals.import", actor=manager, now=START,
                       params={"mapping": {"Name": "name", "Email": "email", "Cadre": "cadre",
                                           "Country": "country_of_residence"}, "locale": "en"},
                       input_name="people.csv",
                       input_data=b"Name,Email,Cadre,Country\nAma Phone,ama.phone@example.org,2221,GH\n")
    jobs.run_pending(db.session, clock=lambda: START)
    return job.id


def plan_job() -> int:
    """A plan the demo manager asked for, made by the job worker (issue 19)."""
    manager = db.session.scalar(sa.select(User).where(User.email == PEOPLE["manager"]))
    job, _ = plan_jobs.start(db.session, {"period_start": START.date(),
                                          "period_end": START.date() + timedelta(days=180)},
                             actor=manager, now=START)
    jobs.run_pending(db.session, clock=lambda: START)
    return job.id


def claim_token() -> str:
    """An imported person's invitation link, valid at the app's clock."""
    manager = db.session.scalar(sa.select(User).where(User.email == PEOPLE["manager"]))
    people_imports.import_people(
        db.session, b"Name,Email,Cadre,Country\nKwame Invited,kwame.invited@example.org,2211,GH\n",
        "people.csv", mapping={"Name": "name", "Email": "email", "Cadre": "cadre",
                               "Country": "country_of_residence"}, actor=manager, now=clock_now())
    invitation = db.session.scalar(sa.select(Invitation).join(User, User.id == Invitation.user_id)
                                   .where(User.email == "kwame.invited@example.org"))
    return invitations.make_token(invitation, now=clock_now())


def fills() -> dict[str, tuple]:
    """Argument name → the values to try, from the demo records."""
    person = db.session.scalar(sa.select(Professional).join(Professional.user)
                               .where(User.email == PEOPLE["professional"]))
    coordinator = db.session.scalar(sa.select(User).where(User.email == PEOPLE["coordinator"]))
    missions = db.session.scalars(sa.select(Mission.id).order_by(Mission.id)).all()
    return {
        "mission_id": tuple(missions),
        "session_id": tuple(db.session.scalars(sa.select(sa.func.min(MissionSession.id))
                                               .group_by(MissionSession.mission_id))),
        "need_id": tuple(db.session.scalars(sa.select(Need.id).order_by(Need.id))),
        "facility_id": tuple(facility.id for facility in coordinator.facilities),
        "professional_id": (person.id,),
        "user_id": (person.user_id,),
        "kind": ("licences", "qualifications", "windows"),
        "child_id": tuple(db.session.scalars(sa.select(Licence.id)
                                             .where(Licence.professional_id == person.id))),
        "months": (3, 6, 12),
        "side": ("professional", "host"),
        "plural": ("programmes", "organisations"),
        "record_id": (db.session.scalar(sa.select(sa.func.min(Programme.id))),
                      db.session.scalar(sa.select(sa.func.min(Organisation.id)))),
        "programme_id": (db.session.scalar(sa.select(sa.func.min(Programme.id))),),
        "line_id": tuple(db.session.scalars(sa.select(sa.func.min(CostLine.id))
                                            .group_by(CostLine.mission_id))),
        "job_id": (finished_import_job(), people_import_job(), plan_job()),
        "token": (claim_token(),),  # an imported person's claim link; feeds: in SKIPPED
        "file_format": (),
        **placement_fills(),
    }


def placement_fills() -> dict[str, tuple]:
    """Partners, health workers, offers and placements of the demo (issue 16)."""
    return {f"{name}_id": tuple(db.session.scalars(sa.select(model.id).order_by(model.id)))
            for name, model in (("partner", PartnerInstitution), ("partnership", Partnership),
                                ("worker", HostHealthWorker), ("offer", PlacementOffer),
                                ("placement", Placement))}


QUERIES = {  # endpoint → the query string its page needs (the shortlist's "Propose" link)
    "missions.propose": lambda: {"professional_id": db.session.scalar(
        sa.select(Professional.id).join(Professional.user).where(User.email == PEOPLE["professional"]))},
}


def candidate_urls(app) -> tuple[dict[str, list[str]], list[str]]:
    """Endpoint → URLs to try; and the rules that can be neither filled nor are skipped."""
    values = fills()
    urls: dict[str, list[str]] = {}
    unfillable = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/v1/"):
            continue  # the API is JSON for programs, tested by schemathesis
        if rule.endpoint in SKIPPED:
            continue
        needed = sorted(rule.arguments - set(rule.defaults or {}))
        if any(name not in values or not values[name] for name in needed):
            unfillable.append(f"{rule.rule} ({rule.endpoint}): no fill for "
                              f"{[n for n in needed if not values.get(n)]}")
            continue
        with app.test_request_context():
            for combination in itertools.product(*(values[name] for name in needed)):
                arguments = dict(zip(needed, combination))
                if rule.defaults:
                    arguments.update(rule.defaults)
                url = rule.build(arguments, append_unknown=False)[1]
                if rule.endpoint in QUERIES:
                    url += "?" + urlencode(QUERIES[rule.endpoint]())
                urls.setdefault(rule.endpoint, []).append(url)
    return urls, unfillable


def pages_for(app, email: str | None, urls: dict[str, list[str]], answered: set) -> list[str]:
    """The URLs that answer 200 with a page for this person (at most a few per rule)."""
    client = Browser(app.test_client())
    if email:
        client.login(db.session.scalar(sa.select(User).where(User.email == email)),
                     password=DEMO_PASSWORD)
    pages = []
    for endpoint, candidates in sorted(urls.items()):
        found = 0
        for url in candidates:
            response = client.get(url)
            if response.status_code != 200:
                continue
            answered.add(endpoint)
            if response.mimetype == "text/html" and found < MAX_URLS_PER_RULE:
                pages.append(url)
                found += 1
    return pages


@pytest.mark.own_app  # a live server in threads reads what the test committed
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_page_fits_a_phone_screen_for_every_role(app):
    load_demo_data(db.session, now=START, facilities_path=FIXTURE, professionals=25)
    completed = complete_the_proposed_mission()
    app.config["CLOCK"].set(completed.ends_at + timedelta(days=1))
    urls, unfillable = candidate_urls(app)
    assert unfillable == [], "rules to fill in FILLS or to list in SKIPPED with a reason"
    answered: set[str] = set()
    pages = {role: pages_for(app, email, urls, answered) for role, email in PEOPLE.items()}
    assert set(urls) - answered == set(), "filled rules that no role could open"

    folder = ARTIFACTS / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    too_wide, errors = [], []
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role, email in PEOPLE.items():
            context = chromium.new_context(viewport=PHONE, locale="en-GB",
                                           timezone_id="Africa/Accra")
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)
            if email:
                sign_in(page, server.url, email, DEMO_PASSWORD)
                menu = page.locator("#menu")  # folded behind its button on a phone
                expect(menu).to_be_hidden()
                page.click(".menu-button")
                expect(menu.locator(".mainnav a").first).to_be_visible()
                expect(page.locator(".menu-button")).to_have_attribute("aria-expanded", "true")
            for language in LANGUAGES:
                context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
                page.goto(server.url + "/")
                page.screenshot(path=str(folder / f"{role}-home-{language}.png"), full_page=True)
                for url in ["/"] + pages[role]:
                    if url != "/":
                        page.goto(server.url + url)
                    assert page.evaluate("document.documentElement.lang") == language, url
                    layout = page.evaluate(OVERFLOW)
                    if layout["scrollWidth"] > layout["innerWidth"]:
                        too_wide.append(f"{role} {language} {url}: {layout['scrollWidth']}px "
                                        f"{layout['wide']}")
            context.close()
        chromium.close()
    assert too_wide == [], "\n".join(too_wide)
    assert errors == [], f"browser console errors: {errors}"
