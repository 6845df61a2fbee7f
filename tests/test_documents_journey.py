"""The story of issue 18 in a real browser: a nurse uploads her licence, a manager verifies it
from the document, the readiness item ticks itself, the mission completes, she downloads her
certificate, and a third party checks it on the public page. Screenshots in
``artifacts/playwright/documents``."""
from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from pypdf import PdfReader

from diaspora.extensions import db
from missions.core import lifecycle
from missions.core.proposals import propose_mission

from .browser import CHROMIUM, CHROMIUM_ARGS, LiveServer, Steps, sign_in
from .conftest import START
from .test_documents import pdf


@pytest.mark.own_app   # the live server answers in threads of its own, on their own connections
def test_licence_to_checked_certificate_in_the_browser(app, make_user, make_professional,
                                                       make_need, clock, tmp_path):
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
    manager = make_user("manager", email="manager@example.org")
    nurse = make_professional(user=make_user("professional", email="abena@example.org"),
                              cadre="2221", given_name="Abena", family_name="Owusu-Ansah")
    need = make_need(cadre="2221", specialty=None)
    mission = lifecycle_mission(need, nurse, manager)
    scan = tmp_path / "nmc-licence.pdf"
    scan.write_bytes(pdf())
    steps = Steps("documents")
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        base = server.url

        def person():
            return chromium.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                                        accept_downloads=True).new_page()

        # 1. the nurse uploads her licence
        she = person()
        sign_in(she, base, "abena@example.org")
        she.goto(base + "/documents")
        she.select_option("#purpose", "licence")
        she.set_input_files("#file", str(scan))
        she.click("button:has-text('Upload')")
        expect(she.locator("table")).to_contain_text("nmc-licence.pdf")
        steps.shot(she, "nurse uploaded her licence")

        # 2. a manager opens it and verifies the licence from it
        boss = person()
        sign_in(boss, base, "manager@example.org")
        boss.goto(f"{base}/professionals/{nurse.id}/documents")
        with boss.expect_download() as opened:
            boss.click("a:has-text('nmc-licence.pdf')")
        assert opened.value.suggested_filename == "nmc-licence.pdf"
        boss.select_option("#document_id", index=1)
        boss.fill("#register", "Nursing and Midwifery Council of Ghana, online register")
        boss.click("button:has-text('Verify this licence')")
        expect(boss.locator(".flash.success")).to_contain_text("Verified against the document")
        steps.shot(boss, "manager verified the licence")

        # 3. the readiness item ticked itself; the rest by hand, then ready
        boss.goto(f"{base}/missions/{mission.id}")
        item = boss.locator("#checklist li", has_text="Licence verified")
        expect(item.locator(".pill.ok")).to_be_visible()
        expect(item.locator("button")).to_have_count(0)   # not ticked by hand
        while boss.locator("#checklist button:has-text('mark done')").count():
            boss.locator("#checklist button:has-text('mark done')").first.click()
        boss.click("button:has-text('Mark ready')")
        expect(boss.locator(".pill.status-ready").first).to_be_visible()
        steps.shot(boss, "mission ready")

        # 4. the mission runs and completes (the scheduler's work), she downloads her certificate
        db.session.expire_all()
        clock.set(mission.starts_at)
        lifecycle.transition(db.session, mission, "start", actor=lifecycle.SCHEDULER, now=clock())
        clock.set(mission.ends_at)
        lifecycle.transition(db.session, mission, "complete", actor=lifecycle.SCHEDULER, now=clock())
        she.goto(f"{base}/missions/{mission.id}")
        with she.expect_download() as got:
            she.click("a:has-text('Certificate (PDF)')")
        text = PdfReader(io.BytesIO(Path(got.value.path()).read_bytes())).pages[0].extract_text()
        assert "Abena Owusu-Ansah" in text
        code = re.search(r"([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})", text).group(1)

        # 5. a third party checks it, signed in as nobody
        anyone = person()
        anyone.goto(base + "/certificates/check")
        anyone.fill("#code", code)
        anyone.click("button:has-text('Check')")
        expect(anyone.locator("h2")).to_contain_text("genuine")
        expect(anyone.locator("dl")).to_contain_text("Abena Owusu-Ansah")
        expect(anyone.locator("body")).not_to_contain_text("abena@example.org")
        steps.shot(anyone, "third party checked the certificate")
        chromium.close()


def lifecycle_mission(need, nurse, manager):
    mission = propose_mission(db.session, need, nurse, {"kind": "physical",
                                                        "starts_on": date(2026, 4, 6)},
                              actor=manager, now=START)
    lifecycle.transition(db.session, mission, "accept", actor=nurse.user, now=START)
    lifecycle.transition(db.session, mission, "confirm", actor=manager, now=START)
    return mission
