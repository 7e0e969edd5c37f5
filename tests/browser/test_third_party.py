"""No third-party requests (law 09-08: no transfer abroad; DOMAIN.md §4): a journey through the
main public and signed-in pages records EVERY request the browser makes (page.on("request"),
documents, styles, scripts, fonts, images, htmx calls, the download) and asserts that each one
goes to the platform's own origin.

Pages: home, ideas list, idea page, support (htmx), comment (htmx), public programme, project
sheet, privacy page, my data and its download — in Arabic, then the home page in French and
Amazigh (their fonts differ).
"""
from __future__ import annotations

import pytest

from extensions import db
from services import personal_data, ranking
from tests.browser.conftest import assert_only_local, set_language, sign_in
from tests.browser.test_journeys import finish, open_page
from tests.conftest import make_idea, make_user

pytestmark = pytest.mark.browser


def test_every_request_stays_on_the_platform(app, commune, live_server, context, page, page_requests,
                                             console_errors):
    from tests.test_ranking import build_round

    page.set_default_timeout(15_000)
    personal_data.seed_demo(commune)
    made = build_round(commune)
    ranking.publish(made["round"], made["users"]["A"])
    resident = make_user(commune, ("resident",), name="Hanae")
    author = make_user(commune, ("resident",), name="Youssef")
    idea = make_idea(commune, author, title="إنارة الزقاق قرب المدرسة", status="accepted")
    db.session.commit()
    idea_id = idea.id

    for path in ("/tetouan/", "/tetouan/ideas", f"/tetouan/ideas/{idea_id}", "/tetouan/programme",
                 "/tetouan/projects/TET-01", "/tetouan/privacy"):
        open_page(page, path)
    sign_in(page, resident)
    open_page(page, f"/tetouan/ideas/{idea_id}")
    with page.expect_response(lambda r: r.url.endswith(f"/ideas/{idea_id}/support")) as supported:
        page.click(f"#support-{idea_id} button[type=submit]")
    assert supported.value.status == 200
    page.fill("textarea[name=body]", "فكرة مفيدة للحي، أؤيدها.")
    page.check("input[name=stance][value=for]")
    with page.expect_response(lambda r: r.url.endswith(f"/ideas/{idea_id}/comments")) as commented:
        page.click("#comment-form button[type=submit]")
    assert commented.value.status == 200
    open_page(page, "/me/data")
    with page.expect_download() as download:
        page.click("a[href='/me/data/download']")
    # A download is not always reported as a page request: its URL is checked with the others.
    page_requests.append(download.value.url)
    for lang in ("fr", "zgh"):
        set_language(context, live_server, lang)
        open_page(page, "/tetouan/", lang)
    db.session.rollback()
    kinds = {url.rsplit(".", 1)[-1] for url in page_requests if url.endswith((".css", ".js", ".woff2"))}
    assert {"css", "js"} <= kinds  # the recorder saw sub-resources, not only documents
    assert any(url.endswith("/me/data/download") for url in page_requests)
    assert_only_local(page_requests, live_server)
    finish(console_errors, page_requests, live_server)
