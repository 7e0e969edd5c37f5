"""services/retention.py and `flask retention apply`: with dates in the past, only what expired
is purged, per commune; a dry run changes nothing and counts what a real run purges; a second
run purges nothing; the audit chain still verifies."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import (
    Association,
    AssociationRepresentative,
    AuditEntry,
    Comment,
    Idea,
    Membership,
    Notification,
    Phase,
    RetentionPeriod,
    Support,
    User,
    UserSession,
)
from models._base import utcnow
from services import audit, personal_data, retention
from tests.conftest import make_association, make_idea, make_user, set_phase

NOW = utcnow()


def ago(**delta) -> datetime:
    return NOW - timedelta(**delta)


def months_ago(n: int) -> datetime:
    return retention.months_before(NOW, n) - timedelta(days=1)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("when, months, expected", [
    (datetime(2026, 3, 31, 12), 1, datetime(2026, 2, 28, 12)),
    (datetime(2024, 3, 31), 1, datetime(2024, 2, 29)),
    (datetime(2026, 1, 15), 1, datetime(2025, 12, 15)),
    (datetime(2026, 1, 15), 36, datetime(2023, 1, 15)),
    (datetime(2026, 1, 15), 0, datetime(2026, 1, 15)),
])
def test_months_before_counts_calendar_months(when, months, expected):
    assert retention.months_before(when, months) == expected


def _session(user, *, created, last_seen, revoked=None):
    db.session.add(UserSession(user_id=user.id, token_hash=f"{user.id}-{created.timestamp()}-{last_seen.timestamp()}",
                               created_at=created, last_seen_at=last_seen, revoked_at=revoked))


def _note(user, commune, *, created, read=None):
    db.session.add(Notification(user_id=user.id, commune_id=commune.id if commune else None, kind="idea_reviewed",
                                params="{}", created_at=created, read_at=read))


@pytest.fixture()
def expired(commune, plan):
    """One expired and one live row of every kind (platform defaults)."""
    live = make_user(commune, ("resident",), name="Active")
    live.last_login_at = ago(days=2)
    sleeper = make_user(commune, ("resident",), name="Sleeper")
    sleeper.created_at = sleeper.last_login_at = months_ago(36)
    staff = make_user(commune, ("moderator",), name="Quiet moderator")
    staff.created_at = months_ago(60)
    # sessions: revoked long ago / revoked yesterday / expired long ago / live
    _session(live, created=months_ago(5), last_seen=months_ago(5), revoked=months_ago(4))
    _session(live, created=ago(days=2), last_seen=ago(days=2), revoked=ago(days=1))
    _session(live, created=months_ago(4), last_seen=months_ago(4))
    _session(live, created=ago(minutes=5), last_seen=ago(minutes=1))
    # notifications: read long ago / read recently / unread and old
    _note(live, commune, created=months_ago(8), read=months_ago(7))
    _note(live, commune, created=months_ago(8), read=ago(days=3))
    _note(live, commune, created=months_ago(8))
    # an account deleted long ago (nothing points at it) and one deleted last week
    old_gone = make_user(commune, ("resident",), name="Old gone")
    recent_gone = make_user(commune, ("resident",), name="Recently gone")
    for person in (old_gone, recent_gone):
        personal_data.erase(person)
    old_gone.deleted_at = months_ago(2)
    # ideas and comments of former residents: old / recent; an association's old comment
    old_idea = make_idea(commune, None, title="Vieille idée", created_at=months_ago(72))
    new_idea = make_idea(commune, None, title="Idée récente")
    old_comment = Comment(idea_id=new_idea.id, author_id=None, stance="for", body="Ancien avis", created_at=months_ago(72))
    new_comment = Comment(idea_id=new_idea.id, author_id=None, stance="against", body="Avis récent")
    association = make_association(commune, live, name="Association active")
    association_comment = Comment(idea_id=new_idea.id, author_id=None, association_id=association.id, stance="for",
                                  body="Avis de l'association", created_at=months_ago(72))
    db.session.add_all([old_comment, new_comment, association_comment])
    new_idea.comment_count, new_idea.comments_for, new_idea.comments_against = 3, 2, 1
    # supports: old, in the plan (whose support phase is made to be over) / recent
    set_phase(plan, "support", open_=False)
    db.session.execute(Phase.__table__.update().where(Phase.plan_id == plan.id, Phase.kind == "support").values(
        starts_on=date.today() - timedelta(days=900), ends_on=date.today() - timedelta(days=800)))
    old_support = Support(idea_id=new_idea.id, user_id=live.id, plan_id=plan.id, created_at=months_ago(24))
    new_support = Support(idea_id=old_idea.id, user_id=live.id, plan_id=plan.id)
    # association requests: old unverified / recent unverified / old verified
    stale = make_association(commune, sleeper, verified=False, name="Demande oubliée", created_at=months_ago(6))
    pending = make_association(commune, None, verified=False, name="Demande récente")
    old_verified = make_association(commune, None, name="Vérifiée", created_at=months_ago(60))
    db.session.add_all([old_support, new_support])
    db.session.commit()
    return {"live": live, "sleeper": sleeper, "staff": staff, "old_gone": old_gone, "recent_gone": recent_gone,
            "old_idea": old_idea, "new_idea": new_idea, "old_comment": old_comment, "new_comment": new_comment,
            "association_comment": association_comment, "old_support": old_support, "new_support": new_support,
            "stale": stale, "pending": pending, "old_verified": old_verified}


def _results(results) -> dict[str, int]:
    return {r.kind.code: r.count for r in results}


def test_apply_purges_only_what_expired(expired):
    e = expired
    results = _results(retention.apply(now=NOW))
    db.session.commit()
    db.session.expire_all()
    live = e["live"]
    assert results["sessions"] == 2
    assert count(UserSession, UserSession.user_id == live.id) == 2  # revoked yesterday, and the live one
    assert results["notifications"] == 1
    assert count(Notification, Notification.user_id == live.id) == 2
    # The sleeper left the commune and, in no commune any more, was deleted; staff are left alone.
    assert results["inactive_accounts"] == 1
    sleeper = db.session.get(User, e["sleeper"].id)
    assert sleeper.deleted_at is not None and sleeper.email is None
    assert count(Membership, Membership.user_id == e["staff"].id) == 1
    assert db.session.get(User, live.id).deleted_at is None
    # Deleted long ago: the empty record goes; deleted last week (or just now): kept.
    assert results["deleted_accounts"] == 1
    assert db.session.get(User, e["old_gone"].id) is None
    assert db.session.get(User, e["recent_gone"].id) is not None
    # Former residents' old idea and comment erased and hidden; recent ones and the association's kept.
    assert results["former_content"] == 2
    old_idea = db.session.get(Idea, e["old_idea"].id)
    assert (old_idea.title, old_idea.hidden) == ("", True)
    assert db.session.get(Idea, e["new_idea"].id).title == "Idée récente"
    old_comment = db.session.get(Comment, e["old_comment"].id)
    assert (old_comment.body, old_comment.hidden) == ("", True)
    assert db.session.get(Comment, e["new_comment"].id).body == "Avis récent"
    assert db.session.get(Comment, e["association_comment"].id).body == "Avis de l'association"
    new_idea = db.session.get(Idea, e["new_idea"].id)
    assert (new_idea.comment_count, new_idea.comments_for, new_idea.comments_against) == (2, 1, 1)
    # Old support unlinked, still counted; the recent one keeps its link.
    assert results["support_links"] == 1
    assert db.session.get(Support, e["old_support"].id).user_id is None
    assert db.session.get(Support, e["new_support"].id).user_id == live.id
    # The forgotten request and its representative are gone; the recent and the verified ones stay.
    assert results["association_requests"] == 1
    assert db.session.get(Association, e["stale"].id) is None
    assert count(AssociationRepresentative, AssociationRepresentative.association_id == e["stale"].id) == 0
    assert db.session.get(Association, e["pending"].id) is not None
    assert db.session.get(Association, e["old_verified"].id) is not None
    # One audit entry for the run (plus the sleeper's deletion); the chain verifies.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "retention.apply")) == 1
    assert audit.verify().ok


def test_a_second_run_purges_nothing(expired):
    retention.apply(now=NOW)
    db.session.commit()
    entries = count(AuditEntry)
    assert sum(_results(retention.apply(now=NOW)).values()) == 0
    db.session.commit()
    assert count(AuditEntry) == entries  # nothing purged, nothing recorded


def test_a_dry_run_counts_what_a_real_run_purges_and_changes_nothing(expired):
    before = {model.__name__: count(model) for model in (UserSession, Notification, User, Association, AuditEntry)}
    dry = _results(retention.apply(now=NOW, dry_run=True))
    db.session.commit()
    after = {model.__name__: count(model) for model in (UserSession, Notification, User, Association, AuditEntry)}
    assert after == before
    assert db.session.get(Support, expired["old_support"].id).user_id == expired["live"].id
    assert db.session.get(User, expired["sleeper"].id).deleted_at is None
    real = _results(retention.apply(now=NOW))
    assert dry == real and sum(real.values()) > 0


def test_a_support_phase_still_open_keeps_the_link(commune, plan):
    person = make_user(commune)
    person.last_login_at = NOW
    idea = make_idea(commune, person)
    set_phase(plan, "support", open_=True)
    support = Support(idea_id=idea.id, user_id=person.id, plan_id=plan.id, created_at=months_ago(30))
    db.session.add(support)
    db.session.commit()
    assert _results(retention.apply(now=NOW))["support_links"] == 0
    assert db.session.get(Support, support.id).user_id == person.id


def test_each_commune_applies_its_own_period(commune):
    from services import demo

    other, _plan = demo.create_commune(slug="chefchaouen")
    person = make_user(commune)
    person.last_login_at = NOW
    db.session.add(RetentionPeriod(commune_id=commune.id, kind="notifications", months=1))
    _note(person, commune, created=months_ago(4), read=months_ago(3))
    _note(person, other, created=months_ago(4), read=months_ago(3))
    db.session.commit()
    assert _results(retention.apply(now=NOW))["notifications"] == 1
    assert [n.commune_id for n in db.session.scalars(select(Notification))] == [other.id]


def test_sessions_follow_the_shortest_period_of_the_persons_communes(commune):
    from services import demo

    other, _plan = demo.create_commune(slug="chefchaouen")
    person = make_user(commune)
    person.last_login_at = NOW
    db.session.add(Membership(user_id=person.id, commune_id=other.id, role="resident"))
    db.session.add(RetentionPeriod(commune_id=other.id, kind="sessions", months=1))
    _session(person, created=months_ago(2), last_seen=months_ago(2), revoked=months_ago(2))
    db.session.commit()
    assert _results(retention.apply(now=NOW))["sessions"] == 1


def test_a_deleted_account_named_in_the_audit_log_keeps_its_empty_record(commune):
    person = make_user(commune, ("moderator",))
    audit.record("idea.hide", actor_id=person.id, commune_id=commune.id)  # an act the log keeps for ever
    personal_data.erase(person)
    person.deleted_at = months_ago(3)
    db.session.commit()
    assert _results(retention.apply(now=NOW))["deleted_accounts"] == 0
    assert db.session.get(User, person.id) is not None
    assert audit.verify().ok


def test_cli_dry_run_then_apply(runner, expired):
    dry = runner.invoke(args=["retention", "apply", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "sessions" in dry.output and "would purge" in dry.output
    db.session.expire_all()
    assert count(Association, Association.id == expired["stale"].id) == 1
    real = runner.invoke(args=["retention", "apply"])
    assert real.exit_code == 0, real.output
    assert "association_requests" in real.output and "purged 1" in real.output
    db.session.expire_all()
    assert count(Association, Association.id == expired["stale"].id) == 0
    again = runner.invoke(args=["retention", "apply"])
    assert "total purged 0" in again.output
    verified = runner.invoke(args=["audit", "verify"])
    assert verified.exit_code == 0, verified.output
