"""Small helpers shared by the typed models: timestamps, enums, trilingual names."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column


def utcnow() -> datetime:
    """Naive UTC: SQLite has no time zones, so every stored time is UTC without tzinfo."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def enum_check(column: str, values: type[enum.Enum], name: str) -> CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


class TrilingualName:
    """Official names are stored in Arabic, French and Amazigh (Tifinagh)."""

    name_ar: Mapped[str] = mapped_column(String(200))
    name_fr: Mapped[str] = mapped_column(String(200))
    name_zgh: Mapped[str] = mapped_column(String(200))

    def name_in(self, locale: str | None) -> str:
        lang = (locale or "ar").split("_")[0]
        if lang == "zgh":
            return self.name_zgh or self.name_ar
        if lang in ("fr", "en"):
            return self.name_fr or self.name_ar
        return self.name_ar

    @property
    def name(self) -> str:
        """The name in the language of the current request (Arabic outside one)."""
        from flask_babel import get_locale  # local import: models stay request-free

        try:
            locale = get_locale()
        except RuntimeError:  # no request or app context
            locale = None
        return self.name_in(str(locale) if locale else None)
