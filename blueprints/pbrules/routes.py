"""Participatory-budget rules on support rounds: the committee's list of rounds (imported ones and
the platform's own, built from residents' supports), the public side-by-side comparison of every
rule with its reasons, and the round in the Pabulib format. Rules live in services.pb_rounds."""
from __future__ import annotations

from flask import Blueprint, g, make_response
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints import labels
from blueprints._access import public, requires
from blueprints._helpers import redirect_to, render
from blueprints.pbrules import sentences
from blueprints.pbrules.forms import PlatformRoundForm
from extensions import db
from models import Plan
from services import access, pb_rounds, phases
from services.errors import NotAllowed, ServiceError

bp = Blueprint("pbrules", __name__)

ONLY_MEMBERS = _l("Only members of this plan's committee can see this.")
ONLY_SCORERS = _l("Only committee members who score can build a support round.")


def _plan(check, message) -> Plan:
    plan = phases.current_plan(g.commune)
    if not check(current_user, plan):
        raise NotAllowed(message)
    return plan


def _rounds_page(plan: Plan, form: PlatformRoundForm | None = None, *, status: int = 200, error=None):
    can_build = access.can_score(current_user, plan)
    if can_build and form is None:
        form = PlatformRoundForm(formdata=None)
    return render("pbrules/rounds.html", "pbrules/_rounds.html", status=status, plan=plan,
                  rounds=pb_rounds.rounds_of(plan), form=form if can_build else None,
                  participatory=pb_rounds.participatory_budget(plan), error=error,
                  platform_source=pb_rounds.PLATFORM_SOURCE)


@bp.get("/<commune>/committee/support-rounds")
@requires("committee.read")
def rounds(**_):
    plan = _plan(access.can_read_committee, ONLY_MEMBERS)
    return _rounds_page(plan)


@bp.post("/<commune>/committee/support-rounds")
@requires("programme.manage")
def create_platform_round(**_):
    plan = _plan(access.can_score, ONLY_SCORERS)
    form = PlatformRoundForm()
    if not form.validate_on_submit():
        return _rounds_page(plan, form, status=400 if form.csrf_token.errors else 422)
    try:
        round_ = pb_rounds.platform_round(plan, current_user, form.budget.data)
    except ServiceError as exc:
        db.session.rollback()
        if exc.field == "budget":
            form.budget.errors = [*form.budget.errors, exc.message]
            return _rounds_page(plan, form, status=422)
        if exc.status in (403, 404):
            raise
        return _rounds_page(plan, form, status=exc.status, error=exc.message)
    db.session.commit()
    return redirect_to("pbrules.compare", support_round_id=round_.id)


@bp.get("/<commune>/support-rounds/<int:support_round_id>")
@public
def compare(support_round_id, **_):
    round_ = pb_rounds.round_of_commune(g.commune.id, support_round_id)
    comparison = pb_rounds.compare(round_)
    return render("pbrules/compare.html", "pbrules/_compare.html", round=round_, comparison=comparison,
                  linked=pb_rounds.linked_projects(comparison),
                  sentence=sentences.project_sentence, note=sentences.column_note, money=sentences.amount,
                  rule_names=labels.PB_RULE_NAMES, rule_hints=labels.PB_RULE_HINTS,
                  vote_types=labels.PB_VOTE_TYPE_NAMES, platform_source=pb_rounds.PLATFORM_SOURCE)


@bp.get("/<commune>/support-rounds/<int:support_round_id>.pb")
@public
def download(support_round_id, **_):
    round_ = pb_rounds.round_of_commune(g.commune.id, support_round_id)
    response = make_response(pb_rounds.pabulib_text(round_))
    response.mimetype = "text/plain"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{g.commune.slug}_support_round_{round_.id}.pb"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
