"""rules.explain: why each project was selected or not, checked on tiny elections computed by hand."""
from __future__ import annotations

from fractions import Fraction

import pytest

from prioritization import pabulib, rules
from prioritization.pabulib import Ballot, Instance, Project


def election(budget, costs: dict[str, int], ballots: list[str], **meta) -> Instance:
    """costs: project id -> cost; ballots: one string of project ids per voter ("ab" = a and b)."""
    return Instance(
        meta={"budget": str(budget), "vote_type": "approval", "num_projects": str(len(costs)),
              "num_votes": str(len(ballots)), **meta},
        projects={pid: Project(pid, cost) for pid, cost in costs.items()},
        ballots=[Ballot(str(i), tuple(b)) for i, b in enumerate(ballots, start=1)],
    )


# Greedy, budget 10: votes a 3, b 2, c 1, d 0; order a, b, c, d.
#   a (6) fits in 10 -> 4 left; b (5) > 4 skipped; c (3) fits in 4 -> 1 left; d (2) > 1 skipped.
GREEDY = election(10, {"a": 6, "b": 5, "c": 3, "d": 2}, ["abc", "ab", "a"], min_project_score_threshold="2")


def test_greedy_says_what_was_left_for_each_project():
    why = rules.explain(GREEDY, "greedy")
    assert why.selected == ["a", "c"] == rules.outcome(GREEDY, "greedy").selected
    a, b, c, d = (why.projects[p] for p in "abcd")
    assert (a.selected, a.reason, a.votes, a.cost, a.left, a.position) == (True, "selected", 3, 6, 10, 1)
    assert (b.selected, b.reason, b.cost, b.left) == (False, "no_room", 5, 4)
    assert (c.selected, c.reason, c.left, c.position) == (True, "selected", 4, 2)
    assert (d.selected, d.reason, d.votes, d.left) == (False, "no_room", 0, 1)


def test_greedy_no_skip_names_where_it_stopped():
    why = rules.explain(GREEDY, "greedy-no-skip")
    assert why.selected == ["a"]
    assert (why.projects["b"].reason, why.projects["b"].left) == ("no_room", 4)
    for pid in "cd":
        assert (why.projects[pid].reason, why.projects[pid].stopped_at) == ("after_stop", "b")


def test_greedy_threshold_names_the_threshold():
    why = rules.explain(GREEDY, "greedy-threshold")
    assert why.selected == ["a"]   # b no longer fits; c and d have fewer than 2 votes
    assert why.projects["b"].reason == "no_room"
    for pid, votes in (("c", 1), ("d", 0)):
        p = why.projects[pid]
        assert (p.reason, p.votes, p.threshold) == ("threshold", votes, Fraction(2))


# Equal Shares, budget 12, 3 voters: endowment 4.
#   Round 1: a (4, voters 1 and 2) and c (6, voters 1 and 3) both have rho 1/2, a is cheaper:
#   voters 1 and 2 pay 2 each. Round 2: c: voter 1 has 2, voter 3 has 4: 6 = cost, rho = 2/3,
#   voter 3 pays 4 (in full), voter 1 all she has (2). d (3, voter 2 alone): voter 2 has 2 < 3.
#   e (5) has no supporter; f costs nothing.
MES = election(12, {"a": 4, "c": 6, "d": 3, "e": 5, "f": 0}, ["acf", "ad", "c"])


def test_equal_shares_gives_round_payers_and_price():
    why = rules.explain(MES, "mes")
    assert why.selected == ["a", "c"] == rules.outcome(MES, "mes").selected
    assert why.endowment == why.base_endowment == 4 and why.increase is None
    a, c = why.projects["a"], why.projects["c"]
    assert (a.reason, a.round, a.supporters, a.payers, a.paid_in_full, a.price, a.rho) == \
        ("bought", 1, 2, 2, 2, 2, Fraction(1, 2))
    assert (c.reason, c.round, c.supporters, c.payers, c.paid_in_full, c.price, c.rho) == \
        ("bought", 2, 2, 2, 1, 4, Fraction(2, 3))


def test_equal_shares_says_what_the_supporters_had_left():
    why = rules.explain(MES, "mes")
    d = why.projects["d"]
    assert (d.selected, d.reason, d.supporters, d.supporters_money, d.cost) == (False, "unaffordable", 1, 2, 3)
    assert why.projects["e"].reason == "no_supporters"
    assert why.projects["f"].reason == "free"


# Add1, budget 10, 2 voters (endowment 5): a (6, both), b (4, voter 1), c (5, voter 2).
#   5: a (3 each), then voter 1 has 2, voter 2 has 2: [a].  6: same.  7: voter 1 has 4 = b: [a, b],
#   cost 10.  8: b and c: cost 15 > 10, stop. Add1 keeps the endowment 7: an increase of 2.
ADD1 = election(10, {"a": 6, "b": 4, "c": 5}, ["ab", "ac"])


@pytest.mark.parametrize("engine", ["tracked", "fast"])
def test_add1_gives_the_endowment_increase(engine):
    profile = rules.Profile.of(ADD1)
    result = profile.mes_add1(engine=engine)
    from prioritization.rules_explain import explain_outcome

    why = explain_outcome(profile, result)
    assert why.selected == ["a", "b"]
    assert (why.base_endowment, why.increase, why.endowment) == (5, 2, 7)
    b, c = why.projects["b"], why.projects["c"]
    assert (b.round, b.payers, b.price) == (2, 1, 4)
    # with 7 each, voter 2 kept 7 - 3 = 4 for c, which costs 5
    assert (c.reason, c.supporters_money) == ("unaffordable", 4)
    assert rules.explain(ADD1, "mes-add1").selected == ["a", "b"]


def test_comparison_keeps_equal_shares_on_a_tie():
    why = rules.explain(ADD1, "mes-add1-comparison")
    # greedy gives a and b too: nobody prefers either outcome
    assert (why.kept, why.prefer_mes, why.prefer_greedy) == ("mes", 0, 0)
    assert why.projects["b"].reason == "bought"
    assert set(why.parts) == {"mes", "greedy"}


# Comparison, budget 9, 3 voters (endowment 3): big (9, voters 1 and 2), s (3, voter 3).
#   Add1: 3 and 4 buy only s (big needs 4.5 each); 5 buys both (12 > 9): Add1 = [s].
#   Greedy: big (2 votes) takes the whole budget: [big]. Voters 1 and 2 prefer greedy (utility 9 > 0),
#   voter 3 prefers Add1 (3 > 0): 2 > 1, greedy is kept.
COMPARE = election(9, {"big": 9, "s": 3}, [("big",), ("big",), ("s",)])


def test_comparison_keeps_greedy_when_more_voters_prefer_it():
    why = rules.explain(COMPARE, "mes-add1-comparison")
    assert (why.kept, why.prefer_greedy, why.prefer_mes) == ("greedy", 2, 1)
    assert why.selected == ["big"] == rules.outcome(COMPARE, "mes-add1-comparison").selected
    assert why.projects["big"].reason == "selected" and why.projects["s"].reason == "no_room"
    assert why.parts["mes"].selected == ["s"]
    assert why.parts["mes"].projects["big"].reason == "unaffordable"


def test_points_ballots_and_unknown_rules():
    cumulative = Instance(
        meta={"budget": "10", "vote_type": "cumulative", "num_projects": "2", "num_votes": "2"},
        projects={"x": Project("x", 4), "y": Project("y", 8)},
        ballots=[Ballot("1", ("x", "y"), (3, 1)), Ballot("2", ("y",), (2,))],
    )
    why = rules.explain(cumulative, "greedy")
    assert why.projects["y"].score == 3 and why.projects["x"].score == 3
    assert why.selected == rules.outcome(cumulative, "greedy").selected
    mes = rules.explain(cumulative, "mes")
    assert mes.selected == rules.outcome(cumulative, "mes").selected
    for pid in mes.selected:
        assert mes.projects[pid].payers >= 1
    with pytest.raises(rules.RuleError):
        rules.explain(cumulative, "borda-magic")


def test_explanations_agree_with_outcomes_on_a_real_file():
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "shared" / "pabulib" / "Netherlands_Assen_2024.pb"
    instance = pabulib.parse(path)
    for rule in ("greedy", "mes"):
        why = rules.explain(instance, rule)
        assert why.selected == rules.outcome(instance, rule).selected
        assert {p for p, w in why.projects.items() if w.selected} == set(why.selected)
        assert set(why.projects) == set(instance.projects)
        if rule == "mes":   # funded: someone paid; not funded: its supporters could not pay it
            for pid in why.selected:
                assert why.projects[pid].payers >= 1
            for p in why.projects.values():
                if p.reason == "unaffordable":
                    assert p.supporters_money < p.cost
