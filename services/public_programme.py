"""What the public reads about the programme: the version in force (or the one proposed to the
council), grouped by year, axis or neighbourhood with its totals and budget charts, and "what
became of my idea" — the stages an idea went through, from its proposal to its execution, or
the reason it stopped.

Read-only: versions, entries and schedule lines are read from the models directly (the
committee's builder lives in services.programme). Drafts are never public.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, select
from sqlalchemy.orm import joinedload

from extensions import db
from models import (
    Axis,
    BudgetEnvelope,
    EntryState,
    ExecutionReport,
    EqualityOpinion,
    ExecutionStatus,
    Idea,
    IdeaStatus,
    Plan,
    ProgrammeEntry,
    ProgrammeVersion,
    Project,
    ProjectIdea,
    VersionStatus,
)
from prioritization.programme import even_schedule
from services import ranking
from services.errors import NotFound

PUBLIC_STATUSES = (VersionStatus.PROPOSED.value, VersionStatus.ADOPTED.value, VersionStatus.SUPERSEDED.value)
VIEWS = ("year", "axis", "neighbourhood")
DEFAULT_VIEW = "year"

_NO_VERSION = _l("This version of the programme does not exist or is not public.")


# --- the versions the public may read --------------------------------------------------------

def public_versions(plan: Plan) -> list[ProgrammeVersion]:
    """The plan's proposed, adopted and superseded versions, newest first (drafts are not public)."""
    opinions = joinedload(ProgrammeVersion.opinions)
    return list(db.session.scalars(
        select(ProgrammeVersion)
        .where(ProgrammeVersion.plan_id == plan.id, ProgrammeVersion.status.in_(PUBLIC_STATUSES))
        # The equality body's opinions shown with a version, and their corrections, in the same statement.
        .options(opinions.joinedload(EqualityOpinion.superseded_by),
                 opinions.joinedload(EqualityOpinion.supersedes))
        .order_by(ProgrammeVersion.number.desc())).unique())


def shown_version(plan: Plan, versions: list[ProgrammeVersion] | None = None) -> ProgrammeVersion | None:
    """The programme in force: the latest ADOPTED version; else the latest PROPOSED one; else None.
    `versions`: public_versions(plan) when the caller already read them (no statement then)."""
    if versions is not None:
        for status in (VersionStatus.ADOPTED, VersionStatus.PROPOSED):
            chosen = [v for v in versions if v.status == status]
            if chosen:
                return max(chosen, key=lambda v: v.number)
        return None
    for status in (VersionStatus.ADOPTED, VersionStatus.PROPOSED):
        version = db.session.scalar(
            select(ProgrammeVersion)
            .where(ProgrammeVersion.plan_id == plan.id, ProgrammeVersion.status == status)
            .order_by(ProgrammeVersion.number.desc()).limit(1))
        if version is not None:
            return version
    return None


def public_version(plan: Plan, version_id: int, versions: list[ProgrammeVersion] | None = None) -> ProgrammeVersion:
    """A non-draft version of this plan, or NotFound (drafts and other plans' versions alike).
    `versions`: public_versions(plan) when the caller already read them (no statement then)."""
    if versions is not None:
        found = next((v for v in versions if v.id == version_id), None)
        if found is None:
            raise NotFound(_NO_VERSION)
        return found
    version = db.session.get(ProgrammeVersion, version_id)
    if version is None or version.plan_id != plan.id or version.status not in PUBLIC_STATUSES:
        raise NotFound(_NO_VERSION)
    return version


# --- one version, grouped ----------------------------------------------------------------------

def schedule_of(entry: ProgrammeEntry) -> dict[int, int]:
    """year -> amount of a placed entry. Without schedule lines (not expected), the project's cost
    spread evenly from its start year, as the builder does by default."""
    if entry.schedule:
        return {line.year: line.amount for line in entry.schedule}
    if entry.start_year is None:
        return {}
    project = entry.project
    amounts = even_schedule(project.total_cost, project.duration_years)
    return {entry.start_year + i: amount for i, amount in enumerate(amounts)}


@dataclass(frozen=True)
class Line:
    """A placed project in one group: `amount` is what it costs in this group (the year's amount in
    the year view, its whole scheduled amount in the axis and neighbourhood views)."""

    entry: ProgrammeEntry
    project: Project
    amount: int
    years: tuple[int, ...]
    total: int


@dataclass(frozen=True)
class Group:
    key: str
    label: str  # a year, or an official name (picked in the request language; may be a lazy string)
    lines: tuple[Line, ...]
    total: int
    envelope: int | None = None  # year view only

    @property
    def remaining(self) -> int | None:
        return None if self.envelope is None else self.envelope - self.total


@dataclass(frozen=True)
class SkipReason:
    """The builder's reason for skipping a project, read from the entry's JSON."""

    code: str  # prioritization.programme: envelope, axis_cap, ends_after_plan, starts_after_plan, …
    year: int | None = None
    shortfall: int = 0


@dataclass(frozen=True)
class NotPlaced:
    entry: ProgrammeEntry
    project: Project
    skip: SkipReason | None  # skipped entries
    justification: str | None  # dropped entries (the committee's words)


@dataclass(frozen=True)
class BudgetRow:
    label: str
    committed: int
    envelope: int | None = None


@dataclass
class ProgrammeView:
    version: ProgrammeVersion
    view: str
    groups: list[Group]
    total: int  # everything scheduled in the version
    years: list[BudgetRow]  # committed vs envelope per plan year
    axes: list[BudgetRow]  # committed per axis
    skipped: list[NotPlaced] = field(default_factory=list)
    dropped: list[NotPlaced] = field(default_factory=list)

    @property
    def adopted(self) -> bool:
        return self.version.status == VersionStatus.ADOPTED

    @property
    def placed_count(self) -> int:
        return len({line.project.id for group in self.groups for line in group.lines})


def skip_reason(entry: ProgrammeEntry) -> SkipReason | None:
    """The builder's JSON reason ({reason, year, shortfall, axis}) as data; None if absent or unreadable."""
    if not entry.reason:
        return None
    try:
        data = json.loads(entry.reason)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    code = data.get("reason") or data.get("code")
    if not isinstance(code, str) or not code:
        return None
    year = data.get("year")
    shortfall = data.get("shortfall")
    return SkipReason(code=code, year=year if isinstance(year, int) and not isinstance(year, bool) else None,
                      shortfall=shortfall if isinstance(shortfall, int) and not isinstance(shortfall, bool) else 0)


def check_view(value: str | None) -> str:
    """?view= allowlisted: anything else is the default (year)."""
    return value if value in VIEWS else DEFAULT_VIEW


def _entries(version: ProgrammeVersion) -> list[ProgrammeEntry]:
    return list(db.session.scalars(
        select(ProgrammeEntry).where(ProgrammeEntry.version_id == version.id)
        # One statement: the schedule lines, the project and its neighbourhoods joined in.
        .options(joinedload(ProgrammeEntry.schedule),
                 joinedload(ProgrammeEntry.project).joinedload(Project.neighbourhoods))
        .order_by(ProgrammeEntry.position, ProgrammeEntry.id)).unique())


def programme_view(plan: Plan, version: ProgrammeVersion, view: str = DEFAULT_VIEW) -> ProgrammeView:
    view = check_view(view)
    entries = _entries(version)
    placed = [(e, schedule_of(e)) for e in entries if e.state == EntryState.PLACED]
    envelopes = dict(db.session.execute(  # the amounts only: not the envelopes' axis caps
        select(BudgetEnvelope.year, BudgetEnvelope.amount).where(BudgetEnvelope.plan_id == plan.id)).all())
    axes = {a.id: a for a in db.session.scalars(select(Axis).where(Axis.commune_id == plan.commune_id))}

    def line(entry, schedule, amount):
        return Line(entry=entry, project=entry.project, amount=amount, years=tuple(sorted(schedule)),
                    total=sum(schedule.values()))

    groups: list[Group] = []
    if view == "year":
        years = sorted(set(range(plan.start_year, plan.end_year + 1))
                       | {y for _, s in placed for y in s})
        for year in years:
            lines = tuple(line(e, s, s[year]) for e, s in placed if year in s)
            groups.append(Group(key=str(year), label=str(year), lines=lines, total=sum(x.amount for x in lines),
                                envelope=envelopes.get(year)))
    elif view == "axis":
        for axis in sorted(axes.values(), key=lambda a: (a.position, a.id)):
            lines = tuple(line(e, s, sum(s.values())) for e, s in placed if e.project.axis_id == axis.id)
            if lines:
                groups.append(Group(key=str(axis.id), label=axis.name, lines=lines,
                                    total=sum(x.amount for x in lines)))
    else:  # neighbourhood: a project in several neighbourhoods counts in each
        hoods: dict[int, object] = {}
        for e, _s in placed:
            for hood in e.project.neighbourhoods:
                hoods[hood.id] = hood
        for hood in sorted(hoods.values(), key=lambda h: (h.position, h.id)):
            lines = tuple(line(e, s, sum(s.values())) for e, s in placed
                          if any(h.id == hood.id for h in e.project.neighbourhoods))
            groups.append(Group(key=str(hood.id), label=hood.name, lines=lines, total=sum(x.amount for x in lines)))
        whole = tuple(line(e, s, sum(s.values())) for e, s in placed if not e.project.neighbourhoods)
        if whole:
            groups.append(Group(key="commune", label=_l("The whole commune"), lines=whole,
                                total=sum(x.amount for x in whole)))

    year_rows = []
    for year in sorted(set(range(plan.start_year, plan.end_year + 1)) | {y for _, s in placed for y in s}):
        year_rows.append(BudgetRow(label=str(year), committed=sum(s.get(year, 0) for _, s in placed),
                                   envelope=envelopes.get(year)))
    axis_rows = []
    for axis in sorted(axes.values(), key=lambda a: (a.position, a.id)):
        committed = sum(sum(s.values()) for e, s in placed if e.project.axis_id == axis.id)
        if committed or any(e.project.axis_id == axis.id for e, _ in placed):
            axis_rows.append(BudgetRow(label=axis.name, committed=committed))

    skipped = [NotPlaced(e, e.project, skip_reason(e), e.justification)
               for e in entries if e.state == EntryState.SKIPPED]
    dropped = [NotPlaced(e, e.project, None, e.justification) for e in entries if e.state == EntryState.DROPPED]
    return ProgrammeView(version=version, view=view, groups=groups, total=sum(sum(s.values()) for _, s in placed),
                         years=year_rows, axes=axis_rows, skipped=skipped, dropped=dropped)


def visa_state(version: ProgrammeVersion, today: date) -> str | None:
    """"given" (a date was recorded), "deemed" (20 days passed without one), "pending", or None
    (not adopted)."""
    if version.status not in (VersionStatus.ADOPTED, VersionStatus.SUPERSEDED) or version.session_date is None:
        return None
    if version.visa_date is not None:
        return "given"
    if version.visa_deemed_on is not None and today >= version.visa_deemed_on:
        return "deemed"
    return "pending"


# --- the budget charts' geometry (the templates draw it) ----------------------------------------

CHART_WIDTH = 440
ROW_LABEL = 18  # the label line above each bar
ROW_BAR = 18
ROW_GAP = 14
CHART_TOP = 6


@dataclass(frozen=True)
class BudgetBar:
    label: str
    committed: int
    envelope: int | None
    label_y: float  # baseline of the label line
    y: float  # top of the bar
    height: float
    committed_width: float
    envelope_width: float | None
    over: bool  # committed above the envelope


@dataclass(frozen=True)
class BudgetChart:
    width: int
    height: int
    x0: float
    x1: float
    bars: tuple[BudgetBar, ...]
    scale_max: int

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def budget_chart(rows: Iterable[BudgetRow], *, width: int = CHART_WIDTH) -> BudgetChart:
    """One row per item: its label, then a bar for the committed amount drawn over an outlined bar
    for the envelope (when there is one). One scale for all rows: the largest amount shown."""
    rows = tuple(rows)
    scale_max = max([r.committed for r in rows] + [r.envelope or 0 for r in rows] + [0])
    x0, x1 = 2.0, float(width - 2)
    span = x1 - x0

    def w(amount: int) -> float:
        return 0.0 if scale_max <= 0 else span * max(0, amount) / scale_max

    bars = []
    step = ROW_LABEL + ROW_BAR + ROW_GAP
    for index, row in enumerate(rows):
        top = CHART_TOP + index * step
        bars.append(BudgetBar(
            label=row.label, committed=row.committed, envelope=row.envelope, label_y=top + ROW_LABEL - 5,
            y=top + ROW_LABEL, height=ROW_BAR, committed_width=w(row.committed),
            envelope_width=None if row.envelope is None else w(row.envelope),
            over=row.envelope is not None and row.committed > row.envelope))
    height = CHART_TOP + len(rows) * step
    return BudgetChart(width=width, height=max(height, CHART_TOP + 1), x0=x0, x1=x1, bars=tuple(bars),
                       scale_max=scale_max)


# --- "what became of my idea" --------------------------------------------------------------------

# Stage states: reached and behind it; where the idea stands now; where it stopped; still to come.
DONE, CURRENT, STOPPED, UPCOMING = "done", "current", "stopped", "upcoming"


@dataclass(frozen=True)
class Stage:
    """One step of an idea's way. `kind` says which (the template words it):

    draft, proposed, rejected, hidden, no_project, project, ranked, not_ranked, no_programme,
    not_in_programme, skipped, dropped, programme, not_started, executing, execution_dropped, done.
    """

    kind: str
    state: str
    on: date | datetime | None = None
    project: Project | None = None
    rank: int | None = None
    ranked_of: int | None = None
    round_name: str | None = None
    version: ProgrammeVersion | None = None
    years: tuple[int, ...] = ()
    status: str | None = None
    percent: int | None = None
    text: str | None = None  # as written: a moderator's note, the committee's justification, a reason
    skip: SkipReason | None = None

    @property
    def current(self) -> bool:
        return self.state in (CURRENT, STOPPED)

    @property
    def adopted(self) -> bool:
        return self.version is not None and self.version.status == VersionStatus.ADOPTED


# The way an idea goes when nothing stops it; a stage not reached yet is shown as to come.
PATH = ("proposed", "project", "ranked", "programme", "executing", "done")


def _finish(stages: list[Stage], reached: str) -> list[Stage]:
    """Add the stages still to come after `reached` (a step of PATH)."""
    rest = PATH[PATH.index(reached) + 1:]
    return stages + [Stage(kind=kind, state=UPCOMING) for kind in rest]


_UNKNOWN = object()


def _shown_version_entry(project: Project) -> tuple[ProgrammeVersion | None, ProgrammeEntry | None]:
    """shown_version(project's plan) and the project's entry in it (with its schedule): one statement."""
    adopted_first = case((ProgrammeVersion.status == VersionStatus.ADOPTED, 0), else_=1)
    row = db.session.execute(
        select(ProgrammeVersion, ProgrammeEntry)
        .outerjoin(ProgrammeEntry, and_(ProgrammeEntry.version_id == ProgrammeVersion.id,
                                        ProgrammeEntry.project_id == project.id))
        .where(ProgrammeVersion.plan_id == project.plan_id,
               ProgrammeVersion.status.in_((VersionStatus.ADOPTED, VersionStatus.PROPOSED)))
        .options(joinedload(ProgrammeEntry.schedule))
        .order_by(adopted_first, ProgrammeVersion.number.desc()).limit(1)).unique().first()
    return (row[0], row[1]) if row is not None else (None, None)


def idea_timeline(idea: Idea, project: Project | None = _UNKNOWN) -> list[Stage]:  # type: ignore[assignment]
    """The stages of the idea, in order; exactly one is current (aria-current="step"): where it
    stands now, where it stopped, or "done".

    `project`: the project the idea became when the caller already read it (None: none) — the
    idea page has it, so an idea in no project costs no statement here."""
    if idea.status == IdeaStatus.DRAFT:
        return [Stage(kind="draft", state=CURRENT, on=idea.created_at)]
    stages = [Stage(kind="proposed", state=DONE, on=idea.submitted_at or idea.created_at)]
    if idea.status == IdeaStatus.REJECTED:
        return stages + [Stage(kind="rejected", state=STOPPED, on=idea.reviewed_at, text=idea.review_note)]
    if idea.hidden:
        return stages + [Stage(kind="hidden", state=STOPPED, text=idea.hidden_reason)]

    if project is None:
        link = None
    elif project is not _UNKNOWN:  # the caller read the project with its link (identity map: no statement)
        link = db.session.get(ProjectIdea, (project.id, idea.id))
    else:
        link = db.session.scalar(select(ProjectIdea).where(ProjectIdea.idea_id == idea.id))
    if link is None:
        return _finish(stages + [Stage(kind="no_project", state=CURRENT)], "project")
    project = db.session.get(Project, link.project_id)
    stages.append(Stage(kind="project", state=DONE, on=link.linked_at, project=project))

    version, entry = _shown_version_entry(project)
    rows = ranking.published_rows_for(project)
    if rows:
        row = rows[0]
        stages.append(Stage(kind="ranked", state=DONE, on=row.round.published_at, project=project,
                            rank=row.row.get("rank"), ranked_of=row.projects, round_name=row.round.name))
    elif entry is None:  # a project in a public programme needs no ranking of its own to be told
        return _finish(stages + [Stage(kind="not_ranked", state=CURRENT, project=project)], "ranked")

    if version is None:
        return _finish(stages + [Stage(kind="no_programme", state=CURRENT, project=project)], "programme")
    if entry is None:
        return stages + [Stage(kind="not_in_programme", state=STOPPED, project=project, version=version)]
    if entry.state == EntryState.SKIPPED:
        return stages + [Stage(kind="skipped", state=STOPPED, project=project, version=version,
                               skip=skip_reason(entry), text=entry.justification)]
    if entry.state == EntryState.DROPPED:
        return stages + [Stage(kind="dropped", state=STOPPED, project=project, version=version,
                               text=entry.justification)]
    years = tuple(sorted(schedule_of(entry)))
    on = version.session_date if version.status == VersionStatus.ADOPTED else version.proposed_at
    stages.append(Stage(kind="programme", state=DONE, on=on, project=project, version=version, years=years))

    report = db.session.scalar(
        select(ExecutionReport).where(ExecutionReport.project_id == project.id)
        .order_by(ExecutionReport.year.desc(), ExecutionReport.updated_at.desc()).limit(1))
    if report is None:
        return _finish(stages + [Stage(kind="not_started", state=CURRENT, project=project)], "executing")
    if report.status == ExecutionStatus.DROPPED:
        return stages + [Stage(kind="execution_dropped", state=STOPPED, on=report.updated_at, project=project,
                               status=report.status, percent=report.percent_complete, text=report.reason)]
    if report.status == ExecutionStatus.DONE:
        return stages + [
            Stage(kind="executing", state=DONE, project=project, status=report.status, percent=100),
            Stage(kind="done", state=CURRENT, on=report.updated_at, project=project, percent=100)]
    text = report.reason if report.status == ExecutionStatus.BLOCKED else None
    return _finish(stages + [Stage(kind="executing", state=CURRENT, on=report.updated_at, project=project,
                                   status=report.status, percent=report.percent_complete, text=text)],
                   "executing")
