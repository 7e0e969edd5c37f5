"""A residents' petition from draft to the council's agenda, in a real browser on a phone (issue 6,
petitions), Arabic interface.

1. A resident drafts a petition (the form first refused for a missing field, what was typed kept),
   opens it for signatures and signs it through the htmx form (declaration ticked).
2. 198 other residents' signatures are put in the database (fast); the last resident signs in the
   browser: the count in the role=status region reads 200 of 200, the petition has enough signatures.
3. The author, its agent, files it and reads the dated receipt with its number.
4. The bureau signs in (second factor), finds it among its files, declares it admissible (the
   committee first left empty: refused next to the field) and the petition appears on the agenda
   page of the next ordinary session.
axe (WCAG 2.2 AA) finds 0 violations on the form, the petition page, the receipt, the bureau's
files, the decision page and the agenda, in ar, fr and zgh. No console error, no third-party request.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from playwright.sync_api import expect
from sqlalchemy import select, update

from extensions import db
from models import Petition, PetitionSignature
from services import petitions, phases
from tests.browser.conftest import axe_check, set_language, sign_in
from tests.browser.test_journeys import assert_language, finish, open_page
from tests.browser.test_programme_journey import _in
from tests.conftest import make_user
from tests.test_concurrency import residents

TIMEOUT_MS = 15_000
TITLE = "تهيئة ممر آمن للراجلين أمام مدرسة الحي"
REQUEST = "نطلب من المجلس إدراج تهيئة ممر آمن للراجلين وإشارات ضوئية أمام مدرسة الحي في جدول أعماله."
REASONS = "يعبر الأطفال كل صباح طريقا سريعا دون إشارات ضوئية أو ممر محمي، وقد وقعت حوادث عديدة."
COMMITTEE = "لجنة المرافق العمومية والخدمات"


def ar(msgid: str, **values) -> str:
    return _in(current_app, "ar", lambda: gettext(msgid, **values))


def _db():
    db.session.rollback()  # see what the server committed
    return db.session


def _in_languages(page, context, live_server, langs=("fr", "zgh", "ar")) -> None:
    for lang in langs:
        set_language(context, live_server, lang)
        page.reload()
        assert_language(page, lang)
        axe_check(page)


def test_resident_petition_reaches_the_councils_agenda(app, commune, live_server, context, page, page_requests,
                                                       console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    author = make_user(commune, name="Amina Resident", email="amina@example.org")
    last = make_user(commune, name="Youssef Resident", email="youssef@example.org")
    bureau = make_user(commune, ("bureau",), name="Bureau du conseil")

    # 1. The author drafts, opens and signs.
    sign_in(page, author)
    open_page(page, "/tetouan/petitions")
    page.click("main a[href='/tetouan/petitions/new']")
    page.wait_for_url("**/tetouan/petitions/new")
    expect(page.locator("main")).to_contain_text(commune.cndp_reference)
    page.fill("#title", TITLE)
    page.fill("#request", REQUEST)
    page.select_option("#competence", "own")
    page.select_option("#field", "education")
    page.locator("form.petition-form button[type=submit]").click()
    expect(page.locator("#reasons-error")).to_have_text(ar("Explain the reasons for the petition."))
    expect(page.locator("#title")).to_have_value(TITLE)  # what was typed is kept
    assert "reasons-error" in page.locator("#reasons").get_attribute("aria-describedby")
    axe_check(page)
    page.fill("#reasons", REASONS)
    with page.expect_navigation():
        page.locator("form.petition-form button[type=submit]").click()
    petition = _db().scalar(select(Petition))
    assert (petition.title, petition.state, petition.agent_id) == (TITLE, "draft", author.id)
    url = f"/tetouan/petitions/{petition.id}"
    with page.expect_navigation():
        page.locator(f"form[action='{url}/open'] button").click()
    assert _db().get(Petition, petition.id).state == "collecting"
    status = page.locator("#petition-signing [role=status] .signature-count")
    expect(status).to_have_text(ar("%(n)s of %(t)s signatures", n=0, t=200))
    page.check("#declaration")
    page.evaluate("window.__marker = 1")
    page.locator("#petition-signing form button[type=submit]").click()
    expect(status).to_have_text(ar("%(n)s of %(t)s signatures", n=1, t=200))
    expect(page.locator("#petition-signing .signed-note")).to_have_text(ar("You signed this petition."))
    assert page.evaluate("window.__marker") == 1, "signing reloaded the page"

    # 2. 198 signatures in the database, the 200th in the browser.
    db.session.rollback()  # a fresh transaction: the earlier read's snapshot is stale
    ids = residents(commune, 198, prefix="signatory")
    db.session.add_all(PetitionSignature(petition_id=petition.id, user_id=uid) for uid in ids)
    db.session.execute(update(Petition).where(Petition.id == petition.id).values(signature_count=199))
    db.session.commit()
    page.context.clear_cookies()
    sign_in(page, last)
    open_page(page, url)
    expect(status).to_have_text(ar("%(n)s of %(t)s signatures", n=199, t=200))
    _in_languages(page, context, live_server)  # the petition page with its signing form
    page.check("#declaration")
    page.fill("#cin", "ab 123456")
    page.locator("#petition-signing form button[type=submit]").click()
    expect(status).to_have_text(ar("%(n)s of %(t)s signatures", n=200, t=200))
    stored = _db().get(Petition, petition.id)
    assert (stored.state, stored.signature_count) == ("threshold_reached", 200)
    assert _db().scalar(select(PetitionSignature.cin_hash).where(PetitionSignature.user_id == last.id)) == \
        _in(app, "ar", lambda: petitions.hash_cin("AB123456"))
    axe_check(page)

    # 3. The agent files it and reads the receipt.
    page.context.clear_cookies()
    sign_in(page, author)
    open_page(page, url)
    with page.expect_navigation():
        page.locator(f"form[action='{url}/file'] button").click()
    assert_language(page)
    number = f"TETOUAN-{phases.today().year}-0001"
    expect(page.locator(".receipt-number")).to_have_text(number)
    assert _db().get(Petition, petition.id).receipt_number == number
    _in_languages(page, context, live_server)

    # 4. The bureau declares it admissible; it is on the next session's agenda.
    page.context.clear_cookies()
    sign_in(page, bureau)
    open_page(page, "/tetouan/petitions/bureau")
    expect(page.locator("table.petition-files tbody tr")).to_have_count(1)
    _in_languages(page, context, live_server)
    with page.expect_navigation():
        page.click(f"table.petition-files a[href='{url}/decide']")
    assert_language(page)
    with page.expect_navigation():
        page.locator(f"form[action='{url}/admissible'] button").click()
    expect(page.locator("#committee-error")).to_have_text(
        ar("Name the standing committee the petition is referred to."))
    _in_languages(page, context, live_server)  # the decision page, with its error
    page.fill("#committee", COMMITTEE)
    with page.expect_navigation():
        page.locator(f"form[action='{url}/admissible'] button").click()
    decided = _db().get(Petition, petition.id)
    year, month = petitions.next_ordinary_session(phases.today())
    assert (decided.state, decided.committee, decided.session_year, decided.session_month) == (
        "admissible", COMMITTEE, year, month)
    open_page(page, "/tetouan/petitions/sessions")
    session = page.locator(f"section#session-{year}-{month}, section:has(#session-{year}-{month})")
    expect(session.locator("h3")).to_have_text(TITLE)
    expect(session).to_contain_text(COMMITTEE)
    _in_languages(page, context, live_server)

    finish(console_errors, page_requests, live_server)
