"""Security headers and cookie flags (SECURITY.md §4 "Cookies and headers").

Every kind of answer — a full page, an htmx fragment, an error page, a download — carries the
strict Content-Security-Policy (no inline script), frame-ancestors 'none', nosniff and a
Referrer-Policy. The production configuration adds HSTS and marks the session and language
cookies Secure; HttpOnly; SameSite=Lax. The production app is built here exactly as gunicorn
builds it (ProductionConfig, SECRET_KEY from the environment) on the test database.
"""
from __future__ import annotations

import pytest

from app import create_app
from config import ProductionConfig
from tests.conftest import _OwnContextClient, _database_url, csrf_token

HX = {"HX-Request": "true"}
# One URL per kind of answer (the commune and a public plan come from the `commune` fixture).
ANSWERS = {
    "page": ("/tetouan/ideas", {}, 200),
    "fragment": ("/tetouan/ideas", HX, 200),
    "error page": ("/tetouan/no-such-page", {}, 404),
    "error fragment": ("/tetouan/no-such-page", HX, 404),
    "download": ("/tetouan/open-data/ideas.csv", {}, 200),
    "json": ("/healthz", {}, 200),
}


def _directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.fixture(scope="module")
def production(_app):
    """The production app on the test database (its own engine, same tables); built once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECRET_KEY", "a-production-key-from-the-environment-0123456789")
        mp.delenv("REDIS_URL", raising=False)
        # ProductionConfig.check() stores the key on the class: put it back afterwards.
        mp.setattr(ProductionConfig, "SECRET_KEY", ProductionConfig.SECRET_KEY)
        prod = create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": _database_url()})
    yield prod
    with prod.app_context():
        from extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def prod_client(app, production):
    # Like the `client` fixture: each request in its own context, the test's session committed first.
    client = _OwnContextClient(production, production.response_class, use_cookies=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _check_headers(response, *, production: bool) -> None:
    h = response.headers
    csp = _directives(h["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert "'unsafe-inline'" not in h["Content-Security-Policy"]
    assert "'unsafe-eval'" not in h["Content-Security-Policy"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer",
                                    "strict-origin")
    if production:
        hsts = h["Strict-Transport-Security"]
        max_age = int(hsts.split("max-age=", 1)[1].split(";", 1)[0])
        assert max_age >= 31536000  # a year
    else:
        assert "Strict-Transport-Security" not in h  # plain-HTTP development must not pin HSTS


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_every_kind_of_answer_carries_the_headers_in_production(prod_client, commune, kind):
    url, headers, status = ANSWERS[kind]
    response = prod_client.get(url, headers=headers, base_url="https://localhost")
    assert response.status_code == status
    _check_headers(response, production=True)


@pytest.mark.parametrize("kind", sorted(ANSWERS))
def test_the_same_headers_in_development_without_hsts(client, commune, kind):
    url, headers, status = ANSWERS[kind]
    response = client.get(url, headers=headers)
    assert response.status_code == status
    _check_headers(response, production=False)


def test_a_405_and_a_400_carry_the_headers_too(client, commune):
    for response in (client.post("/tetouan/ideas"), client.post("/lang", data={"lang": "fr"}),
                     client.put("/login")):
        assert response.status_code in (400, 405)
        _check_headers(response, production=False)


def _cookie(response, name: str) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert cookies, f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}"
    return cookies[-1]


def test_production_session_cookie_is_secure_httponly_lax(prod_client, production, commune):
    # A page with a form puts the CSRF secret in the session: the cookie is set.
    response = prod_client.get("/tetouan/register", base_url="https://localhost")
    assert response.status_code == 200
    cookie = _cookie(response, production.config["SESSION_COOKIE_NAME"])
    parts = [p.strip() for p in cookie.split(";")]
    assert "Secure" in parts and "HttpOnly" in parts and "SameSite=Lax" in parts
    assert not any(p.lower().startswith(("expires", "max-age")) for p in parts)  # a browser-session cookie


def test_production_sign_in_cookie_is_secure_httponly_lax(prod_client, production, commune):
    from tests.conftest import DEFAULT_PASSWORD, make_user

    user = make_user(commune)
    page = prod_client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    # Over HTTPS Flask-WTF also checks that the Referer is this site.
    response = prod_client.post("/login", base_url="https://localhost",
                                headers={"Referer": "https://localhost/login"},
                                data={"csrf_token": token, "identifier": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    cookie = _cookie(response, production.config["SESSION_COOKIE_NAME"])
    parts = [p.strip() for p in cookie.split(";")]
    assert "Secure" in parts and "HttpOnly" in parts and "SameSite=Lax" in parts
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    # Signed-in answers are never stored by shared caches.
    home = prod_client.get("/tetouan/", base_url="https://localhost")
    assert home.headers["Cache-Control"] == "private, no-store"


def test_production_post_from_another_site_is_refused(prod_client, commune):
    """Over HTTPS a form sent with a foreign Referer is refused even with a valid token."""
    page = prod_client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = prod_client.post("/lang", base_url="https://localhost",
                                headers={"Referer": "https://evil.example/page"},
                                data={"csrf_token": token, "lang": "fr", "next": "/tetouan/"})
    assert response.status_code == 400
    assert not any(c.startswith("tasharuk_lang=") for c in response.headers.getlist("Set-Cookie"))


def test_production_language_cookie_is_secure_httponly_lax(prod_client, production, commune):
    page = prod_client.get("/login", base_url="https://localhost").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = prod_client.post("/lang", base_url="https://localhost",
                                headers={"Referer": "https://localhost/login"},
                                data={"csrf_token": token, "lang": "fr", "next": "/tetouan/"})
    assert response.status_code == 303
    parts = [p.strip() for p in _cookie(response, production.config["LANGUAGE_COOKIE"]).split(";")]
    assert "Secure" in parts and "HttpOnly" in parts and "SameSite=Lax" in parts


def test_development_cookies_are_httponly_lax_but_not_secure(client, commune, app):
    response = client.get("/tetouan/register")
    parts = [p.strip() for p in _cookie(response, app.config["SESSION_COOKIE_NAME"]).split(";")]
    assert "HttpOnly" in parts and "SameSite=Lax" in parts and "Secure" not in parts
    response = client.post("/lang", data={"csrf_token": csrf_token(client), "lang": "fr", "next": "/tetouan/"})
    parts = [p.strip() for p in _cookie(response, app.config["LANGUAGE_COOKIE"]).split(";")]
    assert "HttpOnly" in parts and "SameSite=Lax" in parts and "Secure" not in parts


def test_pages_carry_no_inline_script_or_style(client, commune):
    """The CSP would block them: pages must not need them (no <script> body, no on*=, no style=)."""
    import re

    for url in ("/tetouan/", "/tetouan/ideas", "/login", "/tetouan/register", "/tetouan/no-such-page"):
        html = client.get(url).get_data(as_text=True)
        for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", html, re.S | re.I):
            assert "src=" in match.group(1) and not match.group(2).strip(), (url, match.group(0)[:200])
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I), url
        assert not re.search(r"<[^>]+\sstyle\s*=", html, re.I), url
