"""The plan's projects: the committee makes them from residents' ideas (the PAC project sheet),
changes them and merges more ideas into them; the public reads the list and each sheet.

Committee pages need a seat on the plan's committee (observers read, only scoring members
make or change projects); the rules of the sheet live in services.projects.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from blueprints._access import public, requires
from blueprints._helpers import ButtonForm, is_htmx, page_number, redirect_to, render
from blueprints.ideas.forms import FilterForm
from blueprints.projects.forms import LinkIdeasForm, ProjectFilterForm, ProjectForm, form_data
from extensions import db
from models import Axis, Idea, Plan
from services import access, phases
from services import ideas as idea_service
from services import projects as project_service
from services.errors import NotAllowed, ServiceError

bp = Blueprint("projects", __name__)

NOT_ON_COMMITTEE = _l("Only the members of this plan's committee can see this page.")
MAX_IDEAS_IN_URL = project_service.MAX_IDEAS


def _plan() -> Plan:
    return phases.current_plan(g.commune)


def _reading_plan() -> Plan:
    plan = _plan()
    if not access.can_read_committee(current_user, plan):
        raise NotAllowed(NOT_ON_COMMITTEE)
    return plan


def _managing_plan() -> Plan:
    plan = _plan()
    if not access.can_score(current_user, plan):
        raise NotAllowed(project_service.NOT_A_MEMBER)
    return plan


def _attach(form: ProjectForm, exc: ServiceError):
    """Put a service's refusal next to its field (rows too); else return it for the top of the form."""
    target = form.row_fields().get(exc.field or "")
    if target is None:
        return exc.message
    target.errors = [*target.errors, exc.message]
    return None


def _idea_ids(values) -> list[int]:
    """Idea numbers from ?idea=…&idea=… (or the posted checkboxes); anything else is dropped."""
    ids = [int(v) for v in values.getlist("idea")[:MAX_IDEAS_IN_URL] if v.isdigit() and len(v) < 10]
    return list(dict.fromkeys(ids))


def _chosen_ideas(plan: Plan, ids: list[int]) -> list[Idea]:
    """The chosen ideas that are public ideas of the plan, in the order chosen."""
    if not ids:
        return []
    found = {i.id: i for i in db.session.scalars(select(Idea).where(
        Idea.id.in_(ids), Idea.plan_id == plan.id, Idea.commune_id == plan.commune_id))}
    return [found[i] for i in ids if i in found and found[i].is_public]


# --- the committee's list ------------------------------------------------------------------------

@bp.get("/<commune>/committee/projects")
@requires("committee.read")
def manage_projects(**_):
    plan = _reading_plan()
    result = project_service.list_projects(plan, page=page_number())
    return render("projects/manage.html", "projects/_manage_table.html", plan=plan, result=result,
                  can_manage=access.can_score(current_user, plan))


@bp.get("/<commune>/committee/ideas")
@requires("committee.read")
def pick_ideas(**_):
    plan = _reading_plan()
    axes, hoods = idea_service.choices(g.commune.id)
    form = FilterForm(formdata=request.args).setup(axes, hoods)
    filters = form.filters()
    result = idea_service.list_public(plan.id, filters, page_number(), project_service.PER_PAGE)
    chosen = (("q", filters.q), ("axis", form.axis.data), ("neighbourhood", form.neighbourhood.data),
              ("status", form.status.data))
    query_args = {name: value for name, value in chosen if value}
    if filters.sort != idea_service.DEFAULT_SORT:
        query_args["sort"] = filters.sort
    return render("projects/pick.html", "projects/_pick_results.html", plan=plan, form=form, result=result,
                  query_args=query_args, in_project=project_service.projects_of_ideas(i.id for i in result.items),
                  can_manage=access.can_score(current_user, plan))


# --- making and changing a project ---------------------------------------------------------------

def _form_page(form, *, plan, project=None, ideas=(), taken=None, message=None, status=200):
    ctx = {"form": form, "plan": plan, "project": project, "ideas": list(ideas), "taken": taken or {},
           "message": message}
    if project is not None:
        ctx.update(_ideas_context(project))
    return render("projects/form.html", "projects/_form.html", status=status, **ctx)


def _new_defaults(plan: Plan, ideas: list[Idea]) -> dict:
    data = project_service.ProjectInput(code=project_service.next_code(plan, g.commune.slug),
                                        earliest_start_year=plan.start_year, duration_years=1)
    if ideas:
        data.axis_id = ideas[0].axis_id
        data.neighbourhood_ids = list(dict.fromkeys(i.neighbourhood_id for i in ideas))
    return form_data(data)


@bp.route("/<commune>/committee/projects/new", methods=["GET", "POST"])
@requires("project.manage")
def new_project(**_):
    plan = _managing_plan()
    axes, hoods = idea_service.choices(g.commune.id)
    ids = _idea_ids(request.values)
    ideas = _chosen_ideas(plan, ids)
    taken = project_service.projects_of_ideas(i.id for i in ideas)
    if request.method == "GET":
        form = ProjectForm(formdata=None, data=_new_defaults(plan, ideas)).setup(axes, hoods, plan)
        return _form_page(form, plan=plan, ideas=ideas, taken=taken)
    form = ProjectForm().setup(axes, hoods, plan)
    if not form.validate_on_submit():
        return _form_page(form, plan=plan, ideas=ideas, taken=taken, status=400)
    try:
        project = project_service.create_project(plan, form.to_input(), ids, current_user)
    except ServiceError as exc:
        db.session.rollback()
        return _form_page(form, plan=plan, ideas=ideas, taken=taken, message=_attach(form, exc),
                          status=exc.status)
    code = project.code
    db.session.commit()
    flash(_l("The project %(code)s was created.", code=code), "success")
    return redirect_to("projects.edit_project", project_id=project.id)


@bp.route("/<commune>/committee/projects/<int:project_id>/edit", methods=["GET", "POST"])
@requires("project.manage")
def edit_project(project_id, **_):
    plan = _managing_plan()
    project = project_service.get(plan, project_id)
    axes, hoods = _choices_with(project)
    if request.method == "GET":
        form = ProjectForm(formdata=None, data=form_data(project_service.data_of(project))).setup(axes, hoods, plan)
        return _form_page(form, plan=plan, project=project)
    form = ProjectForm().setup(axes, hoods, plan)
    if not form.validate_on_submit():
        return _form_page(form, plan=plan, project=project, status=400)
    try:
        changed = project_service.update_project(project, form.to_input(), current_user)
    except ServiceError as exc:
        db.session.rollback()
        project = project_service.get(plan, project_id)
        return _form_page(form, plan=plan, project=project, message=_attach(form, exc), status=exc.status)
    code = project.code
    db.session.commit()
    if changed:
        flash(_l("The project %(code)s was saved.", code=code), "success")
    else:
        flash(_l("Nothing was changed in the project %(code)s.", code=code), "success")
    return redirect_to("projects.edit_project", project_id=project_id)


def _choices_with(project):
    """The commune's active axes and neighbourhoods, plus the project's own axis if it was deactivated."""
    axes, hoods = idea_service.choices(g.commune.id)
    if all(a.id != project.axis_id for a in axes):
        axis = db.session.get(Axis, project.axis_id)
        axes = [*axes, idea_service.Choice(axis.id, axis.name_ar, axis.name_fr, axis.name_zgh)]
    known = {h.id for h in hoods}
    hoods = [*hoods, *(idea_service.Choice(h.id, h.name_ar, h.name_fr, h.name_zgh)
                       for h in project.neighbourhoods if h.id not in known)]
    return axes, hoods


# --- the ideas of a project ----------------------------------------------------------------------

def _ideas_context(project, *, link_form=None, ideas_message=None, ideas_error=False) -> dict:
    linked = project_service.linked_ideas(project, public_only=False)
    return {"project": project, "linked": linked, "link_form": link_form or LinkIdeasForm(formdata=None),
            "unlink_form": ButtonForm(formdata=None), "ideas_message": ideas_message, "ideas_error": ideas_error}


def _ideas_response(plan, project, *, status=200, **kw):
    if is_htmx():
        return render("projects/form.html", "projects/_ideas.html", status=status, **_ideas_context(project, **kw))
    axes, hoods = _choices_with(project)
    form = ProjectForm(formdata=None, data=form_data(project_service.data_of(project))).setup(axes, hoods, plan)
    ctx = {"form": form, "plan": plan, "ideas": [], "taken": {}, "message": None, **_ideas_context(project, **kw)}
    return render("projects/form.html", status=status, **ctx)


@bp.post("/<commune>/committee/projects/<int:project_id>/ideas")
@requires("project.manage")
def link_ideas(project_id, **_):
    plan = _managing_plan()
    project = project_service.get(plan, project_id)
    form = LinkIdeasForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _ideas_response(plan, project, status=400, link_form=form)
    try:
        added = project_service.link_ideas(project, form.ids, current_user)
    except ServiceError as exc:
        db.session.rollback()
        form.numbers.errors = [*form.numbers.errors, exc.message]
        project = project_service.get(plan, project_id)
        return _ideas_response(plan, project, status=exc.status, link_form=form)
    db.session.commit()
    if added:
        message = _l("Ideas added to the project: %(numbers)s. Their authors were notified.",
                     numbers=", ".join(str(i.id) for i in added))
    else:
        message = _l("These ideas were already part of the project.")
    if not is_htmx():
        flash(message, "success")
        return redirect_to("projects.edit_project", project_id=project_id)
    return _ideas_response(plan, project, ideas_message=message)


@bp.post("/<commune>/committee/projects/<int:project_id>/ideas/<int:idea_id>/unlink")
@requires("project.manage")
def unlink_idea(project_id, idea_id, **_):
    plan = _managing_plan()
    project = project_service.get(plan, project_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        project_service.unlink_idea(project, idea_id, current_user)
    except ServiceError as exc:
        db.session.rollback()
        project = project_service.get(plan, project_id)
        return _ideas_response(plan, project, status=exc.status, ideas_message=exc.message, ideas_error=True)
    db.session.commit()
    message = _l("Idea %(id)s is no longer part of the project.", id=idea_id)
    if not is_htmx():
        flash(message, "success")
        return redirect_to("projects.edit_project", project_id=project_id)
    return _ideas_response(plan, project, ideas_message=message)


# --- public pages --------------------------------------------------------------------------------

@bp.get("/<commune>/projects")
@public
def list_projects(**_):
    plan = _plan()
    axes, hoods = idea_service.choices(g.commune.id)
    form = ProjectFilterForm(formdata=request.args).setup(axes, hoods)
    axis_id = int(form.axis.data) if form.axis.data else None
    hood_id = int(form.neighbourhood.data) if form.neighbourhood.data else None
    result = project_service.list_projects(plan, axis_id=axis_id, neighbourhood_id=hood_id, page=page_number(),
                                           per_page=current_app.config.get("PROJECTS_PER_PAGE",
                                                                           project_service.PER_PAGE))
    query_args = {k: v for k, v in (("axis", form.axis.data), ("neighbourhood", form.neighbourhood.data)) if v}
    return render("projects/list.html", "projects/_list.html", plan=plan, form=form, result=result,
                  query_args=query_args, filtered=bool(query_args))


@bp.get("/<commune>/projects/<code>")
@public
def show_project(code, **_):
    plan = _plan()
    found = project_service.sheet(plan, code)
    project = found.project
    return render("projects/show.html", plan=plan, project=project, axis=found.axis,
                  ideas=project_service.linked_ideas(project),
                  citizens=found.citizens, associations=found.associations,
                  can_manage=access.can_score(current_user, plan))
