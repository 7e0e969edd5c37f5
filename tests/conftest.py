"""Shared fixtures and factories.

The database is TEST_DATABASE_URL (PostgreSQL in CI's second pass) or a fresh
SQLite file. The schema is built once per session; every test starts from
empty tables. CSRF protection stays ON: tests post the real token.
"""
from __future__ import annotations

import os
import functools
import re
import shutil
import tempfile
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from config import TestingConfig
from extensions import db, limiter

DEFAULT_PASSWORD = "correct-horse-battery-staple"
_TMP = tempfile.mkdtemp(prefix="tasharuk-tests-")


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP}/test.sqlite"


@pytest.fixture(scope="session")
def _app():
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": _database_url()})
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    shutil.rmtree(_TMP, ignore_errors=True)


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture()
def app(_app):
    with _app.app_context():
        _empty_tables()
        limiter.reset()
        yield _app
        db.session.remove()




class _OwnContextClient(FlaskClient):
    """Runs every request in its own app context, as in production.

    With `client`, requests reuse the test's app context, so they share `g`
    (where Flask-Login caches current_user) and one db.session: a revoked or
    expired session would keep working within a test. The test's own session is
    committed first: its open transaction would hold SQLite's lock against the request,
    and afterwards the test reads what the request committed.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture()
def isolated_client(app):
    client = _OwnContextClient(app, app.response_class, use_cookies=True)
    # Assertions read the English msgids; the Arabic default is tested explicitly
    # (tests/test_language.py) by sending no Accept-Language header.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture()
def client(isolated_client):
    """Every test client runs each request in its own app context, as in production."""
    return isolated_client


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


# --- factories -------------------------------------------------------------------------------

@pytest.fixture()
def commune(app):
    from services import demo

    commune, _plan = demo.create_commune(today=date.today())
    db.session.commit()
    return commune


@pytest.fixture()
def plan(commune):
    from services import phases

    return phases.current_plan(commune)


_counter = {"n": 0}


def _hash(password: str) -> str:
    """Factories hash each test password once per hasher (argon2id is slow on purpose);
    a test that swaps the hasher's parameters gets hashes made with them."""
    from services import accounts

    return _hash_with(password, accounts._hasher)


@functools.lru_cache(maxsize=16)
def _hash_with(password: str, hasher) -> str:
    return hasher.hash(password)


def make_user(commune, roles=("resident",), *, email=None, phone=None, name="Test Person", password=DEFAULT_PASSWORD):
    from models import Membership, User
    from services import accounts

    _counter["n"] += 1
    if email is None and phone is None:
        email = f"person{_counter['n']}@example.test"
    user = User(display_name=name, email=email, phone=phone, password_hash=_hash(password))
    db.session.add(user)
    db.session.flush()
    for role in roles:
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=role))
    db.session.commit()
    return user


def make_idea(commune, author, *, title="Un jardin pour le quartier", description="Planter des arbres et installer des bancs.",
              status="submitted", **extra):
    from models import Axis, Idea, Neighbourhood
    from services import phases
    from services.text import normalize
    from models._base import utcnow
    from sqlalchemy import select

    plan = phases.current_plan(commune)
    axis = db.session.scalars(select(Axis).where(Axis.commune_id == commune.id)).first()
    hood = db.session.scalars(select(Neighbourhood).where(Neighbourhood.commune_id == commune.id)).first()
    idea = Idea(
        commune_id=commune.id, plan_id=plan.id, author_id=author.id if author else None, title=title,
        description=description, axis_id=extra.pop("axis_id", axis.id),
        neighbourhood_id=extra.pop("neighbourhood_id", hood.id), status=status,
        submitted_at=utcnow() if status != "draft" else None, search_text=normalize(f"{title} {description}"), **extra,
    )
    db.session.add(idea)
    db.session.commit()
    return idea


def make_association(commune, representative=None, *, verified=True, name="Association Test", **extra):
    from models import Association, AssociationRepresentative
    from models._base import utcnow

    _counter["n"] += 1
    association = Association(
        commune_id=commune.id, name=name, receipt_number=extra.pop("receipt_number", f"R-{_counter['n']}"),
        founded_on=extra.pop("founded_on", date(2015, 1, 1)), presence=extra.pop("presence", "seat"),
        address=extra.pop("address", "Tétouan"), field=extra.pop("field", "environment"),
        verified_at=utcnow() if verified else None, **extra,
    )
    db.session.add(association)
    db.session.flush()
    if representative is not None:
        db.session.add(AssociationRepresentative(association_id=association.id, user_id=representative.id))
    db.session.commit()
    return association


def set_phase(plan, kind, open_=True):
    """Open or close one phase of the plan around today."""
    from datetime import timedelta
    from models import Phase
    from sqlalchemy import select

    phase = db.session.scalar(select(Phase).where(Phase.plan_id == plan.id, Phase.kind == kind))
    today = date.today()
    if open_:
        phase.starts_on, phase.ends_on = today - timedelta(days=1), today + timedelta(days=1)
    else:
        phase.starts_on, phase.ends_on = today + timedelta(days=10), today + timedelta(days=20)
    db.session.commit()


CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(client, path="/tetouan/") -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    page = client.get(path)
    match = CSRF_META.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def post(client, url, data=None, *, htmx=False, token=True, **kwargs):
    """POST with the session's real CSRF token (unless token=False)."""
    data = dict(data or {})
    if token and "csrf_token" not in data:
        data["csrf_token"] = csrf_token(client)
    headers = kwargs.pop("headers", {})
    if htmx:
        headers["HX-Request"] = "true"
    return client.post(url, data=data, headers=headers, **kwargs)


TOTP_SECRET_SHOWN = re.compile(r'id="totp-secret"[^>]*>([^<]+)<')


def fresh_totp_code(user_id: int, secret: str) -> str:
    """A valid code for a time step the person has not used yet (codes are single-use).

    The current step, else the next one (both accepted: valid_window=1). If both were used
    already (a third sign-in of one person within ~30 s), the stored last step is set back
    directly in the database for the test: the replay protection itself is tested in
    tests/test_totp.py.
    """
    import pyotp
    from sqlalchemy import select, update

    from models import User
    from services import totp

    db.session.rollback()  # read what the requests committed
    last = db.session.scalar(select(User.totp_last_step).where(User.id == user_id))
    otp = pyotp.TOTP(secret)
    current = otp.timecode(totp.clock())
    for step in (current, current + 1):
        if last is None or step > last:
            return otp.generate_otp(step)
    db.session.execute(update(User).where(User.id == user_id).values(totp_last_step=current - 1))
    db.session.commit()
    return otp.generate_otp(current)


def login(client, user, password=DEFAULT_PASSWORD):
    """Sign in through the real login form; committee members and admins also pass the
    second factor (set it up on their first sign-in, else a fresh code for their secret)."""
    from urllib.parse import urlsplit

    from sqlalchemy import select

    from models import User

    response = post(client, "/login", {"identifier": user.email or user.phone, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    path = urlsplit(response.headers["Location"]).path
    if path == "/login/second-factor/setup":
        page = client.get(path).get_data(as_text=True)
        match = TOTP_SECRET_SHOWN.search(page)
        assert match, page[:500]
        secret = match.group(1).replace(" ", "")
    elif path == "/login/second-factor":
        db.session.rollback()
        secret = db.session.scalar(select(User.totp_secret).where(User.id == user.id))
    else:
        return response
    response = post(client, path, {"code": fresh_totp_code(user.id, secret)})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return response
