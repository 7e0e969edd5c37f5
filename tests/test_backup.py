"""`flask backup` / `flask restore` (services/backup.py): the restore drill, a backup taken while
people keep supporting, a damaged backup refused, and a full disk during a backup.

Runs against the suite's database: a SQLite file here, PostgreSQL (pg_dump/pg_restore) when
TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from extensions import db
from models import Comment, Idea, Support, User
from services import backup as backup_service
from services import demo

ROOT = Path(__file__).resolve().parent.parent


def _url():
    return db.engine.url


def _backend() -> str:
    return db.engine.url.get_backend_name()


@pytest.fixture()
def demo_data(app):
    """The Tetouan demo, small (the restore drill)."""
    demo.seed_tetouan(n_ideas=20, n_residents=12)
    db.session.commit()
    db.session.close()


@pytest.fixture()
def light_data(app, commune, plan):
    """A commune, 8 residents, 4 ideas and a few supports: quicker than the demo."""
    from services import supports
    from tests.test_concurrency import ideas, residents

    plan.support_limit = None
    db.session.commit()
    people = residents(commune, 8)
    idea_ids = ideas(commune, plan, 4)
    for i, person in enumerate(people):
        supports.support(db.session.get(User, person), idea_ids[i % 4])
    db.session.commit()
    db.session.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backup(runner, directory: Path, name: str):
    db.session.commit()
    db.session.close()
    return runner.invoke(args=["backup", "--dir", str(directory), "--name", name])


def _restore(runner, path: Path):
    db.session.commit()
    db.session.close()
    return runner.invoke(args=["restore", str(path), "--yes"])


def test_restore_drill(app, runner, demo_data, tmp_path):
    result = _backup(runner, tmp_path, "drill")
    assert result.exit_code == 0, result.output
    path = tmp_path / ("drill" + backup_service.EXTENSIONS[_backend()])
    manifest = json.loads((tmp_path / "drill.manifest.json").read_text())
    assert "verified" in result.output and str(path) in result.output
    assert manifest["backend"] == _backend() and manifest["file_sha256"] == _sha(path)
    # The manifest counts what is in the database.
    supports_before = db.session.scalar(select(func.count()).select_from(Support))
    assert supports_before > 0
    assert manifest["tables"]["support"]["rows"] == supports_before
    assert manifest["tables"]["idea"]["rows"] == 20
    assert manifest["total_rows"] == sum(t["rows"] for t in manifest["tables"].values())
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, "drill.manifest.json"])  # no temporary file left

    # Disaster: supports deleted, an idea's title changed (same number of rows), a comment added.
    idea = db.session.scalars(select(Idea).order_by(Idea.id)).first()
    idea_id, title = idea.id, idea.title
    db.session.execute(delete(Support).where(Support.idea_id.in_(select(Idea.id).order_by(Idea.id).limit(5))))
    db.session.execute(update(Idea).where(Idea.id == idea_id).values(title="changed after the backup"))
    author = db.session.scalars(select(User)).first()
    db.session.add(Comment(idea_id=idea_id, author_id=author.id, stance="for", body="written after the backup"))
    db.session.commit()
    problems = backup_service.differences(manifest["tables"], backup_service.database_tables(_url()))
    assert any(p.startswith("table idea: same number of rows") for p in problems), problems
    assert any(p.startswith("table support:") for p in problems), problems
    assert any(p.startswith("table comment:") for p in problems), problems

    result = _restore(runner, path)
    assert result.exit_code == 0, result.output
    assert "every count and checksum matches" in result.output
    assert backup_service.differences(manifest["tables"], backup_service.database_tables(_url())) == []
    assert db.session.scalar(select(func.count()).select_from(Support)) == supports_before
    assert db.session.get(Idea, idea_id).title == title
    assert db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.body == "written after the backup")) == 0
    # The application works on the restored database.
    assert db.session.scalar(select(func.sum(Idea.support_count))) == supports_before


def test_a_backup_during_writes_is_one_consistent_snapshot(app, runner, light_data, tmp_path):
    """Supports keep being added while the backup runs; the backup (restored) has every counter
    equal to its rows, and its manifest matches it: a snapshot, not a torn copy."""
    from services import supports

    people = list(db.session.scalars(select(User.id).order_by(User.id)))
    idea_ids = list(db.session.scalars(select(Idea.id).order_by(Idea.id)))
    db.session.close()
    stop = threading.Event()
    written = []

    def writer():
        with app.app_context():
            for person in people:
                for idea_id in idea_ids:
                    if stop.is_set():
                        return
                    try:
                        supports.support(db.session.get(User, person), idea_id)
                        db.session.commit()
                        written.append(idea_id)
                    except Exception:  # noqa: BLE001 - already supported, not a resident...
                        db.session.rollback()
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            threading.Event().wait(0.01)
        result = backup_service.backup(_url(), tmp_path, "during")
    finally:
        stop.set()
        thread.join(timeout=60)
    assert len(written) >= 5
    after_writes = db.session.scalar(select(func.count()).select_from(Support))
    result_restore = _restore(runner, result.path)
    assert result_restore.exit_code == 0, result_restore.output
    restored = db.session.scalar(select(func.count()).select_from(Support))
    assert restored == result.manifest["tables"]["support"]["rows"]
    assert restored <= after_writes
    assert db.session.scalar(select(func.sum(Idea.support_count))) == restored


def test_a_damaged_backup_is_refused_and_changes_nothing(app, runner, light_data, tmp_path):
    assert _backup(runner, tmp_path, "nightly").exit_code == 0
    path = tmp_path / ("nightly" + backup_service.EXTENSIONS[_backend()])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    db.session.execute(delete(Support))
    db.session.commit()
    result = _restore(runner, path)
    assert result.exit_code == 1
    assert "restore FAILED" in result.output and "does not match its manifest" in result.output
    assert db.session.scalar(select(func.count()).select_from(Support)) == 0  # untouched
    missing = _restore(runner, tmp_path / "absent.sqlite")
    assert missing.exit_code == 1 and "no such file" in missing.output


def _limit_file_size(limit: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def test_a_full_disk_fails_clearly_and_keeps_the_previous_backup(app, runner, light_data, tmp_path):
    assert _backup(runner, tmp_path, "nightly").exit_code == 0
    before = {name: _sha(tmp_path / name) for name in os.listdir(tmp_path)}
    assert len(before) == 2
    env = dict(os.environ, DATABASE_URL=_url().render_as_string(hide_password=False), TASHARUK_ENV="development",
               PYTHONDONTWRITEBYTECODE="1", FLASK_APP="app:create_app")
    env.pop("TEST_DATABASE_URL", None)
    # A process that may not write files beyond 8 KiB: the backup cannot fit.
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "backup", "--dir", str(tmp_path), "--name", "nightly"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size(8192),  # noqa: PLW1509
        check=False,
    )
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "backup FAILED" in proc.stderr and "the disk is full" in proc.stderr, proc.stderr
    assert "earlier backups were not touched" in proc.stderr
    assert "Traceback" not in proc.stderr
    # The previous backup is intact, and no partial file is left behind.
    assert {name: _sha(tmp_path / name) for name in os.listdir(tmp_path)} == before
    backup_service.verify_file(tmp_path / ("nightly" + backup_service.EXTENSIONS[_backend()]))
