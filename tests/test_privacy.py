"""The privacy page, the CNDP notice on every collection form, "my data", deleting one's account
over HTTP, and the commune's privacy settings (blueprints/privacy)."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, Comment, Idea, PrivacySettings, Support, User, UserSession
from services import personal_data, retention
from tests.conftest import DEFAULT_PASSWORD, login, make_idea, make_user, post

NOTICE = re.compile(r"<div class=\"data-notice\" data-cndp-notice>(.*?)</div>", re.S)


def field_error(html: str, name: str) -> str | None:
    match = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


# --- the privacy page --------------------------------------------------------------------------

def test_privacy_page_is_generated_from_the_settings(client, commune):
    admin = make_user(commune, ("admin",))
    personal_data.save_settings(admin, commune, personal_data.SettingsInput(
        cndp_reference="D-GC-777/2026", contact_email="contact@tetouan.ma", controller_address="Avenue Mohammed V, Tétouan",
        dpo_name="Service des affaires juridiques", dpo_email="donnees@tetouan.ma", dpo_phone=None,
        recipients=["commune_services", "joint_committee"],
        purposes={"ar": "نص الأغراض بالعربية", "fr": "Les finalités en français", "zgh": ""},
        rights={"ar": "", "fr": "Bureau d'ordre, du lundi au vendredi", "zgh": ""},
        retention={**{k.code: k.default_months for k in retention.kinds()}, "notifications": 2}))
    db.session.commit()
    html = client.get("/tetouan/privacy").get_data(as_text=True)  # English reader: the French texts
    assert "D-GC-777/2026" in html and "Avenue Mohammed V, Tétouan" in html and "donnees@tetouan.ma" in html
    assert "Les finalités en français" in html and "Bureau d&#39;ordre, du lundi au vendredi" in html
    assert "UN Development Programme" in html and "council and its bureau" not in html
    assert re.search(r"Notifications already read</th>\s*<td>2 months</td>", html)
    assert "Audit log of staff actions" in html and "within 10 days" in html
    assert "No data is transferred to another country" in html
    arabic = client.get("/tetouan/privacy", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    client.set_cookie("tasharuk_lang", "zgh")
    amazigh = client.get("/tetouan/privacy").get_data(as_text=True)
    assert "نص الأغراض بالعربية" in arabic and "نص الأغراض بالعربية" in amazigh  # no zgh text: the Arabic one


def test_privacy_page_without_settings_uses_the_defaults(client, commune):
    page = client.get("/tetouan/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and commune.cndp_reference in html
    assert "Purpose: taking part in the commune action plan" in html
    assert re.search(r"Sign-in sessions that ended</th>\s*<td>3 months</td>", html)
    assert "Sign in to see or download your data" in html


def test_privacy_index_and_footer_link(client, commune):
    assert client.get("/privacy").headers["Location"].endswith("/tetouan/privacy")
    for path in ("/tetouan/", "/tetouan/ideas", "/login"):
        html = client.get(path).get_data(as_text=True)
        assert 'class="small footer-privacy"><a href="/' in html, path
    assert 'href="/tetouan/privacy">Privacy and personal data' in client.get("/tetouan/").get_data(as_text=True)


# --- the notice on every form that collects personal data ---------------------------------------

def _form_pages(commune):
    resident = make_user(commune, ("resident",), name="Salma")
    other = make_user(commune, ("resident",), name="Omar")
    own = make_idea(commune, resident, status="submitted")
    theirs = make_idea(commune, other, status="accepted")
    from services import demo

    demo.create_commune(slug="chefchaouen")
    from services import petitions
    from tests.test_petitions import draft_input

    collecting = petitions.create_draft(other, commune, draft_input(title="Un passage piéton devant l'école"))
    petitions.open_for_signatures(other, collecting, commune)
    db.session.commit()
    pages = [
        ("/tetouan/register", None),
        ("/chefchaouen/register", resident),  # joining another commune
        ("/tetouan/ideas/new", resident),
        (f"/tetouan/ideas/{own.id}/edit", resident),
        (f"/tetouan/ideas/{theirs.id}", resident),  # the comment form
        (f"/tetouan/ideas/{theirs.id}/comments", resident),
        ("/tetouan/associations/new", resident),
        (f"/tetouan/report/idea/{theirs.id}", resident),
        ("/account", resident),
        ("/me/notifications/settings", resident),
        ("/tetouan/petitions/new", resident),
        (f"/tetouan/petitions/{collecting.id}", resident),  # the signature form
    ]
    return resident, pages


def test_every_collection_form_shows_the_cndp_notice(app, client, commune):
    resident, pages = _form_pages(commune)
    assert {"me.notification_settings", "petitions.new_petition"} <= set(app.view_functions)
    for path, user in pages:
        if user is not None and not getattr(client, "_signed_in", False):
            login(client, user)
            client._signed_in = True
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, (path, response.status_code)
        notices = NOTICE.findall(html)
        assert notices, f"no CNDP notice on {path}"
        expected = "D-GC-000/2026 (démo)"
        assert any(expected in n for n in notices), path
        assert any("/privacy" in n for n in notices), f"no link to the privacy page on {path}"
        assert "<form" in html, path
    assert 'name="declaration"' in html  # the last page is the petition's signature form


# --- my data -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/me/data", "/me/data/download", "/me/delete"])
def test_anonymous_people_are_sent_to_sign_in(client, commune, path):
    response = client.get(path)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_post_delete_anonymous_goes_to_sign_in(client, commune):
    response = post(client, "/me/delete", {"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_my_data_page_and_download(client, commune):
    salma = make_user(commune, ("resident",), name="Salma", email="salma@example.test")
    other = make_user(commune, ("resident",), name="Omar", email="omar@example.test")
    idea = make_idea(commune, salma, title="Un banc à l'ombre")
    db.session.add(Support(idea_id=make_idea(commune, other).id, user_id=salma.id, plan_id=idea.plan_id))
    db.session.commit()
    login(client, salma)
    page = client.get("/me/data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/me/data/download"' in html and 'href="/tetouan/privacy"' in html
    download = client.get("/me/data/download")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="tasharuk-my-data-')
    assert "no-store" in download.headers["Cache-Control"]
    data = json.loads(download.get_data(as_text=True))
    assert data["account"]["email"] == "salma@example.test"
    assert [i["title"] for i in data["ideas"]] == ["Un banc à l'ombre"]
    assert len(data["supports"]) == 1 and len(data["sessions"]) == 1
    assert "omar@example.test" not in download.get_data(as_text=True)


# --- delete my account -------------------------------------------------------------------------

@pytest.fixture()
def salma(commune):
    person = make_user(commune, ("resident",), name="Salma", email="salma@example.test")
    idea = make_idea(commune, person, title="Un jardin partagé")
    db.session.add(Comment(idea_id=idea.id, author_id=person.id, stance="for", body="Mon propre avis"))
    supported = make_idea(commune, make_user(commune, ("resident",)), title="Une autre idée")
    db.session.add(Support(idea_id=supported.id, user_id=person.id, plan_id=idea.plan_id))
    supported.support_count = 1
    db.session.commit()
    return person


def test_delete_page_explains_what_happens(client, salma):
    login(client, salma)
    html = client.get("/me/delete").get_data(as_text=True)
    assert "former resident" in html and "keep counting" in html
    assert 'name="password"' in html and 'name="remove_content"' in html and 'name="code"' not in html


def test_delete_without_csrf_is_refused(client, salma):
    login(client, salma)
    response = post(client, "/me/delete", {"password": DEFAULT_PASSWORD, "confirm": "y"}, token=False)
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, salma.id).deleted_at is None


@pytest.mark.parametrize("htmx", [False, True])
def test_delete_with_the_wrong_password_is_refused_next_to_the_field(client, salma, htmx):
    login(client, salma)
    response = post(client, "/me/delete", {"password": "wrong-password-here", "confirm": "y", "remove_content": "y"},
                    htmx=htmx)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(html, "password") == "Your password is not right."
    assert re.search(r'<input[^>]*checked[^>]*name="remove_content"', html)  # what was ticked stays ticked
    assert ("<html" in html) is (not htmx)
    db.session.expire_all()
    assert db.session.get(User, salma.id).deleted_at is None
    assert client.get("/account").status_code == 200  # still signed in


def test_delete_needs_the_confirmation_box(client, salma):
    login(client, salma)
    response = post(client, "/me/delete", {"password": DEFAULT_PASSWORD})
    assert response.status_code == 422 and field_error(response.get_data(as_text=True), "confirm")
    db.session.expire_all()
    assert db.session.get(User, salma.id).deleted_at is None


@pytest.mark.parametrize("htmx", [False, True])
def test_deleting_signs_out_and_confirms(client, salma, htmx):
    login(client, salma)
    cookie = client.get_cookie("tasharuk_session").value
    supports_before = db.session.scalar(select(func.sum(Idea.support_count)))
    response = post(client, "/me/delete", {"password": DEFAULT_PASSWORD, "confirm": "y"}, htmx=htmx)
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == "/account/deleted"
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/account/deleted"
    page = client.get("/account/deleted")
    assert page.status_code == 200 and "Your account is deleted" in page.get_data(as_text=True)
    assert client.get("/account").status_code in (302, 303)  # signed out
    client.set_cookie("tasharuk_session", cookie)  # a copy of the old cookie no longer works
    assert client.get("/account").status_code in (302, 303)
    db.session.expire_all()
    gone = db.session.get(User, salma.id)
    assert gone.deleted_at is not None and gone.email is None
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == salma.id, UserSession.revoked_at.is_(None))) == 0
    assert db.session.scalar(select(func.sum(Idea.support_count))) == supports_before
    idea = db.session.scalar(select(Idea).where(Idea.title == "Un jardin partagé"))
    assert idea.author_id is None and not idea.hidden
    # The idea page now says "former resident"; the comment stays.
    html = client.get(f"/tetouan/ideas/{idea.id}").get_data(as_text=True)
    assert "Proposed by a former resident" in html and "Mon propre avis" in html
    # The same identifier can sign in no more.
    response = post(client, "/login", {"identifier": "salma@example.test", "password": DEFAULT_PASSWORD})
    assert response.status_code == 400


def test_the_last_admin_is_told_why(client, commune):
    admin = make_user(commune, ("admin",))
    login(client, admin)
    html = client.get("/me/delete").get_data(as_text=True)
    assert "last administrator" in html and 'name="password"' not in html
    response = post(client, "/me/delete", {"password": DEFAULT_PASSWORD, "code": "123456", "confirm": "y"})
    assert response.status_code == 403 and "last administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).deleted_at is None


# --- the commune's privacy settings ------------------------------------------------------------

def _valid_form(**changes):
    data = {
        "cndp_reference": "D-GC-555/2026", "contact_email": "contact@tetouan.ma",
        "controller_address": "Avenue Mohammed V", "dpo_name": "Service juridique", "dpo_email": "dpo@tetouan.ma",
        "dpo_phone": "", "recipients": ["commune_services", "council"], "purposes_ar": "المشاركة في برنامج العمل",
        "purposes_fr": "Participer", "purposes_zgh": "", "rights_ar": "", "rights_fr": "", "rights_zgh": "",
        **{f"retention_{k.code}": str(k.default_months) for k in retention.kinds()},
    }
    data.update(changes)
    return data


@pytest.fixture()
def admin(client, commune):
    person = make_user(commune, ("admin",))
    login(client, person)
    return person


def test_settings_page_full_and_fragment(client, admin):
    page = client.get("/tetouan/admin/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<h1>Privacy settings</h1>" in html and 'name="retention_sessions"' in html
    assert 'value="D-GC-000/2026 (démo)"' in html
    fragment = client.get("/tetouan/admin/privacy", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert 'id="privacy-settings"' in fragment.get_data(as_text=True)


def test_settings_are_saved(client, admin, commune):
    response = post(client, "/tetouan/admin/privacy", _valid_form(retention_notifications="2"))
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/admin/privacy"
    db.session.expire_all()
    assert db.session.get(type(commune), commune.id).cndp_reference == "D-GC-555/2026"
    assert retention.months_of(commune.id)["notifications"] == 2
    row = db.session.scalar(select(PrivacySettings))
    assert row.dpo_name == "Service juridique" and row.recipient_codes == ["commune_services", "council"]
    assert "D-GC-555/2026" in client.get("/tetouan/privacy").get_data(as_text=True)
    fragment = post(client, "/tetouan/admin/privacy", _valid_form(dpo_name="Bureau d'ordre"), htmx=True)
    assert fragment.status_code == 200 and "Saved." in fragment.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "privacy.update")) == 2


@pytest.mark.parametrize("changes, field, message", [
    ({"retention_sessions": "-1"}, "retention_sessions", "from 1 to 24"),
    ({"retention_notifications": "100000"}, "retention_notifications", "from 1 to 60"),
    ({"retention_inactive_accounts": "deux"}, "retention_inactive_accounts", "Enter a whole number."),
    ({"retention_sessions": ""}, "retention_sessions", "Enter a number of months."),
    ({"purposes_fr": "<script>alert(1)</script>"}, "purposes_fr", "HTML tags"),
    ({"controller_address": "x" * 301}, "controller_address", "at most"),
    ({"cndp_reference": ""}, "cndp_reference", "CNDP"),
    ({"dpo_phone": "12"}, "dpo_phone", "valid phone"),
    ({"recipients": ["a_foreign_cloud"]}, "recipients", "from the list"),
])
def test_bad_settings_are_refused_next_to_the_field_and_kept(client, admin, commune, changes, field, message):
    response = post(client, "/tetouan/admin/privacy", _valid_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    error = field_error(html, field)
    assert error and message in error, (field, error)
    assert 'value="Service juridique"' in html  # what was typed is kept
    db.session.expire_all()
    assert db.session.get(type(commune), commune.id).cndp_reference == "D-GC-000/2026 (démo)"
    assert db.session.scalar(select(func.count()).select_from(PrivacySettings)) == 0


def test_settings_without_csrf_are_refused(client, admin):
    assert post(client, "/tetouan/admin/privacy", _valid_form(), token=False).status_code == 400


def test_settings_are_for_this_communes_admins_only(client, commune):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    login(client, make_user(other, ("admin",)))
    assert client.get("/tetouan/admin/privacy").status_code == 403
    assert post(client, "/tetouan/admin/privacy", _valid_form()).status_code == 403


def test_residents_cannot_change_settings(client, commune):
    login(client, make_user(commune, ("resident",)))
    assert client.get("/tetouan/admin/privacy").status_code == 403
    assert post(client, "/tetouan/admin/privacy", _valid_form()).status_code == 403
