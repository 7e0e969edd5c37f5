"""Scoring rounds of the plan's committee: the chair creates, opens and closes rounds; members
score each project (form or CSV), declare conflicts of interest; everybody's scores are shown
only once the round is closed (blind scoring). Rules live in services.scoring."""
from __future__ import annotations

import re

from flask import Blueprint, flash, g, make_response, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import requires
from blueprints._helpers import ButtonForm, is_htmx, redirect_to, render
from blueprints.rounds.forms import NewRoundForm, ProjectsForm, RecuseForm, UploadForm
from extensions import db
from models import Plan, RoundStatus
from services import access, phases, scoring
from services.errors import NotAllowed, ServiceError

bp = Blueprint("rounds", __name__)

BASE = "/<commune>/committee/rounds"
_SCORE = re.compile(r"[0-5]")
_FIELD = re.compile(r"(?:score|comment)-(.*)")

ONLY_MEMBERS = _l("Only members of this plan's committee can see this.")
ONLY_CHAIR = _l("Only the chair of the committee can do this.")


# --- object rules ------------------------------------------------------------------------------

def _plan(check, message) -> Plan:
    plan = phases.current_plan(g.commune)
    if not check(current_user, plan):
        raise NotAllowed(message)
    return plan


def _reader() -> Plan:
    return _plan(access.can_read_committee, ONLY_MEMBERS)


def _scorer() -> Plan:
    return _plan(access.can_score, scoring.NOT_SCORER)


def _chair() -> Plan:
    return _plan(access.is_chair, ONLY_CHAIR)


def _project_choices(plan: Plan):
    return [(str(p.id), p) for p in scoring.plan_projects(plan)]


def _locale() -> str:
    return str(get_locale() or "ar")


# --- rounds ------------------------------------------------------------------------------------

@bp.get(BASE)
@requires("committee.read")
def list_rounds(**_):
    plan = _reader()
    all_rounds = scoring.rounds(plan)
    return render("rounds/list.html", "rounds/_list.html", plan=plan, rounds=all_rounds,
                  counts=scoring.project_counts([r.id for r in all_rounds]),
                  is_chair=access.is_chair(current_user, plan))


@bp.route(f"{BASE}/new", methods=["GET", "POST"])
@requires("committee.chair")
def new_round(**_):
    plan = _chair()
    form = NewRoundForm()
    choices = _project_choices(plan)
    form.projects.choices = [(value, p.code) for value, p in choices]
    status = 200
    if form.validate_on_submit():
        try:
            round_ = scoring.create_round(plan, current_user, name=form.name.data, top_k=form.top_k.data,
                                          project_ids=form.project_ids())
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("Round created as a draft. Check its projects, then open it for scoring."), "success")
            return redirect_to("rounds.show_round", round_id=round_.id)
    elif form.is_submitted():
        status = 422
    return render("rounds/new.html", "rounds/_new_form.html", status=status, form=form, choices=choices)


def _refused(form, exc: ServiceError) -> int:
    """A field's error goes next to the field (the status to answer with); others go to the
    app's error handler (error page or fragment with the service's status)."""
    name = exc.field
    if not (name and name in form._fields):
        raise exc
    db.session.rollback()
    form._fields[name].errors = [*form._fields[name].errors, exc.message]
    return exc.status if exc.status != 400 else 422


def _round_context(plan: Plan, round_, projects_form=None) -> dict:
    chair = access.is_chair(current_user, plan)
    scorer = access.can_score(current_user, plan)
    projects = scoring.round_projects(round_)
    ctx = {
        "plan": plan, "round": round_, "projects": projects, "supports": scoring.supports(round_),
        "is_chair": chair, "is_scorer": scorer, "button": ButtonForm(),
        "mine": scoring.my_progress(round_, current_user) if scorer else None,
        "everyone": scoring.progress(round_) if chair else None,
        "recusals": scoring.recusals(round_) if chair else None,
        "upload_form": UploadForm() if scorer and round_.status == RoundStatus.OPEN else None,
        "criteria": scoring.scored_criteria(plan),
    }
    if chair and round_.status == RoundStatus.DRAFT:
        if projects_form is None:
            projects_form = ProjectsForm(formdata=None, data={"projects": [str(p.id) for p in projects]})
        choices = _project_choices(plan)
        projects_form.projects.choices = [(value, p.code) for value, p in choices]
        ctx.update(projects_form=projects_form, choices=choices)
    if chair:
        ctx["people"] = scoring.people([r.user_id for r in ctx["recusals"]])
    return ctx


@bp.get(f"{BASE}/<int:round_id>")
@requires("committee.read")
def show_round(round_id, **_):
    plan = _reader()
    round_ = scoring.get_round(plan, round_id)
    return render("rounds/show.html", "rounds/_round.html", **_round_context(plan, round_))


@bp.post(f"{BASE}/<int:round_id>/projects")
@requires("committee.chair")
def set_projects(round_id, **_):
    plan = _chair()
    round_ = scoring.get_round(plan, round_id)
    form = ProjectsForm()
    form.projects.choices = [(value, p.code) for value, p in _project_choices(plan)]
    if form.validate_on_submit():
        try:
            scoring.set_projects(round_, current_user, form.project_ids())
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("The round's projects were saved."), "success")
            return redirect_to("rounds.show_round", round_id=round_.id)
    else:
        status = 422
    return render("rounds/show.html", "rounds/_round.html", status=status,
                  **_round_context(plan, round_, projects_form=form))


def _button(round_id, action, done_message):
    plan = _chair()
    round_ = scoring.get_round(plan, round_id)
    if not ButtonForm().validate_on_submit():  # CSRFProtect answers first; kept for clarity
        return render("rounds/show.html", "rounds/_round.html", status=400, **_round_context(plan, round_))
    action(round_, current_user)
    db.session.commit()
    flash(done_message, "success")
    return redirect_to("rounds.show_round", round_id=round_.id)


@bp.post(f"{BASE}/<int:round_id>/open")
@requires("committee.chair")
def open_round(round_id, **_):
    return _button(round_id, scoring.open_round,
                   _l("The round is open: members can score. The criteria's weights are now frozen."))


@bp.post(f"{BASE}/<int:round_id>/close")
@requires("committee.chair")
def close_round(round_id, **_):
    return _button(round_id, scoring.close_round,
                   _l("The round is closed: no more scores. All members can now read everybody's scores."))


# --- scoring by form ---------------------------------------------------------------------------

def _score_context(plan, round_, project, **extra) -> dict:
    criteria = scoring.scored_criteria(plan)
    mine = scoring.my_scores(round_, current_user)
    typed = extra.pop("typed", None)
    if typed is None:
        typed = {}
        for c in criteria:
            score = mine.get((project.id, c.id))
            typed[f"score-{c.id}"] = "" if score is None else str(score.value)
            typed[f"comment-{c.id}"] = (score.comment or "") if score else ""
    recused = scoring.is_recused(round_, current_user, project)
    ctx = {"levels": {c.id: {lv.level: lv.text for lv in c.levels} for c in criteria},"plan": plan, "round": round_, "project": project, "criteria": criteria, "typed": typed,
           "errors": {}, "recused": recused, "saved": None, "button": ButtonForm(),
           "recuse_form": RecuseForm(formdata=None),
           "can_recuse": not recused and round_.status in (RoundStatus.DRAFT, RoundStatus.OPEN),
           "scored_count": sum(1 for c in criteria if (project.id, c.id) in mine)}
    ctx.update(extra)
    return ctx


@bp.route(f"{BASE}/<int:round_id>/projects/<int:project_id>/score", methods=["GET", "POST"])
@requires("committee.score")
def score_project(round_id, project_id, **_):
    plan = _scorer()
    round_ = scoring.get_round(plan, round_id)
    project = scoring.round_project(round_, project_id)
    if request.method == "GET":
        return render("rounds/score.html", "rounds/_score_form.html", **_score_context(plan, round_, project))
    scoring.check_can_score(round_, current_user, project)  # 403 / 409 before reading anything
    criteria = scoring.scored_criteria(plan)
    ids = {str(c.id) for c in criteria}
    for key in request.form:
        match = _FIELD.fullmatch(key)
        if match and match.group(1) not in ids:
            raise ServiceError(_l("Score only the scored criteria of this plan."))
    values, typed, errors, status = {}, {}, {}, 200
    for c in criteria:
        raw = request.form.get(f"score-{c.id}", "").strip()
        comment = request.form.get(f"comment-{c.id}", "")
        typed[f"score-{c.id}"], typed[f"comment-{c.id}"] = raw, comment
        value = None
        if raw:
            if _SCORE.fullmatch(raw):
                value = int(raw)
            else:
                errors[f"score-{c.id}"] = _l("Choose a score from 0 to 5.")
                status = 400
        values[c.id] = (value, comment)
    if not errors:
        try:
            changed = scoring.save_scores(round_, current_user, project, values)
        except ServiceError as exc:
            if not exc.field:
                raise
            db.session.rollback()
            errors[exc.field] = exc.message
            status = 400 if exc.field.startswith("score-") else 422
        else:
            db.session.commit()
            if is_htmx():
                return render("rounds/score.html", "rounds/_score_form.html",
                              **_score_context(plan, round_, project, saved=changed))
            flash(_l("Your scores for %(code)s were saved.", code=project.code), "success")
            return redirect_to("rounds.show_round", round_id=round_.id)
    return render("rounds/score.html", "rounds/_score_form.html", status=status,
                  **_score_context(plan, round_, project, typed=typed, errors=errors))


@bp.post(f"{BASE}/<int:round_id>/projects/<int:project_id>/recuse")
@requires("committee.score")
def recuse(round_id, project_id, **_):
    plan = _scorer()
    round_ = scoring.get_round(plan, round_id)
    project = scoring.round_project(round_, project_id)
    scoring.require_recusable(round_)
    form = RecuseForm()
    status = 422
    if form.validate_on_submit():
        try:
            scoring.recuse(round_, current_user, project, form.reason.data)
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("Your conflict of interest on %(code)s is recorded: you are recused from scoring it.",
                     code=project.code), "success")
            return redirect_to("rounds.show_round", round_id=round_.id)
    return render("rounds/score.html", "rounds/_score_form.html", status=status,
                  **_score_context(plan, round_, project, recuse_form=form, recuse_open=True))


# --- CSV ---------------------------------------------------------------------------------------

def _csv_response(text: str, filename: str):
    response = make_response(text.encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get(f"{BASE}/<int:round_id>/my-scores.csv")
@requires("committee.score")
def score_sheet(round_id, **_):
    plan = _scorer()
    round_ = scoring.get_round(plan, round_id)
    return _csv_response(scoring.sheet_csv(round_, current_user, _locale()), f"my-scores-round-{round_.id}.csv")


@bp.post(f"{BASE}/<int:round_id>/upload")
@requires("committee.score")
def upload_scores(round_id, **_):
    plan = _scorer()
    round_ = scoring.get_round(plan, round_id)
    scoring.require_open(round_)
    form = UploadForm()
    file_errors: list = []
    hidden = 0
    if form.validate_on_submit():
        data = form.file.data.read(scoring.FILE_MAX_BYTES + 1)
        try:
            count = scoring.import_csv(round_, current_user, data)
        except scoring.ScoreFileError as exc:
            db.session.rollback()
            file_errors = exc.errors[:scoring.MAX_SHOWN_ERRORS]
            hidden = len(exc.errors) - len(file_errors)
        else:
            db.session.commit()
            message = _l("Scores saved from your file: %(n)d.", n=count)
            if is_htmx():
                return render("rounds/upload.html", "rounds/_upload.html", round=round_, upload_form=UploadForm(
                    formdata=None), uploaded=message, file_errors=[], hidden=0)
            flash(message, "success")
            return redirect_to("rounds.show_round", round_id=round_.id)
    return render("rounds/upload.html", "rounds/_upload.html", status=400, round=round_, upload_form=form,
                  uploaded=None, file_errors=file_errors, hidden=hidden)


# --- after the round closes ----------------------------------------------------------------------

@bp.get(f"{BASE}/<int:round_id>/scores")
@requires("committee.read")
def all_scores(round_id, **_):
    plan = _reader()
    round_ = scoring.get_round(plan, round_id)
    everyone = scoring.all_scores(round_)  # NotAllowed while blind
    return render("rounds/scores.html", "rounds/_scores.html", plan=plan, round=round_, everyone=everyone,
                  projects=scoring.round_projects(round_), criteria=scoring.scored_criteria(plan))


@bp.get(f"{BASE}/<int:round_id>/scores.csv")
@requires("committee.read")
def all_scores_csv(round_id, **_):
    plan = _reader()
    round_ = scoring.get_round(plan, round_id)
    return _csv_response(scoring.all_scores_csv(round_), f"scores-round-{round_.id}.csv")
