"""The committee part of the Tetouan demo: seats, criteria, ~24 projects made from the demo
ideas, a closed (then published) round and an open one, with their audit trail.

Called at the end of services.demo.seed_tetouan with the demo's random generator, so the demo
stays reproducible for a given seed. Uses the models directly (bulk adds, one flush per table)
so that it stays fast; the texts are in services/data/demo_committee_data.py.
"""
from __future__ import annotations

import logging
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import false, select

from extensions import db
from models import (
    PUBLIC_STATUSES,
    Axis,
    CommitteeMember,
    Commune,
    Criterion,
    CriterionKind,
    CriterionLevel,
    Idea,
    MemberKind,
    Membership,
    Neighbourhood,
    Plan,
    Project,
    ProjectIdea,
    ProjectIndicator,
    ProjectNeighbourhood,
    ProjectPartner,
    RankingOverride,
    Recusal,
    Role,
    RoundProject,
    RoundStatus,
    Score,
    ScoringRound,
    User,
)
from models._base import utcnow
from prioritization import aggregation as agg
from services import audit
from services.data import demo_committee_data as data
from services.projects import citizen_support

log = logging.getLogger(__name__)

DEMO_DOMAIN = "demo.tasharuk.ma"

# (e-mail local part, kind, chair?, organisation). The accounts themselves are in
# services.demo.ROLE_ACCOUNTS (same password, printed with the other demo logins).
SEATS = [
    ("committee", MemberKind.COMMUNE, True, "Commune de Tétouan — Division du développement"),
    ("undp", MemberKind.UNDP, False, "PNUD Maroc"),
    ("commune2", MemberKind.COMMUNE, False, "Division des affaires sociales"),
    ("commune3", MemberKind.COMMUNE, False, "Service technique"),
    ("observer", MemberKind.OBSERVER, False,
     "Instance de l'équité, de l'égalité des chances et de l'approche genre (IEECAG)"),
]
# How harsh (< 0) or lenient (> 0) each scoring member is, in points.
LENIENCY = {"committee": 0.0, "undp": -0.4, "commune2": 0.45, "commune3": 0.15}
MAX_IDEAS_PER_PROJECT = 4
ROUND_1_SIZE, ROUND_2_SIZE = 16, 8
ROUND_1_TOP_K, ROUND_2_TOP_K = 8, 4
CONTESTED_PROJECTS = 3  # round-1 projects on which members' opinions diverge strongly
COMMENT_RATE = 0.08
DRAINAGE_ROW = 7  # data.PROJECTS row of the drainage project: the one the chair moves up
OVERRIDE_STEP = 3  # places the chair moves a project up


@dataclass
class _Made:
    project: Project
    row: dict


# --- seats and criteria -------------------------------------------------------------------------

def _user(local: str) -> User:
    user = db.session.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))
    if user is None:
        raise RuntimeError(f"the demo account {local}@{DEMO_DOMAIN} is missing (services.demo.ROLE_ACCOUNTS)")
    return user


def _seat_members(commune: Commune, plan: Plan, admin: User) -> dict[str, CommitteeMember]:
    users = {local: _user(local) for local, *_ in SEATS}
    has_role = set(db.session.scalars(
        select(Membership.user_id).where(Membership.commune_id == commune.id, Membership.role == Role.COMMITTEE)))
    db.session.add_all(Membership(user_id=u.id, commune_id=commune.id, role=Role.COMMITTEE)
                       for u in users.values() if u.id not in has_role)
    members = {local: CommitteeMember(plan_id=plan.id, user_id=users[local].id, kind=kind, is_chair=chair,
                                      organisation=organisation)
               for local, kind, chair, organisation in SEATS}
    db.session.add_all(members.values())
    db.session.flush()
    for local, member in members.items():
        audit.record("committee.member_appointed", actor_id=admin.id, commune_id=commune.id,
                     target_kind="committee_member", target_id=member.id,
                     details={"plan": plan.id, "user": member.user_id, "kind": str(member.kind),
                              "organisation": member.organisation, "role_added": member.user_id not in has_role})
        if member.is_chair:
            audit.record("committee.chair_set", actor_id=admin.id, commune_id=commune.id,
                         target_kind="committee_member", target_id=member.id,
                         details={"plan": plan.id, "user": member.user_id, "previous_user": None})
    return members


def _criteria(commune: Commune, plan: Plan, chair: User) -> list[Criterion]:
    criteria = []
    for position, row in enumerate(data.CRITERIA):
        (name_ar, name_fr, name_zgh), (desc_ar, desc_fr, desc_zgh) = row["name"], row["description"]
        criteria.append(Criterion(
            plan_id=plan.id, code=row["code"], kind=row["kind"], weight=row["weight"], position=position,
            name_ar=name_ar, name_fr=name_fr, name_zgh=name_zgh,
            description_ar=desc_ar, description_fr=desc_fr, description_zgh=desc_zgh))
    db.session.add_all(criteria)
    db.session.flush()
    db.session.add_all(
        CriterionLevel(criterion_id=criterion.id, level=level, text_ar=ar, text_fr=fr, text_zgh=zgh)
        for criterion, row in zip(criteria, data.CRITERIA)
        for level, (ar, fr, zgh) in enumerate(row["levels"]))
    db.session.flush()
    for criterion in criteria:
        audit.record("committee.criterion_created", actor_id=chair.id, commune_id=commune.id,
                     target_kind="criterion", target_id=criterion.id,
                     details={"plan": plan.id, "code": criterion.code, "kind": criterion.kind,
                              "old_weight": None, "new_weight": criterion.weight})
    return criteria


# --- projects -------------------------------------------------------------------------------------

def _idea_groups(commune: Commune, plan: Plan) -> tuple[dict[tuple[int, int], list[Idea]], list[Neighbourhood]]:
    """Public ideas grouped by (axis position, neighbourhood position), each group in id order."""
    axes = {a.id: a.position for a in db.session.scalars(select(Axis).where(Axis.commune_id == commune.id))}
    hoods = list(db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.commune_id == commune.id).order_by(Neighbourhood.position)))
    hood_position = {h.id: h.position for h in hoods}
    groups: dict[tuple[int, int], list[Idea]] = defaultdict(list)
    for idea in db.session.scalars(
            select(Idea).where(Idea.plan_id == plan.id, Idea.hidden == false(), Idea.status.in_(PUBLIC_STATUSES))
            .order_by(Idea.id)):
        if idea.axis_id in axes and idea.neighbourhood_id in hood_position:
            groups[(axes[idea.axis_id], hood_position[idea.neighbourhood_id])].append(idea)
    return groups, hoods


def _pick_group(row: dict, groups: dict, used: set) -> tuple[int, int] | None:
    """The largest unused group of the row's axis in a preferred neighbourhood (else anywhere)."""
    free = [key for key, ideas in groups.items() if key[0] == row["axis"] and key not in used and ideas]
    preferred = [key for key in free if key[1] in row["hoods"]]
    pool = preferred or free
    if not pool:
        return None
    return max(pool, key=lambda key: (len(groups[key]), -key[1]))


def _projects(commune: Commune, plan: Plan, chair: User) -> list[_Made]:
    groups, hoods = _idea_groups(commune, plan)
    by_position = {h.position: h for h in hoods}
    used: set[tuple[int, int]] = set()
    made: list[_Made] = []
    links: list[tuple[Project, Neighbourhood, list[Idea]]] = []
    axis_ids = {a.position: a.id for a in db.session.scalars(select(Axis).where(Axis.commune_id == commune.id))}
    for row in data.PROJECTS:
        key = _pick_group(row, groups, used)
        if key is None:
            continue
        used.add(key)
        hood = by_position[key[1]]
        ideas = groups[key][:MAX_IDEAS_PER_PROJECT]
        title_ar, title_fr, title_zgh = row["title"]
        total, women, men, disabled = row["beneficiaries"]
        project = Project(
            commune_id=commune.id, plan_id=plan.id, code=f"TET-{len(made) + 1:02d}",
            title_ar=title_ar.format(n=hood.name_ar), title_fr=title_fr.format(n=hood.name_fr),
            title_zgh=title_zgh.format(n=hood.name_zgh), axis_id=axis_ids[row["axis"]], sector=row["sector"],
            competence=row["competence"], objectives=row["objectives"], beneficiaries_total=total,
            beneficiaries_women=women, beneficiaries_men=men, beneficiaries_disabled=disabled,
            total_cost=row["cost"], commune_share=row["cost"] - sum(amount for _name, amount in row["partners"]),
            duration_years=row["duration"], earliest_start_year=row["start"],
            executing_department=row["department"], sdgs=row["sdgs"], marker_gender=row["markers"][0],
            marker_environment=row["markers"][1], marker_accessibility=row["markers"][2], created_by_id=chair.id)
        made.append(_Made(project, row))
        links.append((project, hood, ideas))
    db.session.add_all(m.project for m in made)
    db.session.flush()
    db.session.add_all(ProjectNeighbourhood(project_id=p.id, neighbourhood_id=h.id) for p, h, _ideas in links)
    db.session.add_all(ProjectIdea(project_id=p.id, idea_id=i.id) for p, _h, ideas in links for i in ideas)
    db.session.add_all(
        ProjectIndicator(project_id=m.project.id, position=position, label=label, unit=unit,
                         baseline=Decimal(str(baseline)), target=Decimal(str(target)))
        for m in made for position, (label, unit, baseline, target) in enumerate(m.row["indicators"]))
    db.session.add_all(
        ProjectPartner(project_id=m.project.id, position=position, name=name, amount=amount)
        for m in made for position, (name, amount) in enumerate(m.row["partners"]))
    db.session.flush()
    for project, _hood, ideas in links:
        audit.record("committee.project_created", actor_id=chair.id, commune_id=commune.id,
                     target_kind="project", target_id=project.id,
                     details={"plan": plan.id, "code": project.code, "ideas": [i.id for i in ideas],
                              "total_cost": project.total_cost, "commune_share": project.commune_share})
    return made


# --- rounds ----------------------------------------------------------------------------------------

def _new_round(commune: Commune, plan: Plan, chair: User, name: str, made: list[_Made], *, top_k: int,
               opened_at) -> ScoringRound:
    """A round over `made`, created and opened by the chair (audited as the services do)."""
    round_ = ScoringRound(plan_id=plan.id, name=name, top_k=min(top_k, len(made)), status=RoundStatus.OPEN,
                          created_at=opened_at - timedelta(days=3), opened_at=opened_at)
    db.session.add(round_)
    db.session.flush()
    db.session.add_all(RoundProject(round_id=round_.id, project_id=m.project.id) for m in made)
    db.session.flush()
    codes = [m.project.code for m in made]
    audit.record("committee.round_created", actor_id=chair.id, commune_id=commune.id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"name": name, "top_k": round_.top_k, "projects": codes})
    audit.record("committee.round_opened", actor_id=chair.id, commune_id=commune.id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"projects": codes, "weights": {row["code"]: row["weight"] for row in data.CRITERIA}})
    return round_


def _score_value(rng: random.Random, m: _Made, criterion: Criterion, bias: float) -> int:
    """A latent project quality, shifted per criterion, + the member's bias + noise, clamped to 0–5."""
    row = m.row
    value = row["quality"] + row["profile"].get(criterion.code, 0.0) + bias + rng.gauss(0.0, 0.6)
    if criterion.code == "environment":
        value += 0.5 * (row["markers"][1] - 1)
    elif criterion.code == "gender-inclusion":
        value += 0.4 * (row["markers"][0] - 1) + 0.3 * (row["markers"][2] - 1)
    return min(5, max(0, round(value)))


def _comment(rng: random.Random, value: int) -> str | None:
    if value <= 1 and rng.random() < COMMENT_RATE * 3:
        return rng.choice(data.LOW_SCORE_COMMENTS)
    if value >= 5 and rng.random() < COMMENT_RATE * 3:
        return rng.choice(data.HIGH_SCORE_COMMENTS)
    return None


def _score(rng: random.Random, commune: Commune, round_: ScoringRound, sheets: dict[str, list[_Made]],
           members: dict[str, CommitteeMember], scored: list[Criterion], *, contested: set[str],
           at) -> list[Score]:
    """Each member scores the projects listed for them, every scored criterion; one flush, then one
    audit entry per member, as services.scoring records a member's uploaded spreadsheet (CSV)."""
    scores: list[Score] = []
    saved: list[tuple[int, list[dict]]] = []
    for local, made in sheets.items():
        user_id = members[local].user_id
        changes = []
        for m in made:
            spread = 1.7 if m.project.code in contested else 0.3
            bias = LENIENCY[local] + rng.gauss(0.0, spread)
            for criterion in scored:
                value = _score_value(rng, m, criterion, bias)
                comment = _comment(rng, value)
                scores.append(Score(round_id=round_.id, user_id=user_id, project_id=m.project.id,
                                    criterion_id=criterion.id, value=value, comment=comment,
                                    created_at=at, updated_at=at))
                changes.append({"project": m.project.code, "criterion": criterion.code, "old": None, "new": value,
                                "comment_changed": comment is not None})
        saved.append((user_id, changes))
    db.session.add_all(scores)
    db.session.flush()
    for user_id, changes in saved:
        audit.record("committee.scores_saved", actor_id=user_id, commune_id=commune.id,
                     target_kind="scoring_round", target_id=round_.id,
                     details={"via": "csv", "lines": len(changes), "count": len(changes), "changes": changes})
    return scores


def _ranking(round_: ScoringRound, criteria: list[Criterion], made: list[_Made], scores: list[Score],
             recusals: list[Recusal]) -> agg.Ranking:
    """The computed ranking of a closed round, from the same inputs services.ranking builds."""
    code_of = {m.project.id: m.project.code for m in made}
    criterion_code = {c.id: c.code for c in criteria if c.kind == CriterionKind.SCORED}
    supports = {rp.project_id: rp.supports_at_close or 0 for rp in round_.projects}
    a_criteria = [agg.Criterion(id=c.code, weight=float(c.weight), kind=c.kind) for c in criteria]
    a_projects = [agg.Project(code=m.project.code, supports=supports.get(m.project.id, 0), cost=m.project.total_cost)
                  for m in made]
    a_scores = [agg.Score(member=str(s.user_id), project=code_of[s.project_id],
                          criterion=criterion_code[s.criterion_id], value=s.value) for s in scores]
    a_scores += [agg.Score.recusal(str(r.user_id), code_of[r.project_id]) for r in recusals]
    return agg.aggregate(a_criteria, a_projects, a_scores)


def publish_demo_round(round_: ScoringRound, actor: User | None = None) -> bool:
    """Publish a closed demo round through services.ranking.publish (the public snapshot).

    Until that service exists the round stays CLOSED and a warning is logged. Returns whether
    the round was published.
    """
    if actor is None:
        actor = db.session.scalar(select(User).join(CommitteeMember, CommitteeMember.user_id == User.id)
                                  .where(CommitteeMember.plan_id == round_.plan_id, CommitteeMember.is_chair))
    try:
        from services.ranking import publish

        publish(round_, actor)
    except (ImportError, AttributeError) as error:
        log.warning("demo round %s left closed: services.ranking.publish is not available (%s)", round_.id, error)
        return False
    return True


def _round_one(rng: random.Random, commune: Commune, plan: Plan, members: dict[str, CommitteeMember],
               users: dict[str, User], criteria: list[Criterion], made: list[_Made]) -> ScoringRound:
    """Scored by everyone, one recusal, closed, one override by the chair, then published."""
    now = utcnow()
    chair = users["committee"]
    round_ = _new_round(commune, plan, chair, data.ROUND_1_NAME, made, top_k=ROUND_1_TOP_K,
                        opened_at=now - timedelta(days=75))
    scored = [c for c in criteria if c.kind == CriterionKind.SCORED]
    recused = rng.choice(made)
    recusal = Recusal(round_id=round_.id, user_id=users["commune3"].id, project_id=recused.project.id,
                      reason=data.RECUSAL_REASON, declared_at=now - timedelta(days=70))
    db.session.add(recusal)
    db.session.flush()
    audit.record("committee.recusal_declared", actor_id=users["commune3"].id, commune_id=commune.id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"project": recused.project.code, "reason": recusal.reason, "scores_deleted": 0})
    contested = {m.project.code for m in rng.sample(made, k=min(CONTESTED_PROJECTS, len(made)))}
    sheets = {local: [m for m in made if not (local == "commune3" and m is recused)]
              for local in LENIENCY}
    scores = _score(rng, commune, round_, sheets, members, scored, contested=contested,
                    at=now - timedelta(days=50))

    counts = citizen_support([m.project.id for m in made])
    for link in round_.projects:
        link.supports_at_close = counts.get(link.project_id, 0)
    round_.status = RoundStatus.CLOSED
    round_.closed_at = now - timedelta(days=40)
    db.session.flush()
    audit.record("committee.round_closed", actor_id=chair.id, commune_id=commune.id,
                 target_kind="scoring_round", target_id=round_.id,
                 details={"members": len(sheets), "finished": len(sheets), "missing_cells": 0,
                          "scores": len(scores), "recusals": 1})

    ranking = _ranking(round_, criteria, made, scores, [recusal])
    by_code = {m.project.code: m for m in made}
    drainage = next((m for m in made if m.row is data.PROJECTS[DRAINAGE_ROW]), None)
    target = drainage if drainage is not None and ranking.project(drainage.project.code).rank > 1 else \
        by_code[ranking.projects[-1].project]
    computed = ranking.project(target.project.code).rank
    new_rank = max(1, computed - OVERRIDE_STEP)
    if new_rank < computed:
        justification = data.OVERRIDE_JUSTIFICATION if target is drainage else data.OVERRIDE_JUSTIFICATION_OTHER
        entry = RankingOverride(round_id=round_.id, project_id=target.project.id, computed_rank=computed,
                                new_rank=new_rank, justification=justification, user_id=chair.id,
                                created_at=now - timedelta(days=38))
        db.session.add(entry)
        db.session.flush()
        audit.record("committee.override", actor_id=chair.id, commune_id=commune.id,
                     target_kind="scoring_round", target_id=round_.id,
                     details={"round": round_.name, "project": target.project.code, "computed_rank": computed,
                              "previous_rank": computed, "new_rank": new_rank, "justification": justification})
    publish_demo_round(round_, chair)
    return round_


def _round_two(rng: random.Random, commune: Commune, plan: Plan, members: dict[str, CommitteeMember],
               users: dict[str, User], criteria: list[Criterion], made: list[_Made]) -> ScoringRound:
    """Open: the UNDP member has finished, commune2 is half-way, commune3 and the chair have not started."""
    now = utcnow()
    round_ = _new_round(commune, plan, users["committee"], data.ROUND_2_NAME, made, top_k=ROUND_2_TOP_K,
                        opened_at=now - timedelta(days=5))
    scored = [c for c in criteria if c.kind == CriterionKind.SCORED]
    sheets = {"undp": made, "commune2": made[:len(made) // 2]}
    _score(rng, commune, round_, sheets, members, scored, contested=set(), at=now - timedelta(days=2))
    return round_


# --- entry point -------------------------------------------------------------------------------------

def seed_committee(commune: Commune, plan: Plan, *, rng: random.Random) -> dict:
    """Seats, criteria, projects and two rounds for the demo plan. Returns what was made."""
    users = {local: _user(local) for local, *_ in SEATS}
    admin = _user("admin")
    members = _seat_members(commune, plan, admin)
    criteria = _criteria(commune, plan, users["committee"])
    made = _projects(commune, plan, users["committee"])
    first_size = min(ROUND_1_SIZE, math.ceil(len(made) * ROUND_1_SIZE / (ROUND_1_SIZE + ROUND_2_SIZE)))
    first, second = made[:first_size], made[first_size:first_size + ROUND_2_SIZE]
    rounds = {}
    if len(first) >= 2:
        rounds["round_1"] = _round_one(rng, commune, plan, members, users, criteria, first).id
    if len(second) >= 2:
        rounds["round_2"] = _round_two(rng, commune, plan, members, users, criteria, second).id
    db.session.flush()
    # Envelopes, the adopted programme and its execution, the platform's support round.
    from services.demo_programme import seed_programme

    programme = seed_programme(commune, plan, rng=rng, chair=users["committee"], admin=admin,
                               observer=users["observer"])
    return {"members": len(members), "criteria": len(criteria), "projects": len(made), **rounds,
            "programme": programme}
