"""The platform's own support round (services.pb_rounds) and the pbrules pages: the round built from
residents' supports (distinct, anonymous), every rule side by side with its reasons, the .pb download,
access and CSRF."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (AuditEntry, BudgetEnvelope, CommitteeMember, Project, ProjectIdea, Support, SupportBallot,
                    SupportRound, SupportRoundProject)
from prioritization import pabulib
from services import pb_rounds
from services.errors import Conflict, ServiceError
from tests.conftest import login, make_idea, make_user, post

BASE = "/tetouan/committee/support-rounds"


def _project(plan, code, cost, ideas):
    project = Project(commune_id=plan.commune_id, plan_id=plan.id, code=code, title_ar="مشروع", title_fr=f"Projet {code}",
                      title_zgh="ⴰⵙⵏⴼⴰⵔ", axis_id=ideas[0].axis_id, total_cost=cost, commune_share=cost,
                      duration_years=1, earliest_start_year=plan.start_year)
    db.session.add(project)
    db.session.flush()
    for idea in ideas:
        db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
    return project


@pytest.fixture()
def supports(commune, plan):
    """P-A (600 MAD) from ideas 1 and 2, P-B (500 MAD) from idea 3, P-C (100 MAD) from idea 4 (nobody
    supports it). Resident 1 supports ideas 1 and 2 (once for P-A), resident 2 ideas 1 and 3,
    resident 3 idea 3. Expected ballots: {P-A}, {P-A, P-B}, {P-B}."""
    r1, r2, r3 = (make_user(commune, ("resident",)) for _ in range(3))
    ideas = [make_idea(commune, r1, title=f"Idée {k}") for k in range(4)]
    a = _project(plan, "P-A", 600, ideas[:2])
    b = _project(plan, "P-B", 500, ideas[2:3])
    c = _project(plan, "P-C", 100, ideas[3:])
    for user, idea in ((r1, 0), (r1, 1), (r2, 0), (r2, 2), (r3, 2)):
        db.session.add(Support(idea_id=ideas[idea].id, user_id=user.id, plan_id=plan.id))
    db.session.commit()
    return {"residents": (r1, r2, r3), "projects": (a, b, c), "ideas": ideas}


@pytest.fixture()
def chair(commune, plan):
    user = make_user(commune, ("committee",))
    db.session.add(CommitteeMember(plan_id=plan.id, user_id=user.id, kind="commune", is_chair=True))
    db.session.commit()
    return user


@pytest.fixture()
def observer(commune, plan):
    user = make_user(commune, ("committee",))
    db.session.add(CommitteeMember(plan_id=plan.id, user_id=user.id, kind="observer"))
    db.session.commit()
    return user


def _ballots(round_id):
    return db.session.scalars(select(SupportBallot.projects).where(SupportBallot.round_id == round_id)
                              .order_by(SupportBallot.position)).all()


# --- the service ---------------------------------------------------------------------------

def test_platform_round_counts_each_resident_once_per_project(plan, supports, chair):
    round_ = pb_rounds.platform_round(plan, chair, 1000)
    db.session.commit()
    assert round_.source == "platform" and round_.plan_id == plan.id and round_.vote_type == "approval"
    assert round_.budget == "1000" and round_.num_ballots == 3
    assert _ballots(round_.id) == ["P-A", "P-A,P-B", "P-B"]
    rows = db.session.scalars(select(SupportRoundProject).where(SupportRoundProject.round_id == round_.id)
                              .order_by(SupportRoundProject.position)).all()
    a, b, c = supports["projects"]
    assert [(r.external_id, r.cost, r.project_id) for r in rows] == [("P-A", 600, a.id), ("P-B", 500, b.id),
                                                                     ("P-C", 100, c.id)]
    assert [json.loads(r.fields_json)["votes"] for r in rows] == ["2", "2", "0"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "committee.support_round_created"))
    assert entry.target_id == round_.id and entry.actor_id == chair.id


def test_platform_round_is_anonymous(plan, supports, chair):
    round_ = pb_rounds.platform_round(plan, chair, 1000)
    db.session.commit()
    text = pb_rounds.pabulib_text(round_)
    instance = pabulib.parse(text)
    assert [b.voter_id for b in instance.ballots] == ["1", "2", "3"]
    for user in supports["residents"]:
        assert user.email not in text
    assert "voter_id;vote\n" in text and "age" not in text.split("VOTES")[1]


def test_budget_comes_from_the_envelopes_or_is_refused(plan, supports, chair):
    with pytest.raises(ServiceError) as refused:
        pb_rounds.platform_round(plan, chair)
    assert refused.value.field == "budget"
    for bad in (0, -5, 10 ** 13):
        with pytest.raises(ServiceError):
            pb_rounds.platform_round(plan, chair, bad)
    db.session.add_all([BudgetEnvelope(plan_id=plan.id, year=plan.start_year, amount=5000, participatory_amount=700),
                        BudgetEnvelope(plan_id=plan.id, year=plan.start_year + 1, amount=5000, participatory_amount=400)])
    db.session.flush()
    assert pb_rounds.platform_round(plan, chair).budget == "1100"


def test_no_projects_or_no_supports_is_a_conflict(commune, plan, chair):
    with pytest.raises(Conflict):
        pb_rounds.platform_round(plan, chair, 1000)
    idea = make_idea(commune, chair)
    _project(plan, "P-A", 600, [idea])
    db.session.flush()
    with pytest.raises(Conflict):
        pb_rounds.platform_round(plan, chair, 1000)
    assert db.session.scalar(select(func.count()).select_from(SupportRound)) == 0


def test_compare_runs_every_rule_with_reasons(plan, supports, chair):
    round_ = pb_rounds.platform_round(plan, chair, 1000)
    db.session.commit()
    comparison = pb_rounds.compare(round_)
    columns = {c.rule: c for c in comparison.columns}
    # no threshold in a platform round: greedy-threshold is left out
    assert list(columns) == ["greedy", "greedy-no-skip", "mes", "mes-add1", "mes-add1-comparison"]
    # greedy: P-A and P-B have 2 votes each, P-B is cheaper: P-B (500), then P-A (600 > 500 left), then P-C
    assert columns["greedy"].selected == ("P-B", "P-C") and columns["greedy"].total_cost == 600
    assert columns["greedy"].projects["P-A"].reason == "no_room" and columns["greedy"].projects["P-A"].left == 500
    assert columns["greedy-no-skip"].selected == ("P-B",)
    # Equal Shares: 1000 / 3 each; P-B (rho 1/2, cheaper than P-A) first: residents 2 and 3 pay 250;
    # P-A's supporters then hold 1000/3 + 1000/3 - 250 = 416.67 < 600; P-C has no supporter.
    mes = columns["mes"]
    assert mes.selected == ("P-B",)
    assert (mes.projects["P-B"].payers, mes.projects["P-B"].price) == (2, 250)
    assert mes.projects["P-A"].reason == "unaffordable" and round(mes.projects["P-A"].supporters_money) == 417
    assert mes.projects["P-C"].reason == "no_supporters"
    assert columns["mes-add1-comparison"].kept in ("mes", "greedy")
    assert [p.votes for p in comparison.projects] == [2, 2, 0]


# --- the pages -----------------------------------------------------------------------------

def test_rounds_page_and_fragment_for_the_committee(client, plan, supports, chair):
    round_ = pb_rounds.platform_round(plan, chair, 1000)
    db.session.commit()
    login(client, chair)
    page = client.get(BASE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Support rounds</h1>" in html
    assert f"/tetouan/support-rounds/{round_.id}" in html and "Build the round" in html
    fragment = client.get(BASE, headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="support-rounds"' in body
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_observer_reads_but_cannot_build(client, plan, supports, observer):
    login(client, observer)
    page = client.get(BASE)
    assert page.status_code == 200 and "Build the round" not in page.get_data(as_text=True)
    assert post(client, BASE, {"budget": "1000"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(SupportRound)) == 0


def test_access_to_the_committee_list(client, commune, plan):
    assert client.get(BASE).status_code in (302, 303)
    login(client, make_user(commune, ("resident",)))
    assert client.get(BASE).status_code == 403
    assert post(client, BASE, {"budget": "1000"}).status_code == 403


def test_other_communes_staff_are_refused(client, commune, plan):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    login(client, make_user(other, ("committee", "admin")))
    assert client.get(BASE).status_code == 403
    assert post(client, BASE, {"budget": "1000"}).status_code == 403


def test_building_a_round_redirects_to_its_comparison(client, plan, supports, chair):
    login(client, chair)
    response = post(client, BASE, {"budget": "1 000"})
    assert response.status_code == 303
    round_id = db.session.scalar(select(SupportRound.id))
    assert response.headers["Location"].endswith(f"/tetouan/support-rounds/{round_id}")
    response = post(client, BASE, {"budget": "2000"}, htmx=True)
    assert response.status_code == 204 and "/tetouan/support-rounds/" in response.headers["HX-Redirect"]
    assert db.session.scalar(select(func.count()).select_from(SupportRound)) == 2


@pytest.mark.parametrize("typed", ["abc", "0", "-5", "12.5", "9999999999999"])
def test_bad_budgets_are_shown_next_to_the_field(client, plan, supports, chair, typed):
    login(client, chair)
    response = post(client, BASE, {"budget": typed}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter the budget in dirhams as a whole number greater than 0." in body
    assert f'value="{typed}"' in body and 'aria-invalid="true"' in body
    assert db.session.scalar(select(func.count()).select_from(SupportRound)) == 0


def test_empty_budget_without_envelopes_and_without_supports(client, commune, plan, chair):
    login(client, chair)
    response = post(client, BASE, {"budget": ""})
    assert response.status_code == 422
    assert "reserve no participatory share" in response.get_data(as_text=True)
    response = post(client, BASE, {"budget": "1000"}, htmx=True)
    assert response.status_code == 409
    assert "The plan has no project yet" in response.get_data(as_text=True)


def test_posting_without_the_token_is_refused(client, plan, supports, chair):
    login(client, chair)
    assert post(client, BASE, {"budget": "1000"}, token=False).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SupportRound)) == 0


def test_compare_page_is_public_and_explains_each_rule(client, plan, supports, chair):
    round_ = pb_rounds.platform_round(plan, chair, 1000)
    db.session.commit()
    page = client.get(f"/tetouan/support-rounds/{round_.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("Greedy by votes", "Equal Shares", "Equal Shares with completion"):
        assert f"<th scope=\"col\">{name}</th>" in html
    assert "Greedy above a vote threshold" not in html
    assert "Funded in round 1: its 2 supporters could pay its MAD500 together (MAD250 each)." in html
    assert "Not funded: its supporters had only MAD417 left together, it costs MAD600." in html
    assert "Not funded: its cost, MAD600, was more than what was left (MAD500) when its turn came." in html
    assert "Funded: 2 votes, cost MAD500, fitted in what was left (MAD1,000)." in html
    assert "Not funded: nobody supported it." in html
    assert 'href="/tetouan/projects/P-A"' in html   # the platform project, titled in the reader's language
    assert html.count("Not funded</td>") >= 5 and "✓ </span>Funded</td>" in html
    # aggregated only: no resident's name or e-mail
    for user in supports["residents"]:
        assert user.email not in html
    fragment = client.get(f"/tetouan/support-rounds/{round_.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_download_parses_back(client, plan, supports, chair):
    round_ = pb_rounds.platform_round(plan, chair, 1000)
    db.session.commit()
    response = client.get(f"/tetouan/support-rounds/{round_.id}.pb")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "attachment" in response.headers["Content-Disposition"]
    instance = pabulib.parse(response.get_data(as_text=True))
    assert [b.projects for b in instance.ballots] == [("P-A",), ("P-A", "P-B"), ("P-B",)]
    assert instance.budget == 1000 and list(instance.projects) == ["P-A", "P-B", "P-C"]


def test_rounds_of_another_commune_are_not_found(client, plan, supports, chair):
    from services import demo

    round_ = pb_rounds.platform_round(plan, chair, 1000)
    demo.create_commune(slug="chefchaouen")
    db.session.commit()
    assert client.get(f"/chefchaouen/support-rounds/{round_.id}").status_code == 404
    assert client.get(f"/chefchaouen/support-rounds/{round_.id}.pb").status_code == 404
    assert client.get(f"/tetouan/support-rounds/{round_.id + 99}").status_code == 404


THRESHOLD_FILE = """META
key;value
description;Tiny threshold election
num_projects;3
num_votes;3
budget;10
vote_type;{vote_type}
min_project_score_threshold;2
PROJECTS
project_id;cost;name
a;6;Alpha
b;5;Beta
c;3;Gamma
VOTES
voter_id;vote
1;a,b,c
2;a,b
3;a
"""


def _import(commune, vote_type):
    from services import support_rounds

    instance = pabulib.parse(THRESHOLD_FILE.format(vote_type=vote_type))
    round_ = support_rounds.import_instance(commune, instance, source="import: tiny.pb")
    pb_rounds.store_comparison(round_)  # as `flask pb import` does
    db.session.commit()
    return round_


def test_threshold_round_shows_the_threshold_rule(client, commune):
    round_ = _import(commune, "approval")
    html = client.get(f"/tetouan/support-rounds/{round_.id}").get_data(as_text=True)
    assert "Greedy above a vote threshold" in html
    assert "Not funded: 1 vote, below the threshold of 2." in html


def test_ranked_round_does_not_compute_equal_shares(client, commune):
    round_ = _import(commune, "ordinal")
    page = client.get(f"/tetouan/support-rounds/{round_.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Not computed: Equal Shares needs supports or points, and this round has rankings." in html
    assert "Not computed</td>" in html


def test_the_comparison_is_stored_once_and_pages_never_compute_it(client, runner, commune, plan, supports, chair):
    """The rules run when a round is made; a round without a stored comparison is not computed
    on a visitor's request (a 90,000-ballot round takes seconds): its page says so."""
    from pathlib import Path

    from models import SupportRound

    round_ = pb_rounds.platform_round(plan, chair, budget=1_000_000)
    db.session.commit()
    stored = json.loads(round_.comparison_json)
    again = pb_rounds.compare(round_)
    assert stored and again.round_id == round_.id
    assert [c.rule for c in again.columns] == [c.rule for c in pb_rounds._compare(round_).columns]
    assert again == pb_rounds._compare(round_)  # the stored result decodes to exactly the computed one

    assen = Path(__file__).resolve().parents[2] / "shared" / "pabulib" / "Netherlands_Assen_2024.pb"
    assert runner.invoke(args=["pb", "import", str(assen), "--commune", "tetouan", "--no-compare"]).exit_code == 0
    imported = db.session.scalar(select(SupportRound).where(SupportRound.source.like("import:%")))
    assert imported.comparison_json is None
    page = client.get(f"/tetouan/support-rounds/{imported.id}")
    assert page.status_code == 404 and "flask pb compare" in page.get_data(as_text=True)
    result = runner.invoke(args=["pb", "compare", str(imported.id)])
    assert result.exit_code == 0 and "mes-add1" in result.output
    assert client.get(f"/tetouan/support-rounds/{imported.id}").status_code == 200
