"""The platform's own participatory-budget round, and every rule side by side on a support round.

`platform_round(plan, actor, budget)` turns residents' supports into an approval election: the
plan's projects (cost = total cost), one ballot per resident who supported at least one idea of a
project (the distinct projects of those ideas), and the budget given by the chair or, without one,
the participatory share of the plan's budget envelopes. It is stored as a SupportRound (source
"platform") through services.support_rounds.import_instance, so it can be exported and re-run.
Voter identities never leave this module: ballots are numbered 1..n and sorted by their content.

`compare(round_)` runs every rule of prioritization.rules on a round and keeps, per rule, the
selection, the total cost and the per-project explanations (prioritization.rules_explain), as plain
data. It is computed once when a round is made (`store_comparison`; `flask pb import` and
`flask pb compare` for imported rounds) and stored on the round: pages only read it.
Flush, never commit.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from fractions import Fraction

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from extensions import db
from models import BudgetEnvelope, Plan, Project, ProjectIdea, Support, SupportRound, SupportRoundProject, User
from prioritization import pabulib, rules
from prioritization.rules_explain import ProjectWhy, explain_outcome
from services import audit, support_rounds
from services.errors import Conflict, NotFound, ServiceError

PLATFORM_SOURCE = "platform"
BUDGET_MAX = 10 ** 12          # MAD; far above any commune's budget
CURRENCY = "MAD"
_SAFE_ID = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")

NO_BUDGET = _l("Enter the budget: the plan's budget envelopes reserve no participatory share.")
BAD_BUDGET = _l("Enter the budget in dirhams as a whole number greater than 0.")
NO_PROJECTS = _l("The plan has no project yet: the committee turns ideas into projects first.")
NO_BALLOTS = _l("No resident has supported an idea of the plan's projects yet.")
NO_ROUND = _l("This support round does not exist.")


# --- the platform's round ------------------------------------------------------------------

def participatory_budget(plan: Plan) -> int:
    """The participatory share of all the plan's budget envelopes (MAD)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(BudgetEnvelope.participatory_amount), 0)).where(BudgetEnvelope.plan_id == plan.id))
    return int(total or 0)


def platform_instance(plan: Plan, budget: int) -> tuple[pabulib.Instance, dict[str, int]]:
    """The approval election of the plan's supports, and project id (in the file) -> Project.id."""
    projects = list(db.session.scalars(select(Project).where(Project.plan_id == plan.id).order_by(Project.code, Project.id)))
    if not projects:
        raise Conflict(NO_PROJECTS)
    external = {p.id: (p.code if p.code and set(p.code) <= _SAFE_ID else str(p.id)) for p in projects}
    if len(set(external.values())) != len(external):
        external = {p.id: str(p.id) for p in projects}
    position = {p.id: k for k, p in enumerate(projects)}
    rows = db.session.execute(
        select(Support.user_id, ProjectIdea.project_id)
        .join(ProjectIdea, ProjectIdea.idea_id == Support.idea_id)
        .where(ProjectIdea.project_id.in_(list(position)), Support.user_id.is_not(None))
        .distinct()
    )
    per_voter: dict[int, set[int]] = {}
    for user_id, project_id in rows:
        per_voter.setdefault(user_id, set()).add(position[project_id])
    if not per_voter:
        raise Conflict(NO_BALLOTS)
    # Sorted by content, numbered 1..n: nothing ties a ballot to a person or to a sign-up order.
    contents = sorted(tuple(sorted(s)) for s in per_voter.values())
    del per_voter
    votes = [0] * len(projects)
    for ballot in contents:
        for k in ballot:
            votes[k] += 1
    ballots = [pabulib.Ballot(voter_id=str(i), projects=tuple(external[projects[k].id] for k in ballot))
               for i, ballot in enumerate(contents, start=1)]
    commune = plan.commune
    meta = {
        "description": f"Tasharuk: residents' supports, {commune.name_fr} action plan {plan.start_year}-{plan.end_year}",
        "country": "Morocco", "unit": commune.name_fr, "instance": f"{plan.start_year}-{plan.end_year}",
        "num_projects": str(len(projects)), "num_votes": str(len(ballots)), "budget": str(budget),
        "vote_type": "approval", "currency": CURRENCY,
    }
    pb_projects = {
        external[p.id]: pabulib.Project(external[p.id], p.total_cost, {"votes": str(votes[k]), "name": p.title_fr})
        for k, p in enumerate(projects)
    }
    instance = pabulib.Instance(meta=meta, projects=pb_projects, ballots=ballots,
                                project_columns=("project_id", "cost", "votes", "name"))
    return instance, {external[p.id]: p.id for p in projects}


def check_budget(plan: Plan, budget: int | None) -> int:
    if budget is None:
        budget = participatory_budget(plan)
        if budget <= 0:
            raise ServiceError(NO_BUDGET, field="budget")
    if not isinstance(budget, int) or isinstance(budget, bool) or not 0 < budget <= BUDGET_MAX:
        raise ServiceError(BAD_BUDGET, field="budget")
    return budget


def platform_round(plan: Plan, actor: User, budget: int | None = None) -> SupportRound:
    """Store the plan's supports as a new support round (source "platform")."""
    budget = check_budget(plan, budget)
    instance, project_ids = platform_instance(plan, budget)
    round_ = support_rounds.import_instance(plan.commune, instance, source=PLATFORM_SOURCE, plan_id=plan.id)
    for row in db.session.scalars(select(SupportRoundProject).where(SupportRoundProject.round_id == round_.id)):
        row.project_id = project_ids[row.external_id]
    db.session.flush()
    store_comparison(round_)
    audit.record("committee.support_round_created", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="support_round", target_id=round_.id,
                 details={"budget": budget, "projects": len(instance.projects), "ballots": len(instance.ballots)})
    return round_


# --- reading rounds ----------------------------------------------------------------------------

def rounds_of(plan: Plan) -> list[SupportRound]:
    """The plan's rounds and the commune's imported rounds not tied to a plan, newest first."""
    return list(db.session.scalars(
        select(SupportRound)
        .where(SupportRound.commune_id == plan.commune_id,
               or_(SupportRound.plan_id == plan.id, SupportRound.plan_id.is_(None)))
        .order_by(SupportRound.created_at.desc(), SupportRound.id.desc())))


def round_of_commune(commune_id: int, round_id: int) -> SupportRound:
    round_ = db.session.get(SupportRound, round_id)
    if round_ is None or round_.commune_id != commune_id:
        raise NotFound(NO_ROUND)
    return round_


def linked_projects(comparison: Comparison) -> dict[int, Project]:
    """The platform projects a round's projects stand for (to show their titles in the reader's language)."""
    ids = [row.project_id for row in comparison.projects if row.project_id is not None]
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(ids)))}


def pabulib_text(round_: SupportRound) -> str:
    """The round in the Pabulib format: anonymous ballots (1..n), no per-voter columns."""
    return pabulib.write(support_rounds.to_instance(round_))


# --- the rules side by side --------------------------------------------------------------------

@dataclass(frozen=True)
class RuleColumn:
    rule: str
    unavailable: str | None = None           # "needs_utilities" (ranked ballots), "error"
    selected: tuple[str, ...] = ()
    total_cost: int = 0
    projects: dict[str, ProjectWhy] = field(default_factory=dict)
    endowment: Fraction | None = None
    base_endowment: Fraction | None = None
    increase: int | None = None
    kept: str | None = None
    prefer_mes: int | None = None
    prefer_greedy: int | None = None


@dataclass(frozen=True)
class RoundProjectRow:
    id: str
    name: str | None
    cost: int
    votes: int
    project_id: int | None


@dataclass(frozen=True)
class Comparison:
    round_id: int
    budget: int | Fraction
    voters: int
    vote_type: str
    currency: str
    threshold: Fraction | None
    projects: list[RoundProjectRow]
    columns: list[RuleColumn]

    def funded_by(self, project: str) -> list[str]:
        return [c.rule for c in self.columns if project in c.selected]


def rules_for(instance: pabulib.Instance) -> list[str]:
    """The rules compared on a round: greedy-threshold only when the round has a threshold."""
    return [r for r in rules.RULES
            if r != "greedy-threshold" or instance.meta.get("min_project_score_threshold") is not None]


# --- stored comparisons -------------------------------------------------------------------------
# Equal Shares with Add1 takes seconds to tens of seconds on a 90,000-ballot round: the comparison
# is computed ONCE, when the round is made (`store_comparison`, also `flask pb compare`), and kept
# as JSON on the round. Pages only read it, so no visitor can make the server recompute it.

_TYPES = {cls.__name__: cls for cls in (Comparison, RuleColumn, RoundProjectRow, ProjectWhy)}


def _encode(value):
    if isinstance(value, Fraction):
        return {"__fraction__": f"{value.numerator}/{value.denominator}"}
    if dataclasses.is_dataclass(value) and type(value).__name__ in _TYPES:
        out = {"__type__": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = _encode(getattr(value, f.name))
        return out
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"__tuple__": [_encode(v) for v in value]} if isinstance(value, tuple) else [_encode(v) for v in value]
    return value


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__fraction__" in value:
        return Fraction(value["__fraction__"])
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {_decode(k): _decode(v) for k, v in value["__dict__"]}
    cls = _TYPES[value["__type__"]]  # only the classes above: nothing else can be built
    return cls(**{k: _decode(v) for k, v in value.items() if k != "__type__"})


def store_comparison(round_: SupportRound) -> Comparison:
    """Compute every rule on the round and keep the result on it (flush, not commit)."""
    result = _compare(round_)
    round_.comparison_json = json.dumps(_encode(result), ensure_ascii=False, separators=(",", ":"))
    db.session.flush()
    return result


NOT_COMPUTED = _l("The rules have not been run on this round yet. The platform's technical team "
                  "runs them once with the command `flask pb compare`.")


def compare(round_: SupportRound) -> Comparison:
    """The stored comparison. Pages never compute it: NotFound when it was never stored."""
    if not round_.comparison_json:
        raise NotFound(NOT_COMPUTED)
    return _decode(json.loads(round_.comparison_json))


def _compare(round_: SupportRound) -> Comparison:
    instance = support_rounds.to_instance(round_)
    profile = rules.Profile.of(instance)
    wanted = rules_for(instance)
    explained = {}

    def explain(rule):
        if rule not in explained:
            if rule == "mes-add1" and "mes-add1-comparison" in wanted:
                # the comparison computes Add1 itself: one Add1 run serves both columns
                explained[rule] = explain("mes-add1-comparison").parts["mes"]
            else:
                explained[rule] = explain_outcome(profile, rules.outcome_of(profile, instance, rule))
        return explained[rule]

    columns = []
    for rule in wanted:
        if rule in rules.MES_RULES and instance.vote_type == "ordinal":
            columns.append(RuleColumn(rule, unavailable="needs_utilities"))
            continue
        try:
            why = explain(rule)
        except rules.RuleError:
            columns.append(RuleColumn(rule, unavailable="error"))
            continue
        columns.append(RuleColumn(
            rule, selected=tuple(why.selected), total_cost=why.outcome.total_cost, projects=why.projects,
            endowment=why.endowment, base_endowment=why.base_endowment, increase=why.increase, kept=why.kept,
            prefer_mes=why.prefer_mes, prefer_greedy=why.prefer_greedy))
    links = {p.external_id: p.project_id for p in round_.projects}
    rows = [RoundProjectRow(p.id, p.fields.get("name") or None, p.cost, profile.votes[k], links.get(p.id))
            for k, p in enumerate(instance.projects.values())]
    raw = instance.meta.get("min_project_score_threshold")
    return Comparison(round_.id, instance.budget, len(instance.ballots), instance.vote_type,
                      (instance.meta.get("currency") or CURRENCY).strip().upper()[:3] or CURRENCY,
                      Fraction(raw) if raw is not None else None, rows, columns)
