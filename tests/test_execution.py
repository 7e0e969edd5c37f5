"""Execution follow-up: the report rules (services), milestones and their photos, the annual
monitoring report (totals computed by hand), the committee pages (full page and htmx fragment,
CSRF, access per role) and the project sheet's progress block."""
from __future__ import annotations

import io
import json
import os
import re
from datetime import date

import pyotp
import pytest
from sqlalchemy import func, select

from extensions import db
from models import (AuditEntry, Axis, CommitteeMember, ExecutionReport, Milestone, Neighbourhood, ProgrammeEntry,
                    ProgrammeVersion, Project, ScheduleLine)
from services import accounts, audit, execution
from services.errors import NotAllowed, NotFound, ServiceError
from tests.conftest import csrf_token, make_user, post

HX = {"HX-Request": "true"}
YEAR = 2024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


# --- the world -------------------------------------------------------------------------------------

def sign_in(client, user) -> None:
    """A real server-side session with the second factor passed (the form would ask staff for a TOTP code)."""
    if accounts.is_staff(user) and not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    token = accounts.open_session(user, second_factor_ok=True)
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        session["sid"] = token
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


def _project(plan, code, axis, hoods, cost=1_000_000):
    project = Project(commune_id=plan.commune_id, plan_id=plan.id, code=code, title_ar="مشروع " + code,
                      title_fr="Projet " + code, title_zgh="ⴰⵙⵏⴼⴰⵔ", axis_id=axis.id, total_cost=cost,
                      commune_share=cost, duration_years=2, earliest_start_year=plan.start_year)
    project.neighbourhoods = list(hoods)
    db.session.add(project)
    db.session.flush()
    return project


def _version(plan, schedule: dict, *, number=1, status="adopted"):
    """A programme version placing each project with its yearly amounts {project: {year: amount}}."""
    version = ProgrammeVersion(plan_id=plan.id, number=number, status=status,
                               session_date=date(2022, 11, 3) if status == "adopted" else None,
                               decision_reference="Délibération n° 45/2022" if status == "adopted" else None)
    db.session.add(version)
    db.session.flush()
    for position, (project, years) in enumerate(schedule.items()):
        entry = ProgrammeEntry(version_id=version.id, project_id=project.id, position=position, state="placed",
                               start_year=min(years))
        db.session.add(entry)
        db.session.flush()
        for year, amount in years.items():
            db.session.add(ScheduleLine(entry_id=entry.id, year=year, amount=amount))
    db.session.flush()
    return version


@pytest.fixture()
def world(commune, plan, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))
    axes = list(db.session.scalars(select(Axis).where(Axis.commune_id == commune.id).order_by(Axis.position)))[:2]
    hoods = list(db.session.scalars(select(Neighbourhood).where(Neighbourhood.commune_id == commune.id)
                                    .order_by(Neighbourhood.position)))[:2]
    users = {
        "chair": make_user(commune, ("committee",)),
        "observer": make_user(commune, ("committee",)),
        "no_seat": make_user(commune, ("committee",)),
        "admin": make_user(commune, ("admin",)),
        "resident": make_user(commune, ("resident",)),
    }
    db.session.add_all([
        CommitteeMember(plan_id=plan.id, user_id=users["chair"].id, kind="commune", is_chair=True),
        CommitteeMember(plan_id=plan.id, user_id=users["observer"].id, kind="observer"),
    ])
    # P1: axis A, two neighbourhoods; P2: axis B, one of them.
    p1 = _project(plan, "TET-01", axes[0], hoods)
    p2 = _project(plan, "TET-02", axes[1], hoods[:1])
    version = _version(plan, {p1: {2024: 600_000, 2025: 400_000}, p2: {2024: 400_000, 2025: 600_000}})
    db.session.commit()
    return {"plan": plan, "users": users, "p1": p1, "p2": p2, "axes": axes, "hoods": hoods, "version": version,
            "uploads": tmp_path / "uploads"}


def report_count() -> int:
    return db.session.scalar(select(func.count(ExecutionReport.id)))


def milestone_count() -> int:
    return db.session.scalar(select(func.count(Milestone.id)))


def save(world, project, year=YEAR, user="chair", **values):
    data = execution.ReportInput(**values)
    result = execution.save_report(world["plan"], project, year, data, world["users"][user])
    db.session.commit()
    return result


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the report rules (services) -------------------------------------------------------------------

def test_save_report_creates_then_changes_and_audits(world):
    report, changed = save(world, world["p1"], status="works", percent_complete=40, amount_spent=120_000,
                           delay_causes="Retard de livraison")
    assert changed and report.percent_complete == 40 and report.amount_spent == 120_000
    assert report.updated_by_id == world["users"]["chair"].id
    _same, changed = save(world, world["p1"], status="works", percent_complete=40, amount_spent=120_000,
                          delay_causes="Retard de livraison")
    assert not changed
    save(world, world["p1"], status="works", percent_complete=55, amount_spent=150_000)
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "execution.report_saved")
                                      .order_by(AuditEntry.id)))
    assert len(entries) == 2  # the unchanged save wrote nothing
    details = json.loads(entries[1].details)
    assert details["old"]["percent_complete"] == 40 and details["new"]["percent_complete"] == 55
    assert details["year"] == YEAR and details["code"] == "TET-01"
    assert json.loads(entries[0].details)["old"] is None
    assert audit.verify().ok
    assert report_count() == 1


@pytest.mark.parametrize("values, field", [
    ({"status": "works", "percent_complete": 101}, "percent_complete"),
    ({"status": "works", "percent_complete": -1}, "percent_complete"),
    ({"status": "works", "percent_complete": None}, "percent_complete"),
    ({"status": "works", "percent_complete": True}, "percent_complete"),
    ({"status": "works", "percent_complete": 10, "amount_spent": -5}, "amount_spent"),
    ({"status": "finished", "percent_complete": 10}, "status"),
    ({"status": "done", "percent_complete": 80}, "percent_complete"),
    ({"status": "blocked", "percent_complete": 10}, "reason"),
    ({"status": "dropped", "percent_complete": 0, "reason": "   "}, "reason"),
    ({"status": "works", "percent_complete": 10, "delay_causes": "<script>x</script>"}, "delay_causes"),
    ({"status": "works", "percent_complete": 10, "reason": "a\u202eb"}, "reason"),
    ({"status": "works", "percent_complete": 10, "delay_causes": "x" * 2001}, "delay_causes"),
])
def test_bad_reports_are_refused_and_nothing_changes(world, values, field):
    save(world, world["p2"], status="studies", percent_complete=5)
    before = report_count()
    with pytest.raises(ServiceError) as caught:
        save(world, world["p1"], **values)
    db.session.rollback()
    assert caught.value.field == field
    assert str(caught.value.message)
    assert report_count() == before
    assert execution.get_report(world["p1"], YEAR) is None


def test_progress_going_back_needs_a_reason(world):
    p1 = world["p1"]
    save(world, p1, year=2024, status="works", percent_complete=60)
    # a later year, lower: refused without a reason
    with pytest.raises(ServiceError) as caught:
        save(world, p1, year=2025, status="works", percent_complete=40)
    db.session.rollback()
    assert caught.value.field == "reason"
    assert "60%" in str(caught.value.message) and "40%" in str(caught.value.message)
    assert execution.get_report(p1, 2025) is None
    # the same year, lower: refused too, the stored report is unchanged
    with pytest.raises(ServiceError):
        save(world, p1, year=2024, status="works", percent_complete=50)
    db.session.rollback()
    assert execution.get_report(p1, 2024).percent_complete == 60
    # with a reason it is accepted
    report, _ = save(world, p1, year=2025, status="works", percent_complete=40,
                     reason="Une partie des travaux a été refaite après expertise.")
    assert report.percent_complete == 40 and report.reason.startswith("Une partie")
    # an earlier year is not compared with a later one
    report, _ = save(world, world["p2"], year=2025, status="works", percent_complete=30)
    report, _ = save(world, world["p2"], year=2024, status="studies", percent_complete=10)
    assert report.percent_complete == 10


def test_done_means_one_hundred(world):
    report, _ = save(world, world["p1"], status="done", percent_complete=None)
    assert report.status == "done" and report.percent_complete == 100
    report, _ = save(world, world["p2"], status="done", percent_complete=100)
    assert report.percent_complete == 100


def test_blocked_with_a_reason_is_kept(world):
    report, _ = save(world, world["p1"], status="blocked", percent_complete=20, reason="Foncier non libéré.",
                     delay_causes="Litige foncier")
    assert report.status == "blocked" and report.delay_causes == "Litige foncier"


def test_year_outside_the_plan_and_other_plans_project(world, commune):
    with pytest.raises(NotFound):
        save(world, world["p1"], year=2029, status="works", percent_complete=10)
    db.session.rollback()
    with pytest.raises(NotFound):
        execution.check_year(world["plan"], 2022)
    from services import demo
    other, other_plan = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    with pytest.raises(NotFound):
        execution.get_project(other_plan, world["p1"].id)
    assert report_count() == 0


@pytest.mark.parametrize("who, allowed", [("chair", True), ("admin", True), ("observer", False),
                                          ("no_seat", False), ("resident", False)])
def test_who_may_save_a_report(world, who, allowed):
    if allowed:
        save(world, world["p1"], user=who, status="works", percent_complete=10)
        assert report_count() == 1
    else:
        with pytest.raises(NotAllowed):
            save(world, world["p1"], user=who, status="works", percent_complete=10)
        db.session.rollback()
        assert report_count() == 0


def test_default_year_is_clamped_to_the_plan(world):
    plan = world["plan"]
    assert execution.default_year(plan, date(2026, 5, 1)) == 2026
    assert execution.default_year(plan, date(2031, 5, 1)) == 2028
    assert execution.default_year(plan, date(2020, 5, 1)) == 2023


# --- milestones and photos (service) --------------------------------------------------------------

def add(world, user="chair", **values):
    data = execution.MilestoneInput(**{"happened_on": date(2024, 6, 1), "label": "Pose de la première pierre",
                                       **values})
    milestone = execution.add_milestone(world["plan"], world["p1"], data, world["users"][user],
                                        str(world["uploads"]), date(2026, 11, 1))
    db.session.commit()
    return milestone


def stored_files(world) -> list[str]:
    folder = world["uploads"] / "milestones"
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.mark.parametrize("content, extension, mimetype", [
    (PNG, ".png", "image/png"), (JPEG, ".jpg", "image/jpeg"), (WEBP, ".webp", "image/webp")])
def test_photo_types_are_read_from_the_content(world, content, extension, mimetype):
    milestone = add(world, photo=content, photo_alt="Le chantier vu de la rue")
    assert re.fullmatch(r"[0-9a-f]{32}" + re.escape(extension), milestone.photo)
    assert execution.photo_type(milestone) == mimetype
    assert stored_files(world) == [milestone.photo]
    assert (world["uploads"] / "milestones" / milestone.photo).read_bytes() == content


@pytest.mark.parametrize("values, field", [
    ({"photo": b"just some text, named photo.png", "photo_alt": "x"}, "photo"),
    ({"photo": b"GIF89a" + b"\x00" * 20, "photo_alt": "x"}, "photo"),
    ({"photo": PNG + b"\x00" * (execution.PHOTO_MAX - len(PNG) + 1), "photo_alt": "x"}, "photo"),
    ({"photo": PNG, "photo_alt": ""}, "photo_alt"),
    ({"photo": PNG, "photo_alt": "<img src=x onerror=alert(1)>"}, "photo_alt"),
    ({"happened_on": None}, "happened_on"),
    ({"happened_on": date(2029, 1, 2)}, "happened_on"),
    ({"happened_on": date(2022, 12, 31)}, "happened_on"),
    ({"happened_on": date(2026, 11, 2)}, "happened_on"),  # after "today" (2026-11-01 in add())
    ({"label": ""}, "label"),
    ({"label": "x" * 301}, "label"),
])
def test_bad_milestones_are_refused_and_nothing_is_stored(world, values, field):
    with pytest.raises(ServiceError) as caught:
        add(world, **values)
    db.session.rollback()
    assert caught.value.field == field
    assert milestone_count() == 0
    assert stored_files(world) == []


def test_a_photo_of_exactly_two_megabytes_is_accepted(world):
    content = PNG + b"\x00" * (execution.PHOTO_MAX - len(PNG))
    milestone = add(world, photo=content, photo_alt="Vue aérienne")
    assert len(content) == execution.PHOTO_MAX and milestone.photo


def test_milestone_without_photo_drops_a_stray_description(world):
    milestone = add(world, photo_alt="nothing to describe")
    assert milestone.photo is None and milestone.photo_alt is None


def test_delete_milestone_removes_the_row_and_the_file(world):
    milestone = add(world, photo=PNG, photo_alt="Le chantier")
    name = milestone.photo
    photo = execution.delete_milestone(world["plan"], milestone, world["users"]["admin"], str(world["uploads"]))
    db.session.commit()
    execution.remove_photo(str(world["uploads"]), photo)
    assert photo == name and milestone_count() == 0 and stored_files(world) == []
    actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["execution.milestone_added", "execution.milestone_deleted"]


def test_observer_cannot_add_a_milestone(world):
    with pytest.raises(NotAllowed):
        add(world, user="observer", photo=PNG, photo_alt="x")
    db.session.rollback()
    assert milestone_count() == 0 and stored_files(world) == []


# --- the annual monitoring report (computed by hand) ----------------------------------------------

def _reported(world):
    save(world, world["p1"], status="works", percent_complete=50, amount_spent=200_000,
         delay_causes="Intempéries")
    save(world, world["p2"], status="done", percent_complete=100, amount_spent=350_000)


def test_annual_report_totals_by_hand(world):
    _reported(world)
    add(world, label="Réception provisoire")
    report = execution.annual_report(world["plan"], YEAR)
    a, b = world["axes"]
    h1, h2 = world["hoods"]
    # programmed 600,000 + 400,000; spent 200,000 + 350,000;
    # completion = (50 × 600,000 + 100 × 400,000) / 1,000,000 = 70 %
    assert report.total.projects == 2
    assert report.total.programmed == 1_000_000
    assert report.total.spent == 550_000
    assert report.total.completion == pytest.approx(0.70)
    assert report.by_status == [("works", 1), ("done", 1)]
    by_axis = {g.key: (g.projects, g.programmed, g.spent, g.completion) for g in report.by_axis}
    assert by_axis == {a.id: (1, 600_000, 200_000, 0.5), b.id: (1, 400_000, 350_000, 1.0)}
    # P1 is in both neighbourhoods and counts in each: h1 has P1 and P2, h2 only P1
    by_hood = {g.key: (g.projects, g.programmed, g.spent) for g in report.by_neighbourhood}
    assert by_hood == {h1.id: (2, 1_000_000, 550_000), h2.id: (1, 600_000, 200_000)}
    assert [g.completion for g in report.by_neighbourhood] == [pytest.approx(0.7), pytest.approx(0.5)]
    assert [m.label for m in report.milestones] == ["Réception provisoire"]
    assert [m.label for m in report.rows[0].milestones] == ["Réception provisoire"]


def test_annual_report_carries_the_latest_earlier_report(world):
    _reported(world)  # 2024 reports only
    report = execution.annual_report(world["plan"], 2025)
    rows = {r.project.code: r for r in report.rows}
    assert rows["TET-01"].report is None and rows["TET-01"].carried.year == 2024
    assert rows["TET-01"].percent == 50 and rows["TET-01"].spent == 0
    # (50 × 400,000 + 100 × 600,000) / 1,000,000 = 80 %
    assert report.total.completion == pytest.approx(0.80)
    assert report.total.spent == 0


def test_annual_report_page(client, world):
    _reported(world)
    response = client.get(f"/tetouan/programme/report/{YEAR}")
    assert response.status_code == 200
    html = text(response)
    assert html.count("<h1") == 1
    assert "Annual monitoring report 2024" in html
    assert "70%" in html and "50%" in html and "100%" in html
    assert "1,000,000" in html and "550,000" in html and "600,000" in html
    assert "Intempéries" in html
    assert "counted in each of them" in html
    assert "Délibération n° 45/2022" in html
    assert "Works under way" in html and "Done" in html


def test_annual_report_empty_year_and_outside_years(client, world):
    response = client.get("/tetouan/programme/report/2027")
    assert response.status_code == 200
    assert "Nothing to report for 2027" in text(response)
    assert client.get("/tetouan/programme/report/2029").status_code == 404
    assert client.get("/tetouan/programme/report/2022").status_code == 404


def test_annual_report_without_adopted_version_says_so_and_hides_drafts(client, world):
    _reported(world)
    world["version"].status = "draft"
    db.session.commit()
    report = execution.annual_report(world["plan"], YEAR)
    assert report.followed.version is None  # drafts are not public
    assert report.total.programmed == 0 and report.total.completion is None
    html = text(client.get(f"/tetouan/programme/report/{YEAR}"))
    assert "No programme has been put before the council yet" in html
    world["version"].status = "proposed"
    db.session.commit()
    html = text(client.get(f"/tetouan/programme/report/{YEAR}"))
    assert "No programme has been adopted yet" in html and "1,000,000" in html


def test_reports_list_links_every_plan_year(client, world):
    html = text(client.get("/tetouan/programme/reports"))
    for year in range(2023, 2029):
        assert f"/tetouan/programme/report/{year}" in html


# --- committee pages ------------------------------------------------------------------------------

def overview_url(year=None):
    return "/tetouan/committee/execution" + (f"?year={year}" if year else "")


def report_url(world, year=YEAR, project="p1"):
    return f"/tetouan/committee/execution/{world[project].id}/{year}"


@pytest.mark.parametrize("who", ["chair", "admin"])
def test_overview_page_and_fragment(client, world, who):
    _reported(world)
    sign_in(client, world["users"][who])
    response = client.get(overview_url(YEAR))
    assert response.status_code == 200
    html = text(response)
    assert html.count("<h1") == 1 and "TET-01" in html and "TET-02" in html
    assert "Works under way" in html and "50%" in html and "200,000" in html
    assert report_url(world) in html
    assert "HX-Request" in response.headers["Vary"]
    fragment = client.get(overview_url(2025), headers=HX)
    assert fragment.status_code == 200
    assert "<html" not in text(fragment) and "(report of 2024)" in text(fragment)


def test_overview_bad_year_falls_back_and_notice_without_version(client, world):
    db.session.delete(world["version"])
    db.session.commit()
    sign_in(client, world["users"]["chair"])
    html = text(client.get(overview_url("20x4")))
    assert "No programme version exists yet" in html and "TET-01" in html


def test_observer_reads_the_overview_but_cannot_update(client, world):
    sign_in(client, world["users"]["observer"])
    response = client.get(overview_url(YEAR))
    assert response.status_code == 200 and report_url(world) not in text(response)
    assert client.get(report_url(world)).status_code == 403
    response = post(client, report_url(world), {"status": "works", "percent_complete": "10"})
    assert response.status_code == 403 and report_count() == 0


@pytest.mark.parametrize("who, status", [("resident", 403), ("no_seat", 403), ("other_admin", 403),
                                         ("anonymous", 302)])
def test_committee_pages_refused(client, world, who, status):
    if who == "other_admin":
        from services import demo
        other, _ = demo.create_commune(slug="chefchaouen")
        db.session.commit()
        sign_in(client, make_user(other, ("admin",)))
    elif who != "anonymous":
        sign_in(client, world["users"][who])
    for url in (overview_url(), report_url(world)):
        response = client.get(url)
        assert response.status_code == status, url
        if status == 302:
            assert "/login" in response.headers["Location"]


def test_update_form_page_and_fragment(client, world):
    sign_in(client, world["users"]["chair"])
    page = client.get(report_url(world))
    assert page.status_code == 200
    html = text(page)
    assert html.count("<h1") == 1 and 'name="percent_complete"' in html and "Add a milestone" in html
    fragment = client.get(report_url(world), headers=HX)
    assert fragment.status_code == 200
    body = text(fragment)
    assert "<html" not in body and 'id="execution-report-form"' in body and 'name="csrf_token"' in body
    assert 'hx-post="' + report_url(world) + '"' in body
    assert client.get(report_url(world, year=2029)).status_code == 404
    assert client.get(report_url(world, year=2022)).status_code == 404


def test_update_report_post(client, world):
    sign_in(client, world["users"]["chair"])
    response = post(client, report_url(world), {"status": "works", "percent_complete": "45",
                                                "amount_spent": "120 000", "delay_causes": "Pluies"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/tetouan/committee/execution?year=2024")
    report = execution.get_report(world["p1"], YEAR)
    assert (report.status, report.percent_complete, report.amount_spent) == ("works", 45, 120_000)
    response = post(client, report_url(world), {"status": "works", "percent_complete": "50",
                                                "amount_spent": "130000"}, htmx=True)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and "The 2024 report of TET-01 was saved." in body
    assert 'role="status"' in body
    db.session.expire_all()
    assert execution.get_report(world["p1"], YEAR).percent_complete == 50


@pytest.mark.parametrize("data, message", [
    ({"status": "works", "percent_complete": "150"}, "The progress is a whole number from 0 to 100"),
    ({"status": "works", "percent_complete": "-3"}, "Enter the progress as a whole number from 0 to 100."),
    ({"status": "works", "percent_complete": "12.5"}, "Enter the progress as a whole number from 0 to 100."),
    ({"status": "works", "percent_complete": "10", "amount_spent": "1.200,50"}, "Write whole dirhams"),
    ({"status": "done", "percent_complete": "90"}, "A finished project is 100% complete"),
    ({"status": "blocked", "percent_complete": "10"}, "Say why the project is blocked or dropped."),
    ({"status": "nope", "percent_complete": "10"}, "Choose the status from the list."),
    ({"status": "works", "percent_complete": "10", "reason": "<b>x</b>"}, "Write plain text"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_update_report_bad_input_keeps_what_was_typed(client, world, data, message, htmx):
    sign_in(client, world["users"]["chair"])
    response = post(client, report_url(world), data, htmx=htmx)
    assert response.status_code == 400
    body = text(response)
    assert message in body
    assert ("<html" in body) != htmx
    assert 'aria-invalid="true"' in body
    if data["percent_complete"] not in ("", None):
        assert f'value="{data["percent_complete"]}"' in body
    assert report_count() == 0


def test_progress_back_over_http_needs_a_reason(client, world):
    save(world, world["p1"], status="works", percent_complete=60)
    sign_in(client, world["users"]["chair"])
    response = post(client, report_url(world, year=2025), {"status": "works", "percent_complete": "40"})
    assert response.status_code == 400 and "say why" in text(response)
    assert execution.get_report(world["p1"], 2025) is None
    response = post(client, report_url(world, year=2025), {"status": "works", "percent_complete": "40",
                                                           "reason": "Travaux repris."})
    assert response.status_code == 303


def test_posts_without_csrf_are_refused(client, world):
    milestone = add(world)
    sign_in(client, world["users"]["chair"])
    urls = [report_url(world), f"/tetouan/committee/execution/{world['p1'].id}/milestones",
            f"/tetouan/committee/execution/{world['p1'].id}/milestones/{milestone.id}/delete"]
    for url in urls:
        response = post(client, url, {"status": "works", "percent_complete": "10", "happened_on": "2024-05-01",
                                      "label": "x", "year": "2024"}, token=False)
        assert response.status_code == 400, url
    assert report_count() == 0 and milestone_count() == 1


# --- milestones over HTTP -------------------------------------------------------------------------

def milestones_url(world):
    return f"/tetouan/committee/execution/{world['p1'].id}/milestones"


def upload(client, world, content, filename="photo.png", htmx=False, **extra):
    data = {"csrf_token": csrf_token(client), "year": "2024", "happened_on": "2024-05-01",
            "label": "Ouverture du chantier", "photo_alt": "Des ouvriers devant la façade", **extra}
    if content is not None:
        data["photo"] = (io.BytesIO(content), filename)
    return client.post(milestones_url(world), data=data, content_type="multipart/form-data",
                       headers=HX if htmx else {})


def test_png_uploaded_and_served_with_its_type(client, world):
    sign_in(client, world["users"]["chair"])
    response = upload(client, world, PNG, filename="../../../etc/passwd.png")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(report_url(world))
    milestone = db.session.scalar(select(Milestone))
    assert re.fullmatch(r"[0-9a-f]{32}\.png", milestone.photo)  # never the uploaded name
    assert stored_files(world) == [milestone.photo]
    assert milestone.photo_alt == "Des ouvriers devant la façade"
    with client.session_transaction() as session:  # signed out: the photo is public
        session.clear()
    photo = client.get(f"/tetouan/milestones/{milestone.id}/photo")
    assert photo.status_code == 200
    assert photo.headers["Content-Type"] == "image/png"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert photo.get_data() == PNG
    photo.close()
    # the public sheet shows it with its alternative text
    sheet = text(client.get("/tetouan/projects/TET-01"))
    assert f'/tetouan/milestones/{milestone.id}/photo' in sheet
    assert 'alt="Des ouvriers devant la façade"' in sheet and "Ouverture du chantier" in sheet


def test_htmx_upload_returns_the_milestones_fragment(client, world):
    sign_in(client, world["users"]["chair"])
    response = upload(client, world, JPEG, filename="chantier.jpg", htmx=True)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'id="milestones"' in body and "The milestone was added." in body
    assert "Ouverture du chantier" in body


def test_text_file_renamed_png_is_refused(client, world):
    sign_in(client, world["users"]["chair"])
    response = upload(client, world, b"<?php echo 'hello'; ?>", filename="photo.png")
    assert response.status_code == 400
    assert "Send a JPEG, PNG or WebP photo." in text(response)
    assert 'value="Ouverture du chantier"' in text(response)  # typed text kept
    assert milestone_count() == 0 and stored_files(world) == []
    response = upload(client, world, b"<svg onload=alert(1)>", filename="x.svg", htmx=True)
    assert response.status_code == 400 and "<html" not in text(response)
    assert milestone_count() == 0 and stored_files(world) == []


def test_photo_without_description_is_refused(client, world):
    sign_in(client, world["users"]["chair"])
    response = upload(client, world, PNG, photo_alt="")
    assert response.status_code == 400
    assert "Describe the photo for people who cannot see it." in text(response)
    assert milestone_count() == 0 and stored_files(world) == []


def test_photo_over_two_megabytes_is_refused(client, world):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    sign_in(client, world["users"]["chair"])
    # Encoded in memory: the test client would spool a body this large to a temporary file
    # that a refused (413) request never reads nor closes.
    content = PNG + b"\x00" * (execution.PHOTO_MAX + 10)
    boundary, body = encode_multipart({
        "csrf_token": csrf_token(client), "year": "2024", "happened_on": "2024-05-01", "label": "Chantier",
        "photo_alt": "Vue", "photo": FileStorage(io.BytesIO(content), filename="big.png")})
    response = client.post(milestones_url(world), data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "too large" in text(response)
    assert milestone_count() == 0 and stored_files(world) == []


def test_photo_route_takes_an_id_only(client, world):
    milestone = add(world)  # no photo
    assert client.get(f"/tetouan/milestones/{milestone.id}/photo").status_code == 404
    assert client.get("/tetouan/milestones/..%2F..%2Fconfig.py/photo").status_code == 404
    assert client.get("/tetouan/milestones/999999/photo").status_code == 404
    # another commune's URL does not serve this commune's photos
    with_photo = add(world, photo=PNG, photo_alt="x")
    from services import demo
    demo.create_commune(slug="chefchaouen")
    db.session.commit()
    assert client.get(f"/chefchaouen/milestones/{with_photo.id}/photo").status_code == 404
    response = client.get(f"/tetouan/milestones/{with_photo.id}/photo")
    assert response.status_code == 200
    response.close()


def test_delete_milestone_over_http(client, world):
    milestone = add(world, photo=PNG, photo_alt="Le chantier")
    sign_in(client, world["users"]["admin"])
    url = f"{milestones_url(world)}/{milestone.id}/delete"
    response = post(client, url, {"year": "2025"}, htmx=True)
    assert response.status_code == 200
    assert "The milestone was deleted." in text(response) and "<html" not in text(response)
    assert milestone_count() == 0 and stored_files(world) == []
    assert post(client, url, {"year": "2025"}).status_code == 404


def test_observer_cannot_add_or_delete_milestones(client, world):
    milestone = add(world)
    sign_in(client, world["users"]["observer"])
    assert upload(client, world, PNG).status_code == 403
    assert post(client, f"{milestones_url(world)}/{milestone.id}/delete", {}).status_code == 403
    assert milestone_count() == 1


# --- the public project sheet ---------------------------------------------------------------------

def test_project_sheet_shows_progress_per_year(client, world):
    sheet = text(client.get("/tetouan/projects/TET-01"))
    assert "No progress has been reported for this project yet." in sheet
    save(world, world["p1"], year=2024, status="works", percent_complete=30, amount_spent=90_000)
    save(world, world["p1"], year=2025, status="blocked", percent_complete=35, reason="Foncier",
         delay_causes="Litige foncier")
    sheet = text(client.get("/tetouan/projects/TET-01"))
    assert "Works under way" in sheet and "Blocked" in sheet
    assert "30%" in sheet and "35%" in sheet and "90,000" in sheet and "Litige foncier" in sheet
    assert "/tetouan/programme/report/2025" in sheet
    assert sheet.count("<h1") == 1


@pytest.mark.parametrize("lang", ["ar", "fr", "zgh"])
def test_pages_render_in_every_language(client, world, lang):
    _reported(world)
    add(world, photo=PNG, photo_alt="Le chantier")
    client.set_cookie("tasharuk_lang", lang)
    for url in (f"/tetouan/programme/report/{YEAR}", "/tetouan/programme/reports", "/tetouan/projects/TET-01"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}"' in text(response)
    sign_in(client, world["users"]["chair"])
    for url in (overview_url(YEAR), report_url(world)):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{lang}"' in text(response)


def test_the_public_sheet_shows_the_projects_yearly_schedule_from_the_programme(client, commune, plan):
    """The project page gives the yearly cost schedule of the programme followed in public
    (adopted, else proposed); a draft is not public, so its schedule is not shown."""
    from models import (Axis, EntryState, ProgrammeEntry, ProgrammeVersion, Project, ScheduleLine,
                        VersionStatus)

    axis = db.session.scalar(select(Axis).where(Axis.commune_id == commune.id))
    project = Project(commune_id=commune.id, plan_id=plan.id, code="SCH-01", title_ar="م", title_fr="Projet",
                      title_zgh="ⴰⵙⵏⴼⴰⵔ", axis_id=axis.id, total_cost=3_000_001, commune_share=3_000_001,
                      duration_years=2, earliest_start_year=plan.start_year)
    version = ProgrammeVersion(plan_id=plan.id, number=1, status=VersionStatus.DRAFT)
    db.session.add_all([project, version])
    db.session.flush()
    entry = ProgrammeEntry(version_id=version.id, project_id=project.id, position=1, state=EntryState.PLACED,
                           start_year=plan.start_year)
    db.session.add(entry)
    db.session.flush()
    db.session.add_all([ScheduleLine(entry_id=entry.id, year=plan.start_year, amount=1_000_001),
                        ScheduleLine(entry_id=entry.id, year=plan.start_year + 1, amount=2_000_000)])
    db.session.commit()
    html = client.get("/tetouan/projects/SCH-01").get_data(as_text=True)
    assert "Yearly schedules" not in html  # a draft is not public
    version = db.session.get(ProgrammeVersion, version.id)
    version.status = VersionStatus.PROPOSED
    db.session.commit()
    html = client.get("/tetouan/projects/SCH-01").get_data(as_text=True)
    assert "Yearly schedules" in html
    section = html.split('id="sheet-schedule-caption"')[1].split("</table>")[0]
    assert f">{plan.start_year}</th>" in section and f">{plan.start_year + 1}</th>" in section
    assert "1,000,001" in section and "2,000,000" in section
