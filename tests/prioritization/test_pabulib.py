"""The Pabulib parser and writer: every shared real file, round trips, and each kind of malformed file."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import pytest

from prioritization import pabulib
from prioritization.pabulib import Ballot, Instance, PabulibError, Project

PABULIB = Path(__file__).resolve().parents[3] / "shared" / "pabulib"
FILES = sorted(PABULIB.glob("*.pb"))
# Real data that breaks its own META limits (the file's authors' rounding): parsed leniently.
LENIENT = {"Worldwide_Mechanical_Turk_Utilities_7.pb"}


def parse_shared(path: Path) -> Instance:
    return pabulib.parse(path, strict_limits=path.name not in LENIENT)


def test_the_shared_files_are_there():
    assert len(FILES) == 10


@pytest.fixture(scope="module", params=FILES, ids=lambda p: p.name[:40])
def shared(request):
    path = request.param
    return path, parse_shared(path)


def _meta_and_sections(path: Path) -> tuple[dict, list[str], int]:
    """An independent, naive reading of the META section and the counts, to check the parser."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    meta, i = {}, 2
    while lines[i] != "PROJECTS":
        key, _, value = lines[i].partition(";")
        meta[key] = value.strip('"').replace('""', '"')
        i += 1
    votes_at = lines.index("VOTES")
    return meta, lines, votes_at


def test_each_shared_file_parses_to_its_declared_counts(shared):
    path, inst = shared
    meta, lines, votes_at = _meta_and_sections(path)
    assert len(inst.projects) == int(meta["num_projects"])
    assert len(inst.ballots) == int(meta["num_votes"]) == len(lines) - votes_at - 2
    assert inst.vote_type == meta["vote_type"]
    assert inst.budget == Fraction(meta["budget"])
    assert inst.meta["rule"] == meta["rule"]
    # every ballot names known projects, at most once
    for b in inst.ballots:
        assert set(b.projects) <= inst.projects.keys()
        assert len(set(b.projects)) == len(b.projects)


def test_ballots_are_read_as_written(shared):
    path, inst = shared
    _, lines, votes_at = _meta_and_sections(path)
    header = lines[votes_at + 1].split(";")
    first = lines[votes_at + 2].split(";")
    last = lines[-1].split(";")
    for row, ballot in ((first, inst.ballots[0]), (last, inst.ballots[-1])):
        assert ballot.voter_id == row[header.index("voter_id")]
        assert ",".join(ballot.projects) == row[header.index("vote")]
        if inst.vote_type in ("cumulative", "scoring"):
            assert ",".join(map(str, ballot.points)) == row[header.index("points")]


def test_round_trip_equals_the_parsed_file_with_anonymous_voter_ids(shared):
    path, inst = shared
    text = pabulib.write(inst)
    again = pabulib.parse(text, strict_limits=path.name not in LENIENT)
    assert again == inst            # everything but the voter ids, which are not compared
    rows = text.split("\nVOTES\n", 1)[1].splitlines()
    assert [row.split(";")[0] for row in rows[1:]] == [str(k) for k in range(1, len(inst.ballots) + 1)]
    assert [b.voter_id for b in again.ballots[:2]] == ["1", "2"]


def test_toulouse_costs_written_as_decimals_are_integers():
    inst = pabulib.parse(PABULIB / "France_Toulouse_2022.pb")
    assert "4000.0" in (PABULIB / "France_Toulouse_2022.pb").read_text(encoding="utf-8")
    assert inst.projects["116"].cost == 4000
    assert all(isinstance(p.cost, int) for p in inst.projects.values())


def test_quoted_meta_value_with_doubled_quotes():
    inst = pabulib.parse(PABULIB / "Worldwide_Mechanical_Turk_Utilities_7.pb", strict_limits=False)
    assert inst.meta["acknowledgments"].startswith('The dataset was created in an experiment as part of the paper '
                                                   '"Participatory Budgeting Design for the Real World"')


def test_mechanical_turk_breaks_its_own_min_sum_points():
    path = PABULIB / "Worldwide_Mechanical_Turk_Utilities_7.pb"
    with pytest.raises(PabulibError) as err:
        pabulib.parse(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "min_sum_points 100" in err.value.message
    assert sum(int(x) for x in lines[err.value.line - 1].split(";")[2].split(",")) < 100
    lenient = pabulib.parse(path, strict_limits=False)
    assert len(lenient.limit_violations) == 16
    assert all("min_sum_points" in v.message for v in lenient.limit_violations)


def test_official_selected_column():
    inst = pabulib.parse(PABULIB / "Netherlands_Assen_2024.pb")
    assert inst.selected() == [p.id for p in inst.projects.values() if p.fields["selected"] == "1"]
    assert len(inst.selected()) == 9
    assert pabulib.parse(PABULIB / "France_Toulouse_2022.pb").selected() is None


# --- small files written by hand -------------------------------------------------------------

GOOD = """META
key;value
description;A test
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;greedy
max_length;2
PROJECTS
project_id;cost;name
1;60;"Park; with a semicolon"
2;40;"A ""quoted"" name"
3;30;Bench
VOTES
voter_id;vote;age
a;1,2;30
b;2;41
c;3,1;
"""


def test_a_good_small_file():
    inst = pabulib.parse(GOOD)
    assert inst.budget == 100
    assert inst.projects["1"] == Project("1", 60, {"name": "Park; with a semicolon"})
    assert inst.projects["2"].fields["name"] == 'A "quoted" name'
    assert inst.ballots == [Ballot("a", ("1", "2"), None, ("30",)), Ballot("b", ("2",), None, ("41",)),
                            Ballot("c", ("3", "1"), None, ("",))]
    assert [b.voter_id for b in inst.ballots] == ["a", "b", "c"]
    assert pabulib.parse(pabulib.write(inst)) == inst


def test_crlf_bom_blank_lines_and_spaces_are_tolerated():
    text = "\ufeff" + GOOD.replace("\n", "\r\n").replace("b;2;41", " b ; 2 ;41").replace("VOTES\r\n", "\r\nVOTES\r\n")
    assert pabulib.parse(text) == pabulib.parse(GOOD)


def test_a_quoted_votes_section_reads_like_an_unquoted_one():
    quoted = GOOD.replace("a;1,2;30", 'a;"1,2";30')
    assert pabulib.parse(quoted) == pabulib.parse(GOOD)


def test_parse_reads_a_path(tmp_path):
    path = tmp_path / "small.pb"
    path.write_text(GOOD, encoding="utf-8")
    assert pabulib.parse(path) == pabulib.parse(str(path)) == pabulib.parse(GOOD)


def _error(text: str) -> PabulibError:
    with pytest.raises(PabulibError) as err:
        pabulib.parse(text)
    return err.value


def _line_of(text: str, needle: str) -> int:
    if needle == "@appended":       # the META line appended after the VOTES rows
        return len(GOOD.splitlines()) + 1
    return next(k for k, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


@pytest.mark.parametrize("change, needle, message", [
    # sections
    (lambda t: t.replace("META\nkey;value\n", "PROJECTS\nkey;value\n", 1), "PROJECTS", "expected the META section"),
    (lambda t: "VOTES\n" + t, "VOTES", "expected the META section"),
    (lambda t: t.replace("PROJECTS\n", "VOTES\n"), "VOTES", "expected the PROJECTS section, found section VOTES"),
    (lambda t: t + "META\nkey;value\n", "@appended", "unexpected section META after VOTES"),
    # field counts
    (lambda t: t.replace("rule;greedy", "rule;greedy;extra"), "rule;", "has 2 fields"),
    (lambda t: t.replace("3;30;Bench", "3;30"), "3;30", "a PROJECTS row has 3 fields, this one has 2"),
    (lambda t: t.replace("b;2;41", "b;2;41;x"), "b;2", "a VOTES row has 3 fields, this one has 4"),
    # costs
    (lambda t: t.replace("3;30;Bench", "3;30.5;Bench"), "3;30", "is not an integer"),
    (lambda t: t.replace("3;30;Bench", "3;-30;Bench"), "3;-30", "is negative"),
    (lambda t: t.replace("3;30;Bench", "3;thirty;Bench"), "3;thirty", "is not a number"),
    (lambda t: t.replace("3;30;Bench", "3;;Bench"), "3;;", "is not a number"),
    # counts
    (lambda t: t.replace("num_projects;3", "num_projects;4"), "num_projects", "num_projects is 4 but PROJECTS has 3"),
    (lambda t: t.replace("num_votes;3", "num_votes;2"), "num_votes", "num_votes is 2 but VOTES has 3"),
    (lambda t: t.replace("num_votes;3", "num_votes;three"), "num_votes", "not a non-negative integer"),
    # ids
    (lambda t: t.replace("3;30;Bench", "2;30;Bench"), "2;30", "project_id `2` appears twice"),
    (lambda t: t.replace("c;3,1;", "a;3,1;"), "a;3,1", "voter_id `a` appears twice"),
    (lambda t: t.replace("c;3,1;", "c;3,9;"), "c;3,9", "unknown project `9`"),
    (lambda t: t.replace("c;3,1;", "c;3,3;"), "c;3,3", "names a project twice"),
    # limits
    (lambda t: t.replace("c;3,1;", "c;3,1,2;"), "c;3,1,2", "more than max_length 2"),
    (lambda t: t.replace("max_length;2", "max_length;2\nmin_length;2"), "b;2", "fewer than min_length 2"),
    (lambda t: t.replace("max_length;2", "max_sum_cost;90"), "a;1,2", "more than max_sum_cost 90"),
    (lambda t: t.replace("max_length;2", "min_sum_cost;45"), "b;2", "less than min_sum_cost 45"),
    # META
    (lambda t: t.replace("vote_type;approval", "vote_type;quadratic"), "vote_type", "unknown vote_type `quadratic`"),
    (lambda t: t.replace("budget;100", "budget;lots"), "budget", "not a non-negative number"),
    (lambda t: t.replace("budget;100\n", ""), "PROJECTS", "META has no `budget`"),
    (lambda t: t.replace("max_length;2", "max_length;two"), "max_length", "is not a number"),
    (lambda t: t.replace("rule;greedy", "rule;x\nrule;greedy"), "rule;greedy", "appears twice"),
])
def test_malformed_files_name_the_line(change, needle, message):
    bad = change(GOOD)
    err = _error(bad)
    assert message in err.message
    if needle == "PROJECTS" and "META has no" in message:
        # reported at the end of META: the last META row
        assert err.line == _line_of(bad, "PROJECTS") - 1
    else:
        assert err.line == _line_of(bad, needle)
    assert str(err).startswith(f"line {err.line}: ")


def test_a_file_that_stops_early():
    cut = GOOD.split("VOTES\n")[0]
    err = _error(cut)
    assert "ends before the VOTES section" in err.message
    assert err.line == len(cut.splitlines())
    assert "the VOTES section has no header row" in _error(cut + "VOTES\n").message


def test_the_header_must_name_the_needed_columns():
    assert "no `cost` column" in _error(GOOD.replace("project_id;cost;name", "project_id;price;name")).message
    assert "no `vote` column" in _error(GOOD.replace("voter_id;vote;age", "voter_id;ballot;age")).message


CUMULATIVE = """META
key;value
num_projects;3
num_votes;2
budget;100
vote_type;cumulative
min_sum_points;2
max_sum_points;10
max_points;6
PROJECTS
project_id;cost
1;60
2;40
3;30
VOTES
voter_id;vote;points
v1;1,2;6,4
v2;3;5
"""


def test_cumulative_ballots_keep_their_points():
    inst = pabulib.parse(CUMULATIVE)
    assert [b.points for b in inst.ballots] == [(6, 4), (5,)]
    assert pabulib.parse(pabulib.write(inst)) == inst


@pytest.mark.parametrize("change, needle, message", [
    (lambda t: t.replace("v2;3;5", "v2;3;7"), "v2;3;7", "7 points, more than max_points 6"),
    (lambda t: t.replace("v2;3;5", "v2;3;1"), "v2;3;1", "1 points in all, less than min_sum_points 2"),
    (lambda t: t.replace("v1;1,2;6,4", "v1;1,2,3;6,4,1"), "v1;1,2,3", "11 points in all, more than max_sum_points 10"),
    (lambda t: t.replace("max_points;6", "min_points;5"), "v1;1,2", "4 points, less than min_points 5"),
    (lambda t: t.replace("v2;3;5", "v2;3;5,1"), "v2;3;5,1", "lists 1 projects but 2 points"),
    (lambda t: t.replace("v2;3;5", "v2;3;2.5"), "v2;3;2.5", "are not integers"),
    (lambda t: t.replace("v2;3;5", "v2;3,1;5,-3"), "v2;3,1", "negative points"),
    (lambda t: t.replace("voter_id;vote;points", "voter_id;vote;score"), "voter_id", "no `points` column"),
])
def test_malformed_points(change, needle, message):
    bad = change(CUMULATIVE)
    err = _error(bad)
    assert message in err.message
    assert err.line == _line_of(bad, needle)


def test_choose_one_ballots_name_exactly_one_project():
    text = GOOD.replace("vote_type;approval", "vote_type;choose-1").replace("max_length;2\n", "")
    err = _error(text)
    assert err.line == _line_of(text, "a;1,2") and "more than max_length 1" in err.message
    ok = text.replace("a;1,2;30", "a;1;30").replace("c;3,1;", "c;3;")
    assert [b.projects for b in pabulib.parse(ok).ballots] == [("1",), ("2",), ("3",)]


def test_lenient_limits_keep_the_ballot_and_list_the_problem():
    text = GOOD.replace("c;3,1;", "c;3,1,2;")
    inst = pabulib.parse(text, strict_limits=False)
    assert inst.ballots[2].projects == ("3", "1", "2")
    assert [(v.line, "max_length" in v.message) for v in inst.limit_violations] == [(_line_of(text, "c;3,1,2"), True)]
    # structural problems are never lenient
    with pytest.raises(PabulibError):
        pabulib.parse(text.replace("c;3,1,2;", "c;3,9;"), strict_limits=False)


def test_writer_quotes_what_needs_quoting():
    inst = Instance({"budget": "10", "vote_type": "approval", "note": 'semi;colon "and quotes"'},
                    {"x": Project("x", 5, {"name": "a;b"})}, [Ballot("secret-id", ("x",))],
                    ("project_id", "cost", "name"))
    text = pabulib.write(inst)
    assert "secret-id" not in text
    assert re.search(r'^note;"semi;colon ""and quotes"""$', text, re.M)
    assert "num_projects;1" in text and "num_votes;1" in text
    back = pabulib.parse(text)
    assert back.meta["note"] == 'semi;colon "and quotes"'
    assert back.projects == inst.projects and back.ballots == inst.ballots
