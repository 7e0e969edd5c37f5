"""Open data: the dictionary page, every dataset as CSV and JSON, the CSVW companions, the Pabulib
files, neutralised CSV cells — and no personal data in any export (services.opendata)."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from extensions import db
from models import (
    AssociationSupport,
    CommitteeMember,
    Comment,
    EqualityOpinion,
    ExecutionReport,
    Milestone,
    ProjectIdea,
    Support,
    UserSession,
)
from services import opendata
from tests.conftest import make_association, make_idea, make_user
from tests.test_public_programme import ENVELOPE_REASON, make_project, make_version, publish_round

def _today():
    from services import phases

    return phases.today().isoformat()


def _csv(response) -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the cell rule -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("+212600000000", "'+212600000000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Jardin = bien", "Jardin = bien"),
    ("", ""),
    ("حديقة", "حديقة"),
    (-5, -5),
    (None, None),
])
def test_neutralise(value, expected):
    assert opendata.neutralise(value) == expected


def test_to_csv_is_rectangular_with_a_bom_and_neutralised_cells():
    text = opendata.to_csv(["a", "b", "c"], [{"a": "=1+1", "b": 3, "c": None},
                                             {"a": "line\nbreak", "b": True, "c": date(2024, 1, 2)}])
    assert text.startswith("\ufeffa,b,c\r\n")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["a", "b", "c"], ["'=1+1", "3", ""], ["line\nbreak", "true", "2024-01-02"]]


# --- a commune with something in every dataset ------------------------------------------------------

SECRETS = {
    "emails": ("fatima.secret@example.test", "chair.secret@example.test", "assoc.rep@example.test",
               "contact.asso@example.test"),
    "phones": ("+212600111222", "+212600333444"),
    "names": ("Fatima Zahra Bensaid", "Youssef El Idrissi Chair", "Rachid Representative"),
    "other": ("VOTER-SECRET-7781", "VOTER-SECRET-9902", "photo-0a1b2c3d4e.png", "198.51.100.77"),
}
PB = """META
key;value
description;Test round
country;Morocco
unit;Tetouan
instance;2024
num_projects;2
num_votes;2
budget;1000
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name
p1;600;2;Jardin
p2;500;1;Bancs
VOTES
voter_id;age;sex;vote
VOTER-SECRET-7781;34;F;p1,p2
VOTER-SECRET-9902;51;M;p1
"""


@pytest.fixture()
def full(app, commune, plan, tmp_path):
    from prioritization import pabulib
    from services import support_rounds

    resident = make_user(commune, email=SECRETS["emails"][0], name=SECRETS["names"][0])
    phone_user = make_user(commune, email=None, phone=SECRETS["phones"][0], name="Phone Person Unique")
    chair = make_user(commune, ("committee",), email=SECRETS["emails"][1], phone=SECRETS["phones"][1],
                      name=SECRETS["names"][1])
    rep = make_user(commune, ("resident", "association"), email=SECRETS["emails"][2], name=SECRETS["names"][2])
    association = make_association(commune, rep, name="Association Al Amal",
                                   contact_email=SECRETS["emails"][3], contact_phone="+212600999888")
    idea = make_idea(commune, resident, title="Un jardin public", description="Des arbres et des bancs.")
    by_association = make_idea(commune, rep, title="Une bibliothèque", association_id=association.id)
    hidden = make_idea(commune, phone_user, title="Idée cachée secrète", hidden=True, hidden_reason="insult")
    draft = make_idea(commune, phone_user, title="Brouillon secret", status="draft")
    db.session.add_all([
        Support(idea_id=idea.id, user_id=phone_user.id, plan_id=plan.id),
        Support(idea_id=idea.id, user_id=rep.id, plan_id=plan.id),
        AssociationSupport(idea_id=idea.id, association_id=association.id, by_user_id=rep.id),
        Comment(idea_id=idea.id, author_id=phone_user.id, stance="for", body="Bonne idée, signé Phone Person Unique"),
        CommitteeMember(plan_id=plan.id, user_id=chair.id, kind="commune", is_chair=True),
        UserSession(user_id=resident.id, token_hash="f" * 20 + "deadbeefcafe" * 3 + "0" * 8),
    ])
    idea.support_count, idea.association_support_count, idea.comment_count = 2, 1, 1
    formula = make_project(commune, plan, "TET-01", title='=HYPERLINK("http://evil.example","Cliquez")')
    other = make_project(commune, plan, "TET-02")
    db.session.add(ProjectIdea(project_id=formula.id, idea_id=idea.id))
    publish_round(plan, ["TET-01", "TET-02"])
    version = make_version(plan, 1, "adopted", [(formula, "placed", {2024: 600, 2025: 400}, {}),
                                                (other, "skipped", {}, {"reason": ENVELOPE_REASON})],
                           session_date=date(2024, 10, 3), decision_reference="DEC-7", votes_for=20,
                           votes_against=3, votes_abstaining=1, created_by_id=chair.id)
    make_version(plan, 2, "draft", [(other, "placed", {2026: 1000}, {})], note="Brouillon du comité secret")
    db.session.add(EqualityOpinion(version_id=version.id, body="Avis favorable.", signed_by=SECRETS["names"][1],
                                   given_on=date(2024, 9, 1), recorded_by_id=chair.id))
    db.session.add(ExecutionReport(project_id=formula.id, year=2024, status="works", percent_complete=30,
                                   amount_spent=100, updated_by_id=chair.id))
    db.session.add(Milestone(project_id=formula.id, happened_on=date(2024, 6, 1), label="Pose de la première pierre",
                             photo=SECRETS["other"][2], photo_alt="Le chantier", created_by_id=chair.id))
    path = tmp_path / "round.pb"
    path.write_text(PB, encoding="utf-8")
    round_ = support_rounds.import_instance(commune, pabulib.parse(path), source="import: round.pb", plan_id=plan.id)
    db.session.commit()
    return {"idea": idea, "by_association": by_association, "hidden": hidden, "draft": draft, "round": round_,
            "users": [resident, phone_user, chair, rep], "association": association}


def _all_export_urls(client) -> set[str]:
    """Every download the dictionary page links to, plus every dataset × format by the allowlist."""
    html = client.get("/tetouan/open-data").get_data(as_text=True)
    linked = set(re.findall(r'href="(/tetouan/open-data/[^"]+)"', html))
    listed = {f"/tetouan/open-data/{key}.{fmt}" for key in opendata.DATASETS for fmt in ("csv", "json")}
    listed |= {f"/tetouan/open-data/{key}.csv-metadata.json" for key in opendata.DATASETS}
    assert listed <= linked  # the page links every file
    return linked | listed


def test_no_personal_data_in_any_export(client, full):
    client.environ_base["REMOTE_ADDR"] = SECRETS["other"][3]
    urls = _all_export_urls(client)
    assert f"/tetouan/open-data/support-rounds/{full['round'].id}.pb" in urls
    tokens = [s.token_hash for s in db.session.scalars(select(UserSession))]
    forbidden = [*SECRETS["emails"], *SECRETS["phones"], *SECRETS["names"], *SECRETS["other"], *tokens,
                 "+212600999888", "Phone Person Unique", "Idée cachée secrète", "Brouillon secret",
                 "Brouillon du comité secret"]
    id_columns = re.compile(r"(^|_)(user|author|voter|by|created_by|updated_by|recorded_by|reviewed_by)(_id)?$|"
                            r"email|phone|token|password|(^|_)ip($|_)|session_(id|token)")
    seen = 0
    for url in sorted(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        seen += 1
        for secret in forbidden:
            assert secret.lower() not in body.lower(), f"{secret!r} in {url}"
        if url.endswith(".csv"):
            header = _csv(response)[0]
        elif url.endswith(".pb"):
            header = body.split("VOTES\n", 1)[1].splitlines()[0].split(";")
            assert header == ["voter_id", "vote"]  # no per-voter columns (age, sex)
            assert "\n1;p1,p2\n" in body and "\n2;p1\n" in body  # voters numbered 1..n
            continue
        elif url.endswith("csv-metadata.json"):
            header = [c["name"] for c in json.loads(body)["tableSchema"]["columns"]]
        else:
            data = json.loads(body)
            header = [c["name"] for c in data["columns"]]
            for record in data["data"]:
                assert set(record) == set(header)
        bad = [name for name in header if id_columns.search(name)]
        assert bad == [], f"{url}: {bad}"
    assert seen == len(opendata.DATASETS) * 3 + 1


def test_each_dataset_has_its_columns_in_csv_and_json(client, full):
    for key, dataset in opendata.DATASETS.items():
        rows = _csv(client.get(f"/tetouan/open-data/{key}.csv"))
        assert rows[0] == dataset.names, key
        assert all(len(row) == len(dataset.names) for row in rows), key  # rectangular
        data = json.loads(client.get(f"/tetouan/open-data/{key}.json").get_data(as_text=True))
        assert [c["name"] for c in data["columns"]] == dataset.names
        assert len(data["data"]) == len(rows) - 1, key
        assert len(data["data"]) > 0, key  # the fixture fills every dataset


def test_ideas_dataset_public_ideas_only_and_the_proposing_association(client, full):
    data = json.loads(client.get("/tetouan/open-data/ideas.json").get_data(as_text=True))["data"]
    by_id = {r["id"]: r for r in data}
    assert set(by_id) == {full["idea"].id, full["by_association"].id}  # no hidden idea, no draft
    assert by_id[full["idea"].id]["support_count"] == 2
    assert by_id[full["idea"].id]["project_code"] == "TET-01"
    assert by_id[full["idea"].id]["proposing_association"] is None
    assert by_id[full["by_association"].id]["proposing_association"] == "Association Al Amal"


def test_formula_title_is_neutralised_in_csv_and_kept_in_json(client, full):
    rows = _csv(client.get("/tetouan/open-data/projects.csv"))
    header, lines = rows[0], rows[1:]
    title = header.index("title_fr")
    line = next(r for r in lines if r[0] == "TET-01")
    assert line[title] == '\'=HYPERLINK("http://evil.example","Cliquez")'
    project = next(r for r in json.loads(client.get("/tetouan/open-data/projects.json").get_data(as_text=True))["data"]
                   if r["code"] == "TET-01")
    assert project["title_fr"] == '=HYPERLINK("http://evil.example","Cliquez")'
    assert project["citizen_support"] == 2 and project["idea_ids"] == str(full["idea"].id)


def test_programme_dataset_leaves_drafts_out_and_lists_schedule_lines(client, full):
    data = json.loads(client.get("/tetouan/open-data/programme.json").get_data(as_text=True))["data"]
    assert {r["version"] for r in data} == {1}
    placed = [(r["project_code"], r["year"], r["amount"]) for r in data if r["state"] == "placed"]
    assert placed == [("TET-01", 2024, 600), ("TET-01", 2025, 400)]
    skipped = [r for r in data if r["state"] == "skipped"]
    assert [(r["project_code"], r["skip_reason"], r["skip_year"], r["skip_shortfall"], r["year"]) for r in skipped] == [
        ("TET-02", "envelope", 2025, 5000, None)]
    assert data[0]["decision_reference"] == "DEC-7" and data[0]["equality_opinion"] == "Avis favorable."


def test_milestones_without_photo_file_names_and_supports_as_counts(client, full):
    milestones = json.loads(client.get("/tetouan/open-data/milestones.json").get_data(as_text=True))["data"]
    assert milestones == [{"project_code": "TET-01", "happened_on": "2024-06-01", "label": "Pose de la première pierre",
                           "has_photo": True, "photo_description": "Le chantier"}]
    supports = json.loads(client.get("/tetouan/open-data/supports.json").get_data(as_text=True))["data"]
    assert sum(r["ideas"] for r in supports) == 2
    assert sum(r["supports"] for r in supports) == 2
    assert sum(r["association_supports"] for r in supports) == 1


def test_json_carries_source_date_and_licence(client, full):
    response = client.get("/tetouan/open-data/rankings.json")
    data = json.loads(response.get_data(as_text=True))
    assert data["source"] == "Commune de Tétouan — Tasharuk"
    assert data["url"].endswith("/tetouan/open-data/rankings.json")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["generated_at"])
    assert "article 6" in data["licence"]
    assert [r["rank"] for r in data["data"]] == [1, 2]
    assert response.headers["Content-Disposition"] == f'attachment; filename="tetouan-rankings-{_today()}.json"'
    assert response.mimetype == "application/json"


def test_csv_file_name_and_its_csvw_companion(client, full):
    response = client.get("/tetouan/open-data/projects.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="tetouan-projects-{_today()}.csv"'
    assert response.mimetype == "text/csv" and "utf-8" in response.content_type
    assert "projects.csv-metadata.json" in response.headers["Link"]
    meta = json.loads(client.get("/tetouan/open-data/projects.csv-metadata.json").get_data(as_text=True))
    assert meta["@context"] == "http://www.w3.org/ns/csvw"
    assert meta["url"].endswith("/tetouan/open-data/projects.csv")
    assert meta["dc:source"] == "Commune de Tétouan — Tasharuk" and meta["dc:created"].endswith("Z")
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == opendata.DATASETS["projects"].names


def test_unknown_dataset_and_other_communes_rounds_are_404(client, full):
    from services import demo

    for url in ("/tetouan/open-data/users.csv", "/tetouan/open-data/users.json", "/tetouan/open-data/projects.xml",
                "/tetouan/open-data/users.csv-metadata.json", "/tetouan/open-data/support-rounds/999999.pb"):
        assert client.get(url).status_code == 404, url
    with pytest.raises(Exception) as info:
        opendata.dataset("users")
    assert info.value.status == 404
    demo.create_commune(slug="chefchaouen")
    db.session.commit()
    assert client.get(f"/chefchaouen/open-data/support-rounds/{full['round'].id}.pb").status_code == 404
    assert client.get(f"/tetouan/open-data/support-rounds/{full['round'].id}.pb").status_code == 200


def test_dictionary_page_describes_every_dataset(client, full):
    response = client.get("/tetouan/open-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count("<h1") == 1
    for key, dataset in opendata.DATASETS.items():
        assert f'id="dataset-{key}"' in html
        for column in dataset.columns:
            assert f'<code dir="ltr">{column.name}</code>' in html
    assert "Number of residents who support it" in html
    assert "article 6" in html
    assert "Test round" in html  # the imported support round, listed


def test_open_data_page_in_arabic(client, full):
    response = client.get("/tetouan/open-data", headers={"Accept-Language": "ar"})
    assert response.status_code == 200 and 'dir="rtl"' in response.get_data(as_text=True)
