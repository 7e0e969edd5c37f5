"""Scoring rounds: open/close, blind scoring by form, conflicts of interest, progress
(services.scoring and blueprints/rounds). The CSV upload is in tests/test_score_upload.py."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    AuditEntry, Axis, CommitteeMember, Criterion, CriterionLevel, Project, ProjectIdea, Recusal, RoundProject,
    Score, ScoringRound, Support,
)
from services import audit, scoring
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from tests.conftest import csrf_token, login, make_idea, make_user, post


# --- the world -----------------------------------------------------------------------------------

def _project(commune, plan, code, cost=100_000):
    axis = db.session.scalars(select(Axis).where(Axis.commune_id == commune.id)).first()
    project = Project(commune_id=commune.id, plan_id=plan.id, code=code, title_ar=f"مشروع {code}",
                      title_fr=f"Projet {code}", title_zgh=f"ⴰⵙⵏⴼⴰⵔ {code}", axis_id=axis.id, total_cost=cost,
                      commune_share=cost // 2, duration_years=2, earliest_start_year=plan.start_year,
                      beneficiaries_total=1200)
    db.session.add(project)
    db.session.flush()
    return project


def _criterion(plan, code, kind, weight, position):
    c = Criterion(plan_id=plan.id, code=code, kind=kind, weight=weight, position=position,
                  name_ar=f"معيار {code}", name_fr=f"Critère {code}", name_zgh=f"ⴰⵙⵎⵉⴽⵙⵍ {code}",
                  description_fr=f"Ce que mesure {code}.")
    c.levels = [CriterionLevel(level=n, text_ar=f"مستوى {n}", text_fr=f"Niveau {n} de {code}", text_zgh="ⴰⴼⵔⴷⵉⵙ")
                for n in range(6)]
    db.session.add(c)
    db.session.flush()
    return c


@pytest.fixture()
def cw(app, commune, plan):
    """A committee: chair, two members, an observer, a committee-role person without a seat;
    criteria: support + impact + cost; three projects; a draft round over the first two."""
    people = {name: make_user(commune, ("committee",), name=name.title())
              for name in ("chair", "alice", "bob", "observer", "seatless")}
    kinds = {"chair": "commune", "alice": "commune", "bob": "undp", "observer": "observer"}
    for name, kind in kinds.items():
        db.session.add(CommitteeMember(plan_id=plan.id, user_id=people[name].id, kind=kind,
                                       is_chair=name == "chair", organisation=f"Org {name}"))
    support = _criterion(plan, "support", "support", 2.0, 0)
    impact = _criterion(plan, "impact", "scored", 3.0, 1)
    cost = _criterion(plan, "cost", "scored", 1.0, 2)
    projects = [_project(commune, plan, f"TET-0{i}") for i in (1, 2, 3)]
    round_ = ScoringRound(plan_id=plan.id, name="Round 1")
    db.session.add(round_)
    db.session.flush()
    for p in projects[:2]:
        db.session.add(RoundProject(round_id=round_.id, project_id=p.id))
    db.session.commit()
    return SimpleNamespace(commune=commune, plan=plan, round=round_, projects=projects, support=support,
                           impact=impact, cost=cost, **people)


def open_(cw):
    scoring.open_round(cw.round, cw.chair)
    db.session.commit()


def score_count(**where) -> int:
    stmt = select(func.count()).select_from(Score)
    for key, value in where.items():
        stmt = stmt.where(getattr(Score, key) == value)
    return db.session.scalar(stmt)


def last_audit() -> AuditEntry:
    return db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def url(cw, suffix=""):
    return f"/tetouan/committee/rounds/{cw.round.id}{suffix}"


# --- services: rounds ------------------------------------------------------------------------------

def test_create_round_is_a_draft_and_audited(cw):
    r = scoring.create_round(cw.plan, cw.chair, name="Round 2", top_k=5, project_ids=[p.id for p in cw.projects])
    db.session.commit()
    assert r.status == "draft" and r.top_k == 5 and len(r.projects) == 3
    assert last_audit().action == "committee.round_created"
    assert json.loads(last_audit().details)["projects"] == ["TET-01", "TET-02", "TET-03"]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "", "top_k": 10, "ids": 3}, "name"),
    ({"name": "x" * 201, "top_k": 10, "ids": 3}, "name"),
    ({"name": "<script>x</script>", "top_k": 10, "ids": 3}, "name"),
    ({"name": "R", "top_k": 0, "ids": 3}, "top_k"),
    ({"name": "R", "top_k": 51, "ids": 3}, "top_k"),
    ({"name": "R", "top_k": 10, "ids": 1}, "projects"),
])
def test_create_round_refuses_bad_input(cw, kwargs, field):
    before = db.session.scalar(select(func.count()).select_from(ScoringRound))
    with pytest.raises(ServiceError) as info:
        scoring.create_round(cw.plan, cw.chair, name=kwargs["name"], top_k=kwargs["top_k"],
                             project_ids=[p.id for p in cw.projects[:kwargs["ids"]]])
    assert info.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ScoringRound)) == before


def test_projects_of_another_plan_are_refused(cw):
    from services import demo

    other, other_plan = demo.create_commune(slug="chefchaouen")
    foreign = _project(other, other_plan, "CHE-01")
    db.session.commit()
    with pytest.raises(ServiceError) as info:
        scoring.set_projects(cw.round, cw.chair, [cw.projects[0].id, foreign.id])
    assert info.value.field == "projects"
    with pytest.raises(NotFound):
        scoring.get_round(other_plan, cw.round.id)


def test_set_projects_only_while_draft(cw):
    scoring.set_projects(cw.round, cw.chair, [p.id for p in cw.projects])
    db.session.commit()
    assert sorted(p.code for p in scoring.round_projects(cw.round)) == ["TET-01", "TET-02", "TET-03"]
    scoring.set_projects(cw.round, cw.chair, [cw.projects[0].id, cw.projects[2].id])
    db.session.commit()
    assert [p.code for p in scoring.round_projects(cw.round)] == ["TET-01", "TET-03"]
    open_(cw)
    with pytest.raises(Conflict):
        scoring.set_projects(cw.round, cw.chair, [p.id for p in cw.projects])


def test_open_then_close_transitions(cw):
    open_(cw)
    assert cw.round.status == "open" and cw.round.opened_at is not None
    assert last_audit().action == "committee.round_opened"
    with pytest.raises(Conflict):
        scoring.open_round(cw.round, cw.chair)
    db.session.rollback()
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    assert cw.round.status == "closed" and cw.round.closed_at is not None
    details = json.loads(last_audit().details)
    assert last_audit().action == "committee.round_closed"
    assert details["members"] == 3 and details["finished"] == 0 and details["missing_cells"] == 3 * 2 * 2
    with pytest.raises(Conflict):
        scoring.close_round(cw.round, cw.chair)
    with pytest.raises(Conflict):
        scoring.open_round(cw.round, cw.chair)
    db.session.rollback()
    assert audit.verify().ok


def test_close_refused_for_a_draft(cw):
    with pytest.raises(Conflict):
        scoring.close_round(cw.round, cw.chair)


def test_open_needs_two_projects_a_scored_criterion_and_weights(cw):
    link = db.session.get(RoundProject, (cw.round.id, cw.projects[1].id))
    db.session.delete(link)
    db.session.commit()
    db.session.expire(cw.round)
    with pytest.raises(Conflict, match="at least 2 projects"):
        scoring.open_round(cw.round, cw.chair)
    db.session.rollback()
    db.session.add(RoundProject(round_id=cw.round.id, project_id=cw.projects[1].id))
    cw.impact.kind = cw.cost.kind = "support"
    db.session.commit()
    db.session.expire(cw.round)
    with pytest.raises(Conflict, match="scored criterion"):
        scoring.open_round(cw.round, cw.chair)
    db.session.rollback()
    cw.impact.kind = cw.cost.kind = "scored"
    cw.impact.weight = cw.cost.weight = cw.support.weight = 0
    db.session.commit()
    with pytest.raises(Conflict, match="weights"):
        scoring.open_round(cw.round, cw.chair)
    db.session.rollback()
    assert db.session.get(ScoringRound, cw.round.id).status == "draft"


def test_close_keeps_supports_at_close(cw):
    resident = make_user(cw.commune, ("resident",))
    other = make_user(cw.commune, ("resident",))
    ideas = [make_idea(cw.commune, resident, title=f"Idée {i}") for i in range(2)]
    for idea in ideas:
        db.session.add(ProjectIdea(project_id=cw.projects[0].id, idea_id=idea.id))
        db.session.add(Support(idea_id=idea.id, user_id=resident.id, plan_id=cw.plan.id))
    db.session.add(Support(idea_id=ideas[0].id, user_id=other.id, plan_id=cw.plan.id))
    db.session.commit()
    assert scoring.supports(cw.round) == {cw.projects[0].id: 2, cw.projects[1].id: 0}  # distinct residents
    open_(cw)
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    links = {link.project_id: link.supports_at_close for link in cw.round.projects}
    assert links == {cw.projects[0].id: 2, cw.projects[1].id: 0}
    db.session.add(Support(idea_id=ideas[1].id, user_id=other.id, plan_id=cw.plan.id))
    db.session.commit()
    assert scoring.supports(cw.round)[cw.projects[0].id] == 2  # frozen at close


# --- services: scores --------------------------------------------------------------------------------

def test_scores_saved_changed_and_audited(cw):
    open_(cw)
    p = cw.projects[0]
    changed = scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (4, "Bon projet"), cw.cost.id: (None, "")})
    db.session.commit()
    assert changed == 1 and score_count(user_id=cw.alice.id) == 1
    entry = last_audit()
    details = json.loads(entry.details)
    assert entry.action == "committee.scores_saved" and entry.actor_id == cw.alice.id
    assert details["changes"] == [{"project": "TET-01", "criterion": "impact", "old": None, "new": 4,
                                   "comment_changed": True}]
    changed = scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (2, "Bon projet"), cw.cost.id: (5, None)})
    db.session.commit()
    assert changed == 2 and score_count(user_id=cw.alice.id) == 2
    assert {(c["criterion"], c["old"], c["new"]) for c in json.loads(last_audit().details)["changes"]} == {
        ("impact", 4, 2), ("cost", None, 5)}
    mine = scoring.my_scores(cw.round, cw.alice)
    assert mine[(p.id, cw.impact.id)].value == 2 and mine[(p.id, cw.impact.id)].comment == "Bon projet"
    # Saving the same again changes nothing and writes no audit entry.
    entries = audit_count()
    assert scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (2, "Bon projet")}) == 0
    assert audit_count() == entries
    assert audit.verify().ok


def test_same_cell_saved_twice_at_once_never_duplicates(cw, monkeypatch):
    """Two tabs: the second one read "no score yet" before the first saved. The UNIQUE
    constraint refuses the duplicate → Conflict, and nothing of the second save is kept."""
    open_(cw)
    p = cw.projects[0]
    scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (4, None)})
    db.session.commit()
    real = scoring.my_scores
    monkeypatch.setattr(scoring, "my_scores", lambda round_, user: {})  # the stale read of the other tab
    with pytest.raises(Conflict):
        scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (2, None), cw.cost.id: (1, None)})
    db.session.rollback()
    monkeypatch.setattr(scoring, "my_scores", real)
    assert score_count() == 1 and scoring.my_scores(cw.round, cw.alice)[(p.id, cw.impact.id)].value == 4


@pytest.mark.parametrize("value", [7, -1, 3.5, "3", "abc", True])
def test_scores_outside_0_5_are_refused(cw, value):
    open_(cw)
    with pytest.raises(ServiceError) as info:
        scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (value, None)})
    assert info.value.status == 400 and info.value.field == f"score-{cw.impact.id}"
    db.session.rollback()
    assert score_count() == 0


def test_scores_refused_on_support_criterion_or_foreign_criterion(cw):
    open_(cw)
    with pytest.raises(ServiceError) as info:
        scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.support.id: (3, None)})
    assert info.value.status == 400
    with pytest.raises(ServiceError):
        scoring.save_scores(cw.round, cw.alice, cw.projects[0], {999_999: (3, None)})
    db.session.rollback()
    assert score_count() == 0


def test_a_comment_needs_a_score(cw):
    open_(cw)
    with pytest.raises(ServiceError) as info:
        scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (None, "Pourquoi pas")})
    assert info.value.field == f"comment-{cw.impact.id}"


def test_scores_refused_outside_an_open_round(cw):
    with pytest.raises(Conflict, match="not open for scoring"):
        scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (3, None)})
    open_(cw)
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    with pytest.raises(Conflict):
        scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (3, None)})
    assert score_count() == 0


def test_scores_refused_for_observers_and_people_without_seat(cw):
    open_(cw)
    for person in (cw.observer, cw.seatless):
        with pytest.raises(NotAllowed):
            scoring.save_scores(cw.round, person, cw.projects[0], {cw.impact.id: (3, None)})
    assert score_count() == 0


def test_project_outside_the_round_is_not_found(cw):
    open_(cw)
    with pytest.raises(NotFound):
        scoring.save_scores(cw.round, cw.alice, cw.projects[2], {cw.impact.id: (3, None)})


def test_recusal_deletes_the_members_scores_and_blocks_scoring(cw):
    open_(cw)
    p = cw.projects[0]
    scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (4, None), cw.cost.id: (3, None)})
    scoring.save_scores(cw.round, cw.alice, cw.projects[1], {cw.impact.id: (2, None)})
    scoring.save_scores(cw.round, cw.bob, p, {cw.impact.id: (1, None)})
    db.session.commit()
    scoring.recuse(cw.round, cw.alice, p, "Je suis membre de l'association porteuse.")
    db.session.commit()
    assert score_count(user_id=cw.alice.id, project_id=p.id) == 0
    assert score_count(user_id=cw.alice.id) == 1 and score_count(user_id=cw.bob.id) == 1  # others untouched
    entry = last_audit()
    assert entry.action == "committee.recusal_declared" and json.loads(entry.details)["scores_deleted"] == 2
    with pytest.raises(NotAllowed, match="conflict of interest"):
        scoring.save_scores(cw.round, cw.alice, p, {cw.impact.id: (4, None)})
    with pytest.raises(Conflict):
        scoring.recuse(cw.round, cw.alice, p, "Encore")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Recusal)) == 1


def test_recusal_needs_a_reason_and_is_refused_after_close(cw):
    with pytest.raises(ServiceError) as info:
        scoring.recuse(cw.round, cw.alice, cw.projects[0], "   ")
    assert info.value.field == "reason"
    with pytest.raises(ServiceError) as info:
        scoring.recuse(cw.round, cw.alice, cw.projects[0], "x" * 501)
    assert info.value.field == "reason"
    scoring.recuse(cw.round, cw.alice, cw.projects[0], "Lien familial")  # allowed in a draft round
    open_(cw)
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    with pytest.raises(Conflict):
        scoring.recuse(cw.round, cw.bob, cw.projects[0], "Trop tard")
    with pytest.raises(NotAllowed):
        scoring.recuse(cw.round, cw.observer, cw.projects[0], "Observateur")


def test_progress_numbers(cw):
    open_(cw)
    p1, p2 = cw.projects[:2]
    scoring.save_scores(cw.round, cw.alice, p1, {cw.impact.id: (4, None), cw.cost.id: (3, None)})
    scoring.save_scores(cw.round, cw.alice, p2, {cw.impact.id: (2, None)})
    scoring.save_scores(cw.round, cw.bob, p1, {cw.impact.id: (2, None)})
    scoring.recuse(cw.round, cw.bob, p2, "Conflit")
    db.session.commit()
    by_name = {m.user.display_name: m for m in scoring.progress(cw.round)}
    assert set(by_name) == {"Alice", "Bob", "Chair"}  # the observer does not score
    alice, bob, chair = by_name["Alice"], by_name["Bob"], by_name["Chair"]
    assert (alice.done, alice.to_do, alice.missing_count, alice.finished) == (1, 1, 1, False)
    assert [(p.code, c.code) for p, c in alice.missing] == [("TET-02", "cost")]
    assert (bob.done, bob.to_do, bob.missing_count, [p.code for p in bob.recused]) == (0, 1, 1, ["TET-02"])
    assert (chair.done, chair.to_do, chair.missing_count) == (0, 2, 4)
    scoring.save_scores(cw.round, cw.bob, p1, {cw.cost.id: (1, None)})
    db.session.commit()
    assert scoring.my_progress(cw.round, cw.bob).finished


def test_blind_until_close(cw):
    open_(cw)
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (4, "Secret")})
    db.session.commit()
    with pytest.raises(NotAllowed, match="hidden until the round closes"):
        scoring.all_scores(cw.round)
    with pytest.raises(NotAllowed):
        scoring.all_scores_csv(cw.round)
    assert scoring.my_scores(cw.round, cw.bob) == {}  # never another's
    assert "Secret" not in scoring.sheet_csv(cw.round, cw.bob)
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    everyone = scoring.all_scores(cw.round)
    assert [ms.user.display_name for ms in everyone] == ["Alice"]
    assert everyone[0].scores[(cw.projects[0].id, cw.impact.id)].value == 4
    assert "Secret" in scoring.all_scores_csv(cw.round)


def test_sheet_csv_rows_bom_and_formula_neutralised(cw):
    cw.projects[0].title_fr = "=HYPERLINK(\"http://evil\")"
    db.session.commit()
    open_(cw)
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (3, "+1 bien")})
    scoring.recuse(cw.round, cw.alice, cw.projects[1], "Conflit")
    db.session.commit()
    text = scoring.sheet_csv(cw.round, cw.alice, "fr")
    assert text.startswith("\ufeffproject,criterion,score,comment,project_title,criterion_name\r\n")
    lines = text.lstrip("\ufeff").splitlines()
    assert len(lines) == 1 + 1 * 2  # recused project left out; support criterion never listed
    assert lines[1].startswith("TET-01,impact,3,'+1 bien,\"'=HYPERLINK(")
    assert lines[2].startswith("TET-01,cost,,,")


# --- routes --------------------------------------------------------------------------------------

def sign_in(client, user):
    login(client, user)
    return client


def is_page(response) -> bool:
    return "<html" in response.get_data(as_text=True)


def test_list_and_show_as_page_and_fragment(client, cw):
    sign_in(client, cw.chair)
    r = client.get("/tetouan/committee/rounds")
    assert r.status_code == 200 and is_page(r) and "Round 1" in r.get_data(as_text=True)
    r = client.get("/tetouan/committee/rounds", headers={"HX-Request": "true"})
    assert r.status_code == 200 and not is_page(r) and "Round 1" in r.get_data(as_text=True)
    r = client.get(url(cw))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "TET-01" in body and "Progress of the members" in body
    assert "Open the round" in body and "Save the projects" in body
    r = client.get(url(cw), headers={"HX-Request": "true"})
    assert r.status_code == 200 and not is_page(r) and "Open the round" in r.get_data(as_text=True)


def test_member_sees_own_progress_not_chair_tools(client, cw):
    open_(cw)
    sign_in(client, cw.alice)
    body = client.get(url(cw)).get_data(as_text=True)
    assert "Your scores" in body and "my-scores.csv" in body and "Upload my scores" in body
    assert "Progress of the members" not in body and "Close the round" not in body


def test_observer_reads_round_but_cannot_score(client, cw):
    open_(cw)
    sign_in(client, cw.observer)
    body = client.get(url(cw)).get_data(as_text=True)
    assert "TET-01" in body and "Your scores" not in body
    p = cw.projects[0]
    r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"})
    assert r.status_code == 403
    assert client.get(url(cw, f"/projects/{p.id}/score")).status_code == 403
    assert client.get(url(cw, "/my-scores.csv")).status_code == 403
    assert score_count() == 0


def test_new_round_form(client, cw):
    sign_in(client, cw.chair)
    assert client.get("/tetouan/committee/rounds/new").status_code == 200
    r = post(client, "/tetouan/committee/rounds/new",
             {"name": "Deuxième tour", "top_k": "abc", "projects": [str(cw.projects[0].id)]})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "Deuxième tour" in body  # typed text kept
    assert "Enter a whole number." in body and "Choose at least 2 projects." in body
    r = post(client, "/tetouan/committee/rounds/new",
             {"name": "Deuxième tour", "top_k": "5", "projects": [str(p.id) for p in cw.projects]}, htmx=True)
    assert r.status_code == 204 and "/committee/rounds/" in r.headers["HX-Redirect"]
    new = db.session.scalar(select(ScoringRound).where(ScoringRound.name == "Deuxième tour"))
    assert new.top_k == 5 and len(new.projects) == 3


def test_new_round_is_chair_only(client, cw):
    sign_in(client, cw.alice)
    assert client.get("/tetouan/committee/rounds/new").status_code == 403
    r = post(client, "/tetouan/committee/rounds/new",
             {"name": "X", "top_k": "5", "projects": [str(p.id) for p in cw.projects]})
    assert r.status_code == 403
    assert post(client, url(cw, "/open")).status_code == 403
    assert db.session.get(ScoringRound, cw.round.id).status == "draft"


def test_set_projects_route(client, cw):
    sign_in(client, cw.chair)
    r = post(client, url(cw, "/projects"), {"projects": [str(cw.projects[2].id)]}, htmx=True)
    assert r.status_code == 422 and "Choose at least 2 projects." in r.get_data(as_text=True)
    r = post(client, url(cw, "/projects"), {"projects": [str(p.id) for p in cw.projects]})
    assert r.status_code == 303
    assert len(db.session.get(ScoringRound, cw.round.id).projects) == 3


def test_open_and_close_routes(client, cw):
    sign_in(client, cw.chair)
    r = post(client, url(cw, "/close"))
    assert r.status_code == 409 and "Only an open round can be closed." in r.get_data(as_text=True)
    r = post(client, url(cw, "/open"))
    assert r.status_code == 303
    assert db.session.get(ScoringRound, cw.round.id).status == "open"
    body = client.get(url(cw)).get_data(as_text=True)
    assert "Close the round now" in body and "scores are still missing" in body
    r = post(client, url(cw, "/close"), htmx=True)
    assert r.status_code == 204 and r.headers["HX-Redirect"].endswith(url(cw))
    assert db.session.get(ScoringRound, cw.round.id).status == "closed"


def test_csrf_missing_is_400(client, cw):
    open_(cw)
    sign_in(client, cw.alice)
    p = cw.projects[0]
    r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"}, token=False)
    assert r.status_code == 400
    r = post(client, url(cw, f"/projects/{p.id}/recuse"), {"reason": "Conflit"}, token=False)
    assert r.status_code == 400
    assert score_count() == 0 and db.session.scalar(select(func.count()).select_from(Recusal)) == 0


def test_score_page_and_save_by_form(client, cw):
    open_(cw)
    sign_in(client, cw.alice)
    p = cw.projects[0]
    r = client.get(url(cw, f"/projects/{p.id}/score"))
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "Niveau 5 de impact" in body and "Critère support" not in body
    assert body.count('type="radio"') == 12 and "Declare a conflict of interest" in body
    r = post(client, url(cw, f"/projects/{p.id}/score"),
             {f"score-{cw.impact.id}": "4", f"comment-{cw.impact.id}": "Très utile", f"comment-{cw.cost.id}": ""})
    assert r.status_code == 303
    assert scoring.my_scores(cw.round, cw.alice)[(p.id, cw.impact.id)].comment == "Très utile"
    # prefilled when coming back
    body = client.get(url(cw, f"/projects/{p.id}/score")).get_data(as_text=True)
    assert f'id="score-{cw.impact.id}-4" value="4" checked' in body and "Très utile" in body
    # htmx: the fragment with a "Saved" message in a status region
    r = post(client, url(cw, f"/projects/{p.id}/score"),
             {f"score-{cw.impact.id}": "4", f"score-{cw.cost.id}": "2", f"comment-{cw.impact.id}": "Très utile"},
             htmx=True)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and not is_page(r) and 'role="status"' in body and "Saved: 1 score changed." in body
    assert score_count(user_id=cw.alice.id) == 2


@pytest.mark.parametrize("value", ["7", "-1", "3.5", "abc"])
def test_tampered_score_is_400_and_keeps_typed_comment(client, cw, value):
    open_(cw)
    sign_in(client, cw.alice)
    p = cw.projects[0]
    for htmx in (False, True):
        r = post(client, url(cw, f"/projects/{p.id}/score"),
                 {f"score-{cw.impact.id}": "2", f"score-{cw.cost.id}": value,
                  f"comment-{cw.impact.id}": "Mon avis détaillé"}, htmx=htmx)
        body = r.get_data(as_text=True)
        assert r.status_code == 400 and "Choose a score from 0 to 5." in body and "Mon avis détaillé" in body
        assert is_page(r) is not htmx
    assert score_count() == 0


def test_comment_problems_keep_the_typed_text(client, cw):
    open_(cw)
    sign_in(client, cw.alice)
    p = cw.projects[0]
    r = post(client, url(cw, f"/projects/{p.id}/score"),
             {f"score-{cw.impact.id}": "2", f"comment-{cw.impact.id}": "<b>gras</b>"})
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and "HTML tags" in body and "&lt;b&gt;gras&lt;/b&gt;" in body
    assert score_count() == 0


def test_foreign_criterion_in_the_form_is_400(client, cw):
    open_(cw)
    sign_in(client, cw.alice)
    p = cw.projects[0]
    for key in (f"score-{cw.support.id}", "score-99999", "score-x"):
        r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "2", key: "3"})
        assert r.status_code == 400
    assert score_count() == 0


def test_scoring_draft_or_closed_round_is_409(client, cw):
    sign_in(client, cw.alice)
    p = cw.projects[0]
    r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"})
    assert r.status_code == 409 and "This round is not open for scoring." in r.get_data(as_text=True)
    open_(cw)
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"}, htmx=True)
    assert r.status_code == 409 and not is_page(r)
    assert score_count() == 0


def test_recuse_route(client, cw):
    open_(cw)
    sign_in(client, cw.alice)
    p = cw.projects[0]
    post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"})
    assert score_count(user_id=cw.alice.id) == 1
    r = post(client, url(cw, f"/projects/{p.id}/recuse"), {"reason": ""}, htmx=True)
    assert r.status_code == 422 and "Explain the conflict of interest" in r.get_data(as_text=True)
    r = post(client, url(cw, f"/projects/{p.id}/recuse"), {"reason": "<script>x</script> Lien"})
    assert r.status_code == 422 and "&lt;script&gt;x&lt;/script&gt; Lien" in r.get_data(as_text=True)
    r = post(client, url(cw, f"/projects/{p.id}/recuse"), {"reason": "Mon frère préside l'association."})
    assert r.status_code == 303
    assert score_count(user_id=cw.alice.id) == 0
    r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"})
    assert r.status_code == 403 and "conflict of interest" in r.get_data(as_text=True)
    assert score_count(user_id=cw.alice.id) == 0
    body = client.get(url(cw, f"/projects/{p.id}/score")).get_data(as_text=True)
    assert 'type="radio"' not in body and "Declare a conflict" not in body
    # the chair sees the recusal with its reason
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, cw.chair)
    body = client.get(url(cw)).get_data(as_text=True)
    assert "Mon frère préside l&#39;association." in body and "Alice" in body


def test_all_scores_blind_then_visible(client, cw):
    open_(cw)
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (5, "Commentaire d'Alice")})
    db.session.commit()
    sign_in(client, cw.bob)
    for path in ("/scores", "/scores.csv"):
        r = client.get(url(cw, path))
        assert r.status_code == 403 and "Alice" not in r.get_data(as_text=True)
    r = client.get(url(cw, "/scores"), headers={"HX-Request": "true"})
    assert r.status_code == 403 and not is_page(r) and "hidden until the round closes" in r.get_data(as_text=True)
    sheet = client.get(url(cw, "/my-scores.csv")).get_data(as_text=True)
    assert "Alice" not in sheet and ",5," not in sheet
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    r = client.get(url(cw, "/scores"))
    assert r.status_code == 200 and "Commentaire d&#39;Alice" in r.get_data(as_text=True)
    r = client.get(url(cw, "/scores.csv"))
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "Commentaire d'Alice" in r.get_data(as_text=True)


def test_observer_sees_all_scores_after_close(client, cw):
    open_(cw)
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (5, None)})
    scoring.close_round(cw.round, cw.chair)
    db.session.commit()
    sign_in(client, cw.observer)
    r = client.get(url(cw, "/scores"), headers={"HX-Request": "true"})
    assert r.status_code == 200 and "Alice" in r.get_data(as_text=True)


@pytest.mark.parametrize("who", ["anonymous", "resident", "seatless", "other_admin", "admin"])
def test_access_refused(client, cw, who):
    from services import demo

    open_(cw)
    if who != "anonymous":
        if who == "other_admin":
            other, _ = demo.create_commune(slug="chefchaouen")
            db.session.commit()
            person = make_user(other, ("admin",))
        elif who == "seatless":
            person = cw.seatless
        else:
            person = make_user(cw.commune, (who,))
        sign_in(client, person)
    p = cw.projects[0]
    gets = ["/tetouan/committee/rounds", url(cw), url(cw, f"/projects/{p.id}/score"), url(cw, "/my-scores.csv"),
            url(cw, "/scores"), "/tetouan/committee/rounds/new"]
    for path in gets:
        r = client.get(path)
        if who == "anonymous":
            assert r.status_code in (302, 303) and "/login" in r.headers["Location"], path
        else:
            assert r.status_code == 403, path
    r = post(client, url(cw, f"/projects/{p.id}/score"), {f"score-{cw.impact.id}": "3"})
    assert r.status_code in ((302, 303) if who == "anonymous" else (403,))
    assert score_count() == 0


def test_round_of_another_commune_is_404(client, cw):
    from services import demo

    other, other_plan = demo.create_commune(slug="chefchaouen")
    foreign = ScoringRound(plan_id=other_plan.id, name="Ailleurs")
    db.session.add(foreign)
    db.session.commit()
    sign_in(client, cw.chair)
    assert client.get(f"/tetouan/committee/rounds/{foreign.id}").status_code == 404
    assert post(client, f"/tetouan/committee/rounds/{foreign.id}/open").status_code == 404
    assert client.get(url(cw, f"/projects/{cw.projects[2].id}/score")).status_code == 404  # not in the round
