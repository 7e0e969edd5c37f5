"""Associations: profile requests, verification by a commune admin, and their representatives.

A request is pending until an admin verifies it; verifying grants the association
role in the commune to its representatives. Admin decisions are audited and the
representatives are told in-app.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import ActivityField, Association, AssociationRepresentative, Membership, Presence, Role, User
from models._base import utcnow
from services import access, accounts, audit, notifications
from services.communes import check_text, find_account
from services.errors import Conflict, NotAllowed, NotFound, ServiceError

NAME_MAX = 200
RECEIPT_MAX = 60
ADDRESS_MAX = 300
DESCRIPTION_MAX = 2000
REASON_MAX = 500
_NOT_FOUND = _l("This association does not exist.")


@dataclass(frozen=True)
class ProfileData:
    name: str | None
    receipt_number: str | None
    founded_on: date | None
    presence: str | None
    address: str | None
    field: str | None
    contact_email: str | None = None
    contact_phone: str | None = None
    description: str | None = None


def _check_profile(data: ProfileData, today: date) -> dict:
    values = {
        "name": check_text(data.name, "name", max_length=NAME_MAX,
                           required_message=_l("Enter the association's name.")),
        "receipt_number": check_text(data.receipt_number, "receipt_number", max_length=RECEIPT_MAX,
                                     required_message=_l("Enter the number of the registration receipt.")),
    }
    if data.founded_on is None:
        raise ServiceError(_l("Enter the founding date."), field="founded_on")
    if data.founded_on > today:
        raise ServiceError(_l("The founding date cannot be in the future."), field="founded_on")
    values["founded_on"] = data.founded_on
    if data.presence not in [p.value for p in Presence]:
        raise ServiceError(_l("Choose whether the association has its seat or a branch in the commune."),
                           field="presence")
    values["presence"] = data.presence
    values["address"] = check_text(data.address, "address", max_length=ADDRESS_MAX,
                                   required_message=_l("Enter the address in the commune."))
    if data.field not in [f.value for f in ActivityField]:
        raise ServiceError(_l("Choose the field of activity."), field="field")
    values["field"] = data.field
    email = (data.contact_email or "").strip() or None
    phone = (data.contact_phone or "").strip() or None
    if email is None and phone is None:
        raise ServiceError(_l("Give a contact e-mail address or phone number (or both)."), field="contact_email")
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise ServiceError(_l("Enter a valid e-mail address."), field="contact_email") from None
        if len(email) > 254:
            raise ServiceError(_l("Enter a valid e-mail address."), field="contact_email")
    if phone is not None:
        phone = accounts.normalize_phone(phone)
        if phone is None:
            raise ServiceError(_l("Enter a valid phone number, e.g. 0539 00 00 00."), field="contact_phone")
    values["contact_email"], values["contact_phone"] = email, phone
    values["description"] = check_text(data.description, "description", max_length=DESCRIPTION_MAX, required=False)
    return values


def request_profile(user: User, commune_id: int, data: ProfileData, *, today: date) -> Association:
    """Record a pending association profile with the requester as its first representative."""
    values = _check_profile(data, today)
    association = Association(commune_id=commune_id, created_by_id=user.id, **values)
    try:
        with db.session.begin_nested():
            db.session.add(association)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("An association with this receipt number is already registered in this commune."),
                       field="receipt_number") from None
    db.session.add(AssociationRepresentative(association_id=association.id, user_id=user.id))
    db.session.flush()
    return association


# --- reading -------------------------------------------------------------------------------------

def is_representative(user: User | None, association: Association) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(AssociationRepresentative.id).where(
        AssociationRepresentative.association_id == association.id,
        AssociationRepresentative.user_id == user.id)) is not None


def visible_to(user: User | None, commune_id: int, association_id: int) -> Association:
    """A verified association of this commune; a pending or rejected one only to its representatives and admins."""
    association = db.session.get(Association, association_id)
    if association is None or association.commune_id != commune_id:
        raise NotFound(_NOT_FOUND)
    if association.is_verified:
        return association
    if access.can(user, "admin.manage", commune_id) or is_representative(user, association):
        return association
    raise NotFound(_NOT_FOUND)


def verified(commune_id: int):
    return (select(Association)
            .where(Association.commune_id == commune_id, Association.verified_at.is_not(None))
            .order_by(Association.name, Association.id))


def pending(commune_id: int) -> list[Association]:
    return list(db.session.scalars(
        select(Association).where(Association.commune_id == commune_id, Association.verified_at.is_(None),
                                  Association.rejected_reason.is_(None))
        .order_by(Association.created_at, Association.id)))


def pending_count(commune_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Association).where(
        Association.commune_id == commune_id, Association.verified_at.is_(None),
        Association.rejected_reason.is_(None))) or 0


def representative_ids(association_id: int) -> list[int]:
    return list(db.session.scalars(select(AssociationRepresentative.user_id).where(
        AssociationRepresentative.association_id == association_id).order_by(AssociationRepresentative.id)))


def representatives(association_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(AssociationRepresentative, AssociationRepresentative.user_id == User.id)
        .where(AssociationRepresentative.association_id == association_id).order_by(AssociationRepresentative.id)))


# --- admin decisions -----------------------------------------------------------------------------

def _pending_one(commune_id: int, association_id: int) -> Association:
    association = db.session.get(Association, association_id)
    if association is None or association.commune_id != commune_id:
        raise NotFound(_NOT_FOUND)
    if association.is_verified:
        raise Conflict(_l("This association is already verified."))
    if association.rejected_reason is not None:
        raise Conflict(_l("This request was already rejected."))
    return association


def _grant_association_role(user_id: int, commune_id: int) -> None:
    exists = db.session.scalar(select(Membership.id).where(
        Membership.user_id == user_id, Membership.commune_id == commune_id, Membership.role == Role.ASSOCIATION))
    if exists is None:
        db.session.add(Membership(user_id=user_id, commune_id=commune_id, role=Role.ASSOCIATION))
        db.session.flush()
        user = db.session.get(User, user_id)
        if user is not None:
            db.session.expire(user, ["memberships"])


def verify(actor: User, commune_id: int, association_id: int) -> Association:
    association = _pending_one(commune_id, association_id)
    association.verified_at, association.verified_by_id = utcnow(), actor.id
    reps = representative_ids(association.id)
    for user_id in reps:
        _grant_association_role(user_id, commune_id)
    db.session.flush()
    audit.record("association.verify", actor_id=actor.id, commune_id=commune_id, target_kind="association",
                 target_id=association.id, details={"representatives": reps})
    for user_id in reps:
        notifications.notify(user_id, "association_verified", commune_id=commune_id,
                             association_id=association.id, name=association.name)
    return association


def reject(actor: User, commune_id: int, association_id: int, reason: str | None) -> Association:
    reason = check_text(reason, "reason", max_length=REASON_MAX,
                        required_message=_l("Give a reason: it is sent to the association's representatives."))
    association = _pending_one(commune_id, association_id)
    association.rejected_reason = reason
    db.session.flush()
    audit.record("association.reject", actor_id=actor.id, commune_id=commune_id, target_kind="association",
                 target_id=association.id, details={"reason": reason})
    for user_id in representative_ids(association.id):
        notifications.notify(user_id, "association_rejected", commune_id=commune_id,
                             association_id=association.id, name=association.name, reason=reason)
    return association


# --- representatives -----------------------------------------------------------------------------

def add_representative(actor: User, commune_id: int, association_id: int, identifier: str) -> User:
    """A representative of a verified association names another one (found by e-mail or phone)."""
    association = db.session.get(Association, association_id)
    if association is None or association.commune_id != commune_id:
        raise NotFound(_NOT_FOUND)
    if not access.can_act_for(actor, association):
        raise NotAllowed(_l("Only a representative of this verified association can add representatives."))
    user = find_account(identifier)
    try:
        with db.session.begin_nested():
            db.session.add(AssociationRepresentative(association_id=association.id, user_id=user.id))
    except IntegrityError:
        raise Conflict(_l("This person already represents the association."), field="identifier") from None
    _grant_association_role(user.id, commune_id)
    audit.record("association.representative_add", actor_id=actor.id, commune_id=commune_id,
                 target_kind="association", target_id=association.id, details={"user": user.id})
    notifications.notify(user.id, "association_representative_added", commune_id=commune_id,
                         association_id=association.id, name=association.name)
    return user
