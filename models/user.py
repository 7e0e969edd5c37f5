"""People, the roles they hold in each commune, and their server-side sessions."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow


class Role(enum.StrEnum):
    RESIDENT = "resident"
    ASSOCIATION = "association"  # representative of a verified association
    MODERATOR = "moderator"
    COMMITTEE = "committee"
    ADMIN = "admin"  # commune administrator
    BUREAU = "bureau"  # the council's bureau: receives petitions and records their admissibility (arts. 121-125)
    EQUALITY = "equality"  # member of the equality body (IEECAG, art. 120): publishes formal opinions


STAFF_ROLES = frozenset({Role.MODERATOR, Role.COMMITTEE, Role.ADMIN, Role.BUREAU, Role.EQUALITY})


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One of e-mail or phone is required; both are stored normalised (lower-case e-mail, +212… phone).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(default=True)
    consented_at: Mapped[datetime | None] = mapped_column()
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active and self.deleted_at is None

    def roles_in(self, commune_id: int) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships if m.commune_id == commune_id)

    @property
    def identifier(self) -> str:
        return self.email or self.phone or ""


class Membership(db.Model):
    """A role held by a person in one commune."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "commune_id", "role"),
        enum_check("role", Role, "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")


class DepartedIdentity(db.Model):
    """Keyed fingerprints (HMAC-SHA256, services.accounts.identity_digest) of the e-mail and phone of
    a deleted account that had supports. The supports stay counted and point here instead of at a
    person, so that registering again with the same identifier gives them back to their owner
    instead of letting one person support twice (SECURITY.md §4). Nothing else is kept: the
    fingerprint cannot be turned back into the address. Purged with the supports' link to people
    (services/retention.py, "support_links")."""

    __tablename__ = "departed_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    phone_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(db.Model):
    """A login session, checked on every request so that logout really ends it.

    The cookie holds a random token; only its SHA-256 is stored.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    # True once the second factor was checked in this session (staff).
    second_factor_ok: Mapped[bool] = mapped_column(default=False)
