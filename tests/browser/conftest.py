"""Real-browser test infrastructure (shared/guides/BROWSER.md).

Debian's Chromium (CHROMIUM_PATH, default /usr/lib/chromium/chromium) driven by
pytest-playwright: one browser per session, a fresh context per test (360×740 phone,
locale ar-MA, reduced motion). `live_server` serves the session's test app — the same
database as the `app` fixture (a SQLite file or TEST_DATABASE_URL, never in-memory) —
on a free loopback port, so factories' rows are what the browser sees.

Helpers for tests:
  page_requests      every URL the page asked for;  assert_only_local(urls, origin)
  console_errors     console errors, page errors, failed or 4xx/5xx sub-resources
  axe_check(page)    axe-core, WCAG 2.2 AA tags, 0 violations or a readable report
  set_language(context, origin, lang)      the language cookie, as the switcher sets it
  sign_in(page, user, password)            posts the real /login form (and the second factor)
  used_fonts(page, selector)               which fonts Chromium drew a node with (CDP)
"""
from __future__ import annotations

import os
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")  # /usr/bin/chromium is a wrapper script
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WCAG22AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
LANGUAGE_COOKIE = "tasharuk_lang"
DIRECTIONS = {"ar": "rtl", "fr": "ltr", "zgh": "ltr", "en": "ltr"}


def pytest_collection_modifyitems(config, items):  # noqa: ARG001
    """Everything under tests/browser carries the `browser` mark (select with -m browser)."""
    here = os.path.dirname(__file__) + os.sep
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.browser)


# --- the browser -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    # Replaces pytest-playwright's fallback fixture (defined as a method, which pytest 9 warns
    # about): pages are opened with paths relative to the live server.
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server,
        "viewport": {"width": 360, "height": 740},
        "locale": "ar-MA",
        "reduced_motion": "reduce",
    }


# --- the server --------------------------------------------------------------------------------

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per request would drown the test output
        pass


def _buffered(app):
    """Each response read whole (and its iterable closed) before werkzeug writes it. When the
    browser drops a connection (a favicon or font request cut short by the next navigation),
    werkzeug's dev server can skip closing the response, and the static file it held open then
    fails the next test with a ResourceWarning (filterwarnings = error)."""
    def wsgi(environ, start_response):
        result = app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()
    return wsgi


@pytest.fixture(scope="session")
def live_server(_app):
    """The session's test app on a free loopback port; returns its origin (http://127.0.0.1:PORT)."""
    url = _app.config["SQLALCHEMY_DATABASE_URI"]
    assert url.startswith("postgresql") or (url.startswith("sqlite:///") and ":memory:" not in url), (
        f"the live server needs a database shared between threads (a SQLite file or PostgreSQL), not {url!r}"
    )
    server = make_server("127.0.0.1", 0, _buffered(_app), threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(autouse=True)
def _test_thread_only_reads(app):  # noqa: ARG001
    """Outside requests every transaction starts as a write (BEGIN IMMEDIATE on SQLite), so a
    factory's object read after its commit would hold the write lock while the browser posts,
    and the server would wait for it. In browser tests the test thread's transactions start
    deferred: factories still write (the server is idle then), reads never block the server.
    To see what the server wrote, end the test thread's transaction first (db.session.rollback())."""
    import database

    token = database.write_intent.set(False)
    yield
    database.write_intent.reset(token)


# --- what the page did -------------------------------------------------------------------------

@pytest.fixture()
def page_requests(page):
    """Every URL the page requested (documents, styles, scripts, fonts, images, XHR)."""
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def assert_only_local(urls, origin):
    """Every request went to `origin` (data: URLs are inline, not requests to anyone)."""
    others = sorted({u for u in urls if not u.startswith("data:") and _origin(u) != origin})
    assert not others, "requests to third parties:\n  " + "\n  ".join(others)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture()
def console_errors(page):
    """Console errors (CSP violations among them), uncaught exceptions, and sub-resources that
    failed or answered 4xx/5xx. A document's own status is the test's business (a 404 page
    is meant to be one), so the console line Chromium logs for it is left out."""
    errors: list[str] = []
    documents: set[str] = set()

    def on_request(request):
        if request.resource_type == "document":
            documents.add(request.url)

    def on_console(message):
        if message.type != "error":
            return
        location = (message.location or {}).get("url", "")
        if location in documents and message.text.startswith("Failed to load resource"):
            return
        errors.append(f"console: {message.text} ({location})")

    def on_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"HTTP {response.status}: {response.url}")

    def on_failed(request):
        if request.failure != "net::ERR_ABORTED":  # cancelled by the next navigation: not a fault
            errors.append(f"request failed: {request.url} ({request.failure})")

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    return errors


# --- accessibility -----------------------------------------------------------------------------

_AXE = None


def axe_check(page, options=None):
    """Run axe-core on the page with the WCAG 2.2 AA tags; fail with a readable list of violations."""
    global _AXE
    from axe_playwright_python.sync_playwright import Axe

    if _AXE is None:
        _AXE = Axe()
    results = _AXE.run(page, options=options or WCAG22AA)
    if results.violations_count:
        lines = [f"{results.violations_count} accessibility violation(s) on {page.url}:"]
        for violation in results.response["violations"]:
            lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
            for node in violation["nodes"][:5]:
                lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                if summary:
                    lines.append(f"       {summary[:300]}")
            if len(violation["nodes"]) > 5:
                lines.append(f"    … and {len(violation['nodes']) - 5} more")
        pytest.fail("\n".join(lines), pytrace=False)
    return results


# --- people and languages ----------------------------------------------------------------------

def set_language(context, origin, lang):
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": lang, "url": origin}])


def sign_in(page, user, password=None):
    """Sign in through the real login form (fields `identifier` and `password`); committee
    members and admins then pass the second factor: on the set-up page the key shown as text
    (#totp-secret), on the code page the stored secret, and a code for an unused time step."""
    from sqlalchemy import select

    from extensions import db
    from models import User
    from tests.conftest import DEFAULT_PASSWORD, fresh_totp_code

    page.goto("/login")
    page.fill("input[name=identifier]", user.email or user.phone)
    page.fill("input[name=password]", password or DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    path = urlsplit(page.url).path
    if path in ("/login/second-factor/setup", "/login/second-factor"):
        if path.endswith("/setup"):
            secret = page.inner_text("#totp-secret").replace(" ", "").strip()
        else:
            db.session.rollback()  # see what the server committed
            secret = db.session.scalar(select(User.totp_secret).where(User.id == user.id))
        page.fill("input[name=code]", fresh_totp_code(user.id, secret))
        with page.expect_navigation():
            page.press("input[name=code]", "Enter")
        path = urlsplit(page.url).path
        db.session.rollback()  # end the test thread's read, so it never holds a lock against the server
    assert not path.startswith("/login"), f"sign-in as {user.email or user.phone} failed: still on {page.url}"


# --- fonts -------------------------------------------------------------------------------------

def used_fonts(page, selector):
    """The fonts Chromium drew the first node matching `selector` with, from
    CSS.getPlatformFontsForNode: [{familyName, postScriptName, isCustomFont, glyphCount}]."""
    page.evaluate("document.fonts.ready.then(() => true)")
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})
        node = cdp.send("DOM.querySelector", {"nodeId": root["root"]["nodeId"], "selector": selector})
        assert node["nodeId"], f"no element matches {selector!r}"
        # The text node holds the glyphs; ask for the element itself, which sums its text children.
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    finally:
        cdp.detach()
