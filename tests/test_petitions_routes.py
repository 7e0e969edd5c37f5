"""Petitions over HTTP (blueprints/petitions): pages and the htmx signing fragment, CSRF, access,
bad input kept and explained, the receipt, the bureau's files and decisions."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Petition, PetitionSignature
from services import petitions, phases
from tests.conftest import login, make_user, post
from tests.test_petitions import REASONS, TEXT, draft_input

BASE = "/tetouan/petitions"


@pytest.fixture()
def world(commune):
    author = make_user(commune, name="Amina Author", email="amina@example.org")
    signer = make_user(commune, name="Brahim Signer", email="brahim@example.org")
    draft = petitions.create_draft(author, commune, draft_input(title="Brouillon privé"))
    collecting = petitions.create_draft(author, commune, draft_input(title="Pétition ouverte"))
    petitions.open_for_signatures(author, collecting, commune)
    db.session.commit()
    return {"commune": commune, "author": author, "signer": signer, "draft": draft, "collecting": collecting}


def _filed(world, *, today=None, threshold=1):
    petition = world["collecting"]
    petition.threshold = threshold
    db.session.commit()
    petitions.sign(world["author"], petition.id, world["commune"].id, declared=True)
    petitions.file(world["author"], petition.id, world["commune"], today=today or phases.today())
    db.session.commit()
    return petition


def test_list_page_and_fragment(client, world):
    page = client.get(BASE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>" in html and "Pétition ouverte" in html
    assert "Brouillon privé" not in html  # drafts stay with their author
    assert "200 signatures" in html  # 0 of 200
    fragment = client.get(BASE, headers={"HX-Request": "true"})
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in fragment.get_data(as_text=True) and 'id="petitions-list"' in fragment.get_data(as_text=True)
    assert "Pétition ouverte" not in client.get(BASE + "?state=filed").get_data(as_text=True)
    assert client.get(BASE + "?state=draft);--").status_code == 200  # unknown filters are ignored


def test_drafts_are_only_for_their_author(client, world):
    url = f"{BASE}/{world['draft'].id}"
    assert client.get(url).status_code == 404
    login(client, world["signer"])
    assert client.get(url).status_code == 404


def test_author_sees_the_draft_and_its_actions(client, world):
    login(client, world["author"])
    html = client.get(f"{BASE}/{world['draft'].id}").get_data(as_text=True)
    assert "only you can see it" in html and "Open it for signatures" in html
    assert "Brouillon privé" in client.get(BASE).get_data(as_text=True)  # "My drafts"


def test_new_petition_form_shows_the_collection_notice_and_keeps_bad_input(client, world):
    login(client, world["author"])
    page = client.get(BASE + "/new").get_data(as_text=True)
    assert world["commune"].cndp_reference in page and "law 09-08" in page
    assert post(client, BASE + "/new", {"title": "x"}, token=False).status_code == 400
    bad = post(client, BASE + "/new", {"title": "<b>Titre</b>", "request": "court", "reasons": "",
                                       "competence": "nope", "field": "education"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "HTML tags and scripts are not allowed" in html and "Write at least 20 characters" in html
    assert "Explain the reasons for the petition." in html
    assert "Choose the council competence the petition concerns." in html
    assert "&lt;b&gt;Titre&lt;/b&gt;" in html and 'aria-invalid="true"' in html
    long = post(client, BASE + "/new", {"title": "T" * 151, "request": TEXT, "reasons": REASONS,
                                        "competence": "own", "field": "education"})
    assert long.status_code == 422 and "Use at most 150 characters." in long.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Petition)) == 2
    ok = post(client, BASE + "/new", {"title": "Un marché couvert", "request": TEXT, "reasons": REASONS,
                                      "competence": "shared", "field": "economy"})
    assert ok.status_code == 303
    db.session.rollback()
    made = db.session.scalar(select(Petition).order_by(Petition.id.desc()))
    assert (made.title, made.state, made.competence, made.author_id) == (
        "Un marché couvert", "draft", "shared", world["author"].id)


def test_only_the_author_edits_opens_or_withdraws(client, world):
    draft_id = world["draft"].id
    login(client, world["signer"])
    assert client.get(f"{BASE}/{draft_id}/edit").status_code == 404  # not visible to them at all
    assert post(client, f"{BASE}/{world['collecting'].id}/edit", {"title": "x"}).status_code == 403


def test_author_edits_opens_and_withdraws(client, world):
    login(client, world["author"])
    draft_id = world["draft"].id
    assert client.get(f"{BASE}/{draft_id}/edit").status_code == 200
    changed = post(client, f"{BASE}/{draft_id}/edit", {"title": "Titre corrigé", "request": TEXT, "reasons": REASONS,
                                                       "competence": "own", "field": "health"})
    assert changed.status_code == 303
    assert post(client, f"{BASE}/{draft_id}/open", token=False).status_code == 400
    assert post(client, f"{BASE}/{draft_id}/open").status_code == 303
    db.session.rollback()
    opened = db.session.get(Petition, draft_id)
    assert (opened.title, opened.field, opened.state, opened.threshold) == ("Titre corrigé", "health", "collecting", 200)
    assert client.get(f"{BASE}/{draft_id}/edit").status_code == 403
    other = petitions.create_draft(world["author"], world["commune"], draft_input(title="À retirer"))
    db.session.commit()
    assert post(client, f"{BASE}/{other.id}/withdraw").status_code == 303
    db.session.rollback()
    assert db.session.get(Petition, other.id).state == "withdrawn"


def test_signing_with_htmx_and_without(client, world):
    url = f"{BASE}/{world['collecting'].id}"
    login(client, world["signer"])
    page = client.get(url).get_data(as_text=True)
    assert "I declare that I live in the commune" in page and world["commune"].cndp_reference in page
    assert post(client, url + "/sign", {"declaration": "y"}, token=False, htmx=True).status_code == 400
    missing = post(client, url + "/sign", {"cin": "AB12"}, htmx=True)
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "<html" not in html
    assert 'id="declaration-error"' in html and "Tick the declaration" in html and 'value="AB12"' in html
    bad_cin = post(client, url + "/sign", {"declaration": "y", "cin": "123"}, htmx=True)
    assert bad_cin.status_code == 422 and 'id="cin-error"' in bad_cin.get_data(as_text=True)
    signed = post(client, url + "/sign", {"declaration": "y", "cin": "ab 123456"}, htmx=True)
    html = signed.get_data(as_text=True)
    assert signed.status_code == 200 and 'role="status"' in html and "1 of 200 signatures" in html
    assert "your signature is counted" in html and "HX-Request" in signed.headers["Vary"]
    again = post(client, url + "/sign", {"declaration": "y"}, htmx=True)
    assert again.status_code == 409 and "You signed this petition." in again.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(PetitionSignature)) == 1
    assert db.session.scalar(select(PetitionSignature.cin_hash)) == petitions.hash_cin("AB123456")


def test_signing_full_page_redirects_and_never_lists_signatories(client, world):
    url = f"{BASE}/{world['collecting'].id}"
    login(client, world["signer"])
    response = post(client, url + "/sign", {"declaration": "y"})
    assert response.status_code == 303
    html = client.get(url).get_data(as_text=True)
    assert "1 of 200 signatures" in html and "Brahim Signer" not in html


def test_signing_refused_for_other_roles_and_closed_petitions(client, world):
    filed = _filed(world)
    login(client, world["signer"])
    closed = post(client, f"{BASE}/{filed.id}/sign", {"declaration": "y"}, htmx=True)
    assert closed.status_code == 409 and "not collecting signatures" in closed.get_data(as_text=True)
    assert post(client, f"{BASE}/{world['draft'].id}/sign", {"declaration": "y"}).status_code == 404


def test_only_residents_may_sign(client, world):
    staff = make_user(world["commune"], ("moderator",))
    login(client, staff)
    assert post(client, f"{BASE}/{world['collecting'].id}/sign", {"declaration": "y"}).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, world):
    response = post(client, f"{BASE}/{world['collecting'].id}/sign", {"declaration": "y"})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_naming_the_agent_and_filing(client, world):
    petition = world["collecting"]
    petition.threshold = 2
    db.session.commit()
    url = f"{BASE}/{petition.id}"
    login(client, world["author"])
    not_signed = post(client, url + "/agent", {"identifier": "brahim@example.org"})
    assert not_signed.status_code == 422 and "has not signed" in not_signed.get_data(as_text=True)
    assert 'value="brahim@example.org"' in not_signed.get_data(as_text=True)
    petitions.sign(world["signer"], petition.id, world["commune"].id, declared=True)
    db.session.commit()
    early = post(client, url + "/file")
    assert early.status_code == 409 and "before it has 2 signatures" in early.get_data(as_text=True)
    assert post(client, url + "/agent", {"identifier": "brahim@example.org"}).status_code == 303
    not_agent = post(client, url + "/file")  # the author is no longer the agent
    assert not_agent.status_code == 403
    db.session.rollback()
    assert db.session.get(Petition, petition.id).agent_id == world["signer"].id


def test_agent_files_and_gets_the_receipt(client, world):
    petition = world["collecting"]
    petition.threshold = 1
    db.session.commit()
    petitions.sign(world["author"], petition.id, world["commune"].id, declared=True)
    db.session.commit()
    login(client, world["author"])
    assert post(client, f"{BASE}/{petition.id}/file", token=False).status_code == 400
    response = post(client, f"{BASE}/{petition.id}/file")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/{petition.id}/receipt")
    year = phases.today().year
    receipt = client.get(f"{BASE}/{petition.id}/receipt").get_data(as_text=True)
    assert f"TETOUAN-{year}-0001" in receipt and "Receipt of a petition to the council" in receipt
    assert client.get(f"{BASE}/{world['draft'].id}/receipt").status_code == 404


@pytest.fixture()
def bureau(commune):
    return make_user(commune, ("bureau",), name="Bureau member")


def test_bureau_list_flags_overdue_files(client, world, bureau):
    petition = _filed(world, today=phases.today() - timedelta(days=120))
    assert client.get(BASE + "/bureau").status_code in (302, 303)
    login(client, bureau)
    html = client.get(BASE + "/bureau").get_data(as_text=True)
    assert petition.receipt_number in html and "badge-overdue" in html and "Overdue by" in html
    assert petitions.overdue_count(world["commune"].id, phases.today()) == 1


def test_residents_and_other_communes_cannot_see_the_bureau(client, world):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    foreign_bureau = make_user(other, ("bureau",))
    login(client, foreign_bureau)
    assert client.get(BASE + "/bureau").status_code == 403
    assert client.get("/chefchaouen/petitions/bureau").status_code == 200


def test_bureau_declares_admissible(client, world, bureau):
    petition = _filed(world)
    login(client, bureau)
    page = client.get(f"{BASE}/{petition.id}/decide").get_data(as_text=True)
    assert "Declare it admissible" in page
    assert post(client, f"{BASE}/{petition.id}/admissible", {"committee": "C"}, token=False).status_code == 400
    empty = post(client, f"{BASE}/{petition.id}/admissible", {"committee": ""})
    assert empty.status_code == 422 and "Name the standing committee" in empty.get_data(as_text=True)
    ok = post(client, f"{BASE}/{petition.id}/admissible", {"committee": "Commission des services publics"})
    assert ok.status_code == 303
    db.session.rollback()
    stored = db.session.get(Petition, petition.id)
    year, month = petitions.next_ordinary_session(phases.today())
    assert (stored.state, stored.session_year, stored.session_month) == ("admissible", year, month)
    agenda = client.get(BASE + "/sessions").get_data(as_text=True)
    assert stored.title in agenda and "Commission des services publics" in agenda
    again = post(client, f"{BASE}/{petition.id}/refuse", {"ground": "outside_competence", "reasons": REASONS})
    assert again.status_code == 409


def test_bureau_refusal_needs_reasons_and_an_explanation_after_the_deadline(client, world, bureau):
    petition = _filed(world, today=phases.today() - timedelta(days=100))
    login(client, bureau)
    url = f"{BASE}/{petition.id}/refuse"
    no_reason = post(client, url, {"ground": "outside_competence", "reasons": ""})
    assert no_reason.status_code == 422 and "a refusal must be reasoned" in no_reason.get_data(as_text=True)
    no_ground = post(client, url, {"reasons": REASONS})
    assert no_ground.status_code == 422 and "Choose the ground of the refusal." in no_ground.get_data(as_text=True)
    late = post(client, url, {"ground": "outside_competence", "reasons": REASONS})
    html = late.get_data(as_text=True)
    assert late.status_code == 422 and "explain the delay" in html and 'id="delay_explanation-error"' in html
    assert REASONS.replace("'", "&#39;") in html  # what was typed is kept
    markup = post(client, url, {"ground": "outside_competence", "reasons": REASONS,
                                "delay_explanation": "<script>x</script>"})
    assert markup.status_code == 422
    db.session.rollback()
    assert db.session.get(Petition, petition.id).state == "filed"
    ok = post(client, url, {"ground": "outside_competence", "reasons": REASONS,
                            "delay_explanation": "Le bureau ne s'est pas réuni."})
    assert ok.status_code == 303
    html = client.get(f"{BASE}/{petition.id}").get_data(as_text=True)
    assert "Ground: Outside the council's competences." in html and "Le bureau ne s&#39;est pas réuni." in html


def test_bureau_cannot_act_on_another_communes_petition(client, world, bureau):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    outsider = make_user(other, name="Chefchaouen resident")
    elsewhere = petitions.create_draft(outsider, other, draft_input())
    petitions.open_for_signatures(outsider, elsewhere, other)
    elsewhere.threshold = 1
    db.session.commit()
    petitions.sign(outsider, elsewhere.id, other.id, declared=True)
    petitions.file(outsider, elsewhere.id, other, today=date.today())
    db.session.commit()
    login(client, bureau)
    assert client.get(f"{BASE}/{elsewhere.id}/decide").status_code == 404
    assert post(client, f"{BASE}/{elsewhere.id}/admissible", {"committee": "X"}).status_code == 404
    assert client.get(f"/chefchaouen/petitions/{elsewhere.id}/decide").status_code == 403
    db.session.rollback()
    assert db.session.get(Petition, elsewhere.id).state == "filed"


def test_admin_dashboard_flags_overdue_petitions(client, world):
    admin = make_user(world["commune"], ("admin",))
    login(client, admin)
    assert "None past its deadline" in client.get("/tetouan/admin").get_data(as_text=True)
    _filed(world, today=phases.today() - timedelta(days=95))
    html = client.get("/tetouan/admin").get_data(as_text=True)
    assert "1 past its three-month deadline" in html and "badge-overdue" in html
