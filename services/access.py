"""The one place that decides who may do what.

Every view declares either that it is public or which action it performs
(blueprints/_access.py); the app refuses any view that declares nothing.
Actions map to the roles that may take them *in the commune concerned*.
Object rules (editing one's own idea, acting for one's association) live here too.
"""
from __future__ import annotations

from models import (
    Association,
    AssociationRepresentative,
    CommitteeMember,
    Idea,
    IdeaStatus,
    MemberKind,
    Plan,
    Role,
    User,
)
from extensions import db
from sqlalchemy import select

R, A, M, C, AD = Role.RESIDENT, Role.ASSOCIATION, Role.MODERATOR, Role.COMMITTEE, Role.ADMIN
B, EQ = Role.BUREAU, Role.EQUALITY

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
    # the plan's committee (object rules below: member of that plan's committee, chair, not observer)
    "committee.read": frozenset({C}),  # any member, observers included
    "committee.score": frozenset({C}),  # members who score (not observers)
    "committee.chair": frozenset({C}),  # the chair only
    "project.manage": frozenset({C}),  # members who score (not observers)
    "committee.appoint": frozenset({AD}),  # commune admins appoint members and the chair
    "criteria.manage": frozenset({C, AD}),  # the chair, or a commune admin
    "criteria.read": frozenset({C, AD}),  # seat holders (observers included) and commune admins
    "programme.manage": frozenset({C}),  # programme and support rounds: seat holders who score (can_score)
    "execution.update": frozenset({C, AD}),  # execution follow-up: seat holders who score (can_score), commune admins
    "programme.read": frozenset({C, AD}),  # programme versions: seat holders (observers too) and commune admins
    "programme.decide": frozenset({AD}),  # the council's decision and the governor's visa: commune admins
    "opinion.record": frozenset({C, AD}),  # equality body's opinion: observer seat (can_record_opinion), commune admins
    # petitions to the council (organic law 113-14, arts. 121-125)
    "petition.draft": frozenset({R, A}),  # residents draft and name an agent; associations file in their own name
    "petition.sign": frozenset({R}),  # residents who declare they meet the conditions
    "petition.file": frozenset({R, A}),  # the agent (object rule) or the association's representative
    "petition.decide": frozenset({B, AD}),  # the bureau: receipt, admissibility, referral, reasoned refusal
    "petition.oversee": frozenset({B, AD}),  # the list of files with their deadlines, overdue flagged
    # the equality body (IEECAG, art. 120)
    "equality.publish": frozenset({EQ}),  # formal, attributable opinions
    "equality.respond": frozenset({C, AD}),  # the committee's response (seat holders who score, or admins)
}

# Roles whose holders must pass a second factor (TOTP) before acting in that role.
SECOND_FACTOR_ROLES = frozenset({C, AD, B})

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


# --- the committee ---------------------------------------------------------------------------

def committee_member(user: User | None, plan: Plan | None) -> CommitteeMember | None:
    """The person's seat on the plan's committee, if they hold one and the committee role."""
    if user is None or plan is None or not getattr(user, "is_authenticated", False):
        return None
    if Role.COMMITTEE not in roles_of(user, plan.commune_id):
        return None
    return db.session.scalar(
        select(CommitteeMember).where(CommitteeMember.plan_id == plan.id, CommitteeMember.user_id == user.id)
    )


def can_read_committee(user: User | None, plan: Plan | None) -> bool:
    return committee_member(user, plan) is not None


def can_score(user: User | None, plan: Plan | None) -> bool:
    member = committee_member(user, plan)
    return member is not None and member.kind != MemberKind.OBSERVER


def is_chair(user: User | None, plan: Plan | None) -> bool:
    member = committee_member(user, plan)
    return member is not None and member.is_chair


def can_manage_criteria(user: User | None, plan: Plan | None) -> bool:
    if plan is None:
        return False
    return Role.ADMIN in roles_of(user, plan.commune_id) or is_chair(user, plan)


def can_read_criteria(user: User | None, plan: Plan | None) -> bool:
    """Seat holders (observers included) and the commune's admins, who manage the criteria."""
    if plan is None:
        return False
    return Role.ADMIN in roles_of(user, plan.commune_id) or can_read_committee(user, plan)


def can_update_execution(user: User | None, plan: Plan | None) -> bool:
    """Execution follow-up (reports, milestones): committee members who score, or the commune's admins."""
    if plan is None:
        return False
    return Role.ADMIN in roles_of(user, plan.commune_id) or can_score(user, plan)


def can_read_programme(user: User | None, plan: Plan | None) -> bool:
    """Programme versions: seat holders (observers included) and the commune's admins (who record
    the council's decision)."""
    if plan is None:
        return False
    return Role.ADMIN in roles_of(user, plan.commune_id) or can_read_committee(user, plan)


def can_decide_programme(user: User | None, plan: Plan | None) -> bool:
    """The council's decision and the governor's visa are recorded by the commune's admins."""
    return plan is not None and Role.ADMIN in roles_of(user, plan.commune_id)


def can_record_opinion(user: User | None, plan: Plan | None) -> bool:
    """The equality body's opinion: its observer on the committee, or the commune's admins."""
    if plan is None:
        return False
    member = committee_member(user, plan)
    return Role.ADMIN in roles_of(user, plan.commune_id) or (member is not None and member.kind == MemberKind.OBSERVER)


def can_respond_to_opinion(user: User | None, plan: Plan | None) -> bool:
    """The committee's response to an equality body's opinion: seat holders who score, or the commune's admins."""
    if plan is None:
        return False
    return Role.ADMIN in roles_of(user, plan.commune_id) or can_score(user, plan)


# --- petitions (organic law 113-14, arts. 121-125) ----------------------------------------------

def can_edit_petition(user: User | None, petition) -> bool:
    """The author changes, opens or withdraws their petition while it is a draft."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return petition.author_id == user.id and petition.state == "draft"


def can_file_petition(user: User | None, petition) -> bool:
    """The agent files a residents' petition; a representative files an association's."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if petition.association_id is not None:
        return can_act_for(user, petition.association)
    return petition.agent_id == user.id
