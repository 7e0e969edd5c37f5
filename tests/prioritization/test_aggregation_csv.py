"""CSV reading (prioritization/csvio.py) and the `flask prioritize rank` command."""
from __future__ import annotations

import json

import pytest

from prioritization import csvio
from prioritization.aggregation import AggregationError, Score

CRITERIA = """criterion,weight,kind
impact,3,scored
feasibility,1,scored
support,4,support
"""
SCORES = """member,project,criterion,score
a,P1,impact,4
a,P1,feasibility,4
b,P1,impact,2
b,P1,feasibility,2
a,P2,impact,5
a,P2,feasibility,5
b,P2,impact,5
b,P2,feasibility,3
c,P2,impact,0
c,P2,,recused
"""
PROJECTS = """project,supports,cost
P1,40,100000
P2,10,250000
P3,0,5000
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


@pytest.fixture()
def files(tmp_path):
    return {"criteria": write(tmp_path, "CRITERIA.csv", CRITERIA),
            "scores": write(tmp_path, "SCORES.csv", SCORES),
            "projects": write(tmp_path, "PROJECTS.csv", PROJECTS)}


def rank(runner, files, *extra):
    args = ["prioritize", "rank", "--criteria", files["criteria"], "--scores", files["scores"]]
    if files.get("projects"):
        args += ["--projects", files["projects"]]
    return runner.invoke(args=args + list(extra))


# --- the command ---------------------------------------------------------------------------

def test_rank_prints_the_ranking_as_json(runner, files):
    result = rank(runner, files, "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    rows = json.loads(result.stdout)
    # weights 3, 1, 4 → 0.375, 0.125, 0.5; P1: 0.375×3 + 0.125×3 + 0.5×5 = 4; P2: 0.375×5 + 0.125×4 + 0.5×1.25 = 3
    assert [set(row) for row in rows] == [{"project", "rank", "composite", "values", "members", "disagreement"}] * 3
    assert [(r["project"], r["rank"]) for r in rows] == [("P1", 1), ("P2", 2), ("P3", 3)]
    p1, p2, p3 = rows
    assert p1["composite"] == pytest.approx(4.0)
    assert p1["values"] == {"impact": 3.0, "feasibility": 3.0, "support": 5.0}
    assert (p1["members"], p1["disagreement"]) == (2, pytest.approx(0.5))       # weighted 2 and 1
    assert p2["composite"] == pytest.approx(3.0)
    assert p2["values"] == {"impact": 5.0, "feasibility": 4.0, "support": 1.25}  # c is recused on P2
    assert (p2["members"], p2["disagreement"]) == (2, pytest.approx(0.125))     # 2.5 and 2.25
    assert (p3["composite"], p3["members"]) == (0.0, 0)


def test_rank_with_top_k_adds_the_fraction_of_draws(runner, files):
    result = rank(runner, files, "--json", "--top-k", "1", "--seed", "3")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["top_k_fraction"] for r in rows] == [1.0, 0.0, 0.0]


def test_rank_with_zscore_and_without_projects(runner, files):
    files["projects"] = None
    result = rank(runner, files, "--json", "--normalize", "zscore")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["project"] for r in rows} == {"P1", "P2"}
    assert all(r["values"]["support"] == 0.0 for r in rows)  # no projects file: no supports


def test_rank_prints_a_table_without_json(runner, files):
    result = rank(runner, files, "--top-k", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["rank", "project"]
    assert lines[1].split()[:3] == ["1", "P1", "4.000"]
    assert "Kendall's W: undefined (0 members scored every project)" in result.stdout  # nobody scored P3
    files["projects"] = None  # P1 and P2 only: a and b both put P2 above P1
    result = rank(runner, files)
    assert "Kendall's W: 1.000 (2 members scored every project)" in result.stdout


@pytest.mark.parametrize("which, text, line, message", [
    ("scores", "member,project,score\na,P1,4\n", 1, "missing column 'criterion'"),
    ("scores", SCORES.replace("b,P1,impact,2", "b,P1,impakt,2"), 4, "unknown criterion 'impakt'"),
    ("scores", SCORES.replace("a,P2,impact,5", "a,P2,impact,7"), 6, "score 7 is outside 0–5"),
    ("scores", SCORES.replace("a,P1,feasibility,4", "a,P1,feasibility,four"), 3, "score 'four' is not a number"),
    ("scores", SCORES + "b,P1,impact,3\n", 12, "duplicate row: member 'b', project 'P1', criterion 'impact' "
                                               "(first on line 4)"),
    ("scores", SCORES.replace("a,P1,impact,4", "a,P9,impact,4"), 2, "unknown project 'P9'"),
    ("scores", SCORES + "a,P3,support,4\n", 12, "criterion 'support' is the support criterion"),
    ("scores", SCORES + "a,P3,impact\n", 12, "3 fields where the header has 4"),
    ("scores", "", 1, "the file is empty"),
    ("criteria", CRITERIA.replace("feasibility,1,scored", "feasibility,1,vote"), 3, "kind 'vote' is unknown"),
    ("criteria", CRITERIA + "citizens,1,support\n", 5, "a second support criterion 'citizens' "
                                                      "(the first, 'support', is on line 4)"),
    ("criteria", CRITERIA.replace("impact,3,", "impact,high,"), 2, "weight 'high' is not a number"),
    ("criteria", CRITERIA.replace("impact,3,", "impact,-3,"), 2, "weight -3 of criterion 'impact' is negative"),
    ("criteria", CRITERIA + "impact,2,scored\n", 5, "criterion 'impact' is given twice (first on line 2)"),
    ("criteria", "criterion;weight;kind\nimpact;1;scored\n", 1, "missing column 'criterion' (the header must "
                                                                "have criterion,weight,kind) — the file seems to use ';'"),
    ("criteria", "", 1, "the file is empty"),
    ("criteria", "criterion,weight,kind\n", 1, "no criteria after the header"),
    ("projects", PROJECTS.replace("P2,10,", "P2,ten,"), 3, "supports 'ten' is not a whole number"),
    ("projects", PROJECTS + "P1,3,10\n", 5, "project 'P1' is given twice (first on line 2)"),
    ("projects", PROJECTS.replace("P3,0,5000", "P3,0,"), 4, "cost (empty) is not a number"),
    ("projects", "", 1, "the file is empty"),
])
def test_bad_files_exit_2_naming_the_file_and_line(runner, files, tmp_path, which, text, line, message):
    files[which] = write(tmp_path, f"bad-{which}.csv", text)
    result = rank(runner, files, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{files[which]} line {line}: {message}" in result.stderr


def test_a_file_that_is_not_utf8_names_the_line(runner, files, tmp_path):
    files["scores"] = write(tmp_path, "latin1.csv", SCORES.replace("c,P2,impact,0", "é,P2,impact,0"), "latin-1")
    result = rank(runner, files, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{files['scores']} line 10: is not UTF-8 text" in result.stderr


def test_all_zero_weights_names_the_file(runner, files, tmp_path):
    files["criteria"] = write(tmp_path, "zero.csv", "criterion,weight,kind\nimpact,0,scored\n")
    result = rank(runner, files, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{files['criteria']}: all weights are zero" in result.stderr


def test_a_missing_file_exits_2(runner, files, tmp_path):
    files["scores"] = str(tmp_path / "nowhere.csv")
    result = rank(runner, files, "--json")
    assert result.exit_code == 2 and result.stdout == ""
    assert "nowhere.csv" in result.stderr


# --- the reader on its own -------------------------------------------------------------------

def test_reader_accepts_bom_blank_lines_extra_columns_and_recusal_spellings(tmp_path):
    criteria = write(tmp_path, "c.csv", "\ufeffCriterion, Weight ,KIND,note\nimpact,2,Scored,why\n\nsupport,1,support,\n")
    scores = write(tmp_path, "s.csv", "member,project,criterion,score\r\na,P1,impact, 3.5 \r\n"
                                      "b,P1,impact,RECUSED\r\nb,P2,,\r\n")
    data = csvio.read_round(criteria, scores)
    assert [(c.id, c.weight, c.kind) for c in data.criteria] == [("impact", 2.0, "scored"), ("support", 1.0, "support")]
    assert data.projects is None
    assert data.scores == (Score("a", "P1", "impact", 3.5), Score.recusal("b", "P1", "impact"),
                           Score.recusal("b", "P2"))


def test_reader_refuses_a_round_with_nothing_to_rank(tmp_path):
    criteria = write(tmp_path, "c.csv", CRITERIA)
    scores = write(tmp_path, "s.csv", "member,project,criterion,score\n")
    with pytest.raises(AggregationError, match="nothing to rank") as caught:
        csvio.read_round(criteria, scores)
    assert (caught.value.source, caught.value.line) == (scores, 1)


def test_reader_reports_a_field_spanning_lines_at_its_last_line(tmp_path):
    criteria = write(tmp_path, "c.csv", CRITERIA)
    scores = write(tmp_path, "s.csv", 'member,project,criterion,score\n"a\nb",P1,impact,9\n')
    with pytest.raises(AggregationError) as caught:
        csvio.read_scores(scores, csvio.read_criteria(criteria))
    assert caught.value.line == 3 and "outside 0–5" in caught.value.message
