"""Projects (the PAC project sheet): the rules of services.projects, the committee's pages and
the public list and sheet, with access for every kind of visitor."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from extensions import db
from models import (
    AssociationSupport,
    AuditEntry,
    Axis,
    CommitteeMember,
    Neighbourhood,
    Notification,
    Plan,
    Project,
    ProjectIdea,
    Support,
)
from services import projects as svc
from services.errors import Conflict, NotAllowed, ServiceError
from tests.conftest import csrf_token, login, make_association, make_idea, make_user, post


# --- helpers ---------------------------------------------------------------------------------------

def seat(commune, kind="commune", *, chair=False, roles=("committee",)):
    """A person with the committee role and a seat on the commune's plan committee."""
    user = make_user(commune, roles)
    plan = db.session.scalar(select(Plan).where(Plan.commune_id == commune.id))
    db.session.add(CommitteeMember(plan_id=plan.id, user_id=user.id, kind=kind, is_chair=chair))
    db.session.commit()
    return user


def axes(commune) -> list[Axis]:
    return list(db.session.scalars(select(Axis).where(Axis.commune_id == commune.id).order_by(Axis.position)))


def hoods(commune) -> list[Neighbourhood]:
    return list(db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.commune_id == commune.id).order_by(Neighbourhood.position)))


def sheet(commune, plan, **changes) -> svc.ProjectInput:
    data = svc.ProjectInput(
        code="TET-01", title_ar="حديقة الحي", title_fr="Un jardin de quartier", title_zgh="ⴰⵄⵕⵕⵓⵛ ⵏ ⵓⵣⵏⵇⵇⵓ",
        axis_id=axes(commune)[0].id, total_cost=1_000_000, commune_share=600_000,
        partners=[svc.PartnerInput("INDH", 400_000)], earliest_start_year=plan.start_year, duration_years=2,
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def form_fields(commune, plan, **changes) -> dict:
    """A valid project form as posted by a browser."""
    data = {
        "code": "TET-05", "title_ar": "إنارة عمومية", "title_fr": "Éclairage public", "title_zgh": "ⵜⴰⴼⴰⵡⵜ",
        "axis_id": str(axes(commune)[0].id), "competence": "own", "total_cost": "500000",
        "commune_share": "300000", "partners-0-name": "Région", "partners-0-amount": "200000",
        "duration_years": "2", "earliest_start_year": str(plan.start_year), "marker_gender": "1",
        "marker_environment": "2", "marker_accessibility": "0", "sdgs": ["7", "11"],
        "neighbourhood_ids": [str(hoods(commune)[0].id)],
    }
    data.update(changes)
    return data


def message(exc) -> str:
    return str(exc.value.message)


@pytest.fixture()
def member(commune):
    return seat(commune)


@pytest.fixture()
def en(app):
    """A request context in English, so that messages render as their English msgids."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


# --- the service -----------------------------------------------------------------------------------

def test_create_with_every_field(commune, plan, member, en):
    author_a, author_b = make_user(commune), make_user(commune)
    idea_1, idea_2 = make_idea(commune, author_a, title="Jardin 1"), make_idea(commune, author_b, title="Jardin 2")
    h1, h2 = hoods(commune)[:2]
    data = sheet(
        commune, plan, code="tet-07", neighbourhood_ids=[h2.id, h1.id, h2.id], sector="Espaces verts",
        competence="shared", objectives="Planter 200 arbres.", beneficiaries_total=5000, beneficiaries_women=2600,
        beneficiaries_men=2400, beneficiaries_disabled=150,
        indicators=[svc.IndicatorInput("Arbres plantés", "arbres", 0, Decimal("200")),
                    svc.IndicatorInput("", "", None, None),
                    svc.IndicatorInput("Surface verte", "m²", Decimal("1200.5"), 3000)],
        partners=[svc.PartnerInput("INDH", 250_000), svc.PartnerInput("", None), svc.PartnerInput("PNUD", 150_000)],
        executing_department="Service des espaces verts", sdgs=[13, 11, 11], marker_gender=1,
        marker_environment=2, marker_accessibility=0, duration_years=3,
    )
    project = svc.create_project(plan, data, [idea_1.id, idea_2.id, idea_1.id], member)
    db.session.commit()

    stored = db.session.get(Project, project.id)
    assert stored.code == "TET-07"
    assert (stored.title_ar, stored.title_fr, stored.title_zgh) == (data.title_ar, data.title_fr, data.title_zgh)
    assert stored.competence == "shared" and stored.sector == "Espaces verts"
    assert (stored.beneficiaries_total, stored.beneficiaries_women, stored.beneficiaries_men,
            stored.beneficiaries_disabled) == (5000, 2600, 2400, 150)
    assert [(i.label, i.unit, i.baseline, i.target) for i in stored.indicators] == [
        ("Arbres plantés", "arbres", Decimal("0"), Decimal("200")),
        ("Surface verte", "m²", Decimal("1200.5"), Decimal("3000"))]
    assert [(p.name, p.amount) for p in stored.partners] == [("INDH", 250_000), ("PNUD", 150_000)]
    assert (stored.total_cost, stored.commune_share) == (1_000_000, 600_000)
    assert sorted(n.id for n in stored.neighbourhoods) == sorted([h1.id, h2.id])
    assert stored.sdgs == "11,13" and stored.sdg_list == [11, 13]
    assert (stored.marker_gender, stored.marker_environment, stored.marker_accessibility) == (1, 2, 0)
    assert (stored.duration_years, stored.earliest_start_year) == (3, plan.start_year)
    assert stored.created_by_id == member.id
    assert sorted(db.session.scalars(select(ProjectIdea.idea_id).where(ProjectIdea.project_id == project.id))) \
        == sorted([idea_1.id, idea_2.id])
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "committee.project_created"))
    assert entry.actor_id == member.id and entry.target_id == project.id
    assert json.loads(entry.details)["ideas"] == [idea_1.id, idea_2.id]


def test_duplicate_code_refused(commune, plan, member, en):
    svc.create_project(plan, sheet(commune, plan), [], member)
    with pytest.raises(Conflict) as exc:
        svc.create_project(plan, sheet(commune, plan, code="tet-01"), [], member)
    assert exc.value.field == "code" and "TET-01" in message(exc)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Project.id))) == 0  # nothing kept half-way


@pytest.mark.parametrize("share, partners, word, diff", [
    (500_000, [svc.PartnerInput("INDH", 300_000)], "less", "200,000"),
    (700_000, [svc.PartnerInput("INDH", 300_000), svc.PartnerInput("Région", 50_000)], "more", "50,000"),
])
def test_sums_must_equal_the_total_cost(commune, plan, member, en, share, partners, word, diff):
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, commune_share=share, partners=partners), [], member)
    assert exc.value.field == "commune_share"
    assert word in message(exc) and diff in message(exc)


def test_share_above_the_total_refused(commune, plan, member, en):
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, commune_share=2_000_000, partners=[]), [], member)
    assert exc.value.field == "commune_share" and "cannot be more than the total cost" in message(exc)


def test_women_and_men_above_the_total_refused(commune, plan, member, en):
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, beneficiaries_total=100, beneficiaries_women=60,
                                       beneficiaries_men=50), [], member)
    assert exc.value.field == "beneficiaries_men" and "110" in message(exc)
    # Exactly the total is fine.
    svc.create_project(plan, sheet(commune, plan, beneficiaries_total=110, beneficiaries_women=60,
                                   beneficiaries_men=50), [], member)


@pytest.mark.parametrize("start, duration, field", [
    (2022, 1, "earliest_start_year"),  # before the plan (2023–2028)
    (2029, 1, "earliest_start_year"),  # after it
    (2027, 3, "duration_years"),  # would end in 2029
    (2023, 7, "duration_years"),  # longer than 6 years
])
def test_years_outside_the_plan_refused(commune, plan, member, en, start, duration, field):
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, earliest_start_year=start, duration_years=duration), [],
                           member)
    assert exc.value.field == field


def test_last_year_of_the_plan_accepted(commune, plan, member):
    project = svc.create_project(plan, sheet(commune, plan, earliest_start_year=2027, duration_years=2), [], member)
    assert project.earliest_start_year + project.duration_years - 1 == plan.end_year


@pytest.mark.parametrize("changes, field", [
    ({"title_zgh": "Tafawt"}, "title_zgh"),  # Latin letters, not Tifinagh
    ({"title_fr": "  "}, "title_fr"),
    ({"title_ar": "<script>x</script>"}, "title_ar"),
    ({"code": "TET 01"}, "code"),
    ({"competence": "delegated"}, "competence"),
    ({"sdgs": [18]}, "sdgs"),
    ({"marker_gender": 3}, "marker_gender"),
    ({"total_cost": -5}, "total_cost"),
    ({"indicators": [svc.IndicatorInput("", "", Decimal("3"), None)]}, "indicators-0-label"),
    ({"partners": [svc.PartnerInput("INDH", None)]}, "partners-0-amount"),
])
def test_bad_values_refused_with_their_field(commune, plan, member, en, changes, field):
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, **changes), [], member)
    assert exc.value.field == field


def test_axis_or_neighbourhood_of_another_commune_refused(commune, plan, member, en):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, axis_id=axes(other)[0].id), [], member)
    assert exc.value.field == "axis_id"
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan, neighbourhood_ids=[hoods(other)[0].id]), [], member)
    assert exc.value.field == "neighbourhood_ids"


def test_idea_already_in_a_project_refused(commune, plan, member, en):
    idea = make_idea(commune, make_user(commune))
    svc.create_project(plan, sheet(commune, plan), [idea.id], member)
    with pytest.raises(Conflict) as exc:
        svc.create_project(plan, sheet(commune, plan, code="TET-02"), [idea.id], member)
    assert "TET-01" in message(exc) and exc.value.field == "ideas"


def test_idea_of_another_commune_refused(commune, plan, member, en):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    foreign = make_idea(other, make_user(other))
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan), [foreign.id], member)
    assert exc.value.field == "ideas" and str(foreign.id) in message(exc)


def test_hidden_idea_refused(commune, plan, member, en):
    hidden = make_idea(commune, make_user(commune), hidden=True)
    with pytest.raises(ServiceError) as exc:
        svc.create_project(plan, sheet(commune, plan), [hidden.id], member)
    assert exc.value.field == "ideas"


def test_observer_and_outsider_cannot_make_projects(commune, plan):
    observer = seat(commune, "observer")
    no_seat = make_user(commune, ("committee",))
    for person in (observer, no_seat):
        with pytest.raises(NotAllowed):
            svc.create_project(plan, sheet(commune, plan), [], person)


def test_citizen_support_counts_distinct_residents(commune, plan, member):
    idea_1, idea_2 = make_idea(commune, make_user(commune)), make_idea(commune, make_user(commune))
    loner = make_idea(commune, make_user(commune))
    project = svc.create_project(plan, sheet(commune, plan), [idea_1.id, idea_2.id], member)
    both, once = make_user(commune), make_user(commune)
    db.session.add_all([Support(idea_id=idea_1.id, user_id=both.id, plan_id=plan.id),
                        Support(idea_id=idea_2.id, user_id=both.id, plan_id=plan.id),
                        Support(idea_id=loner.id, user_id=once.id, plan_id=plan.id)])
    association = make_association(commune)
    db.session.add_all([AssociationSupport(idea_id=idea_1.id, association_id=association.id),
                        AssociationSupport(idea_id=idea_2.id, association_id=association.id)])
    db.session.commit()
    # One resident supporting two merged ideas counts once; the association is counted apart.
    assert svc.citizen_support([project.id]) == {project.id: 1}
    assert svc.association_support([project.id]) == {project.id: 1}
    # Computed, never copied: a new support shows at once.
    db.session.add(Support(idea_id=idea_2.id, user_id=once.id, plan_id=plan.id))
    db.session.commit()
    assert svc.citizen_support([project.id]) == {project.id: 2}
    row = svc.list_projects(plan).rows[0]
    assert (row.citizen_support, row.association_support, row.ideas) == (2, 1, 2)


def test_authors_notified_once_each(commune, plan, member):
    prolific, other = make_user(commune), make_user(commune)
    ideas = [make_idea(commune, prolific), make_idea(commune, prolific), make_idea(commune, other)]
    project = svc.create_project(plan, sheet(commune, plan), [i.id for i in ideas], member)
    db.session.commit()
    notes = list(db.session.scalars(select(Notification).where(Notification.kind == "idea_in_project")))
    assert sorted(n.user_id for n in notes) == sorted([prolific.id, other.id])
    params = json.loads(notes[0].params)
    assert params["code"] == "TET-01" and params["title"]["fr"] == project.title_fr
    # Merging another idea of an author already told does not tell them again; a new author is told.
    newcomer = make_user(commune)
    extra = [make_idea(commune, prolific), make_idea(commune, newcomer)]
    svc.link_ideas(project, [extra[0].id, extra[1].id, extra[1].id], member)
    db.session.commit()
    counts = dict(db.session.execute(select(Notification.user_id, func.count()).where(
        Notification.kind == "idea_in_project").group_by(Notification.user_id)).all())
    assert counts == {prolific.id: 1, other.id: 1, newcomer.id: 1}


def test_update_audits_the_changed_fields(commune, plan, member):
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    data = svc.data_of(project)
    data.title_fr = "Un grand jardin"
    data.partners = [svc.PartnerInput("INDH", 300_000)]
    data.commune_share = 700_000
    changed = svc.update_project(project, data, member)
    db.session.commit()
    assert changed == ["commune_share", "partners", "title_fr"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "committee.project_changed"))
    assert json.loads(entry.details)["changed"] == changed
    # Saving the same sheet again changes nothing and writes nothing.
    assert svc.update_project(project, svc.data_of(project), member) == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "committee.project_changed")) == 1


def test_link_and_unlink(commune, plan, member, en):
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    idea = make_idea(commune, make_user(commune))
    assert [i.id for i in svc.link_ideas(project, [idea.id], member)] == [idea.id]
    assert svc.link_ideas(project, [idea.id], member) == []  # already there: merged, nothing new
    assert svc.project_of_idea(idea.id).id == project.id
    svc.unlink_idea(project, idea.id, member)
    assert svc.project_of_idea(idea.id) is None
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["committee.project_ideas_linked", "committee.project_idea_unlinked"]


def test_next_code(commune, plan, member):
    assert svc.next_code(plan, "tetouan") == "TET-01"
    svc.create_project(plan, sheet(commune, plan, code="TET-09"), [], member)
    svc.create_project(plan, sheet(commune, plan, code="OTHER-30"), [], member)
    assert svc.next_code(plan, "tetouan") == "TET-10"


# --- committee routes ------------------------------------------------------------------------------

def test_manage_page_and_fragment(client, commune, plan, member):
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    db.session.commit()
    login(client, member)
    page = client.get("/tetouan/committee/projects")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "TET-01" in html
    assert f"/tetouan/committee/projects/{project.id}/edit" in html
    fragment = client.get("/tetouan/committee/projects", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and "TET-01" in text
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_pick_ideas_lists_public_ideas_with_their_project(client, commune, plan, member):
    used = make_idea(commune, make_user(commune), title="Jardin déjà pris")
    free = make_idea(commune, make_user(commune), title="Fontaine libre")
    make_idea(commune, make_user(commune), title="Idée cachée", hidden=True)
    svc.create_project(plan, sheet(commune, plan), [used.id], member)
    db.session.commit()
    login(client, member)
    html = client.get("/tetouan/committee/ideas").get_data(as_text=True)
    assert "Fontaine libre" in html and "Jardin déjà pris" in html and "Idée cachée" not in html
    assert f'name="idea" value="{free.id}"' in html and f'name="idea" value="{used.id}"' not in html
    assert "/tetouan/projects/TET-01" in html
    fragment = client.get("/tetouan/committee/ideas?q=fontaine", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and "Fontaine libre" in text and "Jardin déjà pris" not in text


def test_new_project_prefilled_from_ideas(client, commune, plan, member):
    hood = hoods(commune)[3]
    idea = make_idea(commune, make_user(commune), title="Bancs au jardin", axis_id=axes(commune)[2].id,
                     neighbourhood_id=hood.id)
    login(client, member)
    html = client.get(f"/tetouan/committee/projects/new?idea={idea.id}").get_data(as_text=True)
    assert "Bancs au jardin" in html and 'value="TET-01"' in html
    assert f'<option selected value="{axes(commune)[2].id}">' in html
    assert f'value="{hood.id}" checked' in html


def test_create_through_the_form(client, commune, plan, member):
    author = make_user(commune)
    idea = make_idea(commune, author)
    login(client, member)
    response = post(client, "/tetouan/committee/projects/new", form_fields(commune, plan, idea=str(idea.id)))
    assert response.status_code == 303
    project = db.session.scalar(select(Project).where(Project.code == "TET-05"))
    assert project is not None and project.sdg_list == [7, 11] and project.marker_environment == 2
    assert [p.amount for p in project.partners] == [200_000]
    assert svc.project_of_idea(idea.id).id == project.id
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == author.id, Notification.kind == "idea_in_project")) == 1
    # As htmx: HX-Redirect to the edit page.
    htmx = post(client, "/tetouan/committee/projects/new", form_fields(commune, plan, code="TET-06"), htmx=True)
    assert htmx.status_code == 204 and "/edit" in htmx.headers["HX-Redirect"]


def test_failing_form_keeps_what_was_typed(client, commune, plan, member):
    login(client, member)
    fields = form_fields(commune, plan, title_fr="Mon titre tapé", total_cost="12.500")
    response = post(client, "/tetouan/committee/projects/new", fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Mon titre tapé"' in html and 'value="12.500"' in html
    assert "Write whole dirhams with digits only" in html
    assert db.session.scalar(select(func.count(Project.id))) == 0
    # A rule of the service (the sums): shown next to the field, typed values kept, as a fragment too.
    fields = form_fields(commune, plan, title_fr="Mon titre tapé", commune_share="250000")
    response = post(client, "/tetouan/committee/projects/new", fields, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "<html" not in html
    assert 'value="Mon titre tapé"' in html and 'value="250000"' in html
    assert "less than the total cost" in html and 'id="commune_share-error"' in html
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_idea_already_in_a_project_named_in_the_form(client, commune, plan, member):
    idea = make_idea(commune, make_user(commune))
    svc.create_project(plan, sheet(commune, plan), [idea.id], member)
    db.session.commit()
    login(client, member)
    response = post(client, "/tetouan/committee/projects/new", form_fields(commune, plan, idea=str(idea.id)))
    assert response.status_code == 409 and "TET-01" in response.get_data(as_text=True)


def test_post_without_csrf_refused(client, commune, plan, member):
    login(client, member)
    response = post(client, "/tetouan/committee/projects/new", form_fields(commune, plan), token=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Project.id))) == 0


def test_edit_project(client, commune, plan, member):
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    db.session.commit()
    project_id = project.id
    login(client, member)
    html = client.get(f"/tetouan/committee/projects/{project_id}/edit").get_data(as_text=True)
    assert 'value="Un jardin de quartier"' in html and 'value="1000000"' in html
    fields = form_fields(commune, plan, code="TET-01", title_fr="Un jardin changé")
    response = post(client, f"/tetouan/committee/projects/{project_id}/edit", fields)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Project, project_id).title_fr == "Un jardin changé"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "committee.project_changed"))
    assert "title_fr" in json.loads(entry.details)["changed"]


def test_link_and_unlink_ideas_as_fragments(client, commune, plan, member):
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    idea = make_idea(commune, make_user(commune), title="Idée à fusionner")
    db.session.commit()
    project_id, idea_id = project.id, idea.id
    login(client, member)
    url = f"/tetouan/committee/projects/{project_id}/ideas"
    response = post(client, url, {"numbers": f"{idea_id}, {idea_id}"}, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Idée à fusionner" in html
    assert 'role="status"' in html
    refused = post(client, url, {"numbers": "douze"}, htmx=True)
    assert refused.status_code == 400 and 'value="douze"' in refused.get_data(as_text=True)
    missing = post(client, url, {"numbers": "999999"}, htmx=True)
    assert missing.status_code == 400 and "999999" in missing.get_data(as_text=True)
    response = post(client, f"{url}/{idea_id}/unlink", {}, htmx=True)
    assert response.status_code == 200 and "is no longer part of the project" in response.get_data(as_text=True)
    assert svc.project_of_idea(idea_id) is None
    # Without htmx: back to the edit page.
    response = post(client, url, {"numbers": str(idea_id)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/{project_id}/edit")


# --- access ----------------------------------------------------------------------------------------

COMMITTEE_GETS = ("/tetouan/committee/projects", "/tetouan/committee/ideas", "/tetouan/committee/projects/new")


def test_anonymous_sent_to_sign_in(client, commune):
    for url in COMMITTEE_GETS:
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


@pytest.mark.parametrize("roles", [("resident",), ("admin",), ("committee",)])
def test_residents_admins_and_seatless_committee_refused(client, commune, roles):
    login(client, make_user(commune, roles))  # the committee role but no seat on the plan's committee
    for url in COMMITTEE_GETS:
        assert client.get(url).status_code == 403, url


def test_observer_reads_but_does_not_make_projects(client, commune, plan, member):
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    db.session.commit()
    project_id = project.id
    login(client, seat(commune, "observer"))
    html = client.get("/tetouan/committee/projects").get_data(as_text=True)
    assert "TET-01" in html and "/edit" not in html
    assert client.get("/tetouan/committee/ideas").status_code == 200
    assert client.get("/tetouan/committee/projects/new").status_code == 403
    assert post(client, "/tetouan/committee/projects/new", form_fields(commune, plan)).status_code == 403
    assert client.get(f"/tetouan/committee/projects/{project_id}/edit").status_code == 403
    assert db.session.scalar(select(func.count(Project.id))) == 1


def test_other_communes_admin_refused(client, commune, plan, member):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    db.session.commit()
    login(client, make_user(other, ("admin",)))
    for url in (*COMMITTEE_GETS, f"/tetouan/committee/projects/{project.id}/edit"):
        assert client.get(url).status_code == 403, url


def test_other_communes_member_cannot_reach_this_plan(client, commune, plan, member):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    project = svc.create_project(plan, sheet(commune, plan), [], member)
    db.session.commit()
    login(client, seat(other))
    assert client.get(f"/tetouan/committee/projects/{project.id}/edit").status_code == 403
    # Their own commune's URL does not know this project.
    assert client.get(f"/chefchaouen/committee/projects/{project.id}/edit").status_code == 404


# --- public pages ----------------------------------------------------------------------------------

def test_public_list_with_filters(client, commune, plan, member):
    first, second = axes(commune)[:2]
    hood = hoods(commune)[1]
    svc.create_project(plan, sheet(commune, plan, neighbourhood_ids=[hood.id]), [], member)
    svc.create_project(plan, sheet(commune, plan, code="TET-02", title_fr="Une fontaine", axis_id=second.id), [],
                       member)
    db.session.commit()
    html = client.get("/tetouan/projects").get_data(as_text=True)
    assert "TET-01" in html and "TET-02" in html and str(escape(hood.name_in("en"))) in html
    only = client.get(f"/tetouan/projects?axis={second.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in only and "TET-02" in only and "TET-01" not in only
    by_hood = client.get(f"/tetouan/projects?neighbourhood={hood.id}").get_data(as_text=True)
    assert "TET-01" in by_hood and "TET-02" not in by_hood
    ignored = client.get("/tetouan/projects?axis=1);--&neighbourhood=x")
    assert ignored.status_code == 200 and "TET-02" in ignored.get_data(as_text=True)


def test_public_sheet(client, commune, plan, member):
    shown = make_idea(commune, make_user(commune), title="Idée visible")
    hidden = make_idea(commune, make_user(commune), title="Idée masquée")
    data = sheet(commune, plan, sdgs=[5], marker_gender=2, beneficiaries_total=300, beneficiaries_women=180,
                 indicators=[svc.IndicatorInput("Arbres plantés", "arbres", 0, 200)])
    svc.create_project(plan, data, [shown.id, hidden.id], member)
    supporter = make_user(commune)
    db.session.add_all([Support(idea_id=shown.id, user_id=supporter.id, plan_id=plan.id),
                        Support(idea_id=hidden.id, user_id=supporter.id, plan_id=plan.id)])
    hidden.hidden = True
    db.session.commit()
    client.set_cookie("tasharuk_lang", "en")
    response = client.get("/tetouan/projects/tet-01")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert data.title_ar in html and data.title_fr in html and data.title_zgh in html
    assert "Gender equality" in html and "Principal objective" in html and "Goal 5" in html
    assert "Arbres plantés" in html and "INDH" in html and "1,000,000" in html
    assert "Idée visible" in html and "Idée masquée" not in html
    assert "Residents supporting" in html
    assert client.get("/tetouan/projects/TET-99").status_code == 404


def test_other_communes_code_is_not_found_here(client, commune, plan, member):
    from services import demo

    other, other_plan = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    svc.create_project(plan, sheet(commune, plan), [], member)
    db.session.commit()
    assert client.get("/chefchaouen/projects/TET-01").status_code == 404


def test_idea_page_shows_its_project(client, commune, plan, member):
    idea = make_idea(commune, make_user(commune))
    other = make_idea(commune, make_user(commune), title="Sans projet")
    svc.create_project(plan, sheet(commune, plan), [idea.id], member)
    db.session.commit()
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "This idea became the project" in html and "/tetouan/projects/TET-01" in html
    assert "This idea became the project" not in client.get(f"/tetouan/ideas/{other.id}").get_data(as_text=True)


def test_notification_names_the_project(client, commune, plan, member):
    author = make_user(commune)
    idea = make_idea(commune, author)
    svc.create_project(plan, sheet(commune, plan), [idea.id], member)
    db.session.commit()
    login(client, author)
    html = client.get("/me/notifications").get_data(as_text=True)
    assert "The committee made your idea part of the project" in html
    assert "Un jardin de quartier" in html and "/tetouan/projects/TET-01" in html
    assert csrf_token(client)  # the page still renders its token
