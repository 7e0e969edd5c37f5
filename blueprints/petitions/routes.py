"""Petitions to the council: the public list, one petition, the sessions' agenda, drafting,
signatures (htmx), the agent, filing with a printable receipt, and the bureau's files and decisions.

Views parse the form, authorise, call one service, commit once and render. Signing answers an
htmx request with the signing fragment (count in a role=status region), or the same fragment
showing why it was refused with the service's status.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import public, requires
from blueprints._helpers import ButtonForm, attach_error, is_htmx, page_number, redirect_to, render
from blueprints.petitions.forms import AdmissibleForm, AgentForm, PetitionForm, RefuseForm, SignForm
from extensions import db
from models import Petition, PetitionState
from models.petition import PUBLIC_STATES, SIGNING_STATES
from services import access, petitions, phases
from services.errors import NotAllowed, NotFound, ServiceError

bp = Blueprint("petitions", __name__)
PER_PAGE = 20


def _viewer():
    return current_user if current_user.is_authenticated else None


def _status(exc: ServiceError) -> int:
    return exc.status if exc.status != 400 else 422


@bp.app_template_global()
def petitions_overdue(commune_id: int) -> int:
    """Filed petitions past their refusal deadline (the admin dashboard shows it)."""
    return petitions.overdue_count(commune_id, phases.today())


@bp.app_template_global()
def petition_session_name(year: int, month: int) -> str:
    """An ordinary session as its month and year in the reader's language, e.g. "February 2027"."""
    from datetime import date

    from services import formatting

    return formatting.date(date(year, month, 1), "MMMM y")


@bp.app_template_global()
def petition_next_session() -> tuple[int, int]:
    """The ordinary session a petition declared admissible today goes to."""
    return petitions.next_ordinary_session(phases.today())


# --- public pages -----------------------------------------------------------------------------------

@bp.get("/<commune>/petitions")
@public
def list_petitions(**_ignored):
    state = request.args.get("state", "")
    state = state if state in PUBLIC_STATES else ""
    listing = db.paginate(petitions.public_list(g.commune.id, state or None), page=page_number(),
                          per_page=PER_PAGE, error_out=False)
    return render("petitions/list.html", "petitions/_list.html", listing=listing, state=state,
                  states=PUBLIC_STATES, drafts=petitions.own_drafts(_viewer(), g.commune.id),
                  threshold=petitions.commune_threshold(g.commune))


@bp.get("/<commune>/petitions/sessions")
@public
def sessions(**_ignored):
    return render("petitions/sessions.html", agenda=petitions.agenda(g.commune.id))


def _signing_context(petition: Petition, *, sign_form=None, message=None, error=False) -> dict:
    user = _viewer()
    signed = petitions.has_signed(user.id, petition.id) if user else False
    return {
        "petition": petition,
        "signed": signed,
        "can_sign": access.can(user, "petition.sign", g.commune.id),
        # Forms only for someone signed in: a form makes a session token, and a visitor's page
        # without one can be served from the public page cache (blueprints/_page_cache.py).
        "sign_form": sign_form or (SignForm(formdata=None) if user else None),
        "sign_message": message,
        "sign_error": error,
    }


def _show(petition: Petition, *, status=200, agent_form=None, action_error=None, **signing):
    user = _viewer()
    return render(
        "petitions/show.html", status=status,
        **_signing_context(petition, **signing),
        is_author=user is not None and petition.author_id == user.id,
        can_edit=access.can_edit_petition(user, petition),
        can_file=access.can_file_petition(user, petition) and access.can(user, "petition.file", g.commune.id),
        agent_form=agent_form or (AgentForm(formdata=None) if user else None),
        action_error=action_error,
        button=ButtonForm(formdata=None) if user else None,
        deadline=petitions.deadline_item(petition, phases.today()) if petition.filed_on else None,
        signing_states=SIGNING_STATES,
    )


@bp.get("/<commune>/petitions/<int:petition_id>")
@public
def show_petition(petition_id, **_ignored):
    return _show(petitions.get_visible(petition_id, g.commune.id, _viewer()))


@bp.get("/<commune>/petitions/<int:petition_id>/receipt")
@public
def receipt(petition_id, **_ignored):
    petition = petitions.get_visible(petition_id, g.commune.id, _viewer())
    if petition.receipt_number is None:
        raise NotFound(_l("This petition has not been filed: it has no receipt yet."))
    return render("petitions/receipt.html", petition=petition,
                  deadline=petitions.refusal_deadline(petition.filed_on))


# --- drafting ---------------------------------------------------------------------------------------

def _form_page(form, *, petition=None, status=200, form_errors=()):
    return render("petitions/form.html", status=status, form=form, petition=petition,
                  form_errors=list(form_errors))


def _save(form, petition=None):
    """Validate and save a draft; the page again (422 …) with the messages, or a redirect."""
    if not form.validate_on_submit():
        return _form_page(form, petition=petition, status=422)
    try:
        if petition is None:
            petition = petitions.create_draft(current_user, g.commune, form.to_input())
        else:
            petitions.update_draft(current_user, petition, form.to_input())
    except ServiceError as exc:
        db.session.rollback()
        errors = [] if attach_error(form, exc) else [exc.message]
        return _form_page(form, petition=petition, status=_status(exc), form_errors=errors)
    db.session.commit()
    flash(_("Your draft petition was saved. Only you can see it until you open it for signatures."), "success")
    return redirect_to("petitions.show_petition", petition_id=petition.id)


@bp.route("/<commune>/petitions/new", methods=["GET", "POST"])
@requires("petition.draft")
def new_petition(**_ignored):
    form = PetitionForm().setup(access.represented_associations(current_user, g.commune.id))
    if request.method == "GET":
        return _form_page(form)
    return _save(form)


def _own_draft(petition_id: int) -> Petition:
    petition = petitions.get_visible(petition_id, g.commune.id, current_user)
    if not access.can_edit_petition(current_user, petition):
        if petition.author_id != current_user.id:
            raise NotAllowed(_l("Only the author of a draft petition can change it."))
        raise NotAllowed(_l("This petition is no longer a draft: it cannot be changed."))
    return petition


@bp.route("/<commune>/petitions/<int:petition_id>/edit", methods=["GET", "POST"])
@requires("petition.draft")
def edit_petition(petition_id, **_ignored):
    petition = _own_draft(petition_id)
    associations = access.represented_associations(current_user, g.commune.id)
    if request.method == "GET":
        form = PetitionForm(data={
            "title": petition.title, "request": petition.request, "reasons": petition.reasons,
            "competence": petition.competence, "field": petition.field,
            "association_id": str(petition.association_id or ""),
        }).setup(associations)
        return _form_page(form, petition=petition)
    return _save(PetitionForm().setup(associations), petition)


@bp.post("/<commune>/petitions/<int:petition_id>/open")
@requires("petition.draft")
def open_petition(petition_id, **_ignored):
    petition = _own_draft(petition_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        petitions.open_for_signatures(current_user, petition, g.commune)
    except ServiceError as exc:
        db.session.rollback()
        return _show(petitions.get_visible(petition_id, g.commune.id, current_user), status=_status(exc),
                     action_error=exc.message)
    db.session.commit()
    flash(_("The petition is open for signatures. Share its page with the people concerned."), "success")
    return redirect_to("petitions.show_petition", petition_id=petition.id)


@bp.post("/<commune>/petitions/<int:petition_id>/withdraw")
@requires("petition.draft")
def withdraw_petition(petition_id, **_ignored):
    petition = _own_draft(petition_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    petitions.withdraw(current_user, petition)
    db.session.commit()
    flash(_("The draft petition was withdrawn."), "success")
    return redirect_to("petitions.list_petitions")


# --- signatures and the agent -------------------------------------------------------------------------

@bp.post("/<commune>/petitions/<int:petition_id>/sign")
@requires("petition.sign")
def sign_petition(petition_id, **_ignored):
    petition = petitions.get_visible(petition_id, g.commune.id, current_user)
    form = SignForm()
    status, message, error = 200, None, False
    if not form.validate_on_submit():
        status = 422
    else:
        try:
            petition = petitions.sign(current_user, petition_id, g.commune.id,
                                      declared=bool(form.declaration.data), cin=form.cin.data)
        except ServiceError as exc:
            db.session.rollback()
            petition = petitions.get_visible(petition_id, g.commune.id, current_user)
            status = _status(exc)
            if not attach_error(form, exc):
                message, error = exc.message, True
        else:
            db.session.commit()
            message = _("Thank you: your signature is counted. Nobody else can see that you signed.")
            if not is_htmx():
                flash(message, "success")
                return redirect_to("petitions.show_petition", petition_id=petition.id)
    if is_htmx():
        return render("petitions/_signing.html", status=status,
                      **_signing_context(petition, sign_form=form, message=message, error=error))
    return _show(petition, status=status, sign_form=form, message=message, error=error)


@bp.post("/<commune>/petitions/<int:petition_id>/agent")
@requires("petition.draft")
def name_agent(petition_id, **_ignored):
    petition = petitions.get_visible(petition_id, g.commune.id, current_user)
    if petition.author_id != current_user.id:
        raise NotAllowed(_l("Only the author of the petition names its agent."))
    form = AgentForm()
    if not form.validate_on_submit():
        return _show(petition, status=422, agent_form=form)
    try:
        agent = petitions.name_agent(current_user, petition, form.identifier.data)
    except ServiceError as exc:
        db.session.rollback()
        petition = petitions.get_visible(petition_id, g.commune.id, current_user)
        if not attach_error(form, exc):
            return _show(petition, status=_status(exc), action_error=exc.message)
        return _show(petition, status=_status(exc), agent_form=form)
    db.session.commit()
    flash(_("%(name)s is now the petition's agent and was told so.", name=agent.display_name), "success")
    return redirect_to("petitions.show_petition", petition_id=petition_id)


# --- filing -------------------------------------------------------------------------------------------

@bp.post("/<commune>/petitions/<int:petition_id>/file")
@requires("petition.file")
def file_petition(petition_id, **_ignored):
    petition = petitions.get_visible(petition_id, g.commune.id, current_user)
    if not access.can_file_petition(current_user, petition):
        raise NotAllowed(_l("Only the petition's agent (or, for an association, its representative) can file it."))
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        petition = petitions.file(current_user, petition_id, g.commune, today=phases.today())
    except ServiceError as exc:
        db.session.rollback()
        return _show(petitions.get_visible(petition_id, g.commune.id, current_user), status=_status(exc),
                     action_error=exc.message)
    db.session.commit()
    flash(_("The petition was filed. Keep its receipt: number %(number)s.", number=petition.receipt_number),
          "success")
    return redirect_to("petitions.receipt", petition_id=petition.id)


# --- the bureau ---------------------------------------------------------------------------------------

@bp.get("/<commune>/petitions/bureau")
@requires("petition.oversee")
def bureau(**_ignored):
    waiting, decided = petitions.bureau_files(g.commune.id, phases.today())
    return render("petitions/bureau.html", waiting=waiting, decided=decided)


def _decide_page(petition, *, admissible_form=None, refuse_form=None, status=200):
    return render("petitions/decide.html", status=status, petition=petition,
                  item=petitions.deadline_item(petition, phases.today()),
                  admissible_form=admissible_form or AdmissibleForm(formdata=None),
                  refuse_form=refuse_form or RefuseForm(formdata=None))


def _filed_here(petition_id: int) -> Petition:
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.commune_id != g.commune.id or petition.filed_on is None:
        raise NotFound(_l("This petition does not exist or has not been filed."))
    return petition


@bp.get("/<commune>/petitions/<int:petition_id>/decide")
@requires("petition.decide")
def decide(petition_id, **_ignored):
    return _decide_page(_filed_here(petition_id))


def _decided(form, petition_id, call, form_key):
    petition = _filed_here(petition_id)
    if not form.validate_on_submit():
        return _decide_page(petition, status=422, **{form_key: form})
    try:
        call(form)
    except ServiceError as exc:
        db.session.rollback()
        petition = _filed_here(petition_id)
        if not attach_error(form, exc):
            raise
        return _decide_page(petition, status=_status(exc), **{form_key: form})
    db.session.commit()
    flash(_("The bureau's decision is recorded; the agent or association and the signatories were told."),
          "success")
    return redirect_to("petitions.show_petition", petition_id=petition_id)


@bp.post("/<commune>/petitions/<int:petition_id>/admissible")
@requires("petition.decide")
def declare_admissible(petition_id, **_ignored):
    return _decided(AdmissibleForm(), petition_id, lambda form: petitions.decide_admissible(
        current_user, petition_id, g.commune.id, form.committee.data, today=phases.today()), "admissible_form")


@bp.post("/<commune>/petitions/<int:petition_id>/refuse")
@requires("petition.decide")
def refuse(petition_id, **_ignored):
    return _decided(RefuseForm(), petition_id, lambda form: petitions.decide_refused(
        current_user, petition_id, g.commune.id, ground=form.ground.data, reasons=form.reasons.data,
        delay_explanation=form.delay_explanation.data, today=phases.today()), "refuse_form")
