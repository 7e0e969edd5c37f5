"""Several app servers (issue 5 "Several servers"): nothing a second server needs is kept in one
process's memory. Two apps built by create_app() on the same database stand for two gunicorn
workers or machines behind a load balancer: whichever one a request reaches, the person's session,
CSRF token, pending second factor, used TOTP codes and sign-out are the same.

What is deliberately per process, and why that is safe: the common-password list and the dummy
hash (read-only, rebuilt identically); rate-limit counters only without REDIS_URL (with it they
live in Redis: tests for that are the reliability helper's).
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from app import create_app
from config import TestingConfig
from extensions import db
from tests.conftest import (DEFAULT_PASSWORD, _database_url, _OwnContextClient, csrf_token, fresh_totp_code, login,
                            make_user, post)

COOKIE = "tasharuk_session"


@pytest.fixture(scope="module")
def second_server(_app):
    other = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": _database_url()})
    assert other is not _app
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def browser_b(app, second_server):
    """A browser whose requests reach the second server (cookies copied in by the test)."""
    client = _OwnContextClient(second_server, second_server.response_class, use_cookies=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _move_cookies(source, target) -> None:
    """The load balancer sends the same browser's next request to the other server."""
    for name in (COOKIE, "tasharuk_lang"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def test_a_session_opened_on_one_server_works_on_the_other_and_ends_on_both(client, browser_b, commune):
    user = make_user(commune)
    login(client, user)  # server A
    token = csrf_token(client)  # a page of A (its form token is tied to the cookie session)
    _move_cookies(client, browser_b)
    assert _signed_in(browser_b)  # server B knows the session (it is in the database)
    # the form token A gave is valid on B
    response = browser_b.post("/me/notifications/read", data={"csrf_token": token})
    assert response.status_code in (200, 303)
    # signing out on B ends the session for A too, even with the cookie A still holds
    assert post(browser_b, "/logout", {}).status_code == 303
    assert not _signed_in(client)
    assert not _signed_in(browser_b)


def test_revoking_every_session_on_one_server_reaches_the_other(client, browser_b, commune):
    from services import accounts

    user = make_user(commune)
    login(client, user)
    _move_cookies(client, browser_b)
    assert _signed_in(browser_b)
    accounts.close_all_sessions(user.id)  # e.g. a password change handled by another worker
    db.session.commit()
    assert not _signed_in(client) and not _signed_in(browser_b)


def test_password_on_one_server_code_on_the_other_and_no_code_replay_across_them(client, browser_b, commune):
    admin = make_user(commune, ("admin",))
    response = post(client, "/login", {"identifier": admin.email, "password": DEFAULT_PASSWORD})
    setup = urlsplit(response.headers["Location"]).path
    assert setup == "/login/second-factor/setup"
    _move_cookies(client, browser_b)
    page = browser_b.get(setup).get_data(as_text=True)  # B sees the pending sign-in of A
    secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    code = fresh_totp_code(admin.id, secret)
    assert post(browser_b, setup, {"code": code}).status_code == 303
    assert browser_b.get("/tetouan/admin").status_code == 200
    # the same code, replayed on server A in another browser, is refused: the last step is in the database
    response = post(client, "/login", {"identifier": admin.email, "password": DEFAULT_PASSWORD})
    assert urlsplit(response.headers["Location"]).path == "/login/second-factor"
    response = post(client, "/login/second-factor", {"code": code})
    assert response.status_code == 400
    assert client.get("/tetouan/admin").status_code != 200


def test_the_language_choice_follows_the_browser_to_any_server(client, browser_b, commune):
    post(client, "/lang", {"lang": "fr", "next": "/tetouan/"})
    _move_cookies(client, browser_b)
    assert '<html lang="fr"' in browser_b.get("/tetouan/").get_data(as_text=True)


def test_the_user_loader_reads_the_serving_apps_settings(app, client, browser_b, second_server, commune, monkeypatch):
    """Flask-Login's loader is one per process: it must use the config of the app that serves the
    request, not of the last app built (here the second server has a zero idle timeout)."""
    from datetime import timedelta

    user = make_user(commune)
    login(client, user)
    _move_cookies(client, browser_b)
    monkeypatch.setitem(second_server.config, "SESSION_IDLE_TIMEOUT", timedelta(seconds=-1))
    assert not _signed_in(browser_b)  # expired by B's rule...
    assert _signed_in(client)  # ...still valid by A's
