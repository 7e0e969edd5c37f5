"""The programme part of the Tetouan demo (services.demo_programme): envelopes 2023–2028, the
adopted version 1 with the equality body's opinion and the visa, its execution follow-up up to the
current year, the platform's support round, a verifiable audit chain, and the same data for the
same seed."""
from __future__ import annotations

import json
import logging
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import func, select

from extensions import db

N_RESIDENTS = 40  # as tests/test_demo_committee.py: enough supports, fast seeding
ARABIC = re.compile(r"[\u0600-\u06ff]")


def _seed(n_ideas: int = 300, seed: int = 2023):
    from services import demo

    demo.seed_tetouan(n_ideas=n_ideas, seed=seed, n_residents=N_RESIDENTS)
    db.session.commit()


def _plan():
    from models import Commune, Plan

    commune = db.session.scalar(select(Commune).where(Commune.slug == "tetouan"))
    return commune, db.session.scalar(select(Plan).where(Plan.commune_id == commune.id))


def _user(local):
    from models import User

    return db.session.scalar(select(User).where(User.email == f"{local}@demo.tasharuk.ma"))


def _version(plan):
    from models import ProgrammeVersion

    versions = list(db.session.scalars(select(ProgrammeVersion).where(ProgrammeVersion.plan_id == plan.id)))
    assert len(versions) == 1
    return versions[0]


def _today():
    from services import phases

    return phases.today()


def _reports(plan):
    from models import ExecutionReport, Project

    return list(db.session.scalars(select(ExecutionReport).join(Project, Project.id == ExecutionReport.project_id)
                                   .where(Project.plan_id == plan.id)
                                   .order_by(ExecutionReport.project_id, ExecutionReport.year)))


def test_envelopes_for_every_year(app):
    from services import programme

    _seed()
    _commune, plan = _plan()
    envelopes = programme.envelopes_of(plan)
    assert sorted(envelopes) == [2023, 2024, 2025, 2026, 2027, 2028]
    for year, e in envelopes.items():
        assert 60_000_000 <= e.amount <= 90_000_000, year
        assert e.participatory_amount == round(e.amount / 10), year
    detailed = [envelopes[y].amount for y in (2023, 2024, 2025)]
    later = [envelopes[y].amount for y in (2026, 2027, 2028)]
    assert min(detailed) > max(later)
    capped_axes = {c.axis_id for e in envelopes.values() for c in e.axis_caps}
    assert 1 <= len(capped_axes) <= 2
    assert all(c.amount < e.amount for e in envelopes.values() for c in e.axis_caps)


def test_version_one_is_adopted_with_opinion_and_visa(app):
    from models import EntryState, ScoringRound, VersionStatus
    from models.programme import VISA_DAYS
    from services import programme

    _seed()
    _commune, plan = _plan()
    version = _version(plan)
    assert version.number == 1 and version.status == VersionStatus.ADOPTED
    assert db.session.get(ScoringRound, version.scoring_round_id).name == "Priorités 2023–2025"
    assert version.created_by_id == _user("committee").id and version.proposed_at and version.adopted_at
    assert version.decision_reference == "Délibération n° 118/2022"
    assert (version.votes_for, version.votes_against, version.votes_abstaining) == (41, 6, 3)
    # The adoption phase of the demo lies ahead: the council's October 2022 session (module docstring).
    assert version.session_date == date(2022, 10, 6) and version.session_date.weekday() == 3
    assert version.visa_date == version.session_date + timedelta(days=12)
    assert version.visa_date < version.session_date + timedelta(days=VISA_DAYS)
    assert version.in_force(_today())

    opinion = version.opinion
    assert opinion is not None and opinion.recorded_by_id == _user("observer").id
    assert opinion.given_on < version.session_date
    assert "IEECAG" in opinion.signed_by
    french, arabic = opinion.body.split("\n\n")
    assert "accessibilité" in french and "égalité" in french and not ARABIC.search(french)
    assert ARABIC.search(arabic) and "للولوجيات" in arabic and "النساء" in arabic
    sentences = [s for s in re.split(r"(?<=\.)\s+", french) if s]
    assert 4 <= len(sentences) <= 7  # the title sentence and 4–6 sentences of opinion
    placed = [e for e in version.entries if e.state == EntryState.PLACED]
    assert f"des {len(placed)} projets programmés" in french and f"من أصل {len(placed)}" in arabic

    pinned = [e for e in version.entries if e.pinned_year is not None]
    dropped = [e for e in version.entries if e.state == EntryState.DROPPED]
    assert len(pinned) == 1 and len(dropped) == 1
    assert pinned[0].state == EntryState.PLACED and pinned[0].start_year == pinned[0].pinned_year
    for entry in pinned + dropped:
        assert len(entry.justification) >= programme.JUSTIFICATION_MIN
    assert "INDH" in pinned[0].justification and "Tri sélectif" in dropped[0].project.title_fr


def test_placed_projects_fit_the_envelopes_and_caps(app):
    from models import EntryState
    from services import programme

    _seed()
    _commune, plan = _plan()
    version = _version(plan)
    envelopes = programme.envelopes_of(plan)
    per_year: dict[int, int] = defaultdict(int)
    per_cap: dict[tuple[int, int], int] = defaultdict(int)
    placed = [e for e in version.entries if e.state == EntryState.PLACED]
    assert len(placed) >= 10
    for entry in placed:
        assert sum(line.amount for line in entry.schedule) == entry.project.total_cost, entry.project.code
        assert [line.year for line in entry.schedule] == programme.entry_years(entry)
        assert entry.start_year >= entry.project.earliest_start_year
        for line in entry.schedule:
            per_year[line.year] += line.amount
            per_cap[(line.year, entry.project.axis_id)] += line.amount
    for year, committed in per_year.items():
        assert committed <= envelopes[year].amount, year
    for year, e in envelopes.items():
        for cap in e.axis_caps:
            assert per_cap[(year, cap.axis_id)] <= cap.amount, (year, cap.axis_id)
    view = programme.view(plan, version)
    assert not any(y.over for y in view.years)


def test_execution_follow_up_up_to_the_current_year(app):
    from models import EntryState, ExecutionStatus, Milestone

    _seed()
    _commune, plan = _plan()
    version = _version(plan)
    today = _today()
    last_year = min(today.year, plan.end_year)
    entries = {e.project_id: e for e in version.entries if e.state == EntryState.PLACED}
    started = {pid for pid, e in entries.items() if e.start_year <= last_year}
    reports = _reports(plan)
    assert reports
    by_project = defaultdict(list)
    overruns, delayed, blocked = [], [], []
    for r in reports:
        assert r.project_id in entries, "a report for a project outside the adopted version"
        entry = entries[r.project_id]
        assert entry.start_year <= r.year <= last_year
        assert 0 <= r.percent_complete <= 100
        if r.status == ExecutionStatus.DONE:
            assert r.percent_complete == 100
        else:
            assert r.percent_complete < 100
        scheduled = sum(line.amount for line in entry.schedule if line.year == r.year)
        if r.amount_spent > scheduled:
            overruns.append(r)
        if r.status == ExecutionStatus.BLOCKED:
            blocked.append(r)
            assert r.reason
        elif r.delay_causes and r not in overruns:
            delayed.append(r)
        assert r.updated_by_id == _user("committee").id
        by_project[r.project_id].append(r)
    assert set(by_project) == started  # every started project is followed
    for pid, rows in by_project.items():
        years = [r.year for r in rows]
        assert years == list(range(entries[pid].start_year, years[-1] + 1))  # no gap
        percents = [r.percent_complete for r in rows]
        assert percents == sorted(percents)  # progress never goes back
        assert all(r.status != ExecutionStatus.DONE for r in rows[:-1])  # nothing after "done"
        if rows[-1].status != ExecutionStatus.DONE:
            assert years[-1] == last_year  # an unfinished project is reported up to this year
    assert len(overruns) == 1 and overruns[0].delay_causes
    assert len(blocked) == 1 and blocked[0].year == last_year
    assert 2 <= len(delayed) <= 3
    statuses = Counter(r.status for r in reports)
    assert statuses[ExecutionStatus.DONE] >= 3 and statuses[ExecutionStatus.WORKS] >= 3
    assert statuses[ExecutionStatus.TENDERING] + statuses[ExecutionStatus.STUDIES] >= 1

    milestones = list(db.session.scalars(select(Milestone).order_by(Milestone.project_id, Milestone.happened_on)))
    per_project = Counter(m.project_id for m in milestones)
    assert set(per_project) == started
    assert all(1 <= n <= 3 for n in per_project.values())
    for m in milestones:
        assert m.photo is None and m.photo_alt is None and m.label
        assert date(plan.start_year, 1, 1) <= m.happened_on <= today
        assert m.happened_on.year >= entries[m.project_id].start_year
        assert m.created_by_id == _user("admin").id
    done = [r.project_id for r in reports if r.status == ExecutionStatus.DONE]
    received = {m.project_id for m in milestones if m.label == "Réception provisoire des travaux"}
    assert received <= set(done)


def test_platform_support_round_with_stored_comparison(app):
    from models import SupportRound
    from services import pb_rounds

    _seed()
    _commune, plan = _plan()
    rounds = list(db.session.scalars(select(SupportRound).where(SupportRound.plan_id == plan.id)))
    assert len(rounds) == 1
    round_ = rounds[0]
    assert round_.source == pb_rounds.PLATFORM_SOURCE
    assert int(round_.budget) == pb_rounds.participatory_budget(plan) > 0
    assert round_.comparison_json
    comparison = pb_rounds.compare(round_)
    assert comparison.round_id == round_.id and comparison.voters == round_.num_ballots > 0
    assert {c.rule for c in comparison.columns} >= {"greedy", "mes"}
    assert all(c.total_cost <= comparison.budget for c in comparison.columns if c.unavailable is None)


def test_audit_entries_come_from_the_services_and_verify(app, runner):
    from models import AuditEntry, Milestone
    from services import audit

    _seed()
    _commune, plan = _plan()
    actions = Counter(db.session.scalars(select(AuditEntry.action)))
    for action in ("programme.envelopes_saved", "programme.version_built", "programme.entry_pinned",
                   "programme.entry_dropped", "programme.version_proposed", "programme.opinion_recorded",
                   "programme.version_adopted", "programme.visa_recorded", "committee.support_round_created"):
        assert actions[action] == 1, action
    assert actions["execution.report_saved"] == len(_reports(plan))
    assert actions["execution.milestone_added"] == db.session.scalar(select(func.count()).select_from(Milestone))
    adopted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "programme.version_adopted"))
    assert adopted.actor_id == _user("admin").id
    details = json.loads(adopted.details)
    assert details["votes"] == [41, 6, 3] and details["reference"] == "Délibération n° 118/2022"
    assert audit.verify().ok
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "audit log intact" in result.output


def _snapshot() -> dict:
    from models import (BudgetEnvelope, ExecutionReport, Milestone, ProgrammeEntry, Project, SupportBallot,
                        SupportRound)

    code = {p.id: p.code for p in db.session.scalars(select(Project))}
    return {
        "envelopes": sorted((e.year, e.amount, e.participatory_amount, sorted(c.amount for c in e.axis_caps))
                            for e in db.session.scalars(select(BudgetEnvelope))),
        "entries": sorted((code[e.project_id], e.state, e.start_year, e.pinned_year,
                           tuple((line.year, line.amount) for line in e.schedule))
                          for e in db.session.scalars(select(ProgrammeEntry))),
        "reports": sorted((code[r.project_id], r.year, r.status, r.percent_complete, r.amount_spent,
                           r.delay_causes, r.reason) for r in db.session.scalars(select(ExecutionReport))),
        "milestones": sorted((code[m.project_id], m.happened_on, m.label)
                             for m in db.session.scalars(select(Milestone))),
        "ballots": sorted((b.projects, b.points) for b in db.session.scalars(select(SupportBallot))),
        "rounds": [(r.budget, r.comparison_json) for r in db.session.scalars(select(SupportRound))],
    }


def test_the_same_seed_gives_the_same_programme(app):
    from tests.conftest import _empty_tables

    _seed(seed=7)
    first = _snapshot()
    db.session.remove()
    _empty_tables()
    _seed(seed=7)
    assert _snapshot() == first
    assert first["reports"] and first["milestones"] and first["rounds"]


def test_a_demo_without_a_published_ranking_still_has_envelopes(app, monkeypatch, caplog):
    from models import BudgetEnvelope, ProgrammeVersion
    from services import audit
    import services.ranking

    monkeypatch.delattr(services.ranking, "publish")
    with caplog.at_level(logging.WARNING, logger="services.demo_committee"):
        _seed(n_ideas=12)
    assert db.session.scalar(select(func.count()).select_from(BudgetEnvelope)) == 6
    assert db.session.scalar(select(func.count()).select_from(ProgrammeVersion)) == 0
    assert audit.verify().ok


def test_session_date_falls_in_a_past_adoption_phase(app):
    from models import Phase
    from services.demo_programme import session_date

    _seed(n_ideas=5)
    _commune, plan = _plan()
    phase = db.session.scalar(select(Phase).where(Phase.plan_id == plan.id, Phase.kind == "adoption"))
    today = _today()
    assert phase.starts_on > today  # the demo's adoption phase lies ahead
    assert session_date(plan, today) == date(plan.start_year - 1, 10, 6)
    phase.starts_on, phase.ends_on = today - timedelta(days=90), today - timedelta(days=60)
    chosen = session_date(plan, today)
    assert phase.starts_on <= chosen <= phase.ends_on
