"""The hash-chained audit log: every staff action writes one entry, `flask audit verify` and the
admin page detect an edited or removed entry."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from extensions import db
from models import AuditEntry, Axis
from services import audit
from tests.conftest import make_association, make_idea, post
from tests.test_moderation import audit_count, decide_post, make_comment, other_commune, person, sign_in


def _entries(n, commune_id=None):
    for i in range(n):
        audit.record("test.action", actor_id=None, commune_id=commune_id, target_kind="idea", target_id=i,
                     details={"reason": f"raison {i} — سبب"})
    db.session.commit()


def test_record_chains_entries_and_verify_accepts_them(commune):
    _entries(3, commune.id)
    rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [r.id for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS and rows[1].prev_hash == rows[0].hash
    result = audit.verify()
    assert result.ok and result.checked == 3


def test_entries_cannot_be_changed_through_the_orm(commune):
    _entries(1, commune.id)
    entry = db.session.scalar(select(AuditEntry))
    entry.action = "something.else"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.delete(db.session.scalar(select(AuditEntry)))
        db.session.flush()
    db.session.rollback()


def test_cli_verify_passes_on_an_intact_log(runner, commune):
    _entries(4, commune.id)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "4 entries verified" in result.output


def test_cli_verify_names_an_edited_entry(runner, commune):
    _entries(4, commune.id)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET details = :d WHERE id = 3"), {"d": '{"reason":"rewritten"}'})
    db.session.expire_all()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 3" in result.output and "edited" in result.output


def test_cli_verify_names_a_recomputed_but_relinked_entry(runner, commune):
    # Rewriting an entry *and* its own hash still breaks the link of the next one.
    _entries(3, commune.id)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET hash = :h WHERE id = 2"), {"h": "f" * 64})
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and "entry 2" in result.output


def test_cli_verify_names_a_deleted_entry(runner, commune):
    _entries(5, commune.id)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_entry WHERE id = 2"))
    db.session.expire_all()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "entry 2" in result.output and "missing" in result.output


def test_audit_page_shows_the_verification_and_only_this_communes_entries(client, commune):
    admin = person(commune, "admin", name="Admin Tétouan")
    other = other_commune()
    audit.record("role.grant", actor_id=admin.id, commune_id=commune.id, target_kind="user", target_id=admin.id,
                 details={"reason": "Pour <script>alert(1)</script>"})
    audit.record("role.grant", actor_id=None, commune_id=other.id, target_kind="user", target_id=999,
                 details={"reason": "secret de Chefchaouen"})
    db.session.commit()
    sign_in(client, admin)
    html = client.get("/tetouan/admin/audit").get_data(as_text=True)
    assert "Role granted" in html and "Admin Tétouan" in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "secret de Chefchaouen" not in html
    assert "none edited or removed" in html
    db.session.commit()  # end the test session's transaction before writing behind its back
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET action = 'role.revoke' WHERE id = 1"))
    db.session.expire_all()
    response = client.get("/tetouan/admin/audit", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "tampered with: entry 1" in html


def test_audit_page_is_paginated(client, commune):
    _entries(55, commune.id)
    sign_in(client, person(commune, "admin"))
    first = client.get("/tetouan/admin/audit").get_data(as_text=True)
    assert "Page 1 of 2" in first and "raison 54" in first and "raison 4 " not in first
    second = client.get("/tetouan/admin/audit?page=2").get_data(as_text=True)
    assert "raison 4 " in second and "raison 54" not in second


def test_every_moderator_and_admin_action_writes_one_entry(client, commune):
    """Walk through every state-changing staff route and check it adds exactly one audit entry."""
    admin = person(commune, "admin", "moderator")
    author = person(commune, "resident", email="author@example.org")
    idea = make_idea(commune, author)
    comment = make_comment(idea, author)
    second = make_idea(commune, author, title="Deuxième")
    rep = person(commune, "resident")
    pending = make_association(commune, rep, verified=False, name="A vérifier")
    rejected = make_association(commune, rep, verified=False, name="A refuser")
    axis = db.session.scalar(select(Axis).where(Axis.commune_id == commune.id))
    sign_in(client, admin)

    steps = [
        lambda: decide_post(client, "idea", idea.id, "accept"),
        lambda: decide_post(client, "idea", second.id, "reject", "Hors sujet"),
        lambda: decide_post(client, "idea", idea.id, "hide", "Spam"),
        lambda: decide_post(client, "idea", idea.id, "restore", "Erreur"),
        lambda: decide_post(client, "comment", comment.id, "hide", "Insulte"),
        lambda: decide_post(client, "comment", comment.id, "restore", "Erreur"),
        lambda: post(client, "/tetouan/admin/axes/new", {"name_ar": "س", "name_fr": "S", "name_zgh": "ⵙ"}),
        lambda: post(client, f"/tetouan/admin/axes/{axis.id}", {"name_ar": "ص", "name_fr": "T", "name_zgh": "ⵜ"}),
        lambda: post(client, f"/tetouan/admin/axes/{axis.id}/deactivate", {}),
        lambda: post(client, f"/tetouan/admin/axes/{axis.id}/activate", {}),
        lambda: post(client, "/tetouan/admin/neighbourhoods/new", {"name_ar": "ح", "name_fr": "Q", "name_zgh": "ⵇ"}),
        lambda: post(client, "/tetouan/admin/plan", {"support_limit": "4"}),
        lambda: post(client, "/tetouan/admin/roles", {"identifier": "author@example.org", "role": "moderator"}),
        lambda: post(client, f"/tetouan/admin/roles/{author.id}/moderator/revoke", {}),
        lambda: post(client, f"/tetouan/admin/associations/{pending.id}/verify", {}),
        lambda: post(client, f"/tetouan/admin/associations/{rejected.id}/reject", {f"a{rejected.id}-reason": "Non"}),
    ]
    for i, step in enumerate(steps):
        before = audit_count()
        response = step()
        assert response.status_code in (303, 200), (i, response.status_code)
        assert audit_count() == before + 1, i
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert all(e.actor_id == admin.id and e.commune_id == commune.id for e in entries)
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.details.contains("Hors sujet"))) == 1
    assert audit.verify().ok
