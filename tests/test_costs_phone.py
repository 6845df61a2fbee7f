"""The money pages at phone size (360 × 740) on the demo data, in English and French: nothing
wider than the screen. (The whole app's pages are checked by tests/test_phone_layout.py.)"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import sync_playwright

from diaspora.demo import load_demo_data
from diaspora.extensions import db
from diaspora.programmes.models import Programme
from diaspora.security import DEMO_PASSWORD
from missions.core.models import Mission
from missions.costs.models import BudgetLine, CostLine, ResultTarget

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, LiveServer, sign_in
from .conftest import START
from .test_phone_layout import FIXTURE, OVERFLOW, PHONE


@pytest.mark.own_app  # a live server in threads reads what the test committed
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_demo_money_and_its_pages_fit_a_phone(app):
    load_demo_data(db.session, now=START, facilities_path=FIXTURE, professionals=25)
    stages = dict(db.session.execute(sa.select(CostLine.stage, sa.func.count())
                                     .group_by(CostLine.stage)).all())
    assert set(stages) == {"estimated", "committed", "actual"}   # the story at every stage
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetLine)) == 20
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResultTarget)) == 12
    programme = db.session.scalar(sa.select(Programme.id))
    line = db.session.scalar(sa.select(CostLine).where(CostLine.stage == "actual"))
    closed = db.session.get(Mission, line.mission_id)
    pages = {"manager@demo.example": [
        "/money", "/money/rates", "/money/exchange-rates", f"/programmes/{programme}/budget",
        f"/programmes/{programme}/results?year=2026&quarter=0", f"/missions/{closed.id}/costs",
        f"/missions/{closed.id}/costs/{line.id}", f"/dashboard?programme_id={programme}"],
        closed.professional.user.email: [f"/missions/{closed.id}"]}
    too_wide = []
    folder = ARTIFACTS / "phone"
    folder.mkdir(parents=True, exist_ok=True)
    with LiveServer(app) as server, sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for email, urls in pages.items():
            context = chromium.new_context(viewport=PHONE, locale="en-GB",
                                           timezone_id="Africa/Accra")
            page = context.new_page()
            sign_in(page, server.url, email, DEMO_PASSWORD)
            for language in ("en", "fr"):
                context.add_cookies([{"name": "lang", "value": language, "url": server.url}])
                for url in urls:
                    response = page.goto(server.url + url)
                    assert response.status == 200, url
                    layout = page.evaluate(OVERFLOW)
                    if layout["scrollWidth"] > layout["innerWidth"]:
                        too_wide.append(f"{language} {url}: {layout['scrollWidth']}px "
                                        f"{layout['wide']}")
                    if language == "en" and "/budget" in url:
                        page.screenshot(path=str(folder / "money-budget-en.png"), full_page=True)
            context.close()
        chromium.close()
    assert too_wide == [], "\n".join(too_wide)
