"""Support rounds (participatory-budget ballots) in and out of the Pabulib format.

`import_instance` stores a parsed, validated `.pb` instance as a round of a commune: projects
and anonymous ballots (the file's voter ids and per-voter columns such as age or sex are NOT
kept). `to_instance` rebuilds a Pabulib instance from a round, for `flask pb export` and for
the rules in prioritization.rules. Flush, never commit: the caller commits once, so a failed
import leaves nothing behind.
"""
from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import insert, select

from extensions import db
from models import Commune, SupportBallot, SupportRound, SupportRoundProject
from prioritization import pabulib

CHUNK = 5000
# Columns a platform export may carry for projects; anything else stays in fields_json.
_NAME = "name"


def import_instance(commune: Commune, instance: pabulib.Instance, *, source: str, plan_id: int | None = None,
                    progress: Callable[[int], None] | None = None) -> SupportRound:
    """Store the instance as a support round. `progress(n)` is called after each chunk of n ballots."""
    meta = dict(instance.meta)
    name = meta.get("description") or meta.get("unit") or source
    round_ = SupportRound(
        commune_id=commune.id, plan_id=plan_id, name=name[:300], vote_type=instance.vote_type,
        budget=meta["budget"], rule=meta.get("rule"), meta_json=json.dumps(meta, ensure_ascii=False),
        project_columns_json=json.dumps(list(instance.project_columns)),
        num_ballots=len(instance.ballots), source=source[:300],
    )
    db.session.add(round_)
    db.session.flush()
    db.session.execute(insert(SupportRoundProject), [
        {"round_id": round_.id, "position": i, "external_id": p.id, "cost": p.cost,
         "name": (p.fields.get(_NAME) or None) and p.fields[_NAME][:500],
         "fields_json": json.dumps({k: v for k, v in p.fields.items() if k != _NAME}, ensure_ascii=False)}
        for i, p in enumerate(instance.projects.values())
    ])
    with_points = instance.vote_type in pabulib.POINT_TYPES
    ballots = instance.ballots
    for start in range(0, len(ballots), CHUNK):
        chunk = ballots[start:start + CHUNK]
        db.session.execute(insert(SupportBallot), [
            {"round_id": round_.id, "position": start + i + 1, "projects": ",".join(b.projects),
             "points": ",".join(map(str, b.points)) if with_points and b.points is not None else None}
            for i, b in enumerate(chunk)
        ])
        if progress is not None:
            progress(len(chunk))
    db.session.flush()
    return round_


def to_instance(round_: SupportRound) -> pabulib.Instance:
    """The round as a Pabulib instance: anonymous ballots (voter ids 1..n), no per-voter columns."""
    meta = json.loads(round_.meta_json)
    columns = tuple(json.loads(round_.project_columns_json))
    projects = {}
    for p in round_.projects:
        fields = json.loads(p.fields_json or "{}")
        if p.name is not None:
            fields[_NAME] = p.name
        projects[p.external_id] = pabulib.Project(id=p.external_id, cost=p.cost, fields=fields)
    with_points = round_.vote_type in pabulib.POINT_TYPES
    ballots = []
    rows = db.session.execute(
        select(SupportBallot.position, SupportBallot.projects, SupportBallot.points)
        .where(SupportBallot.round_id == round_.id).order_by(SupportBallot.position)
    )
    with pabulib.no_gc():
        for position, items, points in rows:
            ballots.append(pabulib.Ballot(
                voter_id=str(position), projects=tuple(items.split(",")) if items else (),
                points=tuple(int(x) for x in points.split(",")) if with_points and points else None))
    vote_columns = ("voter_id", "vote", "points") if with_points else ("voter_id", "vote")
    meta["num_projects"] = str(len(projects))
    meta["num_votes"] = str(len(ballots))
    return pabulib.Instance(meta=meta, projects=projects, ballots=ballots, project_columns=columns,
                            vote_columns=vote_columns)


def get(round_id: int) -> SupportRound | None:
    return db.session.get(SupportRound, round_id)
