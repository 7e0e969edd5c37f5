"""The language switcher (POST /lang): the cookie, <html lang dir>, unknown languages,
cross-site `next`, CSRF, and the signed-in person's saved choice."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from extensions import db
from models import User
from services import accounts
from tests.conftest import csrf_token, login, make_user, post

COOKIE = "tasharuk_lang"
DIRECTIONS = [("ar", "rtl"), ("fr", "ltr"), ("zgh", "ltr"), ("en", "ltr")]


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture()
def client(isolated_client):
    return isolated_client


def html_tag(client, path="/tetouan/", **kwargs) -> str:
    html = client.get(path, **kwargs).get_data(as_text=True)
    return re.search(r"<html [^>]*>", html).group(0)


def switch(client, lang, next_="/tetouan/", **kwargs):
    return post(client, "/lang", {"lang": lang, "next": next_}, **kwargs)


@pytest.mark.parametrize(("lang", "direction"), DIRECTIONS)
def test_switch_sets_the_cookie_and_the_page_direction(client, commune, lang, direction):
    response = switch(client, lang)
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "="))
    assert cookie.startswith(f"{COOKIE}={lang};") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert html_tag(client) == f'<html lang="{lang}" dir="{direction}">'


@pytest.mark.parametrize(("lang", "direction"), DIRECTIONS)
def test_auth_pages_follow_the_language(client, commune, lang, direction):
    client.set_cookie(COOKIE, lang)
    for path in ("/login", "/tetouan/register"):
        assert html_tag(client, path) == f'<html lang="{lang}" dir="{direction}">'
    # the official commune name follows the language on the registration form
    names = {"ar": commune.name_ar, "fr": commune.name_fr, "zgh": commune.name_zgh, "en": commune.name_fr}
    fragment = client.get("/tetouan/register", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and names[lang] in fragment


def test_default_is_arabic_right_to_left(client, commune):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)  # a browser that says nothing
    assert html_tag(client) == '<html lang="ar" dir="rtl">'


def test_browser_language_is_used_without_a_choice(client, commune):
    assert html_tag(client, headers={"Accept-Language": "fr-MA,fr;q=0.9"}) == '<html lang="fr" dir="ltr">'


@pytest.mark.parametrize("lang", ["xx", "", "de", "ar-EG", "<script>", "fr;"])
def test_unknown_language_is_ignored(client, commune, lang):
    client.set_cookie(COOKIE, "fr")
    response = switch(client, lang)
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"
    assert not any(h.startswith(COOKIE + "=") for h in response.headers.getlist("Set-Cookie"))
    assert html_tag(client) == '<html lang="fr" dir="ltr">'


def test_an_unknown_language_cookie_is_ignored(client, commune):
    client.set_cookie(COOKIE, "xx")
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    assert html_tag(client) == '<html lang="ar" dir="rtl">'


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", "/\r\nSet-Cookie: x=1"])
def test_cross_site_next_is_refused(client, commune, target):
    response = switch(client, "fr", target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_local_next_with_query_is_kept(client, commune):
    response = switch(client, "en", "/tetouan/register?x=1")
    assert response.headers["Location"] == "/tetouan/register?x=1"


def test_switch_without_csrf_token_is_refused(client, commune):
    response = switch(client, "fr", token=False)
    assert response.status_code == 400
    assert not any(h.startswith(COOKIE + "=") for h in response.headers.getlist("Set-Cookie"))


def test_switch_with_a_token_from_another_session_is_refused(app, client, commune):
    other = type(client)(app, app.response_class, use_cookies=True)
    foreign = csrf_token(other)
    response = client.post("/lang", data={"lang": "fr", "next": "/tetouan/", "csrf_token": foreign})
    assert response.status_code == 400


def test_signed_in_choice_is_remembered_on_the_account(client, commune):
    user = make_user(commune)
    login(client, user)
    switch(client, "zgh")
    db.session.expire_all()
    assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "zgh"
    client.delete_cookie(COOKIE)  # another browser of the same person
    assert html_tag(client) == '<html lang="zgh" dir="ltr">'


def test_switcher_is_on_every_auth_page(client, commune):
    for path in ("/login", "/tetouan/register"):
        html = client.get(path).get_data(as_text=True)
        assert 'action="/lang"' in html
        assert f'name="next" value="{path}?"' in html
    login(client, make_user(commune))
    assert 'action="/lang"' in client.get("/account").get_data(as_text=True)


def test_registration_stores_the_interface_language(client, commune):
    client.set_cookie(COOKIE, "fr")
    data = {"display_name": "Yassine", "identifier": "yassine@example.com", "password": "olive-lantern-river-42",
            "confirm": "olive-lantern-river-42", "consent": "y"}
    assert post(client, "/tetouan/register", data).status_code == 303
    assert db.session.scalar(select(User.locale).where(User.email == "yassine@example.com")) == "fr"
