"""Home pages, the language switch, health and the bare benchmark endpoint."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select, text

from blueprints._access import public
from blueprints._helpers import ButtonForm, render, safe_next
from extensions import db, limiter
from models import Commune, Idea
from services import phases

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    communes = list(db.session.scalars(select(Commune).order_by(Commune.slug)))
    if len(communes) == 1:
        return redirect(url_for("main.commune_home", commune=communes[0].slug))
    return render("main/index.html", communes=communes)


@bp.get("/<commune>/")
@public
def commune_home(**_):
    from flask import g

    plan = phases.current_plan(g.commune)
    today = phases.today()
    latest = list(
        db.session.scalars(
            select(Idea)
            .where(Idea.plan_id == plan.id, Idea.hidden.is_(False), Idea.status.in_(("submitted", "accepted")))
            .order_by(Idea.support_count.desc(), Idea.id.desc())
            .limit(5)
        )
    )
    return render(
        "main/commune.html",
        plan=plan,
        today=today,
        open_phases=[p.kind for p in phases.open_phases(plan, today)],
        can_propose=phases.is_open(plan, "propose", today),
        can_support=phases.is_open(plan, "support", today),
        top_ideas=latest,
    )


@bp.post("/lang")
@public
def set_language():
    form = ButtonForm()
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next"), url_for("main.index"))
    if not form.validate_on_submit() or lang not in current_app.config["LANGUAGES"]:
        return redirect(target, 303)
    response = make_response(redirect(target, 303))
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE"],
        lang,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
    )
    if current_user.is_authenticated:
        current_user.locale = lang
        db.session.commit()
    return response


@bp.get("/healthz")
@public
@limiter.exempt
def health():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.exception("health check: database unreachable")
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/bare")
@public
@limiter.exempt
def bare():
    """A constant answer through the same stack: the benchmark's ceiling (PERFORMANCE.md)."""
    response = make_response("ok")
    response.mimetype = "text/plain"
    return response
