"""The ideas area: list and search, propose/edit/submit, supports (residents and associations), comments.

Views parse the form, authorise, call one service, commit once and render the
page or, for htmx, its fragment. A refused support or comment answers with the
same fragment showing why, with the service's 403/404/409 status.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user

from blueprints._access import public, requires
from blueprints._helpers import attach_error, commit_then_read, is_htmx, page_number, redirect_to, render
from blueprints.ideas.forms import AssociationForm, CommentForm, FilterForm, IdeaForm, as_int
from extensions import db, limiter
from models import Idea, IdeaStatus
from services import access, phases, supports
from services import comments as comment_service
from services import ideas as idea_service
from services.errors import NotAllowed, NotFound, ServiceError

bp = Blueprint("ideas", __name__)


def _person_key() -> str:
    """Rate limits count per person when signed in, per address otherwise."""
    if current_user.is_authenticated:
        return f"user:{current_user.get_id()}"
    return get_remote_address()


SUPPORT_LIMIT = "60 per minute"
COMMENT_LIMIT = "20 per minute"


def _viewer():
    return current_user if current_user.is_authenticated else None


def _public_idea_here(idea_id: int) -> Idea:
    """A public idea of the URL's commune, or 404."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or idea.commune_id != g.commune.id or not idea.is_public:
        raise NotFound(_l("This idea does not exist or is no longer public."))
    return idea


def _field_error(form, exc: ServiceError) -> list:
    """Put a service's refusal next to its field; return the form-level messages."""
    return [] if attach_error(form, exc) else [exc.message]


# --- list and search -------------------------------------------------------------------------

@bp.get("/<commune>/ideas")
@public
def list_ideas(**_ignored):
    plan = idea_service.current_plan(g.commune)
    axes, hoods = idea_service.choices(g.commune.id)
    form = FilterForm(formdata=request.args).setup(axes, hoods)
    filters = form.filters()
    result = idea_service.list_public(
        plan.id, filters, page_number(), current_app.config.get("IDEAS_PER_PAGE", idea_service.PER_PAGE)
    )
    # The filters in force, for the pagination links (allowlisted values only).
    chosen = (("q", filters.q), ("axis", form.axis.data), ("neighbourhood", form.neighbourhood.data),
              ("status", form.status.data))
    query_args = {name: value for name, value in chosen if value}
    if filters.sort != idea_service.DEFAULT_SORT:
        query_args["sort"] = filters.sort
    return render(
        "ideas/list.html",
        "ideas/_partials/results.html",
        form=form,
        result=result,
        plan=plan,
        query_args=query_args,
        filtered=bool(query_args.keys() - {"sort"}),
        can_propose=phases.is_open(plan, "propose"),
        oob=True,
    )


# --- proposing and editing -------------------------------------------------------------------

def _idea_form_page(form, *, plan, idea=None, form_errors=(), status=200):
    return render(
        "ideas/form.html",
        status=status,
        form=form,
        plan=plan,
        idea=idea,
        is_open=phases.is_open(plan, "propose"),
        closed_message=phases.CLOSED_MESSAGES["propose"],
        form_errors=list(form_errors),
    )


@bp.route("/<commune>/ideas/new", methods=["GET", "POST"])
@requires("idea.propose")
def new_idea(**_ignored):
    plan = idea_service.current_plan(g.commune)
    axes, hoods = idea_service.choices(g.commune.id)
    associations = access.represented_associations(current_user, g.commune.id)
    form = IdeaForm().setup(axes, hoods, associations)
    if request.method == "GET":
        return _idea_form_page(form, plan=plan)
    if not form.validate_on_submit():
        return _idea_form_page(form, plan=plan, status=422)
    try:
        idea = idea_service.create(current_user, g.commune, plan, form.to_input(), submit=bool(form.submit_idea.data))
    except ServiceError as exc:
        db.session.rollback()
        return _idea_form_page(form, plan=plan, form_errors=_field_error(form, exc),
                               status=exc.status if exc.status != 400 else 422)
    db.session.commit()
    if idea.status == IdeaStatus.DRAFT:
        flash(_("Your idea was saved as a draft. Only you can see it until you submit it."), "success")
    else:
        flash(_("Your idea was submitted. It is public now; a moderator will look at it."), "success")
    return redirect_to("ideas.show_idea", idea_id=idea.id)


def _editable(idea_id: int):
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    idea, plan = view.idea, view.plan
    if not access.can_edit_idea(current_user, idea):
        if idea.author_id != current_user.id:
            raise NotAllowed(_l("You can only change ideas you proposed yourself."))
        raise NotAllowed(_l("This idea can no longer be changed: a moderator has already looked at it."))
    return idea, plan


@bp.route("/<commune>/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
@requires("idea.edit_own")
def edit_idea(idea_id, **_ignored):
    idea, plan = _editable(idea_id)
    axes, hoods = idea_service.choices(g.commune.id)
    associations = access.represented_associations(current_user, g.commune.id)
    if request.method == "GET":
        form = IdeaForm(data={
            "title": idea.title,
            "description": idea.description,
            "axis_id": str(idea.axis_id),
            "neighbourhood_id": str(idea.neighbourhood_id),
            "location_text": idea.location_text or "",
            "estimated_cost": "" if idea.estimated_cost is None else str(idea.estimated_cost),
            "association_id": str(idea.association_id or ""),
        }).setup(axes, hoods, associations)
        return _idea_form_page(form, plan=plan, idea=idea)
    form = IdeaForm().setup(axes, hoods, associations)
    if not form.validate_on_submit():
        return _idea_form_page(form, plan=plan, idea=idea, status=422)
    try:
        idea_service.update(current_user, idea, form.to_input(), submit=bool(form.submit_idea.data))
    except ServiceError as exc:
        db.session.rollback()
        return _idea_form_page(form, plan=plan, idea=idea, form_errors=_field_error(form, exc),
                               status=exc.status if exc.status != 400 else 422)
    db.session.commit()
    flash(_("Your changes were saved."), "success")
    return redirect_to("ideas.show_idea", idea_id=idea.id)


@bp.post("/<commune>/ideas/<int:idea_id>/submit")
@requires("idea.edit_own")
def submit_idea(idea_id, **_ignored):
    idea, _plan = _editable(idea_id)
    idea_service.submit(current_user, idea)
    db.session.commit()
    flash(_("Your idea was submitted. It is public now; a moderator will look at it."), "success")
    return redirect_to("ideas.show_idea", idea_id=idea.id)


# --- one idea --------------------------------------------------------------------------------

def _idea_context(view: idea_service.IdeaView, *, comment_form=None, comment_errors=(), comment_message=None,
                  support_message=None, support_error=False, association_message=None,
                  association_error=False, acted_association=None, reply_to_id=None, new_comment_id=None,
                  comments_after=None, comments=True) -> dict:
    """Everything the idea page and its fragments show: two statements besides get_visible (the
    batch of comments is one, whatever the thread's length). comments=False: for the support
    fragments, which show no comment (no batch is read)."""
    user = _viewer()
    idea, plan = view.idea, view.plan
    public_idea = idea.is_public
    state = supports.state(user, idea, plan, known=(view.support_used, view.supported)) if public_idea else None
    association_states = supports.association_states(user, idea) if public_idea else []
    batch = comment_service.thread_batch(idea.id, comments_after) if comments else comment_service.Batch([], None)
    roots = batch.roots
    if comment_form is None and user is not None and comments:
        # Only for someone signed in: a form makes a session token, and a visitor's page without
        # one can be served from the public page cache (blueprints/_page_cache.py).
        comment_form = CommentForm(formdata=None).setup([s.association for s in association_states])
    if reply_to_id is None:
        reply_to_id = as_int(request.args.get("reply_to"))
    reply_to = None
    if reply_to_id:  # in the batch shown, else read on its own (a reply to an older batch)
        reply_to = comment_service.find_in(roots, reply_to_id) or comment_service.reply_target(idea.id, reply_to_id)
    if reply_to is not None and reply_to.hidden:
        reply_to = None
    if comment_form is not None:
        comment_form.parent_id.data = str(reply_to.id) if reply_to is not None else ""
    return {
        "idea": idea,
        "plan": plan,
        "state": state,
        "association_states": association_states,
        "roots": roots,
        "next_cursor": batch.next_cursor,
        "comments_first_batch": batch.first,
        "comment_form": comment_form,
        "comment_errors": list(comment_errors),
        "comment_message": comment_message,
        "new_comment_id": new_comment_id,
        "reply_to": reply_to,
        "support_message": support_message,
        "support_error": support_error,
        "association_message": association_message,
        "association_error": association_error,
        "acted_association": acted_association,
        "support_open": phases.is_open(plan, "support"),
        "comment_open": phases.is_open(plan, "comment"),
        "became_project": view.project if public_idea else None,
        "is_author": user is not None and idea.author_id == user.id,
        "can_edit": access.can_edit_idea(user, idea) and phases.is_open(plan, "propose"),
    }


@bp.get("/<commune>/ideas/<int:idea_id>")
@public
def show_idea(idea_id, **_ignored):
    after = comment_service.parse_cursor(request.args.get("comments_after"))  # a bad cursor: 400
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    return render("ideas/show.html", **_idea_context(view, comments_after=after))


# --- supports --------------------------------------------------------------------------------

SUPPORT_DONE = {
    "support": _l("Your support was recorded."),
    "withdraw": _l("Your support was withdrawn."),
    "association_support": _l("Your association's support was recorded."),
    "association_withdraw": _l("Your association's support was withdrawn."),
}


def _support_action(idea_id: int, kind: str):
    idea = _public_idea_here(idea_id)  # kept: the service finds it in the session (no second read)
    action = {"support": supports.support, "withdraw": supports.withdraw}[kind]
    try:
        action(current_user, idea_id)
    except NotFound:
        raise
    except ServiceError as exc:
        db.session.rollback()
        return _support_response(idea_id, message=exc.message, error=True, status=exc.status)
    commit_then_read()
    if not is_htmx():
        return redirect(url_for("ideas.show_idea", idea_id=idea_id), 303)
    return _support_response(idea_id, message=SUPPORT_DONE[kind])


def _support_response(idea_id: int, *, message, error=False, status=200):
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    ctx = _idea_context(view, support_message=message, support_error=error, comments=not is_htmx())
    return render("ideas/show.html", "ideas/_partials/support.html", status=status, oob=True, **ctx)


@bp.post("/<commune>/ideas/<int:idea_id>/support")
@requires("idea.support")
@limiter.limit(SUPPORT_LIMIT, key_func=_person_key)
def support(idea_id, **_ignored):
    return _support_action(idea_id, "support")


@bp.post("/<commune>/ideas/<int:idea_id>/withdraw")
@requires("idea.support")
@limiter.limit(SUPPORT_LIMIT, key_func=_person_key)
def withdraw(idea_id, **_ignored):
    return _support_action(idea_id, "withdraw")


def _association_action(idea_id: int, kind: str):
    idea = _public_idea_here(idea_id)  # kept: the service finds it in the session (no second read)
    form = AssociationForm()
    association_id = as_int(form.association_id.data)
    if association_id is None:
        abort(400)
    action = {
        "association_support": supports.support_as_association,
        "association_withdraw": supports.withdraw_as_association,
    }[kind]
    try:
        action(current_user, idea_id, association_id)
    except NotFound:
        raise
    except ServiceError as exc:
        db.session.rollback()
        return _association_response(idea_id, association_id, message=exc.message, error=True, status=exc.status)
    commit_then_read()
    if not is_htmx():
        return redirect(url_for("ideas.show_idea", idea_id=idea_id), 303)
    return _association_response(idea_id, association_id, message=SUPPORT_DONE[kind])


def _association_response(idea_id: int, association_id: int, *, message, error=False, status=200):
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    ctx = _idea_context(view, association_message=message, association_error=error,
                        acted_association=association_id, comments=not is_htmx())
    return render("ideas/show.html", "ideas/_partials/association_support.html", status=status, oob=True, **ctx)


@bp.post("/<commune>/ideas/<int:idea_id>/association-support")
@requires("idea.support_as_association")
@limiter.limit(SUPPORT_LIMIT, key_func=_person_key)
def association_support(idea_id, **_ignored):
    return _association_action(idea_id, "association_support")


@bp.post("/<commune>/ideas/<int:idea_id>/association-withdraw")
@requires("idea.support_as_association")
@limiter.limit(SUPPORT_LIMIT, key_func=_person_key)
def association_withdraw(idea_id, **_ignored):
    return _association_action(idea_id, "association_withdraw")


# --- comments --------------------------------------------------------------------------------

@bp.get("/<commune>/ideas/<int:idea_id>/comments")
@public
def comments(idea_id, **_ignored):
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    return render("ideas/comments.html", "ideas/_partials/comments.html", **_idea_context(view))


@bp.get("/<commune>/ideas/<int:idea_id>/comments/more")
@public
def more_comments(idea_id, **_ignored):
    """The next batch of the thread (htmx: the fragment put in place of the "Show more comments"
    link); without htmx, the idea page showing that batch."""
    raw = request.args.get("comments_after")
    after = comment_service.parse_cursor(raw)
    if after is None:
        raise ServiceError(comment_service.BAD_CURSOR)
    if not is_htmx():
        return redirect(url_for("ideas.show_idea", idea_id=idea_id, comments_after=raw, _anchor="comments-title"), 303)
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    if not view.idea.is_public:
        raise NotFound(_l("This idea does not exist or is no longer public."))
    batch = comment_service.thread_batch(view.idea.id, after)
    return render("ideas/_partials/more_comments.html", idea=view.idea, roots=batch.roots,
                  next_cursor=batch.next_cursor, shown=batch.shown, new_comment_id=None,
                  comment_open=phases.is_open(view.plan, "comment"))


@bp.post("/<commune>/ideas/<int:idea_id>/comments")
@requires("comment.post")
@limiter.limit(COMMENT_LIMIT, key_func=_person_key)
def post_comment(idea_id, **_ignored):
    idea = _public_idea_here(idea_id)  # kept: the service finds it in the session (no second read)
    associations = access.represented_associations(current_user, g.commune.id)
    form = CommentForm().setup(associations)
    parent_id = as_int(form.parent_id.data)
    status, errors = 422, []
    if form.validate_on_submit():
        try:
            comment = comment_service.post(
                current_user, idea_id, body=form.body.data, stance=form.stance.data,
                parent_id=parent_id, association_id=as_int(form.association_id.data),
            )
        except ServiceError as exc:
            db.session.rollback()
            errors = _field_error(form, exc)
            status = exc.status if exc.status != 400 else 422
        else:
            db.session.commit()
            if not is_htmx():
                return redirect(url_for("ideas.show_idea", idea_id=idea_id, _anchor=f"comment-{comment.id}"), 303)
            view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
            ctx = _idea_context(view, comment_message=_l("Your comment was published."),
                                new_comment_id=comment.id, reply_to_id=0)
            return render("ideas/show.html", "ideas/_partials/comments.html", **ctx)
    view = idea_service.get_visible(idea_id, g.commune.id, _viewer())
    ctx = _idea_context(view, comment_form=form, comment_errors=errors, reply_to_id=parent_id or 0)
    return render("ideas/show.html", "ideas/_partials/comments.html", status=status, **ctx)
