"""services/personal_data.py without HTTP: the export holds everything about the person and
nothing about anybody else; deleting an account unlinks or erases every table's rows; supports
keep counting; staff confirm with a code; the last admin of a commune cannot leave it orphaned."""
from __future__ import annotations

import json

import pyotp
import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    Association,
    AssociationRepresentative,
    AssociationSupport,
    AuditEntry,
    CommitteeMember,
    Comment,
    Criterion,
    Idea,
    Membership,
    Notification,
    Project,
    Report,
    Score,
    ScoringRound,
    Support,
    User,
    UserSession,
)
from services import accounts, audit, notifications, personal_data
from services.errors import NotAllowed, ServiceError
from tests.conftest import DEFAULT_PASSWORD, make_association, make_idea, make_user


def _comment(idea, author, body="Je soutiens cette idée.", stance="for", **extra):
    comment = Comment(idea_id=idea.id, author_id=author.id if author else None, stance=stance, body=body, **extra)
    db.session.add(comment)
    db.session.flush()
    db.session.execute(Idea.__table__.update().where(Idea.id == idea.id).values(
        comment_count=Idea.comment_count + 1, **{f"comments_{stance}": getattr(Idea, f"comments_{stance}") + 1}))
    db.session.commit()
    return comment


def _support(idea, user):
    db.session.add(Support(idea_id=idea.id, user_id=user.id, plan_id=idea.plan_id))
    db.session.execute(Idea.__table__.update().where(Idea.id == idea.id).values(support_count=Idea.support_count + 1))
    db.session.commit()


@pytest.fixture()
def world(commune):
    """Salma has something in every area; Omar, another resident, too (none of it is hers)."""
    salma = make_user(commune, ("resident", "association"), name="Salma Idrissi", email="salma@example.test")
    omar = make_user(commune, ("resident",), name="Omar Tazi", email="omar@example.test")
    association = make_association(commune, salma, name="Association Sania Verte")
    requested = make_association(commune, None, verified=False, name="Jeunes de Boujarrah", created_by_id=salma.id,
                                 contact_email="jeunes@example.test")
    her_idea = make_idea(commune, salma, title="Un parc à Sania Rmel", description="Des arbres et des bancs.")
    her_draft = make_idea(commune, salma, title="Brouillon secret", status="draft")
    his_idea = make_idea(commune, omar, title="Idée d'Omar", description="Texte d'Omar.")
    her_comment = _comment(his_idea, salma, body="Bonne idée, Omar.")
    his_comment = _comment(her_idea, omar, body="Merci Salma.", stance="neutral")
    _support(his_idea, salma)
    _support(her_idea, omar)
    db.session.add(AssociationSupport(idea_id=his_idea.id, association_id=association.id, by_user_id=salma.id))
    db.session.add(Report(commune_id=commune.id, reporter_id=salma.id, target_kind="comment",
                          target_id=his_comment.id, reason="spam", note="Publicité"))
    notifications.notify(salma.id, "idea_reviewed", commune_id=commune.id, idea_id=her_idea.id, title=her_idea.title)
    notifications.notify(omar.id, "idea_reviewed", commune_id=commune.id, idea_id=his_idea.id, title=his_idea.title)
    accounts.open_session(salma)
    accounts.open_session(omar)
    db.session.commit()
    return {"salma": salma, "omar": omar, "association": association, "requested": requested,
            "her_idea": her_idea, "her_draft": her_draft, "his_idea": his_idea, "her_comment": her_comment,
            "his_comment": his_comment}


def test_export_holds_everything_about_the_person(world):
    salma = world["salma"]
    data = personal_data.export(salma)
    assert data["format"] == personal_data.FORMAT
    assert data["account"]["email"] == "salma@example.test" and data["account"]["display_name"] == "Salma Idrissi"
    assert sorted(m["role"] for m in data["memberships"]) == ["association", "resident"]
    assert {m["commune"] for m in data["memberships"]} == {"tetouan"}
    assert len(data["sessions"]) == 1 and data["sessions"][0]["ended_at"] is None
    assert sorted(i["title"] for i in data["ideas"]) == ["Brouillon secret", "Un parc à Sania Rmel"]
    assert [c["body"] for c in data["comments"]] == ["Bonne idée, Omar."]
    assert [s["idea_id"] for s in data["supports"]] == [world["his_idea"].id]
    assert [a["name"] for a in data["associations"]["represented"]] == ["Association Sania Verte"]
    assert [a["name"] for a in data["associations"]["requested"]] == ["Jeunes de Boujarrah"]
    assert len(data["associations"]["supports_given_in_their_name"]) == 1
    assert [r["note"] for r in data["reports"]] == ["Publicité"]
    assert [n["params"]["title"] for n in data["notifications"]] == ["Un parc à Sania Rmel"]
    assert data["committee"] == {"seats": [], "scores": [], "recusals": [], "ranking_overrides": []}
    json.dumps(data)  # JSON-able as it is


def test_export_holds_nothing_about_anybody_else(world):
    text = personal_data.export_json(world["salma"])
    for foreign in ("omar@example.test", "Omar Tazi", "Texte d'Omar", "Merci Salma"):
        assert foreign not in text
    # Credentials are not information about the person: never exported.
    salma = world["salma"]
    assert salma.password_hash not in text and "password" not in text


def test_export_of_a_committee_member_includes_their_scores(commune, plan):
    member = make_user(commune, ("committee",), name="Leila")
    criterion = Criterion(plan_id=plan.id, code="impact", kind="scored", weight=1.0, name_ar="الأثر",
                          name_fr="Impact", name_zgh="ⴰⵙⵓⵖⵍ")
    project = Project(commune_id=commune.id, plan_id=plan.id, code="TET-01", title_ar="م", title_fr="P",
                      title_zgh="ⵎ", axis_id=plan.commune.axes[0].id, total_cost=1000, commune_share=500,
                      duration_years=1, earliest_start_year=plan.start_year)
    round_ = ScoringRound(plan_id=plan.id, name="Tour 1", status="closed")
    db.session.add_all([criterion, project, round_,
                        CommitteeMember(plan_id=plan.id, user_id=member.id, kind="undp", organisation="PNUD")])
    db.session.flush()
    db.session.add(Score(round_id=round_.id, user_id=member.id, project_id=project.id, criterion_id=criterion.id,
                         value=4, comment="Fort impact"))
    db.session.commit()
    data = personal_data.export(member)["committee"]
    assert data["seats"][0]["kind"] == "undp" and data["seats"][0]["organisation"] == "PNUD"
    assert data["scores"] == [{"round": "Tour 1", "project": "TET-01", "criterion": "impact", "value": 4,
                               "comment": "Fort impact", "given_at": data["scores"][0]["given_at"],
                               "updated_at": data["scores"][0]["updated_at"]}]
    # Deleting keeps the score with the round (a closed round's ranking must not change) and the seat,
    # under an erased account.
    personal_data.delete_account(member, password=DEFAULT_PASSWORD, code=_code(member))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Score).where(Score.user_id == member.id)) == 1
    assert db.session.scalar(select(CommitteeMember).where(CommitteeMember.user_id == member.id)) is not None
    gone = db.session.get(User, member.id)
    assert gone.display_name == personal_data.ERASED_NAME and gone.email is None


def _code(user) -> str:
    """Give the staff member a second factor and return a current code."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    db.session.commit()
    return pyotp.TOTP(secret).now()


def _counts():
    return {
        "supports": db.session.scalar(select(func.count()).select_from(Support)),
        "support_counters": db.session.scalar(select(func.sum(Idea.support_count))),
        "association_supports": db.session.scalar(select(func.count()).select_from(AssociationSupport)),
        "reports": db.session.scalar(select(func.count()).select_from(Report)),
    }


def test_deleting_an_account_unlinks_or_erases_every_table(world):
    salma, omar = world["salma"], world["omar"]
    before = _counts()
    personal_data.delete_account(salma, password=DEFAULT_PASSWORD)
    db.session.commit()
    db.session.expire_all()
    gone = db.session.get(User, salma.id)
    assert (gone.email, gone.phone, gone.totp_secret, gone.locale, gone.consented_at) == (None, None, None, None, None)
    assert gone.display_name == personal_data.ERASED_NAME and gone.deleted_at is not None and not gone.is_active
    assert not accounts.verify_password(gone, DEFAULT_PASSWORD)
    assert db.session.scalar(select(func.count()).select_from(Membership).where(Membership.user_id == salma.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == salma.id, UserSession.revoked_at.is_(None))) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == salma.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(AssociationRepresentative).where(
        AssociationRepresentative.user_id == salma.id)) == 0
    assert db.session.get(Association, world["requested"].id).created_by_id is None
    # Public content stays as by a "former resident", text intact; the draft is erased.
    idea = db.session.get(Idea, world["her_idea"].id)
    assert idea.author_id is None and idea.title == "Un parc à Sania Rmel" and not idea.hidden
    draft = db.session.get(Idea, world["her_draft"].id)
    assert draft.author_id is None and draft.title == "" and draft.description == "" and draft.hidden
    comment = db.session.get(Comment, world["her_comment"].id)
    assert comment.author_id is None and comment.body == "Bonne idée, Omar." and not comment.hidden
    # Supports, association supports and reports still count; none is hers any more.
    assert _counts() == before
    assert db.session.scalar(select(func.count()).select_from(Support).where(Support.user_id == salma.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Support).where(Support.user_id.is_(None))) == 1
    # Omar's rows are untouched.
    assert db.session.get(User, omar.id).email == "omar@example.test"
    assert db.session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == omar.id)) == 1
    assert db.session.get(Comment, world["his_comment"].id).author_id == omar.id
    # One audit entry, naming the account by number only; the chain still verifies.
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.delete"))
    assert entry.target_id == salma.id and "salma" not in entry.details.lower()
    assert audit.verify().ok


def test_removing_content_erases_and_hides_it_and_keeps_counters_right(world):
    his_idea = world["his_idea"]
    before = db.session.get(Idea, his_idea.id).comment_count
    personal_data.delete_account(world["salma"], password=DEFAULT_PASSWORD, remove_content=True)
    db.session.commit()
    db.session.expire_all()
    idea = db.session.get(Idea, world["her_idea"].id)
    assert (idea.title, idea.description, idea.hidden, idea.author_id) == ("", "", True, None)
    assert idea.support_count == 1  # Omar's support still counts
    comment = db.session.get(Comment, world["her_comment"].id)
    assert (comment.body, comment.hidden, comment.author_id) == ("", True, None)
    refreshed = db.session.get(Idea, his_idea.id)
    assert refreshed.comment_count == before - 1 and refreshed.comments_for == 0


def test_a_deleted_supporter_can_be_replaced_without_a_unique_clash(world, commune):
    """UNIQUE(user_id, idea_id) allows several unlinked supports of one idea."""
    idea = world["his_idea"]
    another = make_user(commune, ("resident",))
    _support(idea, another)
    personal_data.delete_account(world["salma"], password=DEFAULT_PASSWORD)
    personal_data.delete_account(another, password=DEFAULT_PASSWORD)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Support).where(
        Support.idea_id == idea.id, Support.user_id.is_(None))) == 2


def test_wrong_password_changes_nothing(world):
    salma = world["salma"]
    with pytest.raises(ServiceError) as info:
        personal_data.delete_account(salma, password="not-my-password-at-all")
    assert info.value.field == "password"
    db.session.rollback()
    assert db.session.get(User, salma.id).deleted_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_staff_confirm_with_a_code(commune):
    moderator = make_user(commune, ("moderator", "admin"))
    make_user(commune, ("admin",))  # not the last admin
    with pytest.raises(NotAllowed):  # no second factor set up yet
        personal_data.delete_account(moderator, password=DEFAULT_PASSWORD)
    db.session.rollback()
    code = _code(moderator)
    with pytest.raises(ServiceError) as info:
        personal_data.delete_account(moderator, password=DEFAULT_PASSWORD, code="")
    assert info.value.field == "code"
    db.session.rollback()
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ServiceError) as info:
        personal_data.delete_account(moderator, password=DEFAULT_PASSWORD, code=wrong)
    assert info.value.field == "code"
    db.session.rollback()
    personal_data.delete_account(moderator, password=DEFAULT_PASSWORD, code=code)
    db.session.commit()
    assert db.session.get(User, moderator.id).deleted_at is not None


def test_the_last_admin_of_a_commune_is_refused(commune):
    admin = make_user(commune, ("admin",))
    code = _code(admin)
    with pytest.raises(NotAllowed) as info:
        personal_data.delete_account(admin, password=DEFAULT_PASSWORD, code=code)
    assert "last administrator" in str(info.value.message)
    db.session.rollback()
    assert db.session.get(User, admin.id).deleted_at is None
    make_user(commune, ("admin",))
    personal_data.delete_account(admin, password=DEFAULT_PASSWORD, code=code)
    db.session.commit()
    assert db.session.get(User, admin.id).deleted_at is not None


def test_a_seat_without_scores_is_removed(commune, plan):
    member = make_user(commune, ("committee",))
    db.session.add(CommitteeMember(plan_id=plan.id, user_id=member.id, kind="commune"))
    db.session.commit()
    personal_data.delete_account(member, password=DEFAULT_PASSWORD, code=_code(member))
    db.session.commit()
    assert db.session.scalar(select(CommitteeMember).where(CommitteeMember.user_id == member.id)) is None


def test_areas_plug_in_their_exporters_and_deleters(world, monkeypatch):
    seen = []
    monkeypatch.setitem(personal_data._EXPORTERS, "test_area", lambda user: {"mine": user.id})
    monkeypatch.setitem(personal_data._DELETERS, "test_area", lambda user, remove: seen.append((user.id, remove)))
    assert personal_data.export(world["salma"])["test_area"] == {"mine": world["salma"].id}
    personal_data.delete_account(world["salma"], password=DEFAULT_PASSWORD, remove_content=True)
    assert seen == [(world["salma"].id, True)]


# --- the privacy settings ----------------------------------------------------------------------

def _settings(**changes):
    data = dict(
        cndp_reference="D-GC-123/2026", contact_email="contact@tetouan.ma", controller_address="Avenue Mohammed V",
        dpo_name="Service juridique", dpo_email="dpo@tetouan.ma", dpo_phone="0539 12 34 56",
        recipients=["commune_services", "council"], purposes={"ar": "المشاركة", "fr": "Participer", "zgh": ""},
        rights={"ar": "", "fr": "", "zgh": ""},
        retention={"sessions": 2, "notifications": 3, "inactive_accounts": 24, "deleted_accounts": 0,
                   "former_content": 60, "support_links": 12, "association_requests": 6})
    data.update(changes)
    from services import retention

    for kind in retention.kinds():  # kinds other areas registered keep their default
        data["retention"].setdefault(kind.code, kind.default_months)
    return personal_data.SettingsInput(**data)


def test_settings_are_saved_and_audited(commune):
    admin = make_user(commune, ("admin",))
    personal_data.save_settings(admin, commune, _settings())
    db.session.commit()
    row = personal_data.settings_for(commune)
    assert row.id is not None and row.dpo_phone == "+212539123456" and row.recipient_codes == ["commune_services", "council"]
    assert row.text_in("purposes", "zgh") == "المشاركة" and row.text_in("purposes", "en") == "Participer"
    assert commune.cndp_reference == "D-GC-123/2026"
    from services import retention

    assert retention.months_of(commune.id)["notifications"] == 3
    assert db.session.scalar(select(AuditEntry.action)) == "privacy.update"


@pytest.mark.parametrize("changes, field", [
    ({"cndp_reference": ""}, "cndp_reference"),
    ({"controller_address": "<script>alert(1)</script>"}, "controller_address"),
    ({"dpo_email": "not an address", "contact_email": None}, "dpo_email"),
    ({"dpo_email": None, "contact_email": None}, "dpo_email"),
    ({"dpo_phone": "12"}, "dpo_phone"),
    ({"recipients": ["a_foreign_cloud"]}, "recipients"),
    ({"purposes": {"ar": "", "fr": "x", "zgh": ""}}, "purposes_ar"),
    ({"purposes": {"ar": "ok", "fr": "x" * 3001, "zgh": ""}}, "purposes_fr"),
    ({"rights": {"ar": "\u202eمعكوس", "fr": "", "zgh": ""}}, "rights_ar"),
])
def test_bad_settings_change_nothing(commune, changes, field):
    admin = make_user(commune, ("admin",))
    before = commune.cndp_reference
    with pytest.raises(ServiceError) as info:
        personal_data.save_settings(admin, commune, _settings(**changes))
    assert info.value.field == field
    db.session.rollback()
    assert commune.cndp_reference == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


@pytest.mark.parametrize("months", [-1, 10_000, None])
def test_retention_months_out_of_bounds_are_refused(commune, months):
    admin = make_user(commune, ("admin",))
    settings = _settings()
    settings.retention["sessions"] = months
    with pytest.raises(ServiceError) as info:
        personal_data.save_settings(admin, commune, settings)
    assert info.value.field == "retention_sessions"
