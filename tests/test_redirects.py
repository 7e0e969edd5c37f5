"""Open-redirect guards (SECURITY.md §1 "open redirect").

The per-route checks (login, logout, language switch, step-up) are in test_auth, test_language
and test_totp. Here: the one guard all of them use, with a wider attack list; the path through the
staff second factor (the `next` is kept in the cookie session across two requests); the step-up
that goes back to the Referer; and a scan that every `next` the code reads goes through the guard.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from blueprints._helpers import safe_next
from tests.conftest import DEFAULT_PASSWORD, csrf_token, fresh_totp_code, make_user, post

ATTACKS = [
    "https://evil.example", "http://evil.example/tetouan/", "//evil.example", "///evil.example", "/\\evil.example",
    "\\\\evil.example", "\\/evil.example", "/\\/evil.example", "javascript:alert(1)", "JAVASCRIPT:alert(1)",
    " javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "http:/evil.example", "https:evil.example",
    " //evil.example", "\t//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\nLocation: https://evil.example",
    "evil.example/path", "@evil.example", "ftp://evil.example", "//evil.example/%2F..", "/%09/evil.example", "\\",
    "\u2215\u2215evil.example", "/\u3002evil.example\\", "//evil.example@tetouan/",
]
LOCAL = ["/tetouan/", "/tetouan/ideas?page=2&sort=newest", "/account", "/tetouan/ideas/3#comments"]


@pytest.mark.parametrize("target", ATTACKS)
def test_the_guard_refuses_every_way_off_the_site(target):
    kept = safe_next(target, "/fallback")
    if kept != "/fallback":  # anything kept must be a plain local path a browser resolves on this site
        assert kept.startswith("/") and not kept.startswith(("//", "/\\")), kept
        parts = urlsplit(kept)
        assert not parts.scheme and not parts.netloc, kept
        assert not any(ch in kept for ch in "\\\r\n\t"), kept
        # a browser strips tabs/newlines and reads "\" as "/": re-check what it would see
        browser = re.sub(r"[\t\r\n]", "", kept).replace("\\", "/")
        assert not browser.startswith("//"), kept


@pytest.mark.parametrize("target", ATTACKS)
def test_the_well_known_forms_fall_back(target):
    if target.startswith(("http", "//", "/\\", "\\", "javascript", "JAVA", " ", "\t", "data:", "ftp", "https")):
        assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", LOCAL)
def test_local_paths_are_kept(target):
    assert safe_next(target, "/fallback") == target


@pytest.mark.parametrize("target", [None, "", "   "])
def test_nothing_gives_the_fallback(target):
    assert safe_next(target, "/fallback") == "/fallback"


def _sign_in_admin(client, admin, target):
    """Password with `next`, then the second factor: the final redirect."""
    response = post(client, "/login", {"identifier": admin.email, "password": DEFAULT_PASSWORD, "next": target})
    assert response.status_code == 303
    setup = urlsplit(response.headers["Location"]).path
    page = client.get(setup).get_data(as_text=True)
    assert "evil.example" not in page and "javascript:" not in page
    secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    return post(client, setup, {"code": fresh_totp_code(admin.id, secret)})


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)"])
def test_next_through_the_second_factor_stays_local(client, commune, target):
    admin = make_user(commune, ("admin",))
    response = _sign_in_admin(client, admin, target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/tetouan/"


def test_a_local_next_survives_the_second_factor(client, commune):
    admin = make_user(commune, ("admin",))
    response = _sign_in_admin(client, admin, "/tetouan/admin/roles")
    assert response.headers["Location"] == "/tetouan/admin/roles"


def test_a_tampered_pending_next_is_still_checked(client, commune):
    """The cookie session is signed, but the value read back goes through the guard anyway."""
    admin = make_user(commune, ("admin",))
    response = post(client, "/login", {"identifier": admin.email, "password": DEFAULT_PASSWORD})
    setup = urlsplit(response.headers["Location"]).path
    page = client.get(setup).get_data(as_text=True)
    secret = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    with client.session_transaction() as session:
        pending = dict(session["second_factor_pending"])
        pending["next"] = "//evil.example"
        session["second_factor_pending"] = pending
    response = post(client, setup, {"code": fresh_totp_code(admin.id, secret)})
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"


def test_step_up_goes_back_only_to_a_page_of_this_site(client, commune):
    """A POST that needs the second factor comes back to the Referer only when it is this site."""
    from tests.conftest import login

    admin = make_user(commune, ("admin",))
    login(client, admin)
    # a session without the second factor (e.g. opened before the role was granted)
    from extensions import db
    from models import UserSession
    from sqlalchemy import update

    db.session.execute(update(UserSession).where(UserSession.user_id == admin.id).values(second_factor_ok=False))
    db.session.commit()
    token = csrf_token(client, "/account")
    for referer, expected in (("https://evil.example/tetouan/admin", None),
                              ("http://localhost/tetouan/admin/roles", "/tetouan/admin/roles")):
        response = client.post("/tetouan/admin/axes/new", data={"csrf_token": token}, headers={"Referer": referer})
        assert response.status_code == 303
        location = response.headers["Location"]
        assert "evil.example" not in location
        if expected:
            assert "next=%2Ftetouan%2Fadmin%2Froles" in location or f"next={expected}" in location
        else:
            assert "next=" not in location


def test_every_next_the_code_reads_goes_through_the_guard():
    """A scan: wherever a view reads `next` from the request or the session, safe_next wraps it."""
    root = Path(__file__).resolve().parent.parent / "blueprints"
    reads = re.compile(r"""(?:request\.(?:args|form|values)|pending|session)\.get\(\s*["'](?:next|return_to|redirect|back|url)["']""")
    unguarded = []
    for path in root.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if reads.search(line) and "safe_next(" not in line:
                unguarded.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()}")
    assert unguarded == []
