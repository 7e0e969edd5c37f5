"""Comment threads in batches (services.comments.thread_batch, ideas.show_idea?comments_after=…,
ideas.more_comments): 30 conversations with the page, then a "Show more comments" link —
keyset on (created_at, id), a real link without JavaScript, the next batch's fragment with htmx."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from extensions import db
from tests.conftest import make_idea, make_user

MORE = re.compile(r'href="([^"]*comments_after=[^"#]*)[^"]*"\s+hx-get="([^"]+)"')


@pytest.fixture()
def thread(app, commune):
    """An idea with 75 top-level comments (c0 oldest … c74), two of them hidden, and replies under c1
    and c40; the replies are newer than every top-level comment."""
    from models import Comment
    from models._base import utcnow

    author = make_user(commune, ("resident",), name="Auteur du fil")
    idea = make_idea(commune, author)
    base = utcnow() - timedelta(days=2)
    comments = []
    for i in range(75):
        comment = Comment(idea_id=idea.id, author_id=author.id, stance=("for", "neutral", "against")[i % 3],
                          body=f"Avis numéro {i:02d}.", created_at=base + timedelta(minutes=i),
                          hidden=i in (10, 45), hidden_reason="insulte" if i in (10, 45) else None)
        db.session.add(comment)
        comments.append(comment)
    db.session.flush()
    late = base + timedelta(hours=5)
    for parent, n in ((comments[1], "A"), (comments[40], "B")):
        db.session.add(Comment(idea_id=idea.id, author_id=author.id, stance="for", body=f"Réponse {n}.",
                               parent_id=parent.id, depth=1, created_at=late))
    idea.comment_count, idea.comments_for, idea.comments_neutral, idea.comments_against = 75, 27, 24, 24
    db.session.commit()
    return idea


def _shown(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"Avis numéro (\d\d)\.", html)]


def test_the_service_reads_batches_by_keyset(app, thread):
    from services import comments

    first = comments.thread_batch(thread.id)
    assert [n.comment.body for n in first.roots][:2] == ["Avis numéro 00.", "Avis numéro 01."]
    assert len(first.roots) == 30 and first.first and first.next_cursor
    assert [c.comment.body for c in first.roots[1].children] == ["Réponse A."]  # replies come with their root
    second = comments.thread_batch(thread.id, comments.parse_cursor(first.next_cursor))
    assert len(second.roots) == 30 and not second.first
    assert second.roots[0].comment.body == "Avis numéro 30."
    third = comments.thread_batch(thread.id, comments.parse_cursor(second.next_cursor))
    assert len(third.roots) == 15 and third.next_cursor is None
    assert third.shown == 15 and second.shown == 31  # "Réponse B." under c40


def test_75_comments_shown_30_then_30_then_15(app, client, thread):
    page = client.get(f"/tetouan/ideas/{thread.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _shown(html) == [n for n in range(30) if n != 10]  # c10 is hidden: a placeholder, never its text
    assert "This comment was hidden by moderation." in html and "Réponse A." in html
    # The summary counts every comment of the thread, not the batch.
    assert "For: 27" in html and "Against: 24" in html
    link, fragment_url = MORE.search(html).groups()
    assert "Show more comments" in html
    assert link.startswith(f"/tetouan/ideas/{thread.id}?comments_after=")
    assert fragment_url.startswith(f"/tetouan/ideas/{thread.id}/comments/more?comments_after=")

    second = client.get(link.replace("&amp;", "&")).get_data(as_text=True)  # without JavaScript: the page
    assert _shown(second) == [n for n in range(30, 60) if n != 45]
    assert "Réponse B." in second and "Back to the first comments" in second
    assert "<h1" in second  # a whole page

    third_link, _ = MORE.search(second).groups()
    third = client.get(third_link.replace("&amp;", "&")).get_data(as_text=True)
    assert _shown(third) == list(range(60, 75))
    assert "Show more comments" not in third


def test_the_next_batch_as_an_htmx_fragment(app, client, thread):
    html = client.get(f"/tetouan/ideas/{thread.id}").get_data(as_text=True)
    _link, fragment_url = MORE.search(html).groups()
    response = client.get(fragment_url.replace("&amp;", "&"), headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers.get("Vary", "")
    assert "<html" not in fragment and "<h1" not in fragment
    assert _shown(fragment) == [n for n in range(30, 60) if n != 45]
    assert 'role="status"' in fragment and "31 more comments shown" in fragment
    # The first comment of the batch takes the focus (static/js/app.js: data-focus-after-swap).
    first = re.search(r'<li id="comment-\d+" class="comment"([^>]*)>', fragment).group(1)
    assert 'tabindex="-1"' in first and "data-focus-after-swap" in first
    # The next link replaces this one (hx-swap outerHTML on its own container).
    assert f'hx-target="#more-comments-{thread.id}"' in fragment and 'hx-swap="outerHTML"' in fragment
    last = client.get(MORE.search(fragment).group(2).replace("&amp;", "&"), headers={"HX-Request": "true"})
    assert _shown(last.get_data(as_text=True)) == list(range(60, 75))
    assert "Show more comments" not in last.get_data(as_text=True)


def test_the_fragment_url_without_htmx_lands_on_the_page(app, client, thread):
    html = client.get(f"/tetouan/ideas/{thread.id}").get_data(as_text=True)
    _link, fragment_url = MORE.search(html).groups()
    response = client.get(fragment_url.replace("&amp;", "&"))
    assert response.status_code == 303
    assert f"/tetouan/ideas/{thread.id}?comments_after=" in response.headers["Location"]
    assert response.headers["Location"].endswith("#comments-title")


def test_hiding_the_comment_a_cursor_points_at_does_not_break_it(app, client, thread):
    from sqlalchemy import select, update

    from models import Comment

    html = client.get(f"/tetouan/ideas/{thread.id}").get_data(as_text=True)
    link, _ = MORE.search(html).groups()
    # The batch ended on c29: a moderator hides it, and c31, after the link was given.
    db.session.execute(update(Comment).where(Comment.body.in_(["Avis numéro 29.", "Avis numéro 31."]))
                       .values(hidden=True))
    db.session.commit()
    second = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert _shown(second) == [n for n in range(30, 60) if n not in (31, 45)]
    assert "Avis numéro 31." not in second and second.count("This comment was hidden by moderation.") == 2
    assert db.session.scalar(select(Comment.hidden).where(Comment.body == "Avis numéro 29.")) is True


@pytest.mark.parametrize("cursor", ["nonsense", "2024-01-01T10:00:00_x", "2024-13-45T10:00:00_3",
                                    "1' OR '1'='1", "2024-01-01T10:00:00.123456_" + "9" * 30])
def test_a_bad_cursor_is_refused_with_a_message(app, client, thread, cursor):
    page = client.get(f"/tetouan/ideas/{thread.id}", query_string={"comments_after": cursor})
    assert page.status_code == 400
    assert "This link to more comments is not valid." in page.get_data(as_text=True)
    fragment = client.get(f"/tetouan/ideas/{thread.id}/comments/more", query_string={"comments_after": cursor},
                          headers={"HX-Request": "true"})
    assert fragment.status_code == 400
    assert "This link to more comments is not valid." in fragment.get_data(as_text=True)


def test_more_comments_of_a_hidden_or_foreign_idea_is_not_found(app, client, thread, commune):
    from services import demo

    thread.hidden = True
    db.session.commit()
    url = f"/tetouan/ideas/{thread.id}/comments/more?comments_after=2024-01-01T10:00:00.000000_1"
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    demo.create_commune(slug="chefchaouen")
    db.session.commit()
    other = url.replace("/tetouan/", "/chefchaouen/")
    assert client.get(other, headers={"HX-Request": "true"}).status_code == 404


def test_a_reply_to_a_comment_of_a_later_batch_keeps_its_context(app, client, thread, commune, plan):
    from sqlalchemy import select

    from models import Comment
    from tests.conftest import login, set_phase

    set_phase(plan, "assessment", True)  # comments are open then (tests/test_comments.py)
    resident = make_user(commune, ("resident",))
    login(client, resident)
    target = db.session.scalar(select(Comment).where(Comment.body == "Avis numéro 70."))
    html = client.get(f"/tetouan/ideas/{thread.id}/comments", query_string={"reply_to": target.id},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Reply to a comment" in html and "Avis numéro 70." in html
    assert f'name="parent_id" type="hidden" value="{target.id}"' in html
