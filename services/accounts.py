"""Accounts: identifiers, the password policy, argon2id hashing, registration,
sign-in that answers the same for unknown accounts, and server-side sessions."""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from extensions import db
from models import STAFF_ROLES, Commune, Membership, Role, User, UserSession
from models._base import utcnow
from services.errors import Conflict, ServiceError

MIN_PASSWORD = 12
MIN_STAFF_PASSWORD = 15
MAX_PASSWORD = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account does not exist, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("tasharuk-dummy-password-for-timing")
_PHONE_MA = re.compile(r"^(?:\+212|00212|0)([5-8]\d{8})$")
_PHONE_INTL = re.compile(r"^(?:\+|00)([1-9]\d{7,14})$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "data" / "common-passwords.txt"
    return frozenset(
        line.strip().lower() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    )


def normalize_phone(raw: str) -> str | None:
    digits = re.sub(r"[\s.\-()]", "", raw or "")
    if m := _PHONE_MA.match(digits):
        return "+212" + m.group(1)
    if m := _PHONE_INTL.match(digits):
        return "+" + m.group(1)
    return None


def parse_identifier(raw: str) -> tuple[str, str]:
    """Return ("email", value) or ("phone", value), or raise ServiceError."""
    raw = (raw or "").strip()
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


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _context_words(display_name: str, identifier: str) -> tuple[str, ...]:
    return (display_name, identifier, identifier.lstrip("+"), "tasharuk", "tetouan", "tetuan", "تطوان")


def register(
    *, commune: Commune, identifier: str, display_name: str, password: str, consent: bool, locale: str | None
) -> User:
    """Create an account holding the resident role in `commune`."""
    if not consent:
        raise ServiceError(_l("You must accept the processing of your data to register."), field="consent")
    kind, value = parse_identifier(identifier)
    problem = password_problem(password, context=_context_words(display_name, value))
    if problem:
        raise ServiceError(problem, field="password")
    column = User.email if kind == "email" else User.phone
    if db.session.scalar(select(User.id).where(column == value)) is not None:
        # Said at registration only: a sign-in never reveals whether an account exists.
        raise Conflict(_l("An account already uses this e-mail or phone number."), field="identifier")
    user = User(
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        locale=locale,
        consented_at=utcnow(),
        **{kind: value},
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role.RESIDENT))
    db.session.flush()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """Return the user if the credentials are right; same work whether or not the account exists."""
    try:
        kind, value = parse_identifier(identifier)
    except ServiceError:
        kind, value = "email", ""
    column = User.email if kind == "email" else User.phone
    user = db.session.scalar(select(User).where(column == value)) if value else None
    stored = user.password_hash if user is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def is_staff(user: User) -> bool:
    return any(m.role in STAFF_ROLES for m in user.memberships)


def join_commune(user: User, commune: Commune) -> None:
    if Role.RESIDENT not in user.roles_in(commune.id):
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role.RESIDENT))
        db.session.flush()


# --- server-side sessions -------------------------------------------------------------------

def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(user: User) -> str:
    """Start a session; return the random token for the cookie (256 bits)."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token)))
    db.session.flush()
    return token


def check_session(
    token: str | None,
    user_id: int,
    *,
    idle: timedelta,
    absolute: timedelta,
    touch_every: timedelta,
    now: datetime | None = None,
) -> UserSession | None:
    """The live session for this token and user, or None if revoked or expired."""
    if not token:
        return None
    now = now or utcnow()
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if record is None or record.user_id != user_id or record.revoked_at is not None:
        return None
    if now - record.created_at > absolute or now - record.last_seen_at > idle:
        return None
    if now - record.last_seen_at > touch_every:
        db.session.execute(
            update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
        )
    return record


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
