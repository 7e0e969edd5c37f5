"""The e-mail digest of a person's notifications: in their language (User.locale, else Arabic),
plain text plus a simple HTML part (no remote image), absolute links from PUBLIC_BASE_URL, a
per-group unsubscribe link in the body and a List-Unsubscribe header (services/mailer.py sends it)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from sqlalchemy import select

from blueprints import labels
from blueprints.me import notices
from extensions import db
from models import Commune, Notification, User
from services import mailer
from services.notifications import KIND_GROUP


def absolute_url(endpoint: str, **values) -> str:
    """A link for an e-mail: built outside any request, on the platform's public address."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def envelope(user: User, settings: mailer.SmtpSettings, *, subject: str, text: str, html: str, lang: str,
             headers: dict | None = None) -> EmailMessage:
    """An e-mail to `user`: plain text plus its HTML, the headers every platform e-mail has."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = formataddr((user.display_name, user.email))
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = lang  # after set_content(), which clears the Content-* headers
    return message


def language_of(user: User) -> str:
    return user.locale if user.locale in current_app.config["LANGUAGES"] else "ar"


def compose(user: User, notes: list[Notification], settings: mailer.SmtpSettings) -> EmailMessage:
    from app import FORMAT_LOCALES

    lang = language_of(user)
    ids = {n.commune_id for n in notes if n.commune_id is not None}
    communes = {c.id: c for c in db.session.scalars(select(Commune).where(Commune.id.in_(ids)))} if ids else {}
    with force_locale(FORMAT_LOCALES[lang]):
        items = []
        for note in notes:
            commune = communes.get(note.commune_id)
            where = notices.target(note, notices.params_of(note), commune.slug if commune else None)
            items.append({
                "plain": notices.notification_plain(note),
                "html": notices.notification_text(note),
                "link": absolute_url(where[0], **where[1]) if where else None,
                "commune": commune.name if commune else None,
                "created_at": note.created_at,
            })
        groups = []
        for code in labels.MAIL_GROUP_NAMES:
            if any(KIND_GROUP.get(n.kind) == code for n in notes):
                groups.append({"name": str(labels.MAIL_GROUP_NAMES[code]),
                               "url": absolute_url("me.unsubscribe", token=mailer.unsubscribe_token(user.id, code))})
        context = {
            "name": user.display_name, "items": items, "groups": groups, "mail_lang": lang,
            "mail_dir": "rtl" if lang == "ar" else "ltr",
            "notifications_url": absolute_url("me.notifications"),
            "settings_url": absolute_url("me.notification_settings"),
        }
        subject = ngettext("%(num)d new notification on Tasharuk", "%(num)d new notifications on Tasharuk",
                           len(notes))
        text = render_template("mail/digest.txt", **context)
        html = render_template("mail/digest.html", subject=subject, **context)
    # RFC 2369; no one-click POST (RFC 8058): every change of state here needs the page's CSRF token.
    unsubscribe = "<%s>" % absolute_url("me.unsubscribe", token=mailer.unsubscribe_token(user.id, mailer.ALL_GROUPS))
    return envelope(user, settings, subject=subject, text=text, html=html, lang=lang,
                    headers={"List-Unsubscribe": unsubscribe})
