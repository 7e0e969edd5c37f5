"""Password reset by e-mail (SECURITY.md §1 "token lifecycle", §4).

- Asking (`request_reset`) answers nothing: the page says the same for every address, and for an
  unknown, deleted, disabled or phone-only account nothing happens at all. For an account that can
  sign in, one transactional e-mail is queued (services/mailer.py); the page never waits for SMTP.
- The link's token is made when the sender writes the e-mail (`issue`, called through the mailer's
  `prepare` hook): 32 random bytes (256 bits), of which only the SHA-256 is stored — the token in
  clear is never written to the database, not even in the mail queue. A new link voids the
  person's earlier unused ones. It works for LIFETIME (1 hour), once.
- Using it (`reset`) applies the password policy of a password change; only then is the link taken,
  with an UPDATE … WHERE used_at IS NULL that must touch exactly one row (two posts at once: one
  wins). The password is replaced (argon2id), every other link voided, EVERY session of the person
  ended, the audit log written (by account number only), and a "your password was changed" e-mail
  queued. The second factor is untouched: staff still give their code at the next sign-in.
- Used and expired links are purged 7 days later (services/retention.py, fixed rule).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update

from extensions import db
from models import PasswordResetToken, User
from models._base import utcnow
from services import accounts, audit, mailer
from services.errors import ServiceError

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 bits, 43 characters
MAX_TOKEN_LENGTH = 128  # anything longer in a URL is not one of ours
LIFETIME = timedelta(hours=1)
KEEP_DAYS = 7  # used or expired links are purged this long after
RESET_MAIL = "password_reset"
CHANGED_MAIL = "password_changed"


class LinkInvalid(ServiceError):
    """Unknown, expired, used or voided link, or its account can no longer sign in: one answer."""

    status = 400

    def __init__(self):
        super().__init__(_l("This link is no longer valid."))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _void_unused(user_id: int, now: datetime) -> None:
    db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None)).values(used_at=now))


# --- asking for a link ------------------------------------------------------------------------

def request_reset(email: str) -> None:
    """"Forgot your password?": queue the e-mail with a link if `email` is the address of an account
    that can sign in; otherwise do nothing. Returns nothing either way, on purpose."""
    kind, value = accounts.login_key(email)  # lenient, like a sign-in; never raises
    if kind != "email" or not value:
        return
    user = db.session.scalar(select(User).where(User.email == value))
    if user is None or not user.is_active:
        return
    mailer.queue_transactional(user, RESET_MAIL)


def issue(user: User, *, now: datetime | None = None) -> str:
    """A new link's token for `user` (256 bits; only its SHA-256 is stored), voiding their earlier
    unused links. The token is returned once, for the e-mail."""
    now = now or utcnow()
    _void_unused(user.id, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    db.session.add(PasswordResetToken(user_id=user.id, token_hash=_digest(token), created_at=now,
                                      expires_at=now + LIFETIME))
    db.session.flush()
    return token


def _mail_params(user: User) -> dict:
    """The sender's hook: the reset e-mail's token, made as the e-mail is written."""
    return {"token": issue(user)}


# --- using it ---------------------------------------------------------------------------------

def check(token: str | None, *, now: datetime | None = None) -> tuple[PasswordResetToken, User]:
    """The link and its person, or LinkInvalid."""
    now = now or utcnow()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid()
    row = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token)))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise LinkInvalid()
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise LinkInvalid()
    return row, user


def min_password(user: User) -> int:
    return accounts.MIN_STAFF_PASSWORD if accounts.is_staff(user) else accounts.MIN_PASSWORD


def reset(token: str | None, new_password: str, *, now: datetime | None = None) -> User:
    """Set a new password through a link (see the module's docstring). A refused password leaves
    the link usable; a link already taken (even a moment ago, by another request) is refused."""
    now = now or utcnow()
    row, user = check(token, now=now)
    problem = accounts.password_problem(new_password or "", staff=accounts.is_staff(user),
                                        context=accounts.context_words(user.display_name, user.identifier))
    if problem:
        raise ServiceError(problem, field="new_password")
    taken = db.session.execute(update(PasswordResetToken).where(
        PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None),
        PasswordResetToken.expires_at > now).values(used_at=now)).rowcount
    if taken != 1:
        raise LinkInvalid()
    user.password_hash = accounts.hash_password(new_password)
    _void_unused(user.id, now)
    accounts.close_all_sessions(user.id)
    audit.record("account.password_reset", actor_id=None, commune_id=None, target_kind="user",
                 target_id=user.id, details={"by": "e-mail link"})
    mailer.queue_transactional(user, CHANGED_MAIL, now=now)
    db.session.flush()
    return user


# --- personal data: export, deletion with the account, retention --------------------------------

def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def export_of(user: User) -> list[dict]:
    rows = db.session.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id)
                              .order_by(PasswordResetToken.id))
    return [{"created_at": _when(r.created_at), "expires_at": _when(r.expires_at), "used_at": _when(r.used_at)}
            for r in rows]


def delete_of(user: User, remove_content: bool) -> None:  # noqa: ARG001
    db.session.execute(delete(PasswordResetToken).where(PasswordResetToken.user_id == user.id))


def purge(cutoff: datetime) -> int:
    """Links used (or voided) or expired before `cutoff`."""
    return db.session.execute(delete(PasswordResetToken).where(or_(
        PasswordResetToken.used_at < cutoff, PasswordResetToken.expires_at < cutoff))).rowcount


def _register() -> None:
    from services import personal_data, retention

    mailer.register_transactional(RESET_MAIL, prepare=_mail_params, max_age=LIFETIME)
    mailer.register_transactional(CHANGED_MAIL, max_age=timedelta(days=KEEP_DAYS))
    personal_data.register_exporter("reset_links", export_of)
    personal_data.register_deleter("reset_links", delete_of)
    retention.register_fixed("password_resets", label=_l("Password reset links, once used or expired"),
                             days=KEEP_DAYS, purge=purge)


_register()
