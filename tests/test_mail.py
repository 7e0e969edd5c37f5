"""Notifications by e-mail, against a REAL local SMTP server (aiosmtpd): opt-in per group, one
digest per person per window, in the person's language, with links and unsubscribe links; never
twice (two passes, two senders at once); kept and retried while the SMTP server is down; pages
never wait for a mail server; the settings and unsubscribe pages (full page, htmx, CSRF, access)."""
from __future__ import annotations

import email
import json
import re
import smtplib
import socket
import threading
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from extensions import db
from models import MailDigest, MailOutbox, MailSettings, Notification
from models._base import utcnow
from services import comments as comment_service
from services import mailer, notifications
from services.errors import Conflict, ServiceError
from tests.conftest import login, make_idea, make_user, post

BASE_URL = "https://tasharuk.example/pac"
TITLE = {"ar": "حديقة القرب", "fr": "Jardin de proximité", "zgh": "ⴰⵊⵏⴰⵏ"}


# --- the SMTP server ---------------------------------------------------------------------------

class Collector:
    """aiosmtpd handler: keeps every message and counts the sessions that said EHLO/HELO."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.sessions = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ARG002
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):  # noqa: ARG002
        self.sessions += 1
        session.host_name = hostname
        return "250 {}".format(server.hostname)

    async def handle_DATA(self, server, session, envelope):  # noqa: ARG002
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str):
        return [m for rcpts, m in self.messages if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture()
def smtp(app, smtp_server, monkeypatch):
    """Mail configured towards the test server; its inbox emptied for each test."""
    controller, handler = smtp_server
    handler.messages.clear()
    handler.sessions = 0
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": controller.port, "MAIL_FROM": "pac@tetouan.example",
                       "PUBLIC_BASE_URL": BASE_URL, "MAIL_DIGEST_MINUTES": 60, "MAIL_MAX_ATTEMPTS": 3,
                       "MAIL_RETRY_MINUTES": 5, "MAIL_TIMEOUT": 5}.items():
        monkeypatch.setitem(app.config, key, value)
    return handler


def _closed_port() -> int:
    return _free_port()  # nothing listens there once the probe socket is closed


@pytest.fixture()
def people(commune):
    """Three people: Fatima (French) and Youssef (no language: Arabic) opted in to replies and
    moderation; Omar has an e-mail but chose nothing."""
    fatima = make_user(commune, email="fatima@example.test", name="Fatima")
    fatima.locale = "fr"
    youssef = make_user(commune, email="youssef@example.test", name="Youssef")
    omar = make_user(commune, email="omar@example.test", name="Omar")
    idea = make_idea(commune, fatima)
    db.session.commit()
    return {"fatima": fatima, "youssef": youssef, "omar": omar, "idea": idea, "commune": commune}


def _opt_in(user, *groups):
    mailer.set_groups(user, groups)
    db.session.commit()


def _reply(people, user, n=1):
    for i in range(n):
        notifications.notify(user.id, "comment_reply", commune_id=people["commune"].id, idea_id=people["idea"].id,
                             comment_id=1000 + i, idea_title="Un jardin <b>pour</b> tous")
    db.session.commit()


def _ranked(people, user):
    notifications.notify(user.id, "idea_ranked", commune_id=people["commune"].id, idea_id=people["idea"].id,
                         code="TET-07", title=TITLE, rank=2)
    db.session.commit()


def _body(message, subtype="plain") -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


def _outbox(user_id=None) -> list[MailOutbox]:
    db.session.rollback()
    query = select(MailOutbox).order_by(MailOutbox.id)
    if user_id is not None:
        query = query.where(MailOutbox.user_id == user_id)
    return list(db.session.scalars(query))


def _digests(user_id=None) -> list[MailDigest]:
    db.session.rollback()
    query = select(MailDigest).order_by(MailDigest.id)
    if user_id is not None:
        query = query.where(MailDigest.user_id == user_id)
    return list(db.session.scalars(query))


# --- choosing ----------------------------------------------------------------------------------

def test_every_kind_is_mailable_in_one_group_or_in_app_only():
    from blueprints import labels

    grouped = [kind for kinds in notifications.MAIL_GROUPS.values() for kind in kinds]
    assert len(grouped) == len(set(grouped))
    assert set(grouped).isdisjoint(notifications.IN_APP_ONLY)
    assert set(grouped) | notifications.IN_APP_ONLY == set(notifications.KINDS)
    assert set(labels.MAIL_GROUP_NAMES) == set(notifications.MAIL_GROUPS)


def test_notify_queues_only_what_the_person_opted_in_to(smtp, people):
    fatima, youssef, omar = people["fatima"], people["youssef"], people["omar"]
    _opt_in(fatima, "comment_replies", "bogus-group")
    assert mailer.groups_of(fatima.id) == {"comment_replies"}  # unknown codes ignored
    _reply(people, fatima)
    _ranked(people, fatima)  # group not chosen
    notifications.notify(fatima.id, "role_granted", commune_id=people["commune"].id, role="moderator")
    _reply(people, omar)  # chose nothing
    _reply(people, youssef)  # no settings row at all
    queued = _outbox()
    assert [(row.user_id, db.session.get(Notification, row.notification_id).kind) for row in queued] == [
        (fatima.id, "comment_reply")]
    # Account and security kinds stay in-app even for someone who chose every group.
    _opt_in(omar, *notifications.MAIL_GROUPS)
    notifications.notify(omar.id, "second_factor_reset", commune_id=people["commune"].id, admin="Admin")
    db.session.commit()
    assert len(_outbox(omar.id)) == 0


def test_without_a_mail_server_nothing_is_queued_nor_sent_and_it_is_logged_once(app, people, caplog):
    assert not app.config["MAIL_SERVER"]
    _opt_in(people["fatima"], "comment_replies")
    _reply(people, people["fatima"])
    assert _outbox() == []
    mailer._said_unconfigured.clear()
    with caplog.at_level("INFO", logger="services.mailer"):
        first, second = mailer.send_pending(), mailer.send_pending()
    assert not first.configured and not second.configured
    assert sum("no MAIL_SERVER" in r.getMessage() for r in caplog.records) == 1


def test_phone_only_accounts_cannot_opt_in_but_may_opt_out(commune):
    person = make_user(commune, phone="+212600000001")
    with pytest.raises(Conflict):
        mailer.set_groups(person, ["comment_replies"])
    assert mailer.set_groups(person, []) == frozenset()
    assert db.session.get(MailSettings, person.id) is None


def test_opting_out_drops_what_was_queued_for_that_group(smtp, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies", "idea_ranked")
    _reply(people, fatima)
    _ranked(people, fatima)
    _opt_in(fatima, "idea_ranked")
    kinds = [db.session.get(Notification, r.notification_id).kind for r in _outbox(fatima.id)]
    assert kinds == ["idea_ranked"]


# --- sending -----------------------------------------------------------------------------------

def test_one_digest_per_person_in_their_language_with_links(smtp, people):
    fatima, youssef, omar = people["fatima"], people["youssef"], people["omar"]
    _opt_in(fatima, "comment_replies", "idea_ranked")
    _opt_in(youssef, "idea_ranked")
    _reply(people, fatima, n=2)
    _ranked(people, fatima)
    _ranked(people, youssef)
    _reply(people, omar)
    result = mailer.send_pending()
    assert (result.sent, result.retry, result.failed) == (2, 0, 0)
    assert smtp.to("omar@example.test") == []
    [message] = smtp.to("fatima@example.test")
    assert message["To"] == "Fatima <fatima@example.test>" and message["From"] == "pac@tetouan.example"
    assert message["Content-Language"] == "fr" and message["Auto-Submitted"] == "auto-generated"
    assert "3" in message["Subject"]
    text, html = _body(message), _body(message, "html")
    assert text.count("Un jardin <b>pour</b> tous") == 2  # plain text: as typed, isolated
    assert "Jardin de proximité" in text and "حديقة القرب" not in text  # French reader, French official name
    assert f"{BASE_URL}/tetouan/ideas/{people['idea'].id}" in text
    assert f"{BASE_URL}/tetouan/projects/TET-07" in text  # what became of my idea: its project
    assert f"{BASE_URL}/me/notifications/settings" in text
    assert "Un jardin &lt;b&gt;pour&lt;/b&gt; tous" in html and "<b>pour</b>" not in html  # HTML: escaped
    assert 'lang="fr"' in html and "<img" not in html and "Ouvrir" in html
    # One unsubscribe link per group in the digest, and the List-Unsubscribe header.
    links = re.findall(re.escape(BASE_URL) + r"/unsubscribe/([\w.-]+)", text)
    assert sorted(mailer.read_unsubscribe_token(t).group for t in links) == ["comment_replies", "idea_ranked"]
    assert {mailer.read_unsubscribe_token(t).user_id for t in links} == {fatima.id}
    header = re.fullmatch(r"<" + re.escape(BASE_URL) + r"/unsubscribe/([\w.-]+)>", message["List-Unsubscribe"])
    assert header and mailer.read_unsubscribe_token(header.group(1)) == mailer.Unsubscribe(fatima.id, "all")
    [arabic] = smtp.to("youssef@example.test")
    assert arabic["Content-Language"] == "ar" and "حديقة القرب" in _body(arabic)
    assert 'dir="rtl"' in _body(arabic, "html")
    assert all(d.status == "sent" and d.sent_at is not None for d in _digests())


def test_a_second_pass_sends_nothing_and_the_window_holds_later_notifications(smtp, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    _reply(people, fatima)
    now = utcnow()
    assert mailer.send_pending(now=now).sent == 1
    assert mailer.send_pending(now=now).sent == 0
    _reply(people, fatima)
    assert mailer.send_pending(now=now + timedelta(minutes=59)).sent == 0  # the window is one hour
    assert len(smtp.to("fatima@example.test")) == 1
    assert mailer.send_pending(now=now + timedelta(minutes=61)).sent == 1
    assert len(smtp.to("fatima@example.test")) == 2
    assert mailer.send_pending(now=now + timedelta(minutes=200)).sent == 0  # nothing new: nothing sent


def test_read_notifications_are_not_mailed(smtp, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    _reply(people, fatima)
    notifications.mark_all_read(fatima.id)
    db.session.commit()
    result = mailer.send_pending()
    assert result.sent == 0 and smtp.messages == [] and _outbox() == []
    # …and the window was not used up by that empty pass.
    _reply(people, fatima)
    assert mailer.send_pending().sent == 1


def test_two_senders_at_once_mail_each_person_once(app, smtp, commune):
    users = []
    for i in range(6):
        user = make_user(commune, email=f"p{i}@example.test")
        _opt_in(user, "comment_replies")
        users.append(user)
    idea = make_idea(commune, users[0])
    for user in users:
        for _ in range(2):
            notifications.notify(user.id, "comment_reply", commune_id=commune.id, idea_id=idea.id, comment_id=1,
                                 idea_title="x")
    db.session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sender():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(mailer.send_pending())
                db.session.remove()
        except Exception as exc:  # noqa: BLE001  reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in results) == 6
    assert sorted(r[0][0] for r in smtp.messages) == sorted(u.email for u in users)
    assert len(_digests()) == 6 and all(row.digest_id is not None for row in _outbox())


def test_the_rows_are_kept_while_the_server_is_down_and_sent_once_it_is_back(app, smtp, people, monkeypatch):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    _reply(people, fatima, n=2)
    working = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    now = utcnow()
    result = mailer.send_pending(now=now)
    assert (result.sent, result.retry) == (0, 1)
    [digest] = _digests()
    assert digest.status == "retry" and digest.attempts == 1 and digest.last_error
    assert digest.next_attempt_at == now + timedelta(minutes=5)
    assert len(_outbox()) == 2 and {r.digest_id for r in _outbox()} == {digest.id}
    monkeypatch.setitem(app.config, "MAIL_PORT", working)
    assert mailer.send_pending(now=now + timedelta(minutes=4)).sent == 0  # not due yet
    assert mailer.send_pending(now=now + timedelta(minutes=6)).sent == 1
    assert mailer.send_pending(now=now + timedelta(minutes=30)).sent == 0
    [message] = smtp.to("fatima@example.test")
    assert "2" in message["Subject"]
    [digest] = _digests()
    assert digest.status == "sent" and digest.attempts == 2 and digest.last_error is None


def test_attempts_are_bounded_and_nothing_is_lost(app, smtp, people, monkeypatch):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    _reply(people, fatima)
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    now = utcnow()
    outcomes = [mailer.send_pending(now=now + timedelta(hours=h)) for h in range(5)]
    assert [(r.retry, r.failed) for r in outcomes] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    [digest] = _digests()
    assert digest.status == "failed" and digest.attempts == 3
    assert len(_outbox()) == 1  # the row is kept, and the notification is still in-app
    assert db.session.scalar(select(func.count(Notification.id))) == 1


def test_a_sender_that_died_mid_send_is_taken_over_later(smtp, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    _reply(people, fatima)
    now = utcnow()

    def crash(user, notes, settings):  # noqa: ARG001
        raise KeyboardInterrupt  # the process dies: the claim stays

    with pytest.raises(KeyboardInterrupt):
        mailer.send_pending(now=now, compose=crash)
    db.session.rollback()
    assert mailer.send_pending(now=now + timedelta(minutes=5)).sent == 0  # still claimed
    assert mailer.send_pending(now=now + timedelta(minutes=16)).sent == 1
    assert len(smtp.messages) == 1


def test_people_without_an_address_any_more_are_skipped(smtp, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    _reply(people, fatima)
    fatima.email, fatima.phone = None, "+212600000002"
    db.session.commit()
    assert mailer.send_pending().cancelled == 1 and smtp.messages == []


def test_cli_send_and_worker(runner, smtp, people, app):
    _opt_in(people["fatima"], "comment_replies")
    _reply(people, people["fatima"])
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "1 sent" in result.output
    result = runner.invoke(args=["mail", "worker", "--interval", "1", "--passes", "2"])
    assert result.exit_code == 0 and "2 passes" in result.output
    assert len(smtp.messages) == 1


def test_cli_without_a_mail_server(runner, app):
    result = runner.invoke(args=["mail", "send"])
    assert result.exit_code == 0 and "No MAIL_SERVER" in result.output


def test_the_thread_worker_starts_once_when_asked(app, monkeypatch):
    calls = []
    monkeypatch.setattr(mailer, "run_worker", lambda app_, interval: calls.append(interval))
    assert mailer.start_thread(app) is None  # MAIL_WORKER is not "thread"
    monkeypatch.setitem(app.config, "MAIL_WORKER", "thread")
    monkeypatch.setitem(app.config, "MAIL_WORKER_INTERVAL", 7)
    monkeypatch.delitem(app.extensions, "tasharuk_mail_thread", raising=False)
    thread = mailer.start_thread(app)
    try:
        thread.join(timeout=5)
        assert calls == [7] and thread.daemon
        assert mailer.start_thread(app) is None  # one per process
    finally:
        app.extensions.pop("tasharuk_mail_thread", None)


# --- pages never wait for a mail server ----------------------------------------------------------

def test_a_page_that_notifies_never_talks_to_the_mail_server(app, client, smtp, people, monkeypatch):
    fatima, youssef = people["fatima"], people["youssef"]
    _opt_in(fatima, "comment_replies")
    root = comment_service.post(fatima, people["idea"].id, body="Premier avis", stance="for")
    db.session.commit()
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())  # unreachable
    attempts = []
    real_init = smtplib.SMTP.__init__

    def counting_init(self, *args, **kwargs):
        attempts.append(args)
        return real_init(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", counting_init)
    login(client, youssef)
    response = post(client, f"/tetouan/ideas/{people['idea'].id}/comments",
                    {"body": "Je réponds", "stance": "for", "parent_id": str(root.id)}, htmx=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert attempts == [] and smtp.sessions == 0 and smtp.messages == []
    [row] = _outbox(fatima.id)  # queued for the background sender
    assert db.session.get(Notification, row.notification_id).kind == "comment_reply"


# --- the settings page -------------------------------------------------------------------------

SETTINGS = "/me/notifications/settings"


def test_settings_page_needs_sign_in(client, commune):
    response = client.get(SETTINGS)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_settings_page_full_htmx_and_csrf(client, smtp, people):
    fatima = people["fatima"]
    login(client, fatima)
    client.set_cookie("tasharuk_lang", "en")  # Fatima reads French; this test reads the English msgids
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "<h1>Notification settings</h1>" in page and page.count('type="checkbox"') == len(notifications.MAIL_GROUPS)
    assert "checked" not in page  # off by default
    assert "Replies to my comments" in page and "fatima@example.test" in page
    assert post(client, SETTINGS, {"comment_replies": "y"}, token=False).status_code == 400
    assert mailer.groups_of(fatima.id) == frozenset()
    response = post(client, SETTINGS, {"comment_replies": "y", "petitions": "y"}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1" not in body and "Your choices are saved." in body
    assert response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == {"comment_replies", "petitions"}
    page = client.get(SETTINGS).get_data(as_text=True)
    assert len(re.findall(r'<input checked[^>]*type="checkbox"|<input[^>]*checked[^>]*type="checkbox"', page)) == 2
    response = post(client, SETTINGS, {"petitions": "y"})  # full page: untick one
    assert response.status_code == 200 and "Your choices are saved." in response.get_data(as_text=True)
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == {"petitions"}


def test_settings_page_for_a_phone_only_account(client, commune):
    person = make_user(commune, phone="+212600000003")
    login(client, person)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert "no e-mail address" in page and 'type="checkbox"' not in page
    response = post(client, SETTINGS, {"comment_replies": "y"}, htmx=True)
    assert response.status_code == 409 and "add one to your account" in response.get_data(as_text=True)
    assert db.session.get(MailSettings, person.id) is None


def test_settings_page_says_when_the_platform_sends_no_mail(client, people):
    login(client, people["fatima"])
    client.set_cookie("tasharuk_lang", "en")  # Fatima reads French; this test reads the English msgid
    assert "does not send e-mails at the moment" in client.get(SETTINGS).get_data(as_text=True)


# --- unsubscribe -------------------------------------------------------------------------------

def _unsubscribe_url(user, group="comment_replies") -> str:
    return "/unsubscribe/" + mailer.unsubscribe_token(user.id, group)


def test_the_link_in_the_e_mail_unsubscribes_without_signing_in(client, smtp, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies", "idea_ranked")
    _reply(people, fatima)
    mailer.send_pending()
    [message] = smtp.to("fatima@example.test")
    url = re.search(re.escape(BASE_URL) + r"(/unsubscribe/[\w.-]+)", _body(message)).group(1)
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Stop e-mails about “Replies to my comments”?" in text
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == {"comment_replies", "idea_ranked"}  # GET changed nothing
    assert post(client, url, {}, token=False).status_code == 400
    response = post(client, url, {})
    assert response.status_code == 200
    assert "You will no longer receive e-mails about “Replies to my comments”." in response.get_data(as_text=True)
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == {"idea_ranked"}
    assert "Nothing to do" in client.get(url).get_data(as_text=True)


def test_unsubscribe_from_everything_with_htmx(client, people):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies", "idea_ranked")
    url = _unsubscribe_url(fatima, "all")
    assert "Stop every e-mail from this platform?" in client.get(url).get_data(as_text=True)
    response = post(client, url, {}, htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1" not in body and "no longer receive e-mails" in body
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == frozenset()


def test_tampered_and_expired_links_are_refused(client, people, monkeypatch):
    fatima = people["fatima"]
    _opt_in(fatima, "comment_replies")
    token = mailer.unsubscribe_token(fatima.id, "comment_replies")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "not-a-token", mailer.unsubscribe_token(fatima.id, "no-such-group")):
        response = client.get("/unsubscribe/" + bad)
        assert response.status_code == 400 and "not valid" in response.get_data(as_text=True)
        assert post(client, "/unsubscribe/" + bad, {}).status_code == 400
    import itsdangerous.timed

    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: real(self) - 61 * 24 * 3600)
    old = mailer.unsubscribe_token(fatima.id, "comment_replies")
    monkeypatch.undo()
    with pytest.raises(ServiceError):
        mailer.read_unsubscribe_token(old)
    response = post(client, "/unsubscribe/" + old, {})
    assert response.status_code == 400 and "has expired" in response.get_data(as_text=True)
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == {"comment_replies"}


def test_someone_elses_link_while_signed_in_is_refused(client, people):
    fatima, youssef = people["fatima"], people["youssef"]
    _opt_in(fatima, "comment_replies")
    url = _unsubscribe_url(fatima)
    login(client, youssef)
    response = client.get(url)
    assert response.status_code == 403 and "belongs to another account" in response.get_data(as_text=True)
    response = post(client, url, {}, htmx=True)
    assert response.status_code == 403 and "belongs to another account" in response.get_data(as_text=True)
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == {"comment_replies"}
    # Signed in as the owner, it works and links to the settings.
    assert post(client, "/logout", {}).status_code in (302, 303)
    login(client, fatima)
    response = post(client, url, {})
    assert response.status_code == 200 and SETTINGS in response.get_data(as_text=True)
    db.session.rollback()
    assert mailer.groups_of(fatima.id) == frozenset()


def test_notifications_page_links_to_the_settings_and_to_projects(client, people):
    fatima = people["fatima"]
    _ranked(people, fatima)
    login(client, fatima)
    page = client.get("/me/notifications").get_data(as_text=True)
    assert SETTINGS in page
    assert "Jardin de proximité" in page  # English readers get the French official name
    assert 'href="/tetouan/projects/TET-07"' in page


# --- personal data: export, deletion with the account, retention --------------------------------

def test_mail_data_is_exported_deleted_with_the_account_and_purged(smtp, people):
    from services import personal_data, retention

    fatima, youssef = people["fatima"], people["youssef"]
    _opt_in(fatima, "comment_replies", "petitions")
    _opt_in(youssef, "comment_replies")
    _reply(people, fatima, n=2)
    _reply(people, youssef)
    now = utcnow()
    assert mailer.send_pending(now=now).sent == 2
    exported = personal_data.export(fatima)["mail"]
    assert exported["groups"] == ["comment_replies", "petitions"]
    assert [(e["status"], e["notifications"]) for e in exported["emails"]] == [("sent", 2)]
    assert "youssef" not in json.dumps(exported)
    # Retention: the record of sent e-mails goes after 3 months (the default), not before.
    kind = next(k for k in retention.kinds() if k.code == "mail")
    assert mailer.purge_mail(retention.Periods(kind, now + timedelta(days=80))) == 0
    assert mailer.purge_mail(retention.Periods(kind, now + timedelta(days=100))) == 2
    db.session.commit()
    assert _digests() == [] and _outbox() == []
    # Deleting the account removes the choices and whatever is still queued.
    _reply(people, fatima)
    assert len(_outbox(fatima.id)) == 1
    personal_data.erase(fatima)
    db.session.commit()
    assert db.session.get(MailSettings, fatima.id) is None and _outbox(fatima.id) == []
    assert mailer.groups_of(youssef.id) == {"comment_replies"}
