"""The factory, the commune home page in each language, health and the bare endpoint."""
from __future__ import annotations

import pytest

from app import create_app
from config import ProductionConfig


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


def test_root_redirects_to_the_only_commune(client, commune):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/tetouan/")


@pytest.mark.parametrize(
    ("lang", "direction", "expected"),
    [("ar", "rtl", "برنامج عمل جماعة تطوان"), ("fr", "ltr", "Programme d'action de la commune"),
     ("zgh", "ltr", "ⵜⴰⴳⵎⵓⴹⴰ"), ("en", "ltr", "commune action plan")],
)
def test_commune_home_in_each_language(client, commune, lang, direction, expected):
    client.set_cookie("tasharuk_lang", lang)
    html = client.get("/tetouan/").get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert expected in html or expected.replace("'", "&#39;") in html


def test_health_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_bare_endpoint(client):
    assert client.get("/bare").get_data(as_text=True) == "ok"


def test_unknown_commune_is_404(client, commune):
    assert client.get("/nowhere/").status_code == 404
