"""Ideas: the services (create, update, submit, list, visibility) and the pages
(list and search, propose, edit, submit, show), with bad input, access and the
SQL statement budget of the public pages."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import event, func, select

from extensions import db
from models import Axis, Comment, Commune, Idea, Neighbourhood, Plan, Support
from models._base import utcnow
from services import ideas as idea_service
from services.errors import NotAllowed, NotFound, PhaseClosed, ServiceError
from tests.conftest import _OwnContextClient, login, make_association, make_idea, make_user, post, set_phase

HX = {"HX-Request": "true"}




def new_client(app):
    client = _OwnContextClient(app, app.response_class, use_cookies=True)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"  # assertions read the English msgids
    return client


# --- helpers ---------------------------------------------------------------------------------

def first_axis(commune, n=0):
    return db.session.scalars(select(Axis).where(Axis.commune_id == commune.id).order_by(Axis.position)).all()[n]


def first_hood(commune, n=0):
    return db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.commune_id == commune.id).order_by(Neighbourhood.position)
    ).all()[n]


def data(commune, **over):
    values = {
        "title": "Un jardin pour Sania Rmel",
        "description": "Planter des arbres et installer des bancs.",
        "axis_id": first_axis(commune).id,
        "neighbourhood_id": first_hood(commune).id,
        "location_text": None,
        "estimated_cost": None,
        "association_id": None,
    }
    values.update(over)
    return idea_service.IdeaInput(**values)


def form(commune, **over):
    values = {
        "title": "Un jardin pour Sania Rmel",
        "description": "Planter des arbres et installer des bancs.",
        "axis_id": str(first_axis(commune).id),
        "neighbourhood_id": str(first_hood(commune).id),
        "location_text": "",
        "estimated_cost": "",
        "submit_idea": "Submit the idea",
    }
    values.update(over)
    return values


def control_tag(html: str, name: str) -> str:
    """The opening tag of the form control called `name`."""
    match = re.search(rf'<(?:input|textarea|select)\b[^>]*\bname="{name}"[^>]*>', html)
    assert match, name
    return match.group(0)


def idea_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Idea))


def other_commune():
    from services import demo

    commune, _plan = demo.create_commune(slug="chefchaouen", today=date.today())
    db.session.commit()
    return commune


@contextmanager
def count_statements():
    """SQL statements sent to the database (transaction control left out: PostgreSQL sends none)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def statements_for(client, url) -> list[str]:
    client.get(url)  # warm-up (the first request after sign-in may touch the session)
    db.session.close()  # nothing cached in the test's session: measure what a fresh request does
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return statements


# --- services --------------------------------------------------------------------------------

def test_create_keeps_a_draft_private_and_submits_on_request(commune, plan):
    author = make_user(commune)
    draft = idea_service.create(author, commune, plan, data(commune, title="  Éclairage   "), submit=False)
    db.session.commit()
    assert draft.status == "draft" and draft.submitted_at is None
    assert draft.title == "Éclairage"
    assert draft.search_text == "eclairage planter des arbres et installer des bancs"
    submitted = idea_service.create(author, commune, plan, data(commune, estimated_cost=250_000), submit=True)
    db.session.commit()
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    assert submitted.estimated_cost == 250_000


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 151}, "title"),
        ({"title": "<script>alert(1)</script>"}, "title"),
        ({"title": "حديقة\u202e"}, "title"),
        ({"description": ""}, "description"),
        ({"description": "d" * 5001}, "description"),
        ({"description": "ⵜⴰⵎⴰⵣⵉⵖⵜ <img src=x onerror=alert(1)>"}, "description"),
        ({"location_text": "l" * 301}, "location_text"),
        ({"estimated_cost": -5}, "estimated_cost"),
        ({"estimated_cost": 10_000_000_001}, "estimated_cost"),
        ({"axis_id": 999_999}, "axis_id"),
        ({"axis_id": None}, "axis_id"),
        ({"neighbourhood_id": 999_999}, "neighbourhood_id"),
    ],
)
def test_create_refuses_bad_data_and_stores_nothing(commune, plan, over, field):
    author = make_user(commune)
    with pytest.raises(ServiceError) as caught:
        idea_service.create(author, commune, plan, data(commune, **over), submit=True)
    db.session.rollback()
    assert caught.value.field == field
    assert idea_count() == 0


def test_create_refuses_another_communes_or_inactive_axis(commune, plan):
    other = other_commune()
    author = make_user(commune)
    foreign_axis = first_axis(other)
    with pytest.raises(ServiceError) as caught:
        idea_service.create(author, commune, plan, data(commune, axis_id=foreign_axis.id), submit=True)
    assert caught.value.field == "axis_id"
    db.session.rollback()
    axis = first_axis(commune)
    axis.active = False
    db.session.commit()
    with pytest.raises(ServiceError):
        idea_service.create(author, commune, plan, data(commune, axis_id=axis.id), submit=True)
    db.session.rollback()
    assert idea_count() == 0


def test_create_only_during_collection(commune, plan):
    author = make_user(commune)
    set_phase(plan, "collection", open_=False)
    with pytest.raises(PhaseClosed):
        idea_service.create(author, commune, plan, data(commune), submit=True)
    db.session.rollback()
    assert idea_count() == 0


def test_create_in_an_associations_name_needs_a_representative(commune, plan):
    rep = make_user(commune, ("resident", "association"))
    outsider = make_user(commune, ("resident", "association"))
    association = make_association(commune, rep)
    with pytest.raises(NotAllowed):
        idea_service.create(outsider, commune, plan, data(commune, association_id=association.id), submit=True)
    db.session.rollback()
    assert idea_count() == 0
    idea = idea_service.create(rep, commune, plan, data(commune, association_id=association.id), submit=True)
    db.session.commit()
    assert idea.association_id == association.id


def test_update_changes_text_search_and_time(commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author, title="Old title")
    before = idea.updated_at
    idea_service.update(author, idea, data(commune, title="Nouvelle façade", description="Réparer"))
    db.session.commit()
    assert idea.title == "Nouvelle façade"
    assert idea.search_text == "nouvelle facade reparer"
    assert idea.updated_at >= before
    assert idea.status == "submitted"


def test_update_is_refused_to_others_and_after_review(commune, plan):
    author = make_user(commune)
    other = make_user(commune)
    idea = make_idea(commune, author, title="Original")
    with pytest.raises(NotAllowed, match="proposed yourself"):
        idea_service.update(other, idea, data(commune, title="Hijacked"))
    db.session.rollback()
    idea.reviewed_at = utcnow()
    db.session.commit()
    with pytest.raises(NotAllowed, match="moderator"):
        idea_service.update(author, idea, data(commune, title="Too late"))
    db.session.rollback()
    assert db.session.get(Idea, idea.id).title == "Original"


def test_submit_a_draft_during_collection_only(commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author, status="draft")
    set_phase(plan, "collection", open_=False)
    with pytest.raises(PhaseClosed):
        idea_service.submit(author, idea)
    db.session.rollback()
    set_phase(plan, "collection", open_=True)
    idea = db.session.get(Idea, idea.id)
    assert idea.status == "draft"
    idea_service.submit(author, idea)
    db.session.commit()
    assert idea.status == "submitted" and idea.submitted_at is not None
    with pytest.raises(ServiceError):
        idea_service.submit(author, idea)


def test_list_shows_only_public_ideas_of_the_plan(commune, plan):
    author = make_user(commune)
    visible = make_idea(commune, author, title="Visible")
    accepted = make_idea(commune, author, title="Accepted one", status="accepted")
    make_idea(commune, author, title="Draft", status="draft")
    make_idea(commune, author, title="Rejected", status="rejected")
    make_idea(commune, author, title="Hidden", hidden=True)
    page = idea_service.list_public(plan.id, idea_service.Filters())
    assert {i.id for i in page.items} == {visible.id, accepted.id}
    assert page.total == 2
    only_accepted = idea_service.list_public(plan.id, idea_service.Filters(status="accepted"))
    assert [i.id for i in only_accepted.items] == [accepted.id]
    # A status outside the allowlist falls back to the public ones, never to drafts.
    drafts = idea_service.list_public(plan.id, idea_service.Filters(status="draft"))
    assert {i.id for i in drafts.items} == {visible.id, accepted.id}


def test_list_filters_and_sorts(commune, plan):
    author = make_user(commune)
    a1, a2 = first_axis(commune, 0), first_axis(commune, 1)
    h1, h2 = first_hood(commune, 0), first_hood(commune, 1)
    x = make_idea(commune, author, title="x", axis_id=a1.id, neighbourhood_id=h1.id, support_count=5, comment_count=1)
    y = make_idea(commune, author, title="y", axis_id=a2.id, neighbourhood_id=h1.id, support_count=9, comment_count=0)
    z = make_idea(commune, author, title="z", axis_id=a1.id, neighbourhood_id=h2.id, support_count=1, comment_count=7)
    z.submitted_at = utcnow() + timedelta(minutes=5)
    db.session.commit()
    ids = lambda **f: [i.id for i in idea_service.list_public(plan.id, idea_service.Filters(**f)).items]  # noqa: E731
    assert ids() == [y.id, x.id, z.id]
    assert ids(sort="newest")[0] == z.id
    assert ids(sort="comments") == [z.id, x.id, y.id]
    assert ids(sort="title);--") == [y.id, x.id, z.id]  # unknown sort: the default
    assert ids(axis_id=a1.id) == [x.id, z.id]
    assert ids(neighbourhood_id=h1.id) == [y.id, x.id]
    assert ids(axis_id=a1.id, neighbourhood_id=h2.id) == [z.id]


def test_list_paginates(commune, plan):
    author = make_user(commune)
    for i in range(45):
        make_idea(commune, author, title=f"Idée {i}", support_count=i)
    first = idea_service.list_public(plan.id, idea_service.Filters(), 1)
    last = idea_service.list_public(plan.id, idea_service.Filters(), 3)
    beyond = idea_service.list_public(plan.id, idea_service.Filters(), 9)
    assert (len(first.items), first.total, first.pages) == (20, 45, 3)
    assert [i.support_count for i in first.items[:2]] == [44, 43]
    assert len(last.items) == 5 and not last.has_next and last.has_prev
    assert beyond.items == [] and beyond.total == 45


def test_search_finds_arabic_variants_and_french_without_accents(commune, plan):
    author = make_user(commune)
    arabic = make_idea(commune, author, title="إضاءة الأزقة المظلمة", description="مصابيح بالطاقة الشمسية")
    french = make_idea(commune, author, title="Éclairage de la médina", description="Réparer les façades")
    make_idea(commune, author, title="Bus", description="Une ligne de bus")
    found = lambda q: {i.id for i in idea_service.list_public(plan.id, idea_service.Filters(q=q)).items}  # noqa: E731
    assert found("اضاءه") == {arabic.id}
    assert found("الازقه المظلمه") == {arabic.id}
    assert found("eclairage medina") == {french.id}
    assert found("FACADES") == {french.id}
    assert found("eclairage bus") == set()  # every word must match
    assert found("%") == {i.id for i in idea_service.list_public(plan.id, idea_service.Filters()).items}
    assert found("_x_") == set()  # LIKE wildcards are escaped


def test_search_never_finds_hidden_ideas(commune, plan):
    author = make_user(commune)
    make_idea(commune, author, title="Secret hidden jardin", hidden=True)
    make_idea(commune, author, title="Draft jardin", status="draft")
    assert idea_service.list_public(plan.id, idea_service.Filters(q="jardin")).items == []


def test_get_visible_rules(commune, plan):
    author = make_user(commune)
    other = make_user(commune)
    public = make_idea(commune, author)
    draft = make_idea(commune, author, status="draft")
    hidden = make_idea(commune, author, hidden=True)
    rejected = make_idea(commune, author, status="rejected")
    for idea in (draft, hidden, rejected):
        assert idea_service.get_visible(idea.id, commune.id, author).idea.id == idea.id
        for viewer in (None, other):
            with pytest.raises(NotFound):
                idea_service.get_visible(idea.id, commune.id, viewer)
    view = idea_service.get_visible(public.id, commune.id, None)
    assert view.plan.id == plan.id and view.supported is False
    elsewhere = other_commune()
    with pytest.raises(NotFound):
        idea_service.get_visible(public.id, elsewhere.id, author)


def test_get_visible_reads_the_viewers_support_state(commune, plan):
    author = make_user(commune)
    supporter = make_user(commune)
    idea = make_idea(commune, author)
    other = make_idea(commune, author)
    db.session.add(Support(idea_id=other.id, user_id=supporter.id, plan_id=plan.id))
    db.session.commit()
    view = idea_service.get_visible(idea.id, commune.id, supporter)
    assert (view.support_used, view.supported) == (1, False)
    db.session.add(Support(idea_id=idea.id, user_id=supporter.id, plan_id=plan.id))
    db.session.commit()
    view = idea_service.get_visible(idea.id, commune.id, supporter)
    assert (view.support_used, view.supported) == (2, True)


# --- list and search pages -------------------------------------------------------------------

def test_list_page_and_fragment(client, commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author, title="Jardin de Sania", support_count=12, association_support_count=3,
                     comment_count=4)
    page = client.get("/tetouan/ideas")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1>" in html and html.count("<h1") == 1
    assert f'href="/tetouan/ideas/{idea.id}" dir="auto">Jardin de Sania</a>' in html
    assert "12 resident supports" in html and "3 association supports" in html and "4 comments" in html
    assert 'hx-get="/tetouan/ideas"' in html and 'hx-push-url="true"' in html and 'hx-target="#idea-results"' in html
    assert 'role="search"' in html and 'role="status"' in html
    assert "HX-Request" in page.headers.get("Vary", "")
    fragment = client.get("/tetouan/ideas?sort=newest", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body and "Jardin de Sania" in body
    assert 'hx-swap-oob="innerHTML"' in body and "1 idea" in body


def test_list_filters_through_the_url(client, commune, plan):
    author = make_user(commune)
    a1, a2 = first_axis(commune, 0), first_axis(commune, 1)
    make_idea(commune, author, title="Alpha idea", axis_id=a1.id)
    make_idea(commune, author, title="Beta idea", axis_id=a2.id)
    html = client.get(f"/tetouan/ideas?axis={a2.id}").get_data(as_text=True)
    assert "Beta idea" in html and "Alpha idea" not in html
    assert f'<option selected value="{a2.id}">' in html


@pytest.mark.parametrize(
    "query",
    ["sort=title);--", "sort=support_count%20desc", "axis=abc", "axis=1%20OR%201=1", "status=draft",
     "neighbourhood=-1", "page=abc", "page=-3", "page=0", "q=%27%3B%20DROP%20TABLE%20idea%3B--"],
)
def test_unknown_filter_values_are_ignored(client, commune, plan, query):
    author = make_user(commune)
    make_idea(commune, author, title="Still listed")
    make_idea(commune, author, title="A private draft", status="draft")
    response = client.get(f"/tetouan/ideas?{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A private draft" not in html
    if not query.startswith("q="):
        assert "Still listed" in html
    assert idea_count() == 2


def test_search_page_finds_arabic_and_french(client, commune, plan):
    author = make_user(commune)
    make_idea(commune, author, title="إضاءة الأزقة", description="مصابيح")
    make_idea(commune, author, title="Éclairage public", description="Des lampadaires")
    client.set_cookie("tasharuk_lang", "ar")  # the filters then show the Arabic axis names
    html = client.get("/tetouan/ideas?q=اضاءه").get_data(as_text=True)
    assert "إضاءة الأزقة" in html and "Éclairage public" not in html
    html = client.get("/tetouan/ideas?q=eclairage", headers=HX).get_data(as_text=True)
    assert "Éclairage public" in html and "إضاءة الأزقة" not in html


def test_pagination_nav(client, commune, plan):
    author = make_user(commune)
    for i in range(45):
        make_idea(commune, author, title=f"Idée numéro {i:02d}", support_count=i)
    html = client.get("/tetouan/ideas?page=2&sort=supports&q=idee").get_data(as_text=True)
    assert '<nav aria-label="Pages of results">' in html
    assert 'aria-current="page"' in html
    assert "Idée numéro 24" in html and "Idée numéro 44" not in html
    assert 'href="/tetouan/ideas?page=3&amp;q=idee"' in html
    assert 'rel="prev"' in html and 'rel="next"' in html


def test_hidden_ideas_absent_from_list_search_and_fragments(client, commune, plan):
    author = make_user(commune)
    make_idea(commune, author, title="Hidden garden idea", hidden=True)
    for url in ("/tetouan/ideas", "/tetouan/ideas?q=hidden", "/tetouan/ideas?q=garden&sort=newest", "/tetouan/"):
        assert "Hidden garden idea" not in client.get(url).get_data(as_text=True)
        assert "Hidden garden idea" not in client.get(url, headers=HX).get_data(as_text=True)


def test_stored_payloads_are_escaped_everywhere(client, commune, plan):
    """Text that got in before validation existed (or by another path) is still escaped on output."""
    author = make_user(commune, name='<img src=x onerror=alert("name")>')
    payload = '<script>alert("x")</script>\u202e ⵜⴰⵎⴰⵣⵉⵖⵜ "quoted"'
    idea = make_idea(commune, author, title=payload, description=payload, location_text=payload)
    db.session.add(Comment(idea_id=idea.id, author_id=author.id, stance="for", body=payload))
    db.session.commit()
    for url in ("/tetouan/ideas", f"/tetouan/ideas?q=script", f"/tetouan/ideas/{idea.id}",
                f"/tetouan/ideas/{idea.id}/comments"):
        for headers in ({}, HX):
            html = client.get(url, headers=headers).get_data(as_text=True)
            assert "<script>alert" not in html and "<img src=x" not in html
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


# --- the statement budget --------------------------------------------------------------------

def _grow(commune, plan, n_ideas=60, n_supporters=8):
    """More ideas, supports, association supports and comments: the page cost must not move."""
    from models import User

    users = [User(display_name=f"Extra {i}", email=f"extra{i}@example.test", password_hash="x") for i in range(n_supporters)]
    db.session.add_all(users)
    db.session.flush()
    ideas = []
    for i in range(n_ideas):
        idea = Idea(commune_id=commune.id, plan_id=plan.id, author_id=users[i % n_supporters].id,
                    title=f"Grown jardin {i}", description="d", axis_id=first_axis(commune, i % 5).id,
                    neighbourhood_id=first_hood(commune, i % 7).id, status="submitted", submitted_at=utcnow(),
                    search_text=f"grown jardin {i}")
        db.session.add(idea)
        ideas.append(idea)
    db.session.flush()
    for idea in ideas[:10]:
        for user in users:
            db.session.add(Support(idea_id=idea.id, user_id=user.id, plan_id=plan.id))
            db.session.add(Comment(idea_id=idea.id, author_id=user.id, stance="for", body="ok"))
        idea.support_count = idea.comment_count = len(users)
    db.session.commit()
    return ideas


@pytest.mark.parametrize("who", ["anonymous", "resident", "association"])
def test_public_pages_stay_within_eight_statements(client, commune, plan, who):
    author = make_user(commune)
    idea = make_idea(commune, author, title="Jardin budget")
    db.session.add(Comment(idea_id=idea.id, author_id=author.id, stance="for", body="Bien"))
    db.session.commit()
    if who != "anonymous":
        roles = ("resident",) if who == "resident" else ("resident", "association")
        person = make_user(commune, roles)
        if who == "association":
            make_association(commune, person)
        login(client, person)
    idea_id, author_id, commune_id, plan_id = idea.id, author.id, commune.id, plan.id
    urls = ["/tetouan/ideas", "/tetouan/ideas?q=jardin&axis=%d&sort=newest" % first_axis(commune).id,
            f"/tetouan/ideas/{idea_id}", f"/tetouan/ideas/{idea_id}/comments"]
    small = {url: len(statements_for(client, url)) for url in urls}
    _grow(db.session.get(Commune, commune_id), db.session.get(Plan, plan_id))
    db.session.add(Comment(idea_id=idea_id, author_id=author_id, stance="against", body="Non"))
    db.session.commit()
    large = {url: len(statements_for(client, url)) for url in urls}
    for url in urls:
        assert large[url] <= 8, (url, large[url])
        assert large[url] == small[url], (url, small[url], large[url])


def test_list_reads_counters_not_supports(client, commune, plan):
    author = make_user(commune)
    make_idea(commune, author, title="Counted")
    db.session.close()
    with count_statements() as statements:
        client.get("/tetouan/ideas?q=counted")
    sql = " ".join(statements).lower()
    assert statements and "from idea" in sql
    for table in ("support", "association_support", "comment"):
        assert f"from {table} " not in sql and f"join {table} " not in sql


# --- proposing -------------------------------------------------------------------------------

def test_new_idea_form_page(client, commune, plan):
    login(client, make_user(commune))
    client.set_cookie("tasharuk_lang", "ar")
    response = client.get("/tetouan/ideas/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="title"' in html and 'name="description"' in html and 'name="estimated_cost"' in html
    assert 'name="save_draft"' in html and 'name="submit_idea"' in html
    assert "D-GC-000/2026" in html and "09-08" in html
    assert 'name="association_id"' not in html  # represents no association
    assert first_axis(commune).name_ar in html


def test_new_idea_submitted_and_draft(client, commune, plan):
    author = make_user(commune)
    login(client, author)
    response = post(client, "/tetouan/ideas/new", form(commune, estimated_cost="1 250 000"))
    assert response.status_code == 303
    idea = db.session.scalars(select(Idea)).one()
    assert response.headers["Location"].endswith(f"/tetouan/ideas/{idea.id}")
    assert (idea.status, idea.author_id, idea.estimated_cost) == ("submitted", author.id, 1_250_000)
    assert idea.search_text.startswith("un jardin pour sania rmel")
    draft_form = form(commune, title="Brouillon")
    del draft_form["submit_idea"]
    draft_form["save_draft"] = "Keep as draft"
    post(client, "/tetouan/ideas/new", draft_form)
    draft = db.session.scalars(select(Idea).where(Idea.title == "Brouillon")).one()
    assert draft.status == "draft" and draft.submitted_at is None


def test_new_idea_over_htmx_redirects_with_a_header(client, commune, plan):
    login(client, make_user(commune))
    response = post(client, "/tetouan/ideas/new", form(commune), htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/tetouan/ideas/")
    assert idea_count() == 1


def test_new_idea_cost_accepts_arabic_indic_digits(client, commune, plan):
    login(client, make_user(commune))
    post(client, "/tetouan/ideas/new", form(commune, estimated_cost="٢٥٠٠٠٠"))
    assert db.session.scalars(select(Idea)).one().estimated_cost == 250_000


def test_new_idea_without_csrf_is_refused(client, commune, plan):
    login(client, make_user(commune))
    response = post(client, "/tetouan/ideas/new", form(commune), token=False)
    assert response.status_code == 400
    assert idea_count() == 0


BAD_IDEA_INPUT = [
    ("title", "", "Give your idea a title."),
    ("title", "t" * 151, "at most 150 characters"),
    ("title", "<script>alert(1)</script>", "HTML tags and scripts are not allowed"),
    ("title", "حديقة <b onmouseover=alert(1)>", "HTML tags and scripts are not allowed"),
    ("title", "ⵜⴰⵎⴰⵣⵉⵖⵜ\u202eⵜⴰⵎⴰⵣⵉⵖⵜ", "direction-control characters"),
    ("title", "jardin\u2066", "direction-control characters"),
    ("description", "   ", "Describe your idea."),
    ("description", "d" * 5001, "at most 5000 characters"),
    ("description", "<iframe src=javascript:alert(1)>", "HTML tags and scripts are not allowed"),
    ("description", "ligne\x07", "control characters"),
    ("location_text", "l" * 301, "at most 300 characters"),
    ("location_text", "<a href=x>ici</a>", "HTML tags and scripts are not allowed"),
    ("estimated_cost", "abc", "digits only"),
    ("estimated_cost", "-5", "cannot be negative"),
    ("estimated_cost", "1.5", "without dots, commas or centimes"),
    ("estimated_cost", "1,000", "without dots, commas or centimes"),
    ("estimated_cost", "10000000001", "cannot be more than"),
    ("estimated_cost", "9" * 5000, "cannot be more than"),
    ("axis_id", "999999", "Choose one of the plan's axes."),
    ("axis_id", "abc", "Choose one of the plan's axes."),
    ("axis_id", "", "Choose one of the plan's axes."),
    ("neighbourhood_id", "0", "Choose one of the commune's neighbourhoods."),
    ("association_id", "12345", "You do not represent this association."),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_IDEA_INPUT)
@pytest.mark.parametrize("htmx", [False, True])
def test_new_idea_bad_input(client, commune, plan, field, value, message, htmx):
    login(client, make_user(commune))
    typed = form(commune, **{field: value})
    if field != "title":
        typed["title"] = "Mon titre ⵜⴰⵎⴰⵣⵉⵖⵜ"
    response = post(client, "/tetouan/ideas/new", typed, htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert idea_count() == 0
    error_id = f"{field}-error"
    assert f'id="{error_id}"' in html
    error_text = html.split(f'id="{error_id}">', 1)[1].split("</p>", 1)[0]
    assert message in error_text
    control = control_tag(html, field)
    assert error_id in control.split('aria-describedby="', 1)[1].split('"', 1)[0]
    assert 'aria-invalid="true"' in control
    if field in ("title", "description", "location_text", "estimated_cost") and value.strip():
        assert str(escape(value)) in html  # what was typed is kept (escaped)
    if field != "title":
        assert "Mon titre ⵜⴰⵎⴰⵣⵉⵖⵜ" in html


def test_new_idea_in_an_associations_name(client, commune, plan):
    rep = make_user(commune, ("resident", "association"))
    association = make_association(commune, rep, name="Tétouan Verte")
    login(client, rep)
    html = client.get("/tetouan/ideas/new").get_data(as_text=True)
    assert 'name="association_id"' in html and "Tétouan Verte" in html
    post(client, "/tetouan/ideas/new", form(commune, association_id=str(association.id)))
    idea = db.session.scalars(select(Idea)).one()
    assert idea.association_id == association.id
    shown = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "badge-association" in shown and "Tétouan Verte" in shown


def test_new_idea_outside_collection(client, commune, plan):
    login(client, make_user(commune))
    set_phase(plan, "collection", open_=False)
    page = client.get("/tetouan/ideas/new")
    html = page.get_data(as_text=True)
    assert "Proposing ideas is not open now" in html and 'name="title"' not in html
    response = post(client, "/tetouan/ideas/new", form(commune, title="Typed before closing"))
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Proposing ideas is not open now" in html
    assert "Typed before closing" in html  # the text is not lost
    assert idea_count() == 0


def test_new_idea_access(client, commune, plan):
    response = client.get("/tetouan/ideas/new")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    committee = make_user(commune, ("committee",))
    login(client, committee)
    assert client.get("/tetouan/ideas/new").status_code == 403
    assert post(client, "/tetouan/ideas/new", form(commune)).status_code == 403
    assert idea_count() == 0


def test_other_communes_admin_cannot_propose_here(client, commune, plan):
    elsewhere = other_commune()
    admin = make_user(elsewhere, ("admin", "resident"))
    login(client, admin)
    assert client.get("/tetouan/ideas/new").status_code == 403
    assert post(client, "/tetouan/ideas/new", form(commune)).status_code == 403
    assert idea_count() == 0


def test_posted_privileged_fields_are_ignored(client, commune, plan):
    author = make_user(commune)
    login(client, author)
    extra = form(commune, status="accepted", author_id="999", support_count="500", hidden="1", reviewed_at="2020-01-01")
    post(client, "/tetouan/ideas/new", extra)
    idea = db.session.scalars(select(Idea)).one()
    assert (idea.status, idea.author_id, idea.support_count, idea.hidden, idea.reviewed_at) == (
        "submitted", author.id, 0, False, None)


# --- editing and submitting ------------------------------------------------------------------

def test_author_edits_an_idea(client, commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author, title="Premier titre")
    login(client, author)
    page = client.get(f"/tetouan/ideas/{idea.id}/edit")
    assert page.status_code == 200 and 'value="Premier titre"' in page.get_data(as_text=True)
    response = post(client, f"/tetouan/ideas/{idea.id}/edit",
                    form(commune, title="Titre corrigé", save_draft="Save", submit_idea=None))
    assert response.status_code == 303
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert idea.title == "Titre corrigé" and idea.search_text.startswith("titre corrige")
    assert idea.status == "submitted"


def test_edit_bad_input_keeps_text_and_changes_nothing(client, commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author, title="Intact")
    login(client, author)
    response = post(client, f"/tetouan/ideas/{idea.id}/edit", form(commune, title="Nouveau", estimated_cost="1.5"),
                    htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="estimated_cost-error"' in html and 'value="Nouveau"' in html
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Intact"


def test_editing_someone_elses_idea_is_refused(client, commune, plan):
    author = make_user(commune)
    intruder = make_user(commune)
    idea = make_idea(commune, author, title="Not yours")
    login(client, intruder)
    page = client.get(f"/tetouan/ideas/{idea.id}/edit")
    assert page.status_code == 403
    assert "You can only change ideas you proposed yourself." in page.get_data(as_text=True)
    response = post(client, f"/tetouan/ideas/{idea.id}/edit", form(commune, title="Hijacked"))
    assert response.status_code == 403
    fragment = post(client, f"/tetouan/ideas/{idea.id}/edit", form(commune, title="Hijacked"), htmx=True)
    assert fragment.status_code == 403 and "<html" not in fragment.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Not yours"


def test_editing_after_a_moderator_looked_is_refused(client, commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author, title="Reviewed", status="accepted", reviewed_at=utcnow())
    login(client, author)
    assert "Change the idea" not in client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    response = post(client, f"/tetouan/ideas/{idea.id}/edit", form(commune, title="Changed"))
    assert response.status_code == 403 and "moderator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).title == "Reviewed"


def test_submit_a_draft(client, commune, plan):
    author = make_user(commune)
    draft = make_idea(commune, author, status="draft", title="Mon brouillon")
    login(client, author)
    page = client.get(f"/tetouan/ideas/{draft.id}").get_data(as_text=True)
    assert "only you can see it" in page and f'action="/tetouan/ideas/{draft.id}/submit"' in page
    assert post(client, f"/tetouan/ideas/{draft.id}/submit", token=False).status_code == 400
    response = post(client, f"/tetouan/ideas/{draft.id}/submit")
    assert response.status_code == 303
    db.session.expire_all()
    idea = db.session.get(Idea, draft.id)
    assert idea.status == "submitted" and idea.submitted_at is not None
    assert "Mon brouillon" in client.get("/tetouan/ideas").get_data(as_text=True)


def test_submit_someone_elses_draft_is_not_found(client, commune, plan):
    author = make_user(commune)
    draft = make_idea(commune, author, status="draft")
    login(client, make_user(commune))
    assert post(client, f"/tetouan/ideas/{draft.id}/submit").status_code == 404
    db.session.expire_all()
    assert db.session.get(Idea, draft.id).status == "draft"


def test_submit_outside_collection_is_refused(client, commune, plan):
    author = make_user(commune)
    draft = make_idea(commune, author, status="draft")
    login(client, author)
    set_phase(plan, "collection", open_=False)
    response = post(client, f"/tetouan/ideas/{draft.id}/submit", htmx=True)
    assert response.status_code == 403 and "not open now" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, draft.id).status == "draft"


# --- the idea page ---------------------------------------------------------------------------

def test_idea_page_shows_the_idea(client, commune, plan):
    author = make_user(commune, name="Salma Idrissi")
    idea = make_idea(commune, author, title="Jardin", description="Ligne 1\nLigne 2", estimated_cost=1_250_000,
                     location_text="Près de l'école", support_count=7, association_support_count=2,
                     comments_for=3, comments_neutral=1, comments_against=2)
    client.set_cookie("tasharuk_lang", "en")  # English interface; official names shown in French
    response = client.get(f"/tetouan/ideas/{idea.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 id="idea-title" dir="auto">Jardin</h1>' in html
    assert "Salma Idrissi" in html and first_axis(commune).name_fr in html and first_hood(commune).name_fr in html
    assert "MAD1,250,000" in html  # |mad in the English interface
    assert "<strong>7</strong> residents support this idea" in html
    assert "<strong>2</strong> associations support it" in html
    assert "For: 3" in html and "Neutral: 1" in html and "Against: 2" in html
    assert f'id="support-{idea.id}-status" class="support-status" role="status"' in html


def test_idea_page_report_link(client, commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author)
    login(client, make_user(commune))
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    if "moderation.report" in client.application.view_functions:
        assert f'href="/tetouan/report/idea/{idea.id}"' in html
    else:
        assert "/report/" not in html


@pytest.mark.parametrize("kind", ["draft", "hidden", "rejected"])
def test_private_ideas_only_to_their_author(app, client, commune, plan, kind):
    author = make_user(commune)
    extra = {"status": "draft"} if kind == "draft" else {"hidden": True} if kind == "hidden" else {"status": "rejected"}
    idea = make_idea(commune, author, title="Private thing", **extra)
    for url in (f"/tetouan/ideas/{idea.id}", f"/tetouan/ideas/{idea.id}/comments"):
        assert client.get(url).status_code == 404
        assert client.get(url, headers=HX).status_code == 404
    someone = new_client(app)
    login(someone, make_user(commune))
    assert someone.get(f"/tetouan/ideas/{idea.id}").status_code == 404
    owner = new_client(app)
    login(owner, author)
    page = owner.get(f"/tetouan/ideas/{idea.id}")
    assert page.status_code == 200 and "Private thing" in page.get_data(as_text=True)
    assert "only you can see it" in page.get_data(as_text=True)


def test_idea_of_another_commune_is_not_found_here(client, commune, plan):
    author = make_user(commune)
    idea = make_idea(commune, author)
    other_commune()
    assert client.get(f"/chefchaouen/ideas/{idea.id}").status_code == 404
    assert client.get("/tetouan/ideas/999999").status_code == 404


# --- every POST needs its CSRF token; every route its role ------------------------------------

def test_every_post_route_refuses_a_missing_csrf_token(client, commune, plan):
    rep = make_user(commune, ("resident", "association"))
    association = make_association(commune, rep)
    draft = make_idea(commune, rep, status="draft", title="Draft before")
    idea = make_idea(commune, rep, title="Idea before")
    login(client, rep)
    attempts = [
        ("/tetouan/ideas/new", form(commune, title="Sneaky")),
        (f"/tetouan/ideas/{idea.id}/edit", form(commune, title="Sneaky")),
        (f"/tetouan/ideas/{draft.id}/submit", {}),
        (f"/tetouan/ideas/{idea.id}/support", {}),
        (f"/tetouan/ideas/{idea.id}/withdraw", {}),
        (f"/tetouan/ideas/{idea.id}/association-support", {"association_id": association.id}),
        (f"/tetouan/ideas/{idea.id}/association-withdraw", {"association_id": association.id}),
        (f"/tetouan/ideas/{idea.id}/comments", {"body": "Sneaky", "stance": "for"}),
    ]
    rules = {r.rule for r in client.application.url_map.iter_rules() if r.endpoint.startswith("ideas.")
             and "POST" in r.methods}
    assert len(rules) == len(attempts)  # a new POST route must be added here
    for url, data in attempts:
        for htmx in (False, True):
            response = post(client, url, data, token=False, htmx=htmx)
            assert response.status_code == 400, url
    db.session.expire_all()
    assert idea_count() == 2
    assert db.session.get(Idea, draft.id).status == "draft"
    assert db.session.get(Idea, idea.id).title == "Idea before"
    assert db.session.scalar(select(func.count()).select_from(Support)) == 0
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


ROLE_MATRIX = {
    # role -> may (propose, support, support as association, comment)
    "resident": (True, True, False, True),
    "association": (True, False, True, True),
    "moderator": (False, False, False, False),
    "committee": (False, False, False, False),
    "admin": (False, False, False, False),
}


@pytest.mark.parametrize("role", [*ROLE_MATRIX, "other commune admin"])
def test_route_role_matrix(app, commune, plan, role):
    """Who reaches which action (403 = refused by the access rule; anything else = let through to the form)."""
    author = make_user(commune)
    idea = make_idea(commune, author)
    if role == "other commune admin":
        person = make_user(other_commune(), ("admin", "resident", "association"))
        may = (False, False, False, False)
    else:
        person = make_user(commune, (role,))
        may = ROLE_MATRIX[role]
    association = make_association(commune, person)  # a representative row, whatever the role
    client = new_client(app)
    login(client, person)
    checks = [
        client.get("/tetouan/ideas/new"),
        post(client, f"/tetouan/ideas/{idea.id}/support", {}),
        post(client, f"/tetouan/ideas/{idea.id}/association-support", {"association_id": association.id}),
        post(client, f"/tetouan/ideas/{idea.id}/comments", {"body": "", "stance": ""}),
    ]
    for allowed, response in zip(may, checks):
        assert (response.status_code != 403) is allowed, (role, response.request.path, response.status_code)
    for url in ("/tetouan/ideas", f"/tetouan/ideas/{idea.id}", f"/tetouan/ideas/{idea.id}/comments"):
        assert client.get(url).status_code == 200
    assert client.get(f"/tetouan/ideas/{idea.id}/edit").status_code == 403  # never someone else's idea


def test_anonymous_people_are_sent_to_sign_in_for_every_action(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    targets = [("get", "/tetouan/ideas/new"), ("get", f"/tetouan/ideas/{idea.id}/edit"),
               ("post", f"/tetouan/ideas/{idea.id}/edit"), ("post", f"/tetouan/ideas/{idea.id}/submit"),
               ("post", f"/tetouan/ideas/{idea.id}/support"), ("post", f"/tetouan/ideas/{idea.id}/withdraw"),
               ("post", f"/tetouan/ideas/{idea.id}/association-support"),
               ("post", f"/tetouan/ideas/{idea.id}/association-withdraw"),
               ("post", f"/tetouan/ideas/{idea.id}/comments")]
    for method, url in targets:
        response = client.get(url) if method == "get" else post(client, url, {})
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], url
    assert idea_count() == 1
