"""Committee scoring and ranking of a round of projects: the maths only (no Flask, no database).

Owns the whole method shown on the public "how projects are ranked" page (docs/ranking.md):
input validation (AggregationError), weight normalisation, per-criterion values, the composite,
the ranking and its tie-breaks, members counted, disagreement, contested projects, Kendall's W,
the optional per-member z-score normalisation (and both rankings side by side), and the
weight-sensitivity analysis.

Every sum is `math.fsum` (correctly rounded), so results are bit-for-bit the same whatever the
order of the input rows; criteria are visited in id order wherever order could matter.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import add, mul

SCORED = "scored"
SUPPORT = "support"
KINDS = (SCORED, SUPPORT)
NONE = "none"
ZSCORE = "zscore"
NORMALIZATIONS = (NONE, ZSCORE)
MIN_SCORE = 0.0
MAX_SCORE = 5.0
TIE_TOLERANCE = 1e-9
DEFAULT_CONTESTED_THRESHOLD = 1.0
DEFAULT_DRAWS = 1000
DEFAULT_LOW = 0.8
DEFAULT_HIGH = 1.2
# A standard deviation below this is "no spread at all" (guards against rounding noise).
_ZERO_SD = 1e-9


class AggregationError(ValueError):
    """Invalid input. `message` says what is wrong; `source` and `line` say where (CSV input)."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.source = source
        self.line = line
        super().__init__(self._text())

    def _text(self) -> str:
        if self.source and self.line:
            return f"{self.source} line {self.line}: {self.message}"
        if self.source:
            return f"{self.source}: {self.message}"
        return self.message

    def at(self, source: str, line: int | None) -> AggregationError:
        """The same problem, located in a file."""
        return AggregationError(self.message, source=source, line=line)


# --- inputs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Criterion:
    """A criterion of the round. kind: "scored" (members give 0–5) or "support" (citizen supports)."""

    id: str
    weight: float
    kind: str = SCORED


@dataclass(frozen=True)
class Project:
    """A project of the round: its code, how many residents supported it, its cost (carried along)."""

    code: str
    supports: float = 0
    cost: float = 0


@dataclass(frozen=True)
class Score:
    """One member's score (0–5) for one project on one scored criterion.

    value None is a recusal: that member is recused on the whole project (criterion may be None),
    and every score they gave that project is ignored.
    """

    member: str
    project: str
    criterion: str | None
    value: float | None

    @classmethod
    def recusal(cls, member: str, project: str, criterion: str | None = None) -> Score:
        return cls(member, project, criterion, None)

    @property
    def recused(self) -> bool:
        return self.value is None


# --- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProjectResult:
    """One project's line in the ranking.

    values: criterion id -> value on the 0–5 scale (criteria in the order given).
    members: members counted (not recused, scored at least one criterion of it).
    disagreement: population standard deviation of the counted members' own weighted scores
    (see `aggregate`); 0 with fewer than two such members.
    unscored: scored criteria nobody counted scored for this project (their value is 0), by id.
    """

    project: str
    rank: int
    composite: float
    values: dict[str, float]
    members: int
    disagreement: float
    contested: bool
    supports: float
    cost: float
    unscored: tuple[str, ...]

    def as_json(self) -> dict:
        """The shape printed by `flask prioritize rank --json`."""
        return {"project": self.project, "rank": self.rank, "composite": self.composite,
                "values": dict(self.values), "members": self.members, "disagreement": self.disagreement}


@dataclass(frozen=True)
class Ranking:
    """The ranking of a round. projects are in rank order (rank 1 first).

    criteria carry their normalised weights (summing to 1), in the order given.
    kendall_w is None when it is undefined (fewer than two members who scored every project,
    fewer than two projects, or every such member gave every project the same weighted score).
    """

    projects: tuple[ProjectResult, ...]
    criteria: tuple[Criterion, ...]
    normalization: str
    contested_threshold: float
    kendall_w: float | None
    kendall_members: int
    members: int

    @property
    def contested(self) -> tuple[str, ...]:
        return tuple(p.project for p in self.projects if p.contested)

    def project(self, code: str) -> ProjectResult:
        for result in self.projects:
            if result.project == code:
                return result
        raise KeyError(code)

    def as_json(self) -> list[dict]:
        return [p.as_json() for p in self.projects]


@dataclass(frozen=True)
class SideBySide:
    """One project in both rankings (without and with the z-score normalisation)."""

    project: str
    rank_none: int
    rank_zscore: int
    composite_none: float
    composite_zscore: float

    @property
    def shift(self) -> int:
        """Places gained with the normalisation (positive = moves up)."""
        return self.rank_none - self.rank_zscore


@dataclass(frozen=True)
class NormalizationComparison:
    none: Ranking
    zscore: Ranking
    rows: tuple[SideBySide, ...]  # in the order of the ranking without normalisation


@dataclass(frozen=True)
class Stability:
    project: str
    rank: int
    in_top_k: bool
    fraction: float  # share of the draws in which the project is in the top K


@dataclass(frozen=True)
class Sensitivity:
    top_k: int
    draws: int
    seed: int
    low: float
    high: float
    projects: tuple[Stability, ...]  # in rank order

    def fraction(self, code: str) -> float:
        for item in self.projects:
            if item.project == code:
                return item.fraction
        raise KeyError(code)


# --- validation ------------------------------------------------------------------------------

def _fmt(number: float) -> str:
    return f"{number:g}"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_id(value: object, what: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise AggregationError(f"{what} is empty")


def check_criterion(criterion: Criterion) -> None:
    """One criterion on its own (the checks that need the others are in `check_criteria`)."""
    _check_id(criterion.id, "criterion")
    if not _is_number(criterion.weight):
        raise AggregationError(f"weight {criterion.weight!r} of criterion {criterion.id!r} is not a number")
    if criterion.weight < 0:
        raise AggregationError(f"weight {_fmt(criterion.weight)} of criterion {criterion.id!r} is negative")
    if criterion.kind not in KINDS:
        raise AggregationError(f"kind {criterion.kind!r} is unknown (expected 'scored' or 'support')")


def check_criteria(criteria: Iterable[Criterion]) -> tuple[Criterion, ...]:
    criteria = tuple(criteria)
    if not criteria:
        raise AggregationError("there are no criteria")
    seen: set[str] = set()
    support: str | None = None
    for criterion in criteria:
        check_criterion(criterion)
        if criterion.id in seen:
            raise AggregationError(f"criterion {criterion.id!r} is given twice")
        seen.add(criterion.id)
        if criterion.kind == SUPPORT:
            if support is not None:
                raise AggregationError(
                    f"two support criteria ({support!r} and {criterion.id!r}): at most one is allowed")
            support = criterion.id
    if math.fsum(c.weight for c in criteria) <= 0:
        raise AggregationError("all weights are zero: at least one criterion needs a positive weight")
    return criteria


def check_project(project: Project) -> None:
    _check_id(project.code, "project code")
    if not _is_number(project.supports) or project.supports < 0:
        raise AggregationError(f"supports {project.supports!r} of project {project.code!r} is not a number ≥ 0")
    if not _is_number(project.cost) or project.cost < 0:
        raise AggregationError(f"cost {project.cost!r} of project {project.code!r} is not a number ≥ 0")


def check_score(score: Score, criteria: dict[str, Criterion], projects: set[str] | None) -> None:
    """One score row against the round's criteria (by id) and, if known, its project codes."""
    _check_id(score.member, "member")
    _check_id(score.project, "project")
    if projects is not None and score.project not in projects:
        raise AggregationError(f"unknown project {score.project!r}")
    if score.criterion is None or score.criterion == "":
        if not score.recused:
            raise AggregationError("criterion is empty")
        return
    criterion = criteria.get(score.criterion)
    if criterion is None:
        known = ", ".join(sorted(criteria))
        raise AggregationError(f"unknown criterion {score.criterion!r} (known: {known})")
    if score.recused:
        return
    if criterion.kind == SUPPORT:
        raise AggregationError(
            f"criterion {score.criterion!r} is the support criterion: it comes from the supports, not from scores")
    if not _is_number(score.value):
        raise AggregationError(f"score {score.value!r} is not a number")
    if not MIN_SCORE <= score.value <= MAX_SCORE:
        raise AggregationError(f"score {_fmt(score.value)} is outside 0–5")


def score_key(score: Score) -> tuple[str, str, str]:
    """Two rows with the same key are duplicates (a recusal with no criterion has the key '')."""
    return (score.member, score.project, score.criterion or "")


# --- the maths -------------------------------------------------------------------------------

def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _mean_sd(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (divide by n)."""
    mean = _mean(values)
    return mean, math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))


def _zscore(counted: dict[tuple[str, str], dict[str, float]]) -> dict[tuple[str, str], dict[str, float]]:
    """Per-member standardisation, mapped back with the criterion's pooled mean and SD.

    For member m and criterion c: z = (s − mean_mc) / sd_mc over the projects m scored on c
    (sd_mc = 0 → z = 0); the new score is clamp(mean_c + z × sd_c, 0, 5) where mean_c and sd_c are
    the mean and population SD of all counted scores on c. A lenient and a severe member then
    speak on the same scale, and that scale is the committee's own.
    """
    by_member: dict[tuple[str, str], list[float]] = defaultdict(list)
    by_criterion: dict[str, list[float]] = defaultdict(list)
    for (member, _project), scores in counted.items():
        for criterion, value in scores.items():
            by_member[member, criterion].append(value)
            by_criterion[criterion].append(value)
    pooled = {key: _mean_sd(values) for key, values in by_criterion.items()}
    # per (member, criterion): new = pooled_mean + (s − mean) × pooled_sd / sd, i.e. z × pooled_sd
    maps = {}
    for (member, criterion), values in by_member.items():
        mean, sd = _mean_sd(values)
        pooled_mean, pooled_sd = pooled[criterion]
        slope = 0.0 if sd < _ZERO_SD or pooled_sd < _ZERO_SD else pooled_sd / sd
        maps[member, criterion] = (pooled_mean, slope, mean)
    result = {}
    for (member, project), scores in counted.items():
        mapped = {}
        for criterion, value in scores.items():
            pooled_mean, slope, mean = maps[member, criterion]
            new = pooled_mean + (value - mean) * slope
            mapped[criterion] = MIN_SCORE if new < MIN_SCORE else MAX_SCORE if new > MAX_SCORE else new
        result[member, project] = mapped
    return result


def _member_weighted(scores: dict[str, float], weights: dict[str, float], scored_total: float) -> float | None:
    """A member's own weighted score for one project: Σ normalised weight × their score.

    A member who left some scored criteria blank is scaled up to the full weight of the scored
    criteria (their blanks count as their own weighted average of the criteria they did score);
    None if every criterion they scored has weight 0 (their scores then weigh nothing).
    """
    covered = math.fsum(weights[c] for c in scores)
    if covered <= 0:
        return None
    total = math.fsum(weights[c] * v for c, v in scores.items())
    return total if covered == scored_total else total * (scored_total / covered)


def _tiebreak_positions(supports: Sequence[float], codes: Sequence[str]) -> list[int]:
    """Each project's place when ordered by more supports, then code ascending."""
    order = sorted(range(len(codes)), key=lambda i: (-supports[i], codes[i]))
    positions = [0] * len(codes)
    for place, index in enumerate(order):
        positions[index] = place
    return positions


def _groups(composites: Sequence[float]):
    """Indices by composite, descending, in groups of ties (each within 1e-9 of the previous one)."""
    order = sorted(range(len(composites)), key=composites.__getitem__, reverse=True)
    if not order:
        return
    group = [order[0]]
    for previous, index in zip(order, order[1:]):
        if composites[previous] - composites[index] < TIE_TOLERANCE:
            group.append(index)
        else:
            yield group
            group = [index]
    yield group


def rank_order(composites: Sequence[float], positions: Sequence[int]) -> list[int]:
    """Indices in rank order: composite descending, ties by the tie-break positions."""
    ranked: list[int] = []
    for group in _groups(composites):
        ranked.extend(sorted(group, key=positions.__getitem__) if len(group) > 1 else group)
    return ranked


def _top_k(composites: Sequence[float], positions: Sequence[int], k: int) -> list[int]:
    """The first k of `rank_order`, settling only the tie group that straddles place k (if any)."""
    order = sorted(range(len(composites)), key=composites.__getitem__, reverse=True)
    if k >= len(order) or composites[order[k - 1]] - composites[order[k]] >= TIE_TOLERANCE:
        return order[:k]
    first, last = k - 1, k
    while first > 0 and composites[order[first - 1]] - composites[order[first]] < TIE_TOLERANCE:
        first -= 1
    while last + 1 < len(order) and composites[order[last]] - composites[order[last + 1]] < TIE_TOLERANCE:
        last += 1
    group = sorted(order[first:last + 1], key=positions.__getitem__)
    return order[:first] + group[:k - first]


def _mid_ranks(values: Sequence[float]) -> tuple[list[float], int]:
    """Ranks (1 = highest value; ties share the mean of their places) and Σ (t³ − t) over tie groups."""
    ranks = [0.0] * len(values)
    ties = 0
    place = 1
    for group in _groups(values):
        shared = place + (len(group) - 1) / 2
        for index in group:
            ranks[index] = shared
        ties += len(group) ** 3 - len(group)
        place += len(group)
    return ranks, ties


def kendalls_w(judgements: Sequence[Sequence[float]]) -> float | None:
    """Kendall's coefficient of concordance W with the tie correction.

    judgements: one row per judge, each the judge's scores for the same n items (higher = better).
    W = 12 S / (m² (n³ − n) − m Σ T), where m judges, R_i the sum of item i's ranks,
    S = Σ (R_i − m (n + 1) / 2)² and T = Σ (t³ − t) over each judge's groups of t tied items.
    1 = every judge orders the items the same way; 0 = no agreement. None if undefined
    (fewer than 2 judges or items, or every judge ties every item).
    """
    m = len(judgements)
    n = len(judgements[0]) if m else 0
    if m < 2 or n < 2:
        return None
    if any(len(row) != n for row in judgements):
        raise AggregationError("every judge must score the same items")
    sums = [0.0] * n
    ties = 0
    for row in judgements:
        ranks, judge_ties = _mid_ranks(row)
        sums = list(map(add, sums, ranks))
        ties += judge_ties
    mean = m * (n + 1) / 2
    s = math.fsum((r - mean) ** 2 for r in sums)
    denominator = m * m * (n ** 3 - n) - m * ties
    if denominator <= 0:
        return None
    return 12 * s / denominator


def aggregate(criteria: Iterable[Criterion], projects: Iterable[Project] | None, scores: Iterable[Score], *,
              normalize: str = NONE, contested_threshold: float = DEFAULT_CONTESTED_THRESHOLD) -> Ranking:
    """Rank a round's projects from the committee's scores.

    - Weights are divided by their sum (so they add up to 1; all zero is an error).
    - A scored criterion's value for a project is the mean of the scores of the members who scored
      it and are not recused on that project (a recused member is left out of everything about that
      project); 0 if nobody did (the criterion is then listed in `unscored`).
    - The support criterion's value is 5 × supports ÷ the largest supports in the round (0 if that is 0).
    - composite = Σ weight × value; rank by composite descending; composites closer than 1e-9
      are tied, and ties go to more supports, then to the project code in ascending order.
    - members = members counted for the project (not recused, scored at least one criterion).
    - A member's weighted score for a project = Σ over scored criteria of normalised weight × their
      score (a member who skipped some criteria is scaled up to the scored criteria's full weight:
      the skipped ones count as their own weighted average of the others).
      disagreement = the POPULATION standard deviation (divide by n) of those weighted scores
      across the project's counted members; 0 with fewer than two.
    - contested: disagreement ≥ contested_threshold − 1e-9 (default 1.0 — a spread of a whole point
      of composite between members).
    - Kendall's W (tie-corrected) of the orderings by weighted score of the members who scored
      every project without being recused on any.
    - normalize="zscore": each member's scores are first standardised per criterion across the
      projects they scored and mapped back to 0–5 with the criterion's pooled mean and SD
      (see `_zscore`); everything above then uses the mapped scores.

    projects None: the projects are those named in the scores, with 0 supports and 0 cost.
    """
    if normalize not in NORMALIZATIONS:
        raise AggregationError(f"normalisation {normalize!r} is unknown (expected 'none' or 'zscore')")
    if not (isinstance(contested_threshold, (int, float)) and contested_threshold > 0):
        raise AggregationError("the contested threshold must be a number > 0")
    criteria = check_criteria(criteria)
    by_id = {c.id: c for c in criteria}
    scores = tuple(scores)

    if projects is None:
        codes = sorted({s.project for s in scores if isinstance(s.project, str) and s.project.strip()})
        projects = tuple(Project(code) for code in codes)
    else:
        projects = tuple(projects)
        seen: set[str] = set()
        for project in projects:
            check_project(project)
            if project.code in seen:
                raise AggregationError(f"project {project.code!r} is given twice")
            seen.add(project.code)
    if not projects:
        raise AggregationError("there is no project to rank")
    codes_known = {p.code for p in projects}

    recused: set[tuple[str, str]] = set()
    keys: set[tuple[str, str, str]] = set()
    scored_set = {c.id for c in criteria if c.kind == SCORED}
    good_members: set[str] = set()
    for score in scores:
        value = score.value
        # fast path for the usual valid score row; anything else gets the full check and its message
        if not (score.member in good_members and score.project in codes_known and score.criterion in scored_set
                and type(value) in (int, float) and MIN_SCORE <= value <= MAX_SCORE):
            check_score(score, by_id, codes_known)
            good_members.add(score.member)
        key = (score.member, score.project, score.criterion or "")  # = score_key(score), inlined
        if key in keys:
            member, project, criterion = key
            raise AggregationError(
                f"duplicate row: member {member!r}, project {project!r}, criterion {criterion!r}")
        keys.add(key)
        if value is None:
            recused.add((score.member, score.project))
    members_all = {s.member for s in scores}
    counted: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for score in scores:
        pair = (score.member, score.project)
        if score.value is not None and pair not in recused:
            counted[pair][score.criterion] = float(score.value)
    if normalize == ZSCORE:
        counted = _zscore(counted)

    total_weight = math.fsum(c.weight for c in criteria)
    weights = {c.id: c.weight / total_weight for c in criteria}
    scored_ids = sorted(c.id for c in criteria if c.kind == SCORED)
    support_id = next((c.id for c in criteria if c.kind == SUPPORT), None)
    scored_weights = {c: weights[c] for c in scored_ids}
    scored_total = math.fsum(scored_weights.values())
    max_supports = max(p.supports for p in projects)

    per_project: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)  # project -> member -> scores
    for (member, project), member_scores in counted.items():
        per_project[project][member] = member_scores

    projects = sorted(projects, key=lambda p: p.code)
    rows = []
    weighted_by_member: dict[str, dict[str, float]] = defaultdict(dict)
    for project in projects:
        members = per_project.get(project.code, {})
        values: dict[str, float] = {}
        unscored = []
        for cid in scored_ids:
            given = [s[cid] for s in members.values() if cid in s]
            values[cid] = _mean(given) if given else 0.0
            if not given:
                unscored.append(cid)
        if support_id is not None:
            values[support_id] = 5 * project.supports / max_supports if max_supports > 0 else 0.0
        composite = math.fsum(weights[cid] * values[cid] for cid in sorted(values))
        weighted = []
        for member, member_scores in members.items():
            own = _member_weighted(member_scores, scored_weights, scored_total)
            if own is not None:
                weighted.append(own)
                weighted_by_member[member][project.code] = own
        disagreement = _mean_sd(weighted)[1] if len(weighted) >= 2 else 0.0
        ordered_values = {c.id: values[c.id] for c in criteria}
        rows.append((project, composite, ordered_values, len(members), disagreement,
                     tuple(unscored)))  # scored_ids are sorted: the same whatever the input order

    composites = [row[1] for row in rows]
    positions = _tiebreak_positions([p.supports for p in projects], [p.code for p in projects])
    results = []
    for rank, index in enumerate(rank_order(composites, positions), start=1):
        project, composite, values, members, disagreement, unscored = rows[index]
        results.append(ProjectResult(
            project=project.code, rank=rank, composite=composite, values=values, members=members,
            disagreement=disagreement, contested=disagreement >= contested_threshold - TIE_TOLERANCE,
            supports=project.supports, cost=project.cost, unscored=unscored))

    codes = [p.code for p in projects]
    complete = sorted(m for m, own in weighted_by_member.items() if len(own) == len(codes))
    judgements = [[weighted_by_member[m][code] for code in codes] for m in complete]
    return Ranking(
        projects=tuple(results),
        criteria=tuple(Criterion(c.id, weights[c.id], c.kind) for c in criteria),
        normalization=normalize, contested_threshold=contested_threshold,
        kendall_w=kendalls_w(judgements), kendall_members=len(complete), members=len(members_all))


def compare_normalizations(criteria: Iterable[Criterion], projects: Iterable[Project] | None,
                           scores: Iterable[Score], *,
                           contested_threshold: float = DEFAULT_CONTESTED_THRESHOLD) -> NormalizationComparison:
    """The ranking without and with the z-score normalisation, side by side."""
    criteria, scores = tuple(criteria), tuple(scores)
    projects = None if projects is None else tuple(projects)
    plain = aggregate(criteria, projects, scores, normalize=NONE, contested_threshold=contested_threshold)
    zscored = aggregate(criteria, projects, scores, normalize=ZSCORE, contested_threshold=contested_threshold)
    rows = tuple(
        SideBySide(project=p.project, rank_none=p.rank, rank_zscore=zscored.project(p.project).rank,
                   composite_none=p.composite, composite_zscore=zscored.project(p.project).composite)
        for p in plain.projects)
    return NormalizationComparison(none=plain, zscore=zscored, rows=rows)


def _ratio_range(values: Sequence[float], weights: Sequence[float], low: float, high: float) -> tuple[float, float]:
    """Smallest and largest composite Σ w f v / Σ w f over factors f in [low, high] (low > 0).

    A linear-fractional function on a box is extreme at a corner where the criteria above the
    optimum get one bound and those below get the other, so trying every threshold of the
    criteria ordered by value is exact.
    """
    pairs = sorted(((v, w) for v, w in zip(values, weights) if w > 0), reverse=True)
    total_a = math.fsum(w * v for v, w in pairs)
    total_b = math.fsum(w for _v, w in pairs)
    smallest, largest = math.inf, -math.inf
    a = b = 0.0
    for j in range(len(pairs) + 1):
        if j:
            a += pairs[j - 1][1] * pairs[j - 1][0]
            b += pairs[j - 1][1]
        largest = max(largest, (high * a + low * (total_a - a)) / (high * b + low * (total_b - b)))
        smallest = min(smallest, (low * a + high * (total_a - a)) / (low * b + high * (total_b - b)))
    return smallest, largest


def _candidates(rows: Sequence[Sequence[float]], weights: Sequence[float], low: float, high: float,
                k: int) -> list[int]:
    """The projects that can be in the top K for some draw of factors in [low, high].

    In every draw at least K projects reach T, the K-th largest of the smallest composites; a project
    whose largest composite stays below T by more than a tie chain can span (n × 1e-9) can never
    enter the top K, so it is left out of the recomputation (the result is the same).
    """
    n = len(rows)
    if low <= 0 or k >= n:
        return list(range(n))
    ranges = [_ratio_range(row, weights, low, high) for row in rows]
    threshold = sorted((lo for lo, _hi in ranges), reverse=True)[k - 1]
    margin = (n + 1) * TIE_TOLERANCE + 1e-9
    return [i for i, (_lo, hi) in enumerate(ranges) if hi >= threshold - margin]


def sensitivity(ranking: Ranking, *, top_k: int, draws: int = DEFAULT_DRAWS, seed: int = 0,
                low: float = DEFAULT_LOW, high: float = DEFAULT_HIGH, _prune: bool = True) -> Sensitivity:
    """How robust the top K is to the choice of weights.

    Each draw multiplies every weight by its own uniform(low, high) factor (criteria taken in id
    order, from random.Random(seed)), renormalises the weights to sum 1, recomputes the composites
    from the ranking's per-criterion values and ranks them with the same tie-breaks. A project's
    fraction is the share of draws in which it is in the top K. Same seed → same result.
    (Projects that no draw could lift into the top K are not recomputed; `_prune=False` recomputes
    everything, for the tests that check both agree.)
    """
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise AggregationError("K (the size of the top) must be a whole number ≥ 1")
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise AggregationError("the number of draws must be a whole number ≥ 1")
    if not (_is_number(low) and _is_number(high) and 0 <= low <= high):
        raise AggregationError("the perturbation range must satisfy 0 ≤ low ≤ high")
    projects = ranking.projects
    n = len(projects)
    ids = sorted(c.id for c in ranking.criteria)
    base = {c.id: c.weight for c in ranking.criteria}
    base_weights = [base[cid] for cid in ids]
    k = min(top_k, n)
    rows = [[p.values[cid] for cid in ids] for p in projects]
    keep = _candidates(rows, base_weights, low, high, k) if _prune else list(range(n))
    columns = [[rows[i][c] for i in keep] for c in range(len(ids))]
    positions = _tiebreak_positions([projects[i].supports for i in keep], [projects[i].project for i in keep])
    rng = random.Random(seed)
    counts = [0] * len(keep)
    zeros = [0.0] * len(keep)
    for _ in range(draws if k < n else 0):  # with K ≥ n every project is always in the top K
        drawn = [w * rng.uniform(low, high) for w in base_weights]
        total = math.fsum(drawn)
        composites = zeros
        if total > 0:
            for column, w in zip(columns, drawn):
                if w:
                    composites = list(map(add, composites, map(mul, column, repeat(w / total))))
        for index in _top_k(composites, positions, k):
            counts[index] += 1
    fractions = [0.0] * n
    for index, count in zip(keep, counts):
        fractions[index] = count / draws if k < n else 1.0
    return Sensitivity(
        top_k=top_k, draws=draws, seed=seed, low=low, high=high,
        projects=tuple(Stability(project=p.project, rank=p.rank, in_top_k=p.rank <= top_k,
                                 fraction=fractions[i]) for i, p in enumerate(projects)))
