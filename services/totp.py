"""The staff second factor: TOTP (RFC 6238, 30-second steps, 6 digits).

Who needs it (a committee or admin role in any commune), new secrets, the otpauth URI
and its QR code (an inline SVG without style), and checking a code so that it is used
at most once: the accepted time step is stored in User.totp_last_step and a code whose
step is not later than it is refused, even within its 30 seconds.
"""
from __future__ import annotations

import re
import time

import pyotp
import segno
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import or_, update

from extensions import db
from models import User, UserSession
from services import accounts, audit
from services.access import SECOND_FACTOR_ROLES
from services.errors import ServiceError

ISSUER = "Tasharuk"
INTERVAL = 30
DIGITS = 6
VALID_WINDOW = 1  # the previous and the next step too (phones' clocks drift)
PENDING_SECONDS = 5 * 60  # between the right password and the code

# People type codes with Arabic-Indic (٠١٢…) or Eastern Arabic-Indic (۰۱۲…) digits too.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_CODE = re.compile(r"^[0-9]{6}$")


def clock() -> float:
    """Now, as a Unix time (tests replace it to travel in time)."""
    return time.time()


def required(user: User | None) -> bool:
    """True if the person holds a role that needs the second factor in any commune."""
    if user is None:
        return False
    return any(m.role in SECOND_FACTOR_ROLES for m in user.memberships)


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits


def grouped(secret: str) -> str:
    """The secret in groups of four, for people who type it (and screen readers)."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account_name, issuer_name=ISSUER
    )


def qr_svg(uri: str, title: str) -> Markup:
    """The URI as a QR code: an inline SVG named by its <title>, with attributes only
    (no <style> element, no style= attribute: the CSP forbids inline styles)."""
    svg = segno.make(uri, error="m").svg_inline(
        title=title, svgclass="totp-qr-code", lineclass=None, omitsize=True, border=4, dark="#000", light="#fff"
    )
    assert "<style" not in svg and "style=" not in svg  # noqa: S101 - segno's options above guarantee it
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # nosec B704 - segno escapes the title


def normalize_code(raw: str | None) -> str:
    """The digits of a typed code: spaces and dashes dropped, Arabic-Indic digits read as 0–9."""
    return re.sub(r"[\s\-]", "", (raw or "").translate(_DIGITS))


def is_well_formed(raw: str | None) -> bool:
    return bool(_CODE.match(normalize_code(raw)))


def matching_step(secret: str, code: str, *, after: int | None, now: float | None = None) -> int | None:
    """The time step (within the window) whose code is `code` and which is later than `after`."""
    code = normalize_code(code)
    if not secret or not _CODE.match(code):
        return None
    otp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = otp.timecode(clock() if now is None else now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if after is not None and step <= after:
            continue  # already used, or older than a used one: a replay
        if pyotp.utils.strings_equal(code, otp.generate_otp(step)):
            return step
    return None


def _use_step(user: User, step: int, *, secret: str | None = None) -> bool:
    """Record `step` as used, only if it is later than the stored one (and, when a secret is
    being set, only if none is set yet). A conditional UPDATE, so two requests racing with
    the same code cannot both win."""
    stmt = update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
    values: dict = {"totp_last_step": step}
    if secret is not None:
        stmt = stmt.where(User.totp_secret.is_(None))
        values["totp_secret"] = secret
    result = db.session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    db.session.flush()
    db.session.refresh(user, ["totp_secret", "totp_last_step"])
    return True


def verify(user: User, code: str, *, now: float | None = None) -> bool:
    """Check a code against the person's secret; a code is accepted once only."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, after=user.totp_last_step, now=now)
    return step is not None and _use_step(user, step)


def enable(user: User, secret: str, code: str, *, now: float | None = None) -> bool:
    """Store `secret` once the person proved their app has it (a code for it). Never
    replaces a secret already set: that takes a reset with a current code and the password."""
    if user.totp_secret:
        return False
    step = matching_step(secret, code, after=user.totp_last_step, now=now)
    return step is not None and _use_step(user, step, secret=secret)


def mark_session(record: UserSession | None) -> None:
    """This server-side session passed the second factor."""
    if record is not None:
        record.second_factor_ok = True
        db.session.flush()


class InvalidCode(ServiceError):
    """Wrong, expired or replayed: the same message for all three."""

    def __init__(self):
        super().__init__(_l("That code is not valid. Enter the current 6-digit code from your app."), field="code")


def reset(user: User, *, code: str, password: str, session: UserSession | None, now: float | None = None) -> None:
    """Turn the second factor off (to set it up again): needs a current code AND the password.

    The current session loses its second-factor mark: the person sets it up again before
    acting in a committee or admin role.
    """
    if not accounts.verify_password(user, password or ""):
        raise ServiceError(_l("Your password is not right."), field="password")
    if not verify(user, code, now=now):
        raise InvalidCode()
    user.totp_secret = None
    if session is not None:
        session.second_factor_ok = False
    db.session.flush()
    audit.record("account.second_factor_reset", actor_id=user.id, commune_id=None, target_kind="user",
                 target_id=user.id)


def reset_by_admin(user: User, *, actor: User, commune_id: int) -> None:
    """A commune admin turns off a staff member's lost second factor (lost phone): the person
    sets it up again at their next sign-in. Their open sessions end, so whoever holds the old
    device or a session cookie is out. Admins cannot reset their own (they use `reset`)."""
    from models import Role
    from services import notifications

    if user.id == actor.id:
        raise ServiceError(_l("Use your account page to reset your own second factor."))
    if not (user.roles_in(commune_id) & {Role.COMMITTEE, Role.ADMIN, Role.MODERATOR}):
        raise ServiceError(_l("Only the second factor of this commune's staff can be reset here."))
    if user.totp_secret is None:
        raise ServiceError(_l("This person has no second factor to reset."))
    user.totp_secret = None
    accounts.close_all_sessions(user.id)
    db.session.flush()
    audit.record("account.second_factor_reset_by_admin", actor_id=actor.id, commune_id=commune_id,
                 target_kind="user", target_id=user.id)
    notifications.notify(user.id, "second_factor_reset", commune_id=commune_id, admin=actor.display_name)
