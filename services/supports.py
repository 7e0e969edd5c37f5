"""Supports: one per person per idea, an optional per-plan limit, associations counted apart.

Safe under concurrency (SECURITY.md §3): the UNIQUE(user, idea) constraint
refuses duplicates whatever the timing; the per-plan limit is checked while the
person's row is locked (FOR UPDATE on PostgreSQL; on SQLite the transaction
began IMMEDIATE and holds the write lock). Counters move by UPDATE n = n ± 1
in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from extensions import db
from models import Association, AssociationSupport, Idea, Plan, Role, Support, User
from services import access, phases
from services.errors import Conflict, NotAllowed, NotFound


@dataclass(frozen=True)
class SupportState:
    """What the support button shows for one person and one idea."""

    supported: bool
    count: int
    association_count: int
    used: int
    limit: int | None

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def _public_idea(idea_id: int) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None or not idea.is_public:
        raise NotFound(_l("This idea does not exist or is no longer public."))
    return idea


def used_supports(user_id: int, plan_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Support).where(Support.user_id == user_id, Support.plan_id == plan_id)
    ) or 0


def state_columns(user_id: int):
    """Two correlated columns to add to a select of Idea: the person's supports used in the
    idea's plan, and whether they support this idea (so a page needs no extra statement)."""
    used = (
        select(func.count(Support.id))
        .where(Support.user_id == user_id, Support.plan_id == Idea.plan_id)
        .scalar_subquery()
        .label("support_used")
    )
    supported = (
        select(Support.id).where(Support.user_id == user_id, Support.idea_id == Idea.id).exists().label("supported")
    )
    return used, supported


def state(
    user: User | None, idea: Idea, plan: Plan | None = None, known: tuple[int, bool] | None = None
) -> SupportState:
    """The button's state. `known` = (used, supported) when already read with state_columns;
    otherwise one statement for a signed-in person (their supports in the plan)."""
    plan = plan if plan is not None else db.session.get(Plan, idea.plan_id)
    supported = False
    used = 0
    if user is not None and getattr(user, "is_authenticated", False):
        if known is None:
            row = db.session.execute(
                select(
                    func.count(Support.id),
                    func.coalesce(func.max(case((Support.idea_id == idea.id, 1), else_=0)), 0),
                ).where(Support.user_id == user.id, Support.plan_id == plan.id)
            ).one()
            known = (row[0], row[1])
        used, supported = int(known[0] or 0), bool(known[1])
    return SupportState(supported, idea.support_count, idea.association_support_count, used, plan.support_limit)


@dataclass(frozen=True)
class AssociationState:
    association: Association
    supported: bool


def association_states(user: User | None, idea: Idea) -> list[AssociationState]:
    """The associations this person represents and whether each supports the idea (one statement)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if Role.ASSOCIATION not in access.roles_of(user, idea.commune_id):
        return []
    stmt = (
        access.represented_associations_stmt(user.id, idea.commune_id)
        .outerjoin(
            AssociationSupport,
            and_(AssociationSupport.association_id == Association.id, AssociationSupport.idea_id == idea.id),
        )
        .add_columns(AssociationSupport.id)
    )
    return [AssociationState(a, support_id is not None) for a, support_id in db.session.execute(stmt)]


def support(user: User, idea_id: int) -> Idea:
    idea = _public_idea(idea_id)
    if not access.can(user, "idea.support", idea.commune_id):
        raise NotAllowed(_l("Only residents of this commune can support its ideas."))
    plan = db.session.get(Plan, idea.plan_id, options=[joinedload(Plan.phases)])  # phases checked next
    phases.require_open(plan, "support")
    # Serialise this person's supports so the limit check and the insert are one step.
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if plan.support_limit is not None and used_supports(user.id, plan.id) >= plan.support_limit:
        raise Conflict(
            _l("You have used all %(n)d of your supports for this plan. Withdraw one to support another idea.",
               n=plan.support_limit)
        )
    try:
        with db.session.begin_nested():
            db.session.add(Support(idea_id=idea.id, user_id=user.id, plan_id=plan.id))
    except IntegrityError:
        raise Conflict(_l("You already support this idea.")) from None
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(support_count=Idea.support_count + 1))
    db.session.refresh(idea)
    return idea


def withdraw(user: User, idea_id: int) -> Idea:
    idea = _public_idea(idea_id)
    plan = db.session.get(Plan, idea.plan_id, options=[joinedload(Plan.phases)])  # phases checked next
    phases.require_open(plan, "support")
    removed = db.session.execute(
        delete(Support).where(Support.user_id == user.id, Support.idea_id == idea.id)
    ).rowcount
    if not removed:
        raise Conflict(_l("You do not support this idea."))
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(support_count=Idea.support_count - 1))
    db.session.refresh(idea)
    return idea


def _association_for(user: User, association_id: int, idea: Idea) -> Association:
    association = db.session.get(Association, association_id)
    if association is None or association.commune_id != idea.commune_id or not access.can_act_for(user, association):
        raise NotAllowed(_l("You do not represent this association."))
    return association


def association_supports(idea_id: int, association_ids: list[int]) -> set[int]:
    if not association_ids:
        return set()
    return set(
        db.session.scalars(
            select(AssociationSupport.association_id).where(
                AssociationSupport.idea_id == idea_id, AssociationSupport.association_id.in_(association_ids)
            )
        )
    )


def support_as_association(user: User, idea_id: int, association_id: int) -> Idea:
    idea = _public_idea(idea_id)
    association = _association_for(user, association_id, idea)
    phases.require_open(db.session.get(Plan, idea.plan_id), "support")
    try:
        with db.session.begin_nested():
            db.session.add(AssociationSupport(idea_id=idea.id, association_id=association.id, by_user_id=user.id))
    except IntegrityError:
        raise Conflict(_l("Your association already supports this idea.")) from None
    db.session.execute(
        update(Idea).where(Idea.id == idea.id).values(association_support_count=Idea.association_support_count + 1)
    )
    db.session.refresh(idea)
    return idea


def withdraw_as_association(user: User, idea_id: int, association_id: int) -> Idea:
    idea = _public_idea(idea_id)
    association = _association_for(user, association_id, idea)
    phases.require_open(db.session.get(Plan, idea.plan_id), "support")
    removed = db.session.execute(
        delete(AssociationSupport).where(
            AssociationSupport.association_id == association.id, AssociationSupport.idea_id == idea.id
        )
    ).rowcount
    if not removed:
        raise Conflict(_l("Your association does not support this idea."))
    db.session.execute(
        update(Idea).where(Idea.id == idea.id).values(association_support_count=Idea.association_support_count - 1)
    )
    db.session.refresh(idea)
    return idea
