"""Every page, in Arabic, French and Amazigh, in a real browser on a small phone:
<html lang dir>, axe WCAG 2.2 AA with 0 violations, no console error, no request to a
third party, the skip link first in the Tab order with visible focus; and the Arabic and
Tifinagh scripts really drawn with the self-hosted fonts.

To cover a new page, append a PageCase to PAGES. A case whose endpoint the app does not
have (yet) is left out at collection, so pages can be listed before their area lands.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest

from tests.browser.conftest import DIRECTIONS, assert_only_local, axe_check, set_language, sign_in, used_fonts
from tests.conftest import make_association, make_idea, make_user

pytestmark = pytest.mark.browser
LANGUAGES = ("ar", "fr", "zgh")  # en shares fr's direction and stylesheet


# --- what each page needs ----------------------------------------------------------------------

def _ideas(commune, author):
    """Two ideas, one in each script, so lists and the home page have residents' text;
    the second is still editable by its author."""
    first = make_idea(commune, author, title="إحداث حديقة للقرب في حي سيدي طلحة",
                      description="لا توجد مساحة خضراء قريبة للأطفال والعائلات.", status="accepted")
    second = make_idea(commune, author, title="Un éclairage solaire pour la médina", status="submitted")
    return {"idea_id": first.id, "own_idea_id": second.id}


def _someone_elses_idea(commune, author):  # noqa: ARG001
    other = make_user(commune, name="Salma")
    return {"idea_id": make_idea(commune, other, status="accepted").id}


def _first_axis(commune, author):  # noqa: ARG001
    from sqlalchemy import select

    from extensions import db
    from models import Axis

    return {"axis_id": db.session.scalars(select(Axis.id).where(Axis.commune_id == commune.id)).first()}


def _second_commune(commune, author):  # noqa: ARG001
    """With two communes, / lists them instead of redirecting."""
    from extensions import db
    from services import demo

    demo.create_commune(slug="martil")
    db.session.commit()
    return {}


def _association(commune, author):
    association = make_association(commune, author, name="جمعية أصدقاء المدينة العتيقة")
    return {"association_id": association.id}


@dataclass(frozen=True)
class PageCase:
    name: str
    path: str                     # may hold {placeholders} filled from what `setup` returns
    endpoint: str | None          # the page is tested once the app has this endpoint
    roles: tuple[str, ...] | None = None  # signed in with these roles first; None = anonymous
    status: int = 200
    setup: Callable | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.name


PAGES = [
    PageCase("commune home", "/tetouan/", "main.commune_home", setup=_ideas),
    PageCase("commune home signed in", "/tetouan/", "main.commune_home", roles=("resident",)),
    PageCase("commune list", "/", "main.index", setup=_second_commune),
    PageCase("page not found", "/tetouan/no-such-page", None, status=404),
    PageCase("unknown commune", "/nowhere/", None, status=404),
    # Areas being built: each runs as soon as its endpoint exists.
    PageCase("sign in", "/login", "auth.login"),
    PageCase("register", "/tetouan/register", "auth.register"),
    PageCase("account", "/account", "auth.account", roles=("resident",)),
    PageCase("idea list", "/tetouan/ideas", "ideas.list_ideas", setup=_ideas),
    PageCase("idea page", "/tetouan/ideas/{idea_id}", "ideas.show_idea", setup=_ideas),
    PageCase("new idea", "/tetouan/ideas/new", "ideas.new_idea", roles=("resident",)),
    PageCase("my space", "/tetouan/me", "me.dashboard", roles=("resident",), setup=_ideas),
    PageCase("notifications", "/me/notifications", "me.notifications", roles=("resident",)),
    PageCase("edit my idea", "/tetouan/ideas/{own_idea_id}/edit", "ideas.edit_idea", roles=("resident",),
             setup=_ideas),
    PageCase("report an idea", "/tetouan/report/idea/{idea_id}", "moderation.report", roles=("resident",),
             setup=_someone_elses_idea),
    PageCase("associations", "/tetouan/associations", "associations.list_associations", setup=_association),
    PageCase("association page", "/tetouan/associations/{association_id}", "associations.show",
             setup=_association),
    PageCase("association request", "/tetouan/associations/new", "associations.request_profile",
             roles=("resident",)),
    PageCase("moderation queue", "/tetouan/moderation", "moderation.queue", roles=("resident", "moderator"),
             setup=_ideas),
    PageCase("admin dashboard", "/tetouan/admin", "admin.dashboard", roles=("admin",)),
    PageCase("admin axes", "/tetouan/admin/axes", "admin.list_items", roles=("admin",)),
    PageCase("admin neighbourhoods", "/tetouan/admin/neighbourhoods", "admin.list_items", roles=("admin",)),
    PageCase("idea comments", "/tetouan/ideas/{idea_id}/comments", "ideas.comments", setup=_ideas),
    PageCase("admin new axis", "/tetouan/admin/axes/new", "admin.new_item", roles=("admin",)),
    PageCase("admin edit axis", "/tetouan/admin/axes/{axis_id}", "admin.edit_item", roles=("admin",),
             setup=_first_axis),
    PageCase("admin associations", "/tetouan/admin/associations", "admin.associations_queue", roles=("admin",),
             setup=_association),
    PageCase("admin audit log", "/tetouan/admin/audit", "admin.audit", roles=("admin",)),
    PageCase("admin plan", "/tetouan/admin/plan", "admin.plan_settings", roles=("admin",)),
    PageCase("admin roles", "/tetouan/admin/roles", "admin.roles", roles=("admin",)),
    # To append when they exist: the committee's pages, and the staff second factor (TOTP):
    # sign_in() then has to complete it for committee members and admins.
]


def _app_endpoints() -> frozenset[str]:
    from app import create_app
    from config import TestingConfig

    return frozenset(create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"}).view_functions)


_ENDPOINTS = _app_endpoints()
ACTIVE_PAGES = [
    case for case in PAGES
    if (case.endpoint is None or case.endpoint in _ENDPOINTS) and (case.roles is None or "auth.login" in _ENDPOINTS)
]


# --- the test ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("case", ACTIVE_PAGES, ids=str)
def test_page_is_accessible(case, lang, app, commune, live_server, context, page, page_requests, console_errors):
    author = make_user(commune, roles=case.roles or ("resident",))
    values = case.setup(commune, author) if case.setup else {}
    if case.roles is not None:
        sign_in(page, author)
    set_language(context, live_server, lang)

    response = page.goto(case.path.format(**values))
    assert response is not None and response.status == case.status, f"{case.path}: HTTP {response and response.status}"
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (lang, DIRECTIONS[lang])
    assert page.locator("h1").count() == 1, "a page has exactly one h1"

    axe_check(page)

    # Keyboard: the first Tab stop is the skip link, drawn on screen with a visible focus ring,
    # and following it puts the focus on the main content.
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
            return {skip: el.classList.contains("skip-link"), href: el.getAttribute("href"),
                    focusVisible: el.matches(":focus-visible"), outline: style.outlineStyle,
                    outlineWidth: parseFloat(style.outlineWidth), top: box.top, bottom: box.bottom,
                    start: box.left, end: box.right, width: innerWidth, height: innerHeight};
        }"""
    )
    assert focused["skip"] and focused["href"] == "#main", f"first Tab stop is not the skip link: {focused}"
    assert focused["focusVisible"] and focused["outline"] != "none" and focused["outlineWidth"] >= 2, focused
    assert focused["top"] >= 0 and focused["bottom"] <= focused["height"], f"skip link off screen: {focused}"
    assert focused["start"] >= 0 and focused["end"] <= focused["width"], f"skip link off screen: {focused}"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    assert console_errors == []
    assert_only_local(page_requests, live_server)


# --- fonts -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("lang", "family", "font_file"),
    [("ar", "Noto Sans Arabic", "noto-sans-arabic-arabic-400-normal.woff2"),
     ("zgh", "Noto Sans Tifinagh", "noto-sans-tifinagh-tifinagh-400-normal.woff2")],
)
def test_script_is_drawn_with_the_self_hosted_font(lang, family, font_file, app, commune, live_server, context, page,
                                                   page_requests):
    """The h1 (the plan's title in that script) is drawn with "Tasharuk Arabic" / "Tasharuk
    Tifinagh" from static/css/app.css: a downloaded (custom) font, fetched from our own
    server, draws most of its glyphs. Debian's own Noto fonts would report isCustomFont false."""
    set_language(context, live_server, lang)
    page.goto("/tetouan/")
    fonts = used_fonts(page, "h1")
    custom = [f for f in fonts if f["isCustomFont"]]
    assert [f["familyName"] for f in custom] == [family], fonts
    assert custom[0]["glyphCount"] > sum(f["glyphCount"] for f in fonts if not f["isCustomFont"]), fonts
    assert f"{live_server}/static/fonts/{font_file}" in page_requests


# Endpoints that answer GET but are not pages a person reads.
NOT_PAGES = {"main.health", "main.bare", "static"}


def test_every_page_is_in_the_accessibility_list():
    """A new page must be added to PAGES (and so be checked by axe in ar, fr and zgh)."""
    from app import create_app
    from config import TestingConfig

    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} - NOT_PAGES
    covered = {case.endpoint for case in PAGES}
    assert sorted(get_endpoints - covered) == []
