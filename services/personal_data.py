"""Personal data under law 09-08: the commune's privacy settings, "download my data" and
"delete my account", as a small registry every area plugs into.

    register_exporter(name, fn)   fn(user) -> JSON-able: what the area holds about the person;
                                  it becomes the top-level key `name` of the downloaded file.
    register_deleter(name, fn)    fn(user, remove_content: bool) -> None: unlink or erase the
                                  area's rows when the account is deleted (flush, never commit).
    register_retention(...)       a kind of data with a retention period and its purger
                                  (services/retention.py, `flask retention apply`).

Each area registers when its service module is imported (the app imports every blueprint,
so every service, before the first request). Deleters run in registration order; the account
itself is erased last, by `delete_account`.

Decisions (documented on the privacy page too):
- Ideas and comments stay, shown as by a "former resident" (author unlinked), unless the person
  asks to remove them: then their text is erased and they are hidden. Drafts and ideas that were
  not admitted were never public: they are always erased.
- Supports keep counting but are no longer linked to anyone (Support.user_id NULL).
- Committee scores, recusals and ranking overrides are the member's professional act inside a
  public procedure: they are exported, and on deletion they stay attached to the erased account
  record (no name, e-mail or phone left), so a closed round's ranking does not change. A seat
  with no such act is removed.
- The audit log is never edited (hash chain): its entries name accounts by number only.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update

from extensions import db
from models import (
    Association,
    AssociationRepresentative,
    AssociationSupport,
    AuditEntry,
    CommitteeMember,
    Comment,
    DepartedIdentity,
    Commune,
    Idea,
    IdeaStatus,
    Membership,
    Notification,
    Plan,
    PrivacySettings,
    RankingOverride,
    Recusal,
    Report,
    Role,
    Score,
    Support,
    User,
    UserSession,
)
from models._base import utcnow
from services import accounts, audit, text, totp
from services.errors import NotAllowed, ServiceError

FORMAT = "tasharuk-personal-data/1"

# Who may receive the data (the privacy page lists the ones a commune ticks). No third country.
RECIPIENTS = ("commune_services", "joint_committee", "council", "equality_body", "processor")
DEFAULT_RECIPIENTS = ("commune_services", "joint_committee", "council", "processor")

MAX_ADDRESS = 300
MAX_DPO_NAME = 120
MAX_TEXT = 3000
ERASED_NAME = "—"  # what an erased account is called wherever staff pages still show it


# --- the registry ----------------------------------------------------------------------------

Exporter = Callable[[User], Any]
Deleter = Callable[[User, bool], None]
_EXPORTERS: dict[str, Exporter] = {}
_DELETERS: dict[str, Deleter] = {}


def register_exporter(name: str, fn: Exporter) -> None:
    _EXPORTERS[name] = fn


def register_deleter(name: str, fn: Deleter) -> None:
    _DELETERS[name] = fn


def register_retention(code: str, **kwargs) -> None:
    """Shortcut for services.retention.register (see there)."""
    from services import retention

    retention.register(code, **kwargs)


def exporters() -> list[str]:
    return list(_EXPORTERS)


# --- download my data ------------------------------------------------------------------------

def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def export(user: User, *, now: datetime | None = None) -> dict:
    """Everything the platform holds about the person, as JSON-able data."""
    data: dict[str, Any] = {"format": FORMAT, "generated_at": _when(now or utcnow())}
    for name, fn in _EXPORTERS.items():
        data[name] = fn(user)
    return data


def export_json(user: User) -> str:
    return json.dumps(export(user), ensure_ascii=False, indent=2, sort_keys=False, default=str)


def _names(obj) -> dict | None:
    if obj is None:
        return None
    return {"ar": obj.name_ar, "fr": obj.name_fr, "zgh": obj.name_zgh}


def _slugs(ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(Commune.id, Commune.slug).where(Commune.id.in_(ids))).all())


def _export_account(user: User) -> dict:
    # The password hash and the second-factor secret are credentials, not information about
    # the person: they are never exported (one only says whether the second factor is on).
    return {
        "id": user.id,
        "display_name": user.display_name,
        "email": user.email,
        "phone": user.phone,
        "locale": user.locale,
        "created_at": _when(user.created_at),
        "consented_at": _when(user.consented_at),
        "last_login_at": _when(user.last_login_at),
        "second_factor": bool(user.totp_secret),
    }


def _export_memberships(user: User) -> list[dict]:
    rows = list(db.session.scalars(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id)))
    slugs = _slugs(m.commune_id for m in rows)
    return [{"commune": slugs.get(m.commune_id), "role": m.role, "since": _when(m.created_at)} for m in rows]


def _export_sessions(user: User) -> list[dict]:
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id))
    return [{"started_at": _when(s.created_at), "last_seen_at": _when(s.last_seen_at),
             "ended_at": _when(s.revoked_at), "second_factor_checked": s.second_factor_ok} for s in rows]


def _export_ideas(user: User) -> list[dict]:
    rows = list(db.session.scalars(select(Idea).where(Idea.author_id == user.id).order_by(Idea.id)))
    slugs = _slugs(i.commune_id for i in rows)
    return [{
        "id": i.id, "commune": slugs.get(i.commune_id), "title": i.title, "description": i.description,
        "axis": _names(i.axis), "neighbourhood": _names(i.neighbourhood), "location": i.location_text,
        "estimated_cost_mad": i.estimated_cost, "status": i.status, "hidden": i.hidden,
        "hidden_reason": i.hidden_reason, "review_note": i.review_note,
        "association": i.association.name if i.association else None,
        "created_at": _when(i.created_at), "submitted_at": _when(i.submitted_at), "updated_at": _when(i.updated_at),
        "supports": i.support_count, "comments": i.comment_count,
    } for i in rows]


def _export_comments(user: User) -> list[dict]:
    rows = db.session.execute(select(Comment, Idea.title).join(Idea, Comment.idea_id == Idea.id)
                              .where(Comment.author_id == user.id).order_by(Comment.id)).all()
    return [{
        "id": c.id, "idea_id": c.idea_id, "idea_title": title, "reply_to": c.parent_id, "stance": c.stance,
        "body": c.body, "association": c.association.name if c.association else None, "hidden": c.hidden,
        "created_at": _when(c.created_at),
    } for c, title in rows]


def _export_supports(user: User) -> list[dict]:
    # The person's own supports: shown to them alone, never to anybody else.
    rows = db.session.execute(select(Support, Idea.title).join(Idea, Support.idea_id == Idea.id)
                              .where(Support.user_id == user.id).order_by(Support.id)).all()
    return [{"idea_id": s.idea_id, "idea_title": title, "plan_id": s.plan_id, "given_at": _when(s.created_at)}
            for s, title in rows]


def _export_associations(user: User) -> dict:
    represented = db.session.execute(
        select(AssociationRepresentative, Association).join(Association)
        .where(AssociationRepresentative.user_id == user.id).order_by(Association.id)).all()
    requested = list(db.session.scalars(select(Association).where(Association.created_by_id == user.id)
                                        .order_by(Association.id)))
    given = db.session.execute(
        select(AssociationSupport, Association.name).join(Association)
        .where(AssociationSupport.by_user_id == user.id).order_by(AssociationSupport.id)).all()
    return {
        "represented": [{"association_id": a.id, "name": a.name, "since": _when(r.created_at)} for r, a in represented],
        "requested": [{"association_id": a.id, "name": a.name, "receipt_number": a.receipt_number,
                       "address": a.address, "contact_email": a.contact_email, "contact_phone": a.contact_phone,
                       "requested_at": _when(a.created_at), "verified": a.is_verified,
                       "rejected_reason": a.rejected_reason} for a in requested],
        "supports_given_in_their_name": [{"association": name, "idea_id": s.idea_id, "given_at": _when(s.created_at)}
                                         for s, name in given],
    }


def _export_reports(user: User) -> list[dict]:
    rows = db.session.scalars(select(Report).where(Report.reporter_id == user.id).order_by(Report.id))
    return [{"target": r.target_kind, "target_id": r.target_id, "reason": r.reason, "note": r.note,
             "created_at": _when(r.created_at), "resolved_at": _when(r.resolved_at)} for r in rows]


def _export_notifications(user: User) -> list[dict]:
    rows = db.session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    out = []
    for n in rows:
        try:
            params = json.loads(n.params or "{}")
        except ValueError:
            params = {}
        out.append({"kind": n.kind, "params": params, "created_at": _when(n.created_at), "read_at": _when(n.read_at)})
    return out


def _export_committee(user: User) -> dict:
    from models import Criterion, Project, ScoringRound

    seats = db.session.execute(select(CommitteeMember, Plan).join(Plan, CommitteeMember.plan_id == Plan.id)
                               .where(CommitteeMember.user_id == user.id).order_by(CommitteeMember.id)).all()
    scores = db.session.execute(
        select(Score, ScoringRound.name, Project.code, Criterion.code)
        .join(ScoringRound, Score.round_id == ScoringRound.id).join(Project, Score.project_id == Project.id)
        .join(Criterion, Score.criterion_id == Criterion.id)
        .where(Score.user_id == user.id).order_by(Score.id)).all()
    recusals = db.session.execute(
        select(Recusal, Project.code).join(Project, Recusal.project_id == Project.id)
        .where(Recusal.user_id == user.id).order_by(Recusal.id)).all()
    overrides = db.session.execute(
        select(RankingOverride, Project.code).join(Project, RankingOverride.project_id == Project.id)
        .where(RankingOverride.user_id == user.id).order_by(RankingOverride.id)).all()
    return {
        "seats": [{"plan": f"{p.start_year}-{p.end_year}", "kind": m.kind, "chair": m.is_chair,
                   "organisation": m.organisation, "since": _when(m.created_at)} for m, p in seats],
        "scores": [{"round": name, "project": code, "criterion": criterion, "value": s.value, "comment": s.comment,
                    "given_at": _when(s.created_at), "updated_at": _when(s.updated_at)}
                   for s, name, code, criterion in scores],
        "recusals": [{"round_id": r.round_id, "project": code, "reason": r.reason, "declared_at": _when(r.declared_at)}
                     for r, code in recusals],
        "ranking_overrides": [{"round_id": o.round_id, "project": code, "computed_rank": o.computed_rank,
                               "new_rank": o.new_rank, "justification": o.justification,
                               "created_at": _when(o.created_at)} for o, code in overrides],
    }


def _export_staff_actions(user: User) -> list[dict]:
    # What the audit log records the person did (its details may name other people: left out).
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.actor_id == user.id).order_by(AuditEntry.id))
    slugs: dict[int, str] = {}
    out = []
    for e in rows:
        if e.commune_id is not None and e.commune_id not in slugs:
            slugs.update(_slugs([e.commune_id]))
        out.append({"action": e.action, "at": _when(e.created_at), "commune": slugs.get(e.commune_id),
                    "target": e.target_kind, "target_id": e.target_id})
    return out


# --- delete my account ---------------------------------------------------------------------------

def last_admin_of(user: User) -> list[Commune]:
    """Communes where the person is the only administrator left (deleting would orphan them)."""
    mine = [m.commune_id for m in user.memberships if m.role == Role.ADMIN]
    orphaned = []
    for commune_id in mine:
        others = db.session.scalar(
            select(func.count()).select_from(Membership).join(User, Membership.user_id == User.id).where(
                Membership.commune_id == commune_id, Membership.role == Role.ADMIN, Membership.user_id != user.id,
                User.deleted_at.is_(None), User.active.is_(True)))
        if not others:
            orphaned.append(db.session.get(Commune, commune_id))
    return orphaned


def needs_code(user: User) -> bool:
    """Staff (and anyone who turned the second factor on) confirm with a code too."""
    return totp.required(user) or bool(user.totp_secret)


def check_deletion(user: User, *, password: str, code: str | None) -> None:
    """Refuse with a message next to the field, or return if the person may delete the account."""
    orphaned = last_admin_of(user)
    if orphaned:
        raise NotAllowed(_l("You are the last administrator of %(commune)s. Give the administrator role to "
                            "someone else first, then delete your account.", commune=orphaned[0].name))
    if not accounts.verify_password(user, password or ""):
        raise ServiceError(_l("Your password is not right."), field="password")
    if needs_code(user):
        if not user.totp_secret:
            raise NotAllowed(_l("Set up your second factor first (My account), then delete your account with a code."))
        if not code or not totp.is_well_formed(code):
            raise ServiceError(_l("Enter the 6-digit code from your authenticator app."), field="code")
        if not totp.verify(user, code):
            raise totp.InvalidCode()


def delete_account(user: User, *, password: str, code: str | None = None, remove_content: bool = False) -> None:
    """The person deletes their own account (password, and a code for staff)."""
    check_deletion(user, password=password, code=code)
    erase(user, remove_content=remove_content, by="owner")


def erase(user: User, *, remove_content: bool = False, by: str = "owner") -> None:
    """Unlink or erase everything about the person, then erase the account itself.

    `by` is "owner" or "retention" (an account inactive for longer than the retention period).
    The audit entry names the account by number only.
    """
    if user.deleted_at is not None:
        return
    user_id = user.id
    for fn in _DELETERS.values():
        fn(user, remove_content)
    user.email = None
    user.phone = None
    user.display_name = ERASED_NAME
    user.password_hash = "!erased"  # nosec B105 - not a hash: no password ever matches it
    user.locale = None
    user.totp_secret = None
    user.totp_last_step = None
    user.consented_at = None
    user.last_login_at = None
    user.active = False
    user.deleted_at = utcnow()
    db.session.flush()
    # No actor: an actor is a foreign key that would keep the empty account record forever
    # (services/retention.py removes it once nothing points at it); target_id is a plain number.
    audit.record("account.delete", actor_id=None, commune_id=None,
                 target_kind="user", target_id=user_id,
                 details={"by": by, "content_removed": bool(remove_content)})


def _erase_comment(comment: Comment) -> None:
    if not comment.hidden:  # visible comments are counted on their idea (services/moderation.py)
        stance = getattr(Idea, f"comments_{comment.stance}")
        db.session.execute(update(Idea).where(Idea.id == comment.idea_id).values(
            {Idea.comment_count: Idea.comment_count - 1, stance: stance - 1}))
    comment.body = ""
    comment.hidden = True
    comment.hidden_reason = None


def _erase_idea(idea: Idea) -> None:
    idea.title = ""
    idea.description = ""
    idea.location_text = None
    idea.search_text = ""
    idea.review_note = None
    idea.hidden = True
    idea.hidden_reason = None


def _delete_ideas(user: User, remove_content: bool) -> None:
    for idea in db.session.scalars(select(Idea).where(Idea.author_id == user.id)):
        never_public = idea.status in (IdeaStatus.DRAFT, IdeaStatus.REJECTED)
        if remove_content or never_public:
            _erase_idea(idea)
        idea.author_id = None
    db.session.flush()


def _delete_comments(user: User, remove_content: bool) -> None:
    for comment in db.session.scalars(select(Comment).where(Comment.author_id == user.id)):
        if remove_content:
            _erase_comment(comment)
        comment.author_id = None
    db.session.flush()


def _departed_identity(user: User) -> DepartedIdentity | None:
    """Where the supports of a deleted account point: keyed fingerprints of its e-mail and phone
    (services.accounts.identity_digest), so that registering again gives them back rather than
    letting the person support twice. None when the account has no support."""
    if db.session.scalar(select(Support.id).where(Support.user_id == user.id).limit(1)) is None:
        return None
    email = accounts.identity_digest("email", user.email)
    phone = accounts.identity_digest("phone", user.phone)
    conditions = [c for c in (DepartedIdentity.email_digest == email if email else None,
                              DepartedIdentity.phone_digest == phone if phone else None) if c is not None]
    departed = db.session.scalar(select(DepartedIdentity).where(or_(*conditions))) if conditions else None
    if departed is None:
        departed = DepartedIdentity(email_digest=email, phone_digest=phone)
        db.session.add(departed)
        db.session.flush()
    return departed


def _delete_supports(user: User, remove_content: bool) -> None:  # noqa: ARG001
    # Still counted (Idea.support_count does not move), no longer anyone's. UNIQUE(user_id, idea_id)
    # allows any number of NULLs on SQLite and PostgreSQL.
    departed = _departed_identity(user)
    db.session.execute(update(Support).where(Support.user_id == user.id)
                       .values(user_id=None, departed_id=departed.id if departed else None))
    db.session.execute(update(AssociationSupport).where(AssociationSupport.by_user_id == user.id)
                       .values(by_user_id=None))


def _delete_associations(user: User, remove_content: bool) -> None:  # noqa: ARG001
    db.session.execute(delete(AssociationRepresentative).where(AssociationRepresentative.user_id == user.id))
    db.session.execute(update(Association).where(Association.created_by_id == user.id).values(created_by_id=None))


def _delete_reports(user: User, remove_content: bool) -> None:  # noqa: ARG001
    # A report keeps counting towards hiding an item; it is no longer anyone's.
    db.session.execute(update(Report).where(Report.reporter_id == user.id).values(reporter_id=None))


def _delete_notifications(user: User, remove_content: bool) -> None:  # noqa: ARG001
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))


def _delete_committee(user: User, remove_content: bool) -> None:  # noqa: ARG001
    # Seats with scores, recusals or overrides stay (see the module's docstring); the others go.
    acted = set(db.session.scalars(select(Score.round_id).where(Score.user_id == user.id)))
    acted |= set(db.session.scalars(select(Recusal.round_id).where(Recusal.user_id == user.id)))
    acted |= set(db.session.scalars(select(RankingOverride.round_id).where(RankingOverride.user_id == user.id)))
    from models import ScoringRound

    plans_acted = set(db.session.scalars(select(ScoringRound.plan_id).where(ScoringRound.id.in_(acted)))) if acted else set()
    stmt = delete(CommitteeMember).where(CommitteeMember.user_id == user.id)
    if plans_acted:
        stmt = stmt.where(CommitteeMember.plan_id.not_in(plans_acted))
    db.session.execute(stmt)


def _delete_memberships_and_sessions(user: User, remove_content: bool) -> None:  # noqa: ARG001
    db.session.execute(delete(Membership).where(Membership.user_id == user.id))
    accounts.close_all_sessions(user.id)  # every cookie stops working at once
    db.session.flush()
    db.session.refresh(user, ["memberships"])


register_exporter("account", _export_account)
register_exporter("memberships", _export_memberships)
register_exporter("sessions", _export_sessions)
register_exporter("ideas", _export_ideas)
register_exporter("comments", _export_comments)
register_exporter("supports", _export_supports)
register_exporter("associations", _export_associations)
register_exporter("reports", _export_reports)
register_exporter("notifications", _export_notifications)
register_exporter("committee", _export_committee)
register_exporter("staff_actions", _export_staff_actions)

register_deleter("ideas", _delete_ideas)
register_deleter("comments", _delete_comments)
register_deleter("supports", _delete_supports)
register_deleter("associations", _delete_associations)
register_deleter("reports", _delete_reports)
register_deleter("notifications", _delete_notifications)
register_deleter("committee", _delete_committee)
register_deleter("memberships", _delete_memberships_and_sessions)


# --- the commune's privacy settings --------------------------------------------------------------

def settings_for(commune: Commune) -> PrivacySettings:
    """The commune's settings (a blank row, not stored, when the admins have not written any)."""
    row = db.session.scalar(select(PrivacySettings).where(PrivacySettings.commune_id == commune.id))
    if row is None:
        row = PrivacySettings(commune_id=commune.id, controller_address="", dpo_name="", recipients=",".join(DEFAULT_RECIPIENTS),
                              purposes_ar="", purposes_fr="", purposes_zgh="", rights_ar="", rights_fr="", rights_zgh="")
    return row


@dataclass
class SettingsInput:
    cndp_reference: str
    contact_email: str | None
    controller_address: str
    dpo_name: str
    dpo_email: str | None
    dpo_phone: str | None
    recipients: list[str]
    purposes: dict[str, str]  # {ar, fr, zgh}
    rights: dict[str, str]
    retention: dict[str, int | None]  # kind -> months


def _email(value: str | None, field: str) -> str | None:
    value = text.clean(value)
    return accounts.email_address(value, field) if value else None


def _phone(value: str | None, field: str) -> str | None:
    value = text.clean(value)
    if not value:
        return None
    phone = accounts.normalize_phone(value)
    if phone is None:
        raise ServiceError(_l("Enter a valid phone number, such as 0539123456 or +212539123456."), field=field)
    return phone


def save_settings(actor: User, commune: Commune, data: SettingsInput) -> PrivacySettings:
    """Check everything first (nothing stored half-way), then save and audit."""
    from services import retention

    reference = text.check_text(data.cndp_reference, "cndp_reference", max_length=120,
                                required_message=_l("Enter the CNDP declaration or authorisation reference."))
    contact = _email(data.contact_email, "contact_email")
    address = text.check_text(data.controller_address, "controller_address", max_length=MAX_ADDRESS,
                              required_message=_l("Enter the commune's postal address."))
    dpo_name = text.check_text(data.dpo_name, "dpo_name", max_length=MAX_DPO_NAME,
                               required_message=_l("Name the service or person people can write to."))
    dpo_email = _email(data.dpo_email, "dpo_email")
    dpo_phone = _phone(data.dpo_phone, "dpo_phone")
    if not (dpo_email or contact):
        raise ServiceError(_l("Give an e-mail address people can write to about their data."), field="dpo_email")
    unknown = [r for r in data.recipients if r not in RECIPIENTS]
    if unknown:
        raise ServiceError(_l("Choose recipients from the list."), field="recipients")
    texts = {}
    for name in ("purposes", "rights"):
        for lang in ("ar", "fr", "zgh"):
            field = f"{name}_{lang}"
            texts[field] = text.check_text(data.__dict__[name].get(lang), field, max_length=MAX_TEXT,
                                           required=False) or ""
    if not texts["purposes_ar"]:
        raise ServiceError(_l("Write the purposes in Arabic at least."), field="purposes_ar")
    months = retention.check_months(data.retention)

    before_reference = commune.cndp_reference
    row = db.session.scalar(select(PrivacySettings).where(PrivacySettings.commune_id == commune.id))
    if row is None:
        row = PrivacySettings(commune_id=commune.id)
        db.session.add(row)
    commune.cndp_reference = reference
    commune.contact_email = contact
    row.controller_address, row.dpo_name, row.dpo_email, row.dpo_phone = address, dpo_name, dpo_email, dpo_phone
    row.recipients = ",".join(r for r in RECIPIENTS if r in data.recipients)
    for field, value in texts.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    retention.save_months(commune.id, months)
    db.session.flush()
    audit.record("privacy.update", actor_id=actor.id, commune_id=commune.id, target_kind="commune",
                 target_id=commune.id, details={"cndp_reference": {"before": before_reference, "after": reference},
                                                "retention": months})
    return row


from services import retention as _retention  # noqa: E402,F401  (registers the platform's retention kinds)


def seed_demo(commune: Commune) -> PrivacySettings:
    """The Tetouan demo's privacy settings (fictitious address and contact; deterministic)."""
    row = PrivacySettings(
        commune_id=commune.id,
        controller_address="Hôtel de ville, avenue Mohammed V, 93000 Tétouan",
        dpo_name="Service des affaires juridiques — point de contact données personnelles",
        dpo_email="donnees@demo.tasharuk.ma",
        recipients=",".join(DEFAULT_RECIPIENTS + ("equality_body",)),
        purposes_ar="إعداد برنامج عمل الجماعة 2023–2028 بمقاربة تشاركية: اقتراح الأفكار ودعمها ومناقشتها، "
                    "وترتيب الأولويات، وتتبع تنفيذ المشاريع، والعرائض الموجهة إلى المجلس.",
        purposes_fr="Préparer le programme d'action de la commune 2023–2028 de façon participative : proposer, "
                    "soutenir et discuter des idées, classer les priorités, suivre l'exécution des projets, "
                    "et adresser des pétitions au conseil.",
        purposes_zgh="ⴰⵙⵡⵓⴷⴷⵓ ⵏ ⵓⵖⴰⵡⴰⵙ ⵏ ⵜⵉⴳⴰⵡ ⵏ ⵜⴳⵎⵓⴹⴰ 2023–2028 ⵙ ⵜⵔⵎⵉⵜ ⵏ ⵓⵙⵎⵔⵙ.",
        rights_ar="يمكنكم أيضا تقديم طلبكم مكتوبا بمكتب الضبط بمقر الجماعة، من الاثنين إلى الجمعة.",
        rights_fr="Vous pouvez aussi déposer votre demande par écrit au bureau d'ordre de l'hôtel de ville, "
                  "du lundi au vendredi.",
        rights_zgh="",
    )
    db.session.add(row)
    db.session.flush()
    return row
