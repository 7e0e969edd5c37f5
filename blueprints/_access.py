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
