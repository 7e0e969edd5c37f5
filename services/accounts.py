"""Accounts: identifiers, the password policy, argon2id hashing, registration,
sign-in that answers the same for unknown accounts, and server-side sessions."""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from database import write_intent
from extensions import db
from models import STAFF_ROLES, Commune, DepartedIdentity, Membership, Notification, Role, Support, User, UserSession
from models._base import utcnow
from services import text
from services.errors import Conflict, ServiceError

MIN_PASSWORD = 12
MIN_STAFF_PASSWORD = 15
MAX_PASSWORD = 128
MAX_DISPLAY_NAME = 80
MAX_IDENTIFIER = 254

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_PASSWORD = "tasharuk-dummy-password-for-timing"  # nosec B105 - no account has it: it only times unknown ones
_dummy: dict[str, str] = {}
_PHONE_MA = re.compile(r"^(?:\+212|00212|0)([5-8][0-9]{8})$")
_PHONE_INTL = re.compile(r"^(?:\+|00)([1-9][0-9]{7,14})$")
# People type phone numbers with Arabic-Indic (٠١٢…) or Eastern Arabic-Indic (۰۱۲…) digits too.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common-passwords.txt"
    return frozenset(
        line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def normalize_phone(raw: str) -> str | None:
    digits = re.sub(r"[\s.\-()]", "", (raw or "").translate(_DIGITS))
    if m := _PHONE_MA.match(digits):
        return "+212" + m.group(1)
    if m := _PHONE_INTL.match(digits):
        return "+" + m.group(1)
    return None


def parse_identifier(raw: str) -> tuple[str, str]:
    """Return ("email", value) or ("phone", value), or raise ServiceError."""
    raw = (raw or "").strip()
    if len(raw) > MAX_IDENTIFIER:
        raise ServiceError(_l("Use at most %(n)d characters.", n=MAX_IDENTIFIER), field="identifier")
    if "@" in raw:
        try:
            info = validate_email(raw, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ServiceError(_l("Enter a valid e-mail address or phone number."), field="identifier") from exc
        return "email", info.normalized.lower()
    phone = normalize_phone(raw)
    if phone is None:
        raise ServiceError(_l("Enter a valid e-mail address or phone number."), field="identifier")
    return "phone", phone



def email_address(raw: str, field: str) -> str:
    """The normalised e-mail address in `raw`, or ServiceError on `field` (a phone number is not one)."""
    kind, normalised = "", ""
    try:
        kind, normalised = parse_identifier(raw)
    except ServiceError:
        pass
    if kind != "email":
        raise ServiceError(_l("Enter a valid e-mail address."), field=field)
    return normalised

def login_key(raw: str) -> tuple[str, str]:
    """The (column, value) a sign-in looks up. Lenient: never raises, never says why.

    An e-mail the strict check refuses (e.g. a reserved domain) is still looked up
    lower-cased, so every identifier costs the same password check.
    """
    raw = unicodedata.normalize("NFC", (raw or "").strip())[: MAX_IDENTIFIER + 1]
    try:
        return parse_identifier(raw)
    except ServiceError:
        if "@" in raw:
            return "email", raw.lower()
        return "phone", ""


def identifier_key(raw: str) -> str:
    """One key per account for rate limits: the normalised identifier (or the raw text, folded)."""
    kind, value = login_key(raw)
    return f"{kind}:{value}" if value else "raw:" + (raw or "").strip().lower()[:MAX_IDENTIFIER]


def context_words(display_name: str, identifier: str, commune: Commune | None = None) -> tuple[str, ...]:
    """Words a password must not contain: the person's name and identifier, the platform, the commune."""
    words = [display_name or "", identifier or "", (identifier or "").lstrip("+")]
    words += (display_name or "").split()
    if (identifier or "").startswith("+212"):
        words.append("0" + identifier[4:])  # the national form people actually type
    words += ["tasharuk", "تشارك", "tetouan", "tetuan", "تطوان"]
    if commune is not None:
        for name in (commune.name_fr, commune.name_ar, commune.name_zgh):
            words += [name or "", *(name or "").split()]
        words.append(commune.slug)
    return tuple(words)


def password_problem(password: str, *, staff: bool = False, context: tuple[str, ...] = ()) -> object | None:
    """Return a translated message if the password is refused, else None.

    Length and a common-password list only: composition rules make passwords
    worse, not better (NIST SP 800-63B).
    """
    minimum = MIN_STAFF_PASSWORD if staff else MIN_PASSWORD
    if len(password) < minimum:
        return _l("Use at least %(n)d characters.", n=minimum)
    if len(password) > MAX_PASSWORD:
        return _l("Use at most %(n)d characters.", n=MAX_PASSWORD)
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        return _l("This password is too common. Choose another one.")
    for word in context:
        word = (word or "").lower().split("@")[0]
        if len(word) >= 4 and word in lowered:
            return _l("The password must not contain your name, e-mail, phone or the platform's name.")
    return None


def _prepare(password: str) -> str:
    # The same password typed on different keyboards must give the same hash.
    return unicodedata.normalize("NFC", password)


def hash_password(password: str) -> str:
    return _hasher.hash(_prepare(password))


def _dummy_hash() -> str:
    """A hash made with the current parameters, so checking it costs what a real check costs."""
    current = _dummy.get("hash")
    if current is None or _hasher.check_needs_rehash(current):
        current = _dummy["hash"] = _hasher.hash(_DUMMY_PASSWORD)
    return current


def verify_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, _prepare(password))
    except (VerificationError, InvalidHashError):
        return False


def _display_name(raw: str) -> str:
    name = text.clean(raw)
    if not name:
        raise ServiceError(_l("Enter your name."), field="display_name")
    if len(name) > MAX_DISPLAY_NAME:
        raise ServiceError(_l("Use at most %(n)d characters.", n=MAX_DISPLAY_NAME), field="display_name")
    if text.problem_with(name):
        # The form names the exact problem first (labels.TEXT_PROBLEMS); this is the backstop.
        raise ServiceError(
            _l("Write plain text: HTML tags, scripts and invisible control characters are not allowed."),
            field="display_name",
        )
    return name


def keyed_secret(env_name: str, label: bytes, *, required_in_production: bool = False) -> bytes:
    """A key for keyed fingerprints (HMAC): the environment variable `env_name`, else one derived from
    SECRET_KEY with `label` (refused in production when `required_in_production`). Changing the key
    makes earlier fingerprints unmatchable."""
    key = os.environ.get(env_name)
    if key:
        return key.encode("utf-8")
    if required_in_production and current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError(f"{env_name} must be set in the environment in production")
    secret = (current_app.config.get("SECRET_KEY") or "").encode("utf-8")
    return hmac.new(secret, label, hashlib.sha256).digest()


def _identity_key() -> bytes:
    """The key of identity fingerprints (departed supports then stay anonymous if it changes)."""
    return keyed_secret("IDENTITY_KEY", b"tasharuk-identity")


def identity_digest(kind: str, value: str | None) -> str | None:
    """A keyed fingerprint of a normalised e-mail or phone number (None without one)."""
    if not value:
        return None
    return hmac.new(_identity_key(), f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()


def _reclaim_supports(user: User, kind: str, value: str) -> int:
    """Give a person registering again the supports of their deleted account (same identifier), so
    that one person never supports an idea twice nor goes past the plan's limit by re-registering."""
    column = DepartedIdentity.email_digest if kind == "email" else DepartedIdentity.phone_digest
    departed = db.session.scalar(select(DepartedIdentity).where(column == identity_digest(kind, value)))
    if departed is None:
        return 0
    moved = db.session.execute(update(Support).where(Support.departed_id == departed.id)
                               .values(user_id=user.id, departed_id=None)).rowcount
    db.session.delete(departed)
    db.session.flush()
    return moved


def _duplicate() -> Conflict:
    return Conflict(_l("An account already uses this e-mail or phone number."), field="identifier")


def register(
    *, commune: Commune, identifier: str, display_name: str, password: str, consent: bool, locale: str | None
) -> User:
    """Create an account holding the resident role in `commune`."""
    if not consent:
        raise ServiceError(_l("You must accept the processing of your data to register."), field="consent")
    name = _display_name(display_name)
    kind, value = parse_identifier(identifier)
    problem = password_problem(password, context=context_words(name, value, commune))
    if problem:
        raise ServiceError(problem, field="password")
    column = User.email if kind == "email" else User.phone
    if db.session.scalar(select(User.id).where(column == value)) is not None:
        # Said at registration only: a sign-in never reveals whether an account exists.
        raise _duplicate()
    user = User(
        display_name=name,
        password_hash=hash_password(password),
        locale=locale,
        consented_at=utcnow(),
        **{kind: value},
    )
    try:
        with db.session.begin_nested():  # two registrations racing for one identifier
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        raise _duplicate() from exc
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role.RESIDENT))
    db.session.flush()
    _reclaim_supports(user, kind, value)
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """Return the user if the credentials are right; same work whether or not the account exists."""
    kind, value = login_key(identifier)
    column = User.email if kind == "email" else User.phone
    user = db.session.scalar(select(User).where(column == value)) if value else None
    stored = user.password_hash if user is not None else _dummy_hash()
    try:
        _hasher.verify(stored, _prepare(password))
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def is_staff(user: User) -> bool:
    return any(m.role in STAFF_ROLES for m in user.memberships)


def change_password(user: User, *, current: str, new: str, except_token: str | None) -> None:
    """Replace the password (policy for the person's highest role) and end their other sessions."""
    if not verify_password(user, current):
        raise ServiceError(_l("Your current password is not right."), field="current_password")
    problem = password_problem(new, staff=is_staff(user), context=context_words(user.display_name, user.identifier))
    if problem:
        raise ServiceError(problem, field="new_password")
    if verify_password(user, new):
        raise ServiceError(_l("Choose a password different from the current one."), field="new_password")
    user.password_hash = hash_password(new)
    db.session.flush()
    close_all_sessions(user.id, except_token=except_token)


def join_commune(user: User, commune: Commune, *, consent: bool = True) -> None:
    """Take the resident role in another commune (a new data controller: consent again)."""
    if not consent:
        raise ServiceError(_l("You must accept the processing of your data to join."), field="consent")
    if Role.RESIDENT not in user.roles_in(commune.id):
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role.RESIDENT))
        db.session.flush()
        db.session.refresh(user, ["memberships"])


def roles_by_commune(user: User) -> list[tuple[Commune, list[str]]]:
    """The person's roles, grouped by commune (communes by slug, roles in Role order)."""
    order = list(Role)
    ids = {m.commune_id for m in user.memberships}
    communes = db.session.scalars(select(Commune).where(Commune.id.in_(ids)).order_by(Commune.slug)) if ids else []
    return [
        (c, sorted((m.role for m in user.memberships if m.commune_id == c.id), key=order.index))
        for c in communes
    ]


# --- server-side sessions -------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User, *, second_factor_ok: bool = False) -> str:
    """Start a session; return the random token for the cookie (256 bits)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token), created_at=now, last_seen_at=now,
                               second_factor_ok=second_factor_ok))
    db.session.flush()
    return token


def _live(record: UserSession | None, user_id: int, now: datetime, *, idle: timedelta, absolute: timedelta,
          touch_every: timedelta) -> UserSession | None:
    if record is None or record.user_id != user_id or record.revoked_at is not None:
        return None
    if now - record.created_at > absolute or now - record.last_seen_at > idle:
        return None
    if now - record.last_seen_at > touch_every:
        _touch(record.id, now)
    return record


def signed_in_person(
    token: str | None,
    user_id: int,
    *,
    idle: timedelta,
    absolute: timedelta,
    touch_every: timedelta,
    now: datetime | None = None,
) -> tuple[UserSession, User, int] | None:
    """The live session for this token and user (None if unknown, someone else's, revoked or
    expired), with its person (and their roles) and the number of their unread notifications,
    read in ONE statement (every page a signed-in person opens asks all three)."""
    if not token:
        return None
    now = now or utcnow()
    unread = (select(func.count()).select_from(Notification)
              .where(Notification.user_id == UserSession.user_id, Notification.read_at.is_(None))
              .correlate(UserSession).scalar_subquery())
    row = db.session.execute(
        select(UserSession, User, unread).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _digest(token))
        .options(joinedload(User.memberships))
    ).unique().first()
    if row is None:
        return None
    record = _live(row[0], user_id, now, idle=idle, absolute=absolute, touch_every=touch_every)
    if record is None:
        return None
    return record, row[1], int(row[2] or 0)


def _touch(session_id: int, now: datetime) -> None:
    """Record activity. A read request (GET) never commits, so it writes in its own short
    transaction; otherwise browsing without posting would end the session after 30 minutes."""
    stmt = update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
    engine = db.engine
    read_request = has_request_context() and not write_intent.get()
    if not read_request or engine.url.database in (None, "", ":memory:"):
        db.session.execute(stmt)  # committed with the request's own write
        return
    try:
        with engine.begin() as conn:
            conn.execute(stmt)
    except OperationalError:  # a busy database must not break the page; the next request retries
        logging.getLogger(__name__).warning("could not record session activity", exc_info=True)


def close_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _digest(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def close_all_sessions(user_id: int, except_token: str | None = None) -> None:
    """End every session of a person (password change, account disabled)."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if except_token:
        stmt = stmt.where(UserSession.token_hash != _digest(except_token))
    db.session.execute(stmt.values(revoked_at=utcnow()))
