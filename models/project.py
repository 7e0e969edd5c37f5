"""Projects of the plan (the PAC project sheet, DOMAIN.md §1), made by the committee from ideas.

A project's citizen support is never stored: it is counted from the supports of its ideas
(services.projects.citizen_support).
"""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow


class Competence(enum.StrEnum):
    """The commune competence a project relies on (organic law 113-14, arts. 77 ff.)."""

    OWN = "own"
    SHARED = "shared"
    TRANSFERRED = "transferred"


class Marker(enum.IntEnum):
    """OECD-DAC style policy marker: 0 not targeted, 1 significant objective, 2 principal objective."""

    NOT_TARGETED = 0
    SIGNIFICANT = 1
    PRINCIPAL = 2


SDG_GOALS = tuple(range(1, 18))


class Project(db.Model):
    __tablename__ = "project"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        enum_check("competence", Competence, "competence"),
        CheckConstraint("total_cost >= 0", name="total_cost_positive"),
        CheckConstraint("commune_share >= 0 AND commune_share <= total_cost", name="commune_share_range"),
        CheckConstraint("duration_years >= 1 AND duration_years <= 6", name="duration_range"),
        CheckConstraint("marker_gender BETWEEN 0 AND 2", name="marker_gender_range"),
        CheckConstraint("marker_environment BETWEEN 0 AND 2", name="marker_environment_range"),
        CheckConstraint("marker_accessibility BETWEEN 0 AND 2", name="marker_accessibility_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))  # e.g. "TET-07"; unique in the plan
    title_ar: Mapped[str] = mapped_column(String(300))
    title_fr: Mapped[str] = mapped_column(String(300))
    title_zgh: Mapped[str] = mapped_column(String(300))
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id"), index=True)
    sector: Mapped[str | None] = mapped_column(String(120))
    competence: Mapped[str] = mapped_column(String(12), default=Competence.OWN)
    objectives: Mapped[str] = mapped_column(Text, default="")
    beneficiaries_total: Mapped[int | None] = mapped_column(Integer)
    beneficiaries_women: Mapped[int | None] = mapped_column(Integer)
    beneficiaries_men: Mapped[int | None] = mapped_column(Integer)
    beneficiaries_disabled: Mapped[int | None] = mapped_column(Integer)
    total_cost: Mapped[int] = mapped_column(BigInteger)  # MAD, whole dirhams
    commune_share: Mapped[int] = mapped_column(BigInteger)  # MAD
    duration_years: Mapped[int] = mapped_column(Integer, default=1)
    earliest_start_year: Mapped[int] = mapped_column(Integer)
    executing_department: Mapped[str | None] = mapped_column(String(200))
    # Comma-separated SDG numbers in ascending order, e.g. "5,11" (see `sdg_list`).
    sdgs: Mapped[str] = mapped_column(String(60), default="")
    marker_gender: Mapped[int] = mapped_column(Integer, default=0)
    marker_environment: Mapped[int] = mapped_column(Integer, default=0)
    marker_accessibility: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    neighbourhoods: Mapped[list["Neighbourhood"]] = relationship(  # noqa: F821
        secondary="project_neighbourhood", order_by="Neighbourhood.position")
    idea_links: Mapped[list["ProjectIdea"]] = relationship(
        back_populates="project", cascade="all, delete-orphan")
    indicators: Mapped[list["ProjectIndicator"]] = relationship(
        order_by="ProjectIndicator.position", cascade="all, delete-orphan")
    partners: Mapped[list["ProjectPartner"]] = relationship(
        order_by="ProjectPartner.position", cascade="all, delete-orphan")

    def title_in(self, locale: str | None) -> str:
        lang = (locale or "ar").split("_")[0]
        return {"zgh": self.title_zgh, "fr": self.title_fr, "en": self.title_fr}.get(lang) or self.title_ar

    @property
    def title(self) -> str:
        """The title in the language of the current request (Arabic outside one)."""
        from flask_babel import get_locale  # local import: models stay request-free

        try:
            locale = get_locale()
        except RuntimeError:
            locale = None
        return self.title_in(str(locale) if locale else None)

    @property
    def sdg_list(self) -> list[int]:
        return [int(x) for x in self.sdgs.split(",") if x.strip()]


class ProjectNeighbourhood(db.Model):
    __tablename__ = "project_neighbourhood"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), primary_key=True)


class ProjectIdea(db.Model):
    """An idea merged into a project. An idea becomes at most one project."""

    __tablename__ = "project_idea"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), primary_key=True, unique=True)
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    project: Mapped[Project] = relationship(back_populates="idea_links")
    idea: Mapped["Idea"] = relationship()  # noqa: F821


class ProjectIndicator(db.Model):
    """An output/outcome indicator with its baseline and target."""

    __tablename__ = "project_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(40))
    baseline: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    target: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))


class ProjectPartner(db.Model):
    """A co-funder (State, region, province, INDH, UNDP…) and the amount it brings."""

    __tablename__ = "project_partner"
    __table_args__ = (CheckConstraint("amount >= 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    amount: Mapped[int] = mapped_column(BigInteger)  # MAD
