"""The Pabulib `.pb` file format: a validating parser and a writer (no Flask, no database).

A `.pb` file has three `;`-separated sections, in this order, each a header row then data rows:

    META      key;value                       budget, vote_type, num_projects, num_votes, limits, ...
    PROJECTS  project_id;cost;...             one row per project
    VOTES     voter_id;vote[;points];...      one row per voter; `vote` lists project ids, `,`-separated

Cells use CSV quoting (a `"`-quoted cell may hold `;`, and `""` is a quote). Blank lines are
ignored, cells are stripped of surrounding spaces, a leading byte-order mark is dropped.

`parse()` refuses a malformed file with `PabulibError(message, line)` (1-based physical line):
sections missing or out of order, rows with the wrong number of fields, a cost that is not a
non-negative integer (an integral decimal such as `4000.0`, as Toulouse writes its costs, is
accepted), `num_projects`/`num_votes` that don't match the rows, duplicate project or voter ids,
a ballot naming an unknown project (or one project twice), a ballot outside the META limits
(`min_length`, `max_length`, `min_sum_cost`, `max_sum_cost`, `min_points`, `max_points`,
`min_sum_points`, `max_sum_points`; a choose-1 ballot names exactly one project), points that
are missing, not integers or negative in a cumulative ballot, and an unknown `vote_type`.

`write()` produces a file that `parse()` reads back to an equal Instance; voter ids are replaced
by 1..n (ballots are published without the ids a platform keeps).
"""
from __future__ import annotations

import csv
import gc
import io
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from operator import itemgetter
from pathlib import Path

VOTE_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
POINT_TYPES = ("cumulative", "scoring")
SECTIONS = ("META", "PROJECTS", "VOTES")
LIMIT_KEYS = ("min_length", "max_length", "min_sum_cost", "max_sum_cost",
              "min_points", "max_points", "min_sum_points", "max_sum_points")
_DECIMAL = re.compile(r"[+-]?(\d+)(?:\.(\d*))?\Z")
# Whitespace (other than the line break) at the edge of a cell or of a vote item.
_EDGE_SPACE = re.compile(r"(?m)^[^\S\n]|[^\S\n]$|[^\S\n][;,]|[;,][^\S\n]")


class PabulibError(ValueError):
    """A malformed Pabulib file: `message` explains, `line` is the 1-based line it is about."""

    def __init__(self, message: str, line: int):
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    cost: int
    # The other PROJECTS columns (name, votes, selected, ...), as written in the file.
    fields: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(slots=True)
class Ballot:
    # The voter id is not part of a ballot's identity: the writer anonymises it (1..n), and a
    # file read back from it is equal to the original.
    voter_id: str = field(compare=False)
    projects: tuple[str, ...]
    points: tuple[int, ...] | None = None
    # The other VOTES columns (age, sex, ...) in `Instance.vote_columns` order.
    extra: tuple[str, ...] = ()


@dataclass(eq=True, slots=True)
class Instance:
    meta: dict[str, str]
    projects: dict[str, Project]
    ballots: list[Ballot]
    project_columns: tuple[str, ...] = ("project_id", "cost")
    vote_columns: tuple[str, ...] = ("voter_id", "vote")
    # Ballots outside the META limits, when parsed with strict_limits=False.
    limit_violations: list[PabulibError] = field(default_factory=list, compare=False)

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"]

    @property
    def budget(self) -> int | Fraction:
        return _number(self.meta["budget"])

    @property
    def rule(self) -> str | None:
        return self.meta.get("rule")

    @property
    def extra_vote_columns(self) -> tuple[str, ...]:
        """The VOTES columns kept in `Ballot.extra` (all but voter_id, vote and, with points, points)."""
        return _extra_columns(self.vote_columns, self.vote_type)

    def selected(self) -> list[str] | None:
        """The official outcome (`selected` column = 1), or None when the file has none."""
        if "selected" not in self.project_columns:
            return None
        return [p.id for p in self.projects.values() if p.fields.get("selected", "").strip() == "1"]


@contextmanager
def no_gc():
    """Pause the cyclic garbage collector while building many small objects at once (90,000
    ballots): it would otherwise rescan them again and again, doubling the time. Nothing built
    here is cyclic garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _extra_columns(columns: tuple[str, ...], vote_type: str) -> tuple[str, ...]:
    own = ("voter_id", "vote", "points") if vote_type in POINT_TYPES else ("voter_id", "vote")
    return tuple(c for c in columns if c not in own)


def _number(text: str) -> int | Fraction:
    """A decimal number (`12`, `-3`, `4000.0`, `2.5`) as an int when integral, else an exact Fraction."""
    m = _DECIMAL.match(text.strip())
    if not m:
        raise ValueError(text)
    value = Fraction(text.strip())
    return int(value) if value.denominator == 1 else value


def _read_text(source: str | os.PathLike) -> str:
    """A path (PathLike, or a str without a line break) is read as UTF-8; other str is the text."""
    if isinstance(source, os.PathLike) or "\n" not in source:
        return Path(source).read_text(encoding="utf-8-sig")
    return source[1:] if source.startswith("\ufeff") else source


def parse(source: str | os.PathLike, *, strict_limits: bool = True) -> Instance:
    """Read a Pabulib file (a path, or the file's text) and validate it; see the module docstring.

    With `strict_limits=False`, ballots outside the META limits are kept and listed in
    `Instance.limit_violations` instead of raising (real files have a few: Mechanical Turk
    Utilities_7 has 16 voters who gave 98 or 99 of the required 100 points).
    """
    rows = _Rows(_read_text(source))

    rows.expect_section("META")
    meta_header = rows.header("META")
    if len(meta_header) != 2:
        raise PabulibError("the META header must be `key;value`", rows.line)
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    meta_end = rows.line
    for row in rows.data():
        if len(row) != 2:
            raise PabulibError(f"a META row has 2 fields (key;value), this one has {len(row)}", rows.line)
        key, value = row
        if key in meta:
            raise PabulibError(f"META key `{key}` appears twice", rows.line)
        meta[key] = value
        meta_lines[key] = meta_end = rows.line
    for key in ("budget", "vote_type", "num_projects", "num_votes"):
        if key not in meta:
            raise PabulibError(f"META has no `{key}`", meta_end)
    vote_type = meta["vote_type"]
    if vote_type not in VOTE_TYPES:
        raise PabulibError(f"unknown vote_type `{vote_type}` (known: {', '.join(VOTE_TYPES)})",
                           meta_lines["vote_type"])
    try:
        budget = _number(meta["budget"])
        if budget < 0:
            raise ValueError
    except ValueError:
        raise PabulibError(f"budget `{meta['budget']}` is not a non-negative number", meta_lines["budget"]) from None
    counts = {}
    for key in ("num_projects", "num_votes"):
        if not meta[key].isdigit():
            raise PabulibError(f"{key} `{meta[key]}` is not a non-negative integer", meta_lines[key])
        counts[key] = int(meta[key])
    limits = {}
    for key in LIMIT_KEYS + ("min_project_score_threshold",):
        if key in meta:
            try:
                limits[key] = _number(meta[key])
            except ValueError:
                raise PabulibError(f"{key} `{meta[key]}` is not a number", meta_lines[key]) from None

    # PROJECTS
    rows.expect_section("PROJECTS")
    pcols = tuple(rows.header("PROJECTS"))
    header_line = rows.line
    for required in ("project_id", "cost"):
        if required not in pcols:
            raise PabulibError(f"the PROJECTS header has no `{required}` column", header_line)
    if len(set(pcols)) != len(pcols):
        raise PabulibError("the PROJECTS header names a column twice", header_line)
    id_at, cost_at = pcols.index("project_id"), pcols.index("cost")
    others = [(i, c) for i, c in enumerate(pcols) if i not in (id_at, cost_at)]
    projects: dict[str, Project] = {}
    width = len(pcols)
    for row in rows.data():
        if len(row) != width:
            raise PabulibError(f"a PROJECTS row has {width} fields, this one has {len(row)}", rows.line)
        pid = row[id_at]
        if not pid:
            raise PabulibError("empty project_id", rows.line)
        if "," in pid:
            raise PabulibError(f"project_id `{pid}` contains a comma", rows.line)
        if pid in projects:
            raise PabulibError(f"project_id `{pid}` appears twice", rows.line)
        raw_cost = row[cost_at]
        try:
            cost = _number(raw_cost)
        except ValueError:
            raise PabulibError(f"cost `{raw_cost}` of project `{pid}` is not a number", rows.line) from None
        if not isinstance(cost, int):
            raise PabulibError(f"cost `{raw_cost}` of project `{pid}` is not an integer", rows.line)
        if cost < 0:
            raise PabulibError(f"cost `{raw_cost}` of project `{pid}` is negative", rows.line)
        projects[pid] = Project(pid, cost, {c: row[i] for i, c in others})
    if len(projects) != counts["num_projects"]:
        raise PabulibError(f"num_projects is {counts['num_projects']} but PROJECTS has {len(projects)} rows",
                           meta_lines["num_projects"])

    # VOTES
    rows.expect_section("VOTES")
    vcols = tuple(rows.header("VOTES"))
    header_line = rows.line
    for required in ("voter_id", "vote") + (("points",) if vote_type in POINT_TYPES else ()):
        if required not in vcols:
            raise PabulibError(f"the VOTES header has no `{required}` column", header_line)
    if len(set(vcols)) != len(vcols):
        raise PabulibError("the VOTES header names a column twice", header_line)
    with no_gc():
        ballots, violations = _read_ballots(rows, vcols, vote_type, projects, limits, strict_limits)
    if len(ballots) != counts["num_votes"]:
        raise PabulibError(f"num_votes is {counts['num_votes']} but VOTES has {len(ballots)} rows",
                           meta_lines["num_votes"])
    return Instance(meta, projects, ballots, pcols, vcols, violations)


def _read_ballots(rows: _Rows, vcols, vote_type, projects, limits, strict_limits) -> tuple[list[Ballot], list]:
    vid_at, vote_at = vcols.index("voter_id"), vcols.index("vote")
    points_at = vcols.index("points") if vote_type in POINT_TYPES else None
    extra = set(_extra_columns(vcols, vote_type))
    extra_at = [i for i, c in enumerate(vcols) if c in extra]
    # itemgetter returns a bare value for one index: wrap it so extras are always a tuple.
    get_extra = (itemgetter(*extra_at) if len(extra_at) > 1
                 else (lambda row: (row[extra_at[0]],)) if extra_at else (lambda row: ()))
    width = len(vcols)
    known = set(projects)
    cost = {pid: p.cost for pid, p in projects.items()}
    min_len, max_len = limits.get("min_length"), limits.get("max_length")
    if vote_type == "choose-1":
        min_len = max(min_len or 1, 1)
        max_len = min(max_len if max_len is not None else 1, 1)
    min_cost, max_cost = limits.get("min_sum_cost"), limits.get("max_sum_cost")
    min_pts, max_pts = limits.get("min_points"), limits.get("max_points")
    min_sum, max_sum = limits.get("min_sum_points"), limits.get("max_sum_points")
    check_cost = min_cost is not None or max_cost is not None
    check_points = points_at is not None
    violations: list[PabulibError] = []

    def over_limit(message: str, line: int) -> None:
        if strict_limits:
            raise PabulibError(message, line)
        violations.append(PabulibError(message, line))

    seen: set[str] = set()
    ballots: list[Ballot] = []
    append = ballots.append
    for line, row in rows.data_with_lines():
        if len(row) != width:
            raise PabulibError(f"a VOTES row has {width} fields, this one has {len(row)}", line)
        vid = row[vid_at]
        if not vid:
            raise PabulibError("empty voter_id", line)
        if vid in seen:
            raise PabulibError(f"voter_id `{vid}` appears twice", line)
        seen.add(vid)
        vote = row[vote_at]
        if not vote:
            chosen = ()
        elif " " in vote or "\t" in vote:
            chosen = tuple(x.strip() for x in vote.split(","))
        else:
            chosen = tuple(vote.split(","))
        distinct = set(chosen)
        if not distinct <= known:
            unknown = next(x for x in chosen if x not in known)
            raise PabulibError(f"voter `{vid}` votes for unknown project `{unknown}`", line)
        n = len(chosen)
        if n != len(distinct):
            raise PabulibError(f"voter `{vid}` names a project twice", line)
        if min_len is not None and n < min_len:
            over_limit(f"voter `{vid}` chose {n} projects, fewer than min_length {min_len}", line)
        if max_len is not None and n > max_len:
            over_limit(f"voter `{vid}` chose {n} projects, more than max_length {max_len}", line)
        if check_cost:
            total = sum([cost[x] for x in chosen])
            if min_cost is not None and total < min_cost:
                over_limit(f"voter `{vid}`'s projects cost {total}, less than min_sum_cost {min_cost}", line)
            if max_cost is not None and total > max_cost:
                over_limit(f"voter `{vid}`'s projects cost {total}, more than max_sum_cost {max_cost}", line)
        points = None
        if check_points:
            raw = row[points_at]
            try:
                points = tuple(map(int, raw.split(","))) if raw else ()
            except ValueError:
                raise PabulibError(f"voter `{vid}`'s points `{raw}` are not integers", line) from None
            if len(points) != n:
                raise PabulibError(f"voter `{vid}` lists {n} projects but {len(points)} points", line)
            total = sum(points)
            if n:
                low, high = min(points), max(points)
                if vote_type == "cumulative" and low < 0:
                    raise PabulibError(f"voter `{vid}` gives negative points in a cumulative ballot", line)
                if min_pts is not None and low < min_pts:
                    over_limit(f"voter `{vid}` gives {low} points, less than min_points {min_pts}", line)
                if max_pts is not None and high > max_pts:
                    over_limit(f"voter `{vid}` gives {high} points, more than max_points {max_pts}", line)
            if min_sum is not None and total < min_sum:
                over_limit(f"voter `{vid}` gives {total} points in all, less than min_sum_points {min_sum}", line)
            if max_sum is not None and total > max_sum:
                over_limit(f"voter `{vid}` gives {total} points in all, more than max_sum_points {max_sum}", line)
        append(Ballot(vid, chosen, points, get_extra(row)))
    return ballots, violations


class _Rows:
    """Rows of a Pabulib text, with the current physical line number and section awareness.

    META and PROJECTS go through the csv module. VOTES (the bulk of a file: 90,000 rows for
    Lodz) is split directly when its text has no quote character, which gives the same cells as
    the csv module for such text and is several times faster; otherwise csv reads it too.
    """

    def __init__(self, text: str):
        self._io = io.StringIO(text, newline="")
        self._reader = csv.reader(self._io, delimiter=";")
        self._pending: list[str] | None = None
        self.line = 0

    def _next(self) -> list[str] | None:
        if self._pending is not None:
            row, self._pending = self._pending, None
            return row
        try:
            for row in self._reader:
                if row and (len(row) > 1 or row[0].strip()):
                    self.line = self._reader.line_num
                    return [cell.strip() for cell in row]
        except csv.Error as exc:
            raise PabulibError(f"unreadable CSV: {exc}", self._reader.line_num) from None
        return None

    @staticmethod
    def _section_name(row: list[str]) -> str | None:
        if len(row) == 1 and row[0].upper() in SECTIONS:
            return row[0].upper()
        return None

    def expect_section(self, name: str) -> None:
        row = self._next()
        if row is None:
            raise PabulibError(f"the file ends before the {name} section", max(self.line, 1))
        found = self._section_name(row)
        if found != name:
            what = f"section {found}" if found else "a data row"
            raise PabulibError(f"expected the {name} section, found {what} "
                               f"(sections are META, PROJECTS, VOTES, in that order)", self.line)

    def header(self, name: str) -> list[str]:
        row = self._next()
        if row is None or self._section_name(row):
            raise PabulibError(f"the {name} section has no header row", self.line)
        return row

    def data(self):
        """The data rows of the current section (stops before the next section's name)."""
        while True:
            row = self._next()
            if row is None:
                return
            if self._section_name(row):
                self._pending = row
                return
            yield row

    def data_with_lines(self):
        """(line, cells) for every remaining data row; a section name there is an error."""
        if self._pending is None:
            start = self._io.tell()
            rest = self._io.read()
            if '"' not in rest:
                yield from self._split_rows(rest)
                return
            self._io.seek(start)
        for row in self.data():
            yield self.line, row
        self.expect_end()

    def _split_rows(self, rest: str):
        if "\r" in rest:
            rest = rest.replace("\r\n", "\n").replace("\r", "\n")
        # Cheap checks first: the regex only runs on text that has some whitespace at all.
        needs_strip = ((not rest.isascii() or " " in rest or "\t" in rest or "\f" in rest or "\v" in rest)
                       and _EDGE_SPACE.search(rest) is not None)
        first = self.line + 1
        for offset, text in enumerate(rest.split("\n")):
            if not text:
                continue
            cells = text.split(";")
            if needs_strip:
                cells = [cell.strip() for cell in cells]
                if len(cells) == 1 and not cells[0]:
                    continue
            if len(cells) == 1 and self._section_name(cells):
                raise PabulibError(f"unexpected section {self._section_name(cells)} after VOTES", first + offset)
            self.line = first + offset
            yield self.line, cells

    def expect_end(self) -> None:
        row = self._next()
        if row is not None:
            raise PabulibError(f"unexpected section {self._section_name(row)} after VOTES", self.line)


# --- writer ---------------------------------------------------------------------------------

def write(instance: Instance) -> str:
    """The instance as Pabulib text; voter ids become 1..n in ballot order."""
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    meta = dict(instance.meta)
    for key, count in (("num_projects", len(instance.projects)), ("num_votes", len(instance.ballots))):
        if not meta.get(key, "").isdigit() or int(meta[key]) != count:
            meta[key] = str(count)
    out.write("META\n")
    w.writerow(("key", "value"))
    for key, value in meta.items():
        w.writerow((key, value))
    out.write("PROJECTS\n")
    pcols = instance.project_columns
    w.writerow(pcols)
    for p in instance.projects.values():
        w.writerow([p.id if c == "project_id" else str(p.cost) if c == "cost" else p.fields.get(c, "")
                    for c in pcols])
    out.write("VOTES\n")
    vcols = instance.vote_columns
    w.writerow(vcols)
    extra_pos = {c: i for i, c in enumerate(instance.extra_vote_columns)}
    for n, b in enumerate(instance.ballots, 1):
        row = []
        for c in vcols:
            if c == "voter_id":
                row.append(str(n))
            elif c == "vote":
                row.append(",".join(b.projects))
            elif c == "points" and instance.vote_type in POINT_TYPES:
                row.append(",".join(map(str, b.points or ())))
            else:
                row.append(b.extra[extra_pos[c]] if b.extra else "")
        w.writerow(row)
    return out.getvalue()
