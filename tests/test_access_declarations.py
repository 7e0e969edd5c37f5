"""Deny by default: every URL rule declares who may use it, and an undeclared view is refused."""
from __future__ import annotations

from blueprints._access import declaration
from services.access import POLICY, SIGNED_IN_ACTIONS


def test_every_view_declares_its_access(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        decl = declaration(app.view_functions[rule.endpoint])
        if decl is None:
            missing.append(f"{rule.rule} -> {rule.endpoint}")
        elif decl[0] == "action":
            assert decl[1] in POLICY or decl[1] in SIGNED_IN_ACTIONS, f"{rule.endpoint}: unknown action {decl[1]}"
    assert missing == [], "views without an access declaration: " + ", ".join(missing)


def test_an_undeclared_view_is_refused():
    # A view added without @public/@signed_in/@requires must answer 403, not run.
    from app import create_app
    from config import TestingConfig

    fresh = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    ran = []

    def sneaky():
        ran.append(True)
        return "secret"

    fresh.add_url_rule("/__undeclared_probe", "undeclared_probe", sneaky)
    response = fresh.test_client().get("/__undeclared_probe")
    assert response.status_code == 403
    assert ran == []
