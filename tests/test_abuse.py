"""Abuse (SECURITY.md §4 "Abuse"): a repeated report counts once, three distinct reporters hide an
item, and a hidden item disappears from every list, search, fragment and export; deleting an
account does not take its supports back; registering again with the same identifier gives them
back (never twice).

(The service-level moderation rules are in test_moderation; here they are followed through every
public way of reading the item.)
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Comment, Idea, Support
from services import moderation
from services.errors import Conflict
from tests.conftest import make_idea, make_user, set_phase

HX = {"HX-Request": "true"}
TITLE = "Parking sauvage quartier Zerka"
COMMENT = "Un commentaire injurieux unique"


def _public_readings(client, idea_id: int) -> dict[str, str]:
    """Every public way of reading ideas and their comments, as text."""
    urls = {
        "list": "/tetouan/ideas", "list fragment": ("/tetouan/ideas", HX),
        "search": "/tetouan/ideas?q=parking+zerka", "search fragment": ("/tetouan/ideas?q=zerka", HX),
        "sorted": "/tetouan/ideas?sort=supports", "home": "/tetouan/",
        "open data csv": "/tetouan/open-data/ideas.csv", "open data json": "/tetouan/open-data/ideas.json",
        "idea page": f"/tetouan/ideas/{idea_id}", "comments fragment": (f"/tetouan/ideas/{idea_id}/comments", HX),
        "comments page": f"/tetouan/ideas/{idea_id}/comments",
    }
    out = {}
    for name, spec in urls.items():
        url, headers = spec if isinstance(spec, tuple) else (spec, {})
        response = client.get(url, headers=headers)
        assert response.status_code in (200, 404), (name, response.status_code)
        out[name] = response.get_data(as_text=True)
    return out


@pytest.fixture()
def reported(app, commune, plan):
    set_phase(plan, "collection")
    author = make_user(commune)
    idea = make_idea(commune, author, title=TITLE, description="Des voitures garées partout.")
    other = make_idea(commune, author, title="Une autre idée visible")
    comment = Comment(idea_id=other.id, author_id=author.id, stance="against", body=COMMENT)
    db.session.add(comment)
    db.session.execute(Idea.__table__.update().where(Idea.id == other.id).values(comment_count=1, comments_against=1))
    db.session.commit()
    reporters = [make_user(commune) for _ in range(3)]
    return {"idea": idea, "other": other, "comment": comment, "reporters": reporters, "commune": commune}


def test_repeated_reports_count_once_and_three_people_hide_the_idea_everywhere(client, reported):
    idea, (first, second, third) = reported["idea"], reported["reporters"]
    commune_id = reported["commune"].id
    before = _public_readings(client, idea.id)
    assert all(TITLE in before[name] for name in ("list", "list fragment", "search", "search fragment", "home",
                                                  "open data csv", "open data json", "idea page"))
    moderation.report(first, commune_id, "idea", idea.id, "spam")
    db.session.commit()
    for _ in range(3):  # the same person again: refused, not counted
        with pytest.raises(Conflict):
            moderation.report(first, commune_id, "idea", idea.id, "insult")
        db.session.rollback()
    moderation.report(second, commune_id, "idea", idea.id, "spam")
    db.session.commit()
    db.session.refresh(idea)
    assert (idea.report_count, idea.hidden) == (2, False)  # two people, five reports: not hidden
    assert TITLE in client.get("/tetouan/ideas").get_data(as_text=True)
    outcome = moderation.report(third, commune_id, "idea", idea.id, "off_topic")
    db.session.commit()
    assert outcome.hidden_now
    after = _public_readings(client, idea.id)
    leaks = [name for name, body in after.items() if TITLE in body or "Zerka" in body]
    assert leaks == []
    assert client.get(f"/tetouan/ideas/{idea.id}").status_code == 404
    assert client.get(f"/tetouan/ideas/{idea.id}/comments").status_code == 404
    # a signed-in resident (not the author) does not see it either
    from tests.conftest import login

    login(client, make_user(reported["commune"]))
    after = _public_readings(client, idea.id)
    assert [name for name, body in after.items() if TITLE in body] == []


def test_three_people_hide_a_comment_from_the_page_its_fragment_and_the_counts(client, reported):
    other, comment = reported["other"], reported["comment"]
    commune_id = reported["commune"].id
    assert COMMENT in client.get(f"/tetouan/ideas/{other.id}/comments", headers=HX).get_data(as_text=True)
    for reporter in reported["reporters"]:
        moderation.report(reporter, commune_id, "comment", comment.id, "insult")
        db.session.commit()
    readings = _public_readings(client, other.id)
    assert [name for name, body in readings.items() if COMMENT in body] == []
    db.session.refresh(other)
    assert other.comment_count == 0  # the public count follows


def test_deleting_an_account_keeps_its_supports_and_re_registering_cannot_support_twice(commune, plan):
    """The supports of a deleted account still count and belong to nobody — only to a keyed
    fingerprint of its e-mail. Registering again with the same e-mail gives them back: the person
    cannot support the same idea twice nor go past the plan's limit; another e-mail gets nothing."""
    from models import DepartedIdentity
    from services import accounts, personal_data, supports
    from services.errors import Conflict
    from tests.conftest import DEFAULT_PASSWORD

    set_phase(plan, "support")
    plan.support_limit = 2
    author = make_user(commune)
    ideas = [make_idea(commune, author, title=f"Idée {i}") for i in range(3)]
    person = make_user(commune, email="amina@example.com")
    for idea in ideas[:2]:
        supports.support(person, idea.id)
    db.session.commit()
    personal_data.delete_account(person, password=DEFAULT_PASSWORD)
    db.session.commit()
    for idea in ideas[:2]:
        db.session.refresh(idea)
        assert idea.support_count == 1  # still counted
    assert db.session.scalars(select(Support.user_id)).all() == [None, None]  # nobody's any more
    departed = db.session.scalars(select(DepartedIdentity)).one()
    assert departed.email_digest and "amina" not in departed.email_digest and departed.phone_digest is None
    stranger = accounts.register(commune=commune, identifier="someone.else@example.com", display_name="Salma",
                                 password="another-long-pass-phrase", consent=True, locale="fr")
    assert supports.used_supports(stranger.id, plan.id) == 0
    again = accounts.register(commune=commune, identifier="Amina@Example.com", display_name="Amina",
                              password="another-long-pass-phrase", consent=True, locale="fr")
    db.session.commit()
    assert again.id != person.id
    assert supports.used_supports(again.id, plan.id) == 2  # given back, so the limit still holds
    with pytest.raises(Conflict):
        supports.support(again, ideas[0].id)  # already supported: not twice
    with pytest.raises(Conflict):
        supports.support(again, ideas[2].id)  # the limit of 2 is used
    db.session.rollback()
    supports.withdraw(again, ideas[0].id)  # theirs again: they may withdraw it
    db.session.commit()
    db.session.refresh(ideas[0])
    assert ideas[0].support_count == 0
    assert db.session.scalar(select(func.count()).select_from(DepartedIdentity)) == 0
    # the old account stays erased and cannot sign in with its old password
    assert accounts.authenticate("amina@example.com", DEFAULT_PASSWORD) is None


def test_fingerprints_of_deleted_accounts_go_with_the_support_links(commune, plan):
    """Once the support phase is over and the retention period has passed, the supports are
    unlinked from the fingerprint too, the fingerprint is purged, and registering again gives
    nothing back (the supports stay counted)."""
    from datetime import timedelta

    from models import DepartedIdentity, Phase
    from models._base import utcnow
    from services import accounts, personal_data, retention, supports
    from tests.conftest import DEFAULT_PASSWORD

    set_phase(plan, "support")
    idea = make_idea(commune, make_user(commune))
    person = make_user(commune, email="karim@example.com")
    supports.support(person, idea.id)
    db.session.commit()
    personal_data.delete_account(person, password=DEFAULT_PASSWORD)
    db.session.commit()
    retention.apply()  # the support phase is still open: nothing is unlinked
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DepartedIdentity)) == 1
    phase = db.session.scalar(select(Phase).where(Phase.plan_id == plan.id, Phase.kind == "support"))
    phase.starts_on, phase.ends_on = phase.starts_on - timedelta(days=3000), phase.starts_on - timedelta(days=2000)
    db.session.commit()
    retention.apply(now=utcnow() + timedelta(days=365 * 3))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DepartedIdentity)) == 0
    assert db.session.scalars(select(Support.departed_id)).all() == [None]
    again = accounts.register(commune=commune, identifier="karim@example.com", display_name="Karim",
                              password="another-long-pass-phrase", consent=True, locale="fr")
    assert supports.used_supports(again.id, plan.id) == 0
    db.session.refresh(idea)
    assert idea.support_count == 1


# --- posted fields that must be ignored -------------------------------------------------------

PRIVILEGED = {"role": "admin", "roles": "admin", "is_admin": "1", "admin": "true", "user_id": "1", "id": "1",
              "active": "0", "deleted_at": "2020-01-01", "totp_secret": "JBSWY3DPEHPK3PXP", "status": "verified",
              "weight": "100", "commune_id": "99", "email": "boss@example.com", "second_factor_ok": "1"}


def test_registration_ignores_posted_privileged_fields(client, commune):
    from models import Membership, User
    from tests.conftest import post

    first = make_user(commune, ("admin",), email="first@example.com")
    response = post(client, "/tetouan/register", {
        **PRIVILEGED, "display_name": "Nadia", "identifier": "nadia@example.com",
        "password": "violet-window-seven-rivers", "confirm": "violet-window-seven-rivers", "consent": "y"})
    assert response.status_code == 303
    db.session.rollback()
    user = db.session.scalar(select(User).where(User.email == "nadia@example.com"))
    assert user is not None and user.id != first.id and user.active and user.totp_secret is None
    roles = db.session.scalars(select(Membership.role).where(Membership.user_id == user.id)).all()
    assert roles == ["resident"]
    assert db.session.get(User, first.id).email == "first@example.com"
    assert client.get("/tetouan/admin").status_code == 403


def test_account_forms_ignore_posted_privileged_fields(client, commune):
    from models import Membership, User, UserSession
    from tests.conftest import DEFAULT_PASSWORD, login, post

    user = make_user(commune)
    login(client, user)
    response = post(client, "/account/password", {
        **PRIVILEGED, "current_password": DEFAULT_PASSWORD, "new_password": "a-brand-new-long-pass-phrase",
        "confirm": "a-brand-new-long-pass-phrase"})
    assert response.status_code == 303
    post(client, "/lang", {**PRIVILEGED, "lang": "fr", "next": "/tetouan/"})
    db.session.rollback()
    fresh = db.session.get(User, user.id)
    assert (fresh.email, fresh.active, fresh.totp_secret, fresh.locale) == (user.email, True, None, "fr")
    assert db.session.scalars(select(Membership.role).where(Membership.user_id == user.id)).all() == ["resident"]
    assert not any(db.session.scalars(select(UserSession.second_factor_ok).where(UserSession.user_id == user.id)))
    assert client.get("/tetouan/admin").status_code == 403
