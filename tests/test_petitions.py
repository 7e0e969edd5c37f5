"""Petitions to the council (services.petitions): the rules of arts. 121-125, without HTTP.

Thresholds by commune type, deadlines and sessions around year ends and leap years, signatures
(one per person, race-safe, CIN kept only as a keyed hash), receipt numbering, associations'
conditions, and the bureau's decisions with their notifications and audit entries.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, Notification, Petition, PetitionSignature
from services import petitions
from services.errors import Conflict, NotAllowed, NotFound, ServiceError
from tests.conftest import make_association, make_user
from tests.test_concurrency import residents, run_together

TODAY = date(2026, 3, 10)
TEXT = "Aménager un passage piéton sécurisé devant l'école du quartier."
REASONS = "Les enfants traversent une route rapide sans feu ni passage protégé chaque matin."


def draft_input(**changes) -> petitions.PetitionInput:
    values = dict(title="Un passage piéton devant l'école", request=TEXT, reasons=REASONS, competence="own",
                  field="education", association_id=None)
    values.update(changes)
    return petitions.PetitionInput(**values)


def open_petition(commune, author, threshold=None) -> Petition:
    petition = petitions.create_draft(author, commune, draft_input())
    petitions.open_for_signatures(author, petition, commune)
    if threshold is not None:  # a small threshold keeps the tests fast; the rule itself is tested below
        petition.threshold = threshold
    db.session.commit()
    return petition


def sign(user, petition, **kw):
    result = petitions.sign(user, petition.id, petition.commune_id, declared=kw.pop("declared", True), **kw)
    db.session.commit()
    return result


def kinds(user_id) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user_id)
                                   .order_by(Notification.id)))


def filed(commune, author, others=(), today=TODAY) -> Petition:
    """A petition signed by the author and `others` (threshold = their number), filed by the author."""
    petition = open_petition(commune, author, threshold=1 + len(others))
    for person in (author, *others):
        sign(person, petition)
    petitions.file(author, petition.id, commune, today=today)
    db.session.commit()
    return petition


@pytest.fixture()
def people(commune):
    return {
        "author": make_user(commune, name="Amina"),
        "a": make_user(commune, name="Brahim", email="brahim@example.org"),
        "b": make_user(commune, name="Chama"),
        "bureau": make_user(commune, ("bureau",), name="Bureau"),
    }


# --- pure rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("population", "arrondissements", "expected"), [
    (34_999, False, 100), (35_000, False, 200), (380_787, False, 200), (1_000, True, 400), (3_000_000, True, 400),
])
def test_threshold_by_commune_type(population, arrondissements, expected):
    assert petitions.threshold_for(population, arrondissements) == expected


def test_tetouan_needs_200_signatures(commune):
    assert petitions.commune_threshold(commune) == 200


@pytest.mark.parametrize(("filed_on", "deadline"), [
    (date(2026, 11, 30), date(2027, 2, 28)),  # clamped to the end of February
    (date(2027, 11, 30), date(2028, 2, 29)),  # leap year
    (date(2026, 11, 29), date(2027, 2, 28)),
    (date(2026, 10, 31), date(2027, 1, 31)),  # across the year end
    (date(2026, 3, 31), date(2026, 6, 30)),
    (date(2026, 1, 15), date(2026, 4, 15)),
])
def test_refusal_deadline_is_three_calendar_months_clamped(filed_on, deadline):
    assert petitions.refusal_deadline(filed_on) == deadline


@pytest.mark.parametrize(("decided_on", "session"), [
    (date(2026, 11, 15), (2027, 2)),
    (date(2026, 1, 31), (2026, 2)),
    (date(2026, 2, 1), (2026, 5)),  # the session's first day is not after the decision
    (date(2026, 4, 30), (2026, 5)),
    (date(2026, 5, 1), (2026, 10)),
    (date(2026, 9, 30), (2026, 10)),
    (date(2026, 10, 1), (2027, 2)),
    (date(2026, 12, 31), (2027, 2)),
    (date(2028, 2, 29), (2028, 5)),
])
def test_next_ordinary_session(decided_on, session):
    assert petitions.next_ordinary_session(decided_on) == session


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_next_session_is_the_first_session_after_the_decision(day):
    year, month = petitions.next_ordinary_session(day)
    first = date(year, month, 1)
    assert first > day and month in (2, 5, 10)
    between = [date(y, m, 1) for y in (day.year, day.year + 1) for m in (2, 5, 10) if day < date(y, m, 1) < first]
    assert between == []


def test_anniversary_of_29_february_is_28_february_in_common_years():
    assert petitions.add_years(date(2020, 2, 29), 3) == date(2023, 2, 28)
    assert petitions.add_years(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert petitions.add_years(date(2021, 3, 1), 3) == date(2024, 3, 1)


def test_receipt_format():
    assert petitions.format_receipt("tetouan", 2026, 7) == "TETOUAN-2026-0007"


# --- the CIN ---------------------------------------------------------------------------------------

def test_cin_is_normalised_and_hashed_with_the_key(app, monkeypatch):
    monkeypatch.setenv("PETITION_CIN_KEY", "a-key-from-the-environment")
    expected = hmac.new(b"a-key-from-the-environment", b"AB123456", hashlib.sha256).hexdigest()
    assert petitions.hash_cin(" ab 123-456 ") == expected
    monkeypatch.delenv("PETITION_CIN_KEY")
    derived = hmac.new(b"testing-only-key", b"petition-cin", hashlib.sha256).digest()
    assert petitions.hash_cin("AB123456") == hmac.new(derived, b"AB123456", hashlib.sha256).hexdigest()
    assert petitions.hash_cin("") is None


@pytest.mark.parametrize("raw", ["123456", "ABC12345", "AB-12X", "<b>AB1</b>"])
def test_bad_cin_is_refused(app, raw):
    with pytest.raises(ServiceError) as err:
        petitions.hash_cin(raw)
    assert err.value.field == "cin"


def test_production_needs_its_own_cin_key(app, monkeypatch):
    monkeypatch.delenv("PETITION_CIN_KEY", raising=False)
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    with pytest.raises(RuntimeError, match="PETITION_CIN_KEY"):
        petitions.hash_cin("AB123456")


# --- drafting --------------------------------------------------------------------------------------

def test_draft_names_its_author_as_agent(commune, people):
    petition = petitions.create_draft(people["author"], commune, draft_input())
    db.session.commit()
    assert (petition.state, petition.agent_id, petition.threshold, petition.is_public) == (
        "draft", people["author"].id, None, False)
    with pytest.raises(NotFound):
        petitions.get_visible(petition.id, commune.id, people["a"])
    assert petitions.get_visible(petition.id, commune.id, people["author"]) is petition


@pytest.mark.parametrize(("change", "field"), [
    ({"title": ""}, "title"), ({"title": "x" * 151}, "title"), ({"title": "<script>x</script>"}, "title"),
    ({"request": ""}, "request"), ({"request": "trop court"}, "request"), ({"request": "y" * 2001}, "request"),
    ({"request": TEXT + " javascript:alert(1)"}, "request"), ({"reasons": ""}, "reasons"),
    ({"reasons": "z" * 5001}, "reasons"), ({"reasons": REASONS + "\u202e"}, "reasons"),
    ({"competence": "everything"}, "competence"), ({"field": "nonsense"}, "field"), ({"field": None}, "field"),
])
def test_bad_draft_is_refused_and_nothing_stored(commune, people, change, field):
    with pytest.raises(ServiceError) as err:
        petitions.create_draft(people["author"], commune, draft_input(**change))
    assert err.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Petition)) == 0


def test_draft_for_an_association_one_does_not_represent(commune, people):
    association = make_association(commune, None)
    with pytest.raises(NotAllowed):
        petitions.create_draft(people["author"], commune, draft_input(association_id=association.id))


def test_only_the_author_changes_a_draft_and_only_while_a_draft(commune, people):
    petition = petitions.create_draft(people["author"], commune, draft_input())
    with pytest.raises(NotAllowed):
        petitions.update_draft(people["a"], petition, draft_input(title="Autre titre"))
    petitions.update_draft(people["author"], petition, draft_input(title="Un meilleur titre"))
    assert petition.title == "Un meilleur titre"
    petitions.open_for_signatures(people["author"], petition, commune)
    assert (petition.state, petition.threshold) == ("collecting", 200)
    with pytest.raises(Conflict):
        petitions.update_draft(people["author"], petition, draft_input(title="Trop tard"))
    with pytest.raises(Conflict):
        petitions.withdraw(people["author"], petition)


def test_a_draft_can_be_withdrawn(commune, people):
    petition = petitions.create_draft(people["author"], commune, draft_input())
    petitions.withdraw(people["author"], petition)
    assert petition.state == "withdrawn" and petition.withdrawn_at is not None
    assert list(db.session.scalars(petitions.public_list(commune.id))) == []


# --- signatures ------------------------------------------------------------------------------------

def test_signing_counts_once(commune, people):
    petition = open_petition(commune, people["author"])
    sign(people["a"], petition)
    with pytest.raises(Conflict, match="already signed"):
        petitions.sign(people["a"], petition.id, commune.id, declared=True)
    db.session.rollback()
    assert db.session.get(Petition, petition.id).signature_count == 1
    assert db.session.scalar(select(func.count()).select_from(PetitionSignature)) == 1


def test_signing_needs_the_declaration(commune, people):
    petition = open_petition(commune, people["author"])
    with pytest.raises(ServiceError) as err:
        petitions.sign(people["a"], petition.id, commune.id, declared=False)
    assert err.value.field == "declaration"
    assert petition.signature_count == 0


def test_only_residents_sign(commune, people):
    petition = open_petition(commune, people["author"])
    for roles in (("association",), ("moderator",), ("bureau",)):
        with pytest.raises(NotAllowed):
            petitions.sign(make_user(commune, roles), petition.id, commune.id, declared=True)


def test_a_resident_of_another_commune_cannot_sign(app, commune, people):
    from services import demo

    other, _ = demo.create_commune(slug="martil")
    outsider = make_user(other, name="Outsider")
    petition = open_petition(commune, people["author"])
    with pytest.raises(NotAllowed):
        petitions.sign(outsider, petition.id, commune.id, declared=True)


def test_signing_a_draft_or_a_closed_petition_is_refused(commune, people):
    draft = petitions.create_draft(people["author"], commune, draft_input())
    db.session.commit()
    with pytest.raises(NotFound):
        petitions.sign(people["a"], draft.id, commune.id, declared=True)
    done = filed(commune, people["author"])
    with pytest.raises(Conflict, match="not collecting"):
        petitions.sign(people["a"], done.id, commune.id, declared=True)
    done.state = "admissible"
    with pytest.raises(Conflict, match="not collecting"):
        petitions.sign(people["a"], done.id, commune.id, declared=True)


def test_cin_is_stored_only_as_a_hash_and_used_once(commune, people):
    petition = open_petition(commune, people["author"])
    sign(people["a"], petition, cin="ab123456")
    stored = db.session.scalar(select(PetitionSignature.cin_hash))
    assert stored == petitions.hash_cin("AB123456") and "123456" not in stored
    with pytest.raises(Conflict) as err:
        petitions.sign(people["b"], petition.id, commune.id, declared=True, cin="AB 123456")
    assert err.value.field == "cin"
    db.session.rollback()
    assert db.session.get(Petition, petition.id).signature_count == 1


def test_reaching_the_threshold_notifies_every_signatory_once(commune, people):
    petition = open_petition(commune, people["author"], threshold=2)
    sign(people["a"], petition)
    assert petition.state == "collecting" and kinds(people["a"].id) == []
    sign(people["b"], petition)
    assert (petition.state, petition.signature_count) == ("threshold_reached", 2)
    assert petition.threshold_reached_at is not None
    sign(people["author"], petition)  # a signature after the threshold: still open, nobody notified again
    assert petition.signature_count == 3
    assert kinds(people["a"].id) == ["petition_threshold"]
    assert kinds(people["b"].id) == ["petition_threshold"]
    assert kinds(people["author"].id) == []
    params = json.loads(db.session.scalar(select(Notification.params).where(Notification.user_id == people["a"].id)))
    assert params == {"petition_id": petition.id, "title": petition.title}


def test_concurrent_signatures_of_one_person_count_once(app, commune, people):
    petition = open_petition(commune, people["author"], threshold=50)
    from models import User

    uid, pid, cid = people["a"].id, petition.id, commune.id
    results = run_together(app, [lambda: petitions.sign(db.session.get(User, uid), pid, cid, declared=True)
                                 for _ in range(8)])
    assert results.count("ok") == 1 and results.count("Conflict") == 7
    db.session.expire_all()
    assert db.session.get(Petition, pid).signature_count == 1


def test_concurrent_signatures_of_many_people_all_count(app, commune, people):
    from models import User

    petition = open_petition(commune, people["author"], threshold=10)
    ids = residents(commune, 12, prefix="signer")
    pid, cid = petition.id, commune.id
    results = run_together(app, [lambda uid=uid: petitions.sign(db.session.get(User, uid), pid, cid, declared=True)
                                 for uid in ids])
    assert results == ["ok"] * 12
    db.session.expire_all()
    stored = db.session.get(Petition, pid)
    assert (stored.signature_count, stored.state) == (12, "threshold_reached")
    # exactly the ten who had signed when the count reached the threshold, once each
    first_ten = list(db.session.scalars(select(PetitionSignature.user_id).order_by(PetitionSignature.id).limit(10)))
    notified = list(db.session.scalars(select(Notification.user_id).where(Notification.kind == "petition_threshold")))
    assert sorted(notified) == sorted(first_ten)


# --- the agent -------------------------------------------------------------------------------------

def test_the_agent_must_have_signed(commune, people):
    petition = open_petition(commune, people["author"])
    with pytest.raises(ServiceError) as err:
        petitions.name_agent(people["author"], petition, people["a"].email)
    assert err.value.field == "identifier" and petition.agent_id == people["author"].id
    with pytest.raises(ServiceError) as err:
        petitions.name_agent(people["author"], petition, "nobody@example.org")
    assert err.value.field == "identifier"
    sign(people["a"], petition)
    with pytest.raises(NotAllowed):
        petitions.name_agent(people["b"], petition, people["a"].email)
    petitions.name_agent(people["author"], petition, people["a"].email.upper())
    assert petition.agent_id == people["a"].id
    assert kinds(people["a"].id) == ["petition_agent"]


# --- filing ----------------------------------------------------------------------------------------

def test_filing_before_the_threshold_is_refused(commune, people):
    petition = open_petition(commune, people["author"], threshold=2)
    sign(people["author"], petition)
    with pytest.raises(Conflict, match="2 signatures"):
        petitions.file(people["author"], petition.id, commune, today=TODAY)
    assert petition.receipt_number is None


def test_only_the_agent_files(commune, people):
    petition = open_petition(commune, people["author"], threshold=1)
    sign(people["a"], petition)
    with pytest.raises(NotAllowed):
        petitions.file(people["a"], petition.id, commune, today=TODAY)


def test_the_agent_must_be_a_signatory_to_file(commune, people):
    petition = open_petition(commune, people["author"], threshold=1)
    sign(people["a"], petition)
    with pytest.raises(Conflict, match="signatories"):
        petitions.file(people["author"], petition.id, commune, today=TODAY)


def test_filing_gives_a_numbered_dated_receipt_and_tells_the_signatories(commune, people):
    petition = filed(commune, people["author"], [people["a"]])
    assert (petition.state, petition.receipt_number, petition.filed_on, petition.filed_by_id) == (
        "filed", "TETOUAN-2026-0001", TODAY, people["author"].id)
    assert kinds(people["a"].id) == ["petition_threshold", "petition_filed"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "petition.filed"))
    assert (entry.target_id, json.loads(entry.details)) == (petition.id, {"number": "TETOUAN-2026-0001"})
    with pytest.raises(Conflict, match="already filed"):
        petitions.file(people["author"], petition.id, commune, today=TODAY)


def test_receipt_numbers_are_sequential_per_commune_and_year(commune, people):
    from services import demo

    first = filed(commune, people["author"])
    second = filed(commune, people["author"], today=TODAY + timedelta(days=30))
    next_year = filed(commune, people["author"], today=date(2027, 1, 2))
    other, _ = demo.create_commune(slug="martil")
    outsider = make_user(other, name="Martil resident")
    elsewhere = filed(other, outsider)
    assert [p.receipt_number for p in (first, second, next_year, elsewhere)] == [
        "TETOUAN-2026-0001", "TETOUAN-2026-0002", "TETOUAN-2027-0001", "MARTIL-2026-0001"]


def test_concurrent_filings_get_distinct_numbers(app, commune, people):
    from models import User

    ids = residents(commune, 6, prefix="agent")
    made = []
    for uid in ids:
        person = db.session.get(User, uid)
        petition = open_petition(commune, person, threshold=1)
        sign(person, petition)
        made.append((uid, petition.id))
    commune_id = commune.id

    def job(uid, pid):
        from models import Commune

        petitions.file(db.session.get(User, uid), pid, db.session.get(Commune, commune_id), today=TODAY)

    assert run_together(app, [lambda u=u, p=p: job(u, p) for u, p in made]) == ["ok"] * 6
    db.session.expire_all()
    numbers = sorted(db.session.scalars(select(Petition.receipt_seq).where(Petition.receipt_seq.is_not(None))))
    assert numbers == [1, 2, 3, 4, 5, 6]


# --- associations ----------------------------------------------------------------------------------

@pytest.fixture()
def rep(commune):
    return make_user(commune, ("resident", "association"), name="Représentante")


def association_draft(commune, rep, **assoc):
    association = make_association(commune, rep, **{"field": "education", **assoc})
    petition = petitions.create_draft(rep, commune, draft_input(association_id=association.id))
    db.session.commit()
    return association, petition


def test_an_association_files_in_its_own_name_without_signatures(commune, rep, people):
    association, petition = association_draft(commune, rep, founded_on=date(2015, 5, 1))
    assert petition.agent_id is None
    with pytest.raises(Conflict):
        petitions.open_for_signatures(rep, petition, commune)
    with pytest.raises(NotAllowed):
        petitions.file(people["a"], petition.id, commune, today=TODAY)
    petitions.file(rep, petition.id, commune, today=TODAY)
    assert (petition.state, petition.receipt_number, petition.signature_count) == ("filed", "TETOUAN-2026-0001", 0)


@pytest.mark.parametrize(("founded", "today", "ok"), [
    (date(2023, 3, 10), date(2026, 3, 10), False),  # exactly 3 years: not more
    (date(2023, 3, 10), date(2026, 3, 11), True),
    (date(2020, 2, 29), date(2023, 2, 28), False),  # the anniversary of 29 February is 28 February
    (date(2020, 2, 29), date(2023, 3, 1), True),
    (date(2021, 2, 28), date(2024, 2, 28), False),
    (date(2021, 2, 28), date(2024, 2, 29), True),
    (date(2025, 1, 1), date(2026, 3, 10), False),
])
def test_association_must_be_constituted_for_more_than_three_years(commune, rep, founded, today, ok):
    association, petition = association_draft(commune, rep, founded_on=founded)
    if ok:
        petitions.file(rep, petition.id, commune, today=today)
        assert petition.state == "filed"
    else:
        with pytest.raises(Conflict, match="more than 3 years"):
            petitions.file(rep, petition.id, commune, today=today)
        assert petition.state == "draft"


def test_association_field_must_match_the_petition(commune, rep):
    association, petition = association_draft(commune, rep, field="sport")
    with pytest.raises(Conflict, match="field of activity"):
        petitions.file(rep, petition.id, commune, today=TODAY)
    assert petition.receipt_number is None


def test_association_conditions_each_named(app, commune):
    from services import demo

    other, _ = demo.create_commune(slug="martil")
    association = make_association(commune, None, field="education", founded_on=date(2010, 1, 1))
    assert petitions.association_problem(association, commune.id, "education", TODAY) is None
    assert "seat or a branch" in str(petitions.association_problem(association, other.id, "education", TODAY))
    assert "field" in str(petitions.association_problem(association, commune.id, "health", TODAY))
    association.verified_at = None
    assert "not verified" in str(petitions.association_problem(association, commune.id, "education", TODAY))


# --- the bureau -------------------------------------------------------------------------------------

def test_admissible_goes_to_the_next_session_with_its_committee(commune, people):
    petition = filed(commune, people["author"], [people["a"]], today=date(2026, 10, 20))
    with pytest.raises(ServiceError) as err:
        petitions.decide_admissible(people["bureau"], petition.id, commune.id, "  ", today=date(2026, 11, 15))
    assert err.value.field == "committee" and petition.state == "filed"
    petitions.decide_admissible(people["bureau"], petition.id, commune.id, "Commission de l'urbanisme",
                                today=date(2026, 11, 15))
    db.session.commit()
    assert (petition.state, petition.committee, petition.session_year, petition.session_month) == (
        "admissible", "Commission de l'urbanisme", 2027, 2)
    assert kinds(people["a"].id)[-1] == "petition_answered"
    assert kinds(people["author"].id).count("petition_answered") == 1  # agent and signatory: once
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "petition.admissible"))
    assert (entry.actor_id, json.loads(entry.details)["session"]) == (people["bureau"].id, "2027-02")
    assert petitions.agenda(commune.id) == [((2027, 2), [petition])]
    with pytest.raises(Conflict, match="already decided"):
        petitions.decide_refused(people["bureau"], petition.id, commune.id, ground="outside_competence",
                                 reasons=REASONS, today=date(2026, 11, 16))


def test_refusal_needs_a_ground_and_reasons(commune, people):
    petition = filed(commune, people["author"])
    for kwargs, field in (({"ground": None, "reasons": REASONS}, "ground"),
                          ({"ground": "whim", "reasons": REASONS}, "ground"),
                          ({"ground": "outside_competence", "reasons": ""}, "reasons"),
                          ({"ground": "outside_competence", "reasons": "Non."}, "reasons"),
                          ({"ground": "outside_competence", "reasons": REASONS + "<img src=x>"}, "reasons")):
        with pytest.raises(ServiceError) as err:
            petitions.decide_refused(people["bureau"], petition.id, commune.id, today=TODAY, **kwargs)
        assert err.value.field == field
    assert petition.state == "filed"


def test_refusal_within_the_deadline_and_after_it(commune, people):
    on_time = filed(commune, people["author"], today=date(2026, 11, 30))
    petitions.decide_refused(people["bureau"], on_time.id, commune.id, ground="constitutional_constants",
                             reasons=REASONS, today=date(2027, 2, 28))  # the deadline day itself
    assert (on_time.state, on_time.refusal_ground, on_time.delay_explanation) == (
        "refused", "constitutional_constants", None)
    late = filed(commune, people["author"], today=date(2026, 11, 30))
    with pytest.raises(ServiceError) as err:
        petitions.decide_refused(people["bureau"], late.id, commune.id, ground="conditions_not_met",
                                 reasons=REASONS, today=date(2027, 3, 1))
    assert err.value.field == "delay_explanation" and late.state == "filed"
    petitions.decide_refused(people["bureau"], late.id, commune.id, ground="conditions_not_met", reasons=REASONS,
                             delay_explanation="Le bureau ne s'est pas réuni en février.", today=date(2027, 3, 1))
    assert (late.state, late.delay_explanation) == ("refused", "Le bureau ne s'est pas réuni en février.")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "petition.refused")
                               .order_by(AuditEntry.id.desc())).first()
    assert json.loads(entry.details)["late"] is True


def test_bureau_cannot_decide_another_communes_petition_or_an_unfiled_one(app, commune, people):
    from services import demo

    other, _ = demo.create_commune(slug="martil")
    outsider = make_user(other, name="Martil resident")
    elsewhere = filed(other, outsider)
    with pytest.raises(NotFound):
        petitions.decide_admissible(people["bureau"], elsewhere.id, commune.id, "Commission", today=TODAY)
    with pytest.raises(NotAllowed):
        petitions.decide_admissible(people["bureau"], elsewhere.id, other.id, "Commission", today=TODAY)
    collecting = open_petition(commune, people["author"])
    with pytest.raises(Conflict, match="Only a filed petition"):
        petitions.decide_admissible(people["bureau"], collecting.id, commune.id, "Commission", today=TODAY)
    with pytest.raises(NotAllowed):
        petitions.decide_admissible(people["a"], collecting.id, commune.id, "Commission", today=TODAY)


def test_bureau_files_flag_the_overdue(commune, people):
    old = filed(commune, people["author"], today=date(2026, 1, 5))
    recent = filed(commune, people["author"], today=date(2026, 4, 1))
    waiting, decided = petitions.bureau_files(commune.id, date(2026, 4, 10))
    assert [(i.petition.id, i.deadline, i.days_left, i.overdue) for i in waiting] == [
        (old.id, date(2026, 4, 5), -5, True), (recent.id, date(2026, 7, 1), 82, False)]
    assert decided == []
    assert petitions.overdue_count(commune.id, date(2026, 4, 10)) == 1
    assert petitions.overdue_count(commune.id, date(2026, 4, 5)) == 0


# --- a world for the pages' accessibility checks (tests/browser/test_pages_a11y.py) -----------------

def pages_world(commune, author) -> dict:
    """Petitions in every public state (by another resident), a draft of `author`, one of them
    overdue at the bureau; Arabic and French text."""
    other = make_user(commune, name="سلمى العلمي")
    today = date.today()
    collecting = petitions.create_draft(other, commune, draft_input(
        title="تهيئة ممر للراجلين أمام المدرسة", request="نطلب من المجلس إدراج تهيئة ممر آمن للراجلين أمام مدرسة الحي.",
        reasons="يعبر الأطفال كل صباح طريقا سريعا دون إشارات ضوئية أو ممر محمي."))
    petitions.open_for_signatures(other, collecting, commune)
    decided = []
    for outcome in ("admissible", "refused", "filed"):
        petition = open_petition(commune, other, threshold=1)
        sign(other, petition)
        petitions.file(other, petition.id, commune, today=today - timedelta(days=120))
        if outcome == "admissible":
            _decide_admissible(petition, commune)
        elif outcome == "refused":
            _decide_refused(petition, commune)
        decided.append(petition)
    sign(other, collecting)
    from services import access

    draft = (petitions.create_draft(author, commune, draft_input(title="Mon brouillon de pétition"))
             if access.can(author, "petition.draft", commune.id) else None)
    db.session.commit()
    return {"collecting_id": collecting.id, "admissible_id": decided[0].id, "refused_id": decided[1].id,
            "filed_id": decided[2].id, "draft_id": draft.id if draft else None}


def _bureau(commune):
    return make_user(commune, ("bureau",), name="مكتب المجلس")


def _decide_admissible(petition, commune):
    petitions.decide_admissible(_bureau(commune), petition.id, commune.id, "لجنة المرافق العمومية", today=date.today())


def _decide_refused(petition, commune):
    petitions.decide_refused(_bureau(commune), petition.id, commune.id, ground="outside_competence", reasons=REASONS,
                             delay_explanation="Le bureau ne s'est pas réuni pendant l'été.", today=date.today())


def test_demo_petitions(commune):
    from services.demo_petitions import seed_petitions

    make_user(commune, email="resident@demo.tasharuk.ma", name="Demo resident")
    make_user(commune, ("bureau",), email="bureau@demo.tasharuk.ma", name="Demo bureau")
    rep = make_user(commune, ("resident", "association"), email="association@demo.tasharuk.ma", name="Rep")
    make_association(commune, rep, receipt_number="TET-2016-0311", founded_on=date(2016, 6, 2), field="environment")
    make_association(commune, rep, receipt_number="TET-2019-0520", founded_on=date(2019, 11, 20), field="disability")
    seed_petitions(commune)
    db.session.commit()
    made = list(db.session.scalars(select(Petition).order_by(Petition.id)))
    assert [(p.state, p.signature_count) for p in made] == [
        ("collecting", 2), ("filed", 0), ("refused", 0), ("admissible", 0)]  # the 2 residents here signed
    assert [p.receipt_seq for p in made[1:]] == [1, 2, 3]
    assert petitions.overdue_count(commune.id, petitions_today()) == 1


def petitions_today():
    from services import phases

    return phases.today()


# --- personal data ---------------------------------------------------------------------------------

def test_export_has_my_petitions_and_my_signatures(commune, people):
    from services import personal_data

    petition = open_petition(commune, people["author"])
    sign(people["a"], petition, cin="AB123456")
    data = personal_data.export(people["a"])["petitions"]
    assert data["petitions"] == []
    assert [(s["petition_id"], s["national_id_given"]) for s in data["signatures"]] == [(petition.id, True)]
    assert "AB123456" not in json.dumps(data) and data["signatures"][0]["signed_at"].endswith("Z")
    mine = personal_data.export(people["author"])["petitions"]
    assert [(p["id"], p["author"], p["agent"], p["title"]) for p in mine["petitions"]] == [
        (petition.id, True, True, petition.title)]
    assert mine["signatures"] == []


def test_deleting_an_account_keeps_signatures_counted_and_texts_unlinked(commune, people):
    from services import personal_data

    petition = open_petition(commune, people["author"], threshold=5)
    draft = petitions.create_draft(people["author"], commune, draft_input(title="Brouillon"))
    sign(people["author"], petition, cin="K998877")
    sign(people["a"], petition)
    draft_id = draft.id
    personal_data.erase(people["author"])
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Petition, petition.id)
    assert (kept.signature_count, kept.author_id, kept.agent_id, kept.title) == (2, None, None, petition.title)
    rows = db.session.execute(select(PetitionSignature.user_id, PetitionSignature.cin_hash)
                              .order_by(PetitionSignature.id)).all()
    assert rows == [(None, None), (people["a"].id, None)]
    assert db.session.get(Petition, draft_id) is None  # never public: gone


def test_retention_unlinks_signatures_of_decided_petitions(commune, people):
    from datetime import datetime

    from services import retention

    old = filed(commune, people["author"], [people["a"]])
    petitions.decide_admissible(people["bureau"], old.id, commune.id, "Commission", today=TODAY)
    recent = open_petition(commune, people["author"])
    sign(people["a"], recent)
    old.decided_at = datetime(2020, 1, 1)
    db.session.commit()
    kind = next(k for k in retention.kinds() if k.code == "petition_signatures")
    assert petitions.purge_signature_links(retention.Periods(kind, datetime(2026, 3, 1))) == 2
    rows = db.session.execute(select(PetitionSignature.petition_id, PetitionSignature.user_id)
                              .order_by(PetitionSignature.id)).all()
    assert rows == [(old.id, None), (old.id, None), (recent.id, people["a"].id)]
    assert db.session.get(Petition, old.id).signature_count == 2
