"""Translated labels for the values stored as codes (phases, roles, statuses, stances, reasons)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

PHASE_NAMES = {
    "collection": _l("Idea collection"),
    "support": _l("Support"),
    "assessment": _l("Committee assessment"),
    "drafting": _l("Programme drafting"),
    "adoption": _l("Council adoption"),
    "execution": _l("Execution follow-up"),
}

ROLE_NAMES = {
    "resident": _l("Resident"),
    "association": _l("Association representative"),
    "moderator": _l("Moderator"),
    "committee": _l("Committee member"),
    "admin": _l("Commune administrator"),
}

IDEA_STATUS_NAMES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "rejected": _l("Not admitted"),
}

STANCE_NAMES = {
    "for": _l("For"),
    "neutral": _l("Neutral"),
    "against": _l("Against"),
}

REPORT_REASON_NAMES = {
    "insult": _l("Insult to a person"),
    "sacred": _l("Offends sacred things or religion"),
    "incitement": _l("Racist or sectarian incitement"),
    "spam": _l("Spam or advertising"),
    "off_topic": _l("Off-topic"),
    "personal_data": _l("Reveals personal data"),
}

PRESENCE_NAMES = {
    "seat": _l("Seat in the commune"),
    "branch": _l("Branch in the commune"),
}

FIELD_NAMES = {
    "social": _l("Social action"),
    "women": _l("Women's rights"),
    "youth": _l("Youth"),
    "disability": _l("Persons with disabilities"),
    "environment": _l("Environment"),
    "culture": _l("Culture"),
    "heritage": _l("Heritage"),
    "education": _l("Education"),
    "health": _l("Health"),
    "sport": _l("Sport"),
    "neighbourhood": _l("Neighbourhood development"),
    "economy": _l("Local economy"),
    "other": _l("Other"),
}

TEXT_PROBLEMS = {
    "bidi": _l("Remove the invisible direction-control characters from this text."),
    "control": _l("Remove the invisible control characters from this text."),
    "markup": _l("Write plain text: HTML tags and scripts are not allowed."),
}
