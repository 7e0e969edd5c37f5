"""Forms of the auth area: registration, sign-in, joining a commune, changing the password.

Fields check their format here so every problem shows next to its field at once;
services.accounts applies the same rules again (and the ones only it can check).
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from blueprints import labels
from services import accounts, text
from services.errors import ServiceError


class PlainText:
    """Refuses bidi controls, control characters and markup (services.text.problem_with)."""

    def __call__(self, form, field):
        problem = text.problem_with(field.data or "")
        if problem:
            raise ValidationError(labels.TEXT_PROBLEMS[problem])


_LOOSE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(n)d characters.", n=n))


class Identifier:
    """An e-mail address or a phone number (Moroccan or international)."""

    def __call__(self, form, field):
        try:
            accounts.parse_identifier(field.data or "")
        except ServiceError as exc:
            raise ValidationError(exc.message) from exc


class RegisterForm(FlaskForm):
    display_name = StringField(
        _l("Your name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your name.")),
            Length(min=2, message=_l("Use at least %(n)d characters.", n=2)),
            _max(accounts.MAX_DISPLAY_NAME),
            PlainText(),
        ],
    )
    identifier = StringField(
        _l("E-mail address or phone number"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address or phone number.")), Identifier()],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Choose a password."))])
    confirm = PasswordField(
        _l("Password again"),
        validators=[
            DataRequired(_l("Type the password a second time.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )
    # The label names the commune and its CNDP reference: set per request (see consent_label).
    consent = BooleanField(
        _l("I agree to the processing of my data."),
        validators=[DataRequired(_l("You must accept the processing of your data to register."))],
    )

    def __init__(self, *args, commune=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune = commune

    def validate_password(self, field):
        if not field.data:
            return
        try:
            _kind, identifier = accounts.parse_identifier(self.identifier.data or "")
        except ServiceError:
            identifier = self.identifier.data or ""
        context = accounts.context_words(self.display_name.data or "", identifier, self.commune)
        problem = accounts.password_problem(field.data, context=context)
        if problem:
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    identifier = StringField(
        _l("E-mail address or phone number"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address or phone number.")), _max(accounts.MAX_IDENTIFIER)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024, message=_l("This password is too long."))],
    )


class JoinForm(FlaskForm):
    consent = BooleanField(
        _l("I agree to the processing of my data."),
        validators=[DataRequired(_l("You must accept the processing of your data to join."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(_l("Enter your current password."))]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password."))])
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the password a second time.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )


class WellFormedCode:
    """Six digits (spaces, dashes and Arabic-Indic digits are accepted as typed)."""

    def __call__(self, form, field):
        from services import totp

        if field.data and not totp.is_well_formed(field.data):
            raise ValidationError(_l("Enter the 6 digits shown in your authenticator app."))


def _code_field():
    return StringField(
        _l("6-digit code"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the 6-digit code from your authenticator app.")),
            Length(max=16, message=_l("Enter the 6 digits shown in your authenticator app.")),
            WellFormedCode(),
        ],
    )


class SecondFactorForm(FlaskForm):
    """The code at sign-in, at set-up and when a session steps up."""

    code = _code_field()


class ResetSecondFactorForm(FlaskForm):
    """Turning the second factor off (to set it up again) takes a current code and the password."""

    code = _code_field()
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024, message=_l("This password is too long."))],
    )


class ResetEmail:
    """An e-mail address: a phone number gets its own message (links are sent by e-mail only).
    Looked up as leniently as a sign-in (services.accounts.login_key): an address of a reserved
    domain that only an administrator could have given an account passes too."""

    def __call__(self, form, field):
        raw = field.data or ""
        if len(raw) > accounts.MAX_IDENTIFIER:
            return  # said by the length check
        try:
            kind, _value = accounts.parse_identifier(raw)
        except ServiceError:
            kind = "email" if _LOOSE_EMAIL.match(raw) else None
        if kind is None:
            raise ValidationError(_l("Enter a valid e-mail address."))
        if kind != "email":
            raise ValidationError(_l("Reset links are sent by e-mail only. If your account has only a phone "
                                     "number, ask the commune's services to help you."))


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("E-mail address of your account"),
        filters=[_strip],
        validators=[DataRequired(_l("Enter your e-mail address.")), _max(accounts.MAX_IDENTIFIER), ResetEmail()],
    )


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(_l("Choose a password."))])
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the password a second time.")),
            EqualTo("new_password", message=_l("The two passwords are not the same.")),
        ],
    )
