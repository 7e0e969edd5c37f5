"""Comments on ideas: posting with a stance, threads three levels deep, counters kept on Idea.

A reply to a comment at the deepest level (depth 2) is attached beside it, under
the same parent, so it stays at depth 2; the person replied to is still told.
Hidden comments keep their place in the thread (a placeholder, without the text).
A thread is read in one statement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import aliased, joinedload

from extensions import db
from models import Association, Comment, Idea, Plan, Stance, User
from models._base import utcnow
from services import access, notifications, phases
from services.errors import NotAllowed, NotFound, ServiceError
from services.text import check_text

BODY_MAX = 3000
MAX_DEPTH = 2
STANCES = tuple(s.value for s in Stance)
_COUNTER = {
    Stance.FOR: Idea.comments_for,
    Stance.NEUTRAL: Idea.comments_neutral,
    Stance.AGAINST: Idea.comments_against,
}


@dataclass
class Node:
    comment: Comment
    children: list["Node"] = field(default_factory=list)


def _public_idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None or not idea.is_public:
        raise NotFound(_l("This idea does not exist or is no longer public."))
    return idea


def _body(body: str | None) -> str:
    return check_text(body, "body", max_length=BODY_MAX, required_message=_l("Write your comment."))


def post(
    user: User,
    idea_id: int,
    *,
    body: str,
    stance: str,
    parent_id: int | None = None,
    association_id: int | None = None,
) -> Comment:
    """Publish a comment (or a reply) and move the idea's counters in the same transaction."""
    idea = _public_idea(idea_id)
    if not access.can(user, "comment.post", idea.commune_id):
        raise NotAllowed(_l("Only residents and associations of this commune can comment."))
    phases.require_open(db.session.get(Plan, idea.plan_id), "comment")
    text = _body(body)
    if stance not in STANCES:
        raise ServiceError(_l("Say whether you are for, neutral or against."), field="stance")

    parent = None
    depth = 0
    replied_to = None
    if parent_id is not None:
        replied_to = db.session.get(Comment, parent_id)
        if replied_to is None or replied_to.idea_id != idea.id or replied_to.hidden:
            raise NotFound(_l("The comment you are replying to does not exist or was hidden."))
        parent = replied_to
        if replied_to.depth >= MAX_DEPTH:
            # Deepest level: attach beside it, under its own parent.
            parent = db.session.get(Comment, replied_to.parent_id)
        depth = parent.depth + 1

    if association_id is not None:
        association = db.session.get(Association, association_id)
        if association is None or association.commune_id != idea.commune_id or not access.can_act_for(user, association):
            raise NotAllowed(_l("You do not represent this association."), field="association_id")

    comment = Comment(
        idea_id=idea.id,
        parent_id=parent.id if parent else None,
        depth=depth,
        author_id=user.id,
        association_id=association_id,
        stance=stance,
        body=text,
        created_at=utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    counter = _COUNTER[Stance(stance)]
    db.session.execute(
        update(Idea)
        .where(Idea.id == idea.id)
        .values({Idea.comment_count: Idea.comment_count + 1, counter: counter + 1})
    )
    if replied_to is not None and replied_to.author_id not in (None, user.id):
        notifications.notify(
            replied_to.author_id, "comment_reply", commune_id=idea.commune_id,
            idea_id=idea.id, comment_id=comment.id, idea_title=idea.title,
        )
    db.session.refresh(idea)
    return comment


# --- the thread in batches ---------------------------------------------------------------------

PER_BATCH = 30  # conversations (top-level comments, each with its replies) per batch
_CURSOR = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)_(\d{1,18})")
BAD_CURSOR = _l("This link to more comments is not valid. Open the idea again to read its comments.")


@dataclass
class Batch:
    """One batch of a thread: `roots` (oldest first, with their replies) and the cursor of the next
    batch (None: this is the last). `first` tells whether it is the thread's first batch."""

    roots: list[Node]
    next_cursor: str | None
    first: bool = True

    @property
    def shown(self) -> int:
        """Comments in this batch, replies included."""
        stack, n = list(self.roots), 0
        while stack:
            node = stack.pop()
            n += 1
            stack.extend(node.children)
        return n


def cursor_of(comment: Comment) -> str:
    """Where a batch ends: the (created_at, id) of its last top-level comment."""
    return f"{comment.created_at.isoformat(timespec='microseconds')}_{comment.id}"


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    """A cursor from a URL, or ServiceError (400) if it is not one; None for none."""
    if value is None or value == "":
        return None
    match = _CURSOR.fullmatch(value)
    if match is None:
        raise ServiceError(BAD_CURSOR)
    try:
        return datetime.fromisoformat(match.group(1)), int(match.group(2))
    except ValueError:
        raise ServiceError(BAD_CURSOR) from None


def thread_batch(idea_id: int, after: tuple[datetime, int] | None = None, per_batch: int = PER_BATCH) -> Batch:
    """PER_BATCH top-level comments after the cursor (keyset on (created_at, id), oldest first, as
    the thread is shown) with all their replies, in ONE statement whatever the thread's length.
    Hidden comments keep their place (the template shows a placeholder, never their text)."""
    roots_where = [Comment.idea_id == idea_id, Comment.parent_id.is_(None)]
    if after is not None:
        at, after_id = after
        roots_where.append(or_(Comment.created_at > at, and_(Comment.created_at == at, Comment.id > after_id)))
    roots = (select(Comment.id).where(*roots_where).order_by(Comment.created_at, Comment.id)
             .limit(per_batch + 1).cte("batch_roots"))
    in_batch = select(roots.c.id)
    parent = aliased(Comment)
    comments = db.session.scalars(
        select(Comment)
        .outerjoin(parent, parent.id == Comment.parent_id)
        .where(Comment.idea_id == idea_id,
               or_(Comment.id.in_(in_batch), Comment.parent_id.in_(in_batch), parent.parent_id.in_(in_batch)))
        .options(joinedload(Comment.author).lazyload(User.memberships), joinedload(Comment.association))
        .order_by(Comment.created_at, Comment.id)
    ).all()
    nodes = {c.id: Node(c) for c in comments}
    tops: list[Node] = []
    for c in comments:
        up = nodes.get(c.parent_id) if c.parent_id is not None else None
        if up is not None:
            up.children.append(nodes[c.id])
        elif c.parent_id is None:
            tops.append(nodes[c.id])
    next_cursor = None
    if len(tops) > per_batch:
        tops = tops[:per_batch]
        next_cursor = cursor_of(tops[-1].comment)
    return Batch(tops, next_cursor, first=after is None)


def reply_target(idea_id: int, comment_id: int) -> Comment | None:
    """A visible comment of this idea to reply to (when it is not in the batch shown)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.idea_id != idea_id or comment.hidden:
        return None
    return comment


def find_in(roots: list[Node], comment_id: int) -> Comment | None:
    """A comment of an already loaded thread (no query)."""
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.comment.id == comment_id:
            return node.comment
        stack.extend(node.children)
    return None
