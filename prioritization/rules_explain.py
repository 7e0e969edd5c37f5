"""Why each project was selected or not by a participatory-budgeting rule, as plain data.

`explain(instance, rule)` computes the rule's outcome exactly as `rules.outcome` does (same code,
same outcome) and returns an `Explanation` whose `projects` maps every project id to a
`ProjectWhy`. No Flask, no database, no wording: the web pages turn the reasons into sentences.

Reasons (`ProjectWhy.reason`):
- greedy rules: "selected" (it fitted in what was left, `left`), "no_room" (cost > `left`),
  "threshold" (score below the rule's threshold), "after_stop" (greedy-no-skip stopped before
  its turn, at project `stopped_at`);
- Equal Shares (mes, mes-add1): "bought" (in round `round`, `payers` supporters paid, at most
  `price` each, `paid_in_full` of them the full price, the others all they had left),
  "unaffordable" (when the rule stopped, its supporters held only `supporters_money` together,
  less than its cost), "no_supporters", "free" (cost 0: Equal Shares never buys those);
- mes-add1-comparison: the reasons of the kept outcome (greedy's or Add1's, `kept`), with the
  two voter counts of the comparison.
Money amounts are exact (int or Fraction); show them rounded.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from prioritization.pabulib import Instance
from prioritization.rules import PABULIB_RULES, RULES, Outcome, Profile, RuleError, outcome_of, rule_of

GREEDY_RULES = ("greedy", "greedy-no-skip", "greedy-threshold")


@dataclass(frozen=True)
class ProjectWhy:
    project: str
    selected: bool
    reason: str
    cost: int
    votes: int
    score: int | Fraction
    position: int | None = None             # 1-based place in the selection order
    # greedy rules
    left: int | Fraction | None = None      # money left when its turn came
    threshold: Fraction | None = None
    stopped_at: str | None = None           # greedy-no-skip: the project that did not fit
    # Equal Shares
    round: int | None = None                # round in which it was bought (1-based)
    supporters: int | None = None
    payers: int | None = None               # supporters who paid something for it
    paid_in_full: int | None = None         # ... of whom paid the full price (rho x utility)
    price: Fraction | None = None           # the most one supporter paid for it
    rho: Fraction | None = None
    supporters_money: Fraction | None = None  # not bought: what its supporters held together at the end


@dataclass(frozen=True)
class Explanation:
    rule: str
    outcome: Outcome
    projects: dict[str, ProjectWhy]
    budget: int | Fraction
    voters: int
    # Equal Shares
    endowment: Fraction | None = None       # each voter's share in the run that gave the outcome
    base_endowment: Fraction | None = None  # budget / voters
    increase: int | None = None             # Add1: whole currency units added to base_endowment
    # comparison step
    kept: str | None = None                 # "mes" (Add1 outcome) or "greedy"
    prefer_mes: int | None = None
    prefer_greedy: int | None = None
    parts: dict[str, Explanation] = field(default_factory=dict, repr=False)

    @property
    def selected(self) -> list[str]:
        return list(self.outcome.selected)


def explain(instance: Instance, rule: str | None = None) -> Explanation:
    """The outcome of `rule` (default: the file's own) and why each project got in or not."""
    rule = rule_of(instance) if rule is None else PABULIB_RULES.get(rule, rule)
    if rule not in RULES:
        raise RuleError(f"unknown rule `{rule}` (known: {', '.join(RULES)})")
    profile = Profile.of(instance)
    return explain_outcome(profile, outcome_of(profile, instance, rule))


def explain_outcome(profile: Profile, result: Outcome) -> Explanation:
    """The explanation of an outcome computed on this profile."""
    if result.rule in GREEDY_RULES:
        return _greedy(profile, result)
    if result.rule == "mes-add1-comparison":
        return _comparison(profile, result)
    return _mes(profile, result)


def _base(profile: Profile, c: int, **extra) -> ProjectWhy:
    return ProjectWhy(project=profile.ids[c], cost=profile.cost[c], votes=profile.votes[c],
                      score=profile.score[c], **extra)


def _greedy(profile: Profile, result: Outcome) -> Explanation:
    threshold = result.details.get("threshold")
    trace = result.details["trace"]
    stopped_at = next((profile.ids[c] for c, why, _ in trace if why == "no_room"), None)
    projects = {}
    position = 0
    for c, why, left in trace:
        selected = why == "selected"
        position += selected
        projects[profile.ids[c]] = _base(
            profile, c, selected=selected, reason=why, left=left, position=position if selected else None,
            threshold=threshold, stopped_at=stopped_at if why == "after_stop" else None)
    return Explanation(result.rule, result, projects, profile.budget, len(profile.ballots))


def _mes(profile: Profile, result: Outcome) -> Explanation:
    run = result.details.get("run")
    n = len(profile.ballots)
    base = Fraction(profile.budget) / n if n else None
    supporters, _ = profile.mes_supporters()
    projects: dict[str, ProjectWhy] = {}
    if run is not None:
        paid = run.payments()
        spent = [Fraction(0)] * n
        for row in paid.values():
            for i, pay in row.items():
                spent[i] += pay
        utility = {c: dict(run.engine.supporters_of(c)) for c in run.selected}
        for round_, (c, rho) in enumerate(zip(run.selected, run.rho), start=1):
            row = paid[c]
            payments = [pay for pay in row.values() if pay > 0]
            full = sum(1 for i, pay in row.items() if pay == rho * utility[c][i])
            projects[profile.ids[c]] = _base(
                profile, c, selected=True, reason="bought", position=round_, round=round_,
                supporters=len(supporters[c]), payers=len(payments), paid_in_full=full,
                price=max(payments, default=Fraction(0)), rho=rho)
    for c, pid in enumerate(profile.ids):
        if pid in projects:
            continue
        if not supporters[c]:
            why = _base(profile, c, selected=False, reason="no_supporters", supporters=0)
        elif profile.cost[c] == 0:
            why = _base(profile, c, selected=False, reason="free", supporters=len(supporters[c]))
        else:
            money = (sum((run.endowment - spent[i] for i in supporters[c]), Fraction(0)) if run is not None
                     else Fraction(0))
            why = _base(profile, c, selected=False, reason="unaffordable", supporters=len(supporters[c]),
                        supporters_money=money)
        projects[pid] = why
    endowment = run.endowment if run is not None else None
    increase = result.details.get("steps") if result.rule != "mes" else None
    return Explanation(result.rule, result, projects, profile.budget, n, endowment=endowment,
                       base_endowment=base, increase=increase)


def _comparison(profile: Profile, result: Outcome) -> Explanation:
    details = result.details
    mes = _mes(profile, details["mes"])
    greedy = _greedy(profile, details["greedy"])
    kept = details["winner"]
    chosen = mes if kept == "mes" else greedy
    return Explanation(result.rule, result, chosen.projects, profile.budget, len(profile.ballots),
                       endowment=mes.endowment, base_endowment=mes.base_endowment, increase=mes.increase,
                       kept=kept, prefer_mes=details["prefer_mes"], prefer_greedy=details["prefer_greedy"],
                       parts={"mes": mes, "greedy": greedy})
