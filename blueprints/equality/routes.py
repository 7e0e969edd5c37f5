"""The equality body's voice (IEECAG, art. 120): the public list of its opinions (filtered by subject
and theme), one page per opinion with the committee's response, the members' publishing form, and
the committee's response.

Access (services.access): reading is public; publishing is `equality.publish` (members of the body);
responding is `equality.respond` (committee seat holders who score — object rule
can_respond_to_opinion — or commune admins). Rules live in services.equality.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import public, requires
from blueprints._helpers import attach_error, is_htmx, redirect_to, render
from blueprints.equality.forms import FilterForm, OpinionForm, ResponseForm
from extensions import db
from services import equality
from services.errors import Conflict, NotAllowed, ServiceError

bp = Blueprint("equality", __name__)

BASE = "/<commune>/equality"


@bp.app_template_global("opinion_title")
def opinion_title(opinion) -> str:
    """An opinion's title, or the generic one for a paper opinion recorded without a title."""
    return opinion.title or equality.generic_title(opinion)


@bp.get(BASE)
@public
def list_opinions(**_):
    form = FilterForm(formdata=request.args).setup()
    opinions = equality.list_opinions(g.commune, kind=form.kind.data or None, theme=form.theme.data or None)
    return render("equality/list.html", "equality/_list.html", form=form, opinions=opinions,
                  filtered=bool(form.kind.data or form.theme.data),
                  can_publish=equality.can_publish(current_user, g.commune))


def _correction_url(opinion) -> str | None:
    """Members may correct an opinion not yet replaced, on a subject still open to opinions."""
    if not equality.can_publish(current_user, g.commune) or not equality.can_be_corrected(opinion):
        return None
    subject = {"version": opinion.version_id} if opinion.version_id else (
        {"project": opinion.project_id} if opinion.project_id else {})
    return url_for("equality.new_opinion", supersedes=opinion.id, **subject)


def _opinion_page(opinion, *, form=None, status: int = 200):
    can_respond = not opinion.responded and equality.can_respond(current_user, g.commune)
    if can_respond and form is None:
        form = ResponseForm(formdata=None)
    return render("equality/show.html", "equality/_response.html", status=status, opinion=opinion,
                  form=form if can_respond else None, correction_url=_correction_url(opinion))


@bp.get(BASE + "/<int:opinion_id>")
@public
def show_opinion(opinion_id, **_):
    return _opinion_page(equality.opinion_of(g.commune, opinion_id))


def _publish_form(form: OpinionForm) -> OpinionForm:
    return form.setup(equality.open_versions(g.commune), equality.projects_of(g.commune),
                      equality.supersedable(g.commune), equality.generic_title)


@bp.route(BASE + "/new", methods=["GET", "POST"])
@requires("equality.publish")
def new_opinion(**_):
    status = 200
    error = None
    if request.method == "GET":
        # Prefilled from the page it was opened from: ?version=<id>, ?project=<id> or ?supersedes=<id>.
        data = {}
        for key in ("version", "project"):
            value = request.args.get(key, "")
            if value.isdigit() and len(value) < 10:
                data["subject"] = f"{key}:{value}"
        supersedes = request.args.get("supersedes", "")
        if supersedes.isdigit() and len(supersedes) < 10:
            data["supersedes_id"] = supersedes
        form = _publish_form(OpinionForm(formdata=None, data=data))
        return render("equality/new.html", "equality/_form.html", form=form, error=error, status=status)
    form = _publish_form(OpinionForm())
    if form.validate_on_submit():
        try:
            opinion = equality.publish(g.commune, form.to_input(), current_user)
        except equality.OpinionErrors as exc:
            db.session.rollback()
            for name, message in exc.errors.items():
                attach_error(form, ServiceError(message, field=name))
            status, error = 400, exc.message
        else:
            db.session.commit()
            flash(_l("The opinion is published, signed with your name and the body's name."), "success")
            return redirect_to("equality.show_opinion", opinion_id=opinion.id)
    else:
        if form.csrf_token.errors:
            abort(400)
        status, error = 400, _l("Nothing was published: correct the fields marked below.")
    return render("equality/new.html", "equality/_form.html", form=form, error=error, status=status)


@bp.post(BASE + "/<int:opinion_id>/response")
@requires("equality.respond")
def respond(opinion_id, **_):
    opinion = equality.opinion_of(g.commune, opinion_id)
    if not equality.can_respond(current_user, g.commune):
        raise NotAllowed(equality.NOT_THE_COMMITTEE)
    form = ResponseForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        if opinion.responded:
            raise Conflict(equality.ALREADY_RESPONDED)
        return _opinion_page(opinion, form=form, status=400)
    try:
        equality.respond(g.commune, opinion, form.response.data, current_user)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status != 400 or not attach_error(form, exc):
            raise
        return _opinion_page(opinion, form=form, status=400)
    db.session.commit()
    if is_htmx():
        return _opinion_page(opinion)
    flash(_l("The committee's response is published under the opinion; its author was told."), "success")
    return redirect_to("equality.show_opinion", opinion_id=opinion.id)
