"""Supports: one per person per idea, the per-plan limit, the support phase, associations counted
apart — through the service and through the htmx/no-JS routes. Nobody sees who supported what."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select

from extensions import db
from models import AssociationSupport, Idea, Plan, Support
from services import supports
from services.errors import Conflict, NotAllowed, NotFound, PhaseClosed
from tests.conftest import _OwnContextClient, login, make_association, make_idea, make_user, post, set_phase

HX = {"HX-Request": "true"}




def rows(user_id=None, idea_id=None) -> int:
    stmt = select(func.count()).select_from(Support)
    if user_id is not None:
        stmt = stmt.where(Support.user_id == user_id)
    if idea_id is not None:
        stmt = stmt.where(Support.idea_id == idea_id)
    return db.session.scalar(stmt)


def association_rows(idea_id) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AssociationSupport).where(AssociationSupport.idea_id == idea_id)
    )


def counts(idea_id) -> tuple[int, int]:
    db.session.expire_all()
    idea = db.session.get(Idea, idea_id)
    return idea.support_count, idea.association_support_count


def set_limit(plan, limit):
    plan = db.session.get(Plan, plan.id)
    plan.support_limit = limit
    db.session.commit()


# --- the service -----------------------------------------------------------------------------

def test_support_and_withdraw(commune, plan):
    author, person = make_user(commune), make_user(commune)
    idea = make_idea(commune, author)
    supports.support(person, idea.id)
    db.session.commit()
    assert rows(person.id, idea.id) == 1 and counts(idea.id) == (1, 0)
    state = supports.state(person, db.session.get(Idea, idea.id))
    assert state.supported and state.used == 1 and state.limit == 10 and state.remaining == 9
    supports.withdraw(person, idea.id)
    db.session.commit()
    assert rows(person.id, idea.id) == 0 and counts(idea.id) == (0, 0)
    assert not supports.state(person, db.session.get(Idea, idea.id)).supported


def test_double_support_is_refused(commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    supports.support(person, idea.id)
    db.session.commit()
    with pytest.raises(Conflict, match="already support"):
        supports.support(person, idea.id)
    db.session.rollback()
    assert rows(person.id, idea.id) == 1 and counts(idea.id) == (1, 0)


def test_support_over_the_limit_is_refused(commune, plan):
    set_limit(plan, 2)
    person, author = make_user(commune), make_user(commune)
    ideas = [make_idea(commune, author, title=f"Idea {i}") for i in range(3)]
    for idea in ideas[:2]:
        supports.support(person, idea.id)
    db.session.commit()
    with pytest.raises(Conflict, match="all 2 of your supports"):
        supports.support(person, ideas[2].id)
    db.session.rollback()
    assert rows(person.id) == 2 and counts(ideas[2].id) == (0, 0)
    # Withdrawing one frees a support.
    supports.withdraw(person, ideas[0].id)
    supports.support(person, ideas[2].id)
    db.session.commit()
    assert rows(person.id) == 2 and counts(ideas[2].id) == (1, 0)


def test_support_outside_the_phase_is_refused(commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    set_phase(plan, "support", open_=False)
    with pytest.raises(PhaseClosed):
        supports.support(person, idea.id)
    db.session.rollback()
    assert rows() == 0 and counts(idea.id) == (0, 0)


@pytest.mark.parametrize("extra", [{"hidden": True}, {"status": "draft"}, {"status": "rejected"}])
def test_support_of_a_non_public_idea_is_refused(commune, plan, extra):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune), **extra)
    with pytest.raises(NotFound):
        supports.support(person, idea.id)
    db.session.rollback()
    assert rows() == 0


def test_withdraw_without_support_is_refused(commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune), support_count=4)
    with pytest.raises(Conflict, match="do not support"):
        supports.withdraw(person, idea.id)
    db.session.rollback()
    assert counts(idea.id) == (4, 0)


@pytest.mark.parametrize("roles", [("committee",), ("association",), ("moderator",)])
def test_only_residents_support(commune, plan, roles):
    person = make_user(commune, roles)
    idea = make_idea(commune, make_user(commune))
    with pytest.raises(NotAllowed):
        supports.support(person, idea.id)
    db.session.rollback()
    assert rows() == 0


def test_a_resident_of_another_commune_cannot_support_here(commune, plan):
    from services import demo

    other, _plan = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    outsider = make_user(other)
    idea = make_idea(commune, make_user(commune))
    with pytest.raises(NotAllowed):
        supports.support(outsider, idea.id)
    db.session.rollback()
    assert rows() == 0


def test_association_supports_are_counted_apart(commune, plan):
    rep = make_user(commune, ("resident", "association"))
    association = make_association(commune, rep)
    idea = make_idea(commune, make_user(commune))
    supports.support_as_association(rep, idea.id, association.id)
    supports.support(rep, idea.id)  # as a resident too: a different count
    db.session.commit()
    assert counts(idea.id) == (1, 1) and association_rows(idea.id) == 1
    with pytest.raises(Conflict):
        supports.support_as_association(rep, idea.id, association.id)
    db.session.rollback()
    states = supports.association_states(rep, db.session.get(Idea, idea.id))
    assert [(s.association.id, s.supported) for s in states] == [(association.id, True)]
    supports.withdraw_as_association(rep, idea.id, association.id)
    db.session.commit()
    assert counts(idea.id) == (1, 0) and association_rows(idea.id) == 0
    with pytest.raises(Conflict):
        supports.withdraw_as_association(rep, idea.id, association.id)


def test_acting_for_an_association_one_does_not_represent_is_refused(commune, plan):
    rep = make_user(commune, ("resident", "association"))
    other_rep = make_user(commune, ("resident", "association"))
    theirs = make_association(commune, other_rep, name="Not mine")
    unverified = make_association(commune, rep, name="Pending", verified=False)
    idea = make_idea(commune, make_user(commune))
    for association_id in (theirs.id, unverified.id, 999_999):
        with pytest.raises(NotAllowed, match="do not represent"):
            supports.support_as_association(rep, idea.id, association_id)
        db.session.rollback()
    supports.support_as_association(other_rep, idea.id, theirs.id)
    db.session.commit()
    with pytest.raises(NotAllowed):
        supports.withdraw_as_association(rep, idea.id, theirs.id)
    db.session.rollback()
    assert counts(idea.id) == (0, 1) and association_rows(idea.id) == 1
    # Representing an association without holding the association role: refused too.
    plain = make_user(commune)
    mine = make_association(commune, plain, name="Role missing")
    with pytest.raises(NotAllowed):
        supports.support_as_association(plain, idea.id, mine.id)


# --- the routes ------------------------------------------------------------------------------

def test_support_without_js_redirects_back(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    response = post(client, f"/tetouan/ideas/{idea.id}/support")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tetouan/ideas/{idea.id}")
    assert rows(person.id, idea.id) == 1 and counts(idea.id) == (1, 0)
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Withdraw my support" in html and "<strong>1</strong> resident supports this idea" in html
    assert "9 of 10 supports left" in html


def test_support_with_htmx_swaps_the_fragment(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune), support_count=4)
    login(client, person)
    page = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert f'hx-post="/tetouan/ideas/{idea.id}/support"' in page and f'hx-target="#support-{idea.id}"' in page
    response = post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "HX-Request" in response.headers["Vary"]
    assert f'hx-post="/tetouan/ideas/{idea.id}/withdraw"' in html
    assert "data-focus-after-swap" in html
    assert f'id="support-{idea.id}-status" class="support-status" role="status" hx-swap-oob="innerHTML"' in html
    assert "<strong>5</strong> residents support this idea" in html
    assert "Your support was recorded." in html and "9 of 10 supports left" in html
    assert len(html.encode()) < 2048  # one htmx support interaction stays small
    withdrawn = post(client, f"/tetouan/ideas/{idea.id}/withdraw", htmx=True)
    body = withdrawn.get_data(as_text=True)
    assert withdrawn.status_code == 200 and "Your support was withdrawn." in body
    assert f'hx-post="/tetouan/ideas/{idea.id}/support"' in body
    assert counts(idea.id) == (4, 0) and rows() == 0


def test_support_without_csrf_is_refused(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    for htmx in (False, True):
        assert post(client, f"/tetouan/ideas/{idea.id}/support", token=False, htmx=htmx).status_code == 400
    assert rows() == 0 and counts(idea.id) == (0, 0)


def test_double_support_over_http(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True)
    again = post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True)
    assert again.status_code == 409
    assert "You already support this idea." in again.get_data(as_text=True)
    full = post(client, f"/tetouan/ideas/{idea.id}/support")
    assert full.status_code == 409 and "<html" in full.get_data(as_text=True)
    assert "You already support this idea." in full.get_data(as_text=True)
    assert rows(person.id, idea.id) == 1 and counts(idea.id) == (1, 0)


def test_support_over_the_limit_over_http(client, commune, plan):
    set_limit(plan, 1)
    person, author = make_user(commune), make_user(commune)
    first, second = make_idea(commune, author, title="A"), make_idea(commune, author, title="B")
    login(client, person)
    post(client, f"/tetouan/ideas/{first.id}/support", htmx=True)
    refused = post(client, f"/tetouan/ideas/{second.id}/support", htmx=True)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "You have used all 1 of your supports" in html and "0 of 1 supports left" in html
    assert rows(person.id) == 1 and counts(second.id) == (0, 0)


def test_no_limit_no_counter_line(client, commune, plan):
    set_limit(plan, None)
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    html = post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True).get_data(as_text=True)
    assert "Your support was recorded." in html and "supports left" not in html


def test_support_outside_the_phase_over_http(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    set_phase(plan, "support", open_=False)
    login(client, person)
    page = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Supporting ideas is not open now" in page and "Support this idea</button>" not in page
    refused = post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True)
    assert refused.status_code == 403
    assert "Supporting ideas is not open now" in refused.get_data(as_text=True)
    assert rows() == 0 and counts(idea.id) == (0, 0)


def test_support_of_a_hidden_idea_over_http(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune), hidden=True, support_count=2)
    login(client, person)
    refused = post(client, f"/tetouan/ideas/{idea.id}/support", htmx=True)
    assert refused.status_code == 404
    assert "no longer public" in refused.get_data(as_text=True)
    assert rows() == 0 and counts(idea.id) == (2, 0)


def test_withdraw_without_support_over_http(client, commune, plan):
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune), support_count=3)
    login(client, person)
    refused = post(client, f"/tetouan/ideas/{idea.id}/withdraw", htmx=True)
    assert refused.status_code == 409 and "You do not support this idea." in refused.get_data(as_text=True)
    assert counts(idea.id) == (3, 0)


def test_anonymous_people_are_asked_to_sign_in(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Sign in to support this idea" in html and f"/tetouan/ideas/{idea.id}/support" not in html
    response = post(client, f"/tetouan/ideas/{idea.id}/support")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert rows() == 0


def test_staff_without_resident_role_cannot_support(client, commune, plan):
    idea = make_idea(commune, make_user(commune))
    login(client, make_user(commune, ("committee",)))
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert f"/tetouan/ideas/{idea.id}/support" not in html
    assert post(client, f"/tetouan/ideas/{idea.id}/support").status_code == 403
    assert rows() == 0


def test_support_through_another_communes_url_is_not_found(client, commune, plan):
    from services import demo

    demo.create_commune(slug="chefchaouen")
    db.session.commit()
    person = make_user(commune)
    idea = make_idea(commune, make_user(commune))
    login(client, person)
    response = post(client, f"/chefchaouen/ideas/{idea.id}/support")
    assert response.status_code in (403, 404)
    assert rows() == 0


def test_association_support_over_http(client, commune, plan):
    rep = make_user(commune, ("resident", "association"))
    association = make_association(commune, rep, name="Tétouan Verte")
    idea = make_idea(commune, make_user(commune))
    login(client, rep)
    page = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "In the name of your associations" in page and "Support in the name of <bdi>Tétouan Verte</bdi>" in page
    response = post(client, f"/tetouan/ideas/{idea.id}/association-support",
                    {"association_id": association.id}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your association&#39;s support was recorded." in html or "Your association's support was recorded." in html
    assert "<strong>1</strong> association supports it" in html and "data-focus-after-swap" in html
    assert counts(idea.id) == (0, 1)
    full = post(client, f"/tetouan/ideas/{idea.id}/association-withdraw", {"association_id": association.id})
    assert full.status_code == 303 and counts(idea.id) == (0, 0)


def test_association_support_for_someone_elses_association(client, commune, plan):
    rep = make_user(commune, ("resident", "association"))
    make_association(commune, rep, name="Mine")
    theirs = make_association(commune, make_user(commune, ("association",)), name="Theirs")
    idea = make_idea(commune, make_user(commune))
    login(client, rep)
    for htmx in (False, True):
        refused = post(client, f"/tetouan/ideas/{idea.id}/association-support",
                       {"association_id": theirs.id}, htmx=htmx)
        assert refused.status_code == 403
        assert "You do not represent this association." in refused.get_data(as_text=True)
    assert post(client, f"/tetouan/ideas/{idea.id}/association-support", {"association_id": "abc"}).status_code == 400
    assert post(client, f"/tetouan/ideas/{idea.id}/association-support", {"association_id": theirs.id},
                token=False).status_code == 400
    assert counts(idea.id) == (0, 0) and association_rows(idea.id) == 0


def test_residents_cannot_act_for_associations(client, commune, plan):
    resident = make_user(commune)
    association = make_association(commune, resident)  # a representative row, but not the role
    idea = make_idea(commune, make_user(commune))
    login(client, resident)
    assert "In the name of your associations" not in client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    response = post(client, f"/tetouan/ideas/{idea.id}/association-support", {"association_id": association.id})
    assert response.status_code == 403
    assert association_rows(idea.id) == 0


def test_no_page_shows_who_supported_what(app, client, commune, plan):
    supporter = make_user(commune, ("resident", "association"), name="Zineb Supportrice")
    association = make_association(commune, supporter, name="Association Zineb")
    idea = make_idea(commune, make_user(commune, name="Author Person"), title="Jardin public")
    supports.support(supporter, idea.id)
    supports.support_as_association(supporter, idea.id, association.id)
    db.session.commit()
    viewer = _OwnContextClient(app, app.response_class, use_cookies=True)
    login(viewer, make_user(commune, name="Curious Neighbour"))
    for who in (client, viewer):
        for url in ("/tetouan/ideas", f"/tetouan/ideas/{idea.id}", f"/tetouan/ideas/{idea.id}/comments",
                    "/tetouan/ideas?q=jardin", "/tetouan/"):
            for headers in ({}, HX):
                html = who.get(url, headers=headers).get_data(as_text=True)
                assert "Zineb Supportrice" not in html, url
                assert "Association Zineb" not in html, url
