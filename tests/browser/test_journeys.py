"""Real-browser journeys on a 360 px phone, Arabic interface by default (Debian Chromium).

1. A resident registers, proposes an idea in Arabic, finds it with a spelling variant,
   supports it and withdraws without a page load (focus kept, status region announced).
2. An association representative comments in the association's name with a stance.
3. Three residents report a comment (one through the report form); a moderator hides it
   with a reason; visitors no longer see it; its author is told why.
4. Keyboard only: Tab order and visible focus on the idea form and the idea page, a form
   submitted with Enter, the support button worked with Space and Enter.
5. The key pages again in French and Amazigh (axe skips contrast on much Arabic text).

Every new page and every htmx swap is checked with axe (WCAG 2.2 AA, 0 violations); every
journey ends with no console error and no request to another origin than the live server.
Elements are found through ids, names and hrefs — never through translated wording, since
the catalogs are still being filled.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import Comment, Idea, User
from tests.browser.conftest import DIRECTIONS, assert_only_local, axe_check, set_language, sign_in
from tests.conftest import make_association, make_idea, make_user

pytestmark = pytest.mark.browser

TIMEOUT_MS = 10_000
_TO_ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_TO_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


# --- helpers -----------------------------------------------------------------------------------

def numbers(text: str) -> list[int]:
    """The numbers in a sentence, whatever its wording and digits (Western or Arabic-Indic)."""
    text = text.translate(_TO_WESTERN_DIGITS)
    text = re.sub(r"(?<=\d)[\u00a0\u202f\u066c,.'](?=\d{3})", "", text)  # thousands separators
    return [int(n) for n in re.findall(r"\d+", text)]


def just(n: int) -> re.Pattern:
    """A text that is exactly the number n (Western or Arabic-Indic digits)."""
    return re.compile(rf"^\s*({n}|{str(n).translate(_TO_ARABIC_DIGITS)})\s*$")


def open_page(page, path: str, lang: str = "ar"):
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: HTTP {response and response.status}"
    assert_language(page, lang)
    return response


def assert_language(page, lang: str = "ar") -> None:
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, DIRECTIONS[lang]), page.url


def support_count(page, idea_id: int):
    """The residents' support count (the first <strong> of the counts, in the role=status region)."""
    return page.locator(f"#support-{idea_id}-status .support-counts strong").first


def remaining_numbers(page, idea_id: int) -> list[int]:
    """The numbers of the "N of M supports left" line, sorted (translations may reorder them)."""
    return sorted(numbers(page.locator(f"#support-{idea_id}-status .hint").inner_text()))


def stance_numbers(page, idea_id: int) -> list[int]:
    """[for, neutral, against] from the comment thread's counts."""
    spans = page.locator(f"#comments-{idea_id} .stance-counts span")
    return [numbers(spans.nth(i).inner_text())[0] for i in range(3)]


def switch_person(page, user=None) -> None:
    """Forget the browser's session (cookies), then sign in as `user` (or stay anonymous)."""
    page.context.clear_cookies()
    if user is not None:
        sign_in(page, user)


def finish(console_errors, page_requests, live_server, refused=()) -> None:
    """No console error, no failed asset, no third-party request. `refused` lists the
    (status, path) of htmx answers the journey provoked on purpose (a refused form is
    swapped in with its 4xx status): each must have happened, and only those are allowed."""
    errors = list(console_errors)
    for status, path in refused:
        expected = f"HTTP {status}: {live_server}{path}"
        assert expected in errors, f"expected the refusal {expected} in {errors}"
        errors.remove(expected)
        errors = [e for e in errors if not (e.startswith("console: Failed to load resource") and
                                            f"status of {status}" in e and f"{live_server}{path}" in e)]
    assert errors == [], "\n".join(errors)
    assert_only_local(page_requests, live_server)


FOCUSED = """() => {
  const el = document.activeElement, style = getComputedStyle(el);
  return {tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name'), type: el.getAttribute('type'),
          href: el.getAttribute('href'), action: el.form ? el.form.getAttribute('action') : null,
          inFooter: !!el.closest('footer'), inMain: !!el.closest('main'),
          focusVisible: el.matches(':focus-visible'), outline: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth)};
}"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def assert_focus_visible(info: dict) -> None:
    assert info["focusVisible"] and info["outline"] != "none" and info["outlineWidth"] >= 2, (
        f"no visible focus indicator on {info}"
    )


def tab_through_main(page, limit: int = 60) -> list[dict]:
    """From the skip link (followed), Tab through the main content until the footer; every
    stop must show a visible focus ring."""
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')"), "first Tab stop: skip link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if info["inFooter"] or not info["inMain"]:
            return stops
        assert_focus_visible(info)
        stops.append(info)
    pytest.fail(f"Tab never left the main content after {limit} stops: {stops[-3:]}")


def tab_to(page, predicate, limit: int = 60) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if predicate(info):
            assert_focus_visible(info)
            return info
    pytest.fail("the control was never reached with Tab")


# --- data --------------------------------------------------------------------------------------

def _reload(model, id_):
    """A fresh copy of a row the server may have changed (ends the test thread's transaction first)."""
    db.session.rollback()
    return db.session.get(model, id_)


def _fresh_transaction() -> None:
    """End the test thread's read transaction before it writes: its SQLite snapshot may be
    older than what the server wrote since, and a write from a stale snapshot is refused."""
    db.session.rollback()


def _comment(user, idea, body, stance="for", association=None):
    from services import comments

    _fresh_transaction()
    comment = comments.post(user, idea.id, body=body, stance=stance,
                            association_id=association.id if association else None)
    db.session.commit()
    return comment


def _report(user, commune, comment, reason="insult"):
    from services import moderation

    _fresh_transaction()
    moderation.report(user, commune.id, "comment", comment.id, reason)
    db.session.commit()


def _hide(moderator, commune, comment, reason):
    from services import moderation

    _fresh_transaction()
    moderation.decide(moderator, commune.id, "comment", comment.id, "hide", reason)
    db.session.commit()


# --- 1. a resident on a phone ----------------------------------------------------------------

ARABIC_TITLE = "إنشاء مكتبة عمومية قرب المدرسة"
ARABIC_DESCRIPTION = "لا توجد مكتبة في الحي؛ نقترح قاعة للقراءة مفتوحة للأطفال والشباب بعد الدراسة."
SPELLING_VARIANT = "انشاء مكتبه"  # bare alef instead of hamza-on-alef, ه instead of ة


def test_resident_registers_proposes_finds_and_supports(app, commune, live_server, page, page_requests,
                                                        console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    neighbour = make_user(commune, name="Hamid")
    other = make_idea(commune, neighbour, title="ترميم الملعب البلدي", description="إصلاح الأرضية والمدرجات.")

    # Register (Arabic interface). A first try with two different passwords is refused
    # in place, with the message linked to the field and the typed name kept.
    open_page(page, "/tetouan/register")
    axe_check(page)
    page.fill("#display_name", "سعاد العلمي")
    page.fill("#identifier", "0661234567")  # a phone number, as most residents would
    page.fill("#password", "olive-lantern-harbour-93")
    page.fill("#confirm", "olive-lantern-harbour-39")
    page.check("#consent")
    page.click("#register-region button[type=submit]")
    expect(page.locator("#confirm")).to_have_attribute("aria-invalid", "true")
    assert "confirm-error" in page.get_attribute("#confirm", "aria-describedby").split()
    expect(page.locator("#confirm-error")).to_be_visible()
    expect(page.locator("#display_name")).to_have_value("سعاد العلمي")
    expect(page.locator("#password")).to_have_value("")  # passwords are never sent back
    expect(page.locator("#register-region [role=alert]")).to_be_focused()
    axe_check(page)

    page.fill("#password", "olive-lantern-harbour-93")
    page.fill("#confirm", "olive-lantern-harbour-93")
    page.check("#consent")
    page.click("#register-region button[type=submit]")
    page.wait_for_url(f"{live_server}/tetouan/")
    assert_language(page)
    expect(page.locator(".flash-success")).to_be_visible()
    axe_check(page)

    # Propose an idea written in Arabic, from the idea list's link.
    page.click('nav.main-nav a[href="/tetouan/ideas"]')
    page.wait_for_url("**/tetouan/ideas")
    page.click('main a[href="/tetouan/ideas/new"]')
    page.wait_for_url("**/tetouan/ideas/new")
    axe_check(page)
    page.fill("#title", ARABIC_TITLE)
    page.fill("#description", ARABIC_DESCRIPTION)
    page.select_option("#axis_id", index=1)
    page.select_option("#neighbourhood_id", index=1)
    page.fill("#location_text", "قرب مدرسة الأمل")
    page.click("input[name=submit_idea]")
    page.wait_for_url(re.compile(r"/tetouan/ideas/\d+$"))
    idea_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(ARABIC_TITLE)
    expect(page.locator(".idea-description")).to_have_text(ARABIC_DESCRIPTION)
    axe_check(page)
    idea = _reload(Idea, idea_id)
    author = db.session.scalar(select(User).where(User.display_name == "سعاد العلمي"))
    assert (idea.status, idea.author_id, idea.title) == ("submitted", author.id, ARABIC_TITLE)

    # Find it with the list's text search, written another way.
    page.click('nav.main-nav a[href="/tetouan/ideas"]')
    page.wait_for_url("**/tetouan/ideas")
    expect(page.locator("#idea-results .idea-card")).to_have_count(2)
    axe_check(page)
    page.evaluate("window.__marker = 1")
    page.fill("#q", SPELLING_VARIANT)
    page.press("#q", "Enter")
    expect(page.locator("#idea-results .idea-card")).to_have_count(1)
    assert page.evaluate("window.__marker") == 1, "the search reloaded the page"
    expect(page.locator(f'#idea-results a[href="/tetouan/ideas/{idea_id}"]')).to_have_text(ARABIC_TITLE)
    expect(page.locator(f'#idea-results a[href="/tetouan/ideas/{other.id}"]')).to_have_count(0)
    assert numbers(page.locator("#results-status").inner_text()) == [1]  # announced (role=status)
    assert page.get_attribute("#results-status", "role") == "status"
    assert "q=" in page.url  # the search is in the address, to share or go back to
    axe_check(page)

    # Open it, support it: the count changes without a page load.
    page.click(f'#idea-results a[href="/tetouan/ideas/{idea_id}"]')
    page.wait_for_url(f"**/tetouan/ideas/{idea_id}")
    axe_check(page)
    status = page.locator(f"#support-{idea_id}-status")
    assert status.get_attribute("role") == "status" or status.get_attribute("aria-live") in ("polite", "assertive")
    expect(support_count(page, idea_id)).to_have_text(just(0))
    assert remaining_numbers(page, idea_id) == [10, 10]
    page.evaluate("window.__marker = 1")
    page.evaluate(f"document.getElementById('support-{idea_id}-status').__kept = 1")

    button = page.locator(f"#support-{idea_id} button[type=submit]")
    assert f"support-{idea_id}-status" in button.get_attribute("aria-describedby").split()
    with page.expect_response(lambda r: r.url.endswith(f"/ideas/{idea_id}/support")) as answer:
        button.click()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    expect(support_count(page, idea_id)).to_have_text(just(1))
    assert remaining_numbers(page, idea_id) == [9, 10]
    expect(status.locator("p.ok")).to_be_visible()  # the confirmation, inside the live region
    assert page.evaluate("window.__marker") == 1, "supporting reloaded the page"
    assert page.evaluate(f"document.getElementById('support-{idea_id}-status').__kept") == 1, (
        "the status region was replaced instead of updated: screen readers would not announce it"
    )
    withdraw = page.locator(f'#support-{idea_id} form[action$="/withdraw"] button')
    expect(withdraw).to_be_focused()
    axe_check(page)

    # Withdraw: back to 0, focus on the support button again.
    with page.expect_response(lambda r: r.url.endswith(f"/ideas/{idea_id}/withdraw")) as answer:
        withdraw.click()
    assert answer.value.status == 200
    expect(support_count(page, idea_id)).to_have_text(just(0))
    assert remaining_numbers(page, idea_id) == [10, 10]
    expect(page.locator(f'#support-{idea_id} form[action$="/support"] button')).to_be_focused()
    assert page.evaluate("window.__marker") == 1
    axe_check(page)
    assert _reload(Idea, idea_id).support_count == 0

    finish(console_errors, page_requests, live_server, refused=[(400, "/tetouan/register")])


# --- 2. an association representative ----------------------------------------------------------

def test_association_representative_comments_in_the_association_name(app, commune, live_server, page,
                                                                     page_requests, console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    representative = make_user(commune, roles=("resident", "association"), name="Nadia Amrani")
    association = make_association(commune, representative, name="جمعية أصدقاء البيئة")
    resident = make_user(commune, name="Karim")
    idea = make_idea(commune, resident, title="تشجير شارع محمد الخامس", description="غرس الأشجار على جانبي الشارع.",
                     status="accepted")
    _comment(resident, idea, "فكرة جيدة للحي.", stance="for")

    sign_in(page, representative)
    open_page(page, f"/tetouan/ideas/{idea.id}")
    axe_check(page)
    assert stance_numbers(page, idea.id) == [1, 0, 0]

    body = "نخشى أن تكون تكلفة السقي مرتفعة؛ نقترح أشجارا محلية."
    page.fill("#body", body)
    page.check("input[name=stance][value=against]")
    page.select_option("#association_id", str(association.id))
    page.evaluate("window.__marker = 1")
    page.click(f"#comments-{idea.id} form button[type=submit]")

    card = page.locator(f"#comments-{idea.id} .comment-card", has_text=body)
    expect(card).to_have_count(1)
    expect(card.locator(".badge-association")).to_contain_text(association.name)
    expect(card.locator(".stance-against")).to_have_count(1)
    expect(card.locator(".comment-author")).to_have_count(0)  # the association speaks, not the person
    assert stance_numbers(page, idea.id) == [1, 0, 1]
    expect(page.locator(f"#comments-{idea.id} [role=status]")).to_be_focused()
    assert page.evaluate("window.__marker") == 1
    expect(page.locator("#body")).to_have_value("")  # a fresh form for the next comment
    axe_check(page)

    db.session.rollback()
    comment = db.session.scalar(select(Comment).where(Comment.idea_id == idea.id, Comment.stance == "against"))
    assert (comment.association_id, comment.author_id, comment.body) == (association.id, representative.id, body)

    # A visitor sees the same badge and counts after a reload.
    switch_person(page)
    open_page(page, f"/tetouan/ideas/{idea.id}")
    expect(page.locator(f"#comments-{idea.id} .comment-card", has_text=body).locator(".badge-association")
           ).to_contain_text(association.name)
    assert stance_numbers(page, idea.id) == [1, 0, 1]
    axe_check(page)

    finish(console_errors, page_requests, live_server)


# --- 3. a moderator hides a reported comment -----------------------------------------------------

def test_moderator_hides_a_reported_comment(app, commune, live_server, page, page_requests, console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    proposer = make_user(commune, name="Salma")
    idea = make_idea(commune, proposer, title="ساحة للألعاب في حي الباريو", status="accepted")
    author = make_user(commune, name="Rachid")
    body = "هذا تعليق مسيء لسكان الحي ولا علاقة له بالفكرة."
    comment = _comment(author, idea, body, stance="against")
    reporters = [make_user(commune, name=f"Reporter {i}") for i in range(3)]
    moderator = make_user(commune, roles=("resident", "moderator"), name="Moderator")
    reason = "إساءة لسكان الحي (الفقرة 3 من الميثاق)."

    # The first report through the page: report link → reason → send.
    sign_in(page, reporters[0])
    open_page(page, f"/tetouan/ideas/{idea.id}")
    page.click(f'#comment-{comment.id} a[href="/tetouan/report/comment/{comment.id}"]')
    page.wait_for_url(f"**/tetouan/report/comment/{comment.id}")
    assert_language(page)
    expect(page.locator(".report-box blockquote")).to_have_text(body)
    axe_check(page)
    page.check("input[name=reason][value=insult]")
    page.click(".report-box button[type=submit]")
    done = page.locator(".report-box [role=status]")
    expect(done).to_be_focused()
    expect(page.locator(".report-box form")).to_have_count(0)
    axe_check(page)
    open_page(page, f"/tetouan/ideas/{idea.id}")
    expect(page.locator(f"#comment-{comment.id} .comment-text")).to_have_text(body)  # one report hides nothing

    # Two more residents report it (seeded): three open reports hide it pending review.
    _report(reporters[1], commune, comment, "insult")
    _report(reporters[2], commune, comment, "incitement")
    assert _reload(Comment, comment.id).report_count == 3

    # The moderator finds it in the queue and hides it with a reason.
    switch_person(page, moderator)
    page.click('nav.main-nav a[href="/tetouan/moderation"]')
    page.wait_for_url("**/tetouan/moderation")
    assert_language(page)
    item = page.locator(f"#mod-comment-{comment.id}")
    expect(item.locator("blockquote")).to_have_text(body)
    assert 3 in numbers(item.inner_text())  # 3 open reports
    expect(item.locator(".badge-hidden")).to_have_count(1)  # hidden by the reports, pending this review
    axe_check(page)
    page.fill(f"#comment-{comment.id}-reason", reason)
    page.click(f'#mod-comment-{comment.id} button[name="comment-{comment.id}-action"][value=hide]')
    expect(page.locator(f"#mod-comment-{comment.id} [role=status]")).to_be_focused()
    axe_check(page)
    hidden = _reload(Comment, comment.id)
    assert (hidden.hidden, hidden.hidden_reason) == (True, reason)

    # A visitor no longer sees the text; the thread says a comment was hidden.
    switch_person(page)
    open_page(page, f"/tetouan/ideas/{idea.id}")
    expect(page.locator(f"#comment-{comment.id} .comment-hidden")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(body)
    assert stance_numbers(page, idea.id) == [0, 0, 0]
    axe_check(page)

    # The author is told why, in the notifications and in their space.
    switch_person(page, author)
    expect(page.locator(".account-nav .nav-count")).to_be_visible()
    page.click('.account-nav a[href="/me/notifications"]')
    page.wait_for_url("**/me/notifications")
    assert_language(page)
    notice = page.locator(".notifications li", has_text=reason)
    expect(notice).to_have_count(1)
    expect(notice.locator(f'a[href="/tetouan/ideas/{idea.id}"]')).to_have_count(1)
    axe_check(page)
    open_page(page, "/tetouan/me")  # /me/notifications belongs to no commune: no "my space" link there
    expect(page.locator("#my-comments-title ~ ul li", has_text=reason).locator(".badge-hidden")).to_have_count(1)
    axe_check(page)

    finish(console_errors, page_requests, live_server)


# --- 4. keyboard only ----------------------------------------------------------------------------

def _key(info: dict) -> str:
    """A stable name for a Tab stop."""
    if info["tag"] in ("input", "select", "textarea") and info["type"] not in ("submit", "radio"):
        return info["name"] or info["id"]
    if info["type"] == "radio":
        return f"radio:{info['name']}"
    if info["type"] == "submit" and info["name"]:
        return f"submit:{info['name']}"
    if info["tag"] == "button":
        return f"button:{(info['action'] or '').rsplit('/', 1)[-1]}"
    if info["tag"] == "a":
        return f"link:{info['href']}"
    return f"{info['tag']}#{info['id']}"


def test_keyboard_only_idea_form_and_idea_page(app, commune, live_server, page, page_requests, console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    resident = make_user(commune, name="Fatima")
    other = make_user(commune, name="Omar")
    idea = make_idea(commune, other, title="حافلات ليلية إلى حي المحنش", description="خط ليلي بعد العاشرة.",
                     status="accepted")
    sign_in(page, resident)

    # The idea form: fields in reading order, then the two buttons; filled and sent by keyboard.
    open_page(page, "/tetouan/ideas/new")
    stops = [_key(s) for s in tab_through_main(page)]
    form_stops = [s for s in stops if not s.startswith("link:")]
    assert form_stops == ["title", "description", "axis_id", "neighbourhood_id", "location_text", "estimated_cost",
                          "submit:save_draft", "submit:submit_idea"], stops

    page.focus("#main")  # start over from the top of the content (where the skip link leads)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "title"
    page.keyboard.type("ممر آمن للراجلين أمام السوق")
    page.keyboard.press("Tab")
    page.keyboard.type("وضع ممر للراجلين وإشارة ضوئية أمام السوق المركزي.")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first axis
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # the first neighbourhood
    page.keyboard.press("Tab")
    page.keyboard.type("أمام السوق المركزي")
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "estimated_cost"
    page.keyboard.type("120000")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # implicit submission: the first button, "keep as draft"
    assert re.search(r"/tetouan/ideas/\d+$", page.url), page.url
    idea_id = int(page.url.rsplit("/", 1)[1])
    draft = _reload(Idea, idea_id)
    assert (draft.status, draft.author_id, draft.estimated_cost) == ("draft", resident.id, 120000)
    axe_check(page)
    # Submitting the draft, still by keyboard (Space on the button).
    tab_to(page, lambda i: i["tag"] == "button" and (i["action"] or "").endswith(f"/ideas/{idea_id}/submit"))
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert _reload(Idea, idea_id).status == "submitted"

    # Someone else's idea: report link, support button, then the comment form, in that order.
    open_page(page, f"/tetouan/ideas/{idea.id}")
    stops = [_key(s) for s in tab_through_main(page)]
    expected = [f"link:/tetouan/report/idea/{idea.id}", "button:support", "body", "radio:stance",
                "button:comments"]
    assert [s for s in stops if s in expected] == expected, stops

    # Space on the support button: the count moves, focus stays on the (new) button, visibly.
    page.focus("#main")
    tab_to(page, lambda i: i["tag"] == "button" and (i["action"] or "").endswith("/support"))
    page.evaluate("window.__marker = 1")
    page.keyboard.press("Space")
    expect(support_count(page, idea.id)).to_have_text(just(1))
    withdraw = page.locator(f'#support-{idea.id} form[action$="/withdraw"] button')
    expect(withdraw).to_be_focused()
    assert_focus_visible(focused(page))
    # Enter on it at once withdraws (still through htmx: focus arrives only once the new
    # button is wired up); focus comes back to the support button.
    page.keyboard.press("Enter")
    expect(support_count(page, idea.id)).to_have_text(just(0))
    assert page.evaluate("window.__marker") == 1, "withdrawing reloaded the page"
    expect(page.locator(f'#support-{idea.id} form[action$="/support"] button')).to_be_focused()
    assert_focus_visible(focused(page))

    # A comment by keyboard: type, choose a stance with Space, send with Enter.
    tab_to(page, lambda i: i["id"] == "body")
    page.keyboard.type("أؤيد الفكرة، خاصة لعمال المصانع.")
    tab_to(page, lambda i: i["type"] == "radio")
    page.keyboard.press("Space")  # "for", the first choice
    assert page.evaluate("document.activeElement.checked && document.activeElement.value") == "for"
    tab_to(page, lambda i: i["tag"] == "button" and (i["action"] or "").endswith("/comments"))
    page.keyboard.press("Enter")
    expect(page.locator(f"#comments-{idea.id} [role=status]")).to_be_focused()
    assert stance_numbers(page, idea.id) == [1, 0, 0]
    assert page.evaluate("window.__marker") == 1
    axe_check(page)
    db.session.rollback()
    assert db.session.scalar(select(Comment.stance).where(Comment.idea_id == idea.id)) == "for"

    finish(console_errors, page_requests, live_server)


# --- 5. the key pages in French and Amazigh -------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "zgh"])
def test_key_pages_in_latin_and_tifinagh(lang, app, commune, live_server, context, page, page_requests,
                                         console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    person = make_user(commune, roles=("resident", "moderator"), name="Youssef")
    other = make_user(commune, name="Salma")
    representative = make_user(commune, roles=("resident", "association"), name="Nadia")
    association = make_association(commune, representative, name="Association Tamouda")
    idea = make_idea(commune, other, title="Un centre culturel à Sania Ramel", status="accepted")
    make_idea(commune, other, title="إنارة عمومية بالطاقة الشمسية", description="مصابيح شمسية في الأزقة.")
    make_idea(commune, person, title="Des bancs à la corniche", status="submitted")
    _comment(other, idea, "Très bonne idée pour les jeunes.", stance="for")
    _comment(representative, idea, "Nous pouvons animer des ateliers.", stance="neutral", association=association)
    rude = _comment(representative, idea, "Un commentaire à vérifier.", stance="against")
    _report(other, commune, rude, "spam")  # the queue has a reported item, the list an idea to review
    hidden = _comment(other, idea, "Un commentaire masqué.", stance="against")
    _hide(person, commune, hidden, "Hors sujet.")

    sign_in(page, person)
    set_language(context, live_server, lang)
    for path in ("/tetouan/ideas", f"/tetouan/ideas/{idea.id}"):
        open_page(page, path, lang)
        axe_check(page)

    page.click(f"#support-{idea.id} button[type=submit]")  # the status region with its message
    expect(page.locator(f"#support-{idea.id}-status p.ok")).to_be_visible()
    axe_check(page)

    open_page(page, "/tetouan/ideas/new", lang)
    axe_check(page)
    with page.expect_navigation():
        page.click("input[name=submit_idea]")  # empty: the messages next to the fields
    expect(page.locator("#title")).to_have_attribute("aria-invalid", "true")
    assert_language(page, lang)
    axe_check(page)

    for path in ("/tetouan/moderation", "/tetouan/me"):
        open_page(page, path, lang)
        axe_check(page)

    finish(console_errors, page_requests, live_server)
