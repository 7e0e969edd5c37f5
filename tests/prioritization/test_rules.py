"""Participatory-budgeting rules on the real Pabulib files: official outcomes, the pabutools oracle
(tests/prioritization/data/pabutools_expected.json, made by scripts/make_pb_expectations.py), the
Borda score, greedy tie-breaks and the greedy properties."""
from __future__ import annotations

import functools
import json
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prioritization import pabulib, rules
from prioritization.pabulib import Ballot
from prioritization.rules import Profile, RuleError

HERE = Path(__file__).resolve().parent
PABULIB = HERE.parents[2] / "shared" / "pabulib"
EXPECTED = json.loads((HERE / "data" / "pabutools_expected.json").read_text(encoding="utf-8"))
LENIENT = {"Worldwide_Mechanical_Turk_Utilities_7.pb"}   # breaks its own min_sum_points (see test_pabulib)


@functools.lru_cache(maxsize=None)
def instance(name: str):
    return pabulib.parse(PABULIB / name, strict_limits=name not in LENIENT)


@functools.lru_cache(maxsize=None)
def comparison(name: str) -> rules.Outcome:
    return Profile.of(instance(name)).mes_add1_comparison()


def ours(name: str, rule: str) -> rules.Outcome:
    if rule in ("mes-add1", "mes-add1-comparison"):
        # one Add1 computation serves both rules (the comparison keeps it in its details)
        return comparison(name).details["mes"] if rule == "mes-add1" else comparison(name)
    return _outcome(name, rule)


@functools.lru_cache(maxsize=None)
def _outcome(name: str, rule: str) -> rules.Outcome:
    return rules.outcome(instance(name), rule)


def test_the_oracle_covers_every_shared_file():
    assert EXPECTED["pabutools_version"] == "1.2.3"
    assert set(EXPECTED["files"]) == {p.name for p in PABULIB.glob("*.pb")}
    for name, record in EXPECTED["files"].items():
        assert "greedy" in record["rules"]
        for rule in record.get("skipped", {}):
            assert rule not in record["rules"]


ORACLE = [(name, rule) for name, record in sorted(EXPECTED["files"].items(), key=lambda kv: (PABULIB / kv[0]).stat().st_size)
          for rule in record["rules"]]


@pytest.mark.parametrize("name, rule", ORACLE, ids=[f"{n[:30]}-{r}" for n, r in ORACLE])
def test_same_outcome_as_pabutools(name, rule):
    expected = EXPECTED["files"][name]["rules"][rule]
    got = ours(name, rule)
    assert got.selected == expected["selected"]          # same projects, in the same order
    assert got.total_cost == expected["total_cost"]


OFFICIAL = [p.name for p in sorted(PABULIB.glob("*.pb"))
            if pabulib.parse(p, strict_limits=False).selected() is not None]


def test_the_official_outcomes_we_check():
    assert OFFICIAL == ["Netherlands_Assen_2024.pb", "Poland_Lodz_2022.pb", "Poland_Warszawa_2023_Mokotow.pb",
                        "Poland_Wieliczka_2023_Green_Budget.pb"]


@pytest.mark.parametrize("name", OFFICIAL)
def test_official_outcome(name):
    inst = instance(name)
    rule = rules.rule_of(inst)
    assert rule == {"Netherlands_Assen_2024.pb": "mes-add1", "Poland_Lodz_2022.pb": "greedy-threshold",
                    "Poland_Warszawa_2023_Mokotow.pb": "greedy",
                    "Poland_Wieliczka_2023_Green_Budget.pb": "mes-add1-comparison"}[name]
    got = ours(name, rule)
    assert set(got.selected) == set(inst.selected())
    assert len(got.selected) == len(inst.selected())
    assert got.total_cost <= inst.budget


def test_wieliczka_equal_shares_wins_the_comparison():
    got = ours("Poland_Wieliczka_2023_Green_Budget.pb", "mes-add1-comparison")
    assert got.details["winner"] == "mes"
    assert got.details["prefer_mes"] > got.details["prefer_greedy"]
    assert got.details["mes"].selected == got.selected


def test_lodz_threshold():
    with_threshold = ours("Poland_Lodz_2022.pb", "greedy-threshold")
    scores = with_threshold.details["scores"]
    assert with_threshold.details["threshold"] == 100
    assert any(score < 100 for score in scores.values())         # some projects are below it...
    assert all(scores[p] >= 100 for p in with_threshold.selected)  # ...and none is bought
    # (in Lodz 2022 none of them would have fitted anyway: plain greedy buys the same projects)
    assert set(ours("Poland_Lodz_2022.pb", "greedy").selected) == set(with_threshold.selected)


def test_borda_score_on_the_chicago_rankings():
    name = "US_Stanford_Dataset_PB_Chicago_39th_Ward_2021_vote_rankings.pb"
    inst = instance(name)
    profile = Profile.of(inst)
    index = {pid: k for k, pid in enumerate(profile.ids)}
    # pabutools' Borda: a ballot of length L gives L - 1 - position; computed here independently
    borda = {pid: 0 for pid in inst.projects}
    for b in inst.ballots:
        for position, pid in enumerate(b.projects):
            borda[pid] += len(b.projects) - 1 - position
    assert {pid: profile.score[index[pid]] for pid in inst.projects} == borda
    # the file's own `score` column counts L - position (one more per ballot naming the project)
    for pid, p in inst.projects.items():
        assert int(p.fields["score"]) == borda[pid] + profile.votes[index[pid]]
    greedy = ours(name, "greedy")
    assert greedy.selected[:2] == ["1849", "1852"]
    scores = [greedy.details["scores"][p] for p in greedy.selected]
    assert scores == sorted(scores, reverse=True)


def test_rule_names():
    assert rules.rule_of(instance("Netherlands_Assen_2024.pb")) == "mes-add1"
    with pytest.raises(RuleError, match="`unknown` is not one of ours"):
        rules.rule_of(instance("US_Stanford_Dataset_PB_Chicago_39th_Ward_2021_vote_knapsacks.pb"))
    with pytest.raises(RuleError, match="`poznan` is not one of ours"):
        rules.outcome(make({"1": 1}, [("1",)], rule="poznan"))
    with pytest.raises(RuleError, match="unknown rule"):
        rules.outcome(instance("Netherlands_Assen_2024.pb"), "borda-count")
    assert rules.outcome(instance("Netherlands_Assen_2024.pb"), "equalshares").rule == "mes"
    out = rules.outcome(instance("Poland_Warszawa_2023_Mokotow.pb"))
    assert out.as_dict() == {"rule": "greedy", "selected": out.selected, "total_cost": out.total_cost}


# --- greedy on hand-made elections ---------------------------------------------------------------

def make(costs: dict, votes: list[tuple], budget=100, vote_type="approval", points=None, **meta):
    ballots = [Ballot(str(k), tuple(v), tuple(points[k]) if points else None) for k, v in enumerate(votes)]
    return pabulib.Instance({"budget": str(budget), "vote_type": vote_type, **{k: str(v) for k, v in meta.items()}},
                            {pid: pabulib.Project(pid, c) for pid, c in costs.items()}, ballots)


def test_greedy_tie_breaks_more_votes_then_lower_cost_then_id():
    # cumulative: equal points, different numbers of voters; then equal everything but cost and id
    inst = make({"10": 5, "9": 5, "8": 3, "1": 1, "2": 1}, [("10", "9", "8"), ("10", "9", "8", "1"), ("2",)],
                vote_type="cumulative", points=[(1, 1, 1), (1, 1, 1, 2), (2,)])
    # every score is 2 points; 10, 9, 8 have 2 voters, 1 and 2 one; ids compare as numbers
    assert rules.outcome(inst, "greedy").selected == ["8", "9", "10", "1", "2"]
    # string ids when not all are integers
    inst = make({"B": 1, "A": 1, "10": 1, "9": 1}, [("B", "A", "10", "9")])
    assert rules.outcome(inst, "greedy").selected == ["10", "9", "A", "B"]


def test_greedy_skips_and_no_skip_stops():
    inst = make({"big": 70, "huge": 50, "small": 20}, [("big", "huge", "small"), ("big", "huge"), ("big",)])
    assert rules.outcome(inst, "greedy").selected == ["big", "small"]
    assert rules.outcome(inst, "greedy-no-skip").selected == ["big"]


def test_greedy_threshold():
    inst = make({"1": 10, "2": 10, "3": 10}, [("1", "2"), ("1", "2"), ("1", "3")], min_project_score_threshold=2)
    assert rules.outcome(inst, "greedy-threshold").selected == ["1", "2"]
    with pytest.raises(RuleError, match="min_project_score_threshold"):
        rules.outcome(make({"1": 10}, [("1",)]), "greedy-threshold")


def test_greedy_on_ordinal_ballots_uses_borda():
    inst = make({"x": 10, "y": 10, "z": 10}, [("x", "y", "z"), ("y", "z"), ("z", "y")], vote_type="ordinal", budget=20)
    # Borda: x 2, y 1 + 1 + 0 = 2, z 0 + 0 + 1 = 1; x and y tie on score, y has more votes
    assert rules.outcome(inst, "greedy").selected == ["y", "x"]


@st.composite
def greedy_cases(draw):
    m = draw(st.integers(1, 7))
    costs = {str(k): draw(st.integers(0, 30)) for k in range(m)}
    votes = [draw(st.lists(st.sampled_from(sorted(costs)), unique=True)) for _ in range(draw(st.integers(0, 6)))]
    budgets = sorted(draw(st.lists(st.integers(0, 120), min_size=2, max_size=2)))
    return costs, votes, budgets


@settings(max_examples=300, deadline=None)
@given(greedy_cases())
def test_greedy_properties(case):
    """With skipping, a larger budget can drop a project (so the selected sets are not monotone),
    but never lowers the total cost: where the two runs first differ, the larger budget buys a
    project the smaller one could not afford, which costs more than all the smaller budget still
    buys. The outcome is exhaustive. Without skipping the selection only grows (a prefix)."""
    costs, votes, (small, large) = case
    results = {}
    for budget in (small, large):
        inst = make(costs, votes, budget=budget)
        results[budget] = (rules.outcome(inst, "greedy"), rules.outcome(inst, "greedy-no-skip"))
        greedy = results[budget][0]
        left = budget - greedy.total_cost
        assert left >= 0
        assert all(costs[p] > left for p in costs if p not in greedy.selected)   # exhaustive
    (g_small, n_small), (g_large, n_large) = results[small], results[large]
    assert g_small.total_cost <= g_large.total_cost
    if set(g_small.selected) != set(g_large.selected):
        assert g_small.total_cost < g_large.total_cost
    assert n_large.selected[:len(n_small.selected)] == n_small.selected


def test_greedy_is_not_monotone_as_a_set():
    # the example behind the property above: budget 10 buys {p1, p3}, budget 11 buys {p1, p2}
    inst = {b: make({"p1": 2, "p2": 9, "p3": 8}, [("p1", "p2", "p3")] * 3 + [("p1", "p2")] * 2 + [("p1",)],
                    budget=b) for b in (10, 11)}
    assert rules.outcome(inst[10], "greedy").selected == ["p1", "p3"]
    assert rules.outcome(inst[11], "greedy").selected == ["p1", "p2"]


def test_fractional_budget():
    inst = make({"1": 3, "2": 3}, [("1", "2")], budget="6.5")
    assert inst.budget == Fraction(13, 2)
    assert rules.outcome(inst, "greedy").selected == ["1", "2"]
    assert rules.outcome(inst, "mes").details["endowment"] == Fraction(13, 2)


def test_the_maths_does_not_import_the_app():
    import subprocess
    import sys

    code = ("import sys; import prioritization.pabulib, prioritization.rules, prioritization.rules_mes; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'app', 'models')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"
