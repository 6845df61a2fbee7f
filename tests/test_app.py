"""The factory, configuration guards, security headers and the error catalogue."""
import stat

import pytest
import sqlalchemy as sa

from diaspora import create_app


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "dev-only-not-secret",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize("key", ["x", "x" * 31, "é" * 15])
def test_production_refuses_a_secret_key_shorter_than_32_bytes(key):
    with pytest.raises(RuntimeError, match="at least 32 bytes"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": key, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_secret_key():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 32,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_makes_a_random_key_once_into_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    settings = {"ENV_NAME": "development", "SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(dict(settings))
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(bytes.fromhex(first.config["SECRET_KEY"])) == 32
    assert "dev-only" not in first.config["SECRET_KEY"]
    assert create_app(dict(settings)).config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert [path.name for path in key_file.parent.iterdir()] == ["secret_key"]  # no leftovers
    other = tmp_path / "elsewhere"
    monkeypatch.setenv("INSTANCE_PATH", str(other))
    assert create_app(dict(settings)).config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_production_refuses_to_load_demo_data(tmp_path):
    from flask_migrate import upgrade

    from diaspora.auth.models import User
    from diaspora.extensions import db

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 32,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite3'}"})
    with app.app_context():
        upgrade()
        result = app.test_cli_runner().invoke(args=["diaspora", "demo-data", "--professionals", "2"])
        assert result.exit_code != 0
        assert "never loaded in production" in result.output
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
        db.engine.dispose()


def test_health_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_security_headers_and_csp_without_inline_scripts(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)


def test_unknown_page_is_a_rendered_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "Page not found" in response.get_data(as_text=True)


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert response.json["status"] == "Not Found"


def test_the_icon_is_served_where_browsers_look_for_it(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<svg")


def test_api_docs_are_served_locally(client):
    page = client.get("/api/docs").get_data(as_text=True)
    assert "https://" not in page  # no CDN
    asset = client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/facilities" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize("language, word", [("fr", "Se connecter"), ("pt", "Entrar"), ("en", "Sign in")])
def test_pages_follow_the_browser_language(client, language, word):
    page = client.get("/login", headers={"Accept-Language": language}).get_data(as_text=True)
    assert f'lang="{language}"' in page
    assert word in page


def test_language_choice_is_remembered(client):
    client.get("/?lang=pt")
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'lang="pt"' in page


@pytest.mark.parametrize("language, shown", [("en", "1,960"), ("fr", "1\u202f960"),
                                             ("pt", "1.960")])
def test_figures_are_grouped_in_the_viewer_s_language(app, language, shown):
    from diaspora.i18n import figure

    with app.test_request_context(f"/?lang={language}"):
        assert figure(1960) == shown
        assert figure(2.345, 1) == {"en": "2.3", "fr": "2,3", "pt": "2,3"}[language]
        assert figure(None) == "—"


@pytest.mark.parametrize("language, netherlands, english", [
    ("en", "Netherlands", "English"), ("fr", "Pays-Bas", "Anglais"), ("pt", "Países Baixos", "Inglês")])
def test_country_and_language_names_in_the_viewer_s_language(app, language, netherlands, english):
    from diaspora import reference

    with app.test_request_context(f"/?lang={language}"):
        assert reference.country_name("NL") == netherlands
        assert reference.language_name("en") == english
        assert reference.language_name("tw") == "Twi"            # no local name: the ISO name
        names = list(reference.countries().values())
        assert names == sorted(names, key=reference._sort_key)  # accents do not send É to the end
    assert reference.country_name("NL") == "Netherlands"         # outside a request: English
