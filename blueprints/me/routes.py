"""A person's own space: their ideas, the ideas they support (seen by them only), their
comments, and their notifications rendered in the reader's language."""
from __future__ import annotations

import json

from flask import Blueprint, abort, g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from blueprints import labels
from blueprints._access import signed_in
from blueprints._helpers import ButtonForm, is_htmx, page_number, redirect_to, render
from extensions import db
from models import Comment, Commune, Idea, Notification, Support
from services import notifications, phases
from services.supports import used_supports

bp = Blueprint("me", __name__)

NOTIFICATIONS_PER_PAGE = 30
COMMENTS_SHOWN = 50


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """For the account menu: one COUNT query, only when the template asks."""
    if not current_user.is_authenticated:
        return 0
    return notifications.unread_count(current_user.id)


@bp.get("/<commune>/me")
@signed_in
def dashboard(**_):
    commune = g.commune
    plan = phases.current_plan(commune)
    me = current_user.id
    my_ideas = list(db.session.scalars(
        select(Idea).where(Idea.author_id == me, Idea.commune_id == commune.id)
        .order_by(Idea.created_at.desc(), Idea.id.desc())))
    supported = list(db.session.scalars(
        select(Idea).join(Support, Support.idea_id == Idea.id)
        .where(Support.user_id == me, Support.plan_id == plan.id)
        .order_by(Support.created_at.desc(), Support.id.desc())))
    used = used_supports(me, plan.id)
    comments = list(db.session.execute(
        select(Comment, Idea).join(Idea, Comment.idea_id == Idea.id)
        .where(Comment.author_id == me, Idea.commune_id == commune.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(COMMENTS_SHOWN)).all())
    return render("me/dashboard.html", "me/_dashboard.html", plan=plan, my_ideas=my_ideas, supported=supported,
                  used=used, limit=plan.support_limit,
                  remaining=None if plan.support_limit is None else max(plan.support_limit - used, 0),
                  comments=comments)


class _Blank(dict):
    def __missing__(self, key):
        return ""


def notification_text(note: Notification) -> Markup:
    """The notification's sentence in the reader's language; people's words are escaped and isolated."""
    try:
        params = json.loads(note.params or "{}")
    except ValueError:
        params = {}
    template = labels.NOTIFICATION_TEXTS.get(note.kind)
    if template is None:
        return escape(_l("You have a new notification."))
    values = _Blank()
    for key, value in params.items():
        if key == "role":
            value = labels.ROLE_NAMES.get(value, value)
        elif isinstance(value, dict):  # an official name stored in ar/fr/zgh (English readers get French)
            lang = str(get_locale() or "ar").split("_")[0]
            value = value.get("fr" if lang == "en" else lang) or value.get("ar") or ""
        values[key] = Markup("<bdi>%s</bdi>") % value
    return escape(str(template)) % values


def _link(note: Notification, params: dict, communes: dict[int, Commune]) -> str | None:
    from flask import current_app, url_for

    commune = communes.get(note.commune_id)
    if commune is None:
        return None
    if "idea_id" in params and "ideas.show_idea" in current_app.view_functions:
        return url_for("ideas.show_idea", commune=commune.slug, idea_id=params["idea_id"])
    if note.kind == "idea_in_project" and "projects.show_project" in current_app.view_functions:
        return url_for("projects.show_project", commune=commune.slug, code=params.get("code", ""))
    if "association_id" in params:
        return url_for("associations.show", commune=commune.slug, association_id=params["association_id"])
    if note.kind in ("role_granted", "role_revoked"):
        return url_for("me.dashboard", commune=commune.slug)
    return None


def _notification_page():
    page = db.paginate(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc()),
        page=page_number(), per_page=NOTIFICATIONS_PER_PAGE, error_out=False, count=True)
    ids = {n.commune_id for n in page.items if n.commune_id is not None}
    communes = {c.id: c for c in db.session.scalars(select(Commune).where(Commune.id.in_(ids)))} if ids else {}
    rows = []
    for note in page.items:
        try:
            params = json.loads(note.params or "{}")
        except ValueError:
            params = {}
        rows.append({
            "note": note,
            "text": notification_text(note),
            "reason": params.get("reason") or None,
            "link": _link(note, params, communes),
            "commune": communes.get(note.commune_id),
        })
    return page, rows


@bp.get("/me/notifications", endpoint="notifications")
@signed_in
def notifications_page():
    page, rows = _notification_page()
    return render("me/notifications.html", "me/_notifications.html", listing=page, rows=rows,
                  unread=notifications.unread_count(current_user.id), form=ButtonForm())


@bp.post("/me/notifications/read")
@signed_in
def mark_read():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    notifications.mark_all_read(current_user.id)
    db.session.commit()
    if is_htmx():
        page, rows = _notification_page()
        return render("me/notifications.html", "me/_notifications.html", listing=page, rows=rows, unread=0,
                      form=ButtonForm(formdata=None), marked=True)
    return redirect_to("me.notifications")
