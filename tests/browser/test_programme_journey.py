"""From the published ranking to the programme and its execution, in a real browser (issue 4,
"Done when"), Arabic interface on a phone.

The setting (models and factories, not the UI): a plan committee whose chair sits for the commune,
a commune admin, criteria (citizen support, social impact), four projects made from residents'
ideas — TET-04's idea written by the resident who follows it — and a CLOSED scoring round over
them, published with services.ranking.publish (final order TET-01, TET-02, TET-03, TET-04).

Costs (plan 2023–2028; every envelope 1,000,000 MAD once saved):
  TET-01  1,200,000 over 2 years → 600,000 in 2023 and 2024
  TET-02    800,000 over 1 year  → does not fit 2023/2024 (400,000 left) → 2025
  TET-03  3,000,000 over 2 years → 1,500,000 a year never fits → skipped, with the builder's reason
  TET-04    400,000 over 1 year  → the 400,000 left in 2023; the chair pins it to this year (Y)

1. The chair signs in (second factor), sets the envelopes on their page — first with the 2025
   envelope smaller than its participatory share and 2028 left empty (refused: each message by
   its field, in the fieldset of its year, "2028" named; nothing saved), then right —, builds a
   draft from the published ranking, reads per year committed and remaining and TET-03's reason,
   pins TET-04 to Y with a justification (htmx), and proposes the version (htmx).
2. The commune admin signs in (second factor), opens the proposed version, records the council's
   adoption (session date, reference, votes) and reads "adopted" and the "visa deemed given on" date.
3. The admin (execution rights) records TET-04's report for Y: works under way, 40 %, 150,000 MAD.
4. The resident reads their idea's page: "what became of this idea" shows merged into TET-04 →
   ranked 4th of 4 → in the programme in Y → being carried out (works, 40 %); follows the project
   link and reads its progress (status, %, spent) and schedule.
axe (WCAG 2.2 AA): 0 violations on the envelopes page (with its errors, then saved), the version
page (draft and adopted), the public programme page, the idea page and the project page, each in
ar, fr and zgh, and on the execution report page in ar. After the htmx pin the status message has
the focus. No console error, no third-party request (the envelope refusal's 400 is the only one).
"""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask import current_app
from flask_babel import gettext, ngettext
from playwright.sync_api import expect
from sqlalchemy import select

import database
from blueprints import labels
from extensions import db
from models import (
    BudgetEnvelope,
    CommitteeMember,
    Criterion,
    ExecutionReport,
    ProgrammeEntry,
    ProgrammeVersion,
    Project,
    ProjectIdea,
    RoundProject,
    Score,
    ScoringRound,
)
from models._base import utcnow
from services import execution, formatting, phases, programme, ranking
from tests.browser.conftest import LANGUAGE_COOKIE, axe_check, set_language, sign_in
from tests.browser.test_journeys import assert_language, finish, open_page
from tests.conftest import make_idea, make_user

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
MILLION = 1_000_000
ROUND_NAME = "أولويات 2026"
# code, Arabic title, French title, cost, years, supports at close, impact score (the chair's)
PROJECTS = [
    ("TET-01", "تهيئة حديقة سيدي طلحة", "Aménagement du jardin de Sidi Talha", 1_200_000, 2, 40, 5),
    ("TET-02", "إنارة أزقة المدينة العتيقة", "Éclairage des ruelles de la médina", 800_000, 1, 30, 4),
    ("TET-03", "قاعة متعددة الرياضات في حي الباريو", "Salle omnisports au Barrio", 3_000_000, 2, 20, 3),
    ("TET-04", "مكتبة للقرب في حي الطويلع", "Bibliothèque de proximité à Touilaa", 400_000, 1, 10, 2),
]
IDEA_TITLE = "مكتبة صغيرة لأطفال الحي"
JUSTIFICATION = "البلدية وفرت القطعة الأرضية هذه السنة فقط، ويجب البدء قبل انتهاء الاتفاقية."
REFERENCE = "مقرر رقم 45/2026"


def _world(commune) -> dict:
    """The setting of the module docstring."""
    plan = phases.current_plan(commune)
    chair = make_user(commune, ("committee",), name="Latifa Bennani")
    admin = make_user(commune, ("admin",), name="Omar Idrissi")
    resident = make_user(commune, name="Salma Resident")
    author = make_user(commune, name="Another Resident")
    db.session.add(CommitteeMember(plan_id=plan.id, user_id=chair.id, kind="commune", is_chair=True,
                                   organisation="Commune de Tétouan"))
    support = Criterion(plan_id=plan.id, code="support", kind="support", weight=1.0, position=0,
                        name_ar="الدعم المواطني", name_fr="Soutien citoyen", name_zgh="ⴰⵙⵏⴰⴷ ⵏ ⵉⵖⵔⵎⴰⵏⵏ")
    impact = Criterion(plan_id=plan.id, code="impact", kind="scored", weight=2.0, position=1,
                       name_ar="الأثر الاجتماعي", name_fr="Impact social", name_zgh="ⴰⵙⵓⵖⵍ ⴰⵏⴰⵎⵓⵏ")
    db.session.add_all([support, impact])
    db.session.flush()
    round_ = ScoringRound(plan_id=plan.id, name=ROUND_NAME, status="closed", top_k=2,
                          opened_at=utcnow() - timedelta(days=20), closed_at=utcnow() - timedelta(days=5))
    db.session.add(round_)
    db.session.flush()
    projects, ideas = {}, {}
    for code, title_ar, title_fr, cost, years, supports, score in PROJECTS:
        writer = resident if code == "TET-04" else author
        idea = make_idea(commune, writer, title=IDEA_TITLE if code == "TET-04" else title_ar, status="accepted")
        project = Project(commune_id=commune.id, plan_id=plan.id, code=code, title_ar=title_ar, title_fr=title_fr,
                          title_zgh=f"ⴰⵙⵏⴼⴰⵔ {code}", axis_id=idea.axis_id, total_cost=cost, commune_share=cost,
                          duration_years=years, earliest_start_year=plan.start_year, beneficiaries_total=3000)
        db.session.add(project)
        db.session.flush()
        db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
        db.session.add(RoundProject(round_id=round_.id, project_id=project.id, supports_at_close=supports))
        db.session.add(Score(round_id=round_.id, user_id=chair.id, project_id=project.id, criterion_id=impact.id,
                             value=score))
        projects[code], ideas[code] = project, idea
    db.session.flush()
    ranking.publish(round_, chair)
    db.session.commit()
    return {"plan": plan, "chair": chair, "admin": admin, "resident": resident, "round_id": round_.id,
            "projects": {code: p.id for code, p in projects.items()}, "idea_id": ideas["TET-04"].id}


# --- helpers ---------------------------------------------------------------------------------------

def _in(app, lang: str, make):
    """`make()` in a request of language `lang` (the app's own formatting and catalogs)."""
    before = database.write_intent.get()
    try:
        with app.test_request_context("/", headers={"Cookie": f"{LANGUAGE_COOKIE}={lang}"}):
            return make()
    finally:  # the request's teardown marks the thread as writing: keep the test thread's reads deferred
        database.write_intent.set(before)


def ar(msgid: str, **values) -> str:
    """A message as the Arabic interface shows it."""
    return _in(current_app, "ar", lambda: gettext(msgid, **values))


def mad(app, amount: int) -> str:
    return _in(app, "ar", lambda: formatting.mad(amount))


def _squash(text: str) -> str:
    """Text as compared: bidi marks dropped, runs of white space made one space."""
    return re.sub(r"\s+", " ", re.sub("[\u200e\u200f\u061c\u2066-\u2069]", "", text)).strip()


def _has(locator, text: str) -> None:
    assert _squash(text) in _squash(locator.inner_text()), f"{text!r} not in {locator.inner_text()!r}"


def _in_languages(page, context, live_server, langs=("fr", "zgh", "ar")) -> None:
    """axe on the current page in each language (the cookie, then a reload); ends in Arabic."""
    for lang in langs:
        set_language(context, live_server, lang)
        page.reload()
        assert_language(page, lang)
        axe_check(page)


def _year_row(page, year: int):
    return page.locator("table.chart-table tbody tr", has=page.locator("th", has_text=str(year)))


def _assert_years(page, app, committed: dict[int, int]) -> None:
    """Per year of the plan: envelope 1,000,000, committed and remaining, in the chart's table."""
    for year, amount in committed.items():
        cells = _year_row(page, year).locator("td")
        assert [_squash(cells.nth(i).inner_text()) for i in range(3)] == [
            _squash(mad(app, MILLION)), _squash(mad(app, amount)), _squash(mad(app, MILLION - amount))], year


def _db():
    db.session.rollback()  # see what the server committed
    return db.session


# --- the journey -----------------------------------------------------------------------------------

def test_chair_builds_council_adopts_resident_follows(app, commune, live_server, context, page, page_requests,
                                                      console_errors):
    page.set_default_timeout(TIMEOUT_MS)
    made = _world(commune)
    plan, chair, admin, resident = made["plan"], made["chair"], made["admin"], made["resident"]
    ids = made["projects"]
    year = execution.default_year(plan, phases.today())  # "this year", inside the plan
    assert year != plan.start_year, "the pin below moves TET-04 away from the plan's first year"
    base = "/tetouan/committee/programme"
    envelopes_url = base + "/envelopes"

    # 1. The chair: envelopes.
    sign_in(page, chair)
    open_page(page, base)
    page.click(f'main a[href="{envelopes_url}"]')
    page.wait_for_url(f"**{envelopes_url}")
    assert_language(page)
    expect(page.locator("fieldset.envelope-year")).to_have_count(6)
    for y in programme.plan_years(plan):
        page.fill(f"#amount-{y}", "1 000 000")
        page.fill(f"#participatory-{y}", "100 000")
    page.fill("#amount-2025", "50 000")  # smaller than its participatory share
    page.fill("#amount-2028", "")  # forgotten
    page.evaluate("window.__marker = 1")
    page.locator("#programme-envelopes form button[type=submit]").click()
    expect(page.locator("#programme-envelopes .alert-error[role=alert]")).to_have_text(
        ar("Nothing was saved: correct the amounts marked below."))
    assert page.evaluate("window.__marker") == 1, "the refusal reloaded the page"
    in_2025 = page.locator("fieldset.envelope-year", has=page.locator("legend", has_text="2025"))
    error_2025 = in_2025.locator("#participatory-2025-error")
    expect(error_2025).to_have_text(ar(
        "The participatory share (%(share)s) cannot be more than the envelope (%(amount)s).",
        share=mad(app, 100_000), amount=mad(app, 50_000)))
    assert "participatory-2025-error" in in_2025.locator("#participatory-2025").get_attribute("aria-describedby")
    error_2028 = page.locator("fieldset.envelope-year", has=page.locator("legend", has_text="2028")).locator(
        "#amount-2028-error")
    expect(error_2028).to_have_text(ar("Enter the envelope of %(year)s in dirhams (0 if none).", year=2028))
    assert "2028" in error_2028.inner_text()
    expect(page.locator("#amount-2025")).to_have_value("50 000")  # what was typed is kept
    expect(page.locator("#amount-2028")).to_have_attribute("aria-invalid", "true")
    assert _db().scalar(select(BudgetEnvelope.id).limit(1)) is None  # nothing saved
    axe_check(page)  # the page with its errors
    page.fill("#amount-2025", "1 000 000")
    page.fill("#amount-2028", "1.000.000")
    page.locator("#programme-envelopes form button[type=submit]").click()
    expect(page.locator("#programme-envelopes [role=status] .flash-success")).to_have_text(
        ar("The budget envelopes were saved."))
    stored = _db().execute(select(BudgetEnvelope.year, BudgetEnvelope.amount, BudgetEnvelope.participatory_amount)
                           .order_by(BudgetEnvelope.year)).all()
    assert stored == [(y, MILLION, 100_000) for y in range(2023, 2029)]
    _in_languages(page, context, live_server)

    # Build a draft from the published ranking.
    open_page(page, base)
    page.select_option("#round_id", str(made["round_id"]))
    with page.expect_navigation():
        page.locator("form[action$='/programme/versions'] button[type=submit]").click()
    version_id = _db().scalar(select(ProgrammeVersion.id))
    version_url = f"{base}/versions/{version_id}"
    assert urlsplit(page.url).path == version_url, page.url
    assert_language(page)
    expect(page.locator("h1")).to_have_text(ar("Programme, version %(n)s", n=1))
    expect(page.locator(".flash-success")).to_contain_text(
        ar("Draft version %(number)s was built from the ranking.", number=1))
    # Per year: TET-01 600,000 in 2023 and 2024 (+ TET-04's 400,000 in 2023), TET-02 800,000 in 2025.
    _assert_years(page, app, {2023: MILLION, 2024: 600_000, 2025: 800_000, 2026: 0, 2027: 0, 2028: 0})
    _has(page.locator("#year-2023-title + p"), ar(
        "Envelope %(envelope)s; committed %(committed)s; remaining %(remaining)s; participatory share %(share)s.",
        envelope=mad(app, MILLION), committed=mad(app, MILLION), remaining=mad(app, 0), share=mad(app, 100_000)))
    # TET-03 did not fit, with the builder's reason.
    entry3 = _db().scalar(select(ProgrammeEntry).where(ProgrammeEntry.version_id == version_id,
                                                       ProgrammeEntry.project_id == ids["TET-03"]))
    reason = programme.skip_info(entry3)
    assert (entry3.state, reason["reason"]) == ("skipped", "envelope")
    skipped = page.locator("ul.skipped-list li")
    expect(skipped).to_have_count(1)
    _has(skipped, "TET-03")
    _has(skipped, _in(app, "ar", lambda: str(labels.SKIP_REASONS["envelope"]) % {
        "year": reason["year"], "amount": formatting.mad(reason["shortfall"])}))
    axe_check(page)

    # Pin TET-04 to this year, with a justification (htmx: the page is not reloaded).
    p4 = ids["TET-04"]
    change = page.locator("details.entry-change", has_text="TET-04")
    change.locator("summary").click()
    page.select_option(f"#action-{p4}", "pin")
    page.select_option(f"#year-{p4}", str(year))
    page.fill(f"#justification-{p4}", JUSTIFICATION)
    page.evaluate("window.__marker = 1")
    change.locator("button[type=submit]").click()
    expect(page.locator("#programme-version [role=status] .flash-success")).to_have_text(
        ar("Project %(code)s: done. The programme was rebuilt.", code="TET-04"))
    assert page.evaluate("window.__marker") == 1
    expect(page.locator("#programme-version [role=status] .flash-success")).to_be_focused()  # after the swap
    expected = {2023: 600_000, 2024: 600_000, 2025: 800_000, 2026: 0, 2027: 0, 2028: 0}
    expected[year] += 400_000
    _assert_years(page, app, expected)
    pinned = page.locator(f"#year-{year}-caption").locator("xpath=ancestor::table").locator(
        "tr", has=page.locator("bdi", has_text="TET-04"))
    expect(pinned.locator(".badge-pinned")).to_have_text(ar("pinned to %(year)s", year=year))
    entry4 = _db().scalar(select(ProgrammeEntry).where(ProgrammeEntry.version_id == version_id,
                                                       ProgrammeEntry.project_id == p4))
    assert (entry4.state, entry4.start_year, entry4.pinned_year, entry4.justification) == (
        "placed", year, year, JUSTIFICATION)
    _in_languages(page, context, live_server)  # the draft, with its forms, in fr, zgh, ar

    # Propose it to the council (through the confirmation).
    page.locator("details.confirm summary").click()
    page.locator("details.confirm button[type=submit]").click()
    expect(page.locator("#programme-version [role=status] .flash-success")).to_have_text(
        ar("Version %(number)s is proposed to the council.", number=1))
    assert _db().get(ProgrammeVersion, version_id).status == "proposed"
    expect(page.locator("details.entry-change")).to_have_count(0)  # no longer changeable

    # 2. The commune admin records the council's adoption.
    page.context.clear_cookies()
    sign_in(page, admin)
    open_page(page, base)
    page.click(f'main a[href="{version_url}"]')
    page.wait_for_url(f"**{version_url}")
    assert_language(page)
    session = phases.today() - timedelta(days=12)
    page.fill("#session_date", session.isoformat())
    page.fill("#decision_reference", REFERENCE)
    page.fill("#votes_for", "31")
    page.fill("#votes_against", "4")
    page.fill("#votes_abstaining", "2")
    page.locator("section[aria-labelledby=adopt-title] button[type=submit]").click()
    expect(page.locator("#programme-version [role=status] .flash-success")).to_have_text(
        ar("The council's adoption of version %(number)s is recorded.", number=1))
    adopted = _db().get(ProgrammeVersion, version_id)
    assert (adopted.status, adopted.session_date, adopted.decision_reference,
            adopted.votes_for, adopted.votes_against, adopted.votes_abstaining) == (
        "adopted", session, REFERENCE, 31, 4, 2)
    status = page.locator("section[aria-labelledby=status-title]")
    expect(status.locator("strong").first).to_have_text(str(_in(app, "ar", lambda: str(
        labels.VERSION_STATUS_NAMES["adopted"]))))
    deemed = _in(app, "ar", lambda: formatting.date(session + timedelta(days=20)))
    _has(status, ar("No visa recorded: the visa is deemed given on %(date)s (20 days after the session).",
                    date=deemed))
    _has(status, ar("Votes: %(yes)s for, %(no)s against, %(abstaining)s abstaining.", yes=31, no=4, abstaining=2))
    _has(status, REFERENCE)
    _in_languages(page, context, live_server)  # the adopted version (with the visa form) in fr, zgh, ar

    # 3. The admin records TET-04's execution report for this year.
    report_url = f"/tetouan/committee/execution/{p4}/{year}"
    open_page(page, report_url)
    page.select_option("#status", "works")
    page.fill("#percent_complete", "40")
    page.fill("#amount_spent", "150000")
    page.locator("#execution-report-form button[type=submit]").click()
    expect(page.locator("#execution-report-form [role=status] .flash-success")).to_have_text(
        ar("The %(year)s report of %(code)s was saved.", year=year, code="TET-04"))
    report = _db().scalar(select(ExecutionReport).where(ExecutionReport.project_id == p4))
    assert (report.year, report.status, report.percent_complete, report.amount_spent) == (year, "works", 40, 150_000)
    axe_check(page)  # the report page after the htmx save

    # The public programme page (anyone).
    page.context.clear_cookies()
    open_page(page, "/tetouan/programme")
    _has(page.locator("main"), "TET-04")
    _in_languages(page, context, live_server)

    # 4. The resident follows their idea.
    sign_in(page, resident)
    idea_url = f"/tetouan/ideas/{made['idea_id']}"
    open_page(page, idea_url)
    timeline = page.locator("section.idea-timeline ol.timeline > li")
    texts = [_squash(timeline.nth(i).inner_text()) for i in range(timeline.count())]
    stages = [ar("Merged into a project"), ar("Ranked by the committee"), ar("In the programme"),
              ar("Being carried out")]
    positions = []
    for stage in stages:
        found = [i for i, text in enumerate(texts) if _squash(stage) in text]
        assert found, f"no stage {stage!r} in {texts}"
        positions.append(found[0])
    assert positions == sorted(positions) and len(set(positions)) == 4, texts
    merged, ranked, in_programme, executing = (timeline.nth(i) for i in positions)
    _has(merged, "TET-04")
    published_on = _in(app, "ar", lambda: formatting.date(_db().get(ScoringRound, made["round_id"]).published_at))
    _has(ranked, re.sub(r"</?bdi>", "", ar("rank %(rank)s of %(count)s in <bdi>%(round)s</bdi>, published on %(date)s",
                                          rank=4, count=4, round=ROUND_NAME, date=published_on)))
    _has(in_programme, ar("in %(year)s", year=year))
    _has(in_programme, ar("adopted by the council"))
    _has(executing, str(_in(app, "ar", lambda: str(labels.EXECUTION_STATUS_NAMES["works"]))))
    _has(executing, ar("%(percent)s%% complete", percent=40))
    assert executing.get_attribute("aria-current") == "step"
    expect(page.locator("section.idea-timeline [aria-current=step]")).to_have_count(1)
    _in_languages(page, context, live_server)

    # The project's page, through the timeline's link.
    with page.expect_navigation():
        merged.locator('a[href="/tetouan/projects/TET-04"]').click()
    assert urlsplit(page.url).path == "/tetouan/projects/TET-04", page.url
    assert_language(page)
    # the programme's yearly cost schedule of the project (pinned to this year, one year long)
    scheduled = page.locator("section.project-progress table:has(#sheet-schedule-caption) tbody tr")
    expect(scheduled).to_have_count(1)
    _has(scheduled.first.locator("th"), str(year))
    progress = page.locator("section.project-progress table:has(#sheet-progress-caption) tbody tr")
    expect(progress).to_have_count(1)
    cells = progress.first
    _has(cells.locator("th"), str(year))
    _has(cells.locator("td").nth(0), str(_in(app, "ar", lambda: str(labels.EXECUTION_STATUS_NAMES["works"]))))
    _has(cells.locator("td").nth(1), _in(app, "ar", lambda: formatting.percent(0.4)))
    _has(cells.locator("td").nth(2), mad(app, 150_000))
    schedule = page.locator("section[aria-labelledby=sheet-time-title]")
    _has(schedule, ar("Schedule"))
    facts = schedule.locator("dd")
    expect(facts.nth(0)).to_have_text(_in(app, "ar", lambda: ngettext("%(count)s year", "%(count)s years", 1, count=1)))
    expect(facts.nth(1)).to_have_text(str(plan.start_year))
    _in_languages(page, context, live_server)

    finish(console_errors, page_requests, live_server, refused=[(400, envelopes_url)])
