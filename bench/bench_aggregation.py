"""Benchmark of the committee aggregation (prioritization/aggregation.py). Not a test.

A seeded generator makes a Tetouan-scale round: 300 projects, 15 members, 9 criteria (8 scored,
1 support), members with their own leniency, a few recusals (a third of the members, 1–3 projects each) and a long tail of supports. It
times aggregate() + the 1,000-draw sensitivity analysis and prints the median of 5 runs
(time.perf_counter, and the CPU time, which a busy shared machine inflates less) with the
Python version and the load average. Target (shared/guides/PERFORMANCE.md): ≤ 1 s.

    python bench/bench_aggregation.py [--runs 5] [--seed 2023] [--normalize none|zscore]
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from prioritization.aggregation import Criterion, Project, Score, aggregate, sensitivity  # noqa: E402

N_PROJECTS, N_MEMBERS, N_CRITERIA = 300, 15, 9


def generate(seed: int = 2023):
    """(criteria, projects, scores) of a synthetic round; the same seed gives the same round."""
    rng = random.Random(seed)
    criteria = [Criterion(f"c{i}", rng.choice([1, 1, 2, 2, 3]), "scored") for i in range(1, N_CRITERIA)]
    criteria.append(Criterion("support", 2, "support"))
    projects = [Project(f"P{i:03d}", int(rng.paretovariate(1.2) * 20), rng.randrange(100_000, 20_000_000))
                for i in range(1, N_PROJECTS + 1)]
    quality = {p.code: rng.uniform(1, 4) for p in projects}
    leniency = {f"m{j:02d}": rng.uniform(-0.8, 0.8) for j in range(1, N_MEMBERS + 1)}
    recusals = {(member, code) for member in list(leniency)[::3]
                for code in rng.sample([p.code for p in projects], rng.randint(1, 3))}
    scores = []
    for member, bias in leniency.items():
        for project in projects:
            if (member, project.code) in recusals:
                scores.append(Score.recusal(member, project.code))
                continue
            for criterion in criteria[:-1]:
                value = round(quality[project.code] + bias + rng.gauss(0, 0.9))
                scores.append(Score(member, project.code, criterion.id, float(min(5, max(0, value)))))
    return criteria, projects, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--normalize", choices=["none", "zscore"], default="none")
    parser.add_argument("--top-k", type=int, default=30)
    args = parser.parse_args()

    criteria, projects, scores = generate(args.seed)
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), {os.cpu_count()} cores")
    print(f"{len(projects)} projects x {N_MEMBERS} members x {len(criteria)} criteria = {len(scores)} score rows; "
          f"normalize={args.normalize}, top-k={args.top_k}, 1,000 draws")
    totals, cpu_totals, aggregation_times, sensitivity_times = [], [], [], []
    result = None
    for _ in range(args.runs):
        cpu_start = time.process_time()
        start = time.perf_counter()
        ranking = aggregate(criteria, projects, scores, normalize=args.normalize)
        middle = time.perf_counter()
        stable = sensitivity(ranking, top_k=args.top_k, draws=1000, seed=1)
        end = time.perf_counter()
        cpu_totals.append(time.process_time() - cpu_start)
        aggregation_times.append(middle - start)
        sensitivity_times.append(end - middle)
        totals.append(end - start)
        if result is not None:
            assert stable == result, "the sensitivity analysis is not deterministic"
        result = stable
    median = statistics.median(totals)
    print(f"aggregate:   median {statistics.median(aggregation_times) * 1000:.0f} ms")
    print(f"sensitivity: median {statistics.median(sensitivity_times) * 1000:.0f} ms")
    print(f"total:       median {median * 1000:.0f} ms of {args.runs} runs "
          f"(min {min(totals) * 1000:.0f}, max {max(totals) * 1000:.0f}) — target ≤ 1000 ms: "
          f"{'met' if median <= 1.0 else 'MISSED'}")
    # On a shared machine the wall clock includes waiting for a core; CPU time does not.
    print(f"CPU time:    median {statistics.median(cpu_totals) * 1000:.0f} ms (time.process_time; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    w = "undefined" if ranking.kendall_w is None else f"{ranking.kendall_w:.3f}"
    print(f"Kendall's W = {w} over {ranking.kendall_members} members; "
          f"{len(ranking.contested)} contested projects")


if __name__ == "__main__":
    main()
