"""The joint commune/UNDP committee of a plan: its members, criteria, scoring rounds,
scores, conflict-of-interest recusals and the chair's overrides of the computed ranking.

The maths lives in prioritization.aggregation; services.scoring / services.ranking feed it.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import TrilingualName, enum_check, utcnow


class MemberKind(enum.StrEnum):
    COMMUNE = "commune"  # commune staff or elected member
    UNDP = "undp"  # UN Development Programme
    OBSERVER = "observer"  # equality body (IEECAG) observer: reads, never scores


class CommitteeMember(db.Model):
    """A person on a plan's committee. Exactly one member may be the chair (services enforce it).

    The person must also hold the `committee` role in the commune (services.committee adds it).
    """

    __tablename__ = "committee_member"
    __table_args__ = (
        UniqueConstraint("plan_id", "user_id"),
        enum_check("kind", MemberKind, "kind"),
        CheckConstraint("NOT (is_chair AND kind = 'observer')", name="observer_not_chair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    is_chair: Mapped[bool] = mapped_column(default=False)
    # The organisation shown next to the name (e.g. "Division of urban planning", "UNDP Morocco").
    organisation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship(lazy="joined")  # noqa: F821

    @property
    def can_score(self) -> bool:
        return self.kind != MemberKind.OBSERVER


class CriterionKind(enum.StrEnum):
    SCORED = "scored"  # members give 0–5
    SUPPORT = "support"  # computed from residents' supports


class Criterion(TrilingualName, db.Model):
    """A criterion of a plan, with a weight and a 0–5 scale. Weights are frozen once a round opens."""

    __tablename__ = "criterion"
    __table_args__ = (
        UniqueConstraint("plan_id", "code"),
        enum_check("kind", CriterionKind, "kind"),
        CheckConstraint("weight >= 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # stable id used in CSV files, e.g. "social-impact"
    kind: Mapped[str] = mapped_column(String(10), default=CriterionKind.SCORED)
    weight: Mapped[float] = mapped_column(Float)
    position: Mapped[int] = mapped_column(Integer, default=0)
    description_ar: Mapped[str] = mapped_column(Text, default="")
    description_fr: Mapped[str] = mapped_column(Text, default="")
    description_zgh: Mapped[str] = mapped_column(Text, default="")

    levels: Mapped[list["CriterionLevel"]] = relationship(
        order_by="CriterionLevel.level", cascade="all, delete-orphan", lazy="selectin")

    def description_in(self, locale: str | None) -> str:
        lang = (locale or "ar").split("_")[0]
        return {"zgh": self.description_zgh, "fr": self.description_fr,
                "en": self.description_fr}.get(lang) or self.description_ar

    @property
    def description(self) -> str:
        from flask_babel import get_locale

        try:
            locale = get_locale()
        except RuntimeError:
            locale = None
        return self.description_in(str(locale) if locale else None)


class CriterionLevel(db.Model):
    """What a score of 0…5 means on one criterion (ar/fr/zgh)."""

    __tablename__ = "criterion_level"
    __table_args__ = (
        UniqueConstraint("criterion_id", "level"),
        CheckConstraint("level BETWEEN 0 AND 5", name="level_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    text_ar: Mapped[str] = mapped_column(String(300), default="")
    text_fr: Mapped[str] = mapped_column(String(300), default="")
    text_zgh: Mapped[str] = mapped_column(String(300), default="")

    def text_in(self, locale: str | None) -> str:
        lang = (locale or "ar").split("_")[0]
        return {"zgh": self.text_zgh, "fr": self.text_fr, "en": self.text_fr}.get(lang) or self.text_ar

    @property
    def text(self) -> str:
        from flask_babel import get_locale

        try:
            locale = get_locale()
        except RuntimeError:
            locale = None
        return self.text_in(str(locale) if locale else None)


class RoundStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared: projects can be added
    OPEN = "open"  # members score; blind
    CLOSED = "closed"  # no more scores; everyone on the committee sees all scores and the ranking
    PUBLISHED = "published"  # the public sees the aggregated ranking (never individual scores)


class ScoringRound(db.Model):
    __tablename__ = "scoring_round"
    __table_args__ = (
        enum_check("status", RoundStatus, "status"),
        CheckConstraint("top_k >= 1", name="top_k_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default=RoundStatus.DRAFT)
    # Size of the "top" in the sensitivity analysis (how often a project stays in the top K).
    top_k: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    # The ranking as published (JSON written by services.ranking.publish): the public page reads
    # this, so what was published never changes afterwards.
    published_result: Mapped[str | None] = mapped_column(Text)

    projects: Mapped[list["RoundProject"]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="RoundProject.project_id")


class RoundProject(db.Model):
    """A project in a round. supports_at_close: distinct residents' supports counted at closing
    (before that, services count them live)."""

    __tablename__ = "round_project"

    round_id: Mapped[int] = mapped_column(ForeignKey("scoring_round.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), primary_key=True, index=True)
    supports_at_close: Mapped[int | None] = mapped_column(Integer)

    round: Mapped[ScoringRound] = relationship(back_populates="projects")
    project: Mapped["Project"] = relationship(lazy="joined")  # noqa: F821


class Score(db.Model):
    """One member's score (whole number 0–5) for one project on one scored criterion."""

    __tablename__ = "score"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "project_id", "criterion_id"),
        CheckConstraint("value BETWEEN 0 AND 5", name="value_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("scoring_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    value: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Recusal(db.Model):
    """A member's declared conflict of interest on a project of a round: they are recused."""

    __tablename__ = "recusal"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "project_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("scoring_round.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    reason: Mapped[str] = mapped_column(Text)
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)


class RankingOverride(db.Model):
    """The chair moved a project against the computed order, with a written justification.

    Overrides apply in id order on the computed ranking: the project is taken out and put back
    at `new_rank` (1 = first).
    """

    __tablename__ = "ranking_override"
    __table_args__ = (CheckConstraint("new_rank >= 1", name="new_rank_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("scoring_round.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    computed_rank: Mapped[int] = mapped_column(Integer)
    new_rank: Mapped[int] = mapped_column(Integer)
    justification: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
