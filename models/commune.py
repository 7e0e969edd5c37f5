"""Communes, their action plan (PAC), its dated phases, strategic axes and neighbourhoods."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import TrilingualName, enum_check, utcnow


class Commune(TrilingualName, db.Model):
    __tablename__ = "commune"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    population: Mapped[int] = mapped_column(Integer)
    has_arrondissements: Mapped[bool] = mapped_column(default=False)
    # The CNDP declaration/authorisation reference shown on every collection form (law 09-08).
    cndp_reference: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Raised in the transaction of every change to what the commune's pages show (except the
    # high-frequency counters: supports, signatures): the key of the public page cache
    # (blueprints/_page_cache.py), read with the commune row every request loads anyway.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    plans: Mapped[list["Plan"]] = relationship(back_populates="commune", order_by="Plan.start_year")
    axes: Mapped[list["Axis"]] = relationship(order_by="Axis.position")
    neighbourhoods: Mapped[list["Neighbourhood"]] = relationship(order_by="Neighbourhood.position")


class PhaseKind(enum.StrEnum):
    COLLECTION = "collection"
    SUPPORT = "support"
    ASSESSMENT = "assessment"
    DRAFTING = "drafting"
    ADOPTION = "adoption"
    EXECUTION = "execution"


class Plan(db.Model):
    """A commune action plan (PAC), e.g. 2023–2028."""

    __tablename__ = "plan"
    __table_args__ = (UniqueConstraint("commune_id", "start_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    title_ar: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    title_zgh: Mapped[str] = mapped_column(String(300))
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    # Optional cap on how many ideas one resident may support in this plan.
    support_limit: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    commune: Mapped[Commune] = relationship(back_populates="plans")
    phases: Mapped[list["Phase"]] = relationship(
        back_populates="plan", order_by="Phase.starts_on", cascade="all, delete-orphan"
    )

    def title_in(self, locale: str | None) -> str:
        lang = (locale or "ar").split("_")[0]
        return {"zgh": self.title_zgh, "fr": self.title_fr, "en": self.title_fr}.get(lang) or self.title_ar


class Phase(db.Model):
    """A dated window during which some actions are open. Windows may overlap."""

    __tablename__ = "phase"
    __table_args__ = (
        UniqueConstraint("plan_id", "kind"),
        enum_check("kind", PhaseKind, "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    plan: Mapped[Plan] = relationship(back_populates="phases")

    def is_open(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on


class Axis(TrilingualName, db.Model):
    """A strategic axis of the plan (managed by commune admins)."""

    __tablename__ = "axis"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Neighbourhood(TrilingualName, db.Model):
    __tablename__ = "neighbourhood"

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)
