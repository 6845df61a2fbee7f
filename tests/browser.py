"""Real-browser helpers: the app served on a loopback port, driven by Debian's Chromium.

The server runs in a thread of the test process, so the test can move the app's fake clock.
Screenshots of each step are written to ``artifacts/playwright/`` (kept by CI as artifacts).
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

from playwright.sync_api import expect
from werkzeug.serving import make_server

from .conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "playwright"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()


class Steps:
    """Numbered screenshots of a journey, and a check that pages never show an error."""

    def __init__(self, name: str):
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def shot(self, page, label: str) -> None:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{slug}.png"), full_page=True)


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person would."""
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("Welcome")
