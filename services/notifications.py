"""In-app notifications. Stored as a kind + parameters and rendered in the reader's language."""
from __future__ import annotations

import json

from sqlalchemy import func, select, update

from extensions import db
from models import Notification
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
    # the equality body
    "equality_response",  # + subject: the committee responded to an opinion I published
)


def notify(user_id: int | None, kind: str, *, commune_id: int | None = None, **params) -> None:
    if user_id is None:  # the author deleted their account
        return
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    db.session.add(
        Notification(user_id=user_id, commune_id=commune_id, kind=kind, params=json.dumps(params, ensure_ascii=False))
    )
    db.session.flush()


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
