"""The staff second factor (TOTP, SECURITY.md §2 and §4): committee members and admins set it
up at their first sign-in and enter a code at every sign-in; codes are single-use; wrong codes
are limited like passwords; a session opened without it steps up before any committee or
admin action; the account page turns it off only with a current code and the password."""
from __future__ import annotations

import re
import time
import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from extensions import db
from models import AuditEntry, Membership, User, UserSession
from services import accounts, totp
from services.errors import ServiceError
from tests.conftest import DEFAULT_PASSWORD, TOTP_SECRET_SHOWN, login, make_user, post

INVALID = "That code is not valid. Enter the current 6-digit code from your app."
SETUP = "/login/second-factor/setup"
CODE = "/login/second-factor"
STEP_UP = "/account/second-factor"
RESET = "/account/second-factor/reset"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


class Clock:
    """Time travel for services.totp (codes and the 5-minute pending sign-in)."""

    def __init__(self):
        self.now = float((int(time.time()) // 30) * 30 + 10)  # 10 s into a step: never at an edge

    def __call__(self):
        return self.now

    def advance(self, seconds: float):
        self.now += seconds

    @property
    def step(self) -> int:
        return int(self.now // 30)


@pytest.fixture()
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(totp, "clock", clock)
    return clock


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).generate_otp(step)


def fresh(user_id: int) -> User:
    db.session.rollback()  # read what the requests committed
    return db.session.get(User, user_id)


def sessions_of(user_id: int) -> list[UserSession]:
    db.session.rollback()
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)))


def password_step(client, user, **kwargs):
    return post(client, "/login", {"identifier": user.email, "password": DEFAULT_PASSWORD}, **kwargs)


def shown_secret(html: str) -> str:
    match = TOTP_SECRET_SHOWN.search(html)
    assert match, html[:2000]
    return match.group(1).replace(" ", "")


def field_error(html: str, field: str = "code") -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    return False


def set_up(client, user, clock) -> str:
    """First sign-in with the set-up; returns the secret."""
    assert password_step(client, user).headers["Location"] == SETUP
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    assert post(client, SETUP, {"code": code_at(secret, clock.step)}).status_code == 303
    return secret


def with_secret(user, secret: str, last_step: int | None = None) -> None:
    row = db.session.get(User, user.id)
    row.totp_secret, row.totp_last_step = secret, last_step
    db.session.commit()


# --- the service ------------------------------------------------------------------------------

def test_who_needs_a_second_factor(commune):
    assert totp.required(make_user(commune, ("admin",)))
    assert totp.required(make_user(commune, ("resident", "committee")))
    assert not totp.required(make_user(commune, ("resident", "association")))
    assert not totp.required(make_user(commune, ("moderator",)))
    assert not totp.required(None)


def test_secret_uri_and_qr_code():
    secret = totp.new_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)  # 160 bits
    assert totp.new_secret() != secret
    assert totp.grouped("ABCDEFGHIJKLMNOP") == "ABCD EFGH IJKL MNOP"
    uri = totp.provisioning_uri(secret, "amina@example.com")
    assert uri.startswith("otpauth://totp/Tasharuk:amina%40example.com?")
    assert f"secret={secret}" in uri and "issuer=Tasharuk" in uri
    svg = str(totp.qr_svg(uri, "QR <code> & key"))
    assert svg.startswith('<svg role="img" ') and "<title>QR &lt;code&gt; &amp; key</title>" in svg
    assert "<style" not in svg and "style=" not in svg and "<script" not in svg


def test_a_code_is_accepted_once_within_the_window(commune):
    user = make_user(commune, ("admin",))
    secret = totp.new_secret()
    with_secret(user, secret)
    now = 1_800_000_010.0
    step = int(now // 30)
    assert not totp.verify(user, code_at(secret, step - 2), now=now)  # outside the window
    assert not totp.verify(user, "000000" if code_at(secret, step) != "000000" else "111111", now=now)
    assert totp.verify(user, code_at(secret, step), now=now)
    assert user.totp_last_step == step
    assert not totp.verify(user, code_at(secret, step), now=now)  # the same code again
    assert not totp.verify(user, code_at(secret, step - 1), now=now)  # an older step, still in the window
    assert totp.verify(user, code_at(secret, step + 1), now=now)  # the next step: the phone runs fast
    assert not totp.verify(user, code_at(secret, step + 1), now=now + 30)
    db.session.commit()
    assert fresh(user.id).totp_last_step == step + 1


def test_codes_typed_with_spaces_or_arabic_digits(commune):
    user = make_user(commune, ("admin",))
    secret = totp.new_secret()
    with_secret(user, secret)
    now = 1_800_000_010.0
    code = code_at(secret, int(now // 30))
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert totp.is_well_formed(f"{code[:3]} {code[3:]}") and totp.is_well_formed(arabic)
    assert not totp.is_well_formed("12345") and not totp.is_well_formed("12a456")
    assert totp.verify(user, arabic, now=now)


def test_enable_never_replaces_a_secret(commune):
    user = make_user(commune, ("committee",))
    first, second = totp.new_secret(), totp.new_secret()
    now = 1_800_000_010.0
    step = int(now // 30)
    assert not totp.enable(user, first, code_at(second, step), now=now)  # a code for another secret
    assert user.totp_secret is None
    assert totp.enable(user, first, code_at(first, step), now=now)
    assert not totp.enable(user, second, code_at(second, step + 1), now=now)
    db.session.commit()
    stored = fresh(user.id)
    assert stored.totp_secret == first and stored.totp_last_step == step


def test_reset_needs_the_password_and_a_current_code(commune):
    user = make_user(commune, ("admin",))
    secret = totp.new_secret()
    with_secret(user, secret)
    now = 1_800_000_010.0
    step = int(now // 30)
    with pytest.raises(ServiceError) as info:
        totp.reset(user, code=code_at(secret, step), password="wrong-wrong-wrong", session=None, now=now)
    assert info.value.field == "password"
    assert user.totp_last_step is None  # the code was not used up by a refused reset
    with pytest.raises(totp.InvalidCode):
        totp.reset(user, code=code_at(secret, step - 3), password=DEFAULT_PASSWORD, session=None, now=now)
    assert user.totp_secret == secret
    totp.reset(user, code=code_at(secret, step), password=DEFAULT_PASSWORD, session=None, now=now)
    db.session.commit()
    assert fresh(user.id).totp_secret is None
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "account.second_factor_reset" and entry.actor_id == entry.target_id == user.id


# --- first sign-in: the set-up ----------------------------------------------------------------

def test_first_sign_in_of_an_admin_sets_the_second_factor_up(client, commune, clock):
    user = make_user(commune, ("admin",), email="admin@example.com")
    response = password_step(client, user)
    assert response.status_code == 303 and response.headers["Location"] == SETUP
    assert not signed_in(client)  # the password alone signs nobody in
    page = client.get(SETUP)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<h1") == 1
    secret = shown_secret(html)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert re.search(r'id="totp-secret"[^>]*>([A-Z2-7]{4} ){7}[A-Z2-7]{4}<', html)  # grouped in fours
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title>" in svg and "style" not in svg
    assert "What is an authenticator app?" in html and "Tasharuk" in html and "admin@example.com" in html
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert shown_secret(client.get(SETUP).get_data(as_text=True)) == secret  # the same one until confirmed
    assert fresh(user.id).totp_secret is None  # shown, not stored

    wrong = post(client, SETUP, {"code": code_at(secret, clock.step - 5)})
    assert wrong.status_code == 400
    assert field_error(wrong.get_data(as_text=True)) == INVALID
    assert shown_secret(wrong.get_data(as_text=True)) == secret
    assert fresh(user.id).totp_secret is None and not signed_in(client)

    right = post(client, SETUP, {"code": code_at(secret, clock.step)})
    assert right.status_code == 303 and right.headers["Location"] == "/tetouan/"
    assert signed_in(client)
    stored = fresh(user.id)
    assert stored.totp_secret == secret and stored.totp_last_step == clock.step
    (record,) = sessions_of(user.id)
    assert record.second_factor_ok and record.revoked_at is None
    with client.session_transaction() as session:
        assert "totp_setup" not in session and "second_factor_pending" not in session
    account = client.get("/account").get_data(as_text=True)
    assert "Second factor: on" in account


def test_set_up_code_form_refuses_what_is_not_six_digits(client, commune, clock):
    user = make_user(commune, ("committee",))
    password_step(client, user)
    client.get(SETUP)
    for typed, message in [("", "Enter the 6-digit code"), ("12345", "Enter the 6 digits"),
                           ("abcdef", "Enter the 6 digits"), ("1" * 40, "Enter the 6 digits")]:
        response = post(client, SETUP, {"code": typed})
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in (field_error(html) or ""), typed
        assert 'aria-describedby="code-hint code-error"' in html and 'aria-invalid="true"' in html
        assert typed == "" or f'value="{typed}"' in html  # the typed text is kept
    assert fresh(user.id).totp_secret is None


def test_set_up_is_not_offered_to_someone_who_has_a_secret(client, commune, clock):
    """Knowing the password must not be enough to replace the second factor."""
    user = make_user(commune, ("admin",))
    secret = totp.new_secret()
    with_secret(user, secret)
    assert password_step(client, user).headers["Location"] == CODE
    response = client.get(SETUP)
    assert response.status_code == 303 and response.headers["Location"] == CODE
    attacker_secret = totp.new_secret()
    with client.session_transaction() as session:
        session["totp_setup"] = {"user_id": user.id, "secret": attacker_secret}
    response = post(client, SETUP, {"code": code_at(attacker_secret, clock.step)})
    assert response.status_code == 303 and response.headers["Location"] == CODE
    assert fresh(user.id).totp_secret == secret


# --- later sign-ins: the code -----------------------------------------------------------------

def test_next_sign_in_asks_the_code_and_codes_are_single_use(client, commune, clock):
    user = make_user(commune, ("admin",))
    secret = set_up(client, user, clock)
    used = clock.step
    post(client, "/logout", {})

    response = password_step(client, user)
    assert response.headers["Location"] == CODE
    page = client.get(CODE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Enter your code" in html and "totp-secret" not in html
    replay = post(client, CODE, {"code": code_at(secret, used)})  # the same step, still in its 30 s
    assert replay.status_code == 400 and field_error(replay.get_data(as_text=True)) == INVALID
    assert not signed_in(client)

    clock.advance(30)
    old = post(client, CODE, {"code": code_at(secret, used)})  # an older step, inside the window
    assert old.status_code == 400 and field_error(old.get_data(as_text=True)) == INVALID
    expired = post(client, CODE, {"code": code_at(secret, clock.step - 2)})
    assert expired.status_code == 400 and field_error(expired.get_data(as_text=True)) == INVALID
    assert replay.get_data(as_text=True).count(INVALID) == expired.get_data(as_text=True).count(INVALID) == 1

    good = post(client, CODE, {"code": code_at(secret, clock.step)})
    assert good.status_code == 303 and good.headers["Location"] == "/tetouan/"
    assert signed_in(client) and fresh(user.id).totp_last_step == clock.step
    assert sessions_of(user.id)[-1].second_factor_ok


def test_the_next_page_survives_the_second_factor(client, commune, clock):
    user = make_user(commune, ("admin",))
    with_secret(user, secret := totp.new_secret())
    response = post(client, "/login", {"identifier": user.email, "password": DEFAULT_PASSWORD,
                                       "next": "/tetouan/admin"})
    assert response.headers["Location"] == CODE
    done = post(client, CODE, {"code": code_at(secret, clock.step)})
    assert done.headers["Location"] == "/tetouan/admin"
    assert client.get("/tetouan/admin").status_code == 200


def test_sixth_wrong_code_is_refused_like_a_sixth_wrong_password(client, commune, clock):
    user = make_user(commune, ("admin",))
    bystander = make_user(commune, ("committee",))
    secret = totp.new_secret()
    with_secret(user, secret)
    with_secret(bystander, secret_b := totp.new_secret())
    password_step(client, user)
    wrong = code_at(secret, clock.step - 5)
    for _ in range(5):
        assert post(client, CODE, {"code": wrong}).status_code == 400
    blocked = post(client, CODE, {"code": code_at(secret, clock.step)})  # even the right code
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    assert password_step(client, user).status_code == 429  # the same per-account limit
    assert fresh(user.id).totp_last_step is None
    other = type(client)(client.application, client.application.response_class, use_cookies=True)
    assert password_step(other, bystander).headers["Location"] == CODE
    assert post(other, CODE, {"code": code_at(secret_b, clock.step)}).status_code == 303


def test_form_typos_do_not_count_against_the_limit(client, commune, clock):
    user = make_user(commune, ("admin",))
    with_secret(user, secret := totp.new_secret())
    password_step(client, user)
    for _ in range(6):
        assert post(client, CODE, {"code": "12"}).status_code == 400
    assert post(client, CODE, {"code": code_at(secret, clock.step)}).status_code == 303


def test_residents_and_moderators_sign_in_without_a_second_factor(client, commune, clock):
    for roles in (("resident",), ("resident", "association"), ("moderator",)):
        user = make_user(commune, roles)
        response = password_step(client, user)
        assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"
        assert signed_in(client)
        assert not sessions_of(user.id)[-1].second_factor_ok
        assert "Second factor" not in client.get("/account").get_data(as_text=True)


def test_the_pending_sign_in_expires_after_five_minutes(client, commune, clock):
    user = make_user(commune, ("admin",))
    with_secret(user, secret := totp.new_secret())
    password_step(client, user)
    clock.advance(4 * 60 + 50)
    assert client.get(CODE).status_code == 200
    clock.advance(20)  # 5 min 10 s after the password
    response = post(client, CODE, {"code": code_at(secret, clock.step)})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "took too long" in client.get("/login").get_data(as_text=True)
    assert not signed_in(client) and fresh(user.id).totp_last_step is None
    assert client.get(CODE).headers["Location"] == "/login"  # and it stays forgotten


@pytest.mark.parametrize("path", [CODE, SETUP])
def test_second_factor_pages_without_a_pending_sign_in_go_to_login(client, commune, path):
    assert client.get(path).headers["Location"] == "/login"
    response = post(client, path, {"code": "123456"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    htmx = post(client, path, {"code": "123456"}, htmx=True)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/login"


def test_code_forms_need_the_csrf_token(client, commune, clock):
    user = make_user(commune, ("admin",))
    password_step(client, user)
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    assert post(client, SETUP, {"code": code_at(secret, clock.step)}, token=False).status_code == 400
    assert fresh(user.id).totp_secret is None
    assert post(client, SETUP, {"code": code_at(secret, clock.step)}).status_code == 303
    post(client, "/logout", {})
    password_step(client, user)
    clock.advance(30)
    assert post(client, CODE, {"code": code_at(secret, clock.step)}, token=False).status_code == 400
    assert not signed_in(client) and fresh(user.id).totp_last_step == clock.step - 1


def test_second_factor_as_htmx(client, commune, clock):
    user = make_user(commune, ("committee",))
    start = password_step(client, user, htmx=True)
    assert start.status_code == 204 and start.headers["HX-Redirect"] == SETUP
    secret = shown_secret(client.get(SETUP).get_data(as_text=True))
    fragment = client.get(SETUP, headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and f'hx-post="{SETUP}"' in html
    assert 'hx-target="#second-factor-region"' in html and "HX-Request" in fragment.headers["Vary"]
    bad = post(client, SETUP, {"code": code_at(secret, clock.step - 4)}, htmx=True)
    bad_html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "<html" not in bad_html and field_error(bad_html) == INVALID
    assert 'role="alert"' in bad_html and 'name="csrf_token"' in bad_html
    good = post(client, SETUP, {"code": code_at(secret, clock.step)}, htmx=True)
    assert good.status_code == 204 and good.headers["HX-Redirect"] == "/tetouan/"
    post(client, "/logout", {})
    password_step(client, user)
    clock.advance(30)
    code_fragment = client.get(CODE, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in code_fragment and f'hx-post="{CODE}"' in code_fragment
    done = post(client, CODE, {"code": code_at(secret, clock.step)}, htmx=True)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == "/tetouan/"


def test_signing_in_again_ends_the_previous_session_at_the_password_step(app, client, commune, clock):
    resident = make_user(commune)
    admin = make_user(commune, ("admin",))
    login(client, resident)
    password_step(client, admin)
    assert [r.revoked_at is not None for r in sessions_of(resident.id)] == [True]
    assert not signed_in(client)


# --- sessions opened without the second factor ------------------------------------------------

def test_a_session_without_second_factor_steps_up_before_admin_actions(client, commune, clock):
    user = make_user(commune, ("resident",))
    login(client, user)  # a resident: no second factor
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role="admin"))  # appointed meanwhile
    db.session.commit()
    response = client.get("/tetouan/admin")
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/second-factor?next=/tetouan/admin"
    htmx = client.get("/tetouan/admin/roles", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/account/second-factor")
    refused_post = post(client, "/tetouan/admin/plan", {})
    assert refused_post.status_code == 303 and refused_post.headers["Location"].startswith(STEP_UP)
    assert client.get("/tetouan/ideas").status_code == 200  # resident pages go on

    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set up your second factor" in html
    assert 'name="next" value="/tetouan/admin"' in html
    secret = shown_secret(html)
    wrong = post(client, STEP_UP, {"code": code_at(secret, clock.step - 3), "next": "/tetouan/admin"})
    assert wrong.status_code == 400 and field_error(wrong.get_data(as_text=True)) == INVALID
    assert not sessions_of(user.id)[-1].second_factor_ok
    done = post(client, STEP_UP, {"code": code_at(secret, clock.step), "next": "/tetouan/admin"})
    assert done.status_code == 303 and done.headers["Location"] == "/tetouan/admin"
    assert sessions_of(user.id)[-1].second_factor_ok and fresh(user.id).totp_secret == secret
    assert client.get("/tetouan/admin").status_code == 200


def test_a_session_without_second_factor_steps_up_before_committee_actions(client, commune, clock):
    """Someone who already has a secret enters a code (no new set-up)."""
    user = make_user(commune, ("resident",))
    login(client, user)
    secret = totp.new_secret()
    with_secret(user, secret)
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role="committee"))
    db.session.commit()
    response = client.get("/tetouan/committee/criteria")
    assert response.status_code == 303 and response.headers["Location"].startswith(STEP_UP)
    page = client.get(STEP_UP + "?next=/tetouan/committee/criteria").get_data(as_text=True)
    assert "Enter your code" in page and "totp-secret" not in page
    assert 'name="next" value="/tetouan/committee/criteria"' in page
    htmx = post(client, STEP_UP, {"code": code_at(secret, clock.step), "next": "/tetouan/committee/criteria"},
                htmx=True)
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"] == "/tetouan/committee/criteria"
    assert sessions_of(user.id)[-1].second_factor_ok
    assert client.get("/tetouan/committee/criteria").status_code != 303


def test_step_up_next_stays_local(client, commune, clock):
    user = make_user(commune, ("admin",))
    login(client, user)
    response = client.get(STEP_UP + "?next=//evil.example")
    assert response.status_code == 303 and response.headers["Location"] == "/account"


def test_step_up_is_not_for_people_who_need_no_second_factor(client, commune):
    login(client, make_user(commune))
    assert client.get(STEP_UP).headers["Location"] == "/account"
    assert post(client, STEP_UP, {"code": "123456"}).headers["Location"] == "/account"
    assert client.get(STEP_UP).status_code == 303


def test_step_up_needs_a_signed_in_person_and_the_token(client, commune, clock):
    response = client.get(STEP_UP)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    user = make_user(commune, ("resident",))
    login(client, user)
    with_secret(user, secret := totp.new_secret())
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role="admin"))
    db.session.commit()
    assert post(client, STEP_UP, {"code": code_at(secret, clock.step)}, token=False).status_code == 400
    assert not sessions_of(user.id)[-1].second_factor_ok


def test_wrong_step_up_codes_are_limited(client, commune, clock):
    user = make_user(commune, ("resident",))
    login(client, user)
    with_secret(user, secret := totp.new_secret())
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role="admin"))
    db.session.commit()
    for _ in range(5):
        assert post(client, STEP_UP, {"code": code_at(secret, clock.step - 9)}).status_code == 400
    assert post(client, STEP_UP, {"code": code_at(secret, clock.step)}).status_code == 429


def test_needs_second_factor_declarations():
    from blueprints._access import needs_second_factor

    for action in ("admin.manage", "admin.audit", "committee.read", "committee.score", "committee.appoint",
                   "criteria.manage", "criteria.read", "project.manage"):
        assert needs_second_factor(action), action
    for action in ("idea.propose", "report.create", "moderation.queue", "moderation.decide", None):
        assert not needs_second_factor(action), action


# --- the account page -------------------------------------------------------------------------

def test_account_page_shows_the_state_and_resets_with_code_and_password(client, commune, clock):
    user = make_user(commune, ("admin",))
    secret = set_up(client, user, clock)
    html = client.get("/account").get_data(as_text=True)
    assert "Second factor: on" in html and f'action="{RESET}"' in html

    clock.advance(30)
    bad_password = post(client, RESET, {"code": code_at(secret, clock.step), "password": "wrong-wrong-wrong"})
    assert bad_password.status_code == 400
    assert "not right" in field_error(bad_password.get_data(as_text=True), "password")
    assert "wrong-wrong-wrong" not in bad_password.get_data(as_text=True)
    bad_code = post(client, RESET, {"code": code_at(secret, clock.step - 3), "password": DEFAULT_PASSWORD})
    assert bad_code.status_code == 400 and field_error(bad_code.get_data(as_text=True)) == INVALID
    missing = post(client, RESET, {"code": "", "password": ""})
    assert missing.status_code == 400 and field_error(missing.get_data(as_text=True), "password")
    assert post(client, RESET, {"code": code_at(secret, clock.step), "password": DEFAULT_PASSWORD},
                token=False).status_code == 400
    assert fresh(user.id).totp_secret == secret

    done = post(client, RESET, {"code": code_at(secret, clock.step), "password": DEFAULT_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == STEP_UP
    assert fresh(user.id).totp_secret is None
    assert not sessions_of(user.id)[-1].second_factor_ok
    assert client.get("/tetouan/admin").headers["Location"].startswith(STEP_UP)  # set it up again first
    page = client.get(STEP_UP).get_data(as_text=True)
    new_secret = shown_secret(page)
    assert new_secret != secret and "Second factor: off" in client.get("/account").get_data(as_text=True)
    clock.advance(30)
    assert post(client, STEP_UP, {"code": code_at(new_secret, clock.step)}).status_code == 303
    assert fresh(user.id).totp_secret == new_secret
    assert client.get("/tetouan/admin").status_code == 200


def test_reset_as_htmx(client, commune, clock):
    user = make_user(commune, ("committee",))
    secret = set_up(client, user, clock)
    fragment = client.get("/account", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    clock.advance(30)
    bad = post(client, RESET, {"code": code_at(secret, clock.step), "password": "nope-nope-nope"}, htmx=True)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "<html" not in html and f'hx-post="{RESET}"' in html
    assert 'hx-target="#second-factor-region"' in html and "Second factor: on" in html
    assert "Change my password" not in html  # only this section's fragment
    good = post(client, RESET, {"code": code_at(secret, clock.step), "password": DEFAULT_PASSWORD}, htmx=True)
    assert good.status_code == 204 and good.headers["HX-Redirect"] == STEP_UP


def test_guessing_for_a_reset_is_limited(client, commune, clock):
    user = make_user(commune, ("admin",))
    secret = set_up(client, user, clock)
    for _ in range(4):  # the set-up's right code did not count; 5 failures are allowed
        assert post(client, RESET, {"code": code_at(secret, clock.step - 9),
                                    "password": DEFAULT_PASSWORD}).status_code == 400
    assert post(client, RESET, {"code": "000000", "password": "guess-guess-guess"}).status_code == 400
    assert post(client, RESET, {"code": code_at(secret, clock.step + 1),
                                "password": DEFAULT_PASSWORD}).status_code == 429


def test_account_page_offers_the_set_up_to_staff_without_a_secret(client, commune):
    user = make_user(commune, ("resident",))
    login(client, user)
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role="committee"))
    db.session.commit()
    html = client.get("/account").get_data(as_text=True)
    assert "Second factor: off" in html and f'href="{STEP_UP}"' in html


# --- the test helpers themselves --------------------------------------------------------------

def test_login_helper_signs_staff_in_again_and_again(app, client, commune):
    """tests.conftest.login completes the second factor, with a fresh step each time."""
    user = make_user(commune, ("admin",))
    for _ in range(3):  # three sign-ins within one 30-second step
        response = login(client, user)
        assert response.headers["Location"] == "/tetouan/"
        assert client.get("/tetouan/admin").status_code == 200
    assert all(r.second_factor_ok for r in sessions_of(user.id))


def test_two_requests_racing_with_one_code_cannot_both_win(commune):
    """Both read the same last step before either writes: the conditional UPDATE lets one through."""
    user = make_user(commune, ("committee",))
    secret = totp.new_secret()
    with_secret(user, secret)
    now = 1_800_000_010.0
    step = totp.matching_step(secret, code_at(secret, int(now // 30)), after=user.totp_last_step, now=now)
    assert step == int(now // 30)
    assert totp._use_step(user, step)
    assert not totp._use_step(user, step)  # the second request, with its stale read
    assert not totp._use_step(user, step - 1)


def test_an_admin_resets_a_staff_members_lost_second_factor(app, client, commune):
    """Recovery for a lost phone: a commune admin resets it (audited, person notified, their
    sessions end); they set it up again at their next sign-in. Not for residents, nor oneself."""
    from models import AuditEntry, Notification
    from services import audit

    member = make_user(commune, ("committee",))
    resident = make_user(commune, ("resident",))
    admin = make_user(commune, ("admin",))
    from tests.conftest import _OwnContextClient

    other = _OwnContextClient(app, app.response_class, use_cookies=True)
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    login(other, member)  # sets the member's second factor up and opens a session
    db.session.rollback()
    assert db.session.get(User, member.id).totp_secret
    login(client, admin)
    page = client.get("/tetouan/admin/roles").get_data(as_text=True)
    assert f"/tetouan/admin/roles/{member.id}/second-factor/reset" in page
    assert post(client, f"/tetouan/admin/roles/{member.id}/second-factor/reset", token=False).status_code == 400
    response = post(client, f"/tetouan/admin/roles/{member.id}/second-factor/reset")
    assert response.status_code in (302, 303)
    db.session.rollback()
    assert db.session.get(User, member.id).totp_secret is None
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == \
        "account.second_factor_reset_by_admin"
    assert db.session.scalar(select(Notification.kind).where(Notification.user_id == member.id)) == \
        "second_factor_reset"
    assert audit.verify().ok
    # the member's open session ended: their next request is anonymous
    assert other.get("/account").status_code in (302, 303)
    # next sign-in: set it up again
    response = post(other, "/login", {"identifier": member.email, "password": DEFAULT_PASSWORD})
    assert response.headers["Location"].endswith("/login/second-factor/setup")
    # refused: a resident (no staff role), oneself
    assert post(client, f"/tetouan/admin/roles/{resident.id}/second-factor/reset").status_code == 409
    assert post(client, f"/tetouan/admin/roles/{admin.id}/second-factor/reset").status_code == 409
