"""Text rules: what people may type, and the normalisation used for search.

Search folds case, French accents and Arabic spelling variants (harakat,
tatweel, hamza forms of alef, alef maqsura, taa marbuta) so that a query finds
the idea whichever way either was written.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from services.errors import ServiceError

# Bidirectional embedding/override/isolate controls: legitimate text never needs
# them, and they can make a title display differently from what it says.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Other control characters except tab and newlines.
CONTROL_CHARS = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]")
MARKUP = re.compile(r"<\s*[a-zA-Z!/?]|javascript:", re.IGNORECASE)

_ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_WORD = re.compile(r"\w+", re.UNICODE)


def problem_with(text: str) -> str | None:
    """Name what is wrong with user text, or None. Codes are translated by the forms."""
    if BIDI_CONTROLS.search(text):
        return "bidi"
    if CONTROL_CHARS.search(text):
        return "control"
    if MARKUP.search(text):
        return "markup"
    return None


# What `problem_with` codes mean, for the person who typed the text.
TEXT_PROBLEMS = {
    "bidi": _l("Remove the invisible direction-control characters from this text."),
    "control": _l("Remove the invisible control characters from this text."),
    "markup": _l("Write plain text: HTML tags and scripts are not allowed."),
}


def check_text(value: str | None, field: str, *, max_length: int, required: bool = True,
               required_message=None, min_length: int = 0, too_short_message=None) -> str | None:
    """Clean one free-text value, or raise a ServiceError naming `field` (None when optional and empty)."""
    value = clean(value)
    if not value:
        if required:
            raise ServiceError(required_message or _l("This field is required."), field=field)
        return None
    if len(value) < min_length:
        raise ServiceError(too_short_message or _l("Write at least %(n)d characters.", n=min_length), field=field)
    if len(value) > max_length:
        raise ServiceError(_l("Use at most %(n)d characters.", n=max_length), field=field)
    problem = problem_with(value)
    if problem:
        raise ServiceError(TEXT_PROBLEMS[problem], field=field)
    return value


def clean(text: str | None) -> str:
    """Trim, normalise to NFC and unify line endings."""
    if text is None:
        return ""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def normalize(text: str) -> str:
    """Fold text for search: lower case, no accents, Arabic variants unified."""
    # Compatibility forms first (㎩ → Pa), then case: so folding is idempotent.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(ch for ch in text if not (unicodedata.combining(ch) and not "\u0600" <= ch <= "\u06ff"))
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_FOLD)
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(_WORD.findall(text))


def search_terms(query: str, limit: int = 6) -> list[str]:
    """The distinct normalised words of a query (at most `limit`, each at least 2 letters)."""
    seen: list[str] = []
    for word in normalize(query).split():
        if len(word) >= 2 and word not in seen:
            seen.append(word)
    return seen[:limit]
