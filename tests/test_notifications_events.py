"""What became of my idea: the authors of the ideas a project came from are told, once per author
per event (deleted accounts skipped), when its ranking is published (idea_ranked), when the council
adopts a programme placing it (idea_in_programme) and when its yearly follow-up goes up (idea_progress)."""
from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from extensions import db
from models import Notification, ProjectIdea
from models._base import utcnow
from services import execution, programme, ranking
from tests.conftest import make_idea, make_user
from tests.test_programme_builder import build, programme_world
from tests.test_ranking import build_round


def _notes(kind):
    db.session.expire_all()
    return [(n.user_id, json.loads(n.params)) for n in db.session.scalars(
        select(Notification).where(Notification.kind == kind).order_by(Notification.user_id, Notification.id))]


def _link(project, *ideas):
    for idea in ideas:
        db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
    db.session.commit()


def test_publishing_a_ranking_tells_each_author_once(commune):
    made = build_round(commune)
    projects = made["projects"]
    alice, bob, gone = (make_user(commune, name=n) for n in ("Alice", "Bob", "Gone"))
    a1, a2 = make_idea(commune, alice, title="Idée A1"), make_idea(commune, alice, title="Idée A2")
    b1, g1 = make_idea(commune, bob), make_idea(commune, gone)
    orphan = make_idea(commune, None)
    _link(projects["TET-02"], a1, a2, orphan)
    _link(projects["TET-01"], b1)
    _link(projects["TET-03"], g1)
    gone.deleted_at = utcnow()
    db.session.commit()
    data = ranking.publish(made["round"], made["users"]["A"])
    db.session.commit()
    ranks = {row["code"]: row["rank"] for row in data["rows"]}
    notes = _notes("idea_ranked")
    assert [user_id for user_id, _ in notes] == sorted([alice.id, bob.id])
    by_user = dict(notes)
    assert by_user[alice.id] == {"idea_id": min(a1.id, a2.id), "code": "TET-02", "rank": ranks["TET-02"],
                                 "title": {"ar": projects["TET-02"].title_ar, "fr": projects["TET-02"].title_fr,
                                           "zgh": projects["TET-02"].title_zgh}}
    assert by_user[bob.id]["code"] == "TET-01" and by_user[bob.id]["rank"] == ranks["TET-01"]


def test_the_council_adoption_tells_authors_of_placed_projects(commune):
    world = programme_world(commune)
    dana, eve = make_user(commune, name="Dana"), make_user(commune, name="Eve")
    _link(world["projects"]["TET-01"], make_idea(commune, dana))
    _link(world["projects"]["TET-03"], make_idea(commune, eve))  # skipped by the builder: not placed
    version = build(world)
    programme.propose(world["plan"], version, world["users"]["A"])
    assert _notes("idea_in_programme") == []  # proposing is not adopting
    programme.record_adoption(world["plan"], version, programme.AdoptionInput(
        date.today() - timedelta(days=30), "Délibération n° 45/2022", 30, 5, 2), world["users"]["admin"])
    db.session.commit()
    notes = _notes("idea_in_programme")
    assert [(user_id, p["code"], p["year"]) for user_id, p in notes] == [(dana.id, "TET-01", world["plan"].start_year)]


def test_progress_is_told_when_the_percent_goes_up(commune):
    world = programme_world(commune)
    plan, chair, project = world["plan"], world["users"]["A"], world["projects"]["TET-01"]
    fatima = make_user(commune, name="Fatima")
    _link(project, make_idea(commune, fatima))
    year = plan.start_year

    def save(y=year, **values):
        execution.save_report(plan, project, y, execution.ReportInput(**values), chair)
        db.session.commit()
        return [(p["year"], p["percent"], p["status"]) for _, p in _notes("idea_progress")]

    assert save(status="studies", percent_complete=10) == [(year, 10, "studies")]
    assert save(status="studies", percent_complete=10) == [(year, 10, "studies")]  # nothing changed
    assert save(status="tendering", percent_complete=10, amount_spent=5) == [(year, 10, "studies")]  # not higher
    assert save(status="works", percent_complete=40) == [(year, 10, "studies"), (year, 40, "works")]
    assert len(save(y=year + 1, status="works", percent_complete=40)) == 2  # same as the year before
    assert len(save(y=year + 1, status="works", percent_complete=30, reason="Relevé corrigé")) == 2  # went down
    assert save(y=year + 1, status="done", percent_complete=100)[-1] == (year + 1, 100, "done")
    assert {user_id for user_id, _ in _notes("idea_progress")} == {fatima.id}
