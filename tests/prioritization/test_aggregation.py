"""Hand-computed cases for every rule of prioritization/aggregation.py (no Flask needed)."""
from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from prioritization.aggregation import (
    AggregationError,
    Criterion,
    Project,
    Score,
    aggregate,
    compare_normalizations,
    kendalls_w,
    sensitivity,
)

ROOT = Path(__file__).resolve().parents[2]
IMPACT_FEASIBILITY = [Criterion("impact", 3), Criterion("feasibility", 1)]


def scores(*rows):
    """rows: (member, project, criterion, value); value None = recusal."""
    return [Score(*row) for row in rows]


# --- weights ---------------------------------------------------------------------------------

def test_weights_are_normalised_to_sum_one():
    ranking = aggregate([Criterion("a", 3), Criterion("b", 1), Criterion("c", 0)], None,
                        scores(("m", "P1", "a", 4), ("m", "P1", "b", 2), ("m", "P1", "c", 5)))
    assert [(c.id, c.weight) for c in ranking.criteria] == [("a", 0.75), ("b", 0.25), ("c", 0.0)]
    # 0.75 × 4 + 0.25 × 2 + 0 × 5
    assert ranking.projects[0].composite == pytest.approx(3.5)


def test_all_zero_weights_is_an_error():
    with pytest.raises(AggregationError, match="all weights are zero"):
        aggregate([Criterion("a", 0), Criterion("b", 0)], None, scores(("m", "P1", "a", 4)))


# --- scored criteria: mean over the counted members ------------------------------------------

def test_value_is_the_mean_over_non_recused_members_and_recusal_excludes_everything():
    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(
        ("a", "P1", "impact", 4), ("a", "P1", "feasibility", 3),
        ("b", "P1", "impact", 2), ("b", "P1", "feasibility", 1),
        ("c", "P1", "impact", 5), ("c", "P1", "feasibility", 0), ("c", "P1", None, None),
    ))
    p1 = ranking.project("P1")
    assert p1.values == {"impact": 3.0, "feasibility": 2.0}  # (4 + 2) / 2 and (3 + 1) / 2; c is out
    assert p1.composite == pytest.approx(0.75 * 3 + 0.25 * 2)
    assert p1.members == 2


def test_a_criterion_nobody_scored_counts_zero_and_is_listed():
    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(("a", "P1", "impact", 4)))
    p1 = ranking.project("P1")
    assert p1.values == {"impact": 4.0, "feasibility": 0.0}
    assert p1.unscored == ("feasibility",)
    assert p1.composite == pytest.approx(3.0)


def test_a_project_nobody_scored_is_still_ranked_with_zero():
    ranking = aggregate([Criterion("impact", 1)], [Project("P1"), Project("P2")],
                        scores(("a", "P1", "impact", 2)))
    assert [(p.project, p.composite, p.members) for p in ranking.projects] == [("P1", 2.0, 1), ("P2", 0.0, 0)]


# --- support criterion ----------------------------------------------------------------------

def test_support_value_is_five_times_supports_over_the_largest():
    ranking = aggregate([Criterion("impact", 1), Criterion("support", 1, "support")],
                        [Project("P1", 10), Project("P2", 40), Project("P3", 0)], [])
    values = {p.project: p.values["support"] for p in ranking.projects}
    assert values == {"P1": 1.25, "P2": 5.0, "P3": 0.0}
    assert [p.project for p in ranking.projects] == ["P2", "P1", "P3"]


def test_support_value_is_zero_when_nobody_supported_anything():
    ranking = aggregate([Criterion("impact", 1), Criterion("support", 1, "support")],
                        [Project("P1", 0), Project("P2", 0)], scores(("a", "P2", "impact", 1)))
    assert all(p.values["support"] == 0.0 for p in ranking.projects)
    assert ranking.project("P2").composite == pytest.approx(0.5)


def test_composite_combines_scored_and_support_criteria():
    # weights 2, 1, 1 → 0.5, 0.25, 0.25
    ranking = aggregate(
        [Criterion("impact", 2), Criterion("feasibility", 1), Criterion("support", 1, "support")],
        [Project("P1", 20), Project("P2", 40)],
        scores(("a", "P1", "impact", 4), ("b", "P1", "impact", 5), ("a", "P1", "feasibility", 3),
               ("a", "P2", "impact", 1), ("a", "P2", "feasibility", 1)))
    p1 = ranking.project("P1")
    assert p1.values == {"impact": 4.5, "feasibility": 3.0, "support": 2.5}
    assert p1.composite == pytest.approx(0.5 * 4.5 + 0.25 * 3 + 0.25 * 2.5)  # 3.625
    assert ranking.project("P2").composite == pytest.approx(0.5 * 1 + 0.25 * 1 + 0.25 * 5)  # 2.0
    assert [p.rank for p in ranking.projects] == [1, 2] and ranking.projects[0].project == "P1"


# --- ranking and tie-breaks -----------------------------------------------------------------

def test_ties_go_to_more_supports_then_to_the_code():
    ranking = aggregate([Criterion("impact", 1)],
                        [Project("P3", 10), Project("P1", 5), Project("P2", 10), Project("P0", 0)],
                        scores(("a", "P1", "impact", 3), ("a", "P2", "impact", 3), ("a", "P3", "impact", 3),
                               ("a", "P0", "impact", 4)))
    assert [(p.project, p.rank) for p in ranking.projects] == [("P0", 1), ("P2", 2), ("P3", 3), ("P1", 4)]


def test_composites_closer_than_1e_9_are_tied_but_1e_6_is_not():
    near = aggregate([Criterion("impact", 1)], [Project("A", 0), Project("B", 1)],
                     scores(("a", "A", "impact", 3 + 1e-12), ("a", "B", "impact", 3)))
    assert [p.project for p in near.projects] == ["B", "A"]  # tied: B has more supports
    apart = aggregate([Criterion("impact", 1)], [Project("A", 0), Project("B", 1)],
                      scores(("a", "A", "impact", 3 + 1e-6), ("a", "B", "impact", 3)))
    assert [p.project for p in apart.projects] == ["A", "B"]


# --- members counted and disagreement -------------------------------------------------------

def test_members_counted_are_the_non_recused_who_scored_the_project():
    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(
        ("a", "P1", "impact", 4),                                  # one criterion is enough
        ("b", "P1", "impact", 3), ("b", "P1", "feasibility", 3),
        ("c", "P1", "impact", 1), ("c", "P1", None, None),         # recused
        ("d", "P2", "impact", 2),                                  # scored another project only
    ))
    assert ranking.project("P1").members == 2
    assert ranking.project("P2").members == 1
    assert ranking.members == 4


def test_disagreement_is_the_population_sd_of_members_weighted_scores():
    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(
        ("a", "P1", "impact", 4), ("a", "P1", "feasibility", 4),   # weighted 0.75×4 + 0.25×4 = 4
        ("b", "P1", "impact", 2), ("b", "P1", "feasibility", 2),   # weighted 2
    ))
    p1 = ranking.project("P1")
    assert p1.disagreement == pytest.approx(1.0)  # population SD of (4, 2); the sample SD would be 1.414
    assert p1.contested  # default threshold: disagreement ≥ 1.0


def test_disagreement_scales_up_a_member_who_skipped_criteria():
    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(
        ("a", "P1", "impact", 4), ("a", "P1", "feasibility", 4),   # 4
        ("b", "P1", "impact", 2), ("b", "P1", "feasibility", 2),   # 2
        ("c", "P1", "impact", 5),                                  # 0.75 × 5 scaled to weight 1 → 5
    ))
    # mean 11/3; deviations 1/3, −5/3, 4/3 → variance (1 + 25 + 16) / 27 = 14/9
    assert ranking.project("P1").disagreement == pytest.approx(math.sqrt(14) / 3)


def test_disagreement_is_in_composite_points_when_there_is_a_support_criterion():
    # weights 3, 1, 4 → 0.375, 0.125, 0.5: the scored criteria weigh 0.5 of the composite
    criteria = IMPACT_FEASIBILITY + [Criterion("support", 4, "support")]
    ranking = aggregate(criteria, [Project("P1", 3)], scores(
        ("a", "P1", "impact", 4), ("a", "P1", "feasibility", 4),   # 0.375×4 + 0.125×4 = 2
        ("b", "P1", "impact", 2), ("b", "P1", "feasibility", 2),   # 1
    ))
    assert ranking.project("P1").disagreement == pytest.approx(0.5)
    assert not ranking.project("P1").contested


def test_disagreement_leaves_out_a_member_who_scored_only_zero_weight_criteria():
    ranking = aggregate([Criterion("impact", 1), Criterion("notes", 0)], None, scores(
        ("a", "P1", "impact", 5), ("b", "P1", "impact", 3), ("e", "P1", "notes", 0)))
    p1 = ranking.project("P1")
    assert p1.members == 3
    assert p1.disagreement == pytest.approx(1.0)  # SD of (5, 3) only


def test_disagreement_is_zero_with_a_single_member():
    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(("a", "P1", "impact", 5)))
    assert ranking.project("P1").disagreement == 0.0


def test_contested_threshold_is_a_parameter():
    rows = scores(("a", "P1", "impact", 4), ("a", "P1", "feasibility", 4),
                  ("b", "P1", "impact", 3), ("b", "P1", "feasibility", 3),   # SD 0.5
                  ("a", "P2", "impact", 3), ("b", "P2", "impact", 3))       # SD 0
    assert aggregate(IMPACT_FEASIBILITY, None, rows).contested == ()
    ranking = aggregate(IMPACT_FEASIBILITY, None, rows, contested_threshold=0.5)
    assert ranking.contested == ("P1",)
    assert ranking.contested_threshold == 0.5
    with pytest.raises(AggregationError, match="threshold"):
        aggregate(IMPACT_FEASIBILITY, None, rows, contested_threshold=0)


# --- Kendall's W ----------------------------------------------------------------------------

def test_kendalls_w_three_judges_four_items_by_hand():
    # ranks A: 1 2 3 4, B: 2 1 3 4, C: 1 3 2 4 → R = 4, 6, 8, 12; mean R = 3 × 5 / 2 = 7.5
    # S = 3.5² + 1.5² + 0.5² + 4.5² = 35; W = 12 × 35 / (3² × (4³ − 4)) = 420 / 540 = 7/9
    judges = [[4, 3, 2, 1], [3, 4, 2, 1], [4, 2, 3, 1]]
    assert kendalls_w(judges) == pytest.approx(7 / 9)


def test_kendalls_w_with_ties_uses_the_correction():
    # C ties items 2 and 3 (ranks 2.5, 2.5): R = 4, 5.5, 8.5, 12; S = 12.25 + 4 + 1 + 20.25 = 37.5
    # T = 2³ − 2 = 6; W = 12 × 37.5 / (9 × 60 − 3 × 6) = 450 / 522 = 25/29
    judges = [[4, 3, 2, 1], [3, 4, 2, 1], [4, 2, 2, 1]]
    assert kendalls_w(judges) == pytest.approx(25 / 29)


def test_kendalls_w_extremes_and_undefined_cases():
    assert kendalls_w([[5, 3, 1], [5, 3, 1], [4, 2, 0]]) == pytest.approx(1.0)
    assert kendalls_w([[3, 2, 1], [1, 2, 3]]) == pytest.approx(0.0)
    assert kendalls_w([[3, 2, 1]]) is None          # one judge
    assert kendalls_w([[3], [2]]) is None            # one item
    assert kendalls_w([[2, 2], [1, 1]]) is None      # everybody ties everything


def test_kendalls_w_of_a_round_uses_members_who_scored_every_project():
    rows = []
    for member, values in {"a": [4, 3, 2, 1], "b": [3, 4, 2, 1], "c": [4, 2, 3, 1]}.items():
        rows += [(member, f"P{i}", "impact", v) for i, v in enumerate(values, start=1)]
    rows += [("d", "P1", "impact", 0), ("d", "P2", "impact", 5), ("d", "P3", "impact", 5),
             ("d", "P4", "impact", 5), ("d", "P4", None, None)]           # recused on P4
    rows += [("e", "P1", "impact", 0), ("e", "P2", "impact", 5)]         # did not score everything
    ranking = aggregate([Criterion("impact", 1)], None, scores(*rows))
    assert ranking.kendall_members == 3
    assert ranking.kendall_w == pytest.approx(7 / 9)


def test_kendalls_w_perfect_agreement_in_a_round():
    rows = [(m, p, "impact", v) for m in "abc" for p, v in (("P1", 5), ("P2", 3), ("P3", 1))]
    assert aggregate([Criterion("impact", 1)], None, scores(*rows)).kendall_w == pytest.approx(1.0)


# --- z-score normalisation -----------------------------------------------------------------

def test_zscore_by_hand():
    # a: 1, 3, 5 → mean 3, SD √(8/3), z = −√1.5, 0, √1.5; b: 2, 2, 2 → SD 0 → z = 0
    # pooled over all six scores: mean 2.5, SD √(9.5/6) = √(19/12); mapped = 2.5 + z × √(19/12)
    rows = scores(("a", "P1", "impact", 1), ("a", "P2", "impact", 3), ("a", "P3", "impact", 5),
                  ("b", "P1", "impact", 2), ("b", "P2", "impact", 2), ("b", "P3", "impact", 2))
    ranking = aggregate([Criterion("impact", 1)], None, rows, normalize="zscore")
    shift = math.sqrt(1.5) * math.sqrt(19 / 12)  # = √(19/8)
    assert ranking.project("P1").values["impact"] == pytest.approx(((2.5 - shift) + 2.5) / 2)
    assert ranking.project("P2").values["impact"] == pytest.approx(2.5)
    assert ranking.project("P3").values["impact"] == pytest.approx(((2.5 + shift) + 2.5) / 2)
    assert ranking.normalization == "zscore"


def test_zscore_is_clamped_to_the_0_5_scale():
    # a: 0, 0, 0, 5 → mean 1.25, SD √4.6875, z(P4) = √3; b: 0, 5, 0, 5 → z = ±1
    # pooled: five 0s and three 5s → mean 1.875, SD √(1.875 × 3.125)
    # a on P4: 1.875 + √3 × 2.42 > 5 → 5; b on P4: 1.875 + 2.42
    rows = scores(*[("a", f"P{i}", "impact", v) for i, v in enumerate([0, 0, 0, 5], start=1)],
                  *[("b", f"P{i}", "impact", v) for i, v in enumerate([0, 5, 0, 5], start=1)])
    ranking = aggregate([Criterion("impact", 1)], None, rows, normalize="zscore")
    pooled_sd = math.sqrt(1.875 * 3.125)
    assert ranking.project("P4").values["impact"] == pytest.approx((5 + 1.875 + pooled_sd) / 2)


def test_both_rankings_side_by_side():
    # a lenient (5 vs 4), b severe (0 vs 3), c narrow (4 vs 3.9): raw means favour P2 (3.63 vs 3.0),
    # but two of three members prefer P1, and standardised each member's preference counts the same.
    rows = scores(("a", "P1", "impact", 5), ("a", "P2", "impact", 4),
                  ("b", "P1", "impact", 0), ("b", "P2", "impact", 3),
                  ("c", "P1", "impact", 4), ("c", "P2", "impact", 3.9))
    comparison = compare_normalizations([Criterion("impact", 1)], None, rows)
    assert comparison.none.normalization == "none" and comparison.zscore.normalization == "zscore"
    assert [p.project for p in comparison.none.projects] == ["P2", "P1"]
    assert [p.project for p in comparison.zscore.projects] == ["P1", "P2"]
    first = comparison.rows[0]
    assert (first.project, first.rank_none, first.rank_zscore, first.shift) == ("P2", 1, 2, -1)
    assert first.composite_none == pytest.approx((4 + 3 + 3.9) / 3)
    assert first.composite_zscore == comparison.zscore.project("P2").composite


# --- sensitivity --------------------------------------------------------------------------

def _two_way_round():
    return aggregate([Criterion("x", 1), Criterion("y", 1)], None, scores(
        ("a", "P1", "x", 5), ("a", "P1", "y", 0), ("a", "P2", "x", 0), ("a", "P2", "y", 5)))


def test_sensitivity_replays_the_seeded_draws():
    # P1 is first exactly when x's factor beats y's (criteria drawn in id order: x, then y)
    result = sensitivity(_two_way_round(), top_k=1, seed=7)
    rng = random.Random(7)
    wins = sum(rng.uniform(0.8, 1.2) > rng.uniform(0.8, 1.2) for _ in range(1000))
    assert result.fraction("P1") == wins / 1000
    assert result.fraction("P2") == 1 - wins / 1000
    assert 0.4 < result.fraction("P1") < 0.6
    assert (result.top_k, result.draws, result.seed, result.low, result.high) == (1, 1000, 7, 0.8, 1.2)


def test_sensitivity_is_deterministic_for_a_seed():
    ranking = _two_way_round()
    assert sensitivity(ranking, top_k=1, seed=3) == sensitivity(ranking, top_k=1, seed=3)
    assert sensitivity(ranking, top_k=1, seed=3) != sensitivity(ranking, top_k=1, seed=4)


def test_sensitivity_with_k():
    rows = scores(("a", "P1", "x", 5), ("a", "P1", "y", 5), ("a", "P2", "x", 3), ("a", "P2", "y", 3),
                  ("a", "P3", "x", 0), ("a", "P3", "y", 1))
    ranking = aggregate([Criterion("x", 1), Criterion("y", 1)], None, rows)
    top1 = sensitivity(ranking, top_k=1)
    assert [(s.project, s.in_top_k, s.fraction) for s in top1.projects] == [
        ("P1", True, 1.0), ("P2", False, 0.0), ("P3", False, 0.0)]
    top2 = sensitivity(ranking, top_k=2)
    assert [s.fraction for s in top2.projects] == [1.0, 1.0, 0.0]
    assert all(s.fraction == 1.0 for s in sensitivity(ranking, top_k=5).projects)


def test_sensitivity_pruning_gives_the_same_answer_as_recomputing_everything():
    rng = random.Random(11)
    criteria = [Criterion(f"c{i}", rng.randint(1, 3)) for i in range(5)] + [Criterion("s", 2, "support")]
    projects = [Project(f"P{i:02d}", rng.randint(0, 100)) for i in range(60)]
    rows = [Score(f"m{j}", p.code, c.id, rng.randint(0, 10) / 2)
            for j in range(5) for p in projects for c in criteria[:-1]]
    ranking = aggregate(criteria, projects, rows)
    for k in (1, 5, 20):
        assert sensitivity(ranking, top_k=k, seed=5) == sensitivity(ranking, top_k=k, seed=5, _prune=False)


@pytest.mark.parametrize("kwargs", [{"top_k": 0}, {"top_k": 1, "draws": 0}, {"top_k": 1, "low": 1.3}])
def test_sensitivity_refuses_bad_parameters(kwargs):
    with pytest.raises(AggregationError):
        sensitivity(_two_way_round(), **kwargs)


# --- validation -------------------------------------------------------------------------------

@pytest.mark.parametrize("criteria, projects, rows, message", [
    ([], None, [("a", "P1", "x", 1)], "no criteria"),
    ([Criterion("x", -1)], None, [("a", "P1", "x", 1)], "negative"),
    ([Criterion("x", float("nan"))], None, [("a", "P1", "x", 1)], "not a number"),
    ([Criterion("x", 1, "vote")], None, [("a", "P1", "x", 1)], "kind 'vote' is unknown"),
    ([Criterion("x", 1), Criterion("x", 2)], None, [("a", "P1", "x", 1)], "given twice"),
    ([Criterion("s", 1, "support"), Criterion("t", 1, "support")], None, [], "two support criteria"),
    ([Criterion("x", 1)], None, [("a", "P1", "y", 1)], "unknown criterion 'y'"),
    ([Criterion("x", 1)], None, [("a", "P1", "x", 7)], "score 7 is outside 0–5"),
    ([Criterion("x", 1)], None, [("a", "P1", "x", -0.5)], "outside 0–5"),
    ([Criterion("x", 1)], None, [("a", "P1", "x", 1), ("a", "P1", "x", 2)], "duplicate row"),
    ([Criterion("x", 1)], None, [("a", "P1", None, 2)], "criterion is empty"),
    ([Criterion("x", 1)], None, [("", "P1", "x", 2)], "member is empty"),
    ([Criterion("x", 1)], [Project("P1")], [("a", "P2", "x", 2)], "unknown project 'P2'"),
    ([Criterion("x", 1), Criterion("s", 1, "support")], None, [("a", "P1", "s", 2)], "support criterion"),
    ([Criterion("x", 1)], [Project("P1"), Project("P1")], [], "given twice"),
    ([Criterion("x", 1)], [Project("P1", -3)], [], "supports"),
    ([Criterion("x", 1)], None, [], "no project to rank"),
])
def test_bad_input_raises_a_clear_error(criteria, projects, rows, message):
    with pytest.raises(AggregationError, match=message):
        aggregate(criteria, projects, scores(*rows))


def test_unknown_normalisation_is_refused():
    with pytest.raises(AggregationError, match="normalisation 'minmax'"):
        aggregate([Criterion("x", 1)], None, scores(("a", "P1", "x", 1)), normalize="minmax")


def test_error_text_names_file_and_line():
    err = AggregationError("score 7 is outside 0–5").at("SCORES.csv", 14)
    assert str(err) == "SCORES.csv line 14: score 7 is outside 0–5"
    assert (err.source, err.line, err.message) == ("SCORES.csv", 14, "score 7 is outside 0–5")


def test_results_are_plain_frozen_dataclasses_for_json():
    import dataclasses
    import json

    ranking = aggregate(IMPACT_FEASIBILITY, None, scores(("a", "P1", "impact", 4)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ranking.projects[0].rank = 2
    assert json.loads(json.dumps(dataclasses.asdict(ranking)))["projects"][0]["project"] == "P1"
    assert ranking.as_json() == [{"project": "P1", "rank": 1, "composite": 3.0,
                                  "values": {"impact": 4.0, "feasibility": 0.0}, "members": 1,
                                  "disagreement": 0.0}]


def test_the_package_imports_neither_flask_nor_sqlalchemy():
    code = ("import sys, prioritization.aggregation, prioritization.csvio, prioritization.report; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'flask_sqlalchemy', "
            "'models', 'services', 'extensions', 'app')]; print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_disagreement_exactly_at_the_threshold_is_contested_whatever_the_weights_scale():
    # Found by Hypothesis: m0 gives 2 and m2 gives 0 on c0 (weight 4/5); c1 has weight 0.
    # Weighted scores 2.0 and 0.0 -> population SD exactly 1.0 = the threshold. Scaling the
    # weights by 205.489... rounds the normalised weight, which must not flip the flag.
    criteria = [Criterion("c0", 4), Criterion("c1", 0), Criterion("c3", 1)]
    rows = [Score("m0", "P3", "c0", 2.0), Score("m0", "P3", "c1", 0.0), Score("m2", "P3", "c0", 0.0)]
    for factor in (1, 205.48945754700014, 0.001):
        scaled = [Criterion(c.id, c.weight * factor) for c in criteria]
        result = aggregate(scaled, None, rows).project("P3")
        assert result.disagreement == pytest.approx(1.0, abs=1e-12)
        assert result.contested, factor
