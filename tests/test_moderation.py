"""Reports, auto-hiding, the moderation queue and moderators' decisions (services and routes).

The helpers at the top (person, sign_in, cast, …) are shared by the tests of the moderation,
admin, associations and personal-space areas.
"""
from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pyotp
import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, Comment, Idea, Membership, Notification, Report, User, UserSession
from services import access, accounts, demo, moderation
from services.errors import Conflict, NotFound, ServiceError
from tests.conftest import DEFAULT_PASSWORD, csrf_token, make_association, make_idea, post

# --- helpers shared by this area's tests ----------------------------------------------------------

_HASH: dict[str, str] = {}
_N = {"n": 0}


def person(commune, *roles, name="Test Person", email=None, phone=None) -> User:
    """A user with roles in `commune` (one argon2 hash per test run, to keep tests fast)."""
    if "h" not in _HASH:
        _HASH["h"] = accounts.hash_password(DEFAULT_PASSWORD)
    _N["n"] += 1
    if email is None and phone is None:
        email = f"member{_N['n']}@example.test"
    user = User(display_name=name, email=email, phone=phone, password_hash=_HASH["h"])
    db.session.add(user)
    db.session.flush()
    for role in roles:
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=role))
    db.session.commit()
    return user


def sign_in(client, user) -> None:
    """Open a real server-side session for `user` (second factor done) and put it in the client's cookie.

    Independent of the sign-in form, which staff would pass only with a TOTP code.
    """
    if accounts.is_staff(user) and not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    token = accounts.open_session(user)
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id)
                               .order_by(UserSession.id.desc()).limit(1))
    record.second_factor_ok = True
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
        session["sid"] = token
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    forget_request_caches()


def forget_request_caches() -> None:
    """Test requests share the fixture's app context, so `g` outlives a request: drop the
    signed-in person, the language and the CSRF token that Flask-Login, Flask-Babel and
    Flask-WTF cached there."""
    from flask import g

    for key in ("_login_user", "_flask_babel", "csrf_token"):
        g.pop(key, None)


def sign_out(client) -> None:
    with client.session_transaction() as session:
        session.clear()
    forget_request_caches()


def is_fragment(response) -> bool:
    return "<html" not in response.get_data(as_text=True)


def is_page(response) -> bool:
    return "<html" in response.get_data(as_text=True)


def other_commune():
    commune, _plan = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    return commune


@pytest.fixture()
def cast(commune):
    """One person per role in Tetouan, plus the admin of another commune."""
    other = other_commune()
    association_user = person(commune, "resident", "association", name="Rep")
    association = make_association(commune, association_user)
    return SimpleNamespace(
        resident=person(commune, "resident", name="Resident"),
        association=association_user,
        association_profile=association,
        moderator=person(commune, "moderator", name="Moderator"),
        committee=person(commune, "committee", name="Committee"),
        admin=person(commune, "admin", name="Admin"),
        other_admin=person(other, "admin", "moderator", "resident", name="Other admin"),
        other=other,
    )


ROLES = ("anonymous", "resident", "association", "moderator", "committee", "admin", "other_admin")


def as_role(client, cast, role):
    sign_out(client)
    if role != "anonymous":
        sign_in(client, getattr(cast, role))


def refused_anonymous(response) -> bool:
    """Anonymous people are sent to sign in (or refused)."""
    return response.status_code in (302, 401) and "/tetouan/moderation" not in response.headers.get("Location", "x")


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def notes_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def make_comment(idea, author, *, stance="for", body="Bonne idée"):
    comment = Comment(idea_id=idea.id, author_id=author.id, stance=stance, body=body)
    db.session.add(comment)
    idea.comment_count += 1
    setattr(idea, f"comments_{stance}", getattr(idea, f"comments_{stance}") + 1)
    db.session.commit()
    return comment


def decide_post(client, kind, target_id, action, reason="", *, htmx=False, commune="tetouan", token=True):
    prefix = f"{kind}-{target_id}"
    data = {f"{prefix}-action": action, f"{prefix}-reason": reason}
    if token:
        data[f"{prefix}-csrf_token"] = csrf_token(client)
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/{commune}/moderation/{kind}/{target_id}", data=data, headers=headers)


# --- services: reports ---------------------------------------------------------------------------

def test_three_distinct_reporters_hide_an_idea_and_a_repeat_counts_once(commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author)
    a, b, c = (person(commune, "resident") for _ in range(3))

    first = moderation.report(a, commune.id, "idea", idea.id, "spam")
    db.session.commit()
    assert first.target.report_count == 1 and not first.target.hidden
    with pytest.raises(Conflict):
        moderation.report(a, commune.id, "idea", idea.id, "insult", "again")
    db.session.rollback()
    db.session.refresh(idea)
    assert idea.report_count == 1
    assert db.session.scalar(select(func.count()).select_from(Report)) == 1

    moderation.report(b, commune.id, "idea", idea.id, "off_topic")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.report_count == 2 and not idea.hidden
    outcome = moderation.report(c, commune.id, "idea", idea.id, "spam", "Publicité")
    db.session.commit()
    assert outcome.hidden_now
    db.session.refresh(idea)
    assert idea.report_count == 3 and idea.hidden and idea.hidden_reason == moderation.AUTO_HIDDEN
    assert not idea.is_public
    # the author is told, reporters are not named
    kinds = [n.kind for n in notes_of(author)]
    assert kinds == ["idea_auto_hidden"]
    assert str(a.id) not in notes_of(author)[0].params
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "idea.auto_hide"
    # a hidden item can no longer be reported
    d = person(commune, "resident")
    with pytest.raises(NotFound):
        moderation.report(d, commune.id, "idea", idea.id, "spam")


def test_report_refuses_bad_reason_and_note(commune):
    idea = make_idea(commune, person(commune, "resident"))
    reporter = person(commune, "resident")
    cases = [("nonsense", None, "reason"), ("spam", "x" * 501, "note"), ("spam", "<script>alert(1)</script>", "note"),
             ("spam", "abc\u202edef", "note")]
    for reason, note, field in cases:
        with pytest.raises(ServiceError) as info:
            moderation.report(reporter, commune.id, "idea", idea.id, reason, note)
        assert info.value.field == field
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_report_targets_only_public_items_of_the_commune(commune):
    author = person(commune, "resident")
    draft = make_idea(commune, author, status="draft")
    other = other_commune()
    foreign = make_idea(other, person(other, "resident"))
    reporter = person(commune, "resident")
    for kind, target_id in [("idea", draft.id), ("idea", foreign.id), ("idea", 999999), ("comment", 999999),
                            ("petition", 1)]:
        with pytest.raises(NotFound):
            moderation.report(reporter, commune.id, kind, target_id, "spam")
        db.session.rollback()


def test_hiding_a_comment_keeps_the_public_counters_right(commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author)
    kept = make_comment(idea, author, stance="for")
    reported = make_comment(idea, author, stance="against", body="Mauvais")
    assert (idea.comment_count, idea.comments_for, idea.comments_against) == (2, 1, 1)
    for _ in range(3):
        moderation.report(person(commune, "resident"), commune.id, "comment", reported.id, "insult")
        db.session.commit()
    db.session.refresh(idea)
    db.session.refresh(reported)
    assert reported.hidden and reported.report_count == 3
    assert (idea.comment_count, idea.comments_for, idea.comments_against) == (1, 1, 0)
    # a moderator confirms the hiding: counted once, not twice
    moderator = person(commune, "moderator")
    moderation.decide(moderator, commune.id, "comment", reported.id, "hide", "Insulte envers un voisin")
    db.session.commit()
    db.session.refresh(idea)
    assert (idea.comment_count, idea.comments_against) == (1, 0)
    moderation.decide(moderator, commune.id, "comment", reported.id, "restore", "Finalement acceptable")
    db.session.commit()
    db.session.refresh(idea)
    assert (idea.comment_count, idea.comments_for, idea.comments_against) == (2, 1, 1)
    moderation.decide(moderator, commune.id, "comment", kept.id, "hide", "Données personnelles")
    db.session.commit()
    db.session.refresh(idea)
    assert (idea.comment_count, idea.comments_for, idea.comments_against) == (1, 0, 1)
    assert [n.kind for n in notes_of(author)] == ["comment_auto_hidden", "comment_hidden", "comment_restored",
                                                 "comment_hidden"]


def test_after_a_restore_it_takes_three_new_reporters(commune):
    idea = make_idea(commune, person(commune, "resident"))
    moderator = person(commune, "moderator")
    for _ in range(3):
        moderation.report(person(commune, "resident"), commune.id, "idea", idea.id, "spam")
    db.session.commit()
    moderation.decide(moderator, commune.id, "idea", idea.id, "restore", "Pas du spam")
    db.session.commit()
    db.session.refresh(idea)
    assert not idea.hidden and idea.report_count == 3
    assert moderation.open_report_count("idea", idea.id) == 0
    for i in range(2):
        moderation.report(person(commune, "resident"), commune.id, "idea", idea.id, "spam")
    db.session.commit()
    db.session.refresh(idea)
    assert not idea.hidden and idea.report_count == 5
    moderation.report(person(commune, "resident"), commune.id, "idea", idea.id, "spam")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.hidden


def test_concurrent_reports_are_counted_exactly_and_hide_once(app, commune):
    idea = make_idea(commune, person(commune, "resident"))
    reporters = [person(commune, "resident") for _ in range(8)]
    ids = [r.id for r in reporters]
    idea_id, commune_id = idea.id, commune.id
    db.session.rollback()  # the test's own session must not hold the write lock while the workers run
    barrier = threading.Barrier(len(ids), timeout=30)
    errors: list[BaseException] = []

    def work(user_id):
        try:
            with app.app_context():
                barrier.wait()  # before any query: each write transaction begins IMMEDIATE
                user = db.session.get(User, user_id)
                moderation.report(user, commune_id, "idea", idea_id, "spam")
                db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Exactly AUTO_HIDE_AT reports got in; the others found the idea already hidden (404), none was lost.
    assert len(errors) == len(ids) - moderation.AUTO_HIDE_AT
    assert all(isinstance(e, NotFound) for e in errors), errors
    db.session.expire_all()
    idea = db.session.get(Idea, idea_id)
    assert idea.report_count == moderation.AUTO_HIDE_AT and idea.hidden
    assert db.session.scalar(select(func.count()).select_from(Report)) == moderation.AUTO_HIDE_AT
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "idea.auto_hide")) == 1


# --- services: decisions -------------------------------------------------------------------------

def test_accept_marks_reviewed_audits_and_tells_the_author(commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author)
    assert access.can_edit_idea(author, idea)
    moderator = person(commune, "moderator")
    before = audit_count()
    moderation.decide(moderator, commune.id, "idea", idea.id, "accept")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.status == "accepted" and idea.reviewed_at is not None and idea.reviewed_by_id == moderator.id
    assert not access.can_edit_idea(author, idea)
    assert audit_count() == before + 1
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert (entry.action, entry.actor_id, entry.commune_id, entry.target_kind, entry.target_id) == (
        "idea.accept", moderator.id, commune.id, "idea", idea.id)
    assert [n.kind for n in notes_of(author)] == ["idea_reviewed"]
    with pytest.raises(Conflict):
        moderation.decide(moderator, commune.id, "idea", idea.id, "accept")


def test_reject_and_hide_need_a_reason_that_reaches_the_author(commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author)
    moderator = person(commune, "moderator")
    for action in ("reject", "hide", "restore"):
        for reason in ("", "   ", "<b>non</b>", "x" * 501):
            with pytest.raises(ServiceError) as info:
                moderation.decide(moderator, commune.id, "idea", idea.id, action, reason)
            assert info.value.field == "reason"
            db.session.rollback()
    assert audit_count() == 0
    moderation.decide(moderator, commune.id, "idea", idea.id, "reject", "Hors des compétences de la commune")
    db.session.commit()
    db.session.refresh(idea)
    assert idea.status == "rejected" and idea.review_note == "Hors des compétences de la commune"
    note = notes_of(author)[-1]
    assert note.kind == "idea_rejected"
    assert json.loads(note.params)["reason"] == "Hors des compétences de la commune"
    entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    assert entry.action == "idea.reject" and json.loads(entry.details)["reason"] == "Hors des compétences de la commune"


def test_every_decision_resolves_reports_and_is_audited(commune):
    author = person(commune, "resident")
    moderator = person(commune, "moderator")
    idea = make_idea(commune, author)
    comment = make_comment(idea, author)
    moderation.report(person(commune, "resident"), commune.id, "idea", idea.id, "spam")
    moderation.report(person(commune, "resident"), commune.id, "comment", comment.id, "insult")
    db.session.commit()
    steps = [("comment", comment.id, "restore", "Rien d'insultant", "comment.keep"),
             ("idea", idea.id, "hide", "Publicité", "idea.hide"),
             ("idea", idea.id, "restore", "Erreur", "idea.restore"),
             ("idea", idea.id, "accept", "", "idea.accept"),
             ("comment", comment.id, "hide", "Insulte", "comment.hide")]
    for kind, target_id, action, reason, logged in steps:
        before = audit_count()
        moderation.decide(moderator, commune.id, kind, target_id, action, reason)
        db.session.commit()
        assert audit_count() == before + 1
        assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == logged
        assert moderation.open_report_count(kind, target_id) == 0
    # "keep visible" changed nothing for the author: no notification for it
    assert [n.kind for n in notes_of(author)] == ["idea_hidden", "idea_restored", "idea_reviewed", "comment_hidden"]
    with pytest.raises(Conflict):  # visible, no open reports: nothing to restore
        moderation.decide(moderator, commune.id, "idea", idea.id, "restore", "encore")


def test_hidden_idea_cannot_be_accepted_and_comments_cannot_be_accepted(commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author, hidden=True, hidden_reason="x")
    comment = make_comment(make_idea(commune, author), author)
    moderator = person(commune, "moderator")
    with pytest.raises(Conflict):
        moderation.decide(moderator, commune.id, "idea", idea.id, "accept")
    db.session.rollback()
    with pytest.raises(ServiceError):
        moderation.decide(moderator, commune.id, "comment", comment.id, "accept")


# --- services: the queue ------------------------------------------------------------------------

def test_queue_lists_new_ideas_and_reported_items_without_reporters(commune):
    author = person(commune, "resident")
    new = make_idea(commune, author, title="Nouvelle idée")
    make_idea(commune, author, title="Brouillon", status="draft")
    make_idea(commune, author, title="Déjà vue", status="accepted")
    reported_idea = make_idea(commune, author, title="Signalée", status="accepted")
    comment = make_comment(new, author)
    r1, r2, r3 = (person(commune, "resident") for _ in range(3))
    moderation.report(r1, commune.id, "idea", reported_idea.id, "spam")
    moderation.report(r2, commune.id, "idea", reported_idea.id, "spam")
    moderation.report(r3, commune.id, "idea", reported_idea.id, "insult")
    moderation.report(r1, commune.id, "comment", comment.id, "personal_data")
    db.session.commit()

    waiting = moderation.awaiting_review(commune.id)
    assert [i.target.id for i in waiting.items] == [new.id]
    reported = moderation.reported(commune.id)
    assert reported.total == 2
    first, second = reported.items
    assert (first.kind, first.target.id, first.open_reports) == ("idea", reported_idea.id, 3)
    assert first.reasons == [("spam", 2), ("insult", 1)]
    assert first.target.hidden  # hidden pending review
    assert (second.kind, second.target.id, second.idea.id, second.reasons) == (
        "comment", comment.id, new.id, [("personal_data", 1)])
    assert moderation.reported(commune.id, page=2, per_page=1).items[0].kind == "comment"
    assert moderation.queue_counts(commune.id) == (1, 2)
    # another commune's queue is empty
    other = other_commune()
    assert moderation.reported(other.id).total == 0 and moderation.awaiting_review(other.id).total == 0


# --- routes: reporting ----------------------------------------------------------------------------

def test_report_form_as_page_and_fragment(client, commune):
    idea = make_idea(commune, person(commune, "resident"), title="Jardin <b>public</b>")
    sign_in(client, person(commune, "resident"))
    page = client.get(f"/tetouan/report/idea/{idea.id}")
    assert page.status_code == 200 and is_page(page)
    html = page.get_data(as_text=True)
    assert "Jardin &lt;b&gt;public&lt;/b&gt;" in html and 'name="reason"' in html
    fragment = client.get(f"/tetouan/report/idea/{idea.id}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment) and 'id="report-idea-' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")


def test_report_post_page_htmx_repeat_and_csrf(client, commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author)
    reporter = person(commune, "resident")
    sign_in(client, reporter)
    url = f"/tetouan/report/idea/{idea.id}"
    assert post(client, url, {"reason": "spam"}, token=False).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0

    # posted reporter_id / status / user_id are ignored
    response = post(client, url, {"reason": "spam", "note": "Pub", "reporter_id": author.id, "user_id": author.id,
                                  "status": "resolved", "role": "admin"})
    assert response.status_code == 303
    report = db.session.scalar(select(Report))
    assert (report.reporter_id, report.reason, report.note, report.resolved_at) == (reporter.id, "spam", "Pub", None)

    again = post(client, url, {"reason": "insult"}, htmx=True)
    assert again.status_code == 409 and is_fragment(again)
    assert "already reported" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).report_count == 1

    sign_in(client, person(commune, "resident"))
    done = post(client, url, {"reason": "off_topic"}, htmx=True)
    assert done.status_code == 200 and is_fragment(done)
    assert 'role="status"' in done.get_data(as_text=True) and "Thank you" in done.get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Choose a reason"),
    ({"reason": "boring"}, "Choose a reason"),
    ({"reason": "spam", "note": "y" * 501}, "at most 500"),
    ({"reason": "spam", "note": "<script>alert('x')</script>"}, "plain text"),
    ({"reason": "spam", "note": "voir \u202eici"}, "direction-control"),
    ({"reason": "spam", "note": "tab\x07bell"}, "control characters"),
])
def test_report_bad_inputs_keep_text_and_store_nothing(client, commune, data, message):
    idea = make_idea(commune, person(commune, "resident"))
    sign_in(client, person(commune, "resident"))
    for htmx in (False, True):
        response = post(client, f"/tetouan/report/idea/{idea.id}", data, htmx=htmx)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html and 'class="error"' in html
        if data.get("note") and "<" not in data["note"]:
            assert data["note"][:20] in html
        if data.get("note") and "<script>" in data["note"]:
            assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert db.session.scalar(select(func.count()).select_from(Report)) == 0


def test_report_unknown_kind_or_target_is_404(client, commune):
    idea = make_idea(commune, person(commune, "resident"))
    sign_in(client, person(commune, "resident"))
    assert client.get(f"/tetouan/report/petition/{idea.id}").status_code == 404
    assert client.get("/tetouan/report/idea/987654").status_code == 404
    assert post(client, f"/tetouan/report/user/{idea.id}", {"reason": "spam"}).status_code == 404


def test_report_access(client, cast, commune):
    idea = make_idea(commune, cast.resident)
    url = f"/tetouan/report/idea/{idea.id}"
    for role in ROLES:
        as_role(client, cast, role)
        status = client.get(url).status_code
        if role == "anonymous":
            assert status in (302, 401)
        elif role == "other_admin":
            assert status == 403
        else:
            assert status == 200, role


def test_three_reporters_over_http_hide_the_idea_from_public_pages(app, client, commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author, title="Idée à cacher")
    for _ in range(3):
        sign_in(client, person(commune, "resident"))
        assert post(client, f"/tetouan/report/idea/{idea.id}", {"reason": "sacred"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).hidden
    client2 = app.test_client()
    # Guarded only by the existence of the ideas routes (built by the ideas area).
    if "ideas.list_ideas" in app.view_functions:
        assert "Idée à cacher" not in client2.get("/tetouan/ideas").get_data(as_text=True)
    if "ideas.show_idea" in app.view_functions:
        assert client2.get(f"/tetouan/ideas/{idea.id}").status_code in (403, 404)
    assert "Idée à cacher" not in client2.get("/tetouan/").get_data(as_text=True)
    note = notes_of(author)[-1]
    assert note.kind == "idea_auto_hidden"


# --- routes: queue and decisions ----------------------------------------------------------------

def test_queue_access_matrix(client, cast, commune):
    make_idea(commune, cast.resident)
    expected = {"anonymous": None, "resident": 403, "association": 403, "moderator": 200, "committee": 403,
                "admin": 200, "other_admin": 403}
    for role in ROLES:
        as_role(client, cast, role)
        response = client.get("/tetouan/moderation")
        if expected[role] is None:
            assert response.status_code in (302, 401)
        else:
            assert response.status_code == expected[role], role


def test_decide_access_matrix(client, cast, commune):
    idea = make_idea(commune, cast.resident)
    for role in ROLES:
        as_role(client, cast, role)
        if role == "anonymous":
            token = csrf_token(client)
            response = client.post(f"/tetouan/moderation/idea/{idea.id}",
                                   data={f"idea-{idea.id}-action": "hide", f"idea-{idea.id}-reason": "x",
                                         f"idea-{idea.id}-csrf_token": token})
            assert response.status_code in (302, 401)
            continue
        response = decide_post(client, "idea", idea.id, "hide", "Test")
        if role in ("moderator", "admin"):
            assert response.status_code == 303, role
            # put it back for the next role
            moderation.decide(cast.moderator, commune.id, "idea", idea.id, "restore", "retour")
            db.session.commit()
        else:
            assert response.status_code == 403, role
    db.session.expire_all()
    assert not db.session.get(Idea, idea.id).hidden


def test_queue_page_and_fragment_show_reasons_not_reporters(client, commune):
    author = person(commune, "resident", name="Auteur")
    idea = make_idea(commune, author, title="Idée signalée")
    reporter = person(commune, "resident", name="Dénonciateur Secret")
    moderation.report(reporter, commune.id, "idea", idea.id, "incitement", "note privée")
    db.session.commit()
    sign_in(client, person(commune, "moderator"))
    page = client.get("/tetouan/moderation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and is_page(page)
    assert "Idée signalée" in html and "Racist or sectarian incitement" in html
    assert "Dénonciateur Secret" not in html and reporter.email not in html
    fragment = client.get("/tetouan/moderation?new_page=x&reported_page=-3", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and is_fragment(fragment) and 'id="moderation-queue"' in fragment.get_data(as_text=True)


def test_decide_routes_page_htmx_errors_and_csrf(client, commune):
    author = person(commune, "resident")
    idea = make_idea(commune, author)
    sign_in(client, person(commune, "moderator"))
    assert decide_post(client, "idea", idea.id, "reject", "x", token=False).status_code == 400
    # reason missing → 422, message next to the field, nothing changed
    for htmx in (False, True):
        response = decide_post(client, "idea", idea.id, "reject", "   ", htmx=htmx)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "Give a reason" in html and f'id="idea-{idea.id}-reason-error"' in html
        assert is_fragment(response) == htmx
    typed = "Voir <script>x</script>"
    response = decide_post(client, "idea", idea.id, "hide", typed)
    assert response.status_code == 422 and "&lt;script&gt;x&lt;/script&gt;" in response.get_data(as_text=True)
    assert decide_post(client, "idea", idea.id, "explode", "x").status_code == 422
    assert decide_post(client, "petition", idea.id, "hide", "x").status_code == 404
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "submitted" and audit_count() == 0

    response = decide_post(client, "idea", idea.id, "accept", htmx=True)
    assert response.status_code == 200 and is_fragment(response)
    html = response.get_data(as_text=True)
    assert 'role="status"' in html and "Decision recorded" in html
    response = decide_post(client, "idea", idea.id, "accept", htmx=True)  # twice: refused, shown in place
    assert response.status_code == 409 and "Only a submitted idea" in response.get_data(as_text=True)
    response = decide_post(client, "idea", idea.id, "hide", "Contenu hors sujet")
    assert response.status_code == 303 and response.headers["Location"].endswith("/tetouan/moderation")
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert idea.status == "accepted" and idea.hidden and idea.hidden_reason == "Contenu hors sujet"
    assert [n.kind for n in notes_of(author)] == ["idea_reviewed", "idea_hidden"]
    assert json.loads(notes_of(author)[-1].params)["reason"] == "Contenu hors sujet"
    assert audit_count() == 2


def test_moderator_of_another_commune_cannot_decide_here(client, commune):
    idea = make_idea(commune, person(commune, "resident"))
    other = other_commune()
    outsider = person(other, "moderator", "admin")
    sign_in(client, outsider)
    assert decide_post(client, "idea", idea.id, "hide", "x").status_code == 403
    # nor reach this commune's items through their own commune's URL
    assert decide_post(client, "idea", idea.id, "hide", "x", commune="chefchaouen").status_code == 404
    db.session.expire_all()
    assert not db.session.get(Idea, idea.id).hidden


def test_reports_are_rate_limited_per_person(client, commune):
    idea = make_idea(commune, person(commune, "resident"))
    sign_in(client, person(commune, "resident"))
    token = csrf_token(client)
    statuses = [client.post(f"/tetouan/report/idea/{idea.id}", data={"reason": "spam", "csrf_token": token}).status_code
                for _ in range(31)]
    assert statuses[0] == 303 and set(statuses[1:30]) == {409} and statuses[30] == 429
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).report_count == 1
