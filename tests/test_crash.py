"""A writer killed with SIGKILL (SECURITY.md §3): integrity and tallies intact after restart.

A separate process runs the real services against the suite's database file (SQLite in WAL
mode here, PostgreSQL with TEST_DATABASE_URL): each transaction adds one support, its counter
and one audit entry. It is killed in the middle of a transaction (after the support was
written, before COMMIT; on SQLite with a tiny page cache so that uncommitted pages reach the
WAL file) and at random moments of a stream of commits. After the kill the database passes
PRAGMA integrity_check, holds exactly the committed supports, every counter equals its rows,
and the audit chain verifies.
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from extensions import db
from models import AuditEntry, Comment, Idea, Support
from tests.test_concurrency import ideas, residents

ROOT = Path(__file__).resolve().parent.parent

WRITER = r"""
import sys, time
from sqlalchemy import text
from app import create_app
from config import TestingConfig
from extensions import db
from models import Comment, User
from services import audit, supports

url, people, idea_id, mode = sys.argv[1], [int(p) for p in sys.argv[2].split(",")], int(sys.argv[3]), sys.argv[4]
app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": url})
with app.app_context():
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA cache_size=2"))  # uncommitted pages spill into the WAL file
        db.session.commit()
    print("ready", flush=True)
    for i, person in enumerate(people):
        supports.support(db.session.get(User, person), idea_id)
        audit.record("crash.test", actor_id=person, commune_id=None, target_kind="idea", target_id=idea_id,
                     details={"i": i})
        if mode == "hang" and i == len(people) - 1:
            for n in range(300):  # a large transaction, so that it is half on disk when killed
                db.session.add(Comment(idea_id=idea_id, author_id=person, stance="for", body=f"crash {n} " * 20))
            db.session.flush()
            print(f"flushed {i}", flush=True)
            time.sleep(600)  # killed here: written, not committed
        db.session.commit()
        print(f"committed {i}", flush=True)
    print("done", flush=True)
"""


def _start_writer(people, idea_id, mode):
    db.session.commit()
    db.session.close()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, db.engine.url.render_as_string(hide_password=False),
         ",".join(map(str, people)), str(idea_id), mode],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _read_until(proc, predicate, seen):
    while True:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"the writer ended early: {proc.stderr.read()[-2000:]}")
        seen.append(line.strip())
        if predicate(line.strip()):
            return


def _kill(proc, seen):
    """SIGKILL, then collect what the writer printed before it died."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    seen.extend(line.strip() for line in proc.stdout.read().splitlines())
    proc.stdout.close()
    proc.stderr.close()


def _restart_and_check(runner, idea_id) -> int:
    """Fresh connections (as after a restart); returns the number of supports found."""
    db.session.remove()
    db.engine.dispose()
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalars().all() == ["ok"]
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    else:  # the server rolled back the dead connection's transaction; wait until its backend is gone
        for _ in range(100):
            alive = db.session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"))
            db.session.rollback()
            if not alive:
                break
            time.sleep(0.05)
    rows = db.session.scalar(select(func.count()).select_from(Support).where(Support.idea_id == idea_id))
    assert db.session.scalar(select(Idea.support_count).where(Idea.id == idea_id)) == rows
    # One audit entry per committed transaction, and the chain verifies.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == rows
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"{rows} entries verified" in result.output, result.output
    return rows


def test_killed_mid_transaction_leaves_no_half_written_support(app, runner, commune, plan):
    plan.support_limit = None
    db.session.commit()
    people = residents(commune, 4)
    (idea_id,) = ideas(commune, plan, 1)
    proc = _start_writer(people, idea_id, "hang")
    seen: list[str] = []
    try:
        _read_until(proc, lambda line: line == "flushed 3", seen)
        if db.engine.dialect.name == "sqlite":  # the uncommitted transaction is partly in the WAL file
            wal = Path(db.engine.url.database + "-wal")
            assert wal.stat().st_size > 0
    finally:
        _kill(proc, seen)
    assert seen[-4:] == ["committed 0", "committed 1", "committed 2", "flushed 3"]
    assert _restart_and_check(runner, idea_id) == 3
    supporters = set(db.session.scalars(select(Support.user_id).where(Support.idea_id == idea_id)))
    assert supporters == set(people[:3])  # the last person's support was not committed: gone
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_killed_at_random_moments_of_a_stream_of_commits(app, runner, commune, plan):
    plan.support_limit = None
    db.session.commit()
    people = residents(commune, 400)
    (idea_id,) = ideas(commune, plan, 1)
    rng = random.Random(5)
    start = 0
    for _kill_round in range(2):
        batch = people[start:]
        proc = _start_writer(batch, idea_id, "run")
        seen: list[str] = []
        try:
            _read_until(proc, lambda line: line == "ready", seen)
            target = rng.randint(5, 40)
            _read_until(proc, lambda line, t=target: line == f"committed {t}", seen)
            time.sleep(rng.random() * 0.02)  # somewhere in the next transactions, maybe mid-commit
        finally:
            _kill(proc, seen)
        committed = [line for line in seen if line.startswith("committed")]
        rows = _restart_and_check(runner, idea_id)
        # Everything reported committed is there; at most the one being committed when killed more.
        assert start + len(committed) <= rows <= start + len(committed) + 1, (start, len(committed), rows)
        supporters = set(db.session.scalars(select(Support.user_id).where(Support.idea_id == idea_id)))
        assert supporters == set(people[:rows])
        start = rows
    assert start >= 12
