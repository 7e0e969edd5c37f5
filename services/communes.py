"""Commune administration: strategic axes, neighbourhoods, the plan's phases and support limit, staff roles.

Every change here is an admin action: it is written to the hash-chained audit log
(services.audit) in the same transaction. Services flush, never commit.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Axis, Commune, Membership, Neighbourhood, Phase, PhaseKind, Plan, Role, User
from models._base import utcnow
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


# --- setting up a commune from the command line (cli.py `flask commune create`, `flask admin create`) ---
#
# A production database starts empty: the commune's IT officer creates the commune, its action plan
# with the six phases, and its first administrator; the administrator does the rest on the web
# (axes, neighbourhoods, the phases' dates, roles, privacy settings). The audit log names no actor
# for these entries (there is no signed-in person): their details say "via": "command line".

VIA_COMMAND_LINE = "command line"
SLUG_MAX = 60  # Commune.slug
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CNDP_REFERENCE_MAX = 120  # Commune.cndp_reference
PLAN_TITLE_MAX = 300  # Plan.title_*
POPULATION_MAX = 40_000_000  # more than Morocco's population: a typo
# Organic law 113-14, art. 78: a commune action plan covers 6 years. A revision from its third year
# (art. 80) updates the same plan; no other length exists.
PLAN_YEARS = 6
FIRST_PLAN_YEAR = 2016  # the first plans under organic law 113-14 (2015)


def default_phase_dates(start_year: int) -> list[tuple[str, date, date]]:
    """The plan's six phases laid out by default (DOMAIN.md §1), for the administrator to adjust
    on the web (Administration → Plan and calendar).

    The plan is prepared in the year before its first year (the first year of the council's mandate,
    art. 78; Tetouan prepared its PAC 2023–2028 in about 9 months and adopted it in November 2022):
    ideas February–April, supports May, assessment June–July, drafting August–September, adoption
    October–November (the October council session, art. 33, then the governor's visa within 20 days,
    art. 118). Execution covers the plan's six years.
    """
    prep = start_year - 1
    return [
        (PhaseKind.COLLECTION, date(prep, 2, 1), date(prep, 4, 30)),
        (PhaseKind.SUPPORT, date(prep, 5, 1), date(prep, 5, 31)),
        (PhaseKind.ASSESSMENT, date(prep, 6, 1), date(prep, 7, 31)),
        (PhaseKind.DRAFTING, date(prep, 8, 1), date(prep, 9, 30)),
        (PhaseKind.ADOPTION, date(prep, 10, 1), date(prep, 11, 30)),
        (PhaseKind.EXECUTION, date(start_year, 1, 1), date(start_year + PLAN_YEARS - 1, 12, 31)),
    ]


def reserved_slugs(url_map) -> frozenset[str]:
    """First path segments the application's own URLs use (/login, /account, /static, …): a commune
    with one of them as its slug could never be reached."""
    words = set()
    for rule in url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            words.add(first)
    return frozenset(words)


@dataclass(frozen=True)
class NewCommune:
    slug: str
    name_ar: str | None
    name_fr: str | None
    name_zgh: str | None
    population: int | None
    cndp_reference: str | None
    plan_start: int | None
    plan_end: int | None = None
    has_arrondissements: bool = False
    contact_email: str | None = None
    plan_title_ar: str | None = None
    plan_title_fr: str | None = None
    plan_title_zgh: str | None = None


def check_slug(slug: str | None, reserved: frozenset[str] = frozenset()) -> str:
    slug = (slug or "").strip()
    if not slug:
        raise ServiceError(_l("Give the commune's short name for its web addresses (e.g. tetouan)."), field="slug")
    if len(slug) < 2 or len(slug) > SLUG_MAX or not _SLUG.match(slug):
        raise ServiceError(_l("Use 2 to %(n)d lowercase letters a–z, digits and single hyphens inside "
                              "(e.g. tetouan, ksar-el-kebir).", n=SLUG_MAX), field="slug")
    if slug in reserved:
        raise ServiceError(_l("“%(slug)s” is used by the platform's own addresses (/%(slug)s); choose another.",
                              slug=slug), field="slug")
    clash = db.session.scalar(select(Commune).where(Commune.slug == slug))
    if clash is not None:
        raise Conflict(_l("A commune with the short name “%(slug)s” already exists: %(name)s (created %(when)s). "
                          "Nothing was changed.", slug=slug, name=clash.name_fr,
                          when=clash.created_at.date().isoformat()), field="slug")
    return slug


def check_plan_years(start: int | None, end: int | None, *, today: date) -> tuple[int, int]:
    if start is None:
        raise ServiceError(_l("Give the first year of the action plan (e.g. 2023)."), field="plan_start")
    latest = today.year + 2
    if not FIRST_PLAN_YEAR <= start <= latest:
        raise ServiceError(_l("The plan's first year must be from %(first)d to %(last)d.",
                              first=FIRST_PLAN_YEAR, last=latest), field="plan_start")
    expected = start + PLAN_YEARS - 1
    if end is not None and end != expected:
        raise ServiceError(_l("A commune action plan covers 6 years (organic law 113-14, art. 78): "
                              "a plan starting in %(start)d ends in %(end)d.", start=start, end=expected),
                           field="plan_end")
    return start, expected


def _check_population(population: int | None) -> int:
    if population is None or not 1 <= population <= POPULATION_MAX:
        raise ServiceError(_l("Give the commune's population: a whole number from 1 to %(n)d.", n=POPULATION_MAX),
                           field="population")
    return population


def _check_email(value: str | None, field: str, *, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ServiceError(_l("Enter a valid e-mail address."), field=field)
        return None
    return accounts.email_address(value, field)


def _plan_titles(data: NewCommune, names: Names, start: int, end: int) -> tuple[str, str, str]:
    years = f"{start}–{end}"
    ar = check_text(data.plan_title_ar, "plan_title_ar", max_length=PLAN_TITLE_MAX, required=False)
    fr = check_text(data.plan_title_fr, "plan_title_fr", max_length=PLAN_TITLE_MAX, required=False)
    zgh = check_text(data.plan_title_zgh, "plan_title_zgh", max_length=PLAN_TITLE_MAX, required=False)
    if zgh is not None and tifinagh_problem(zgh):
        raise ServiceError(
            _l("Write the Amazigh name in Tifinagh letters (ⴰ ⴱ ⴳ …); spaces, digits and punctuation are allowed."),
            field="plan_title_zgh",
        )
    # Official titles, not interface text: stored in the three languages.
    return (
        (ar or f"برنامج عمل {names.ar} {years}")[:PLAN_TITLE_MAX],
        (fr or f"Programme d'action — {names.fr} {years}")[:PLAN_TITLE_MAX],
        (zgh or f"ⴰⵖⴰⵡⴰⵙ ⵏ ⵜⵉⴳⴰⵡ — {names.zgh} {years}")[:PLAN_TITLE_MAX],
    )


def create_commune(data: NewCommune, *, reserved: frozenset[str] = frozenset(), today: date | None = None,
                   system_user: str | None = None) -> tuple[Commune, Plan]:
    """A new commune with its action plan and the plan's six phases (default_phase_dates): no axes,
    neighbourhoods, ideas or people. Every value is checked before anything is written."""
    today = today or date.today()
    slug = check_slug(data.slug, reserved)
    names = check_names(data.name_ar, data.name_fr, data.name_zgh)
    population = _check_population(data.population)
    reference = check_text(data.cndp_reference, "cndp_reference", max_length=CNDP_REFERENCE_MAX,
                           required_message=_l("Enter the CNDP declaration or authorisation reference."))
    contact = _check_email(data.contact_email, "contact_email")
    start, end = check_plan_years(data.plan_start, data.plan_end, today=today)
    title_ar, title_fr, title_zgh = _plan_titles(data, names, start, end)

    commune = Commune(slug=slug, name_ar=names.ar, name_fr=names.fr, name_zgh=names.zgh, population=population,
                      has_arrondissements=data.has_arrondissements, cndp_reference=reference,
                      contact_email=contact)
    try:
        with db.session.begin_nested():  # two officers racing for one slug
            db.session.add(commune)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("A commune with the short name “%(slug)s” already exists. Nothing was changed.",
                          slug=slug), field="slug") from None
    plan = Plan(commune_id=commune.id, title_ar=title_ar, title_fr=title_fr, title_zgh=title_zgh,
                start_year=start, end_year=end, support_limit=None)
    plan.phases = [Phase(kind=kind, starts_on=s, ends_on=e) for kind, s, e in default_phase_dates(start)]
    db.session.add(plan)
    db.session.flush()
    audit.record("commune.create", actor_id=None, commune_id=commune.id, target_kind="commune",
                 target_id=commune.id,
                 details={"via": VIA_COMMAND_LINE, "system_user": system_user, "slug": slug,
                          "name_fr": names.fr, "plan": f"{start}-{end}", "plan_id": plan.id})
    return commune, plan


def commune_by_slug(slug: str | None) -> Commune:
    commune = db.session.scalar(select(Commune).where(Commune.slug == (slug or "").strip()))
    if commune is None:
        raise NotFound(_l("No commune has the short name “%(slug)s”.", slug=slug or ""), field="commune")
    return commune


@dataclass(frozen=True)
class CommuneSummary:
    commune: Commune
    plan: Plan | None
    admins: int


def commune_summaries() -> list[CommuneSummary]:
    """Every commune of the deployment (by slug), its latest plan and how many administrators it has."""
    admins = dict(db.session.execute(
        select(Membership.commune_id, func.count(Membership.id))
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == Role.ADMIN, User.deleted_at.is_(None))
        .group_by(Membership.commune_id)
    ).all())
    plans: dict[int, Plan] = {}
    for plan in db.session.scalars(select(Plan).order_by(Plan.start_year)):
        plans[plan.commune_id] = plan  # the latest one wins, as in phases.current_plan
    return [CommuneSummary(c, plans.get(c.id), admins.get(c.id, 0))
            for c in db.session.scalars(select(Commune).order_by(Commune.slug))]


def admin_account(commune: Commune, email: str | None, display_name: str | None) -> User | None:
    """Check a first administrator's e-mail (and name, for a new account) before any password is asked.
    Returns the existing account to grant the role to, or None when a new account will be created."""
    email = _check_email(email, "email", required=True)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        accounts._display_name(display_name or "")
        return None
    if user.deleted_at is not None or not user.active:
        raise NotAllowed(_l("The account %(email)s is closed or disabled: it cannot become an administrator.",
                            email=email), field="email")
    if Role.ADMIN in user.roles_in(commune.id):
        raise Conflict(_l("%(email)s is already an administrator of %(name)s. Nothing was changed.",
                          email=email, name=commune.name_fr), field="email")
    return user


def create_admin(commune: Commune, *, email: str | None, display_name: str | None, password: str | None,
                 locale: str | None = None, system_user: str | None = None) -> tuple[User, bool]:
    """Make someone an administrator of `commune`: grant the role to the account with this e-mail,
    or create the account (staff password policy, argon2id, consent recorded as registration does).
    The second factor is set up at the first sign-in (services.totp.required). Returns (user, created)."""
    existing = admin_account(commune, email, display_name)
    email = _check_email(email, "email", required=True)
    details = {"via": VIA_COMMAND_LINE, "system_user": system_user, "role": Role.ADMIN.value}
    if existing is not None:
        db.session.add(Membership(user_id=existing.id, commune_id=commune.id, role=Role.ADMIN))
        db.session.flush()
        db.session.expire(existing, ["memberships"])
        audit.record("role.grant", actor_id=None, commune_id=commune.id, target_kind="user", target_id=existing.id,
                     details=details)
        notifications.notify(existing.id, "role_granted", commune_id=commune.id, role=Role.ADMIN.value)
        return existing, False
    name = accounts._display_name(display_name or "")
    problem = admin_password_problem(commune, email=email, display_name=name, password=password or "")
    if problem:
        raise ServiceError(problem, field="password")
    user = User(email=email, display_name=name, password_hash=accounts.hash_password(password or ""),
                locale=locale, consented_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("An account already uses this e-mail or phone number."), field="email") from None
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role.ADMIN))
    db.session.flush()
    db.session.expire(user, ["memberships"])
    audit.record("account.create_admin", actor_id=None, commune_id=commune.id, target_kind="user",
                 target_id=user.id, details=details)
    return user, True


def admin_password_problem(commune: Commune, *, email: str, display_name: str, password: str):
    """The staff password policy (services.accounts: 15 characters at least, not common, not the
    person's name, e-mail, the platform's or the commune's name); a message, or None."""
    return accounts.password_problem(password, staff=True,
                                     context=accounts.context_words(display_name, email, commune))
