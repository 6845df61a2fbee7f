"""Each role's home at 360 px, with things waiting, in English, French and Portuguese: the
to-do list fits the screen, and a screenshot of each goes to ``artifacts/playwright/home/``
(``tests/test_phone_layout.py`` covers every other page)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from diaspora.auth.models import User
from diaspora.demo import load_demo_data
from diaspora.extensions import db
from diaspora.security import DEMO_PASSWORD

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in
from .conftest import START
from .test_phone_layout import FIXTURE, OVERFLOW, PEOPLE, PHONE

HOMES = {"professional": "/me", "coordinator": "/facilities/mine", "manager": "/overview"}
PROPOSAL_TO_ANSWER = "nana.osei.2@demo.example"   # the demo's online proposal (README)


@pytest.mark.own_app  # a live server in threads reads what the test committed
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_each_roles_home_lists_what_waits_and_fits_a_phone(app):
    load_demo_data(db.session, now=START, facilities_path=FIXTURE, professionals=25)
    people = {**{role: PEOPLE[role] for role in ("coordinator", "manager")},
              "professional": PROPOSAL_TO_ANSWER}
    assert db.session.scalar(sa.select(sa.func.count(User.id))
                             .where(User.email.in_(people.values()))) == 3
    folder = ARTIFACTS / "home"
    folder.mkdir(parents=True, exist_ok=True)
    too_wide, empty = [], []
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for role, email in people.items():
            context = chromium.new_context(viewport=PHONE, locale="en-GB",
                                           timezone_id="Africa/Accra")
            page = context.new_page()
            sign_in(page, server.url, email, DEMO_PASSWORD)
            for language in ("en", "fr", "pt"):
                page.goto(f"{server.url}{HOMES[role]}?lang={language}")
                if page.locator(".waiting ul.todo li").count() == 0:
                    empty.append(f"{role} {language}")
                layout = page.evaluate(OVERFLOW)
                if layout["scrollWidth"] > layout["innerWidth"]:
                    too_wide.append(f"{role} {language}: {layout}")
                page.screenshot(path=str(folder / f"{role}-{language}.png"), full_page=True)
            context.close()
        chromium.close()
    assert empty == [], "homes with nothing waiting in the demo"
    assert too_wide == []
