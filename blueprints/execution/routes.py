"""Execution follow-up: the committee (members who score) and the commune's admins record, per
project and year, the status, % complete, amount spent and causes of delay, and dated milestones
with an optional photo; the public reads each year's monitoring report and each project's progress.

Access: the committee pages are declared `execution.update` (committee role and commune admins —
admins do not hold `committee.read`); the object rule is services.access.can_update_execution for
changes, and for the overview also committee observers (read only). Rules live in services.execution.
"""
from __future__ import annotations

import os

from flask import Blueprint, abort, current_app, flash, g, request, send_from_directory
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import public, requires
from blueprints._helpers import ButtonForm, attach_error, is_htmx, redirect_to, render
from blueprints.execution.forms import MilestoneForm, ReportForm, YearForm, report_data
from extensions import db
from models import Plan
from services import execution, formatting, phases
from services.errors import NotAllowed, NotFound, ServiceError

bp = Blueprint("execution", __name__)
bp.add_app_template_filter(formatting.percent, "percent")

BASE = "/<commune>/committee/execution"


@bp.app_template_global("project_progress")
def project_progress(project):
    """A project's execution per year and its milestones (for templates/projects/show.html)."""
    return execution.project_progress(project)


# --- helpers -----------------------------------------------------------------------------------

def _plan() -> Plan:
    return phases.current_plan(g.commune)


def _reader() -> Plan:
    plan = _plan()
    if not execution.can_read(current_user, plan):
        raise NotAllowed(execution.NOT_A_READER)
    return plan


def _updater() -> Plan:
    plan = _plan()
    if not execution.can_update(current_user, plan):
        raise NotAllowed(execution.NOT_AN_UPDATER)
    return plan


def _upload_root() -> str:
    return current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")


def _year(value, plan: Plan) -> int:
    """A year of the plan from a query or form value; anything else is this year (clamped to the plan)."""
    text = (value or "").strip()
    if text.isdigit() and len(text) == 4 and int(text) in execution.plan_years(plan):
        return int(text)
    return execution.default_year(plan, phases.today())


# --- the committee's overview ------------------------------------------------------------------

@bp.get(BASE)
@requires("execution.update")
def overview(**_):
    plan = _reader()
    year = _year(request.args.get("year"), plan)
    form = YearForm(formdata=None, data={"year": str(year)})
    form.year.choices = [(str(y), str(y)) for y in execution.plan_years(plan)]
    return render("execution/overview.html", "execution/_overview_table.html", plan=plan, form=form,
                  data=execution.overview(plan, year), year=year,
                  can_update=execution.can_update(current_user, plan))


# --- one project's report for one year, and its milestones -------------------------------------

def _report_context(plan, project, year, *, form=None, milestone_form=None, message=None,
                    saved_message=None, milestones_message=None, milestones_error=False) -> dict:
    if form is None:
        form = ReportForm(formdata=None, data=report_data(execution.report_input(execution.get_report(project, year))))
    earlier = execution.previous_report(project, year - 1)
    return {
        "plan": plan, "project": project, "year": year, "years": execution.plan_years(plan), "form": form,
        "earlier": earlier, "message": message, "saved_message": saved_message,
        "milestones": execution.milestones_of(project),
        "milestone_form": milestone_form or MilestoneForm(formdata=None, data={"year": str(year)}),
        "milestones_message": milestones_message, "milestones_error": milestones_error,
    }


@bp.route(f"{BASE}/<int:project_id>/<int:year>", methods=["GET", "POST"])
@requires("execution.update")
def update_report(project_id, year, **_):
    plan = _updater()
    execution.check_year(plan, year)
    project = execution.get_project(plan, project_id)
    if request.method == "GET":
        return render("execution/report.html", "execution/_report_form.html",
                      **_report_context(plan, project, year))
    form = ReportForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render("execution/report.html", "execution/_report_form.html", status=400,
                      **_report_context(plan, project, year, form=form))
    try:
        _report, changed = execution.save_report(plan, project, year, form.to_input(), current_user)
    except ServiceError as exc:
        db.session.rollback()
        message = None if attach_error(form, exc) else exc.message
        return render("execution/report.html", "execution/_report_form.html", status=exc.status,
                      **_report_context(plan, project, year, form=form, message=message))
    code = project.code
    db.session.commit()
    if changed:
        saved = _l("The %(year)s report of %(code)s was saved.", year=year, code=code)
    else:
        saved = _l("Nothing was changed in the %(year)s report of %(code)s.", year=year, code=code)
    if is_htmx():
        return render("execution/report.html", "execution/_report_form.html",
                      **_report_context(plan, project, year, saved_message=saved))
    flash(saved, "success")
    return redirect_to("execution.overview", year=year)


def _milestones_response(plan, project, year, *, status=200, **kw):
    ctx = _report_context(plan, project, year, **kw)
    if is_htmx():
        return render("execution/report.html", "execution/_milestones.html", status=status, **ctx)
    return render("execution/report.html", status=status, **ctx)


@bp.post(f"{BASE}/<int:project_id>/milestones")
@requires("execution.update")
def add_milestone(project_id, **_):
    plan = _updater()
    project = execution.get_project(plan, project_id)
    form = MilestoneForm()
    year = _year(form.year.data, plan)
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return _milestones_response(plan, project, year, status=400, milestone_form=form)
    try:
        milestone = execution.add_milestone(plan, project, form.to_input(), current_user, _upload_root(),
                                            phases.today())
    except ServiceError as exc:
        db.session.rollback()
        message = None if attach_error(form, exc) else exc.message
        return _milestones_response(plan, project, year, status=exc.status, milestone_form=form,
                                    milestones_message=message, milestones_error=bool(message))
    photo = milestone.photo
    try:
        db.session.commit()
    except Exception:
        execution.remove_photo(_upload_root(), photo)  # nothing stored: no file either
        raise
    message = _l("The milestone was added.")
    if not is_htmx():
        flash(message, "success")
        return redirect_to("execution.update_report", project_id=project_id, year=year)
    return _milestones_response(plan, project, year, milestones_message=message)


@bp.post(f"{BASE}/<int:project_id>/milestones/<int:milestone_id>/delete")
@requires("execution.update")
def delete_milestone(project_id, milestone_id, **_):
    plan = _updater()
    project = execution.get_project(plan, project_id)
    milestone = execution.get_milestone(plan, milestone_id)
    if milestone.project_id != project.id:
        raise NotFound(_l("This milestone does not exist."))
    if not ButtonForm().validate_on_submit():
        abort(400)
    year = _year(request.form.get("year"), plan)
    photo = execution.delete_milestone(plan, milestone, current_user, _upload_root())
    db.session.commit()
    execution.remove_photo(_upload_root(), photo)
    message = _l("The milestone was deleted.")
    if not is_htmx():
        flash(message, "success")
        return redirect_to("execution.update_report", project_id=project_id, year=year)
    return _milestones_response(plan, project, year, milestones_message=message)


@bp.get("/<commune>/milestones/<int:milestone_id>/photo")
@public
def milestone_photo(milestone_id, **_):
    milestone = execution.get_public_milestone(g.commune.id, milestone_id)
    mimetype = execution.photo_type(milestone)
    if mimetype is None:
        abort(404)
    # The stored name is ours (random hex + an extension chosen from the content), never the upload's.
    response = send_from_directory(execution.photo_folder(_upload_root()), milestone.photo, mimetype=mimetype,
                                   as_attachment=False, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- the annual monitoring report (public) -------------------------------------------------------

@bp.get("/<commune>/programme/reports")
@public
def reports(**_):
    plan = _plan()
    return render("execution/reports.html", plan=plan, years=execution.plan_years(plan),
                  current=execution.default_year(plan, phases.today()))


@bp.get("/<commune>/programme/report/<int:year>")
@public
def annual_report(year, **_):
    plan = _plan()
    report = execution.annual_report(plan, year)
    return render("execution/annual_report.html", plan=plan, report=report, year=year,
                  years=execution.plan_years(plan), today=phases.today())
