"""Execution follow-up: where each project of the programme stands per year (status, % complete,
amount spent, causes of delay), its dated milestones with an optional photo, and the annual
monitoring report presented to the council (DOMAIN.md §1, *practice*).

Rules live here (the views only parse and commit): progress is a whole number 0–100; going back
compared to the previous report (same or earlier year) needs a reason, so does a blocked or
dropped status; "done" means 100 %; years outside the plan do not exist. Photos are accepted by
their content (magic bytes: JPEG, PNG, WebP), never by their name, and stored under a random
name. Functions take plain data, flush and never commit; refusals are ServiceError subclasses.

The programme a report follows is the plan's latest ADOPTED version; without one, the latest
version of any status (public pages: drafts left out) is used and the pages say so.
"""
from __future__ import annotations

import os
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from extensions import db
from models import (
    Axis,
    EntryState,
    ExecutionReport,
    ExecutionStatus,
    Milestone,
    Neighbourhood,
    Plan,
    ProgrammeEntry,
    ProgrammeVersion,
    Project,
    ScheduleLine,
    User,
    VersionStatus,
)
from services import access, audit
from services.text import check_text
from services.errors import NotAllowed, NotFound, ServiceError

STATUSES = tuple(s.value for s in ExecutionStatus)
NEEDS_REASON = frozenset({ExecutionStatus.BLOCKED.value, ExecutionStatus.DROPPED.value})
TEXT_MAX = 2000
LABEL_MAX = 300  # models.Milestone.label
ALT_MAX = 300  # models.Milestone.photo_alt
AMOUNT_MAX = 100_000_000_000  # MAD, as services.projects
PHOTO_MAX = 2 * 1024 * 1024  # bytes
PHOTO_DIR = "milestones"
# stored extension -> Content-Type; the extension is chosen from the content, never the upload's name
PHOTO_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}

NOT_AN_UPDATER = _l("Only the committee members who score and the commune's administrators can update "
                    "the execution follow-up.")
NOT_A_READER = _l("Only the members of this plan's committee and the commune's administrators can see this page.")


class ExecutionError(ServiceError):
    """A refused report or milestone (400), naming the field at fault."""


# --- access ------------------------------------------------------------------------------------

def can_update(user: User | None, plan: Plan) -> bool:
    return access.can_update_execution(user, plan)


def can_read(user: User | None, plan: Plan) -> bool:
    return access.can_update_execution(user, plan) or access.can_read_committee(user, plan)


def _require_updater(actor: User, plan: Plan) -> None:
    if not can_update(actor, plan):
        raise NotAllowed(NOT_AN_UPDATER)


# --- years and the programme followed -----------------------------------------------------------

def plan_years(plan: Plan) -> list[int]:
    return list(range(plan.start_year, plan.end_year + 1))


def check_year(plan: Plan, year: int) -> int:
    if year not in plan_years(plan):
        raise NotFound(_l("The plan runs from %(start)s to %(end)s: there is no year %(year)s in it.",
                          start=plan.start_year, end=plan.end_year, year=year))
    return year


def default_year(plan: Plan, today: date) -> int:
    """This year, brought inside the plan's years."""
    return min(max(today.year, plan.start_year), plan.end_year)


@dataclass
class Followed:
    """The programme version the follow-up uses (None: no version yet) and whether it is adopted."""

    version: ProgrammeVersion | None
    adopted: bool

    @property
    def entries(self) -> list[ProgrammeEntry]:
        if self.version is None:
            return []
        return [e for e in self.version.entries if e.state == EntryState.PLACED]


def followed_version(plan: Plan, *, public: bool = False) -> Followed:
    """The latest ADOPTED version; else the latest version of any status (drafts only when not public)."""
    stmt = select(ProgrammeVersion).where(ProgrammeVersion.plan_id == plan.id)
    if public:
        stmt = stmt.where(ProgrammeVersion.status != VersionStatus.DRAFT)
    adopted_first = case((ProgrammeVersion.status == VersionStatus.ADOPTED, 0), else_=1)
    version = db.session.scalar(stmt.order_by(adopted_first, ProgrammeVersion.number.desc()).limit(1))
    return Followed(version, version is not None and version.status == VersionStatus.ADOPTED)


def _programmed(entries: Iterable[ProgrammeEntry], year: int) -> dict[int, int]:
    """project id -> amount its schedule programmes in `year` (entries without a line are absent)."""
    out: dict[int, int] = {}
    for entry in entries:
        for line in entry.schedule:
            if line.year == year:
                out[entry.project_id] = out.get(entry.project_id, 0) + line.amount
    return out


# --- reading reports -----------------------------------------------------------------------------

def get_project(plan: Plan, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or project.plan_id != plan.id:
        raise NotFound(_l("This project does not exist."))
    return project


def get_report(project: Project, year: int) -> ExecutionReport | None:
    return db.session.scalar(select(ExecutionReport).where(
        ExecutionReport.project_id == project.id, ExecutionReport.year == year))


def previous_report(project: Project, year: int) -> ExecutionReport | None:
    """The report progress is compared with: this year's if there is one, else the latest earlier one."""
    return db.session.scalar(
        select(ExecutionReport).where(ExecutionReport.project_id == project.id, ExecutionReport.year <= year)
        .order_by(ExecutionReport.year.desc()).limit(1))


def _reports(project_ids: list[int], up_to: int) -> dict[int, list[ExecutionReport]]:
    """project id -> its reports of `up_to` and earlier, latest first."""
    out: dict[int, list[ExecutionReport]] = defaultdict(list)
    if project_ids:
        for report in db.session.scalars(
                select(ExecutionReport).where(ExecutionReport.project_id.in_(project_ids),
                                              ExecutionReport.year <= up_to)
                .order_by(ExecutionReport.year.desc())):
            out[report.project_id].append(report)
    return out


@dataclass
class Standing:
    """A project in one year: its report of that year, or the latest earlier one carried forward."""

    project: Project
    programmed: int  # MAD the programme schedules for it that year
    report: ExecutionReport | None  # the report of that very year
    carried: ExecutionReport | None = None  # the latest earlier report when there is none this year
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def known(self) -> ExecutionReport | None:
        return self.report or self.carried

    @property
    def status(self) -> str | None:
        """None: no report at all yet."""
        return self.known.status if self.known else None

    @property
    def percent(self) -> int:
        return self.known.percent_complete if self.known else 0

    @property
    def spent(self) -> int:
        """Spent in that year: only that year's report counts."""
        return self.report.amount_spent if self.report else 0


def _standings(projects: list[Project], programmed: dict[int, int], year: int) -> list[Standing]:
    reports = _reports([p.id for p in projects], year)
    rows = []
    for project in projects:
        found = reports.get(project.id, [])
        this_year = found[0] if found and found[0].year == year else None
        carried = None if this_year else (found[0] if found else None)
        rows.append(Standing(project, programmed.get(project.id, 0), this_year, carried))
    return rows


@dataclass
class Overview:
    year: int
    followed: Followed
    rows: list[Standing]
    whole_plan: bool  # no programme version yet: every project of the plan is listed


def overview(plan: Plan, year: int) -> Overview:
    """The projects of the programme followed, with where they stand in `year` (committee page)."""
    check_year(plan, year)
    followed = followed_version(plan)
    entries = followed.entries
    if followed.version is None:
        projects = list(db.session.scalars(select(Project).where(Project.plan_id == plan.id)
                                           .order_by(Project.code, Project.id)))
    else:
        projects = sorted((e.project for e in entries), key=lambda p: (p.code, p.id))
    return Overview(year, followed, _standings(projects, _programmed(entries, year), year),
                    whole_plan=followed.version is None)


# --- the annual monitoring report -----------------------------------------------------------------

@dataclass
class Group:
    """Totals of a group of projects (an axis, a neighbourhood, or the whole year)."""

    key: object = None
    name: str = ""
    projects: int = 0
    programmed: int = 0
    spent: int = 0
    weighted: int = 0  # sum of percent × programmed

    def add(self, row: Standing) -> None:
        self.projects += 1
        self.programmed += row.programmed
        self.spent += row.spent
        self.weighted += row.percent * row.programmed

    @property
    def completion(self) -> float | None:
        """Average % complete weighted by the year's programmed amounts (0–1); None when nothing is programmed."""
        if self.programmed <= 0:
            return None
        return self.weighted / self.programmed / 100


@dataclass
class AnnualReport:
    year: int
    followed: Followed
    rows: list[Standing]
    total: Group
    by_status: list[tuple[str | None, int]]  # (status or None for "no report yet", count), in STATUSES order
    by_axis: list[Group]
    by_neighbourhood: list[Group]  # key None = projects for the whole commune (no neighbourhood)
    milestones: list[Milestone]

    @property
    def empty(self) -> bool:
        return not self.rows


def annual_report(plan: Plan, year: int) -> AnnualReport:
    """The year's figures for the council's session (public: drafts are never the programme shown).

    Projects: those the programme followed schedules money for in `year`, plus any project of the
    plan with a report or a milestone that year. Completion = Σ(% × programmed) / Σ programmed.
    """
    check_year(plan, year)
    followed = followed_version(plan, public=True)
    # What the followed version schedules in `year`, per project (placed entries), summed in SQL.
    programmed = {pid: int(total) for pid, total in db.session.execute(  # PostgreSQL sums to numeric
        select(ProgrammeEntry.project_id, func.sum(ScheduleLine.amount))
        .join(ScheduleLine, ScheduleLine.entry_id == ProgrammeEntry.id)
        .where(ProgrammeEntry.version_id == followed.version.id, ProgrammeEntry.state == EntryState.PLACED,
               ScheduleLine.year == year)
        .group_by(ProgrammeEntry.project_id))} if followed.version is not None else {}
    milestones = list(db.session.scalars(
        select(Milestone).join(Project, Project.id == Milestone.project_id)
        .where(Project.plan_id == plan.id, Milestone.happened_on.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(Milestone.happened_on, Milestone.id)))
    ids = set(programmed) | {m.project_id for m in milestones}
    reported = select(ExecutionReport.project_id).where(ExecutionReport.year == year)
    # The projects (with their axis and neighbourhoods), those with a report this year included: one statement.
    found = db.session.execute(
        select(Project, Axis).join(Axis, Axis.id == Project.axis_id)
        .where(Project.plan_id == plan.id, or_(Project.id.in_(ids), Project.id.in_(reported)))
        .options(joinedload(Project.neighbourhoods))
        .order_by(Project.code, Project.id)).unique().all()
    projects = [p for p, _axis in found]
    axis_rows = {axis.id: axis for _p, axis in found}
    hood_rows = {h.id: h for p in projects for h in p.neighbourhoods}
    rows = _standings(projects, programmed, year)
    per_project: dict[int, list[Milestone]] = defaultdict(list)
    for m in milestones:
        per_project[m.project_id].append(m)
    for row in rows:
        row.milestones = per_project.get(row.project.id, [])

    total = Group()
    counts: dict[str | None, int] = defaultdict(int)
    axes: dict[int, Group] = {}
    hoods: dict[int | None, Group] = {}
    for row in rows:
        total.add(row)
        counts[row.status] += 1
        axes.setdefault(row.project.axis_id, Group(key=row.project.axis_id)).add(row)
        for hood in row.project.neighbourhoods or [None]:
            key = hood.id if hood is not None else None
            hoods.setdefault(key, Group(key=key)).add(row)
    for key, group in axes.items():
        group.name = axis_rows[key].name
    for key, group in hoods.items():
        group.name = hood_rows[key].name if key is not None else ""
    by_axis = sorted(axes.values(), key=lambda g: (axis_rows[g.key].position, g.key))
    by_hood = sorted(hoods.values(), key=lambda g: (g.key is None, hood_rows[g.key].position if g.key else 0,
                                                    g.key or 0))
    by_status = [(s, counts[s]) for s in STATUSES if counts.get(s)]
    if counts.get(None):
        by_status.append((None, counts[None]))
    return AnnualReport(year, followed, rows, total, by_status, by_axis, by_hood, milestones)


# --- a project's progress (its public sheet) ------------------------------------------------------

@dataclass
class ProjectProgress:
    reports: list[ExecutionReport]  # by year
    milestones: list[Milestone]  # by date
    # (year, amount) of the project's yearly cost schedule in the public programme being followed
    schedule: list[tuple[int, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.reports and not self.milestones


def project_progress(project: Project) -> ProjectProgress:
    reports = list(db.session.scalars(select(ExecutionReport).where(ExecutionReport.project_id == project.id)
                                      .order_by(ExecutionReport.year)))
    # The project's schedule lines in followed_version(plan, public=True), in one statement (not the
    # whole version's entries): the latest adopted version, else the latest non-draft one.
    adopted_first = case((ProgrammeVersion.status == VersionStatus.ADOPTED, 0), else_=1)
    followed = (select(ProgrammeVersion.id)
                .where(ProgrammeVersion.plan_id == project.plan_id, ProgrammeVersion.status != VersionStatus.DRAFT)
                .order_by(adopted_first, ProgrammeVersion.number.desc()).limit(1).scalar_subquery())
    schedule = db.session.execute(
        select(ScheduleLine.year, ScheduleLine.amount).join(ProgrammeEntry, ProgrammeEntry.id == ScheduleLine.entry_id)
        .where(ProgrammeEntry.project_id == project.id, ProgrammeEntry.version_id == followed)).all()
    return ProjectProgress(reports, milestones_of(project), sorted((y, a) for y, a in schedule))


def milestones_of(project: Project) -> list[Milestone]:
    return list(db.session.scalars(select(Milestone).where(Milestone.project_id == project.id)
                                   .order_by(Milestone.happened_on, Milestone.id)))


# --- saving a report ------------------------------------------------------------------------------

@dataclass
class ReportInput:
    """A report as plain data (numbers already parsed; None when left empty)."""

    status: str = ExecutionStatus.NOT_STARTED.value
    percent_complete: int | None = None
    amount_spent: int | None = None
    delay_causes: str = ""
    reason: str = ""


def _values(report: ExecutionReport | None) -> dict | None:
    if report is None:
        return None
    return {"status": report.status, "percent_complete": report.percent_complete,
            "amount_spent": report.amount_spent, "delay_causes": report.delay_causes, "reason": report.reason}


def _whole(value, name: str, maximum: int, message) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ExecutionError(message, field=name)
    return value


def check_report(project: Project, year: int, data: ReportInput) -> dict:
    """The report's values, or an ExecutionError naming the field at fault."""
    if data.status not in STATUSES:
        raise ExecutionError(_l("Choose the status from the list."), field="status")
    percent = data.percent_complete
    if percent is None and data.status == ExecutionStatus.DONE:
        percent = 100
    if percent is None:
        raise ExecutionError(_l("Enter the progress as a whole number from 0 to 100."), field="percent_complete")
    percent = _whole(percent, "percent_complete", 100,
                     _l("The progress is a whole number from 0 to 100 (per cent)."))
    if data.status == ExecutionStatus.DONE and percent != 100:
        raise ExecutionError(_l("A finished project is %(n)s%% complete: enter 100 or choose another status.",
                                n=100), field="percent_complete")
    spent = _whole(0 if data.amount_spent is None else data.amount_spent, "amount_spent", AMOUNT_MAX,
                   _l("Write the amount spent in whole dirhams, 0 or more."))
    delay_causes = check_text(data.delay_causes, "delay_causes", max_length=TEXT_MAX, required=False)
    reason = check_text(data.reason, "reason", max_length=TEXT_MAX, required=False)
    if data.status in NEEDS_REASON and not reason:
        raise ExecutionError(_l("Say why the project is blocked or dropped."), field="reason")
    before = previous_report(project, year)
    if before is not None and percent < before.percent_complete and not reason:
        raise ExecutionError(
            _l("The progress goes back from %(before)s%% (%(year)s) to %(now)s%%: say why.",
               before=before.percent_complete, year=before.year, now=percent), field="reason")
    return {"status": data.status, "percent_complete": percent, "amount_spent": spent,
            "delay_causes": delay_causes, "reason": reason}


def save_report(plan: Plan, project: Project, year: int, data: ReportInput, actor: User) -> tuple[ExecutionReport, bool]:
    """Create or change the project's report for `year`; returns it and whether anything changed (audited)."""
    _require_updater(actor, plan)
    if project.plan_id != plan.id:
        raise NotFound(_l("This project does not exist."))
    check_year(plan, year)
    values = check_report(project, year, data)
    before = previous_report(project, year)  # progress is told when the percent goes up from it
    before_percent = before.percent_complete if before is not None else 0  # (`before` may be `report`)
    report = get_report(project, year)
    old = _values(report)
    if old == values:
        return report, False
    if report is None:
        report = ExecutionReport(project_id=project.id, year=year)
        db.session.add(report)
    for name, value in values.items():
        setattr(report, name, value)
    report.updated_by_id = actor.id
    db.session.flush()
    audit.record("execution.report_saved", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="project", target_id=project.id,
                 details={"plan": plan.id, "code": project.code, "year": year, "old": old, "new": values})
    if values["percent_complete"] > before_percent:
        from services import notifications  # the authors of the ideas the project came from

        notifications.notify_idea_authors(project, "idea_progress", year=year,
                                          percent=values["percent_complete"], status=values["status"])
    return report, True


def report_input(report: ExecutionReport | None) -> ReportInput:
    """A stored report as form input (a blank report when there is none)."""
    if report is None:
        return ReportInput()
    return ReportInput(report.status, report.percent_complete, report.amount_spent,
                       report.delay_causes or "", report.reason or "")


# --- milestones -----------------------------------------------------------------------------------

@dataclass
class MilestoneInput:
    happened_on: date | None = None
    label: str = ""
    photo: bytes | None = None  # the uploaded file's content (None or b"": no photo)
    photo_alt: str = ""


def photo_extension(content: bytes) -> str | None:
    """The stored extension for a JPEG, PNG or WebP image, read from its first bytes; None otherwise."""
    if content.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return ".webp"
    return None


def photo_folder(upload_root: str) -> str:
    return os.path.join(upload_root, PHOTO_DIR)


def add_milestone(plan: Plan, project: Project, data: MilestoneInput, actor: User, upload_root: str,
                  today: date) -> Milestone:
    """A dated milestone, with an optional photo stored under a random name in upload_root/milestones."""
    _require_updater(actor, plan)
    if project.plan_id != plan.id:
        raise NotFound(_l("This project does not exist."))
    if data.happened_on is None:
        raise ExecutionError(_l("Enter the date of the milestone."), field="happened_on")
    if not plan.start_year <= data.happened_on.year <= plan.end_year:
        raise ExecutionError(_l("The date must fall within the plan's years (%(start)s–%(end)s).",
                                start=plan.start_year, end=plan.end_year), field="happened_on")
    if data.happened_on > today:
        raise ExecutionError(_l("A milestone records what happened: its date cannot be in the future."),
                             field="happened_on")
    label = check_text(data.label, "label", max_length=LABEL_MAX,
                       required_message=_l("Say in a few words what happened."))
    alt = check_text(data.photo_alt, "photo_alt", max_length=ALT_MAX, required=False)
    extension = None
    if data.photo:
        if len(data.photo) > PHOTO_MAX:
            raise ExecutionError(_l("The photo is larger than 2 MB: send a smaller one."), field="photo")
        extension = photo_extension(data.photo)
        if extension is None:
            raise ExecutionError(_l("Send a JPEG, PNG or WebP photo."), field="photo")
        if not alt:
            raise ExecutionError(_l("Describe the photo for people who cannot see it."), field="photo_alt")
    elif alt:
        alt = None  # no photo: nothing to describe
    name = None
    if extension:
        folder = photo_folder(upload_root)
        os.makedirs(folder, exist_ok=True)
        name = secrets.token_hex(16) + extension
        with open(os.path.join(folder, name), "xb") as handle:
            handle.write(data.photo)
    milestone = Milestone(project_id=project.id, happened_on=data.happened_on, label=label, photo=name,
                          photo_alt=alt if name else None, created_by_id=actor.id)
    try:
        db.session.add(milestone)
        db.session.flush()
        audit.record("execution.milestone_added", actor_id=actor.id, commune_id=plan.commune_id,
                     target_kind="project", target_id=project.id,
                     details={"plan": plan.id, "code": project.code, "milestone": milestone.id,
                              "date": data.happened_on.isoformat(), "label": label, "photo": bool(name)})
    except Exception:
        if name:
            _remove(upload_root, name)
        raise
    return milestone


def get_milestone(plan: Plan, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or db.session.get(Project, milestone.project_id).plan_id != plan.id:
        raise NotFound(_l("This milestone does not exist."))
    return milestone


def get_public_milestone(commune_id: int, milestone_id: int) -> Milestone:
    """A milestone of any plan of the commune (photos stay reachable after a new plan starts)."""
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or db.session.get(Project, milestone.project_id).commune_id != commune_id:
        raise NotFound(_l("This milestone does not exist."))
    return milestone


def photo_type(milestone: Milestone) -> str | None:
    if not milestone.photo:
        return None
    return PHOTO_TYPES.get(os.path.splitext(milestone.photo)[1])


def delete_milestone(plan: Plan, milestone: Milestone, actor: User, upload_root: str) -> str | None:
    """Remove the milestone (audited); returns its photo's stored name for the caller to delete after commit."""
    _require_updater(actor, plan)
    project = db.session.get(Project, milestone.project_id)
    if project is None or project.plan_id != plan.id:
        raise NotFound(_l("This milestone does not exist."))
    details = {"plan": plan.id, "code": project.code, "milestone": milestone.id,
               "date": milestone.happened_on.isoformat(), "label": milestone.label, "photo": bool(milestone.photo)}
    photo = milestone.photo
    db.session.delete(milestone)
    db.session.flush()
    audit.record("execution.milestone_deleted", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="project", target_id=project.id, details=details)
    return photo


def remove_photo(upload_root: str, name: str | None) -> None:
    """Delete a stored photo file (after the deletion was committed)."""
    if name:
        _remove(upload_root, name)


def _remove(upload_root: str, name: str) -> None:
    path = os.path.join(photo_folder(upload_root), os.path.basename(name))
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


__all__ = [
    "AnnualReport", "ExecutionError", "Followed", "Group", "MilestoneInput", "Overview", "ProjectProgress",
    "ReportInput", "Standing", "add_milestone", "annual_report", "can_read", "can_update", "check_year",
    "default_year", "delete_milestone", "followed_version", "get_milestone", "get_project",
    "get_public_milestone", "get_report", "milestones_of", "overview", "photo_extension", "photo_type",
    "plan_years", "previous_report", "project_progress", "remove_photo", "report_input", "save_report",
]
