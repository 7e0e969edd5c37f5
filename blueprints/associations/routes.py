"""Associations: the public directory of verified associations, profile requests, and representatives."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints._access import public, requires
from blueprints._helpers import attach_error, page_number, redirect_to, render
from blueprints.associations.forms import AssociationForm, RepresentativeForm
from extensions import db
from services import access, associations, phases
from services.errors import ServiceError

bp = Blueprint("associations", __name__)
PER_PAGE = 30


@bp.get("/<commune>/associations")
@public
def list_associations(**_):
    page = db.paginate(associations.verified(g.commune.id), page=page_number(), per_page=PER_PAGE, error_out=False)
    return render("associations/list.html", "associations/_list.html", listing=page)


def _show(association, form=None, status=200, added=False):
    is_rep = associations.is_representative(current_user, association)
    can_add = access.can_act_for(current_user, association)
    return render("associations/show.html", "associations/_show.html", status=status, association=association,
                  is_representative=is_rep, can_add=can_add,
                  form=form or (RepresentativeForm(formdata=None) if can_add else None), added=added)


@bp.get("/<commune>/associations/<int:association_id>")
@public
def show(association_id, **_):
    user = current_user if current_user.is_authenticated else None
    return _show(associations.visible_to(user, g.commune.id, association_id))


@bp.route("/<commune>/associations/new", methods=["GET", "POST"])
@requires("association.request")
def request_profile(**_):
    form = AssociationForm()
    status = 200
    if form.validate_on_submit():
        data = associations.ProfileData(
            name=form.name.data, receipt_number=form.receipt_number.data, founded_on=form.founded_on.data,
            presence=form.presence.data, address=form.address.data, field=form.field.data,
            contact_email=form.contact_email.data, contact_phone=form.contact_phone.data,
            description=form.description.data)
        try:
            association = associations.request_profile(current_user, g.commune.id, data, today=phases.today())
        except ServiceError as exc:
            db.session.rollback()
            status = exc.status if exc.status != 400 else 422
            if not attach_error(form, exc):
                flash(exc.message, "error")
        else:
            db.session.commit()
            flash(_l("Your request was sent. An administrator of the commune will verify it."), "success")
            return redirect_to("associations.show", association_id=association.id)
    elif request.method == "POST":
        status = 422
    return render("associations/request.html", "associations/_request_form.html", status=status, form=form)


@bp.post("/<commune>/associations/<int:association_id>/representatives")
@requires("association.manage")
def add_representative(association_id, **_):
    user = current_user
    association = associations.visible_to(user, g.commune.id, association_id)
    form = RepresentativeForm()
    if not access.can_act_for(user, association):
        abort(403)
    if form.validate_on_submit():
        try:
            associations.add_representative(user, g.commune.id, association_id, form.identifier.data)
        except ServiceError as exc:
            db.session.rollback()
            if not attach_error(form, exc):
                raise
            association = associations.visible_to(user, g.commune.id, association_id)
            return _show(association, form=form, status=exc.status if exc.status != 400 else 422)
        db.session.commit()
        flash(_l("The representative was added and notified."), "success")
        return redirect_to("associations.show", association_id=association_id)
    return _show(association, form=form, status=422)
