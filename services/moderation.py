"""Reports by people, the moderation queue and moderators' decisions.

Reports (SECURITY.md: one report per person, auto-hide after 3):
- UNIQUE(reporter, target_kind, target_id) refuses a repeat whatever the timing; a repeat
  changes nothing.
- `report_count` on the item counts distinct reporters, ever: UPDATE n = n + 1 in the
  same transaction as the report row.
- The item is hidden pending review once 3 distinct people have *open* (unresolved)
  reports on it. The item's row is locked before the count (FOR UPDATE on PostgreSQL;
  on SQLite the write transaction began IMMEDIATE and holds the write lock), so two
  concurrent "third" reports cannot both miss the threshold.
- Every moderator decision resolves the item's open reports: after a moderator restores
  an item it takes 3 new reporters to hide it again.

Comment counters (a rule the ideas area relies on): Idea.comment_count and
comments_for / comments_neutral / comments_against count *visible* comments only.
Hiding a comment (by a moderator or by reports) decrements them and restoring it
increments them — only when the hidden flag really changes, checked by a guarded
UPDATE … WHERE hidden = <old value>, so a double click or a race never counts twice.
Replies to a hidden comment stay visible and keep counting.

Every decision is audited (services.audit) and the author is told why in-app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import ceil

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Comment, Idea, IdeaStatus, Report, ReportReason, TargetKind, User
from models._base import utcnow
from services import audit, notifications
from services.communes import check_text
from services.errors import Conflict, NotFound, ServiceError

AUTO_HIDE_AT = 3
NOTE_MAX = 500
REASON_MAX = 500
# Stored in hidden_reason when reports hid the item; templates show a translated sentence for it.
AUTO_HIDDEN = "auto:reports"

ACTIONS = ("accept", "reject", "hide", "restore")
_NOT_FOUND = _l("This item does not exist or is no longer public.")


@dataclass
class Page:
    """One page of a list (same attributes as Flask-SQLAlchemy's Pagination)."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def _model(kind: str):
    if kind == TargetKind.IDEA:
        return Idea
    if kind == TargetKind.COMMENT:
        return Comment
    raise NotFound(_NOT_FOUND)


def load_target(commune_id: int, kind: str, target_id: int, *, lock: bool = False) -> tuple[Idea | Comment, Idea]:
    """The item (idea or comment) of this commune and its idea. Drafts are nobody's business but the author's."""
    model = _model(kind)
    if model is Idea:
        stmt = select(Idea).where(Idea.id == target_id, Idea.commune_id == commune_id)
    else:
        stmt = select(Comment).join(Idea, Comment.idea_id == Idea.id).where(
            Comment.id == target_id, Idea.commune_id == commune_id)
    if lock:
        stmt = stmt.with_for_update(of=model)
    target = db.session.scalar(stmt)
    if target is None:
        raise NotFound(_NOT_FOUND)
    idea = target if model is Idea else db.session.get(Idea, target.idea_id)
    if idea.status == IdeaStatus.DRAFT:
        raise NotFound(_NOT_FOUND)
    return target, idea


def is_visible(target: Idea | Comment, idea: Idea) -> bool:
    """What the public sees: a public idea, and for a comment, a visible comment on it."""
    if isinstance(target, Comment):
        return not target.hidden and idea.is_public
    return idea.is_public


def reportable(commune_id: int, kind: str, target_id: int) -> tuple[Idea | Comment, Idea]:
    target, idea = load_target(commune_id, kind, target_id)
    if not is_visible(target, idea):
        raise NotFound(_NOT_FOUND)
    return target, idea


def open_report_count(kind: str, target_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Report).where(
            Report.target_kind == kind, Report.target_id == target_id, Report.resolved_at.is_(None))
    ) or 0


# --- hiding, with the comment counters kept right --------------------------------------------------

def _set_hidden(target: Idea | Comment, hidden: bool, reason: str | None) -> bool:
    """Hide or show an item; return True if its hidden flag changed."""
    model = type(target)
    changed = db.session.execute(
        update(model).where(model.id == target.id, model.hidden.is_(not hidden))
        .values(hidden=hidden, hidden_reason=reason)
    ).rowcount == 1
    if not changed and hidden:
        # Already hidden (e.g. by reports): a moderator's decision replaces the reason.
        db.session.execute(update(model).where(model.id == target.id).values(hidden_reason=reason))
    if changed and model is Comment:
        delta = -1 if hidden else 1
        stance_column = getattr(Idea, f"comments_{target.stance}")
        db.session.execute(
            update(Idea).where(Idea.id == target.idea_id).values(
                {Idea.comment_count: Idea.comment_count + delta, stance_column: stance_column + delta})
        )
    db.session.refresh(target)
    return changed


def _resolve_reports(kind: str, target_id: int) -> int:
    return db.session.execute(
        update(Report).where(Report.target_kind == kind, Report.target_id == target_id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow())
    ).rowcount


def _notice_params(kind: str, target: Idea | Comment, idea: Idea, **extra) -> dict:
    params = {"idea_id": idea.id, "title": idea.title}
    if kind == TargetKind.COMMENT:
        params["comment_id"] = target.id
    params.update(extra)
    return params


# --- reports -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportOutcome:
    target: Idea | Comment
    idea: Idea
    hidden_now: bool


def report(
    user: User, commune_id: int, kind: str, target_id: int, reason: str, note: str | None = None
) -> ReportOutcome:
    """Record one person's report; hide the item once AUTO_HIDE_AT people have open reports on it."""
    if reason not in [r.value for r in ReportReason]:
        raise ServiceError(_l("Choose a reason from the list."), field="reason")
    note = check_text(note, "note", max_length=NOTE_MAX, required=False)
    target, idea = load_target(commune_id, kind, target_id, lock=True)
    if not is_visible(target, idea):
        raise NotFound(_NOT_FOUND)
    try:
        with db.session.begin_nested():
            db.session.add(Report(commune_id=commune_id, reporter_id=user.id, target_kind=kind,
                                  target_id=target.id, reason=reason, note=note))
    except IntegrityError:
        raise Conflict(_l("You have already reported this. Moderators will look at it; thank you.")) from None
    model = type(target)
    db.session.execute(update(model).where(model.id == target.id).values(report_count=model.report_count + 1))
    hidden_now = False
    if open_report_count(kind, target.id) >= AUTO_HIDE_AT:
        hidden_now = _set_hidden(target, True, AUTO_HIDDEN)
        if hidden_now:
            audit.record(f"{kind}.auto_hide", actor_id=None, commune_id=commune_id, target_kind=kind,
                         target_id=target.id, details={"open_reports": open_report_count(kind, target.id)})
            notifications.notify(target.author_id, f"{kind}_auto_hidden", commune_id=commune_id,
                                 **_notice_params(kind, target, idea))
    db.session.refresh(target)
    return ReportOutcome(target, idea, hidden_now)


# --- decisions -----------------------------------------------------------------------------------

def decide(actor: User, commune_id: int, kind: str, target_id: int, action: str, reason: str | None = None):
    """A moderator's decision on an item. Returns the item.

    accept   an idea: admitted and marked reviewed (its author can no longer edit it)
    reject   an idea: not admitted, with a reason sent to the author
    hide     an idea or comment, with a reason
    restore  an idea or comment: shown again (or, if it was never hidden, kept visible
             and its reports closed), with a reason
    """
    if action not in ACTIONS:
        raise ServiceError(_l("Choose an action."), field="action")
    if action == "accept":
        reason = check_text(reason, "reason", max_length=REASON_MAX, required=False)
    else:
        reason = check_text(reason, "reason", max_length=REASON_MAX,
                            required_message=_l("Give a reason: it is sent to the author and kept in the log."))
    target, idea = load_target(commune_id, kind, target_id, lock=True)
    if action in ("accept", "reject") and kind != TargetKind.IDEA:
        raise ServiceError(_l("Only ideas can be accepted or rejected."), field="action")
    details: dict = {"reason": reason} if reason else {}
    notice: str | None = None
    logged_as = action

    if action == "accept":
        if idea.hidden:
            raise Conflict(_l("This idea is hidden: restore it before accepting it."), field="action")
        if idea.status != IdeaStatus.SUBMITTED:
            raise Conflict(_l("Only a submitted idea can be accepted."), field="action")
        idea.status = IdeaStatus.ACCEPTED
        idea.reviewed_at, idea.reviewed_by_id = utcnow(), actor.id
        if reason:
            idea.review_note = reason
        notice = "idea_reviewed"
    elif action == "reject":
        if idea.status not in (IdeaStatus.SUBMITTED, IdeaStatus.ACCEPTED):
            raise Conflict(_l("This idea was already rejected."), field="action")
        idea.status = IdeaStatus.REJECTED
        idea.reviewed_at, idea.reviewed_by_id, idea.review_note = utcnow(), actor.id, reason
        notice = "idea_rejected"
    elif action == "hide":
        _set_hidden(target, True, reason)
        notice = f"{kind}_hidden"
    else:  # restore
        if target.hidden:
            _set_hidden(target, False, None)
            notice = f"{kind}_restored"
        elif open_report_count(kind, target.id) == 0:
            raise Conflict(_l("This item is visible and has no open reports: there is nothing to restore."),
                           field="action")
        else:  # visible with open reports: kept visible; nothing changed for the author.
            logged_as = "keep"
    db.session.flush()
    details["reports_resolved"] = _resolve_reports(kind, target.id)
    audit.record(f"{kind}.{logged_as}", actor_id=actor.id, commune_id=commune_id, target_kind=kind,
                 target_id=target.id, details=details)
    if notice:
        notifications.notify(target.author_id, notice, commune_id=commune_id,
                             **_notice_params(kind, target, idea, reason=reason or ""))
    db.session.refresh(target)
    return target


# --- the queue -----------------------------------------------------------------------------------

@dataclass
class QueueItem:
    kind: str
    target: Idea | Comment
    idea: Idea
    open_reports: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    form: object | None = None  # set by the view

    @property
    def prefix(self) -> str:
        return f"{self.kind}-{self.target.id}"


def _page_args(page: int, per_page: int) -> tuple[int, int]:
    return max(1, page), max(1, min(per_page, 100))


def awaiting_review(commune_id: int, page: int = 1, per_page: int = 20) -> Page:
    """Submitted ideas no moderator has looked at yet, oldest first. Hidden ones wait in the reported list."""
    page, per_page = _page_args(page, per_page)
    where = (Idea.commune_id == commune_id, Idea.status == IdeaStatus.SUBMITTED,
             Idea.reviewed_at.is_(None), Idea.hidden.is_(False))
    total = db.session.scalar(select(func.count()).select_from(Idea).where(*where)) or 0
    ideas = db.session.scalars(
        select(Idea).where(*where).order_by(Idea.submitted_at, Idea.id).limit(per_page).offset((page - 1) * per_page)
    )
    return Page([QueueItem(TargetKind.IDEA, idea, idea) for idea in ideas], page, per_page, total)


def reported(commune_id: int, page: int = 1, per_page: int = 20) -> Page:
    """Items with open reports (hidden pending review first), with counts per reason; never who reported."""
    page, per_page = _page_args(page, per_page)
    open_ = (Report.commune_id == commune_id, Report.resolved_at.is_(None))
    groups = (
        select(Report.target_kind, Report.target_id, func.count().label("n"))
        .where(*open_).group_by(Report.target_kind, Report.target_id)
    )
    total = db.session.scalar(select(func.count()).select_from(groups.subquery())) or 0
    rows = db.session.execute(
        groups.order_by(func.count().desc(), func.min(Report.created_at), Report.target_kind, Report.target_id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    keys = [(r.target_kind, r.target_id) for r in rows]
    reasons: dict[tuple[str, int], list[tuple[str, int]]] = {k: [] for k in keys}
    if keys:
        for kind, target_id, reason, n in db.session.execute(
            select(Report.target_kind, Report.target_id, Report.reason, func.count())
            .where(*open_, tuple_(Report.target_kind, Report.target_id).in_(keys))
            .group_by(Report.target_kind, Report.target_id, Report.reason)
            .order_by(func.count().desc(), Report.reason)
        ):
            reasons[(kind, target_id)].append((reason, n))
    ideas = {i.id: i for i in db.session.scalars(
        select(Idea).where(Idea.id.in_([t for k, t in keys if k == TargetKind.IDEA])))}
    comments = {c.id: c for c in db.session.scalars(
        select(Comment).where(Comment.id.in_([t for k, t in keys if k == TargetKind.COMMENT])))}
    parent_ids = {c.idea_id for c in comments.values()} - set(ideas)
    parents = {i.id: i for i in db.session.scalars(select(Idea).where(Idea.id.in_(parent_ids)))} if parent_ids else {}
    parents.update(ideas)
    items = []
    for row in rows:
        target = (ideas if row.target_kind == TargetKind.IDEA else comments).get(row.target_id)
        if target is None:  # the item was deleted since
            continue
        idea = target if isinstance(target, Idea) else parents[target.idea_id]
        items.append(QueueItem(row.target_kind, target, idea, row.n, reasons[(row.target_kind, row.target_id)]))
    return Page(items, page, per_page, total)


def queue_item(commune_id: int, kind: str, target_id: int) -> QueueItem:
    """One item as the queue shows it (after a decision, for the htmx fragment)."""
    target, idea = load_target(commune_id, kind, target_id)
    reasons = list(db.session.execute(
        select(Report.reason, func.count()).where(
            Report.target_kind == kind, Report.target_id == target.id, Report.resolved_at.is_(None))
        .group_by(Report.reason).order_by(func.count().desc(), Report.reason)
    ).all())
    return QueueItem(kind, target, idea, sum(n for _, n in reasons), reasons)


def queue_counts(commune_id: int) -> tuple[int, int]:
    """(ideas awaiting a first look, items with open reports) — for the admin dashboard."""
    waiting = awaiting_review(commune_id, 1, 1).total
    reported_total = db.session.scalar(select(func.count()).select_from(
        select(Report.target_kind, Report.target_id)
        .where(Report.commune_id == commune_id, Report.resolved_at.is_(None))
        .group_by(Report.target_kind, Report.target_id).subquery())) or 0
    return waiting, reported_total
