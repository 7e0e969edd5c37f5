"""A round's ranking: the committee's scores fed to prioritization.aggregation, the chair's
justified overrides, and the published snapshot the public reads.

The maths is not here (prioritization.aggregation owns it); this module turns the database into
its inputs, applies the overrides to the computed order, and freezes what is published.
The ranking is shown only once a round is closed: while members score, it would reveal the
others' scores (scoring is blind).
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import (
    Criterion,
    CriterionKind,
    Plan,
    Project,
    RankingOverride,
    Recusal,
    RoundStatus,
    Score,
    ScoringRound,
    User,
)
from models._base import utcnow
from prioritization import aggregation as agg
from services import audit
from services.errors import Conflict, NotAllowed, NotFound, ServiceError

from services.projects import citizen_support
from services.text import check_text

DRAWS = agg.DEFAULT_DRAWS
JUSTIFICATION_MIN = 20
JUSTIFICATION_MAX = 2000
# Sensitivity wording: share of the draws in which a project stays in the top K.
ROBUST_FROM = 0.9
OUT_UP_TO = 0.1
SNAPSHOT_VERSION = 1

BLIND = _l("The ranking is shown once the round is closed: scoring is blind.")
_NOT_FOUND = _l("This scoring round does not exist.")
_NOT_PUBLISHED = _l("This ranking has not been published.")
_CANNOT_COMPUTE = _l("The ranking cannot be computed: the round needs projects and criteria with a weight above zero.")
_NOT_CLOSED = _l("The ranking can be changed only while the round is closed and not yet published.")
_ALREADY_PUBLISHED = _l("This ranking is already published: it can no longer be changed.")


# --- reading the database --------------------------------------------------------------------

def round_of(plan: Plan, round_id: int) -> ScoringRound:
    """The plan's round, or NotFound (another plan's round is not found either)."""
    round_ = db.session.get(ScoringRound, round_id)
    if round_ is None or round_.plan_id != plan.id:
        raise NotFound(_NOT_FOUND)
    return round_


def criteria_of(plan_id: int) -> list[Criterion]:
    return list(db.session.scalars(
        select(Criterion).where(Criterion.plan_id == plan_id).order_by(Criterion.position, Criterion.id)))


def normalised_weights(criteria: list[Criterion]) -> dict[str, float]:
    """criterion code -> weight ÷ sum of weights (0 for all when every weight is 0)."""
    total = sum(c.weight for c in criteria)
    return {c.code: (c.weight / total if total > 0 else 0.0) for c in criteria}


def _is_closed(round_: ScoringRound) -> bool:
    return round_.status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED)


def _round_projects(round_: ScoringRound) -> list[Project]:
    return [rp.project for rp in round_.projects]


def inputs(round_: ScoringRound) -> tuple[list[agg.Criterion], list[agg.Project], list[agg.Score]]:
    """The round as prioritization.aggregation inputs.

    Supports are those counted at closing once the round is closed (live counts before);
    every Recusal becomes a recusal row, so the recused member is left out of that project.
    Scores on criteria that are not the plan's scored criteria, or on projects outside the
    round, are not part of the round and are left out.
    """
    criteria = criteria_of(round_.plan_id)
    a_criteria = [agg.Criterion(id=c.code, weight=float(c.weight), kind=c.kind) for c in criteria]
    scored = {c.id: c.code for c in criteria if c.kind == CriterionKind.SCORED}
    links = list(round_.projects)
    codes = {rp.project_id: rp.project.code for rp in links}
    closed = _is_closed(round_)
    frozen = {rp.project_id: rp.supports_at_close for rp in links if closed and rp.supports_at_close is not None}
    live = citizen_support([pid for pid in codes if pid not in frozen])
    a_projects = []
    for rp in links:
        supports = frozen[rp.project_id] if rp.project_id in frozen else live.get(rp.project_id, 0)
        a_projects.append(agg.Project(code=rp.project.code, supports=supports, cost=rp.project.total_cost or 0))
    a_scores = [
        agg.Score(member=str(s.user_id), project=codes[s.project_id], criterion=scored[s.criterion_id],
                  value=s.value)
        for s in db.session.scalars(select(Score).where(Score.round_id == round_.id).order_by(Score.id))
        if s.project_id in codes and s.criterion_id in scored
    ]
    for recusal in _recusals(round_):
        if recusal.project_id in codes:
            a_scores.append(agg.Score.recusal(str(recusal.user_id), codes[recusal.project_id]))
    return a_criteria, a_projects, a_scores


def _recusals(round_: ScoringRound) -> list[Recusal]:
    return list(db.session.scalars(select(Recusal).where(Recusal.round_id == round_.id).order_by(Recusal.id)))


def _overrides(round_: ScoringRound) -> list[RankingOverride]:
    return list(db.session.scalars(
        select(RankingOverride).where(RankingOverride.round_id == round_.id).order_by(RankingOverride.id)))


# --- the ranking -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RankedProject:
    """One project in the final order."""

    project: Project
    result: agg.ProjectResult  # the computed line (raw scores)
    rank: int  # final rank (after the chair's overrides)
    side: agg.SideBySide  # raw vs z-score
    top_k_fraction: float
    recusals: int
    override: RankingOverride | None  # the last override that moved this project

    @property
    def computed_rank(self) -> int:
        return self.result.rank

    @property
    def moved(self) -> bool:
        return self.rank != self.result.rank

    @property
    def robustness(self) -> str:
        """"robust" (≥ 90 % of the draws in the top K), "out" (≤ 10 %) or "depends"."""
        return robustness(self.top_k_fraction)


def robustness(fraction: float) -> str:
    if fraction >= ROBUST_FROM:
        return "robust"
    if fraction <= OUT_UP_TO:
        return "out"
    return "depends"


@dataclass(frozen=True)
class RoundRanking:
    round: ScoringRound
    criteria: list[Criterion]  # the plan's criteria, in their order
    weights: dict[str, float]  # criterion code -> normalised weight
    comparison: agg.NormalizationComparison
    sensitivity: agg.Sensitivity
    rows: tuple[RankedProject, ...]  # final order
    overrides: list[RankingOverride]
    recusals: dict[str, int]  # project code -> number of recused members

    @property
    def ranking(self) -> agg.Ranking:
        return self.comparison.none

    @property
    def kendall_w(self) -> float | None:
        return self.ranking.kendall_w

    @property
    def kendall_members(self) -> int:
        return self.ranking.kendall_members

    def row(self, code: str) -> RankedProject:
        for row in self.rows:
            if row.project.code == code:
                return row
        raise KeyError(code)


def apply_overrides(computed: list[str], moves: list[tuple[str, int]]) -> list[str]:
    """The final order: each (code, new_rank) in turn takes the project out and puts it back at
    new_rank (1 = first; a rank past the end puts it last). Unknown codes are ignored."""
    order = list(computed)
    for code, new_rank in moves:
        if code not in order:
            continue
        order.remove(code)
        order.insert(max(0, min(new_rank, len(order) + 1) - 1), code)
    return order


def _comparison(round_: ScoringRound) -> agg.NormalizationComparison:
    criteria, projects, scores = inputs(round_)
    try:
        return agg.compare_normalizations(criteria, projects, scores)
    except agg.AggregationError as exc:
        raise Conflict(_CANNOT_COMPUTE) from exc


def _final_codes(round_: ScoringRound, ranking: agg.Ranking,
                 overrides: list[RankingOverride]) -> list[str]:
    code_of = {rp.project_id: rp.project.code for rp in round_.projects}
    moves = [(code_of[o.project_id], o.new_rank) for o in overrides if o.project_id in code_of]
    return apply_overrides([p.project for p in ranking.projects], moves)


def require_closed(round_: ScoringRound) -> None:
    """The ranking may be read only once the round is closed (blind scoring)."""
    if not _is_closed(round_):
        raise NotAllowed(BLIND)


def compute(round_: ScoringRound) -> RoundRanking:
    """The round's ranking: raw and z-score side by side, sensitivity, overrides applied."""
    require_closed(round_)
    comparison = _comparison(round_)
    ranking = comparison.none
    stability = agg.sensitivity(ranking, top_k=round_.top_k, draws=DRAWS, seed=round_.id)
    overrides = _overrides(round_)
    final = _final_codes(round_, ranking, overrides)
    projects = {rp.project.code: rp.project for rp in round_.projects}
    code_of = {rp.project_id: rp.project.code for rp in round_.projects}
    recusals = Counter(code_of[r.project_id] for r in _recusals(round_) if r.project_id in code_of)
    last_override = {code_of[o.project_id]: o for o in overrides if o.project_id in code_of}
    sides = {row.project: row for row in comparison.rows}
    rows = tuple(
        RankedProject(project=projects[code], result=ranking.project(code), rank=rank, side=sides[code],
                      top_k_fraction=stability.fraction(code), recusals=recusals.get(code, 0),
                      override=last_override.get(code))
        for rank, code in enumerate(final, start=1))
    criteria = criteria_of(round_.plan_id)
    return RoundRanking(round=round_, criteria=criteria, weights=normalised_weights(criteria),
                        comparison=comparison, sensitivity=stability, rows=rows, overrides=overrides,
                        recusals={code: recusals.get(code, 0) for code in projects})


# --- the chair's decisions ---------------------------------------------------------------------

def require_changeable(round_: ScoringRound) -> None:
    """Overrides and publication need a closed round that is not yet published."""
    if round_.status == RoundStatus.PUBLISHED:
        raise Conflict(_ALREADY_PUBLISHED)
    if round_.status != RoundStatus.CLOSED:
        raise Conflict(_NOT_CLOSED)


def check_justification(text: str | None) -> str:
    return check_text(
        text, "justification", max_length=JUSTIFICATION_MAX, min_length=JUSTIFICATION_MIN,
        required_message=_l("Write why the project is moved: the justification is published with the ranking."),
        too_short_message=_l("Write at least %(n)d characters: the justification is published with the ranking.",
                             n=JUSTIFICATION_MIN))


def _plan(round_: ScoringRound) -> Plan:
    return db.session.get(Plan, round_.plan_id)


def override(round_: ScoringRound, project: Project, new_rank: int | None, justification: str | None,
             actor: User) -> RankingOverride:
    """The chair moves a project to new_rank against the computed order, with a justification.

    The view checks that the actor is the chair (services.access.is_chair).
    """
    require_changeable(round_)
    codes = {rp.project_id: rp.project.code for rp in round_.projects}
    if project.id not in codes:
        raise NotFound(_l("This project is not part of the round."))
    text = check_justification(justification)
    comparison = _comparison(round_)
    ranking = comparison.none
    final = _final_codes(round_, ranking, _overrides(round_))
    n = len(final)
    if isinstance(new_rank, bool) or not isinstance(new_rank, int) or not 1 <= new_rank <= n:
        raise ServiceError(_l("Choose a rank from 1 to %(n)d.", n=n), field="new_rank")
    previous = final.index(project.code) + 1
    if new_rank == previous:
        raise ServiceError(_l("The project is already at rank %(rank)d: choose another rank.", rank=previous),
                           field="new_rank")
    computed = ranking.project(project.code).rank
    entry = RankingOverride(round_id=round_.id, project_id=project.id, computed_rank=computed,
                            new_rank=new_rank, justification=text, user_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    audit.record("committee.override", actor_id=actor.id, commune_id=_plan(round_).commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"round": round_.name, "project": project.code, "computed_rank": computed,
                          "previous_rank": previous, "new_rank": new_rank, "justification": text})
    return entry


def _names(obj, attribute: str) -> dict[str, str]:
    return {lang: getattr(obj, f"{attribute}_{lang}") or "" for lang in ("ar", "fr", "zgh")}


def snapshot(result: RoundRanking, published_at) -> dict:
    """What the public sees: aggregated numbers only, never a member's scores or identity."""
    round_ = result.round
    by_code = {c.code: c for c in result.criteria}
    criteria = []
    for c in result.ranking.criteria:  # normalised weights, in the plan's order
        model = by_code[c.id]
        criteria.append({"code": c.id, "name": _names(model, "name"), "weight": c.weight, "kind": c.kind})
    rows = []
    for row in result.rows:
        r = row.result
        rows.append({
            "code": row.project.code,
            "title": _names(row.project, "title"),
            "rank": row.rank,
            "computed_rank": r.rank,
            "composite": r.composite,
            "values": dict(r.values),
            "unscored": list(r.unscored),
            "members": r.members,
            "disagreement": r.disagreement,
            "contested": r.contested,
            "supports": r.supports,
            "cost": r.cost,
            "top_k_fraction": row.top_k_fraction,
            "recusals": row.recusals,
            "justification": row.override.justification if row.override is not None else None,
            "zscore_rank": row.side.rank_zscore,
            "zscore_composite": row.side.composite_zscore,
        })
    zscore = result.comparison.zscore
    return {
        "version": SNAPSHOT_VERSION,
        "round": round_.name,
        "published_at": published_at.isoformat(timespec="seconds"),
        "top_k": round_.top_k,
        "draws": result.sensitivity.draws,
        "seed": result.sensitivity.seed,
        "contested_threshold": result.ranking.contested_threshold,
        "criteria": criteria,
        "rows": rows,
        "kendall_w": result.ranking.kendall_w,
        "kendall_members": result.ranking.kendall_members,
        "zscore_kendall_w": zscore.kendall_w,
    }


def publish(round_: ScoringRound, actor: User) -> dict:
    """closed → published: freeze the ranking as the public will read it."""
    require_changeable(round_)
    result = compute(round_)
    now = utcnow()
    data = snapshot(result, now)
    round_.status = RoundStatus.PUBLISHED
    round_.published_at = now
    round_.published_result = json.dumps(data, ensure_ascii=False, sort_keys=True)
    db.session.flush()
    audit.record("committee.round_published", actor_id=actor.id, commune_id=_plan(round_).commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"round": round_.name, "projects": len(data["rows"]), "overrides": len(result.overrides),
                          "order": [row["code"] for row in data["rows"]]})
    from services import notifications  # the authors of the ideas each project came from

    for row in result.rows:
        notifications.notify_idea_authors(row.project, "idea_ranked", rank=row.rank)
    return data


# --- what the public reads -------------------------------------------------------------------

def published(round_: ScoringRound) -> dict:
    """The published snapshot, parsed (NotFound if the round is not published)."""
    if round_.status != RoundStatus.PUBLISHED or not round_.published_result:
        raise NotFound(_NOT_PUBLISHED)
    return json.loads(round_.published_result)


def published_round(commune_id: int, round_id: int) -> ScoringRound:
    """A published round of any of the commune's plans, or NotFound."""
    round_ = db.session.get(ScoringRound, round_id)
    if round_ is None or round_.status != RoundStatus.PUBLISHED or not round_.published_result:
        raise NotFound(_NOT_PUBLISHED)
    plan = db.session.get(Plan, round_.plan_id)
    if plan is None or plan.commune_id != commune_id:
        raise NotFound(_NOT_PUBLISHED)
    return round_


def published_rounds(plan: Plan) -> list[ScoringRound]:
    """The plan's published rounds, newest first."""
    return list(db.session.scalars(
        select(ScoringRound)
        .where(ScoringRound.plan_id == plan.id, ScoringRound.status == RoundStatus.PUBLISHED)
        .order_by(ScoringRound.published_at.desc(), ScoringRound.id.desc())))


@dataclass(frozen=True)
class PublishedRow:
    """A project's line in one published ranking."""

    round: ScoringRound
    row: dict
    criteria: list[dict]
    projects: int  # how many projects that ranking has
    top_k: int


def published_rows_for(project: Project) -> list[PublishedRow]:
    """The project's lines in the published rankings of its plan, newest first."""
    rows = []
    for round_ in db.session.scalars(
            select(ScoringRound).where(ScoringRound.plan_id == project.plan_id,
                                       ScoringRound.status == RoundStatus.PUBLISHED)
            .order_by(ScoringRound.published_at.desc(), ScoringRound.id.desc())):
        if not round_.published_result:
            continue
        data = json.loads(round_.published_result)
        for row in data.get("rows", []):
            if row.get("code") == project.code:
                rows.append(PublishedRow(round=round_, row=row, criteria=data.get("criteria", []),
                                         projects=len(data["rows"]), top_k=data.get("top_k", round_.top_k)))
                break
    return rows
