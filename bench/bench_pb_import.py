"""Benchmark: `flask pb import` (parse + import_instance into a fresh SQLite file), reading a round
back (to_instance), every rule, and the side-by-side comparison page's computation, on the largest
shared Pabulib files. Not a test.

    python bench/bench_pb_import.py [--repeat 3] [--files NAME ...]

Each time is the median of --repeat runs; every import goes into a new SQLite file (WAL, the app's
own connection setup), with a commune created first, as `flask pb import FILE --commune SLUG`
does (without the progress bar). pabutools' times come from
tests/prioritization/data/pabutools_expected.json (one run each, when it was made); pabutools is
not run here. The machine is shared and noisy: the load average is printed before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prioritization import pabulib, rules  # noqa: E402

PABULIB = ROOT.parent / "shared" / "pabulib"
EXPECTED = ROOT / "tests" / "prioritization" / "data" / "pabutools_expected.json"
DEFAULT_FILES = ("Poland_Lodz_2022.pb", "Poland_Warszawa_2023_Mokotow.pb")


def median_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def fresh_app(directory: str, name: str):
    from app import create_app
    from config import TestingConfig
    from extensions import db

    app = create_app(TestingConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory}/{name}.sqlite"})
    with app.app_context():
        db.create_all()
    return app


def import_once(path: Path, directory: str, k: int) -> tuple[float, float, int]:
    """(seconds for parse + import + commit, seconds for to_instance, round id) in a new database."""
    from extensions import db
    from services import demo, support_rounds

    app = fresh_app(directory, f"{path.stem}_import{k}")
    with app.app_context():
        commune, _plan = demo.create_commune()
        db.session.commit()
        began = time.perf_counter()
        instance = pabulib.parse(path)
        round_ = support_rounds.import_instance(commune, instance, source=f"import: {path.name}")
        db.session.commit()
        imported = time.perf_counter() - began
        round_id = round_.id
        db.session.expunge_all()
        began = time.perf_counter()
        back = support_rounds.to_instance(support_rounds.get(round_id))
        read = time.perf_counter() - began
        assert len(back.ballots) == len(instance.ballots)
        db.session.remove()
        db.engine.dispose()
    return imported, read, round_id


def compare_once(path: Path, directory: str, k: int) -> float:
    """The comparison behind the public page (to_instance + every rule + explanations), uncached."""
    from extensions import db
    from services import demo, pb_rounds, support_rounds

    app = fresh_app(directory, f"{path.stem}_compare{k}")
    with app.app_context():
        commune, _plan = demo.create_commune()
        round_ = support_rounds.import_instance(commune, pabulib.parse(path), source=f"import: {path.name}")
        db.session.commit()
        began = time.perf_counter()
        pb_rounds._compare(round_)
        elapsed = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--files", nargs="*", default=list(DEFAULT_FILES))
    parser.add_argument("--no-compare", action="store_true", help="skip the comparison-page timing")
    args = parser.parse_args()
    oracle = json.loads(EXPECTED.read_text(encoding="utf-8"))["files"] if EXPECTED.exists() else {}
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {os.cpu_count()} CPUs, "
          f"{platform.platform()}")
    print(f"load average before: {load()}")
    with tempfile.TemporaryDirectory(prefix="bench-pb-import-") as directory:
        for name in args.files:
            path = PABULIB / name
            parse_s, instance = median_time(lambda: pabulib.parse(path), args.repeat)
            print(f"\n{name}: {len(instance.ballots):,} voters x {len(instance.projects)} projects "
                  f"({instance.vote_type}), {path.stat().st_size / 1e6:.1f} MB")
            print(f"  parse                          {parse_s:8.2f} s")
            runs = [import_once(path, directory, k) for k in range(args.repeat)]
            print(f"  parse + import (fresh SQLite)  {statistics.median(r[0] for r in runs):8.2f} s")
            print(f"  read back (to_instance)        {statistics.median(r[1] for r in runs):8.2f} s")
            record = oracle.get(name, {})
            for rule in rules.RULES:
                if rule == "greedy-threshold" and "min_project_score_threshold" not in instance.meta:
                    continue
                if rule in rules.MES_RULES and instance.vote_type == "ordinal":
                    continue
                seconds, result = median_time(lambda: rules.outcome(instance, rule), args.repeat)
                theirs = record.get("rules", {}).get(rule, {}).get("seconds")
                skipped = record.get("skipped", {}).get(rule)
                reference = (f"{theirs:8.1f} s" if theirs is not None
                             else "   > 15 min" if skipped else "        n/a")
                print(f"  {rule:<30} {seconds:8.2f} s   pabutools {reference}   ({len(result.selected)} selected)")
            if not args.no_compare:
                times = [compare_once(path, directory, k) for k in range(args.repeat)]
                print(f"  comparison page (all rules + explanations, uncached) {statistics.median(times):8.2f} s")
    print(f"\nload average after: {load()}")


if __name__ == "__main__":
    main()
