"""Accounts over HTTP: registration, sign-in and sign-out, joining a commune, the account page.

Sign-in is two steps kept apart on purpose: `accounts.authenticate` checks the
password, `_complete_sign_in` opens the server-side session. The staff second
factor (TOTP, a later issue) goes between them: remember the pending person in
the session, ask for the code on its own page, then call `_complete_sign_in`.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, make_response, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from blueprints._access import public, signed_in
from blueprints._helpers import attach_error, is_htmx, render, safe_next
from blueprints.auth.forms import ChangePasswordForm, JoinForm, LoginForm, RegisterForm
from extensions import db, limiter
from models import Commune
from services import accounts
from services.errors import ServiceError

bp = Blueprint("auth", __name__)

# A refused form: the same page with the messages next to the fields.
INVALID = 400


# --- rate-limit keys ------------------------------------------------------------------------

def _sign_in_account_key() -> str:
    return "sign-in:" + accounts.identifier_key(request.form.get("identifier", ""))


def _sign_in_failed(_response) -> bool:
    """Only wrong credentials count against the limits (not typos caught by the form)."""
    return bool(g.get("sign_in_failed"))


def _password_change_key() -> str:
    return f"password-change:{getattr(current_user, 'id', 'anonymous')}"


# --- helpers --------------------------------------------------------------------------------

def _go(target: str):
    """Redirect, also after an htmx POST (HX-Redirect instead of a swapped 302)."""
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, 303)


def _home_for(user) -> str:
    """The home of the commune the person belongs to (the first one), or the site's home."""
    commune_ids = sorted({m.commune_id for m in user.memberships})
    if commune_ids:
        slug = db.session.scalar(select(Commune.slug).where(Commune.id == commune_ids[0]))
        if slug:
            return url_for("main.commune_home", commune=slug)
    return url_for("main.index")


def _apply_service_error(form, exc: ServiceError) -> None:
    """Show a service's refusal next to its field; errors without a field go to the error page."""
    if not attach_error(form, exc):
        raise exc


def _consent_label(form, commune) -> None:
    form.consent.label.text = _(
        "I agree that %(commune)s, the data controller, processes my personal data so that I can "
        "take part in the commune action plan (law 09-08, CNDP declaration %(reference)s).",
        commune=commune.name,
        reference=commune.cndp_reference,
    )


def _complete_sign_in(user, target: str, welcome: str | None = None):
    """Open a fresh server-side session for `user` and go to `target`.

    The whole cookie session is replaced (no fixation) and any session this browser
    had before is ended server-side.
    """
    accounts.close_session(session.get("sid"))
    session.clear()
    token = accounts.open_session(user)
    session["sid"] = token
    login_user(user)
    db.session.commit()
    if welcome:
        flash(welcome, "success")  # after session.clear(), which would drop it
    return _go(target)


# --- registration ---------------------------------------------------------------------------

@bp.route("/<commune>/register", methods=["GET", "POST"])
@public
@limiter.limit("10/hour", methods=["POST"])
def register(**_ignored):
    commune = g.commune
    if current_user.is_authenticated:
        if current_user.roles_in(commune.id):
            return redirect(url_for("main.commune_home"), 303)
        return _join_page(JoinForm())
    form = RegisterForm(commune=commune)
    _consent_label(form, commune)
    if form.validate_on_submit():
        try:
            user = accounts.register(
                commune=commune,
                identifier=form.identifier.data,
                display_name=form.display_name.data,
                password=form.password.data,
                consent=form.consent.data,
                locale=get_locale().language,
            )
        except ServiceError as exc:
            db.session.rollback()
            _apply_service_error(form, exc)
            return _register_page(form, exc.status)
        return _complete_sign_in(user, url_for("main.commune_home"), _("Welcome! Your account is ready."))
    return _register_page(form, INVALID if form.is_submitted() else 200)


def _register_page(form, status: int):
    return render(
        "auth/register.html",
        "auth/_register_form.html",
        status=status,
        form=form,
        min_password=accounts.MIN_PASSWORD,
        max_password=accounts.MAX_PASSWORD,
    )


# --- joining another commune ----------------------------------------------------------------

def _join_page(form, status: int = 200):
    _consent_label(form, g.commune)
    return render("auth/join.html", "auth/_join_form.html", status=status, form=form)


@bp.post("/<commune>/join")
@signed_in
def join_commune(**_ignored):
    form = JoinForm()
    if not form.validate_on_submit():
        return _join_page(form, INVALID)
    accounts.join_commune(current_user, g.commune, consent=form.consent.data)
    db.session.commit()
    flash(_("You are now a resident member of this commune."), "success")
    return _go(url_for("main.commune_home"))


# --- sign-in and sign-out -------------------------------------------------------------------

def _register_links():
    return list(db.session.scalars(select(Commune).order_by(Commune.slug)))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("20/minute", key_func=get_remote_address, methods=["POST"], deduct_when=_sign_in_failed)
@limiter.limit("5/minute", key_func=_sign_in_account_key, methods=["POST"], deduct_when=_sign_in_failed)
def login():
    g.sign_in_failed = False
    target = safe_next(request.values.get("next"), "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(target or _home_for(current_user), 303)
    form = LoginForm()
    failed = False
    if form.validate_on_submit():
        user = accounts.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            # The staff second factor (later) is asked for here, before any session exists.
            return _complete_sign_in(user, target or _home_for(user))
        g.sign_in_failed = failed = True
    status = INVALID if form.is_submitted() else 200
    return render(
        "auth/login.html",
        "auth/_login_form.html",
        status=status,
        form=form,
        failed=failed,
        next=target,
        communes=_register_links(),
    )


@bp.post("/logout")
@signed_in
def logout():
    target = safe_next(request.form.get("next"), _home_for(current_user))
    accounts.close_session(session.get("sid"))
    logout_user()
    session.clear()
    db.session.commit()
    flash(_("You are signed out."), "success")
    return _go(target)


# --- the person's account -------------------------------------------------------------------

def _account_page(form, status: int = 200, changed: bool = False):
    return render(
        "auth/account.html",
        "auth/_password_form.html",
        status=status,
        form=form,
        changed=changed,
        memberships=accounts.roles_by_commune(current_user),
        min_password=accounts.MIN_STAFF_PASSWORD if accounts.is_staff(current_user) else accounts.MIN_PASSWORD,
        max_password=accounts.MAX_PASSWORD,
    )


@bp.get("/account")
@signed_in
def account():
    return _account_page(ChangePasswordForm())


@bp.post("/account/password")
@signed_in
@limiter.limit("5/minute", key_func=_password_change_key, deduct_when=_sign_in_failed)
def change_password():
    g.sign_in_failed = False
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return _account_page(form, INVALID)
    try:
        accounts.change_password(
            current_user,
            current=form.current_password.data,
            new=form.new_password.data,
            except_token=session.get("sid"),
        )
    except ServiceError as exc:
        db.session.rollback()
        if exc.field == "current_password":
            g.sign_in_failed = True  # guessing the current password is limited like a sign-in
        _apply_service_error(form, exc)
        return _account_page(form, exc.status)
    db.session.commit()
    if is_htmx():
        return _account_page(ChangePasswordForm(formdata=None), changed=True)
    flash(_("Your password is changed. You were signed out everywhere else."), "success")
    return redirect(url_for("auth.account"), 303)
