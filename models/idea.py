"""Residents' ideas for the plan, their supports (residents and associations apart) and comments.

Counters on Idea are maintained in the same transaction as the rows they count
(UPDATE … SET n = n + 1), so lists never count over large tables.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow


class IdeaStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # public, awaiting a moderator's look; the author may still edit
    ACCEPTED = "accepted"  # a moderator looked at it and admitted it
    REJECTED = "rejected"  # not admissible, with a reason given to the author


PUBLIC_STATUSES = (IdeaStatus.SUBMITTED, IdeaStatus.ACCEPTED)


class Stance(enum.StrEnum):
    FOR = "for"
    NEUTRAL = "neutral"
    AGAINST = "against"


class Idea(db.Model):
    __tablename__ = "idea"
    __table_args__ = (
        enum_check("status", IdeaStatus, "status"),
        CheckConstraint("estimated_cost IS NULL OR estimated_cost >= 0", name="cost_positive"),
        Index("ix_idea_list_support", "plan_id", "hidden", "support_count", "id"),
        Index("ix_idea_list_newest", "plan_id", "hidden", "submitted_at", "id"),
        Index("ix_idea_list_comments", "plan_id", "hidden", "comment_count", "id"),
        # Lets a list's total (and its axis/neighbourhood filters) be counted from the index alone.
        Index("ix_idea_public", "plan_id", "hidden", "status", "axis_id", "neighbourhood_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    # NULL once the author deleted their account ("former resident").
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(Text)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id"), index=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhood.id"), index=True)
    location_text: Mapped[str | None] = mapped_column(String(300))
    estimated_cost: Mapped[int | None] = mapped_column(BigInteger)  # MAD, whole dirhams
    status: Mapped[str] = mapped_column(String(12), default=IdeaStatus.DRAFT)
    # Normalised title + description (see services.text.normalize) for search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_note: Mapped[str | None] = mapped_column(String(500))
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))

    support_count: Mapped[int] = mapped_column(Integer, default=0)
    association_support_count: Mapped[int] = mapped_column(Integer, default=0)
    comment_count: Mapped[int] = mapped_column(Integer, default=0)
    comments_for: Mapped[int] = mapped_column(Integer, default=0)
    comments_neutral: Mapped[int] = mapped_column(Integer, default=0)
    comments_against: Mapped[int] = mapped_column(Integer, default=0)
    report_count: Mapped[int] = mapped_column(Integer, default=0)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    axis = relationship("Axis", lazy="joined")
    neighbourhood = relationship("Neighbourhood", lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    association = relationship("Association")

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES and not self.hidden


class Support(db.Model):
    """One resident's support for one idea. Who supported what is never shown."""

    __tablename__ = "support"
    __table_args__ = (
        UniqueConstraint("user_id", "idea_id"),
        Index("ix_support_user_plan", "user_id", "plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), index=True)
    # NULL once the supporter deleted their account: the support still counts.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # After a deletion: the departed identity it belongs to (given back if the person registers again).
    departed_id: Mapped[int | None] = mapped_column(ForeignKey("departed_identity.id", ondelete="SET NULL"),
                                                    index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssociationSupport(db.Model):
    """An association's support, counted apart from residents'."""

    __tablename__ = "association_support"
    __table_args__ = (UniqueConstraint("association_id", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), index=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id"), index=True)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(db.Model):
    """A comment with a stance, threaded to three levels (depth 0, 1, 2)."""

    __tablename__ = "comment"
    __table_args__ = (
        enum_check("stance", Stance, "stance"),
        CheckConstraint("depth >= 0 AND depth <= 2", name="depth_range"),
        Index("ix_comment_idea_created", "idea_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"))
    stance: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(default=False)
    hidden_reason: Mapped[str | None] = mapped_column(String(500))
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User", foreign_keys=[author_id])
    association = relationship("Association")
