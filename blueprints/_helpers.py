"""Helpers every blueprint uses: page-or-fragment rendering, safe redirects, service errors."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, make_response, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

import database
from extensions import db


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def render(page: str, partial: str | None = None, *, status: int = 200, **ctx):
    """The full page, or only its fragment for htmx; the page includes the same fragment."""
    template = partial if (partial and is_htmx()) else page
    response = make_response(render_template(template, **ctx), status)
    response.vary.add("HX-Request")
    return response


def safe_next(target: str | None, fallback: str) -> str:
    """Only same-site paths: '/x' yes; '//evil', '/\\evil', 'https://evil' no."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if any(ch in target for ch in "\\\r\n\t"):
        return fallback
    return target


def commit_then_read() -> None:
    """Commit the request's change; what the answer reads afterwards begins a plain read
    transaction (on SQLite: no write lock held while the answer is rendered)."""
    db.session.commit()
    database.write_intent.set(False)


def redirect_to(endpoint: str, **values):
    """A redirect that also works after an htmx POST (HX-Redirect, not a swapped 302)."""
    target = url_for(endpoint, **values)
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def attach_error(form, exc) -> bool:
    """Show a service's refusal (ServiceError) next to its field; False if the form has no such field."""
    name = exc.field
    if name and name in form._fields:
        form._fields[name].errors = [*form._fields[name].errors, exc.message]
        return True
    return False


def page_number(name: str = "page") -> int:
    """?page=N as a positive int; anything else is page 1 (never an error)."""
    try:
        return max(1, min(int(request.args.get(name, "1")), 100_000))
    except ValueError:
        return 1


class ButtonForm(FlaskForm):
    """An empty form: a button that changes state still carries the CSRF token."""


def commune():
    """The commune of the current URL (set by the app's URL preprocessor)."""
    return g.commune
