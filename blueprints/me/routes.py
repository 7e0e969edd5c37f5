"""A person's own space: their ideas, the ideas they support (seen by them only), their
comments, and their notifications rendered in the reader's language."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints import labels
from blueprints._access import public, signed_in
from blueprints._helpers import ButtonForm, is_htmx, page_number, redirect_to, render
from blueprints.me import notices
from blueprints.me.forms import MailSettingsForm
from extensions import db
from models import Comment, Commune, Idea, Notification, Support, User
from services import mailer, notifications, phases
from services.errors import NotAllowed, ServiceError
from services.supports import used_supports

bp = Blueprint("me", __name__)
# MAIL_WORKER=thread: the app process sends the e-mail digests itself (services/mailer.py).
bp.record_once(lambda state: mailer.start_thread(state.app))

NOTIFICATIONS_PER_PAGE = 30
COMMENTS_SHOWN = 50


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """For the account menu. A read request shows the count read with the person when they were
    loaded (app.py, same statement); after a write, one COUNT query (it may have changed)."""
    if not current_user.is_authenticated:
        return 0
    if request.method in ("GET", "HEAD") and "unread_notifications" in g:
        return g.unread_notifications
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


def _link(note: Notification, params: dict, communes: dict[int, Commune]) -> str | None:
    commune = communes.get(note.commune_id)
    where = notices.target(note, params, commune.slug if commune else None)
    return url_for(where[0], **where[1]) if where else None


def _notification_page():
    page = db.paginate(
        select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc()),
        page=page_number(), per_page=NOTIFICATIONS_PER_PAGE, error_out=False, count=True)
    ids = {n.commune_id for n in page.items if n.commune_id is not None}
    communes = {c.id: c for c in db.session.scalars(select(Commune).where(Commune.id.in_(ids)))} if ids else {}
    rows = []
    for note in page.items:
        params = notices.params_of(note)
        rows.append({
            "note": note,
            "text": notices.notification_text(note),
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


# --- notifications by e-mail: opt-in per group, and the unsubscribe link of each e-mail ----------

def _settings_page(form: MailSettingsForm, *, saved: bool = False, status: int = 200):
    return render("me/notification_settings.html", "me/_notification_settings.html", status=status, form=form,
                  has_email=bool(current_user.email), mail_on=notifications.mail_enabled(), saved=saved,
                  digest_minutes=current_app.config["MAIL_DIGEST_MINUTES"])


@bp.route("/me/notifications/settings", methods=["GET", "POST"])
@signed_in
def notification_settings():
    groups = mailer.groups_of(current_user.id)
    form = MailSettingsForm(data={code: code in groups for code in notifications.MAIL_GROUPS})
    if not form.validate_on_submit():
        return _settings_page(form, status=400 if form.is_submitted() else 200)
    mailer.set_groups(current_user, form.chosen())  # a phone-only account: Conflict, rendered by the app
    db.session.commit()
    return _settings_page(form, saved=True)


def _unsubscribe_subject(token: str) -> tuple[mailer.Unsubscribe, User]:
    """The link's person and group; refused when tampered/expired or while signed in as someone else."""
    link = mailer.read_unsubscribe_token(token)
    user = db.session.get(User, link.user_id)
    if user is None or user.deleted_at is not None:
        raise ServiceError(mailer.LINK_INVALID)
    if current_user.is_authenticated and current_user.id != user.id:
        raise NotAllowed(mailer.LINK_OTHER_ACCOUNT)
    return link, user


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """GET asks (a mail scanner following the link changes nothing); POST turns the group off."""
    link, user = _unsubscribe_subject(token)
    form = ButtonForm()
    done = False
    if form.is_submitted():
        if not form.validate():
            abort(400)
        mailer.turn_off(user.id, link.group)
        db.session.commit()
        done = True
    groups = mailer.groups_of(user.id)
    active = bool(groups) if link.group == mailer.ALL_GROUPS else link.group in groups
    name = None if link.group == mailer.ALL_GROUPS else labels.MAIL_GROUP_NAMES[link.group]
    return render("me/unsubscribe.html", "me/_unsubscribe.html", form=form, token=token, group_name=name,
                  active=active, done=done)
