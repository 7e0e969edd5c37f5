"""Projects of the plan: the committee makes them from residents' ideas (PAC project sheet, DOMAIN.md §1).

Every rule of the sheet is checked here (codes, titles, the money sums, the years, the
ideas), not only in the form. Functions take plain data, flush and never commit; refusals
are ServiceError subclasses with translated messages naming the field at fault.

citizen_support counts, never copies: distinct residents who supported any of a project's ideas.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from extensions import db
from models import (
    PUBLIC_STATUSES,
    SDG_GOALS,
    AssociationSupport,
    Axis,
    Competence,
    Idea,
    Marker,
    Neighbourhood,
    Plan,
    Project,
    ProjectIdea,
    ProjectIndicator,
    ProjectNeighbourhood,
    ProjectPartner,
    Support,
    User,
)
from services import access, audit, notifications
from services.communes import check_text, tifinagh_problem
from services.errors import Conflict, NotAllowed, NotFound, ServiceError

CODE_MAX = 20
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")
TITLE_MAX = 300
SECTOR_MAX = 120
OBJECTIVES_MAX = 4000
DEPARTMENT_MAX = 200
INDICATOR_LABEL_MAX = 200
INDICATOR_UNIT_MAX = 40
PARTNER_NAME_MAX = 200
MAX_INDICATORS = 3
MAX_PARTNERS = 4
MAX_IDEAS = 50
AMOUNT_MAX = 100_000_000_000  # MAD: far above any commune budget, far below BigInteger
PEOPLE_MAX = 100_000_000
MEASURE_MAX = Decimal("99999999999999.99")  # Numeric(16, 2)
DURATION_MIN, DURATION_MAX = 1, 6
PER_PAGE = 50
COMPETENCES = tuple(c.value for c in Competence)
MARKERS = tuple(int(m) for m in Marker)
MARKER_FIELDS = ("marker_gender", "marker_environment", "marker_accessibility")

NOT_A_MEMBER = _l("Only the members of this plan's committee who score can make or change projects.")


class _Shown:
    """A number formatted in the reader's language when the message is shown (MAD or plain)."""

    def __init__(self, value: int, *, money: bool = False):
        self.value, self.money = value, money

    def __str__(self) -> str:
        from services.formatting import mad, number

        return mad(self.value) if self.money else number(self.value)


def _money(amount: int) -> _Shown:
    return _Shown(amount, money=True)


# --- inputs --------------------------------------------------------------------------------------

@dataclass
class IndicatorInput:
    label: str = ""
    unit: str = ""
    baseline: Decimal | int | None = None
    target: Decimal | int | None = None


@dataclass
class PartnerInput:
    name: str = ""
    amount: int | None = None


@dataclass
class ProjectInput:
    """The project sheet as plain data (numbers already parsed; None when left empty)."""

    code: str = ""
    title_ar: str = ""
    title_fr: str = ""
    title_zgh: str = ""
    axis_id: int | None = None
    neighbourhood_ids: Sequence[int] = ()
    sector: str = ""
    competence: str = Competence.OWN.value
    objectives: str = ""
    beneficiaries_total: int | None = None
    beneficiaries_women: int | None = None
    beneficiaries_men: int | None = None
    beneficiaries_disabled: int | None = None
    indicators: Sequence[IndicatorInput] = ()
    partners: Sequence[PartnerInput] = ()
    total_cost: int | None = None
    commune_share: int | None = None
    duration_years: int | None = 1
    earliest_start_year: int | None = None
    executing_department: str = ""
    sdgs: Sequence[int] = ()
    marker_gender: int = 0
    marker_environment: int = 0
    marker_accessibility: int = 0


@dataclass
class _Clean:
    columns: dict
    neighbourhood_ids: list[int]
    indicators: list[tuple[str, str | None, Decimal | None, Decimal | None]]
    partners: list[tuple[str, int]]


# --- reading -------------------------------------------------------------------------------------

def get(plan: Plan, project_id: int) -> Project:
    project = db.session.get(Project, project_id)
    if project is None or project.plan_id != plan.id:
        raise NotFound(_l("This project does not exist."))
    return project


def get_by_code(plan: Plan, code: str) -> Project:
    """The plan's project with this code (any case), or NotFound."""
    project = db.session.execute(
        select(Project).where(Project.plan_id == plan.id, Project.code == (code or "").strip().upper())
        # One statement: a sheet has a few of each (their product stays small).
        .options(joinedload(Project.neighbourhoods), joinedload(Project.indicators),
                 joinedload(Project.partners))
    ).unique().scalar_one_or_none()
    if project is None:
        raise NotFound(_l("This project does not exist."))
    return project


@dataclass
class Sheet:
    """A project's public sheet: the project (neighbourhoods, indicators, partners and the equality
    body's opinions loaded), its axis and its supports counted as support_counts() does."""

    project: Project
    axis: Axis
    citizens: int
    associations: int


def sheet(plan: Plan, code: str) -> Sheet:
    """get_by_code(), with the axis, the opinions and the two support counts: ONE statement."""
    from models import EqualityOpinion  # models/equality.py defines Project.equality_opinions

    ideas = select(ProjectIdea.idea_id).where(ProjectIdea.project_id == Project.id)
    citizens = (select(func.count(func.distinct(Support.user_id))).where(Support.idea_id.in_(ideas))
                .correlate(Project).scalar_subquery())
    associations = (select(func.count(func.distinct(AssociationSupport.association_id)))
                    .where(AssociationSupport.idea_id.in_(ideas)).correlate(Project).scalar_subquery())
    opinions = joinedload(Project.equality_opinions)
    row = db.session.execute(
        select(Project, Axis, citizens, associations).join(Axis, Axis.id == Project.axis_id)
        .where(Project.plan_id == plan.id, Project.code == (code or "").strip().upper())
        .options(joinedload(Project.neighbourhoods), joinedload(Project.indicators), joinedload(Project.partners),
                 opinions.joinedload(EqualityOpinion.superseded_by), opinions.joinedload(EqualityOpinion.supersedes))
    ).unique().first()
    if row is None:
        raise NotFound(_l("This project does not exist."))
    return Sheet(row[0], row[1], int(row[2] or 0), int(row[3] or 0))


def next_code(plan: Plan, commune_slug: str) -> str:
    """The next free "TET-NN" of the plan: the first three letters of the commune's slug."""
    prefix = (re.sub(r"[^A-Za-z]", "", commune_slug)[:3] or "PRJ").upper()
    codes = db.session.scalars(
        select(Project.code).where(Project.plan_id == plan.id, Project.code.like(f"{prefix}-%")))
    numbers = [int(m.group(1)) for c in codes if (m := re.fullmatch(re.escape(prefix) + r"-(\d{1,6})", c))]
    return f"{prefix}-{(max(numbers) + 1) if numbers else 1:02d}"


@dataclass
class ProjectRow:
    project: Project
    axis: Axis
    citizen_support: int
    association_support: int
    ideas: int


@dataclass
class ProjectPage:
    rows: list[ProjectRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def list_projects(plan: Plan, *, axis_id: int | None = None, neighbourhood_id: int | None = None,
                  page: int = 1, per_page: int = PER_PAGE) -> ProjectPage:
    """One page of the plan's projects (by code), with their supports counted (never stored)."""
    conditions = [Project.plan_id == plan.id]
    if axis_id:
        conditions.append(Project.axis_id == axis_id)
    if neighbourhood_id:
        conditions.append(Project.id.in_(select(ProjectNeighbourhood.project_id).where(
            ProjectNeighbourhood.neighbourhood_id == neighbourhood_id)))
    page = max(1, page)
    # The page and the total in one statement (a window count); the count alone past the last page.
    found = db.session.execute(
        select(Project, Axis, func.count().over()).join(Axis, Axis.id == Project.axis_id).where(*conditions)
        .order_by(Project.code, Project.id).options(selectinload(Project.neighbourhoods))
        .limit(per_page).offset((page - 1) * per_page)).all()
    if found:
        total = found[0][2]
    elif page > 1:
        total = db.session.scalar(select(func.count(Project.id)).where(*conditions)) or 0
    else:
        total = 0
    counts = support_counts([p.id for p, _axis, _n in found])
    rows = [ProjectRow(p, axis, *counts[p.id]) for p, axis, _n in found]
    return ProjectPage(rows, total, page, per_page)


def support_counts(project_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """project id -> (distinct residents, distinct associations who supported one of its ideas,
    its ideas), in ONE statement (three GROUP BYs put together)."""
    ids = list(project_ids)
    counts = {pid: [0, 0, 0] for pid in ids}
    if not ids:
        return {}
    parts = [
        select(ProjectIdea.project_id, literal(0).label("kind"), func.count(func.distinct(Support.user_id)))
        .join(Support, Support.idea_id == ProjectIdea.idea_id)
        .where(ProjectIdea.project_id.in_(ids)).group_by(ProjectIdea.project_id),
        select(ProjectIdea.project_id, literal(1).label("kind"),
               func.count(func.distinct(AssociationSupport.association_id)))
        .join(AssociationSupport, AssociationSupport.idea_id == ProjectIdea.idea_id)
        .where(ProjectIdea.project_id.in_(ids)).group_by(ProjectIdea.project_id),
        select(ProjectIdea.project_id, literal(2).label("kind"), func.count())
        .where(ProjectIdea.project_id.in_(ids)).group_by(ProjectIdea.project_id),
    ]
    for pid, kind, n in db.session.execute(union_all(*parts)):
        counts[pid][kind] = n
    return {pid: tuple(c) for pid, c in counts.items()}


def linked_ideas(project: Project, *, public_only: bool = True) -> list[Idea]:
    """The ideas the project came from (hidden or no longer public ones left out unless asked)."""
    stmt = select(Idea).join(ProjectIdea, ProjectIdea.idea_id == Idea.id).where(
        ProjectIdea.project_id == project.id).order_by(Idea.id)
    if public_only:
        stmt = stmt.where(Idea.hidden == false(), Idea.status.in_(PUBLIC_STATUSES))
    return list(db.session.scalars(stmt))


def projects_of_ideas(idea_ids: Iterable[int]) -> dict[int, Project]:
    """idea id -> the project it became (ideas in no project are absent)."""
    ids = list(idea_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ProjectIdea.idea_id, Project).join(Project, Project.id == ProjectIdea.project_id)
        .where(ProjectIdea.idea_id.in_(ids)))
    return {idea_id: project for idea_id, project in rows}


def project_of_idea(idea_id: int) -> Project | None:
    return projects_of_ideas([idea_id]).get(idea_id)


def _distinct_supporters(project_ids: Iterable[int], table, who) -> dict[int, int]:
    """project id -> distinct `who` of the support `table` over the project's ideas (0 when none)."""
    ids = list(project_ids)
    counts = {pid: 0 for pid in ids}
    if not ids:
        return counts
    rows = db.session.execute(
        select(ProjectIdea.project_id, func.count(func.distinct(who)))
        .join(table, table.idea_id == ProjectIdea.idea_id)
        .where(ProjectIdea.project_id.in_(ids))
        .group_by(ProjectIdea.project_id)
    )
    for pid, n in rows:
        counts[pid] = n
    return counts


def citizen_support(project_ids: Iterable[int]) -> dict[int, int]:
    """project id -> number of DISTINCT residents who supported at least one of its ideas."""
    return _distinct_supporters(project_ids, Support, Support.user_id)


def association_support(project_ids: Iterable[int]) -> dict[int, int]:
    """project id -> number of distinct associations that supported at least one of its ideas."""
    return _distinct_supporters(project_ids, AssociationSupport, AssociationSupport.association_id)


# --- checking the sheet --------------------------------------------------------------------------

def _whole(value, name: str, *, maximum: int, required: bool = False, required_message=None) -> int | None:
    if value is None:
        if required:
            raise ServiceError(required_message or _l("This field is required."), field=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise ServiceError(_l("Enter a whole number from 0 to %(max)s.", max=_Shown(maximum)), field=name)
    return value


def _measure(value, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ServiceError(_l("Enter a number, for example 12 or 12.5."), field=name) from None
    if not number.is_finite() or abs(number) > MEASURE_MAX:
        raise ServiceError(_l("Enter a number, for example 12 or 12.5."), field=name)
    if number != number.quantize(Decimal("0.01")):
        raise ServiceError(_l("Use at most two decimals."), field=name)
    return number.quantize(Decimal("0.01"))


def _check(plan: Plan, data: ProjectInput, current: Project | None) -> _Clean:
    """The sheet's columns and rows, or a ServiceError naming the field at fault."""
    code = (data.code or "").strip().upper()
    if not code:
        raise ServiceError(_l("Enter a code, for example TET-07."), field="code")
    if len(code) > CODE_MAX or not CODE_RE.fullmatch(code):
        raise ServiceError(
            _l("Use at most %(n)d letters a–z, digits and dashes, for example TET-07.", n=CODE_MAX), field="code")
    clash = db.session.scalar(select(Project).where(Project.plan_id == plan.id, Project.code == code))
    if clash is not None and (current is None or clash.id != current.id):
        raise Conflict(_l("Another project of the plan already has the code %(code)s.", code=code), field="code")

    title_ar = check_text(data.title_ar, "title_ar", max_length=TITLE_MAX,
                          required_message=_l("Enter the title in Arabic."))
    title_fr = check_text(data.title_fr, "title_fr", max_length=TITLE_MAX,
                          required_message=_l("Enter the title in French."))
    title_zgh = check_text(data.title_zgh, "title_zgh", max_length=TITLE_MAX,
                           required_message=_l("Enter the title in Amazigh (Tifinagh)."))
    if tifinagh_problem(title_zgh):
        raise ServiceError(
            _l("Write the Amazigh title in Tifinagh letters (ⴰ ⴱ ⴳ …); spaces, digits and punctuation are allowed."),
            field="title_zgh")

    axis = db.session.get(Axis, data.axis_id) if data.axis_id else None
    keeps_axis = current is not None and axis is not None and axis.id == current.axis_id
    if axis is None or axis.commune_id != plan.commune_id or not (axis.active or keeps_axis):
        raise ServiceError(_l("Choose one of the plan's axes."), field="axis_id")

    hood_ids = list(dict.fromkeys(int(i) for i in data.neighbourhood_ids))
    if hood_ids:
        found = set(db.session.scalars(select(Neighbourhood.id).where(
            Neighbourhood.id.in_(hood_ids), Neighbourhood.commune_id == plan.commune_id)))
        if found != set(hood_ids):
            raise ServiceError(_l("Choose the neighbourhoods from the commune's list."), field="neighbourhood_ids")

    sector = check_text(data.sector, "sector", max_length=SECTOR_MAX, required=False)
    if data.competence not in COMPETENCES:
        raise ServiceError(_l("Choose the commune's competence from the list."), field="competence")
    objectives = check_text(data.objectives, "objectives", max_length=OBJECTIVES_MAX, required=False) or ""
    department = check_text(data.executing_department, "executing_department", max_length=DEPARTMENT_MAX,
                            required=False)

    total_people = _whole(data.beneficiaries_total, "beneficiaries_total", maximum=PEOPLE_MAX)
    women = _whole(data.beneficiaries_women, "beneficiaries_women", maximum=PEOPLE_MAX)
    men = _whole(data.beneficiaries_men, "beneficiaries_men", maximum=PEOPLE_MAX)
    disabled = _whole(data.beneficiaries_disabled, "beneficiaries_disabled", maximum=PEOPLE_MAX)
    if total_people is not None and (women or 0) + (men or 0) > total_people:
        raise ServiceError(_l("Women and men together (%(sum)s) cannot be more than the total number of "
                              "beneficiaries (%(total)s).", sum=_Shown((women or 0) + (men or 0)), total=_Shown(total_people)),
                           field="beneficiaries_men" if men else "beneficiaries_women")
    if total_people is not None and disabled is not None and disabled > total_people:
        raise ServiceError(_l("Persons with disabilities (%(n)s) cannot be more than the total number of "
                              "beneficiaries (%(total)s).", n=_Shown(disabled), total=_Shown(total_people)),
                           field="beneficiaries_disabled")

    indicators = []
    if len(data.indicators) > MAX_INDICATORS:
        raise ServiceError(_l("A project has at most %(n)d indicators.", n=MAX_INDICATORS), field="indicators")
    for i, row in enumerate(data.indicators):
        blank = not (row.label or "").strip() and not (row.unit or "").strip() and row.baseline is None \
            and row.target is None
        if blank:
            continue
        label = check_text(row.label, f"indicators-{i}-label", max_length=INDICATOR_LABEL_MAX,
                           required_message=_l("Name the indicator, or empty the whole row."))
        unit = check_text(row.unit, f"indicators-{i}-unit", max_length=INDICATOR_UNIT_MAX, required=False)
        indicators.append((label, unit, _measure(row.baseline, f"indicators-{i}-baseline"),
                           _measure(row.target, f"indicators-{i}-target")))

    partners = []
    if len(data.partners) > MAX_PARTNERS:
        raise ServiceError(_l("A project has at most %(n)d partners.", n=MAX_PARTNERS), field="partners")
    for i, row in enumerate(data.partners):
        if not (row.name or "").strip() and row.amount is None:
            continue
        name = check_text(row.name, f"partners-{i}-name", max_length=PARTNER_NAME_MAX,
                          required_message=_l("Name the partner, or empty the whole row."))
        amount = _whole(row.amount, f"partners-{i}-amount", maximum=AMOUNT_MAX, required=True,
                        required_message=_l("Enter the partner's amount in dirhams."))
        partners.append((name, amount))

    total_cost = _whole(data.total_cost, "total_cost", maximum=AMOUNT_MAX, required=True,
                        required_message=_l("Enter the total cost in dirhams."))
    share = _whole(data.commune_share, "commune_share", maximum=AMOUNT_MAX, required=True,
                   required_message=_l("Enter the commune's share in dirhams."))
    if share > total_cost:
        raise ServiceError(_l("The commune's share (%(share)s) cannot be more than the total cost (%(total)s).",
                              share=_money(share), total=_money(total_cost)), field="commune_share")
    funded = share + sum(amount for _name, amount in partners)
    if funded != total_cost:
        difference = abs(funded - total_cost)
        if funded > total_cost:
            message = _l("The commune's share and the partners' amounts add up to %(funded)s: %(diff)s more "
                         "than the total cost (%(total)s).", funded=_money(funded), diff=_money(difference),
                         total=_money(total_cost))
        else:
            message = _l("The commune's share and the partners' amounts add up to %(funded)s: %(diff)s less "
                         "than the total cost (%(total)s).", funded=_money(funded), diff=_money(difference),
                         total=_money(total_cost))
        raise ServiceError(message, field="commune_share")

    duration = data.duration_years
    if isinstance(duration, bool) or not isinstance(duration, int) or not DURATION_MIN <= duration <= DURATION_MAX:
        raise ServiceError(_l("The duration is a whole number of years from 1 to 6."), field="duration_years")
    start = data.earliest_start_year
    if isinstance(start, bool) or not isinstance(start, int) or not plan.start_year <= start <= plan.end_year:
        raise ServiceError(_l("The start year must be within the plan's years, %(start)s to %(end)s.",
                              start=plan.start_year, end=plan.end_year), field="earliest_start_year")
    if start + duration - 1 > plan.end_year:
        raise ServiceError(_l("Starting in %(start)s and lasting %(years)s years, the project would end in "
                              "%(last)s, after the plan's last year (%(end)s).", start=start, years=duration,
                              last=start + duration - 1, end=plan.end_year), field="duration_years")

    sdgs = sorted(set(data.sdgs))
    if any(isinstance(s, bool) or not isinstance(s, int) or s not in SDG_GOALS for s in sdgs):
        raise ServiceError(_l("Choose the goals from the list of the 17 Sustainable Development Goals."),
                           field="sdgs")
    markers = {}
    for name in MARKER_FIELDS:
        value = getattr(data, name)
        if isinstance(value, bool) or value not in MARKERS:
            raise ServiceError(_l("Choose 0, 1 or 2."), field=name)
        markers[name] = int(value)

    columns = {
        "code": code, "title_ar": title_ar, "title_fr": title_fr, "title_zgh": title_zgh, "axis_id": axis.id,
        "sector": sector, "competence": data.competence, "objectives": objectives,
        "beneficiaries_total": total_people, "beneficiaries_women": women, "beneficiaries_men": men,
        "beneficiaries_disabled": disabled, "total_cost": total_cost, "commune_share": share,
        "duration_years": duration, "earliest_start_year": start, "executing_department": department,
        "sdgs": ",".join(str(s) for s in sdgs), **markers,
    }
    return _Clean(columns, hood_ids, indicators, partners)


def _ideas_to_link(plan: Plan, idea_ids: Iterable[int], project: Project | None) -> list[Idea]:
    """The ideas to add, duplicates merged; each a public idea of this plan in no other project."""
    ids = list(dict.fromkeys(int(i) for i in idea_ids))
    if len(ids) > MAX_IDEAS:
        raise ServiceError(_l("A project is made from at most %(n)d ideas.", n=MAX_IDEAS), field="ideas")
    if not ids:
        return []
    ideas = {i.id: i for i in db.session.scalars(select(Idea).where(Idea.id.in_(ids)))}
    taken = projects_of_ideas(ids)
    chosen = []
    for idea_id in ids:
        idea = ideas.get(idea_id)
        if idea is None or idea.commune_id != plan.commune_id or idea.plan_id != plan.id or not idea.is_public:
            raise ServiceError(_l("Idea %(id)s does not exist or is not a public idea of this plan.", id=idea_id),
                               field="ideas")
        other = taken.get(idea_id)
        if other is not None:
            if project is not None and other.id == project.id:
                continue  # already here: merging the same idea twice changes nothing
            raise Conflict(_l("Idea %(id)s is already part of the project %(code)s “%(title)s”.",
                              id=idea_id, code=other.code, title=other.title), field="ideas")
        chosen.append(idea)
    return chosen


def _require_manager(actor: User, plan: Plan) -> None:
    if not access.can_score(actor, plan):
        raise NotAllowed(NOT_A_MEMBER)


def _notify_authors(project: Project, ideas: Sequence[Idea], *, already_told: set[int] = frozenset()) -> set[int]:
    """Each distinct author of these ideas hears once that they became (part of) the project."""
    authors = {idea.author_id for idea in ideas if idea.author_id is not None} - set(already_told)
    for author_id in sorted(authors):
        notifications.notify(author_id, "idea_in_project", commune_id=project.commune_id, code=project.code,
                             title={"ar": project.title_ar, "fr": project.title_fr, "zgh": project.title_zgh})
    return authors


def _link(project: Project, ideas: Sequence[Idea]) -> None:
    for idea in ideas:
        db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))


def _set_rows(project: Project, clean: _Clean) -> None:
    project.neighbourhoods = list(db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.id.in_(clean.neighbourhood_ids)))) if clean.neighbourhood_ids else []
    project.indicators = [ProjectIndicator(position=i, label=label, unit=unit, baseline=baseline, target=target)
                          for i, (label, unit, baseline, target) in enumerate(clean.indicators)]
    project.partners = [ProjectPartner(position=i, name=name, amount=amount)
                        for i, (name, amount) in enumerate(clean.partners)]


# --- changes -------------------------------------------------------------------------------------

def create_project(plan: Plan, data: ProjectInput, idea_ids: Iterable[int], actor: User) -> Project:
    """A new project sheet, linked to its ideas; audited; the ideas' authors are notified."""
    _require_manager(actor, plan)
    clean = _check(plan, data, None)
    ideas = _ideas_to_link(plan, idea_ids, None)
    project = Project(commune_id=plan.commune_id, plan_id=plan.id, created_by_id=actor.id, **clean.columns)
    _set_rows(project, clean)
    db.session.add(project)
    db.session.flush()
    _link(project, ideas)
    db.session.flush()
    _notify_authors(project, ideas)
    audit.record("committee.project_created", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="project", target_id=project.id,
                 details={"plan": plan.id, "code": project.code, "ideas": [i.id for i in ideas],
                          "total_cost": project.total_cost, "commune_share": project.commune_share})
    return project


def _snapshot(project: Project) -> dict:
    values = {name: getattr(project, name) for name in (
        "code", "title_ar", "title_fr", "title_zgh", "axis_id", "sector", "competence", "objectives",
        "beneficiaries_total", "beneficiaries_women", "beneficiaries_men", "beneficiaries_disabled",
        "total_cost", "commune_share", "duration_years", "earliest_start_year", "executing_department",
        "sdgs", *MARKER_FIELDS)}
    values["neighbourhoods"] = sorted(n.id for n in project.neighbourhoods)
    values["indicators"] = [(i.label, i.unit, None if i.baseline is None else str(Decimal(i.baseline).quantize(
        Decimal("0.01"))), None if i.target is None else str(Decimal(i.target).quantize(Decimal("0.01"))))
        for i in project.indicators]
    values["partners"] = [(p.name, p.amount) for p in project.partners]
    return values


def update_project(project: Project, data: ProjectInput, actor: User) -> list[str]:
    """Change the sheet; returns (and audits) the names of the fields that changed."""
    plan = db.session.get(Plan, project.plan_id)
    _require_manager(actor, plan)
    clean = _check(plan, data, project)
    before = _snapshot(project)
    for name, value in clean.columns.items():
        setattr(project, name, value)
    if [(lbl, unit, None if b is None else str(b), None if t is None else str(t))
            for lbl, unit, b, t in clean.indicators] != before["indicators"]:
        project.indicators = [ProjectIndicator(position=i, label=lbl, unit=unit, baseline=b, target=t)
                              for i, (lbl, unit, b, t) in enumerate(clean.indicators)]
    if clean.partners != before["partners"]:
        project.partners = [ProjectPartner(position=i, name=name, amount=amount)
                            for i, (name, amount) in enumerate(clean.partners)]
    if sorted(clean.neighbourhood_ids) != before["neighbourhoods"]:
        project.neighbourhoods = list(db.session.scalars(select(Neighbourhood).where(
            Neighbourhood.id.in_(clean.neighbourhood_ids)))) if clean.neighbourhood_ids else []
    db.session.flush()
    after = _snapshot(project)
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        audit.record("committee.project_changed", actor_id=actor.id, commune_id=project.commune_id,
                     target_kind="project", target_id=project.id,
                     details={"plan": project.plan_id, "code": project.code, "changed": changed})
    return changed


def link_ideas(project: Project, idea_ids: Iterable[int], actor: User) -> list[Idea]:
    """Merge more ideas into the project; returns those newly linked (their authors are told)."""
    plan = db.session.get(Plan, project.plan_id)
    _require_manager(actor, plan)
    ids = list(idea_ids)
    if not ids:
        raise ServiceError(_l("Enter the number of at least one idea."), field="numbers")
    ideas = _ideas_to_link(plan, ids, project)
    if not ideas:
        return []
    told = {i.author_id for i in linked_ideas(project, public_only=False) if i.author_id is not None}
    _link(project, ideas)
    db.session.flush()
    _notify_authors(project, ideas, already_told=told)
    audit.record("committee.project_ideas_linked", actor_id=actor.id, commune_id=project.commune_id,
                 target_kind="project", target_id=project.id,
                 details={"plan": project.plan_id, "code": project.code, "ideas": [i.id for i in ideas]})
    return ideas


def unlink_idea(project: Project, idea_id: int, actor: User) -> None:
    """The idea is no longer part of the project (it may then join another one)."""
    plan = db.session.get(Plan, project.plan_id)
    _require_manager(actor, plan)
    link = db.session.scalar(select(ProjectIdea).where(
        ProjectIdea.project_id == project.id, ProjectIdea.idea_id == idea_id))
    if link is None:
        raise NotFound(_l("This idea is not part of the project."))
    db.session.delete(link)
    db.session.flush()
    audit.record("committee.project_idea_unlinked", actor_id=actor.id, commune_id=project.commune_id,
                 target_kind="project", target_id=project.id,
                 details={"plan": project.plan_id, "code": project.code, "idea": idea_id})


def data_of(project: Project) -> ProjectInput:
    """The project as form input (to fill the edit form)."""
    return ProjectInput(
        code=project.code, title_ar=project.title_ar, title_fr=project.title_fr, title_zgh=project.title_zgh,
        axis_id=project.axis_id, neighbourhood_ids=[n.id for n in project.neighbourhoods],
        sector=project.sector or "", competence=project.competence, objectives=project.objectives or "",
        beneficiaries_total=project.beneficiaries_total, beneficiaries_women=project.beneficiaries_women,
        beneficiaries_men=project.beneficiaries_men, beneficiaries_disabled=project.beneficiaries_disabled,
        indicators=[IndicatorInput(i.label, i.unit or "", i.baseline, i.target) for i in project.indicators],
        partners=[PartnerInput(p.name, p.amount) for p in project.partners],
        total_cost=project.total_cost, commune_share=project.commune_share,
        duration_years=project.duration_years, earliest_start_year=project.earliest_start_year,
        executing_department=project.executing_department or "", sdgs=project.sdg_list,
        marker_gender=project.marker_gender, marker_environment=project.marker_environment,
        marker_accessibility=project.marker_accessibility,
    )


__all__ = [
    "IndicatorInput", "PartnerInput", "ProjectInput", "ProjectPage", "ProjectRow", "association_support",
    "citizen_support", "create_project", "data_of", "get", "get_by_code", "link_ideas", "linked_ideas",
    "list_projects", "next_code", "project_of_idea", "projects_of_ideas", "unlink_idea", "update_project",
]
