"""The personal space: my ideas, supports (seen by me only), comments, and notifications."""
from __future__ import annotations

import json

from sqlalchemy import event, select

from extensions import db
from models import Notification, Support
from models._base import utcnow
from services import moderation, notifications
from tests.conftest import make_idea, post
from tests.test_moderation import forget_request_caches, is_fragment, is_page, make_comment, person, sign_in, sign_out


def support(user, idea):
    db.session.add(Support(idea_id=idea.id, user_id=user.id, plan_id=idea.plan_id))
    idea.support_count += 1
    db.session.commit()


def test_dashboard_needs_sign_in(client, commune):
    assert client.get("/tetouan/me").status_code in (302, 401)
    assert client.get("/me/notifications").status_code in (302, 401)


def test_dashboard_shows_my_ideas_supports_and_comments(client, commune):
    me = person(commune, "resident")
    someone = person(commune, "resident")
    moderator = person(commune, "moderator")
    make_idea(commune, me, title="Mon brouillon", status="draft")
    rejected = make_idea(commune, me, title="Idée refusée")
    moderation.decide(moderator, commune.id, "idea", rejected.id, "reject", "Hors compétence communale")
    hidden = make_idea(commune, me, title="Idée cachée")
    for _ in range(3):
        moderation.report(person(commune, "resident"), commune.id, "idea", hidden.id, "spam")
    db.session.commit()
    theirs = make_idea(commune, someone, title="Idée soutenue en secret")
    other = make_idea(commune, someone, title="Autre idée soutenue")
    support(me, theirs)
    support(me, other)
    make_comment(theirs, me, body="Mon commentaire sur l'idée", stance="against")

    sign_in(client, me)
    page = client.get("/tetouan/me")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and is_page(page) and html.count("<h1") == 1
    for text in ("Mon brouillon", "Draft", "Idée refusée", "Not admitted", "Hors compétence communale",
                 "Idée cachée", "Hidden automatically after reports", "Idée soutenue en secret", "Autre idée soutenue",
                 "Supports used: 2 of 10. Remaining: 8.", "Mon commentaire sur l&#39;idée", "Against"):
        assert text in html, text
    fragment = client.get("/tetouan/me", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment) and 'id="my-space"' in fragment.get_data(as_text=True)

    # who supported what is only visible to the supporter
    sign_in(client, someone)
    html = client.get("/tetouan/me").get_data(as_text=True)
    assert "Supports used: 0 of 10" in html and "Mon brouillon" not in html
    assert "Idée soutenue en secret" in html  # as their own idea…
    assert html.count("Idée soutenue en secret") == 1  # …but not in a supports list


def test_notifications_rendered_from_kind_and_params_newest_first(client, commune):
    me = person(commune, "resident")
    notifications.notify(me.id, "idea_rejected", commune_id=commune.id, idea_id=1, title="Idée <script>x</script>",
                         reason="Trop <b>vague</b>")
    notifications.notify(me.id, "role_granted", commune_id=commune.id, role="moderator")
    notifications.notify(me.id, "comment_reply", commune_id=commune.id, idea_id=1, comment_id=2, idea_title="Parc")
    db.session.commit()
    sign_in(client, me)
    page = client.get("/me/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and is_page(page)
    reply = html.index("Someone replied to your comment on “<bdi>Parc</bdi>”.")
    role = html.index("You were given the role “<bdi>Moderator</bdi>”.")
    rejected = html.index("was not admitted.")
    assert reply < role < rejected  # newest first
    assert "Idée &lt;script&gt;x&lt;/script&gt;" in html and "<script>x" not in html
    assert "Reason given:" in html and "Trop &lt;b&gt;vague&lt;/b&gt;" in html
    assert "3 unread notifications" in html
    fragment = client.get("/me/notifications", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment) and 'id="notifications"' in fragment.get_data(as_text=True)


def test_notifications_follow_the_readers_language(client, commune):
    me = person(commune, "resident")
    notifications.notify(me.id, "association_verified", commune_id=commune.id, association_id=1, name="Assoc")
    db.session.commit()
    sign_in(client, me)
    for lang in ("fr", "ar", "zgh", "en"):
        client.set_cookie("tasharuk_lang", lang)
        forget_request_caches()
        html = client.get("/me/notifications").get_data(as_text=True)
        assert f'<html lang="{lang}"' in html
        # the sentence is built at display time from the stored kind + params (not stored text)
        assert "<bdi>Assoc</bdi>" in html
    stored = db.session.scalar(select(Notification))
    assert stored.kind == "association_verified" and json.loads(stored.params)["name"] == "Assoc"


def test_mark_all_read(client, commune):
    me = person(commune, "resident")
    someone = person(commune, "resident")
    for kind in ("idea_reviewed", "idea_restored"):
        notifications.notify(me.id, kind, commune_id=commune.id, idea_id=1, title="T")
    notifications.notify(someone.id, "idea_reviewed", commune_id=commune.id, idea_id=1, title="T")
    db.session.commit()
    sign_in(client, me)
    assert post(client, "/me/notifications/read", {}, token=False).status_code == 400
    assert notifications.unread_count(me.id) == 2
    response = post(client, "/me/notifications/read", {}, htmx=True)
    assert response.status_code == 200 and is_fragment(response)
    assert 'role="status"' in response.get_data(as_text=True) and "marked as read" in response.get_data(as_text=True)
    assert notifications.unread_count(me.id) == 0 and notifications.unread_count(someone.id) == 1
    notifications.notify(me.id, "idea_hidden", commune_id=commune.id, idea_id=1, title="T", reason="r")
    db.session.commit()
    response = post(client, "/me/notifications/read", {"user_id": str(someone.id)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/notifications")
    assert notifications.unread_count(me.id) == 0 and notifications.unread_count(someone.id) == 1
    sign_out(client)
    assert post(client, "/me/notifications/read", {}).status_code in (302, 401)


def test_unread_count_in_the_account_menu_costs_one_query(app, client, commune):
    me = person(commune, "resident")
    for _ in range(2):
        notifications.notify(me.id, "idea_reviewed", commune_id=commune.id, idea_id=1, title="T")
    db.session.commit()
    sign_in(client, me)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # noqa: ARG001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        html = client.get("/tetouan/").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert 'class="badge nav-count">2<' in html
    assert len([s for s in statements if "notification" in s.lower()]) == 1
    # read notifications are not counted
    db.session.execute(Notification.__table__.update().values(read_at=utcnow()))
    db.session.commit()
    assert "nav-count" not in client.get("/tetouan/").get_data(as_text=True)


def test_every_notification_kind_has_a_sentence():
    from blueprints import labels

    assert set(notifications.KINDS) <= set(labels.NOTIFICATION_TEXTS)
    for kind, text in labels.NOTIFICATION_TEXTS.items():
        assert "%(" in str(text), kind  # names what it is about
