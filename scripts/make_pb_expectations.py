"""Compute the reference outcomes of the participatory-budgeting rules with pabutools.

pabutools (PyPI 1.2.3, GPL) is a TEST ORACLE ONLY: it is never imported by the app or by the
tests. This script is run by hand, in its own virtual environment, and writes
tests/prioritization/data/pabutools_expected.json, which the tests compare our outcomes to:

    python3 -m venv /tmp/venv-pabutools
    /tmp/venv-pabutools/bin/pip install pabutools==1.2.3
    /tmp/venv-pabutools/bin/python scripts/make_pb_expectations.py [--pabulib DIR] [--timeout 900]

Every (file, rule) is computed in a child process with a time limit (15 minutes by default); a
run that takes longer is recorded as skipped, with a note, and left out of the comparison.

How each of our rules is expressed with pabutools (docs/pb-rules.md has the definitions):

- greedy: `greedy_utilitarian_welfare` with an additive satisfaction whose density
  (satisfaction / cost) is the project's score: Cost_Sat for approval (density = approvals),
  points x cost for cumulative/scoring (density = points), pabutools' own Borda score
  (`borda_sat_func`: length of the ballot - position - 1) x cost for ordinal ballots.
  Tie-breaking: more votes, then lower cost, then project id.
- greedy-threshold: the same greedy on the projects whose score reaches
  META min_project_score_threshold (only for files that have it).
- mes: `method_of_equal_shares` with Cost_Sat (approval) or Additive_Cardinal_Sat (points as
  utilities: cumulative, scoring). Tie-breaking: lower cost, then more votes, then project id.
- mes-add1: `exhaustion_by_budget_increase` around that MES with `budget_step` = number of
  voters (one currency unit more per voter: endowments budget/n, budget/n + 1, ...) and
  `exhaustive_stop=False`: the last outcome whose cost stays within the real budget. (pabutools'
  own `voter_budget_increment=1` also stops at the first exhaustive outcome; that differs from
  the official Wieliczka 2023 outcome, which this definition reproduces.)
- mes-add1-comparison: `popularity_comparison` between the mes-add1 outcome and the greedy
  outcome, with the MES utilities; a tie keeps the MES outcome.

Project ids are compared as integers when every id of the file is an integer, else as strings.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PABULIB = ROOT.parent / "shared" / "pabulib"
OUT = ROOT / "tests" / "prioritization" / "data" / "pabutools_expected.json"
MES_TYPES = {"approval": "Cost_Sat", "choose-1": "Cost_Sat",
             "cumulative": "Additive_Cardinal_Sat", "scoring": "Additive_Cardinal_Sat"}
# Files are run from the smallest; the largest take minutes in pabutools.
TASKS = ("greedy", "greedy-threshold", "mes", "mes-add1")


def _id_key_factory(names):
    if all(n.lstrip("-").isdigit() for n in names):
        return lambda name: (int(name), "")
    return lambda name: (0, name)


def run_one(path: str, task: str) -> dict:
    """Compute one task on one file inside this (child) process; return the JSON-able result."""
    import pabutools
    from pabutools.election import parse_pabulib
    from pabutools.election.satisfaction import AdditiveSatisfaction, Cost_Sat, Additive_Cardinal_Sat
    from pabutools.election.satisfaction.positionalsatisfaction import borda_sat_func
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.rules.composition import popularity_comparison
    from pabutools.tiebreaking import TieBreakingRule

    t0 = time.perf_counter()
    instance, profile = parse_pabulib(path)
    parse_seconds = time.perf_counter() - t0
    vote_type = instance.meta["vote_type"]

    votes = {p.name: 0 for p in instance}
    score = {p.name: 0 for p in instance}
    for ballot in profile:
        for position, p in enumerate(ballot):
            votes[p.name] += 1
            if vote_type in ("approval", "choose-1"):
                score[p.name] += 1
            elif vote_type in ("cumulative", "scoring"):
                score[p.name] += ballot[p]
            else:
                score[p.name] += len(ballot) - position - 1
    id_key = _id_key_factory([p.name for p in instance])
    greedy_tb = TieBreakingRule(lambda inst, prof, p: (-votes[p.name], p.cost, id_key(p.name)))
    mes_tb = TieBreakingRule(lambda inst, prof, p: (p.cost, -votes[p.name], id_key(p.name)))

    class ScoreTimesCostSat(AdditiveSatisfaction):
        """Additive satisfaction whose greedy density (sat / cost) is the project's score."""

        def __init__(self, inst, prof, ballot):
            if vote_type in ("cumulative", "scoring"):
                func = lambda i, pr, b, p, pre: b.get(p, 0) * p.cost  # noqa: E731
            else:
                func = lambda i, pr, b, p, pre: borda_sat_func(b, p) * p.cost  # noqa: E731
            AdditiveSatisfaction.__init__(self, inst, prof, ballot, func)

    greedy_sat = Cost_Sat if vote_type in ("approval", "choose-1") else ScoreTimesCostSat

    def names(alloc):
        return [p.name for p in alloc]

    def entry(alloc, seconds, **extra):
        return {"selected": names(alloc), "total_cost": int(sum(p.cost for p in alloc)),
                "seconds": round(seconds, 3), **extra}

    results: dict[str, dict] = {}
    if task == "greedy":
        t0 = time.perf_counter()
        alloc = greedy_utilitarian_welfare(instance, profile, sat_class=greedy_sat, tie_breaking=greedy_tb)
        results["greedy"] = entry(alloc, time.perf_counter() - t0)
    elif task == "greedy-threshold":
        from pabutools.election import Instance

        threshold = int(instance.meta["min_project_score_threshold"])
        kept = Instance([p for p in instance if score[p.name] >= threshold], budget_limit=instance.budget_limit)
        t0 = time.perf_counter()
        alloc = greedy_utilitarian_welfare(kept, profile, sat_class=greedy_sat, tie_breaking=greedy_tb)
        results["greedy-threshold"] = entry(alloc, time.perf_counter() - t0, threshold=threshold)
    elif task == "mes":
        sat = {"Cost_Sat": Cost_Sat, "Additive_Cardinal_Sat": Additive_Cardinal_Sat}[MES_TYPES[vote_type]]
        t0 = time.perf_counter()
        alloc = method_of_equal_shares(instance, profile, sat_class=sat, tie_breaking=mes_tb)
        results["mes"] = entry(alloc, time.perf_counter() - t0)
    elif task == "mes-add1":
        sat = {"Cost_Sat": Cost_Sat, "Additive_Cardinal_Sat": Additive_Cardinal_Sat}[MES_TYPES[vote_type]]
        from pabutools.rules import exhaustion_by_budget_increase

        t0 = time.perf_counter()
        add1 = exhaustion_by_budget_increase(instance, profile, method_of_equal_shares,
                                             rule_params={"sat_class": sat, "tie_breaking": mes_tb},
                                             exhaustive_stop=False, budget_step=profile.num_ballots())
        add1_seconds = time.perf_counter() - t0
        results["mes-add1"] = entry(add1, add1_seconds)
        t0 = time.perf_counter()
        greedy = greedy_utilitarian_welfare(instance, profile, sat_class=greedy_sat, tie_breaking=greedy_tb)
        greedy_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        winners = popularity_comparison(instance, profile, sat, [lambda *a, **k: add1, lambda *a, **k: greedy])
        comparison_seconds = time.perf_counter() - t0
        chosen = add1 if any(w is add1 for w in winners) else greedy
        results["mes-add1-comparison"] = entry(
            chosen, add1_seconds + greedy_seconds + comparison_seconds,
            winner="mes" if chosen is add1 else "greedy",
            seconds_parts={"mes-add1": round(add1_seconds, 3), "greedy": round(greedy_seconds, 3),
                           "comparison": round(comparison_seconds, 3)})
    else:
        raise SystemExit(f"unknown task {task}")
    return {"parse_seconds": round(parse_seconds, 3), "pabutools": pabutools.__version__ if hasattr(
        pabutools, "__version__") else None, "results": results}


def applicable(meta: dict, task: str) -> bool:
    if task == "greedy":
        return True
    if task == "greedy-threshold":
        return "min_project_score_threshold" in meta
    return meta["vote_type"] in MES_TYPES


def read_meta(path: Path) -> dict:
    meta = {}
    with open(path, encoding="utf-8-sig") as fh:
        next(fh)
        next(fh)
        for line in fh:
            if line.strip().upper() == "PROJECTS":
                break
            key, _, value = line.rstrip("\n").partition(";")
            meta[key.strip()] = value.strip()
    return meta


def pabutools_version() -> str:
    from importlib.metadata import version

    return version("pabutools")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pabulib", type=Path, default=DEFAULT_PABULIB)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per (file, rule)")
    parser.add_argument("--only", nargs="*", help="file names to (re)compute; others are kept from the JSON")
    parser.add_argument("--tasks", nargs="*", choices=TASKS, help="tasks to (re)compute (default: all)")
    parser.add_argument("--one", nargs=2, metavar=("FILE", "TASK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(*args.one)))
        return

    data = json.loads(OUT.read_text()) if OUT.exists() else {}
    data["pabutools_version"] = pabutools_version()
    data["python"] = sys.version.split()[0]
    data["note"] = ("Computed by scripts/make_pb_expectations.py with pabutools (test oracle only). "
                    "seconds = pabutools' own time for the rule (parse excluded), on a shared 2-core machine.")
    files = data.setdefault("files", {})
    paths = sorted(args.pabulib.glob("*.pb"), key=lambda p: p.stat().st_size)
    for path in paths:
        if args.only and path.name not in args.only:
            continue
        meta = read_meta(path)
        record = files.setdefault(path.name, {})
        record["vote_type"] = meta["vote_type"]
        record["official_rule"] = meta.get("rule")
        record.setdefault("rules", {})
        for task in TASKS:
            if not applicable(meta, task) or (args.tasks and task not in args.tasks):
                continue
            print(f"{path.name}: {task} ...", flush=True)
            started = time.perf_counter()
            try:
                proc = subprocess.run([sys.executable, __file__, "--one", str(path), task], capture_output=True,
                                      text=True, timeout=args.timeout, check=True)
            except subprocess.TimeoutExpired:
                wall = time.perf_counter() - started
                names = [task] + (["mes-add1-comparison"] if task == "mes-add1" else [])
                for name in names:
                    record["rules"].pop(name, None)
                    record.setdefault("skipped", {})[name] = (
                        f"pabutools did not finish within {args.timeout:.0f} s (stopped after {wall:.0f} s)")
                print(f"  skipped after {wall:.0f} s", flush=True)
                OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
                continue
            for name in [task] + (["mes-add1-comparison"] if task == "mes-add1" else []):
                record.get("skipped", {}).pop(name, None)
            if not record.get("skipped"):
                record.pop("skipped", None)
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            record["pabutools_parse_seconds"] = result["parse_seconds"]
            for name, value in result["results"].items():
                record["rules"][name] = value
                print(f"  {name}: {value['seconds']} s, {len(value['selected'])} projects", flush=True)
            OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
