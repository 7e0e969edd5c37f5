"""Associations: the public directory, profile requests, pending visibility and representatives."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Association, AssociationRepresentative
from services import associations
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from tests.conftest import make_association, post
from tests.test_moderation import (  # noqa: F401  (cast is a fixture)
    ROLES, as_role, cast, is_fragment, is_page, notes_of, other_commune, person, sign_in, sign_out,
)

GOOD = {
    "name": "Jeunesse Sania Rmel", "receipt_number": "TET-2020-0042", "founded_on": "2020-04-01",
    "presence": "branch", "address": "Rue 12, Sania Rmel, Tétouan", "field": "youth",
    "contact_email": "contact@jeunesse.org", "contact_phone": "", "description": "Soutien scolaire et sport.",
}


def association_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Association)) or 0


def profile(**changes) -> associations.ProfileData:
    values = dict(GOOD, founded_on=date(2020, 4, 1))
    values.update(changes)
    return associations.ProfileData(**values)


# --- services ------------------------------------------------------------------------------------

def test_request_profile_records_a_pending_association_with_its_requester(commune):
    user = person(commune, "resident")
    association = associations.request_profile(user, commune.id, profile(contact_phone="0539 12 34 56"),
                                               today=date.today())
    db.session.commit()
    assert not association.is_verified and association.rejected_reason is None
    assert association.contact_phone == "+212539123456" and association.created_by_id == user.id
    assert associations.representative_ids(association.id) == [user.id]
    assert "association" not in user.roles_in(commune.id)  # not before an admin verifies
    with pytest.raises(Conflict) as info:  # the receipt number is unique in the commune
        associations.request_profile(user, commune.id, profile(name="Doublon"), today=date.today())
    assert info.value.field == "receipt_number"


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "name"), ({"name": "n" * 201}, "name"), ({"receipt_number": "  "}, "receipt_number"),
    ({"founded_on": None}, "founded_on"), ({"founded_on": date.today() + timedelta(days=1)}, "founded_on"),
    ({"presence": "headquarters"}, "presence"), ({"field": "politics"}, "field"),
    ({"address": "<script>x</script>"}, "address"), ({"contact_email": "", "contact_phone": ""}, "contact_email"),
    ({"contact_email": "not-an-email"}, "contact_email"), ({"contact_phone": "12"}, "contact_phone"),
    ({"description": "d" * 2001}, "description"), ({"description": "a\u202eb"}, "description"),
])
def test_request_profile_refuses_bad_data(commune, changes, field):
    user = person(commune, "resident")
    with pytest.raises(ServiceError) as info:
        associations.request_profile(user, commune.id, profile(**changes), today=date.today())
    assert info.value.field == field
    db.session.rollback()
    assert association_count() == 0


def test_visibility_of_pending_associations(commune):
    rep = person(commune, "resident")
    admin = person(commune, "admin")
    stranger = person(commune, "resident")
    pending = make_association(commune, rep, verified=False)
    assert associations.visible_to(rep, commune.id, pending.id) is pending
    assert associations.visible_to(admin, commune.id, pending.id) is pending
    for user in (stranger, None):
        with pytest.raises(NotFound):
            associations.visible_to(user, commune.id, pending.id)
    other = other_commune()
    with pytest.raises(NotFound):
        associations.visible_to(admin, other.id, pending.id)


def test_add_representative_rules(commune):
    rep = person(commune, "resident", "association")
    verified = make_association(commune, rep)
    newcomer = person(commune, "resident", email="newcomer@example.org")
    user = associations.add_representative(rep, commune.id, verified.id, "newcomer@example.org")
    db.session.commit()
    assert user.id == newcomer.id and "association" in newcomer.roles_in(commune.id)
    assert notes_of(newcomer)[-1].kind == "association_representative_added"
    with pytest.raises(Conflict):
        associations.add_representative(rep, commune.id, verified.id, "newcomer@example.org")
    db.session.rollback()
    # a representative of a still-pending association cannot add anyone, nor can a stranger
    pending_rep = person(commune, "resident", "association")
    pending = make_association(commune, pending_rep, verified=False)
    with pytest.raises(NotAllowed):
        associations.add_representative(pending_rep, commune.id, pending.id, "newcomer@example.org")
    with pytest.raises(NotAllowed):
        associations.add_representative(person(commune, "resident"), commune.id, verified.id, "newcomer@example.org")


# --- routes --------------------------------------------------------------------------------------

def test_directory_lists_only_verified_associations(client, commune):
    make_association(commune, name="Amis de la Médina", field="heritage", founded_on=date(2012, 3, 14))
    make_association(commune, verified=False, name="Demande en attente")
    other = other_commune()
    make_association(other, name="Association de Chefchaouen")
    page = client.get("/tetouan/associations")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and is_page(page)
    assert "Amis de la Médina" in html and "Heritage" in html and "2012" in html
    assert "Demande en attente" not in html and "Chefchaouen" not in html
    fragment = client.get("/tetouan/associations?page=abc", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment) and "Amis de la Médina" in fragment.get_data(as_text=True)


def test_show_page_public_for_verified_404_for_pending(client, commune):
    rep = person(commune, "resident")
    verified = make_association(commune, name="Tétouan Environnement", contact_email="env@example.org")
    pending = make_association(commune, rep, verified=False, name="En attente")
    page = client.get(f"/tetouan/associations/{verified.id}")
    assert page.status_code == 200 and "Tétouan Environnement" in page.get_data(as_text=True)
    fragment = client.get(f"/tetouan/associations/{verified.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment)
    assert client.get(f"/tetouan/associations/{pending.id}").status_code == 404
    assert client.get("/chefchaouen/associations/1").status_code == 404  # unknown commune
    sign_in(client, person(commune, "resident"))
    assert client.get(f"/tetouan/associations/{pending.id}").status_code == 404
    sign_in(client, rep)
    response = client.get(f"/tetouan/associations/{pending.id}")
    assert response.status_code == 200 and "Waiting for verification" in response.get_data(as_text=True)
    sign_in(client, person(commune, "admin"))
    assert client.get(f"/tetouan/associations/{pending.id}").status_code == 200
    other = other_commune()
    sign_in(client, person(other, "admin"))
    assert client.get(f"/tetouan/associations/{pending.id}").status_code == 404
    assert client.get(f"/chefchaouen/associations/{verified.id}").status_code == 404


def test_request_form_access(client, cast):
    for role in ROLES:
        as_role(client, cast, role)
        status = client.get("/tetouan/associations/new").status_code
        if role == "anonymous":
            assert status in (302, 401)
        elif role in ("resident", "association"):
            assert status == 200, role
        else:  # staff without the resident role, another commune's admin
            assert status == 403, role


def test_request_over_http_ignores_posted_status_fields(client, commune):
    user = person(commune, "resident")
    other = person(commune, "resident")
    sign_in(client, user)
    page = client.get("/tetouan/associations/new")
    assert page.status_code == 200 and "CNDP" in page.get_data(as_text=True)
    fragment = client.get("/tetouan/associations/new", headers={"HX-Request": "true"})
    assert is_fragment(fragment) and 'name="receipt_number"' in fragment.get_data(as_text=True)
    assert post(client, "/tetouan/associations/new", GOOD, token=False).status_code == 400
    assert association_count() == 0
    forged = dict(GOOD, verified_at="2020-01-01", verified_by_id=str(user.id), status="verified", role="admin",
                  user_id=str(other.id), created_by_id=str(other.id), commune_id="99", is_admin="1")
    response = post(client, "/tetouan/associations/new", forged)
    assert response.status_code == 303
    association = db.session.scalar(select(Association))
    assert association.verified_at is None and association.verified_by_id is None
    assert association.created_by_id == user.id and association.commune_id == commune.id
    assert associations.representative_ids(association.id) == [user.id]
    assert response.headers["Location"].endswith(f"/tetouan/associations/{association.id}")
    assert user.roles_in(commune.id) == {"resident"}


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": ""}, "name", "Enter the association"),
    ({"name": "N" * 201}, "name", "at most 200"),
    ({"founded_on": (date.today() + timedelta(days=3)).isoformat()}, "founded_on", "cannot be in the future"),
    ({"founded_on": "last spring"}, "founded_on", "year-month-day"),
    ({"presence": "palace"}, "presence", "seat or a branch"),
    ({"field": "party"}, "field", "Choose the field"),
    ({"contact_email": "", "contact_phone": ""}, "contact_email", "contact e-mail address or phone"),
    ({"contact_email": "nobody"}, "contact_email", "valid e-mail"),
    ({"contact_phone": "abc"}, "contact_phone", "valid phone"),
    ({"description": "<iframe src=x></iframe>"}, "description", "plain text"),
    ({"address": "Rue \u2066 12"}, "address", "direction-control"),
])
def test_request_form_bad_inputs(client, commune, changes, field, message):
    sign_in(client, person(commune, "resident"))
    data = dict(GOOD, **changes)
    for htmx in (False, True):
        response = post(client, "/tetouan/associations/new", data, htmx=htmx)
        assert response.status_code == 422 and is_fragment(response) == htmx
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html and message in html
        assert "Jeunesse Sania Rmel" in html or field == "name"  # the rest of the typed text is kept
        typed = field not in ("presence", "field")  # choices, not typed text
        if typed and changes[field] and "<" not in changes[field] and "\u2066" not in changes[field]:
            assert changes[field] in html
    assert association_count() == 0


def test_duplicate_receipt_number_over_http(client, commune):
    make_association(commune, receipt_number="TET-2020-0042")
    sign_in(client, person(commune, "resident"))
    response = post(client, "/tetouan/associations/new", GOOD)
    assert response.status_code == 409 and 'id="receipt_number-error"' in response.get_data(as_text=True)
    assert association_count() == 1


def test_add_representative_over_http(client, commune):
    rep = person(commune, "resident", "association")
    association = make_association(commune, rep)
    newcomer = person(commune, "resident", email="newcomer@example.org")
    url = f"/tetouan/associations/{association.id}/representatives"
    sign_in(client, rep)
    page = client.get(f"/tetouan/associations/{association.id}")
    assert 'name="identifier"' in page.get_data(as_text=True)
    assert post(client, url, {"identifier": "newcomer@example.org"}, token=False).status_code == 400
    for data, message in [({"identifier": ""}, "Enter the e-mail"), ({"identifier": "ghost@example.org"}, "No account"),
                          ({"identifier": "<b>x</b>"}, "plain text")]:
        response = post(client, url, data, htmx=True)
        assert response.status_code == 422 and is_fragment(response)
        assert 'id="identifier-error"' in response.get_data(as_text=True) and message in response.get_data(as_text=True)
    response = post(client, url, {"identifier": "newcomer@example.org", "user_id": str(rep.id), "role": "admin"})
    assert response.status_code == 303
    reps = set(db.session.scalars(select(AssociationRepresentative.user_id).where(
        AssociationRepresentative.association_id == association.id)))
    assert reps == {rep.id, newcomer.id}
    db.session.expire_all()
    assert db.session.get(type(newcomer), newcomer.id).roles_in(commune.id) == {"resident", "association"}
    response = post(client, url, {"identifier": "newcomer@example.org"})
    assert response.status_code == 409 and "already represents" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AssociationRepresentative)) == 2
    # another association's representative, a plain resident, an admin: refused
    for outsider in (person(commune, "resident", "association"), person(commune, "resident"), person(commune, "admin")):
        sign_in(client, outsider)
        assert post(client, url, {"identifier": "newcomer@example.org"}).status_code == 403
    sign_out(client)
    assert post(client, url, {"identifier": "newcomer@example.org"}).status_code in (302, 401)
