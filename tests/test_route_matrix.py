"""The route × role matrix over every URL rule (SECURITY.md §1, §4).

For each rule and each kind of visitor — anonymous, resident, association
representative, moderator, committee member, commune admin, and another
commune's admin — the answer must follow the rule's access declaration:
refused people get 403 (anonymous people are sent to sign in), nobody gets a 500.
POSTs carry a real CSRF token so that the access check, not CSRF, is what is tested.
"""
from __future__ import annotations

import re

import pytest

from blueprints._access import declaration
from services import access
from tests.conftest import csrf_token, make_association, make_idea, make_user

VISITORS = ("anonymous", "resident", "association", "moderator", "committee", "admin", "bureau", "equality",
            "other_admin")
ROLES = {
    "resident": ("resident",),
    "association": ("resident", "association"),
    "moderator": ("moderator",),
    "committee": ("committee",),
    "admin": ("admin",),
    "bureau": ("bureau",),
    "equality": ("equality",),
}


@pytest.fixture()
def world(app, commune):
    from extensions import db
    from models import Comment
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    users = {name: make_user(commune, roles) for name, roles in ROLES.items()}
    users["other_admin"] = make_user(other, ("admin",))
    author = make_user(commune, ("resident",))
    idea = make_idea(commune, author)
    comment = Comment(idea_id=idea.id, author_id=author.id, stance="for", body="Un avis.")
    db.session.add(comment)
    association = make_association(commune, users["association"])
    committee = _committee_world(commune, users["committee"], idea)
    db.session.commit()
    committee["petition_id"] = _petition_world(commune, author)
    committee["opinion_id"] = _equality_world(commune, users["equality"], committee["project"])
    return {"users": users, "idea": idea, "comment": comment, "association": association, "commune": commune,
            **committee}


def _equality_world(commune, member, project) -> int:
    """An opinion of the equality body on the world's project (no committee response yet)."""
    from extensions import db
    from services import equality

    opinion = equality.publish(commune, equality.OpinionInput(
        subject_kind="project", project_id=project.id, title="Avis sur le projet",
        body="L'instance demande des indicateurs par sexe pour ce projet."), member)
    db.session.commit()
    return opinion.id


def _petition_world(commune, author) -> int:
    """A residents' petition FILED by `author` (its agent): public, with a receipt, for the bureau to decide."""
    from datetime import date

    from extensions import db
    from services import petitions
    from tests.test_petitions import draft_input

    petition = petitions.create_draft(author, commune, draft_input())
    petitions.open_for_signatures(author, petition, commune)
    petition.threshold = 1
    petitions.sign(author, petition.id, commune.id, declared=True)
    petitions.file(author, petition.id, commune, today=date.today())
    db.session.commit()
    return petition.id


def _committee_world(commune, chair, idea) -> dict:
    """A plan committee whose chair is the "committee" visitor, one criterion, one project made
    from the idea, and a round (draft) over it."""
    from extensions import db
    from models import (CommitteeMember, Criterion, Plan, Project, ProjectIdea, RoundProject,
                        ScoringRound)
    from sqlalchemy import select

    plan = db.session.scalar(select(Plan).where(Plan.commune_id == commune.id))
    member = CommitteeMember(plan_id=plan.id, user_id=chair.id, kind="commune", is_chair=True)
    criterion = Criterion(plan_id=plan.id, code="impact", kind="scored", weight=1.0,
                          name_ar="الأثر", name_fr="Impact", name_zgh="ⴰⵙⵓⵖⵍ")
    project = Project(commune_id=commune.id, plan_id=plan.id, code="TET-01", title_ar="مشروع",
                      title_fr="Projet", title_zgh="ⴰⵙⵏⴼⴰⵔ", axis_id=idea.axis_id, total_cost=1000,
                      commune_share=500, duration_years=1, earliest_start_year=plan.start_year)
    db.session.add_all([member, criterion, project])
    db.session.flush()
    db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
    round_ = ScoringRound(plan_id=plan.id, name="Round 1")
    db.session.add(round_)
    db.session.flush()
    db.session.add(RoundProject(round_id=round_.id, project_id=project.id))
    db.session.flush()
    return {"member": member, "criterion": criterion, "project": project, "round": round_,
            **_support_round_world(commune, plan, project), **_execution_world(plan, project),
            **_public_programme_world(plan, project), **_committee_programme_world(plan, project)}


def _support_round_world(commune, plan, project) -> dict:
    """A platform support round (pbrules) over the world's project, with one anonymous ballot."""
    from extensions import db
    from models import SupportBallot, SupportRound, SupportRoundProject

    support_round = SupportRound(commune_id=commune.id, plan_id=plan.id, name="Supports", vote_type="approval",
                                 budget="1000", meta_json='{"budget": "1000", "vote_type": "approval", '
                                 '"num_projects": "1", "num_votes": "1"}',
                                 project_columns_json='["project_id", "cost"]', num_ballots=1, source="platform")
    db.session.add(support_round)
    db.session.flush()
    db.session.add_all([
        SupportRoundProject(round_id=support_round.id, position=0, external_id=project.code, cost=1000,
                            project_id=project.id),
        SupportBallot(round_id=support_round.id, position=1, projects=project.code),
    ])
    db.session.flush()
    return {"support_round": support_round}


def _execution_world(plan, project) -> dict:
    """Execution follow-up: a report and a milestone (no photo) of the world's project in the plan's first year."""
    from datetime import date

    from extensions import db
    from models import ExecutionReport, Milestone

    milestone = Milestone(project_id=project.id, happened_on=date(plan.start_year, 3, 1), label="Lancement")
    db.session.add_all([milestone, ExecutionReport(project_id=project.id, year=plan.start_year, status="studies",
                                                   percent_complete=10, amount_spent=0)])
    db.session.flush()
    return {"execution_year": plan.start_year, "milestone_id": milestone.id}  # an id: the matrix deletes it


def _public_programme_world(plan, project) -> dict:
    """A PROPOSED programme version (public, unlike drafts) placing the world's project, for the
    public programme pages; numbered 90 so it never takes another helper's version number."""
    from extensions import db
    from models import ProgrammeEntry, ProgrammeVersion, ScheduleLine

    version = ProgrammeVersion(plan_id=plan.id, number=90, status="proposed")
    db.session.add(version)
    db.session.flush()
    entry = ProgrammeEntry(version_id=version.id, project_id=project.id, position=1, state="placed",
                           start_year=plan.start_year)
    db.session.add(entry)
    db.session.flush()
    db.session.add(ScheduleLine(entry_id=entry.id, year=plan.start_year, amount=project.total_cost))
    db.session.flush()
    return {"public_version_id": version.id}


def _committee_programme_world(plan, project) -> dict:
    """The committee's programme: an envelope per plan year and a DRAFT version placing the project."""
    from extensions import db
    from models import BudgetEnvelope, ProgrammeEntry, ProgrammeVersion, ScheduleLine

    db.session.add_all([BudgetEnvelope(plan_id=plan.id, year=y, amount=10_000, participatory_amount=0)
                        for y in range(plan.start_year, plan.end_year + 1)])
    version = ProgrammeVersion(plan_id=plan.id, number=1, status="draft")
    db.session.add(version)
    db.session.flush()
    entry = ProgrammeEntry(version_id=version.id, project_id=project.id, position=1, state="placed",
                           start_year=plan.start_year)
    db.session.add(entry)
    db.session.flush()
    db.session.add(ScheduleLine(entry_id=entry.id, year=plan.start_year, amount=project.total_cost))
    db.session.flush()
    return {"programme_version_id": version.id}


def _url(rule, world) -> str:
    from models import Axis
    from extensions import db
    from sqlalchemy import select

    values = {
        "commune": "tetouan",
        "idea_id": world["idea"].id,
        "association_id": world["association"].id,
        "target_id": world["idea"].id,
        "kind": "idea",
        "user_id": world["users"]["resident"].id,
        "role": "moderator",
        "project_id": world["project"].id,
        "round_id": world["round"].id,
        "criterion_id": world["criterion"].id,
        "member_id": world["member"].id,
        "code": world["project"].code,
        "support_round_id": world["support_round"].id,
        "petition_id": world["petition_id"],
        "opinion_id": world["opinion_id"],  # equality.*: an opinion on the world's project
        # me.unsubscribe and auth.reset_password: refused with 400 for everybody (tests/test_mail.py,
        # tests/test_password_reset.py)
        "token": "not-a-valid-token",
    }
    if rule.endpoint.startswith("admin."):
        values["kind"] = "axes"
    if "item_id" in rule.arguments:
        values["item_id"] = db.session.scalar(select(Axis.id).where(Axis.commune_id == world["commune"].id))
    if "id" in rule.arguments:
        values["id"] = world["association"].id
    if rule.endpoint.startswith("execution."):  # execution follow-up: a plan year, the world's milestone
        values.update(year=world["execution_year"], milestone_id=world["milestone_id"])
    if rule.endpoint.startswith(("programme_public.", "opendata.")):  # public programme, open data
        values.update(version_id=world["public_version_id"], dataset="projects", fmt="csv",
                      round_id=world["support_round"].id)
    if rule.endpoint.startswith("programme."):  # the committee's programme: its draft version
        values["version_id"] = world["programme_version_id"]
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: give the matrix a sample value for {missing}"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", str(values[name]), path)
    return path


def _sign_in(client, user):
    from tests.conftest import login

    login(client, user)


def _allowed(decl, visitor, world) -> bool:
    kind, action = decl
    if kind == "public":
        return True
    if visitor == "anonymous":
        return False
    if kind == "signed_in":
        return True
    user = world["users"][visitor]
    return access.can(user, action, world["commune"].id)


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_route_answers_as_declared(app, client, world, visitor):
    if visitor != "anonymous":
        _sign_in(client, world["users"][visitor])
    problems = []
    for rule in _rules(app):
        decl = declaration(app.view_functions[rule.endpoint])
        url = _url(rule, world)
        allowed = _allowed(decl, visitor, world)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint in ("auth.logout",):
                continue  # would end this visitor's session mid-matrix; tested in test_sessions
            data = {"csrf_token": csrf_token(client)} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            status = response.status_code
            if status >= 500:
                problems.append(f"{method} {url} as {visitor}: {status}")
            elif not allowed:
                expected_login = visitor == "anonymous" and status in (302, 303) and "/login" in response.headers.get("Location", "")
                if not (status == 403 or expected_login):
                    problems.append(f"{method} {url} as {visitor}: {status}, expected refusal")
            elif status == 403 and decl[0] != "action":
                problems.append(f"{method} {url} as {visitor}: 403 although the route is {decl[0]}")
            elif status == 403 and rule.endpoint not in OBJECT_CHECKED:
                problems.append(f"{method} {url} as {visitor}: 403 although the role may {decl[1]}")
    assert problems == [], "\n".join(problems)


# Routes where an allowed role may still be refused for this particular object
# (someone else's idea, an association one doesn't represent, a phase that is closed).
OBJECT_CHECKED = {
    "ideas.edit_idea", "ideas.submit_idea", "associations.add_representative",
    "ideas.association_support", "ideas.association_withdraw", "admin.revoke_role",
    "ranking.committee_ranking",  # the matrix's round is a draft: the ranking stays hidden (blind scoring)
    "rounds.all_scores",  # the matrix's round is a draft: everybody's scores stay hidden until it closes
    "rounds.all_scores_csv",  # same rule for the CSV export
    "programme.record_opinion",  # the equality body's observer seat (or an admin): the chair is refused
    # petitions: the matrix's petition is someone else's and filed — its author edits/opens/withdraws drafts and
    # names the agent, its agent files it
    "petitions.edit_petition", "petitions.open_petition", "petitions.withdraw_petition", "petitions.name_agent",
    "petitions.file_petition",
}
