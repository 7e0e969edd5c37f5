"""Server-side sessions: a new session id at sign-in, real revocation at sign-out (a copied
cookie stops working), idle and absolute timeouts, and sessions ended by a password change
or a disabled account."""
from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from extensions import db
from models import User, UserSession
from models._base import utcnow
from services import accounts
from tests.conftest import DEFAULT_PASSWORD, login, make_user, post

COOKIE = "tasharuk_session"
NEW_PASSWORD = "olive-lantern-river-42"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=12)
TOUCH = timedelta(seconds=60)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture()
def client(isolated_client):
    # Each request in its own app context: no current_user cached from one request to the next.
    return isolated_client


class Clock:
    """Time travel for services.accounts (sessions are opened, checked and closed there)."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture()
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(accounts, "utcnow", clock)
    return clock


def sid(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("sid")


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def records(user_id: int) -> list[UserSession]:
    db.session.rollback()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)))


# --- sign-in gives a new session --------------------------------------------------------------

def test_session_id_changes_at_every_sign_in(client, commune):
    user = make_user(commune)
    assert sid(client) is None
    login(client, user)
    first = sid(client)
    login(client, user)
    second = sid(client)
    assert first and second and first != second
    # the session this browser had before is ended server-side, not left open
    first_record, second_record = records(user.id)
    assert first_record.revoked_at is not None and second_record.revoked_at is None


def test_nothing_planted_before_sign_in_survives_it(client, commune):
    """Session fixation: whatever the cookie held before sign-in is dropped."""
    user = make_user(commune)
    with client.session_transaction() as session:
        session["sid"] = "attacker-chosen-token"
        session["planted"] = "x"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["sid"] != "attacker-chosen-token"


def test_the_token_is_stored_only_as_a_digest(client, commune):
    user = make_user(commune)
    login(client, user)
    token = sid(client)
    (record,) = records(user.id)
    assert len(token) >= 43  # 256 random bits, url-safe base64
    assert record.token_hash != token and len(record.token_hash) == 64
    assert token not in record.token_hash


def test_session_cookie_flags(client, commune):
    response = login(client, make_user(commune))
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_signing_in_again_as_someone_else_ends_the_first_session(client, commune):
    first, second = make_user(commune), make_user(commune)
    login(client, first)
    login(client, second)
    assert [r.revoked_at is not None for r in records(first.id)] == [True]
    assert [r.revoked_at is None for r in records(second.id)] == [True]


# --- sign-out revokes -------------------------------------------------------------------------

def test_cookie_replayed_after_logout_is_refused(client, commune):
    user = make_user(commune)
    login(client, user)
    assert signed_in(client)
    copied = client.get_cookie(COOKIE).value
    assert post(client, "/logout", {}).status_code == 303
    client.set_cookie(COOKIE, copied)  # put the old cookie back, as a thief would
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_cookie_copied_to_another_browser_stops_working_after_logout(app, client, commune):
    user = make_user(commune)
    login(client, user)
    thief = type(client)(app, app.response_class, use_cookies=True)
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    assert signed_in(thief)  # a stolen cookie works until the owner signs out...
    post(client, "/logout", {})
    assert not signed_in(thief)  # ...and not after


def test_logout_only_ends_this_session(app, client, commune):
    user = make_user(commune)
    other_device = type(client)(app, app.response_class, use_cookies=True)
    login(client, user)
    login(other_device, user)
    post(client, "/logout", {})
    assert not signed_in(client)
    assert signed_in(other_device)


# --- timeouts ---------------------------------------------------------------------------------

def test_idle_timeout(client, commune, clock):
    login(client, make_user(commune))
    clock.advance(minutes=29)
    assert signed_in(client)
    clock.advance(minutes=29)  # 29 minutes after the last request: still fine
    assert signed_in(client)
    clock.advance(minutes=30, seconds=1)
    assert not signed_in(client)


def test_idle_timeout_right_after_sign_in(client, commune, clock):
    login(client, make_user(commune))
    clock.advance(minutes=31)
    assert not signed_in(client)


def test_reading_pages_keeps_the_session_alive(client, commune, clock):
    """GET requests never commit: the activity must still be recorded."""
    user = make_user(commune)
    login(client, user)
    for _ in range(4):
        clock.advance(minutes=20)
        assert client.get("/tetouan/").status_code == 200
        assert signed_in(client)
    (record,) = records(user.id)
    assert record.last_seen_at == clock.now


def test_absolute_timeout_even_when_active(client, commune, clock):
    login(client, make_user(commune))
    for _ in range(36):  # a request every 20 minutes for 12 hours
        clock.advance(minutes=20)
        assert signed_in(client)
    clock.advance(seconds=1)  # 12 h + 1 s after sign-in
    assert not signed_in(client)


def test_signed_in_person_session_rules(commune):
    user = make_user(commune)
    token = accounts.open_session(user)
    db.session.commit()
    (record,) = records(user.id)
    start = record.created_at
    check = dict(idle=IDLE, absolute=ABSOLUTE, touch_every=TOUCH)
    assert accounts.signed_in_person(token, user.id, now=start, **check) is not None
    assert accounts.signed_in_person(token, user.id + 1, now=start, **check) is None  # someone else's id
    assert accounts.signed_in_person("forged", user.id, now=start, **check) is None
    assert accounts.signed_in_person(None, user.id, now=start, **check) is None
    assert accounts.signed_in_person(token, user.id, now=start + IDLE + timedelta(seconds=1), **check) is None
    assert accounts.signed_in_person(token, user.id, now=start + ABSOLUTE + timedelta(seconds=1), **check) is None
    assert accounts.signed_in_person(token, user.id, now=start + IDLE, **check) is not None  # touches
    later = start + IDLE + timedelta(minutes=29)
    assert accounts.signed_in_person(token, user.id, now=later, **check) is not None
    accounts.close_session(token)
    assert accounts.signed_in_person(token, user.id, now=start, **check) is None


def test_signed_in_person_touches_the_session_at_most_once_a_minute(commune):
    user = make_user(commune)
    token = accounts.open_session(user)
    db.session.commit()
    (record,) = records(user.id)
    start = record.created_at
    check = dict(idle=IDLE, absolute=ABSOLUTE, touch_every=TOUCH)
    accounts.signed_in_person(token, user.id, now=start + timedelta(seconds=30), **check)
    assert records(user.id)[0].last_seen_at == start
    accounts.signed_in_person(token, user.id, now=start + timedelta(seconds=90), **check)
    db.session.commit()
    assert records(user.id)[0].last_seen_at == start + timedelta(seconds=90)


# --- password change and disabled accounts ----------------------------------------------------

def test_password_change_ends_the_other_sessions(app, client, commune):
    user = make_user(commune)
    phone, laptop = client, type(client)(app, app.response_class, use_cookies=True)
    login(phone, user)
    login(laptop, user)
    kept = sid(phone)
    response = post(phone, "/account/password", {"current_password": DEFAULT_PASSWORD,
                                                  "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert signed_in(phone) and sid(phone) == kept
    assert not signed_in(laptop)


def test_refused_password_change_ends_nothing(app, client, commune):
    user = make_user(commune)
    laptop = type(client)(app, app.response_class, use_cookies=True)
    login(client, user)
    login(laptop, user)
    response = post(client, "/account/password", {"current_password": "wrong-wrong-wrong",
                                                   "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert signed_in(laptop)


def test_disabled_account_cannot_use_its_session(client, commune):
    user = make_user(commune)
    login(client, user)
    assert signed_in(client)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert not signed_in(client)


def test_deleted_account_cannot_use_its_session(client, commune):
    user = make_user(commune)
    login(client, user)
    db.session.get(User, user.id).deleted_at = utcnow()
    db.session.commit()
    assert not signed_in(client)


def test_close_all_sessions_ends_every_session_of_one_person(app, client, commune):
    user, other = make_user(commune), make_user(commune)
    second = type(client)(app, app.response_class, use_cookies=True)
    bystander = type(client)(app, app.response_class, use_cookies=True)
    login(client, user)
    login(second, user)
    login(bystander, other)
    accounts.close_all_sessions(user.id)
    db.session.commit()
    assert not signed_in(client) and not signed_in(second)
    assert signed_in(bystander)
