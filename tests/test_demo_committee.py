"""The committee part of the Tetouan demo (services.demo_committee): seats, criteria, project
sheets made from the demo ideas, a published round and an open one, a verifiable audit chain,
and the same data for the same seed."""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from extensions import db

N_RESIDENTS = 40  # enough supports for the demo; fewer accounts keep the seeding fast


def _seed(n_ideas: int = 300, seed: int = 2023):
    from services import demo

    accounts = demo.seed_tetouan(n_ideas=n_ideas, seed=seed, n_residents=N_RESIDENTS)
    db.session.commit()
    return accounts


def _plan():
    from models import Commune, Plan

    commune = db.session.scalar(select(Commune).where(Commune.slug == "tetouan"))
    return commune, db.session.scalar(select(Plan).where(Plan.commune_id == commune.id))


def _user(local):
    from models import User

    return db.session.scalar(select(User).where(User.email == f"{local}@demo.tasharuk.ma"))


def _rounds(plan):
    from models import ScoringRound

    return list(db.session.scalars(select(ScoringRound).where(ScoringRound.plan_id == plan.id)
                                   .order_by(ScoringRound.id)))


def _tifinagh_letters(text: str) -> bool:
    from services.communes import tifinagh_problem

    return bool(text) and not tifinagh_problem(text)


def _score_table() -> dict[tuple[str, str, str], int]:
    from models import Criterion, Project, Score, User

    rows = db.session.execute(
        select(User.email, Project.code, Criterion.code, Score.value)
        .join(User, User.id == Score.user_id).join(Project, Project.id == Score.project_id)
        .join(Criterion, Criterion.id == Score.criterion_id))
    return {(email, project, criterion): value for email, project, criterion, value in rows}


def test_seats_criteria_and_demo_logins(app):
    from models import CommitteeMember, Criterion, Membership, MemberKind, Role
    from services import access, demo

    accounts = _seed()
    commune, plan = _plan()
    printed = dict((identifier, label) for label, identifier in accounts)
    for local in ("committee", "undp", "commune2", "commune3", "observer"):
        assert f"{local}@demo.tasharuk.ma" in printed
    assert printed["committee@demo.tasharuk.ma"] == "committee chair"
    assert len(accounts) == len(demo.ROLE_ACCOUNTS)

    members = list(db.session.scalars(select(CommitteeMember).where(CommitteeMember.plan_id == plan.id)))
    assert len(members) == 5
    assert sum(m.is_chair for m in members) == 1
    assert Counter(m.kind for m in members) == {MemberKind.COMMUNE: 3, MemberKind.UNDP: 1, MemberKind.OBSERVER: 1}
    chair = next(m for m in members if m.is_chair)
    assert chair.user_id == _user("committee").id and chair.kind == MemberKind.COMMUNE
    assert chair.organisation == "Commune de Tétouan — Division du développement"
    observer = next(m for m in members if m.kind == MemberKind.OBSERVER)
    assert observer.user_id == _user("observer").id and not observer.can_score
    assert "IEECAG" in observer.organisation
    with_role = set(db.session.scalars(select(Membership.user_id).where(
        Membership.commune_id == commune.id, Membership.role == Role.COMMITTEE)))
    assert {m.user_id for m in members} <= with_role
    # The object rules of services.access recognise the seats.
    chair_user, observer_user = _user("committee"), _user("observer")
    assert access.is_chair(chair_user, plan)
    assert access.can_read_committee(observer_user, plan) and not access.can_score(observer_user, plan)

    criteria = list(db.session.scalars(select(Criterion).where(Criterion.plan_id == plan.id)
                                       .order_by(Criterion.position)))
    assert [c.code for c in criteria] == ["citizen-support", "social-impact", "gender-inclusion", "environment",
                                          "feasibility", "cost-effectiveness", "urgency", "fit"]
    assert [c.weight for c in criteria] == [20, 15, 12, 12, 12, 10, 10, 9]
    assert [c.kind for c in criteria].count("support") == 1 and criteria[0].kind == "support"
    for c in criteria:
        assert c.name_ar and c.name_fr and c.description_ar and c.description_fr
        assert _tifinagh_letters(c.name_zgh) and _tifinagh_letters(c.description_zgh), c.code
        assert [level.level for level in c.levels] == [0, 1, 2, 3, 4, 5]
        for level in c.levels:
            assert level.text_ar and level.text_fr, (c.code, level.level)
            assert _tifinagh_letters(level.text_zgh), (c.code, level.level)


def test_project_sheets_come_from_the_ideas(app):
    from models import Idea, Project, ProjectIdea

    _seed()
    _commune, plan = _plan()
    projects = list(db.session.scalars(select(Project).where(Project.plan_id == plan.id).order_by(Project.code)))
    assert 20 <= len(projects) <= 24
    assert [p.code for p in projects] == [f"TET-{i:02d}" for i in range(1, len(projects) + 1)]
    links = list(db.session.scalars(select(ProjectIdea)))
    per_idea = Counter(link.idea_id for link in links)
    assert per_idea and max(per_idea.values()) == 1  # no idea is in two projects
    for p in projects:
        assert p.title_ar and p.title_fr and _tifinagh_letters(p.title_zgh), p.code
        assert "{n}" not in p.title_ar + p.title_fr + p.title_zgh
        assert sum(partner.amount for partner in p.partners) + p.commune_share == p.total_cost, p.code
        assert p.partners and p.commune_share > 0
        assert 500_000 <= p.total_cost <= 40_000_000
        assert 1 <= p.duration_years <= 4 and 2023 <= p.earliest_start_year <= 2026
        assert p.earliest_start_year + p.duration_years - 1 <= plan.end_year
        assert p.beneficiaries_women + p.beneficiaries_men == p.beneficiaries_total
        assert 0 < p.beneficiaries_disabled < p.beneficiaries_total
        assert 1 <= len(p.indicators) <= 2
        assert all(i.baseline is not None and i.target is not None and i.target != i.baseline for i in p.indicators)
        assert p.objectives and p.executing_department and p.sdg_list and p.competence
        assert 1 <= len(p.idea_links) <= 4, p.code
        ideas = [db.session.get(Idea, link.idea_id) for link in p.idea_links]
        # Ideas merged into one project share its axis and its neighbourhood.
        assert {i.axis_id for i in ideas} == {p.axis_id}
        assert {i.neighbourhood_id for i in ideas} == {h.id for h in p.neighbourhoods}
        assert all(i.plan_id == plan.id for i in ideas)
    assert db.session.scalar(select(func.count()).select_from(Idea)) > len(links)


def test_round_one_is_published_with_a_recusal_and_an_override(app):
    from models import (Criterion, CriterionKind, Project, RankingOverride, Recusal, RoundStatus, Score,
                        ScoringRound)
    from prioritization import aggregation as agg
    from services.projects import citizen_support

    _seed()
    _commune, plan = _plan()
    first, second = _rounds(plan)
    assert first.name == "Priorités 2023–2025" and second.name == "Mise à jour 2026"
    assert first.status == RoundStatus.PUBLISHED and first.published_result and first.closed_at
    assert len(first.projects) == 16 and len(second.projects) == 8
    assert not {rp.project_id for rp in first.projects} & {rp.project_id for rp in second.projects}

    scored = list(db.session.scalars(select(Criterion).where(Criterion.plan_id == plan.id,
                                                             Criterion.kind == CriterionKind.SCORED)))
    assert len(scored) == 7
    recusals = list(db.session.scalars(select(Recusal).where(Recusal.round_id == first.id)))
    assert len(recusals) == 1
    recusal = recusals[0]
    assert recusal.user_id == _user("commune3").id
    assert recusal.reason == "Membre du bureau de l'association porteuse de l'idée"
    cells = defaultdict(set)
    for s in db.session.scalars(select(Score).where(Score.round_id == first.id)):
        assert 0 <= s.value <= 5
        cells[s.user_id].add((s.project_id, s.criterion_id))
    project_ids = [rp.project_id for rp in first.projects]
    for local in ("committee", "undp", "commune2", "commune3"):
        expected = {(pid, c.id) for pid in project_ids for c in scored
                    if not (local == "commune3" and pid == recusal.project_id)}
        assert cells[_user(local).id] == expected, local
    assert _user("observer").id not in cells

    supports = citizen_support(project_ids)
    assert {rp.project_id: rp.supports_at_close for rp in first.projects} == supports
    assert any(supports.values())

    # The override's computed rank is the aggregation's rank on the same inputs.
    overrides = list(db.session.scalars(select(RankingOverride).where(RankingOverride.round_id == first.id)))
    assert len(overrides) == 1
    override = overrides[0]
    assert override.user_id == _user("committee").id and len(override.justification) >= 20
    assert override.new_rank < override.computed_rank
    criteria = list(db.session.scalars(select(Criterion).where(Criterion.plan_id == plan.id)))
    code = {p.id: p.code for p in db.session.scalars(select(Project))}
    ccode = {c.id: c.code for c in criteria}
    ranking = agg.aggregate(
        [agg.Criterion(c.code, c.weight, c.kind) for c in criteria],
        [agg.Project(code[rp.project_id], rp.supports_at_close, rp.project.total_cost) for rp in first.projects],
        [agg.Score(str(s.user_id), code[s.project_id], ccode[s.criterion_id], s.value)
         for s in db.session.scalars(select(Score).where(Score.round_id == first.id))]
        + [agg.Score.recusal(str(recusal.user_id), code[recusal.project_id])])
    assert ranking.project(code[override.project_id]).rank == override.computed_rank
    assert ranking.contested  # some projects divide the members

    published = json.loads(first.published_result)
    order = [row["code"] for row in published["rows"]]
    assert sorted(order) == sorted(code[pid] for pid in project_ids)
    assert order.index(code[override.project_id]) + 1 == override.new_rank
    assert db.session.get(ScoringRound, second.id).published_result is None


def test_round_two_is_open_half_scored(app):
    from models import Criterion, CriterionKind, Recusal, RoundStatus, Score

    _seed()
    _commune, plan = _plan()
    _first, second = _rounds(plan)
    assert second.status == RoundStatus.OPEN and second.opened_at and second.closed_at is None
    assert all(rp.supports_at_close is None for rp in second.projects)
    scored = db.session.scalar(select(func.count()).select_from(Criterion).where(
        Criterion.plan_id == plan.id, Criterion.kind == CriterionKind.SCORED))
    per_member = Counter(db.session.scalars(select(Score.user_id).where(Score.round_id == second.id)))
    assert per_member[_user("undp").id] == 8 * scored
    assert per_member[_user("commune2").id] == 4 * scored
    assert per_member[_user("commune3").id] == 0 and per_member[_user("committee").id] == 0
    assert db.session.scalar(select(func.count()).select_from(Recusal).where(Recusal.round_id == second.id)) == 0


def test_audit_chain_is_realistic_and_verifies(app, runner):
    from models import AuditEntry
    from services import audit

    from models import Project

    _seed()
    n_projects = db.session.scalar(select(func.count()).select_from(Project))
    assert n_projects == 24
    actions = Counter(db.session.scalars(select(AuditEntry.action)))
    assert actions["committee.member_appointed"] == 5
    assert actions["committee.criterion_created"] == 8
    assert actions["committee.project_created"] == n_projects
    assert actions["committee.round_opened"] == 2
    assert actions["committee.recusal_declared"] == 1
    assert actions["committee.round_closed"] == 1
    assert actions["committee.override"] == 1
    assert actions["committee.round_published"] == 1
    assert actions["committee.scores_saved"] == 4 + 2
    assert audit.verify().ok
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit log intact" in result.output


def test_the_demo_is_reproducible(app):
    from tests.conftest import _empty_tables

    _seed(seed=7)
    first = _score_table()
    db.session.remove()
    _empty_tables()
    _seed(seed=7)
    assert _score_table() == first
    assert len(first) > 400


def test_a_small_demo_still_seeds_and_stays_closed_without_the_ranking_service(app, monkeypatch, caplog):
    from models import Project, RoundStatus
    import services.ranking

    monkeypatch.delattr(services.ranking, "publish")
    with caplog.at_level(logging.WARNING, logger="services.demo_committee"):
        _seed(n_ideas=12)
    _commune, plan = _plan()
    projects = list(db.session.scalars(select(Project).where(Project.plan_id == plan.id)))
    assert 2 <= len(projects) <= 12
    assert all(p.idea_links for p in projects)
    rounds = _rounds(plan)
    assert rounds and rounds[0].status == RoundStatus.CLOSED and rounds[0].published_result is None
    assert "left closed" in caplog.text


@pytest.mark.parametrize("n_ideas", [1, 5])
def test_the_command_seeds_tiny_demos(runner, n_ideas):
    result = runner.invoke(args=["seed", "demo", "--ideas", str(n_ideas)])
    assert result.exit_code == 0, result.output
    assert "committee chair" in result.output and "observer@demo.tasharuk.ma" in result.output
