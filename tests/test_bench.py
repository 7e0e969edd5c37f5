"""The benchmark harness (bench/): its data generator on a tiny campaign, the JSON it writes, and
how it counts supports lost or duplicated. Fast: no gunicorn, no wrk (bench/run.py does that)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from extensions import db
from models import (
    Comment,
    CommitteeMember,
    Criterion,
    Idea,
    ProgrammeVersion,
    Project,
    RoundStatus,
    ScoringRound,
    Score,
    Support,
    User,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import dataset  # noqa: E402
import run  # noqa: E402

TINY = dataset.Sizes(residents=60, associations=3, ideas=40, supports=300, comments=80, projects=6)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One tiny campaign in a SQLite file, shared by the tests of this module."""
    from app import create_app
    from config import TestingConfig

    path = tmp_path_factory.mktemp("bench") / "tiny.sqlite"
    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        db.create_all()
        generated = dataset.generate(sizes=TINY, log=lambda _message: None)
        db.session.remove()
    return app, generated


def fingerprint():
    return (
        list(db.session.execute(select(Support.user_id, Support.idea_id).order_by(Support.id))),
        list(db.session.execute(select(Idea.title, Idea.support_count, Idea.comment_count).order_by(Idea.id))),
        list(db.session.execute(select(Score.value).order_by(Score.id).limit(200))),
    )


def test_tiny_campaign_has_the_sizes_asked_and_valid_counters(tiny):
    app, generated = tiny
    with app.app_context():
        counts = dataset.counts_in_database(generated.commune_id)
        assert counts["supports"] == TINY.supports
        assert counts["comments"] == TINY.comments
        assert counts["ideas"] == TINY.ideas
        assert counts["associations"] == TINY.associations
        assert counts["projects"] == TINY.projects
        assert counts["committee_members"] == 15
        assert counts["criteria"] == 9
        assert counts["scores"] == TINY.projects * 15 * 8  # 8 scored criteria + residents' support
        assert dataset.counters_consistent() == []
        # Supports respect the plan's per-person limit and only go to public ideas.
        most = db.session.scalar(select(func.count()).select_from(Support).group_by(Support.user_id)
                                 .order_by(func.count().desc()).limit(1))
        assert most <= dataset.SUPPORT_LIMIT
        statuses = set(db.session.scalars(select(Idea.status).join(Support, Support.idea_id == Idea.id)))
        assert statuses <= {"submitted", "accepted"}
        # Comment threads stay within three levels and hidden comments are not counted.
        assert db.session.scalar(select(func.max(Comment.depth))) <= 2
        # Every account shares one argon2 hash.
        assert db.session.scalar(select(func.count(func.distinct(User.password_hash)))) == 1


def test_tiny_campaign_has_a_published_ranking_and_an_adopted_programme(tiny):
    app, generated = tiny
    with app.app_context():
        round_ = db.session.get(ScoringRound, generated.round_id)
        assert round_.status == RoundStatus.PUBLISHED and round_.published_result
        assert db.session.scalar(select(func.count()).select_from(CommitteeMember)
                                 .where(CommitteeMember.is_chair.is_(True))) == 1
        versions = list(db.session.scalars(select(ProgrammeVersion)))
        assert versions and any(v.status == "adopted" and v.adopted_at is not None for v in versions)
        assert db.session.scalar(select(func.count()).select_from(Criterion)) == 9
        assert db.session.scalar(select(func.count()).select_from(Project)) == TINY.projects
        page = db.session.get(Idea, generated.idea_page_id)
        assert page.is_public and page.comment_count == generated.comments_on[generated.idea_page_id]


def test_scenario_pages_answer(tiny):
    app, generated = tiny
    client = app.test_client()
    for name, path in run.scenario_paths(generated).items():
        assert client.get(path).status_code == 200, name


def test_generation_is_deterministic(tiny, tmp_path):
    from app import create_app
    from config import TestingConfig

    app, _generated = tiny
    with app.app_context():
        first = fingerprint()
        db.session.remove()
    other = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'again.sqlite'}"})
    with other.app_context():
        db.create_all()
        dataset.generate(sizes=TINY, log=lambda _message: None)
        assert fingerprint() == first
        db.session.remove()


def test_sizes_of_the_campaign():
    one = dataset.Sizes.of(1)
    assert (one.residents, one.associations, one.ideas, one.supports, one.comments, one.projects) == \
        (50_000, 300, 5_000, 500_000, 50_000, 300)
    ten = dataset.Sizes.of(10)
    assert (ten.residents, ten.supports, ten.projects) == (500_000, 5_000_000, 300)
    assert dataset.Sizes.of(1, quick=True).supports < one.supports // 10


def _wrk(rps, p50=5.0, p95=9.0):
    return {"rps": rps, "p50_ms": p50, "p95_ms": p95, "non_2xx": 0}


def test_summary_has_the_json_shape_of_the_issue():
    runs = {name: {"bare": [_wrk(1000), _wrk(1200), _wrk(800)], "page": [_wrk(300), _wrk(100), _wrk(200)]}
            for name in run.SCENARIOS}
    statements = {name: 4 for name in run.SCENARIOS}
    result = run.summarise("sqlite", 1, runs, statements, None, first_visit_bytes=99_000,
                           support_interaction_bytes=1_300, rss=[100.0, 120.5], supports={"lost": 0, "duplicated": 0})
    assert set(result) == {"db", "scale", "bare_rps", "scenarios", "first_visit_bytes", "support_interaction_bytes",
                           "worker_rss_mb", "supports_lost", "supports_duplicated"}
    assert set(result["scenarios"]) == {"idea_list", "idea_search", "idea_page", "support", "ranking", "programme"}
    for scenario in result["scenarios"].values():
        assert set(scenario) == {"rps", "ratio_to_bare", "p50_ms", "p95_ms", "statements", "statements_x10"}
        assert scenario["rps"] == 200  # medians
        assert scenario["ratio_to_bare"] == 0.2  # against the bare runs of the same alternation
        assert scenario["statements_x10"] is None
    assert result["bare_rps"] == 1000
    assert result["worker_rss_mb"] == 120.5


def _thread(states, pending=0):
    return {"tid": 1, "pending": pending, "state": states, "ok_support": [1] * len(states),
            "ok_withdraw": [0] * len(states), "statuses": {"200": len(states)}}


def test_supports_lost_and_duplicated_are_found(tiny):
    app, generated = tiny
    with app.app_context():
        rows = list(db.session.execute(select(Support.user_id, Support.idea_id).order_by(Support.id).limit(3)))
    pairs = [{"thread": 1, "user_id": u, "idea_id": i} for u, i in rows]
    # The answers say all three are supported, and they are: nothing lost, nothing duplicated.
    clean = run.check_supports(app, pairs, [0, 0, 0], {"threads": [_thread([1, 1, 1])]})
    assert (clean["lost"], clean["duplicated"], clean["counter_drift"]) == (0, 0, {})
    # The answers say the first was withdrawn, yet its row is there: a duplicate.
    assert run.check_supports(app, pairs, [1, 1, 1], {"threads": [_thread([0, 1, 1])]})["duplicated"] == 1
    # …unless that request was still in flight when wrk stopped.
    pending = run.check_supports(app, pairs, [1, 1, 1], {"threads": [_thread([0, 1, 1], pending=1)]})
    assert (pending["duplicated"], pending["pending_left_out"]) == (0, 1)
    # A row lost after its answer, leaving the counter above the rows: lost, and the counter drifts.
    with app.app_context():
        db.session.execute(delete(Support).where(Support.user_id == rows[2][0], Support.idea_id == rows[2][1]))
        db.session.commit()
    try:
        lost = run.check_supports(app, pairs, [1, 1, 1], {"threads": [_thread([1, 1, 1])]})
        assert lost["lost"] == 1
        assert lost["counter_drift"] == {rows[2][1]: 1} and lost["duplicated"] == 1
    finally:
        with app.app_context():
            db.session.add(Support(user_id=rows[2][0], idea_id=rows[2][1], plan_id=generated.plan_id))
            db.session.commit()


def test_a_pair_with_an_unanswered_request_is_left_out(tiny):
    app, _generated = tiny
    with app.app_context():
        rows = list(db.session.execute(select(Support.user_id, Support.idea_id).order_by(Support.id).limit(2)))
    pairs = [{"thread": 1, "user_id": u, "idea_id": i} for u, i in rows]
    thread = {**_thread([0, 1]), "unanswered": [1, 0]}  # the first pair's withdrawal got a 5xx or no answer
    result = run.check_supports(app, pairs, [1, 1], {"threads": [thread]})
    assert (result["duplicated"], result["lost"], result["unanswered_left_out"]) == (0, 0, 1)
