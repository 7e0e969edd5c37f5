"""Reading a committee round from CSV files, with errors that name the file and the line.

CRITERIA.csv  criterion,weight,kind        (kind: scored or support)
SCORES.csv    member,project,criterion,score (score empty or "recused": that member is recused
                                              on that whole project; criterion may then be empty)
PROJECTS.csv  project,supports,cost

UTF-8 (a byte-order mark is accepted), comma-separated, a header first; extra columns are
ignored, blank lines skipped. Each row is checked with the same functions `aggregate` uses,
so a file that reads cleanly also aggregates cleanly.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from prioritization.aggregation import (
    SUPPORT,
    AggregationError,
    Criterion,
    Project,
    Score,
    check_criteria,
    check_criterion,
    check_project,
    check_score,
    score_key,
)

CRITERIA_COLUMNS = ("criterion", "weight", "kind")
SCORES_COLUMNS = ("member", "project", "criterion", "score")
PROJECTS_COLUMNS = ("project", "supports", "cost")
RECUSED = "recused"

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_WHOLE = re.compile(r"\d+")


@dataclass(frozen=True)
class Round:
    criteria: tuple[Criterion, ...]
    projects: tuple[Project, ...] | None
    scores: tuple[Score, ...]


def _rows(path: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: stripped text}) for each non-blank data row."""
    expected = ",".join(columns)
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        raise AggregationError(f"cannot be read ({err.strerror})", source=path) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[:err.start].count(b"\n") + 1
        raise AggregationError("is not UTF-8 text", source=path, line=line) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise AggregationError(f"the file is empty (expected the header {expected})", source=path, line=1)
        names = [cell.strip().lower() for cell in header]
        for name in columns:
            if name not in names:
                hint = " — the file seems to use ';': separate the columns with ','" if ";" in header[0] else ""
                raise AggregationError(
                    f"missing column {name!r} (the header must have {expected}){hint}", source=path, line=1)
        for name in names:
            if name and names.count(name) > 1:
                raise AggregationError(f"column {name!r} appears twice in the header", source=path, line=1)
        where = {name: names.index(name) for name in columns}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise AggregationError(
                    f"{len(row)} fields where the header has {len(names)}", source=path, line=line)
            yield line, {name: row[index].strip() for name, index in where.items()}
    except csv.Error as err:
        raise AggregationError(f"malformed CSV ({err})", source=path, line=reader.line_num) from None


def _number(text: str, what: str) -> float:
    if not _DECIMAL.fullmatch(text):
        shown = f"{what} {text!r}" if text else f"{what} (empty)"
        raise AggregationError(f"{shown} is not a number")
    return float(text)


def _located(path: str, line: int, check, *args) -> None:
    try:
        check(*args)
    except AggregationError as err:
        raise err.at(path, line) from None


def read_criteria(path: str) -> tuple[Criterion, ...]:
    criteria: list[Criterion] = []
    lines: dict[str, int] = {}
    support: tuple[str, int] | None = None
    for line, row in _rows(path, CRITERIA_COLUMNS):
        try:
            weight = _number(row["weight"], "weight")
        except AggregationError as err:
            raise err.at(path, line) from None
        criterion = Criterion(row["criterion"], weight, row["kind"].lower())
        _located(path, line, check_criterion, criterion)
        if criterion.id in lines:
            raise AggregationError(
                f"criterion {criterion.id!r} is given twice (first on line {lines[criterion.id]})",
                source=path, line=line)
        lines[criterion.id] = line
        if criterion.kind == SUPPORT:
            if support is not None:
                raise AggregationError(
                    f"a second support criterion {criterion.id!r} (the first, {support[0]!r}, is on line "
                    f"{support[1]}): at most one is allowed", source=path, line=line)
            support = (criterion.id, line)
        criteria.append(criterion)
    if not criteria:
        raise AggregationError("no criteria after the header", source=path, line=1)
    try:
        return check_criteria(criteria)
    except AggregationError as err:  # all weights zero: not one line's fault
        raise AggregationError(err.message, source=path) from None


def read_projects(path: str) -> tuple[Project, ...]:
    projects: list[Project] = []
    lines: dict[str, int] = {}
    for line, row in _rows(path, PROJECTS_COLUMNS):
        if not _WHOLE.fullmatch(row["supports"]):
            raise AggregationError(f"supports {row['supports']!r} is not a whole number ≥ 0", source=path, line=line)
        try:
            cost = _number(row["cost"], "cost")
        except AggregationError as err:
            raise err.at(path, line) from None
        project = Project(row["project"], int(row["supports"]), cost)
        _located(path, line, check_project, project)
        if project.code in lines:
            raise AggregationError(
                f"project {project.code!r} is given twice (first on line {lines[project.code]})",
                source=path, line=line)
        lines[project.code] = line
        projects.append(project)
    if not projects:
        raise AggregationError("no projects after the header", source=path, line=1)
    return tuple(projects)


def read_scores(path: str, criteria: tuple[Criterion, ...],
                projects: tuple[Project, ...] | None = None) -> tuple[Score, ...]:
    by_id = {c.id: c for c in criteria}
    codes = None if projects is None else {p.code for p in projects}
    scores: list[Score] = []
    lines: dict[tuple[str, str, str], int] = {}
    for line, row in _rows(path, SCORES_COLUMNS):
        text = row["score"]
        if text == "" or text.lower() == RECUSED:
            value = None
        else:
            try:
                value = _number(text, "score")
            except AggregationError as err:
                raise err.at(path, line) from None
        score = Score(row["member"], row["project"], row["criterion"] or None, value)
        _located(path, line, check_score, score, by_id, codes)
        key = score_key(score)
        if key in lines:
            raise AggregationError(
                f"duplicate row: member {key[0]!r}, project {key[1]!r}, criterion {key[2]!r} "
                f"(first on line {lines[key]})", source=path, line=line)
        lines[key] = line
        scores.append(score)
    return tuple(scores)


def read_round(criteria_path: str, scores_path: str, projects_path: str | None = None) -> Round:
    criteria = read_criteria(criteria_path)
    projects = read_projects(projects_path) if projects_path else None
    scores = read_scores(scores_path, criteria, projects)
    if projects is None and not scores:
        raise AggregationError("no scores after the header, and no projects file: nothing to rank",
                               source=scores_path, line=1)
    return Round(criteria=criteria, projects=projects, scores=scores)
