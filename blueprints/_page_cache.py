"""Public pages for visitors who are not signed in, served from a short-lived shared cache.

Why: on the last evening of a campaign most readers are not signed in and read the same pages
(the idea list, the ideas everybody talks about, the ranking, the programme). Rendering one costs
10-20 ms of CPU; serving a stored copy well under 1 ms (README, "Benchmark").

What is stored: the answer to a GET of a view declared @public under a commune URL
(`/<commune>/...`), for a visitor whose session holds nothing but a form token (nobody signed
in, no message waiting to be shown), when the answer is 200, sets no cookie of its own and did
not touch the session. The key is the commune, its content version, the language, page or htmx
fragment, and the address (scheme, host, path and query string).

The only per-visitor thing in such a page is the form (CSRF) token of the language switcher and
of htmx: while a cacheable page renders, `csrf_token_value()` writes a placeholder (derived
from SECRET_KEY, so no one can type it), and every answer — fresh or stored — gets the
visitor's own token in its place. A page that made a token any other way is not stored.

Freshness:
- Every change to what a commune's pages show raises `Commune.content_version` in the same
  transaction (the listeners below, on every SQLAlchemy session: web, CLI, tests). Each request
  reads the commune row anyway, so every server sees the new version — and stops using older
  copies — at once.
- High-frequency records that only move counters (supports, signatures, sessions,
  notifications, mail, audit, committee scores before publication) do not raise it: a stored
  page shows counts at most PUBLIC_CACHE_SECONDS old (default 10). People who are signed in
  always get a fresh page.
Storage: Redis when REDIS_URL is set (shared by every worker and server; falls back to memory,
logged, if Redis stops answering); otherwise each process's memory, a bounded LRU.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Tables whose rows change often and only move counts (or are private): no version bump.
QUIET_TABLES = frozenset({
    "support", "association_support", "petition_signature", "support_ballot", "report",
    "user_account", "user_session", "membership", "departed_identity", "notification",
    "mail_digest", "mail_outbox", "mail_settings", "audit_entry", "score", "recusal",
    "password_reset_token",
})
# Columns that are counters: an UPDATE that only moves these is not a content change.
COUNTER_COLUMNS = frozenset({"support_count", "association_support_count", "signature_count"})
# Session keys an anonymous visitor may hold and still get a stored page: the form token, and
# the "not fresh" mark Flask-Login's session protection leaves on every anonymous session.
ANONYMOUS_SESSION_KEYS = frozenset({"csrf_token", "_fresh"})

_PENDING = "tasharuk_content_changed"  # session.info key: commune ids (or ALL) to bump at commit
ALL = "all"


# --- the content version ---------------------------------------------------------------------

def _commune_of(obj) -> int | str:
    if obj.__table__.name == "commune":
        return obj.id
    commune_id = getattr(obj, "commune_id", None)
    return commune_id if isinstance(commune_id, int) else ALL


def _is_quiet(obj) -> bool:
    return getattr(obj, "__table__", None) is None or obj.__table__.name in QUIET_TABLES


def _only_counters_changed(obj) -> bool:
    changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}
    return bool(changed) and changed <= COUNTER_COLUMNS


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session, flush_context):  # noqa: ARG001
    # After a flush, new/dirty/deleted and the attribute histories still show what was flushed.
    pending = session.info.setdefault(_PENDING, set())
    for obj in (*session.new, *session.deleted):
        if not _is_quiet(obj):
            pending.add(_commune_of(obj))
    for obj in session.dirty:
        if not _is_quiet(obj) and session.is_modified(obj, include_collections=False) \
                and not _only_counters_changed(obj):
            pending.add(_commune_of(obj))
    if not pending:
        del session.info[_PENDING]


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state):
    # UPDATE/DELETE/INSERT statements run through the session (moderation, counters, retention).
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.local_table.name in QUIET_TABLES:
        return
    values = getattr(state.statement, "_values", None)  # the SET clause of an UPDATE
    if state.is_update and values and {getattr(c, "key", c) for c in values} <= COUNTER_COLUMNS:
        return
    state.session.info.setdefault(_PENDING, set()).add(ALL)  # which commune: resolved at commit


@event.listens_for(Session, "before_commit")
def _bump_content_version(session):
    session.flush()  # what commit would flush next is noted now
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    from models import Commune

    ids = {c for c in pending if c != ALL}
    if ALL in pending:
        commune = g.get("commune") if has_request_context() else None
        if commune is None:
            ids = None  # outside a commune's request (CLI, imports): every commune
        else:
            ids.add(commune.id)
    stmt = update(Commune.__table__).values(content_version=Commune.__table__.c.content_version + 1)
    if ids is not None:
        stmt = stmt.where(Commune.__table__.c.id.in_(sorted(ids)))
    session.connection().execute(stmt)  # Core, not ORM: not seen by _note_bulk_changes


@event.listens_for(Session, "after_rollback")
def _forget_pending(session):
    session.info.pop(_PENDING, None)


# --- the stores -------------------------------------------------------------------------------

class MemoryStore:
    """Each process's own copies: a least-recently-used dict bounded in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            item = self.items.get(key)
            if item is None:
                return None
            expires, value = item
            if expires < time.monotonic():
                self._drop(key)
                return None
            self.items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, ttl: int) -> None:
        if len(value) > self.max_bytes // 8:
            return  # one huge page must not empty the cache
        with self.lock:
            if key in self.items:
                self._drop(key)
            self.items[key] = (time.monotonic() + ttl, value)
            self.size += len(value)
            while self.size > self.max_bytes:
                self._drop(next(iter(self.items)))

    def _drop(self, key: str) -> None:
        _, value = self.items.pop(key)
        self.size -= len(value)


class RedisStore:
    """Copies shared by every worker and server; memory while Redis does not answer."""

    RETRY_SECONDS = 30

    def __init__(self, url: str, fallback: MemoryStore):
        import redis

        self.errors = (redis.RedisError, OSError)
        self.client = redis.Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
        self.fallback = fallback
        self.down_until = 0.0

    def _failed(self, exc: Exception) -> None:
        if self.down_until < time.monotonic():
            log.warning("page cache: Redis is not answering (%s); using this process's memory for %ss",
                        exc.__class__.__name__, self.RETRY_SECONDS)
        self.down_until = time.monotonic() + self.RETRY_SECONDS

    def get(self, key: str) -> bytes | None:
        if self.down_until > time.monotonic():
            return self.fallback.get(key)
        try:
            return self.client.get(key)
        except self.errors as exc:
            self._failed(exc)
            return self.fallback.get(key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        if self.down_until > time.monotonic():
            return self.fallback.set(key, value, ttl)
        try:
            self.client.set(key, value, ex=ttl)
        except self.errors as exc:
            self._failed(exc)
            self.fallback.set(key, value, ttl)


# --- the web side -----------------------------------------------------------------------------

_KEEP_HEADERS = ("Content-Type", "Content-Language", "Vary", "Cache-Control", "Link")


def _pack(response: Response, body: bytes) -> bytes:
    head = {"status": response.status_code,
            "headers": [[k, v] for k, v in response.headers.items() if k in _KEEP_HEADERS]}
    return json.dumps(head, separators=(",", ":")).encode() + b"\0" + body


def _unpack(value: bytes) -> tuple[int, list, bytes]:
    head, body = value.split(b"\0", 1)
    meta = json.loads(head)
    return meta["status"], meta["headers"], body


def placeholder(app: Flask) -> str:
    key = app.config["SECRET_KEY"].encode()
    return "csrf-" + hmac.new(key, b"page-cache-placeholder", hashlib.sha256).hexdigest()[:40]


def csrf_token_value() -> str:
    """The form token for templates: a placeholder while a cacheable page renders."""
    if g.get("_page_cache_key"):
        g._page_cache_placeholder_used = True
        return current_app.extensions["tasharuk_page_cache"]["placeholder"]
    return generate_csrf()


def _with_token(body: bytes, token_placeholder: bytes) -> bytes:
    if token_placeholder not in body:
        return body
    return body.replace(token_placeholder, generate_csrf().encode())


def init_app(app: Flask, is_public, language) -> None:
    """Serve and keep public pages. `is_public(endpoint)` tells a @public view; `language()`
    the language the page will be written in. PUBLIC_CACHE_SECONDS is read at each request
    (0: off)."""
    memory = MemoryStore(int(app.config.get("PUBLIC_CACHE_MAX_MB", 32)) * 1024 * 1024)
    store = RedisStore(app.config["REDIS_URL"], memory) if app.config.get("REDIS_URL") else memory
    token_placeholder = placeholder(app)
    app.extensions["tasharuk_page_cache"] = {"store": store, "placeholder": token_placeholder}
    marker = token_placeholder.encode()
    from blueprints._helpers import is_htmx

    def cache_key() -> str | None:
        commune = g.get("commune")
        if request.method != "GET" or commune is None or app.config["PUBLIC_CACHE_SECONDS"] <= 0:
            return None
        if not is_public(request.endpoint):
            return None
        lang = language()  # reads the person first (Flask-Login may mark the session then)
        if not set(session.keys()) <= ANONYMOUS_SESSION_KEYS:
            return None  # signed in, a message to show, a sign-in under way: a fresh page
        # The host too: a page that wrote an absolute link must not be served under another name.
        where = hashlib.sha256((request.host_url + request.full_path).encode()).hexdigest()[:32]
        return f"tasharuk:page:{commune.id}:{commune.content_version}:{lang}:{int(is_htmx())}:{where}"

    @app.before_request
    def serve_stored():
        key = cache_key()
        if key is None:
            return None
        value = store.get(key)
        if value is None:
            g._page_cache_key = key  # render it; after_request keeps it
            g._page_cache_session = dict(session)
            return None
        status, headers, body = _unpack(value)
        g._page_cache_hit = True
        return Response(_with_token(body, marker), status=status, headers=headers)

    @app.after_request
    def keep(response: Response):
        key = g.pop("_page_cache_key", None)
        if key is None or g.get("_page_cache_hit"):
            return response
        if response.is_streamed or response.direct_passthrough:
            return response  # exports that stream: never buffered here (and no placeholder in them)
        body = response.get_data()
        cacheable = (
            response.status_code == 200
            and not response.headers.getlist("Set-Cookie")
            and dict(session) == g.get("_page_cache_session")  # rendering left the session alone
            and "csrf_token" not in g  # a real token was made while rendering: the page is personal
            and not response.cache_control.no_store
            and not response.cache_control.private
        )
        if cacheable:
            store.set(key, _pack(response, body), app.config["PUBLIC_CACHE_SECONDS"])
        if g.get("_page_cache_placeholder_used"):
            response.set_data(_with_token(body, marker))
        return response
