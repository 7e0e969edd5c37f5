"""E-mail of notifications: a person's opt-in, the outbox of notifications to mail, and the
digests (one e-mail each) the background sender builds from it (services/mailer.py)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._base import enum_check, utcnow


class MailSettings(db.Model):
    """A person's e-mail choices. No row, or no group: nothing is mailed (law 09-08: prior opt-in).

    The row is also the per-person lock of the digest window: a sender takes the window with a
    conditional UPDATE of `last_digest_at`, so two senders never mail the same person twice in it.
    """

    __tablename__ = "mail_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    # The groups of notifications (services.notifications.MAIL_GROUPS) opted in, comma-separated, sorted.
    groups: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_digest_at: Mapped[datetime | None] = mapped_column()

    @property
    def group_set(self) -> frozenset[str]:
        return frozenset(g for g in (self.groups or "").split(",") if g)


class DigestStatus(enum.StrEnum):
    SENDING = "sending"  # claimed by a sender (claim, claimed_at); stale after MAIL_CLAIM_MINUTES
    RETRY = "retry"  # the SMTP server failed: tried again from next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS; the rows are kept (and the notifications in-app)
    CANCELLED = "cancelled"  # the person has no e-mail address any more, or left


class MailDigest(db.Model):
    """One e-mail to one person gathering their notifications not yet mailed, or (with a `kind`)
    one transactional e-mail about their account (services.mailer.queue_transactional)."""

    __tablename__ = "mail_digest"
    __table_args__ = (
        enum_check("status", DigestStatus, "status"),
        Index("ix_mail_digest_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=DigestStatus.SENDING)
    claim: Mapped[str | None] = mapped_column(String(32))  # the sender pass that holds it
    claimed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # None: a digest of notifications. Else a transactional message (services.mailer.TRANSACTIONAL, e.g.
    # "password_reset"), sent whatever the person's e-mail choices and without waiting for a digest window.
    kind: Mapped[str | None] = mapped_column(String(30))


class MailOutbox(db.Model):
    """A notification to mail: written by notify() when its person opted in to its group.
    `digest_id` is set when a sender takes it into a digest (never twice: UPDATE … WHERE digest_id IS NULL)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_user_digest", "user_id", "digest_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notification.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("mail_digest.id", ondelete="CASCADE"), index=True)
