"""axe-core on every main page, for every role, at phone and laptop size: no critical and no
serious violation.

axe-core comes from npm at build time (``make axe``, which ``make test`` runs, into the
git-ignored ``.axe/``). It is injected into every page of a Chromium context as an init
script (so the pages' Content-Security-Policy, which forbids inline scripts, stays on). The
pages are those of the phone-layout sweep (``tests/test_phone_layout.py``: every GET rule of
the URL map, filled from the demo data), one page per route and role, in one shared browser.
Every violation found is listed with its rule, impact, page and the first elements it names;
the full results go to ``artifacts/playwright/axe.json``.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from diaspora.auth.models import User
from diaspora.demo import load_demo_data
from diaspora.extensions import db
from diaspora.security import DEMO_PASSWORD
from missions.core.models import Mission
from missions.core.vocabulary import MissionStatus
from missions.notifications import answers

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in
from .conftest import START, Browser
from .test_phone_layout import FIXTURE, PEOPLE, candidate_urls, complete_the_proposed_mission

AXE = Path(__file__).resolve().parents[1] / ".axe" / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"phone": {"width": 360, "height": 740}, "laptop": {"width": 1366, "height": 768}}
BLOCKING = ("critical", "serious")
RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " + n.failureSummary.split("\\n")[1])
  }));
}"""


def one_page_per_route(app, email: str | None, urls: dict[str, list[str]]) -> list[str]:
    """For this person, the first URL of each rule that answers 200 with a page."""
    client = Browser(app.test_client())
    if email:
        client.login(db.session.scalar(sa.select(User).where(User.email == email)),
                     password=DEMO_PASSWORD)
    pages = []
    for _endpoint, candidates in sorted(urls.items()):
        for url in candidates:
            response = client.get(url)
            if response.status_code == 200 and response.mimetype == "text/html":
                pages.append(url)
                break
    return pages


@pytest.mark.own_app  # a live server in threads reads what the test committed
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_page_has_no_serious_accessibility_violation(app):
    assert AXE.exists(), "axe-core is installed by `make axe` (npm), which `make test` runs"
    load_demo_data(db.session, now=START, facilities_path=FIXTURE, professionals=25)
    proposed = db.session.scalar(sa.select(Mission).where(Mission.status == MissionStatus.PROPOSED))
    with app.test_request_context():   # the page a proposal e-mail's link opens
        answer_page = urlsplit(answers.answer_links(proposed, proposed.professional.user,
                                                    now=START)["decline"]).path
    completed = complete_the_proposed_mission()
    app.config["CLOCK"].set(completed.ends_at + timedelta(days=1))
    urls, _unfillable = candidate_urls(app)
    pages = {role: ["/"] + one_page_per_route(app, email, urls) for role, email in PEOPLE.items()}
    pages["visitor"].append(answer_page)   # the mission has moved on: the page says so

    found, report = [], []
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role, email in PEOPLE.items():
            context = chromium.new_context(locale="en-GB", timezone_id="Africa/Accra")
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            if email:
                sign_in(page, server.url, email, DEMO_PASSWORD)
            for url in pages[role]:
                page.goto(server.url + url)
                for size, viewport in SIZES.items():   # one load, laid out at both sizes
                    page.set_viewport_size(viewport)
                    violations = page.evaluate(RUN_AXE)
                    report.append({"role": role, "size": size, "url": url, "violations": violations})
                    found += [f"{v['impact']} {v['id']} ({role}, {size}, {url}): {v['help']}; "
                              f"{v['nodes']}" for v in violations if v["impact"] in BLOCKING]
            context.close()
        chromium.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe.json").write_text(json.dumps(report, indent=1))
    assert found == [], "\n".join(found)


def test_every_scrolling_table_can_be_reached_by_keyboard():
    """A table that scrolls in its own box takes the focus, so keyboard users can scroll it
    (axe: scrollable-region-focusable); a quick check of the templates beside the browser's."""
    templates = Path(__file__).resolve().parents[1] / "templates"
    unreachable = [f"{path.relative_to(templates)}:{number}"
                   for path in sorted(templates.rglob("*.html"))
                   for number, line in enumerate(path.read_text().splitlines(), start=1)
                   for tag in re.findall(r"<div[^>]*class=\"table-(?:wrap|scroll)[^>]*>", line)
                   if 'tabindex="0"' not in tag]
    assert unreachable == []
