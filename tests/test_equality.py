"""The equality body's voice (IEECAG, art. 120): services.equality without HTTP (publishing on a
version, a project or a thematic plan; who may; other communes; bad input; corrections; the
committee's response and the author's notification; the observer's recording on the same model),
then the pages over HTTP with CSRF on (list with filters as page and htmx fragment, one opinion,
the publishing form, the response as page and fragment, and who may do what), and the opinions
shown with the documents they answer.
"""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    AuditEntry,
    Axis,
    CommitteeMember,
    EqualityOpinion,
    Notification,
    Plan,
    ProgrammeVersion,
    Project,
)
from services import demo, equality, phases, programme
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from tests.conftest import login, make_user, post

BODY = ("L'instance relève que les projets retenus tiennent peu compte de la sécurité des femmes "
        "dans l'espace public.")
RESPONSE = "Le comité ajoute un indicateur de sécurité par sexe à chaque projet de lumière publique."


def _project(commune, plan, code):
    axis = db.session.scalars(select(Axis).where(Axis.commune_id == commune.id)).first()
    project = Project(commune_id=commune.id, plan_id=plan.id, code=code, title_ar="مشروع الإنارة",
                      title_fr="Éclairage solaire", title_zgh="ⴰⵙⵏⴼⴰⵔ", axis_id=axis.id, total_cost=1000,
                      commune_share=1000, duration_years=1, earliest_start_year=plan.start_year)
    db.session.add(project)
    db.session.flush()
    return project


def _versions(plan, *statuses):
    made = []
    for number, status in enumerate(statuses, start=1):
        version = ProgrammeVersion(plan_id=plan.id, number=number, status=status)
        db.session.add(version)
        made.append(version)
    db.session.flush()
    return made


@pytest.fixture()
def world(commune):
    plan = phases.current_plan(commune)
    project = _project(commune, plan, "TET-01")
    draft, proposed, adopted = _versions(plan, "draft", "proposed", "adopted")
    other, other_plan = demo.create_commune(slug="chefchaouen")
    other_project = _project(other, other_plan, "CHF-01")
    (other_version,) = _versions(other_plan, "draft")
    db.session.commit()
    users = {
        "member": make_user(commune, ("equality",), name="Amina Tazi"),
        "resident": make_user(commune, ("resident",)),
        "chair": make_user(commune, ("committee",), name="Leila Haddad"),
        "observer": make_user(commune, ("committee",), name="Observer Person"),
        "admin": make_user(commune, ("admin",)),
        "other_admin": make_user(other, ("admin",)),
        "other_member": make_user(other, ("equality",)),
    }
    db.session.add_all([
        CommitteeMember(plan_id=plan.id, user_id=users["chair"].id, kind="commune", is_chair=True),
        CommitteeMember(plan_id=plan.id, user_id=users["observer"].id, kind="observer", is_chair=False),
    ])
    db.session.commit()
    return {"commune": commune, "plan": plan, "project": project, "draft": draft, "proposed": proposed,
            "adopted": adopted, "other": other, "other_project": other_project, "other_version": other_version,
            "users": users}


def _input(**override) -> equality.OpinionInput:
    data = {"subject_kind": "theme", "theme": "disability", "plan_title": "Plan communal d'accessibilité 2024",
            "title": "Avis sur le plan d'accessibilité", "body": BODY, "recommendations": "Ajouter les marchés."}
    data.update(override)
    return equality.OpinionInput(**data)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(EqualityOpinion))


def _publish(world, **override) -> EqualityOpinion:
    opinion = equality.publish(world["commune"], _input(**override), world["users"]["member"])
    db.session.commit()
    return opinion


# --- publishing (services) -----------------------------------------------------------------------------

def test_a_member_publishes_on_a_draft_version_signed_and_dated(world):
    opinion = _publish(world, subject_kind="version", version_id=world["draft"].id, theme=None, plan_title="")
    assert (opinion.commune_id, opinion.subject_kind, opinion.version_id) == (world["commune"].id, "version",
                                                                               world["draft"].id)
    assert opinion.signed_by == "Amina Tazi" and opinion.on_behalf is False
    assert opinion.author_id == world["users"]["member"].id and opinion.given_on == phases.today()
    assert opinion.theme is None and opinion.plan_title is None and opinion.recommendations == "Ajouter les marchés."
    assert world["draft"].opinion is opinion and world["draft"].opinions == [opinion]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "equality.opinion_published"))
    assert entry.actor_id == world["users"]["member"].id and entry.target_id == opinion.id
    assert json.loads(entry.details)["version"] == 1


def test_a_member_publishes_on_a_proposed_version_a_project_and_a_thematic_plan(world):
    on_version = _publish(world, subject_kind="version", version_id=world["proposed"].id)
    on_project = _publish(world, subject_kind="project", project_id=world["project"].id, recommendations="")
    on_theme = _publish(world)
    assert on_version.version_id == world["proposed"].id and on_version.theme is None
    assert on_project.project_id == world["project"].id and on_project.recommendations is None
    assert world["project"].equality_opinions == [on_project]
    assert (on_theme.theme, on_theme.plan_title) == ("disability", "Plan communal d'accessibilité 2024")
    assert [o.id for o in equality.list_opinions(world["commune"])] == [on_theme.id, on_project.id, on_version.id]


@pytest.mark.parametrize("who", ["resident", "chair", "observer", "admin", "other_member"])
def test_only_members_of_the_body_in_the_commune_publish(world, who):
    with pytest.raises(NotAllowed):
        equality.publish(world["commune"], _input(), world["users"][who])
    db.session.rollback()
    assert _count() == 0


def test_subjects_of_another_commune_are_not_found(world):
    for data in ({"subject_kind": "version", "version_id": world["other_version"].id},
                 {"subject_kind": "project", "project_id": world["other_project"].id},
                 {"subject_kind": "version", "version_id": 999_999}):
        with pytest.raises(NotFound):
            equality.publish(world["commune"], _input(**data), world["users"]["member"])
        db.session.rollback()
    assert _count() == 0


@pytest.mark.parametrize(("override", "fields"), [
    ({"subject_kind": "version", "version_id": "adopted"}, {"subject"}),
    ({"subject_kind": "version", "version_id": None}, {"subject"}),
    ({"subject_kind": "project", "project_id": None}, {"subject"}),
    ({"subject_kind": "theme", "theme": "football"}, {"subject"}),
    ({"subject_kind": ""}, {"subject"}),
    ({"plan_title": "  "}, {"plan_title"}),
    ({"title": "", "body": ""}, {"title", "body"}),
    ({"body": "Trop court."}, {"body"}),
    ({"body": "x" * (equality.BODY_MAX + 1)}, {"body"}),
    ({"title": "<script>alert(1)</script>"}, {"title"}),
    ({"title": "x" * (equality.TITLE_MAX + 1), "recommendations": "Voir \u202ececilà"}, {"title", "recommendations"}),
    ({"plan_title": "Plan <b>2024</b>"}, {"plan_title"}),
])
def test_bad_input_is_refused_field_by_field_and_nothing_stored(world, override, fields):
    if override.get("version_id") == "adopted":
        override = {**override, "version_id": world["adopted"].id}
    with pytest.raises(equality.OpinionErrors) as refused:
        equality.publish(world["commune"], _input(**override), world["users"]["member"])
    assert set(refused.value.errors) == fields
    db.session.rollback()
    assert _count() == 0


def test_a_correction_supersedes_an_opinion_on_the_same_subject_once(world):
    first = _publish(world, subject_kind="version", version_id=world["proposed"].id)
    other_subject = _publish(world)
    with pytest.raises(equality.OpinionErrors) as refused:
        equality.publish(world["commune"], _input(supersedes_id=first.id), world["users"]["member"])
    assert set(refused.value.errors) == {"supersedes_id"}
    db.session.rollback()
    correction = _publish(world, subject_kind="version", version_id=world["proposed"].id, supersedes_id=first.id,
                          title="Avis rectifié")
    assert correction.supersedes is first and first.superseded_by is correction
    assert world["proposed"].opinion is correction and len(world["proposed"].opinions) == 2
    assert not equality.can_be_corrected(first) and equality.can_be_corrected(correction)
    assert [o.id for o in equality.supersedable(world["commune"])] == [correction.id, other_subject.id]
    with pytest.raises(equality.OpinionErrors) as twice:
        equality.publish(world["commune"], _input(subject_kind="version", version_id=world["proposed"].id,
                                                  supersedes_id=first.id), world["users"]["member"])
    assert "already replaced" in str(twice.value.errors["supersedes_id"])
    db.session.rollback()
    assert _count() == 3


def test_a_correction_cannot_replace_another_communes_opinion(world):
    theirs = equality.publish(world["other"], _input(), world["users"]["other_member"])
    db.session.commit()
    with pytest.raises(equality.OpinionErrors) as refused:
        equality.publish(world["commune"], _input(supersedes_id=theirs.id), world["users"]["member"])
    assert set(refused.value.errors) == {"supersedes_id"}


def test_list_filters_are_allowlisted(world):
    on_project = _publish(world, subject_kind="project", project_id=world["project"].id)
    on_theme = _publish(world)
    youth = _publish(world, theme="youth", plan_title="Plan jeunesse")
    commune = world["commune"]
    assert [o.id for o in equality.list_opinions(commune, kind="project")] == [on_project.id]
    assert [o.id for o in equality.list_opinions(commune, kind="theme", theme="disability")] == [on_theme.id]
    assert len(equality.list_opinions(commune, kind="x);--", theme="nope")) == 3
    assert youth.theme == "youth" and equality.list_opinions(world["other"]) == []


# --- the committee's response (services) -----------------------------------------------------------------

def test_the_committee_responds_once_and_the_author_is_told(world):
    opinion = _publish(world, subject_kind="project", project_id=world["project"].id)
    equality.respond(world["commune"], opinion, RESPONSE, world["users"]["chair"])
    db.session.commit()
    assert opinion.response_body == RESPONSE and opinion.responded_by_id == world["users"]["chair"].id
    assert opinion.responded_at is not None
    note = db.session.scalar(select(Notification).where(Notification.kind == "equality_response"))
    assert note.user_id == world["users"]["member"].id and note.commune_id == world["commune"].id
    assert json.loads(note.params)["title"] == "Avis sur le plan d'accessibilité"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "equality.response_recorded")) == 1
    with pytest.raises(Conflict):
        equality.respond(world["commune"], opinion, RESPONSE + " Encore.", world["users"]["admin"])
    db.session.rollback()
    assert db.session.get(EqualityOpinion, opinion.id).response_body == RESPONSE


def test_an_admin_may_respond(world):
    opinion = _publish(world)
    equality.respond(world["commune"], opinion, RESPONSE, world["users"]["admin"])
    assert opinion.responded


@pytest.mark.parametrize("who", ["member", "resident", "observer", "other_admin"])
def test_only_scoring_seat_holders_and_admins_respond(world, who):
    opinion = _publish(world)
    with pytest.raises(NotAllowed):
        equality.respond(world["commune"], opinion, RESPONSE, world["users"][who])
    db.session.rollback()
    assert not db.session.get(EqualityOpinion, opinion.id).responded
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_response_to_another_communes_opinion_is_not_found(world):
    theirs = equality.publish(world["other"], _input(), world["users"]["other_member"])
    db.session.commit()
    with pytest.raises(NotFound):
        equality.respond(world["commune"], theirs, RESPONSE, world["users"]["admin"])
    with pytest.raises(NotFound):
        equality.opinion_of(world["commune"], theirs.id)


@pytest.mark.parametrize("text", ["", "Trop court", "x" * (equality.RESPONSE_MAX + 1),
                                  "<a href='javascript:x'>voir</a> la réponse du comité"])
def test_bad_responses_are_refused(world, text):
    opinion = _publish(world)
    with pytest.raises(ServiceError) as refused:
        equality.respond(world["commune"], opinion, text, world["users"]["chair"])
    assert refused.value.field == "response"
    db.session.rollback()
    assert not db.session.get(EqualityOpinion, opinion.id).responded


def test_the_observers_recording_is_the_same_kind_of_opinion(world):
    """The programme area's path (a paper opinion recorded on the body's behalf) stores the same record,
    listed with the body's opinions; once the version has an opinion, that path is closed."""
    plan, proposed = world["plan"], world["proposed"]
    recorded = programme.record_opinion(plan, proposed, programme.OpinionInput(
        body=BODY, signed_by="Présidente de l'IEECAG", given_on=date.today() - timedelta(days=3)),
        world["users"]["observer"])
    db.session.commit()
    assert (recorded.commune_id, recorded.subject_kind, recorded.on_behalf) == (world["commune"].id, "version", True)
    assert recorded.title is None and equality.generic_title(recorded) == "Opinion on version 2 of the programme"
    assert equality.list_opinions(world["commune"], kind="version") == [recorded]
    # the response's notification carries the generic title in each language
    equality.respond(world["commune"], recorded, RESPONSE, world["users"]["chair"])
    note = db.session.scalar(select(Notification).where(Notification.kind == "equality_response"))
    assert note.user_id == world["users"]["observer"].id
    assert set(json.loads(note.params)["title"]) == {"ar", "fr", "zgh"}
    # a member may still publish (e.g. a correction); the observer's path is closed
    _publish(world, subject_kind="version", version_id=world["draft"].id)
    with pytest.raises(Conflict):
        programme.require_opinion_open(proposed)


def test_a_member_opinion_closes_the_observers_path_on_that_version(world):
    _publish(world, subject_kind="version", version_id=world["proposed"].id)
    with pytest.raises(Conflict):
        programme.record_opinion(world["plan"], world["proposed"], programme.OpinionInput(
            body=BODY, signed_by="IEECAG", given_on=date.today()), world["users"]["admin"])


def test_commune_is_filled_from_the_version_when_left_out(world):
    """Older callers (the programme area's tests, open data) create opinions without a commune."""
    opinion = EqualityOpinion(version_id=world["adopted"].id, body=BODY, signed_by="IEECAG", given_on=date.today())
    db.session.add(opinion)
    db.session.commit()
    assert opinion.commune_id == world["commune"].id and opinion.subject_kind == "version"


# --- HTTP: public pages ------------------------------------------------------------------------------------

def _text(response) -> str:
    return response.get_data(as_text=True)


def test_list_page_and_htmx_filter(client, world):
    _publish(world, subject_kind="project", project_id=world["project"].id, title="Avis sur l'éclairage")
    _publish(world, title="Avis sur le plan d'accessibilité")
    page = client.get("/tetouan/equality")
    html = _text(page)
    assert page.status_code == 200 and "<h1>Opinions of the equality body (IEECAG)</h1>" in html
    assert "Avis sur l&#39;éclairage" in html and "Avis sur le plan d&#39;accessibilité" in html
    assert "2 opinions" in html and 'role="status"' in html
    assert "Publish an opinion" not in html  # anonymous
    fragment = client.get("/tetouan/equality?kind=project", headers={"HX-Request": "true"})
    text = _text(fragment)
    assert fragment.status_code == 200 and "<h1>" not in text and "HX-Request" in fragment.headers["Vary"]
    assert "Avis sur l&#39;éclairage" in text and "accessibilité" not in text and "1 opinion" in text
    assert 'href="/tetouan/projects/TET-01"' in text
    themed = _text(client.get("/tetouan/equality?theme=disability&kind=theme"))
    assert "Avis sur le plan d&#39;accessibilité" in themed and "éclairage" not in themed
    bad = client.get("/tetouan/equality?kind=title);--&theme=<x>")
    assert bad.status_code == 200 and "2 opinions" in _text(bad)
    assert "No opinion matches these filters." in _text(client.get("/tetouan/equality?theme=youth"))


def test_opinion_page_shows_the_signature_and_the_response(client, world):
    opinion = _publish(world, subject_kind="project", project_id=world["project"].id)
    html = _text(client.get(f"/tetouan/equality/{opinion.id}"))
    assert '<h1 id="opinion-title" dir="auto">Avis sur le plan d&#39;accessibilité</h1>' in html
    assert "Signed by <bdi>Amina Tazi</bdi>, member of the Equality, Equal Opportunities and Gender Approach " \
           "Body (IEECAG) of" in html
    assert "The committee has not responded yet." in html and 'name="response"' not in html
    equality.respond(world["commune"], opinion, RESPONSE, world["users"]["chair"])
    db.session.commit()
    html = _text(client.get(f"/tetouan/equality/{opinion.id}"))
    assert RESPONSE in html and "Given by the committee on" in html


def test_other_communes_opinions_and_unknown_ids_are_404(client, world):
    theirs = equality.publish(world["other"], _input(), world["users"]["other_member"])
    db.session.commit()
    assert client.get(f"/tetouan/equality/{theirs.id}").status_code == 404
    assert client.get("/tetouan/equality/999999").status_code == 404
    assert client.get(f"/chefchaouen/equality/{theirs.id}").status_code == 200


def test_opinions_are_shown_with_the_documents_they_answer(client, world):
    on_project = _publish(world, subject_kind="project", project_id=world["project"].id, title="Sur le projet")
    on_version = _publish(world, subject_kind="version", version_id=world["proposed"].id, title="Sur la version")
    equality.respond(world["commune"], on_version, RESPONSE, world["users"]["chair"])
    db.session.commit()
    sheet = _text(client.get("/tetouan/projects/TET-01"))
    assert 'id="project-opinions-title"' in sheet and "Sur le projet" in sheet and "tiennent peu compte de la sécurité des femmes" in sheet
    assert "Sur la version" not in sheet
    public = _text(client.get(f"/tetouan/programme/versions/{world['proposed'].id}"))
    assert 'id="opinion-title"' in public and "Sur la version" in public and RESPONSE in public
    login(client, world["users"]["chair"])
    committee = _text(client.get(f"/tetouan/committee/programme/versions/{world['proposed'].id}"))
    assert "Formal opinion of the equality body (IEECAG, art. 120)" in committee and "Sur la version" in committee


# --- HTTP: publishing -------------------------------------------------------------------------------------------

def _form(**override):
    data = {"subject": "theme:disability", "plan_title": "Plan communal d'accessibilité 2024",
            "title": "Avis sur le plan d'accessibilité", "body": BODY, "recommendations": "", "supersedes_id": ""}
    data.update(override)
    return data


def test_publishing_form_for_members_only(client, world):
    assert client.get("/tetouan/equality/new").status_code in (302, 303)  # sign in first
    login(client, world["users"]["resident"])
    assert client.get("/tetouan/equality/new").status_code == 403
    assert post(client, "/tetouan/equality/new", _form()).status_code == 403
    assert _count() == 0


def test_member_publishes_through_the_form(client, world):
    login(client, world["users"]["member"])
    page = client.get(f"/tetouan/equality/new?version={world['proposed'].id}")
    html = _text(page)
    assert page.status_code == 200 and "<h1>Publish an opinion of the equality body</h1>" in html
    assert f'<option selected value="version:{world["proposed"].id}">' in html
    assert 'value="project:' in html and 'value="theme:heritage"' in html
    assert f'value="version:{world["adopted"].id}"' not in html  # decided versions are not offered
    assert post(client, "/tetouan/equality/new", _form(), token=False).status_code == 400
    response = post(client, "/tetouan/equality/new", _form())
    assert response.status_code == 303
    opinion = db.session.scalar(select(EqualityOpinion))
    assert response.headers["Location"].endswith(f"/tetouan/equality/{opinion.id}")
    assert opinion.theme == "disability" and opinion.signed_by == "Amina Tazi"
    htmx = post(client, "/tetouan/equality/new", _form(subject=f"project:{world['project'].id}", plan_title=""),
                htmx=True)
    assert htmx.status_code == 204 and re.search(r"/tetouan/equality/\d+$", htmx.headers["HX-Redirect"])
    assert _count() == 2


def test_bad_publishing_input_keeps_the_text_and_stores_nothing(client, world):
    login(client, world["users"]["member"])
    response = post(client, "/tetouan/equality/new",
                    _form(plan_title="", title="<b>Titre</b>", body="Texte gardé.", subject="theme:disability"))
    html = _text(response)
    assert response.status_code == 400
    assert "Give the title of the plan or document the opinion answers." in html
    assert "Write plain text: HTML tags and scripts are not allowed." in html
    assert "Write at least 20 characters: an opinion gives its reasons." in html
    assert "Texte gardé." in html and "&lt;b&gt;Titre&lt;/b&gt;" in html
    assert 'aria-describedby="title-error"' in html or 'aria-describedby="title-hint title-error"' in html
    fragment = post(client, "/tetouan/equality/new", _form(subject="", body=""), htmx=True)
    assert fragment.status_code == 400 and "<h1>" not in _text(fragment)
    assert "Choose what the opinion answers" in _text(fragment)
    adopted = post(client, "/tetouan/equality/new", _form(subject=f"version:{world['adopted'].id}"))
    assert adopted.status_code == 400 and "already decided" in _text(adopted)
    assert _count() == 0


def test_publishing_on_another_communes_subject_is_404(client, world):
    login(client, world["users"]["member"])
    for subject in (f"version:{world['other_version'].id}", f"project:{world['other_project'].id}"):
        assert post(client, "/tetouan/equality/new", _form(subject=subject)).status_code == 404
    assert _count() == 0


def test_other_communes_staff_cannot_publish_here(client, world):
    login(client, world["users"]["other_member"])
    assert post(client, "/tetouan/equality/new", _form()).status_code == 403
    assert _count() == 0


def test_correction_link_and_prefill(client, world):
    first = _publish(world, subject_kind="project", project_id=world["project"].id)
    login(client, world["users"]["member"])
    html = _text(client.get(f"/tetouan/equality/{first.id}"))
    link = f"/tetouan/equality/new?supersedes={first.id}&amp;project={world['project'].id}"
    assert link in html
    form = _text(client.get(link.replace("&amp;", "&")))
    assert f'<option selected value="{first.id}">' in form
    response = post(client, "/tetouan/equality/new", _form(subject=f"project:{world['project'].id}",
                                                             plan_title="", supersedes_id=str(first.id)))
    assert response.status_code == 303
    db.session.rollback()
    page = _text(client.get(f"/tetouan/equality/{first.id}"))
    assert "A later opinion corrects and replaces this one:" in page and "Publish a correction" not in page


# --- HTTP: the committee's response -----------------------------------------------------------------------------

def test_the_chair_responds_as_a_fragment_then_is_refused_a_second_time(client, world):
    opinion = _publish(world)
    url = f"/tetouan/equality/{opinion.id}/response"
    login(client, world["users"]["chair"])
    page = _text(client.get(f"/tetouan/equality/{opinion.id}"))
    assert 'name="response"' in page and f'hx-post="{url}"' in page
    assert post(client, url, {"response": RESPONSE}, token=False).status_code == 400
    bad = post(client, url, {"response": "<i>Réponse</i> du comité sur cet avis"}, htmx=True)
    assert bad.status_code == 400 and "&lt;i&gt;Réponse&lt;/i&gt;" in _text(bad)
    assert "Write plain text" in _text(bad) and 'aria-invalid="true"' in _text(bad)
    done = post(client, url, {"response": RESPONSE}, htmx=True)
    text = _text(done)
    assert done.status_code == 200 and "<h1" not in text and RESPONSE in text and 'role="status"' in text
    assert "Given by the committee on" in text and 'name="response"' not in text
    assert post(client, url, {"response": RESPONSE + " Bis."}).status_code == 409
    assert post(client, url, {"response": ""}, htmx=True).status_code == 409
    db.session.rollback()
    assert db.session.get(EqualityOpinion, opinion.id).response_body == RESPONSE
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_an_admin_responds_with_a_full_page(client, world):
    opinion = _publish(world)
    login(client, world["users"]["admin"])
    response = post(client, f"/tetouan/equality/{opinion.id}/response", {"response": RESPONSE})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/tetouan/equality/{opinion.id}")
    db.session.rollback()
    assert db.session.get(EqualityOpinion, opinion.id).responded


@pytest.mark.parametrize("who", ["resident", "member", "observer", "other_admin"])
def test_others_cannot_respond(client, world, who):
    opinion = _publish(world)
    login(client, world["users"][who])
    assert post(client, f"/tetouan/equality/{opinion.id}/response", {"response": RESPONSE}).status_code == 403
    db.session.rollback()
    assert not db.session.get(EqualityOpinion, opinion.id).responded


def test_anonymous_cannot_respond(client, world):
    opinion = _publish(world)
    response = post(client, f"/tetouan/equality/{opinion.id}/response", {"response": RESPONSE})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    db.session.rollback()
    assert not db.session.get(EqualityOpinion, opinion.id).responded
