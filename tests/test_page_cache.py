"""The public page cache (blueprints/_page_cache.py): who gets stored pages, what is stored,
and that a change shows at once while support counts may lag by at most the time-to-live."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, select

from blueprints import _page_cache
from extensions import db
from models import Commune
from tests.conftest import CSRF_META, _OwnContextClient, login, make_idea, make_user, post
from tests.test_faults import _free_port, redis_url  # noqa: F401  (the real redis-server fixture)

TTL = 10


@pytest.fixture()
def cached(app, monkeypatch):
    """The cache on, empty, with a clock the test moves."""
    monkeypatch.setitem(app.config, "PUBLIC_CACHE_SECONDS", TTL)
    store = app.extensions["tasharuk_page_cache"]["store"]
    store.items.clear()
    store.size = 0
    now = [1000.0]
    monkeypatch.setattr(_page_cache.time, "monotonic", lambda: now[0])
    return now


@pytest.fixture()
def idea(commune, plan):
    author = make_user(commune, name="Amina Author")
    return make_idea(commune, author, title="Des bancs au parc Moulay Rachid")


def new_client(app):
    """A visitor whose every request has its own app context (and `g`), as in production."""
    return _OwnContextClient(app, app.response_class, use_cookies=True)


def count_statements(app, fn):
    seen = []

    def listener(conn, cursor, statement, *args):  # noqa: ARG001
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return result, seen


def version(commune_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(Commune.content_version).where(Commune.id == commune_id))


def token_of(response) -> str:
    match = CSRF_META.search(response.get_data(as_text=True))
    assert match, "no CSRF token in the page"
    return match.group(1)


def test_a_second_anonymous_visit_is_served_without_rendering(app, client, cached, idea):
    first = client.get("/tetouan/ideas")
    assert first.status_code == 200 and "Des bancs au parc" in first.get_data(as_text=True)
    second, statements = count_statements(app, lambda: client.get("/tetouan/ideas"))
    assert second.status_code == 200
    assert len(statements) == 1, statements  # the commune row only: no idea was read
    strip = lambda r: CSRF_META.sub("", r.get_data(as_text=True))  # noqa: E731
    assert strip(second) == strip(first)
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert second.headers["Content-Type"].startswith("text/html")


def test_each_visitor_gets_their_own_working_form_token(app, cached, idea):
    placeholder = app.extensions["tasharuk_page_cache"]["placeholder"]
    visitors = [new_client(app) for _ in range(3)]
    pages = [v.get("/tetouan/ideas") for v in visitors]  # the first renders, the others are served
    tokens = [token_of(p) for p in pages]
    assert len(set(tokens)) == 3
    for page in pages:
        assert placeholder not in page.get_data(as_text=True)
        assert page.headers.getlist("Set-Cookie")  # the token's session
    # The token works: the third visitor (served a stored page) switches language with it.
    answer = visitors[2].post("/lang", data={"lang": "fr", "next": "/tetouan/ideas", "csrf_token": tokens[2]})
    assert answer.status_code == 303
    assert any(c.startswith("tasharuk_lang=fr") for c in answer.headers.getlist("Set-Cookie"))
    # Someone else's token does not.
    refused = visitors[1].post("/lang", data={"lang": "fr", "next": "/", "csrf_token": tokens[2]})
    assert refused.status_code == 400


def test_content_changes_show_at_once(app, client, cached, commune, idea):
    assert "Un toit pour le marché" not in client.get("/tetouan/ideas").get_data(as_text=True)
    before = version(commune.id)
    make_idea(commune, None, title="Un toit pour le marché")  # a new idea, committed
    assert version(commune.id) == before + 1
    assert "Un toit pour le marché" in client.get("/tetouan/ideas").get_data(as_text=True)


def test_a_hidden_idea_disappears_at_once_through_moderation(app, client, cached, commune, idea):
    from tests.test_moderation import decide_post

    visitor = new_client(app)
    assert "Des bancs au parc" in visitor.get("/tetouan/ideas").get_data(as_text=True)
    assert visitor.get(f"/tetouan/ideas/{idea.id}").status_code == 200
    moderator = make_user(commune, ("moderator",))
    login(client, moderator)
    before = version(commune.id)
    assert decide_post(client, "idea", idea.id, "hide", "Publicité").status_code in (200, 303)
    assert version(commune.id) == before + 1
    assert "Des bancs au parc" not in visitor.get("/tetouan/ideas").get_data(as_text=True)
    assert visitor.get(f"/tetouan/ideas/{idea.id}").status_code == 404


def test_supports_do_not_invalidate_and_lag_at_most_the_time_to_live(app, client, cached, commune, plan, idea):
    from tests.conftest import set_phase

    set_phase(plan, "support")
    visitor = new_client(app)
    visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = f"/tetouan/ideas/{idea.id}"
    shown = lambda: CSRF_META.sub("", visitor.get(page).get_data(as_text=True))  # noqa: E731
    resident = make_user(commune)  # (a new resident is not a content change either)
    before = version(commune.id)
    assert "<strong>0</strong> residents support this idea" in shown()
    login(client, resident)
    assert post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True).status_code == 200
    assert version(commune.id) == before  # a support is not a content change
    # The resident (signed in) sees the new count at once; an anonymous visitor the stored page…
    assert "<strong>1</strong> resident supports this idea" in client.get(page).get_data(as_text=True)
    assert "<strong>0</strong> residents support this idea" in shown()
    cached[0] += TTL - 1
    assert "<strong>0</strong> residents support this idea" in shown()
    # … until it is older than the time-to-live.
    cached[0] += 2
    assert "<strong>1</strong> resident supports this idea" in shown()


def test_signed_in_people_never_get_or_leave_a_stored_page(app, client, cached, commune, idea):
    resident = make_user(commune, name="Rachid Resident")
    login(client, resident)
    kept = _page_cache_size(app)  # the pages the sign-in itself read anonymously
    mine = client.get("/tetouan/ideas")
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert _page_cache_size(app) == kept  # nothing of a signed-in page was kept
    visitor = new_client(app)
    anonymous = visitor.get("/tetouan/ideas").get_data(as_text=True)
    assert "Rachid Resident" not in anonymous
    _, statements = count_statements(app, lambda: client.get("/tetouan/ideas"))
    assert len(statements) > 1  # rendered for the resident, not served from the store


def _page_cache_size(app) -> int:
    return len(app.extensions["tasharuk_page_cache"]["store"].items)


def test_languages_and_fragments_are_kept_apart(app, cached, idea):
    visitor = new_client(app)
    arabic = visitor.get("/tetouan/ideas", headers={"Accept-Language": "ar"})
    french = visitor.get("/tetouan/ideas", headers={"Accept-Language": "fr"})
    fragment = visitor.get("/tetouan/ideas", headers={"Accept-Language": "fr", "HX-Request": "true"})
    assert 'lang="ar"' in arabic.get_data(as_text=True)
    assert 'lang="fr"' in french.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    again = visitor.get("/tetouan/ideas", headers={"Accept-Language": "ar"})
    assert 'lang="ar"' in again.get_data(as_text=True)
    assert _page_cache_size(app) == 3


def test_a_waiting_message_is_shown_not_a_stored_page(app, cached, idea):
    visitor = new_client(app)
    visitor.get("/tetouan/ideas")  # stored
    with visitor.session_transaction() as s:
        s["_flashes"] = [("message", "Un message pour vous")]
    assert "Un message pour vous" in visitor.get("/tetouan/ideas").get_data(as_text=True)


def test_only_successful_public_pages_are_kept(app, client, cached, commune, idea):
    assert client.get("/tetouan/ideas/999999").status_code == 404
    assert client.get("/tetouan/moderation").status_code in (302, 303)  # not public: sign in first
    assert _page_cache_size(app) == 0
    new_client(app).get(f"/tetouan/ideas/{idea.id}")  # (the first visitor now has a message waiting)
    assert _page_cache_size(app) == 1


def test_changes_outside_a_request_bump_every_commune_and_inside_only_its_own(app, commune, idea):
    from sqlalchemy import update

    from models import Idea
    from services import demo

    other, _plan = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    before, other_before = version(commune.id), version(other.id)
    # An ORM object with its commune: only that commune.
    db.session.get(Idea, idea.id).title = "Un autre titre"
    db.session.commit()
    assert (version(commune.id), version(other.id)) == (before + 1, other_before)
    # A bulk statement outside any request (a command, an import): every commune.
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(title="Encore un titre"))
    db.session.commit()
    assert (version(commune.id), version(other.id)) == (before + 2, other_before + 1)
    # The same inside a request of one commune: that commune.
    with app.test_request_context("/tetouan/ideas"):
        from flask import g

        g.commune = db.session.get(Commune, commune.id)
        db.session.execute(update(Idea).where(Idea.id == idea.id).values(title="Un dernier titre"))
        db.session.commit()
    assert (version(commune.id), version(other.id)) == (before + 3, other_before + 1)


def test_counter_updates_alone_do_not_bump(app, commune, idea):
    from sqlalchemy import update
    from models import Idea

    before = version(commune.id)
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(support_count=Idea.support_count + 1))
    db.session.commit()
    assert version(commune.id) == before
    idea = db.session.get(Idea, idea.id)
    idea.support_count += 1
    db.session.commit()
    assert version(commune.id) == before
    idea.title = "Des bancs et des arbres"
    db.session.commit()
    assert version(commune.id) == before + 1


def test_a_rolled_back_change_bumps_nothing(app, commune, idea):
    before = version(commune.id)
    from models import Idea

    idea = db.session.get(Idea, idea.id)
    idea.title = "Jamais enregistré"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert version(commune.id) == before


def test_the_quiet_tables_exist():
    assert _page_cache.QUIET_TABLES <= set(db.metadata.tables)
    for column in _page_cache.COUNTER_COLUMNS:
        assert any(column in table.c for table in db.metadata.tables.values()), column


def test_memory_store_is_bounded_and_expires():
    store = _page_cache.MemoryStore(max_bytes=800)
    for n in range(10):
        store.set(f"k{n}", b"x" * 100, ttl=10)
    assert store.size <= 800 and "k9" in store.items and "k0" not in store.items
    store.set("huge", b"x" * 500, ttl=10)  # more than an eighth of the store: not kept
    assert store.get("huge") is None


def test_stores_are_shared_between_servers_through_redis(app, commune, idea, redis_url, monkeypatch):  # noqa: F811
    from app import create_app
    from config import TestingConfig

    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
                "PUBLIC_CACHE_SECONDS": TTL}
    first, second = create_app(TestingConfig, dict(settings)), create_app(TestingConfig, dict(settings))
    db.session.commit()
    page = new_client(first).get("/tetouan/ideas")
    assert page.status_code == 200
    with second.app_context():
        _, statements = count_statements(second, lambda: new_client(second).get("/tetouan/ideas"))
        assert len(statements) == 1  # served from what the first server stored
    with first.app_context():
        db.engine.dispose()
    with second.app_context():
        db.engine.dispose()


def test_redis_down_falls_back_to_memory_and_says_so(app, commune, idea, caplog):
    from app import create_app
    from config import TestingConfig

    server = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                                        "REDIS_URL": f"redis://127.0.0.1:{_free_port()}/0",
                                        "PUBLIC_CACHE_SECONDS": TTL})
    db.session.commit()
    visitor = new_client(server)
    with caplog.at_level(logging.WARNING, logger="blueprints._page_cache"):
        assert visitor.get("/tetouan/ideas").status_code == 200
        with server.app_context():
            _, statements = count_statements(server, lambda: visitor.get("/tetouan/ideas"))
    assert len(statements) == 1  # kept in the process's memory meanwhile
    assert any("Redis is not answering" in r.getMessage() for r in caplog.records)
    with server.app_context():
        db.engine.dispose()


def test_a_page_asked_under_another_host_name_is_not_served_under_ours(app, cached, idea):
    url = "/tetouan/open-data/ideas.csv-metadata.json"  # writes absolute links
    forged = new_client(app).get(url, base_url="http://evil.example")
    assert forged.status_code == 200 and "evil.example" in forged.get_data(as_text=True)
    ours = new_client(app).get(url)
    assert ours.status_code == 200 and "evil.example" not in ours.get_data(as_text=True)


def test_every_public_commune_page_can_be_served_from_the_store(app, cached):
    """No public page under a commune makes a form token of its own for a visitor (which would make
    it personal, and never stored): each one's second visit is served with the commune row only."""
    from tests.test_statement_budget import EXCLUDED, _demo_world, _public_get_rules, _url

    world = _demo_world()
    checked = []
    for rule in _public_get_rules(app):
        if "commune" not in rule.arguments or rule.endpoint in EXCLUDED:
            continue
        url = _url(rule, world)
        visitor = new_client(app)
        first = visitor.get(url)
        if first.status_code != 200:
            continue  # e.g. the open-data .pb of a round that has none: nothing to store
        second, statements = count_statements(app, lambda: visitor.get(url))
        assert second.status_code == 200
        assert len(statements) == 1, f"{rule.endpoint} ({url}) was rendered again: {statements[:3]}"
        checked.append(rule.endpoint)
    assert {"ideas.list_ideas", "ideas.show_idea", "programme_public.programme", "ranking.public_ranking",
            "petitions.show_petition", "projects.show_project"} <= set(checked)
