"""Faults (issue 5, "Bad input and faults"): the database down at start or in the middle of a
request, Redis down, and rate-limit counters shared between two app servers through Redis.

Database down → /healthz answers 503, pages show the generic translated error page (503, no
traceback), and nothing is half-written. Redis down → the app still serves, rate limits fall
back to memory and the log says so. The Redis tests start a real redis-server (Debian package
redis-server, installed by scripts/test) on a free port: if it is missing they fail, saying so.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import has_request_context
from sqlalchemy import event, func, select

from app import create_app
from config import TestingConfig
from extensions import db
from models import Idea, Support
from tests.conftest import login, make_idea, make_user, post

ROOT = Path(__file__).resolve().parent.parent
GENERIC = "Something went wrong on our side. Nothing you sent was saved; please try again later."


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_error_page(response, status=503):
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:300]
    assert GENERIC in body
    assert "Traceback" not in body and "OperationalError" not in body and "sqlalchemy" not in body.lower()
    return body


# --- database down at start ----------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "sqlite:////nonexistent-directory-tasharuk/db.sqlite",
    f"postgresql+psycopg://tasharuk@127.0.0.1:{_free_port()}/tasharuk",  # nothing listens there
], ids=["sqlite-missing-directory", "postgresql-closed-port"])
def test_database_down_at_start(url, caplog):
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": url})  # starts: nothing connects yet
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "error", "database": "unreachable"}
    for path in ("/", "/tetouan/ideas", "/login"):
        _assert_error_page(client.get(path, headers={"Accept-Language": "en"}))
    # The page is the app's own, in the reader's language and direction (its text comes from the catalogs).
    arabic = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar"' in arabic and 'dir="rtl"' in arabic
    fragment = client.get("/tetouan/ideas", headers={"HX-Request": "true", "Accept-Language": "en"})
    assert fragment.status_code == 503 and "<html" not in fragment.get_data(as_text=True)
    assert fragment.headers["Retry-After"] == "30"
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    with app.app_context():
        db.engine.dispose()


# --- database failing in the middle of requests -------------------------------------------------

@contextmanager
def failing_statements(pattern: str):
    """Statements matching `pattern` fail as if the server went away. On PostgreSQL the server
    really drops the connection (pg_terminate_backend of that very connection, then the statement
    runs); on SQLite the driver raises its own disk I/O error. Only inside requests."""
    engine = db.engine
    dbapi = engine.dialect.loaded_dbapi
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)

    def listener(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if not has_request_context() or not regex.search(statement):  # the test's own statements work
            return
        if engine.dialect.name == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
            with engine.pool._creator() as killer:  # a separate connection, outside the pool
                killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
            time.sleep(0.05)
        else:
            raise dbapi.OperationalError("disk I/O error (simulated)")

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture()
def resident_and_idea(app, commune):
    resident = make_user(commune)
    idea = make_idea(commune, make_user(commune, name="Author"))
    return resident, idea


def _supports(idea_id):
    db.session.rollback()
    rows = db.session.scalar(select(func.count()).select_from(Support).where(Support.idea_id == idea_id))
    return rows, db.session.scalar(select(Idea.support_count).where(Idea.id == idea_id))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_database_failing_mid_request_writes_nothing(client, resident_and_idea, htmx):
    resident, idea = resident_and_idea
    login(client, resident)
    url = f"/tetouan/ideas/{idea.id}/support"
    token_page = client.get(f"/tetouan/ideas/{idea.id}")
    token = re.search(r'name="csrf-token" content="([^"]+)"', token_page.get_data(as_text=True)).group(1)
    # The support row is inserted, then the counter update fails: the whole transaction goes.
    with failing_statements(r"^\s*UPDATE idea SET support_count"):
        response = post(client, url, {"csrf_token": token}, htmx=htmx)
    body = _assert_error_page(response)
    assert ("<html" in body) is not htmx
    assert _supports(idea.id) == (0, 0)
    # The database is back: the same action works, and counts once.
    again = post(client, url, {"csrf_token": token}, htmx=htmx)
    assert again.status_code in (200, 303), again.get_data(as_text=True)[:300]
    assert _supports(idea.id) == (1, 1)


def test_database_down_between_requests_then_back(client, resident_and_idea):
    resident, idea = resident_and_idea
    login(client, resident)
    assert client.get("/healthz").status_code == 200
    with failing_statements(r"."):  # every statement fails: the server is gone
        assert client.get("/healthz").status_code == 503
        _assert_error_page(client.get("/tetouan/ideas"))
        # A signed-in person too: the error page itself does not need the database.
        _assert_error_page(client.get(f"/tetouan/ideas/{idea.id}"))
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}
    assert client.get(f"/tetouan/ideas/{idea.id}").status_code == 200
    if db.engine.dialect.name == "postgresql":
        # The server dropped every connection between two requests (a restart): pool_pre_ping
        # notices and reconnects, so the next request simply works.
        db.session.commit()
        with db.engine.connect() as conn:
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        assert client.get("/healthz").status_code == 200
        assert client.get(f"/tetouan/ideas/{idea.id}").status_code == 200


# --- Redis -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def redis_url():
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed (Debian: apt-get install redis-server; scripts/test installs it)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.025)
        else:
            pytest.fail("redis-server did not start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=10)


# One app server: signs in with a wrong password N times (the sign-in limit is 5 a minute per
# account) and prints the status codes. A separate process, as a second gunicorn worker would be.
SERVER = r"""
import json, re, sys
from app import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
client = app.test_client()
page = client.get("/login").get_data(as_text=True)
token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
codes = []
for _ in range(int(sys.argv[2])):
    response = client.post("/login", data={"csrf_token": token, "identifier": "nobody@example.test",
                                           "password": "not-the-right-password"})
    codes.append(response.status_code)
print(json.dumps(codes))
"""


def _server(attempts: int, redis: str | None):
    db.session.commit()
    env = dict(os.environ, TASHARUK_ENV="development", PYTHONDONTWRITEBYTECODE="1")
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis
    proc = subprocess.run(
        [sys.executable, "-c", SERVER, db.engine.url.render_as_string(hide_password=False), str(attempts)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_rate_limits_are_shared_between_servers_through_redis(app, redis_url):
    import redis

    store = redis.Redis.from_url(redis_url)
    store.flushall()
    first, _ = _server(3, redis_url)
    assert first == [400, 400, 400]  # a wrong password: 400 with the form's message
    # The counters live in Redis, not in the first server's memory (which is gone with it).
    counters = [key for key in store.keys("*") if b"sign-in" in key]
    assert counters and all(int(store.get(key)) == 3 for key in counters), counters
    second, _ = _server(3, redis_url)
    assert second == [400, 400, 429]  # the 6th wrong password, counted across both servers
    store.close()


def test_redis_down_falls_back_to_memory_and_says_so(app):
    codes, log = _server(6, f"redis://127.0.0.1:{_free_port()}/0")  # nothing listens there
    assert codes == [400] * 5 + [429]  # the app serves, and still limits (in memory)
    assert "Rate limit storage unreachable - falling back to in-memory storage" in log
    assert "Traceback" not in log


def test_the_log_of_a_database_failure_names_the_route_not_the_token(client, caplog):
    """A path may hold a secret (a password-reset link): the log names the route's pattern."""
    token = "Zx9" + "q" * 40
    with caplog.at_level(logging.ERROR), failing_statements(r"password_reset_token"):
        response = client.get(f"/password/reset/{token}")
    assert response.status_code == 503
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "database unavailable during GET /password/reset/<token>" in logged
    assert token not in logged
