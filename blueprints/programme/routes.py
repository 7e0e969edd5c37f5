"""The committee's programme: budget envelopes, versions built from a published ranking, the
committee's justified pins/moves/drops and schedule edits, and a version's life up to the
council's decision (proposal, adoption, visa, mid-term revision, the equality body's opinion).

Access (services.access): reading is `programme.read` — seat holders (observers too) and the
commune's admins, who record the council's decision and so must see the version; building and
changing is `programme.manage` (seat holders who score; admins do not build: the programme is the
committee's proposal); proposing and starting a revision are the chair's (declared
`programme.manage`, object rule is_chair); the decision and the visa are `programme.decide`
(commune admins); the opinion is `opinion.record` (the observer seat, or commune admins).
Rules live in services.programme; views parse, call one service, commit once and render.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import requires
from blueprints._helpers import ButtonForm, attach_error, is_htmx, redirect_to, render
from blueprints.programme.forms import (AdoptionForm, BuildForm, EntryForm, OpinionForm, VisaForm,
                                        unique_ids)
from extensions import db
from models import Plan, VersionStatus
from services import access, phases, programme, ranking
from services.errors import NotAllowed, ServiceError

bp = Blueprint("programme", __name__)

BASE = "/<commune>/committee/programme"
VERSION = BASE + "/versions/<int:version_id>"


def _plan(check=access.can_read_programme, message=programme.NOT_A_READER) -> Plan:
    plan = phases.current_plan(g.commune)
    if not check(current_user, plan):
        raise NotAllowed(message)
    return plan


def _year_choices(plan: Plan) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(y), str(y)) for y in programme.plan_years(plan)]


def _int(value) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


# --- overview and envelopes -----------------------------------------------------------------------

def _build_choices(plan: Plan, form: BuildForm) -> None:
    form.round_id.choices = [(str(r.id), r.name) for r in ranking.published_rounds(plan)]
    form.support_round_id.choices = [("", _l("None: no participatory share"))] + [
        (str(r.id), r.name) for r in programme.share_rounds(plan)]


def _overview(plan: Plan, form: BuildForm | None = None, *, status: int = 200, error=None):
    rounds = ranking.published_rounds(plan)
    can_build = access.can_score(current_user, plan)
    if can_build and form is None:
        form = BuildForm(formdata=None)
    if form is not None:
        _build_choices(plan, form)
    envelopes = programme.envelopes_of(plan)
    return render("programme/overview.html", "programme/_overview.html", status=status, plan=plan,
                  versions=programme.versions_of(plan), rounds=rounds, form=form if can_build else None,
                  error=error, missing_years=[y for y in programme.plan_years(plan) if y not in envelopes],
                  envelopes=envelopes)


@bp.get(BASE)
@requires("programme.read")
def overview(**_):
    return _overview(_plan())


def _envelope_rows(plan: Plan) -> list[programme.EnvelopeInput]:
    """The envelope form as typed: amount-<year>, participatory-<year>, cap-<year>-<axis id>."""
    axes = programme.axes_of(plan)
    return [programme.EnvelopeInput(year, request.form.get(f"amount-{year}", ""),
                                    request.form.get(f"participatory-{year}", ""),
                                    {a.id: request.form.get(f"cap-{year}-{a.id}", "") for a in axes})
            for year in programme.plan_years(plan)]


@bp.route(BASE + "/envelopes", methods=["GET", "POST"])
@requires("programme.manage")
def envelopes(**_):
    plan = _plan(access.can_score, programme.NOT_A_BUILDER)
    form = ButtonForm()
    rows, errors, message, status = programme.envelope_inputs(plan), {}, None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        rows = _envelope_rows(plan)
        try:
            programme.save_envelopes(plan, rows, current_user)
        except programme.EnvelopeErrors as exc:
            db.session.rollback()
            errors, message, status = exc.errors, exc.message, 400
        else:
            db.session.commit()
            if not is_htmx():
                flash(_l("The budget envelopes were saved."), "success")
                return redirect_to("programme.envelopes")
            rows, message = programme.envelope_inputs(plan), _l("The budget envelopes were saved.")
    return render("programme/envelopes.html", "programme/_envelopes.html", status=status, plan=plan,
                  rows=rows, axes=programme.axes_of(plan), errors=errors, message=message,
                  saved=status == 200 and request.method == "POST", form=form)


@bp.post(BASE + "/versions")
@requires("programme.manage")
def build_version(**_):
    plan = _plan(access.can_score, programme.NOT_A_BUILDER)
    form = BuildForm()
    _build_choices(plan, form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _overview(plan, form, status=400)
    try:
        version = programme.build_version(plan, _int(form.round_id.data), current_user,
                                          support_round_id=_int(form.support_round_id.data),
                                          rule=form.rule.data or None)
    except ServiceError as exc:
        db.session.rollback()
        if exc.status == 403:
            raise
        shown = attach_error(form, exc)
        return _overview(plan, form, status=exc.status, error=None if shown else exc.message)
    db.session.commit()
    flash(_l("Draft version %(number)s was built from the ranking.", number=version.number), "success")
    return redirect_to("programme.show_version", version_id=version.id)


# --- one version -----------------------------------------------------------------------------------

def _entry_form(plan: Plan, entry, failed: dict | None = None) -> EntryForm:
    form = (failed or {}).get(entry.project_id)
    if form is None:
        form = EntryForm(formdata=None, data={"year": str(entry.pinned_year or entry.start_year or "")})
    form.year.choices = _year_choices(plan)
    return unique_ids(form, str(entry.project_id))


def _version_page(plan: Plan, version, *, status: int = 200, message=None, error=None, failed=None,
                  schedule_failed=None, adoption_form=None, visa_form=None):
    data = programme.view(plan, version)
    can_build = access.can_score(current_user, plan) and version.status == VersionStatus.DRAFT
    chair = access.is_chair(current_user, plan)
    can_decide = access.can_decide_programme(current_user, plan)
    entry_forms = {e.project_id: _entry_form(plan, e, failed) for e in version.entries} if can_build else {}
    schedule_failed = schedule_failed or {}
    schedules = {}
    for e in data.placed:
        typed, errors = schedule_failed.get(e.project_id, ({}, {}))
        values = {line.year: str(line.amount) for line in e.schedule}
        values.update(typed)
        schedules[e.project_id] = (programme.entry_years(e), values, errors)
    return render(
        "programme/version.html", "programme/_version.html", status=status, plan=plan, version=version,
        data=data, chart=programme.budget_chart(data.years), can_build=can_build, chair=chair,
        can_decide=can_decide, can_opinion=access.can_record_opinion(current_user, plan),
        entry_forms=entry_forms, schedules=schedules, message=message, error=error,
        adoption_form=adoption_form or (AdoptionForm(formdata=None) if can_decide else None),
        visa_form=visa_form or (VisaForm(formdata=None) if can_decide else None),
        button=ButtonForm(formdata=None), today=phases.today(),
        revision_opens=programme.revision_opens(plan), versions=programme.versions_of(plan),
        skip_info=programme.skip_info)


@bp.get(VERSION)
@requires("programme.read")
def show_version(version_id, **_):
    plan = _plan()
    return _version_page(plan, programme.version_of(plan, version_id))


def _refused(plan, version, exc: ServiceError, **ctx):
    """A refusal shown on the version page (or its fragment) with its status; 403/404 go to the error page."""
    db.session.rollback()
    if exc.status in (403, 404):
        raise exc
    return _version_page(plan, version, status=exc.status, **ctx)


def _done(plan, version, message):
    """After a successful change: the fragment with a status message (htmx), or back to the page."""
    if is_htmx():
        return _version_page(plan, version, message=message)
    flash(message, "success")
    return redirect_to("programme.show_version", version_id=version.id)


@bp.post(VERSION + "/entries/<int:project_id>")
@requires("programme.manage")
def change_entry(version_id, project_id, **_):
    plan = _plan(access.can_score, programme.NOT_A_BUILDER)
    version = programme.version_of(plan, version_id)
    entry = programme.entry_of(version, project_id)
    form = EntryForm()
    form.year.choices = _year_choices(plan)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _version_page(plan, version, status=400, failed={project_id: form})
    try:
        programme.change_entry(plan, version, project_id, form.action.data, _int(form.year.data),
                               form.justification.data, current_user)
    except ServiceError as exc:
        if not attach_error(form, exc):
            form.action.errors = [*form.action.errors, exc.message]
        return _refused(plan, version, exc, failed={project_id: form})
    db.session.commit()
    return _done(plan, version, _l("Project %(code)s: done. The programme was rebuilt.", code=entry.project.code))


@bp.post(VERSION + "/entries/<int:project_id>/schedule")
@requires("programme.manage")
def edit_schedule(version_id, project_id, **_):
    plan = _plan(access.can_score, programme.NOT_A_BUILDER)
    version = programme.version_of(plan, version_id)
    entry = programme.entry_of(version, project_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    typed = {y: request.form.get(f"year-{y}", "") for y in programme.entry_years(entry)}
    try:
        programme.edit_schedule(plan, version, project_id, typed, current_user)
    except programme.EnvelopeErrors as exc:
        return _refused(plan, version, exc, schedule_failed={project_id: (typed, exc.errors)})
    except ServiceError as exc:
        return _refused(plan, version, exc, schedule_failed={project_id: (typed, {"schedule": exc.message})})
    db.session.commit()
    return _done(plan, version, _l("The yearly schedule of %(code)s was saved. The programme was rebuilt.",
                                   code=entry.project.code))


@bp.post(VERSION + "/propose")
@requires("programme.manage")
def propose(version_id, **_):
    plan = _plan(access.is_chair, programme.ONLY_CHAIR)
    version = programme.version_of(plan, version_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        programme.propose(plan, version, current_user)
    except ServiceError as exc:
        return _refused(plan, version, exc, error=exc.message)
    db.session.commit()
    return _done(plan, version, _l("Version %(number)s is proposed to the council.", number=version.number))


@bp.post(VERSION + "/adopt")
@requires("programme.decide")
def record_adoption(version_id, **_):
    plan = _plan(access.can_decide_programme, programme.NOT_AN_ADMIN)
    version = programme.version_of(plan, version_id)
    form = AdoptionForm()
    try:
        programme.require_adoptable(version)  # adopted twice, or not proposed: the state speaks first
    except ServiceError as exc:
        return _refused(plan, version, exc, adoption_form=form, error=exc.message)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _version_page(plan, version, status=400, adoption_form=form)
    try:
        programme.record_adoption(plan, version, form.to_input(), current_user)
    except ServiceError as exc:
        message = None if attach_error(form, exc) else exc.message
        return _refused(plan, version, exc, adoption_form=form, error=message)
    db.session.commit()
    return _done(plan, version, _l("The council's adoption of version %(number)s is recorded.",
                                   number=version.number))


@bp.post(VERSION + "/visa")
@requires("programme.decide")
def record_visa(version_id, **_):
    plan = _plan(access.can_decide_programme, programme.NOT_AN_ADMIN)
    version = programme.version_of(plan, version_id)
    form = VisaForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _version_page(plan, version, status=400, visa_form=form)
    try:
        programme.record_visa(plan, version, form.visa_date.data, current_user)
    except ServiceError as exc:
        message = None if attach_error(form, exc) else exc.message
        return _refused(plan, version, exc, visa_form=form, error=message)
    db.session.commit()
    return _done(plan, version, _l("The governor's visa is recorded."))


@bp.post(VERSION + "/revise")
@requires("programme.manage")
def start_revision(version_id, **_):
    plan = _plan(access.is_chair, programme.ONLY_CHAIR)
    version = programme.version_of(plan, version_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        revision = programme.start_revision(plan, version, current_user)
    except ServiceError as exc:
        return _refused(plan, version, exc, error=exc.message)
    db.session.commit()
    flash(_l("Draft version %(number)s, a mid-term revision, was started.", number=revision.number), "success")
    return redirect_to("programme.show_version", version_id=revision.id)


@bp.route(VERSION + "/opinion", methods=["GET", "POST"])
@requires("opinion.record")
def record_opinion(version_id, **_):
    plan = _plan(access.can_record_opinion, programme.NOT_AN_OBSERVER)
    version = programme.version_of(plan, version_id)
    programme.require_opinion_open(version)
    form = OpinionForm(formdata=None) if request.method == "GET" else OpinionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                programme.record_opinion(plan, version, form.to_input(), current_user)
            except ServiceError as exc:
                db.session.rollback()
                if exc.status in (403, 404, 409) or not attach_error(form, exc):
                    raise
                status = exc.status
            else:
                db.session.commit()
                flash(_l("The equality body's opinion is recorded and shown with the version."), "success")
                return redirect_to("programme.show_version", version_id=version.id)
        else:
            if form.csrf_token.errors:
                abort(400)
            status = 400
    return render("programme/opinion.html", "programme/_opinion_form.html", status=status, plan=plan,
                  version=version, form=form)


# --- comparing two versions ---------------------------------------------------------------------------

@bp.get(BASE + "/compare")
@requires("programme.read")
def compare(**_):
    plan = _plan()
    versions = programme.versions_of(plan)
    a_id, b_id = _int(request.args.get("a")), _int(request.args.get("b"))
    result, message = None, None
    if request.args.get("a") or request.args.get("b"):
        if a_id is None or b_id is None:
            abort(404)
        a, b = programme.version_of(plan, a_id), programme.version_of(plan, b_id)
        if a.id == b.id:
            message = _l("Choose two different versions to compare.")
        else:
            result = programme.compare(a, b)
    return render("programme/compare.html", "programme/_compare.html", plan=plan, versions=versions,
                  result=result, message=message, a_id=a_id, b_id=b_id, schedule_total=programme.schedule_total)
