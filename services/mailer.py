"""E-mail digests of notifications: a person's opt-in, unsubscribe tokens, and the sender.

Pages never wait for a mail server: notify() only writes rows (services/notifications.py).
The sender (`flask mail send`, `flask mail worker`, or a daemon thread with MAIL_WORKER=thread)
gathers each person's queued notifications into ONE e-mail per digest window:

1. claim: in one short write transaction per person, take the person's window with a
   conditional UPDATE of mail_settings.last_digest_at (…WHERE last_digest_at IS NULL OR <= now −
   window) and move their queued rows into a new digest (…WHERE digest_id IS NULL). Both
   statements are atomic on SQLite (BEGIN IMMEDIATE) and PostgreSQL (the second updater re-reads
   the row after the first commits), so two senders never mail the same row or the same person twice;
2. send, outside any transaction; 3. record sent, or retry later (exponential back-off) up to
   MAIL_MAX_ATTEMPTS, then keep the digest as failed. A sender that dies mid-send leaves its
   claim, taken over after CLAIM_MINUTES (at worst that one e-mail goes out twice).

Transactional e-mails (a password reset link, "your password was changed") are about the person's
own account: they go out whatever the person's e-mail choices, one e-mail each, without a digest
window. `queue_transactional` writes one mail_digest row with a `kind`, due at once (status retry,
0 attempts, next_attempt_at now), so the same claim / send / retry path takes it on the next pass.
"""
from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, delete, func, or_, select, update

from extensions import db
from models import DigestStatus, MailDigest, MailOutbox, MailSettings, Notification, User
from models._base import utcnow
from services.errors import Conflict, ServiceError
from services.notifications import KIND_GROUP, MAIL_GROUPS

log = logging.getLogger(__name__)

ALL_GROUPS = "all"  # an unsubscribe token for every group (the List-Unsubscribe header)
TOKEN_SALT = "tasharuk-mail-unsubscribe"
TOKEN_MAX_AGE = timedelta(days=60)
CLAIM_MINUTES = 15  # a digest claimed longer ago than this is taken over by another pass
MAX_BACKOFF = timedelta(hours=6)
ERROR_MAX = 300

NO_EMAIL = _l("Your account has no e-mail address: add one to your account to receive e-mails.")
LINK_INVALID = _l("This unsubscribe link is not valid. Copy the whole link from the e-mail, or choose your "
                  "e-mails in your notification settings.")
LINK_EXPIRED = _l("This unsubscribe link has expired. Sign in and choose your e-mails in your notification "
                  "settings.")
LINK_OTHER_ACCOUNT = _l("This link belongs to another account. Sign out first, or choose your own e-mails in your "
                        "notification settings.")


# --- a person's choices ------------------------------------------------------------------------

def groups_of(user_id: int) -> frozenset[str]:
    settings = db.session.get(MailSettings, user_id)
    return settings.group_set if settings is not None else frozenset()


def set_groups(user: User, groups) -> frozenset[str]:
    """Save the groups `user` opted in to (unknown codes ignored). Only people with an e-mail address
    may opt in; anyone may opt out."""
    chosen = frozenset(g for g in groups if g in MAIL_GROUPS)
    if chosen and not user.email:
        raise Conflict(NO_EMAIL)
    settings = db.session.get(MailSettings, user.id)
    if settings is None:
        if not chosen:
            return chosen
        settings = MailSettings(user_id=user.id)
        db.session.add(settings)
    previous = settings.group_set
    settings.groups = ",".join(sorted(chosen))
    settings.updated_at = utcnow()
    if previous - chosen:  # opted out: what is queued for those groups is not mailed
        _drop_queued(user.id, previous - chosen)
    db.session.flush()
    return chosen


def turn_off(user_id: int, group: str) -> frozenset[str]:
    """The unsubscribe link: stop one group (or every group)."""
    settings = db.session.get(MailSettings, user_id)
    if settings is None:
        return frozenset()
    stopped = settings.group_set if group == ALL_GROUPS else settings.group_set & {group}
    settings.groups = ",".join(sorted(settings.group_set - stopped))
    settings.updated_at = utcnow()
    if stopped:
        _drop_queued(user_id, stopped)
    db.session.flush()
    return settings.group_set


def _drop_queued(user_id: int, groups) -> None:
    kinds = [kind for group in groups for kind in MAIL_GROUPS.get(group, ())]
    db.session.execute(delete(MailOutbox).where(
        MailOutbox.user_id == user_id, MailOutbox.digest_id.is_(None),
        MailOutbox.notification_id.in_(select(Notification.id).where(
            Notification.user_id == user_id, Notification.kind.in_(kinds)))))


# --- unsubscribe tokens: signed, bound to the person and the group, expiring -------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def unsubscribe_token(user_id: int, group: str) -> str:
    return _serializer().dumps({"u": user_id, "g": group})


@dataclass(frozen=True)
class Unsubscribe:
    user_id: int
    group: str


def read_unsubscribe_token(token: str) -> Unsubscribe:
    """The person and group of a token, or a ServiceError (tampered, truncated or expired)."""
    try:
        data = _serializer().loads(token, max_age=int(TOKEN_MAX_AGE.total_seconds()))
    except SignatureExpired:
        raise ServiceError(LINK_EXPIRED) from None
    except (BadSignature, ValueError, TypeError):
        raise ServiceError(LINK_INVALID) from None
    if (not isinstance(data, dict) or not isinstance(data.get("u"), int)
            or data.get("g") not in (*MAIL_GROUPS, ALL_GROUPS)):
        raise ServiceError(LINK_INVALID)
    return Unsubscribe(data["u"], data["g"])


# --- SMTP --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    server: str
    port: int
    starttls: bool
    use_ssl: bool
    username: str | None
    password: str | None
    sender: str
    timeout: int

    @classmethod
    def from_config(cls, config) -> SmtpSettings | None:
        if not config.get("MAIL_SERVER"):
            return None
        return cls(config["MAIL_SERVER"], int(config["MAIL_PORT"]), bool(config["MAIL_USE_STARTTLS"]),
                   bool(config["MAIL_USE_SSL"]), config.get("MAIL_USERNAME"), config.get("MAIL_PASSWORD"),
                   config["MAIL_FROM"], int(config.get("MAIL_TIMEOUT", 20)))


class Transport:
    """One SMTP connection for a pass, opened at the first message and reopened after an error."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            connection = smtplib.SMTP_SSL(s.server, s.port, timeout=s.timeout, context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(s.server, s.port, timeout=s.timeout)
            if s.starttls:
                connection.starttls(context=ssl.create_default_context())
        if s.username:
            connection.login(s.username, s.password or "")
        return connection

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self._open()
        try:
            self.connection.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except Exception:  # noqa: BLE001  the connection is gone anyway
                pass
            self.connection = None


# --- the sender --------------------------------------------------------------------------------

@dataclass
class SendResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    cancelled: int = 0
    configured: bool = True


_said_unconfigured = threading.Event()

Composer = Callable[[User, list[Notification], SmtpSettings], EmailMessage]


# --- transactional e-mails: about the person's own account -------------------------------------

@dataclass(frozen=True)
class Transactional:
    kind: str
    # Called at send time, in the pass's transaction, for what only then may exist (a reset link's
    # token: it is never stored in clear, not even in the queue); returns the template's values.
    prepare: Callable[[User], dict] | None = None
    # Older than this when its turn comes (the mail server was down): cancelled, not sent late.
    max_age: timedelta | None = None


_TRANSACTIONAL: dict[str, Transactional] = {}
TransactionalComposer = Callable[[User, str, dict, SmtpSettings], EmailMessage]


def register_transactional(kind: str, *, prepare: Callable[[User], dict] | None = None,
                           max_age: timedelta | None = None) -> None:
    _TRANSACTIONAL[kind] = Transactional(kind, prepare, max_age)


def queue_transactional(user: User, kind: str, *, now: datetime | None = None) -> None:
    """Queue one e-mail of `kind` to `user` for the sender's next pass (the page never waits for a
    mail server). Nothing without an e-mail address. One of a kind waits per person at most: asking
    again before it went out only makes it due again."""
    if kind not in _TRANSACTIONAL:
        raise ValueError(f"unknown transactional e-mail {kind!r}")
    if not user.email:
        return
    now = now or utcnow()
    waiting = db.session.execute(update(MailDigest).where(
        MailDigest.user_id == user.id, MailDigest.kind == kind, MailDigest.status == DigestStatus.RETRY,
        MailDigest.attempts == 0).values(created_at=now, next_attempt_at=now)).rowcount
    if not waiting:
        db.session.add(MailDigest(user_id=user.id, kind=kind, created_at=now, status=DigestStatus.RETRY,
                                  attempts=0, next_attempt_at=now))
    db.session.flush()


def send_pending(*, now: datetime | None = None, compose: Composer | None = None,
                 compose_transactional: TransactionalComposer | None = None) -> SendResult:
    """One pass: retry what is due, build the digests of the people whose window is open, send them."""
    settings = SmtpSettings.from_config(current_app.config)
    if settings is None:
        if not _said_unconfigured.is_set():
            _said_unconfigured.set()
            log.info("no MAIL_SERVER configured: notifications stay in-app, no e-mail is sent")
        return SendResult(configured=False)
    if compose is None:  # the e-mail's words and links are presentation: they live with the pages
        from blueprints.me.digest import compose
    if compose_transactional is None:
        from blueprints.auth.mail import compose as compose_transactional
    now = now or utcnow()
    claim = secrets.token_hex(16)
    _claim_due_retries(claim, now)
    _claim_new_digests(claim, now)
    digests = list(db.session.scalars(
        select(MailDigest).where(MailDigest.claim == claim, MailDigest.status == DigestStatus.SENDING)
        .order_by(MailDigest.id)))
    db.session.commit()
    result = SendResult()
    transport = Transport(settings)
    try:
        for digest in digests:
            if digest.kind is None:
                _send_one(digest, claim, now, transport, compose, settings, result)
            else:
                _send_transactional(digest, claim, now, transport, compose_transactional, settings, result)
    finally:
        transport.close()
    return result


def _claim_due_retries(claim: str, now: datetime) -> None:
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    stale = now - timedelta(minutes=CLAIM_MINUTES)
    # A sender that died holding its last allowed attempt: give up, keep the rows.
    db.session.execute(update(MailDigest).where(
        MailDigest.status == DigestStatus.SENDING, MailDigest.claimed_at < stale,
        MailDigest.attempts >= max_attempts).values(status=DigestStatus.FAILED, claim=None))
    db.session.execute(update(MailDigest).where(
        or_(and_(MailDigest.status == DigestStatus.RETRY, MailDigest.next_attempt_at <= now),
            and_(MailDigest.status == DigestStatus.SENDING, MailDigest.claimed_at < stale)),
        MailDigest.attempts < max_attempts,
    ).values(status=DigestStatus.SENDING, claim=claim, claimed_at=now, attempts=MailDigest.attempts + 1))
    db.session.commit()


def _claim_new_digests(claim: str, now: datetime) -> None:
    window = timedelta(minutes=current_app.config["MAIL_DIGEST_MINUTES"])
    people = list(db.session.scalars(
        select(MailOutbox.user_id).where(MailOutbox.digest_id.is_(None)).distinct().order_by(MailOutbox.user_id)))
    db.session.commit()
    for user_id in people:
        _drop_unwanted(user_id)
        taken = db.session.execute(update(MailSettings).where(
            MailSettings.user_id == user_id,
            or_(MailSettings.last_digest_at.is_(None), MailSettings.last_digest_at <= now - window),
            # only when something is left to mail: an empty pass must not use up the window
            select(MailOutbox.id).where(MailOutbox.user_id == user_id, MailOutbox.digest_id.is_(None)).exists(),
        ).values(last_digest_at=now))
        if taken.rowcount == 1:
            digest = MailDigest(user_id=user_id, created_at=now, status=DigestStatus.SENDING, claim=claim,
                                claimed_at=now, attempts=1)
            db.session.add(digest)
            db.session.flush()
            db.session.execute(update(MailOutbox).where(
                MailOutbox.user_id == user_id, MailOutbox.digest_id.is_(None)).values(digest_id=digest.id))
        db.session.commit()


def _drop_unwanted(user_id: int) -> None:
    """Queued rows no longer to mail: already read in-app, or of a group the person turned off."""
    groups = groups_of(user_id)
    kinds = [kind for kind, group in KIND_GROUP.items() if group in groups]
    db.session.execute(delete(MailOutbox).where(
        MailOutbox.user_id == user_id, MailOutbox.digest_id.is_(None),
        MailOutbox.notification_id.in_(select(Notification.id).where(
            Notification.user_id == user_id,
            or_(Notification.read_at.is_not(None), Notification.kind.not_in(kinds))))))


def _backoff(attempts: int) -> timedelta:
    first = timedelta(minutes=current_app.config["MAIL_RETRY_MINUTES"])
    return min(first * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _finish(digest_id: int, held: str, **values) -> None:
    """Record the outcome, only if this pass still holds the digest."""
    db.session.execute(update(MailDigest).where(MailDigest.id == digest_id, MailDigest.claim == held)
                       .values(**values))
    db.session.commit()


def _send_one(digest: MailDigest, claim: str, now: datetime, transport: Transport, compose: Composer,
              settings: SmtpSettings, result: SendResult) -> None:
    user = db.session.get(User, digest.user_id)
    notes = list(db.session.scalars(
        select(Notification).join(MailOutbox, MailOutbox.notification_id == Notification.id)
        .where(MailOutbox.digest_id == digest.id).order_by(Notification.id)))
    if user is None or not user.is_active or not user.email or not notes:
        _finish(digest.id, claim, status=DigestStatus.CANCELLED, claim=None)
        result.cancelled += 1
        return
    message = compose(user, notes, settings)
    db.session.commit()  # no transaction stays open while the SMTP server answers
    _deliver(digest, claim, now, transport, message, user, result)


def _send_transactional(digest: MailDigest, claim: str, now: datetime, transport: Transport,
                        compose: TransactionalComposer, settings: SmtpSettings, result: SendResult) -> None:
    user = db.session.get(User, digest.user_id)
    spec = _TRANSACTIONAL.get(digest.kind or "")
    stale = spec is None or (spec.max_age is not None and digest.created_at < now - spec.max_age)
    if user is None or not user.is_active or not user.email or stale:
        _finish(digest.id, claim, status=DigestStatus.CANCELLED, claim=None)
        result.cancelled += 1
        return
    message = compose(user, digest.kind, spec.prepare(user) if spec.prepare else {}, settings)
    db.session.commit()  # what prepare() wrote (a reset token) is kept even if the send fails
    _deliver(digest, claim, now, transport, message, user, result)


def _deliver(digest: MailDigest, claim: str, now: datetime, transport: Transport, message: EmailMessage,
             user: User, result: SendResult) -> None:
    try:
        transport.send(message)
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_MAX]
        log.warning("mail digest %s to user %s not sent (attempt %s): %s", digest.id, user.id, digest.attempts, error)
        if digest.attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
            _finish(digest.id, claim, status=DigestStatus.FAILED, claim=None, last_error=error)
            result.failed += 1
        else:
            _finish(digest.id, claim, status=DigestStatus.RETRY, claim=None, last_error=error,
                    next_attempt_at=now + _backoff(digest.attempts))
            result.retry += 1
        return
    _finish(digest.id, claim, status=DigestStatus.SENT, sent_at=utcnow(), claim=None, last_error=None)
    result.sent += 1


# --- running it --------------------------------------------------------------------------------

def run_worker(app: Flask, interval: float, *, passes: int | None = None, stop: threading.Event | None = None) -> int:
    """Send every `interval` seconds until stopped (or `passes` passes); returns the passes made."""
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set() and (passes is None or done < passes):
        with app.app_context():
            try:
                send_pending()
            except Exception:  # noqa: BLE001  a bad pass must not end the worker
                db.session.rollback()
                log.exception("mail sender pass failed")
            finally:
                db.session.remove()
        done += 1
        if passes is None or done < passes:
            stop.wait(interval)
    return done


def start_thread(app: Flask) -> threading.Thread | None:
    """MAIL_WORKER=thread: a daemon thread of the app process sends the digests (one-process demo)."""
    if app.config.get("MAIL_WORKER") != "thread" or app.extensions.get("tasharuk_mail_thread"):
        return None
    thread = threading.Thread(target=run_worker, args=(app, app.config["MAIL_WORKER_INTERVAL"]),
                              name="tasharuk-mail", daemon=True)
    app.extensions["tasharuk_mail_thread"] = thread
    thread.start()
    log.info("mail sender thread started (every %ss)", app.config["MAIL_WORKER_INTERVAL"])
    return thread


# --- personal data (services/personal_data.py): export, deletion with the account, retention -----

def _when(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def export_of(user: User) -> dict:
    """The person's e-mail choices and the e-mails sent to them (dates and outcome; the
    notifications they carried are in the export's "notifications")."""
    settings = db.session.get(MailSettings, user.id)
    digests = db.session.scalars(select(MailDigest).where(MailDigest.user_id == user.id).order_by(MailDigest.id))
    return {
        "groups": sorted(settings.group_set) if settings else [],
        "changed_at": _when(settings.updated_at) if settings else None,
        "emails": [{"created_at": _when(d.created_at), "status": d.status, "sent_at": _when(d.sent_at),
                    "attempts": d.attempts, "kind": d.kind or "digest",
                    "notifications": db.session.scalar(select(func.count(MailOutbox.id))
                                                       .where(MailOutbox.digest_id == d.id))}
                   for d in digests],
    }


def delete_of(user: User, remove_content: bool) -> None:  # noqa: ARG001
    db.session.execute(delete(MailOutbox).where(MailOutbox.user_id == user.id))
    db.session.execute(delete(MailDigest).where(MailDigest.user_id == user.id))
    db.session.execute(delete(MailSettings).where(MailSettings.user_id == user.id))


FINISHED = (DigestStatus.SENT, DigestStatus.FAILED, DigestStatus.CANCELLED)


def purge_mail(periods) -> int:
    """The record of e-mails that went out (or never will) before the cutoff. Per person, so the
    shortest period of the person's communes applies (as for sessions)."""
    from models import Membership

    def purge(where) -> int:
        old = select(MailDigest.id).where(MailDigest.status.in_(FINISHED), where)
        db.session.execute(delete(MailOutbox).where(MailOutbox.digest_id.in_(old)))
        return db.session.execute(delete(MailDigest).where(MailDigest.id.in_(old))).rowcount

    count = 0
    for cutoff, ids in periods.groups():
        members = select(Membership.user_id).where(Membership.commune_id.in_(ids))
        count += purge(and_(MailDigest.created_at < cutoff, MailDigest.user_id.in_(members)))
    count += purge(and_(MailDigest.created_at < periods.shortest_cutoff,
                        MailDigest.user_id.not_in(select(Membership.user_id))))
    return count


def _register_personal_data() -> None:
    from services import personal_data

    personal_data.register_exporter("mail", export_of)
    personal_data.register_deleter("mail", delete_of)
    personal_data.register_retention("mail", label=_l("Record of the e-mails sent"), default_months=3, minimum=1,
                                     maximum=24, purge=purge_mail)


_register_personal_data()
