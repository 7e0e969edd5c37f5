"""The public programme: the version in force (or the one proposed to the council) by year, axis
or neighbourhood with budget charts; every public version; and "what became of my idea" on every
idea page (the template global `idea_timeline`, used by templates/programme_public/_idea_timeline.html
which templates/ideas/show.html includes). Everything here is public; drafts are not (404).
"""
from __future__ import annotations

from flask import Blueprint, g, request

from blueprints._access import public
from blueprints._helpers import render
from services import phases
from services import public_programme as service

bp = Blueprint("programme_public", __name__)


@bp.app_template_global("idea_timeline")
def idea_timeline(idea, *project):
    """The stages of an idea, for the idea page (computed only when the page asks). The page may
    pass the project the idea became, already read (None: none), to save a statement."""
    return service.idea_timeline(idea, *project[:1])


@bp.app_template_global("programme_budget_chart")
def programme_budget_chart(rows):
    return service.budget_chart(rows)


def _context(plan, version, versions):
    view = service.check_view(request.args.get("view"))
    data = service.programme_view(plan, version, view) if version is not None else None
    return {"plan": plan, "version": version, "data": data, "view": view, "views": service.VIEWS,
            "versions": versions, "today": phases.today(),
            "visa": service.visa_state(version, phases.today()) if version is not None else None}


@bp.get("/<commune>/programme")
@public
def programme(**_):
    plan = phases.current_plan(g.commune)
    versions = service.public_versions(plan)
    return render("programme_public/programme.html", "programme_public/_view.html",
                  **_context(plan, service.shown_version(plan, versions), versions))


@bp.get("/<commune>/programme/versions/<int:version_id>")
@public
def version(version_id, **_):
    plan = phases.current_plan(g.commune)
    versions = service.public_versions(plan)
    return render("programme_public/version.html", "programme_public/_view.html",
                  **_context(plan, service.public_version(plan, version_id, versions), versions))
