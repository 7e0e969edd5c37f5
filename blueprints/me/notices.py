"""How a notification reads and where it leads, for the notifications page and for e-mails.

A notification is a kind + JSON parameters; its sentence is built in the reader's language
(the current locale) from blueprints.labels.NOTIFICATION_TEXTS. People's words and official
names are isolated: <bdi> on the page, Unicode isolates (FSI … PDI) in plain-text e-mails.
"""
from __future__ import annotations

import json

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from blueprints import labels
from models import Notification

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate … pop directional isolate


def params_of(note: Notification) -> dict:
    try:
        params = json.loads(note.params or "{}")
    except ValueError:
        return {}
    return params if isinstance(params, dict) else {}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def _value(key: str, value):
    if key == "role":
        return labels.ROLE_NAMES.get(value, value)
    if isinstance(value, dict):  # an official name stored in ar/fr/zgh (English readers get French)
        lang = str(get_locale() or "ar").split("_")[0]
        return value.get("fr" if lang == "en" else lang) or value.get("ar") or ""
    return value


def notification_text(note: Notification) -> Markup:
    """The sentence in the reader's language, for HTML; people's words are escaped and isolated."""
    template = labels.NOTIFICATION_TEXTS.get(note.kind)
    if template is None:
        return escape(_l("You have a new notification."))
    values = _Blank()
    for key, value in params_of(note).items():
        values[key] = Markup("<bdi>%s</bdi>") % _value(key, value)
    return escape(str(template)) % values


def notification_plain(note: Notification) -> str:
    """The same sentence as plain text (e-mails), values wrapped in Unicode isolates."""
    template = labels.NOTIFICATION_TEXTS.get(note.kind)
    if template is None:
        return str(_l("You have a new notification."))
    values = _Blank()
    for key, value in params_of(note).items():
        values[key] = f"{FSI}{_value(key, value)}{PDI}"
    return str(template) % values


def target(note: Notification, params: dict, commune_slug: str | None) -> tuple[str, dict] | None:
    """(endpoint, values) of the page a notification leads to, or None. Endpoints of other areas
    are used only once the app has them."""
    if commune_slug is None:
        return None
    have = current_app.view_functions
    kind = note.kind
    if kind in ("idea_ranked", "idea_in_programme", "idea_progress", "idea_in_project") \
            and params.get("code") and "projects.show_project" in have:
        return "projects.show_project", {"commune": commune_slug, "code": params["code"]}
    if "idea_id" in params and "ideas.show_idea" in have:
        return "ideas.show_idea", {"commune": commune_slug, "idea_id": params["idea_id"]}
    if "petition_id" in params and "petitions.show_petition" in have:
        return "petitions.show_petition", {"commune": commune_slug, "petition_id": params["petition_id"]}
    if "opinion_id" in params and "equality.show_opinion" in have:
        return "equality.show_opinion", {"commune": commune_slug, "opinion_id": params["opinion_id"]}
    if "association_id" in params and "associations.show" in have:
        return "associations.show", {"commune": commune_slug, "association_id": params["association_id"]}
    if kind in ("role_granted", "role_revoked"):
        return "me.dashboard", {"commune": commune_slug}
    if kind == "second_factor_reset":
        return "auth.account", {}
    return None
