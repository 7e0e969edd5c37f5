"""The ranking pages: the committee's view (blind until closed), the chair's override and publication,
the public pages, the method page, the chart and the project sheet's ranking slot.
The round is the hand-computed one of tests/test_ranking.py."""
from __future__ import annotations

import re
from datetime import date

import pytest
from babel.numbers import format_decimal
from flask import render_template
from sqlalchemy import func, select

from extensions import db
from models import CommitteeMember, RankingOverride
from prioritization import aggregation as agg
from services import ranking
from tests.conftest import csrf_token, login, make_user, post
from tests.test_ranking import JUSTIFICATION, build_round

HX = {"HX-Request": "true"}


@pytest.fixture()
def made(commune):
    return build_round(commune, observer=True)


def ranking_url(made):
    return f"/tetouan/committee/rounds/{made['round'].id}/ranking"


def override_url(made):
    return f"/tetouan/committee/rounds/{made['round'].id}/override"


def publish_url(made):
    return f"/tetouan/committee/rounds/{made['round'].id}/publish"


def move(made, code, new_rank, justification=JUSTIFICATION):
    pid = made["projects"][code].id
    return {"project": pid, f"move-{pid}-new_rank": new_rank, f"move-{pid}-justification": justification}


def _publish(made):
    ranking.publish(made["round"], made["users"]["A"])
    db.session.commit()


def _rows(html):
    """Project codes in the order of the ranking table's rows."""
    table = html.split('class="ranking-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">\s*(?:<a [^>]*>)?<bdi>(TET-\d\d)</bdi>', table)


# --- the committee's view --------------------------------------------------------------------

def test_committee_ranking_shows_the_numbers(client, made):
    login(client, made["users"]["B"])
    response = client.get(ranking_url(made))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _rows(html) == ["TET-01", "TET-02", "TET-03"]
    for number in ("3.75", "2.88", "2.56", "1.22", "0.50"):
        assert number in html
    assert "Contested" in html
    assert "Kendall's W = 0.00" in html and "2 members who scored every project" in html
    assert "Robust: in the top 1 in 100% of the weight draws." in html
    assert "Out of the top 1 in almost every draw (0% in)." in html
    zscore = html.split('class="zscore-table"', 1)[1].split("</table>", 1)[0]
    assert zscore.count("same place") == 3 and "3.74" in zscore and "2.70" in zscore  # z-score composites
    assert html.count("<h1") == 1
    # a non-chair sees no override form nor publish button
    assert "Move the project" not in html and "Yes, publish the ranking" not in html
    assert response.headers["Vary"].count("HX-Request") == 1


def test_committee_ranking_fragment(client, made):
    login(client, made["users"]["A"])
    response = client.get(ranking_url(made), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and f'id="ranking-{made["round"].id}"' in html
    assert "Move the project" in html and "Yes, publish the ranking" in html


@pytest.mark.parametrize("status", ["draft", "open"])
@pytest.mark.parametrize("headers", [{}, HX])
def test_committee_ranking_refused_while_blind(client, commune, status, headers):
    made = build_round(commune, status=status)
    login(client, made["users"]["A"])
    response = client.get(ranking_url(made), headers=headers)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "scoring is blind" in html
    assert "3.75" not in html and "TET-01" not in html
    assert ("<html" in html) == (not headers)


@pytest.mark.parametrize("who, expected", [
    ("observer", 200), ("member", 200), ("resident", 403), ("seatless", 403), ("other_admin", 403)])
def test_committee_ranking_access(client, commune, made, who, expected):
    from services import demo

    if who == "observer":
        user = made["users"]["O"]
    elif who == "member":
        user = made["users"]["C"]
    elif who == "resident":
        user = make_user(commune, ("resident",))
    elif who == "seatless":
        user = make_user(commune, ("committee",))  # the role, but no seat on this plan's committee
    else:
        other, _ = demo.create_commune(slug="chefchaouen", today=date.today())
        db.session.commit()
        user = make_user(other, ("admin", "committee"))
    login(client, user)
    assert client.get(ranking_url(made)).status_code == expected


def test_committee_ranking_anonymous_is_sent_to_sign_in(client, made):
    response = client.get(ranking_url(made))
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_round_of_another_commune_is_not_found(client, made):
    from services import demo

    other, _ = demo.create_commune(slug="chefchaouen", today=date.today())
    db.session.commit()
    other_round = build_round(other, names={"A": "X A", "B": "X B", "C": "X C"})
    login(client, made["users"]["A"])
    assert client.get(f"/tetouan/committee/rounds/{other_round['round'].id}/ranking").status_code == 404
    assert client.get("/tetouan/committee/rounds/999999/ranking").status_code == 404


# --- overrides -------------------------------------------------------------------------------

def test_override_moves_third_to_first(client, made):
    login(client, made["users"]["A"])
    response = post(client, override_url(made), move(made, "TET-03", 1))
    assert response.status_code == 303
    page = client.get(ranking_url(made)).get_data(as_text=True)
    assert "was moved" in page
    assert _rows(page) == ["TET-03", "TET-01", "TET-02"]
    assert "computed rank: 3" in page and JUSTIFICATION in page
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 1


def test_override_as_htmx_returns_the_fragment(client, made):
    login(client, made["users"]["A"])
    response = post(client, override_url(made), move(made, "TET-03", 1), htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'role="status"' in html and "Project TET-03 was moved." in html
    assert _rows(html) == ["TET-03", "TET-01", "TET-02"]


@pytest.mark.parametrize("justification, message", [
    ("", "Write why the project is moved"),
    ("Trop court, 19 car.", "Write at least 20 characters"),
    ("Voir <b>ceci</b> pour les détails du projet", "HTML tags"),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_override_refused_with_a_bad_justification(client, made, justification, message, htmx):
    login(client, made["users"]["A"])
    response = post(client, override_url(made), move(made, "TET-03", 1, justification), htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    pid = made["projects"]["TET-03"].id
    assert f'id="move-{pid}-justification-error"' in html
    assert 'aria-invalid="true"' in html
    if justification:
        assert justification.replace("<", "&lt;").replace(">", "&gt;") in html  # typed text kept
    assert ("<html" in html) == (not htmx)
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


@pytest.mark.parametrize("new_rank", ["", "0", "4", "abc", "3"])
def test_override_refused_with_a_bad_rank(client, made, new_rank):
    login(client, made["users"]["A"])
    response = post(client, override_url(made), move(made, "TET-03", new_rank))
    assert response.status_code == 422
    pid = made["projects"]["TET-03"].id
    assert f'id="move-{pid}-new_rank-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


def test_override_without_csrf_is_refused(client, made):
    login(client, made["users"]["A"])
    response = post(client, override_url(made), move(made, "TET-03", 1), token=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


@pytest.mark.parametrize("who", ["B", "O"])
def test_override_by_a_non_chair_is_refused(client, made, who):
    login(client, made["users"][who])
    response = post(client, override_url(made), move(made, "TET-03", 1))
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


def test_override_by_a_resident_is_refused(client, commune, made):
    login(client, make_user(commune, ("resident",)))
    assert post(client, override_url(made), move(made, "TET-03", 1)).status_code == 403


@pytest.mark.parametrize("status", ["open", "published"])
def test_override_refused_unless_closed(client, commune, status):
    made = build_round(commune, status="closed" if status == "published" else status)
    if status == "published":
        _publish(made)
    login(client, made["users"]["A"])
    response = post(client, override_url(made), move(made, "TET-03", 1))
    assert response.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(RankingOverride)) == 0


def test_override_of_a_project_of_another_plan_is_not_found(client, commune, made):
    login(client, made["users"]["A"])
    assert post(client, override_url(made), {"project": 999999}).status_code == 404
    assert post(client, override_url(made), {"project": "x"}).status_code == 400


# --- publication and the public pages --------------------------------------------------------

def test_public_page_before_and_after_publication(client, made):
    public = f"/tetouan/ranking/{made['round'].id}"
    assert client.get(public).status_code == 404
    assert "No ranking has been published yet." in client.get("/tetouan/ranking").get_data(as_text=True)
    login(client, made["users"]["A"])
    post(client, override_url(made), move(made, "TET-03", 1))
    response = post(client, publish_url(made), {})
    assert response.status_code == 303 and response.headers["Location"].endswith(public)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    page = client.get(public)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _rows(html) == ["TET-03", "TET-01", "TET-02"]
    for number in ("2.56", "3.75", "2.88", "1.22", "3.33", "2.33", "1.25"):
        assert number in html
    assert JUSTIFICATION in html and "computed rank: 3" in html
    assert "Projet 3" in html and "Impact social" in html and "50%" in html
    assert "Kendall's W = 0.00" in html
    for user in made["users"].values():
        assert user.display_name not in html
    listing = client.get("/tetouan/ranking").get_data(as_text=True)
    assert "Priorités 2026" in listing and "3 projects" in listing
    fragment = client.get(public, headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_public_page_in_arabic_shows_the_arabic_titles(client, made):
    _publish(made)
    html = client.get(f"/tetouan/ranking/{made['round'].id}", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in html and "مشروع 3" in html and "الأثر" in html


def test_publish_without_csrf_or_by_non_chair_is_refused(client, made):
    login(client, made["users"]["B"])
    assert post(client, publish_url(made), {}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, made["users"]["A"])
    assert post(client, publish_url(made), {}, token=False).status_code == 400
    db.session.refresh(made["round"])
    assert made["round"].status == "closed"


def test_publish_as_htmx_redirects(client, made):
    login(client, made["users"]["A"])
    response = post(client, publish_url(made), {}, htmx=True)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith(f"/tetouan/ranking/{made['round'].id}")


@pytest.mark.parametrize("status", ["open", "published"])
def test_publish_refused_unless_closed(client, commune, status):
    made = build_round(commune, status="closed" if status == "published" else status)
    if status == "published":
        _publish(made)
    login(client, made["users"]["A"])
    assert post(client, publish_url(made), {}).status_code == 409


def test_published_round_committee_page_is_read_only(client, made):
    _publish(made)
    login(client, made["users"]["A"])
    html = client.get(ranking_url(made)).get_data(as_text=True)
    assert "It can no longer be changed." in html and "Move the project" not in html


def test_public_page_of_another_commune_is_not_found(client, made):
    from services import demo

    _publish(made)
    demo.create_commune(slug="chefchaouen", today=date.today())
    db.session.commit()
    assert client.get(f"/chefchaouen/ranking/{made['round'].id}").status_code == 404


# --- the chart -------------------------------------------------------------------------------

def test_chart_is_accessible_and_has_one_bar_per_project(client, made):
    _publish(made)
    html = client.get(f"/tetouan/ranking/{made['round'].id}").get_data(as_text=True)
    svg = html.split("<svg class=\"chart-svg\"", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in svg and 'aria-labelledby="public-chart-title public-chart-desc"' in svg
    assert '<title id="public-chart-title">' in svg and '<desc id="public-chart-desc">' in svg
    assert "3 projects." in svg and "Highest: TET-01 with 3.75 out of 5." in svg
    assert "1 contested project (hatched bar)." in svg
    assert svg.count('<g class="chart-row') == 3
    assert svg.count('class="chart-bar-contested"') == 1
    assert 'fill="url(#public-chart-hatch)"' in svg and 'direction="ltr"' in svg
    assert "style=" not in svg
    # the same numbers as a table right after the chart
    table = html.split('class="chart-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 4  # header + 3 projects
    assert "1.34 – 3.79" in table  # TET-03: 2.5625 ± 1.2247


# --- the method page -------------------------------------------------------------------------

@pytest.mark.parametrize("lang, locale", [("ar", "ar_MA"), ("fr", "fr_MA"), ("zgh", "zgh"), ("en", "en")])
def test_method_page_in_every_language(client, made, lang, locale):
    from blueprints.ranking.routes import EXAMPLE_CRITERIA, EXAMPLE_PROJECTS, EXAMPLE_SCORES

    client.set_cookie("tasharuk_lang", lang)
    response = client.get("/tetouan/ranking/method")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'lang="{lang}"' in html and html.count("<h1") == 1
    expected = agg.aggregate(EXAMPLE_CRITERIA, EXAMPLE_PROJECTS, EXAMPLE_SCORES)
    cells = re.findall(r'<td class="composite">([^<]+)</td>', html)
    assert cells == [format_decimal(p.composite, format="#,##0.00", locale=locale) for p in expected.projects]
    # the plan's criteria with their normalised weights
    assert {"ar": "الأثر", "fr": "Impact social", "zgh": "ⴰⵙⵓⵖⵍ", "en": "Impact social"}[lang] in html


def test_method_page_example_matches_the_code(client, commune):
    from blueprints.ranking.routes import worked_example

    example = worked_example()
    assert [p.project for p in example.projects] == ["B", "A"]
    html = client.get("/tetouan/ranking/method").get_data(as_text=True)
    assert "How projects are ranked" in html
    for p in example.projects:
        assert f"{p.composite:.2f}" in html and f"{p.disagreement:.2f}" in html
    assert "The committee has not set the criteria of this plan yet." in html


# --- the project sheet's slot ----------------------------------------------------------------

def test_ranking_slot_on_the_project_sheet(app, made):
    project = made["projects"]["TET-03"]
    with app.test_request_context("/tetouan/", headers={"Accept-Language": "en"}):
        from flask import g

        g.commune = made["plan"].commune
        assert render_template("projects/_ranking_slot.html", project=project).strip() == ""
    ranking.override(made["round"], project, 1, JUSTIFICATION, made["users"]["A"])
    _publish(made)
    with app.test_request_context("/tetouan/", headers={"Accept-Language": "en"}):
        from flask import g

        g.commune = made["plan"].commune
        html = render_template("projects/_ranking_slot.html", project=project)
    assert "Rank 1 of 3" in html and "Computed rank: 3." in html
    assert "2.56 out of 5" in html and JUSTIFICATION in html and "Contested" in html
    assert "3.33" in html and "Impact social" in html
    assert f"/tetouan/ranking/{made['round'].id}" in html


def test_project_sheet_shows_its_published_rank(client, made):
    ranking.override(made["round"], made["projects"]["TET-03"], 1, JUSTIFICATION, made["users"]["A"])
    _publish(made)
    html = client.get("/tetouan/projects/TET-03").get_data(as_text=True)
    assert "Rank 1 of 3" in html and JUSTIFICATION in html and "2.56 out of 5" in html


def test_shift_and_robustness_in_words(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        macros = app.jinja_env.get_template("ranking/_macros.html").make_module({})
        assert "up 2 places" in str(macros.shift(2)) and "↑" in str(macros.shift(2))
        assert "down 1 place" in str(macros.shift(-1)) and "↓" in str(macros.shift(-1))
        assert "Depends on the weights: in the top 5 in 40% of the draws." in str(macros.robustness(0.4, 5))
        undefined = str(macros.kendall(None, 0))
        assert "Kendall's W is undefined" in undefined
        assert "largely agree" in str(macros.kendall(0.8, 4)) and "4 members" in str(macros.kendall(0.8, 4))


def test_seat_removed_means_no_access(client, made):
    db.session.execute(CommitteeMember.__table__.delete().where(CommitteeMember.user_id == made["users"]["B"].id))
    db.session.commit()
    login(client, made["users"]["B"])
    assert client.get(ranking_url(made)).status_code == 403
