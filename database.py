"""Connection set-up that keeps supports safe under concurrency (SECURITY.md §3).

SQLite: WAL, busy_timeout=5000, foreign_keys=ON, and write transactions started
with BEGIN IMMEDIATE so a read-then-write can never fail half-way or race. A writer that
finds the write lock taken waits for it in short steps (0.2-2 ms, at most 5 s) rather than
in SQLite's own busy handler, whose waits grow to 25-100 ms: when supports pour in, each
write takes a few milliseconds and the next writer should start as soon as it ends.
Requests with a safe method (GET/HEAD/OPTIONS) start plain deferred transactions,
so readers never queue behind writers. PostgreSQL: services lock the rows they
check (SELECT … FOR UPDATE); nothing special is needed here.
"""
from __future__ import annotations

import contextvars
import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

# True when the current unit of work may write. Outside requests (CLI, services
# tests, workers) every transaction is treated as a write transaction.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)

BUSY_TIMEOUT_MS = 5000
WRITE_WAIT_STEPS = (0.0002, 0.002)  # first and longest pause between two tries, seconds


def begin_immediate(conn, wait_seconds: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """BEGIN IMMEDIATE on SQLAlchemy connection `conn`, retried in short steps while another
    connection writes (SQLite's busy handler is off for this one statement)."""
    from sqlalchemy.exc import OperationalError

    raw = conn.connection.dbapi_connection
    deadline = time.monotonic() + wait_seconds
    pause, longest = WRITE_WAIT_STEPS
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                return
            except OperationalError as exc:
                if not isinstance(exc.orig, sqlite3.OperationalError) or "locked" not in str(exc.orig) \
                        or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 1.5, longest)
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):  # noqa: ARG001
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if write_intent.get():
            begin_immediate(conn)
        else:
            conn.exec_driver_sql("BEGIN")
