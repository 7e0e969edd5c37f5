"""The public programme pages and "what became of my idea" (services.public_programme,
blueprints/programme_public). Data are built with the models directly."""
from __future__ import annotations

import json
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from extensions import db
from models import (
    Axis,
    EqualityOpinion,
    ExecutionReport,
    Neighbourhood,
    ProgrammeEntry,
    ProgrammeVersion,
    Project,
    ProjectIdea,
    ScheduleLine,
    ScoringRound,
)
from models.programme import BudgetEnvelope
from services import public_programme as pp
from tests.conftest import make_idea, make_user


# --- builders --------------------------------------------------------------------------------------

def _axes(commune):
    return list(db.session.scalars(select(Axis).where(Axis.commune_id == commune.id).order_by(Axis.position, Axis.id)))


def _hoods(commune):
    return list(db.session.scalars(select(Neighbourhood).where(Neighbourhood.commune_id == commune.id)
                                   .order_by(Neighbourhood.position, Neighbourhood.id)))


def make_project(commune, plan, code, *, axis=None, hoods=(), cost=1000, title=None):
    axis = axis or _axes(commune)[0]
    project = Project(commune_id=commune.id, plan_id=plan.id, code=code, title_ar=f"مشروع {code}",
                      title_fr=title or f"Projet {code}", title_zgh=f"ⴰⵙⵏⴼⴰⵔ {code}", axis_id=axis.id,
                      total_cost=cost, commune_share=cost, duration_years=1, earliest_start_year=plan.start_year)
    project.neighbourhoods = list(hoods)
    db.session.add(project)
    db.session.flush()
    return project


def make_version(plan, number, status, entries=(), **fields):
    """entries: (project, state, {year: amount}, extra column values)."""
    version = ProgrammeVersion(plan_id=plan.id, number=number, status=status, **fields)
    db.session.add(version)
    db.session.flush()
    for position, (project, state, schedule, extra) in enumerate(entries, start=1):
        entry = ProgrammeEntry(version_id=version.id, project_id=project.id, position=position, state=state,
                               start_year=min(schedule) if schedule else None, **extra)
        db.session.add(entry)
        db.session.flush()
        for year, amount in schedule.items():
            db.session.add(ScheduleLine(entry_id=entry.id, year=year, amount=amount))
    db.session.flush()
    return version


def publish_round(plan, codes, *, name="Round 1", published_at=datetime(2024, 5, 2, 9, 0)):
    """A published scoring round whose snapshot ranks `codes` in that order."""
    rows = [{"code": code, "title": {"ar": code, "fr": code, "zgh": code}, "rank": i, "computed_rank": i,
             "composite": 4.0 - i / 10, "values": {}, "unscored": [], "members": 3, "disagreement": 0.2,
             "contested": False, "supports": 5, "cost": 1000, "top_k_fraction": 1.0, "recusals": 0,
             "justification": None, "zscore_rank": i, "zscore_composite": 0.0}
            for i, code in enumerate(codes, start=1)]
    data = {"version": 1, "round": name, "published_at": published_at.isoformat(), "top_k": 2, "draws": 10,
            "seed": 1, "contested_threshold": 1.0, "criteria": [], "rows": rows, "kendall_w": None,
            "kendall_members": 0, "zscore_kendall_w": None}
    round_ = ScoringRound(plan_id=plan.id, name=name, status="published", top_k=2, published_at=published_at,
                          published_result=json.dumps(data))
    db.session.add(round_)
    db.session.flush()
    return round_


ENVELOPE_REASON = json.dumps({"reason": "envelope", "year": 2025, "shortfall": 5000, "axis": None})


@pytest.fixture()
def world(app, commune, plan):
    """Projects A (axis 1, two neighbourhoods), B (axis 2, one), C (axis 1, whole commune), placed;
    D skipped, E dropped; envelopes for 2023 and 2024."""
    axes, hoods = _axes(commune), _hoods(commune)
    a = make_project(commune, plan, "TET-01", axis=axes[0], hoods=[hoods[0], hoods[1]], cost=500)
    b = make_project(commune, plan, "TET-02", axis=axes[1], hoods=[hoods[0]], cost=700)
    c = make_project(commune, plan, "TET-03", axis=axes[0], cost=100)
    d = make_project(commune, plan, "TET-04", axis=axes[1], cost=9000)
    e = make_project(commune, plan, "TET-05", axis=axes[1], cost=50)
    db.session.add_all([BudgetEnvelope(plan_id=plan.id, year=2023, amount=1000, participatory_amount=0),
                        BudgetEnvelope(plan_id=plan.id, year=2024, amount=2000, participatory_amount=0)])
    entries = [
        (a, "placed", {2023: 300, 2024: 200}, {}),
        (b, "placed", {2024: 700}, {"participatory": True}),
        (c, "placed", {2023: 100}, {}),
        (d, "skipped", {}, {"reason": ENVELOPE_REASON}),
        (e, "dropped", {}, {"justification": "Already funded by the region under another programme."}),
    ]
    db.session.commit()
    return {"projects": {"A": a, "B": b, "C": c, "D": d, "E": e}, "entries": entries, "axes": axes, "hoods": hoods,
            "plan": plan, "commune": commune}


def _adopted(plan, entries, number=1, **extra):
    fields = dict(proposed_at=datetime(2024, 9, 1, 8, 0), session_date=date(2024, 10, 3),
                  decision_reference="DEC-2024-117", votes_for=31, votes_against=4, votes_abstaining=2,
                  adopted_at=datetime(2024, 10, 3, 18, 0))
    fields.update(extra)
    return make_version(plan, number, "adopted", entries, **fields)


# --- the programme, grouped ------------------------------------------------------------------------

def test_views_by_year_axis_and_neighbourhood_total_as_computed_by_hand(world):
    plan = world["plan"]
    version = _adopted(plan, world["entries"])
    db.session.commit()

    by_year = pp.programme_view(plan, version, "year")
    years = {g.key: g for g in by_year.groups}
    assert [g.key for g in by_year.groups] == [str(y) for y in range(2023, 2029)]
    assert years["2023"].total == 400 and years["2023"].envelope == 1000 and years["2023"].remaining == 600
    assert [x.project.code for x in years["2023"].lines] == ["TET-01", "TET-03"]
    assert [x.amount for x in years["2023"].lines] == [300, 100]
    assert years["2024"].total == 900 and years["2024"].envelope == 2000
    assert years["2025"].total == 0 and years["2025"].envelope is None and years["2025"].lines == ()
    assert by_year.total == 1300 and by_year.placed_count == 3

    by_axis = pp.programme_view(plan, version, "axis")
    axes = world["axes"]
    assert [(g.key, g.total) for g in by_axis.groups] == [(str(axes[0].id), 600), (str(axes[1].id), 700)]
    assert [x.amount for x in by_axis.groups[0].lines] == [500, 100]

    by_hood = pp.programme_view(plan, version, "neighbourhood")
    hoods = world["hoods"]
    assert [(g.key, g.total) for g in by_hood.groups] == [
        (str(hoods[0].id), 1200), (str(hoods[1].id), 500), ("commune", 100)]

    assert [(r.label, r.committed, r.envelope) for r in by_year.years[:3]] == [
        ("2023", 400, 1000), ("2024", 900, 2000), ("2025", 0, None)]
    assert [r.committed for r in by_year.axes] == [600, 700]
    assert [(n.project.code, n.skip) for n in by_year.skipped] == [("TET-04", pp.SkipReason("envelope", 2025, 5000))]
    assert [(n.project.code, n.justification) for n in by_year.dropped] == [
        ("TET-05", "Already funded by the region under another programme.")]


def test_unknown_view_falls_back_to_year():
    assert pp.check_view("axis") == "axis"
    assert pp.check_view("title);--") == "year"
    assert pp.check_view(None) == "year"


def test_skip_reason_reads_the_builders_json_and_tolerates_garbage():
    entry = ProgrammeEntry(reason=ENVELOPE_REASON)
    assert pp.skip_reason(entry) == pp.SkipReason("envelope", 2025, 5000)
    for bad in (None, "", "not json", "[1, 2]", '{"year": 2025}'):
        assert pp.skip_reason(ProgrammeEntry(reason=bad)) is None


def test_budget_chart_geometry_scales_to_the_largest_amount():
    chart = pp.budget_chart([pp.BudgetRow("2023", 400, 1000), pp.BudgetRow("2024", 2500, 2000),
                             pp.BudgetRow("2025", 0, None)])
    first, second, third = chart.bars
    assert chart.scale_max == 2500
    span = chart.x1 - chart.x0
    assert first.committed_width == pytest.approx(span * 400 / 2500)
    assert first.envelope_width == pytest.approx(span * 1000 / 2500)
    assert second.over and not first.over and not third.over
    assert third.envelope_width is None and third.committed_width == 0
    assert first.y < second.y < third.y
    assert pp.budget_chart([]).bars == ()


def test_shown_version_prefers_the_latest_adopted_then_proposed(world):
    plan = world["plan"]
    assert pp.shown_version(plan) is None
    make_version(plan, 1, "draft")
    assert pp.shown_version(plan) is None
    proposed = make_version(plan, 2, "proposed", proposed_at=datetime(2024, 9, 1))
    assert pp.shown_version(plan) == proposed
    adopted = _adopted(plan, [], number=3)
    make_version(plan, 4, "proposed")
    assert pp.shown_version(plan) == adopted


# --- the pages ---------------------------------------------------------------------------------------

def _mad(app, amount):
    from services import formatting

    with app.test_request_context(headers={"Accept-Language": "en"}):
        return formatting.mad(amount)


def test_programme_page_with_an_adopted_version(app, client, world):
    plan = world["plan"]
    version = _adopted(plan, world["entries"], visa_date=date(2024, 10, 20))
    db.session.add(EqualityOpinion(version_id=version.id, body="The programme gives too little to girls' sport.",
                                   signed_by="Présidente de l'IEECAG", given_on=date(2024, 9, 20)))
    db.session.commit()
    response = client.get("/tetouan/programme")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Adopted by the council" in html
    assert "DEC-2024-117" in html
    assert "Votes: 31 for, 4 against, 2 abstaining." in html
    assert "Governor's visa given on" in html
    assert "Proposed to the council, not adopted" not in html
    # the projects, linked to their sheets
    assert 'href="/tetouan/projects/TET-01"' in html and 'href="/tetouan/projects/TET-03"' in html
    # the year groups with their totals computed by hand
    assert _mad(app, 400) in html and _mad(app, 900) in html
    # the equality body's opinion, as a block of its own
    assert 'id="opinion-title"' in html and "too little to girls" in html
    # skipped and dropped, with the reason in words
    assert "It does not fit the 2025 envelope:" in html and _mad(app, 5000) in html
    assert "Already funded by the region" in html


def test_programme_page_charts_are_accessible_and_followed_by_their_table(app, client, world):
    _adopted(world["plan"], world["entries"])
    db.session.commit()
    html = client.get("/tetouan/programme").get_data(as_text=True)
    for chart_id in ("budget-years", "budget-axes"):
        svg = re.search(r'<svg class="chart-svg" role="img" aria-labelledby="' + chart_id + r'-title ' + chart_id
                        + r'-desc".*?</svg>', html, re.S)
        assert svg, chart_id
        assert f'<title id="{chart_id}-title">' in svg.group(0)
        assert f'<desc id="{chart_id}-desc">' in svg.group(0)
        after = html[svg.end():]
        table = after.index(f'<caption id="{chart_id}-caption">')
        assert table < after.find("<svg class=\"chart-svg\"") or after.find("<svg class=\"chart-svg\"") == -1
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    years_table = html[html.index('id="budget-years-caption"'):]
    years_table = years_table[:years_table.index("</table>")]
    assert years_table.count("<tr>") == 1 + 6 + 1  # head, six plan years, total
    assert _mad(app, 1300) in years_table and _mad(app, 3000) in years_table  # committed, envelopes


def test_programme_page_with_only_a_proposed_version(app, client, world):
    plan = world["plan"]
    make_version(plan, 1, "proposed", world["entries"], proposed_at=datetime(2024, 9, 1, 8, 0))
    make_version(plan, 2, "draft", [])
    db.session.commit()
    html = client.get("/tetouan/programme").get_data(as_text=True)
    assert "Proposed to the council, not adopted" in html
    assert "The commune council has not adopted it yet" in html
    assert "DEC-2024-117" not in html
    assert "Version 2" not in html  # the draft is not listed


def test_programme_page_without_any_public_version(client, world):
    make_version(world["plan"], 1, "draft", world["entries"])
    db.session.commit()
    response = client.get("/tetouan/programme")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The committee has not proposed a programme to the council yet." in html
    assert "TET-01" not in html


def test_views_as_page_and_as_htmx_fragment(app, client, world):
    _adopted(world["plan"], world["entries"])
    db.session.commit()
    page = client.get("/tetouan/programme?view=neighbourhood")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "the totals of the neighbourhoods overlap" in html
    assert _mad(app, 1200) in html
    fragment = client.get("/tetouan/programme?view=axis", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in text and text.lstrip().startswith('<section id="programme-view"')
    assert "HX-Request" in fragment.headers.get("Vary", "")
    assert 'aria-current="page">By axis' in text
    assert _mad(app, 600) in text and _mad(app, 700) in text
    bad = client.get("/tetouan/programme?view=title);--", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'aria-current="page">By year' in bad


def test_version_pages_public_versions_only(client, world, commune):
    plan = world["plan"]
    draft = make_version(plan, 1, "draft", world["entries"])
    proposed = make_version(plan, 2, "proposed", world["entries"], proposed_at=datetime(2024, 9, 1))
    superseded = _adopted(plan, world["entries"], number=3)
    superseded.status = "superseded"
    db.session.commit()
    assert client.get(f"/tetouan/programme/versions/{draft.id}").status_code == 404
    assert client.get("/tetouan/programme/versions/999999").status_code == 404
    ok = client.get(f"/tetouan/programme/versions/{proposed.id}")
    assert ok.status_code == 200 and "Programme of the action plan, version 2" in ok.get_data(as_text=True)
    old = client.get(f"/tetouan/programme/versions/{superseded.id}").get_data(as_text=True)
    assert "Superseded by a later version" in old
    # another commune's URL does not reach this plan's version
    from services import demo

    demo.create_commune(slug="chefchaouen")
    db.session.commit()
    assert client.get(f"/chefchaouen/programme/versions/{proposed.id}").status_code == 404


def test_visa_deemed_and_pending(world):
    plan = world["plan"]
    version = _adopted(plan, [])
    assert pp.visa_state(version, date(2024, 10, 10)) == "pending"
    assert pp.visa_state(version, date(2024, 10, 23)) == "deemed"
    version.visa_date = date(2024, 10, 15)
    assert pp.visa_state(version, date(2024, 10, 10)) == "given"
    assert pp.visa_state(make_version(plan, 2, "proposed"), date(2025, 1, 1)) is None


def test_nav_links_to_programme_and_open_data(client, commune):
    html = client.get("/tetouan/").get_data(as_text=True)
    assert 'href="/tetouan/programme"' in html and 'href="/tetouan/open-data"' in html


# --- what became of my idea ---------------------------------------------------------------------------

@pytest.fixture()
def author(world, commune):
    return make_user(commune, name="Idea Author")


def _kinds(stages):
    return [(s.kind, s.state) for s in stages]


def _one_current(stages):
    assert sum(1 for s in stages if s.current) == 1, _kinds(stages)


def _link(idea, project):
    db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id, linked_at=datetime(2024, 3, 1)))
    db.session.commit()


def test_timeline_of_a_draft_a_rejected_and_a_hidden_idea(world, commune, author):
    draft = make_idea(commune, author, status="draft")
    assert _kinds(pp.idea_timeline(draft)) == [("draft", "current")]
    rejected = make_idea(commune, author, status="rejected", review_note="Not a commune competence.")
    stages = pp.idea_timeline(rejected)
    assert _kinds(stages) == [("proposed", "done"), ("rejected", "stopped")]
    assert stages[-1].text == "Not a commune competence."
    _one_current(stages)
    hidden = make_idea(commune, author, hidden=True, hidden_reason="auto:reports")
    assert _kinds(pp.idea_timeline(hidden)) == [("proposed", "done"), ("hidden", "stopped")]


def test_timeline_not_made_into_a_project_yet(world, commune, author):
    stages = pp.idea_timeline(make_idea(commune, author))
    assert _kinds(stages) == [("proposed", "done"), ("no_project", "current"), ("ranked", "upcoming"),
                              ("programme", "upcoming"), ("executing", "upcoming"), ("done", "upcoming")]
    _one_current(stages)


def test_timeline_merged_then_ranked_then_waiting_for_a_programme(world, commune, author):
    idea = make_idea(commune, author)
    _link(idea, world["projects"]["A"])
    stages = pp.idea_timeline(idea)
    assert _kinds(stages)[:3] == [("proposed", "done"), ("project", "done"), ("not_ranked", "current")]
    publish_round(world["plan"], ["TET-02", "TET-01", "TET-03"])
    db.session.commit()
    stages = pp.idea_timeline(idea)
    assert _kinds(stages) == [("proposed", "done"), ("project", "done"), ("ranked", "done"),
                              ("no_programme", "current"), ("executing", "upcoming"), ("done", "upcoming")]
    ranked = stages[2]
    assert (ranked.rank, ranked.ranked_of, ranked.round_name) == (2, 3, "Round 1")
    assert stages[1].project.code == "TET-01"


def test_timeline_in_a_proposed_then_adopted_programme_then_executing_then_done(world, commune, author):
    plan = world["plan"]
    idea = make_idea(commune, author)
    _link(idea, world["projects"]["A"])
    publish_round(plan, ["TET-01"])
    make_version(plan, 1, "proposed", world["entries"], proposed_at=datetime(2024, 9, 1))
    db.session.commit()
    stages = pp.idea_timeline(idea)
    assert _kinds(stages)[3:] == [("programme", "done"), ("not_started", "current"), ("done", "upcoming")]
    assert stages[3].years == (2023, 2024) and not stages[3].adopted and stages[3].version.number == 1

    _adopted(plan, world["entries"], number=2)
    report = ExecutionReport(project_id=world["projects"]["A"].id, year=2024, status="works", percent_complete=40)
    db.session.add(report)
    db.session.commit()
    stages = pp.idea_timeline(idea)
    assert stages[3].adopted and stages[3].version.number == 2
    assert _kinds(stages)[4:] == [("executing", "current"), ("done", "upcoming")]
    assert (stages[4].status, stages[4].percent) == ("works", 40)
    _one_current(stages)

    report.status, report.percent_complete = "done", 100
    db.session.commit()
    stages = pp.idea_timeline(idea)
    assert _kinds(stages)[4:] == [("executing", "done"), ("done", "current")]
    _one_current(stages)


def test_timeline_blocked_execution_carries_its_reason(world, commune, author):
    plan = world["plan"]
    idea = make_idea(commune, author)
    _link(idea, world["projects"]["A"])
    _adopted(plan, world["entries"])
    db.session.add(ExecutionReport(project_id=world["projects"]["A"].id, year=2023, status="blocked",
                                   percent_complete=20, reason="Land not yet transferred."))
    db.session.commit()
    stage = [s for s in pp.idea_timeline(idea) if s.current][0]
    assert (stage.kind, stage.status, stage.text) == ("executing", "blocked", "Land not yet transferred.")


@pytest.mark.parametrize("letter, kind", [("D", "skipped"), ("E", "dropped")])
def test_timeline_left_out_of_the_programme(world, commune, author, letter, kind):
    idea = make_idea(commune, author)
    _link(idea, world["projects"][letter])
    _adopted(world["plan"], world["entries"])
    db.session.commit()
    stages = pp.idea_timeline(idea)
    # a project in a public programme needs no published ranking to be told
    assert _kinds(stages) == [("proposed", "done"), ("project", "done"), (kind, "stopped")]
    if kind == "skipped":
        assert stages[-1].skip == pp.SkipReason("envelope", 2025, 5000)
    else:
        assert stages[-1].text.startswith("Already funded")


def test_timeline_project_not_in_the_version_and_dropped_during_execution(world, commune, author):
    plan = world["plan"]
    outside = make_project(commune, plan, "TET-09")
    idea = make_idea(commune, author)
    _link(idea, outside)
    publish_round(plan, ["TET-09"])
    _adopted(plan, world["entries"])
    db.session.commit()
    assert _kinds(pp.idea_timeline(idea))[-1] == ("not_in_programme", "stopped")

    other = make_idea(commune, author, title="Another idea")
    _link(other, world["projects"]["C"])
    db.session.add(ExecutionReport(project_id=world["projects"]["C"].id, year=2023, status="dropped",
                                   percent_complete=0, reason="The site was sold."))
    db.session.commit()
    stages = pp.idea_timeline(other)
    assert _kinds(stages)[-2:] == [("programme", "done"), ("execution_dropped", "stopped")]
    assert stages[-1].text == "The site was sold."


def test_idea_page_shows_the_timeline_with_the_current_step(client, world, commune, author):
    plan = world["plan"]
    idea = make_idea(commune, author)
    _link(idea, world["projects"]["A"])
    publish_round(plan, ["TET-02", "TET-01"])
    _adopted(plan, world["entries"])
    db.session.add(ExecutionReport(project_id=world["projects"]["A"].id, year=2024, status="works",
                                   percent_complete=60))
    db.session.commit()
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    timeline = html[html.index('<section class="idea-timeline"'):]
    timeline = timeline[:timeline.index("</section>")]
    assert "What became of this idea" in timeline and '<ol class="timeline">' in timeline
    items = re.findall(r"<li class=\"stage stage-(\w+)\"( aria-current=\"step\")?", timeline)
    assert [state for state, _ in items] == ["done", "done", "done", "done", "current", "upcoming"]
    assert [bool(current) for _, current in items] == [False, False, False, False, True, False]
    assert 'href="/tetouan/projects/TET-01"' in timeline
    assert "rank 2 of 2 in <bdi>Round 1</bdi>" in timeline
    assert "60% complete" in timeline and "Works under way" in timeline
    assert "adopted by the council" in timeline


def test_idea_page_of_an_idea_in_no_project(client, world, commune, author):
    idea = make_idea(commune, author)
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert re.search(r'<li class="stage stage-current" aria-current="step">\s*<span class="visually-hidden">Now:</span>\s*'
                     r'<strong>Not made into a project yet</strong>', html)


def test_timeline_uses_the_project_the_page_already_read(world, commune, author):
    idea = make_idea(commune, author)
    _link(idea, world["projects"]["B"])
    assert _kinds(pp.idea_timeline(idea, None))[1] == ("no_project", "current")  # the caller said: no project
    stages = pp.idea_timeline(idea, world["projects"]["B"])
    assert stages[1].kind == "project" and stages[1].project.code == "TET-02"
    assert [s.kind for s in stages] == [s.kind for s in pp.idea_timeline(idea)]
