"""Scores uploaded as a CSV file: all or nothing, every error with its line number (1 = header)."""
from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from extensions import db
from models import RoundProject, Score, ScoringRound
from services import scoring
from services.errors import Conflict, NotAllowed
from tests.conftest import csrf_token, post
from tests.test_rounds import cw, last_audit, open_, score_count, sign_in, url  # noqa: F401  (cw is a fixture)

HEADER = "project,criterion,score,comment\n"


def upload(cw, user, text: str | bytes) -> int:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return scoring.import_csv(cw.round, user, data)


def errors_of(cw, user, text: str | bytes) -> list[tuple[int, str]]:
    before = score_count()
    with pytest.raises(scoring.ScoreFileError) as info:
        upload(cw, user, text)
    db.session.rollback()
    assert score_count() == before  # nothing imported
    return [(line, str(message)) for line, message in info.value.errors]


@pytest.fixture()
def opened(cw):
    open_(cw)
    return cw


def test_good_file_with_bom_and_semicolons(opened):
    cw = opened
    text = "\ufeffProject;Criterion;Score;Comment;project_title\r\nTET-01;impact;4;Très bien, utile;x\r\n" \
           "TET-01;cost;2;;x\r\n\r\nTET-02;impact;0;;x\r\nTET-02;cost;;;x\r\n"
    assert upload(cw, cw.alice, text) == 3
    db.session.commit()
    mine = scoring.my_scores(cw.round, cw.alice)
    assert {(k, s.value) for k, s in mine.items()} == {
        ((cw.projects[0].id, cw.impact.id), 4), ((cw.projects[0].id, cw.cost.id), 2),
        ((cw.projects[1].id, cw.impact.id), 0)}
    assert mine[(cw.projects[0].id, cw.impact.id)].comment == "Très bien, utile"
    entry = last_audit()
    assert entry.action == "committee.scores_saved" and entry.actor_id == cw.alice.id
    assert json.loads(entry.details)["via"] == "csv" and json.loads(entry.details)["count"] == 3


def test_comma_file_without_bom_or_comment_column(opened):
    cw = opened
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (1, "Gardé")})
    db.session.commit()
    assert upload(cw, cw.alice, "score,criterion,project,extra\n5,impact,TET-01,ignored\n,cost,TET-01,\n") == 1
    db.session.commit()
    score = scoring.my_scores(cw.round, cw.alice)[(cw.projects[0].id, cw.impact.id)]
    assert score.value == 5 and score.comment == "Gardé"  # no comment column: comment kept
    assert score_count(user_id=cw.alice.id) == 1  # empty score: left unscored


def test_empty_score_leaves_the_existing_score(opened):
    cw = opened
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (3, None)})
    db.session.commit()
    assert upload(cw, cw.alice, HEADER + "TET-01,impact,,\n") == 0
    assert scoring.my_scores(cw.round, cw.alice)[(cw.projects[0].id, cw.impact.id)].value == 3


def test_downloaded_sheet_uploads_back_unchanged(opened):
    cw = opened
    scoring.save_scores(cw.round, cw.alice, cw.projects[0], {cw.impact.id: (3, "=SUM(A1) et +1")})
    db.session.commit()
    sheet = scoring.sheet_csv(cw.round, cw.alice, "fr")
    assert "'=SUM(A1) et +1" in sheet
    assert upload(cw, cw.alice, sheet) == 1
    db.session.commit()
    assert scoring.my_scores(cw.round, cw.alice)[(cw.projects[0].id, cw.impact.id)].comment == "=SUM(A1) et +1"


@pytest.mark.parametrize(("body", "line", "fragment"), [
    ("TET-01,impact,3,\nTET-99,impact,3,\n", 3, "Unknown project “TET-99”"),
    ("TET-01,impact,3,\nTET-03,impact,3,\n", 3, "TET-03 is not part of this round"),
    ("TET-01,beauty,3,\n", 2, "Unknown criterion “beauty”"),
    ("TET-01,support,3,\n", 2, "computed from residents' supports"),
    ("TET-01,impact,7,\n", 2, "“7” is not a whole number from 0 to 5"),
    ("TET-01,impact,3.5,\n", 2, "“3.5” is not a whole number"),
    ("TET-01,impact,-1,\n", 2, "“-1” is not a whole number"),
    ("TET-01,impact,abc,\n", 2, "“abc” is not a whole number"),
    ("TET-01,impact,3\n", 2, "3 cells where the header has 4"),
    ("TET-01,impact,3,,x,y\n", 2, "6 cells where the header has 4"),
    ("TET-01,impact,,Un avis\n", 2, "a comment but no score"),
    ("TET-01,impact,2,<script>alert(1)</script>\n", 2, "HTML tags"),
    ("TET-01,impact,3,\nTET-02,cost,1,\nTET-01,impact,4,\n", 4, "already on line 2"),
])
def test_bad_lines_are_reported_with_their_number(opened, body, line, fragment):
    cw = opened
    scoring.save_scores(cw.round, cw.alice, cw.projects[1], {cw.impact.id: (2, None)})
    db.session.commit()
    errors = errors_of(cw, cw.alice, HEADER + body)
    assert any(n == line and fragment in message for n, message in errors), errors
    assert scoring.my_scores(cw.round, cw.alice)[(cw.projects[1].id, cw.impact.id)].value == 2  # unchanged


@pytest.mark.parametrize(("data", "line", "fragment"), [
    (b"", 1, "The file is empty"),
    (b"\xef\xbb\xbf\r\n  \r\n", 1, "The file is empty"),
    (b"project,criterion\nTET-01,impact\n", 1, "lacks the column(s) score"),
    (b"projet;critere;note\nTET-01;impact;3\n", 1, "lacks the column(s) project, criterion, score"),
    (b"project,criterion,score,score\nTET-01,impact,3,3\n", 1, "appear twice"),
    (b"project,criterion,score\n", 1, "no score lines"),
    (b"project,criterion,score,comment\nTET-01,impact,3,ok\nTET-02,impact,3,\xe9t\xe9\n", 3, "not UTF-8"),
])
def test_bad_files(opened, data, line, fragment):
    errors = errors_of(opened, opened.alice, data)
    assert any(n == line and fragment in message for n, message in errors), errors


def test_every_error_is_listed_and_nothing_half_imported(opened):
    cw = opened
    body = "TET-01,impact,3,\nTET-01,cost,9,\nTET-02,impact,4,\nTET-77,cost,1,\n"
    errors = errors_of(cw, cw.alice, HEADER + body)
    assert [n for n, _ in errors] == [3, 5]
    assert score_count() == 0  # the good lines 2 and 4 were not imported either


def test_recused_project_in_the_file(opened):
    cw = opened
    scoring.recuse(cw.round, cw.alice, cw.projects[0], "Conflit")
    db.session.commit()
    errors = errors_of(cw, cw.alice, HEADER + "TET-02,impact,3,\nTET-01,impact,3,\n")
    assert errors == [(3, "You declared a conflict of interest on project TET-01: you cannot score it.")]


def test_a_file_for_another_rounds_project(opened):
    cw = opened
    other = ScoringRound(plan_id=cw.plan.id, name="Round 2")
    db.session.add(other)
    db.session.flush()
    db.session.add(RoundProject(round_id=other.id, project_id=cw.projects[2].id))
    db.session.commit()
    errors = errors_of(cw, cw.alice, HEADER + "TET-03,impact,3,\n")
    assert errors == [(2, "Project TET-03 is not part of this round.")]


def test_upload_refused_outside_open_round_and_for_observers(cw):
    with pytest.raises(Conflict):
        upload(cw, cw.alice, HEADER + "TET-01,impact,3,\n")
    open_(cw)
    with pytest.raises(NotAllowed):
        upload(cw, cw.observer, HEADER + "TET-01,impact,3,\n")
    with pytest.raises(NotAllowed):
        upload(cw, cw.seatless, HEADER + "TET-01,impact,3,\n")
    assert score_count() == 0


def test_only_the_uploaders_scores_change(opened):
    cw = opened
    scoring.save_scores(cw.round, cw.bob, cw.projects[0], {cw.impact.id: (1, None)})
    db.session.commit()
    upload(cw, cw.alice, HEADER + "TET-01,impact,5,\n")
    db.session.commit()
    assert scoring.my_scores(cw.round, cw.bob)[(cw.projects[0].id, cw.impact.id)].value == 1
    assert score_count() == 2


# --- routes --------------------------------------------------------------------------------------

def send(client, cw, content: bytes, filename="scores.csv", **kwargs):
    return post(client, url(cw, "/upload"), {"file": (io.BytesIO(content), filename)}, **kwargs)


def test_download_sheet_route(client, opened):
    cw = opened
    sign_in(client, cw.alice)
    r = client.get(url(cw, "/my-scores.csv"))
    assert r.status_code == 200 and r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.data.startswith("\ufeffproject,criterion,score".encode())
    assert len(r.get_data(as_text=True).splitlines()) == 1 + 2 * 2


def test_upload_route_success_page_and_fragment(client, opened):
    cw = opened
    sign_in(client, cw.alice)
    r = send(client, cw, (HEADER + "TET-01,impact,4,\nTET-01,cost,3,\n").encode())
    assert r.status_code == 303
    assert "Scores saved from your file: 2." in client.get(url(cw)).get_data(as_text=True)
    r = send(client, cw, (HEADER + "TET-02,impact,1,\n").encode(), htmx=True)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body and "Scores saved from your file: 1." in body and 'role="status"' in body
    assert score_count(user_id=cw.alice.id) == 3


def test_upload_route_lists_errors_with_lines(client, opened):
    cw = opened
    sign_in(client, cw.alice)
    for htmx in (False, True):
        r = send(client, cw, (HEADER + "TET-01,impact,4,\nTET-01,cost,9,\n").encode(), htmx=htmx)
        body = r.get_data(as_text=True)
        assert r.status_code == 400 and "Line 3:" in body and "“9” is not a whole number" in body
        assert "nothing was saved" in body and ("<html" in body) is not htmx
    assert score_count() == 0


def test_upload_route_caps_the_list_at_50(client, opened):
    cw = opened
    sign_in(client, cw.alice)
    body = HEADER + "".join(f"TET-9{i},impact,3,\n" for i in range(60))
    r = send(client, cw, body.encode())
    text = r.get_data(as_text=True)
    assert r.status_code == 400 and text.count("Unknown project") == 50 and "and 10 more errors." in text


@pytest.mark.parametrize(("content", "filename", "message"), [
    (b"project,criterion,score\n", "scores.xlsx", "Upload a .csv file"),
    (b"x" * (1024 * 1024 + 10), "scores.csv", "larger than 1 MB"),
])
def test_upload_route_refuses_wrong_files(client, opened, content, filename, message):
    sign_in(client, opened.alice)
    r = send(client, opened, content, filename)
    r.request.input_stream.close()  # the test client spooled the 1 MB body to a temporary file
    assert r.status_code == 400 and message in r.get_data(as_text=True)


def test_upload_route_without_file(client, opened):
    sign_in(client, opened.alice)
    r = post(client, url(opened, "/upload"), {})
    assert r.status_code == 400 and "Choose the CSV file to upload." in r.get_data(as_text=True)


def test_upload_route_state_access_and_csrf(client, cw):
    sign_in(client, cw.alice)
    good = (HEADER + "TET-01,impact,4,\n").encode()
    r = send(client, cw, good)
    assert r.status_code == 409 and "This round is not open for scoring." in r.get_data(as_text=True)
    open_(cw)
    assert send(client, cw, good, token=False).status_code == 400
    assert score_count() == 0
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, cw.observer)
    assert send(client, cw, good).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Score)) == 0


def test_upload_above_the_request_limit_is_a_clear_413(client, opened):
    sign_in(client, opened.alice)
    r = send(client, opened, b"x" * (3 * 1024 * 1024))
    r.request.input_stream.close()
    assert r.status_code == 413 and "What you sent is too large." in r.get_data(as_text=True)
    assert score_count() == 0
