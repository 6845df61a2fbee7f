"""Bandwidth on a slow, paid connection: compressed responses, static files cached for a year."""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import pytest
from flask import url_for

from diaspora.config import PROJECT_ROOT
from diaspora.web import IMMUTABLE

STATIC = PROJECT_ROOT / "static"
GZIP = {"Accept-Encoding": "gzip"}


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_links(html: str) -> list[str]:
    return re.findall(r'href="(/static/[^"]+)"', html)


def test_register_page_is_gzipped_and_under_20_kb_on_the_wire(client):
    response = client.get("/register", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert len(response.data) < 20_000
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert "Create your account" in gzip.decompress(response.data).decode()


def test_pages_are_not_compressed_for_clients_that_do_not_ask(client):
    response = client.get("/register")
    assert "Content-Encoding" not in response.headers
    assert b"Create your account" in response.data


def test_json_is_compressed_and_tiny_responses_are_not(client):
    spec = client.get("/api/v1/openapi.json", headers=GZIP)
    assert spec.headers["Content-Encoding"] == "gzip"
    assert b'"openapi"' in gzip.decompress(spec.data)
    ping = client.get("/ping", headers=GZIP)  # "ok": below the 500-byte threshold
    assert "Content-Encoding" not in ping.headers and ping.data == b"ok"


def test_signed_in_pages_are_compressed(signed_in):
    browser = signed_in("manager")
    response = browser.get("/programmes", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"</html>" in gzip.decompress(response.data)


def test_static_files_are_compressed_for_gzip_only_clients(client):
    """Static files are sent as streams, which the library would not compress: read first."""
    response = client.get("/static/css/app.css", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data) == (STATIC / "css" / "app.css").read_bytes()


@pytest.mark.parametrize("filename", ["css/app.css", "favicon.svg"])
def test_pages_link_static_files_by_content_fingerprint(client, filename):
    links = static_links(client.get("/register").get_data(as_text=True))
    assert f"/static/{filename}?v={fingerprint(STATIC / filename)}" in links


@pytest.mark.parametrize("filename", ["css/app.css", "favicon.svg"])
def test_a_fingerprinted_static_file_is_cached_for_a_year(client, filename):
    current = client.get(f"/static/{filename}?v={fingerprint(STATIC / filename)}")
    assert current.status_code == 200
    assert current.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
    for stale in (f"/static/{filename}", f"/static/{filename}?v=0123456789ab"):
        response = client.get(stale)
        assert response.status_code == 200
        assert "immutable" not in response.headers["Cache-Control"]
        assert "no-cache" in response.headers["Cache-Control"]


def test_api_docs_assets_are_compressed(client):
    response = client.get("/api/docs/assets/swagger-ui.css", headers=GZIP)
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(response.data) < len(gzip.decompress(response.data)) / 3


def test_signed_in_people_get_static_files_cached_too(signed_in):
    """Pages of a signed-in person are ``no-store``; the stylesheet they link is not."""
    browser = signed_in("manager")
    page = browser.get("/programmes")
    assert page.headers["Cache-Control"] == "no-store"
    (stylesheet,) = [link for link in static_links(page.get_data(as_text=True)) if ".css" in link]
    assert browser.get(stylesheet).headers["Cache-Control"] == IMMUTABLE


def test_the_fingerprint_follows_the_content_and_is_absent_for_missing_files(app, tmp_path,
                                                                           monkeypatch):
    # the app is shared by the tests: its folder and fingerprints are put back afterwards
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    monkeypatch.setitem(app.extensions, "static_fingerprints", {})
    (tmp_path / "one.css").write_text("a { color: red; }")
    (tmp_path / "two.css").write_text("a { color: blue; }")
    with app.test_request_context():
        one = url_for("static", filename="one.css")
        two = url_for("static", filename="two.css")
        assert url_for("static", filename="absent.css") == "/static/absent.css"
        assert url_for("static", filename="../pyproject.toml") == "/static/../pyproject.toml"
    assert one == f"/static/one.css?v={fingerprint(tmp_path / 'one.css')}"
    assert two == f"/static/two.css?v={fingerprint(tmp_path / 'two.css')}"
    assert one.split("=")[1] != two.split("=")[1]
