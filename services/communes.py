"""Commune administration: strategic axes, neighbourhoods, the plan's phases and support limit, staff roles.

Every change here is an admin action: it is written to the hash-chained audit log
(services.audit) in the same transaction. Services flush, never commit.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import Axis, Membership, Neighbourhood, Phase, PhaseKind, Plan, Role, User
from services import accounts, audit, notifications
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from services.text import check_text

NAME_MAX = 200
SUPPORT_LIMIT_MAX = 1000
# Roles an admin grants and revokes here. Resident and association roles come from
# registration and from verifying an association, never from this screen.
GRANTABLE_ROLES = (Role.MODERATOR, Role.COMMITTEE, Role.ADMIN, Role.BUREAU, Role.EQUALITY)

# The two lists of official names an admin manages, by URL name.
ENTRY_MODELS: dict[str, type[Axis] | type[Neighbourhood]] = {"axes": Axis, "neighbourhoods": Neighbourhood}
_AUDIT_NAMES = {"axes": "axis", "neighbourhoods": "neighbourhood"}

# --- Tifinagh ------------------------------------------------------------------------------------

def is_tifinagh_letter(ch: str) -> bool:
    return "\u2d30" <= ch <= "\u2d7f"


def tifinagh_problem(text: str) -> bool:
    """True if `text` is not Tifinagh: letters must be U+2D30–U+2D7F; spaces, punctuation and
    digits are allowed between them; at least one Tifinagh letter is needed."""
    has_letter = False
    for ch in text:
        if is_tifinagh_letter(ch):
            has_letter = True
        elif ch in "0123456789" or unicodedata.category(ch)[0] in ("P", "Z"):
            continue
        else:
            return True
    return not has_letter


@dataclass(frozen=True)
class Names:
    ar: str
    fr: str
    zgh: str


def check_names(ar: str | None, fr: str | None, zgh: str | None) -> Names:
    """The three official names, all required; the Amazigh one in Tifinagh letters."""
    ar_ = check_text(ar, "name_ar", max_length=NAME_MAX, required_message=_l("Enter the name in Arabic."))
    fr_ = check_text(fr, "name_fr", max_length=NAME_MAX, required_message=_l("Enter the name in French."))
    zgh_ = check_text(zgh, "name_zgh", max_length=NAME_MAX,
                      required_message=_l("Enter the name in Amazigh (Tifinagh)."))
    if tifinagh_problem(zgh_):
        raise ServiceError(
            _l("Write the Amazigh name in Tifinagh letters (ⴰ ⴱ ⴳ …); spaces, digits and punctuation are allowed."),
            field="name_zgh",
        )
    return Names(ar_, fr_, zgh_)


# --- axes and neighbourhoods -----------------------------------------------------------------------

def _model(kind: str):
    try:
        return ENTRY_MODELS[kind]
    except KeyError:
        raise NotFound(_l("This page does not exist.")) from None


def list_entries(commune_id: int, kind: str) -> list:
    model = _model(kind)
    return list(db.session.scalars(
        select(model).where(model.commune_id == commune_id).order_by(model.active.desc(), model.position, model.id)
    ))


def get_entry(commune_id: int, kind: str, entry_id: int):
    model = _model(kind)
    entry = db.session.get(model, entry_id)
    if entry is None or entry.commune_id != commune_id:
        raise NotFound(_l("This page does not exist."))
    return entry


def create_entry(actor: User, commune_id: int, kind: str, *, name_ar, name_fr, name_zgh):
    model = _model(kind)
    names = check_names(name_ar, name_fr, name_zgh)
    position = db.session.scalar(
        select(func.coalesce(func.max(model.position), -1) + 1).where(model.commune_id == commune_id))
    entry = model(commune_id=commune_id, position=position, name_ar=names.ar, name_fr=names.fr, name_zgh=names.zgh)
    db.session.add(entry)
    db.session.flush()
    audit.record(f"{_AUDIT_NAMES[kind]}.create", actor_id=actor.id, commune_id=commune_id,
                 target_kind=_AUDIT_NAMES[kind], target_id=entry.id,
                 details={"name_ar": names.ar, "name_fr": names.fr, "name_zgh": names.zgh})
    return entry


def update_entry(actor: User, commune_id: int, kind: str, entry_id: int, *, name_ar, name_fr, name_zgh):
    entry = get_entry(commune_id, kind, entry_id)
    names = check_names(name_ar, name_fr, name_zgh)
    before = {"name_ar": entry.name_ar, "name_fr": entry.name_fr, "name_zgh": entry.name_zgh}
    entry.name_ar, entry.name_fr, entry.name_zgh = names.ar, names.fr, names.zgh
    db.session.flush()
    audit.record(f"{_AUDIT_NAMES[kind]}.update", actor_id=actor.id, commune_id=commune_id,
                 target_kind=_AUDIT_NAMES[kind], target_id=entry.id,
                 details={"before": before, "after": {"name_ar": names.ar, "name_fr": names.fr, "name_zgh": names.zgh}})
    return entry


def set_entry_active(actor: User, commune_id: int, kind: str, entry_id: int, active: bool):
    """Deactivate (or reactivate). Entries are never deleted: existing ideas keep pointing at them."""
    entry = get_entry(commune_id, kind, entry_id)
    if entry.active == active:
        raise Conflict(_l("Nothing to change: it is already active.") if active
                       else _l("Nothing to change: it is already inactive."))
    entry.active = active
    db.session.flush()
    audit.record(f"{_AUDIT_NAMES[kind]}.{'activate' if active else 'deactivate'}", actor_id=actor.id,
                 commune_id=commune_id, target_kind=_AUDIT_NAMES[kind], target_id=entry.id)
    return entry


# --- the plan: phases and support limit -----------------------------------------------------------

PHASE_ORDER = tuple(PhaseKind)


def update_plan(
    actor: User,
    plan: Plan,
    *,
    phase_dates: dict[str, tuple[date | None, date | None]],
    support_limit: int | None,
) -> Plan:
    """Set each phase's dates (both empty: the phase is not scheduled) and the support limit.

    All checks run before anything changes, so a refused form leaves the plan as it was.
    Lowering the limit below what someone already used keeps their supports; they
    simply cannot add more until they are under it.
    """
    for kind in phase_dates:
        if kind not in PHASE_ORDER:
            raise ServiceError(_l("Unknown phase."), field="phases")
    for kind, (start, end) in phase_dates.items():
        if (start is None) != (end is None):
            missing = "start" if start is None else "end"
            raise ServiceError(_l("Give both the start and the end date, or neither."), field=f"{kind}_{missing}")
        if start is not None and start > end:
            raise ServiceError(_l("The end date must be on or after the start date."), field=f"{kind}_end")
    if support_limit is not None and not (1 <= support_limit <= SUPPORT_LIMIT_MAX):
        raise ServiceError(_l("Enter a whole number from 1 to %(n)d, or leave empty for no limit.",
                              n=SUPPORT_LIMIT_MAX), field="support_limit")

    existing = {p.kind: p for p in plan.phases}
    changes: dict[str, object] = {}
    for kind, (start, end) in phase_dates.items():
        phase = existing.get(kind)
        if start is None:
            if phase is not None:
                plan.phases.remove(phase)
                changes[kind] = None
            continue
        if phase is None:
            plan.phases.append(Phase(kind=kind, starts_on=start, ends_on=end))
            changes[kind] = [start.isoformat(), end.isoformat()]
        elif (phase.starts_on, phase.ends_on) != (start, end):
            phase.starts_on, phase.ends_on = start, end
            changes[kind] = [start.isoformat(), end.isoformat()]
    if plan.support_limit != support_limit:
        changes["support_limit"] = support_limit
        plan.support_limit = support_limit
    db.session.flush()
    if changes:
        audit.record("plan.update", actor_id=actor.id, commune_id=plan.commune_id, target_kind="plan",
                     target_id=plan.id, details=changes)
    return plan


# --- roles ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StaffMember:
    user: User
    roles: tuple[str, ...]


def staff(commune_id: int) -> list[StaffMember]:
    rows = db.session.execute(
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.commune_id == commune_id, Membership.role.in_([r.value for r in GRANTABLE_ROLES]))
        .order_by(User.display_name, User.id)
    ).all()
    people: dict[int, tuple[User, list[str]]] = {}
    for user, role in rows:
        people.setdefault(user.id, (user, []))[1].append(role)
    order = {r.value: i for i, r in enumerate(GRANTABLE_ROLES)}
    return [StaffMember(u, tuple(sorted(rs, key=order.get))) for u, rs in people.values()]


def find_account(identifier: str) -> User:
    """The account with this e-mail or phone (admins may learn whether it exists)."""
    try:
        kind, value = accounts.parse_identifier(identifier)
    except ServiceError as exc:
        raise ServiceError(exc.message, field="identifier") from None
    column = User.email if kind == "email" else User.phone
    user = db.session.scalar(select(User).where(column == value))
    if user is None or user.deleted_at is not None:
        raise ServiceError(_l("No account uses this e-mail address or phone number."), field="identifier")
    return user


def _check_role(role: str) -> str:
    if role not in [r.value for r in GRANTABLE_ROLES]:
        raise ServiceError(_l("Choose a role from the list."), field="role")
    return role


def grant_role(actor: User, commune_id: int, identifier: str, role: str) -> User:
    role = _check_role(role)
    user = find_account(identifier)
    existing = db.session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.commune_id == commune_id, Membership.role == role))
    if existing is not None:
        raise Conflict(_l("This person already has this role."), field="role")
    db.session.add(Membership(user_id=user.id, commune_id=commune_id, role=role))
    db.session.flush()
    db.session.expire(user, ["memberships"])
    audit.record("role.grant", actor_id=actor.id, commune_id=commune_id, target_kind="user", target_id=user.id,
                 details={"role": role})
    notifications.notify(user.id, "role_granted", commune_id=commune_id, role=role)
    return user


def revoke_role(actor: User, commune_id: int, user_id: int, role: str) -> User:
    if role not in [r.value for r in GRANTABLE_ROLES]:
        raise NotFound(_l("This page does not exist."))
    if user_id == actor.id and role == Role.ADMIN:
        raise NotAllowed(_l("You cannot remove your own administrator role. Ask another administrator."))
    membership = db.session.scalar(select(Membership).where(
        Membership.user_id == user_id, Membership.commune_id == commune_id, Membership.role == role))
    if membership is None:
        raise NotFound(_l("This person does not have this role."))
    user = membership.user
    db.session.delete(membership)
    db.session.flush()
    db.session.expire(user, ["memberships"])
    audit.record("role.revoke", actor_id=actor.id, commune_id=commune_id, target_kind="user", target_id=user_id,
                 details={"role": role})
    notifications.notify(user_id, "role_revoked", commune_id=commune_id, role=role)
    return user
