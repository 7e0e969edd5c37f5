"""The one place that decides who may do what.

Every view declares either that it is public or which action it performs
(blueprints/_access.py); the app refuses any view that declares nothing.
Actions map to the roles that may take them *in the commune concerned*.
Object rules (editing one's own idea, acting for one's association) live here too.
"""
from __future__ import annotations

from models import Association, AssociationRepresentative, Idea, IdeaStatus, Role, User
from extensions import db
from sqlalchemy import select

R, A, M, C, AD = Role.RESIDENT, Role.ASSOCIATION, Role.MODERATOR, Role.COMMITTEE, Role.ADMIN

# action -> roles (in the commune of the URL) that may take it.
POLICY: dict[str, frozenset[str]] = {
    # a person's own space: any signed-in person (checked by `login` below)
    "idea.propose": frozenset({R, A}),
    "idea.edit_own": frozenset({R, A}),
    "idea.support": frozenset({R}),
    "idea.support_as_association": frozenset({A}),
    "comment.post": frozenset({R, A}),
    "report.create": frozenset({R, A, M, C, AD}),
    "association.request": frozenset({R, A}),
    # adding a representative; the object rule (can_act_for) is checked by the service
    "association.manage": frozenset({A}),
    "moderation.queue": frozenset({M, AD}),
    "moderation.decide": frozenset({M, AD}),
    "admin.manage": frozenset({AD}),
    "admin.audit": frozenset({AD}),
}

# Actions that only need a signed-in person, whatever their roles.
SIGNED_IN_ACTIONS = frozenset({"account.own", "commune.join"})


def roles_of(user: User | None, commune_id: int | None) -> frozenset[str]:
    if user is None or not getattr(user, "is_authenticated", False) or commune_id is None:
        return frozenset()
    return user.roles_in(commune_id)


def can(user: User | None, action: str, commune_id: int | None) -> bool:
    """Deny by default: unknown actions and anonymous people get False."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if action in SIGNED_IN_ACTIONS:
        return True
    allowed = POLICY.get(action)
    if allowed is None:
        return False
    return bool(roles_of(user, commune_id) & allowed)


def can_edit_idea(user: User | None, idea: Idea) -> bool:
    """Authors edit their idea until a moderator has looked at it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (
        idea.author_id == user.id
        and idea.reviewed_at is None
        and not idea.hidden
        and idea.status in (IdeaStatus.DRAFT, IdeaStatus.SUBMITTED)
    )


def represented_associations(user: User | None, commune_id: int) -> list[Association]:
    """Verified associations of this commune that the person may act for."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if Role.ASSOCIATION not in roles_of(user, commune_id):
        return []
    return list(db.session.scalars(represented_associations_stmt(user.id, commune_id)))


def represented_associations_stmt(user_id: int, commune_id: int):
    """The select behind represented_associations (callers may add columns, e.g. a support flag).

    Callers must also check that the person holds the association role in the commune.
    """
    return (
        select(Association)
        .join(AssociationRepresentative)
        .where(
            AssociationRepresentative.user_id == user_id,
            Association.commune_id == commune_id,
            Association.verified_at.is_not(None),
        )
        .order_by(Association.name, Association.id)
    )


def can_act_for(user: User | None, association: Association | None) -> bool:
    if association is None or user is None:
        return False
    return any(a.id == association.id for a in represented_associations(user, association.commune_id))
