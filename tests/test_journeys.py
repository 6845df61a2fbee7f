"""End-to-end journeys in a real browser (Playwright + Debian Chromium at /usr/bin/chromium).

One journey per role hand-off, as people would click: a professional registers and gives
availability; a coordinator files a need; a manager approves it, opens the shortlist and
proposes; the professional accepts; the mission gets ready, runs and ends; both sides file their
outcome reports; the dashboard counts it. Screenshots of every step land in
``artifacts/playwright/``.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect, sync_playwright

from diaspora.extensions import db

from .browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, Steps, sign_in


@pytest.fixture
def browser(app):
    """``(server_url, new_page)``: each call opens a page in a fresh context (one person)."""
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        contexts, errors = [], []

        def new_page():
            context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                           locale="en-GB", timezone_id="Europe/London")
            contexts.append(context)
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text)
                    if message.type == "error" else None)
            return page

        yield server.url, new_page
        for context in contexts:
            context.close()
        chromium.close()
        assert errors == [], f"browser console errors: {errors}"


def register_professional(page, base: str, steps: Steps) -> None:
    page.goto(base + "/register")
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
    steps.shot(page, "professional registers")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Efua Ansah")
    page.click("a[href$='/me/licences/new']")
    page.select_option("#country", "GH")
    page.fill("#authority", "Nursing and Midwifery Council of Ghana")
    page.fill("#number", "NMC-2231")
    page.fill("#valid_from", "2025-01-01")
    page.fill("#valid_until", "2028-12-31")
    page.click("button:has-text('Save')")
    page.click("a[href$='/me/windows/new']")
    page.fill("#starts_on", "2026-05-01")
    page.fill("#ends_on", "2026-07-31")
    page.select_option("#mode", "either")
    page.fill("#hours_per_week", "4")
    page.click("button:has-text('Save')")
    expect(page.locator("#windows")).to_contain_text("available")
    steps.shot(page, "profile with licence and availability")


def file_need(page, base: str, facility, steps: Steps) -> None:
    page.goto(base + "/needs/new")
    page.select_option("#facility_id", str(facility.id))
    page.fill("#title", "Postpartum haemorrhage drills for midwives")
    page.select_option("#cadre", "2222")
    page.select_option("#purpose", "training_of_trainers")
    page.select_option("#priority", "1")
    page.select_option("#languages", ["en"])
    page.select_option("#mode", "physical")
    page.fill("#earliest_start", "2026-05-01")
    page.fill("#latest_end", "2026-07-31")
    page.fill("#duration_days", "14")
    page.fill("#counterparts-0-name", "Akosua Boateng")
    page.select_option("#counterparts-0-cadre", "3222")
    steps.shot(page, "coordinator files a need")
    page.click("button[value=submit]")
    expect(page.locator(".pill.status-submitted").first).to_be_visible()


def approve_and_propose(page, base: str, steps: Steps) -> None:
    page.goto(base + "/needs")
    page.click("text=Postpartum haemorrhage drills for midwives")
    page.click("button:has-text('Approve')")
    expect(page.locator(".pill.status-approved").first).to_be_visible()
    page.click("text=Find professionals")
    expect(page.locator("table")).to_contain_text("Efua Ansah")
    steps.shot(page, "manager sees the explained shortlist")
    page.click("button:has-text('Propose a mission')")
    expect(page.locator("h1")).to_have_text("Propose a mission")
    page.click("button:has-text('Preview the dates')")
    expect(page.locator(".preview")).to_contain_text("The proposal books these days")
    page.click("button:has-text('Send the proposal')")
    expect(page.locator(".pill.status-proposed").first).to_be_visible()
    steps.shot(page, "mission proposed")


def mission_path(page) -> str:
    return page.url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.own_app   # the live server answers in threads of its own, on their own connections
def test_from_registration_to_the_dashboard(app, browser, make_user, make_facility, clock):
    base, new_page = browser
    steps = Steps("full-journey")
    facility = make_facility(name="Bolgatanga Regional Hospital", admin1="Upper East",
                             latitude=10.79, longitude=-0.85)
    coordinator = make_user("coordinator", email="coordinator@example.org", name="Esi Coordinator")
    facility.coordinators.append(coordinator)
    make_user("manager", email="manager@example.org", name="Abena Manager")
    db.session.commit()

    professional = new_page()
    register_professional(professional, base, steps)

    host = new_page()
    sign_in(host, base, "coordinator@example.org")
    file_need(host, base, facility, steps)

    manager = new_page()
    sign_in(manager, base, "manager@example.org")
    approve_and_propose(manager, base, steps)
    mission = "/" + mission_path(manager)

    professional.goto(base + "/missions")
    professional.click("text=Postpartum haemorrhage drills for midwives")
    professional.click("button:has-text('Accept')")
    expect(professional.locator(".pill.status-accepted").first).to_be_visible()
    steps.shot(professional, "professional accepts")

    manager.goto(base + mission)
    manager.click("button:has-text('Confirm')")
    for _ in range(6):  # every readiness item
        manager.click("button:has-text('mark done') >> nth=0")
    manager.click("button:has-text('Mark ready')")
    expect(manager.locator(".pill.status-ready").first).to_be_visible()
    steps.shot(manager, "mission ready")
    host.goto(base + mission)
    host.click("button:has-text('Show contact')")  # once confirmed, read one at a time (audited)
    expect(host.locator("#contact")).to_contain_text("efua.ansah@example.org")

    clock.set(datetime(2026, 5, 2, 8, 0, tzinfo=UTC))  # the first day, host time
    manager.reload()
    manager.click("button:has-text('Start')")
    expect(manager.locator(".pill.status-in_progress").first).to_be_visible()  # before reloading
    clock.set(datetime(2026, 5, 16, 8, 0, tzinfo=UTC))
    manager.reload()
    manager.click("button:has-text('Complete')")
    expect(manager.locator(".pill.status-completed").first).to_be_visible()
    steps.shot(manager, "mission completed")

    for page, side, rating in ((professional, "professional", "5"), (host, "host", "4")):
        page.goto(base + f"{mission}/outcomes/{side}")
        page.fill("#trained_total", "9")
        page.select_option("#trainees-0-cadre", "2222")
        page.select_option("#trainees-0-gender", "female")
        page.fill("#trainees-0-count", "7")
        page.select_option("#trainees-1-cadre", "3222")
        page.select_option("#trainees-1-gender", "male")
        page.fill("#trainees-1-count", "2")
        page.fill("#sessions_held", "10")
        page.fill("#hours", "30")
        page.fill("#tested_count", "9")
        page.fill("#pre_score", "52")
        page.fill("#post_score", "78")
        page.select_option("#rating", rating)
        steps.shot(page, f"{side} files the outcome report")
        page.click("button[type=submit]")
        expect(page.locator(".flash.success")).to_be_visible()

    manager.goto(base + mission)
    expect(manager.locator(".pill.status-reported").first).to_be_visible()
    manager.goto(base + "/dashboard")
    trained = manager.locator(".indicators", has_text="people trained").first
    expect(trained).to_contain_text("9")
    steps.shot(manager, "dashboard counts the mission")
