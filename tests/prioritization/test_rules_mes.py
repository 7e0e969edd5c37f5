"""Equal Shares: both engines against a plain Fraction implementation written from the definition,
Add1 against the literal unit-by-unit loop, and properties on random small elections (Hypothesis)."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from prioritization import rules
from prioritization.pabulib import Ballot, Instance, Project
from prioritization.rules import Profile, RuleError
from prioritization.rules_mes import EqualSharesEngine, TrackedEngine

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- the reference: Equal Shares written from its definition, voter by voter, in Fractions --------

def reference_mes(profile: Profile, endowment: Fraction) -> tuple[list[int], list[Fraction]]:
    supp, utils = profile.mes_supporters()
    cost = profile.cost
    supporters = {c: list(zip(supp[c], utils[c] if utils[c] is not None else [cost[c]] * len(supp[c])))
                  for c in range(len(cost)) if cost[c] > 0 and supp[c]}
    tie = {c: (cost[c], -profile.votes[c], profile.key[c]) for c in supporters}
    budget = [Fraction(endowment)] * len(profile.ballots)
    remaining = set(supporters)
    selected, rhos = [], []
    while True:
        best = None
        for c in remaining:
            if sum(budget[i] for i, _ in supporters[c]) < cost[c]:
                continue
            # the least rho with sum(min(budget, rho * u)) >= cost: scan supporters by budget / utility
            need, total_u = Fraction(cost[c]), sum(u for _, u in supporters[c])
            for i, u in sorted(supporters[c], key=lambda iu: budget[iu[0]] / iu[1]):
                rho = need / total_u
                if rho * u <= budget[i]:
                    break
                need -= budget[i]
                total_u -= u
            if best is None or (rho, tie[c]) < best[0]:
                best = ((rho, tie[c]), c, rho)
        if best is None:
            return selected, rhos
        _, c, rho = best
        selected.append(c)
        rhos.append(rho)
        remaining.discard(c)
        for i, u in supporters[c]:
            budget[i] -= min(budget[i], rho * u)


def literal_add1(profile: Profile) -> list[int]:
    """Endowment budget/n, then + 1, + 2, ... one unit at a time; the last outcome within budget.
    (Callers make sure the supported projects together cost more than the budget, so it stops.)"""
    start = Fraction(profile.budget) / len(profile.ballots)
    best, _ = reference_mes(profile, start)
    k = 1
    while True:
        candidate, _ = reference_mes(profile, start + k)
        if sum(profile.cost[c] for c in candidate) > profile.budget:
            return best
        best = candidate
        k += 1


# --- random small elections (many ties: small costs and few voters) ---------------------------------

@st.composite
def elections(draw, vote_type=None, min_voters=1):
    vote_type = vote_type or draw(st.sampled_from(["approval", "cumulative"]))
    m = draw(st.integers(1, 5))
    n = draw(st.integers(min_voters, 6))
    costs = draw(st.lists(st.integers(1, 40), min_size=m, max_size=m))
    budget = draw(st.integers(1, 90))
    ids = draw(st.sampled_from([[str(k + 1) for k in range(m)], [f"P{chr(65 + k)}" for k in range(m)],
                                [str(10 - k) for k in range(m)]]))
    ballots = []
    for v in range(n):
        chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=m))
        points = tuple(draw(st.integers(1, 4)) for _ in chosen) if vote_type == "cumulative" else None
        ballots.append(Ballot(f"v{v}", tuple(chosen), points))
    return make_instance(vote_type, budget, dict(zip(ids, costs)), ballots)


def make_instance(vote_type, budget, costs: dict, ballots, **meta) -> Instance:
    return Instance({"budget": str(budget), "vote_type": vote_type, **{k: str(v) for k, v in meta.items()}},
                    {pid: Project(pid, cost) for pid, cost in costs.items()}, list(ballots),
                    vote_columns=("voter_id", "vote", "points") if vote_type == "cumulative" else ("voter_id", "vote"))


def engines(profile):
    args = profile._engine_args()
    return EqualSharesEngine(*args), TrackedEngine(*args)


@SETTINGS
@given(elections(), st.fractions(min_value=Fraction(1, 3), max_value=60, max_denominator=7))
def test_both_engines_equal_the_reference(election, endowment):
    profile = Profile.of(election)
    expected = reference_mes(profile, endowment)
    for engine in engines(profile):
        run = engine.run(endowment)
        assert (run.selected, run.rho) == expected


@SETTINGS
@given(elections(), st.fractions(min_value=Fraction(1, 2), max_value=40, max_denominator=5),
       st.lists(st.fractions(min_value=0, max_value=1), min_size=1, max_size=4))
def test_the_tracked_interval_keeps_the_same_outcome(election, endowment, positions):
    profile = Profile.of(election)
    run = TrackedEngine(*profile._engine_args()).run(endowment)
    hi, closed = run.valid_until
    top = hi if hi is not None else endowment + 100
    for t in positions:
        e = endowment + (top - endowment) * t
        if hi is not None and e == hi and not closed:
            continue
        assert reference_mes(profile, e)[0] == run.selected


@SETTINGS
@given(elections())
def test_add1_equals_the_unit_by_unit_loop(election):
    profile = Profile.of(election)
    supp, _ = profile.mes_supporters()
    supported = [c for c in range(len(profile.cost)) if supp[c]]
    assume(sum(profile.cost[c] for c in supported) > profile.budget)
    expected = [profile.ids[c] for c in literal_add1(profile)]
    for engine in ("auto", "fast", "tracked"):
        assert profile.mes_add1(engine=engine).selected == expected


def test_add1_when_everything_supported_fits():
    # The unit loop never stops (the outcome always fits): the result is the outcome from which it
    # no longer changes: every supported project, in Equal Shares order (here by cost: 1 voter each).
    election = make_instance("approval", 100, {"a": 30, "b": 10, "c": 20, "d": 5},
                             [Ballot("1", ("a",)), Ballot("2", ("b", "c"))])
    for engine in ("auto", "fast", "tracked"):
        out = Profile.of(election).mes_add1(engine=engine)
        assert out.selected == ["b", "c", "a"]
        assert out.total_cost == 60


@SETTINGS
@given(elections())
def test_every_rule_fits_the_budget(election):
    for rule in ("greedy", "greedy-no-skip", "mes", "mes-add1", "mes-add1-comparison"):
        out = rules.outcome(election, rule)
        assert out.total_cost == sum(election.projects[p].cost for p in out.selected) <= election.budget
        assert len(set(out.selected)) == len(out.selected)


@SETTINGS
@given(elections(), st.sampled_from(["mes", "mes-add1"]))
def test_equal_shares_never_charges_more_than_the_endowment(election, rule):
    out = rules.outcome(election, rule)
    run = out.details["run"]
    assume(run is not None)
    profile = Profile.of(election)
    supp, utils = profile.mes_supporters()
    payments = run.payments()
    index = {pid: k for k, pid in enumerate(profile.ids)}
    assert [profile.ids[c] for c in payments] == out.selected
    for pid, rho in out.details["rho"].items():
        c = index[pid]
        paid = payments[c]
        assert sum(paid.values()) == profile.cost[c]          # the supporters pay exactly the cost
        us = utils[c] if utils[c] is not None else [profile.cost[c]] * len(supp[c])
        assert all(0 <= paid[i] <= rho * u for i, u in zip(supp[c], us))
    spent = run.spent()
    assert all(0 <= s <= run.endowment for s in spent)
    assert sum(spent) == out.total_cost


def test_payments_on_a_small_example():
    # 3 voters, endowment 10 each. "a" (cost 12) is approved by all: 4 each. "b" (cost 14) by voters
    # 1 and 2, who have 6 left each: they cannot pay 7 each, so "b" is not bought; "c" (cost 6) by
    # voter 3 alone: 6 of her 6.
    election = make_instance("approval", 30, {"a": 12, "b": 14, "c": 6},
                             [Ballot("1", ("a", "b")), Ballot("2", ("a", "b")), Ballot("3", ("a", "c"))])
    out = rules.outcome(election, "mes")
    assert out.selected == ["a", "c"]
    assert out.details["endowment"] == 10
    assert out.details["rho"] == {"a": Fraction(4, 12), "c": Fraction(6, 6)}
    assert out.details["run"].spent() == [4, 4, 10]


def test_ties_in_equal_shares_lower_cost_then_more_votes_then_id():
    # 2 voters approve everything: rho = 1/2 for every project (cost utilities).
    costs = {"10": 20, "9": 20, "8": 10, "7": 10, "11": 10}
    both = ("10", "9", "8", "7")
    election = make_instance("approval", 60, costs, [Ballot("1", both + ("11",)), Ballot("2", both)])
    out = rules.outcome(election, "mes")
    # "11" has rho 1 (one supporter): last. Among rho 1/2: cost 10 first ("7" < "8" numerically),
    # then cost 20 ("9" < "10" numerically; as strings "10" would come first).
    assert out.selected == ["7", "8", "9", "10"]
    # more votes beats a lower id at equal rho and cost: points make rho equal with fewer voters
    election = make_instance("cumulative", 100, {"1": 10, "2": 10},
                             [Ballot("a", ("1",), (2,)), Ballot("b", ("2",), (1,)), Ballot("c", ("2",), (1,))])
    assert rules.outcome(election, "mes").selected == ["2", "1"]


def test_equal_shares_refuses_what_it_does_not_define():
    ordinal = make_instance("ordinal", 10, {"1": 5}, [Ballot("a", ("1",))])
    with pytest.raises(RuleError, match="ordinal"):
        rules.outcome(ordinal, "mes")
    scoring = make_instance("scoring", 10, {"1": 5, "2": 5}, [Ballot("a", ("1", "2"), (2, -1))])
    with pytest.raises(RuleError, match="negative"):
        rules.outcome(scoring, "mes-add1")
    assert rules.outcome(scoring, "greedy").selected == ["1", "2"]


def test_no_voters_no_projects():
    empty = make_instance("approval", 10, {"1": 5}, [])
    for rule in ("mes", "mes-add1", "mes-add1-comparison", "greedy"):
        assert rules.outcome(empty, rule).total_cost == (5 if rule == "greedy" else 0)


def test_zero_cost_and_unsupported_projects_are_never_bought_by_equal_shares():
    election = make_instance("approval", 10, {"free": 0, "lonely": 3, "x": 4},
                             [Ballot("a", ("free", "x")), Ballot("b", ("x",))])
    assert rules.outcome(election, "mes").selected == ["x"]
    assert rules.outcome(election, "mes-add1").selected == ["x"]
    assert rules.outcome(election, "greedy").selected == ["x", "free", "lonely"]


@settings(max_examples=25, deadline=None)
@given(elections(vote_type="cumulative"))
def test_scoring_ballots_use_their_points_like_cumulative_ones(election):
    scoring = Instance({**election.meta, "vote_type": "scoring"}, election.projects, election.ballots,
                       vote_columns=election.vote_columns)
    for rule in ("greedy", "mes", "mes-add1"):
        assert rules.outcome(scoring, rule).selected == rules.outcome(election, rule).selected
