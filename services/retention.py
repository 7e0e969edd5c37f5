"""Retention periods (law 09-08: data is kept no longer than its purpose needs) and the purge
that `flask retention apply [--dry-run]` runs.

Every kind of data with a period is registered here (code, label, platform default, bounds,
purger); each commune may set its own period per kind (models.privacy.RetentionPeriod), in
whole months. A purger gets a `Periods` (the cutoff date per commune) and returns how many
rows it purged; it flushes and never commits. Areas add their own kinds with
`register(...)` (or services.personal_data.register_retention) when their module is imported.

Rows that belong to a person rather than to one commune (sessions, accounts) follow the
shortest period of the communes the person belongs to: a period is a maximum, so the shortest
one keeps every commune's promise.

The audit log is NOT purged: it is a hash chain (services/audit.py) whose verification walks
every entry from the first one, so removing old entries would break `flask audit verify`. It
holds no names, e-mails or phones (accounts appear by number only, and an erased account's
record is empty), so keeping it does not keep personal data in clear.

A few kinds have a FIXED period in days, the same everywhere (`register_fixed`): short-lived
security records such as used password reset links, which no commune needs to keep longer. Their
purger gets the cutoff date. The privacy page lists them with the others.

Purging is idempotent: a second run finds nothing more to purge. A dry run does the same work
inside a savepoint and rolls it back, so its counts are exactly what a real run would purge.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import (
    Association,
    AuditEntry,
    Comment,
    Commune,
    DepartedIdentity,
    Idea,
    Membership,
    Notification,
    Phase,
    Plan,
    ProjectIdea,
    RetentionPeriod,
    Role,
    Support,
    User,
    UserSession,
)
from models._base import utcnow
from services import audit
from services.errors import ServiceError


def months_before(when: datetime, months: int) -> datetime:
    """The same day `months` calendar months earlier (clamped at the month's end)."""
    total = when.year * 12 + (when.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class Kind:
    code: str
    label: object  # lazy translation
    default_months: int
    minimum: int
    maximum: int
    purge: Callable[["Periods"], int]
    hint: object | None = None


_KINDS: dict[str, Kind] = {}


def register(code: str, *, label, default_months: int, purge: Callable[["Periods"], int],
             minimum: int = 0, maximum: int = 240, hint=None) -> None:
    _KINDS[code] = Kind(code, label, default_months, minimum, maximum, purge, hint)


def kinds() -> list[Kind]:
    return list(_KINDS.values())


@dataclass(frozen=True)
class FixedKind:
    """A kind kept a fixed number of days, not set per commune."""

    code: str
    label: object  # lazy translation
    days: int
    purge: Callable[[datetime], int]  # the cutoff date -> rows purged


_FIXED: dict[str, FixedKind] = {}


def register_fixed(code: str, *, label, days: int, purge: Callable[[datetime], int]) -> None:
    _FIXED[code] = FixedKind(code, label, days, purge)


def fixed_kinds() -> list[FixedKind]:
    return list(_FIXED.values())


def months_of(commune_id: int) -> dict[str, int]:
    """Every registered kind's period in this commune (its own setting, else the default)."""
    stored = dict(db.session.execute(select(RetentionPeriod.kind, RetentionPeriod.months)
                                     .where(RetentionPeriod.commune_id == commune_id)).all())
    return {k.code: stored.get(k.code, k.default_months) for k in kinds()}


def check_months(values: dict[str, int | None]) -> dict[str, int]:
    """Every kind needs a whole number of months within its bounds; the first problem is raised."""
    checked = {}
    for kind in kinds():
        value = values.get(kind.code)
        field = f"retention_{kind.code}"
        if value is None:
            raise ServiceError(_l("Enter a number of months."), field=field)
        if not isinstance(value, int) or isinstance(value, bool) or not kind.minimum <= value <= kind.maximum:
            raise ServiceError(_l("Enter a whole number of months from %(min)d to %(max)d.",
                                  min=kind.minimum, max=kind.maximum), field=field)
        checked[kind.code] = value
    return checked


def save_months(commune_id: int, months: dict[str, int]) -> None:
    existing = {r.kind: r for r in db.session.scalars(
        select(RetentionPeriod).where(RetentionPeriod.commune_id == commune_id))}
    for code, value in months.items():
        row = existing.get(code)
        if row is None:
            db.session.add(RetentionPeriod(commune_id=commune_id, kind=code, months=value))
        else:
            row.months = value
    db.session.flush()


class Periods:
    """The cutoff (now minus the period) of one kind, per commune and for the platform."""

    def __init__(self, kind: Kind, now: datetime):
        self.kind = kind
        self.now = now
        stored = dict(db.session.execute(select(RetentionPeriod.commune_id, RetentionPeriod.months)
                                         .where(RetentionPeriod.kind == kind.code)).all())
        self.months = {cid: stored.get(cid, kind.default_months) for cid in db.session.scalars(select(Commune.id))}

    def cutoff(self, commune_id: int | None) -> datetime:
        return months_before(self.now, self.months.get(commune_id, self.kind.default_months))

    @property
    def shortest_cutoff(self) -> datetime:
        """For rows that belong to no commune any more: the shortest period of all."""
        return months_before(self.now, min(self.months.values(), default=self.kind.default_months))

    def groups(self) -> list[tuple[datetime, list[int]]]:
        """(cutoff, commune ids) for each distinct period, shortest period first."""
        by_months: dict[int, list[int]] = {}
        for cid, months in self.months.items():
            by_months.setdefault(months, []).append(cid)
        return [(months_before(self.now, m), sorted(ids)) for m, ids in sorted(by_months.items())]


@dataclass
class Purged:
    kind: Kind | FixedKind
    count: int


def apply(*, now: datetime | None = None, dry_run: bool = False) -> list[Purged]:
    """Purge every kind; on a dry run nothing is kept. The caller commits."""
    now = now or utcnow()
    results = []
    savepoint = db.session.begin_nested()
    try:
        for kind in kinds():
            results.append(Purged(kind, kind.purge(Periods(kind, now))))
        for fixed in fixed_kinds():
            results.append(Purged(fixed, fixed.purge(now - timedelta(days=fixed.days))))
    except Exception:
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
        db.session.expire_all()
        return results
    savepoint.commit()
    if any(r.count for r in results):
        audit.record("retention.apply", actor_id=None, commune_id=None,
                     details={r.kind.code: r.count for r in results if r.count})
    return results


# --- the purgers of the platform's own data ------------------------------------------------------

def _members_of(commune_ids):
    return select(Membership.user_id).where(Membership.commune_id.in_(commune_ids))


def purge_sessions(periods: Periods) -> int:
    """Sessions that ended (signed out, or expired long ago) before the cutoff."""
    ended = func.coalesce(UserSession.revoked_at, UserSession.last_seen_at)
    count = 0
    for cutoff, ids in periods.groups():
        count += db.session.execute(delete(UserSession).where(
            ended < cutoff, UserSession.user_id.in_(_members_of(ids)))).rowcount
    count += db.session.execute(delete(UserSession).where(
        ended < periods.shortest_cutoff, UserSession.user_id.not_in(select(Membership.user_id)))).rowcount
    return count


def purge_notifications(periods: Periods) -> int:
    """Notifications read before the cutoff (unread ones wait for their reader)."""
    count = 0
    for cutoff, ids in periods.groups():
        count += db.session.execute(delete(Notification).where(
            Notification.read_at < cutoff, Notification.commune_id.in_(ids))).rowcount
    count += db.session.execute(delete(Notification).where(
        Notification.read_at < periods.shortest_cutoff, Notification.commune_id.is_(None))).rowcount
    return count


PARTICIPANT_ROLES = (Role.RESIDENT, Role.ASSOCIATION)


def purge_inactive_accounts(periods: Periods) -> int:
    """People nobody saw sign in for longer than the period leave that commune (resident and
    association roles; staff roles are the admins' business); an account left in no commune is
    deleted as its owner would delete it (ideas and comments stay, "former resident")."""
    from services import personal_data

    last_seen = func.coalesce(User.last_login_at, User.created_at)
    touched: set[int] = set()
    for cutoff, ids in periods.groups():
        rows = db.session.execute(
            select(Membership.id, Membership.user_id).join(User, Membership.user_id == User.id).where(
                Membership.commune_id.in_(ids), Membership.role.in_(PARTICIPANT_ROLES),
                User.deleted_at.is_(None), last_seen < cutoff)).all()
        if rows:
            db.session.execute(delete(Membership).where(Membership.id.in_([r.id for r in rows])))
            touched.update(r.user_id for r in rows)
    # Accounts in no commune at all (left by this run, or long ago).
    lonely = select(User.id).where(User.deleted_at.is_(None), User.id.not_in(select(Membership.user_id)),
                                   or_(User.id.in_(touched or [-1]), last_seen < periods.shortest_cutoff))
    deleted: set[int] = set()
    for user in list(db.session.scalars(select(User).where(User.id.in_(lonely)))):
        db.session.refresh(user, ["memberships"])
        personal_data.erase(user, remove_content=False, by="retention")
        deleted.add(user.id)
    db.session.flush()
    return len(touched | deleted)  # people who left a commune or whose account was deleted


def purge_deleted_accounts(periods: Periods) -> int:
    """The empty record of an account deleted before the cutoff is removed, unless something that
    must stay still points at it (the audit log, committee scores): it holds nothing personal."""
    cutoff = periods.shortest_cutoff
    candidates = list(db.session.scalars(select(User).where(
        User.deleted_at.is_not(None), User.deleted_at < cutoff,
        User.id.not_in(select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None))))))
    count = 0
    for user in candidates:
        try:
            with db.session.begin_nested():
                db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
                db.session.execute(delete(Notification).where(Notification.user_id == user.id))
                db.session.execute(delete(User).where(User.id == user.id))
            count += 1
        except IntegrityError:
            continue  # still referenced: kept, empty
    db.session.expire_all()
    return count


def purge_former_content(periods: Periods) -> int:
    """Ideas and comments of deleted accounts (no author, not in an association's name) written
    before the cutoff: text erased, hidden. Ideas a project came from are kept (the programme's
    history cites them)."""
    from services.personal_data import _erase_comment, _erase_idea

    count = 0
    for cutoff, ids in periods.groups():
        comments = db.session.scalars(select(Comment).join(Idea, Comment.idea_id == Idea.id).where(
            Idea.commune_id.in_(ids), Comment.author_id.is_(None), Comment.association_id.is_(None),
            Comment.created_at < cutoff, Comment.body != ""))
        for comment in comments:
            _erase_comment(comment)
            count += 1
        ideas = db.session.scalars(select(Idea).where(
            Idea.commune_id.in_(ids), Idea.author_id.is_(None), Idea.association_id.is_(None),
            Idea.created_at < cutoff, Idea.title != "", Idea.id.not_in(select(ProjectIdea.idea_id))))
        for idea in ideas:
            _erase_idea(idea)
            count += 1
    db.session.flush()
    return count


def purge_support_links(periods: Periods) -> int:
    """Supports given before the cutoff, in plans whose support phase is over, are no longer
    linked to the person, nor to the fingerprint of a deleted account (they still count)."""
    today = periods.now.date()
    count = 0
    for cutoff, ids in periods.groups():
        open_plans = select(Phase.plan_id).where(Phase.kind == "support", Phase.ends_on >= today)
        plans = select(Plan.id).where(Plan.commune_id.in_(ids), Plan.id.not_in(open_plans))
        count += db.session.execute(update(Support).where(
            or_(Support.user_id.is_not(None), Support.departed_id.is_not(None)),
            Support.created_at < cutoff, Support.plan_id.in_(plans))
            .values(user_id=None, departed_id=None)).rowcount
    # The fingerprints of deleted accounts that no support points at any more go too.
    db.session.execute(delete(DepartedIdentity).where(
        DepartedIdentity.id.not_in(select(Support.departed_id).where(Support.departed_id.is_not(None)))))
    return count


def purge_association_requests(periods: Periods) -> int:
    """Association requests never verified (pending or rejected) made before the cutoff."""
    count = 0
    for cutoff, ids in periods.groups():
        for association in db.session.scalars(select(Association).where(
                Association.commune_id.in_(ids), Association.verified_at.is_(None),
                Association.created_at < cutoff)):
            try:
                with db.session.begin_nested():
                    db.session.delete(association)  # its representatives go with it
                    db.session.flush()
                count += 1
            except IntegrityError:
                continue
    return count


register("sessions", label=_l("Sign-in sessions that ended"), default_months=3, minimum=1, maximum=24,
         purge=purge_sessions)
register("notifications", label=_l("Notifications already read"), default_months=6, minimum=1, maximum=60,
         purge=purge_notifications)
register("inactive_accounts", label=_l("Accounts nobody signed in to"), default_months=36, minimum=12,
         maximum=120, purge=purge_inactive_accounts,
         hint=_l("The person leaves the commune; an account left in no commune is deleted."))
register("deleted_accounts", label=_l("Empty records of deleted accounts"), default_months=1, minimum=0,
         maximum=24, purge=purge_deleted_accounts)
register("former_content", label=_l("Ideas and comments of deleted accounts"), default_months=72, minimum=12,
         maximum=240, purge=purge_former_content,
         hint=_l("Counted from when they were written. Ideas a project came from are kept."))
register("support_links", label=_l("Link between a support and the person who gave it"), default_months=24,
         minimum=12, maximum=84, purge=purge_support_links,
         hint=_l("Only once the plan's support phase is over; the support still counts."))
register("association_requests", label=_l("Association requests never verified"), default_months=6, minimum=1,
         maximum=36, purge=purge_association_requests)
