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


def current_plan(commune: Commune) -> Plan:
    """The commune's plan people are working on now (the latest one)."""
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
