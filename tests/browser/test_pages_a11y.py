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
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DIRECTIONS, assert_only_local, axe_check, set_language, sign_in, used_fonts
from tests.conftest import DEFAULT_PASSWORD, make_association, make_idea, make_user

# `rendering`: the PostgreSQL pass of scripts/test leaves these out (see there).
pytestmark = [pytest.mark.browser, pytest.mark.rendering]
LANGUAGES = ("ar", "fr", "zgh")  # en shares fr's direction and stylesheet


# --- what each page needs ----------------------------------------------------------------------

def _ideas(commune, author):
    """Two ideas, one in each script, so lists and the home page have residents' text;
    the second is still editable by its author."""
    first = make_idea(commune, author, title="إحداث حديقة للقرب في حي سيدي طلحة",
                      description="لا توجد مساحة خضراء قريبة للأطفال والعائلات.", status="accepted")
    second = make_idea(commune, author, title="Un éclairage solaire pour la médina", status="submitted")
    return {"idea_id": first.id, "own_idea_id": second.id}


def _long_thread(commune, author):
    """An idea with 40 comments (a few replies, one hidden): the page shows 30 conversations and the
    "Show more comments" link; the cursor of the second batch for the later-batch page."""
    from datetime import timedelta

    from extensions import db
    from models import Comment
    from models._base import utcnow
    from services import comments

    idea = make_idea(commune, author, title="Un long débat sur la médina", status="accepted")
    base = utcnow() - timedelta(days=1)
    made = []
    for i in range(40):
        parent = made[-1] if i % 9 == 8 else None
        comment = Comment(idea_id=idea.id, author_id=author.id, stance=("for", "neutral", "against")[i % 3],
                          body=("رأي رقم %d حول الفكرة" if i % 2 else "Avis numéro %d sur l'idée") % i,
                          created_at=base + timedelta(minutes=i), parent_id=parent.id if parent else None,
                          depth=1 if parent else 0, hidden=i == 5)
        db.session.add(comment)
        db.session.flush()
        made.append(comment)
    db.session.commit()
    return {"idea_id": idea.id, "cursor": comments.thread_batch(idea.id).next_cursor}


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


def _closed_round_chaired(commune, author):
    """The hand-computed closed round of tests/test_ranking.py, chaired by `author`."""
    from extensions import db
    from models import CommitteeMember
    from sqlalchemy import update
    from tests.test_ranking import build_round

    made = build_round(commune)
    db.session.execute(update(CommitteeMember).where(CommitteeMember.plan_id == made["plan"].id)
                       .values(is_chair=False))
    db.session.add(CommitteeMember(plan_id=made["plan"].id, user_id=author.id, kind="commune", is_chair=True))
    db.session.commit()
    return {"round_id": made["round"].id}


def _published_round(commune, author):  # noqa: ARG001
    """That round, with an override (justification shown) and published."""
    from extensions import db
    from services import ranking
    from tests.test_ranking import JUSTIFICATION, build_round

    made = build_round(commune)
    ranking.override(made["round"], made["projects"]["TET-03"], 1, JUSTIFICATION, made["users"]["A"])
    ranking.publish(made["round"], made["users"]["A"])
    db.session.commit()
    return {"round_id": made["round"].id}


# --- the committee's areas (issues 3 and 4) ------------------------------------------------------

def _chair_seat(plan, author, kind="commune", chair=True):
    """`author` takes a seat on the plan's committee, as its chair by default (the chair before steps down)."""
    from sqlalchemy import update

    from extensions import db
    from models import CommitteeMember

    if chair:
        db.session.execute(update(CommitteeMember).where(CommitteeMember.plan_id == plan.id).values(is_chair=False))
    db.session.add(CommitteeMember(plan_id=plan.id, user_id=author.id, kind=kind, is_chair=chair))
    db.session.commit()


def _round_chaired(status):
    """tests/test_ranking.py's round in `status` (no scores while a draft), chaired by `author`."""
    def setup(commune, author):
        from tests.test_ranking import build_round

        made = build_round(commune, status=status, **({"scores": {}} if status == "draft" else {}))
        _chair_seat(made["plan"], author)
        return {"round_id": made["round"].id, "project_id": made["projects"]["TET-02"].id,
                "criterion_id": made["criteria"]["impact"].id, "code": "TET-01"}
    return setup


def _committee_seats(commune, author):  # noqa: ARG001
    """A committee of three (chair, UNDP member, commune member) and an observer, for the admin."""
    from sqlalchemy import select

    from extensions import db
    from models import CommitteeMember
    from tests.test_ranking import build_round

    made = build_round(commune, status="draft", scores={}, observer=True)
    seat = db.session.scalar(select(CommitteeMember.id).where(CommitteeMember.user_id == made["users"]["B"].id))
    return {"member_id": seat}


def _project_sheet(commune, author):  # noqa: ARG001
    """The published round, and a full sheet for TET-01: ideas it came from, neighbourhoods,
    indicators, partners, markers and goals."""
    from decimal import Decimal

    from sqlalchemy import select

    from extensions import db
    from models import Neighbourhood, Project, ProjectIdea, ProjectIndicator, ProjectPartner

    values = _published_round(commune, author)
    project = db.session.scalar(select(Project).where(Project.code == "TET-01"))
    resident = make_user(commune, name="Hanae")
    idea = make_idea(commune, resident, title="حديقة للأطفال قرب المدرسة", status="accepted")
    db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
    project.neighbourhoods = list(db.session.scalars(select(Neighbourhood).where(
        Neighbourhood.commune_id == commune.id).limit(2)))
    project.objectives = "Offrir aux familles un espace vert sûr et accessible."
    project.beneficiaries_total, project.beneficiaries_women, project.beneficiaries_men = 5000, 2600, 2400
    project.beneficiaries_disabled = 120
    project.sdgs, project.marker_gender, project.marker_environment, project.marker_accessibility = "5,11", 1, 2, 2
    project.executing_department = "Service des espaces verts"
    db.session.add_all([
        ProjectIndicator(project_id=project.id, position=0, label="Surface verte aménagée", unit="m²",
                         baseline=Decimal("0"), target=Decimal("4500")),
        ProjectPartner(project_id=project.id, position=0, name="INDH", amount=400_000),
    ])
    db.session.commit()
    return {**values, "code": "TET-01"}


def _ideas_for_projects(commune, author):
    """A chaired committee with projects, and public ideas to turn into projects."""
    return {**_round_chaired("draft")(commune, author), **_ideas(commune, author)}


def _support_round(commune, author):
    """The platform's support round: residents' supports of the ideas behind three projects."""
    from extensions import db
    from models import ProjectIdea, Support
    from services import pb_rounds
    from tests.test_ranking import build_round

    made = build_round(commune, status="draft", scores={})
    plan = made["plan"]
    _chair_seat(plan, author)
    residents = [make_user(commune, name=f"Resident {n}") for n in range(2)]
    for n, project in enumerate(made["projects"].values()):
        idea = make_idea(commune, residents[0], title=f"Idée {n + 1} pour le quartier", status="accepted")
        db.session.add(ProjectIdea(project_id=project.id, idea_id=idea.id))
        for resident in residents[: 2 - n % 2]:
            db.session.add(Support(idea_id=idea.id, user_id=resident.id, plan_id=plan.id))
    db.session.flush()
    support_round = pb_rounds.platform_round(plan, author, budget=3000)
    db.session.commit()
    return {"support_round_id": support_round.id}


def _programme(stage, seat="chair"):
    """tests/test_programme_builder.py's world (published ranking, envelopes) and a programme
    version: "draft", "proposed" to the council, or "adopted" (with the equality body's opinion,
    a report on TET-01's first year and a draft mid-term revision). `author` chairs the
    committee (seat="chair") or holds no seat (seat=None: an admin, or a visitor on public pages)."""
    def setup(commune, author):
        from datetime import date, timedelta

        from extensions import db
        from services import execution, programme
        from tests.test_programme_builder import programme_world

        made = programme_world(commune)
        plan, users, chair = made["plan"], made["users"], made["users"]["A"]
        if seat == "chair":
            _chair_seat(plan, author)
            chair = author
        version = programme.build_version(plan, made["round"].id, chair)
        values = {"version_id": version.id, "project_id": made["projects"]["TET-01"].id, "year": plan.start_year}
        if stage in ("proposed", "adopted"):
            programme.propose(plan, version, chair)
        if stage == "adopted":
            programme.record_opinion(plan, version, programme.OpinionInput(
                body="L'instance relève que les projets retenus tiennent compte de l'accessibilité.\nAvis favorable.",
                signed_by="Présidente de l'IEECAG", given_on=date.today() - timedelta(days=40)), users["O"])
            programme.record_adoption(plan, version, programme.AdoptionInput(
                session_date=date.today() - timedelta(days=30), decision_reference="Délibération n° 45/2022",
                votes_for=30, votes_against=5, votes_abstaining=2), users["admin"])
            execution.save_report(plan, made["projects"]["TET-01"], plan.start_year, execution.ReportInput(
                status="works", percent_complete=40, amount_spent=300_000,
                delay_causes="Retard de livraison des matériaux."), users["admin"])
            revision = programme.start_revision(plan, version, chair, today=date(plan.start_year + 2, 1, 15))
            values["revision_id"] = revision.id
        db.session.commit()
        return values
    return setup


def _password_only(page, user):
    """The password step of the sign-in, stopping at the staff second factor."""
    page.goto("/login")
    page.fill("input[name=identifier]", user.email or user.phone)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    assert urlsplit(page.url).path in ("/login/second-factor", "/login/second-factor/setup"), page.url


def _totp_secret(commune, author):  # noqa: ARG001
    """`author` set up the second factor earlier: the sign-in asks for a code."""
    import pyotp

    from extensions import db

    author.totp_secret = pyotp.random_base32()
    db.session.commit()
    return {}


def _signed_in_then_made_staff(page, user):
    """A resident's session; the person is then made a committee member: their session has not
    passed the second factor, so staff pages send them to set it up (step-up)."""
    from extensions import db
    from models import Membership

    sign_in(page, user)
    db.session.rollback()
    commune_id = user.memberships[0].commune_id
    db.session.add(Membership(user_id=user.id, commune_id=commune_id, role="committee"))
    db.session.commit()


def _mail_opt_in(commune, author):  # noqa: ARG001
    """`author` chose e-mails about replies; the page behind the unsubscribe link of their e-mail."""
    from extensions import db
    from services import mailer

    mailer.set_groups(author, ["comment_replies"])
    db.session.commit()
    return {"token": mailer.unsubscribe_token(author.id, "comment_replies")}


def _reset_link(commune, author):  # noqa: ARG001
    """A valid password reset link of `author` (services/password_reset.py)."""
    from extensions import db
    from services import password_reset

    token = password_reset.issue(author)
    db.session.commit()
    return {"token": token}


def _petitions(commune, author):
    """Petitions in every public state, a draft of `author`, one filed file overdue (tests/test_petitions.py)."""
    from tests.test_petitions import pages_world

    return pages_world(commune, author)


def _equality_opinions(commune, author):  # noqa: ARG001
    """The equality body's opinions: one on the proposed version 1 (with the committee's response),
    one on project TET-01, a thematic one on disability (Arabic), for the body's pages."""
    from extensions import db
    from models import Project
    from services import equality
    from sqlalchemy import select

    values = _programme("proposed", seat=None)(commune, author)
    member = make_user(commune, ("equality",), name="فاطمة الزهراء العلمي")
    admin = make_user(commune, ("admin",), name="مدير المنصة")
    project = db.session.scalar(select(Project).where(Project.code == "TET-01"))
    body = "L'instance demande que les bénéficiaires soient estimés par sexe et par situation de handicap."
    on_version = equality.publish(commune, equality.OpinionInput(
        subject_kind="version", version_id=values["version_id"], title="Avis sur la version 1 du programme",
        body=body, recommendations="1. Ventiler les indicateurs par sexe.\n2. Consulter les associations."), member)
    equality.respond(commune, on_version, "Le comité reprend ces recommandations dans les fiches des projets.",
                     admin)
    on_project = equality.publish(commune, equality.OpinionInput(
        subject_kind="project", project_id=project.id, title="Avis sur le projet TET-01", body=body), member)
    equality.publish(commune, equality.OpinionInput(
        subject_kind="theme", theme="disability", plan_title="المخطط الجماعي للولوجيات 2024",
        title="رأي الهيئة في المخطط الجماعي للولوجيات",
        body="توصي الهيئة بتوسيع المخطط ليشمل الأسواق والحدائق ومحطات النقل."), member)
    db.session.commit()
    return {**values, "opinion_id": on_version.id, "project_opinion_id": on_project.id}


def _privacy_settings(commune, author):  # noqa: ARG001
    """The Tetouan demo's privacy settings (texts in ar/fr/zgh, recipients)."""
    from extensions import db
    from services import personal_data

    personal_data.seed_demo(commune)
    db.session.commit()
    return {}


@dataclass(frozen=True)
class PageCase:
    name: str
    path: str                     # may hold {placeholders} filled from what `setup` returns
    endpoint: str | None          # the page is tested once the app has this endpoint
    roles: tuple[str, ...] | None = None  # signed in with these roles first; None = anonymous
    status: int = 200
    setup: Callable | None = field(default=None, compare=False)
    sign_in_with: Callable | None = field(default=None, compare=False)  # instead of sign_in(page, author)

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
    PageCase("forgot password", "/password/forgot", "auth.forgot_password"),
    PageCase("reset password form", "/password/reset/{token}", "auth.reset_password", setup=_reset_link),
    PageCase("reset password link no longer valid", "/password/reset/not-a-valid-token", "auth.reset_password",
             status=400),
    PageCase("account", "/account", "auth.account", roles=("resident",)),
    PageCase("idea list", "/tetouan/ideas", "ideas.list_ideas", setup=_ideas),
    PageCase("idea page", "/tetouan/ideas/{idea_id}", "ideas.show_idea", setup=_ideas),
    PageCase("idea page with a long thread", "/tetouan/ideas/{idea_id}", "ideas.show_idea", setup=_long_thread),
    PageCase("idea page, later comments", "/tetouan/ideas/{idea_id}?comments_after={cursor}", "ideas.show_idea",
             setup=_long_thread),
    PageCase("new idea", "/tetouan/ideas/new", "ideas.new_idea", roles=("resident",)),
    PageCase("my space", "/tetouan/me", "me.dashboard", roles=("resident",), setup=_ideas),
    PageCase("notifications", "/me/notifications", "me.notifications", roles=("resident",)),
    PageCase("notification settings", "/me/notifications/settings", "me.notification_settings",
             roles=("resident",)),
    PageCase("stop e-mails (unsubscribe link)", "/unsubscribe/{token}", "me.unsubscribe", setup=_mail_opt_in),
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
    # ranking area (blueprints/ranking)
    PageCase("published rankings", "/tetouan/ranking", "ranking.public_rankings", setup=_published_round),
    PageCase("published ranking", "/tetouan/ranking/{round_id}", "ranking.public_ranking", setup=_published_round),
    PageCase("how projects are ranked", "/tetouan/ranking/method", "ranking.method", setup=_published_round),
    PageCase("committee ranking", "/tetouan/committee/rounds/{round_id}/ranking", "ranking.committee_ranking",
             roles=("committee",), setup=_closed_round_chaired),
    # The staff second factor (TOTP): at sign-in (set-up, code) and when a session steps up.
    PageCase("second factor set-up", "/login/second-factor/setup", "auth.second_factor_setup", roles=("committee",),
             sign_in_with=_password_only),
    PageCase("second factor code", "/login/second-factor", "auth.second_factor", roles=("committee",),
             setup=_totp_secret, sign_in_with=_password_only),
    PageCase("second factor step-up", "/account/second-factor", "auth.step_up", roles=("resident",),
             sign_in_with=_signed_in_then_made_staff),
    # The committee (blueprints/committee): its home, criteria, members (admins).
    PageCase("committee home", "/tetouan/committee", "committee.home", roles=("committee",),
             setup=_round_chaired("open")),
    PageCase("committee criteria", "/tetouan/committee/criteria", "committee.criteria", roles=("committee",),
             setup=_round_chaired("draft")),
    PageCase("new criterion", "/tetouan/committee/criteria/new", "committee.new_criterion", roles=("committee",),
             setup=_round_chaired("draft")),
    PageCase("edit criterion", "/tetouan/committee/criteria/{criterion_id}/edit", "committee.edit_criterion",
             roles=("committee",), setup=_round_chaired("draft")),
    PageCase("committee members", "/tetouan/admin/committee", "committee.members", roles=("admin",),
             setup=_committee_seats),
    PageCase("remove a committee member", "/tetouan/admin/committee/{member_id}/remove", "committee.remove_member",
             roles=("admin",), setup=_committee_seats),
    # Projects (blueprints/projects): public list and sheet, the committee's list, idea picker, form.
    PageCase("project list", "/tetouan/projects", "projects.list_projects", setup=_published_round),
    PageCase("project sheet", "/tetouan/projects/{code}", "projects.show_project", setup=_project_sheet),
    PageCase("committee projects", "/tetouan/committee/projects", "projects.manage_projects", roles=("committee",),
             setup=_round_chaired("draft")),
    PageCase("ideas to turn into projects", "/tetouan/committee/ideas", "projects.pick_ideas", roles=("committee",),
             setup=_ideas_for_projects),
    PageCase("new project from an idea", "/tetouan/committee/projects/new?idea={idea_id}", "projects.new_project",
             roles=("committee",), setup=_ideas_for_projects),
    PageCase("edit project", "/tetouan/committee/projects/{project_id}/edit", "projects.edit_project",
             roles=("committee",), setup=_round_chaired("draft")),
    # Scoring rounds (blueprints/rounds).
    PageCase("scoring rounds", "/tetouan/committee/rounds", "rounds.list_rounds", roles=("committee",),
             setup=_closed_round_chaired),
    PageCase("new scoring round", "/tetouan/committee/rounds/new", "rounds.new_round", roles=("committee",),
             setup=_round_chaired("draft")),
    PageCase("scoring round (draft)", "/tetouan/committee/rounds/{round_id}", "rounds.show_round",
             roles=("committee",), setup=_round_chaired("draft")),
    PageCase("scoring round (open)", "/tetouan/committee/rounds/{round_id}", "rounds.show_round",
             roles=("committee",), setup=_round_chaired("open")),
    PageCase("score a project", "/tetouan/committee/rounds/{round_id}/projects/{project_id}/score",
             "rounds.score_project", roles=("committee",), setup=_round_chaired("open")),
    PageCase("everybody's scores", "/tetouan/committee/rounds/{round_id}/scores", "rounds.all_scores",
             roles=("committee",), setup=_closed_round_chaired),
    # Support rounds and participatory-budgeting rules (blueprints/pbrules).
    PageCase("support rounds", "/tetouan/committee/support-rounds", "pbrules.rounds", roles=("committee",),
             setup=_support_round),
    PageCase("support round rules", "/tetouan/support-rounds/{support_round_id}", "pbrules.compare",
             setup=_support_round),
    # The programme builder (blueprints/programme).
    PageCase("programme", "/tetouan/committee/programme", "programme.overview", roles=("committee",),
             setup=_programme("adopted")),
    PageCase("budget envelopes", "/tetouan/committee/programme/envelopes", "programme.envelopes",
             roles=("committee",), setup=_programme("draft")),
    PageCase("programme version (draft)", "/tetouan/committee/programme/versions/{version_id}",
             "programme.show_version", roles=("committee",), setup=_programme("draft")),
    PageCase("programme version (adopted)", "/tetouan/committee/programme/versions/{version_id}",
             "programme.show_version", roles=("committee",), setup=_programme("adopted")),
    PageCase("equality body's opinion", "/tetouan/committee/programme/versions/{version_id}/opinion",
             "programme.record_opinion", roles=("admin",), setup=_programme("proposed", seat=None)),
    PageCase("compare programme versions", "/tetouan/committee/programme/compare?a={version_id}&b={revision_id}",
             "programme.compare", roles=("committee",), setup=_programme("adopted")),
    # The public programme (blueprints/programme_public) and open data.
    PageCase("public programme", "/tetouan/programme", "programme_public.programme",
             setup=_programme("adopted", seat=None)),
    PageCase("public programme version", "/tetouan/programme/versions/{version_id}", "programme_public.version",
             setup=_programme("adopted", seat=None)),
    PageCase("open data", "/tetouan/open-data", "opendata.index", setup=_programme("adopted", seat=None)),
    # Execution follow-up (blueprints/execution).
    PageCase("execution overview", "/tetouan/committee/execution", "execution.overview", roles=("committee",),
             setup=_programme("adopted")),
    PageCase("execution report", "/tetouan/committee/execution/{project_id}/{year}", "execution.update_report",
             roles=("committee",), setup=_programme("adopted")),
    PageCase("monitoring reports", "/tetouan/programme/reports", "execution.reports",
             setup=_programme("adopted", seat=None)),
    PageCase("annual monitoring report", "/tetouan/programme/report/{year}", "execution.annual_report",
             setup=_programme("adopted", seat=None)),
    # Petitions to the council (blueprints/petitions).
    PageCase("petitions", "/tetouan/petitions", "petitions.list_petitions", setup=_petitions),
    PageCase("petition page (signing)", "/tetouan/petitions/{collecting_id}", "petitions.show_petition",
             roles=("resident",), setup=_petitions),
    PageCase("petition page (refused)", "/tetouan/petitions/{refused_id}", "petitions.show_petition",
             setup=_petitions),
    PageCase("petitions on the council's agenda", "/tetouan/petitions/sessions", "petitions.sessions",
             setup=_petitions),
    PageCase("draft a petition", "/tetouan/petitions/new", "petitions.new_petition", roles=("resident",)),
    PageCase("change a draft petition", "/tetouan/petitions/{draft_id}/edit", "petitions.edit_petition",
             roles=("resident",), setup=_petitions),
    PageCase("petition receipt", "/tetouan/petitions/{filed_id}/receipt", "petitions.receipt", setup=_petitions),
    PageCase("bureau's petition files", "/tetouan/petitions/bureau", "petitions.bureau", roles=("bureau",),
             setup=_petitions),
    PageCase("decide on a petition", "/tetouan/petitions/{filed_id}/decide", "petitions.decide",
             roles=("bureau",), setup=_petitions),
    # The equality body's opinions (blueprints/equality).
    PageCase("equality body's opinions", "/tetouan/equality", "equality.list_opinions", setup=_equality_opinions),
    PageCase("equality opinion", "/tetouan/equality/{opinion_id}", "equality.show_opinion",
             setup=_equality_opinions),
    PageCase("equality opinion (response form)", "/tetouan/equality/{project_opinion_id}", "equality.show_opinion",
             roles=("admin",), setup=_equality_opinions),
    PageCase("publish an equality opinion", "/tetouan/equality/new", "equality.new_opinion", roles=("equality",),
             setup=_equality_opinions),
    PageCase("project sheet with opinions", "/tetouan/projects/TET-01", "projects.show_project",
             setup=_equality_opinions),
    # Personal data under law 09-08 (blueprints/privacy).
    PageCase("privacy page", "/tetouan/privacy", "privacy.policy", setup=_privacy_settings),
    PageCase("privacy pages of the communes", "/privacy", "privacy.index", setup=_second_commune),
    PageCase("privacy page (defaults, signed in)", "/tetouan/privacy", "privacy.policy", roles=("resident",)),
    PageCase("my personal data", "/me/data", "privacy.my_data", roles=("resident",)),
    PageCase("delete my account", "/me/delete", "privacy.delete_account", roles=("resident",)),
    PageCase("delete my account (staff: a code)", "/me/delete", "privacy.delete_account", roles=("committee",)),
    PageCase("account deleted", "/account/deleted", "privacy.deleted"),
    PageCase("admin privacy settings", "/tetouan/admin/privacy", "privacy.settings", roles=("admin",),
             setup=_privacy_settings),
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
        (case.sign_in_with or sign_in)(page, author)
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
NOT_PAGES = {
    "main.health", "main.bare", "static",
    # Downloads: files for a spreadsheet or an analysis tool, not pages.
    "rounds.score_sheet",        # a member's score sheet (CSV)
    "rounds.all_scores_csv",     # everybody's scores once the round is closed (CSV)
    "pbrules.download",          # a support round as a Pabulib .pb file
    "opendata.download",         # the open data sets (CSV / JSON)
    "opendata.csv_metadata",     # their CSV on the Web metadata (JSON)
    "opendata.support_round_pb", # a support round in the open data (.pb)
    "execution.milestone_photo", # a milestone's photo (image)
    "privacy.download",          # a person's own data (JSON)
    # The next batch of an idea's comments as an htmx fragment; without htmx it redirects to the
    # idea page showing that batch, which is checked ("idea page, later comments").
    "ideas.more_comments",
}


def test_every_page_is_in_the_accessibility_list():
    """A new page must be added to PAGES (and so be checked by axe in ar, fr and zgh)."""
    from app import create_app
    from config import TestingConfig

    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    get_endpoints = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} - NOT_PAGES
    covered = {case.endpoint for case in PAGES}
    assert sorted(get_endpoints - covered) == []
