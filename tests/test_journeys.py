"""End-to-end journeys in a real browser (Playwright + Debian Chromium)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from .browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, Steps


@pytest.fixture
def browser_page(app):
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" else None)
        page.base = server.url
        yield page
        context.close()
        browser.close()
        assert errors == [], f"browser console errors: {errors}"


def test_a_professional_registers_and_sets_availability(browser_page):
    page, steps = browser_page, Steps("professional-registers")
    page.goto(page.base + "/register")
    page.fill("#email", "efua.ansah@example.org")
    page.fill("#password", "a-long-passphrase-2026")
    page.select_option("#timezone", "Europe/London")
    page.fill("#given_name", "Efua")
    page.fill("#family_name", "Ansah")
    page.select_option("#cadre", "2222")
    page.select_option("#country_of_origin", "GH")
    page.select_option("#country_of_residence", "GB")
    page.fill("#city_of_residence", "Leeds")
    page.check("#consent")
    steps.shot(page, "registration form")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Efua Ansah")
    steps.shot(page, "profile")
    page.click("a[href$='/me/windows/new']")
    page.fill("#starts_on", "2026-05-01")
    page.fill("#ends_on", "2026-06-30")
    page.select_option("#mode", "either")
    page.fill("#hours_per_week", "4")
    page.click("button:has-text('Save')")
    expect(page.locator("#windows")).to_contain_text("available")
    steps.shot(page, "availability saved")
