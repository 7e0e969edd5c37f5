"""The equality body's (IEECAG, organic law 113-14 art. 120) formal, attributable opinions.

One model for every opinion the body gives — on a programme version (draft or proposed), on a
project, or on a thematic plan (gender, social inclusion, disability, youth, heritage) — so that
there is a single "opinion" in the product. An opinion is published at once and never edited: a
correction is a new opinion that supersedes the earlier one. The committee's response (one per
opinion) is stored on the opinion.

Two ways in, one record:
- a member of the body (role `equality`) publishes under their own name (`on_behalf` False,
  `signed_by` = the member's name when published, `given_on` = the day of publication);
- the body's observer on the committee, or a commune administrator, records a paper opinion on a
  proposed version *on the body's behalf* (`on_behalf` True, `signed_by` as typed, the date given).
`recorded_by_id` is the person who published or recorded it (the author; `author_id` is its alias).
"""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, event, select
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship, synonym

from extensions import db
from models._base import enum_check, utcnow
from models.commune import Plan
from models.programme import ProgrammeVersion
from models.project import Project


class OpinionSubject(enum.StrEnum):
    VERSION = "version"  # a programme version (draft or proposed)
    PROJECT = "project"  # a project of the plan
    THEME = "theme"  # a thematic plan or document of the commune


class EqualityTheme(enum.StrEnum):
    GENDER = "gender"
    INCLUSION = "inclusion"  # social inclusion
    DISABILITY = "disability"
    YOUTH = "youth"
    HERITAGE = "heritage"


class EqualityOpinion(db.Model):
    __tablename__ = "equality_opinion"
    __table_args__ = (
        enum_check("subject_kind", OpinionSubject, "subject_kind"),
        enum_check("theme", EqualityTheme, "theme"),  # NULL passes a CHECK
        CheckConstraint(
            "(subject_kind = 'version' AND version_id IS NOT NULL) "
            "OR (subject_kind = 'project' AND project_id IS NOT NULL) "
            "OR (subject_kind = 'theme' AND theme IS NOT NULL)", name="subject_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Filled from the version or project when left out (see _fill_commune below).
    commune_id: Mapped[int] = mapped_column(ForeignKey("commune.id"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(10), default=OpinionSubject.VERSION,
                                              server_default=OpinionSubject.VERSION.value)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("programme_version.id", ondelete="CASCADE"),
                                                   index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    theme: Mapped[str | None] = mapped_column(String(12))
    # The thematic plan or document answered, as the commune names it ("Plan communal d'accessibilité 2024").
    plan_title: Mapped[str | None] = mapped_column(String(300))
    # None for opinions recorded on the body's behalf before titles existed (shown with a generic title).
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    recommendations: Mapped[str | None] = mapped_column(Text)
    signed_by: Mapped[str] = mapped_column(String(200))
    on_behalf: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    given_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author_id = synonym("recorded_by_id")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A correction names the opinion it replaces; an opinion is superseded at most once.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("equality_opinion.id"), unique=True)
    # The committee's response (one per opinion), attributed to the committee.
    response_body: Mapped[str | None] = mapped_column(Text)
    responded_at: Mapped[datetime | None] = mapped_column()
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    version: Mapped[ProgrammeVersion | None] = relationship(back_populates="opinions")
    project: Mapped[Project | None] = relationship(
        backref=backref("equality_opinions", order_by="EqualityOpinion.id", passive_deletes=True))
    supersedes: Mapped["EqualityOpinion | None"] = relationship(
        remote_side=[id], backref=backref("superseded_by", uselist=False))

    @property
    def responded(self) -> bool:
        return self.response_body is not None


@event.listens_for(EqualityOpinion, "before_insert")
def _fill_commune(mapper, connection, target: EqualityOpinion) -> None:  # noqa: ARG001
    """The commune of the version's plan or of the project, when the caller left it out."""
    if target.commune_id is not None:
        return
    if target.version_id is not None:
        target.commune_id = connection.scalar(
            select(Plan.commune_id).join(ProgrammeVersion, ProgrammeVersion.plan_id == Plan.id)
            .where(ProgrammeVersion.id == target.version_id))
    elif target.project_id is not None:
        target.commune_id = connection.scalar(select(Project.commune_id).where(Project.id == target.project_id))
