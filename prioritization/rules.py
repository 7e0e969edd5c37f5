"""Participatory-budgeting rules on a Pabulib Instance: greedy variants and the Method of Equal Shares.

`outcome(instance, rule)` returns an `Outcome(rule, selected, total_cost, details)`; `selected`
lists project ids in selection order. docs/pb-rules.md states every rule and tie-break in plain
language; this module and prioritization/rules_mes.py are the exact version. No Flask, no
database; numpy for the large Equal Shares runs.

Scores. `votes(c)` = number of ballots that name c. `score(c)` = votes for approval and
choose-1, total points for cumulative and scoring, the Borda score for ordinal ballots as
pabutools defines it: a ballot of length L gives L - 1 - position (0-based) to each project it
ranks (its last project gets 0, an unranked project 0).

Greedy rules go down the projects by score (ties: more votes, then lower cost, then id) and
select what fits (`greedy`), stop at the first that does not fit (`greedy-no-skip`), or do as
`greedy` among the projects whose score reaches META `min_project_score_threshold`
(`greedy-threshold`). Ids compare as integers when all are integers, else as strings.

Equal Shares (`mes`): each voter gets the endowment budget / n; a project c is affordable if its
supporters hold at least cost(c); its price factor rho(c) is the least rho such that the
supporters, each paying min(own budget, rho * u_i(c)), cover the cost. Each round selects the
affordable project with the least rho (ties: lower cost, then more votes, then id) and charges its
supporters. Utilities u_i(c): approval/choose-1 use cost utilities (u_i(c) = cost(c) for an
approver), cumulative and scoring the points (negative points are refused); ordinal ballots are
refused. Projects with cost 0 or no supporter are never selected by Equal Shares.

`mes-add1`: endowments budget/n, budget/n + 1, budget/n + 2, ... (one currency unit more per
voter each time); the result is the last outcome whose cost stays within the budget (the loop
stops at the first one that overspends). If everything supported fits, the outcome that no longer
changes. Same result as that unit-by-unit loop, with jumps where a run proves its outcome constant
over an interval of endowments (rules_mes.TrackedEngine).

`mes-add1-comparison`: then compare with `greedy`: a voter prefers the outcome that gives her more
utility (the same utilities); greedy wins only if strictly more voters prefer it.
"""
from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from prioritization.pabulib import Instance, no_gc
from prioritization.rules_mes import EqualSharesEngine, EqualSharesRun, TrackedEngine

RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "mes", "mes-add1", "mes-add1-comparison")
# Names used in META `rule` of Pabulib files -> our rule names.
PABULIB_RULES = {
    "greedy": "greedy",
    "greedy-no-skip": "greedy-no-skip",
    "greedy-threshold": "greedy-threshold",
    "equalshares": "mes",
    "equalshares/add1": "mes-add1",
    "equalshares/add1-comparison": "mes-add1-comparison",
}
MES_RULES = ("mes", "mes-add1", "mes-add1-comparison")
# mes-add1 engine choice (speed only: both engines give the same, exact outcome). The tracked engine
# jumps over endowment intervals but costs more per run; it is only tried on elections with at
# most this many (voter, project) supports (above, its runs take seconds).
TRACKED_MAX_SUPPORTS = 20_000
_INTEGER = re.compile(r"-?\d+\Z")


class RuleError(ValueError):
    """A rule that cannot be applied to this instance (unknown rule, unsupported vote type...)."""


@dataclass(frozen=True)
class Outcome:
    rule: str
    selected: list[str]
    total_cost: int
    details: dict = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "selected": list(self.selected), "total_cost": self.total_cost}


def rule_of(instance: Instance) -> str:
    """Our name for the file's own META `rule`; RuleError if it is not one we compute."""
    name = (instance.rule or "").strip()
    if name in PABULIB_RULES:
        return PABULIB_RULES[name]
    if name in RULES:
        return name
    raise RuleError(f"the file's rule `{name or '(none)'}` is not one of ours "
                    f"({', '.join(sorted(set(PABULIB_RULES) | set(RULES)))})")


def outcome(instance: Instance, rule: str | None = None) -> Outcome:
    """The outcome of `rule` (default: the file's own META rule) on the instance."""
    rule = rule_of(instance) if rule is None else PABULIB_RULES.get(rule, rule)
    if rule not in RULES:
        raise RuleError(f"unknown rule `{rule}` (known: {', '.join(RULES)})")
    return outcome_of(Profile.of(instance), instance, rule)


def outcome_of(profile: Profile, instance: Instance, rule: str) -> Outcome:
    """`outcome` on a profile already built (rule: one of RULES)."""
    if rule == "greedy":
        return profile.greedy(rule)
    if rule == "greedy-no-skip":
        return profile.greedy(rule, skip=False)
    if rule == "greedy-threshold":
        raw = instance.meta.get("min_project_score_threshold")
        if raw is None:
            raise RuleError("greedy-threshold needs META `min_project_score_threshold`")
        return profile.greedy(rule, threshold=Fraction(raw))
    if rule == "mes":
        return profile.mes()
    if rule == "mes-add1":
        return profile.mes_add1()
    return profile.mes_add1_comparison()


def explain(instance: Instance, rule: str | None = None):
    """The outcome of `rule` with, per project, why it was selected or not: a
    prioritization.rules_explain.Explanation (outcomes are those of `outcome`)."""
    from prioritization.rules_explain import explain as explain_rule

    return explain_rule(instance, rule)


def id_key_function(ids: Sequence[str]) -> Callable[[str], tuple]:
    """Project ids compare as integers when every id is an integer, else as strings."""
    if ids and all(_INTEGER.match(i) for i in ids):
        return lambda i: (int(i), i)
    return lambda i: (i,)


# --- the profile: what the rules need, computed once ----------------------------------------

@dataclass
class Profile:
    vote_type: str
    budget: int | Fraction
    ids: list[str]                 # project ids, file order; projects are indexed 0..m-1
    cost: list[int]
    votes: list[int]               # ballots naming the project
    score: list[int]
    key: list[tuple]               # id sort key
    ballots: list[tuple[int, ...]]  # per voter: project indexes
    points: list[tuple[int, ...]] | None

    @classmethod
    def of(cls, instance: Instance) -> Profile:
        ids = list(instance.projects)
        index = {pid: k for k, pid in enumerate(ids)}
        m = len(ids)
        cost = [p.cost for p in instance.projects.values()]
        vote_type = instance.vote_type
        get = index.__getitem__
        with no_gc():
            ballots = [tuple(map(get, b.projects)) for b in instance.ballots]
        votes = [0] * m
        for b in ballots:
            for c in b:
                votes[c] += 1
        points = None
        if vote_type in ("cumulative", "scoring"):
            points = [b.points or () for b in instance.ballots]
            score = [0] * m
            for b, pts in zip(ballots, points):
                for c, x in zip(b, pts):
                    score[c] += x
        elif vote_type == "ordinal":
            score = [0] * m
            for b in ballots:
                last = len(b) - 1
                for position, c in enumerate(b):
                    score[c] += last - position
        else:
            score = list(votes)
        id_key = id_key_function(ids)
        return cls(vote_type, instance.budget, ids, cost, votes, score, [id_key(i) for i in ids], ballots, points)

    # --- greedy ---

    def greedy_order(self) -> list[int]:
        return sorted(range(len(self.ids)),
                      key=lambda c: (-self.score[c], -self.votes[c], self.cost[c], self.key[c]))

    def greedy(self, rule: str = "greedy", *, skip: bool = True, threshold: Fraction | None = None,
               budget: int | Fraction | None = None) -> Outcome:
        left = self.budget if budget is None else budget
        chosen = []
        # Why each project was taken or not (for rules_explain): (index, "selected" | "no_room" |
        # "threshold" | "after_stop", money left when its turn came).
        order = self.greedy_order()
        trace = []
        for c in order:
            if threshold is not None and self.score[c] < threshold:
                trace.append((c, "threshold", left))
                continue
            if self.cost[c] <= left:
                trace.append((c, "selected", left))
                chosen.append(c)
                left -= self.cost[c]
            else:
                trace.append((c, "no_room", left))
                if not skip:
                    break
        trace.extend((c, "after_stop", left) for c in order[len(trace):])
        details = {"scores": {self.ids[c]: self.score[c] for c in range(len(self.ids))},
                   "votes": {self.ids[c]: self.votes[c] for c in range(len(self.ids))}, "trace": trace}
        if threshold is not None:
            details["threshold"] = threshold
        return self._outcome(rule, chosen, details)

    def _outcome(self, rule: str, chosen: list[int], details: dict) -> Outcome:
        return Outcome(rule, [self.ids[c] for c in chosen], sum(self.cost[c] for c in chosen), details)

    # --- Equal Shares ---

    def mes_supporters(self) -> tuple[list[list[int]], list[list[int] | None]]:
        """Per project: supporter indexes, and None (cost utilities: every supporter's utility is
        the cost) or the list of each supporter's points."""
        m = len(self.ids)
        supp: list[list[int]] = [[] for _ in range(m)]
        if self.vote_type in ("approval", "choose-1"):
            for i, b in enumerate(self.ballots):
                for c in b:
                    supp[c].append(i)
            return supp, [None] * m
        if self.vote_type == "ordinal":
            raise RuleError("Equal Shares is not computed for ordinal ballots (no utilities): use a greedy rule")
        utils: list[list[int]] = [[] for _ in range(m)]
        for i, (b, pts) in enumerate(zip(self.ballots, self.points)):
            for c, x in zip(b, pts):
                if x < 0:
                    raise RuleError("Equal Shares needs non-negative points (they are the utilities); "
                                    "this file has negative ones")
                if x > 0:
                    supp[c].append(i)
                    utils[c].append(x)
        return supp, utils

    def _engine_args(self):
        supp, utils = self.mes_supporters()
        tie = [(self.cost[c], -self.votes[c], self.key[c]) for c in range(len(self.ids))]
        return len(self.ballots), self.cost, supp, utils, tie

    def engine(self) -> EqualSharesEngine:
        return EqualSharesEngine(*self._engine_args())

    def mes(self, rule: str = "mes") -> Outcome:
        engine = self.engine()
        run = engine.run(Fraction(self.budget) / len(self.ballots)) if self.ballots else None
        return self._mes_outcome(rule, run, runs=1)

    def _mes_outcome(self, rule: str, run: EqualSharesRun | None, **extra) -> Outcome:
        if run is None:
            return self._outcome(rule, [], {"endowment": None, "rho": {}, "run": None, **extra})
        details = {"endowment": run.endowment, "rho": {self.ids[c]: r for c, r in zip(run.selected, run.rho)},
                   "utilities": "cost" if self.points is None else "points", "run": run, **extra}
        return self._outcome(rule, run.selected, details)

    def mes_add1(self, rule: str = "mes-add1", *, engine: str = "auto") -> Outcome:
        """Endowment budget/n, budget/n + 1, budget/n + 2, ...: the last outcome within the budget.

        `engine`: "auto" (default), "tracked" (always the jumping engine) or "fast" (numpy engine,
        one run per unit step). All give the same outcome; "auto" only picks what is quicker."""
        if not self.ballots:
            return self._mes_outcome(rule, None, runs=0, steps=0)
        args = self._engine_args()
        chooser = _EngineChooser(args, engine)
        start = Fraction(self.budget) / len(self.ballots)
        run = chooser.run(start)
        step = 0
        if run.cost <= self.budget:
            # From this endowment on, every supported project is bought, always in the same order:
            # if the loop gets there within budget it would never stop, and that outcome is the last.
            constant_from = chooser.constant_from()
            while start + step < constant_from:
                if run.valid_until is not None:
                    hi, closed = run.valid_until
                    if hi is None:
                        break           # the same outcome for every larger endowment
                    # the first unit step outside the interval on which this outcome is proven
                    k = hi - start
                    floor_k = math.floor(k)
                    next_step = max(floor_k + 1 if (closed or k != floor_k) else floor_k, step + 1)
                else:
                    next_step = step + 1
                chooser.jumped(next_step - step)
                candidate = chooser.run(start + next_step)
                if candidate.cost > self.budget:
                    break
                run, step = candidate, next_step
        return self._mes_outcome(rule, run, runs=chooser.runs, steps=step, tracked_runs=chooser.tracked_runs)

    def utilities_of(self, chosen: Sequence[int]) -> list[int]:
        """Each voter's utility for a set of projects, as Equal Shares counts it: the cost of the
        chosen projects she approves (cost utilities), or her points for them."""
        chosen_set = set(chosen)
        if self.points is None:
            cost = self.cost
            return [sum(cost[c] for c in b if c in chosen_set) for b in self.ballots]
        return [sum(x for c, x in zip(b, pts) if c in chosen_set) for b, pts in zip(self.ballots, self.points)]

    def mes_add1_comparison(self, rule: str = "mes-add1-comparison") -> Outcome:
        mes = self.mes_add1()
        greedy = self.greedy()
        index = {pid: k for k, pid in enumerate(self.ids)}
        u_mes = self.utilities_of([index[p] for p in mes.selected])
        u_greedy = self.utilities_of([index[p] for p in greedy.selected])
        prefer_mes = sum(1 for a, b in zip(u_mes, u_greedy) if a > b)
        prefer_greedy = sum(1 for a, b in zip(u_mes, u_greedy) if b > a)
        winner = greedy if prefer_greedy > prefer_mes else mes
        details = {"winner": "greedy" if winner is greedy else "mes", "prefer_mes": prefer_mes,
                   "prefer_greedy": prefer_greedy, "mes": mes, "greedy": greedy}
        return Outcome(rule, list(winner.selected), winner.total_cost, details)


class _EngineChooser:
    """Runs MES for the Add1 loop with whichever engine is cheaper per unit step, measured as it
    goes: the tracked engine costs (its total time) / (unit steps its runs let the loop jump), the
    numpy engine (time per run). While the numpy engine is ahead, the tracked one is re-tried after 16, 32, 64...
    runs, in case its intervals have grown."""

    def __init__(self, args, mode: str):
        self.args = args
        self.mode = mode
        self.tracked = TrackedEngine(*args) if mode != "fast" else None
        if mode == "auto" and self.tracked.total_supports > TRACKED_MAX_SUPPORTS:
            self.tracked = None
        self.fast: EqualSharesEngine | None = None
        self.runs = self.tracked_runs = 0
        self.time = {"tracked": 0.0, "fast": 0.0}
        self.count = {"tracked": 0, "fast": 0}
        self.tracked_steps = 0
        self.last = None
        self.since_probe = 0
        self.probe_every = 16

    def constant_from(self) -> float:
        return (self.tracked or self._fast()).constant_from()

    def _fast(self) -> EqualSharesEngine:
        if self.fast is None:
            self.fast = EqualSharesEngine(*self.args)
        return self.fast

    def jumped(self, steps: int) -> None:
        if self.last == "tracked":
            self.tracked_steps += steps

    def _pick(self) -> str:
        if self.tracked is None:
            return "fast"
        if self.mode == "tracked" or not self.count["tracked"]:
            return "tracked"
        if not self.count["fast"]:
            return "fast"
        per_step_tracked = self.time["tracked"] / max(self.tracked_steps, self.count["tracked"])
        per_step_fast = self.time["fast"] / self.count["fast"]
        if per_step_tracked <= per_step_fast:
            return "tracked"
        self.since_probe += 1
        if self.since_probe >= self.probe_every:
            self.since_probe = 0
            self.probe_every *= 2          # each probe that loses makes the next one rarer
            return "tracked"
        return "fast"

    def run(self, endowment: Fraction) -> EqualSharesRun:
        kind = self._pick()
        began = time.perf_counter()
        run = self.tracked.run(endowment) if kind == "tracked" else self._fast().run(endowment)
        self.time[kind] += time.perf_counter() - began
        self.count[kind] += 1
        self.runs += 1
        self.tracked_runs += kind == "tracked"
        self.last = kind
        return run

