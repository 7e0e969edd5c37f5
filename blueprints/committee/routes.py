"""The committee of the commune's current plan: its page (members, what the visitor may do, links
to the committee's work), appointing members and the chair (commune admins), and the criteria
with their weights and 0–5 levels (the chair or a commune admin). Rules in services.committee
and services.criteria; who may do what in services.access."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g
from flask_babel import format_percent
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import requires
from blueprints._helpers import ButtonForm, attach_error, redirect_to, render
from blueprints.committee.forms import (AppointForm, CriterionForm, DeleteCriterionForm, RemoveMemberForm,
                                        criterion_data)
from extensions import db
from models import MemberKind
from services import access, committee, criteria, phases
from services.errors import NotAllowed, ServiceError

bp = Blueprint("committee", __name__)


def _plan():
    return phases.current_plan(g.commune)


def _refused(form, exc: ServiceError) -> tuple[int, object]:
    """Roll back; put the message next to its field, else return it for the top of the form."""
    db.session.rollback()
    message = None if attach_error(form, exc) else exc.message
    return (exc.status if exc.status != 400 else 422), message


# --- the committee's page ------------------------------------------------------------------------

@bp.get("/<commune>/committee")
@requires("committee.read")
def home(**_):
    plan = _plan()
    seat = access.committee_member(current_user, plan)
    if seat is None:
        raise NotAllowed(_l("Only members of this plan's committee can see this page."))
    return render("committee/home.html", "committee/_home.html", plan=plan, seat=seat,
                  members=committee.members(plan), observer=seat.kind == MemberKind.OBSERVER,
                  can_manage_criteria=access.can_manage_criteria(current_user, plan),
                  criteria_count=len(criteria.list_criteria(plan)))


# --- appointing members (commune admins) ---------------------------------------------------------

def _members_page(form=None, *, status: int = 200, message=None):
    plan = _plan()
    return render("committee/members.html", "committee/_members.html", status=status, plan=plan,
                  members=committee.members(plan), form=form or AppointForm(formdata=None),
                  round_open=committee.round_open(plan), message=message)


@bp.route("/<commune>/admin/committee", methods=["GET", "POST"])
@requires("committee.appoint")
def members(**_):
    form = AppointForm()
    status, message = 200, None
    if form.validate_on_submit():
        try:
            member = committee.appoint(current_user, _plan(), form.identifier.data, form.kind.data,
                                       form.organisation.data)
        except ServiceError as exc:
            status, message = _refused(form, exc)
        else:
            name = member.user.display_name
            db.session.commit()
            flash(_l("%(name)s is now a member of the committee.", name=name), "success")
            return redirect_to("committee.members")
    elif form.is_submitted():
        status = 422
    return _members_page(form, status=status, message=message)


@bp.post("/<commune>/admin/committee/<int:member_id>/chair")
@requires("committee.appoint")
def make_chair(member_id, **_):
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        committee.make_chair(current_user, _plan(), member_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _members_page(status=exc.status, message=exc.message)
    db.session.commit()
    flash(_l("The chair of the committee was changed."), "success")
    return redirect_to("committee.members")


@bp.route("/<commune>/admin/committee/<int:member_id>/remove", methods=["GET", "POST"])
@requires("committee.appoint")
def remove_member(member_id, **_):
    """GET asks for confirmation; POST (ticked) removes the seat."""
    plan = _plan()
    member = committee.get_member(plan, member_id)
    form = RemoveMemberForm()
    status, message = 200, None
    if form.validate_on_submit():
        try:
            committee.remove(current_user, plan, member_id)
        except ServiceError as exc:
            status, message = _refused(form, exc)
            member = committee.get_member(plan, member_id)
        else:
            db.session.commit()
            flash(_l("The member was removed from the committee. Their scores are kept."), "success")
            return redirect_to("committee.members")
    elif form.is_submitted():
        status = 422
    return render("committee/remove_member.html", "committee/_remove_member.html", status=status, form=form,
                  member=member, round_open=committee.round_open(plan), message=message)


# --- criteria ------------------------------------------------------------------------------------

def _criteria_page(*, status: int = 200, message=None):
    plan = _plan()
    items = criteria.list_criteria(plan)
    shares = criteria.normalised_weights(items)
    share_texts = {cid: format_percent(share, format="#,##0.#%") for cid, share in shares.items()}
    return render("committee/criteria.html", "committee/_criteria.html", status=status, plan=plan,
                  criteria=items, shares=shares, share_texts=share_texts, frozen=criteria.weights_frozen(plan),
                  can_manage=access.can_manage_criteria(current_user, plan), message=message)


# Endpoint committee.criteria; the function is named criteria_list so it does not shadow services.criteria.
@bp.get("/<commune>/committee/criteria", endpoint="criteria")
@requires("criteria.read")
def criteria_list(**_):
    if not access.can_read_criteria(current_user, _plan()):
        raise NotAllowed(_l("Only members of this plan's committee can see this page."))
    return _criteria_page()



def _managed_plan():
    plan = _plan()
    if not access.can_manage_criteria(current_user, plan):
        raise NotAllowed(_l("Only the chair of the committee or a commune administrator can change the criteria."))
    return plan


def _criterion_form_page(form, *, criterion=None, status: int = 200, message=None, frozen: bool, delete_form=None):
    return render("committee/criterion_form.html", "committee/_criterion_form.html", status=status, form=form,
                  criterion=criterion, frozen=frozen, message=message,
                  delete_form=delete_form or DeleteCriterionForm(formdata=None))


@bp.route("/<commune>/committee/criteria/new", methods=["GET", "POST"])
@requires("criteria.manage")
def new_criterion(**_):
    plan = _managed_plan()
    form = CriterionForm()
    status, message = 200, None
    if form.validate_on_submit():
        try:
            criterion = criteria.create(current_user, plan, form.as_input())
        except ServiceError as exc:
            status, message = _refused(form, exc)
        else:
            name = criterion.name
            db.session.commit()
            flash(_l("The criterion “%(name)s” was added.", name=name), "success")
            return redirect_to("committee.criteria")
    elif form.is_submitted():
        status = 422
    return _criterion_form_page(form, status=status, message=message, frozen=criteria.weights_frozen(plan))


@bp.route("/<commune>/committee/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@requires("criteria.manage")
def edit_criterion(criterion_id, **_):
    plan = _managed_plan()
    criterion = criteria.get(plan, criterion_id)
    form = CriterionForm(data=criterion_data(criterion))
    status, message = 200, None
    if form.validate_on_submit():
        try:
            criteria.update(current_user, plan, criterion_id, form.as_input())
        except ServiceError as exc:
            status, message = _refused(form, exc)
            criterion = criteria.get(plan, criterion_id)
        else:
            name = criterion.name
            db.session.commit()
            flash(_l("The criterion “%(name)s” was saved.", name=name), "success")
            return redirect_to("committee.criteria")
    elif form.is_submitted():
        status = 422
    return _criterion_form_page(form, criterion=criterion, status=status, message=message,
                                frozen=criteria.weights_frozen(plan))


@bp.post("/<commune>/committee/criteria/<int:criterion_id>/delete")
@requires("criteria.manage")
def delete_criterion(criterion_id, **_):
    """Posted from the edit page with the confirmation ticked; a refusal shows that page again."""
    plan = _managed_plan()
    criterion = criteria.get(plan, criterion_id)
    name = criterion.name
    delete_form = DeleteCriterionForm()
    status, message = 422, None
    if delete_form.validate_on_submit():
        try:
            criteria.delete(current_user, plan, criterion_id)
        except ServiceError as exc:
            status, message = _refused(delete_form, exc)
            criterion = criteria.get(plan, criterion_id)
        else:
            db.session.commit()
            flash(_l("The criterion “%(name)s” was deleted.", name=name), "success")
            return redirect_to("committee.criteria")
    return _criterion_form_page(CriterionForm(formdata=None, data=criterion_data(criterion)), criterion=criterion,
                                status=status, message=message, frozen=criteria.weights_frozen(plan),
                                delete_form=delete_form)
