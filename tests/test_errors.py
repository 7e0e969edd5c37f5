"""Error answers (SECURITY.md §4 "Input and output"): oversize bodies are 413; an unexpected
exception gives a generic, translated 500 page with no traceback or exception text, logged on the
server, with nothing half-saved; 404 and 405 pages are generic too; htmx requests get the error
fragment (no full page), with the same status.
"""
from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Axis
from tests.conftest import csrf_token, login, make_user, post

HX = {"HX-Request": "true"}
SECRET = "db-password=hunter2 at /srv/tasharuk/app.py line 42"
GENERIC_500 = {
    "en": "Something went wrong on our side. Nothing you sent was saved; please try again later.",
    "ar": "حدث خطأ من جهتنا",
}


def _no_internals(html: str) -> None:
    for leak in ("Traceback", "RuntimeError", "hunter2", "/srv/", "File \"", "sqlalchemy", "werkzeug",
                 "Werkzeug Debugger", "line 42"):
        assert leak not in html, leak


# --- 413 -------------------------------------------------------------------------------------

def test_a_form_post_above_the_limit_is_413(client, app, commune):
    token = csrf_token(client)
    big = "a" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", data={"csrf_token": token, "identifier": big, "password": "x"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "What you sent is too large." in html and "<h1>" in html
    _no_internals(html)


def test_one_form_field_above_the_form_memory_limit_is_413(client, app, commune):
    """Under MAX_CONTENT_LENGTH overall, but one non-file field larger than MAX_FORM_MEMORY_SIZE."""
    assert app.config["MAX_FORM_MEMORY_SIZE"] < app.config["MAX_CONTENT_LENGTH"]
    user = make_user(commune)
    login(client, user)
    token = csrf_token(client)
    body = "b" * (app.config["MAX_FORM_MEMORY_SIZE"] + 10)
    content_type, data = _multipart({"csrf_token": token, "title": "Un titre correct", "description": body}, {})
    assert len(data) < app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/tetouan/ideas/new", content_type=content_type, data=data)
    assert response.status_code == 413


def _multipart(fields: dict, files: dict) -> tuple[str, bytes]:
    """A multipart body built in memory (the test client would spool a large one to a file)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = dict(fields)
    values.update({name: FileStorage(io.BytesIO(data), filename=filename) for name, (data, filename) in files.items()})
    boundary, body = encode_multipart(values)
    return f"multipart/form-data; boundary={boundary}", body


def test_an_upload_above_the_limit_is_413_and_stores_nothing(client, app, commune):
    from models import Milestone

    token = csrf_token(client)
    blob = b"\xff\xd8\xff" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    content_type, body = _multipart({"csrf_token": token, "label": "x", "happened_on": "2026-01-01"},
                                    {"file": (blob, "huge.csv"), "photo": (blob, "huge.jpg")})
    for url in ("/tetouan/committee/rounds/1/upload", "/tetouan/committee/execution/1/milestones"):
        response = client.post(url, content_type=content_type, data=body)
        assert len(body) > app.config["MAX_CONTENT_LENGTH"]
        assert response.status_code == 413, url
        assert "What you sent is too large." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Milestone)) == 0


def test_413_as_htmx_is_the_error_fragment(client, app, commune):
    token = csrf_token(client)
    big = "a" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/login", headers=HX, data={"csrf_token": token, "identifier": big, "password": "x"})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "What you sent is too large." in html
    assert "<html" not in html and "<h1" not in html and 'role="alert"' in html


# --- 500 -------------------------------------------------------------------------------------

@pytest.fixture()
def broken_view(app, monkeypatch):
    """/bare (a public view) replaced by one that writes, then fails with a revealing message."""
    from blueprints._access import public
    from services import demo  # noqa: F401  (the commune fixture's tables)

    @public
    def boom(**_):
        commune_id = db.session.scalar(select(Axis.commune_id).limit(1))
        db.session.add(Axis(commune_id=commune_id, name_ar="نصف", name_fr="Moitié",
                            name_zgh="ⴰⵣⴳⵏ", position=99))
        db.session.flush()
        raise RuntimeError(SECRET)

    monkeypatch.setitem(app.view_functions, "main.bare", boom)
    return boom


def _axes() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Axis))


@pytest.mark.parametrize("lang", sorted(GENERIC_500))
def test_an_unexpected_exception_gives_a_generic_translated_500(client, commune, broken_view, lang, caplog):
    before = _axes()
    client.set_cookie("tasharuk_lang", lang)
    with caplog.at_level(logging.ERROR):
        response = client.get("/bare")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert GENERIC_500[lang] in html.replace("&#39;", "'")
    assert f'<html lang="{lang}"' in html
    _no_internals(html)
    # logged on the server with the exception and its traceback
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
    assert _axes() == before  # the flushed row was rolled back


def test_an_unexpected_exception_as_htmx_is_the_error_fragment(client, commune, broken_view):
    response = client.get("/bare", headers=HX)
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert GENERIC_500["en"] in html
    assert "<html" not in html and 'role="alert"' in html
    _no_internals(html)


def test_a_failing_service_in_a_post_saves_nothing(client, commune, monkeypatch, caplog):
    """A real form whose service fails after writing: 500, generic, rolled back."""
    from models import Idea
    from services import ideas

    user = make_user(commune)
    login(client, user)
    real = ideas.create

    def create_then_fail(*args, **kwargs):
        real(*args, **kwargs)  # flushes the idea
        raise RuntimeError(SECRET)

    monkeypatch.setattr(ideas, "create", create_then_fail)
    from tests.test_ideas import form

    with caplog.at_level(logging.ERROR):
        response = post(client, "/tetouan/ideas/new", form(commune))
    assert response.status_code == 500
    _no_internals(response.get_data(as_text=True))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0


# --- 404, 405, 400, 403 -----------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/no-such-page/at/all", "/tetouan/no-such-page", "/nowhere/ideas", "/tetouan/ideas/999999",
                                 "/static/no-such-file.css"])
def test_404_pages_are_generic(client, commune, url):
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and "<h1>" in html
    _no_internals(html)
    assert "The requested URL was not found on the server" not in html  # werkzeug's own page


def test_404_as_htmx_is_the_error_fragment(client, commune):
    response = client.get("/tetouan/no-such-page", headers=HX)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "This page does not exist." in html and "<html" not in html


@pytest.mark.parametrize("htmx", [False, True])
def test_405_is_generic_and_names_the_allowed_methods(client, commune, htmx):
    response = client.put("/login", headers=HX if htmx else {})
    assert response.status_code == 405
    assert {"GET", "POST"} <= set(response.headers["Allow"].replace(" ", "").split(","))
    html = response.get_data(as_text=True)
    assert "This action is not available here." in html
    assert ("<html" in html) is not htmx
    _no_internals(html)


def test_400_and_403_pages_are_generic(client, commune):
    response = client.post("/lang", data={"lang": "fr"})  # no CSRF token
    assert response.status_code == 400
    assert "Your form expired or was sent from elsewhere." in response.get_data(as_text=True)
    assert "The CSRF token is missing" not in response.get_data(as_text=True)  # Flask-WTF's own text
    login(client, make_user(commune))
    response = client.get("/tetouan/admin")
    assert response.status_code == 403
    assert "You are not allowed to do this." in response.get_data(as_text=True)
