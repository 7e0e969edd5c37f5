"""Password reset by e-mail (services/password_reset.py, blueprints/auth): 256-bit links stored as
hashes only, single use, one hour, older links voided; the same answer for every address; rate
limits; every session ended; the second factor still asked; CSRF; a refused password keeps the link;
two posts at once: one wins; the e-mails really delivered (local SMTP server) in the person's
language, whatever their e-mail choices; retention and personal data."""
from __future__ import annotations

import base64
import hashlib
import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, MailDigest, PasswordResetToken, User, UserSession
from models._base import utcnow
from services import accounts, audit, mailer, password_reset, personal_data, retention
from tests.conftest import DEFAULT_PASSWORD, csrf_token, login, make_user, post
from tests.test_mail import BASE_URL, smtp, smtp_server  # noqa: F401  (fixtures: a real local SMTP server)

FORGOT = "/password/forgot"
NEW_PASSWORD = "olive-lantern-river-42"
OTHER_PASSWORD = "cedar-harbour-violin-77"
LINK = re.compile(re.escape(BASE_URL) + r"(/password/reset/([A-Za-z0-9_-]+))")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture()
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(password_reset, "utcnow", clock)
    return clock


def url(token: str) -> str:
    return f"/password/reset/{token}"


def new_token(user) -> str:
    token = password_reset.issue(user)
    db.session.commit()
    return token


def tokens(user_id: int) -> list[PasswordResetToken]:
    db.session.rollback()
    return list(db.session.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user_id)
                                   .order_by(PasswordResetToken.id)))


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def password_is(user_id: int, password: str) -> bool:
    db.session.rollback()
    return accounts.verify_password(db.session.get(User, user_id), password)


def choose(client, token, password=NEW_PASSWORD, confirm=None, **kwargs):
    return post(client, url(token), {"new_password": password, "confirm": confirm or password}, **kwargs)


def queued(kind: str | None = None) -> list[MailDigest]:
    db.session.rollback()
    query = select(MailDigest).where(MailDigest.kind.is_not(None)).order_by(MailDigest.id)
    if kind:
        query = query.where(MailDigest.kind == kind)
    return list(db.session.scalars(query))


# --- the token --------------------------------------------------------------------------------

def test_a_link_holds_256_random_bits_and_only_its_hash_is_stored(commune):
    user = make_user(commune)
    first, second = new_token(user), new_token(user)
    assert first != second
    for token in (first, second):
        assert len(token) == 43 and len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits ≥ 128
    rows = tokens(user.id)
    assert [r.token_hash for r in rows] == [hashlib.sha256(t.encode()).hexdigest() for t in (first, second)]
    for row in rows:
        assert first not in (row.token_hash, str(row.id)) and second not in row.token_hash
        assert row.expires_at - row.created_at == timedelta(hours=1)


def test_a_new_link_voids_the_earlier_unused_ones(client, commune):
    user = make_user(commune)
    older, newer = new_token(user), new_token(user)
    assert client.get(url(older)).status_code == 400
    assert client.get(url(newer)).status_code == 200
    first, second = tokens(user.id)
    assert first.used_at is not None and second.used_at is None


def test_the_link_works_for_one_hour(client, commune, clock):
    user = make_user(commune)
    token = new_token(user)
    clock.advance(minutes=59, seconds=59)
    assert client.get(url(token)).status_code == 200
    clock.advance(seconds=1)  # exactly one hour
    response = client.get(url(token))
    assert response.status_code == 400 and "This link is no longer valid" in response.get_data(as_text=True)
    response = choose(client, token)
    assert response.status_code == 400 and password_is(user.id, DEFAULT_PASSWORD)


def test_unknown_malformed_and_disabled_links_get_the_same_page(client, commune):
    user = make_user(commune)
    token = new_token(user)
    pages = [client.get(url(bad)) for bad in ("not-a-valid-token", "x" * 200, token[:-1])]
    user.active = False  # an account disabled after the e-mail went out
    db.session.commit()
    pages.append(client.get(url(token)))
    for page in pages:
        body = page.get_data(as_text=True)
        assert page.status_code == 400 and "<h1>This link is no longer valid</h1>" in body
        assert f'href="{FORGOT}"' in body  # ask again
        assert page.headers["Referrer-Policy"] == "no-referrer" and "no-store" in page.headers["Cache-Control"]


# --- asking for a link: one answer for every address -------------------------------------------

def _normalised(response, typed: str = "") -> tuple[int, str | None, str]:
    """Status, redirect and body, with the session's CSRF token (and the text typed, kept in the
    field when refused) blanked out."""
    body = re.sub(r'(name="csrf-token" content=|name="csrf_token" type="hidden" value=)"[^"]+"', r'\1"…"',
                  response.get_data(as_text=True))
    if typed:
        body = body.replace(f'value="{typed}"', 'value="…"')
    return response.status_code, response.headers.get("Location"), body


def test_the_answer_is_the_same_whether_or_not_an_account_exists(app, client, commune, monkeypatch):
    make_user(commune, email="known@example.test")
    disabled = make_user(commune, email="disabled@example.test")
    disabled.active = False
    gone = make_user(commune, email="gone@example.test")
    personal_data.erase(gone)
    make_user(commune, phone="+212600000011")
    db.session.commit()
    hashing = []
    monkeypatch.setattr(accounts, "hash_password", lambda p: hashing.append(p))
    monkeypatch.setattr(accounts, "verify_password", lambda u, p: hashing.append(p))
    for htmx in (False, True):
        answers = {address: _normalised(post(client, FORGOT, {"email": address}, htmx=htmx))
                   for address in ("known@example.test", "KNOWN@example.test ", "nobody@example.test",
                                   "disabled@example.test", "gone@example.test")}
        first = answers["known@example.test"]
        assert first[0] == 200 and "we are sending it a link" in first[2]
        assert ("<h1>" in first[2]) == (not htmx)
        assert all(answer == first for answer in answers.values()), answers.keys()
        # A phone number: the same message next to the field, whether an account has it or not.
        phones = [_normalised(post(client, FORGOT, {"email": phone}, htmx=htmx), phone)
                  for phone in ("0600000011", "0600000099")]
        assert phones[0] == phones[1] and phones[0][0] == 400 and "sent by e-mail only" in phones[0][2]
    assert hashing == []  # no password hashing on any branch
    [row] = queued()  # only the account that can sign in gets an e-mail (asked 4 times: one waits)
    assert row.kind == "password_reset" and db.session.get(User, row.user_id).email == "known@example.test"
    assert tokens(row.user_id) == []  # the token is made when the e-mail is written, not before


def test_bad_input_and_csrf(client, commune):
    for data, message in [({"email": ""}, "Enter your e-mail address."),
                          ({"email": "not an address"}, "Enter a valid e-mail address."),
                          ({"email": "a@" + "b" * 300 + ".test"}, "Use at most 254 characters.")]:
        response = post(client, FORGOT, data)
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and message in body and 'aria-invalid="true"' in body
    assert post(client, FORGOT, {"email": "known@example.test"}, token=False).status_code == 400
    assert queued() == []


def test_the_sign_in_page_links_to_it(client, commune):
    for htmx in (False, True):
        body = client.get("/login", headers={"HX-Request": "true"} if htmx else {}).get_data(as_text=True)
        assert f'href="{FORGOT}"' in body and "Forgot your password?" in body
    page = client.get(FORGOT)
    assert page.status_code == 200 and "<h1>Forgot your password?</h1>" in page.get_data(as_text=True)


def test_asking_is_limited_per_address_and_per_ip(client, commune):
    for _ in range(5):
        assert post(client, FORGOT, {"email": "target@example.test"}).status_code == 200
    response = post(client, FORGOT, {"email": "Target@Example.test"})  # the same address, typed differently
    assert response.status_code == 429 and "Too many attempts" in response.get_data(as_text=True)
    assert post(client, FORGOT, {"email": "target@example.test"}, htmx=True).status_code == 429
    # Other addresses from this IP: 20 answered requests an hour in all, then 429.
    statuses = [post(client, FORGOT, {"email": f"p{i}@example.test"}).status_code for i in range(20)]
    assert statuses == [200] * 15 + [429] * 5


# --- the e-mails --------------------------------------------------------------------------------

def test_the_whole_journey_with_a_real_mail_server(app, client, smtp, commune):  # noqa: F811
    user = make_user(commune, email="salma@example.test", name="Salma")
    user.locale = "fr"
    db.session.commit()
    response = post(client, FORGOT, {"email": "salma@example.test"})
    assert response.status_code == 200
    assert smtp.sessions == 0 and smtp.messages == []  # the page never talks to the mail server
    result = mailer.send_pending()  # the sender's next pass; no opt-in, no digest window needed
    assert result.sent == 1
    [message] = smtp.to("salma@example.test")
    assert message["Content-Language"] == "fr" and message["Auto-Submitted"] == "auto-generated"
    assert "List-Unsubscribe" not in message
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Bonjour Salma," in text and 'lang="fr"' in html
    path, token = LINK.search(text).groups()
    assert f'href="{BASE_URL}{path}"' in html
    [row] = tokens(user.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert mailer.send_pending().sent == 0  # sent once

    page = client.get(urlsplit(path).path)
    assert page.status_code == 200 and "<h1>Choose a new password</h1>" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer" and page.headers["Cache-Control"] == "no-store"
    response = choose(client, token)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Your password is changed" in client.get("/login").get_data(as_text=True)
    assert password_is(user.id, NEW_PASSWORD) and not password_is(user.id, DEFAULT_PASSWORD)
    assert tokens(user.id)[0].used_at is not None
    login(client, user, NEW_PASSWORD)
    assert signed_in(client)
    # The notice that the password changed, also delivered.
    assert mailer.send_pending().sent == 1
    [_, notice] = smtp.to("salma@example.test")
    assert "lien de réinitialisation" in notice.get_body(preferencelist=("plain",)).get_content()  # in her language
    assert notice["Content-Language"] == "fr"


def test_the_e_mail_is_in_arabic_for_someone_without_a_language(smtp, commune):  # noqa: F811
    user = make_user(commune, email="youssef@example.test", name="Youssef")
    password_reset.request_reset("youssef@example.test")
    db.session.commit()
    assert mailer.send_pending().sent == 1
    [message] = smtp.to("youssef@example.test")
    assert message["Content-Language"] == "ar"
    assert "مرحبًا Youssef" in message.get_body(preferencelist=("plain",)).get_content()
    assert 'dir="rtl"' in message.get_body(preferencelist=("html",)).get_content()
    assert len(tokens(user.id)) == 1


def test_a_reset_e_mail_the_server_could_not_send_in_time_is_not_sent_late(app, smtp, commune, monkeypatch):  # noqa: F811
    make_user(commune, email="late@example.test")
    password_reset.request_reset("late@example.test")
    db.session.commit()
    working = app.config["MAIL_PORT"]
    from tests.test_mail import _closed_port

    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    now = utcnow()
    assert mailer.send_pending(now=now).retry == 1
    monkeypatch.setitem(app.config, "MAIL_PORT", working)
    assert mailer.send_pending(now=now + timedelta(minutes=61)).cancelled == 1
    assert smtp.messages == [] and [d.status for d in queued()] == ["cancelled"]


def test_a_disabled_account_gets_no_e_mail_even_if_queued_before(smtp, commune):  # noqa: F811
    user = make_user(commune, email="soon-disabled@example.test")
    password_reset.request_reset("soon-disabled@example.test")
    user.active = False
    db.session.commit()
    assert mailer.send_pending().cancelled == 1 and smtp.messages == [] and tokens(user.id) == []


# --- choosing the new password ------------------------------------------------------------------

def test_a_link_works_once(client, commune):
    user = make_user(commune)
    token = new_token(user)
    assert choose(client, token).status_code == 303
    response = choose(client, token, OTHER_PASSWORD)
    assert response.status_code == 400 and "no longer valid" in response.get_data(as_text=True)
    assert client.get(url(token)).status_code == 400
    assert password_is(user.id, NEW_PASSWORD)


def test_a_refused_password_keeps_the_link_usable(client, commune):
    user = make_user(commune, name="Nadia Bennani", email="nadia@example.test")
    token = new_token(user)
    for password, confirm, message in [
        ("short-pw", None, "Use at least 12 characters."),
        ("password1234", None, "This password is too common."),
        ("nadia-bennani-2026", None, "must not contain your name"),
        (NEW_PASSWORD, OTHER_PASSWORD, "The two passwords are not the same."),
        ("", None, "Choose a password."),
    ]:
        response = choose(client, token, password, confirm)
        body = response.get_data(as_text=True)
        assert response.status_code == 400 and message in body, message
        assert password not in body or not password  # never shown again
    response = choose(client, token, "short-pw", htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "<h1" not in body and "Use at least 12 characters." in body
    assert tokens(user.id)[0].used_at is None and password_is(user.id, DEFAULT_PASSWORD)
    response = choose(client, token, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/login"
    assert password_is(user.id, NEW_PASSWORD)


def test_staff_need_the_longer_password(client, commune):
    moderator = make_user(commune, ("moderator",))
    token = new_token(moderator)
    assert "At least 15 characters" in client.get(url(token)).get_data(as_text=True)
    response = choose(client, token, "olive-lantern1")  # 14 characters
    assert response.status_code == 400 and "Use at least 15 characters." in response.get_data(as_text=True)


def test_without_csrf_token_nothing_changes(client, commune):
    user = make_user(commune)
    token = new_token(user)
    response = post(client, url(token), {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, token=False)
    assert response.status_code == 400 and password_is(user.id, DEFAULT_PASSWORD)
    assert tokens(user.id)[0].used_at is None


def test_every_session_ends_and_a_copied_cookie_stops_working(app, client, commune):
    user = make_user(commune)
    other = make_user(commune)
    login(client, user)
    phone = type(client)(app, app.response_class, use_cookies=True)
    login(phone, user)
    bystander = type(client)(app, app.response_class, use_cookies=True)
    login(bystander, other)
    copied = client.get_cookie("tasharuk_session").value
    token = new_token(user)
    stranger = type(client)(app, app.response_class, use_cookies=True)
    assert choose(stranger, token).status_code == 303
    assert not signed_in(client) and not signed_in(phone)
    replay = type(client)(app, app.response_class, use_cookies=True)
    replay.set_cookie("tasharuk_session", copied)
    assert not signed_in(replay)
    assert signed_in(bystander)  # someone else's session is not touched
    db.session.rollback()
    assert db.session.scalar(select(func.count(UserSession.id)).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))) == 0


def test_the_browser_that_resets_is_signed_out_too(client, commune):
    user = make_user(commune)
    login(client, user)
    token = new_token(user)
    assert choose(client, token).status_code == 303
    assert not signed_in(client)


def test_a_committee_member_still_gives_a_code_after_a_reset(client, commune):
    member = make_user(commune, ("committee",))
    login(client, member)  # sets the second factor up
    post(client, "/logout", {})
    token = new_token(member)
    assert choose(client, token, "olive-lantern-river-harbour").status_code == 303
    response = post(client, "/login", {"identifier": member.email, "password": "olive-lantern-river-harbour"})
    assert response.status_code == 303 and response.headers["Location"] == "/login/second-factor"
    assert not signed_in(client)
    db.session.rollback()
    assert db.session.get(User, member.id).totp_secret  # untouched


def test_the_reset_is_audited_by_account_number_only(client, commune):
    user = make_user(commune, email="audited@example.test")
    token = new_token(user)
    assert choose(client, token).status_code == 303
    db.session.rollback()
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.password_reset")).all()
    assert entry.target_id == user.id and entry.actor_id is None and "audited" not in entry.details
    assert audit.verify().ok


def test_two_posts_at_once_only_one_wins(app, commune):
    user = make_user(commune)
    token = new_token(user)
    clients = [app.test_client() for _ in range(2)]
    tokens_ = []
    for c in clients:
        c.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        tokens_.append(csrf_token(c, url(token)))
    db.session.commit()
    barrier = threading.Barrier(2)
    statuses, errors = [], []

    def submit(c, csrf, password):
        try:
            barrier.wait(timeout=10)
            response = c.post(url(token), data={"csrf_token": csrf, "new_password": password, "confirm": password})
            statuses.append((response.status_code, password))
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(c, t, p))
               for c, t, p in zip(clients, tokens_, (NEW_PASSWORD, OTHER_PASSWORD))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sorted(s for s, _ in statuses) == [303, 400]
    winner = next(p for s, p in statuses if s == 303)
    assert password_is(user.id, winner)
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "account.password_reset")) == 1
    assert len(queued("password_changed")) == 1


# --- retention and personal data ------------------------------------------------------------------

def test_used_and_expired_links_are_purged_after_seven_days(commune):
    user = make_user(commune)
    now = utcnow()
    rows = {
        "used long ago": PasswordResetToken(user_id=user.id, token_hash="a" * 64, created_at=now - timedelta(days=9),
                                            expires_at=now - timedelta(days=9, hours=-1),
                                            used_at=now - timedelta(days=8)),
        "expired long ago": PasswordResetToken(user_id=user.id, token_hash="b" * 64,
                                               created_at=now - timedelta(days=8),
                                               expires_at=now - timedelta(days=7, hours=23)),
        "used yesterday": PasswordResetToken(user_id=user.id, token_hash="c" * 64, created_at=now - timedelta(days=1),
                                             expires_at=now - timedelta(hours=23), used_at=now - timedelta(days=1)),
        "live": PasswordResetToken(user_id=user.id, token_hash="d" * 64, created_at=now,
                                   expires_at=now + timedelta(hours=1)),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    results = {r.kind.code: r.count for r in retention.apply(now=now, dry_run=True)}
    assert results["password_resets"] == 2
    results = {r.kind.code: r.count for r in retention.apply(now=now)}
    db.session.commit()
    assert results["password_resets"] == 2
    assert sorted(r.token_hash[0] for r in tokens(user.id)) == ["c", "d"]
    assert {r.kind.code: r.count for r in retention.apply(now=now)}["password_resets"] == 0


def test_the_privacy_page_lists_them(client, commune):
    body = client.get("/tetouan/privacy").get_data(as_text=True)
    assert "Password reset links, once used or expired" in body and "7 days" in body
    assert "a fingerprint of the link" in body


def test_links_are_exported_and_deleted_with_the_account(commune):
    user = make_user(commune)
    new_token(user)
    [exported] = personal_data.export(user)["reset_links"]
    assert exported["used_at"] is None and exported["expires_at"]
    assert "token" not in str(exported)
    personal_data.erase(user)
    db.session.commit()
    assert tokens(user.id) == []
