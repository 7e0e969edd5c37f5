"""Participatory-budget support rounds: projects and anonymous ballots, as in the Pabulib format.

A round is either imported from a `.pb` file (`flask pb import`) or run on the platform. Ballots
carry no voter identity: `position` is a sequential number, and the file's voter ids and any
per-voter columns (age, sex, …) are dropped on import (political opinions are sensitive data).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow


class BallotKind(enum.StrEnum):
    APPROVAL = "approval"
    CHOOSE_1 = "choose-1"
    CUMULATIVE = "cumulative"
    SCORING = "scoring"
    ORDINAL = "ordinal"


class SupportRound(db.Model):
    __tablename__ = "support_round"
    __table_args__ = (
        enum_check("vote_type", BallotKind, "vote_type"),
        CheckConstraint("num_ballots >= 0", name="num_ballots_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    vote_type: Mapped[str] = mapped_column(String(12))
    # Budget as written in the file (an integer or an exact decimal), and the file's own rule.
    budget: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str | None] = mapped_column(String(60))
    # The whole META section (JSON object, file order), and the PROJECTS columns (JSON list),
    # so that an export writes the instance back as it came.
    meta_json: Mapped[str] = mapped_column(Text)
    project_columns_json: Mapped[str] = mapped_column(Text)
    num_ballots: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(300))  # e.g. "import: Poland_Lodz_2022.pb"
    # Every rule's outcome with its explanations (JSON), computed once when the round is made
    # (services.pb_rounds.store_comparison): the public page reads it and never recomputes.
    comparison_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    projects: Mapped[list["SupportRoundProject"]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="SupportRoundProject.position")


class SupportRoundProject(db.Model):
    __tablename__ = "support_round_project"
    __table_args__ = (
        UniqueConstraint("round_id", "external_id"),
        CheckConstraint("cost >= 0", name="cost_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("support_round.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    external_id: Mapped[str] = mapped_column(String(80))  # the file's project_id
    cost: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str | None] = mapped_column(String(500))
    # The other PROJECTS columns (votes, selected, category, …) as a JSON object.
    fields_json: Mapped[str] = mapped_column(Text, default="{}")
    # The platform project it stands for, when the round is the platform's own.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))

    round: Mapped[SupportRound] = relationship(back_populates="projects")


class SupportBallot(db.Model):
    """One anonymous ballot: the project ids it names (comma-separated, in the ballot's order)
    and, for cumulative and scoring ballots, the points given to each."""

    __tablename__ = "support_ballot"
    __table_args__ = (UniqueConstraint("round_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("support_round.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    projects: Mapped[str] = mapped_column(Text)
    points: Mapped[str | None] = mapped_column(Text)
