"""The ranking: the committee's view of a closed round (with the chair's overrides and the
publication), the public pages of published rankings, and the "how projects are ranked" page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import public, requires
from blueprints._helpers import ButtonForm, attach_error, redirect_to, render
from blueprints.ranking.forms import OverrideForm, override_prefix
from extensions import db
from models import Project
from prioritization import aggregation as agg
from services import access, charts, formatting, phases, ranking
from services.errors import NotAllowed, NotFound, ServiceError

bp = Blueprint("ranking", __name__)

_NOT_ON_COMMITTEE = _l("Only the members of this plan's committee can see this page.")
_ONLY_CHAIR = _l("Only the chair of the committee can do this.")

# Template helpers of this area (registered on the app: the project sheet uses them too).
bp.add_app_template_filter(formatting.decimal, "decimal")
bp.add_app_template_filter(formatting.percent, "percent")


def _lang() -> str:
    locale = get_locale()
    return str(locale).split("_")[0] if locale else "ar"


@bp.app_template_filter("in_language")
def in_language(names: dict | None) -> str:
    """A stored {ar, fr, zgh} name in the request language (English readers get the French)."""
    if not names:
        return ""
    lang = _lang()
    lang = "fr" if lang == "en" else lang
    return names.get(lang) or names.get("ar") or ""


@bp.app_template_global("published_ranking_rows")
def published_ranking_rows(project) -> list[ranking.PublishedRow]:
    """The project's lines in the published rankings (templates/projects/_ranking_slot.html)."""
    return ranking.published_rows_for(project)


@bp.app_template_global("ranking_chart")
def ranking_chart(items) -> charts.BarChart:
    """Chart geometry for [{label, value, spread, contested}] in display order."""
    return charts.bar_chart(charts.ChartItem(i["label"], i["value"], i["spread"], i["contested"]) for i in items)


# --- the committee's view --------------------------------------------------------------------

def _committee_round(round_id: int):
    plan = phases.current_plan(g.commune)
    if not access.can_read_committee(current_user, plan):
        raise NotAllowed(_NOT_ON_COMMITTEE)
    return plan, ranking.round_of(plan, round_id)


def _forms(result: ranking.RoundRanking, failed: dict | None = None) -> dict[int, OverrideForm]:
    forms = {}
    for row in result.rows:
        pid = row.project.id
        forms[pid] = (failed or {}).get(pid) or OverrideForm(formdata=None, prefix=override_prefix(pid))
    return forms


def _page(plan, round_, *, failed=None, status=200, moved=None):
    result = ranking.compute(round_)
    chair = access.is_chair(current_user, plan)
    changeable = chair and round_.status == "closed"
    return render("ranking/committee.html", "ranking/_committee.html", status=status, round=round_,
                  result=result, chair=chair, changeable=changeable,
                  forms=_forms(result, failed) if changeable else {},
                  publish_form=ButtonForm(formdata=None) if changeable else None, moved=moved)


@bp.get("/<commune>/committee/rounds/<int:round_id>/ranking")
@requires("committee.read")
def committee_ranking(round_id, **_):
    plan, round_ = _committee_round(round_id)
    return _page(plan, round_)


@bp.post("/<commune>/committee/rounds/<int:round_id>/override")
@requires("committee.chair")
def override(round_id, **_):
    plan, round_ = _committee_round(round_id)
    if not access.is_chair(current_user, plan):
        raise NotAllowed(_ONLY_CHAIR)
    ranking.require_changeable(round_)  # 409 before anything is read from the form
    try:
        project_id = int(request.form.get("project", ""))
    except ValueError:
        abort(400)
    project = db.session.get(Project, project_id)
    if project is None or project.plan_id != plan.id:
        raise NotFound(_l("This project is not part of the round."))
    form = OverrideForm(prefix=override_prefix(project_id))
    if form.validate_on_submit():
        try:
            ranking.override(round_, project, form.new_rank.data, form.justification.data, current_user)
        except ServiceError as exc:
            db.session.rollback()
            if not attach_error(form, exc):
                raise
            return _page(plan, round_, failed={project_id: form}, status=exc.status if exc.status != 400 else 422)
        db.session.commit()
        message = _l("Project %(code)s was moved. The justification will be published with the ranking.",
                     code=project.code)
        if request.headers.get("HX-Request"):
            return _page(plan, round_, moved=message)
        flash(message, "success")
        return redirect_to("ranking.committee_ranking", round_id=round_.id)
    return _page(plan, round_, failed={project_id: form}, status=422)


@bp.post("/<commune>/committee/rounds/<int:round_id>/publish")
@requires("committee.chair")
def publish(round_id, **_):
    plan, round_ = _committee_round(round_id)
    if not access.is_chair(current_user, plan):
        raise NotAllowed(_ONLY_CHAIR)
    if not ButtonForm().validate_on_submit():
        abort(400)
    ranking.publish(round_, current_user)
    db.session.commit()
    flash(_l("The ranking is published: residents can now read it."), "success")
    return redirect_to("ranking.public_ranking", round_id=round_.id)


# --- public pages ----------------------------------------------------------------------------

@bp.get("/<commune>/ranking")
@public
def public_rankings(**_):
    plan = phases.current_plan(g.commune)
    rounds = [(round_, ranking.published(round_)) for round_ in ranking.published_rounds(plan)]
    return render("ranking/public_list.html", "ranking/_public_list.html", plan=plan, rounds=rounds)


@bp.get("/<commune>/ranking/<int:round_id>")
@public
def public_ranking(round_id, **_):
    round_ = ranking.published_round(g.commune.id, round_id)
    return render("ranking/public.html", "ranking/_public.html", round=round_, data=ranking.published(round_))


# The worked example of the method page: fixed small numbers, computed by the real code.
EXAMPLE_CRITERIA = (agg.Criterion("impact", 2, "scored"), agg.Criterion("feasibility", 1, "scored"),
                    agg.Criterion("support", 1, "support"))
EXAMPLE_PROJECTS = (agg.Project("A", supports=120), agg.Project("B", supports=60))
EXAMPLE_SCORES = (
    agg.Score("1", "A", "impact", 4), agg.Score("1", "A", "feasibility", 2),
    agg.Score("2", "A", "impact", 2), agg.Score("2", "A", "feasibility", 3),
    agg.Score("1", "B", "impact", 5), agg.Score("1", "B", "feasibility", 4),
    agg.Score("2", "B", "impact", 4), agg.Score("2", "B", "feasibility", 4),
)


def worked_example() -> agg.Ranking:
    return agg.aggregate(EXAMPLE_CRITERIA, EXAMPLE_PROJECTS, EXAMPLE_SCORES)


@bp.get("/<commune>/ranking/method")
@public
def method(**_):
    plan = phases.current_plan(g.commune)
    criteria = ranking.criteria_of(plan.id)
    example = worked_example()
    return render("ranking/method.html", plan=plan, criteria=criteria,
                  weights=ranking.normalised_weights(criteria), example=example,
                  example_scores=EXAMPLE_SCORES, example_projects=EXAMPLE_PROJECTS,
                  contested_threshold=agg.DEFAULT_CONTESTED_THRESHOLD, draws=agg.DEFAULT_DRAWS)
