"""The committee's programme: yearly budget envelopes, programme versions built from a published
ranking, the committee's justified pins/moves/drops and schedule edits, and a version's life up to
the council's decision (draft → proposed → adopted → governor's visa; mid-term revision; the
equality body's formal opinion).

The fitting maths is prioritization.programme (Flask-free): this module only turns the database
into its inputs (Envelope, Candidate) and stores what it returns. Every change is checked in full
before anything is written, flushed (never committed) and recorded in the audit log.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import (
    Axis,
    BudgetEnvelope,
    AxisCap,
    EntryState,
    EqualityOpinion,
    Plan,
    ProgrammeEntry,
    ProgrammeVersion,
    Project,
    ScheduleLine,
    ScoringRound,
    SupportRound,
    User,
    VersionStatus,
)
from models._base import utcnow
from prioritization import programme as fit
from services import access, audit, pb_rounds, phases, ranking
from services.errors import Conflict, NotAllowed, NotFound, ServiceError

from services.projects import AMOUNT_MAX, _money
from services.text import check_text

JUSTIFICATION_MIN = 20
JUSTIFICATION_MAX = 2000
REFERENCE_MAX = 120  # models.ProgrammeVersion.decision_reference
OPINION_MAX = 20_000
SIGNED_BY_MAX = 200  # models.EqualityOpinion.signed_by
VOTES_MAX = 1000  # far above any council
REVISION_FROM_YEAR = 3  # organic law 113-14, art. 80: mid-term revision from the plan's third year
ACTIONS = ("pin", "unpin", "drop", "restore")

NOT_A_READER = _l("Only the members of this plan's committee and the commune's administrators can see the programme.")
NOT_A_BUILDER = _l("Only the committee members who score can build or change the programme.")
ONLY_CHAIR = _l("Only the chair of the committee can do this.")
NOT_AN_ADMIN = _l("Only the commune's administrators record the council's decision and the governor's visa.")
NOT_AN_OBSERVER = _l("Only the equality body's observer on the committee or a commune administrator can record "
                     "its opinion.")
_VERSION_NOT_FOUND = _l("This programme version does not exist.")
_NOT_DRAFT = _l("Only a draft version can be changed: this one was already proposed to the council.")


class EnvelopeErrors(ServiceError):
    """Several fields (envelopes, or a schedule's years) refused at once: `errors` maps each field name
    to its message."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(_l("Nothing was saved: correct the amounts marked below."))
        self.errors = errors


class AmountError(ValueError):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- amounts as people type them ----------------------------------------------------------------

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
# Thousands grouped by one separator used throughout: "1.200.000", "1,200,000", "1٬200٬000", "1'200'000".
_GROUPED = re.compile(r"\d{1,3}([.,\u066c'\u2019])\d{3}(?:\1\d{3})*")
_NUMBERISH = re.compile(r"[\d.,\u066b\u066c'\u2019]+")

WHOLE_DIRHAMS = _l("Write whole dirhams, without centimes (for example 1 200 000).")
DIGITS_ONLY = _l("Write the amount in digits, for example 1 200 000.")
NOT_NEGATIVE = _l("The amount cannot be negative.")
TOO_LARGE = _l("This amount is too large.")


def parse_amount(raw: str | None) -> int | None:
    """Whole dirhams from what a person typed; None when left empty.

    Spaces (also no-break and thin spaces) and one thousands separator used consistently (".", ","
    or the Arabic "٬") are accepted, and Arabic-Indic digits; decimals and negatives are refused.
    """
    text = _SPACES.sub("", (raw or "").translate(_ARABIC_DIGITS))
    if not text:
        return None
    if text.startswith(("-", "\u2212")):
        raise AmountError(NOT_NEGATIVE)
    if text.startswith("+"):
        text = text[1:]
    if text.isascii() and text.isdigit():
        value = int(text)
    elif _GROUPED.fullmatch(text):
        value = int(re.sub(r"\D", "", text))
    elif _NUMBERISH.fullmatch(text):
        raise AmountError(WHOLE_DIRHAMS)
    else:
        raise AmountError(DIGITS_ONLY)
    if value > AMOUNT_MAX:
        raise AmountError(TOO_LARGE)
    return value


# --- access ---------------------------------------------------------------------------------------

def can_read(user: User | None, plan: Plan) -> bool:
    return access.can_read_programme(user, plan)


def _require(allowed: bool, message) -> None:
    if not allowed:
        raise NotAllowed(message)


# --- envelopes ------------------------------------------------------------------------------------

def plan_years(plan: Plan) -> list[int]:
    return list(range(plan.start_year, plan.end_year + 1))


def axes_of(plan: Plan) -> list[Axis]:
    return list(db.session.scalars(
        select(Axis).where(Axis.commune_id == plan.commune_id, Axis.active.is_(True))
        .order_by(Axis.position, Axis.id)))


def envelopes_of(plan: Plan) -> dict[int, BudgetEnvelope]:
    return {e.year: e for e in db.session.scalars(
        select(BudgetEnvelope).where(BudgetEnvelope.plan_id == plan.id).order_by(BudgetEnvelope.year))}


@dataclass
class EnvelopeInput:
    """One year's envelope as typed (text): amount, participatory share, caps by axis id."""

    year: int
    amount: str = ""
    participatory: str = ""
    caps: dict[int, str] = field(default_factory=dict)


def envelope_inputs(plan: Plan) -> list[EnvelopeInput]:
    """What the envelope form shows for the stored envelopes (empty for years without one)."""
    stored = envelopes_of(plan)
    rows = []
    for year in plan_years(plan):
        e = stored.get(year)
        if e is None:
            rows.append(EnvelopeInput(year))
        else:
            rows.append(EnvelopeInput(year, str(e.amount), str(e.participatory_amount),
                                      {c.axis_id: str(c.amount) for c in e.axis_caps}))
    return rows


def save_envelopes(plan: Plan, rows: list[EnvelopeInput], actor: User) -> list[BudgetEnvelope]:
    """Set every year's envelope at once. Any refused value → EnvelopeErrors, nothing written."""
    _require(access.can_score(actor, plan), NOT_A_BUILDER)
    by_year = {r.year: r for r in rows}
    axis_ids = {a.id for a in axes_of(plan)}
    errors: dict[str, object] = {}
    parsed: dict[int, tuple[int, int, dict[int, int]]] = {}
    for year in plan_years(plan):
        row = by_year.get(year, EnvelopeInput(year))
        values = {}
        for name, raw in (("amount", row.amount), ("participatory", row.participatory)):
            try:
                values[name] = parse_amount(raw)
            except AmountError as exc:
                errors[f"{name}-{year}"] = exc.message
        if "amount-%d" % year not in errors and values.get("amount") is None:
            errors[f"amount-{year}"] = _l("Enter the envelope of %(year)s in dirhams (0 if none).", year=year)
        amount, share = values.get("amount"), values.get("participatory") or 0
        if amount is not None and f"participatory-{year}" not in errors and share > amount:
            errors[f"participatory-{year}"] = _l(
                "The participatory share (%(share)s) cannot be more than the envelope (%(amount)s).",
                share=_money(share), amount=_money(amount))
        caps: dict[int, int] = {}
        for axis_id, raw in row.caps.items():
            if axis_id not in axis_ids:
                continue  # an axis that is not the plan's (or no longer active): ignored
            name = f"cap-{year}-{axis_id}"
            try:
                cap = parse_amount(raw)
            except AmountError as exc:
                errors[name] = exc.message
                continue
            if cap is None:
                continue
            if amount is not None and cap > amount:
                errors[name] = _l("The cap of an axis (%(cap)s) cannot be more than the year's envelope "
                                  "(%(amount)s).", cap=_money(cap), amount=_money(amount))
                continue
            caps[axis_id] = cap
        if amount is not None:
            parsed[year] = (amount, share, caps)
    if errors:
        raise EnvelopeErrors(errors)
    stored = envelopes_of(plan)
    saved = []
    for year, (amount, share, caps) in parsed.items():
        envelope = stored.get(year)
        if envelope is None:
            envelope = BudgetEnvelope(plan_id=plan.id, year=year, amount=amount, participatory_amount=share)
            db.session.add(envelope)
        envelope.amount, envelope.participatory_amount = amount, share
        envelope.axis_caps.clear()
        db.session.flush()  # old caps gone before new ones with the same axis are inserted
        envelope.axis_caps.extend(AxisCap(axis_id=axis_id, amount=cap) for axis_id, cap in sorted(caps.items()))
        saved.append(envelope)
    db.session.flush()
    audit.record("programme.envelopes_saved", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="plan", target_id=plan.id,
                 details={str(year): {"amount": a, "participatory": s, "caps": {str(k): v for k, v in c.items()}}
                          for year, (a, s, c) in parsed.items()})
    return saved


def _fit_envelopes(plan: Plan, *, with_share: bool = False) -> list[fit.Envelope]:
    """The plan's envelopes for the builder. The participatory share is reserved only for a version
    that takes residents' choices from a support round (`with_share`); otherwise the whole envelope
    goes to the ranking."""
    stored = envelopes_of(plan)
    missing = [year for year in plan_years(plan) if year not in stored]
    if missing:
        raise Conflict(_l("Set the budget envelope of every year of the plan first (missing: %(years)s).",
                          years=", ".join(str(y) for y in missing)))
    return [fit.Envelope(year, e.amount, {str(c.axis_id): c.amount for c in e.axis_caps},
                         participatory=e.participatory_amount if with_share else 0)
            for year, e in sorted(stored.items())]


# --- versions: reading ------------------------------------------------------------------------------

def versions_of(plan: Plan) -> list[ProgrammeVersion]:
    return list(db.session.scalars(
        select(ProgrammeVersion).where(ProgrammeVersion.plan_id == plan.id).order_by(ProgrammeVersion.number.desc())))


def version_of(plan: Plan, version_id: int) -> ProgrammeVersion:
    version = db.session.get(ProgrammeVersion, version_id)
    if version is None or version.plan_id != plan.id:
        raise NotFound(_VERSION_NOT_FOUND)
    return version


def entry_of(version: ProgrammeVersion, project_id: int) -> ProgrammeEntry:
    for entry in version.entries:
        if entry.project_id == project_id:
            return entry
    raise NotFound(_l("This project is not part of this programme version."))


def skip_info(entry: ProgrammeEntry) -> dict:
    """The builder's reason for a skipped entry: {reason, year, shortfall, axis, overflow}."""
    if not entry.reason:
        return {}
    try:
        data = json.loads(entry.reason)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def schedule_total(entry: ProgrammeEntry) -> int:
    return sum(line.amount for line in entry.schedule)


@dataclass
class YearView:
    year: int
    envelope: int | None
    participatory: int
    committed: int
    share_committed: int  # what the residents' choices take from the participatory share
    placed: list[tuple[ProgrammeEntry, int]]  # (entry, amount that year), in rank order
    just_missed: list[tuple[ProgrammeEntry, int]]  # (entry, shortfall that year), smallest first

    @property
    def remaining(self) -> int | None:
        return None if self.envelope is None else self.envelope - self.committed

    @property
    def over(self) -> bool:
        return self.envelope is not None and self.committed > self.envelope


@dataclass
class VersionView:
    version: ProgrammeVersion
    years: list[YearView]
    placed: list[ProgrammeEntry]
    skipped: list[ProgrammeEntry]
    dropped: list[ProgrammeEntry]

    @property
    def committed(self) -> int:
        return sum(y.committed for y in self.years)


JUST_MISSED = 3


def view(plan: Plan, version: ProgrammeVersion) -> VersionView:
    """Per year what the version commits (its stored schedules) against the plan's envelopes."""
    stored = envelopes_of(plan)
    entries = sorted(version.entries, key=lambda e: (e.position, e.id))
    placed = [e for e in entries if e.state == EntryState.PLACED]
    skipped = [e for e in entries if e.state == EntryState.SKIPPED]
    dropped = [e for e in entries if e.state == EntryState.DROPPED]
    years = []
    for year in plan_years(plan):
        envelope = stored.get(year)
        here = [(e, line.amount) for e in placed for line in e.schedule if line.year == year]
        missed = []
        for e in skipped:
            overflow = skip_info(e).get("overflow") or {}
            if str(year) in overflow:
                missed.append((e, int(overflow[str(year)])))
        missed.sort(key=lambda pair: (pair[1], pair[0].position))
        years.append(YearView(year, envelope.amount if envelope else None,
                              envelope.participatory_amount if envelope else 0,
                              sum(amount for _e, amount in here),
                              sum(amount for e, amount in here if e.participatory), here, missed[:JUST_MISSED]))
    return VersionView(version, years, placed, skipped, dropped)


# --- building and rebuilding ------------------------------------------------------------------------

@dataclass
class _State:
    """What the builder needs of one entry besides its project: the committee's decisions."""

    pinned: int | None
    dropped: bool
    schedule: tuple[int, ...] | None
    share_order: int | None = None  # chosen by residents (place in the rule's selection)
    ranked: bool = True


def _custom_schedule(entry: ProgrammeEntry) -> tuple[int, ...] | None:
    """The entry's yearly amounts (as offsets from its start), if they still fit the project."""
    amounts = tuple(line.amount for line in entry.schedule) or tuple(skip_info(entry).get("schedule") or ())
    project = entry.project
    if len(amounts) != project.duration_years or sum(amounts) != project.total_cost:
        return None
    if amounts == fit.even_schedule(project.total_cost, project.duration_years):
        return None
    return amounts


def _states(version: ProgrammeVersion) -> dict[int, _State]:
    return {e.project_id: _State(e.pinned_year, e.state == EntryState.DROPPED, _custom_schedule(e),
                                 e.share_order, e.ranked)
            for e in version.entries}


def _candidate(entry: ProgrammeEntry, state: _State) -> fit.Candidate:
    project = entry.project
    return fit.Candidate(code=project.code, rank=entry.position, cost=project.total_cost,
                         duration=project.duration_years, earliest_year=project.earliest_start_year,
                         axis=str(project.axis_id), pinned_year=None if state.dropped else state.pinned,
                         dropped=state.dropped, schedule=state.schedule, share_order=state.share_order,
                         ranked=state.ranked)


def _builder_refusal(exc: fit.ProgrammeError, plan: Plan) -> ServiceError:
    """The builder's refusal in words (the year and the shortfall where it has them)."""
    where = {"code": exc.project or "", "year": exc.year or "", "amount": _money(exc.amount or 0),
             "end": plan.end_year}
    if exc.code == "pinned_" + fit.ENVELOPE:
        return Conflict(_l("The %(year)s envelope does not cover the pinned project %(code)s: %(amount)s short. "
                           "Raise the envelope, or pin or drop another project.", **where), field="year")
    if exc.code == "pinned_" + fit.AXIS_CAP:
        return Conflict(_l("The %(year)s cap of its axis does not cover the pinned project %(code)s: %(amount)s "
                           "short. Raise the cap, or pin the project to another year.", **where), field="year")
    if exc.code == fit.ENDS_AFTER_PLAN:
        return Conflict(_l("Project %(code)s pinned to %(year)s would run outside the plan: it would end after "
                           "%(end)s.", **where), field="year")
    if exc.code == fit.BAD_SCHEDULE:
        return Conflict(_l("The yearly amounts of project %(code)s do not add up to its cost.", **where))
    return Conflict(_l("The programme cannot be built with these envelopes: check them and try again."))


def _fit(plan: Plan, version: ProgrammeVersion, states: dict[int, _State]) -> fit.Programme:
    envelopes = _fit_envelopes(plan, with_share=version.support_round_id is not None)
    candidates = [_candidate(e, states[e.project_id]) for e in version.entries]
    try:
        return fit.build(envelopes, candidates, just_missed=JUST_MISSED)
    except fit.ProgrammeError as exc:
        raise _builder_refusal(exc, plan) from exc


def _store(version: ProgrammeVersion, result: fit.Programme, states: dict[int, _State]) -> None:
    """Write the builder's result onto the entries (states, start years, schedules, reasons)."""
    skips = {s.code: s for s in result.skipped}
    for entry in version.entries:
        state = states[entry.project_id]
        entry.pinned_year = None if state.dropped else state.pinned
        entry.schedule.clear()
    db.session.flush()  # the old lines are gone before new ones with the same years are inserted
    for entry in version.entries:
        state = states[entry.project_id]
        code = entry.project.code
        placement = result.placement(code)
        entry.participatory = placement is not None and placement.participatory
        if placement is not None:
            entry.state, entry.start_year, entry.reason = EntryState.PLACED, placement.start_year, None
            entry.schedule.extend(ScheduleLine(year=y, amount=a) for y, a in sorted(placement.schedule.items()))
            continue
        entry.start_year = None
        kept = {"schedule": list(state.schedule)} if state.schedule else {}
        if state.dropped:
            entry.state = EntryState.DROPPED
            entry.reason = json.dumps(kept) if kept else None
        else:
            skip = skips[code]
            entry.state = EntryState.SKIPPED
            entry.reason = json.dumps({"reason": skip.reason, "year": skip.year, "shortfall": skip.shortfall,
                                       "axis": skip.axis, "overflow": {str(y): v for y, v in skip.overflow.items()},
                                       **kept}, sort_keys=True)
    db.session.flush()


DEFAULT_SHARE_RULE = "mes-add1-comparison"


@dataclass(frozen=True)
class ResidentsChoice:
    """The participatory share's input: a support round of the plan and the rule to apply to it."""

    round_: SupportRound
    rule: str
    project_ids: tuple[int, ...]  # the plan's projects the rule selects, in selection order


def share_rounds(plan: Plan) -> list[SupportRound]:
    """The plan's support rounds whose rules were run (those the builder can take residents' choices from)."""
    return [r for r in pb_rounds.rounds_of(plan) if r.plan_id == plan.id and r.comparison_json]


def residents_choice(plan: Plan, support_round_id: int | None, rule: str | None) -> ResidentsChoice | None:
    """The projects a support round funds under `rule` (default: Equal Shares with completion and the
    comparison step), or None without a round. Refused when the envelopes reserve no share."""
    if support_round_id is None:
        return None
    round_ = db.session.get(SupportRound, support_round_id)
    if round_ is None or round_.plan_id != plan.id or not round_.comparison_json:
        raise ServiceError(_l("Choose one of the plan's support rounds."), field="support_round_id")
    if not any(e.participatory_amount for e in envelopes_of(plan).values()):
        raise ServiceError(_l("The budget envelopes reserve no participatory share: set one before taking "
                              "residents' choices."), field="support_round_id")
    comparison = pb_rounds.compare(round_)
    rule = rule or DEFAULT_SHARE_RULE
    column = next((c for c in comparison.columns if c.rule == rule and not c.unavailable), None)
    if column is None:
        raise ServiceError(_l("Choose one of the rules computed on this support round."), field="rule")
    links = {row.id: row.project_id for row in comparison.projects}
    ids = tuple(links[code] for code in column.selected if links.get(code) is not None)
    return ResidentsChoice(round_, rule, ids)


def build_version(plan: Plan, round_id: int | None, actor: User, *, support_round_id: int | None = None,
                  rule: str | None = None) -> ProgrammeVersion:
    """A new DRAFT version from a published ranking: every project of the round in its final order,
    fitted into the plan's envelopes. With a support round, the projects residents chose under
    `rule` first fill each year's participatory share (prioritization.programme)."""
    _require(access.can_score(actor, plan), NOT_A_BUILDER)
    if round_id is None:
        raise ServiceError(_l("Choose the published ranking to build from."), field="round_id")
    round_ = db.session.get(ScoringRound, round_id)
    if round_ is None or round_.plan_id != plan.id or round_.status != "published":
        raise ServiceError(_l("Choose one of the published rankings of this plan."), field="round_id")
    data = ranking.published(round_)
    _fit_envelopes(plan)  # refused before anything is written
    choice = residents_choice(plan, support_round_id, rule)
    codes = [row["code"] for row in sorted(data["rows"], key=lambda r: r["rank"])]
    projects = {p.code: p for p in db.session.scalars(
        select(Project).where(Project.plan_id == plan.id, Project.code.in_(codes)))}
    if not projects:
        raise Conflict(_l("This ranking has no project of the plan left to programme."))
    ranks = {row["code"]: row["rank"] for row in data["rows"]}
    number = (db.session.scalar(select(func.max(ProgrammeVersion.number))
                                .where(ProgrammeVersion.plan_id == plan.id)) or 0) + 1
    version = ProgrammeVersion(plan_id=plan.id, number=number, status=VersionStatus.DRAFT,
                               scoring_round_id=round_.id, created_by_id=actor.id,
                               support_round_id=choice.round_.id if choice else None,
                               support_rule=choice.rule if choice else None)
    db.session.add(version)
    db.session.flush()
    entries: dict[int, ProgrammeEntry] = {}
    for code in codes:
        if code in projects:
            entries[projects[code].id] = ProgrammeEntry(project_id=projects[code].id, position=ranks[code],
                                                        state=EntryState.SKIPPED)
    if choice is not None:
        after = max(ranks.values(), default=0)
        for order, project_id in enumerate(choice.project_ids, start=1):
            if project_id not in entries:  # chosen by residents, not ranked by the committee
                after += 1
                entries[project_id] = ProgrammeEntry(project_id=project_id, position=after,
                                                     state=EntryState.SKIPPED, ranked=False)
            entries[project_id].share_order = order
    version.entries.extend(entries.values())
    db.session.flush()
    states = _states(version)
    _store(version, _fit(plan, version, states), states)
    audit.record("programme.version_built", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=version.id,
                 details={"number": version.number, "round": round_.id, "round_name": round_.name,
                          "support_round": choice.round_.id if choice else None,
                          "support_rule": choice.rule if choice else None,
                          "placed": [e.project.code for e in version.entries if e.state == EntryState.PLACED],
                          "participatory": [e.project.code for e in version.entries if e.participatory]})
    return version


def _require_draft(version: ProgrammeVersion) -> None:
    if version.status != VersionStatus.DRAFT:
        raise Conflict(_NOT_DRAFT)


def check_justification(text: str | None) -> str:
    return check_text(
        text, "justification", max_length=JUSTIFICATION_MAX, min_length=JUSTIFICATION_MIN,
        required_message=_l("Write why: the justification is kept with the programme and in the audit log."),
        too_short_message=_l("Write at least %(n)d characters: the justification is kept with the programme.",
                             n=JUSTIFICATION_MIN))


def change_entry(plan: Plan, version: ProgrammeVersion, project_id: int, action: str | None, year: int | None,
                 justification: str | None, actor: User) -> ProgrammeEntry:
    """Pin (or move) a project to a start year, unpin, drop or restore it, with a written
    justification; the version is then rebuilt (pinned projects first). A pin the envelopes
    cannot hold is refused with the builder's reason, and nothing changes."""
    _require(access.can_score(actor, plan), NOT_A_BUILDER)
    _require_draft(version)
    entry = entry_of(version, project_id)
    if action not in ACTIONS:
        raise ServiceError(_l("Choose what to do with the project."), field="action")
    states = _states(version)
    state = states[project_id]
    previous_year = entry.pinned_year
    if action == "pin":
        if entry.state == EntryState.DROPPED:
            raise ServiceError(_l("This project was dropped: restore it before pinning it."), field="action")
        if year is None or year not in plan_years(plan):
            raise ServiceError(_l("Choose a start year from %(start)s to %(end)s.", start=plan.start_year,
                                  end=plan.end_year), field="year")
        if entry.pinned_year == year:
            raise ServiceError(_l("The project is already pinned to %(year)s.", year=year), field="year")
        state.pinned = year
        kind = "programme.entry_moved" if previous_year is not None else "programme.entry_pinned"
    elif action == "unpin":
        if entry.pinned_year is None:
            raise ServiceError(_l("This project is not pinned."), field="action")
        state.pinned = None
        kind = "programme.entry_unpinned"
    elif action == "drop":
        if entry.state == EntryState.DROPPED:
            raise ServiceError(_l("This project is already dropped."), field="action")
        state.dropped, state.pinned = True, None
        kind = "programme.entry_dropped"
    else:
        if entry.state != EntryState.DROPPED:
            raise ServiceError(_l("Only a dropped project can be restored."), field="action")
        state.dropped = False
        kind = "programme.entry_restored"
    text = check_justification(justification)
    result = _fit(plan, version, states)  # refused → nothing was changed
    entry.justification = text
    _store(version, result, states)
    audit.record(kind, actor_id=actor.id, commune_id=plan.commune_id, target_kind="programme_version",
                 target_id=version.id,
                 details={"number": version.number, "project": entry.project.code, "year": state.pinned,
                          "previous_year": previous_year, "state": entry.state, "justification": text})
    return entry


def entry_years(entry: ProgrammeEntry) -> list[int]:
    """The years a placed entry runs."""
    if entry.start_year is None:
        return []
    return list(range(entry.start_year, entry.start_year + entry.project.duration_years))


def edit_schedule(plan: Plan, version: ProgrammeVersion, project_id: int, amounts: dict[int, str],
                  actor: User) -> ProgrammeEntry:
    """Set a placed project's amount for each year it runs (typed text); they must add up to its
    cost. The version is then rebuilt with this schedule."""
    _require(access.can_score(actor, plan), NOT_A_BUILDER)
    _require_draft(version)
    entry = entry_of(version, project_id)
    if entry.state != EntryState.PLACED:
        raise Conflict(_l("Only a project placed in the programme has a yearly schedule to edit."))
    years = entry_years(entry)
    errors: dict[str, object] = {}
    values = []
    for year in years:
        try:
            value = parse_amount(amounts.get(year))
        except AmountError as exc:
            errors[f"year-{year}"] = exc.message
            continue
        if value is None:
            errors[f"year-{year}"] = _l("Enter the amount of %(year)s (0 if none).", year=year)
            continue
        values.append(value)
    if errors:
        raise EnvelopeErrors(errors)
    cost = entry.project.total_cost
    total = sum(values)
    if total != cost:
        diff = _money(abs(total - cost))
        if total > cost:
            message = _l("The yearly amounts add up to %(total)s: %(diff)s more than the project's cost "
                         "(%(cost)s).", total=_money(total), diff=diff, cost=_money(cost))
        else:
            message = _l("The yearly amounts add up to %(total)s: %(diff)s less than the project's cost "
                         "(%(cost)s).", total=_money(total), diff=diff, cost=_money(cost))
        raise ServiceError(message, field="schedule")
    states = _states(version)
    states[project_id].schedule = tuple(values)
    before = {line.year: line.amount for line in entry.schedule}
    result = _fit(plan, version, states)
    _store(version, result, states)
    audit.record("programme.schedule_edited", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=version.id,
                 details={"number": version.number, "project": entry.project.code,
                          "before": {str(y): a for y, a in before.items()},
                          "after": {str(y): a for y, a in zip(years, values)}, "state": entry.state})
    return entry


# --- the council's decision ---------------------------------------------------------------------------

def _others(version: ProgrammeVersion, status: str) -> list[ProgrammeVersion]:
    return list(db.session.scalars(select(ProgrammeVersion).where(
        ProgrammeVersion.plan_id == version.plan_id, ProgrammeVersion.id != version.id,
        ProgrammeVersion.status == status)))


def propose(plan: Plan, version: ProgrammeVersion, actor: User) -> ProgrammeVersion:
    """The chair puts a draft before the council. One version before the council at a time; once a
    version is adopted, only a mid-term revision can be proposed."""
    _require(access.is_chair(actor, plan), ONLY_CHAIR)
    _require_draft(version)
    if _others(version, VersionStatus.PROPOSED):
        raise Conflict(_l("Another version is already before the council: record its decision first."))
    if _others(version, VersionStatus.ADOPTED) and not version.is_revision:
        raise Conflict(_l("A version of the programme is already adopted: only a mid-term revision can be "
                          "proposed now."))
    if not any(e.state == EntryState.PLACED for e in version.entries):
        raise Conflict(_l("This version places no project: there is nothing to propose."))
    version.status = VersionStatus.PROPOSED
    version.proposed_at = utcnow()
    db.session.flush()
    audit.record("programme.version_proposed", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=version.id,
                 details={"number": version.number, "revision": version.is_revision})
    return version


@dataclass
class AdoptionInput:
    session_date: date | None = None
    decision_reference: str = ""
    votes_for: int | None = None
    votes_against: int | None = None
    votes_abstaining: int | None = None


def _votes(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= VOTES_MAX:
        raise ServiceError(_l("Enter the number of votes as a whole number of 0 or more."), field=name)
    return value


def _past_date(value, name: str, required_message) -> date:
    if not isinstance(value, date):
        raise ServiceError(required_message, field=name)
    if value > phases.today():
        raise ServiceError(_l("This date is in the future: record it once it has happened."), field=name)
    return value


def _already_adopted(version: ProgrammeVersion) -> Conflict:
    return Conflict(_l("This version was already adopted on %(date)s.",
                       date=_Date(version.session_date or (version.adopted_at and version.adopted_at.date()))))


class _Date:
    """A date formatted in the reader's language when the message is shown."""

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        from services.formatting import date as fmt

        return fmt(self.value)


def require_adoptable(version: ProgrammeVersion) -> None:
    """Only a proposed version can be adopted, and only once."""
    if version.status in (VersionStatus.ADOPTED, VersionStatus.SUPERSEDED) or version.adopted_at is not None:
        raise _already_adopted(version)
    if version.status != VersionStatus.PROPOSED:
        raise Conflict(_l("Only a version proposed to the council can be adopted: the chair proposes it first."))


def record_adoption(plan: Plan, version: ProgrammeVersion, data: AdoptionInput, actor: User) -> ProgrammeVersion:
    """The council adopted the proposed version (session date, decision reference, votes)."""
    _require(access.can_decide_programme(actor, plan), NOT_AN_ADMIN)
    require_adoptable(version)
    session = _past_date(data.session_date, "session_date", _l("Enter the date of the council's session."))
    reference = check_text(data.decision_reference, "decision_reference", max_length=REFERENCE_MAX,
                           required_message=_l("Enter the reference of the council's decision."))
    votes_for = _votes(data.votes_for, "votes_for")
    votes_against = _votes(data.votes_against, "votes_against")
    abstaining = _votes(data.votes_abstaining, "votes_abstaining")
    if votes_for <= votes_against:
        raise ServiceError(_l("With %(yes)s votes for and %(no)s against, the council did not adopt the programme: "
                              "a version is adopted only when the votes for exceed the votes against.",
                              yes=votes_for, no=votes_against), field="votes_for")
    superseded = _others(version, VersionStatus.ADOPTED)
    for old in superseded:
        old.status = VersionStatus.SUPERSEDED
    version.status = VersionStatus.ADOPTED
    version.session_date, version.decision_reference = session, reference
    version.votes_for, version.votes_against, version.votes_abstaining = votes_for, votes_against, abstaining
    version.adopted_at = utcnow()
    db.session.flush()
    audit.record("programme.version_adopted", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=version.id,
                 details={"number": version.number, "session_date": session.isoformat(), "reference": reference,
                          "votes": [votes_for, votes_against, abstaining],
                          "superseded": [old.number for old in superseded]})
    from services import notifications  # the authors of the ideas each placed project came from

    for entry in version.entries:
        if entry.state == EntryState.PLACED:
            notifications.notify_idea_authors(entry.project, "idea_in_programme", year=entry.start_year)
    return version


def record_visa(plan: Plan, version: ProgrammeVersion, visa_date: date | None, actor: User) -> ProgrammeVersion:
    """The governor's visa on an adopted version (on or after the session date)."""
    _require(access.can_decide_programme(actor, plan), NOT_AN_ADMIN)
    if version.status != VersionStatus.ADOPTED:
        raise Conflict(_l("The governor's visa is recorded on an adopted version only."))
    if version.visa_date is not None:
        raise Conflict(_l("The visa of this version was already recorded (%(date)s).", date=_Date(version.visa_date)))
    visa = _past_date(visa_date, "visa_date", _l("Enter the date of the governor's visa."))
    if version.session_date is not None and visa < version.session_date:
        raise ServiceError(_l("The visa cannot come before the council's session (%(date)s).",
                              date=_Date(version.session_date)), field="visa_date")
    version.visa_date = visa
    db.session.flush()
    audit.record("programme.visa_recorded", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=version.id,
                 details={"number": version.number, "visa_date": visa.isoformat()})
    return version


def revision_opens(plan: Plan) -> int:
    """The first year a mid-term revision may start (the plan's third year)."""
    return plan.start_year + REVISION_FROM_YEAR - 1


def start_revision(plan: Plan, version: ProgrammeVersion, actor: User, today: date | None = None) -> ProgrammeVersion:
    """A new DRAFT revision of an adopted version, from the plan's third year: same entries, same
    schedules, same decisions (pins, drops and their justifications)."""
    _require(access.is_chair(actor, plan), ONLY_CHAIR)
    if version.status != VersionStatus.ADOPTED:
        raise Conflict(_l("A mid-term revision starts from the adopted version."))
    today = today or phases.today()
    if today.year < revision_opens(plan):
        raise Conflict(_l("A mid-term revision can start only from the plan's third year, %(year)s "
                          "(organic law 113-14, art. 80).", year=revision_opens(plan)))
    pending = [v for v in versions_of(plan) if v.is_revision and v.status in (VersionStatus.DRAFT,
                                                                              VersionStatus.PROPOSED)]
    if pending:
        raise Conflict(_l("A revision is already under way (version %(number)s).", number=pending[0].number))
    number = max(v.number for v in versions_of(plan)) + 1
    revision = ProgrammeVersion(plan_id=plan.id, number=number, status=VersionStatus.DRAFT, based_on_id=version.id,
                                is_revision=True, scoring_round_id=version.scoring_round_id, created_by_id=actor.id,
                                support_round_id=version.support_round_id, support_rule=version.support_rule)
    db.session.add(revision)
    db.session.flush()
    for e in version.entries:
        copy = ProgrammeEntry(project_id=e.project_id, position=e.position, state=e.state, start_year=e.start_year,
                              pinned_year=e.pinned_year, reason=e.reason, justification=e.justification,
                              participatory=e.participatory, share_order=e.share_order, ranked=e.ranked)
        copy.schedule.extend(ScheduleLine(year=line.year, amount=line.amount) for line in e.schedule)
        revision.entries.append(copy)
    db.session.flush()
    audit.record("programme.revision_started", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=revision.id,
                 details={"number": revision.number, "based_on": version.number})
    return revision


# --- the equality body's opinion -----------------------------------------------------------------------

@dataclass
class OpinionInput:
    body: str = ""
    signed_by: str = ""
    given_on: date | None = None


def require_opinion_open(version: ProgrammeVersion) -> None:
    # Any opinion of the body on this version (published by a member, or recorded) closes this path;
    # members may still publish a correction themselves (services.equality).
    if version.opinions:
        raise Conflict(_l("The equality body's opinion on this version was already recorded."))
    if version.status != VersionStatus.PROPOSED:
        raise Conflict(_l("The equality body gives its opinion on a version proposed to the council."))


def record_opinion(plan: Plan, version: ProgrammeVersion, data: OpinionInput, actor: User) -> EqualityOpinion:
    """The equality body's (IEECAG, art. 120) formal written opinion on a proposed version, recorded on the
    body's behalf by its observer on the committee or an admin (models/equality.py; members of the body
    publish their own opinions through services.equality)."""
    _require(access.can_record_opinion(actor, plan), NOT_AN_OBSERVER)
    require_opinion_open(version)
    body = check_text(data.body, "body", max_length=OPINION_MAX, required_message=_l("Write the opinion."))
    signed_by = check_text(data.signed_by, "signed_by", max_length=SIGNED_BY_MAX,
                           required_message=_l("Say who signed the opinion."))
    given_on = _past_date(data.given_on, "given_on", _l("Enter the date the opinion was given."))
    opinion = EqualityOpinion(commune_id=plan.commune_id, subject_kind="version", version_id=version.id, body=body,
                              signed_by=signed_by, given_on=given_on, recorded_by_id=actor.id, on_behalf=True)
    db.session.add(opinion)
    db.session.flush()
    db.session.refresh(version, ["opinions"])
    audit.record("programme.opinion_recorded", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="programme_version", target_id=version.id,
                 details={"number": version.number, "signed_by": signed_by, "given_on": given_on.isoformat(),
                          "length": len(body)})
    return opinion


# --- comparing two versions ------------------------------------------------------------------------------

@dataclass
class Comparison:
    a: ProgrammeVersion
    b: ProgrammeVersion
    entered: list[ProgrammeEntry]  # placed in b, not in a (b's entries)
    left: list[ProgrammeEntry]  # placed in a, not in b (a's entries)
    moved: list[tuple[ProgrammeEntry, ProgrammeEntry]]  # placed in both, other start year
    changed: list[tuple[ProgrammeEntry, ProgrammeEntry]]  # placed in both, other schedule total

    @property
    def same(self) -> bool:
        return not (self.entered or self.left or self.moved or self.changed)


def compare(a: ProgrammeVersion, b: ProgrammeVersion) -> Comparison:
    placed_a = {e.project_id: e for e in a.entries if e.state == EntryState.PLACED}
    placed_b = {e.project_id: e for e in b.entries if e.state == EntryState.PLACED}
    order = sorted(placed_b.values(), key=lambda e: (e.position, e.id))
    entered = [e for e in order if e.project_id not in placed_a]
    left = [e for e in sorted(placed_a.values(), key=lambda e: (e.position, e.id)) if e.project_id not in placed_b]
    both = [(placed_a[e.project_id], e) for e in order if e.project_id in placed_a]
    moved = [(x, y) for x, y in both if x.start_year != y.start_year]
    changed = [(x, y) for x, y in both if schedule_total(x) != schedule_total(y)]
    return Comparison(a, b, entered, left, moved, changed)


# --- the chart: committed against the envelope, per year ------------------------------------------------

@dataclass(frozen=True)
class ChartBar:
    year: int
    envelope: int
    committed: int
    y: float
    envelope_width: float
    committed_width: float
    label_y: float
    value_x: float

    @property
    def share(self) -> float | None:
        return None if self.envelope <= 0 else self.committed / self.envelope


@dataclass(frozen=True)
class BudgetChart:
    width: int
    height: int
    x0: float
    bars: tuple[ChartBar, ...]
    bar_height: int

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


CHART_WIDTH, CHART_LABEL, CHART_VALUE, CHART_BAR, CHART_GAP, CHART_TOP = 440, 48, 56, 14, 12, 8


def budget_chart(years: list[YearView]) -> BudgetChart:
    """Two bars per year on one scale: the envelope (outlined) and what is committed (filled)."""
    top = max([1] + [y.envelope or 0 for y in years] + [y.committed for y in years])
    span = CHART_WIDTH - CHART_LABEL - CHART_VALUE
    bars = []
    for i, y in enumerate(years):
        y0 = CHART_TOP + i * (2 * CHART_BAR + CHART_GAP)
        envelope = y.envelope or 0
        ew, cw = span * envelope / top, span * y.committed / top
        bars.append(ChartBar(y.year, envelope, y.committed, y0, ew, cw, y0 + CHART_BAR,
                             CHART_LABEL + max(ew, cw) + 6))
    height = CHART_TOP + len(years) * (2 * CHART_BAR + CHART_GAP)
    return BudgetChart(CHART_WIDTH, height, float(CHART_LABEL), tuple(bars), CHART_BAR)
