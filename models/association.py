"""Associations: organisation profiles verified by a commune admin, and their representatives."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow


class Presence(enum.StrEnum):
    SEAT = "seat"
    BRANCH = "branch"


class ActivityField(enum.StrEnum):
    """Fields of activity (used later to check a petition's relation to the association)."""

    SOCIAL = "social"
    WOMEN = "women"
    YOUTH = "youth"
    DISABILITY = "disability"
    ENVIRONMENT = "environment"
    CULTURE = "culture"
    HERITAGE = "heritage"
    EDUCATION = "education"
    HEALTH = "health"
    SPORT = "sport"
    NEIGHBOURHOOD = "neighbourhood"
    ECONOMY = "economy"
    OTHER = "other"


class Association(db.Model):
    __tablename__ = "association"
    __table_args__ = (
        UniqueConstraint("commune_id", "receipt_number"),
        enum_check("presence", Presence, "presence"),
        enum_check("field", ActivityField, "field"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The final receipt (الوصل النهائي) number given by the local authority.
    receipt_number: Mapped[str] = mapped_column(String(60))
    founded_on: Mapped[date] = mapped_column(Date)
    presence: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verified_at: Mapped[datetime | None] = mapped_column()
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    rejected_reason: Mapped[str | None] = mapped_column(String(500))

    representatives: Mapped[list["AssociationRepresentative"]] = relationship(
        back_populates="association", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class AssociationRepresentative(db.Model):
    """A person allowed to act in the association's name."""

    __tablename__ = "association_representative"
    __table_args__ = (UniqueConstraint("association_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    association: Mapped[Association] = relationship(back_populates="representatives")
