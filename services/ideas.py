"""Ideas: proposing, editing and submitting them, and the public list with its filters.

Lists read the counters kept on Idea (never a count over supports) and fetch a
page with its total in one statement (the total as an uncorrelated scalar subquery,
answered from an index), so a list page costs the same number of statements
whatever the number of ideas or supports.
Filters and sorts are allowlisted here; nothing a visitor types reaches SQL
except as a bound parameter.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, func, literal, select, union_all
from sqlalchemy.orm import aliased, defer, joinedload

from extensions import db
from models import (PUBLIC_STATUSES, Association, Axis, Commune, Idea, IdeaStatus, Neighbourhood, Plan, Project,
                    ProjectIdea, User)
from models._base import TrilingualName, utcnow
from services import access, phases, supports
from services.errors import NotAllowed, NotFound, ServiceError
from services.text import check_text, normalize, search_terms

TITLE_MAX = 150
DESCRIPTION_MAX = 5000
LOCATION_MAX = 300
COST_MAX = 10_000_000_000  # MAD, whole dirhams
PER_PAGE = 20

# The only sorts a visitor can ask for, each with a total order (id breaks ties).
SORTS = {
    "supports": (Idea.support_count.desc(), Idea.id.desc()),
    "newest": (Idea.submitted_at.desc(), Idea.id.desc()),
    "comments": (Idea.comment_count.desc(), Idea.id.desc()),
}
DEFAULT_SORT = "supports"
LIST_DEFERRED = (Idea.description, Idea.search_text, Idea.review_note, Idea.hidden_reason, Idea.location_text)
STATUS_FILTERS = tuple(s.value for s in PUBLIC_STATUSES)



@dataclass(frozen=True)
class Choice:
    """An axis or neighbourhood as a plain value (for selects and filters)."""

    id: int
    name_ar: str
    name_fr: str
    name_zgh: str

    name_in = TrilingualName.name_in
    name = TrilingualName.name


@dataclass
class IdeaInput:
    """What a person typed in the idea form, already parsed to plain types."""

    title: str
    description: str
    axis_id: int | None
    neighbourhood_id: int | None
    location_text: str | None = None
    estimated_cost: int | None = None
    association_id: int | None = None


@dataclass(frozen=True)
class Filters:
    axis_id: int | None = None
    neighbourhood_id: int | None = None
    status: str | None = None
    q: str = ""
    sort: str = DEFAULT_SORT


@dataclass
class IdeaPage:
    items: list[Idea]
    total: int
    page: int
    per_page: int
    terms: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, around: int = 2) -> list[int | None]:
        """Page numbers to link to; None marks a gap (…)."""
        keep = {1, self.pages} | set(range(self.page - around, self.page + around + 1))
        out: list[int | None] = []
        for n in range(1, self.pages + 1):
            if n in keep:
                out.append(n)
            elif out and out[-1] is not None:
                out.append(None)
        return out


# --- choices ---------------------------------------------------------------------------------

def choices(commune_id: int) -> tuple[list[Choice], list[Choice]]:
    """Active axes and neighbourhoods of a commune, in one statement."""
    def part(model, kind):
        return select(
            literal(kind).label("kind"), model.id, model.name_ar, model.name_fr, model.name_zgh, model.position
        ).where(model.commune_id == commune_id, model.active.is_(True))

    rows = db.session.execute(union_all(part(Axis, "a"), part(Neighbourhood, "n"))).all()
    rows.sort(key=lambda r: (r.kind, r.position, r.id))
    axes = [Choice(r.id, r.name_ar, r.name_fr, r.name_zgh) for r in rows if r.kind == "a"]
    hoods = [Choice(r.id, r.name_ar, r.name_fr, r.name_zgh) for r in rows if r.kind == "n"]
    return axes, hoods


# --- validation ------------------------------------------------------------------------------

def _text(value: str | None, name: str, maximum: int, *, required: bool, empty_message) -> str | None:
    return check_text(value, name, max_length=maximum, required=required, required_message=empty_message)


def _checked(user: User, commune_id: int, data: IdeaInput) -> dict:
    """The idea's columns from the input, or ServiceError naming the field at fault."""
    title = _text(data.title, "title", TITLE_MAX, required=True, empty_message=_l("Give your idea a title."))
    description = _text(
        data.description, "description", DESCRIPTION_MAX, required=True,
        empty_message=_l("Describe your idea."),
    )
    location = _text(data.location_text, "location_text", LOCATION_MAX, required=False, empty_message=None)
    cost = data.estimated_cost
    if cost is not None and (not isinstance(cost, int) or isinstance(cost, bool) or not 0 <= cost <= COST_MAX):
        raise ServiceError(_l("Enter a whole number of dirhams between 0 and 10,000,000,000."),
                           field="estimated_cost")
    axis = db.session.get(Axis, data.axis_id) if data.axis_id else None
    if axis is None or axis.commune_id != commune_id or not axis.active:
        raise ServiceError(_l("Choose one of the plan's axes."), field="axis_id")
    hood = db.session.get(Neighbourhood, data.neighbourhood_id) if data.neighbourhood_id else None
    if hood is None or hood.commune_id != commune_id or not hood.active:
        raise ServiceError(_l("Choose one of the commune's neighbourhoods."), field="neighbourhood_id")
    association_id = None
    if data.association_id:
        association = db.session.get(Association, data.association_id)
        if association is None or association.commune_id != commune_id or not access.can_act_for(user, association):
            raise NotAllowed(_l("You do not represent this association."), field="association_id")
        association_id = association.id
    return {
        "title": title,
        "description": description,
        "location_text": location,
        "estimated_cost": cost,
        "axis_id": axis.id,
        "neighbourhood_id": hood.id,
        "association_id": association_id,
        "search_text": normalize(f"{title} {description}"),
    }


# --- changes ---------------------------------------------------------------------------------

def create(author: User, commune: Commune, plan: Plan, data: IdeaInput, *, submit: bool) -> Idea:
    """A new idea, kept as a draft or submitted (public at once, awaiting a moderator)."""
    if plan.commune_id != commune.id:
        raise NotFound(_l("This commune has no action plan yet."))
    if not access.can(author, "idea.propose", commune.id):
        raise NotAllowed(_l("Only residents and associations of this commune can propose ideas."))
    phases.require_open(plan, "propose")
    values = _checked(author, commune.id, data)
    now = utcnow()
    idea = Idea(
        commune_id=commune.id,
        plan_id=plan.id,
        author_id=author.id,
        status=IdeaStatus.SUBMITTED if submit else IdeaStatus.DRAFT,
        submitted_at=now if submit else None,
        created_at=now,
        updated_at=now,
        **values,
    )
    db.session.add(idea)
    db.session.flush()
    return idea


def _require_editable(user: User, idea: Idea) -> Plan:
    if not access.can_edit_idea(user, idea):
        if idea.author_id != getattr(user, "id", None):
            raise NotAllowed(_l("You can only change ideas you proposed yourself."))
        raise NotAllowed(_l("This idea can no longer be changed: a moderator has already looked at it."))
    plan = db.session.get(Plan, idea.plan_id)
    phases.require_open(plan, "propose")
    return plan


def update(user: User, idea: Idea, data: IdeaInput, *, submit: bool = False) -> Idea:
    """The author changes their idea (until a moderator looked at it, during collection)."""
    _require_editable(user, idea)
    values = _checked(user, idea.commune_id, data)
    for name, value in values.items():
        setattr(idea, name, value)
    now = utcnow()
    idea.updated_at = now
    if submit and idea.status == IdeaStatus.DRAFT:
        idea.status = IdeaStatus.SUBMITTED
        idea.submitted_at = now
    db.session.flush()
    return idea


def submit(user: User, idea: Idea) -> Idea:
    """A draft becomes public (submitted), during the idea collection phase only."""
    _require_editable(user, idea)
    if idea.status != IdeaStatus.DRAFT:
        raise ServiceError(_l("This idea has already been submitted."))
    now = utcnow()
    idea.status = IdeaStatus.SUBMITTED
    idea.submitted_at = now
    idea.updated_at = now
    db.session.flush()
    return idea


# --- reading ---------------------------------------------------------------------------------

def current_plan(commune: Commune) -> Plan:
    """The commune's current plan with its phases, in one statement (see phases.current_plan)."""
    plan = db.session.execute(
        select(Plan)
        .where(Plan.commune_id == commune.id)
        .options(joinedload(Plan.phases))
        .order_by(Plan.start_year.desc())
        .limit(1)
    ).unique().scalar_one_or_none()
    if plan is None:
        raise NotFound(_l("This commune has no action plan yet."))
    return plan


def _conditions(entity, plan_id: int, filters: Filters) -> list:
    """The WHERE clauses of a public list, for `entity` (Idea or an alias of it)."""
    status = [filters.status] if filters.status in STATUS_FILTERS else list(STATUS_FILTERS)
    # `hidden == False` (not IS FALSE) so the planner uses the (plan_id, hidden, …) indexes.
    conditions = [entity.plan_id == plan_id, entity.hidden == false(), entity.status.in_(status)]
    if filters.axis_id:
        conditions.append(entity.axis_id == filters.axis_id)
    if filters.neighbourhood_id:
        conditions.append(entity.neighbourhood_id == filters.neighbourhood_id)
    for term in search_terms(filters.q or ""):
        conditions.append(entity.search_text.like(f"%{_escape_like(term)}%", escape="\\"))
    return conditions


def public_query(plan_id: int, filters: Filters) -> Select:
    """Public ideas of a plan matching allowlisted filters, in an allowlisted order."""
    return select(Idea).where(*_conditions(Idea, plan_id, filters)).order_by(
        *SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    )


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_public(plan_id: int, filters: Filters, page: int = 1, per_page: int = PER_PAGE) -> IdeaPage:
    """One page of public ideas and the total, in one statement (two when past the last page).

    The total is an uncorrelated scalar subquery (computed once, from the ix_idea_public
    index alone when there is no text search); the page itself walks the sort's index.
    """
    page = max(1, page)
    counted = aliased(Idea, name="counted")
    total = select(func.count(counted.id)).where(*_conditions(counted, plan_id, filters)).scalar_subquery()
    stmt = (
        public_query(plan_id, filters)
        # Cards never show these: don't read them (raiseload: a template using them fails loudly, no N+1).
        .options(*(defer(column, raiseload=True) for column in LIST_DEFERRED))
        .add_columns(total.label("total"))
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    rows = db.session.execute(stmt).all()
    total_count = rows[0].total if rows else db.session.scalar(select(total)) or 0
    return IdeaPage([r[0] for r in rows], total_count, page, per_page, search_terms(filters.q or ""))


@dataclass
class IdeaView:
    """An idea as one person sees it: with its plan (and phases) and, for a signed-in
    person, how many supports they used in the plan and whether they support this idea."""

    idea: Idea
    plan: Plan
    support_used: int = 0
    supported: bool = False
    project: Project | None = None  # the project the idea became (services.projects), if any
    link: ProjectIdea | None = None  # and its link (when it was made): held here, the identity map is weak


def get_visible(idea_id: int, commune_id: int, viewer: User | None) -> IdeaView:
    """The idea as `viewer` may see it, or NotFound.

    Public ideas are visible to everyone; drafts, hidden and rejected ideas only to
    their author. One statement loads the idea, its axis, neighbourhood, author,
    association, plan, the plan's phases and the viewer's support state.
    """
    viewer_id = viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None
    stmt = (
        select(Idea, Plan)
        .join(Plan, Plan.id == Idea.plan_id)
        # The project it became, if any: an idea is in at most one (ProjectIdea.idea_id is unique).
        .outerjoin(ProjectIdea, ProjectIdea.idea_id == Idea.id)
        .outerjoin(Project, Project.id == ProjectIdea.project_id)
        .where(Idea.id == idea_id, Idea.commune_id == commune_id)
        .options(
            # The author's roles are not needed here: don't let User's selectin load add a statement.
            joinedload(Idea.author).lazyload(User.memberships),
            joinedload(Idea.association),
            joinedload(Plan.phases),
        )
    )
    if viewer_id is not None:
        stmt = stmt.add_columns(*supports.state_columns(viewer_id))
    stmt = stmt.add_columns(ProjectIdea, Project)  # the link too: the idea's timeline reads its date
    row = db.session.execute(stmt).unique().first()
    if row is None:
        raise NotFound(_l("This idea does not exist or is no longer public."))
    idea, plan = row[0], row[1]
    if not idea.is_public and (viewer_id is None or idea.author_id != viewer_id):
        raise NotFound(_l("This idea does not exist or is no longer public."))
    if viewer_id is None:
        return IdeaView(idea, plan, project=row[-1], link=row[-2])
    return IdeaView(idea, plan, int(row[2] or 0), bool(row[3]), project=row[-1], link=row[-2])
