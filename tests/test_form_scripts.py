"""The form scripts in a real browser: the need form shows the fields of the mode chosen, a
half-typed need survives a closed tab as a draft, and a blank time-zone picker gets the
browser's zone. Static files only (the Content-Security-Policy allows no inline script)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from diaspora.extensions import db

from .browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in
from .conftest import PASSWORD


@pytest.mark.own_app  # the live server's threads read what the test committed
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_need_form_modes_drafts_and_the_time_zone_guess(app, make_user, make_facility):
    coordinator = make_user("coordinator")
    facility = make_facility()
    facility.coordinators.append(coordinator)
    db.session.commit()
    errors: list[str] = []
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 360, "height": 740},
                                       timezone_id="America/Toronto", locale="en-GB")
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        page.goto(server.url + "/register")
        expect(page.locator("#timezone")).to_have_value("America/Toronto")
        expect(page.locator("#timezone-guessed")).to_be_visible()

        sign_in(page, server.url, coordinator.email, PASSWORD)
        page.goto(server.url + "/needs/new")
        days, weeks = page.locator("#duration_days"), page.locator("#weeks")
        expect(days).to_be_visible()
        expect(weeks).to_be_visible()           # no mode chosen yet: every field
        page.select_option("#mode", "virtual")
        expect(days).to_be_hidden()
        expect(weeks).to_be_visible()
        page.select_option("#mode", "physical")
        expect(days).to_be_visible()
        expect(weeks).to_be_hidden()

        page.fill("#title", "Neonatal resuscitation refresher")
        page.fill("#duration_days", "10")
        page.close()                            # the tab is lost before sending
        page = context.new_page()
        page.goto(server.url + "/needs/new")
        expect(page.locator("#title")).to_have_value("Neonatal resuscitation refresher")
        expect(page.locator("#duration_days")).to_have_value("10")
        expect(page.locator("#mode")).to_have_value("physical")
        expect(page.locator(".draft-note")).to_be_visible()
        expect(page.locator("#weeks")).to_be_hidden()
        context.close()
        chromium.close()
    assert errors == []
