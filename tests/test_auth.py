"""Sign-up, sign-in (lockout, rate limit, CSRF), settings, password change, API tokens."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from diaspora.auth.models import ApiToken, User
from diaspora.extensions import db
from diaspora.professionals.models import Professional
from diaspora.security import verify_password

from .conftest import PASSWORD, stored_values

SIGNUP = {
    "role": "professional", "email": "Kofi.Boateng@Example.org", "password": "a-long-passphrase-2026",
    "timezone": "Europe/London", "given_name": "Kofi", "family_name": "Boateng", "cadre": "2221",
    "country_of_origin": "GH", "country_of_residence": "GB", "city_of_residence": "Manchester",
    "gender": "male", "offers_physical": "1", "offers_virtual": "1", "consent": "1",
}


def test_professional_signs_up_with_consent_and_lands_on_their_profile(browser, app):
    response = browser.post("/register", SIGNUP)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me")
    user = db.session.scalar(sa.select(User).where(User.email == "kofi.boateng@example.org"))
    assert user.role == "professional" and user.name == "Kofi Boateng"
    assert verify_password(user.password_hash, SIGNUP["password"])
    assert user.password_hash.startswith("$argon2")
    professional = db.session.scalar(sa.select(Professional).where(Professional.user_id == user.id))
    assert professional.consent_given and professional.consent_version == app.config["CONSENT_VERSION"]
    assert [c.given for c in professional.consent_history] == [True]
    assert round(professional.latitude, 1) == 53.5  # Manchester, from the offline gazetteer
    assert "Kofi Boateng" in browser.get("/me").get_data(as_text=True)


def test_signup_without_consent_is_refused_and_the_form_keeps_the_input(browser):
    response = browser.post("/register", {**SIGNUP, "consent": ""} | {"consent": None})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Registration needs your consent" in page
    assert 'value="Boateng"' in page
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_signup_reports_every_bad_field(browser):
    bad = {**SIGNUP, "email": "not-an-email", "password": "short", "cadre": "9999",
           "country_of_origin": "XX", "timezone": "Mars/Olympus"}
    response = browser.post("/register", bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for fragment in ("Not a valid email address", "at least 10 characters", "Choose one of",
                     "Unknown country code: XX", "Unknown time zone"):
        assert fragment in page, fragment
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_duplicate_email_is_a_clear_error(browser, make_user):
    make_user("coordinator", email="kofi.boateng@example.org")
    response = browser.post("/register", SIGNUP)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_coordinator_signs_up_and_waits_to_be_attached(browser):
    response = browser.post("/register", {"role": "coordinator", "email": "c@example.org",
                                          "password": "another-long-one-1", "name": "Esi Coordinator",
                                          "timezone": "Africa/Accra",
                                          "facility_requested": "Tamale Teaching Hospital"})
    assert response.status_code == 302
    page = browser.get("/facilities/mine").get_data(as_text=True)
    assert "not attached to a facility yet" in page


def test_nobody_can_sign_up_as_manager(browser):
    response = browser.post("/register", {**SIGNUP, "role": "manager"})
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_login_with_wrong_password_does_not_say_whether_the_account_exists(browser, make_user):
    make_user("manager", email="m@example.org")
    wrong_password = browser.post("/login", {"email": "m@example.org", "password": "nope-nope-nope"})
    unknown = browser.post("/login", {"email": "who@example.org", "password": "nope-nope-nope"})
    assert wrong_password.status_code == unknown.status_code == 422
    assert "E-mail or password is incorrect" in wrong_password.get_data(as_text=True)
    assert "E-mail or password is incorrect" in unknown.get_data(as_text=True)


def test_repeated_failures_slow_that_address_down_until_later(app, browser, make_user, clock):
    user = make_user("manager")
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    for _ in range(app.config["LOGIN_LOCKOUT_THRESHOLD"]):
        browser.post("/login", {"email": user.email, "password": "wrong-password!"})
    refused = browser.post("/login", {"email": user.email, "password": PASSWORD})
    assert refused.status_code == 422 and "too many attempts" in refused.get_data(as_text=True)
    clock.advance(seconds=app.config["LOGIN_BACKOFF_SECONDS"] + 1)
    assert browser.post("/login", {"email": user.email, "password": PASSWORD}).status_code == 302


def test_login_is_rate_limited(app, browser, make_user):
    user = make_user("manager")
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    statuses = [browser.post("/login", {"email": user.email, "password": "bad-password-x"}).status_code
                for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_forms_without_a_csrf_token_are_refused(client, make_user):
    user = make_user("manager")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_next_parameter_never_redirects_off_site(browser, make_user):
    user = make_user("manager")
    token = browser.csrf_token()
    response = browser.client.post("/login?next=https://evil.example/", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_pages_need_sign_in(client):
    response = client.get("/overview")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_signs_out_other_sessions(app, signed_in, make_user):
    user = make_user("manager")
    first, second = signed_in(user), signed_in(user)
    response = first.post("/account/password", {"current_password": PASSWORD,
                                                "new_password": "brand-new-passphrase"})
    assert response.status_code == 302
    assert first.get("/overview").status_code == 200
    assert second.get("/overview").status_code == 302  # sent back to sign in


def test_password_change_needs_the_current_password(signed_in):
    browser = signed_in("manager")
    response = browser.post("/account/password", {"current_password": "wrong-one-here",
                                                  "new_password": "brand-new-passphrase"})
    assert response.status_code == 422
    assert "not your current password" in response.get_data(as_text=True)


def test_settings_change_language_and_zone(signed_in):
    browser = signed_in("manager")
    response = browser.post("/account", {"name": "Renamed", "locale": "fr", "timezone": "Africa/Dakar"})
    assert response.status_code == 302
    user = db.session.get(User, browser.user.id)
    db.session.refresh(user)
    assert (user.name, user.locale, user.timezone) == ("Renamed", "fr", "Africa/Dakar")
    assert 'lang="fr"' in browser.get("/account").get_data(as_text=True)


def test_api_token_lifecycle(app, make_user):
    user = make_user("manager")
    client = app.test_client()
    created = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD,
                                                      "name": "laptop"})
    assert created.status_code == 201
    token = created.json["token"]
    assert token.startswith("dsr_")
    stored = db.session.scalar(sa.select(ApiToken))
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and stored.prefix == token[:10]
    assert not any(token in str(value) for value in stored_values(ApiToken))   # never the token itself
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=headers).json["email"] == user.email
    listed = client.get("/api/v1/auth/tokens", headers=headers).json
    assert [t["name"] for t in listed] == ["laptop"] and "token" not in listed[0]
    assert client.delete(f"/api/v1/auth/tokens/{listed[0]['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_api_token_expires(app, make_user, clock):
    user = make_user("manager")
    client = app.test_client()
    token = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": PASSWORD}).json["token"]
    clock.advance(days=app.config["API_TOKEN_TTL_DAYS"] + 1)
    assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_api_ignores_the_session_cookie(signed_in):
    browser = signed_in("manager")
    response = browser.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.json["code"] == 401


def test_api_token_with_bad_credentials(client, make_user):
    make_user("manager", email="m@example.org")
    response = client.post("/api/v1/auth/tokens", json={"email": "m@example.org", "password": "x" * 12})
    assert response.status_code == 401
    response = client.post("/api/v1/auth/tokens", json={"email": "m@example.org"})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["password"] == ["Missing data for required field."]


def test_tokens_are_managed_on_the_account_page(signed_in):
    browser = signed_in("coordinator")
    page = browser.post("/account/tokens", {"name": "sync script"}).get_data(as_text=True)
    assert "dsr_" in page and "shown only once" in page
    token = db.session.scalar(sa.select(ApiToken))
    response = browser.post(f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(token)
    assert token.revoked_at is not None


def test_a_user_cannot_revoke_someone_elses_token(signed_in, api_client, make_user):
    other = make_user("manager")
    api_client(other)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == other.id))
    browser = signed_in("manager")
    assert browser.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    db.session.refresh(token)
    assert token.revoked_at is None
