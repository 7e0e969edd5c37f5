"""The equality body's voice (IEECAG, organic law 113-14 art. 120): formal, attributable opinions
published by its members on a programme version (draft or proposed), a project or a thematic plan,
and the committee's response to each.

Rules:
- only members of the body (role `equality` in the commune) publish; the opinion is signed with the
  member's name and the body's name, dated, and public at once;
- the subject must be the commune's: a version of its current plan (draft or proposed), one of that
  plan's projects, or a thematic plan (theme code + the title of the plan answered);
- an opinion is never edited: a correction is a new opinion that supersedes an earlier one on the
  same subject (each opinion is superseded at most once);
- the committee (seat holders who score) or a commune admin responds once per opinion; the
  opinion's author is notified (equality_response).
The observer seat's recording of a paper opinion on a proposed version stays in services.programme
(record_opinion), on the same model. Every action is in the audit log; nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from extensions import db
from models import (
    Commune,
    EqualityOpinion,
    EqualityTheme,
    OpinionSubject,
    ProgrammeVersion,
    Project,
    Role,
    User,
    VersionStatus,
)
from models._base import utcnow
from services import access, audit, notifications, phases
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from services.text import check_text

THEMES = tuple(t.value for t in EqualityTheme)
SUBJECT_KINDS = tuple(k.value for k in OpinionSubject)
OPEN_VERSION_STATUSES = (VersionStatus.DRAFT, VersionStatus.PROPOSED)
TITLE_MAX = 200
PLAN_TITLE_MAX = 300
BODY_MIN = 20
BODY_MAX = 20_000
RECOMMENDATIONS_MAX = 10_000
RESPONSE_MIN = 20
RESPONSE_MAX = 10_000
LANGUAGES = ("ar", "fr", "zgh")

NOT_A_MEMBER = _l("Only members of the equality body (IEECAG) can publish its opinions.")
NOT_THE_COMMITTEE = _l("Only the committee members who score or the commune's administrators can respond "
                       "for the committee.")
ALREADY_RESPONDED = _l("The committee already responded to this opinion.")
_OPINION_NOT_FOUND = _l("This opinion does not exist.")
_VERSION_NOT_FOUND = _l("This programme version does not exist.")
_PROJECT_NOT_FOUND = _l("This project does not exist.")


class OpinionErrors(ServiceError):
    """Several fields refused at once: `errors` maps each field name to its message. Nothing was stored."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(_l("Nothing was published: correct the fields marked below."))
        self.errors = errors


@dataclass
class OpinionInput:
    subject_kind: str = ""
    version_id: int | None = None
    project_id: int | None = None
    theme: str | None = None
    plan_title: str = ""
    title: str = ""
    body: str = ""
    recommendations: str = ""
    supersedes_id: int | None = None


# --- reading ---------------------------------------------------------------------------------------

def opinion_of(commune: Commune, opinion_id: int) -> EqualityOpinion:
    opinion = db.session.get(EqualityOpinion, opinion_id)
    if opinion is None or opinion.commune_id != commune.id:
        raise NotFound(_OPINION_NOT_FOUND)
    return opinion


def list_opinions(commune: Commune, *, kind: str | None = None, theme: str | None = None) -> list[EqualityOpinion]:
    """The body's opinions in the commune, newest first; `kind` and `theme` are allowlisted filters
    (an unknown value is ignored, never reaches SQL)."""
    # The list shows each opinion's subject and whether a correction replaced it: loaded with the
    # opinions (one statement each), not one query per row.
    stmt = select(EqualityOpinion).where(EqualityOpinion.commune_id == commune.id).options(
        selectinload(EqualityOpinion.version), selectinload(EqualityOpinion.project),
        selectinload(EqualityOpinion.superseded_by))
    if kind in SUBJECT_KINDS:
        stmt = stmt.where(EqualityOpinion.subject_kind == kind)
    if theme in THEMES:
        stmt = stmt.where(EqualityOpinion.theme == theme)
    return list(db.session.scalars(stmt.order_by(EqualityOpinion.given_on.desc(), EqualityOpinion.id.desc())))


def open_versions(commune: Commune) -> list[ProgrammeVersion]:
    """The versions of the current plan the body may give an opinion on (drafts and proposed ones)."""
    plan = phases.current_plan(commune)
    return list(db.session.scalars(
        select(ProgrammeVersion).where(ProgrammeVersion.plan_id == plan.id,
                                       ProgrammeVersion.status.in_(OPEN_VERSION_STATUSES))
        .order_by(ProgrammeVersion.number.desc())))


def projects_of(commune: Commune) -> list[Project]:
    plan = phases.current_plan(commune)
    return list(db.session.scalars(select(Project).where(Project.plan_id == plan.id).order_by(Project.code)))


def supersedable(commune: Commune) -> list[EqualityOpinion]:
    """Opinions a correction may replace: the commune's opinions not superseded yet, newest first."""
    replaced = select(EqualityOpinion.supersedes_id).where(EqualityOpinion.supersedes_id.is_not(None))
    return list(db.session.scalars(
        select(EqualityOpinion).where(EqualityOpinion.commune_id == commune.id, EqualityOpinion.id.not_in(replaced))
        .order_by(EqualityOpinion.id.desc())))


def can_publish(user: User | None, commune: Commune) -> bool:
    return access.can(user, "equality.publish", commune.id)


def can_respond(user: User | None, commune: Commune) -> bool:
    return access.can_respond_to_opinion(user, phases.current_plan(commune))


def can_be_corrected(opinion: EqualityOpinion) -> bool:
    """Not replaced yet, and on a subject still open to opinions (a version still draft or proposed)."""
    if opinion.superseded_by is not None:
        return False
    return opinion.version is None or opinion.version.status in OPEN_VERSION_STATUSES


def is_public_version(version: ProgrammeVersion) -> bool:
    """Drafts are not on the public programme pages (the opinion on a draft is, with its number)."""
    return version.status != VersionStatus.DRAFT


# --- publishing ------------------------------------------------------------------------------------------

def _version(commune: Commune, version_id: int | None, errors: dict) -> ProgrammeVersion | None:
    if version_id is None:
        errors["subject"] = _l("Choose the programme version the opinion answers.")
        return None
    version = db.session.get(ProgrammeVersion, version_id)
    if version is None or version.plan_id != phases.current_plan(commune).id:
        raise NotFound(_VERSION_NOT_FOUND)
    if version.status not in OPEN_VERSION_STATUSES:
        errors["subject"] = _l("The body gives its opinion on a draft version or on a version proposed to "
                               "the council; this one was already decided.")
    return version


def _project(commune: Commune, project_id: int | None, errors: dict) -> Project | None:
    if project_id is None:
        errors["subject"] = _l("Choose the project the opinion answers.")
        return None
    project = db.session.get(Project, project_id)
    if project is None or project.plan_id != phases.current_plan(commune).id:
        raise NotFound(_PROJECT_NOT_FOUND)
    return project


def _text(errors: dict, value, field: str, **kw) -> str | None:
    try:
        return check_text(value, field, **kw)
    except ServiceError as exc:
        errors[field] = exc.message
        return None


def publish(commune: Commune, data: OpinionInput, actor: User, today: date | None = None) -> EqualityOpinion:
    """Publish a member's opinion, at once. Checked in full first: any refused field → OpinionErrors,
    nothing stored; a version or project of another commune → NotFound; not a member → NotAllowed."""
    if not can_publish(actor, commune):
        raise NotAllowed(NOT_A_MEMBER)
    errors: dict[str, object] = {}
    kind = data.subject_kind
    version = project = None
    theme = plan_title = None
    if kind == OpinionSubject.VERSION:
        version = _version(commune, data.version_id, errors)
    elif kind == OpinionSubject.PROJECT:
        project = _project(commune, data.project_id, errors)
    elif kind == OpinionSubject.THEME:
        if data.theme not in THEMES:
            errors["subject"] = _l("Choose the theme of the plan the opinion answers.")
        else:
            theme = data.theme
        plan_title = _text(errors, data.plan_title, "plan_title", max_length=PLAN_TITLE_MAX,
                           required_message=_l("Give the title of the plan or document the opinion answers."))
    else:
        errors["subject"] = _l("Choose what the opinion answers: a programme version, a project or a "
                               "thematic plan.")
    title = _text(errors, data.title, "title", max_length=TITLE_MAX, required_message=_l("Give the opinion a title."))
    body = _text(errors, data.body, "body", max_length=BODY_MAX, min_length=BODY_MIN,
                 required_message=_l("Write the opinion."),
                 too_short_message=_l("Write at least %(n)d characters: an opinion gives its reasons.", n=BODY_MIN))
    recommendations = _text(errors, data.recommendations, "recommendations", max_length=RECOMMENDATIONS_MAX,
                            required=False)
    supersedes = None
    if data.supersedes_id is not None:
        supersedes = db.session.get(EqualityOpinion, data.supersedes_id)
        if supersedes is None or supersedes.commune_id != commune.id:
            errors["supersedes_id"] = _l("This opinion does not exist.")
        elif (supersedes.subject_kind, supersedes.version_id, supersedes.project_id, supersedes.theme) != (
                kind, version.id if version else None, project.id if project else None, theme):
            errors["supersedes_id"] = _l("A correction replaces an opinion on the same subject: choose the same "
                                         "version, project or theme as the opinion it replaces.")
        elif supersedes.superseded_by is not None:
            errors["supersedes_id"] = _l("This opinion was already replaced by a correction.")
    if errors:
        raise OpinionErrors(errors)
    opinion = EqualityOpinion(
        commune_id=commune.id, subject_kind=kind, version_id=version.id if version else None,
        project_id=project.id if project else None, theme=theme, plan_title=plan_title, title=title, body=body,
        recommendations=recommendations, signed_by=actor.display_name, on_behalf=False,
        given_on=today or phases.today(), recorded_by_id=actor.id,
        supersedes_id=supersedes.id if supersedes else None)
    db.session.add(opinion)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another correction of the same opinion got in first (unique supersedes_id)
        raise OpinionErrors({"supersedes_id": _l("This opinion was already replaced by a correction.")}) from None
    audit.record("equality.opinion_published", actor_id=actor.id, commune_id=commune.id,
                 target_kind="equality_opinion", target_id=opinion.id,
                 details={"subject": kind, "version": version.number if version else None,
                          "project": project.code if project else None, "theme": theme, "plan_title": plan_title,
                          "title": title, "supersedes": opinion.supersedes_id, "length": len(body)})
    return opinion


# --- the committee's response ------------------------------------------------------------------------------

def generic_title(opinion: EqualityOpinion) -> str:
    """The title shown for an opinion recorded without one (in the current language)."""
    if opinion.version is not None:
        return _("Opinion on version %(n)s of the programme", n=opinion.version.number)
    return _("Opinion of the equality body")


def _title_param(opinion: EqualityOpinion) -> str | dict[str, str]:
    """The notification's title: as typed, or the generic title in each language."""
    if opinion.title:
        return opinion.title
    titles = {}
    for lang in LANGUAGES:
        with force_locale(lang):
            titles[lang] = generic_title(opinion)
    return titles


def respond(commune: Commune, opinion: EqualityOpinion, text: str, actor: User) -> EqualityOpinion:
    """The committee's response to an opinion, once; the opinion's author is notified."""
    plan = phases.current_plan(commune)
    if not access.can_respond_to_opinion(actor, plan):
        raise NotAllowed(NOT_THE_COMMITTEE)
    if opinion.commune_id != commune.id:
        raise NotFound(_OPINION_NOT_FOUND)
    if opinion.responded:
        raise Conflict(ALREADY_RESPONDED)
    body = check_text(text, "response", max_length=RESPONSE_MAX, min_length=RESPONSE_MIN,
                      required_message=_l("Write the committee's response."),
                      too_short_message=_l("Write at least %(n)d characters: the response gives the committee's "
                                           "reasons.", n=RESPONSE_MIN))
    now = utcnow()
    # Only the first response is kept, even when two are sent at once.
    done = db.session.execute(
        update(EqualityOpinion).where(EqualityOpinion.id == opinion.id, EqualityOpinion.response_body.is_(None))
        .values(response_body=body, responded_at=now, responded_by_id=actor.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(ALREADY_RESPONDED)
    db.session.refresh(opinion)
    audit.record("equality.response_recorded", actor_id=actor.id, commune_id=commune.id,
                 target_kind="equality_opinion", target_id=opinion.id,
                 details={"length": len(body), "as": "admin" if Role.ADMIN in actor.roles_in(commune.id)
                          else "committee"})
    notifications.notify(opinion.recorded_by_id, "equality_response", commune_id=commune.id,
                         opinion_id=opinion.id, title=_title_param(opinion), subject=opinion.subject_kind)
    return opinion
