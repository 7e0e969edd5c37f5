"""Commune administration: axes, neighbourhoods, the plan's calendar and support limit,
staff roles, the associations verification queue, and the audit log. Every change is audited
by the service it calls."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, g
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from blueprints._access import requires
from blueprints._helpers import ButtonForm, attach_error, page_number, redirect_to, render
from blueprints.admin.forms import GrantRoleForm, NamesForm, PlanForm, RejectAssociationForm
from extensions import db
from models import AuditEntry, PhaseKind, User
from services import associations, audit, communes, moderation, phases, totp
from services.errors import ServiceError

bp = Blueprint("admin", __name__)

KIND_TITLES = {"axes": _l("Strategic axes"), "neighbourhoods": _l("Neighbourhoods")}
KIND_NEW = {"axes": _l("New strategic axis"), "neighbourhoods": _l("New neighbourhood")}
KIND_EDIT = {"axes": _l("Edit a strategic axis"), "neighbourhoods": _l("Edit a neighbourhood")}
KINDS = "any(axes, neighbourhoods)"
AUDIT_PER_PAGE = 50


def _refused(form, exc: ServiceError) -> int:
    """Roll back, put the message next to its field (or flash it); the status to answer with."""
    db.session.rollback()
    if not attach_error(form, exc):
        flash(exc.message, "error")
    return exc.status if exc.status != 400 else 422


@bp.get("/<commune>/admin")
@requires("admin.manage")
def dashboard(**_):
    cid = g.commune.id
    waiting, reported = moderation.queue_counts(cid)
    counts = {
        "axes": len([a for a in communes.list_entries(cid, "axes") if a.active]),
        "neighbourhoods": len([n for n in communes.list_entries(cid, "neighbourhoods") if n.active]),
        "staff": len(communes.staff(cid)),
        "pending_associations": associations.pending_count(cid),
        "waiting": waiting,
        "reported": reported,
        "audit": db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.commune_id == cid)) or 0,
    }
    return render("admin/dashboard.html", "admin/_dashboard.html", counts=counts,
                  plan=phases.current_plan(g.commune))


# --- axes and neighbourhoods ---------------------------------------------------------------------

@bp.get(f"/<commune>/admin/<{KINDS}:kind>")
@requires("admin.manage")
def list_items(kind, **_):
    return render("admin/items.html", "admin/_items.html", kind=kind, title=KIND_TITLES[kind],
                  items=communes.list_entries(g.commune.id, kind), form=ButtonForm())


@bp.route(f"/<commune>/admin/<{KINDS}:kind>/new", methods=["GET", "POST"])
@requires("admin.manage")
def new_item(kind, **_):
    form = NamesForm()
    status = 200
    if form.validate_on_submit():
        try:
            communes.create_entry(current_user, g.commune.id, kind, name_ar=form.name_ar.data,
                                  name_fr=form.name_fr.data, name_zgh=form.name_zgh.data)
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("Saved."), "success")
            return redirect_to("admin.list_items", kind=kind)
    elif form.is_submitted():
        status = 422
    return render("admin/item_form.html", "admin/_item_form.html", status=status, kind=kind,
                  title=KIND_NEW[kind], form=form, item=None)


@bp.route(f"/<commune>/admin/<{KINDS}:kind>/<int:item_id>", methods=["GET", "POST"])
@requires("admin.manage")
def edit_item(kind, item_id, **_):
    item = communes.get_entry(g.commune.id, kind, item_id)
    form = NamesForm(obj=item)
    status = 200
    if form.validate_on_submit():
        try:
            communes.update_entry(current_user, g.commune.id, kind, item_id, name_ar=form.name_ar.data,
                                  name_fr=form.name_fr.data, name_zgh=form.name_zgh.data)
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("Saved."), "success")
            return redirect_to("admin.list_items", kind=kind)
    elif form.is_submitted():
        status = 422
    return render("admin/item_form.html", "admin/_item_form.html", status=status, kind=kind,
                  title=KIND_EDIT[kind], form=form, item=item)


def _set_active(kind: str, item_id: int, active: bool):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    communes.set_entry_active(current_user, g.commune.id, kind, item_id, active)
    db.session.commit()
    flash(_l("Reactivated.") if active else _l("Deactivated: it is no longer offered for new ideas."), "success")
    return redirect_to("admin.list_items", kind=kind)


@bp.post(f"/<commune>/admin/<{KINDS}:kind>/<int:item_id>/deactivate")
@requires("admin.manage")
def deactivate_item(kind, item_id, **_):
    return _set_active(kind, item_id, False)


@bp.post(f"/<commune>/admin/<{KINDS}:kind>/<int:item_id>/activate")
@requires("admin.manage")
def activate_item(kind, item_id, **_):
    return _set_active(kind, item_id, True)


# --- the plan ------------------------------------------------------------------------------------

@bp.route("/<commune>/admin/plan", methods=["GET", "POST"])
@requires("admin.manage")
def plan_settings(**_):
    plan = phases.current_plan(g.commune)
    existing = {p.kind: p for p in plan.phases}
    data = {"support_limit": plan.support_limit}
    for kind in PhaseKind:
        phase = existing.get(kind)
        data[f"{kind}_start"] = phase.starts_on if phase else None
        data[f"{kind}_end"] = phase.ends_on if phase else None
    form = PlanForm(data=data)
    status = 200
    if form.validate_on_submit():
        try:
            communes.update_plan(
                current_user, plan,
                phase_dates={kind: (start.data, end.data) for kind, start, end in form.phase_pairs()},
                support_limit=form.support_limit.data,
            )
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("Saved."), "success")
            return redirect_to("admin.plan_settings")
    elif form.is_submitted():
        status = 422
    return render("admin/plan.html", "admin/_plan.html", status=status, plan=plan, form=form)


# --- roles ---------------------------------------------------------------------------------------

@bp.route("/<commune>/admin/roles", methods=["GET", "POST"])
@requires("admin.manage")
def roles(**_):
    form = GrantRoleForm()
    status = 200
    if form.validate_on_submit():
        try:
            communes.grant_role(current_user, g.commune.id, form.identifier.data, form.role.data)
        except ServiceError as exc:
            status = _refused(form, exc)
        else:
            db.session.commit()
            flash(_l("Role granted. The person was notified."), "success")
            return redirect_to("admin.roles")
    elif form.is_submitted():
        status = 422
    return render("admin/roles.html", "admin/_roles.html", status=status, form=form,
                  staff=communes.staff(g.commune.id), button=ButtonForm(formdata=None))


@bp.post("/<commune>/admin/roles/<int:user_id>/<role>/revoke")
@requires("admin.manage")
def revoke_role(user_id, role, **_):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        communes.revoke_role(current_user, g.commune.id, user_id, role)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return render("admin/roles.html", "admin/_roles.html", status=exc.status, form=GrantRoleForm(formdata=None),
                      staff=communes.staff(g.commune.id), button=ButtonForm(formdata=None), message=exc.message)
    db.session.commit()
    flash(_l("Role removed. The person was notified."), "success")
    return redirect_to("admin.roles")


@bp.post("/<commune>/admin/roles/<int:user_id>/second-factor/reset")
@requires("admin.manage")
def reset_second_factor(user_id, **_):
    """Recovery for a staff member who lost the phone holding their second factor."""
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    person = db.session.get(User, user_id)
    if person is None or not person.roles_in(g.commune.id):
        abort(404)
    try:
        totp.reset_by_admin(person, actor=current_user, commune_id=g.commune.id)
    except ServiceError as exc:
        db.session.rollback()
        return render("admin/roles.html", "admin/_roles.html", status=409, form=GrantRoleForm(formdata=None),
                      staff=communes.staff(g.commune.id), button=ButtonForm(formdata=None), message=exc.message)
    db.session.commit()
    flash(_l("Second factor reset: the person sets it up again at their next sign-in. They were notified."),
          "success")
    return redirect_to("admin.roles")


# --- associations --------------------------------------------------------------------------------

def _association_queue(forms: dict | None = None, status: int = 200, message=None):
    pending = associations.pending(g.commune.id)
    forms = forms or {}
    rows = [
        {"association": a, "representatives": associations.representatives(a.id),
         "form": forms.get(a.id) or RejectAssociationForm(formdata=None, prefix=f"a{a.id}")}
        for a in pending
    ]
    return render("admin/associations.html", "admin/_associations.html", status=status, rows=rows,
                  button=ButtonForm(formdata=None), message=message)


@bp.get("/<commune>/admin/associations")
@requires("admin.manage")
def associations_queue(**_):
    return _association_queue()


@bp.post("/<commune>/admin/associations/<int:association_id>/verify")
@requires("admin.manage")
def verify_association(association_id, **_):
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        association = associations.verify(current_user, g.commune.id, association_id)
    except ServiceError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        return _association_queue(status=exc.status, message=exc.message)
    db.session.commit()
    flash(_l("The association “%(name)s” is verified; its representatives were notified.", name=association.name),
          "success")
    return redirect_to("admin.associations_queue")


@bp.post("/<commune>/admin/associations/<int:association_id>/reject")
@requires("admin.manage")
def reject_association(association_id, **_):
    form = RejectAssociationForm(prefix=f"a{association_id}")
    if form.validate_on_submit():
        try:
            associations.reject(current_user, g.commune.id, association_id, form.reason.data)
        except ServiceError as exc:
            if exc.status == 404:
                raise
            status = _refused(form, exc)
            return _association_queue({association_id: form}, status=status)
        db.session.commit()
        flash(_l("The request was rejected; its representatives were told why."), "success")
        return redirect_to("admin.associations_queue")
    return _association_queue({association_id: form}, status=422)


# --- audit log -----------------------------------------------------------------------------------

# Endpoint admin.audit; the function is named audit_log so it does not shadow services.audit.
@bp.get("/<commune>/admin/audit", endpoint="audit")
@requires("admin.audit")
def audit_log(**_):
    page = db.paginate(
        select(AuditEntry).where(AuditEntry.commune_id == g.commune.id).order_by(AuditEntry.id.desc()),
        page=page_number(), per_page=AUDIT_PER_PAGE, error_out=False)
    actor_ids = {e.actor_id for e in page.items if e.actor_id is not None}
    actors = ({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))}
              if actor_ids else {})
    rows = []
    for entry in page.items:
        try:
            details = json.loads(entry.details or "{}")
        except ValueError:
            details = {"raw": entry.details}
        rows.append({"entry": entry, "actor": actors.get(entry.actor_id), "details": details})
    return render("admin/audit.html", "admin/_audit.html", listing=page, rows=rows, check=audit.verify())
