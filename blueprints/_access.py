"""Access declarations for views. A view with no declaration is refused (deny by default).

    @public                      anyone, signed in or not
    @signed_in                   any signed-in person
    @requires("idea.propose")    an action of services.access.POLICY in the URL's commune
"""
from __future__ import annotations

from collections.abc import Callable

PUBLIC = "public"
SIGNED_IN = "signed_in"


def public(view: Callable) -> Callable:
    view._access = (PUBLIC, None)
    return view


def signed_in(view: Callable) -> Callable:
    view._access = (SIGNED_IN, None)
    return view


def requires(action: str) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        view._access = ("action", action)
        return view

    return decorate


def declaration(view: Callable | None) -> tuple[str, str | None] | None:
    return getattr(view, "_access", None)


# --- the staff second factor ------------------------------------------------------------------

# Actions taken in a committee or admin capacity, whatever other roles POLICY also lists.
SECOND_FACTOR_PREFIXES = ("committee.", "criteria.", "admin.")
SECOND_FACTOR_ACTIONS = frozenset({"project.manage"})


def needs_second_factor(action: str | None) -> bool:
    """True if only second-factor roles (services.access.SECOND_FACTOR_ROLES) take this action."""
    from services.access import POLICY, SECOND_FACTOR_ROLES

    if not action:
        return False
    roles = POLICY.get(action)
    if roles and roles <= SECOND_FACTOR_ROLES:
        return True
    return action.startswith(SECOND_FACTOR_PREFIXES) or action in SECOND_FACTOR_ACTIONS


def second_factor_missing(action: str | None) -> bool:
    """The action needs the second factor and this server-side session did not pass it
    (e.g. someone appointed committee member while signed in). app.py sets g.user_session."""
    from flask import g

    if not needs_second_factor(action):
        return False
    record = g.get("user_session")
    return record is None or not record.second_factor_ok


def step_up_redirect():
    """Send the person to prove the second factor (303, or HX-Redirect for htmx), then back here."""
    from urllib.parse import urlsplit

    from flask import request

    from blueprints._helpers import is_htmx, redirect_to, safe_next

    if request.method == "GET" and not is_htmx():
        back = request.full_path.rstrip("?")
    else:  # a POST or a fragment: come back to the page it was sent from
        parts = urlsplit(request.referrer or "")
        same_site = parts.netloc == request.host
        back = (parts.path + ("?" + parts.query if parts.query else "")) if same_site else ""
    target = safe_next(back, "")
    return redirect_to("auth.step_up", **({"next": target} if target else {}))
