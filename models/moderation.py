"""Reports by people, the audit log of staff actions, and in-app notifications."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._base import enum_check, utcnow


class ReportReason(enum.StrEnum):
    INSULT = "insult"  # insult to a person
    SACRED = "sacred"  # sacred things or religion
    INCITEMENT = "incitement"  # racist or sectarian incitement
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"


class TargetKind(enum.StrEnum):
    IDEA = "idea"
    COMMENT = "comment"


class Report(db.Model):
    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("reporter_id", "target_kind", "target_id"),
        enum_check("reason", ReportReason, "reason"),
        enum_check("target_kind", TargetKind, "target_kind"),
        Index("ix_report_target", "target_kind", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    target_kind: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()


class AuditEntry(db.Model):
    """Append-only, hash-chained record of every staff action.

    hash = SHA-256(prev_hash + canonical JSON of the entry); `flask audit verify`
    recomputes the chain and names the first entry that was edited or removed.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(60))
    target_kind: Mapped[str | None] = mapped_column(String(30))
    target_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


@event.listens_for(AuditEntry, "before_update")
def _audit_is_append_only(mapper, connection, target):  # noqa: ARG001
    raise RuntimeError("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _audit_is_not_deletable(mapper, connection, target):  # noqa: ARG001
    raise RuntimeError("audit entries are append-only")


class Notification(db.Model):
    """An in-app message; its text is rendered in the reader's language from kind + params."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("commune.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
