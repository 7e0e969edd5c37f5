"""Fitting ranked projects into yearly budget envelopes: the programme builder's maths
(no Flask, no database; whole dirhams only, so every comparison is exact).

The plan has one envelope per year (MAD), optionally with caps per axis. A project runs
`duration` consecutive years starting no earlier than its `earliest_year`, and its cost is spread
over those years by a schedule (even by default: `even_schedule`). The builder:

1. places the PINNED projects first, in rank order, at their pinned start year; if the envelopes
   (or an axis cap) cannot hold them, that is an error (ProgrammeError) — the committee must raise
   the envelope or unpin, the builder never silently drops a pinned project;
2. then takes the other projects in rank order and gives each the EARLIEST start year at which
   every year of its schedule fits what is left of that year's envelope and axis cap; a project
   that fits nowhere is skipped, with the reason (the first year that overflows at its earliest
   start, and by how much — or that it would end after the plan);
3. dropped projects are listed as dropped, never placed.

A year's envelope may reserve a PARTICIPATORY SHARE for the projects residents chose through their
supports (the platform's support round and one of the rules of prioritization.rules). Those
candidates carry `share_order` (their place in the rule's selection). The share and the rest of the
envelope are two separate pots: after the pinned projects, the residents' projects are placed, in
selection order, at the earliest start where every year fits what is left of the SHARE; the ranked
projects then fill what is left of the REST. A residents' project that does not fit the share goes
back among the ranked projects at its rank (if the committee ranked it) or is skipped with reason
PARTICIPATORY (it was not ranked). Money left in the share is not spent on ranked projects: it was
reserved for residents' choices. Axis caps apply to both pots together.

Per year the result gives what is committed, what remains, and the projects that "just missed":
skipped projects whose overflow in that year was the smallest.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ENDS_AFTER_PLAN = "ends_after_plan"
STARTS_AFTER_PLAN = "starts_after_plan"
ENVELOPE = "envelope"
AXIS_CAP = "axis_cap"
BAD_SCHEDULE = "bad_schedule"
PARTICIPATORY = "participatory_share"  # a residents' project (not ranked) that the share cannot hold


class ProgrammeError(ValueError):
    """Input the builder refuses. `code` names the problem, `project`/`year` where it is."""

    def __init__(self, message: str, *, code: str, project: str | None = None, year: int | None = None,
                 amount: int | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.project, self.year, self.amount = message, code, project, year, amount


@dataclass(frozen=True)
class Envelope:
    year: int
    amount: int
    axis_caps: Mapping[str, int] = field(default_factory=dict)
    participatory: int = 0  # the share reserved for residents' choices (part of `amount`)


@dataclass(frozen=True)
class Candidate:
    """A ranked project. schedule: explicit {year offset 0..duration-1: amount}; None = even."""

    code: str
    rank: int
    cost: int
    duration: int
    earliest_year: int
    axis: str = ""
    pinned_year: int | None = None
    dropped: bool = False
    schedule: tuple[int, ...] | None = None  # amounts per year of the project, summing to cost
    share_order: int | None = None  # chosen by residents: place in the rule's selection (1 = first)
    ranked: bool = True  # False: only residents chose it (the committee's ranking does not have it)


@dataclass(frozen=True)
class Placement:
    code: str
    rank: int
    start_year: int
    schedule: dict[int, int]  # year -> amount
    pinned: bool
    participatory: bool = False  # paid from the participatory share


@dataclass(frozen=True)
class Skip:
    code: str
    rank: int
    reason: str  # ENDS_AFTER_PLAN, ENVELOPE, AXIS_CAP
    year: int | None = None  # the first year that overflows at the earliest start
    shortfall: int = 0  # by how much (MAD)
    axis: str | None = None
    overflow: dict[int, int] = field(default_factory=dict)  # year -> smallest overflow over starts tried


@dataclass(frozen=True)
class YearSummary:
    year: int
    envelope: int
    committed: int
    remaining: int
    just_missed: tuple[str, ...]  # codes, smallest overflow first
    share: int = 0  # the participatory share (part of `envelope`)
    share_committed: int = 0  # what the residents' projects take from it


@dataclass(frozen=True)
class Programme:
    placements: tuple[Placement, ...]  # in rank order
    skipped: tuple[Skip, ...]  # in rank order
    dropped: tuple[str, ...]
    years: tuple[YearSummary, ...]

    def placement(self, code: str) -> Placement | None:
        return next((p for p in self.placements if p.code == code), None)


def _check_amount(value: object, what: str, **where) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProgrammeError(f"{what} must be a whole, non-negative number of dirhams", code="amount", **where)
    return value


def even_schedule(cost: int, duration: int) -> tuple[int, ...]:
    """cost split over `duration` years in whole dirhams; the first years take the remainder."""
    if duration < 1:
        raise ProgrammeError("a project lasts at least one year", code="duration")
    base, extra = divmod(cost, duration)
    return tuple(base + (1 if i < extra else 0) for i in range(duration))


def check_schedule(candidate: Candidate) -> tuple[int, ...]:
    schedule = candidate.schedule if candidate.schedule is not None else even_schedule(candidate.cost,
                                                                                      candidate.duration)
    for amount in schedule:
        _check_amount(amount, "a yearly amount", project=candidate.code)
    if len(schedule) != candidate.duration:
        raise ProgrammeError(f"{candidate.code}: the schedule has {len(schedule)} years, the project lasts "
                             f"{candidate.duration}", code=BAD_SCHEDULE, project=candidate.code)
    if sum(schedule) != candidate.cost:
        raise ProgrammeError(f"{candidate.code}: the schedule adds up to {sum(schedule)}, the cost is "
                             f"{candidate.cost}", code=BAD_SCHEDULE, project=candidate.code,
                             amount=sum(schedule) - candidate.cost)
    return schedule


def build(envelopes: Iterable[Envelope], candidates: Iterable[Candidate], *, just_missed: int = 3) -> Programme:
    envelopes = sorted(envelopes, key=lambda e: e.year)
    if not envelopes:
        raise ProgrammeError("no budget envelope: give at least one year", code="no_envelope")
    years = [e.year for e in envelopes]
    if len(set(years)) != len(years) or years != list(range(years[0], years[0] + len(years))):
        raise ProgrammeError("the envelopes must be consecutive years, one each", code="years")
    general: dict[int, int] = {}  # what is left of each year's envelope outside the share
    share: dict[int, int] = {}  # what is left of each year's participatory share
    caps: dict[tuple[int, str], int] = {}
    for e in envelopes:
        amount = _check_amount(e.amount, "an envelope", year=e.year)
        reserved = _check_amount(e.participatory, "a participatory share", year=e.year)
        if reserved > amount:
            raise ProgrammeError(f"the {e.year} participatory share is more than the envelope",
                                 code="share", year=e.year, amount=reserved - amount)
        general[e.year], share[e.year] = amount - reserved, reserved
        for axis, cap in e.axis_caps.items():
            caps[(e.year, axis)] = _check_amount(cap, "an axis cap", year=e.year)
    first, last = years[0], years[-1]
    ordered = sorted(candidates, key=lambda c: (c.rank, c.code))
    codes = [c.code for c in ordered]
    if len(set(codes)) != len(codes):
        raise ProgrammeError("a project appears twice", code="duplicate")
    schedules = {c.code: check_schedule(c) for c in ordered}

    def overflow_at(c: Candidate, start: int, pot: dict[int, int]) -> tuple[str, int, int, str | None] | None:
        """The first overflow of c starting in `start`: (reason, year, shortfall, axis), or None if it fits."""
        for offset, amount in enumerate(schedules[c.code]):
            year = start + offset
            if amount > pot[year]:
                return ENVELOPE, year, amount - pot[year], None
            cap = caps.get((year, c.axis))
            if cap is not None and amount > cap:
                return AXIS_CAP, year, amount - cap, c.axis
        return None

    def place(c: Candidate, start: int, pinned: bool, pot: dict[int, int]) -> Placement:
        schedule = {}
        for offset, amount in enumerate(schedules[c.code]):
            year = start + offset
            pot[year] -= amount
            if (year, c.axis) in caps:
                caps[(year, c.axis)] -= amount
            schedule[year] = amount
        return Placement(c.code, c.rank, start, schedule, pinned, participatory=pot is share)

    def earliest(c: Candidate, pot: dict[int, int]) -> tuple[Placement | None, Skip | None]:
        """Place c at the earliest start where it fits `pot`, or say why it fits nowhere."""
        start0 = max(c.earliest_year, first)
        if start0 > last:
            return None, Skip(c.code, c.rank, STARTS_AFTER_PLAN, year=c.earliest_year)
        if start0 + c.duration - 1 > last:
            return None, Skip(c.code, c.rank, ENDS_AFTER_PLAN, year=start0 + c.duration - 1)
        first_problem = None
        overflow: dict[int, int] = {}
        for start in range(start0, last - c.duration + 2):
            problem = overflow_at(c, start, pot)
            if problem is None:
                return place(c, start, False, pot), None
            first_problem = first_problem or problem
            _reason, year, short, _axis = problem
            overflow[year] = min(short, overflow.get(year, short))
        reason, year, short, axis = first_problem
        return None, Skip(c.code, c.rank, reason, year=year, shortfall=short, axis=axis, overflow=overflow)

    placements: dict[str, Placement] = {}
    for c in ordered:
        if c.dropped or c.pinned_year is None:
            continue
        if c.pinned_year < first or c.pinned_year + c.duration - 1 > last:
            raise ProgrammeError(f"{c.code} is pinned to {c.pinned_year} but would run outside "
                                 f"{first}–{last}", code=ENDS_AFTER_PLAN, project=c.code, year=c.pinned_year)
        if c.share_order is not None and overflow_at(c, c.pinned_year, share) is None:
            placements[c.code] = place(c, c.pinned_year, True, share)
            continue
        problem = overflow_at(c, c.pinned_year, general)
        if problem is not None:
            reason, year, short, axis = problem
            raise ProgrammeError(
                f"the {year} envelope does not cover pinned project {c.code}: {short} MAD short"
                + (f" (cap of axis {axis})" if axis else ""),
                code="pinned_" + reason, project=c.code, year=year, amount=short)
        placements[c.code] = place(c, c.pinned_year, True, general)

    skips: dict[str, Skip] = {}
    chosen = sorted((c for c in ordered if c.share_order is not None and not c.dropped and c.code not in placements),
                    key=lambda c: (c.share_order, c.code))
    for c in chosen:
        placement, skip = earliest(c, share)
        if placement is not None:
            placements[c.code] = placement
        elif not c.ranked:
            skips[c.code] = dataclasses.replace(skip, reason=PARTICIPATORY) if skip.reason == ENVELOPE else skip

    for c in ordered:
        if c.dropped or c.code in placements or c.code in skips:
            continue
        placement, skip = earliest(c, general)
        if placement is not None:
            placements[c.code] = placement
        else:
            skips[c.code] = skip

    skipped = [skips[c.code] for c in ordered if c.code in skips]
    summaries = []
    for e in envelopes:
        missed = sorted((s for s in skipped if e.year in s.overflow), key=lambda s: (s.overflow[e.year], s.rank))
        left = general[e.year] + share[e.year]
        summaries.append(YearSummary(e.year, e.amount, e.amount - left, left,
                                     tuple(s.code for s in missed[:just_missed]), share=e.participatory,
                                     share_committed=e.participatory - share[e.year]))
    return Programme(
        placements=tuple(sorted(placements.values(), key=lambda p: (p.rank, p.code))),
        skipped=tuple(skipped),
        dropped=tuple(c.code for c in ordered if c.dropped),
        years=tuple(summaries),
    )
