"""The committee's journey in a real browser (issue 3, "Done when"), Arabic interface on a phone.

A plan committee (a chair of the commune, a UNDP member, an observer of the equality body),
three criteria (citizen support, social impact, feasibility — each scored criterion with its six
level texts in ar/fr/zgh), three projects made from residents' ideas that residents supported,
and an OPEN scoring round over them, all made with the models and the test factories.

1. The UNDP member signs in for the first time: the second-factor set-up page appears; the key
   shown as text is read and a code made with pyotp is typed; the member lands signed in.
2. The member scores project 1 by the Arabic form (radio buttons found by their Arabic level
   texts), sees the saved message; declares a conflict of interest on project 2 (scoring it is
   then refused); scores project 3. Keyboard: Tab reaches the first radio group, Space and the
   arrow keys choose a level, focus visible.
3. The chair signs in (second factor set up too), sees who finished and what is missing,
   closes the round through its confirmation, reads the ranking and its chart, moves a project
   with a written justification, publishes.
4. An anonymous visitor reads the public ranking: the override and its justification, the
   composite values and the disagreement, and no member's name anywhere.

axe (WCAG 2.2 AA) finds 0 violations on the score page, the committee's ranking page and the
public ranking page, each in ar, fr and zgh; no console error and no third-party request.
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from models import (
    CommitteeMember,
    Criterion,
    CriterionLevel,
    Project,
    ProjectIdea,
    RankingOverride,
    Recusal,
    RoundProject,
    Score,
    ScoringRound,
    Support,
    User,
)
from models._base import utcnow
from services import phases
from tests.browser.conftest import axe_check, set_language, sign_in
from tests.browser.test_journeys import assert_focus_visible, assert_language, finish, focused, open_page
from tests.conftest import DEFAULT_PASSWORD, make_idea, make_user

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
_TO_WESTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")

# --- the seeded texts ------------------------------------------------------------------------------

LEVELS = {  # level -> (ar, fr, zgh), shared wording per criterion (the group tells them apart)
    "impact": [
        ("لا أثر اجتماعي", "Aucun impact social", "ⵓⵔ ⵉⵍⵍⵉ ⵓⵙⵓⵖⵍ"),
        ("أثر ضعيف جدا", "Impact très faible", "ⴰⵙⵓⵖⵍ ⴷ ⴰⵎⵥⵥⵢⴰⵏ ⴰⵟⵟⴰⵙ"),
        ("أثر ضعيف", "Impact faible", "ⴰⵙⵓⵖⵍ ⴷ ⴰⵎⵥⵥⵢⴰⵏ"),
        ("أثر متوسط", "Impact moyen", "ⴰⵙⵓⵖⵍ ⴰⵏⴰⵎⵎⴰⵙ"),
        ("أثر قوي", "Impact fort", "ⴰⵙⵓⵖⵍ ⴷ ⴰⵎⵇⵇⵔⴰⵏ"),
        ("أثر قوي جدا على الحي كله", "Impact très fort sur tout le quartier", "ⴰⵙⵓⵖⵍ ⴷ ⴰⵎⵇⵇⵔⴰⵏ ⴰⵟⵟⴰⵙ"),
    ],
    "feasibility": [
        ("غير قابل للإنجاز", "Irréalisable", "ⵓⵔ ⵉⵜⵜⵓⴳⴰ"),
        ("صعب جدا", "Très difficile", "ⵉⵡⴰⵔ ⴰⵟⵟⴰⵙ"),
        ("صعب", "Difficile", "ⵉⵡⴰⵔ"),
        ("ممكن بشروط", "Possible sous conditions", "ⵉⵜⵜⵓⴳⴰ ⵙ ⵜⵡⵜⵉⵍⵉⵏ"),
        ("سهل", "Facile", "ⵉⵙⵔⵖ"),
        ("جاهز للتنفيذ", "Prêt à être exécuté", "ⵉⵀⵢⵢⴰ"),
    ],
}
CRITERIA = {  # code -> (kind, weight, ar, fr, zgh)
    "support": ("support", 1.0, "الدعم المواطني", "Soutien citoyen", "ⴰⵙⵏⴰⴷ ⵏ ⵉⵖⵔⵎⴰⵏⵏ"),
    "impact": ("scored", 2.0, "الأثر الاجتماعي", "Impact social", "ⴰⵙⵓⵖⵍ ⴰⵏⴰⵎⵓⵏ"),
    "feasibility": ("scored", 1.0, "قابلية الإنجاز", "Faisabilité", "ⵜⴰⵣⵎⵔⵜ"),
}
PROJECTS = [  # code, Arabic title, French title, supporters (of 3 residents)
    ("TET-01", "تهيئة حديقة سيدي طلحة", "Aménagement du jardin de Sidi Talha", 3),
    ("TET-02", "إنارة أزقة المدينة العتيقة", "Éclairage des ruelles de la médina", 2),
    ("TET-03", "ملعب للقرب في حي الباريو", "Terrain de proximité au Barrio", 1),
]
NAMES = {"chair": "Latifa Bennani", "undp": "Youssef Amrani", "observer": "Khadija Tazi"}
ROUND_NAME = "أولويات 2026"
REASON = "أنا عضو في مكتب الجمعية التي اقترحت هذا المشروع."
JUSTIFICATION = "الملعب يستجيب لطلب مستعجل من مندوبية الشباب بسبب إغلاق الملعب القديم."


def _committee(commune):
    """The whole setting (see the module docstring). Returns ids and the people."""
    plan = phases.current_plan(commune)
    people = {key: make_user(commune, ("committee",), name=name) for key, name in NAMES.items()}
    residents = [make_user(commune, name=f"Resident {n}") for n in range(3)]
    db.session.add_all([
        CommitteeMember(plan_id=plan.id, user_id=people["chair"].id, kind="commune", is_chair=True,
                        organisation="Commune de Tétouan"),
        CommitteeMember(plan_id=plan.id, user_id=people["undp"].id, kind="undp", organisation="PNUD"),
        CommitteeMember(plan_id=plan.id, user_id=people["observer"].id, kind="observer",
                        organisation="Instance de l'équité"),
    ])
    criteria = {}
    for position, (code, (kind, weight, ar, fr, zgh)) in enumerate(CRITERIA.items()):
        criterion = Criterion(plan_id=plan.id, code=code, kind=kind, weight=weight, position=position,
                              name_ar=ar, name_fr=fr, name_zgh=zgh)
        for level, (l_ar, l_fr, l_zgh) in enumerate(LEVELS.get(code, [])):
            criterion.levels.append(CriterionLevel(level=level, text_ar=l_ar, text_fr=l_fr, text_zgh=l_zgh))
        db.session.add(criterion)
        criteria[code] = criterion
    db.session.flush()
    projects = []
    for code, title_ar, title_fr, supporters in PROJECTS:
        idea = make_idea(commune, residents[0], title=title_ar, status="accepted")
        project = Project(commune_id=commune.id, plan_id=plan.id, code=code, title_ar=title_ar, title_fr=title_fr,
                          title_zgh=f"ⴰⵙⵏⴼⴰⵔ {code}", axis_id=idea.axis_id, total_cost=1_200_000,
                          commune_share=800_000, duration_years=2, earliest_start_year=plan.start_year,
                          beneficiaries_total=4000)
        db.session.add(project)
        db.session.flush()
        db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
        for resident in residents[:supporters]:
            db.session.add(Support(idea_id=idea.id, user_id=resident.id, plan_id=plan.id))
        projects.append(project)
    round_ = ScoringRound(plan_id=plan.id, name=ROUND_NAME, status="open", top_k=2,
                          opened_at=utcnow() - timedelta(days=2))
    db.session.add(round_)
    db.session.flush()
    for project in projects:
        db.session.add(RoundProject(round_id=round_.id, project_id=project.id))
    # The chair scored project 1 already (and nothing else: two projects are missing).
    for code, value in (("impact", 2), ("feasibility", 3)):
        db.session.add(Score(round_id=round_.id, user_id=people["chair"].id, project_id=projects[0].id,
                             criterion_id=criteria[code].id, value=value))
    db.session.commit()
    return {"plan_id": plan.id, "round_id": round_.id, "people": people,
            "projects": [p.id for p in projects], "criteria": {code: c.id for code, c in criteria.items()}}


# --- helpers ---------------------------------------------------------------------------------------

def decimals(text: str) -> list[float]:
    """The decimal numbers of a text, whatever the digits and the decimal separator."""
    text = text.translate(_TO_WESTERN_DIGITS).replace("٫", ".").replace(",", ".")
    return [float(n) for n in re.findall(r"\d+\.\d+", text)]


def _group(page, code: str):
    """The radio group (fieldset) of a criterion, by its Arabic name (its legend)."""
    return page.get_by_role("group", name=CRITERIA[code][2])


def _choose(page, code: str, level: int) -> None:
    """Pick a level by its Arabic text, as a person reading the form would."""
    _level(page, code, level).check()


def _level(page, code: str, level: int):
    """The radio button whose label ends with that level's Arabic text (after the level's number)."""
    return _group(page, code).get_by_role("radio", name=re.compile(rf"(^|\s){re.escape(LEVELS[code][level][0])}$"))


def _in_languages(page, context, live_server, langs=("fr", "zgh", "ar")) -> None:
    """axe on the current page in each language (the cookie, then a reload); ends in Arabic."""
    for lang in langs:
        set_language(context, live_server, lang)
        page.reload()
        assert_language(page, lang)
        axe_check(page)


def _scores(user_id: int, project_id: int) -> dict[int, int]:
    db.session.rollback()  # see what the server committed
    return dict(db.session.execute(select(Score.criterion_id, Score.value).where(
        Score.user_id == user_id, Score.project_id == project_id)).all())


def _first_sign_in_with_setup(page, user) -> str:
    """Password, then the set-up page of the second factor: read the key shown as text and type
    a code made from it with pyotp. Returns the key."""
    page.goto("/login")
    page.fill("input[name=identifier]", user.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert urlsplit(page.url).path == "/login/second-factor/setup", page.url
    assert_language(page)
    axe_check(page)
    secret = page.inner_text("#totp-secret").replace(" ", "").strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.locator("input[name=code]").type(pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.press("input[name=code]", "Enter")
    assert not urlsplit(page.url).path.startswith("/login"), f"still signing in: {page.url}"
    return secret


# --- the journey -----------------------------------------------------------------------------------

def test_committee_scores_ranks_overrides_and_publishes(app, commune, live_server, context, page, page_requests,
                                                         console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    made = _committee(commune)
    undp, chair, observer = made["people"]["undp"], made["people"]["chair"], made["people"]["observer"]
    round_id = made["round_id"]
    p1, p2, p3 = made["projects"]
    impact, feasibility = made["criteria"]["impact"], made["criteria"]["feasibility"]
    round_url = f"/tetouan/committee/rounds/{round_id}"
    score_url = round_url + "/projects/{}/score"

    # 1. The UNDP member's first sign-in sets up the second factor.
    secret = _first_sign_in_with_setup(page, undp)
    db.session.rollback()
    assert db.session.scalar(select(User.totp_secret).where(User.id == undp.id)) == secret

    # 2. To the round through the committee's pages, then project 1's score page.
    open_page(page, "/tetouan/committee")
    page.click('main a[href="/tetouan/committee/rounds"]')
    page.wait_for_url("**/tetouan/committee/rounds")
    page.click(f'main a[href="{round_url}"]')
    page.wait_for_url(f"**{round_url}")
    assert_language(page)
    page.click(f'main a[href="{score_url.format(p1)}"]')
    page.wait_for_url(f"**{score_url.format(p1)}")
    assert_language(page)
    expect(page.locator("h1")).to_contain_text("TET-01")
    axe_check(page)
    _in_languages(page, context, live_server)  # the score page in fr, zgh, then ar again

    # Keyboard: from the main content, Tab reaches the first radio group (its first level, since
    # none is chosen); Space chooses it; the arrow key moves to and chooses the next level.
    page.focus("#main")
    for _ in range(40):
        page.keyboard.press("Tab")
        if focused(page)["type"] == "radio":
            break
    else:
        pytest.fail("Tab never reached a radio button")
    first = focused(page)
    assert (first["name"], first["id"]) == (f"score-{impact}", f"score-{impact}-0"), first
    assert_focus_visible(first)
    page.keyboard.press("Space")
    expect(page.locator(f"#score-{impact}-0")).to_be_checked()
    page.keyboard.press("ArrowDown")
    moved = focused(page)
    assert moved["id"] == f"score-{impact}-1", moved
    assert_focus_visible(moved)
    expect(page.locator(f"#score-{impact}-1")).to_be_checked()
    expect(page.locator(f"#score-{impact}-0")).not_to_be_checked()

    # Now by the Arabic level texts: impact "strong" (4), feasibility "possible under conditions" (3).
    _choose(page, "impact", 4)
    _choose(page, "feasibility", 3)
    page.fill(f"#comment-{impact}", "الحديقة تخدم آلاف الأسر.")
    page.evaluate("window.__marker = 1")
    page.locator("#score-project form button[type=submit]").first.click()
    saved = page.locator("#score-project [role=status] .flash-success")
    expect(saved).to_be_visible()
    expect(saved).to_be_focused()
    assert page.evaluate("window.__marker") == 1, "saving reloaded the page"
    assert _scores(undp.id, p1) == {impact: 4, feasibility: 3}
    expect(_level(page, "impact", 4)).to_be_checked()
    axe_check(page)

    # A conflict of interest on project 2, with a reason.
    open_page(page, score_url.format(p2))
    page.locator("details.recuse summary").click()
    page.fill("#reason", REASON)
    with page.expect_navigation():
        page.locator("details.recuse button[type=submit]").click()
    assert urlsplit(page.url).path == round_url, page.url
    expect(page.locator(".flash-success")).to_be_visible()
    db.session.rollback()
    recusal = db.session.scalar(select(Recusal).where(Recusal.user_id == undp.id, Recusal.round_id == round_id))
    assert (recusal.project_id, recusal.reason) == (p2, REASON)
    # Scoring project 2 is refused: the page says why and has no score form; a post is refused too.
    open_page(page, score_url.format(p2))
    expect(page.locator("#score-project p.alert")).to_be_visible()
    expect(page.locator(f"#score-project input[name=score-{impact}]")).to_have_count(0)
    expect(page.locator("details.recuse")).to_have_count(0)
    status = page.evaluate(
        """async ([url, impact]) => {
            const body = new URLSearchParams({csrf_token: document.querySelector('meta[name=csrf-token]').content});
            body.set('score-' + impact, '5');
            const response = await fetch(url, {method: 'POST', body, headers: {'HX-Request': 'true'}});
            return response.status;
        }""",
        [score_url.format(p2), impact],
    )
    assert status == 403
    assert _scores(undp.id, p2) == {}

    # Project 3.
    open_page(page, score_url.format(p3))
    _choose(page, "impact", 2)
    _choose(page, "feasibility", 5)
    page.locator("#score-project form button[type=submit]").first.click()
    expect(page.locator("#score-project [role=status] .flash-success")).to_be_visible()
    assert _scores(undp.id, p3) == {impact: 2, feasibility: 5}

    # 3. The chair: second factor set up at the first sign-in too (conftest.sign_in reads the key).
    page.context.clear_cookies()
    sign_in(page, chair)
    open_page(page, round_url)
    progress = page.locator("table", has=page.locator("th", has_text=NAMES["undp"]))
    undp_row = progress.locator("tr", has=page.locator("th", has_text=NAMES["undp"]))
    chair_row = progress.locator("tr", has=page.locator("th", has_text=NAMES["chair"]))
    expect(undp_row.locator(".badge-done")).to_have_count(1)  # finished (recused on one project)
    expect(chair_row.locator(".badge-done")).to_have_count(0)
    expect(progress.locator("tr", has_text=NAMES["observer"])).to_have_count(0)  # observers do not score
    missing = page.locator("details.missing", has_text=NAMES["chair"])
    expect(missing).to_have_count(1)
    missing.locator("summary").click()
    expect(missing.locator("li")).to_have_count(4)  # TET-02 and TET-03, two scored criteria each
    expect(page.locator("table", has_text=REASON)).to_have_count(1)  # the recusal and its reason
    axe_check(page)

    # Close the round through its confirmation.
    page.locator("details.confirm summary").click()
    with page.expect_navigation():
        page.locator("details.confirm button.danger").click()
    db.session.rollback()
    closed = db.session.get(ScoringRound, round_id)
    assert closed.status == "closed"
    supports = dict(db.session.execute(select(RoundProject.project_id, RoundProject.supports_at_close)
                                       .where(RoundProject.round_id == round_id)).all())
    assert supports == {p1: 3, p2: 2, p3: 1}

    # The ranking page: table and chart. Composites (weights 1/4 support, 1/2 impact, 1/4 feasibility):
    #   TET-01 impact (2+4)/2 = 3, feasibility 3, support 5      → 1.5 + 0.75 + 1.25 = 3.50
    #   TET-02 nobody scored it (the chair did not, UNDP recused) → support 5×2/3 × 0.25 ≈ 0.83
    #   TET-03 impact 2, feasibility 5, support 5/3              → 1 + 1.25 + 0.42 ≈ 2.67
    page.click(f'main a[href="{round_url}/ranking"]')
    page.wait_for_url(f"**{round_url}/ranking")
    assert_language(page)
    table = page.locator("table.ranking-table")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    assert [rows.nth(i).locator("th bdi").first.inner_text() for i in range(3)] == ["TET-01", "TET-03", "TET-02"]
    assert decimals(rows.nth(0).locator("td").nth(1).inner_text())[0] == pytest.approx(3.5, abs=0.005)
    chart = page.locator("svg.chart-svg[role=img]").first
    expect(chart).to_be_visible()
    assert chart.locator("title").text_content().strip()
    assert chart.get_attribute("aria-labelledby")
    expect(chart.locator("rect.chart-bar, rect.chart-bar-contested")).to_have_count(3)

    # Move TET-03 to rank 1 with a written justification (htmx: the page is not reloaded).
    move = page.locator("details.override-form", has_text="TET-03")
    move.locator("summary").click()
    page.fill(f"#move-{p3}-new_rank", "1")
    page.fill(f"#move-{p3}-justification", JUSTIFICATION)
    page.evaluate("window.__marker = 1")
    move.locator("button[type=submit]").click()
    expect(page.locator(".ranking-status[role=status] .flash-success")).to_be_visible()
    assert page.evaluate("window.__marker") == 1
    expect(rows.nth(0).locator("th bdi").first).to_have_text("TET-03")
    expect(rows.nth(0).locator(".override-note")).to_contain_text(JUSTIFICATION)
    db.session.rollback()
    override = db.session.scalar(select(RankingOverride).where(RankingOverride.round_id == round_id))
    assert (override.project_id, override.computed_rank, override.new_rank, override.justification) == (
        p3, 2, 1, JUSTIFICATION)
    _in_languages(page, context, live_server)  # the ranking page, with its forms, in fr, zgh, ar

    # Publish (through the confirmation): the chair lands on the public page.
    page.locator("details.publish-confirm summary").click()
    with page.expect_navigation():
        page.locator("details.publish-confirm button[type=submit]").click()
    assert urlsplit(page.url).path == f"/tetouan/ranking/{round_id}", page.url
    db.session.rollback()
    assert db.session.get(ScoringRound, round_id).status == "published"

    # 4. An anonymous visitor reads the public ranking.
    page.context.clear_cookies()
    set_language(context, live_server, "ar")
    open_page(page, f"/tetouan/ranking/{round_id}")
    public = page.locator("table.ranking-table tbody tr")
    expect(public).to_have_count(3)
    assert [public.nth(i).locator("th bdi").first.inner_text() for i in range(3)] == ["TET-03", "TET-01", "TET-02"]
    expect(public.nth(0).locator(".override-note")).to_contain_text(JUSTIFICATION)
    assert public.nth(0).locator("td").nth(0).locator(".small").count() == 1  # the computed rank, beside
    composites = [decimals(public.nth(i).locator("td").nth(1).inner_text())[0] for i in range(3)]
    assert composites == [pytest.approx(2.67, abs=0.005), pytest.approx(3.5, abs=0.005),
                          pytest.approx(0.83, abs=0.005)]
    # Disagreement of TET-01: the members' own weighted scores 2.75 (UNDP) and 1.75 (chair) → 0.5.
    assert decimals(public.nth(1).locator("td").nth(2).inner_text())[0] == pytest.approx(0.5, abs=0.005)
    expect(page.locator("svg.chart-svg[role=img] title")).to_have_count(1)
    html = page.content()
    for name in NAMES.values():
        assert name not in html, f"a member's name is on the public page: {name}"
    for person in (undp, chair, observer):
        assert person.email not in html
    assert REASON not in html  # recusal reasons stay with the committee
    _in_languages(page, context, live_server)

    finish(console_errors, page_requests, live_server, refused=[(403, score_url.format(p2))])
