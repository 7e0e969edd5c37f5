"""Moderation: people report ideas and comments; moderators work through the queue and decide."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import requires
from blueprints._helpers import attach_error, is_htmx, page_number, redirect_to, render
from blueprints.moderation.forms import DecisionForm, ReportForm
from extensions import db, limiter
from models import TargetKind
from services import moderation
from services.errors import ServiceError

bp = Blueprint("moderation", __name__)

KINDS = frozenset(k.value for k in TargetKind)
PER_PAGE = 20


def _per_person() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else (request.remote_addr or "?")


def _idea_url(idea_id: int) -> str:
    from flask import current_app

    if "ideas.show_idea" in current_app.view_functions:
        return url_for("ideas.show_idea", idea_id=idea_id)
    return url_for("main.commune_home")


@bp.route("/<commune>/report/<kind>/<int:target_id>", methods=["GET", "POST"])
@requires("report.create")
@limiter.limit("30/minute", key_func=_per_person, methods=["POST"])
def report(kind, target_id, **_):
    if kind not in KINDS:
        abort(404)
    target, idea = moderation.reportable(g.commune.id, kind, target_id)
    form = ReportForm()
    status, message, done = 200, None, False
    if form.validate_on_submit():
        try:
            moderation.report(current_user, g.commune.id, kind, target_id, form.reason.data, form.note.data)
        except ServiceError as exc:
            db.session.rollback()
            status = exc.status if exc.status != 400 else 422
            if not attach_error(form, exc):
                message = exc.message
        else:
            db.session.commit()
            if not is_htmx():
                flash(_l("Thank you. Your report was sent to the moderators."), "success")
                return redirect(_idea_url(idea.id), 303)
            done = True
    elif request.method == "POST":
        status = 422
    return render("moderation/report.html", "moderation/_report_form.html", status=status,
                  form=form, kind=kind, target=target, idea=idea, message=message, done=done,
                  back_url=_idea_url(idea.id))


@bp.get("/<commune>/moderation")
@requires("moderation.queue")
def queue(**_):
    waiting = moderation.awaiting_review(g.commune.id, page_number("new_page"), PER_PAGE)
    reported = moderation.reported(g.commune.id, page_number("reported_page"), PER_PAGE)
    for item in [*waiting.items, *reported.items]:
        item.form = DecisionForm(formdata=None, prefix=item.prefix)
    return render("moderation/queue.html", "moderation/_queue.html", waiting=waiting, reported=reported)


@bp.post("/<commune>/moderation/<kind>/<int:target_id>")
@requires("moderation.decide")
def decide(kind, target_id, **_):
    if kind not in KINDS:
        abort(404)
    item = moderation.queue_item(g.commune.id, kind, target_id)
    form = DecisionForm(prefix=item.prefix)
    status, message = 422, None
    if form.validate_on_submit():
        try:
            moderation.decide(current_user, g.commune.id, kind, target_id, form.action.data, form.reason.data)
        except ServiceError as exc:
            db.session.rollback()
            status = exc.status if exc.status != 400 else 422
            if not attach_error(form, exc):
                message = exc.message
        else:
            db.session.commit()
            if not is_htmx():
                flash(_l("Decision recorded. The author was told why."), "success")
                return redirect_to("moderation.queue")
            item = moderation.queue_item(g.commune.id, kind, target_id)
            item.form = DecisionForm(formdata=None, prefix=item.prefix)
            return render("moderation/decide.html", "moderation/_item.html", item=item, decided=form.action.data)
    item = moderation.queue_item(g.commune.id, kind, target_id)
    item.form = form
    return render("moderation/decide.html", "moderation/_item.html", status=status, item=item, message=message)
