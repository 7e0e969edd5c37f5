"""`flask pb outcome FILE.pb [--rule ...] [--json]` on a real file and on malformed ones."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

PABULIB = Path(__file__).resolve().parents[3] / "shared" / "pabulib"
MOKOTOW = PABULIB / "Poland_Warszawa_2023_Mokotow.pb"

SMALL = """META
key;value
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;equalshares/add1
max_length;2
PROJECTS
project_id;cost
1;60
2;40
3;30
VOTES
voter_id;vote
a;1,2
b;2
c;3,1
"""


def invoke(runner, *args):
    return runner.invoke(args=["pb", "outcome", *map(str, args)])


def test_outcome_of_a_real_file_with_its_own_rule(runner):
    result = invoke(runner, MOKOTOW, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rule"] == "greedy"
    assert len(data["selected"]) == 24 and data["selected"][0] == "1794"
    assert data["total_cost"] == 8693845


def test_rule_option_and_text_output(runner, tmp_path):
    path = tmp_path / "small.pb"
    path.write_text(SMALL, encoding="utf-8")
    result = invoke(runner, path, "--rule", "greedy", "--json")
    # 1 and 2 have 2 votes each: the cheaper one first
    assert json.loads(result.output) == {"rule": "greedy", "selected": ["2", "1"], "total_cost": 100}
    result = invoke(runner, path, "--json")           # the file's rule: equalshares/add1
    assert json.loads(result.output)["rule"] == "mes-add1"
    result = invoke(runner, path, "--rule", "greedy-no-skip")
    assert result.exit_code == 0
    assert "selected (2, in selection order): 2, 1" in result.output
    assert "total cost: 100 of 100" in result.output


def _line(text: str, needle: str) -> int:
    return next(k for k, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


@pytest.mark.parametrize("change, needle, message", [
    (lambda t: t.replace("PROJECTS\n", "VOTES\n", 1), "VOTES", "expected the PROJECTS section"),
    (lambda t: t.replace("num_projects;3", "num_projects;5"), "num_projects", "num_projects is 5"),
    (lambda t: t.replace("num_votes;3", "num_votes;4"), "num_votes", "num_votes is 4"),
    (lambda t: t.replace("c;3,1", "c;3,7"), "c;3,7", "unknown project `7`"),
    (lambda t: t.replace("c;3,1", "c;3,1,2"), "c;3,1,2", "more than max_length 2"),
])
def test_malformed_files_exit_2_naming_the_line(runner, tmp_path, change, needle, message):
    bad = change(SMALL)
    path = tmp_path / "bad.pb"
    path.write_text(bad, encoding="utf-8")
    result = invoke(runner, path, "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path} line {_line(bad, needle)}: ")
    assert message in result.stderr


def test_lenient_limits_and_rules_we_do_not_have(runner, tmp_path):
    path = tmp_path / "over.pb"
    path.write_text(SMALL.replace("c;3,1", "c;3,1,2"), encoding="utf-8")
    result = invoke(runner, path, "--lenient-limits", "--rule", "greedy", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["selected"] == ["2", "1"]
    assert "1 ballot(s) outside the META limits" in result.stderr
    unknown = tmp_path / "unknown.pb"
    unknown.write_text(SMALL.replace("rule;equalshares/add1", "rule;unknown"), encoding="utf-8")
    result = invoke(runner, unknown, "--json")
    assert result.exit_code == 2
    assert "`unknown` is not one of ours" in result.stderr
    ordinal = tmp_path / "ordinal.pb"
    ordinal.write_text(SMALL.replace("vote_type;approval", "vote_type;ordinal"), encoding="utf-8")
    result = invoke(runner, ordinal, "--rule", "mes")
    assert result.exit_code == 2 and "ordinal" in result.stderr
