"""Sessions end on the server: a cookie or token copied before sign-out, a password change,
a deactivation or an erasure no longer works when replayed afterwards."""
from __future__ import annotations

import sqlalchemy as sa

from diaspora.auth.models import ApiToken
from diaspora.extensions import db

from .conftest import PASSWORD, START, Browser


def captured(browser: Browser) -> dict[str, str]:
    """The cookies a thief could copy out of this browser now."""
    cookies = {}
    for name in ("session", "remember_token"):
        cookie = browser.client.get_cookie(name)
        if cookie is not None:
            cookies[name] = cookie.value
    return cookies


def replay(app, cookies: dict[str, str]):
    """A fresh client presenting copied cookies; the page it gets for /account."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client.get("/account")


def is_signed_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def signed_in_with_token(app, make_user, api_client, *, remember: bool = False):
    """A user with a browser session (optionally 'remember me') and an API token."""
    user = make_user("professional")
    browser = Browser(app.test_client())
    browser.post("/login", {"email": user.email, "password": PASSWORD,
                            **({"remember": "1"} if remember else {})})
    browser._token = None  # signing in renewed the session and its CSRF token
    client, headers = api_client(user)
    assert browser.get("/account").status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    return user, browser, client, headers


def test_a_cookie_and_a_token_copied_before_sign_out_are_refused_afterwards(app, make_user, api_client):
    user, browser, client, headers = signed_in_with_token(app, make_user, api_client, remember=True)
    stolen = captured(browser)
    assert set(stolen) == {"session", "remember_token"}
    assert replay(app, stolen).status_code == 200  # the copy works while the owner is signed in
    elsewhere = Browser(app.test_client())
    elsewhere.login(user)

    response = browser.post("/logout")
    assert response.status_code == 302
    assert "signed out on every device" in browser.get("/").get_data(as_text=True)
    assert is_signed_out(replay(app, stolen))
    assert is_signed_out(replay(app, {"remember_token": stolen["remember_token"]}))
    assert is_signed_out(elsewhere.get("/account"))
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    assert Browser(app.test_client()).login(user).status_code == 302  # signing in again works


def test_password_change_keeps_this_browser_and_ends_every_other_session_and_token(
        app, make_user, api_client):
    user, browser, client, headers = signed_in_with_token(app, make_user, api_client, remember=True)
    stolen = captured(browser)
    response = browser.post("/account/password", {"current_password": PASSWORD,
                                                  "new_password": "brand-new-passphrase"})
    assert response.status_code == 302
    page = browser.get("/account").get_data(as_text=True)
    assert "other sessions were signed out and your API tokens revoked" in page
    assert browser.get("/account").status_code == 200
    assert is_signed_out(replay(app, stolen))
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    tokens = db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert tokens and all(token.revoked_at is not None for token in tokens)


def test_erasure_ends_every_session_and_token(app, make_user, make_professional, api_client):
    user, browser, client, headers = signed_in_with_token(app, make_user, api_client)
    make_professional(user=user)
    other_client, other_headers = api_client(user)
    stolen = captured(browser)
    response = client.post("/api/v1/users/me/erase", headers=headers, json={"password": PASSWORD})
    assert response.status_code == 204
    assert is_signed_out(replay(app, stolen))
    assert is_signed_out(browser.get("/account"))
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    assert other_client.get("/api/v1/users/me", headers=other_headers).status_code == 401


def test_deactivation_by_an_admin_ends_every_session_and_token(app, make_user, api_client):
    user, browser, client, headers = signed_in_with_token(app, make_user, api_client)
    stolen = captured(browser)
    admin = Browser(app.test_client())
    admin.login(make_user("admin"))
    # an unticked checkbox is absent from the form: active becomes false
    assert admin.post(f"/users/{user.id}", {"name": user.name, "timezone": "UTC"}).status_code == 302
    db.session.refresh(user)
    assert not user.active
    assert is_signed_out(replay(app, stolen))
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_signing_out_without_a_session_changes_nothing(app, make_user, api_client):
    user = make_user("manager")
    client, headers = api_client(user)
    anonymous = Browser(app.test_client())
    assert anonymous.post("/logout").status_code == 302
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    db.session.refresh(user)
    assert user.session_version == 1 and user.created_at == START
