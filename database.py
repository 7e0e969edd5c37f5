"""Connection set-up that keeps supports safe under concurrency (SECURITY.md §3).

SQLite: WAL, busy_timeout=5000, foreign_keys=ON, and write transactions started
with BEGIN IMMEDIATE so a read-then-write can never fail half-way or race.
Requests with a safe method (GET/HEAD/OPTIONS) start plain deferred transactions,
so readers never queue behind writers. PostgreSQL: services lock the rows they
check (SELECT … FOR UPDATE); nothing special is needed here.
"""
from __future__ import annotations

import contextvars

from sqlalchemy import event
from sqlalchemy.engine import Engine

# True when the current unit of work may write. Outside requests (CLI, services
# tests, workers) every transaction is treated as a write transaction.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


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
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")
