"""Password reset links (services/password_reset.py): only the SHA-256 of each link's random
token is stored, never the token itself, with the dates that make it single-use and short-lived.
Nothing else about the request is kept (no IP address)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from models._base import utcnow


class PasswordResetToken(db.Model):
    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    # Set when the link is used, or when a newer link or a reset makes it void: never usable again.
    used_at: Mapped[datetime | None] = mapped_column()
