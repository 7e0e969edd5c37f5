"""The route × role matrix over every URL rule (SECURITY.md §1, §4).

For each rule and each kind of visitor — anonymous, resident, association
representative, moderator, committee member, commune admin, and another
commune's admin — the answer must follow the rule's access declaration:
refused people get 403 (anonymous people are sent to sign in), nobody gets a 500.
POSTs carry a real CSRF token so that the access check, not CSRF, is what is tested.
"""
from __future__ import annotations

import re

import pytest

from blueprints._access import declaration
from services import access
from tests.conftest import csrf_token, make_association, make_idea, make_user

VISITORS = ("anonymous", "resident", "association", "moderator", "committee", "admin", "other_admin")
ROLES = {
    "resident": ("resident",),
    "association": ("resident", "association"),
    "moderator": ("moderator",),
    "committee": ("committee",),
    "admin": ("admin",),
}


@pytest.fixture()
def world(app, commune):
    from extensions import db
    from models import Comment
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    users = {name: make_user(commune, roles) for name, roles in ROLES.items()}
    users["other_admin"] = make_user(other, ("admin",))
    author = make_user(commune, ("resident",))
    idea = make_idea(commune, author)
    comment = Comment(idea_id=idea.id, author_id=author.id, stance="for", body="Un avis.")
    db.session.add(comment)
    association = make_association(commune, users["association"])
    db.session.commit()
    return {"users": users, "idea": idea, "comment": comment, "association": association, "commune": commune}


def _url(rule, world) -> str:
    from models import Axis
    from extensions import db
    from sqlalchemy import select

    values = {
        "commune": "tetouan",
        "idea_id": world["idea"].id,
        "association_id": world["association"].id,
        "target_id": world["idea"].id,
        "kind": "idea",
        "user_id": world["users"]["resident"].id,
        "role": "moderator",
    }
    if rule.endpoint.startswith("admin."):
        values["kind"] = "axes"
    if "item_id" in rule.arguments:
        values["item_id"] = db.session.scalar(select(Axis.id).where(Axis.commune_id == world["commune"].id))
    if "id" in rule.arguments:
        values["id"] = world["association"].id
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: give the matrix a sample value for {missing}"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", str(values[name]), path)
    return path


def _sign_in(client, user):
    from tests.conftest import login

    login(client, user)


def _allowed(decl, visitor, world) -> bool:
    kind, action = decl
    if kind == "public":
        return True
    if visitor == "anonymous":
        return False
    if kind == "signed_in":
        return True
    user = world["users"][visitor]
    return access.can(user, action, world["commune"].id)


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_route_answers_as_declared(app, client, world, visitor):
    if visitor != "anonymous":
        _sign_in(client, world["users"][visitor])
    problems = []
    for rule in _rules(app):
        decl = declaration(app.view_functions[rule.endpoint])
        url = _url(rule, world)
        allowed = _allowed(decl, visitor, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint in ("auth.logout",):
                continue  # would end this visitor's session mid-matrix; tested in test_sessions
            data = {"csrf_token": csrf_token(client)} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            status = response.status_code
            if status >= 500:
                problems.append(f"{method} {url} as {visitor}: {status}")
            elif not allowed:
                expected_login = visitor == "anonymous" and status in (302, 303) and "/login" in response.headers.get("Location", "")
                if not (status == 403 or expected_login):
                    problems.append(f"{method} {url} as {visitor}: {status}, expected refusal")
            elif status == 403 and decl[0] != "action":
                problems.append(f"{method} {url} as {visitor}: 403 although the route is {decl[0]}")
            elif status == 403 and rule.endpoint not in OBJECT_CHECKED:
                problems.append(f"{method} {url} as {visitor}: 403 although the role may {decl[1]}")
    assert problems == [], "\n".join(problems)


# Routes where an allowed role may still be refused for this particular object
# (someone else's idea, an association one doesn't represent, a phase that is closed).
OBJECT_CHECKED = {
    "ideas.edit_idea", "ideas.submit_idea", "associations.add_representative",
    "ideas.association_support", "ideas.association_withdraw", "admin.revoke_role",
}
