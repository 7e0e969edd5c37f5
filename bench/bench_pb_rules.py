"""Benchmark: parse time and rule time on every shared Pabulib file, next to pabutools' times.

    python bench/bench_pb_rules.py [--repeat 3] [--files NAME ...] [--rules RULE ...]

Each time is the median of --repeat runs (parse: of the file; rule: of `outcome()`, which
includes building the profile). pabutools' times come from
tests/prioritization/data/pabutools_expected.json (scripts/make_pb_expectations.py, one run
each, same machine; "skip" = pabutools did not finish within its 15-minute limit). On a shared,
noisy machine compare the ratio between columns of one run, not absolute numbers.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prioritization import pabulib, rules  # noqa: E402

PABULIB = ROOT.parent / "shared" / "pabulib"
EXPECTED = ROOT / "tests" / "prioritization" / "data" / "pabutools_expected.json"
LENIENT = {"Worldwide_Mechanical_Turk_Utilities_7.pb"}


def applicable(inst: pabulib.Instance) -> list[str]:
    out = ["greedy", "greedy-no-skip"]
    if "min_project_score_threshold" in inst.meta:
        out.append("greedy-threshold")
    if inst.vote_type != "ordinal":
        out += ["mes", "mes-add1", "mes-add1-comparison"]
    return out


def median_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", nargs="*")
    parser.add_argument("--rules", nargs="*")
    args = parser.parse_args()
    oracle = json.loads(EXPECTED.read_text(encoding="utf-8"))["files"] if EXPECTED.exists() else {}
    paths = sorted(PABULIB.glob("*.pb"), key=lambda p: p.stat().st_size)
    print(f"{'file':<64} {'voters':>7} {'proj':>4} {'parse s':>8}  {'rule':<20} {'ours s':>8} {'pabutools s':>11}"
          f"  {'same':>4}  runs")
    for path in paths:
        if args.files and path.name not in args.files:
            continue
        parse_s, inst = median_time(lambda: pabulib.parse(path, strict_limits=path.name not in LENIENT), args.repeat)
        record = oracle.get(path.name, {})
        first = True
        for rule in applicable(inst):
            if args.rules and rule not in args.rules:
                continue
            rule_s, out = median_time(lambda: rules.outcome(inst, rule), args.repeat)
            theirs = record.get("rules", {}).get(rule)
            if theirs:
                pabu = f"{theirs['seconds']:.2f}"
                same = "yes" if theirs["selected"] == out.selected else "NO"
            else:
                pabu = "skip" if rule in record.get("skipped", {}) else "-"
                same = ""
            runs = out.details.get("runs", "")
            if rule == "mes-add1-comparison":
                runs = out.details["mes"].details.get("runs", "")
            print(f"{(path.name if first else ''):<64} {(len(inst.ballots) if first else ''):>7} "
                  f"{(len(inst.projects) if first else ''):>4} {(f'{parse_s:.3f}' if first else ''):>8}  "
                  f"{rule:<20} {rule_s:>8.3f} {pabu:>11}  {same:>4}  {runs}", flush=True)
            first = False


if __name__ == "__main__":
    main()
