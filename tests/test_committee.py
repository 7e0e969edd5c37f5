"""The committee of a plan: appointing members, the one chair, removing a member (services and
routes), the committee's page and who may see it."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (AuditEntry, Axis, CommitteeMember, Criterion, Membership, Notification, Project, RoundStatus, Score,
                    ScoringRound)
from models._base import utcnow
from services import audit, committee
from services.errors import Conflict, NotFound, ServiceError
from tests.conftest import login, make_user, post

# --- helpers shared with tests/test_criteria.py ---------------------------------------------------


def seat(plan, user, kind="commune", *, chair=False, organisation=None) -> CommitteeMember:
    member = CommitteeMember(plan_id=plan.id, user_id=user.id, kind=kind, is_chair=chair, organisation=organisation)
    db.session.add(member)
    db.session.commit()
    return member


def open_round(plan, status=RoundStatus.OPEN) -> ScoringRound:
    """A round of the plan set open directly (the rounds area opens them for real)."""
    round_ = ScoringRound(plan_id=plan.id, name="Round 1", status=status, opened_at=utcnow())
    db.session.add(round_)
    db.session.commit()
    return round_


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def last_details() -> dict:
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    return json.loads(entry.details)


def is_fragment(response) -> bool:
    return "<html" not in response.get_data(as_text=True)


def text(response) -> str:
    return response.get_data(as_text=True)


def sign_out(client) -> None:
    with client.session_transaction() as session:
        session.clear()


def other_commune_admin():
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    return make_user(other, ("admin",))


@pytest.fixture()
def admin(commune):
    return make_user(commune, ("admin",), name="Amina Admin")


# --- services: appointing --------------------------------------------------------------------------

def test_appoint_by_email_adds_the_role_notifies_and_audits(commune, plan, admin):
    person = make_user(commune, ("resident",), email="salma@example.org", name="Salma")
    member = committee.appoint(admin, plan, "  Salma@Example.ORG ", "undp", "UNDP Morocco")
    db.session.commit()
    assert (member.user_id, member.kind, member.organisation, member.is_chair) == (person.id, "undp", "UNDP Morocco", False)
    assert "committee" in db.session.get(type(person), person.id).roles_in(commune.id)
    notes = list(db.session.scalars(select(Notification).where(Notification.user_id == person.id)))
    assert [(n.kind, json.loads(n.params)["role"]) for n in notes] == [("role_granted", "committee")]
    assert audit_actions()[-2:] == ["role.grant", "committee.member_appointed"]
    assert last_details()["kind"] == "undp" and last_details()["role_added"] is True
    assert audit.verify().ok


def test_appoint_by_phone_keeps_an_existing_role_without_notifying(commune, plan, admin):
    person = make_user(commune, ("committee",), phone="+212612345678")
    member = committee.appoint(admin, plan, "06 12 34 56 78", "commune")
    db.session.commit()
    assert member.user_id == person.id and member.organisation is None
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.user_id == person.id, Membership.role == "committee")) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    assert audit_actions() == ["committee.member_appointed"]


@pytest.mark.parametrize(("identifier", "kind", "organisation", "field"), [
    ("ghost@example.org", "commune", None, "identifier"),
    ("not an address", "commune", None, "identifier"),
    ("known@example.org", "king", None, "kind"),
    ("known@example.org", "commune", "<script>x</script>", "organisation"),
    ("known@example.org", "commune", "x" * 201, "organisation"),
])
def test_bad_appointments_change_nothing(commune, plan, admin, identifier, kind, organisation, field):
    make_user(commune, ("resident",), email="known@example.org")
    with pytest.raises(ServiceError) as info:
        committee.appoint(admin, plan, identifier, kind, organisation)
    assert info.value.field == field
    db.session.rollback()
    assert committee.members(plan) == [] and audit_actions() == []


def test_deleted_accounts_and_duplicates_are_refused(commune, plan, admin):
    gone = make_user(commune, ("resident",), email="gone@example.org")
    gone.deleted_at = utcnow()
    db.session.commit()
    with pytest.raises(ServiceError, match="No account"):
        committee.appoint(admin, plan, "gone@example.org", "commune")
    db.session.rollback()
    person = make_user(commune, ("resident",), email="twice@example.org")
    committee.appoint(admin, plan, "twice@example.org", "commune")
    db.session.commit()
    with pytest.raises(Conflict) as info:
        committee.appoint(admin, plan, "twice@example.org", "undp")
    assert info.value.field == "identifier" and "already a member" in str(info.value.message)
    db.session.rollback()
    assert [m.user_id for m in committee.members(plan)] == [person.id]


def test_one_chair_at_a_time_and_observers_never_chair(commune, plan, admin):
    a, b, c = (make_user(commune, ("committee",), name=n) for n in ("A", "B", "C"))
    ma, mb = seat(plan, a, chair=True), seat(plan, b, "undp")
    mc = seat(plan, c, "observer")
    committee.make_chair(admin, plan, mb.id)
    db.session.commit()
    assert [m.user_id for m in committee.members(plan) if m.is_chair] == [b.id]
    assert committee.chair(plan).id == mb.id and not db.session.get(CommitteeMember, ma.id).is_chair
    assert last_details()["previous_user"] == a.id
    with pytest.raises(Conflict, match="observer"):
        committee.make_chair(admin, plan, mc.id)
    db.session.rollback()
    with pytest.raises(Conflict, match="already the chair"):
        committee.make_chair(admin, plan, mb.id)
    db.session.rollback()
    assert committee.chair(plan).id == mb.id
    assert audit_actions() == ["committee.chair_set"]
    # The chair is listed first.
    assert committee.members(plan)[0].id == mb.id


def test_remove_is_refused_while_a_round_is_open_and_keeps_scores(commune, plan, admin):
    person = make_user(commune, ("committee",))
    member = seat(plan, person)
    round_ = open_round(plan)
    with pytest.raises(Conflict, match="round is open"):
        committee.remove(admin, plan, member.id)
    db.session.rollback()
    assert committee.seat(plan, person.id) is not None
    # A score given while open stays after removal once the round is closed.
    criterion = Criterion(plan_id=plan.id, code="impact", weight=1, name_ar="أ", name_fr="Impact", name_zgh="ⴰ")
    project = Project(commune_id=commune.id, plan_id=plan.id, code="P-1", title_ar="م", title_fr="P",
                      title_zgh="ⵎ", axis_id=db.session.scalar(select(Axis.id).where(Axis.commune_id == commune.id)), total_cost=1, commune_share=1, duration_years=1,
                      earliest_start_year=plan.start_year)
    db.session.add_all([criterion, project])
    db.session.flush()
    db.session.add(Score(round_id=round_.id, user_id=person.id, project_id=project.id, criterion_id=criterion.id,
                         value=4))
    round_.status = RoundStatus.CLOSED
    db.session.commit()
    committee.remove(admin, plan, member.id)
    db.session.commit()
    assert committee.seat(plan, person.id) is None
    assert db.session.scalar(select(func.count()).select_from(Score)) == 1
    assert audit_actions() == ["committee.member_removed"] and last_details()["user"] == person.id
    assert audit.verify().ok


def test_members_of_another_plan_are_not_found(commune, plan, admin):
    from services import demo

    _other, other_plan = demo.create_commune(slug="chefchaouen")
    person = make_user(commune, ("committee",))
    member = seat(other_plan, person)
    with pytest.raises(NotFound):
        committee.make_chair(admin, plan, member.id)
    with pytest.raises(NotFound):
        committee.remove(admin, plan, member.id)


# --- routes: appointing ----------------------------------------------------------------------------

def test_admin_appoints_through_the_page_and_its_fragment(client, commune, plan, admin):
    make_user(commune, ("resident",), email="nadia@example.org", name="Nadia")
    make_user(commune, ("resident",), phone="+212622334455", name="Youssef")
    login(client, admin)
    page = client.get("/tetouan/admin/committee")
    assert page.status_code == 200 and not is_fragment(page)
    assert "Appoint a member" in text(page) and 'href="/tetouan/admin/committee" aria-current="page"' in text(page)
    response = post(client, "/tetouan/admin/committee",
                    {"identifier": "nadia@example.org", "kind": "undp", "organisation": "PNUD Maroc"})
    assert response.status_code == 303
    response = post(client, "/tetouan/admin/committee", {"identifier": "0622334455", "kind": "observer"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/tetouan/admin/committee"
    listing = client.get("/tetouan/admin/committee", headers={"HX-Request": "true"})
    body = text(listing)
    assert is_fragment(listing) and "Nadia" in body and "Youssef" in body and "PNUD Maroc" in body
    assert "Observer (equality body)" in body and listing.headers["Vary"].count("HX-Request") == 1
    assert sorted(m.kind for m in committee.members(plan)) == ["observer", "undp"]


def test_unknown_account_is_a_field_error_and_keeps_the_typed_text(client, commune, plan, admin):
    login(client, admin)
    for htmx in (False, True):
        response = post(client, "/tetouan/admin/committee",
                        {"identifier": "nobody-here@example.org", "kind": "undp", "organisation": "Mon organisme"},
                        htmx=htmx)
        body = text(response)
        assert response.status_code == 422 and is_fragment(response) is htmx
        assert 'id="identifier-error"' in body and "No account uses this e-mail address" in body
        assert 'value="nobody-here@example.org"' in body and 'value="Mon organisme"' in body
        assert '<option selected value="undp">' in body
    response = post(client, "/tetouan/admin/committee", {"identifier": "", "kind": ""})
    assert response.status_code == 422 and "Choose the kind of member" in text(response)
    assert committee.members(plan) == []


def test_duplicate_appointment_is_refused_with_a_clear_message(client, commune, plan, admin):
    person = make_user(commune, ("committee",), email="once@example.org")
    seat(plan, person)
    login(client, admin)
    response = post(client, "/tetouan/admin/committee", {"identifier": "once@example.org", "kind": "undp"}, htmx=True)
    assert response.status_code == 409 and "already a member of the committee" in text(response)
    assert [m.kind for m in committee.members(plan)] == ["commune"]


def test_chair_and_remove_buttons(client, commune, plan, admin):
    a, b = make_user(commune, ("committee",), name="Alae"), make_user(commune, ("committee",), name="Badr")
    ma, mb = seat(plan, a, chair=True), seat(plan, b)
    observer = seat(plan, make_user(commune, ("committee",), name="Oumaima"), "observer")
    login(client, admin)
    page = text(client.get("/tetouan/admin/committee"))
    assert f"/tetouan/admin/committee/{mb.id}/chair" in page
    assert f"/tetouan/admin/committee/{ma.id}/chair" not in page  # already chair
    assert f"/tetouan/admin/committee/{observer.id}/chair" not in page  # observers cannot chair
    assert post(client, f"/tetouan/admin/committee/{mb.id}/chair").status_code == 303
    assert committee.chair(plan).user_id == b.id
    response = post(client, f"/tetouan/admin/committee/{observer.id}/chair", htmx=True)
    assert response.status_code == 409 and is_fragment(response) and "observer cannot chair" in text(response)
    assert committee.chair(plan).user_id == b.id
    assert f'href="/tetouan/admin/committee/{ma.id}/remove"' in page
    confirm = client.get(f"/tetouan/admin/committee/{ma.id}/remove")
    assert confirm.status_code == 200 and "Alae" in text(confirm) and "chairs the committee" not in text(confirm)
    response = post(client, f"/tetouan/admin/committee/{ma.id}/remove", htmx=True)  # not ticked
    assert response.status_code == 422 and is_fragment(response) and "Tick the box to confirm." in text(response)
    assert committee.seat(plan, a.id) is not None
    open_round(plan)
    response = post(client, f"/tetouan/admin/committee/{ma.id}/remove", {"confirm": "y"})
    assert response.status_code == 409 and not is_fragment(response) and "round is open" in text(response)
    assert committee.seat(plan, a.id) is not None
    db.session.execute(ScoringRound.__table__.update().values(status=RoundStatus.CLOSED))
    db.session.commit()
    response = post(client, f"/tetouan/admin/committee/{ma.id}/remove", {"confirm": "y"}, htmx=True)
    assert response.status_code == 204 and committee.seat(plan, a.id) is None
    assert post(client, "/tetouan/admin/committee/999999/remove", {"confirm": "y"}).status_code == 404
    assert client.get("/tetouan/admin/committee/999999/remove").status_code == 404
    assert audit_actions() == ["committee.chair_set", "committee.member_removed"] and audit.verify().ok


def test_posts_without_csrf_token_are_refused(client, commune, plan, admin):
    person = make_user(commune, ("committee",), email="c@example.org")
    member = seat(plan, person)
    login(client, admin)
    for url, data in [("/tetouan/admin/committee", {"identifier": "c@example.org", "kind": "undp"}),
                      (f"/tetouan/admin/committee/{member.id}/chair", {}),
                      (f"/tetouan/admin/committee/{member.id}/remove", {"confirm": "y"})]:
        assert post(client, url, data, token=False).status_code == 400
    assert committee.seat(plan, person.id).is_chair is False and audit_actions() == []


def test_admin_nav_links_to_the_committee(client, commune, admin):
    login(client, admin)
    assert 'href="/tetouan/admin/committee"' in text(client.get("/tetouan/admin"))


# --- routes: the committee's page and access -------------------------------------------------------

def test_committee_page_shows_members_and_what_the_visitor_may_do(client, commune, plan):
    chair = make_user(commune, ("committee",), name="Chaima Chair")
    seat(plan, chair, chair=True, organisation="Division de l'urbanisme")
    observer = make_user(commune, ("committee",), name="Omar Observer")
    seat(plan, observer, "observer", organisation="IEECAG")
    login(client, chair)
    page = client.get("/tetouan/committee")
    body = text(page)
    assert page.status_code == 200 and not is_fragment(page)
    assert "Chaima Chair" in body and "Omar Observer" in body and "IEECAG" in body
    assert "You chair the committee." in body and "You score each project" in body
    assert 'href="/tetouan/committee/criteria"' in body
    fragment = client.get("/tetouan/committee", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment) and "Omar Observer" in text(fragment)

    sign_out(client)
    login(client, observer)
    body = text(client.get("/tetouan/committee"))
    assert "You do not score" in body and "You chair the committee." not in body
    assert "You score each project" not in body


def test_committee_page_access(client, commune, plan):
    seatless = make_user(commune, ("committee",))
    resident = make_user(commune, ("resident",))
    admin = make_user(commune, ("admin",))
    assert client.get("/tetouan/committee").status_code == 302
    assert "/login" in client.get("/tetouan/committee").headers["Location"]
    assert client.get("/tetouan/admin/committee").status_code == 302
    for person, url, status in [(seatless, "/tetouan/committee", 403), (resident, "/tetouan/committee", 403),
                                (resident, "/tetouan/admin/committee", 403), (admin, "/tetouan/committee", 403),
                                (seatless, "/tetouan/admin/committee", 403)]:
        sign_out(client)
        login(client, person)
        assert client.get(url).status_code == status, (url, status)
    sign_out(client)
    login(client, seatless)
    response = client.get("/tetouan/committee", headers={"HX-Request": "true"})
    assert response.status_code == 403 and is_fragment(response)
    assert "Only members of this plan's committee" in text(response)


def test_another_communes_admin_cannot_appoint(client, commune, plan):
    person = make_user(commune, ("committee",), email="target@example.org")
    member = seat(plan, person)
    login(client, other_commune_admin())
    assert client.get("/tetouan/admin/committee").status_code == 403
    assert post(client, "/tetouan/admin/committee", {"identifier": "target@example.org", "kind": "undp"}
                ).status_code == 403
    assert post(client, f"/tetouan/admin/committee/{member.id}/chair").status_code == 403
    assert post(client, f"/tetouan/admin/committee/{member.id}/remove", {"confirm": "y"}).status_code == 403
    assert client.get(f"/tetouan/admin/committee/{member.id}/remove").status_code == 403
    assert committee.seat(plan, person.id).is_chair is False
