"""Personal data in a real browser (issue 6, part C), Arabic interface on a phone.

1. Salma (resident) has an idea, a comment and a support. She reads the commune's privacy page
   (axe in ar, fr, zgh), opens "My personal data" (axe in ar, fr, zgh) and downloads her file:
   its JSON holds her account, her idea, her comment and her support, and nobody else's e-mail.
2. She opens "Delete my account" (axe in ar, fr, zgh), types a wrong password (htmx: refused next
   to the field, 422), then the right one, ticks the confirmation and deletes: she lands on the
   confirmation page, signed out; her idea is now "by a former resident" and its support count
   has not moved. No console error, no third-party request.
"""
from __future__ import annotations

import json

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from extensions import db
from models import Comment, Idea, Support, User
from services import personal_data
from tests.browser.conftest import axe_check, set_language, sign_in
from tests.browser.test_journeys import finish, open_page
from tests.conftest import DEFAULT_PASSWORD, make_idea, make_user

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000


def _axe_in_every_language(page, context, live_server, path):
    for lang in ("fr", "zgh", "ar"):  # Arabic last: the journey goes on in Arabic
        set_language(context, live_server, lang)
        open_page(page, path, lang)
        axe_check(page)


def test_a_resident_downloads_their_data_and_deletes_their_account(app, commune, live_server, context, page,
                                                                  page_requests, console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    personal_data.seed_demo(commune)
    salma = make_user(commune, ("resident",), name="سلمى", email="salma@example.test")
    omar = make_user(commune, ("resident",), name="Omar", email="omar@example.test")
    her_idea = make_idea(commune, salma, title="حديقة صغيرة قرب المدرسة", status="accepted")
    his_idea = make_idea(commune, omar, title="Un banc sur la place", status="accepted")
    db.session.add(Comment(idea_id=his_idea.id, author_id=salma.id, stance="for", body="فكرة جيدة"))
    db.session.add(Support(idea_id=her_idea.id, user_id=omar.id, plan_id=her_idea.plan_id))
    db.session.add(Support(idea_id=his_idea.id, user_id=salma.id, plan_id=his_idea.plan_id))
    her_idea.support_count = his_idea.support_count = 1
    db.session.commit()
    her_idea_id, his_idea_id, salma_id = her_idea.id, his_idea.id, salma.id

    # 1. The privacy page, my data, the download.
    _axe_in_every_language(page, context, live_server, "/tetouan/privacy")
    assert "D-GC-000/2026" in page.inner_text("main")
    sign_in(page, salma)
    _axe_in_every_language(page, context, live_server, "/me/data")
    with page.expect_download() as info:
        page.click("a[href='/me/data/download']")
    path = info.value.path()
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    data = json.loads(text)
    assert data["account"]["email"] == "salma@example.test" and data["account"]["display_name"] == "سلمى"
    assert [i["title"] for i in data["ideas"]] == ["حديقة صغيرة قرب المدرسة"]
    assert [c["body"] for c in data["comments"]] == ["فكرة جيدة"]
    assert [s["idea_id"] for s in data["supports"]] == [his_idea_id]
    assert "omar@example.test" not in text

    # 2. Delete the account: a wrong password first (htmx), then for real.
    _axe_in_every_language(page, context, live_server, "/me/delete")
    page.fill("input[name=password]", "not-the-right-password")
    page.check("input[name=confirm]")
    with page.expect_response(lambda r: r.url.endswith("/me/delete") and r.request.method == "POST") as answer:
        page.click("#delete-region button[type=submit]")
    assert answer.value.status == 422
    with force_locale("ar"):
        wrong = gettext("Your password is not right.")
    page.wait_for_selector("#password-error")
    assert wrong in page.inner_text("#password-error")
    assert page.get_attribute("input[name=password]", "aria-describedby") == "password-error"
    axe_check(page)  # the refused form
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    if not page.is_checked("input[name=confirm]"):
        page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("#delete-region button[type=submit]")
    assert page.url.endswith("/account/deleted")
    axe_check(page)
    db.session.rollback()
    gone = db.session.get(User, salma_id)
    assert gone.deleted_at is not None and gone.email is None
    assert db.session.scalar(select(Idea.support_count).where(Idea.id == her_idea_id)) == 1
    assert db.session.scalar(select(Idea.support_count).where(Idea.id == his_idea_id)) == 1
    response = page.goto("/account")
    assert "/login" in page.url  # signed out
    open_page(page, f"/tetouan/ideas/{her_idea_id}")
    with force_locale("ar"):
        former = gettext("Proposed by a former resident")
    assert former in page.inner_text("main")
    db.session.rollback()
    finish(console_errors, page_requests, live_server, refused=[(422, "/me/delete")])
