"""`flask pb import` / `flask pb export`: a Pabulib file becomes a support round of a commune
(projects and anonymous ballots) and goes back out in the format, without personal data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import SupportBallot, SupportRound, SupportRoundProject
from prioritization import pabulib, rules

PABULIB = Path(__file__).resolve().parents[2] / "shared" / "pabulib"
ASSEN = PABULIB / "Netherlands_Assen_2024.pb"
CZESTOCHOWA = PABULIB / "Poland_Czestochowa_2020_Grabowka.pb"  # cumulative: points
TURK = PABULIB / "Worldwide_Mechanical_Turk_Utilities_7.pb"  # age, sex, education per voter


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _import(runner, path, *extra):
    return runner.invoke(args=["pb", "import", str(path), "--commune", "tetouan", *extra])


def test_import_stores_projects_and_anonymous_ballots(runner, commune):
    result = _import(runner, ASSEN)
    assert result.exit_code == 0, result.output
    original = pabulib.parse(ASSEN)
    round_ = db.session.scalar(select(SupportRound))
    assert round_.commune_id == commune.id and round_.vote_type == "approval"
    assert round_.num_ballots == len(original.ballots) == _count(SupportBallot)
    assert _count(SupportRoundProject) == len(original.projects)
    assert f"support round {round_.id}: {len(original.projects)} projects" in result.output
    stored = db.session.scalars(select(SupportBallot.projects).order_by(SupportBallot.position)).all()
    assert stored == [",".join(b.projects) for b in original.ballots]


def test_export_round_trips_and_gives_the_official_outcome(runner, commune, tmp_path):
    assert _import(runner, ASSEN).exit_code == 0
    round_id = db.session.scalar(select(SupportRound.id))
    out = tmp_path / "assen.pb"
    result = runner.invoke(args=["pb", "export", str(round_id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    original, back = pabulib.parse(ASSEN), pabulib.parse(out)
    assert back.projects == original.projects
    assert back.ballots == original.ballots
    assert back.meta["budget"] == original.meta["budget"]
    # the file's voter ids are gone: 1..n instead
    text = out.read_text(encoding="utf-8")
    assert original.ballots[0].voter_id not in text
    assert [b.voter_id for b in back.ballots] == [str(i) for i in range(1, len(back.ballots) + 1)]
    # the rules give the official outcome on what the platform exported
    assert rules.outcome(back, None).selected == rules.outcome(original, None).selected
    assert set(rules.outcome(back, None).selected) == set(original.selected())


def test_points_survive_and_per_voter_columns_are_dropped(runner, commune, tmp_path):
    assert _import(runner, CZESTOCHOWA).exit_code == 0
    assert _import(runner, TURK, "--lenient-limits").exit_code == 0
    ids = db.session.scalars(select(SupportRound.id).order_by(SupportRound.id)).all()
    for path, round_id in zip((CZESTOCHOWA, TURK), ids):
        out = tmp_path / f"{round_id}.pb"
        assert runner.invoke(args=["pb", "export", str(round_id), "-o", str(out)]).exit_code == 0
        original = pabulib.parse(path, strict_limits=False)
        back = pabulib.parse(out, strict_limits=False)
        assert [b.points for b in back.ballots] == [b.points for b in original.ballots]
        assert [b.projects for b in back.ballots] == [b.projects for b in original.ballots]
        assert back.vote_columns == ("voter_id", "vote", "points")
    header = (tmp_path / f"{ids[1]}.pb").read_text(encoding="utf-8").split("VOTES\n")[1].splitlines()[0]
    assert header == "voter_id;vote;points"  # no age, sex or education


@pytest.mark.parametrize("text, line, message", [
    ("META\nkey;value\nnum_projects;1\nnum_votes;1\nbudget;10\nvote_type;approval\n"
     "PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\nv1;2\n", 12, "unknown project"),
    ("META\nkey;value\nnum_projects;2\nnum_votes;1\nbudget;10\nvote_type;approval\n"
     "PROJECTS\nproject_id;cost\n1;5\nVOTES\nvoter_id;vote\nv1;1\n", 3, "num_projects"),
    ("PROJECTS\nproject_id;cost\n1;5\nMETA\nkey;value\n", 1, "META"),
])
def test_a_malformed_file_names_its_line_and_stores_nothing(runner, commune, tmp_path, text, line, message):
    bad = tmp_path / "bad.pb"
    bad.write_text(text, encoding="utf-8")
    result = _import(runner, bad)
    assert result.exit_code == 2
    assert f"line {line}:" in result.output and message in result.output
    assert _count(SupportRound) == 0 and _count(SupportBallot) == 0 and _count(SupportRoundProject) == 0


def test_unknown_commune_and_unknown_round_are_refused(runner, commune):
    result = runner.invoke(args=["pb", "import", str(ASSEN), "--commune", "nowhere"])
    assert result.exit_code == 2 and "nowhere" in result.output
    result = runner.invoke(args=["pb", "export", "999"])
    assert result.exit_code == 2 and "999" in result.output
    assert _count(SupportRound) == 0


def test_meta_is_kept_for_the_export(runner, commune):
    assert _import(runner, ASSEN).exit_code == 0
    meta = json.loads(db.session.scalar(select(SupportRound.meta_json)))
    assert meta["rule"] == "equalshares/add1" and meta["currency"] == "EUR"
