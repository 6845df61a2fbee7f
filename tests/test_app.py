"""The factory, configuration guards, security headers and the error catalogue."""
import pytest

from diaspora import create_app


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "dev-only-not-secret",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_secret_key():
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


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
