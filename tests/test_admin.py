"""Commune administration: axes, neighbourhoods, the plan's calendar and support limit, roles,
the associations verification queue and the audit page (services and routes)."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, Axis, Neighbourhood, Plan
from services import communes, phases
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from tests.conftest import make_association, post
from tests.test_moderation import (  # noqa: F401  (cast is a fixture)
    ROLES, as_role, audit_count, cast, is_fragment, is_page, notes_of, person, sign_in,
)

TIFINAGH = "ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ"


def last_audit() -> AuditEntry:
    return db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


def axis_count(commune_id) -> int:
    return db.session.scalar(select(func.count()).select_from(Axis).where(Axis.commune_id == commune_id))


# --- services ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "bad"), [
    ("ⴰⵙⵏⴼⴰⵡ ⴰⵎⴰⵜⴰⵢ", False), ("ⵍⵎⴷⵉⵏⴰ - ⴱⵍⴰⴷ", False), ("ⴰⵖⵔⵎ 2", False), ("ⴰⵣⵔⴼ, ⴰⵎⴰⵜⴰⵢ.", False),
    ("Medina", True), ("ⴰⵙⵏⴼⴰⵡ a", True), ("الإنارة", True), ("123", True), ("- !", True), ("ⴰ\u200bⴱ", True),
])
def test_tifinagh_check(text, bad):
    assert communes.tifinagh_problem(text) is bad


def test_create_rename_deactivate_axis_are_audited(commune):
    admin = person(commune, "admin")
    before = axis_count(commune.id)
    axis = communes.create_entry(admin, commune.id, "axes", name_ar="الماء", name_fr="Eau", name_zgh="ⴰⵎⴰⵏ")
    db.session.commit()
    assert axis_count(commune.id) == before + 1 and axis.position == before  # appended at the end
    assert (last_audit().action, last_audit().target_id, last_audit().actor_id) == ("axis.create", axis.id, admin.id)
    communes.update_entry(admin, commune.id, "axes", axis.id, name_ar="الماء الصالح للشرب", name_fr="Eau potable",
                          name_zgh="ⴰⵎⴰⵏ ⵉⵜⵜⵢⴰⵙⵙⵏ")
    db.session.commit()
    details = json.loads(last_audit().details)
    assert last_audit().action == "axis.update" and details["before"]["name_fr"] == "Eau"
    communes.set_entry_active(admin, commune.id, "axes", axis.id, False)
    db.session.commit()
    assert not db.session.get(Axis, axis.id).active and last_audit().action == "axis.deactivate"
    with pytest.raises(Conflict):
        communes.set_entry_active(admin, commune.id, "axes", axis.id, False)
    db.session.rollback()
    hood = communes.create_entry(admin, commune.id, "neighbourhoods", name_ar="حي", name_fr="Quartier", name_zgh="ⴰⴳⵔⵓ")
    db.session.commit()
    assert isinstance(hood, Neighbourhood) and last_audit().action == "neighbourhood.create"


@pytest.mark.parametrize(("names", "field"), [
    (("", "Eau", "ⴰⵎⴰⵏ"), "name_ar"), (("الماء", "  ", "ⴰⵎⴰⵏ"), "name_fr"), (("الماء", "Eau", ""), "name_zgh"),
    (("الماء", "Eau", "Aman"), "name_zgh"), (("ا" * 201, "Eau", "ⴰⵎⴰⵏ"), "name_ar"),
    (("الماء", "<img src=x onerror=alert(1)>", "ⴰⵎⴰⵏ"), "name_fr"), (("الماء\u202e", "Eau", "ⴰⵎⴰⵏ"), "name_ar"),
])
def test_names_are_checked_before_anything_changes(commune, names, field):
    admin = person(commune, "admin")
    before, entries = axis_count(commune.id), audit_count()
    with pytest.raises(ServiceError) as info:
        communes.create_entry(admin, commune.id, "axes", name_ar=names[0], name_fr=names[1], name_zgh=names[2])
    assert info.value.field == field
    db.session.rollback()
    assert axis_count(commune.id) == before and audit_count() == entries


def test_entries_of_another_commune_are_not_found(commune):
    from tests.test_moderation import other_commune

    other = other_commune()
    foreign = db.session.scalar(select(Axis).where(Axis.commune_id == other.id))
    admin = person(commune, "admin")
    with pytest.raises(NotFound):
        communes.update_entry(admin, commune.id, "axes", foreign.id, name_ar="x", name_fr="x", name_zgh="ⴰ")
    with pytest.raises(NotFound):
        communes.get_entry(commune.id, "projects", 1)


def test_update_plan_phases_and_limit(commune, plan):
    admin = person(commune, "admin")
    today = date.today()
    dates = {kind: (today + timedelta(days=i * 10), today + timedelta(days=i * 10 + 5)) for i, kind in
             enumerate(communes.PHASE_ORDER)}
    dates["execution"] = (None, None)
    communes.update_plan(admin, plan, phase_dates=dates, support_limit=5)
    db.session.commit()
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)
    assert plan.support_limit == 5
    assert {p.kind for p in plan.phases} == set(communes.PHASE_ORDER) - {"execution"}
    assert next(p for p in plan.phases if p.kind == "support").starts_on == today + timedelta(days=10)
    assert last_audit().action == "plan.update" and json.loads(last_audit().details)["support_limit"] == 5
    communes.update_plan(admin, plan, phase_dates={}, support_limit=None)
    db.session.commit()
    assert db.session.get(Plan, plan.id).support_limit is None


@pytest.mark.parametrize(("dates", "limit", "field"), [
    ({"support": (date(2026, 5, 10), date(2026, 5, 1))}, 5, "support_end"),
    ({"support": (date(2026, 5, 10), None)}, 5, "support_end"),
    ({"support": (None, date(2026, 5, 10))}, 5, "support_start"),
    ({}, 0, "support_limit"), ({}, -3, "support_limit"), ({}, 1001, "support_limit"),
])
def test_update_plan_refuses_bad_values_and_changes_nothing(commune, plan, dates, limit, field):
    admin = person(commune, "admin")
    before = [(p.kind, p.starts_on, p.ends_on) for p in plan.phases]
    with pytest.raises(ServiceError) as info:
        communes.update_plan(admin, plan, phase_dates=dates, support_limit=limit)
    assert info.value.field == field
    db.session.rollback()
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)
    assert [(p.kind, p.starts_on, p.ends_on) for p in plan.phases] == before and plan.support_limit == 10
    assert audit_count() == 0


def test_grant_and_revoke_roles(commune):
    admin = person(commune, "admin")
    target = person(commune, "resident", email="future.mod@example.org")
    communes.grant_role(admin, commune.id, "future.mod@example.org", "moderator")
    db.session.commit()
    assert "moderator" in target.roles_in(commune.id)
    assert last_audit().action == "role.grant" and json.loads(last_audit().details) == {"role": "moderator"}
    assert notes_of(target)[-1].kind == "role_granted"
    with pytest.raises(Conflict):
        communes.grant_role(admin, commune.id, "future.mod@example.org", "moderator")
    db.session.rollback()
    for identifier, role, field in [("nobody@example.org", "moderator", "identifier"), ("not an address", "admin", "identifier"),
                                    ("future.mod@example.org", "resident", "role"), ("future.mod@example.org", "superuser", "role")]:
        with pytest.raises(ServiceError) as info:
            communes.grant_role(admin, commune.id, identifier, role)
        assert info.value.field == field
        db.session.rollback()
    communes.revoke_role(admin, commune.id, target.id, "moderator")
    db.session.commit()
    db.session.expire_all()
    assert "moderator" not in db.session.get(type(target), target.id).roles_in(commune.id)
    assert last_audit().action == "role.revoke"
    with pytest.raises(NotAllowed):
        communes.revoke_role(admin, commune.id, admin.id, "admin")
    with pytest.raises(NotFound):
        communes.revoke_role(admin, commune.id, target.id, "committee")


def test_staff_lists_only_staff_roles(commune):
    person(commune, "resident")
    both = person(commune, "admin", "moderator", "resident", name="Both")
    staff = communes.staff(commune.id)
    assert [(s.user.id, s.roles) for s in staff] == [(both.id, ("moderator", "admin"))]


# --- routes: access ------------------------------------------------------------------------------

ADMIN_GETS = ["/tetouan/admin", "/tetouan/admin/axes", "/tetouan/admin/neighbourhoods", "/tetouan/admin/axes/new",
              "/tetouan/admin/plan", "/tetouan/admin/roles", "/tetouan/admin/associations", "/tetouan/admin/audit"]


def test_admin_pages_access_matrix(client, cast, commune):
    axis = db.session.scalar(select(Axis).where(Axis.commune_id == commune.id))
    urls = [*ADMIN_GETS, f"/tetouan/admin/axes/{axis.id}"]
    for role in ROLES:
        as_role(client, cast, role)
        for url in urls:
            status = client.get(url).status_code
            if role == "anonymous":
                assert status in (302, 401), url
            elif role == "admin":
                assert status == 200, url
            else:  # a moderator, committee member, resident or another commune's admin
                assert status == 403, (role, url)


def test_admin_posts_refused_to_non_admins(client, cast, commune):
    axis = db.session.scalar(select(Axis).where(Axis.commune_id == commune.id))
    pending = make_association(commune, cast.resident, verified=False, name="En attente")
    posts = [
        ("/tetouan/admin/axes/new", {"name_ar": "س", "name_fr": "S", "name_zgh": "ⵙ"}),
        (f"/tetouan/admin/axes/{axis.id}", {"name_ar": "س", "name_fr": "S", "name_zgh": "ⵙ"}),
        (f"/tetouan/admin/axes/{axis.id}/deactivate", {}),
        ("/tetouan/admin/plan", {"support_limit": "3"}),
        ("/tetouan/admin/roles", {"identifier": cast.resident.email, "role": "admin"}),
        (f"/tetouan/admin/roles/{cast.admin.id}/admin/revoke", {}),
        (f"/tetouan/admin/associations/{pending.id}/verify", {}),
        (f"/tetouan/admin/associations/{pending.id}/reject", {f"a{pending.id}-reason": "Non"}),
    ]
    for role in ("moderator", "committee", "resident", "association", "other_admin"):
        as_role(client, cast, role)
        for url, data in posts:
            assert post(client, url, data).status_code == 403, (role, url)
    assert audit_count() == 0
    assert db.session.get(Plan, phases.current_plan(commune).id).support_limit == 10


def test_posts_without_csrf_are_400(client, commune):
    admin = person(commune, "admin")
    sign_in(client, admin)
    axis = db.session.scalar(select(Axis).where(Axis.commune_id == commune.id))
    for url in ["/tetouan/admin/axes/new", f"/tetouan/admin/axes/{axis.id}/deactivate", "/tetouan/admin/plan",
                "/tetouan/admin/roles", f"/tetouan/admin/roles/{admin.id}/moderator/revoke",
                "/tetouan/admin/associations/1/verify", "/tetouan/admin/associations/1/reject"]:
        assert post(client, url, {"name_ar": "x"}, token=False).status_code == 400, url
    assert audit_count() == 0


# --- routes: pages and fragments -----------------------------------------------------------------

def test_dashboard_and_lists_as_page_and_fragment(client, commune):
    sign_in(client, person(commune, "admin"))
    for url in ADMIN_GETS:
        page = client.get(url)
        assert page.status_code == 200 and is_page(page), url
        assert page.get_data(as_text=True).count("<h1") == 1
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and is_fragment(fragment), url
        assert "HX-Request" in fragment.headers.get("Vary", "")
    html = client.get("/tetouan/admin/axes").get_data(as_text=True)
    assert "Éclairage public" in html and "ⴰⵙⵏⴼⴰⵡ ⴰⵎⴰⵜⴰⵢ" in html


def test_create_edit_and_deactivate_axis_over_http(client, commune):
    admin = person(commune, "admin")
    sign_in(client, admin)
    before = axis_count(commune.id)
    response = post(client, "/tetouan/admin/axes/new",
                    {"name_ar": "الرياضة", "name_fr": "Sport", "name_zgh": "ⵜⵉⵏⵏⵓⵔⵉⵜ", "commune_id": "99", "active": "0"})
    assert response.status_code == 303
    axis = db.session.scalar(select(Axis).where(Axis.name_fr == "Sport"))
    assert axis.commune_id == commune.id and axis.active and axis_count(commune.id) == before + 1
    response = post(client, f"/tetouan/admin/axes/{axis.id}",
                    {"name_ar": "الرياضة للجميع", "name_fr": "Sport pour tous", "name_zgh": "ⵜⵉⵏⵏⵓⵔⵉⵜ"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/tetouan/admin/axes")
    response = post(client, f"/tetouan/admin/axes/{axis.id}/deactivate", {})
    assert response.status_code == 303
    db.session.expire_all()
    axis = db.session.get(Axis, axis.id)
    assert axis.name_fr == "Sport pour tous" and not axis.active
    assert post(client, f"/tetouan/admin/axes/{axis.id}/deactivate", {}).status_code == 409
    assert post(client, f"/tetouan/admin/axes/{axis.id}/activate", {}).status_code == 303
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["axis.create", "axis.update", "axis.deactivate", "axis.activate"]


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name_ar": "", "name_fr": "Eau", "name_zgh": "ⴰⵎⴰⵏ"}, "name_ar", "Enter the name in Arabic"),
    ({"name_ar": "الماء", "name_fr": "Eau", "name_zgh": "Aman"}, "name_zgh", "Tifinagh letters"),
    ({"name_ar": "الماء", "name_fr": "E" * 201, "name_zgh": "ⴰⵎⴰⵏ"}, "name_fr", "at most 200"),
    ({"name_ar": "الماء", "name_fr": "<script>alert(1)</script>", "name_zgh": "ⴰⵎⴰⵏ"}, "name_fr", "plain text"),
    ({"name_ar": "الماء\u2067", "name_fr": "Eau", "name_zgh": "ⴰⵎⴰⵏ"}, "name_ar", "direction-control"),
])
def test_axis_form_bad_inputs(client, commune, data, field, message):
    sign_in(client, person(commune, "admin"))
    before = axis_count(commune.id)
    for htmx in (False, True):
        response = post(client, "/tetouan/admin/axes/new", data, htmx=htmx)
        assert response.status_code == 422 and is_fragment(response) == htmx
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html and message in html
        assert re.search(f'aria-describedby="[^"]*{field}-error"', html)
        if "<" not in data[field]:
            assert data[field] in html  # typed text kept
        else:
            assert "&lt;script&gt;" in html and "<script>alert" not in html
        assert "ⴰⵎⴰⵏ" in html or data["name_zgh"] in html
    assert axis_count(commune.id) == before and audit_count() == 0


def test_plan_form_over_http(client, commune, plan):
    sign_in(client, person(commune, "admin"))
    page = client.get("/tetouan/admin/plan")
    html = page.get_data(as_text=True)
    assert 'name="support_start"' in html and 'value="10"' in html
    data = {"support_limit": "7"}
    for phase in plan.phases:
        data[f"{phase.kind}_start"] = phase.starts_on.isoformat()
        data[f"{phase.kind}_end"] = phase.ends_on.isoformat()
    data["support_start"], data["support_end"] = "2026-01-01", "2026-02-01"
    assert post(client, "/tetouan/admin/plan", data).status_code == 303
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)
    support = next(p for p in plan.phases if p.kind == "support")
    assert plan.support_limit == 7 and (support.starts_on, support.ends_on) == (date(2026, 1, 1), date(2026, 2, 1))
    assert last_audit().action == "plan.update"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"support_start": "2026-03-10", "support_end": "2026-03-01"}, "support_end", "on or after the start"),
    ({"support_start": "2026-03-10", "support_end": ""}, "support_end", "both the start and the end"),
    ({"support_start": "someday", "support_end": "2026-03-01"}, "support_start", "year-month-day"),
    ({"support_limit": "-2"}, "support_limit", "from 1 to 1000"),
    ({"support_limit": "0"}, "support_limit", "from 1 to 1000"),
    ({"support_limit": "ten"}, "support_limit", "whole number"),
    ({"support_limit": "2.5"}, "support_limit", "whole number"),
])
def test_plan_form_bad_inputs(client, commune, plan, changes, field, message):
    sign_in(client, person(commune, "admin"))
    data = {"support_limit": "10"}
    for phase in plan.phases:
        data[f"{phase.kind}_start"] = phase.starts_on.isoformat()
        data[f"{phase.kind}_end"] = phase.ends_on.isoformat()
    data.update(changes)
    before = [(p.kind, p.starts_on, p.ends_on) for p in plan.phases]
    for htmx in (False, True):
        response = post(client, "/tetouan/admin/plan", data, htmx=htmx)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html and message in html
        assert f'value="{changes[field]}"' in html if changes[field] else True  # typed text kept
    db.session.expire_all()
    plan = db.session.get(Plan, plan.id)
    assert [(p.kind, p.starts_on, p.ends_on) for p in plan.phases] == before and plan.support_limit == 10
    assert audit_count() == 0


def test_roles_over_http(client, commune):
    admin = person(commune, "admin")
    target = person(commune, "resident", phone="+212612345678")
    sign_in(client, admin)
    response = post(client, "/tetouan/admin/roles", {"identifier": "0612345678", "role": "committee",
                                                     "user_id": str(admin.id), "is_admin": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(type(target), target.id).roles_in(commune.id) == {"resident", "committee"}
    assert db.session.get(type(admin), admin.id).roles_in(commune.id) == {"admin"}
    html = client.get("/tetouan/admin/roles").get_data(as_text=True)
    assert "+212612345678" in html and "Committee member" in html
    # bad inputs: message next to the field, typed text kept
    for data, field, message in [({"identifier": "", "role": "moderator"}, "identifier", "Enter the e-mail"),
                                 ({"identifier": "ghost@example.org", "role": "moderator"}, "identifier", "No account"),
                                 ({"identifier": "ghost@example.org", "role": "king"}, "role", "Choose a role"),
                                 ({"identifier": "0612345678", "role": "committee"}, "role", "already has this role")]:
        response = post(client, "/tetouan/admin/roles", data, htmx=True)
        assert response.status_code in (409, 422)
        html = response.get_data(as_text=True)
        assert f'id="{field}-error"' in html and message in html
        if data["identifier"]:
            assert data["identifier"] in html
    # revoke; own admin role cannot be removed
    assert post(client, f"/tetouan/admin/roles/{target.id}/committee/revoke", {}).status_code == 303
    response = post(client, f"/tetouan/admin/roles/{admin.id}/admin/revoke", {})
    assert response.status_code == 403 and "own administrator role" in response.get_data(as_text=True)
    assert post(client, f"/tetouan/admin/roles/{target.id}/resident/revoke", {}).status_code == 404
    db.session.expire_all()
    assert db.session.get(type(admin), admin.id).roles_in(commune.id) == {"admin"}
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == ["role.grant", "role.revoke"]


def test_association_verification_queue(client, commune):
    admin = person(commune, "admin")
    rep = person(commune, "resident", name="Rep")
    second = person(commune, "resident", name="Second")
    pending = make_association(commune, rep, verified=False, name="Jeunes de Sania Rmel")
    from models import AssociationRepresentative

    db.session.add(AssociationRepresentative(association_id=pending.id, user_id=second.id))
    rejected = make_association(commune, rep, verified=False, name="Autre demande")
    db.session.commit()
    sign_in(client, admin)
    html = client.get("/tetouan/admin/associations").get_data(as_text=True)
    assert "Jeunes de Sania Rmel" in html and "Autre demande" in html
    # reject needs a reason
    response = post(client, f"/tetouan/admin/associations/{rejected.id}/reject", {f"a{rejected.id}-reason": " "})
    assert response.status_code == 422 and f'id="a{rejected.id}-reason-error"' in response.get_data(as_text=True)
    response = post(client, f"/tetouan/admin/associations/{rejected.id}/reject",
                    {f"a{rejected.id}-reason": "<b>x</b>"}, htmx=True)
    assert response.status_code == 422 and is_fragment(response)
    response = post(client, f"/tetouan/admin/associations/{rejected.id}/reject",
                    {f"a{rejected.id}-reason": "Récépissé illisible"})
    assert response.status_code == 303
    assert post(client, f"/tetouan/admin/associations/{pending.id}/verify", {}).status_code == 303
    assert post(client, f"/tetouan/admin/associations/{pending.id}/verify", {}).status_code == 409
    db.session.expire_all()
    for user in (rep, second):
        assert "association" in db.session.get(type(user), user.id).roles_in(commune.id)
        assert "association_verified" in [n.kind for n in notes_of(user)]
    rejected_note = [n for n in notes_of(rep) if n.kind == "association_rejected"][0]
    assert json.loads(rejected_note.params)["reason"] == "Récépissé illisible"
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "association.reject", "association.verify"]
    assert "No association is waiting" in client.get("/tetouan/admin/associations").get_data(as_text=True)


def test_other_communes_association_cannot_be_verified_here(client, commune):
    from tests.test_moderation import other_commune

    other = other_commune()
    foreign = make_association(other, person(other, "resident"), verified=False)
    sign_in(client, person(commune, "admin"))
    assert post(client, f"/tetouan/admin/associations/{foreign.id}/verify", {}).status_code == 404
    assert db.session.get(type(foreign), foreign.id).verified_at is None


def test_moderator_cannot_reach_admin_pages_but_reaches_the_queue(client, commune):
    sign_in(client, person(commune, "moderator"))
    assert client.get("/tetouan/moderation").status_code == 200
    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    html = client.get("/tetouan/").get_data(as_text=True)
    assert "/tetouan/admin" not in html and "/tetouan/moderation" in html


def test_neighbourhood_form_refuses_a_latin_amazigh_name(client, commune):
    sign_in(client, person(commune, "admin"))
    hood = db.session.scalar(select(Neighbourhood).where(Neighbourhood.commune_id == commune.id))
    data = {"name_ar": "حي جديد", "name_fr": "Nouveau quartier", "name_zgh": "Agharas"}
    for url in ("/tetouan/admin/neighbourhoods/new", f"/tetouan/admin/neighbourhoods/{hood.id}"):
        response = post(client, url, data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'id="name_zgh-error"' in html and 'value="Agharas"' in html
    db.session.expire_all()
    assert db.session.get(Neighbourhood, hood.id).name_zgh != "Agharas"
    assert db.session.scalar(select(func.count()).select_from(Neighbourhood).where(
        Neighbourhood.name_fr == "Nouveau quartier")) == 0
    assert audit_count() == 0
