"""The XSS corpus through every page and fragment (SECURITY.md §1, §4 "Input and output").

1. The text rules refuse every payload that carries markup, a `javascript:` URL or a bidi control.
2. The forms residents fill refuse those payloads next to the field, keep what was typed — escaped,
   even `</textarea>` — and store nothing.
3. Text that reached the database anyway (older data, imports, another path) is escaped on output:
   a payload is written into every free-text column of the route matrix's world (people's names,
   ideas, comments, associations, projects, criteria, rounds, programme notes, opinions, audit
   details, notifications…), then EVERY GET URL rule is rendered for each kind of visitor, as a full
   page and as an htmx fragment with payloads in the usual query parameters: no 500, nothing
   unescaped in any HTML answer.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import String, Text, select, update

from extensions import db
from services import text as text_rules
from services.errors import ServiceError
from tests.conftest import _OwnContextClient, csrf_token, login, make_user, post
from blueprints._access import declaration
from tests.test_route_matrix import _allowed, _rules, _sign_in, _url, world  # noqa: F401  (world is a fixture)

# --- the corpus ------------------------------------------------------------------------------

MARKUP_PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    '<a href="javascript:alert(1)">lien</a>',
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<!--<img src=x onerror=alert(3)>-->",
    "حديقة <script>alert('ar')</script>",
    "ⵜⴰⵎⴰⵣⵉⵖⵜ <img src=x onerror=alert(2)>",
]
BIDI_PAYLOADS = [
    "\u202egpj.exe",  # RIGHT-TO-LEFT OVERRIDE
    "\u2067عربي\u2069 ok",  # RIGHT-TO-LEFT ISOLATE … POP
    "abc\u202adef",  # LEFT-TO-RIGHT EMBEDDING
]
# Plain text that is allowed: it must come back literally (never evaluated, never breaking out).
PLAIN_PAYLOADS = [
    "tpl{{7*7}}tpl",
    "tpl${7*7}tpl",
    "tpl{% print 7*7 %}tpl",
    "x\" onmouseover=\"alert(1)",
    "x' autofocus onfocus='alert(1)",
    "'; DROP TABLE idea;--",
    "%3Cscript%3Ealert(1)%3C/script%3E",
]
REFUSED = MARKUP_PAYLOADS + BIDI_PAYLOADS


class _Tags(HTMLParser):
    """The elements and attributes a browser would build from an HTML answer."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = [(name.lower(), value or "") for name, value in attrs]
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.problems.append("inline <script>")
        if tag in ("iframe", "object", "embed", "base") or (tag == "img" and ("src", "x") in attrs):
            self.problems.append(f"<{tag}> from a payload: {attrs}")
        for name, value in attrs:
            if name.startswith("on") or name in ("autofocus", "formaction", "srcdoc"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "data", "xlink:href") and \
                    re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:", "data:text")):
                self.problems.append(f"<{tag} {name}={value!r}>")
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data):
        if "alert" in data:
            self.problems.append("a payload opened an HTML comment")


def unescaped(html: str) -> list[str]:
    """What in an HTML answer shows that a payload got through unescaped."""
    parser = _Tags()
    parser.feed(html)
    parser.close()
    problems = parser.problems
    if "tpl49tpl" in html:
        problems.append("a template expression was evaluated")
    if re.search(r"<script>\s*alert", html, re.IGNORECASE):
        problems.append("<script>alert")
    if re.search(r"<style>body\{display:none", html, re.IGNORECASE):
        problems.append("<style> from a payload")
    return problems


# --- 1. the text rules ------------------------------------------------------------------------

@pytest.mark.parametrize("payload", REFUSED)
def test_the_text_rules_refuse_every_markup_and_bidi_payload(payload):
    assert text_rules.problem_with(payload) in ("markup", "bidi")
    with pytest.raises(ServiceError) as refused:
        text_rules.check_text(payload, "title", max_length=500)
    assert refused.value.field == "title"


@pytest.mark.parametrize("payload", PLAIN_PAYLOADS)
def test_the_text_rules_keep_plain_text_as_typed(payload):
    assert text_rules.check_text(payload, "title", max_length=500) == payload


def test_the_detector_sees_every_payload_when_it_is_not_escaped():
    """The check used below would catch each payload written into a page raw."""
    for payload in MARKUP_PAYLOADS:
        if payload.startswith(("javascript", "JaVa")):
            continue
        assert unescaped(f"<p>{payload}</p>"), payload
        assert unescaped(f'<textarea>{payload}</textarea>'), payload
    assert unescaped('<a href="javascript:alert(1)">x</a>')
    assert unescaped("<p>tpl49tpl</p>")
    assert unescaped('<input value="x" onmouseover="alert(1)">')
    from markupsafe import escape

    for payload in MARKUP_PAYLOADS + PLAIN_PAYLOADS:
        assert not unescaped(f'<p title="{escape(payload)}">{escape(payload)}</p>'), payload


# --- 2. the resident forms --------------------------------------------------------------------

def _resident_forms(commune, idea):
    """Each form with the free-text fields that receive the payload (all at once)."""
    from tests.test_ideas import form as idea_form

    return {
        "idea": ("/tetouan/ideas/new", idea_form(commune), ("title", "description", "location_text")),
        "comment": (f"/tetouan/ideas/{idea.id}/comments", {"stance": "for", "body": "Un avis."}, ("body",)),
        "report": (f"/tetouan/report/idea/{idea.id}", {"reason": "spam", "note": "Note."}, ("note",)),
        "association": ("/tetouan/associations/new", _association_form(), ("name", "address", "description")),
    }


def _association_form() -> dict:
    return {"name": "Association Jardins", "receipt_number": "REC-77", "founded_on": "2015-03-01",
            "presence": "seat", "address": "Avenue Mohammed V, Tétouan", "field": "environment",
            "description": "Nous plantons des arbres.", "contact_email": "", "contact_phone": ""}


def _stored_texts() -> list[str]:
    """Every free-text value in the database (the columns of FREE_TEXT that exist)."""
    db.session.rollback()
    values = []
    for table, column in _free_text_columns():
        values += [v for v in db.session.scalars(select(column).where(column.is_not(None)))]
    return values


def test_resident_forms_refuse_payloads_keep_them_escaped_and_store_nothing(client, commune, plan, monkeypatch):
    from extensions import limiter
    from tests.conftest import make_idea, set_phase

    monkeypatch.setattr(limiter, "enabled", False)  # comments and reports are rate-limited per person
    set_phase(plan, "collection")
    set_phase(plan, "support")
    resident = make_user(commune, name="Amina")
    idea = make_idea(commune, make_user(commune))
    login(client, resident)
    token = csrf_token(client)
    before = sorted(_stored_texts())
    problems = []
    for name, (url, base, fields) in _resident_forms(commune, idea).items():
        for i, payload in enumerate(REFUSED):
            htmx = i % 3 == 0  # a third of them as htmx fragments
            data = {**base, **{f: payload for f in fields}, "csrf_token": token}
            response = post(client, url, data, htmx=htmx)
            html = response.get_data(as_text=True)
            if response.status_code not in (400, 422):
                problems.append(f"{name} {payload!r} htmx={htmx}: {response.status_code}")
            elif not any(m in html for m in ("Write plain text", "direction-control")):
                problems.append(f"{name} {payload!r}: no message next to the field")
            problems += [f"{name} {payload!r}: {p}" for p in unescaped(html)]
        # what was typed comes back, escaped (textareas included)
        for htmx in (False, True):
            data = {**base, **{f: "</textarea><svg onload=alert(1)>" for f in fields}, "csrf_token": token}
            html = post(client, url, data, htmx=htmx).get_data(as_text=True)
            assert "&lt;/textarea&gt;&lt;svg onload=alert(1)&gt;" in html, name
    assert problems == [], "\n".join(problems[:20])
    assert sorted(_stored_texts()) == before  # nothing stored, not even half-way


@pytest.mark.parametrize("payload", MARKUP_PAYLOADS + BIDI_PAYLOADS[:1])
def test_registration_refuses_payload_names(client, commune, payload):
    from models import User

    response = post(client, "/tetouan/register", {
        "display_name": payload, "identifier": "new.person@example.com", "password": "a-long-pass-phrase-ok",
        "confirm": "a-long-pass-phrase-ok", "consent": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Write plain text" in html or "direction-control" in html
    assert not unescaped(html)
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.email == "new.person@example.com")) is None


# --- 3. stored payloads on every page and fragment --------------------------------------------

# Free text people or staff write and pages show back. Columns missing from the models are skipped
# (areas still being built); codes, slugs, states and JSON are left alone (they drive the pages).
FREE_TEXT = {
    "user_account": ["display_name"],
    "association": ["name", "address", "description", "rejected_reason"],
    "axis": ["name_ar", "name_fr", "name_zgh"],
    "neighbourhood": ["name_ar", "name_fr", "name_zgh"],
    "plan": ["title_ar", "title_fr", "title_zgh", "description"],
    "report": ["note"],
    "committee_member": ["organisation"],
    "criterion": ["name_ar", "name_fr", "name_zgh", "description_ar", "description_fr", "description_zgh"],
    "criterion_level": ["text_ar", "text_fr", "text_zgh"],
    "idea": ["title", "description", "location_text", "review_note", "hidden_reason"],
    "comment": ["body", "hidden_reason"],
    "petition": ["title", "request", "reasons", "committee", "refusal_text", "delay_explanation"],
    "project": ["title_ar", "title_fr", "title_zgh", "sector", "objectives", "executing_department"],
    "project_indicator": ["label", "unit"],
    "project_partner": ["name"],
    "scoring_round": ["name"],
    "score": ["comment"],
    "recusal": ["reason"],
    "ranking_override": ["justification"],
    "support_round": ["name"],
    "support_round_project": ["name"],
    "execution_report": ["delay_causes", "reason"],
    "milestone": ["label", "photo_alt"],
    "programme_version": ["note", "decision_reference"],
    "programme_entry": ["reason", "justification"],
    "equality_opinion": ["plan_title", "title", "body", "recommendations", "signed_by", "response_body"],
    "privacy_settings": ["controller_address", "dpo_name", "purposes_ar", "purposes_fr", "purposes_zgh",
                         "rights_ar", "rights_fr", "rights_zgh"],
}
STORED = [p for p in MARKUP_PAYLOADS if not p.startswith(("javascript", "JaVa"))] + PLAIN_PAYLOADS


def _free_text_columns():
    tables = db.metadata.tables
    for table_name, names in FREE_TEXT.items():
        table = tables.get(table_name)
        if table is None:
            continue
        for name in names:
            column = table.columns.get(name)
            if column is not None and isinstance(column.type, (String, Text)):
                yield table, column


def _fill_with_payloads() -> int:
    """Write a payload (rotating through STORED) into every free-text value of every row."""
    n = 0
    for table, column in _free_text_columns():
        (pk,) = table.primary_key.columns
        length = getattr(column.type, "length", None)
        for row_id in db.session.scalars(select(pk)):
            payload = STORED[n % len(STORED)]
            n += 1
            value = f"{payload} {row_id}"
            if length and len(value) > length:
                value = value[:length]
            db.session.execute(update(table).where(pk == row_id).values({column: value}))
    return n


def _more_stored_payloads(world) -> None:
    """Audit details and notifications carry people's words too."""
    from blueprints import labels
    from models import Notification
    from services import audit

    commune_id = world["commune"].id
    audit.record("idea.review", actor_id=world["users"]["admin"].id, commune_id=commune_id, target_kind="idea",
                 target_id=world["idea"].id, details={"title": STORED[0], "reason": STORED[1]})
    params = {"title": STORED[1], "reason": STORED[2], "name": STORED[3], "note": STORED[4],
              "commune": STORED[5], "code": world["project"].code, "idea_id": world["idea"].id}
    for user in world["users"].values():
        for kind in labels.NOTIFICATION_TEXTS:
            db.session.add(Notification(user_id=user.id, commune_id=commune_id, kind=kind,
                                        params=json.dumps(params)))


QUERY = {  # the query parameters pages read, each given a payload
    "q": "<script>alert(1)</script>", "sort": '"><img src=x onerror=alert(1)>', "page": "2<svg onload=alert(1)>",
    "axis": "javascript:alert(1)", "neighbourhood": "tpl{{7*7}}tpl", "status": "</textarea><svg onload=alert(1)>",
    "next": "javascript:alert(1)", "year": "<script>alert(1)</script>", "kind": '"><img src=x onerror=alert(1)>',
    "view": "x\" onmouseover=\"alert(1)", "version": "'><svg/onload=alert(1)>", "filter": "tpl{% print 7*7 %}tpl",
    "round": "<iframe src=//evil.example></iframe>", "lang": "<script>alert(1)</script>",
    "per_page": "<script>alert(1)</script>", "a": '"><img src=x onerror=alert(1)>',
    "b": '"><img src=x onerror=alert(1)>',
}
HX = {"HX-Request": "true"}
WALKERS = ("anonymous", "resident", "association", "moderator", "committee", "admin", "bureau", "equality")


def test_stored_payloads_are_escaped_on_every_page_and_fragment(app, world):
    assert _fill_with_payloads() > 50
    _more_stored_payloads(world)
    db.session.commit()
    get_rules = [r for r in _rules(app) if "GET" in r.methods]
    urls, no_sample = [], []
    for rule in get_rules:
        try:
            urls.append((rule, _url(rule, world)))
        except AssertionError:  # the route matrix fails for such a rule: its area must add a sample
            no_sample.append(rule.endpoint)
    assert len(urls) > 60
    problems, answered = [], {}
    for visitor in WALKERS:
        client = _OwnContextClient(app, app.response_class, use_cookies=True)
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
        if visitor != "anonymous":
            _sign_in(client, world["users"][visitor])
        for rule, url in urls:
            public = declaration(app.view_functions[rule.endpoint])[0] == "public"
            if visitor == "anonymous":  # every rule: public pages, and the refusals of the others
                walks = (({}, None), (HX, QUERY))
            elif public:  # public pages differ a little for signed-in people (buttons, own items)
                walks = (({}, None),) if visitor in ("resident", "association") else ()
            elif _allowed(declaration(app.view_functions[rule.endpoint]), visitor, world):
                walks = (({}, None), (HX, QUERY))
            else:  # refused: the route matrix checks that; anonymous saw the refusal pages
                walks = ()
            for headers, query in walks:
                response = client.get(url, headers=headers, query_string=query)
                status = response.status_code
                answered.setdefault(rule.endpoint, set()).add(status)
                where = f"{visitor} {'htmx ' if headers else ''}{url}{'?…' if query else ''}"
                if status >= 500:
                    problems.append(f"{where}: {status}")
                    continue
                if response.mimetype == "text/html":
                    problems += [f"{where}: {p}" for p in unescaped(response.get_data(as_text=True))]
                elif status == 200 and response.mimetype not in (
                        "text/csv", "application/json", "text/plain", "image/jpeg", "image/png", "image/webp",
                        "application/csvm+json", "application/ld+json", "application/octet-stream"):
                    problems.append(f"{where}: served as {response.mimetype}")
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems[:30])
    # the walk really rendered the pages with the payloads (not only refusals)
    shown = {e for e, statuses in answered.items() if 200 in statuses}
    assert {"ideas.list_ideas", "ideas.show_idea", "ideas.comments", "associations.show", "projects.show_project",
            "rounds.show_round", "admin.audit", "me.notifications", "moderation.queue"} <= shown
    assert len(no_sample) <= len(get_rules) // 4, no_sample


def test_stored_payloads_really_reach_the_pages(app, client, world):
    """Guard for the walk above: the payloads are on the pages, escaped."""
    _fill_with_payloads()
    db.session.commit()
    html = client.get(f"/tetouan/ideas/{world['idea'].id}").get_data(as_text=True)
    assert "&lt;" in html and ("&lt;script&gt;alert(1)&lt;/script&gt;" in html or "&lt;img src=x" in html
                               or "&lt;svg" in html or "tpl{{7*7}}tpl" in html or "&lt;iframe" in html
                               or "&lt;style&gt;" in html or "&#34;" in html)
