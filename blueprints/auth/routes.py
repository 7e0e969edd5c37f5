"""Accounts over HTTP: registration, sign-in and sign-out, joining a commune, the account page.

Sign-in is two steps kept apart on purpose: `accounts.authenticate` checks the
password, `_complete_sign_in` opens the server-side session. The staff second
factor (TOTP, services.totp) goes between them for people who hold a committee or
admin role anywhere: the pending person is remembered in the cookie session for
5 minutes, the code (or, the first time, the set-up) is asked on its own page, and
only then is `_complete_sign_in` called, with the session marked second_factor_ok.
A session opened without it steps up at /account/second-factor (auth.step_up)
before any committee or admin action (blueprints/_access.py).
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
from blueprints.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    JoinForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    ResetSecondFactorForm,
    SecondFactorForm,
)
from extensions import db, limiter
from models import Commune, User
from services import accounts, password_reset, totp
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


# Wrong passwords and wrong codes draw on the same limits: 5 a minute per account, 20 per IP.
PENDING = "second_factor_pending"  # {user_id, at, next, limit_key}: password right, code not yet
SETUP = "totp_setup"  # {user_id, secret}: a secret shown but not confirmed yet


def _pending_account_key() -> str:
    pending = session.get(PENDING)
    return (pending.get("limit_key") if isinstance(pending, dict) else None) or "sign-in:nobody-pending"


def _signed_in_account_key() -> str:
    identifier = getattr(current_user, "identifier", "") if current_user.is_authenticated else ""
    return "sign-in:" + accounts.identifier_key(identifier or "anonymous")


def _sign_in_limits(account_key):
    """The sign-in limits, shared by every route that checks a password or a code."""
    ip = limiter.shared_limit("20/minute", scope="sign-in-ip", key_func=get_remote_address, methods=["POST"],
                              deduct_when=_sign_in_failed)
    account = limiter.shared_limit("5/minute", scope="sign-in-account", key_func=account_key, methods=["POST"],
                                   deduct_when=_sign_in_failed)
    return lambda view: ip(account(view))


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


def _complete_sign_in(user, target: str, welcome: str | None = None, *, second_factor: bool = False):
    """Open a fresh server-side session for `user` and go to `target`.

    The whole cookie session is replaced (no fixation) and any session this browser
    had before is ended server-side.
    """
    accounts.close_session(session.get("sid"))
    session.clear()
    token = accounts.open_session(user, second_factor_ok=second_factor)
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
@_sign_in_limits(_sign_in_account_key)
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
            if totp.required(user):  # committee members and admins: the code first
                return _begin_second_factor(user, target)
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

def _account_page(form=None, status: int = 200, changed: bool = False, *, reset_form=None,
                  partial: str = "auth/_password_form.html"):
    return render(
        "auth/account.html",
        partial,
        status=status,
        form=form or ChangePasswordForm(formdata=None),
        changed=changed,
        memberships=accounts.roles_by_commune(current_user),
        min_password=accounts.MIN_STAFF_PASSWORD if accounts.is_staff(current_user) else accounts.MIN_PASSWORD,
        max_password=accounts.MAX_PASSWORD,
        second_factor_shown=totp.required(current_user) or bool(current_user.totp_secret),
        reset_form=reset_form or ResetSecondFactorForm(formdata=None),
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


# --- the staff second factor ----------------------------------------------------------------

def _begin_second_factor(user, target: str):
    """The password is right; remember the person (5 minutes) and ask for the code.

    No session exists yet: whatever this browser had is ended, as at a full sign-in.
    """
    limit_key = _sign_in_account_key()
    accounts.close_session(session.get("sid"))
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    session[PENDING] = {"user_id": user.id, "at": int(totp.clock()), "next": target, "limit_key": limit_key}
    db.session.commit()  # the sign-in time, a rehashed password
    return _go(url_for("auth.second_factor" if user.totp_secret else "auth.second_factor_setup"))


def _pending_user():
    """The person whose password was right less than 5 minutes ago, or None."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    started = pending.get("at")
    if not isinstance(started, int) or not 0 <= totp.clock() - started <= totp.PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user_id")) if isinstance(pending.get("user_id"), int) else None
    if user is None or not user.is_active or not totp.required(user):
        return None
    return user


def _restart():
    """Nothing (or nothing recent) is pending: back to the password."""
    if session.pop(PENDING, None) is not None:
        flash(_("Your sign-in took too long. Please sign in again."), "error")
    session.pop(SETUP, None)
    return _go(url_for("auth.login"))


def _finish_pending(user):
    pending = session.get(PENDING) or {}
    target = safe_next(pending.get("next"), "") or _home_for(user)
    return _complete_sign_in(user, target, second_factor=True)


def _setup_secret(user) -> str:
    """The secret shown to this person until they confirm it (kept in the cookie session)."""
    data = session.get(SETUP)
    if isinstance(data, dict) and data.get("user_id") == user.id and isinstance(data.get("secret"), str):
        return data["secret"]
    secret = totp.new_secret()
    session[SETUP] = {"user_id": user.id, "secret": secret}
    return secret


def _code_refused(form) -> None:
    """Wrong, expired or replayed: one message; it counts against the sign-in limits."""
    g.sign_in_failed = True
    form.code.errors = [*form.code.errors, totp.InvalidCode().message]


def _status(form) -> int:
    return INVALID if form.is_submitted() else 200


def _code_page(form, *, action: str, step_up: bool = False, next_: str = ""):
    return render(
        "auth/second_factor.html",
        "auth/_second_factor_form.html",
        status=_status(form),
        form=form,
        action=action,
        step_up=step_up,
        next=next_,
    )


def _setup_page(user, secret: str, form, *, action: str, step_up: bool = False, next_: str = ""):
    uri = totp.provisioning_uri(secret, user.identifier)
    return render(
        "auth/second_factor_setup.html",
        "auth/_second_factor_form.html",
        status=_status(form),
        form=form,
        action=action,
        step_up=step_up,
        next=next_,
        secret_grouped=totp.grouped(secret),
        qr=totp.qr_svg(uri, _("QR code for your authenticator app: Tasharuk, %(account)s", account=user.identifier)),
        issuer=totp.ISSUER,
        account_name=user.identifier,
    )


@bp.route("/login/second-factor", methods=["GET", "POST"])
@public
@_sign_in_limits(_pending_account_key)
def second_factor():
    g.sign_in_failed = False
    user = _pending_user()
    if user is None:
        return _restart()
    if not user.totp_secret:
        return _go(url_for("auth.second_factor_setup"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        if totp.verify(user, form.code.data):
            return _finish_pending(user)
        _code_refused(form)
    return _code_page(form, action=url_for("auth.second_factor"))


@bp.route("/login/second-factor/setup", methods=["GET", "POST"])
@public
@_sign_in_limits(_pending_account_key)
def second_factor_setup():
    g.sign_in_failed = False
    user = _pending_user()
    if user is None:
        return _restart()
    if user.totp_secret:  # set already: replacing it takes a current code and the password
        return _go(url_for("auth.second_factor"))
    secret = _setup_secret(user)
    form = SecondFactorForm()
    if form.validate_on_submit():
        if totp.enable(user, secret, form.code.data):
            return _finish_pending(user)
        _code_refused(form)
    return _setup_page(user, secret, form, action=url_for("auth.second_factor_setup"))


@bp.route("/account/second-factor", methods=["GET", "POST"])
@signed_in
@_sign_in_limits(_signed_in_account_key)
def step_up():
    """A session opened without the second factor proves it here (or sets it up)."""
    g.sign_in_failed = False
    target = safe_next(request.values.get("next"), "")
    record = g.get("user_session")
    user = current_user._get_current_object()  # a mapped User, not the proxy (the service refreshes it)
    if not user.totp_secret and not totp.required(user):
        return _go(url_for("auth.account"))  # nothing to prove
    if user.totp_secret and record is not None and record.second_factor_ok:
        return _go(target or url_for("auth.account"))
    action = url_for("auth.step_up")
    form = SecondFactorForm()
    if user.totp_secret:
        if form.validate_on_submit():
            if totp.verify(user, form.code.data):
                totp.mark_session(record)
                db.session.commit()
                return _go(target or url_for("auth.account"))
            _code_refused(form)
        return _code_page(form, action=action, step_up=True, next_=target)
    secret = _setup_secret(user)
    if form.validate_on_submit():
        if totp.enable(user, secret, form.code.data):
            totp.mark_session(record)
            db.session.commit()
            session.pop(SETUP, None)
            flash(_("Your second factor is on."), "success")
            return _go(target or url_for("auth.account"))
        _code_refused(form)
    return _setup_page(user, secret, form, action=action, step_up=True, next_=target)


@bp.post("/account/second-factor/reset")
@signed_in
@_sign_in_limits(_signed_in_account_key)
def reset_second_factor():
    """Turn the second factor off to set it up again (a new phone): a current code AND the password."""
    g.sign_in_failed = False
    form = ResetSecondFactorForm()
    partial = "auth/_second_factor_account.html"
    if not form.validate_on_submit():
        return _account_page(reset_form=form, status=INVALID, partial=partial)
    try:
        totp.reset(current_user._get_current_object(), code=form.code.data, password=form.password.data, session=g.get("user_session"))
    except ServiceError as exc:
        db.session.rollback()
        g.sign_in_failed = True  # guessing a code or the password is limited like a sign-in
        _apply_service_error(form, exc)
        return _account_page(reset_form=form, status=exc.status, partial=partial)
    db.session.commit()
    flash(_("Your second factor is off. Set it up again now with your new authenticator app."), "success")
    return _go(url_for("auth.step_up"))


# --- forgotten password: a link by e-mail (services/password_reset.py) -----------------------

def _forgot_address_key() -> str:
    return "password-forgot:" + accounts.identifier_key(request.form.get("email", ""))


def _forgot_limits(view):
    """Every request for a link counts: 5 an hour per address asked about, 20 an hour per IP."""
    ip = limiter.limit("20/hour", key_func=get_remote_address, methods=["POST"])
    address = limiter.limit("5/hour", key_func=_forgot_address_key, methods=["POST"])
    return ip(address(view))


def _forgot_page(form, status: int = 200, *, sent: bool = False):
    return render("auth/forgot_password.html", "auth/_forgot_form.html", status=status, form=form, sent=sent,
                  hours=int(password_reset.LIFETIME.total_seconds() // 3600))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@_forgot_limits
def forgot_password():
    """The same answer for every address: known or not, deleted, disabled, phone-only."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        password_reset.request_reset(form.email.data)
        db.session.commit()
        return _forgot_page(ForgotPasswordForm(formdata=None), sent=True)
    return _forgot_page(form, INVALID if form.is_submitted() else 200)


def _private(response):
    """The link's token is in the URL: never sent on as a referrer, never cached."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _invalid_link():
    return _private(render("auth/reset_invalid.html", "auth/_reset_invalid.html", status=INVALID))


def _reset_page(form, user, token: str, status: int = 200):
    return _private(render(
        "auth/reset_password.html",
        "auth/_reset_form.html",
        status=status,
        form=form,
        token=token,
        identifier=user.identifier,
        min_password=password_reset.min_password(user),
        max_password=accounts.MAX_PASSWORD,
    ))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit("10/minute", methods=["POST"])
def reset_password(token):
    try:
        _link, user = password_reset.check(token)
    except password_reset.LinkInvalid:
        return _invalid_link()
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return _reset_page(form, user, token, INVALID if form.is_submitted() else 200)
    try:
        password_reset.reset(token, form.new_password.data)
    except password_reset.LinkInvalid:  # taken a moment ago by another request
        db.session.rollback()
        return _invalid_link()
    except ServiceError as exc:  # the password policy: the link stays usable
        db.session.rollback()
        _apply_service_error(form, exc)
        return _reset_page(form, user, token, exc.status)
    # Every session of the person ended; this browser starts afresh at the sign-in page.
    accounts.close_session(session.get("sid"))
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    db.session.commit()
    flash(_("Your password is changed and you were signed out everywhere. Sign in with your new password."),
          "success")
    return _private(_go(url_for("auth.login")))
