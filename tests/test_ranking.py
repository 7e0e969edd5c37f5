"""services.ranking (no HTTP): the round's inputs, the hand-computed ranking, the chair's overrides,
publication and its snapshot, the audit trail; services.charts geometry; the decimal/percent filters.

The hand-computed round (built by `ranked_round`):
  criteria  impact (scored, weight 2), feasibility (scored, weight 1), support (support, weight 1)
            → normalised weights 0.5, 0.25, 0.25
  members   A (chair), B, C; C is recused on TET-01 (their scores on it exist but must not count)
  supports at close: TET-01 40, TET-02 20, TET-03 10 → support values 5, 2.5, 1.25
  scores (impact, feasibility):
            TET-01  A 4,4   B 2,4   C 0,0 (recused)
            TET-02  A 3,3   B 3,3   C 3,3
            TET-03  A 5,5   B 1,1   C 4,1
  values    TET-01 impact (4+2)/2 = 3, feasibility 4        → 0.5×3 + 0.25×4 + 0.25×5 = 3.75
            TET-02 impact 3, feasibility 3                   → 1.5 + 0.75 + 0.625 = 2.875
            TET-03 impact 10/3, feasibility 7/3              → 5/3 + 7/12 + 0.3125 = 2.5625
  ranks     TET-01, TET-02, TET-03; members counted 2, 3, 3
  disagreement (sd of each member's 0.5×impact + 0.25×feasibility):
            TET-01 A 3, B 2 → 0.5;  TET-02 all 2.25 → 0;
            TET-03 A 3.75, B 0.75, C 2.25 → sqrt(1.5) ≈ 1.2247 → contested (≥ 1)
  Kendall's W over A and B (C is recused on one project): A orders 03, 01, 02; B orders 02, 01, 03
            → rank sums 4, 4, 4 → W = 0 (no agreement)
"""
from __future__ import annotations

import json
import math
from datetime import date

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    AuditEntry,
    Axis,
    CommitteeMember,
    Criterion,
    Project,
    ProjectIdea,
    RankingOverride,
    Recusal,
    RoundProject,
    Score,
    ScoringRound,
    Support,
)
from services import audit, charts, phases, ranking
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from tests.conftest import make_idea, make_user

JUSTIFICATION = "Le projet répond à une urgence sanitaire signalée par la délégation de la santé."

SCORES = {  # project -> member -> (impact, feasibility)
    "TET-01": {"A": (4, 4), "B": (2, 4), "C": (0, 0)},
    "TET-02": {"A": (3, 3), "B": (3, 3), "C": (3, 3)},
    "TET-03": {"A": (5, 5), "B": (1, 1), "C": (4, 1)},
}
SUPPORTS = {"TET-01": 40, "TET-02": 20, "TET-03": 10}


def build_round(commune, *, status="closed", top_k=1, scores=SCORES, observer=False, names=None):
    """The hand-computed round of the module docstring. Returns a dict of what was made."""
    plan = phases.current_plan(commune)
    axis = db.session.scalars(select(Axis).where(Axis.commune_id == commune.id)).first()
    names = names or {"A": "Amina Chair", "B": "Brahim Member", "C": "Chaimae Member"}
    users = {key: make_user(commune, ("committee",), name=names[key]) for key in ("A", "B", "C")}
    for key, user in users.items():
        db.session.add(CommitteeMember(plan_id=plan.id, user_id=user.id, kind="commune" if key != "B" else "undp",
                                       is_chair=key == "A"))
    if observer:
        users["O"] = make_user(commune, ("committee",), name="Observer Person")
        db.session.add(CommitteeMember(plan_id=plan.id, user_id=users["O"].id, kind="observer"))
    impact = Criterion(plan_id=plan.id, code="impact", kind="scored", weight=2.0, position=1,
                       name_ar="الأثر", name_fr="Impact social", name_zgh="ⴰⵙⵓⵖⵍ")
    feasibility = Criterion(plan_id=plan.id, code="feasibility", kind="scored", weight=1.0, position=2,
                            name_ar="قابلية الإنجاز", name_fr="Faisabilité", name_zgh="ⵜⴰⵣⵎⵔⵜ")
    support = Criterion(plan_id=plan.id, code="support", kind="support", weight=1.0, position=0,
                        name_ar="الدعم", name_fr="Soutien citoyen", name_zgh="ⴰⵙⵏⴰⴷ")
    db.session.add_all([impact, feasibility, support])
    projects = {}
    for n, code in enumerate(SUPPORTS, start=1):
        projects[code] = Project(
            commune_id=commune.id, plan_id=plan.id, code=code, title_ar=f"مشروع {n}", title_fr=f"Projet {n}",
            title_zgh=f"ⴰⵙⵏⴼⴰⵔ {n}", axis_id=axis.id, total_cost=1000 * n, commune_share=100 * n,
            duration_years=1, earliest_start_year=plan.start_year)
    db.session.add_all(projects.values())
    round_ = ScoringRound(plan_id=plan.id, name="Priorités 2026", status=status, top_k=top_k)
    db.session.add(round_)
    db.session.flush()
    closed = status in ("closed", "published")
    for code, project in projects.items():
        db.session.add(RoundProject(round_id=round_.id, project_id=project.id,
                                    supports_at_close=SUPPORTS[code] if closed else None))
    for code, by_member in scores.items():
        for key, (i, f) in by_member.items():
            for criterion, value in ((impact, i), (feasibility, f)):
                db.session.add(Score(round_id=round_.id, user_id=users[key].id, project_id=projects[code].id,
                                     criterion_id=criterion.id, value=value))
    db.session.add(Recusal(round_id=round_.id, user_id=users["C"].id, project_id=projects["TET-01"].id,
                           reason="Membre du bureau de l'association porteuse"))
    db.session.commit()
    return {"plan": plan, "round": round_, "users": users, "projects": projects,
            "criteria": {"impact": impact, "feasibility": feasibility, "support": support}}


@pytest.fixture()
def ranked(commune):
    return build_round(commune)


# --- inputs and the computed ranking ---------------------------------------------------------

def test_inputs_are_the_round_as_aggregation_types(ranked):
    criteria, projects, scores = ranking.inputs(ranked["round"])
    assert [(c.id, c.weight, c.kind) for c in criteria] == [
        ("support", 1.0, "support"), ("impact", 2.0, "scored"), ("feasibility", 1.0, "scored")]
    assert {(p.code, p.supports, p.cost) for p in projects} == {
        ("TET-01", 40, 1000), ("TET-02", 20, 2000), ("TET-03", 10, 3000)}
    users = ranked["users"]
    recusals = [s for s in scores if s.recused]
    assert [(s.member, s.project) for s in recusals] == [(str(users["C"].id), "TET-01")]
    assert len([s for s in scores if not s.recused]) == 18  # 3 projects × 3 members × 2 criteria
    assert {s.member for s in scores} == {str(u.id) for u in users.values()}


def test_hand_computed_ranking(ranked):
    result = ranking.compute(ranked["round"])
    rows = {row.project.code: row for row in result.rows}
    assert [row.project.code for row in result.rows] == ["TET-01", "TET-02", "TET-03"]
    assert [row.rank for row in result.rows] == [1, 2, 3]
    assert rows["TET-01"].result.composite == pytest.approx(3.75)
    assert rows["TET-02"].result.composite == pytest.approx(2.875)
    assert rows["TET-03"].result.composite == pytest.approx(2.5625)
    assert rows["TET-01"].result.values == pytest.approx({"support": 5.0, "impact": 3.0, "feasibility": 4.0})
    assert rows["TET-03"].result.values == pytest.approx({"support": 1.25, "impact": 10 / 3, "feasibility": 7 / 3})
    assert [rows[c].result.members for c in ("TET-01", "TET-02", "TET-03")] == [2, 3, 3]
    assert rows["TET-01"].result.disagreement == pytest.approx(0.5)
    assert rows["TET-02"].result.disagreement == pytest.approx(0.0)
    assert rows["TET-03"].result.disagreement == pytest.approx(math.sqrt(1.5))
    assert [rows[c].result.contested for c in ("TET-01", "TET-02", "TET-03")] == [False, False, True]
    assert result.kendall_w == pytest.approx(0.0)
    assert result.kendall_members == 2
    assert result.recusals == {"TET-01": 1, "TET-02": 0, "TET-03": 0}
    assert [rows[c].recusals for c in ("TET-01", "TET-02", "TET-03")] == [1, 0, 0]
    assert result.weights == pytest.approx({"support": 0.25, "impact": 0.5, "feasibility": 0.25})
    # sensitivity: top 1 of 3; TET-01 leads by far whatever the weights (±20 %)
    assert [rows[c].top_k_fraction for c in ("TET-01", "TET-02", "TET-03")] == [1.0, 0.0, 0.0]
    assert result.sensitivity.draws == 1000 and result.sensitivity.seed == ranked["round"].id
    assert rows["TET-01"].robustness == "robust" and rows["TET-03"].robustness == "out"
    # raw and z-score side by side, one line per project
    assert {s.project for s in result.comparison.rows} == set(SUPPORTS)
    assert not any(row.moved for row in result.rows)


def test_recused_members_scores_change_nothing(commune):
    changed = {**SCORES, "TET-01": {**SCORES["TET-01"], "C": (5, 5)}}
    made = build_round(commune, scores=changed)
    row = ranking.compute(made["round"]).row("TET-01")
    assert row.result.composite == pytest.approx(3.75)
    assert row.result.members == 2


def test_robustness_wording():
    assert ranking.robustness(0.95) == "robust"
    assert ranking.robustness(0.9) == "robust"
    assert ranking.robustness(0.5) == "depends"
    assert ranking.robustness(0.1) == "out"


@pytest.mark.parametrize("status", ["draft", "open"])
def test_ranking_hidden_until_the_round_closes(commune, status):
    made = build_round(commune, status=status)
    with pytest.raises(NotAllowed) as caught:
        ranking.compute(made["round"])
    assert "blind" in str(caught.value.message)


def test_open_round_inputs_count_supports_live(commune):
    made = build_round(commune, status="open")
    author = make_user(commune)
    idea = make_idea(commune, author)
    db.session.add(ProjectIdea(project_id=made["projects"]["TET-02"].id, idea_id=idea.id))
    for _ in range(2):
        supporter = make_user(commune)
        db.session.add(Support(idea_id=idea.id, user_id=supporter.id, plan_id=made["plan"].id))
    db.session.commit()
    _criteria, projects, _scores = ranking.inputs(made["round"])
    assert {p.code: p.supports for p in projects} == {"TET-01": 0, "TET-02": 2, "TET-03": 0}


def test_round_of_another_plan_is_not_found(ranked, app):
    from services import demo

    other_commune, other_plan = demo.create_commune(slug="chefchaouen", today=date.today())
    db.session.commit()
    with pytest.raises(NotFound):
        ranking.round_of(other_plan, ranked["round"].id)
    assert ranking.round_of(ranked["plan"], ranked["round"].id) is ranked["round"]


def test_nothing_to_rank_is_a_conflict(commune):
    plan = phases.current_plan(commune)
    round_ = ScoringRound(plan_id=plan.id, name="Vide", status="closed")
    db.session.add(round_)
    db.session.commit()
    with pytest.raises(Conflict):
        ranking.compute(round_)


# --- overrides -------------------------------------------------------------------------------

def test_apply_overrides_in_order_and_clamped():
    order = ["a", "b", "c", "d"]
    assert ranking.apply_overrides(order, [("c", 1)]) == ["c", "a", "b", "d"]
    assert ranking.apply_overrides(order, [("c", 1), ("a", 4)]) == ["c", "b", "d", "a"]
    assert ranking.apply_overrides(order, [("a", 4), ("c", 1)]) == ["c", "b", "d", "a"]
    assert ranking.apply_overrides(order, [("b", 99)]) == ["a", "c", "d", "b"]
    assert ranking.apply_overrides(order, [("zz", 1)]) == order


def test_override_moves_the_third_project_first(ranked):
    round_, chair = ranked["round"], ranked["users"]["A"]
    entry = ranking.override(round_, ranked["projects"]["TET-03"], 1, f"  {JUSTIFICATION}  ", chair)
    db.session.commit()
    assert (entry.computed_rank, entry.new_rank, entry.justification) == (3, 1, JUSTIFICATION)
    result = ranking.compute(round_)
    assert [row.project.code for row in result.rows] == ["TET-03", "TET-01", "TET-02"]
    first = result.rows[0]
    assert first.rank == 1 and first.computed_rank == 3 and first.moved
    assert first.override.justification == JUSTIFICATION
    assert result.rows[1].moved and result.rows[1].override is None
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "committee.override")).one()
    details = json.loads(logged.details)
    assert details["project"] == "TET-03"
    assert (details["computed_rank"], details["previous_rank"], details["new_rank"]) == (3, 3, 1)
    assert details["justification"] == JUSTIFICATION
    assert logged.actor_id == chair.id and logged.target_id == round_.id


def test_second_override_counts_from_the_current_final_order(ranked):
    round_, chair = ranked["round"], ranked["users"]["A"]
    ranking.override(round_, ranked["projects"]["TET-03"], 1, JUSTIFICATION, chair)
    # TET-03 is now 1st: asking for rank 1 again is refused, rank 3 is a real move
    with pytest.raises(ServiceError) as caught:
        ranking.override(round_, ranked["projects"]["TET-03"], 1, JUSTIFICATION, chair)
    assert caught.value.field == "new_rank"
    ranking.override(round_, ranked["projects"]["TET-01"], 3, JUSTIFICATION, chair)
    db.session.commit()
    assert [row.project.code for row in ranking.compute(round_).rows] == ["TET-03", "TET-02", "TET-01"]
    last = db.session.scalars(select(RankingOverride).order_by(RankingOverride.id.desc())).first()
    assert (last.computed_rank, last.new_rank) == (1, 3)


@pytest.mark.parametrize("new_rank, justification, field", [
    (1, None, "justification"),
    (1, "", "justification"),
    (1, "   ", "justification"),
    (1, "Trop court, 19 car.", "justification"),  # 19 characters
    (1, "x" * 2001, "justification"),
    (1, "Voir <script>alert(1)</script> pour les détails.", "justification"),
    (1, "Justification avec \u202e un caractère de contrôle.", "justification"),
    (0, JUSTIFICATION, "new_rank"),
    (4, JUSTIFICATION, "new_rank"),
    (None, JUSTIFICATION, "new_rank"),
    (3, JUSTIFICATION, "new_rank"),  # already 3rd
])
def test_override_refused_with_bad_input(ranked, new_rank, justification, field):
    with pytest.raises(ServiceError) as caught:
        ranking.override(ranked["round"], ranked["projects"]["TET-03"], new_rank, justification, ranked["users"]["A"])
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


def test_justification_of_exactly_20_characters_is_enough(ranked):
    text = "Urgence sanitaire !!"
    assert len(text) == 20
    entry = ranking.override(ranked["round"], ranked["projects"]["TET-03"], 1, text, ranked["users"]["A"])
    assert entry.justification == text


@pytest.mark.parametrize("status", ["draft", "open", "published"])
def test_override_refused_unless_closed(commune, status):
    made = build_round(commune, status=status)
    with pytest.raises(Conflict):
        ranking.override(made["round"], made["projects"]["TET-03"], 1, JUSTIFICATION, made["users"]["A"])
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


def test_override_of_a_project_outside_the_round_is_not_found(ranked, commune):
    plan = ranked["plan"]
    stray = Project(commune_id=commune.id, plan_id=plan.id, code="TET-99", title_ar="خارج", title_fr="Hors",
                    title_zgh="ⴱⵕⵕⴰ", axis_id=ranked["projects"]["TET-01"].axis_id, total_cost=1, commune_share=0,
                    duration_years=1, earliest_start_year=plan.start_year)
    db.session.add(stray)
    db.session.commit()
    with pytest.raises(NotFound):
        ranking.override(ranked["round"], stray, 1, JUSTIFICATION, ranked["users"]["A"])


# --- publication -----------------------------------------------------------------------------

def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_publish_freezes_the_final_order(ranked):
    round_, chair = ranked["round"], ranked["users"]["A"]
    ranking.override(round_, ranked["projects"]["TET-03"], 1, JUSTIFICATION, chair)
    ranking.publish(round_, chair)
    db.session.commit()
    assert round_.status == "published" and round_.published_at is not None
    data = ranking.published(round_)
    assert [row["code"] for row in data["rows"]] == ["TET-03", "TET-01", "TET-02"]
    first, second = data["rows"][0], data["rows"][1]
    assert (first["rank"], first["computed_rank"], first["justification"]) == (1, 3, JUSTIFICATION)
    assert second["justification"] is None and second["recusals"] == 1
    assert first["composite"] == pytest.approx(2.5625)
    assert first["values"] == pytest.approx({"support": 1.25, "impact": 10 / 3, "feasibility": 7 / 3})
    assert first["disagreement"] == pytest.approx(math.sqrt(1.5)) and first["contested"] is True
    assert first["title"] == {"ar": "مشروع 3", "fr": "Projet 3", "zgh": "ⴰⵙⵏⴼⴰⵔ 3"}
    assert (first["supports"], first["cost"], first["members"]) == (10, 3000, 3)
    assert second["top_k_fraction"] == 1.0
    assert {"zscore_rank", "zscore_composite"} <= set(first)
    assert [c["code"] for c in data["criteria"]] == ["support", "impact", "feasibility"]
    assert [c["weight"] for c in data["criteria"]] == pytest.approx([0.25, 0.5, 0.25])
    assert data["criteria"][1]["name"] == {"ar": "الأثر", "fr": "Impact social", "zgh": "ⴰⵙⵓⵖⵍ"}
    assert data["kendall_w"] == pytest.approx(0.0) and data["kendall_members"] == 2
    assert data["top_k"] == 1 and data["draws"] == 1000
    logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "committee.round_published")).one()
    assert json.loads(logged.details)["order"] == ["TET-03", "TET-01", "TET-02"]


def test_snapshot_names_no_member(ranked):
    users = ranked["users"]
    ranking.publish(ranked["round"], users["A"])
    db.session.commit()
    text = ranked["round"].published_result
    for user in users.values():
        assert user.display_name not in text
        assert user.email not in text
    data = json.loads(text)
    allowed = {"version", "round", "published_at", "top_k", "draws", "seed", "contested_threshold", "criteria",
               "rows", "kendall_w", "kendall_members", "zscore_kendall_w", "code", "name", "weight", "kind", "ar",
               "fr", "zgh", "title", "rank", "computed_rank", "composite", "values", "unscored", "members",
               "disagreement", "contested", "supports", "cost", "top_k_fraction", "recusals", "justification",
               "zscore_rank", "zscore_composite", "impact", "feasibility", "support"}
    assert set(_keys(data)) <= allowed
    # nothing in it is a member's own score line: no per-member lists anywhere
    assert all(not isinstance(v, list) or k in ("criteria", "rows", "unscored") for k, v in data.items())
    for row in data["rows"]:
        assert all(not isinstance(v, (list, dict)) or k in ("values", "title", "unscored") for k, v in row.items())


@pytest.mark.parametrize("status", ["draft", "open"])
def test_publish_refused_unless_closed(commune, status):
    made = build_round(commune, status=status)
    with pytest.raises(Conflict):
        ranking.publish(made["round"], made["users"]["A"])
    assert made["round"].published_result is None


def test_publish_twice_is_a_conflict_and_published_ranking_is_frozen(ranked):
    chair = ranked["users"]["A"]
    ranking.publish(ranked["round"], chair)
    db.session.commit()
    before = ranked["round"].published_result
    with pytest.raises(Conflict):
        ranking.publish(ranked["round"], chair)
    with pytest.raises(Conflict):
        ranking.override(ranked["round"], ranked["projects"]["TET-03"], 1, JUSTIFICATION, chair)
    assert ranked["round"].published_result == before


def test_published_is_not_found_before_publication(ranked, commune):
    with pytest.raises(NotFound):
        ranking.published(ranked["round"])
    with pytest.raises(NotFound):
        ranking.published_round(commune.id, ranked["round"].id)
    assert ranking.published_rounds(ranked["plan"]) == []
    assert ranking.published_rows_for(ranked["projects"]["TET-01"]) == []


def test_published_round_belongs_to_its_commune(ranked, commune):
    from services import demo

    ranking.publish(ranked["round"], ranked["users"]["A"])
    other, _plan = demo.create_commune(slug="chefchaouen", today=date.today())
    db.session.commit()
    assert ranking.published_round(commune.id, ranked["round"].id) is ranked["round"]
    with pytest.raises(NotFound):
        ranking.published_round(other.id, ranked["round"].id)
    assert ranking.published_rounds(ranked["plan"]) == [ranked["round"]]


def test_published_rows_for_a_project(ranked):
    chair = ranked["users"]["A"]
    ranking.override(ranked["round"], ranked["projects"]["TET-03"], 1, JUSTIFICATION, chair)
    ranking.publish(ranked["round"], chair)
    db.session.commit()
    lines = ranking.published_rows_for(ranked["projects"]["TET-03"])
    assert len(lines) == 1
    line = lines[0]
    assert line.round is ranked["round"] and line.projects == 3 and line.top_k == 1
    assert (line.row["rank"], line.row["justification"]) == (1, JUSTIFICATION)
    assert [c["code"] for c in line.criteria] == ["support", "impact", "feasibility"]


def test_audit_chain_verifies_after_override_and_publication(ranked):
    chair = ranked["users"]["A"]
    ranking.override(ranked["round"], ranked["projects"]["TET-03"], 1, JUSTIFICATION, chair)
    ranking.publish(ranked["round"], chair)
    db.session.commit()
    check = audit.verify()
    assert check.ok and check.checked >= 2
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["committee.override", "committee.round_published"]


# --- chart geometry --------------------------------------------------------------------------

def test_bar_chart_geometry():
    chart = charts.bar_chart([
        charts.ChartItem("A", 5.0, 0.5), charts.ChartItem("B", 2.5, 0.0, contested=True),
        charts.ChartItem("C", 0.2, 1.0)])
    assert len(chart.bars) == 3
    a, b, c = chart.bars
    full = chart.plot_x1 - chart.plot_x0
    assert a.width == pytest.approx(full) and b.width == pytest.approx(full / 2)
    assert b.contested and not a.contested
    assert a.whisker_x2 == pytest.approx(chart.plot_x1)  # 5.5 clamped to 5
    assert c.whisker_x1 == pytest.approx(chart.plot_x0)  # -0.8 clamped to 0
    assert b.whisker_x1 == b.whisker_x2 == pytest.approx(chart.plot_x0 + full / 2)
    assert a.y < b.y < c.y and chart.height > c.y + c.height
    assert [t.value for t in chart.ticks] == [0, 1, 2, 3, 4, 5]
    assert chart.view_box == f"0 0 {chart.width} {chart.height}"
    assert all(bar.value_x <= chart.width for bar in chart.bars)


def test_empty_chart():
    chart = charts.bar_chart([])
    assert chart.bars == () and chart.height > 0


# --- number filters --------------------------------------------------------------------------

@pytest.mark.parametrize("lang, decimal, percent", [("en", "3.90", "85%"), ("fr", "3,90", "85\u00a0%")])
def test_decimal_and_percent_filters(app, lang, decimal, percent):
    from services import formatting

    with app.test_request_context("/", headers={"Accept-Language": lang}):
        assert formatting.decimal(3.9) == decimal
        assert formatting.decimal(None) == ""
        assert formatting.percent(0.85).replace("\u202f", "\u00a0") == percent
        assert formatting.percent(None) == ""
