"""The committee's programme pages over HTTP (CSRF on): envelopes, building a draft, pins and
schedules (full page and htmx fragment), the council's decision, comparison, the mid-term
revision, the equality body's opinion, and who may do what.

The data is tests/test_programme_builder.py's `programme_world` (see its docstring for the
hand-computed programme: TET-01 from 2023, TET-02 from 2025, TET-03 skipped).
"""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from extensions import db
from models import BudgetEnvelope, EqualityOpinion, ProgrammeVersion
from services import audit, demo, programme
from tests.conftest import login, make_user, post
from tests.test_programme_builder import WHY, build, programme_world, set_envelopes, shared  # noqa: F401

BASE = "/tetouan/committee/programme"


@pytest.fixture()
def world(commune):
    return programme_world(commune)


def _version_url(version, tail=""):
    return f"{BASE}/versions/{version.id}{tail}"


def switch(client):
    """Sign out, so that the next login is another person."""
    assert post(client, "/logout", {}).status_code in (302, 303)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _fresh(model, id_):
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(model, id_)


# --- envelopes -------------------------------------------------------------------------------------

def _envelope_form(plan, amount="1 000 000", **extra):
    data = {}
    for year in range(plan.start_year, plan.end_year + 1):
        data[f"amount-{year}"] = amount
        data[f"participatory-{year}"] = "100 000"
    data.update(extra)
    return data


def test_envelopes_page_save_and_fragment(client, commune):
    made = programme_world(commune, envelopes=False)
    plan = made["plan"]
    login(client, made["users"]["B"])
    page = client.get(f"{BASE}/envelopes")
    assert page.status_code == 200
    html = _text(page)
    assert "<h1>Budget envelopes</h1>" in html and 'name="amount-2028"' in html and "<details" in html
    fragment = client.get(f"{BASE}/envelopes", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<h1>" not in _text(fragment) and 'id="programme-envelopes"' in _text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]
    axis = programme.axes_of(plan)[0]
    response = post(client, f"{BASE}/envelopes", _envelope_form(plan, "1.200.000", **{f"cap-2024-{axis.id}": "300,000"}))
    assert response.status_code == 303
    stored = programme.envelopes_of(_fresh(type(plan), plan.id))
    assert [stored[y].amount for y in sorted(stored)] == [1_200_000] * 6
    assert [(c.axis_id, c.amount) for c in stored[2024].axis_caps] == [(axis.id, 300_000)]
    response = post(client, f"{BASE}/envelopes", _envelope_form(plan, "900 000"), htmx=True)
    assert response.status_code == 200 and "The budget envelopes were saved." in _text(response)
    assert 'role="status"' in _text(response)


def test_bad_envelopes_keep_what_was_typed_and_save_nothing(client, commune):
    made = programme_world(commune, envelopes=False)
    plan = made["plan"]
    login(client, made["users"]["B"])
    data = _envelope_form(plan, **{"amount-2023": "-5", "amount-2024": "1 000 000,50", "participatory-2025": "3 000 000"})
    for htmx in (False, True):
        response = post(client, f"{BASE}/envelopes", data, htmx=htmx)
        assert response.status_code == 400
        html = _text(response)
        assert 'value="-5"' in html and 'value="1 000 000,50"' in html and 'value="3 000 000"' in html
        assert "The amount cannot be negative." in html and "without centimes" in html
        assert "cannot be more than the envelope" in html
        assert 'aria-describedby="amount-2023-error"' in html and 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count()).select_from(BudgetEnvelope)) == 0
    assert post(client, f"{BASE}/envelopes", _envelope_form(plan), token=False).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(BudgetEnvelope)) == 0


# --- building and reading a version -----------------------------------------------------------------

def test_build_from_the_published_ranking_and_read_the_version(client, world):
    login(client, world["users"]["B"])
    overview = client.get(BASE)
    assert overview.status_code == 200
    assert "Build a draft from the published ranking" in _text(overview) and world["round"].name in _text(overview)
    response = post(client, f"{BASE}/versions", {"round_id": str(world["round"].id)})
    assert response.status_code == 303
    version = db.session.scalar(select(ProgrammeVersion))
    assert response.headers["Location"].endswith(_version_url(version))
    page = _text(client.get(_version_url(version)))
    assert "<h1>Programme, version 1</h1>" in page
    assert "does not fit the 2023 envelope: MAD950,000 short" in page
    assert "Just missed:" in page and "MAD200,000 short" in page
    assert 'role="img"' in page and "<title id=" in page and "<desc id=" in page
    assert "2023: MAD750,000 committed of MAD1,000,000." in page
    assert "The numbers of the chart" in page and "MAD250,000" in page  # remaining in 2023, in the table
    assert page.count("<h1") == 1
    fragment = client.get(_version_url(version), headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<h1" not in _text(fragment) and 'id="programme-version"' in _text(fragment)


def test_build_refusals(client, commune):
    made = programme_world(commune, envelopes=False)
    login(client, made["users"]["B"])
    response = post(client, f"{BASE}/versions", {"round_id": str(made["round"].id)})
    assert response.status_code == 409
    assert "Set the budget envelope of every year of the plan first" in _text(response)
    assert "2023, 2024, 2025, 2026, 2027, 2028" in _text(response)
    set_envelopes(made["plan"])
    response = post(client, f"{BASE}/versions", {"round_id": "999999"})
    assert response.status_code == 400 and "Choose one of the published rankings" in _text(response)
    assert post(client, f"{BASE}/versions", {"round_id": str(made["round"].id)}, token=False).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ProgrammeVersion)) == 0


def test_build_with_residents_choices_over_http(client, shared):
    login(client, shared["users"]["B"])
    overview = _text(client.get(BASE))
    assert 'name="support_round_id"' in overview and shared["support_round"].name in overview
    assert "None: no participatory share" in overview and '<option selected value="mes-add1-comparison">' in overview
    # A wrong rule keeps what was chosen and builds nothing
    bad = {"round_id": str(shared["round"].id), "support_round_id": str(shared["support_round"].id), "rule": "nope"}
    response = post(client, f"{BASE}/versions", bad)
    assert response.status_code == 400 and "Choose one of the rules computed on this support round." in _text(response)
    assert f'<option selected value="{shared["support_round"].id}">' in _text(response)
    assert db.session.scalar(select(func.count()).select_from(ProgrammeVersion)) == 0
    response = post(client, f"{BASE}/versions", dict(bad, rule="greedy"))
    assert response.status_code == 303
    version = db.session.scalar(select(ProgrammeVersion))
    assert version.support_rule == "greedy"
    page = _text(client.get(_version_url(version)))
    assert "by the rule “Greedy by votes”" in page and "Chosen by residents' supports" in page
    assert "Residents' choices take MAD250,000 of the participatory share." in page


# --- pins and schedules ---------------------------------------------------------------------------------

def test_pin_with_htmx_returns_the_rebuilt_fragment(client, world):
    version = build(world)
    login(client, world["users"]["B"])
    pid = world["projects"]["TET-02"].id
    url = _version_url(version, f"/entries/{pid}")
    response = post(client, url, {"action": "pin", "year": "2023", "justification": WHY}, htmx=True)
    assert response.status_code == 200
    html = _text(response)
    assert "Project TET-02: done. The programme was rebuilt." in html and "pinned to 2023" in html
    assert "<h1" not in html
    entry = {e.project.code: e for e in _fresh(ProgrammeVersion, version.id).entries}
    assert (entry["TET-02"].start_year, entry["TET-01"].start_year) == (2023, 2024)
    # Full page: back to the version with a flash.
    response = post(client, url, {"action": "unpin", "year": "", "justification": WHY})
    assert response.status_code == 303


def test_pin_refusals_keep_the_typed_text_and_change_nothing(client, world):
    version = build(world)
    login(client, world["users"]["B"])
    url = _version_url(version, f"/entries/{world['projects']['TET-02'].id}")
    response = post(client, url, {"action": "pin", "year": "2023", "justification": "trop court"}, htmx=True)
    assert response.status_code == 400
    assert "Write at least 20 characters" in _text(response) and "trop court</textarea>" in _text(response)
    response = post(client, url, {"action": "pin", "year": "2023", "justification": ""})
    assert response.status_code == 400 and "Write why" in _text(response)
    url3 = _version_url(version, f"/entries/{world['projects']['TET-03'].id}")
    response = post(client, url3, {"action": "pin", "year": "2023", "justification": WHY}, htmx=True)
    assert response.status_code == 409
    assert "The 2023 envelope does not cover the pinned project TET-03: MAD200,000 short." in _text(response)
    assert WHY in _text(response)  # the justification is shown back
    entries = {e.project.code: e for e in _fresh(ProgrammeVersion, version.id).entries}
    assert [(c, e.state, e.start_year, e.pinned_year) for c, e in sorted(entries.items())] == [
        ("TET-01", "placed", 2023, None), ("TET-02", "placed", 2025, None), ("TET-03", "skipped", None, None)]
    assert post(client, url, {"action": "drop", "justification": WHY}, token=False).status_code == 400


def test_drop_and_restore_over_http(client, world):
    version = build(world)
    login(client, world["users"]["B"])
    url = _version_url(version, f"/entries/{world['projects']['TET-01'].id}")
    assert post(client, url, {"action": "drop", "justification": WHY}).status_code == 303
    page = _text(client.get(_version_url(version)))
    assert "Dropped by the committee" in page and WHY in page
    assert post(client, url, {"action": "restore", "justification": WHY}).status_code == 303
    assert {e.project.code: e.state for e in _fresh(ProgrammeVersion, version.id).entries}["TET-01"] == "placed"


def test_schedule_edit(client, world):
    version = build(world)
    login(client, world["users"]["B"])
    url = _version_url(version, f"/entries/{world['projects']['TET-01'].id}/schedule")
    response = post(client, url, {"year-2023": "1 000 000", "year-2024": "400 000"}, htmx=True)
    assert response.status_code == 400
    html = _text(response)
    assert "add up to MAD1,400,000: MAD100,000 less than the project" in html
    assert 'value="400 000"' in html
    response = post(client, url, {"year-2023": "1 000 000", "year-2024": "500 000"}, htmx=True)
    assert response.status_code == 200 and "The yearly schedule of TET-01 was saved." in _text(response)
    entry = {e.project.code: e for e in _fresh(ProgrammeVersion, version.id).entries}["TET-01"]
    assert {line.year: line.amount for line in entry.schedule} == {2023: 1_000_000, 2024: 500_000}
    assert post(client, url, {"year-2023": "1", "year-2024": "1"}, token=False).status_code == 400


# --- the council's decision -------------------------------------------------------------------------------

def _adoption(**override):
    data = {"session_date": (date.today() - timedelta(days=30)).isoformat(),
            "decision_reference": "Délibération n° 45/2022", "votes_for": "30", "votes_against": "5",
            "votes_abstaining": "2"}
    data.update(override)
    return data


def test_propose_adopt_visa(client, world):
    version = build(world)
    login(client, world["users"]["B"])  # a member who is not the chair
    assert post(client, _version_url(version, "/propose")).status_code == 403
    switch(client)
    login(client, world["users"]["A"])
    assert "Propose this version" in _text(client.get(_version_url(version)))
    assert post(client, _version_url(version, "/propose"), token=False).status_code == 400
    response = post(client, _version_url(version, "/propose"), htmx=True)
    assert response.status_code == 200 and "is proposed to the council" in _text(response)
    switch(client)
    login(client, world["users"]["admin"])
    page = _text(client.get(_version_url(version)))
    assert "Record the council&#39;s decision" in page or "Record the council's decision" in page
    url = _version_url(version, "/adopt")
    response = post(client, url, _adoption(votes_for="5", votes_against="5"), htmx=True)
    assert response.status_code == 400 and "did not adopt the programme" in _text(response)
    assert 'value="Délibération n° 45/2022"' in _text(response)
    response = post(client, url, _adoption(votes_for="trente"))
    assert response.status_code == 400 and "whole number of 0 or more" in _text(response)
    assert _fresh(ProgrammeVersion, version.id).status == "proposed"
    assert post(client, url, _adoption(), token=False).status_code == 400
    assert post(client, url, _adoption()).status_code == 303
    session = date.today() - timedelta(days=30)
    page = _text(client.get(_version_url(version)))
    deemed = session + timedelta(days=20)
    assert f"the visa is deemed given on {deemed.strftime('%b')} {deemed.day}, {deemed.year}" in page
    assert "Votes: 30 for, 5 against, 2 abstaining." in page
    response = post(client, url, _adoption(), htmx=True)
    assert response.status_code == 409
    assert f"This version was already adopted on {session.strftime('%b')} {session.day}, {session.year}." in _text(response)
    visa = _version_url(version, "/visa")
    response = post(client, visa, {"visa_date": (session - timedelta(days=1)).isoformat()}, htmx=True)
    assert response.status_code == 400 and "cannot come before the council" in _text(response)
    assert post(client, visa, {"visa_date": (session + timedelta(days=3)).isoformat()}).status_code == 303
    assert _fresh(ProgrammeVersion, version.id).visa_date == session + timedelta(days=3)
    assert "deemed given" not in _text(client.get(_version_url(version)))
    assert audit.verify().ok


# --- compare ------------------------------------------------------------------------------------------

def test_compare_page(client, world):
    a = build(world)
    b = build(world)
    programme.change_entry(world["plan"], b, world["projects"]["TET-02"].id, "drop", None, WHY, world["users"]["B"])
    db.session.commit()
    login(client, world["users"]["O"])  # observers read
    page = _text(client.get(f"{BASE}/compare?a={a.id}&b={b.id}"))
    assert "From version 1 to version 2" in page and "Left (1)" in page and "Entered (0)" in page
    assert re.search(r"Left \(1\)</h3>\s*<ul><li><bdi>TET-02</bdi>", page)
    fragment = client.get(f"{BASE}/compare?a={a.id}&b={b.id}", headers={"HX-Request": "true"})
    assert "<h1" not in _text(fragment) and "Left (1)" in _text(fragment)
    assert "Choose two different versions" in _text(client.get(f"{BASE}/compare?a={a.id}&b={a.id}"))
    assert client.get(f"{BASE}/compare?a={a.id}&b=999999").status_code == 404
    assert client.get(f"{BASE}/compare?a=x&b={a.id}").status_code == 404
    assert client.get(f"{BASE}/compare").status_code == 200


# --- mid-term revision -----------------------------------------------------------------------------------

def _adopt(world):
    version = build(world)
    programme.propose(world["plan"], version, world["users"]["A"])
    programme.record_adoption(world["plan"], version, programme.AdoptionInput(
        date.today() - timedelta(days=30), "Délibération n° 45/2022", 30, 5, 2), world["users"]["admin"])
    db.session.commit()
    return version


def test_revision_refused_before_the_third_year_then_allowed(client, world):
    version = _adopt(world)
    plan = world["plan"]
    plan.start_year, plan.end_year = date.today().year, date.today().year + 5  # today is the plan's first year
    db.session.commit()
    login(client, world["users"]["A"])
    page = _text(client.get(_version_url(version)))
    assert "A mid-term revision can start from the plan&#39;s third year" in page or \
        "A mid-term revision can start from the plan's third year" in page
    response = post(client, _version_url(version, "/revise"), htmx=True)
    assert response.status_code == 409 and "organic law 113-14, art. 80" in _text(response)
    assert db.session.scalar(select(func.count()).select_from(ProgrammeVersion)) == 1
    plan.start_year, plan.end_year = 2023, 2028
    db.session.commit()
    response = post(client, _version_url(version, "/revise"))
    assert response.status_code == 303
    revision = db.session.scalar(select(ProgrammeVersion).where(ProgrammeVersion.is_revision.is_(True)))
    assert response.headers["Location"].endswith(_version_url(revision))
    assert "Mid-term revision" in _text(client.get(_version_url(revision)))


# --- the equality body's opinion ------------------------------------------------------------------------------

def _opinion(**override):
    data = {"body": "Avis favorable, sous réserve d'un suivi des bénéficiaires femmes.",
            "signed_by": "Présidente de l'IEECAG", "given_on": date.today().isoformat()}
    data.update(override)
    return data


def test_opinion_by_the_observer_on_a_proposed_version(client, world):
    version = build(world)
    login(client, world["users"]["O"])
    assert client.get(_version_url(version, "/opinion")).status_code == 409  # a draft
    programme.propose(world["plan"], version, world["users"]["A"])
    db.session.commit()
    url = _version_url(version, "/opinion")
    page = client.get(url)
    assert page.status_code == 200 and "<h1>Opinion of the equality body on version 1</h1>" in _text(page)
    response = post(client, url, _opinion(body=""))
    assert response.status_code == 400 and "Write the opinion." in _text(response)
    assert 'value="Présidente de l&#39;IEECAG"' in _text(response) or "Présidente de l'IEECAG" in _text(response)
    assert post(client, url, _opinion(), token=False).status_code == 400
    assert post(client, url, _opinion()).status_code == 303
    page = _text(client.get(_version_url(version)))
    assert "Formal opinion of the equality body (IEECAG, art. 120)" in page and "sous réserve" in page
    assert post(client, url, _opinion()).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(EqualityOpinion)) == 1


def test_a_member_who_is_not_an_observer_cannot_record_the_opinion(client, world):
    version = build(world)
    programme.propose(world["plan"], version, world["users"]["A"])
    db.session.commit()
    login(client, world["users"]["B"])
    assert client.get(_version_url(version, "/opinion")).status_code == 403
    assert post(client, _version_url(version, "/opinion"), _opinion()).status_code == 403


# --- access ------------------------------------------------------------------------------------------------

def test_access_per_role(client, world, commune):
    version = build(world)
    read, manage = _version_url(version), _version_url(version, f"/entries/{world['projects']['TET-01'].id}")
    # Anonymous: sent to sign in.
    response = client.get(read)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    other, _ = demo.create_commune(slug="chefchaouen")
    db.session.commit()
    visitors = {
        "resident": make_user(commune, ("resident",)),
        "no_seat": make_user(commune, ("committee",)),  # the committee role but no seat on this plan
        "other_admin": make_user(other, ("admin",)),
    }
    for name, user in visitors.items():
        switch(client)
        login(client, user)
        assert client.get(read).status_code == 403, name
        assert client.get(BASE).status_code == 403, name
        assert post(client, manage, {"action": "drop", "justification": WHY}).status_code == 403, name
        assert post(client, _version_url(version, "/adopt"), _adoption()).status_code == 403, name
    # The admin reads and decides but does not build.
    switch(client)
    login(client, world["users"]["admin"])
    assert client.get(read).status_code == 200
    assert post(client, manage, {"action": "drop", "justification": WHY}).status_code == 403
    assert post(client, f"{BASE}/envelopes", _envelope_form(world["plan"])).status_code == 403
    # The observer reads but does not build.
    switch(client)
    login(client, world["users"]["O"])
    assert client.get(read).status_code == 200
    assert post(client, manage, {"action": "drop", "justification": WHY}).status_code == 403
    assert post(client, f"{BASE}/versions", {"round_id": str(world["round"].id)}).status_code == 403
    assert {e.state for e in _fresh(ProgrammeVersion, version.id).entries} == {"placed", "skipped"}
    # A version of another plan is not found.
    assert client.get(f"{BASE}/versions/999999").status_code == 404


@pytest.mark.parametrize("lang", ["ar", "fr", "zgh"])
def test_pages_render_in_every_language(client, world, lang):
    a = build(world)
    b = build(world)
    programme.change_entry(world["plan"], b, world["projects"]["TET-02"].id, "drop", None, WHY, world["users"]["B"])
    db.session.commit()
    login(client, world["users"]["B"])
    headers = {"Accept-Language": lang}
    for url in (BASE, f"{BASE}/envelopes", _version_url(a), _version_url(b), f"{BASE}/compare?a={a.id}&b={b.id}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        assert f'lang="{lang}"' in _text(response), url
    assert "TET-03" in _text(client.get(_version_url(a), headers=headers))


def test_committee_home_links_to_the_programme(client, world):
    login(client, world["users"]["O"])
    html = _text(client.get("/tetouan/committee"))
    assert f'href="{BASE}"' in html
