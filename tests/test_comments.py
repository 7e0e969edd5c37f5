"""Comments: posting with a stance, threads three levels deep, counters on Idea, the reply
notification, hidden comments, association badges, phases — service and routes."""
from __future__ import annotations

import json
import re

import pytest
from markupsafe import escape
from sqlalchemy import event, func, select

from extensions import db
from models import Comment, Idea, Notification
from services import comments as comment_service
from services.errors import NotAllowed, NotFound, PhaseClosed, ServiceError
from tests.conftest import login, make_association, make_idea, make_user, post, set_phase

HX = {"HX-Request": "true"}




def comment_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def counters(idea_id) -> tuple[int, int, int, int]:
    db.session.expire_all()
    idea = db.session.get(Idea, idea_id)
    return idea.comment_count, idea.comments_for, idea.comments_neutral, idea.comments_against


def close_comment_phases(plan):
    for kind in ("collection", "support", "assessment"):
        set_phase(plan, kind, open_=False)


# --- the service -----------------------------------------------------------------------------

def test_post_moves_the_counters(commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    first = comment_service.post(person, idea.id, body="  Bonne idée  ", stance="for")
    comment_service.post(person, idea.id, body="Et l'entretien ?", stance="neutral")
    comment_service.post(person, idea.id, body="Trop cher", stance="against")
    comment_service.post(person, idea.id, body="مزيان", stance="for")
    db.session.commit()
    assert first.body == "Bonne idée" and first.depth == 0 and first.parent_id is None
    assert counters(idea.id) == (4, 2, 1, 1)


def test_replies_nest_three_levels_then_stay_at_the_deepest(commune, plan):
    a, b, c, d = (make_user(commune, name=n) for n in ("A", "B", "C", "D"))
    idea = make_idea(commune, make_user(commune))
    root = comment_service.post(a, idea.id, body="root", stance="for")
    level1 = comment_service.post(b, idea.id, body="one", stance="neutral", parent_id=root.id)
    level2 = comment_service.post(c, idea.id, body="two", stance="against", parent_id=level1.id)
    deeper = comment_service.post(d, idea.id, body="three", stance="for", parent_id=level2.id)
    db.session.commit()
    assert (root.depth, level1.depth, level2.depth) == (0, 1, 2)
    # A reply to a depth-2 comment is attached beside it, under the same parent, at depth 2.
    assert deeper.depth == 2 and deeper.parent_id == level1.id
    tree = comment_service.thread_batch(idea.id).roots
    assert [n.comment.id for n in tree] == [root.id]
    assert [n.comment.id for n in tree[0].children] == [level1.id]
    assert [n.comment.id for n in tree[0].children[0].children] == [level2.id, deeper.id]
    assert counters(idea.id) == (4, 2, 1, 1)


def test_a_reply_notifies_the_person_replied_to(commune, plan):
    a, b, c = make_user(commune), make_user(commune), make_user(commune)
    idea = make_idea(commune, make_user(commune))
    root = comment_service.post(a, idea.id, body="root", stance="for")
    own = comment_service.post(a, idea.id, body="me again", stance="for", parent_id=root.id)  # no self-notice
    level1 = comment_service.post(b, idea.id, body="reply", stance="for", parent_id=root.id)
    level2 = comment_service.post(c, idea.id, body="reply 2", stance="for", parent_id=level1.id)
    comment_service.post(a, idea.id, body="reply 3", stance="for", parent_id=level2.id)
    db.session.commit()
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.user_id, n.kind) for n in notes] == [(a.id, "comment_reply"), (b.id, "comment_reply"),
                                                    (c.id, "comment_reply")]
    assert json.loads(notes[0].params)["idea_id"] == idea.id
    assert json.loads(notes[0].params)["comment_id"] == level1.id
    assert own.id


@pytest.mark.parametrize(
    ("body", "stance", "field"),
    [
        ("", "for", "body"),
        ("   \n ", "for", "body"),
        ("x" * 3001, "for", "body"),
        ("<script>alert(1)</script>", "for", "body"),
        ("ⵜⴰⵎⴰⵣⵉⵖⵜ\u202e", "for", "body"),
        ("ok\x00", "for", "body"),
        ("Fine", "maybe", "stance"),
        ("Fine", "", "stance"),
    ],
)
def test_post_refuses_bad_input_and_stores_nothing(commune, plan, body, stance, field):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    with pytest.raises(ServiceError) as caught:
        comment_service.post(person, idea.id, body=body, stance=stance)
    db.session.rollback()
    assert caught.value.field == field
    assert comment_rows() == 0 and counters(idea.id) == (0, 0, 0, 0)


def test_post_refuses_bad_parents(commune, plan):
    person = make_user(commune)
    idea, other = make_idea(commune, make_user(commune)), make_idea(commune, make_user(commune))
    elsewhere = comment_service.post(person, other.id, body="x", stance="for")
    hidden = comment_service.post(person, idea.id, body="y", stance="for")
    hidden.hidden = True
    db.session.commit()
    for parent_id in (elsewhere.id, hidden.id, 999_999):
        with pytest.raises(NotFound):
            comment_service.post(person, idea.id, body="reply", stance="for", parent_id=parent_id)
        db.session.rollback()
    assert comment_rows() == 2 and counters(idea.id) == (1, 1, 0, 0)  # only the (now hidden) comment


@pytest.mark.parametrize("extra", [{"hidden": True}, {"status": "draft"}, {"status": "rejected"}])
def test_no_comments_on_non_public_ideas(commune, plan, extra):
    author = make_user(commune)
    idea = make_idea(commune, author, **extra)
    with pytest.raises(NotFound):
        comment_service.post(author, idea.id, body="x", stance="for")
    db.session.rollback()
    assert comment_rows() == 0


def test_comments_follow_the_phases(commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    close_comment_phases(plan)
    with pytest.raises(PhaseClosed):
        comment_service.post(person, idea.id, body="x", stance="for")
    db.session.rollback()
    assert comment_rows() == 0
    set_phase(plan, "assessment", open_=True)  # open during assessment alone
    comment_service.post(person, idea.id, body="x", stance="for")
    db.session.commit()
    assert comment_rows() == 1


def test_comment_in_an_associations_name(commune, plan):
    rep = make_user(commune, ("resident", "association"))
    association = make_association(commune, rep)
    stranger = make_user(commune, ("resident", "association"))
    idea = make_idea(commune, make_user(commune))
    with pytest.raises(NotAllowed):
        comment_service.post(stranger, idea.id, body="x", stance="for", association_id=association.id)
    db.session.rollback()
    assert comment_rows() == 0
    comment = comment_service.post(rep, idea.id, body="x", stance="for", association_id=association.id)
    db.session.commit()
    assert comment.association_id == association.id


def test_staff_only_roles_cannot_comment(commune, plan):
    idea = make_idea(commune, make_user(commune))
    with pytest.raises(NotAllowed):
        comment_service.post(make_user(commune, ("committee",)), idea.id, body="x", stance="for")
    db.session.rollback()
    assert comment_rows() == 0


def test_thread_is_read_in_one_statement(commune, plan):
    idea = make_idea(commune, make_user(commune))
    people = [make_user(commune, name=f"P{i}") for i in range(4)]
    parent = None
    for i, person in enumerate(people * 3):
        c = comment_service.post(person, idea.id, body=f"c{i}", stance="for",
                                 parent_id=parent.id if parent and i % 2 else None)
        parent = c
    db.session.commit()
    idea_id = idea.id
    db.session.close()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        tree = comment_service.thread_batch(idea_id).roots
        names = [n.comment.author.display_name for n in tree] + [
            ch.comment.author.display_name for n in tree for ch in n.children]
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(names) == 12
    assert len([s for s in statements if not s.upper().startswith("BEGIN")]) == 1


# --- the routes ------------------------------------------------------------------------------

def test_comments_page_and_fragment(client, commune, plan):
    author = make_user(commune, name="Hamid")
    idea = make_idea(commune, make_user(commune), title="Éclairage")
    comment_service.post(author, idea.id, body="Très bien", stance="for")
    db.session.commit()
    page = client.get(f"/tetouan/ideas/{idea.id}/comments")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<h1") == 1
    assert "Très bien" in html and "Hamid" in html and "For: 1" in html
    fragment = client.get(f"/tetouan/ideas/{idea.id}/comments", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert "Très bien" in fragment.get_data(as_text=True)


def test_hidden_comments_keep_their_place_without_text(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    root = comment_service.post(person, idea.id, body="Insulting words here", stance="against")
    reply = comment_service.post(person, idea.id, body="Visible reply", stance="for", parent_id=root.id)
    root.hidden = True
    db.session.commit()
    for url in (f"/tetouan/ideas/{idea.id}", f"/tetouan/ideas/{idea.id}/comments"):
        for headers in ({}, HX):
            html = client.get(url, headers=headers).get_data(as_text=True)
            assert "Insulting words here" not in html
            assert "This comment was hidden by moderation." in html
            assert "Visible reply" in html and f'id="comment-{reply.id}"' in html


def test_post_a_comment_without_js(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    response = post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "Je soutiens", "stance": "for"})
    assert response.status_code == 303
    comment = db.session.scalars(select(Comment)).one()
    assert response.headers["Location"].endswith(f"/tetouan/ideas/{idea.id}#comment-{comment.id}")
    assert (comment.author_id, comment.stance, comment.depth) == (person.id, "for", 0)
    assert counters(idea.id) == (1, 1, 0, 0)


def test_post_a_comment_with_htmx(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    page = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert f'hx-post="/tetouan/ideas/{idea.id}/comments"' in page and f'hx-target="#comments-{idea.id}"' in page
    response = post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "ⴰⵣⵓⵍ, bonne idée", "stance": "neutral"},
                    htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "Your comment was published." in html and 'role="status"' in html
    assert "ⴰⵣⵓⵍ, bonne idée" in html and "Neutral: 1" in html
    assert 'name="body"' in html and "ⴰⵣⵓⵍ, bonne idée</textarea>" not in html  # a fresh form
    assert counters(idea.id) == (1, 0, 1, 0)


def test_post_a_comment_without_csrf(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    login(client, make_user(commune))
    for htmx in (False, True):
        response = post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "x", "stance": "for"},
                        token=False, htmx=htmx)
        assert response.status_code == 400
    assert comment_rows() == 0


BAD_COMMENTS = [
    ({"body": "", "stance": "for"}, "body", "Write your comment."),
    ({"body": "b" * 3001, "stance": "for"}, "body", "at most 3000 characters"),
    ({"body": "<script>alert(1)</script>", "stance": "for"}, "body", "HTML tags and scripts are not allowed"),
    ({"body": "تعليق <img src=x onerror=alert(1)>", "stance": "for"}, "body", "HTML tags"),
    ({"body": "ⵜⴰⵎⴰⵣⵉⵖⵜ\u202eabc", "stance": "for"}, "body", "direction-control characters"),
    ({"body": "Un avis", "stance": ""}, "stance", "for, neutral or against"),
    ({"body": "Un avis", "stance": "strongly"}, "stance", "for, neutral or against"),
    ({"body": "Un avis"}, "stance", "for, neutral or against"),
    ({"body": "Un avis", "stance": "for", "association_id": "77"}, "association_id", "do not represent"),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD_COMMENTS)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_comments_are_refused_next_to_the_field(client, commune, plan, data, field, message, htmx):
    idea = make_idea(commune, make_user(commune))
    login(client, make_user(commune))
    response = post(client, f"/tetouan/ideas/{idea.id}/comments", data, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("<html" in html) is (not htmx)
    error_id = f"{field}-error"
    assert f'id="{error_id}"' in html and message in html.split(f'id="{error_id}"', 1)[1].split("</p>", 1)[0]
    if data.get("body", "").strip():
        assert str(escape(data["body"])) in html  # the typed text is kept
    control = re.search(rf'<(?:input|textarea|select)\b[^>]*\bname="{field}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in control and error_id in control
    assert comment_rows() == 0 and counters(idea.id) == (0, 0, 0, 0)


def test_reply_form_and_reply(client, commune, plan):
    first = make_user(commune, name="Premier")
    idea = make_idea(commune, make_user(commune))
    root = comment_service.post(first, idea.id, body="Premier avis", stance="for")
    db.session.commit()
    replier = make_user(commune)
    login(client, replier)
    page = client.get(f"/tetouan/ideas/{idea.id}?reply_to={root.id}").get_data(as_text=True)
    assert "Reply to a comment" in page and f'name="parent_id" type="hidden" value="{root.id}"' in page
    fragment = client.get(f"/tetouan/ideas/{idea.id}/comments?reply_to={root.id}", headers=HX).get_data(as_text=True)
    assert "Reply to a comment" in fragment and "data-focus-after-swap" in fragment
    response = post(client, f"/tetouan/ideas/{idea.id}/comments",
                    {"body": "Je réponds", "stance": "against", "parent_id": root.id}, htmx=True)
    assert response.status_code == 200
    reply = db.session.scalars(select(Comment).where(Comment.parent_id == root.id)).one()
    assert reply.depth == 1 and reply.author_id == replier.id
    note = db.session.scalars(select(Notification)).one()
    assert (note.user_id, note.kind) == (first.id, "comment_reply")


def test_reply_to_a_hidden_comment_is_refused(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    root = comment_service.post(make_user(commune), idea.id, body="gone", stance="for")
    root.hidden = True
    db.session.commit()
    login(client, make_user(commune))
    response = post(client, f"/tetouan/ideas/{idea.id}/comments",
                    {"body": "Réponse gardée", "stance": "for", "parent_id": root.id}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "does not exist or was hidden" in html
    assert "Réponse gardée" in html  # the typed text is not lost
    assert comment_rows() == 1


def test_association_comment_shows_a_badge(client, commune, plan):
    rep = make_user(commune, ("resident", "association"), name="Personne Rep")
    association = make_association(commune, rep, name="Amis de la Médina")
    idea = make_idea(commune, make_user(commune))
    login(client, rep)
    page = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Comment in the name of" in page and "Amis de la Médina" in page
    post(client, f"/tetouan/ideas/{idea.id}/comments",
         {"body": "Notre association soutient", "stance": "for", "association_id": association.id})
    html = client.get(f"/tetouan/ideas/{idea.id}/comments").get_data(as_text=True)
    assert 'badge badge-association">Association: <bdi>Amis de la Médina</bdi>' in html


def test_comment_outside_the_phases(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    close_comment_phases(plan)
    login(client, make_user(commune))
    page = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Comments are closed in the current phase of the plan." in page and 'name="body"' not in page
    response = post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "Trop tard", "stance": "for"}, htmx=True)
    assert response.status_code == 403
    assert "Comments are closed" in response.get_data(as_text=True)
    assert comment_rows() == 0


def test_comment_access(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Sign in to comment" in html and 'name="body"' not in html
    anonymous = post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "x", "stance": "for"})
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]
    login(client, make_user(commune, ("committee",)))
    assert post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "x", "stance": "for"}).status_code == 403
    assert comment_rows() == 0


def test_comment_on_a_hidden_idea_is_not_found(client, commune, plan):
    idea = make_idea(commune, make_user(commune), hidden=True)
    login(client, make_user(commune))
    assert post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "x", "stance": "for"}).status_code == 404
    assert client.get(f"/tetouan/ideas/{idea.id}/comments", headers=HX).status_code == 404
    assert comment_rows() == 0


def test_comments_are_rate_limited(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    login(client, make_user(commune))
    from blueprints.ideas.routes import COMMENT_LIMIT

    allowed = int(COMMENT_LIMIT.split()[0])
    token = csrf_token_for(client)
    statuses = [client.post(f"/tetouan/ideas/{idea.id}/comments",
                            data={"body": f"avis {i}", "stance": "for", "csrf_token": token}).status_code
                for i in range(allowed + 1)]
    assert statuses[:allowed] == [303] * allowed
    assert statuses[allowed] == 429
    assert comment_rows() == allowed


def csrf_token_for(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client)
