"""The criteria of a plan: names and descriptions in ar/fr/zgh, a weight, a kind (scored by the
members, or the citizen-support criterion computed from supports) and what each level 0–5 means.

Weights are frozen once a scoring round of the plan has opened: from then on weight and kind
cannot change and criteria cannot be added or deleted; texts may still be corrected.
Every change is written to the audit log. Services flush, never commit.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from extensions import db
from models import Criterion, CriterionKind, CriterionLevel, Plan, Score, ScoringRound, User
from services import audit
from services.communes import check_names
from services.text import check_text
from services.errors import Conflict, NotFound, ServiceError

CODE_MAX = 40
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DESCRIPTION_MAX = 1000
LEVEL_MAX = 300  # CriterionLevel.text_* columns
WEIGHT_MAX = 1000.0
POSITION_MAX = 999
LEVELS = range(6)
LANGS = ("ar", "fr", "zgh")
KINDS = tuple(k.value for k in CriterionKind)

FROZEN = _l("Weights are frozen: a scoring round has opened.")
WEIGHT_MESSAGE = _l("Enter the weight as a number of 0 or more, for example 2.5.")


@dataclass
class CriterionInput:
    """What a form gives: weight as typed ("2,5" and "2.5" both mean 2.5), levels as
    six (ar, fr, zgh) triples for 0…5."""

    code: str
    name_ar: str
    name_fr: str
    name_zgh: str
    kind: str = CriterionKind.SCORED.value
    weight: str | float | int | None = None
    position: int | None = None
    description_ar: str = ""
    description_fr: str = ""
    description_zgh: str = ""
    levels: Sequence[tuple[str, str, str]] = field(default_factory=tuple)


# --- reading -------------------------------------------------------------------------------------

def list_criteria(plan: Plan) -> list[Criterion]:
    return list(db.session.scalars(
        select(Criterion).where(Criterion.plan_id == plan.id).order_by(Criterion.position, Criterion.id)))


def get(plan: Plan, criterion_id: int) -> Criterion:
    criterion = db.session.get(Criterion, criterion_id)
    if criterion is None or criterion.plan_id != plan.id:
        raise NotFound(_l("This criterion does not exist."))
    return criterion


def weights_frozen(plan: Plan) -> bool:
    """True once any scoring round of the plan has opened (even if it has closed since)."""
    return bool(db.session.scalar(select(exists().where(
        ScoringRound.plan_id == plan.id, ScoringRound.opened_at.is_not(None)))))


def normalised_weights(criteria: Iterable[Criterion]) -> dict[int, float]:
    """Each criterion's weight ÷ the sum of the weights (as prioritization.aggregation does);
    all 0 when every weight is 0 (the aggregation then refuses to rank)."""
    criteria = list(criteria)
    total = math.fsum(c.weight for c in criteria)
    if total <= 0:
        return {c.id: 0.0 for c in criteria}
    return {c.id: c.weight / total for c in criteria}


# --- checking ------------------------------------------------------------------------------------

def parse_weight(raw: str | float | int | None) -> float:
    """A weight as typed: "2,5" or "2.5" → 2.5; refuses negatives, non-numbers, NaN and infinities."""
    if isinstance(raw, bool):
        raise ServiceError(WEIGHT_MESSAGE, field="weight")
    if isinstance(raw, (int, float)):
        value = float(raw)
    else:
        text = (raw or "").strip().replace(",", ".")
        if not re.fullmatch(r"[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?", text):
            raise ServiceError(WEIGHT_MESSAGE, field="weight")
        value = float(text)
    if not math.isfinite(value) or value < 0:
        raise ServiceError(WEIGHT_MESSAGE, field="weight")
    if value > WEIGHT_MAX:
        raise ServiceError(_l("Enter a weight of at most %(n)d.", n=int(WEIGHT_MAX)), field="weight")
    return value


def check_code(code: str | None) -> str:
    code = (code or "").strip()
    if not code:
        raise ServiceError(_l("Enter a code, for example social-impact."), field="code")
    if len(code) > CODE_MAX:
        raise ServiceError(_l("Use at most %(n)d characters.", n=CODE_MAX), field="code")
    if not CODE_RE.match(code):
        raise ServiceError(
            _l("Use only lower-case letters a–z, digits and dashes, starting with a letter or digit."), field="code")
    return code


@dataclass
class _Clean:
    code: str
    names: object
    kind: str
    weight: float
    position: int | None
    descriptions: dict[str, str]
    levels: list[tuple[str, str, str]]


def _check(plan: Plan, data: CriterionInput, *, current: Criterion | None) -> _Clean:
    """Every field checked before anything changes; the first problem is raised on its field."""
    code = check_code(data.code)
    taken = db.session.scalar(select(Criterion.id).where(Criterion.plan_id == plan.id, Criterion.code == code))
    if taken is not None and (current is None or taken != current.id):
        raise ServiceError(_l("Another criterion of this plan already uses this code."), field="code")
    names = check_names(data.name_ar, data.name_fr, data.name_zgh)
    descriptions = {}
    for lang in LANGS:
        descriptions[lang] = check_text(getattr(data, f"description_{lang}"), f"description_{lang}",
                                        max_length=DESCRIPTION_MAX, required=False) or ""
    if data.kind not in KINDS:
        raise ServiceError(_l("Choose the kind of criterion from the list."), field="kind")
    if data.kind == CriterionKind.SUPPORT:
        other = db.session.scalar(select(Criterion.id).where(
            Criterion.plan_id == plan.id, Criterion.kind == CriterionKind.SUPPORT))
        if other is not None and (current is None or other != current.id):
            raise ServiceError(_l("This plan already has a citizen-support criterion: there can be only one."),
                               field="kind")
    weight = parse_weight(data.weight)
    position = data.position
    if position is not None and not (0 <= position <= POSITION_MAX):
        raise ServiceError(_l("Enter a whole number from 0 to %(n)d.", n=POSITION_MAX), field="position")
    levels = list(data.levels) + [("", "", "")] * (6 - len(data.levels))
    if len(levels) != 6:
        raise ServiceError(_l("A criterion has exactly six levels, 0 to 5."), field="levels")
    cleaned = []
    for level, texts in zip(LEVELS, levels, strict=True):
        row = []
        for lang, text in zip(LANGS, texts, strict=True):
            row.append(check_text(text, f"level{level}_{lang}", max_length=LEVEL_MAX, required=False) or "")
        cleaned.append(tuple(row))
    return _Clean(code, names, data.kind, weight, position, descriptions, cleaned)


def _apply(criterion: Criterion, clean: _Clean) -> None:
    criterion.code = clean.code
    criterion.name_ar, criterion.name_fr, criterion.name_zgh = clean.names.ar, clean.names.fr, clean.names.zgh
    criterion.kind = clean.kind
    criterion.weight = clean.weight
    for lang in LANGS:
        setattr(criterion, f"description_{lang}", clean.descriptions[lang])
    existing = {lv.level: lv for lv in criterion.levels}
    for level, (ar, fr, zgh) in zip(LEVELS, clean.levels, strict=True):
        row = existing.get(level)
        if row is None:
            row = CriterionLevel(level=level)
            criterion.levels.append(row)
        row.text_ar, row.text_fr, row.text_zgh = ar, fr, zgh


def _texts(criterion: Criterion) -> dict:
    return {
        "names": [criterion.name_ar, criterion.name_fr, criterion.name_zgh],
        "descriptions": [criterion.description_ar, criterion.description_fr, criterion.description_zgh],
        "levels": [[lv.text_ar, lv.text_fr, lv.text_zgh] for lv in criterion.levels],
    }


# --- changes -------------------------------------------------------------------------------------

def create(actor: User, plan: Plan, data: CriterionInput) -> Criterion:
    if weights_frozen(plan):
        raise Conflict(FROZEN)
    clean = _check(plan, data, current=None)
    position = clean.position
    if position is None:
        position = db.session.scalar(
            select(func.coalesce(func.max(Criterion.position), -1) + 1).where(Criterion.plan_id == plan.id))
    criterion = Criterion(plan_id=plan.id, position=position)
    _apply(criterion, clean)
    db.session.add(criterion)
    db.session.flush()
    audit.record("committee.criterion_created", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="criterion", target_id=criterion.id,
                 details={"plan": plan.id, "code": criterion.code, "kind": criterion.kind,
                          "old_weight": None, "new_weight": criterion.weight})
    return criterion


def update(actor: User, plan: Plan, criterion_id: int, data: CriterionInput) -> Criterion:
    """Change a criterion. After a round has opened only texts and position may change."""
    criterion = get(plan, criterion_id)
    clean = _check(plan, data, current=criterion)
    if weights_frozen(plan):
        if clean.weight != criterion.weight or clean.kind != criterion.kind:
            raise Conflict(FROZEN)
        if clean.code != criterion.code:
            raise Conflict(_l("The code cannot change once a scoring round has opened: score files use it."))
    before = {"code": criterion.code, "kind": criterion.kind, "weight": criterion.weight,
              "position": criterion.position, **_texts(criterion)}
    _apply(criterion, clean)
    if clean.position is not None:
        criterion.position = clean.position
    db.session.flush()
    after = {"code": criterion.code, "kind": criterion.kind, "weight": criterion.weight,
             "position": criterion.position, **_texts(criterion)}
    changed = sorted(k for k in after if after[k] != before[k])
    audit.record("committee.criterion_changed", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="criterion", target_id=criterion.id,
                 details={"plan": plan.id, "code": criterion.code, "changed": changed,
                          "old_weight": before["weight"], "new_weight": criterion.weight,
                          "old_kind": before["kind"], "new_kind": criterion.kind})
    return criterion


def delete(actor: User, plan: Plan, criterion_id: int) -> None:
    criterion = get(plan, criterion_id)
    if weights_frozen(plan):
        raise Conflict(FROZEN)
    if db.session.scalar(select(exists().where(Score.criterion_id == criterion.id))):
        raise Conflict(_l("Members have scored this criterion: it cannot be deleted."))
    details = {"plan": plan.id, "code": criterion.code, "kind": criterion.kind,
               "old_weight": criterion.weight, "new_weight": None}
    db.session.delete(criterion)
    db.session.flush()
    audit.record("committee.criterion_deleted", actor_id=actor.id, commune_id=plan.commune_id,
                 target_kind="criterion", target_id=criterion_id, details=details)
