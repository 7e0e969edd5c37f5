"""A commune's privacy settings under law 09-08: one row per commune, edited by its admins.

The commune is the data controller. What it writes (purposes, how to exercise one's rights)
is stored once per official language (ar, fr, zgh): the privacy page shows the reader's
language, Arabic when that text is empty, French to English readers (as TrilingualName does).
The address and the data-protection point's contact are proper nouns and addresses: one text,
shown as typed.

Retention periods live in their own rows (one per commune and kind of data) so that every
area registers its kinds in services/retention.py without a schema change; a kind without a
row uses its platform default.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._base import utcnow


class PrivacySettings(db.Model):
    __tablename__ = "privacy_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), unique=True)
    # The controller's postal address and its data-protection point (a service or a person).
    controller_address: Mapped[str] = mapped_column(String(300), default="")
    dpo_name: Mapped[str] = mapped_column(String(120), default="")
    dpo_email: Mapped[str | None] = mapped_column(String(254))
    dpo_phone: Mapped[str | None] = mapped_column(String(20))
    # Comma-separated recipient codes (services.personal_data.RECIPIENTS).
    recipients: Mapped[str] = mapped_column(String(300), default="")
    purposes_ar: Mapped[str] = mapped_column(Text, default="")
    purposes_fr: Mapped[str] = mapped_column(Text, default="")
    purposes_zgh: Mapped[str] = mapped_column(Text, default="")
    rights_ar: Mapped[str] = mapped_column(Text, default="")
    rights_fr: Mapped[str] = mapped_column(Text, default="")
    rights_zgh: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def text_in(self, name: str, locale: str | None) -> str:
        """`purposes` or `rights` in a language (Arabic if empty; French for English readers)."""
        lang = (locale or "ar").split("_")[0]
        lang = {"en": "fr"}.get(lang, lang)
        if lang not in ("ar", "fr", "zgh"):
            lang = "ar"
        return getattr(self, f"{name}_{lang}") or getattr(self, f"{name}_ar") or ""

    @property
    def recipient_codes(self) -> list[str]:
        return [code for code in (self.recipients or "").split(",") if code]


class RetentionPeriod(db.Model):
    """How many months one kind of data is kept in one commune (services/retention.py kinds)."""

    __tablename__ = "retention_period"
    __table_args__ = (
        UniqueConstraint("commune_id", "kind"),
        CheckConstraint("months >= 0", name="months_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    months: Mapped[int] = mapped_column(Integer)
