"""Personal data over HTTP: the commune's privacy page, a person's data (download, delete the
account) and the commune's privacy settings (admins). Rules: services/personal_data.py and
services/retention.py."""
from __future__ import annotations

from flask import Blueprint, flash, g, make_response, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select

from blueprints._access import public, requires, signed_in
from blueprints._helpers import attach_error, is_htmx, redirect_to, render
from blueprints.privacy.forms import DeleteAccountForm, settings_form
from extensions import db, limiter
from models import Commune
from models._base import utcnow
from services import accounts, personal_data, retention
from services.errors import ServiceError

bp = Blueprint("privacy", __name__)

INVALID = 422


@bp.app_template_global("my_communes")
def my_communes() -> list[Commune]:
    """The communes the signed-in person belongs to (pages without a commune in their URL show
    each one's data notice)."""
    if not current_user.is_authenticated:
        return []
    ids = {m.commune_id for m in current_user.memberships}
    return list(db.session.scalars(select(Commune).where(Commune.id.in_(ids)).order_by(Commune.slug))) if ids else []


# --- the privacy page --------------------------------------------------------------------------

@bp.get("/privacy")
@public
def index():
    """The privacy page of each commune (the only one's, straight away)."""
    communes = list(db.session.scalars(select(Commune).order_by(Commune.slug)))
    if len(communes) == 1:
        return redirect(url_for("privacy.policy", commune=communes[0].slug))
    return render("privacy/index.html", communes=communes)


@bp.get("/<commune>/privacy")
@public
def policy(**_ignored):
    commune = g.commune
    months = retention.months_of(commune.id)
    return render("privacy/policy.html", settings=personal_data.settings_for(commune),
                  periods=[(kind, months[kind.code]) for kind in retention.kinds()],
                  fixed_periods=retention.fixed_kinds())


# --- my data -----------------------------------------------------------------------------------

@bp.get("/me/data")
@signed_in
def my_data():
    return render("privacy/my_data.html", memberships=accounts.roles_by_commune(current_user),
                  areas=personal_data.exporters())


@bp.get("/me/data/download")
@signed_in
def download():
    body = personal_data.export_json(current_user._get_current_object())
    response = make_response(body)
    response.mimetype = "application/json"
    stamp = utcnow().strftime("%Y-%m-%d")
    response.headers["Content-Disposition"] = f'attachment; filename="tasharuk-my-data-{stamp}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _delete_key() -> str:
    return f"delete-account:{getattr(current_user, 'id', 'anonymous')}"


def _failed(_response) -> bool:
    return bool(g.get("delete_failed"))


def _delete_page(form, status: int = 200, error=None):
    user = current_user._get_current_object()
    return render("privacy/delete.html", "privacy/_delete_form.html", status=status, form=form, error=error,
                  needs_code=personal_data.needs_code(user), last_admin_of=personal_data.last_admin_of(user))


@bp.route("/me/delete", methods=["GET", "POST"])
@signed_in
@limiter.limit("5/minute", key_func=_delete_key, methods=["POST"], deduct_when=_failed)
def delete_account():
    g.delete_failed = False
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _delete_page(form, INVALID if form.is_submitted() else 200)
    user = current_user._get_current_object()
    try:
        personal_data.delete_account(user, password=form.password.data, code=form.code.data,
                                     remove_content=form.remove_content.data)
    except ServiceError as exc:
        db.session.rollback()
        g.delete_failed = exc.field in ("password", "code")  # guessing is limited like a sign-in
        if attach_error(form, exc):
            return _delete_page(form, exc.status if exc.status != 400 else INVALID)
        return _delete_page(form, exc.status, error=exc.message)
    logout_user()
    session.clear()
    db.session.commit()
    flash(_("Your account is deleted. You are signed out."), "success")
    return redirect_to("privacy.deleted")


@bp.get("/account/deleted")
@public
def deleted():
    return render("privacy/deleted.html")


# --- the commune's settings (admins) -------------------------------------------------------------

@bp.route("/<commune>/admin/privacy", methods=["GET", "POST"])
@requires("admin.manage")
def settings(**_ignored):
    commune = g.commune
    row = personal_data.settings_for(commune)
    months = retention.months_of(commune.id)
    data = {
        "cndp_reference": commune.cndp_reference, "contact_email": commune.contact_email,
        "controller_address": row.controller_address, "dpo_name": row.dpo_name, "dpo_email": row.dpo_email,
        "dpo_phone": row.dpo_phone, "recipients": row.recipient_codes,
        **{f"{name}_{lang}": getattr(row, f"{name}_{lang}") for name in ("purposes", "rights")
           for lang in ("ar", "fr", "zgh")},
        **{f"retention_{code}": value for code, value in months.items()},
    }
    form = settings_form(data=data)
    status = 200
    saved = False
    if form.validate_on_submit():
        try:
            personal_data.save_settings(current_user, commune, personal_data.SettingsInput(
                cndp_reference=form.cndp_reference.data, contact_email=form.contact_email.data,
                controller_address=form.controller_address.data, dpo_name=form.dpo_name.data,
                dpo_email=form.dpo_email.data, dpo_phone=form.dpo_phone.data,
                recipients=list(form.recipients.data or []),
                purposes={lang: form[f"purposes_{lang}"].data for lang in ("ar", "fr", "zgh")},
                rights={lang: form[f"rights_{lang}"].data for lang in ("ar", "fr", "zgh")},
                retention={kind.code: field.data for kind, field in form.retention_fields()},
            ))
        except ServiceError as exc:
            db.session.rollback()
            if not attach_error(form, exc):
                raise
            status = exc.status if exc.status != 400 else INVALID
        else:
            db.session.commit()
            if not is_htmx():
                flash(_("Saved."), "success")
                return redirect_to("privacy.settings")
            saved = True
    elif form.is_submitted():
        status = INVALID
    return render("privacy/settings.html", "privacy/_settings_form.html", status=status, form=form, saved=saved)
