"""Which actions the plan's calendar opens today."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from extensions import db
from models import Commune, Phase, PhaseKind, Plan
from services.errors import NotFound, PhaseClosed

# Each action is open while at least one of these phases is.
ACTION_PHASES: dict[str, tuple[str, ...]] = {
    "propose": (PhaseKind.COLLECTION,),
    "support": (PhaseKind.SUPPORT,),
    "comment": (PhaseKind.COLLECTION, PhaseKind.SUPPORT, PhaseKind.ASSESSMENT),
}

CLOSED_MESSAGES = {
    "propose": _l("Proposing ideas is not open now: ideas are collected only during the idea collection phase."),
    "support": _l("Supporting ideas is not open now: supports are collected only during the support phase."),
    "comment": _l("Comments are closed in the current phase of the plan."),
}


def today() -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Africa/Casablanca")).date()


_NOT_READ = object()


def commune_with_plan(slug: str) -> Commune | None:
    """The commune of a URL and its current plan, in ONE statement. The plan is kept on this
    Commune instance (which lives as long as the request's session) for current_plan()."""
    latest = (select(Plan.id).where(Plan.commune_id == Commune.id).order_by(Plan.start_year.desc()).limit(1)
              .correlate(Commune).scalar_subquery())
    row = db.session.execute(select(Commune, Plan).outerjoin(Plan, Plan.id == latest)
                             .where(Commune.slug == slug)).first()
    if row is None:
        return None
    commune, plan = row
    commune._current_plan = plan
    return commune


def forget_plan(commune: Commune | None) -> None:
    """Drop what commune_with_plan kept (end of the request)."""
    if commune is not None:
        commune.__dict__.pop("_current_plan", None)


def current_plan(commune: Commune) -> Plan:
    """The commune's plan people are working on now (the latest one)."""
    plan = commune.__dict__.get("_current_plan", _NOT_READ)
    if plan is _NOT_READ:
        plan = db.session.scalar(
            select(Plan).where(Plan.commune_id == commune.id).order_by(Plan.start_year.desc()).limit(1)
        )
    if plan is None:
        raise NotFound(_l("This commune has no action plan yet."))
    return plan


def open_phases(plan: Plan, on: date | None = None) -> list[Phase]:
    on = on or today()
    return [p for p in plan.phases if p.is_open(on)]


def is_open(plan: Plan, action: str, on: date | None = None) -> bool:
    kinds = ACTION_PHASES[action]
    return any(p.kind in kinds for p in open_phases(plan, on))


def require_open(plan: Plan, action: str, on: date | None = None) -> None:
    if not is_open(plan, action, on):
        raise PhaseClosed(CLOSED_MESSAGES[action])
