"""From ranking to programme: yearly budget envelopes, programme versions (draft → proposed →
adopted by the council → governor's visa), their entries and yearly cost schedules, the equality
body's opinion, and the execution follow-up (per project per year, with dated milestones).

The fitting maths is prioritization.programme (Flask-free); services.programme feeds it.
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from sqlalchemy import true as sa_true
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow

# Organic law 113-14, art. 118: the governor's visa is due within 20 days; silence is approval.
VISA_DAYS = 20


class BudgetEnvelope(db.Model):
    """The money (MAD) the plan can commit in one year, and the part reserved for projects
    chosen by residents' supports (participatory share)."""

    __tablename__ = "budget_envelope"
    __table_args__ = (
        UniqueConstraint("plan_id", "year"),
        CheckConstraint("amount >= 0", name="amount_positive"),
        CheckConstraint("participatory_amount >= 0 AND participatory_amount <= amount", name="participatory_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    participatory_amount: Mapped[int] = mapped_column(BigInteger, default=0)

    axis_caps: Mapped[list["AxisCap"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class AxisCap(db.Model):
    __tablename__ = "axis_cap"
    __table_args__ = (
        UniqueConstraint("envelope_id", "axis_id"),
        CheckConstraint("amount >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[int] = mapped_column(ForeignKey("budget_envelope.id", ondelete="CASCADE"), index=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id"))
    amount: Mapped[int] = mapped_column(BigInteger)


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"  # put before the council
    ADOPTED = "adopted"  # voted by the council
    SUPERSEDED = "superseded"  # a later version (mid-term revision) was adopted


class ProgrammeVersion(db.Model):
    __tablename__ = "programme_version"
    __table_args__ = (
        UniqueConstraint("plan_id", "number"),
        enum_check("status", VersionStatus, "status"),
        CheckConstraint("votes_for >= 0 AND votes_against >= 0 AND votes_abstaining >= 0", name="votes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=VersionStatus.DRAFT)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("programme_version.id"))
    is_revision: Mapped[bool] = mapped_column(default=False)  # mid-term revision (art. 80, from year 3)
    scoring_round_id: Mapped[int | None] = mapped_column(ForeignKey("scoring_round.id"))
    # The participatory share: residents' choices from this support round under this rule (None = none)
    support_round_id: Mapped[int | None] = mapped_column(ForeignKey("support_round.id", ondelete="SET NULL"))
    support_rule: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    proposed_at: Mapped[datetime | None] = mapped_column()
    # The council's decision
    session_date: Mapped[date | None] = mapped_column(Date)
    decision_reference: Mapped[str | None] = mapped_column(String(120))
    votes_for: Mapped[int | None] = mapped_column(Integer)
    votes_against: Mapped[int | None] = mapped_column(Integer)
    votes_abstaining: Mapped[int | None] = mapped_column(Integer)
    adopted_at: Mapped[datetime | None] = mapped_column()
    # The governor's visa (date given); None = not recorded (deemed given VISA_DAYS after the session)
    visa_date: Mapped[date | None] = mapped_column(Date)

    entries: Mapped[list["ProgrammeEntry"]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="ProgrammeEntry.position")
    # The equality body's opinions on this version (models/equality.py), oldest first.
    opinions: Mapped[list["EqualityOpinion"]] = relationship(  # noqa: F821
        back_populates="version", cascade="all, delete-orphan", order_by="EqualityOpinion.id")

    @property
    def opinion(self) -> "EqualityOpinion | None":  # noqa: F821
        """The body's current opinion on this version: the latest one not superseded by a correction."""
        replaced = {o.supersedes_id for o in self.opinions if o.supersedes_id is not None}
        current = [o for o in self.opinions if o.id not in replaced]
        return current[-1] if current else None

    @property
    def visa_deemed_on(self) -> date | None:
        """The date the visa is deemed given when none was recorded (session + 20 days)."""
        if self.session_date is None:
            return None
        return self.session_date + timedelta(days=VISA_DAYS)

    def in_force(self, today: date) -> bool:
        if self.status != VersionStatus.ADOPTED:
            return False
        return self.visa_date is not None or (self.visa_deemed_on is not None and today >= self.visa_deemed_on)


class EntryState(enum.StrEnum):
    PLACED = "placed"
    SKIPPED = "skipped"  # did not fit (reason in `reason`)
    DROPPED = "dropped"  # dropped by the committee (justification)


class ProgrammeEntry(db.Model):
    """A project in a programme version: where the builder (or the committee) put it."""

    __tablename__ = "programme_entry"
    __table_args__ = (
        UniqueConstraint("version_id", "project_id"),
        enum_check("state", EntryState, "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("programme_version.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # rank order used by the builder
    state: Mapped[str] = mapped_column(String(10))
    start_year: Mapped[int | None] = mapped_column(Integer)
    pinned_year: Mapped[int | None] = mapped_column(Integer)
    # Why skipped (builder's reason, JSON) or the committee's justification for pin/move/drop.
    reason: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text)
    participatory: Mapped[bool] = mapped_column(default=False)  # funded from the participatory share
    # Chosen by residents: place in the support rule's selection (1 = first); None = not chosen.
    share_order: Mapped[int | None] = mapped_column(Integer)
    # In the committee's ranking (False: only residents chose it, `position` comes after the ranking)
    ranked: Mapped[bool] = mapped_column(default=True, server_default=sa_true())

    version: Mapped[ProgrammeVersion] = relationship(back_populates="entries")
    project: Mapped["Project"] = relationship(lazy="joined")  # noqa: F821
    schedule: Mapped[list["ScheduleLine"]] = relationship(
        cascade="all, delete-orphan", order_by="ScheduleLine.year", lazy="selectin")


class ScheduleLine(db.Model):
    """What a placed project costs in one year (the lines add up to the project's total cost)."""

    __tablename__ = "schedule_line"
    __table_args__ = (
        UniqueConstraint("entry_id", "year"),
        CheckConstraint("amount >= 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("programme_entry.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)


# The equality body's opinions (EqualityOpinion) live in models/equality.py.


class ExecutionStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    STUDIES = "studies"
    TENDERING = "tendering"
    WORKS = "works"
    DONE = "done"
    BLOCKED = "blocked"
    DROPPED = "dropped"


class ExecutionReport(db.Model):
    """Where a project stands in one year of execution."""

    __tablename__ = "execution_report"
    __table_args__ = (
        UniqueConstraint("project_id", "year"),
        enum_check("status", ExecutionStatus, "status"),
        CheckConstraint("percent_complete BETWEEN 0 AND 100", name="percent_range"),
        CheckConstraint("amount_spent >= 0", name="spent_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=ExecutionStatus.NOT_STARTED)
    percent_complete: Mapped[int] = mapped_column(Integer, default=0)
    amount_spent: Mapped[int] = mapped_column(BigInteger, default=0)
    delay_causes: Mapped[str | None] = mapped_column(Text)
    # Required when progress goes back or the status becomes blocked/dropped.
    reason: Mapped[str | None] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Milestone(db.Model):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    happened_on: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(300))
    # A photo stored under the instance's upload folder (file name only), with its text alternative.
    photo: Mapped[str | None] = mapped_column(String(120))
    photo_alt: Mapped[str | None] = mapped_column(String(300))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
