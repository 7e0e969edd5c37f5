"""In-app notifications, and which of them may also be mailed.

Stored as a kind + parameters and rendered in the reader's language. notify() only writes
rows: the notification and, when its person opted in to e-mail for its group, an outbox row
that the background sender (services/mailer.py) later gathers into a digest. Nothing here
ever talks to a mail server, so no page waits for one.
"""
from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import func, select, update

from extensions import db
from models import Idea, MailOutbox, MailSettings, Notification, Project, ProjectIdea, User
from models._base import utcnow

KINDS = (
    "idea_reviewed",
    "idea_rejected",
    "idea_hidden",
    "idea_restored",
    "comment_hidden",
    "comment_restored",
    "comment_reply",
    "association_verified",
    "association_rejected",
    # moderation, admin and associations area
    "idea_auto_hidden",  # hidden pending review after reports from several people
    "comment_auto_hidden",
    "role_granted",
    "second_factor_reset",  # an admin reset the person's lost second factor
    "role_revoked",
    "association_representative_added",
    # projects area: an idea became (part of) a project; params code and title {ar, fr, zgh}
    "idea_in_project",
    # what became of my idea (params: idea_id, code, title {ar, fr, zgh} and below)
    "idea_ranked",  # + rank: the project made from it was ranked in a published ranking
    "idea_in_programme",  # + year: the project entered the adopted programme
    "idea_progress",  # + year, percent, status: the project's yearly follow-up moved
    # petitions (params: petition_id, title, and below)
    "petition_threshold",  # a petition I signed reached its threshold
    "petition_filed",  # + number: filed with the commune (dated receipt)
    "petition_answered",  # + outcome (admissible/refused): the bureau decided
    "petition_agent",  # the author named me the agent (وكيل) of a petition I signed
    # the equality body
    "equality_response",  # + subject: the committee responded to an opinion I published
)


# What a person may choose to receive by e-mail, group by group (default: nothing).
MAIL_GROUPS: dict[str, tuple[str, ...]] = {
    "moderation": ("idea_reviewed", "idea_rejected", "idea_hidden", "idea_restored", "idea_auto_hidden",
                   "comment_hidden", "comment_restored", "comment_auto_hidden"),
    "idea_project": ("idea_in_project",),
    "idea_ranked": ("idea_ranked",),
    "idea_programme": ("idea_in_programme",),
    "idea_progress": ("idea_progress",),
    "petitions": ("petition_threshold", "petition_filed", "petition_answered", "petition_agent"),
    "comment_replies": ("comment_reply",),
    "associations": ("association_verified", "association_rejected", "association_representative_added"),
    "equality": ("equality_response",),
}
# Account and security messages stay in-app: they are shown at the next sign-in, which is
# when they matter, and they are never mailed to an address the person did not opt in with.
IN_APP_ONLY = frozenset({"role_granted", "role_revoked", "second_factor_reset"})
KIND_GROUP = {kind: group for group, kinds in MAIL_GROUPS.items() for kind in kinds}


def mail_enabled() -> bool:
    """A mail server is configured; without one, notifications stay in-app only."""
    return bool(current_app.config.get("MAIL_SERVER"))


def notify(user_id: int | None, kind: str, *, commune_id: int | None = None, **params) -> None:
    if user_id is None:  # the author deleted their account
        return
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    note = Notification(user_id=user_id, commune_id=commune_id, kind=kind,
                        params=json.dumps(params, ensure_ascii=False))
    db.session.add(note)
    db.session.flush()
    group = KIND_GROUP.get(kind)
    if group is not None and mail_enabled():
        groups = db.session.scalar(select(MailSettings.groups).where(MailSettings.user_id == user_id))
        if groups and group in groups.split(","):
            db.session.add(MailOutbox(notification_id=note.id, user_id=user_id))
            db.session.flush()


def notify_idea_authors(project: Project, kind: str, **params) -> int:
    """Tell the authors of the ideas `project` came from, once per author (deleted accounts skipped).

    Adds idea_id (the author's first idea in the project), code and title {ar, fr, zgh}; returns
    how many people were told."""
    rows = db.session.execute(
        select(Idea.author_id, func.min(Idea.id))
        .join(ProjectIdea, ProjectIdea.idea_id == Idea.id)
        .join(User, User.id == Idea.author_id)
        .where(ProjectIdea.project_id == project.id, User.deleted_at.is_(None))
        .group_by(Idea.author_id).order_by(Idea.author_id)).all()
    title = {"ar": project.title_ar, "fr": project.title_fr, "zgh": project.title_zgh}
    for author_id, idea_id in rows:
        notify(author_id, kind, commune_id=project.commune_id, idea_id=idea_id, code=project.code, title=title,
               **params)
    return len(rows)


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    ) or 0


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.user_id == user_id).order_by(Notification.id.desc()).limit(limit)
        )
    )


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
