"""Petitions to the council (organic law 113-14, arts. 121-125) and their signatures.

A residents' petition goes draft -> collecting -> threshold_reached -> filed -> admissible | refused;
an association's petition goes draft -> filed (no signatures) -> admissible | refused. A draft
can be withdrawn. Who signed is never shown: only `signature_count`, kept in the same
transaction as the signature rows (UPDATE … SET n = n + 1).
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from models._base import enum_check, utcnow


class PetitionState(enum.StrEnum):
    DRAFT = "draft"  # the author edits it; only they see it
    COLLECTING = "collecting"  # open for signatures
    THRESHOLD_REACHED = "threshold_reached"  # enough signatures; still open until the agent files it
    FILED = "filed"  # filed with the president: dated receipt with a number
    ADMISSIBLE = "admissible"  # the bureau referred it to a standing committee, on the next session's agenda
    REFUSED = "refused"  # the bureau refused it, with a ground and a reasoned text
    WITHDRAWN = "withdrawn"  # a draft its author withdrew


# States the public sees (drafts and withdrawn drafts stay with their author).
PUBLIC_STATES = (PetitionState.COLLECTING, PetitionState.THRESHOLD_REACHED, PetitionState.FILED,
                 PetitionState.ADMISSIBLE, PetitionState.REFUSED)
SIGNING_STATES = (PetitionState.COLLECTING, PetitionState.THRESHOLD_REACHED)
DECIDED_STATES = (PetitionState.ADMISSIBLE, PetitionState.REFUSED)


class RefusalGround(enum.StrEnum):
    OUTSIDE_COMPETENCE = "outside_competence"  # outside the council's competences
    CONSTITUTIONAL_CONSTANTS = "constitutional_constants"  # touches the constitutional constants
    CONDITIONS_NOT_MET = "conditions_not_met"  # the conditions of arts. 122-123 are not met


class Petition(db.Model):
    __tablename__ = "petition"
    __table_args__ = (
        UniqueConstraint("commune_id", "receipt_year", "receipt_seq"),
        enum_check("state", PetitionState, "state"),
        CheckConstraint("signature_count >= 0", name="signature_count_positive"),
        Index("ix_petition_list", "commune_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    # NULL once the author deleted their account: the text stays, unlinked.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Set when the petition is an association's, filed in its own name (no signatures).
    association_id: Mapped[int | None] = mapped_column(ForeignKey("association.id"), index=True)
    # The agent (وكيل) who follows a residents' petition; must be a signatory to file it.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(String(150))
    request: Mapped[str] = mapped_column(Text)  # what the council should put on its agenda
    reasons: Mapped[str] = mapped_column(Text)
    competence: Mapped[str] = mapped_column(String(12))  # models.project.Competence
    field: Mapped[str] = mapped_column(String(20))  # models.association.ActivityField
    state: Mapped[str] = mapped_column(String(20), default=PetitionState.DRAFT)
    signature_count: Mapped[int] = mapped_column(Integer, default=0)
    # The threshold in force when it was opened (100 / 200 / 400, services.petitions.threshold_for).
    threshold: Mapped[int | None] = mapped_column(Integer)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column()
    threshold_reached_at: Mapped[datetime | None] = mapped_column()
    withdrawn_at: Mapped[datetime | None] = mapped_column()

    # The receipt: "<SLUG>-<year>-<seq>", sequential per commune and year (services.petitions).
    filed_on: Mapped[date | None] = mapped_column(Date)
    filed_at: Mapped[datetime | None] = mapped_column()
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    receipt_year: Mapped[int | None] = mapped_column(Integer)
    receipt_seq: Mapped[int | None] = mapped_column(Integer)
    receipt_number: Mapped[str | None] = mapped_column(String(80))

    # The bureau's decision.
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    committee: Mapped[str | None] = mapped_column(String(200))  # standing committee it is referred to
    session_year: Mapped[int | None] = mapped_column(Integer)  # next ordinary session (art. 33)
    session_month: Mapped[int | None] = mapped_column(Integer)
    refusal_ground: Mapped[str | None] = mapped_column(String(30))
    refusal_text: Mapped[str | None] = mapped_column(Text)
    delay_explanation: Mapped[str | None] = mapped_column(Text)  # a refusal recorded after the deadline

    author = relationship("User", foreign_keys=[author_id])
    agent = relationship("User", foreign_keys=[agent_id])
    association = relationship("Association")

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    @property
    def by_association(self) -> bool:
        return self.association_id is not None


class PetitionSignature(db.Model):
    """One resident's signature. Never listed anywhere: only counted.

    `user_id` is NULL once the signatory deleted their account (the signature still counts).
    `cin_hash` is HMAC-SHA256 of the national ID number when the signatory gave it (never the number).
    """

    __tablename__ = "petition_signature"
    __table_args__ = (
        UniqueConstraint("petition_id", "user_id"),
        UniqueConstraint("petition_id", "cin_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petition.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    cin_hash: Mapped[str | None] = mapped_column(String(64))
    # The signatory ticked the declaration that they meet the conditions (art. 122).
    declared: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
