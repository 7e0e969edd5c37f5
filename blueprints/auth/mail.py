"""The transactional e-mails of the auth area (services/mailer.py sends them whatever the person's
e-mail choices): the password reset link and the notice that the password was changed. In the
person's language (User.locale, else Arabic), plain text plus a simple HTML part, absolute links
from PUBLIC_BASE_URL; no unsubscribe link (they are about the person's own account)."""
from __future__ import annotations

from email.message import EmailMessage

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from blueprints.me.digest import absolute_url, envelope, language_of
from models import User
from services import mailer, password_reset


def _subject(kind: str) -> str:
    if kind == password_reset.RESET_MAIL:
        return _("Reset your password on Tasharuk")
    return _("Your Tasharuk password was changed")


def compose(user: User, kind: str, params: dict, settings: mailer.SmtpSettings) -> EmailMessage:
    from app import FORMAT_LOCALES

    lang = language_of(user)
    with force_locale(FORMAT_LOCALES[lang]):
        context = {"name": user.display_name, "mail_lang": lang, "mail_dir": "rtl" if lang == "ar" else "ltr",
                   "hours": int(password_reset.LIFETIME.total_seconds() // 3600),
                   "forgot_url": absolute_url("auth.forgot_password"), "login_url": absolute_url("auth.login")}
        if kind == password_reset.RESET_MAIL:
            context["reset_url"] = absolute_url("auth.reset_password", token=params["token"])
        subject = _subject(kind)
        text = render_template(f"mail/{kind}.txt", **context)
        html = render_template(f"mail/{kind}.html", subject=subject, **context)
    return envelope(user, settings, subject=subject, text=text, html=html, lang=lang)
