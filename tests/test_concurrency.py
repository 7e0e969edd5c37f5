"""Supports under real concurrency (SECURITY.md §3): threads released together by a barrier,
each with its own app context, session and connection, against the file database
(SQLite in WAL mode here, PostgreSQL with TEST_DATABASE_URL).

Nothing here relies on SQLite's single writer: the service locks the person's row
(SELECT … FOR UPDATE) and the UNIQUE(user, idea) constraint refuses duplicates.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Comment, Idea, Membership, Support, User
from models._base import utcnow
from services import comments as comment_service
from services import supports
from services.errors import ServiceError
from services.text import normalize

WORKERS = 16


def run_together(app, jobs) -> list[str]:
    """Run each job (a function taking no argument, using db.session) in its own thread and
    app context, all released at once. Returns "ok" or the error's class name per job."""
    db.session.commit()  # the test's own session holds no transaction or lock meanwhile
    db.session.close()
    barrier = threading.Barrier(len(jobs))
    results: list[str | None] = [None] * len(jobs)

    def worker(index, job):
        with app.app_context():
            try:
                barrier.wait(timeout=30)  # no database access before this point (no lock held)
                job()
                db.session.commit()
                results[index] = "ok"
            except ServiceError as exc:
                db.session.rollback()
                results[index] = type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - reported, and fails the test below
                db.session.rollback()
                results[index] = f"unexpected {exc!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker is stuck"
    unexpected = [r for r in results if r is None or r.startswith("unexpected")]
    assert unexpected == [], unexpected
    return results


def residents(commune, n, prefix="p"):
    """People with the resident role (no password hashing: they never sign in here)."""
    people = [User(display_name=f"{prefix}{i}", email=f"{prefix}{i}@race.test", password_hash="x") for i in range(n)]
    db.session.add_all(people)
    db.session.flush()
    db.session.add_all(Membership(user_id=p.id, commune_id=commune.id, role="resident") for p in people)
    db.session.commit()
    return [p.id for p in people]


def ideas(commune, plan, n, prefix="idea"):
    author = User(display_name="author", email=f"author-{prefix}@race.test", password_hash="x")
    db.session.add(author)
    db.session.flush()
    axis_id, hood_id = commune.axes[0].id, commune.neighbourhoods[0].id
    made = [
        Idea(commune_id=commune.id, plan_id=plan.id, author_id=author.id, title=f"{prefix} {i}", description="d",
             axis_id=axis_id, neighbourhood_id=hood_id, status="submitted", submitted_at=utcnow(),
             search_text=normalize(f"{prefix} {i}"))
        for i in range(n)
    ]
    db.session.add_all(made)
    db.session.commit()
    return [i.id for i in made]


def support_job(user_id, idea_id):
    def job():
        supports.support(db.session.get(User, user_id), idea_id)
    return job


def support_rows(**where) -> int:
    stmt = select(func.count()).select_from(Support)
    for name, value in where.items():
        stmt = stmt.where(getattr(Support, name) == value)
    return db.session.scalar(stmt)


def support_count(idea_id) -> int:
    return db.session.scalar(select(Idea.support_count).where(Idea.id == idea_id))


@pytest.fixture()
def unlimited(plan):
    plan.support_limit = None
    db.session.commit()
    return plan


def test_the_database_is_a_real_shared_file(app):
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        assert url.database not in (None, "", ":memory:")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    else:
        assert url.get_backend_name() == "postgresql"


def test_same_person_same_idea_counts_once(app, commune, unlimited):
    rounds = 5  # 16 of the same person at once; the 200-round test below mixes both kinds
    (person,) = residents(commune, 1)
    idea_ids = ideas(commune, unlimited, rounds)
    for idea_id in idea_ids:
        results = run_together(app, [support_job(person, idea_id) for _ in range(WORKERS)])
        assert results.count("ok") == 1 and results.count("Conflict") == WORKERS - 1, results
        assert support_rows(user_id=person, idea_id=idea_id) == 1
        assert support_count(idea_id) == 1


def test_the_per_plan_limit_is_never_exceeded(app, commune, plan):
    limit, rounds = 3, 5
    plan.support_limit = limit
    db.session.commit()
    idea_ids = ideas(commune, plan, WORKERS)
    people = residents(commune, rounds)
    for person in people:  # a new person each round, the same 16 ideas
        results = run_together(app, [support_job(person, idea_id) for idea_id in idea_ids])
        assert results.count("ok") == limit and results.count("Conflict") == WORKERS - limit, results
        assert support_rows(user_id=person) == limit
    # Every counter agrees with the rows: nothing counted that was refused.
    assert sum(support_count(i) for i in idea_ids) == support_rows() == limit * rounds


def test_many_people_one_idea_none_lost(app, commune, unlimited):
    rounds = 5
    people = residents(commune, WORKERS)
    idea_ids = ideas(commune, unlimited, rounds)
    for idea_id in idea_ids:
        results = run_together(app, [support_job(person, idea_id) for person in people])
        assert results == ["ok"] * WORKERS
        assert support_rows(idea_id=idea_id) == WORKERS
        assert support_count(idea_id) == WORKERS


ROUNDS = 200
LIMIT = 3


def withdraw_job(user_id, idea_id):
    def job():
        supports.withdraw(db.session.get(User, user_id), idea_id)
    return job


def test_200_rounds_of_16_racing_workers(app, commune, plan):
    """SECURITY.md §4: 16 workers behind a barrier × 200 rounds on one idea per round.

    Each round, 8 distinct people toggle their support of the round's idea (support if they do
    not support it yet, else withdraw), while one more person races with themself: 4 supports
    and 4 withdrawals of the same idea at once. A model of who supports what is kept from the
    results; after every round the rows of the idea must equal the model (0 lost, 0 duplicated)
    and its maintained counter must equal its rows; nobody ever holds more than the per-plan limit.
    """
    plan.support_limit = LIMIT
    db.session.commit()
    idea_ids = ideas(commune, plan, 4)
    togglers = residents(commune, 8, prefix="t")
    racers = residents(commune, 4, prefix="r")
    model: dict[int, set[int]] = {p: set() for p in togglers + racers}  # person -> ideas supported
    for r in range(ROUNDS):
        target = idea_ids[r % len(idea_ids)]
        racer = racers[r % len(racers)]
        jobs, expected = [], []
        for person in togglers:  # one job each: the outcome is known in advance
            if target in model[person]:
                jobs.append(withdraw_job(person, target))
                expected.append("ok")
            else:
                jobs.append(support_job(person, target))
                expected.append("ok" if len(model[person]) < LIMIT else "Conflict")
        racer_jobs = [support_job(racer, target) if i % 2 == 0 else withdraw_job(racer, target) for i in range(8)]
        results = run_together(app, jobs + racer_jobs)
        assert results[:8] == expected, (r, results)
        for person, result in zip(togglers, results[:8]):
            if result == "ok":
                model[person] ^= {target}
        racer_results = results[8:]
        assert set(racer_results) <= {"ok", "Conflict"}, racer_results
        net = sum(1 if res == "ok" else 0 for res in racer_results[0::2]) - sum(
            1 if res == "ok" else 0 for res in racer_results[1::2])
        before = int(target in model[racer])
        after = before + net
        assert after in (0, 1), (r, before, racer_results)
        if after:
            model[racer].add(target)
        else:
            model[racer].discard(target)
        rows = set(db.session.scalars(select(Support.user_id).where(Support.idea_id == target)))
        assert rows == {p for p, supported in model.items() if target in supported}, r
        assert support_count(target) == len(rows), r
        db.session.commit()
    # At the end: no duplicate, no one above the limit, every counter equals its rows.
    assert db.session.scalar(
        select(func.count()).select_from(
            select(Support.user_id).group_by(Support.user_id, Support.idea_id).having(func.count() > 1).subquery()
        )
    ) == 0
    assert max(db.session.scalars(select(func.count()).select_from(Support).group_by(Support.user_id))) <= LIMIT
    assert support_rows() == sum(len(s) for s in model.values())
    for idea_id in idea_ids:
        assert support_count(idea_id) == support_rows(idea_id=idea_id)
    # The test could fail: people did reach the limit and were refused, and racers both won and lost.
    assert any(len(s) == LIMIT for s in model.values())


def test_concurrent_withdrawals_count_once(app, commune, unlimited):
    (person,) = residents(commune, 1)
    (idea_id,) = ideas(commune, unlimited, 1)
    run_together(app, [support_job(person, idea_id)])

    def withdraw():
        supports.withdraw(db.session.get(User, person), idea_id)

    results = run_together(app, [withdraw for _ in range(WORKERS)])
    assert results.count("ok") == 1 and results.count("Conflict") == WORKERS - 1
    assert support_rows() == 0 and support_count(idea_id) == 0


def test_concurrent_comments_keep_the_counters(app, commune, plan):
    people = residents(commune, WORKERS)
    (idea_id,) = ideas(commune, plan, 1)
    stances = ["for", "neutral", "against", "for"]

    def comment_job(i, person):
        def job():
            comment_service.post(db.session.get(User, person), idea_id, body=f"avis {i}", stance=stances[i % 4])
        return job

    results = run_together(app, [comment_job(i, p) for i, p in enumerate(people)])
    assert results == ["ok"] * WORKERS
    idea = db.session.get(Idea, idea_id)
    assert db.session.scalar(select(func.count()).select_from(Comment).where(Comment.idea_id == idea_id)) == WORKERS
    assert (idea.comment_count, idea.comments_for, idea.comments_neutral, idea.comments_against) == (16, 8, 4, 4)


def test_a_post_after_a_get_still_begins_immediate(app, isolated_client, commune, unlimited):
    """Requests reuse threads: a POST must not inherit the deferred transactions of the GET before it
    (a deferred read-then-write fails at once in WAL when another writer got in first)."""
    from sqlalchemy import event

    from tests.conftest import login, make_user

    person = make_user(commune)
    (idea_id,) = ideas(commune, unlimited, 1)
    login(isolated_client, person)
    token = _token(isolated_client)  # a GET: leaves the thread's last transaction deferred
    begins: list[str] = []

    def listener(conn, cursor, statement, *args):  # noqa: ARG001
        if statement.upper().startswith("BEGIN"):
            begins.append(statement.upper())

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = isolated_client.post(f"/tetouan/ideas/{idea_id}/support",
                                        data={"csrf_token": token})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 303
    assert support_rows(idea_id=idea_id) == 1
    if db.engine.dialect.name == "sqlite":
        # The transaction that writes begins IMMEDIATE; what the answer reads after the commit
        # begins a plain read transaction (blueprints._helpers.commit_then_read).
        assert begins and begins[0] == "BEGIN IMMEDIATE", begins
        assert all(b == "BEGIN" for b in begins[1:]), begins
    else:  # PostgreSQL: the driver begins transactions itself; the row lock does the work
        assert begins == []


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/tetouan/ideas")
