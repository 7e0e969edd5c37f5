"""Output of `flask prioritize rank`: the ranking as JSON rows or as a plain-text table."""
from __future__ import annotations

import json

from prioritization.aggregation import Ranking, Sensitivity


def json_rows(ranking: Ranking, stability: Sensitivity | None = None) -> list[dict]:
    """[{project, rank, composite, values, members, disagreement}] in rank order;
    with a sensitivity analysis each row also has top_k_fraction."""
    rows = ranking.as_json()
    if stability is not None:
        for row, item in zip(rows, stability.projects):
            row["top_k_fraction"] = item.fraction
    return rows


def as_json(ranking: Ranking, stability: Sensitivity | None = None) -> str:
    return json.dumps(json_rows(ranking, stability), ensure_ascii=False, indent=2)


def as_text(ranking: Ranking, stability: Sensitivity | None = None) -> str:
    width = max([len("project")] + [len(p.project) for p in ranking.projects])
    head = f"{'rank':>4}  {'project':<{width}}  {'composite':>9}  {'members':>7}  {'disagreement':>12}"
    if stability is not None:
        head += f"  {'in top ' + str(stability.top_k):>10}"
    lines = [head]
    fractions = {s.project: s.fraction for s in stability.projects} if stability is not None else {}
    for p in ranking.projects:
        line = (f"{p.rank:>4}  {p.project:<{width}}  {p.composite:>9.3f}  {p.members:>7}  "
                f"{p.disagreement:>12.3f}")
        if stability is not None:
            line += f"  {fractions[p.project]:>10.1%}"
        if p.contested:
            line += "  contested"
        lines.append(line)
    w = "undefined" if ranking.kendall_w is None else f"{ranking.kendall_w:.3f}"
    lines.append(f"Kendall's W: {w} ({ranking.kendall_members} members scored every project); "
                 f"normalisation: {ranking.normalization}; contested: disagreement >= {ranking.contested_threshold:g}")
    return "\n".join(lines)
