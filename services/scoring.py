"""Scoring rounds: the chair opens and closes a round over some of the plan's projects; each
member who scores gives every project a whole score 0–5 on every scored criterion — by form or
by uploading a CSV filled offline — or declares a conflict of interest and is recused.

Scoring is blind: until the round is closed, a member reads only their own scores (all_scores
refuses). Every change is written to the audit log in the caller's transaction. Services flush,
never commit; who may act is decided by services.access (checked again here, so a service call
can never score for an observer or a person without a seat).
"""
from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import (
    CommitteeMember,
    Criterion,
    CriterionKind,
    MemberKind,
    Plan,
    Project,
    Recusal,
    RoundProject,
    RoundStatus,
    Score,
    ScoringRound,
    User,
)
from models._base import utcnow
from services import access, audit
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from services.projects import citizen_support
from services.text import check_text

NAME_MAX = 200
COMMENT_MAX = 1000
REASON_MAX = 500
TOP_K_MIN, TOP_K_MAX, TOP_K_DEFAULT = 1, 50, 10
MIN_PROJECTS = 2
FILE_MAX_BYTES = 1024 * 1024
MAX_SHOWN_ERRORS = 50

SHEET_COLUMNS = ("project", "criterion", "score", "comment", "project_title", "criterion_name")
REQUIRED_COLUMNS = ("project", "criterion", "score")

NOT_OPEN = _l("This round is not open for scoring.")
RECUSED = _l("You declared a conflict of interest on this project: you cannot score it.")
HIDDEN = _l("Scores are hidden until the round closes.")
NOT_SCORER = _l("Only committee members who score (not observers) can do this.")

# A spreadsheet would run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SCORE = re.compile(r"[0-5]")


class ScoreFileError(ServiceError):
    """A CSV of scores was refused; `errors` is the list of (line, message), line 1 = the header."""

    status = 400

    def __init__(self, errors: list[tuple[int, object]]):
        super().__init__(_l("The file was not imported: nothing was saved. Correct these lines and upload it again."))
        self.errors = errors


# --- lookups -----------------------------------------------------------------------------------

def get_round(plan: Plan, round_id: int) -> ScoringRound:
    """The plan's round, or NotFound (a round of another plan or commune is not found)."""
    round_ = db.session.get(ScoringRound, round_id)
    if round_ is None or round_.plan_id != plan.id:
        raise NotFound(_l("This scoring round does not exist."))
    return round_


def plan_of(round_: ScoringRound) -> Plan:
    return db.session.get(Plan, round_.plan_id)


def rounds(plan: Plan) -> list[ScoringRound]:
    return list(db.session.scalars(
        select(ScoringRound).where(ScoringRound.plan_id == plan.id).order_by(ScoringRound.id.desc())))


def project_counts(round_ids: list[int]) -> dict[int, int]:
    counts = {rid: 0 for rid in round_ids}
    if round_ids:
        rows = db.session.execute(
            select(RoundProject.round_id, func.count()).where(RoundProject.round_id.in_(round_ids))
            .group_by(RoundProject.round_id))
        counts.update({rid: n for rid, n in rows})
    return counts


def plan_projects(plan: Plan) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.plan_id == plan.id).order_by(Project.code)))


def round_projects(round_: ScoringRound) -> list[Project]:
    return list(db.session.scalars(
        select(Project).join(RoundProject, RoundProject.project_id == Project.id)
        .where(RoundProject.round_id == round_.id).order_by(Project.code)))


def round_project(round_: ScoringRound, project_id: int) -> Project:
    link = db.session.get(RoundProject, (round_.id, project_id))
    if link is None:
        raise NotFound(_l("This project is not part of this round."))
    return link.project


def criteria(plan: Plan) -> list[Criterion]:
    return list(db.session.scalars(
        select(Criterion).where(Criterion.plan_id == plan.id).order_by(Criterion.position, Criterion.id)))


def scored_criteria(plan: Plan) -> list[Criterion]:
    return [c for c in criteria(plan) if c.kind == CriterionKind.SCORED]


def supports(round_: ScoringRound) -> dict[int, int]:
    """project id -> citizen support: counted live, or as stored when the round closed."""
    links = list(round_.projects)
    if round_.status in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        return {link.project_id: link.supports_at_close or 0 for link in links}
    return citizen_support([link.project_id for link in links])


def scorers(plan: Plan) -> list[CommitteeMember]:
    """Seats that score (not observers), in name order."""
    return list(db.session.scalars(
        select(CommitteeMember).join(User, User.id == CommitteeMember.user_id)
        .where(CommitteeMember.plan_id == plan.id, CommitteeMember.kind != MemberKind.OBSERVER)
        .order_by(User.display_name, CommitteeMember.id)))


def recusals(round_: ScoringRound) -> list[Recusal]:
    return list(db.session.scalars(
        select(Recusal).where(Recusal.round_id == round_.id).order_by(Recusal.declared_at, Recusal.id)))


def recused_project_ids(round_: ScoringRound, user: User) -> set[int]:
    return set(db.session.scalars(
        select(Recusal.project_id).where(Recusal.round_id == round_.id, Recusal.user_id == user.id)))


def my_scores(round_: ScoringRound, user: User) -> dict[tuple[int, int], Score]:
    """The member's own scores: (project id, criterion id) -> Score. Never another's."""
    rows = db.session.scalars(select(Score).where(Score.round_id == round_.id, Score.user_id == user.id))
    return {(s.project_id, s.criterion_id): s for s in rows}


# --- checks ------------------------------------------------------------------------------------

def require_scorer(round_: ScoringRound, user: User) -> None:
    if not access.can_score(user, plan_of(round_)):
        raise NotAllowed(NOT_SCORER)


def require_open(round_: ScoringRound) -> None:
    if round_.status != RoundStatus.OPEN:
        raise Conflict(NOT_OPEN)


def check_can_score(round_: ScoringRound, user: User, project: Project) -> None:
    """Raise unless the person may score this project of the round now (seat, open, not recused)."""
    require_scorer(round_, user)
    require_open(round_)
    if project.id in recused_project_ids(round_, user):
        raise NotAllowed(RECUSED)


def require_recusable(round_: ScoringRound) -> None:
    if round_.status not in (RoundStatus.DRAFT, RoundStatus.OPEN):
        raise Conflict(_l("Conflicts of interest can be declared only before the round closes."))


def people(user_ids) -> dict[int, User]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def is_recused(round_: ScoringRound, user: User, project: Project) -> bool:
    return project.id in recused_project_ids(round_, user)


_require_scorer, _require_open = require_scorer, require_open


def _require_draft(round_: ScoringRound) -> None:
    if round_.status != RoundStatus.DRAFT:
        raise Conflict(_l("The projects of a round can be changed only while it is a draft."))


def _checked_text(text: str | None, max_len: int, field_name: str, *, required_message=None) -> str | None:
    return check_text(text, field_name, max_length=max_len, required=required_message is not None,
                      required_message=required_message)


def _project_ids_of_plan(plan: Plan, project_ids) -> list[int]:
    ids = sorted({int(pid) for pid in project_ids})
    known = set(db.session.scalars(select(Project.id).where(Project.plan_id == plan.id, Project.id.in_(ids))))
    if len(known) != len(ids):
        raise ServiceError(_l("Choose projects of this plan from the list."), field="projects")
    if len(ids) < MIN_PROJECTS:
        raise ServiceError(_l("Choose at least %(n)d projects.", n=MIN_PROJECTS), field="projects")
    return ids


# --- rounds ------------------------------------------------------------------------------------

def create_round(plan: Plan, actor: User, *, name: str, top_k: int, project_ids) -> ScoringRound:
    name = _checked_text(name, NAME_MAX, "name", required_message=_l("Give the round a name."))
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not TOP_K_MIN <= top_k <= TOP_K_MAX:
        raise ServiceError(_l("Enter a whole number from %(low)d to %(high)d.", low=TOP_K_MIN, high=TOP_K_MAX),
                           field="top_k")
    ids = _project_ids_of_plan(plan, project_ids)
    round_ = ScoringRound(plan_id=plan.id, name=name, top_k=top_k, status=RoundStatus.DRAFT)
    db.session.add(round_)
    db.session.flush()
    for pid in ids:
        db.session.add(RoundProject(round_id=round_.id, project_id=pid))
    db.session.flush()
    codes = [p.code for p in round_projects(round_)]
    audit.record("committee.round_created", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"name": name, "top_k": top_k, "projects": codes})
    return round_


def set_projects(round_: ScoringRound, actor: User, project_ids) -> None:
    _require_draft(round_)
    plan = plan_of(round_)
    ids = _project_ids_of_plan(plan, project_ids)
    before = [p.code for p in round_projects(round_)]
    current = {link.project_id: link for link in round_.projects}
    for pid, link in current.items():
        if pid not in ids:
            round_.projects.remove(link)
    for pid in ids:
        if pid not in current:
            round_.projects.append(RoundProject(round_id=round_.id, project_id=pid))
    db.session.flush()
    db.session.expire(round_, ["projects"])
    after = [p.code for p in round_projects(round_)]
    audit.record("committee.round_projects_set", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="scoring_round", target_id=round_.id, details={"before": before, "after": after})


def open_round(round_: ScoringRound, actor: User) -> None:
    """draft → open. From now on the plan's criteria weights are frozen (services.criteria)."""
    if round_.status != RoundStatus.DRAFT:
        raise Conflict(_l("Only a draft round can be opened."))
    plan = plan_of(round_)
    if len(round_.projects) < MIN_PROJECTS:
        raise Conflict(_l("A round needs at least %(n)d projects before it opens.", n=MIN_PROJECTS))
    all_criteria = criteria(plan)
    if not any(c.kind == CriterionKind.SCORED for c in all_criteria):
        raise Conflict(_l("The plan needs at least one scored criterion before a round opens."))
    if sum(c.weight for c in all_criteria) <= 0:
        raise Conflict(_l("The criteria's weights must add up to more than zero before a round opens."))
    round_.status = RoundStatus.OPEN
    round_.opened_at = utcnow()
    db.session.flush()
    audit.record("committee.round_opened", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"projects": [p.code for p in round_projects(round_)],
                          "weights": {c.code: c.weight for c in all_criteria}})


def close_round(round_: ScoringRound, actor: User) -> None:
    """open → closed: no more scores; supports are counted one last time and kept."""
    if round_.status != RoundStatus.OPEN:
        raise Conflict(_l("Only an open round can be closed."))
    plan = plan_of(round_)
    counts = citizen_support([link.project_id for link in round_.projects])
    for link in round_.projects:
        link.supports_at_close = counts.get(link.project_id, 0)
    round_.status = RoundStatus.CLOSED
    round_.closed_at = utcnow()
    db.session.flush()
    members = progress(round_)
    audit.record("committee.round_closed", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"members": len(members), "finished": sum(1 for m in members if m.finished),
                          "missing_cells": sum(m.missing_count for m in members),
                          "scores": sum(m.scored for m in members),
                          "recusals": sum(len(m.recused) for m in members)})


# --- scores --------------------------------------------------------------------------------------

def _check_value(value, field_name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 5:
        raise ServiceError(_l("Choose a score from 0 to 5."), field=field_name)
    return value


def _apply(round_: ScoringRound, user: User, cells: dict[int, dict[int, tuple[int | None, str | None, bool]]],
           crit_codes: dict[int, str]) -> list[dict]:
    """Upsert the member's cells {project id: {criterion id: (value, comment, comment_given)}}.

    value None keeps the stored value (and its comment); comment_given False keeps the comment.
    Selecting then writing is safe: on SQLite the request holds the write lock (BEGIN IMMEDIATE);
    elsewhere a concurrent insert of the same cell hits the UNIQUE constraint → Conflict.
    """
    existing = my_scores(round_, user)
    changes: list[dict] = []
    codes = {p.id: p.code for p in round_projects(round_)}
    for pid, by_criterion in cells.items():
        for cid, (value, comment, comment_given) in by_criterion.items():
            score = existing.get((pid, cid))
            if value is None:
                continue
            new_comment = comment if comment_given else (score.comment if score else None)
            if score is None:
                db.session.add(Score(round_id=round_.id, user_id=user.id, project_id=pid, criterion_id=cid,
                                     value=value, comment=new_comment))
                changes.append({"project": codes[pid], "criterion": crit_codes[cid], "old": None, "new": value,
                                "comment_changed": bool(new_comment)})
            elif score.value != value or score.comment != new_comment:
                changes.append({"project": codes[pid], "criterion": crit_codes[cid], "old": score.value,
                                "new": value, "comment_changed": score.comment != new_comment})
                score.value, score.comment = value, new_comment
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_l("These scores were saved at the same moment from another window. "
                          "Reload the page and check them.")) from None
    return changes


def save_scores(round_: ScoringRound, user: User, project: Project,
                values: dict[int, tuple[int | None, str | None]]) -> int:
    """Save the member's scores for one project: {criterion id: (value 0–5 or None, comment)}.

    None leaves that criterion as it is (unscored, or its stored score). A comment needs a score.
    Returns how many cells changed. Field errors name `score-<id>` / `comment-<id>`.
    """
    _require_scorer(round_, user)
    _require_open(round_)
    project = round_project(round_, project.id)
    if project.id in recused_project_ids(round_, user):
        raise NotAllowed(RECUSED)
    plan = plan_of(round_)
    scored = {c.id: c for c in scored_criteria(plan)}
    if any(cid not in scored for cid in values):
        raise ServiceError(_l("Score only the scored criteria of this plan."))
    existing = my_scores(round_, user)
    cells: dict[int, tuple[int | None, str | None, bool]] = {}
    for cid, (value, comment) in values.items():
        value = _check_value(value, f"score-{cid}")
        comment_text = _checked_text(comment, COMMENT_MAX, f"comment-{cid}")
        if value is None and comment_text and (project.id, cid) not in existing:
            raise ServiceError(_l("Choose a score to save this comment."), field=f"comment-{cid}")
        if value is None and (project.id, cid) in existing:
            value = existing[(project.id, cid)].value  # the comment may still change
        cells[cid] = (value, comment_text, comment is not None)
    changes = _apply(round_, user, {project.id: cells}, {cid: c.code for cid, c in scored.items()})
    if changes:
        audit.record("committee.scores_saved", actor_id=user.id, commune_id=plan.commune_id,
                     target_kind="scoring_round", target_id=round_.id,
                     details={"project": project.code, "via": "form", "count": len(changes), "changes": changes})
    return len(changes)


def recuse(round_: ScoringRound, user: User, project: Project, reason: str) -> Recusal:
    """Declare a conflict of interest: the member's scores on the project are deleted, and they
    can no longer score it in this round. It cannot be withdrawn. Allowed while draft or open."""
    _require_scorer(round_, user)
    require_recusable(round_)
    project = round_project(round_, project.id)
    reason = _checked_text(reason, REASON_MAX, "reason",
                           required_message=_l("Explain the conflict of interest: the chair reads it."))
    if project.id in recused_project_ids(round_, user):
        raise Conflict(_l("You already declared a conflict of interest on this project."))
    deleted = db.session.execute(
        delete(Score).where(Score.round_id == round_.id, Score.user_id == user.id, Score.project_id == project.id)
    ).rowcount
    recusal = Recusal(round_id=round_.id, user_id=user.id, project_id=project.id, reason=reason)
    db.session.add(recusal)
    db.session.flush()
    audit.record("committee.recusal_declared", actor_id=user.id, commune_id=plan_of(round_).commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"project": project.code, "reason": reason, "scores_deleted": deleted})
    return recusal


# --- progress ----------------------------------------------------------------------------------

@dataclass
class ProjectProgress:
    project: Project
    scored: int
    expected: int
    recused: bool

    @property
    def done(self) -> bool:
        return not self.recused and self.scored >= self.expected


@dataclass
class MemberProgress:
    member: CommitteeMember
    projects: list[ProjectProgress]
    missing: list[tuple[Project, Criterion]] = field(default_factory=list)

    @property
    def user(self) -> User:
        return self.member.user

    @property
    def recused(self) -> list[Project]:
        return [p.project for p in self.projects if p.recused]

    @property
    def done(self) -> int:
        return sum(1 for p in self.projects if p.done)

    @property
    def to_do(self) -> int:
        return sum(1 for p in self.projects if not p.recused and not p.done)

    @property
    def scored(self) -> int:
        return sum(p.scored for p in self.projects if not p.recused)

    @property
    def missing_count(self) -> int:
        return len(self.missing)

    @property
    def finished(self) -> bool:
        return not self.missing


def progress(round_: ScoringRound, only_user: User | None = None) -> list[MemberProgress]:
    """Per scoring member: projects done / to do, recused ones, and the missing project × criterion
    cells. Counts only: never the values (the chair reads it while scoring is blind)."""
    plan = plan_of(round_)
    projects = round_projects(round_)
    crits = scored_criteria(plan)
    members = scorers(plan)
    if only_user is not None:
        members = [m for m in members if m.user_id == only_user.id]
    user_ids = [m.user_id for m in members]
    filled: dict[int, set[tuple[int, int]]] = defaultdict(set)
    recused: dict[int, set[int]] = defaultdict(set)
    crit_ids = {c.id for c in crits}
    if user_ids:
        for uid, pid, cid in db.session.execute(
                select(Score.user_id, Score.project_id, Score.criterion_id)
                .where(Score.round_id == round_.id, Score.user_id.in_(user_ids))):
            if cid in crit_ids:
                filled[uid].add((pid, cid))
        for uid, pid in db.session.execute(
                select(Recusal.user_id, Recusal.project_id)
                .where(Recusal.round_id == round_.id, Recusal.user_id.in_(user_ids))):
            recused[uid].add(pid)
    result = []
    for member in members:
        rows, missing = [], []
        for project in projects:
            is_recused = project.id in recused[member.user_id]
            scored = sum(1 for c in crits if (project.id, c.id) in filled[member.user_id])
            rows.append(ProjectProgress(project, scored, len(crits), is_recused))
            if not is_recused:
                missing.extend((project, c) for c in crits if (project.id, c.id) not in filled[member.user_id])
        result.append(MemberProgress(member, rows, missing))
    return result


def my_progress(round_: ScoringRound, user: User) -> MemberProgress | None:
    found = progress(round_, only_user=user)
    return found[0] if found else None


# --- after the round closes ----------------------------------------------------------------------

def _require_unblinded(round_: ScoringRound) -> None:
    if round_.status not in (RoundStatus.CLOSED, RoundStatus.PUBLISHED):
        raise NotAllowed(HIDDEN)


@dataclass
class MemberScores:
    """One person's scores and recusals in a closed round (member is None if they left the committee)."""

    user: User
    member: CommitteeMember | None
    scores: dict[tuple[int, int], Score]
    recused: dict[int, Recusal]

    @property
    def organisation(self) -> str:
        return (self.member.organisation if self.member else None) or ""


def all_scores(round_: ScoringRound) -> list[MemberScores]:
    """Everybody's scores and comments, member by member — only once the round is closed."""
    _require_unblinded(round_)
    plan = plan_of(round_)
    by_user: dict[int, dict[tuple[int, int], Score]] = defaultdict(dict)
    for score in db.session.scalars(select(Score).where(Score.round_id == round_.id)):
        by_user[score.user_id][(score.project_id, score.criterion_id)] = score
    recused_by: dict[int, dict[int, Recusal]] = defaultdict(dict)
    for r in recusals(round_):
        recused_by[r.user_id][r.project_id] = r
    seats = {m.user_id: m for m in db.session.scalars(
        select(CommitteeMember).where(CommitteeMember.plan_id == plan.id))}
    # A member removed from the committee after scoring keeps their scores: they are shown too.
    user_ids = set(by_user) | set(recused_by)
    users = list(db.session.scalars(select(User).where(User.id.in_(user_ids)))) if user_ids else []
    users.sort(key=lambda u: (u.display_name.casefold(), u.id))
    return [MemberScores(u, seats.get(u.id), by_user.get(u.id, {}), recused_by.get(u.id, {})) for u in users]


# --- CSV ---------------------------------------------------------------------------------------

def _safe_cell(value) -> str:
    """Neutralise spreadsheet formulas (a leading apostrophe), SECURITY.md §4."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _unneutralise(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def _csv(rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_safe_cell(cell) for cell in row])
    return "\ufeff" + out.getvalue()  # the BOM tells spreadsheets it is UTF-8


def sheet_csv(round_: ScoringRound, user: User, locale: str | None = None) -> str:
    """The member's own score sheet: one row per (project not recused × scored criterion),
    prefilled with their current scores."""
    _require_scorer(round_, user)
    plan = plan_of(round_)
    mine = my_scores(round_, user)
    recused = recused_project_ids(round_, user)
    rows: list[list] = [list(SHEET_COLUMNS)]
    crits = scored_criteria(plan)
    for project in round_projects(round_):
        if project.id in recused:
            continue
        for c in crits:
            score = mine.get((project.id, c.id))
            rows.append([project.code, c.code, "" if score is None else score.value,
                         (score.comment or "") if score else "", project.title_in(locale), c.name_in(locale)])
    return _csv(rows)


def all_scores_csv(round_: ScoringRound) -> str:
    """Everybody's scores once the round is closed; a recusal is a row with score "recused"
    (the format `flask prioritize rank --scores` reads; extra columns are ignored there)."""
    everyone = all_scores(round_)
    plan = plan_of(round_)
    projects = {p.id: p for p in round_projects(round_)}
    crits = {c.id: c for c in criteria(plan)}
    rows: list[list] = [["member", "project", "criterion", "score", "comment", "member_name", "organisation"]]
    for ms in everyone:
        name, org = ms.user.display_name, ms.organisation
        for pid, recusal in sorted(ms.recused.items(), key=lambda kv: projects[kv[0]].code):
            rows.append([ms.user.id, projects[pid].code, "", "recused", recusal.reason, name, org])
        for (pid, cid), score in sorted(ms.scores.items(),
                                        key=lambda kv: (projects[kv[0][0]].code, crits[kv[0][1]].position,
                                                        crits[kv[0][1]].code)):
            rows.append([ms.user.id, projects[pid].code, crits[cid].code, score.value,
                         score.comment or "", name, org])
    return _csv(rows)


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _parse_file(round_: ScoringRound, user: User, data: bytes):
    """Check the whole file; (errors, cells, count). Each error is (line, lazy message)."""
    errors: list[tuple[int, object]] = []
    if len(data) > FILE_MAX_BYTES:
        return [(1, _l("The file is larger than 1 MB."))], {}, 0
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        return [(line, _l("The file is not UTF-8 text. In your spreadsheet, save it as “CSV UTF-8”."))], {}, 0
    if not text.strip():
        return [(1, _l("The file is empty: it needs the header line project,criterion,score."))], {}, 0
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        header = next(reader)
        names = [_unneutralise(cell.strip().lower()) for cell in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            return [(1, _l("The header lacks the column(s) %(names)s: it must have project, criterion and score.",
                           names=", ".join(missing)))], {}, 0
        twice = sorted({n for n in names if n and names.count(n) > 1})
        if twice:
            return [(1, _l("The column(s) %(names)s appear twice in the header.", names=", ".join(twice)))], {}, 0
        at = {name: names.index(name) for name in (*REQUIRED_COLUMNS, "comment") if name in names}
        plan = plan_of(round_)
        plan_projects_by_code = {p.code: p for p in plan_projects(plan)}
        in_round = {p.id for p in round_projects(round_)}
        crits_by_code = {c.code: c for c in criteria(plan)}
        recused = recused_project_ids(round_, user)
        seen: dict[tuple[int, int], int] = {}
        cells: dict[int, dict[int, tuple[int | None, str | None, bool]]] = defaultdict(dict)
        count = 0
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names) and not (len(row) > len(names) and not any(c.strip() for c in row[len(names):])):
                errors.append((line, _l("%(found)d cells where the header has %(expected)d.",
                                        found=len(row), expected=len(names))))
                continue
            get = {name: _unneutralise(row[i].strip()) for name, i in at.items()}
            code, ccode, raw = get["project"], get["criterion"], get["score"]
            line_errors = []
            project = plan_projects_by_code.get(code)
            if project is None:
                line_errors.append(_l("Unknown project “%(code)s”.", code=code))
            elif project.id not in in_round:
                line_errors.append(_l("Project %(code)s is not part of this round.", code=code))
            elif project.id in recused:
                line_errors.append(_l("You declared a conflict of interest on project %(code)s: you cannot score it.",
                                      code=code))
            criterion = crits_by_code.get(ccode)
            if criterion is None:
                line_errors.append(_l("Unknown criterion “%(code)s”.", code=ccode))
            elif criterion.kind != CriterionKind.SCORED:
                line_errors.append(_l("Criterion %(code)s is computed from residents' supports: it is not scored.",
                                      code=ccode))
            value = None
            if raw:
                if _SCORE.fullmatch(raw):
                    value = int(raw)
                else:
                    line_errors.append(_l("The score “%(score)s” is not a whole number from 0 to 5.", score=raw[:20]))
            comment = None
            if "comment" in at:
                try:
                    comment = _checked_text(get["comment"], COMMENT_MAX, "comment")
                except ServiceError as exc:
                    line_errors.append(exc.message)
            if line_errors:
                errors.extend((line, msg) for msg in line_errors)
                continue
            key = (project.id, criterion.id)
            if key in seen:
                errors.append((line, _l("Project %(project)s, criterion %(criterion)s is already on line %(first)d.",
                                        project=code, criterion=ccode, first=seen[key])))
                continue
            seen[key] = line
            if value is None:
                if comment:
                    errors.append((line, _l("This line has a comment but no score: give a score or remove the comment.")))
                continue  # empty score: the cell is left as it is
            count += 1
            cells[project.id][criterion.id] = (value, comment, "comment" in at)
        if not errors and not count:
            if not seen:
                errors.append((1, _l("The file has no score lines after the header.")))
        return errors, cells, count
    except csv.Error as err:
        return [*errors, (reader.line_num, _l("Malformed CSV: %(problem)s.", problem=str(err)))], {}, 0


def import_csv(round_: ScoringRound, user: User, data: bytes) -> int:
    """Import the member's scores from a CSV file (see sheet_csv). All or nothing: any error
    raises ScoreFileError with every (line, message) and nothing is saved.

    An empty score leaves that cell as it is. Returns the number of scores in the file."""
    _require_scorer(round_, user)
    _require_open(round_)
    errors, cells, count = _parse_file(round_, user, data)
    if errors:
        raise ScoreFileError(sorted(errors, key=lambda e: e[0]))
    plan = plan_of(round_)
    changes = _apply(round_, user, dict(cells), {c.id: c.code for c in scored_criteria(plan)})
    audit.record("committee.scores_saved", actor_id=user.id, commune_id=plan.commune_id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"via": "csv", "lines": count, "count": len(changes), "changes": changes})
    return count
