"""Migrations: `flask db upgrade` builds exactly the models' schema, every revision goes
down and back up, and demo data survives a down-and-up of the last revision where the
tables stay.

Runs on a fresh SQLite file and, when TEST_DATABASE_URL is PostgreSQL, on a separate
throwaway database of that server (the session's test database is never touched).
Works for whatever revisions migrations/versions holds; it fails while there is none,
because then `db upgrade` cannot build the schema.
"""
from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, make_url, select, text

from app import create_app
from config import TestingConfig
from extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version"

_pg_url = os.environ.get("TEST_DATABASE_URL", "")
# Flask-Migrate's generated migrations/env.py tries Flask-SQLAlchemy 2's get_engine() first.
pytestmark = pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")

BACKENDS = ["sqlite"] + (["postgresql"] if _pg_url.startswith("postgresql") else [])


def _revisions() -> list[str]:
    """Revision ids from the first to the head (a single branch is expected)."""
    script = ScriptDirectory(str(MIGRATIONS))
    heads = script.get_heads()
    assert len(heads) <= 1, f"several migration heads {heads}: merge them (flask db merge)"
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@pytest.fixture(autouse=True)
def _restore_logging():
    """migrations/env.py calls logging.config.fileConfig, which disables every logger that
    already exists; put the logging set-up back so later tests still see their logs."""
    manager = logging.Logger.manager
    loggers = {name: lg for name, lg in manager.loggerDict.items() if isinstance(lg, logging.Logger)}
    loggers[""] = logging.getLogger()
    saved = {name: (lg.level, list(lg.handlers), lg.propagate, lg.disabled) for name, lg in loggers.items()}
    yield
    for name, lg in list(manager.loggerDict.items()) + [("", logging.getLogger())]:
        if not isinstance(lg, logging.Logger):
            continue
        if name in saved:
            level, handlers, lg.propagate, lg.disabled = saved[name]
            lg.setLevel(level)  # also clears the loggers' cached isEnabledFor answers
            lg.handlers[:] = handlers
        else:
            lg.disabled = False


@pytest.fixture(params=BACKENDS)
def empty_url(request, tmp_path):
    """The URL of a brand-new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    server = make_url(_pg_url)
    name = f"tasharuk_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture()
def migrated_app(empty_url):
    """An app on the empty database, inside an app context."""
    application = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": empty_url})
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _schema_differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {VERSION_TABLE}


def _counts(tables) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def test_there_is_a_migration_history():
    revisions = _revisions()
    assert revisions, "migrations/versions is empty: generate the schema with `flask db migrate` and review it"


def test_upgrade_builds_exactly_the_models(migrated_app):
    revisions = _revisions()
    assert revisions, "no migration revision"
    assert _tables() == set()
    flask_migrate.upgrade()
    assert _current_revision() == revisions[-1]
    assert _tables() == set(db.metadata.tables)
    differences = _schema_differences()
    assert differences == [], "the migrated schema differs from the models:\n" + "\n".join(map(repr, differences))


def test_every_revision_goes_down_and_up_again(migrated_app):
    revisions = _revisions()
    assert revisions, "no migration revision"
    previous, tables_before = "base", _tables()
    for revision in revisions:
        flask_migrate.upgrade(revision=revision)
        assert _current_revision() == revision
        tables_after = _tables()
        flask_migrate.downgrade(revision=previous)
        assert _current_revision() == (None if previous == "base" else previous), f"{revision} did not go down"
        assert _tables() == tables_before, f"downgrading {revision} did not restore the tables"
        flask_migrate.upgrade(revision=revision)
        assert _tables() == tables_after, f"{revision} did not come back up the same"
        previous, tables_before = revision, tables_after
    assert _schema_differences() == []
    flask_migrate.downgrade(revision="base")
    assert _current_revision() is None
    assert _tables() == set(), "tables left behind after downgrading to base"


# Rows of the demo that the schema before the last revision cannot hold, per table, which its
# downgrade removes: 861fc399de3e adds the roles bureau and equality (the demo's bureau account and
# the observer's equality role) and opinions on other subjects than a version (on a project, a theme).
TRIMMED_ON_DOWNGRADE = {"861fc399de3e": {"membership": 2, "equality_opinion": 2}}


def test_demo_data_survives_the_last_revision_going_down_and_up(migrated_app):
    from models import Idea, User
    from services import demo

    assert _revisions(), "no migration revision"
    flask_migrate.upgrade()
    accounts = demo.seed_tetouan(n_ideas=30, n_residents=10)
    db.session.commit()
    assert len(accounts) == len(demo.ROLE_ACCOUNTS)
    tables = db.metadata.sorted_tables
    before = _counts(tables)
    assert before[Idea.__tablename__] == 30
    assert before[User.__tablename__] == 10 + len(demo.ROLE_ACCOUNTS)
    db.session.remove()

    flask_migrate.downgrade(revision="-1")
    kept = [t for t in tables if t.name in _tables()]
    trimmed = TRIMMED_ON_DOWNGRADE.get(_revisions()[-1], {})
    whole = [t for t in kept if t.name not in trimmed]
    # Tables the last revision does not drop keep every row...
    assert _counts(whole) == {t.name: before[t.name] for t in whole}
    # ...except the rows the older schema cannot hold, and only those.
    down = _counts([t for t in kept if t.name in trimmed])
    assert down == {name: before[name] - lost for name, lost in trimmed.items()}
    flask_migrate.upgrade()
    after = _counts(tables)
    # ...and still do once it is applied again; tables it recreated come back empty.
    assert {t.name: after[t.name] for t in whole} == {t.name: before[t.name] for t in whole}
    assert all(after[t.name] == 0 for t in tables if t not in kept)
    assert _schema_differences() == []

    # Down to nothing and up again: an empty, working schema that takes the demo once more.
    flask_migrate.downgrade(revision="base")
    assert _tables() == set()
    flask_migrate.upgrade()
    assert _counts(tables) == {t.name: 0 for t in tables}
    assert len(demo.seed_tetouan(n_ideas=5, n_residents=2)) == len(demo.ROLE_ACCOUNTS)
    db.session.commit()
