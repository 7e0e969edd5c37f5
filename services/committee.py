"""The members of a plan's committee: appointing them (commune admins), the one chair, removing
a member, and looking up a person's seat.

A seat (CommitteeMember) needs the `committee` role in the commune: appointing someone who does
not hold it grants it (and tells them, as the admin's roles screen does). Every change is written
to the hash-chained audit log in the caller's transaction. Services flush, never commit.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, select

from extensions import db
from models import CommitteeMember, MemberKind, Membership, Plan, Role, RoundStatus, ScoringRound, User
from services import audit, notifications
from services.communes import find_account
from services.text import check_text
from services.errors import Conflict, NotFound, ServiceError

ORGANISATION_MAX = 200
MEMBER_KINDS = tuple(k.value for k in MemberKind)


# --- reading -------------------------------------------------------------------------------------

def members(plan: Plan) -> list[CommitteeMember]:
    """The plan's committee: the chair first, then commune, UNDP and observers, each by name."""
    kind_order = case({k.value: i for i, k in enumerate(MemberKind)}, value=CommitteeMember.kind, else_=99)
    return list(db.session.scalars(
        select(CommitteeMember).join(User, User.id == CommitteeMember.user_id)
        .where(CommitteeMember.plan_id == plan.id)
        .order_by(CommitteeMember.is_chair.desc(), kind_order, User.display_name, CommitteeMember.id)
    ))


def get_member(plan: Plan, member_id: int) -> CommitteeMember:
    member = db.session.get(CommitteeMember, member_id)
    if member is None or member.plan_id != plan.id:
        raise NotFound(_l("This member is not on the committee of this plan."))
    return member


def seat(plan: Plan, user_id: int) -> CommitteeMember | None:
    """The person's seat on the plan's committee, whatever their roles (services.access checks roles)."""
    return db.session.scalar(
        select(CommitteeMember).where(CommitteeMember.plan_id == plan.id, CommitteeMember.user_id == user_id))


def chair(plan: Plan) -> CommitteeMember | None:
    return db.session.scalar(
        select(CommitteeMember).where(CommitteeMember.plan_id == plan.id, CommitteeMember.is_chair.is_(True)))


def round_open(plan: Plan) -> bool:
    return bool(db.session.scalar(select(exists().where(
        ScoringRound.plan_id == plan.id, ScoringRound.status == RoundStatus.OPEN))))


# --- changes -------------------------------------------------------------------------------------

def _check_kind(kind: str | None) -> str:
    if kind not in MEMBER_KINDS:
        raise ServiceError(_l("Choose the kind of member from the list."), field="kind")
    return kind


def appoint(actor: User, plan: Plan, identifier: str, kind: str, organisation: str | None = None) -> CommitteeMember:
    """Give a seat to the account with this e-mail or phone (normalised as at sign-in).

    Every input is checked before anything changes.
    """
    kind = _check_kind(kind)
    organisation = check_text(organisation, "organisation", max_length=ORGANISATION_MAX, required=False)
    user = find_account(identifier)
    if seat(plan, user.id) is not None:
        raise Conflict(_l("This person is already a member of the committee."), field="identifier")
    role_added = Role.COMMITTEE not in user.roles_in(plan.commune_id)
    if role_added:
        db.session.add(Membership(user_id=user.id, commune_id=plan.commune_id, role=Role.COMMITTEE))
    member = CommitteeMember(plan_id=plan.id, user_id=user.id, kind=kind, is_chair=False, organisation=organisation)
    db.session.add(member)
    db.session.flush()
    if role_added:
        db.session.expire(user, ["memberships"])
        audit.record("role.grant", actor_id=actor.id, commune_id=plan.commune_id, target_kind="user",
                     target_id=user.id, details={"role": Role.COMMITTEE.value, "via": "committee"})
        notifications.notify(user.id, "role_granted", commune_id=plan.commune_id, role=Role.COMMITTEE.value)
    audit.record("committee.member_appointed", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="committee_member", target_id=member.id,
                 details={"plan": plan.id, "user": user.id, "kind": kind, "organisation": organisation,
                          "role_added": role_added})
    return member


def make_chair(actor: User, plan: Plan, member_id: int) -> CommitteeMember:
    """Make this member the chair; the previous chair (if any) stops being chair."""
    member = get_member(plan, member_id)
    if member.kind == MemberKind.OBSERVER:
        raise Conflict(_l("An observer cannot chair the committee: observers read, they do not score."))
    if member.is_chair:
        raise Conflict(_l("This member is already the chair."))
    previous = chair(plan)
    if previous is not None:
        previous.is_chair = False
        db.session.flush()  # one chair at a time, even in between
    member.is_chair = True
    db.session.flush()
    audit.record("committee.chair_set", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="committee_member", target_id=member.id,
                 details={"plan": plan.id, "user": member.user_id,
                          "previous_user": previous.user_id if previous else None})
    return member


def remove(actor: User, plan: Plan, member_id: int) -> None:
    """Take a seat away. Refused while a scoring round of the plan is open; the scores and
    recusals the person gave stay (they belong to the rounds' records). Their `committee`
    role stays too: an admin removes it on the roles screen."""
    member = get_member(plan, member_id)
    if round_open(plan):
        raise Conflict(_l("A scoring round is open: members cannot be removed until it closes."))
    details = {"plan": plan.id, "user": member.user_id, "kind": member.kind, "was_chair": member.is_chair}
    db.session.delete(member)
    db.session.flush()
    audit.record("committee.member_removed", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="committee_member", target_id=member_id, details=details)
