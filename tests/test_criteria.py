"""The criteria of a plan: checks, the one citizen-support criterion, weights frozen once a
scoring round opens (services and routes), normalised weights, audit, and who may see or change them."""
from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Criterion, CriterionLevel
from services import audit, criteria
from services.criteria import CriterionInput
from services.errors import Conflict, NotFound, ServiceError
from tests.conftest import login, make_user, post
from tests.test_committee import (audit_actions, is_fragment, last_details, open_round, other_commune_admin, seat,
                                  sign_out, text)

LEVELS = [(f"مستوى {n}", f"Niveau {n}", f"ⴰⵙⵡⵉⵔ {n}") for n in range(6)]


def data(**changes) -> CriterionInput:
    values = dict(code="social-impact", name_ar="الأثر الاجتماعي", name_fr="Impact social", name_zgh="ⴰⵙⵓⵖⵍ",
                  kind="scored", weight="2,5", description_fr="Bénéficiaires et effets.", levels=LEVELS)
    values.update(changes)
    return CriterionInput(**values)


def form(**changes) -> dict:
    values = {"code": "gender", "name_ar": "النوع الاجتماعي", "name_fr": "Genre et inclusion", "name_zgh": "ⴰⵏⴰⵡ",
              "description_ar": "", "description_fr": "Effets sur l'égalité.", "description_zgh": "",
              "kind": "scored", "weight": "1.5", "position": ""}
    for n, (ar, fr, zgh) in enumerate(LEVELS):
        values.update({f"level{n}_ar": ar, f"level{n}_fr": fr, f"level{n}_zgh": zgh})
    values.update(changes)
    return values


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Criterion)) or 0


@pytest.fixture()
def admin(commune):
    return make_user(commune, ("admin",))


# --- services ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "value"), [("2,5", 2.5), ("2.5", 2.5), (" 3 ", 3.0), ("0", 0.0), (".5", 0.5),
                                            (1, 1.0), (0.25, 0.25), ("1e-3", 0.001)])
def test_weights_accept_comma_and_point(raw, value):
    assert criteria.parse_weight(raw) == value


@pytest.mark.parametrize("raw", ["-1", "abc", "", None, "1,2,3", "nan", "inf", "1e999", float("nan"), -0.5, "2 5",
                                 True, "1001"])
def test_bad_weights_are_refused(raw):
    with pytest.raises(ServiceError) as info:
        criteria.parse_weight(raw)
    assert info.value.field == "weight"


def test_create_update_delete_are_audited(commune, plan, admin):
    criterion = criteria.create(admin, plan, data())
    db.session.commit()
    assert (criterion.code, criterion.weight, criterion.kind, criterion.position) == ("social-impact", 2.5, "scored", 0)
    assert [lv.level for lv in criterion.levels] == [0, 1, 2, 3, 4, 5]
    assert criterion.levels[5].text_fr == "Niveau 5" and criterion.description_fr == "Bénéficiaires et effets."
    assert last_details()["new_weight"] == 2.5
    support = criteria.create(admin, plan, data(code="support", kind="support", weight="1", levels=()))
    db.session.commit()
    assert support.position == 1 and [lv.text_fr for lv in support.levels] == [""] * 6
    criteria.update(admin, plan, criterion.id, data(weight="4", name_fr="Impact social et bénéficiaires"))
    db.session.commit()
    assert db.session.get(Criterion, criterion.id).weight == 4.0
    details = last_details()
    assert (details["old_weight"], details["new_weight"]) == (2.5, 4.0)
    assert details["changed"] == ["names", "weight"]
    criteria.delete(admin, plan, support.id)
    db.session.commit()
    assert count() == 1
    assert audit_actions() == ["committee.criterion_created", "committee.criterion_created",
                               "committee.criterion_changed", "committee.criterion_deleted"]
    assert last_details()["old_weight"] == 1.0 and audit.verify().ok


def test_normalised_weights_sum_to_one(commune, plan, admin):
    a = criteria.create(admin, plan, data(code="a", weight="3"))
    b = criteria.create(admin, plan, data(code="b", weight="1"))
    shares = criteria.normalised_weights([a, b])
    assert shares == {a.id: 0.75, b.id: 0.25} and math.isclose(sum(shares.values()), 1.0)
    zero = criteria.create(admin, plan, data(code="z", weight="0"))
    assert criteria.normalised_weights([zero]) == {zero.id: 0.0}


@pytest.mark.parametrize(("changes", "field"), [
    ({"code": "Social Impact"}, "code"), ({"code": ""}, "code"), ({"code": "-x"}, "code"), ({"code": "a" * 41}, "code"),
    ({"name_zgh": "Asughel"}, "name_zgh"), ({"name_zgh": ""}, "name_zgh"), ({"name_ar": ""}, "name_ar"),
    ({"name_fr": "<b>x</b>"}, "name_fr"), ({"description_ar": "نص\u202e"}, "description_ar"),
    ({"description_fr": "x" * 1001}, "description_fr"), ({"kind": "magic"}, "kind"), ({"weight": "-2"}, "weight"),
    ({"weight": "abc"}, "weight"), ({"position": -1}, "position"),
    ({"levels": [("", "", "")] * 5 + [("", "<script>", "")]}, "level5_fr"),
    ({"levels": [("", "", "")] * 7}, "levels"),
])
def test_bad_criteria_change_nothing(commune, plan, admin, changes, field):
    with pytest.raises(ServiceError) as info:
        criteria.create(admin, plan, data(**changes))
    assert info.value.field == field
    db.session.rollback()
    assert count() == 0 and audit_actions() == []


def test_codes_are_unique_per_plan_and_one_support_criterion(commune, plan, admin):
    first = criteria.create(admin, plan, data(code="support", kind="support"))
    db.session.commit()
    with pytest.raises(ServiceError) as info:
        criteria.create(admin, plan, data(code="support", kind="scored"))
    assert info.value.field == "code"
    db.session.rollback()
    with pytest.raises(ServiceError) as info:
        criteria.create(admin, plan, data(code="support-2", kind="support"))
    assert info.value.field == "kind" and "only one" in str(info.value.message)
    db.session.rollback()
    other = criteria.create(admin, plan, data(code="impact"))
    db.session.commit()
    with pytest.raises(ServiceError):
        criteria.update(admin, plan, other.id, data(code="impact", kind="support"))
    db.session.rollback()
    criteria.update(admin, plan, first.id, data(code="support", kind="support", weight="3"))  # itself: fine
    db.session.commit()
    assert db.session.get(Criterion, first.id).weight == 3.0


def test_weights_freeze_once_a_round_opens(commune, plan, admin):
    criterion = criteria.create(admin, plan, data())
    db.session.commit()
    assert not criteria.weights_frozen(plan)
    open_round(plan)
    assert criteria.weights_frozen(plan)
    entries = len(audit_actions())
    for attempt in (lambda: criteria.update(admin, plan, criterion.id, data(weight="3")),
                    lambda: criteria.update(admin, plan, criterion.id, data(kind="support")),
                    lambda: criteria.create(admin, plan, data(code="new")),
                    lambda: criteria.delete(admin, plan, criterion.id)):
        with pytest.raises(Conflict) as info:
            attempt()
        assert str(info.value.message) == "Weights are frozen: a scoring round has opened."
        db.session.rollback()
    with pytest.raises(Conflict, match="code cannot change"):
        criteria.update(admin, plan, criterion.id, data(code="renamed"))
    db.session.rollback()
    fresh = db.session.get(Criterion, criterion.id)
    assert (count(), fresh.weight, fresh.kind, fresh.code) == (1, 2.5, "scored", "social-impact")
    assert len(audit_actions()) == entries
    # Texts may still be corrected, with the same weight written either way.
    criteria.update(admin, plan, criterion.id, data(weight="2.5", name_fr="Impact social (corrigé)",
                                                    levels=[("", "", "")] * 5 + [("ممتاز", "Excellent", "ⵉⴼⵓⵍⴽⵉ")]))
    db.session.commit()
    fresh = db.session.get(Criterion, criterion.id)
    assert fresh.name_fr == "Impact social (corrigé)" and fresh.levels[5].text_fr == "Excellent"
    assert last_details()["changed"] == ["levels", "names"]


def test_criteria_of_another_plan_are_not_found(commune, plan, admin):
    from services import demo

    _other, other_plan = demo.create_commune(slug="chefchaouen")
    foreign = criteria.create(admin, other_plan, data())
    db.session.commit()
    with pytest.raises(NotFound):
        criteria.update(admin, plan, foreign.id, data())
    with pytest.raises(NotFound):
        criteria.delete(admin, plan, foreign.id)


# --- routes --------------------------------------------------------------------------------------

def test_chair_creates_edits_and_deletes_through_the_pages(client, commune, plan):
    chair = make_user(commune, ("committee",))
    seat(plan, chair, chair=True)
    login(client, chair)
    page = client.get("/tetouan/committee/criteria/new")
    assert page.status_code == 200 and not is_fragment(page) and 'name="level5_zgh"' in text(page)
    response = post(client, "/tetouan/committee/criteria/new", form(weight="2,5"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/tetouan/committee/criteria")
    criterion = db.session.scalar(select(Criterion))
    assert (criterion.code, criterion.weight, criterion.levels[3].text_zgh) == ("gender", 2.5, "ⴰⵙⵡⵉⵔ 3")
    response = post(client, "/tetouan/committee/criteria/new", form(code="urgency", weight="1.5"), htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/tetouan/committee/criteria"
    listing = client.get("/tetouan/committee/criteria")
    body = text(listing)
    assert listing.status_code == 200 and "Genre et inclusion" in body and "Niveau 4" in body
    assert "62.5%" in body and "37.5%" in body  # 2.5 / 4 and 1.5 / 4
    fragment = client.get("/tetouan/committee/criteria", headers={"HX-Request": "true"})
    assert is_fragment(fragment) and "62.5%" in text(fragment)
    edit = client.get(f"/tetouan/committee/criteria/{criterion.id}/edit")
    assert edit.status_code == 200 and 'value="2.5"' in text(edit)
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/edit", form(weight="3"))
    assert response.status_code == 303 and db.session.get(Criterion, criterion.id).weight == 3.0
    assert f"/tetouan/committee/criteria/{criterion.id}/delete" in text(client.get(
        f"/tetouan/committee/criteria/{criterion.id}/edit"))
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/delete", htmx=True)  # not ticked
    assert response.status_code == 422 and is_fragment(response) and "Tick the box to confirm." in text(response)
    assert count() == 2
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/delete", {"confirm": "y"}, htmx=True)
    assert response.status_code == 204 and count() == 1
    assert audit_actions() == ["committee.criterion_created"] * 2 + ["committee.criterion_changed",
                                                                     "committee.criterion_deleted"]
    assert audit.verify().ok


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"weight": "-1"}, "weight", "Enter the weight as a number of 0 or more"),
    ({"weight": "abc"}, "weight", "Enter the weight as a number of 0 or more"),
    ({"name_zgh": "Tawuri"}, "name_zgh", "Tifinagh letters"),
    ({"code": "Bad Code"}, "code", "lower-case letters"),
])
def test_bad_input_is_shown_next_to_the_field_with_the_typed_values(client, commune, plan, admin, changes, field,
                                                                     message):
    login(client, admin)
    for htmx in (False, True):
        response = post(client, "/tetouan/committee/criteria/new", form(**changes), htmx=htmx)
        body = text(response)
        assert response.status_code == 422 and is_fragment(response) is htmx
        assert f'id="{field}-error"' in body and message in body
        assert f'value="{form(**changes)[field]}"' in body and 'value="Genre et inclusion"' in body
        assert 'value="Niveau 2"' in body
    assert count() == 0


def test_second_support_criterion_is_refused_on_the_form(client, commune, plan, admin):
    criteria.create(admin, plan, data(code="support", kind="support"))
    db.session.commit()
    login(client, admin)
    response = post(client, "/tetouan/committee/criteria/new", form(kind="support"), htmx=True)
    assert response.status_code == 422 and 'id="kind-error"' in text(response)
    assert "already has a citizen-support criterion" in text(response) and count() == 1


def test_frozen_weights_answer_409_and_change_nothing(client, commune, plan, admin):
    criterion = criteria.create(admin, plan, data(code="gender", weight="1.5"))
    db.session.commit()
    open_round(plan)
    login(client, admin)
    entries = len(audit_actions())
    frozen = "Weights are frozen: a scoring round has opened."
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/edit", form(weight="9"))
    assert response.status_code == 409 and frozen in text(response) and 'value="9"' in text(response)
    response = post(client, "/tetouan/committee/criteria/new", form(code="other"), htmx=True)
    assert response.status_code == 409 and is_fragment(response) and frozen in text(response)
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/delete", {"confirm": "y"})
    assert response.status_code == 409 and frozen in text(response)
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/delete", {"confirm": "y"}, htmx=True)
    assert response.status_code == 409 and is_fragment(response) and frozen in text(response)
    fresh = db.session.get(Criterion, criterion.id)
    assert (count(), fresh.weight) == (1, 1.5) and len(audit_actions()) == entries
    listing = text(client.get("/tetouan/committee/criteria"))
    assert "Weights are frozen" in listing and "/criteria/new" not in listing
    assert "/delete" not in text(client.get(f"/tetouan/committee/criteria/{criterion.id}/edit"))
    assert "No criterion can be added" in text(client.get("/tetouan/committee/criteria/new"))
    # Correcting the texts is still allowed.
    response = post(client, f"/tetouan/committee/criteria/{criterion.id}/edit",
                    form(weight="1,5", name_fr="Genre, égalité et inclusion"))
    assert response.status_code == 303
    fresh = db.session.get(Criterion, criterion.id)
    assert fresh.name_fr == "Genre, égalité et inclusion" and fresh.weight == 1.5


def test_who_may_read_and_change_the_criteria(client, commune, plan, admin):
    criterion = criteria.create(admin, plan, data())
    db.session.commit()
    observer, member, seatless, resident = (make_user(commune, roles) for roles in
                                            (("committee",), ("committee",), ("committee",), ("resident",)))
    seat(plan, observer, "observer")
    seat(plan, member, "undp")
    new, edit = "/tetouan/committee/criteria/new", f"/tetouan/committee/criteria/{criterion.id}/edit"
    delete = f"/tetouan/committee/criteria/{criterion.id}/delete"
    assert "/login" in client.get("/tetouan/committee/criteria").headers["Location"]
    assert "/login" in client.get(new).headers["Location"]
    cases = [
        (observer, [("GET", "/tetouan/committee/criteria", 200), ("GET", "/tetouan/committee", 200),
                    ("GET", new, 403), ("POST", new, 403), ("GET", edit, 403), ("POST", delete, 403)]),
        (member, [("GET", "/tetouan/committee/criteria", 200), ("POST", new, 403), ("POST", edit, 403)]),
        (seatless, [("GET", "/tetouan/committee/criteria", 403), ("GET", new, 403)]),
        (resident, [("GET", "/tetouan/committee/criteria", 403), ("GET", new, 403), ("POST", delete, 403)]),
        (admin, [("GET", "/tetouan/committee/criteria", 200), ("GET", new, 200), ("GET", edit, 200)]),
        (other_commune_admin(), [("GET", "/tetouan/committee/criteria", 403), ("GET", new, 403),
                                 ("POST", new, 403), ("POST", delete, 403)]),
    ]
    for person, requests in cases:
        sign_out(client)
        login(client, person)
        for method, url, status in requests:
            response = client.get(url) if method == "GET" else post(client, url, form(code="x", confirm="y"))
            assert response.status_code == status, (person.id, method, url, response.status_code)
    sign_out(client)
    login(client, observer)
    body = text(client.get("/tetouan/committee/criteria"))
    assert "Impact social" in body and "/edit" not in body and "Add a criterion" not in body
    response = client.get(new, headers={"HX-Request": "true"})
    assert response.status_code == 403 and is_fragment(response) and "Only the chair" in text(response)
    assert count() == 1


def test_criterion_posts_without_csrf_token_are_refused(client, commune, plan, admin):
    criterion = criteria.create(admin, plan, data())
    db.session.commit()
    login(client, admin)
    for url in ("/tetouan/committee/criteria/new", f"/tetouan/committee/criteria/{criterion.id}/edit",
                f"/tetouan/committee/criteria/{criterion.id}/delete"):
        assert post(client, url, form(code="y", weight="7", confirm="y"), token=False).status_code == 400
    fresh = db.session.get(Criterion, criterion.id)
    assert (count(), fresh.weight) == (1, 2.5)
    assert db.session.scalar(select(func.count()).select_from(CriterionLevel)) == 6


def test_unknown_criterion_is_404(client, commune, plan, admin):
    login(client, admin)
    assert client.get("/tetouan/committee/criteria/999999/edit").status_code == 404
    assert post(client, "/tetouan/committee/criteria/999999/delete", {"confirm": "y"}).status_code == 404
