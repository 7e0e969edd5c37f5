"""Petitions to the council (organic law 113-14, arts. 121-125): drafting, signatures, filing with
a numbered receipt, associations' petitions, and the bureau's decision.

Rules this module owns (each tested in tests/test_petitions.py):

* Threshold (art. 125): 400 signatures in a commune with arrondissements, else 100 under 35,000
  inhabitants, else 200 (Tetouan). It is fixed on the petition when it opens.
* Signatures: residents of the commune (role resident) who tick the declaration of art. 122.
  One per person: UNIQUE(petition_id, user_id) refuses a second row whatever the timing (the
  insert runs in a savepoint; the loser gets a Conflict). The count moves by UPDATE n = n + 1 in
  the same transaction, and the move to "threshold reached" is a guarded UPDATE (… WHERE state =
  'collecting' AND count >= threshold), so every signatory is notified exactly once.
* CIN (optional): only HMAC-SHA256(key, normalised number) is stored, never the number. The key
  is the environment variable PETITION_CIN_KEY; in development and tests it falls back to a key
  derived from SECRET_KEY (HMAC(SECRET_KEY, "petition-cin")); production refuses to hash without
  PETITION_CIN_KEY. Changing the key makes earlier hashes unmatchable (they only serve to refuse
  a second signature with the same number on one petition).
* Receipt numbers: "<COMMUNE SLUG UPPER-CASED>-<year>-<seq, 4 digits>", e.g. "TETOUAN-2026-0007",
  sequential per commune and calendar year of filing (Africa/Casablanca). Race-safe: the
  commune's row is locked (FOR UPDATE on PostgreSQL; SQLite write transactions begin IMMEDIATE)
  before the next number is read, and UNIQUE(commune_id, receipt_year, receipt_seq) backs it up.
* Associations (art. 123) file in their own name, without signatures, if their verified profile
  shows: founded MORE than 3 years before the filing date (the day after the third anniversary at
  the earliest; a 29 February founding has its anniversary on 28 February in common years); a
  seat or a branch in the commune (the profile's presence, in this commune); and a field of
  activity related to the petition — our rule: the same ActivityField code as the petition's
  field (the association's verification stands for "democratically run, in good standing").
* The bureau's decision: admissible -> referred to a standing committee (required), on the agenda
  of the next ordinary session: sessions open in February, May and October (art. 33), and the
  next one is the first whose first day is AFTER the decision date (15 Nov 2026 -> Feb 2027;
  31 Jan -> Feb of that year; 1 Feb -> May). Refused -> a ground and a reasoned text (required),
  within 3 months of the receipt: deadline = receipt date + 3 calendar months, clamped to the
  month's end (30 Nov -> 28/29 Feb). After the deadline a refusal also needs a written
  explanation of the delay. Every decision is audited; the agent or association and the
  signatories are notified.
"""
from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import (
    ActivityField,
    Association,
    AssociationRepresentative,
    Commune,
    Competence,
    Petition,
    PetitionSignature,
    PetitionState,
    Presence,
    RefusalGround,
    User,
)
from models._base import utcnow
from models.petition import DECIDED_STATES, PUBLIC_STATES, SIGNING_STATES
from services import access, accounts, audit, formatting, notifications
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from services.text import check_text

TITLE_MAX = 150
REQUEST_MAX = 2000
REASONS_MAX = 5000
COMMITTEE_MAX = 200
REFUSAL_MAX = 5000
DELAY_MAX = 2000
TEXT_MIN = 20
SMALL_COMMUNE = 35_000  # inhabitants: under it, 100 signatures
SESSION_MONTHS = (2, 5, 10)  # ordinary sessions of the council (art. 33)
REFUSAL_MONTHS = 3  # the bureau refuses within 3 months of the receipt
ASSOCIATION_YEARS = 3  # an association constituted for more than 3 years

_NOT_FOUND = _l("This petition does not exist or is not public.")


# --- pure rules ---------------------------------------------------------------------------------

def threshold_for(population: int, has_arrondissements: bool) -> int:
    """Signatures a residents' petition needs (art. 125)."""
    if has_arrondissements:
        return 400
    return 100 if population < SMALL_COMMUNE else 200


def commune_threshold(commune: Commune) -> int:
    return threshold_for(commune.population, commune.has_arrondissements)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month (30 Nov + 3 -> 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The anniversary `years` later; 29 February becomes 28 February in a common year."""
    return add_months(day, 12 * years)


def refusal_deadline(filed_on: date) -> date:
    """The last day on which the bureau may refuse without explaining a delay."""
    return add_months(filed_on, REFUSAL_MONTHS)


def next_ordinary_session(decided_on: date) -> tuple[int, int]:
    """(year, month) of the first ordinary session whose first day is after `decided_on`."""
    for year in (decided_on.year, decided_on.year + 1):
        for month in SESSION_MONTHS:
            if date(year, month, 1) > decided_on:
                return year, month
    raise AssertionError("unreachable: February of next year is always after")  # pragma: no cover


def format_receipt(slug: str, year: int, seq: int) -> str:
    return f"{slug.upper()}-{year}-{seq:04d}"


def association_problem(association: Association, commune_id: int, petition_field: str, today: date):
    """Why this association may not file this petition (a translated message), or None."""
    if association.verified_at is None:
        return _l("The association's profile is not verified by the commune.")
    anniversary = add_years(association.founded_on, ASSOCIATION_YEARS)
    if not today > anniversary:
        return _l("The association must have been constituted for more than 3 years: founded on %(founded)s, "
                  "it may file from %(first)s.", founded=formatting.date(association.founded_on),
                  first=formatting.date(date.fromordinal(anniversary.toordinal() + 1)))
    if association.commune_id != commune_id or association.presence not in (Presence.SEAT, Presence.BRANCH):
        return _l("The association must have its seat or a branch in the commune.")
    if association.field != petition_field:
        return _l("The association's field of activity must be related to the petition: its verified profile "
                  "gives another field than the petition's.")
    return None


# --- the national ID number (CIN) -----------------------------------------------------------------

_CIN = re.compile(r"^[A-Z]{1,2}[0-9]{1,7}$")
_CIN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def cin_key() -> bytes:
    return accounts.keyed_secret("PETITION_CIN_KEY", b"petition-cin", required_in_production=True)


def normalize_cin(raw: str | None) -> str | None:
    """Upper case, no spaces or dashes; None if empty; ServiceError if it is not a CIN."""
    value = re.sub(r"[\s\-]", "", (raw or "").translate(_CIN_DIGITS)).upper()
    if not value:
        return None
    if not _CIN.match(value):
        raise ServiceError(_l("Enter the national ID number as on the card: one or two letters then digits, "
                              "for example AB123456."), field="cin")
    return value


def hash_cin(raw: str | None) -> str | None:
    value = normalize_cin(raw)
    if value is None:
        return None
    return hmac.new(cin_key(), value.encode("ascii"), hashlib.sha256).hexdigest()


# --- reading ----------------------------------------------------------------------------------------

def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and getattr(viewer, "is_authenticated", False) else None


def get_visible(petition_id: int, commune_id: int, viewer: User | None) -> Petition:
    """A public petition of this commune, or the viewer's own draft (or their association's)."""
    petition = db.session.get(Petition, petition_id)
    if petition is None or petition.commune_id != commune_id:
        raise NotFound(_NOT_FOUND)
    if petition.is_public:
        return petition
    uid = _viewer_id(viewer)
    if uid is not None and (petition.author_id == uid or (
            petition.association is not None and access.can_act_for(viewer, petition.association))):
        return petition
    raise NotFound(_NOT_FOUND)


def _locked(petition_id: int, commune_id: int) -> Petition:
    """The petition, re-read with its row locked (PostgreSQL; SQLite already holds the write lock)."""
    petition = db.session.scalar(
        select(Petition).where(Petition.id == petition_id).with_for_update()
        .execution_options(populate_existing=True))
    if petition is None or petition.commune_id != commune_id:
        raise NotFound(_NOT_FOUND)
    return petition


def public_list(commune_id: int, state: str | None = None):
    """The select of public petitions (newest first), optionally of one state."""
    stmt = select(Petition).where(Petition.commune_id == commune_id, Petition.state.in_(PUBLIC_STATES))
    if state in PUBLIC_STATES:
        stmt = stmt.where(Petition.state == state)
    return stmt.order_by(Petition.id.desc())


def own_drafts(user: User | None, commune_id: int) -> list[Petition]:
    uid = _viewer_id(user)
    if uid is None:
        return []
    return list(db.session.scalars(select(Petition).where(
        Petition.commune_id == commune_id, Petition.author_id == uid, Petition.state == PetitionState.DRAFT)
        .order_by(Petition.id.desc())))


def agenda(commune_id: int) -> list[tuple[tuple[int, int], list[Petition]]]:
    """Admissible petitions grouped by ordinary session, latest session first."""
    petitions = db.session.scalars(select(Petition).where(
        Petition.commune_id == commune_id, Petition.state == PetitionState.ADMISSIBLE)
        .order_by(Petition.session_year.desc(), Petition.session_month.desc(), Petition.receipt_year,
                  Petition.receipt_seq))
    groups: dict[tuple[int, int], list[Petition]] = {}
    for petition in petitions:
        groups.setdefault((petition.session_year, petition.session_month), []).append(petition)
    return list(groups.items())


def has_signed(user_id: int | None, petition_id: int) -> bool:
    if user_id is None:
        return False
    return db.session.scalar(select(PetitionSignature.id).where(
        PetitionSignature.petition_id == petition_id, PetitionSignature.user_id == user_id)) is not None


@dataclass(frozen=True)
class FiledItem:
    petition: Petition
    deadline: date
    days_left: int  # negative when overdue

    @property
    def overdue(self) -> bool:
        return self.petition.state == PetitionState.FILED and self.days_left < 0


def deadline_item(petition: Petition, today: date) -> FiledItem:
    deadline = refusal_deadline(petition.filed_on)
    return FiledItem(petition, deadline, (deadline - today).days)


def bureau_files(commune_id: int, today: date) -> tuple[list[FiledItem], list[FiledItem]]:
    """(waiting for a decision, oldest first; decided, newest first) for the bureau's list."""
    waiting = db.session.scalars(select(Petition).where(
        Petition.commune_id == commune_id, Petition.state == PetitionState.FILED)
        .order_by(Petition.filed_on, Petition.id))
    decided = db.session.scalars(select(Petition).where(
        Petition.commune_id == commune_id, Petition.state.in_(DECIDED_STATES))
        .order_by(Petition.decided_at.desc(), Petition.id.desc()).limit(100))
    return [deadline_item(p, today) for p in waiting], [deadline_item(p, today) for p in decided]


def overdue_count(commune_id: int, today: date) -> int:
    """Filed petitions still undecided after their refusal deadline (compared in Python: the
    month-end clamping is not one SQL expression on both backends)."""
    filed_days = db.session.scalars(select(Petition.filed_on).where(
        Petition.commune_id == commune_id, Petition.state == PetitionState.FILED))
    return sum(1 for filed_on in filed_days if refusal_deadline(filed_on) < today)


# --- drafting ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PetitionInput:
    title: str | None
    request: str | None
    reasons: str | None
    competence: str | None
    field: str | None
    association_id: int | None = None


def _check(data: PetitionInput, user: User, commune_id: int) -> dict:
    values = {
        "title": check_text(data.title, "title", max_length=TITLE_MAX,
                            required_message=_l("Give the petition a title.")),
        "request": check_text(data.request, "request", max_length=REQUEST_MAX, min_length=TEXT_MIN,
                              required_message=_l("Write what the council should put on its agenda."),
                              too_short_message=_l("Write at least %(n)d characters.", n=TEXT_MIN)),
        "reasons": check_text(data.reasons, "reasons", max_length=REASONS_MAX, min_length=TEXT_MIN,
                              required_message=_l("Explain the reasons for the petition."),
                              too_short_message=_l("Write at least %(n)d characters.", n=TEXT_MIN)),
    }
    if data.competence not in [c.value for c in Competence]:
        raise ServiceError(_l("Choose the council competence the petition concerns."), field="competence")
    if data.field not in [f.value for f in ActivityField]:
        raise ServiceError(_l("Choose the field the petition concerns."), field="field")
    values["competence"], values["field"] = data.competence, data.field
    values["association_id"] = None
    if data.association_id is not None:
        if not any(a.id == data.association_id for a in access.represented_associations(user, commune_id)):
            raise NotAllowed(_l("You do not represent this association."), field="association_id")
        values["association_id"] = data.association_id
    return values


def create_draft(user: User, commune: Commune, data: PetitionInput) -> Petition:
    if not access.can(user, "petition.draft", commune.id):
        raise NotAllowed(_l("Only residents and associations of this commune can draft petitions."))
    values = _check(data, user, commune.id)
    petition = Petition(commune_id=commune.id, author_id=user.id, state=PetitionState.DRAFT,
                        agent_id=None if values["association_id"] else user.id, **values)
    db.session.add(petition)
    db.session.flush()
    return petition


def _own_draft(user: User, petition: Petition) -> None:
    if not access.can_edit_petition(user, petition):
        if petition.author_id != _viewer_id(user):
            raise NotAllowed(_l("Only the author of a draft petition can change it."))
        raise Conflict(_l("This petition is no longer a draft: it cannot be changed."))


def update_draft(user: User, petition: Petition, data: PetitionInput) -> Petition:
    _own_draft(user, petition)
    values = _check(data, user, petition.commune_id)
    for name, value in values.items():
        setattr(petition, name, value)
    petition.agent_id = None if values["association_id"] else (petition.agent_id or user.id)
    petition.updated_at = utcnow()
    db.session.flush()
    return petition


def open_for_signatures(user: User, petition: Petition, commune: Commune) -> Petition:
    _own_draft(user, petition)
    if petition.by_association:
        raise Conflict(_l("An association's petition needs no signatures: file it in the association's name."))
    petition.state = PetitionState.COLLECTING
    petition.threshold = commune_threshold(commune)
    petition.opened_at = petition.updated_at = utcnow()
    db.session.flush()
    return petition


def withdraw(user: User, petition: Petition) -> Petition:
    _own_draft(user, petition)
    petition.state = PetitionState.WITHDRAWN
    petition.withdrawn_at = petition.updated_at = utcnow()
    db.session.flush()
    return petition


# --- signatures ---------------------------------------------------------------------------------------

def _signatory_ids(petition_id: int) -> list[int]:
    return list(db.session.scalars(select(PetitionSignature.user_id).where(
        PetitionSignature.petition_id == petition_id, PetitionSignature.user_id.is_not(None))
        .order_by(PetitionSignature.id)))


def _params(petition: Petition, **extra) -> dict:
    return {"petition_id": petition.id, "title": petition.title, **extra}


def sign(user: User, petition_id: int, commune_id: int, *, declared: bool, cin: str | None = None) -> Petition:
    if not access.can(user, "petition.sign", commune_id):
        raise NotAllowed(_l("Only residents of this commune can sign its petitions."))
    petition = _locked(petition_id, commune_id)
    if not petition.is_public:
        raise NotFound(_NOT_FOUND)
    if petition.state not in SIGNING_STATES:
        raise Conflict(_l("This petition is not collecting signatures."))
    if not declared:
        raise ServiceError(_l("Tick the declaration: only people who meet these conditions may sign."),
                           field="declaration")
    cin_hash = hash_cin(cin)
    try:
        with db.session.begin_nested():
            db.session.add(PetitionSignature(petition_id=petition.id, user_id=user.id, cin_hash=cin_hash))
    except IntegrityError:
        if has_signed(user.id, petition.id):
            raise Conflict(_l("You have already signed this petition.")) from None
        raise Conflict(_l("This national ID number has already signed this petition."), field="cin") from None
    db.session.execute(update(Petition).where(Petition.id == petition.id)
                       .values(signature_count=Petition.signature_count + 1))
    reached = db.session.execute(
        update(Petition).where(Petition.id == petition.id, Petition.state == PetitionState.COLLECTING,
                               Petition.signature_count >= Petition.threshold)
        .values(state=PetitionState.THRESHOLD_REACHED, threshold_reached_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(petition)
    if reached:
        for uid in _signatory_ids(petition.id):
            notifications.notify(uid, "petition_threshold", commune_id=commune_id, **_params(petition))
    return petition


def name_agent(user: User, petition: Petition, identifier: str | None) -> User:
    """The author names the agent: a person who has signed (found by e-mail or phone)."""
    if petition.author_id != _viewer_id(user):
        raise NotAllowed(_l("Only the author of the petition names its agent."))
    if petition.by_association or petition.state not in SIGNING_STATES:
        raise Conflict(_l("The agent can only be named while the petition collects signatures."))
    from services.communes import find_account

    raw = (identifier or "").strip()
    if not raw:
        raise ServiceError(_l("Enter the e-mail address or phone number of the agent's account."),
                           field="identifier")
    try:
        agent = find_account(raw)
    except ServiceError as exc:
        raise ServiceError(exc.message, field="identifier") from None
    if not has_signed(agent.id, petition.id):
        raise ServiceError(_l("The agent must be one of the signatories: this person has not signed the petition."),
                           field="identifier")
    petition.agent_id = agent.id
    petition.updated_at = utcnow()
    db.session.flush()
    if agent.id != user.id:
        notifications.notify(agent.id, "petition_agent", commune_id=petition.commune_id, **_params(petition))
    return agent


# --- filing -------------------------------------------------------------------------------------------

def _next_receipt(commune: Commune, year: int) -> int:
    db.session.execute(select(Commune.id).where(Commune.id == commune.id).with_for_update())
    last = db.session.scalar(select(func.max(Petition.receipt_seq)).where(
        Petition.commune_id == commune.id, Petition.receipt_year == year))
    return (last or 0) + 1


def file(user: User, petition_id: int, commune: Commune, *, today: date) -> Petition:
    """The agent (or the association's representative) files the petition: dated, numbered receipt."""
    petition = _locked(petition_id, commune.id)
    if petition.state in (PetitionState.FILED, *DECIDED_STATES):
        raise Conflict(_l("This petition was already filed."))
    if petition.state == PetitionState.WITHDRAWN:
        raise Conflict(_l("This petition was withdrawn."))
    if petition.by_association:
        association = petition.association
        if not access.can_act_for(user, association):
            raise NotAllowed(_l("Only a representative of the association can file its petition."))
        if petition.state != PetitionState.DRAFT:  # pragma: no cover - association petitions never open
            raise Conflict(_l("This petition cannot be filed now."))
        problem = association_problem(association, commune.id, petition.field, today)
        if problem is not None:
            raise Conflict(problem)
    else:
        if petition.agent_id is None or petition.agent_id != _viewer_id(user):
            raise NotAllowed(_l("Only the petition's agent can file it."))
        if petition.state not in SIGNING_STATES or petition.signature_count < (petition.threshold or 0):
            raise Conflict(_l("The petition cannot be filed before it has %(n)s signatures.",
                              n=formatting.number(petition.threshold or commune_threshold(commune))))
        if not has_signed(user.id, petition.id):
            raise Conflict(_l("The agent must be one of the signatories: sign the petition before filing it."))
    seq = _next_receipt(commune, today.year)
    petition.receipt_year, petition.receipt_seq = today.year, seq
    petition.receipt_number = format_receipt(commune.slug, today.year, seq)
    petition.state = PetitionState.FILED
    petition.filed_on, petition.filed_at, petition.filed_by_id = today, utcnow(), user.id
    petition.updated_at = petition.filed_at
    db.session.flush()
    audit.record("petition.filed", actor_id=user.id, commune_id=commune.id, target_kind="petition",
                 target_id=petition.id, details={"number": petition.receipt_number})
    for uid in _signatory_ids(petition.id):
        notifications.notify(uid, "petition_filed", commune_id=commune.id,
                             **_params(petition, number=petition.receipt_number))
    return petition


# --- the bureau's decision ----------------------------------------------------------------------------

def _to_decide(petition_id: int, commune_id: int) -> Petition:
    petition = _locked(petition_id, commune_id)
    if petition.state in DECIDED_STATES:
        raise Conflict(_l("The bureau has already decided on this petition."))
    if petition.state != PetitionState.FILED:
        raise Conflict(_l("Only a filed petition can be decided."))
    return petition


def _answered(petition: Petition, outcome: str) -> None:
    people = [petition.agent_id] if petition.agent_id else []
    if petition.association_id is not None:
        people += list(db.session.scalars(select(AssociationRepresentative.user_id).where(
            AssociationRepresentative.association_id == petition.association_id)))
    people += _signatory_ids(petition.id)
    for uid in dict.fromkeys(people):  # once each, in order
        notifications.notify(uid, "petition_answered", commune_id=petition.commune_id,
                             **_params(petition, outcome=outcome, number=petition.receipt_number))


def decide_admissible(actor: User, petition_id: int, commune_id: int, committee: str | None, *,
                      today: date) -> Petition:
    if not access.can(actor, "petition.decide", commune_id):
        raise NotAllowed(_l("Only the council's bureau decides on petitions."))
    petition = _to_decide(petition_id, commune_id)
    committee = check_text(committee, "committee", max_length=COMMITTEE_MAX,
                           required_message=_l("Name the standing committee the petition is referred to."))
    petition.state = PetitionState.ADMISSIBLE
    petition.committee = committee
    petition.session_year, petition.session_month = next_ordinary_session(today)
    petition.decided_on, petition.decided_at, petition.decided_by_id = today, utcnow(), actor.id
    petition.updated_at = petition.decided_at
    db.session.flush()
    audit.record("petition.admissible", actor_id=actor.id, commune_id=commune_id, target_kind="petition",
                 target_id=petition.id, details={"number": petition.receipt_number, "committee": committee,
                                                 "session": f"{petition.session_year}-{petition.session_month:02d}"})
    _answered(petition, "admissible")
    return petition


def decide_refused(actor: User, petition_id: int, commune_id: int, *, ground: str | None, reasons: str | None,
                   delay_explanation: str | None = None, today: date) -> Petition:
    if not access.can(actor, "petition.decide", commune_id):
        raise NotAllowed(_l("Only the council's bureau decides on petitions."))
    petition = _to_decide(petition_id, commune_id)
    if ground not in [g.value for g in RefusalGround]:
        raise ServiceError(_l("Choose the ground of the refusal."), field="ground")
    reasons = check_text(reasons, "reasons", max_length=REFUSAL_MAX, min_length=TEXT_MIN,
                         required_message=_l("Give the reasons for the refusal: a refusal must be reasoned."),
                         too_short_message=_l("Write at least %(n)d characters.", n=TEXT_MIN))
    deadline = refusal_deadline(petition.filed_on)
    late = today > deadline
    explanation = check_text(delay_explanation, "delay_explanation", max_length=DELAY_MAX, required=late,
                             required_message=_l("The three-month deadline passed on %(date)s: explain the delay "
                                                 "in writing.", date=formatting.date(deadline)))
    petition.state = PetitionState.REFUSED
    petition.refusal_ground, petition.refusal_text = ground, reasons
    petition.delay_explanation = explanation if late else None
    petition.decided_on, petition.decided_at, petition.decided_by_id = today, utcnow(), actor.id
    petition.updated_at = petition.decided_at
    db.session.flush()
    audit.record("petition.refused", actor_id=actor.id, commune_id=commune_id, target_kind="petition",
                 target_id=petition.id, details={"number": petition.receipt_number, "ground": ground,
                                                 "late": late})
    _answered(petition, "refused")
    return petition


# --- personal data (services/personal_data.py: download my data, delete my account, retention) -------

def _iso(value) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="seconds") + "Z" if hasattr(value, "hour") else value.isoformat()


def export_of(user: User) -> dict:
    """The petitions the person wrote, follows as agent or filed, and their own signatures (with date)."""
    mine = list(db.session.scalars(select(Petition).where(
        (Petition.author_id == user.id) | (Petition.agent_id == user.id) | (Petition.filed_by_id == user.id))
        .order_by(Petition.id)))
    signed = db.session.execute(select(PetitionSignature, Petition.title).join(Petition)
                                .where(PetitionSignature.user_id == user.id).order_by(PetitionSignature.id)).all()
    return {
        "petitions": [{
            "id": p.id, "title": p.title, "request": p.request, "reasons": p.reasons, "competence": p.competence,
            "field": p.field, "state": p.state, "author": p.author_id == user.id, "agent": p.agent_id == user.id,
            "filed_by_me": p.filed_by_id == user.id, "association": p.association.name if p.association else None,
            "signatures": p.signature_count, "receipt_number": p.receipt_number, "filed_on": _iso(p.filed_on),
            "created_at": _iso(p.created_at),
        } for p in mine],
        "signatures": [{"petition_id": s.petition_id, "petition_title": title, "signed_at": _iso(s.created_at),
                        "national_id_given": s.cin_hash is not None} for s, title in signed],
    }


def delete_of(user: User, remove_content: bool) -> None:  # noqa: ARG001 - petitions are public acts
    """On account deletion: signatures still count but are no longer anyone's (the CIN fingerprint
    goes too); petitions keep their text, author and agent unlinked; drafts never public are deleted."""
    db.session.execute(update(PetitionSignature).where(PetitionSignature.user_id == user.id)
                       .values(user_id=None, cin_hash=None))
    private = select(Petition.id).where(Petition.author_id == user.id,
                                        Petition.state.in_((PetitionState.DRAFT, PetitionState.WITHDRAWN)))
    for petition in db.session.scalars(select(Petition).where(Petition.id.in_(private))):
        db.session.delete(petition)
    db.session.flush()
    db.session.execute(update(Petition).where(Petition.author_id == user.id).values(author_id=None))
    db.session.execute(update(Petition).where(Petition.agent_id == user.id).values(agent_id=None))
    db.session.execute(update(Petition).where(Petition.filed_by_id == user.id).values(filed_by_id=None))


def purge_signature_links(periods) -> int:
    """Once the bureau decided (or a draft was withdrawn) longer ago than the period, signatures are
    no longer linked to people (nor to a CIN fingerprint): they still count."""
    count = 0
    for cutoff, ids in periods.groups():
        closed = select(Petition.id).where(Petition.commune_id.in_(ids), (
            (Petition.state.in_(DECIDED_STATES) & (Petition.decided_at < cutoff))
            | ((Petition.state == PetitionState.WITHDRAWN) & (Petition.withdrawn_at < cutoff))))
        count += db.session.execute(update(PetitionSignature).where(
            PetitionSignature.petition_id.in_(closed),
            (PetitionSignature.user_id.is_not(None)) | (PetitionSignature.cin_hash.is_not(None)))
            .values(user_id=None, cin_hash=None).execution_options(synchronize_session=False)).rowcount
    return count


def _register_personal_data() -> None:
    try:
        from services import personal_data
    except ImportError:  # pragma: no cover - the personal-data area is optional
        return
    personal_data.register_exporter("petitions", export_of)
    personal_data.register_deleter("petitions", delete_of)
    personal_data.register_retention(
        "petition_signatures", label=_l("Link between petition signatures and the people who signed"),
        default_months=12, minimum=1, maximum=120, purge=purge_signature_links,
        hint=_l("Counted from the bureau's decision; the signatures keep counting."))


_register_personal_data()
