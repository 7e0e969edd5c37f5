"""The benchmark's data set: a seeded, deterministic Tetouan-scale campaign (PERFORMANCE.md).

    generate(scale=1)   50,000 residents, 300 associations, 5,000 ideas, 500,000 supports with a
                        long tail, 50,000 comments, 300 projects scored by 15 committee members on
                        9 criteria (8 scored + residents' support), a published ranking and an
                        adopted programme (envelopes, version 1, the council's decision, execution).
    generate(scale=10)  ten times the campaign (residents, associations, ideas, supports,
                        comments); the committee still scores 300 projects — a committee does not
                        grow with the number of ideas.
    generate(quick=True) a small campaign (2,000 residents, 500 ideas, 20,000 supports…) so that
                        the whole benchmark runs in under two minutes.

The commune, its plan, axes and neighbourhoods are the demo's (services.demo.create_commune).
The large tables are written in bulk — executemany on SQLite, COPY on PostgreSQL — in one
transaction, never through the services; the committee's part and the programme are small and
go through the models and the services (services.ranking.publish,
services.demo_programme.seed_programme), so every rule they check holds. Counters kept on Idea
(support_count, association_support_count, comment_count and the per-stance counts) are computed
from the rows written, so the app sees a valid campaign.

Every account shares ONE argon2 hash (of BENCH_PASSWORD), computed once: hashing 50,000
passwords would take 40 minutes and measure nothing.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from extensions import db

BENCH_DOMAIN = "bench.tasharuk.ma"
BENCH_PASSWORD = "bench-campaign-2023-2028"  # noqa: S105 - a throwaway benchmark database
SEED = 2023
SUPPORT_LIMIT = 20  # per resident and plan; residents give 10 on average (0–20)
SCORING_MEMBERS = 15
EXTRA_CRITERION = {  # the demo has 8 criteria; the benchmark's committee uses 9
    "code": "sustainability", "kind": "scored", "weight": 8.0,
    "name": ("الاستدامة والصيانة", "Durabilité et entretien", "ⴰⵙⵎⵓⵜⵜⵉ ⴷ ⵓⵃⵟⵟⵓ"),
    "description": ("قدرة الجماعة على صيانة المشروع بعد إنجازه.",
                    "Capacité de la commune à entretenir le projet une fois réalisé.",
                    "ⵜⵓⵣⵎⵔⵜ ⵏ ⵜⴳⵎⵓⴹⴰ ⵖⴼ ⵓⵃⵟⵟⵓ ⵏ ⵓⵙⵏⴼⴰⵔ."),
    "levels": [(f"{n}/5", f"{n}/5", f"{n}/5") for n in range(6)],
}


@dataclass(frozen=True)
class Sizes:
    residents: int
    associations: int
    ideas: int
    supports: int
    comments: int
    projects: int
    members: int = SCORING_MEMBERS

    @classmethod
    def of(cls, scale: int = 1, quick: bool = False) -> "Sizes":
        if quick:
            base = cls(residents=2_000, associations=30, ideas=500, supports=20_000, comments=2_000, projects=60)
        else:
            base = cls(residents=50_000, associations=300, ideas=5_000, supports=500_000, comments=50_000,
                       projects=300)
        return cls(base.residents * scale, base.associations * scale, base.ideas * scale, base.supports * scale,
                   base.comments * scale, base.projects)


@dataclass
class Generated:
    """What the benchmark needs to address: slugs, ids and counts."""

    sizes: Sizes
    commune_slug: str
    commune_id: int
    plan_id: int
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    idea_page_id: int = 0  # a popular public idea, with its comments
    busiest_idea_id: int = 0  # the public idea with the most comments
    comments_on: dict = field(default_factory=dict)  # idea id -> visible comments, for those two
    search: dict = field(default_factory=dict)  # axis, neighbourhood, q for the filtered list
    round_id: int = 0  # the published scoring round


# --- bulk writing ---------------------------------------------------------------------------------

def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's own storage format
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def bulk_insert(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write rows in the session's transaction: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})',
                           ([_sqlite_value(v) for v in row] for row in rows))
    finally:
        cursor.close()


def _next_id(table: str) -> int:
    return (db.session.execute(db.text(f'SELECT max(id) FROM "{table}"')).scalar() or 0) + 1


def _fix_sequences(tables: tuple[str, ...]) -> None:
    """After explicit ids on PostgreSQL, move each serial's sequence past them."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(db.text(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))"))


# --- the campaign ---------------------------------------------------------------------------------

def _long_tail_weights(n: int, rng: random.Random) -> list[float]:
    """Zipf-like popularity (a few ideas gather thousands of supports, most a handful), shuffled."""
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(n)]
    rng.shuffle(weights)
    return weights


def _per_person(total: int, people: int, limit: int, rng: random.Random) -> list[int]:
    """How many supports each person gives: 0..limit, summing to exactly `total`."""
    mean = total / people
    counts = [min(limit, max(0, round(rng.expovariate(1 / mean)))) for _ in range(people)]
    diff = total - sum(counts)
    while diff:
        i = rng.randrange(people)
        if diff > 0 and counts[i] < limit:
            counts[i] += 1
            diff -= 1
        elif diff < 0 and counts[i] > 0:
            counts[i] -= 1
            diff += 1
    return counts


def _weighted_distinct(rng: random.Random, population: list[int], cum: list[float], k: int) -> list[int]:
    chosen: dict[int, None] = {}
    while len(chosen) < k:
        for value in rng.choices(population, cum_weights=cum, k=k - len(chosen) + 2):
            chosen[value] = None
            if len(chosen) == k:
                break
    return list(chosen)


def generate(scale: int = 1, quick: bool = False, seed: int = SEED, log=print, sizes: Sizes | None = None) -> Generated:
    """Build the campaign in the app's (empty) database; commit; return what the benchmark addresses.
    `sizes` overrides scale/quick (the tests use a tiny campaign)."""
    from models import (
        PUBLIC_STATUSES,
        Axis,
        CommitteeMember,
        Criterion,
        CriterionKind,
        CriterionLevel,
        Idea,
        IdeaStatus,
        MemberKind,
        Neighbourhood,
        Project,
        ProjectIdea,
        ProjectIndicator,
        ProjectNeighbourhood,
        ProjectPartner,
        Role,
        RoundProject,
        RoundStatus,
        ScoringRound,
        User,
    )
    from models._base import utcnow
    from services import accounts, demo
    from services.data import demo_committee_data as cdata
    from services.projects import citizen_support
    from services.text import normalize

    started = time.perf_counter()
    sizes = sizes or Sizes.of(scale, quick)
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    commune, plan = demo.create_commune()
    plan.support_limit = SUPPORT_LIMIT
    axes = list(db.session.scalars(select(Axis).where(Axis.commune_id == commune.id).order_by(Axis.position)))
    hoods = list(db.session.scalars(
        select(Neighbourhood).where(Neighbourhood.commune_id == commune.id).order_by(Neighbourhood.position)))
    password_hash = accounts.hash_password(BENCH_PASSWORD)  # one hash for every account (module docstring)

    # Staff: an admin, a moderator, the committee (15 scoring members, the chair first) and its observer.
    staff_rows = [("admin", "مدير المنصة", (Role.ADMIN,)), ("moderator", "Modérateur", (Role.RESIDENT, Role.MODERATOR))]
    staff_rows += [(f"member{j:02d}", f"Membre du comité {j}", (Role.COMMITTEE,)) for j in range(1, sizes.members + 1)]
    staff_rows += [("observer", "فاطمة الزهراء العلمي", (Role.COMMITTEE,))]
    user_id = _next_id("user_account")
    staff: dict[str, int] = {}
    user_rows, membership_rows = [], []
    for local, name, roles in staff_rows:
        staff[local] = user_id
        user_rows.append((user_id, f"{local}@{BENCH_DOMAIN}", name, password_hash, "ar", True, now, now))
        membership_rows += [(user_id, commune.id, str(role), now) for role in roles]
        user_id += 1
    first_resident = user_id
    for i in range(sizes.residents):
        arabic = i % 3 != 2
        name = f"ساكن {i + 1}" if arabic else f"Habitant {i + 1}"
        user_rows.append((user_id, f"r{i + 1}@{BENCH_DOMAIN}", name, password_hash, "ar" if arabic else "fr",
                          True, now, now - timedelta(minutes=i % 50_000)))
        membership_rows.append((user_id, commune.id, str(Role.RESIDENT), now))
        user_id += 1
    residents = list(range(first_resident, user_id))
    bulk_insert("user_account", ("id", "email", "display_name", "password_hash", "locale", "active",
                                 "consented_at", "created_at"), user_rows)
    bulk_insert("membership", ("user_id", "commune_id", "role", "created_at"), membership_rows)
    del user_rows, membership_rows
    log(f"  users: {sizes.residents + len(staff):,} ({time.perf_counter() - started:.1f} s)")

    # Associations, verified, each with one representative among the residents.
    presences, fields = ("seat", "branch"), ("social", "women", "youth", "disability", "environment", "culture",
                                             "heritage", "education", "health", "sport", "neighbourhood")
    association_id = _next_id("association")
    associations = list(range(association_id, association_id + sizes.associations))
    representatives = rng.sample(residents, k=sizes.associations)
    bulk_insert("association", ("id", "commune_id", "name", "receipt_number", "founded_on", "presence", "address",
                                "field", "contact_email", "created_at", "verified_at", "verified_by_id"),
                [(a, commune.id, f"جمعية الحي رقم {n + 1}" if n % 2 == 0 else f"Association de quartier n° {n + 1}",
                  f"TET-{2000 + n % 24}-{n + 1:05d}", date(2000 + n % 24, 1 + n % 12, 1 + n % 28),
                  presences[n % 2], f"{hoods[n % len(hoods)].name_fr}, Tétouan", fields[n % len(fields)],
                  f"asso{n + 1}@{BENCH_DOMAIN}", now, now, staff["admin"]) for n, a in enumerate(associations)])
    bulk_insert("association_representative", ("association_id", "user_id", "created_at"),
                [(a, u, now) for a, u in zip(associations, representatives)])
    bulk_insert("membership", ("user_id", "commune_id", "role", "created_at"),
                [(u, commune.id, str(Role.ASSOCIATION), now) for u in representatives])

    # Ideas: mostly public (accepted or awaiting review), a few drafts, rejected or hidden.
    idea_id = _next_id("idea")
    ideas: list[dict] = []
    for i in range(sizes.ideas):
        t = rng.randrange(len(demo.IDEA_TEMPLATES))
        hood = rng.choice(hoods)
        arabic = rng.random() < 0.6
        ar_title, ar_desc, fr_title, fr_desc = demo.IDEA_TEMPLATES[t]
        title = (ar_title.format(n=hood.name_ar) if arabic else fr_title.format(n=hood.name_fr))[:150]
        description = ar_desc if arabic else fr_desc
        roll = rng.random()
        status = (IdeaStatus.DRAFT if roll < 0.02 else IdeaStatus.REJECTED if roll < 0.05
                  else IdeaStatus.SUBMITTED if roll < 0.40 else IdeaStatus.ACCEPTED)
        hidden = status == IdeaStatus.ACCEPTED and rng.random() < 0.01
        submitted = None if status == IdeaStatus.DRAFT else now - timedelta(days=rng.randint(1, 80),
                                                                          minutes=rng.randint(0, 1440))
        ideas.append({
            "id": idea_id + i, "author": rng.choice(residents), "title": title, "description": description,
            "axis": axes[t % len(axes)].id, "hood": hood.id,
            "cost": rng.choice([None, 50_000, 120_000, 300_000, 750_000, 2_000_000, 5_500_000]),
            "status": str(status), "hidden": hidden, "submitted": submitted, "created": submitted or now,
            "supports": 0, "association_supports": 0, "comments": {"for": 0, "neutral": 0, "against": 0},
            "public": status in PUBLIC_STATUSES and not hidden,
        })
    public = [idea["id"] for idea in ideas if idea["public"]]
    by_id = {idea["id"]: idea for idea in ideas}

    # Supports: each resident gives 0–20 (10 on average) to distinct public ideas with a long tail.
    weights = _long_tail_weights(len(public), rng)
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    counts = _per_person(sizes.supports, len(residents), SUPPORT_LIMIT, rng)
    support_rows = []
    for resident, k in zip(residents, counts):
        for chosen in _weighted_distinct(rng, public, cum, min(k, len(public))):
            idea = by_id[chosen]
            idea["supports"] += 1
            support_rows.append((chosen, resident, plan.id, idea["submitted"] + timedelta(hours=rng.randint(1, 400))))
    association_rows = []
    for association, representative in zip(associations, representatives):
        for chosen in _weighted_distinct(rng, public, cum, min(5, len(public))):
            by_id[chosen]["association_supports"] += 1
            association_rows.append((chosen, association, representative, now))

    # Comments: 60 % Arabic, threaded to three levels, a long tail over ideas; hidden ones not counted.
    comment_rows = []
    comment_id = _next_id("comment")
    recent: dict[int, list[tuple[int, int]]] = {}
    for n in range(sizes.comments):
        idea = by_id[public[_bisect(cum, rng.random() * acc)]]
        stance, body = rng.choice(demo.COMMENTS_AR if rng.random() < 0.6 else demo.COMMENTS_FR)
        parent_id, depth = None, 0
        thread = recent.get(idea["id"])
        if thread and rng.random() < 0.35:
            parent_id, parent_depth = rng.choice(thread[-6:])
            depth = parent_depth + 1
            if depth > 2:
                parent_id, depth = None, 0
        hidden = rng.random() < 0.005
        cid = comment_id + n
        comment_rows.append((cid, idea["id"], parent_id, depth, rng.choice(residents), stance, body, hidden, 0,
                             idea["submitted"] + timedelta(hours=rng.randint(1, 600), seconds=n % 3600)))
        recent.setdefault(idea["id"], []).append((cid, depth))
        if not hidden:
            idea["comments"][stance] += 1
    del recent

    bulk_insert("idea", ("id", "commune_id", "plan_id", "author_id", "title", "description", "axis_id",
                         "neighbourhood_id", "estimated_cost", "status", "search_text", "hidden", "reviewed_at",
                         "reviewed_by_id", "support_count", "association_support_count", "comment_count",
                         "comments_for", "comments_neutral", "comments_against", "report_count", "created_at",
                         "submitted_at", "updated_at"),
                [(i["id"], commune.id, plan.id, i["author"], i["title"], i["description"], i["axis"], i["hood"],
                  i["cost"], i["status"], normalize(f"{i['title']} {i['description']}"), i["hidden"],
                  i["submitted"] + timedelta(days=1) if i["status"] == IdeaStatus.ACCEPTED else None,
                  staff["moderator"] if i["status"] == IdeaStatus.ACCEPTED else None, i["supports"],
                  i["association_supports"], sum(i["comments"].values()), i["comments"]["for"],
                  i["comments"]["neutral"], i["comments"]["against"], 0, i["created"], i["submitted"], i["created"])
                 for i in ideas])
    bulk_insert("support", ("idea_id", "user_id", "plan_id", "created_at"), support_rows)
    bulk_insert("association_support", ("idea_id", "association_id", "by_user_id", "created_at"), association_rows)
    bulk_insert("comment", ("id", "idea_id", "parent_id", "depth", "author_id", "stance", "body", "hidden",
                            "report_count", "created_at"), comment_rows)
    _fix_sequences(("user_account", "association", "idea", "comment"))
    log(f"  campaign: {len(ideas):,} ideas, {len(support_rows):,} supports, {len(comment_rows):,} comments "
        f"({time.perf_counter() - started:.1f} s)")
    del support_rows, comment_rows, association_rows

    # The committee: seats, 9 criteria, projects made from public ideas, a round scored, closed, published.
    chair_id = staff["member01"]
    members = [CommitteeMember(plan_id=plan.id, user_id=staff[f"member{j:02d}"],
                               kind=MemberKind.UNDP if j == 2 else MemberKind.COMMUNE, is_chair=j == 1,
                               organisation="PNUD Maroc" if j == 2 else "Commune de Tétouan")
               for j in range(1, sizes.members + 1)]
    members.append(CommitteeMember(plan_id=plan.id, user_id=staff["observer"], kind=MemberKind.OBSERVER,
                                   organisation="IEECAG"))
    db.session.add_all(members)
    criteria_rows = [*cdata.CRITERIA, EXTRA_CRITERION]
    criteria = []
    for position, row in enumerate(criteria_rows):
        (name_ar, name_fr, name_zgh), (desc_ar, desc_fr, desc_zgh) = row["name"], row["description"]
        criteria.append(Criterion(plan_id=plan.id, code=row["code"], kind=row["kind"], weight=row["weight"],
                                  position=position, name_ar=name_ar, name_fr=name_fr, name_zgh=name_zgh,
                                  description_ar=desc_ar, description_fr=desc_fr, description_zgh=desc_zgh))
    db.session.add_all(criteria)
    db.session.flush()
    db.session.add_all(CriterionLevel(criterion_id=c.id, level=level, text_ar=ar, text_fr=fr, text_zgh=zgh)
                       for c, row in zip(criteria, criteria_rows)
                       for level, (ar, fr, zgh) in enumerate(row["levels"]))

    pool: dict[tuple[int, int], list[int]] = {}
    for idea_key in public:
        idea = by_id[idea_key]
        pool.setdefault((idea["axis"], idea["hood"]), []).append(idea_key)
    keys = sorted(pool, key=lambda key: (-len(pool[key]), key))
    axis_position = {a.id: a.position for a in axes}
    hood_of = {h.id: h for h in hoods}
    projects, links, quality = [], [], {}
    for n in range(sizes.projects):
        key = keys[n % len(keys)]
        template = next((row for row in cdata.PROJECTS if row["axis"] == axis_position[key[0]]),
                        cdata.PROJECTS[n % len(cdata.PROJECTS)])
        hood = hood_of[key[1]]
        take = pool[key][:rng.randint(1, 4)]
        pool[key] = pool[key][len(take):]
        if not pool[key]:
            keys = [k for k in keys if pool[k]] or keys
        title_ar, title_fr, title_zgh = template["title"]
        total, women, men, disabled = template["beneficiaries"]
        cost = int(template["cost"] * rng.uniform(0.3, 1.6)) // 1000 * 1000
        partners = sum(amount for _name, amount in template["partners"])
        project = Project(
            commune_id=commune.id, plan_id=plan.id, code=f"BEN-{n + 1:03d}",
            title_ar=title_ar.format(n=hood.name_ar)[:300], title_fr=title_fr.format(n=hood.name_fr)[:300],
            title_zgh=title_zgh.format(n=hood.name_zgh)[:300], axis_id=key[0], sector=template["sector"],
            competence=template["competence"], objectives=template["objectives"], beneficiaries_total=total,
            beneficiaries_women=women, beneficiaries_men=men, beneficiaries_disabled=disabled, total_cost=cost,
            commune_share=max(0, cost - min(partners, cost // 2)), duration_years=template["duration"],
            earliest_start_year=template["start"], executing_department=template["department"],
            sdgs=template["sdgs"], marker_gender=template["markers"][0], marker_environment=template["markers"][1],
            marker_accessibility=template["markers"][2], created_by_id=chair_id)
        projects.append(project)
        links.append((project, hood, take, template))
        quality[n] = template["quality"] + rng.gauss(0, 0.5)
    db.session.add_all(projects)
    db.session.flush()
    db.session.add_all(ProjectNeighbourhood(project_id=p.id, neighbourhood_id=h.id) for p, h, _i, _t in links)
    db.session.add_all(ProjectIdea(project_id=p.id, idea_id=i) for p, _h, take, _t in links for i in take)
    db.session.add_all(ProjectIndicator(project_id=p.id, position=pos, label=label, unit=unit, baseline=baseline,
                                        target=target)
                       for p, _h, _i, t in links for pos, (label, unit, baseline, target) in enumerate(t["indicators"]))
    db.session.add_all(ProjectPartner(project_id=p.id, position=pos, name=name, amount=min(amount, p.total_cost // 4))
                       for p, _h, _i, t in links for pos, (name, amount) in enumerate(t["partners"]))

    round_ = ScoringRound(plan_id=plan.id, name="Classement des projets 2023–2028", top_k=min(30, len(projects)),
                          status=RoundStatus.OPEN, created_at=now - timedelta(days=60),
                          opened_at=now - timedelta(days=57))
    db.session.add(round_)
    db.session.flush()
    supporters = citizen_support([p.id for p in projects])
    db.session.add_all(RoundProject(round_id=round_.id, project_id=p.id, supports_at_close=supporters.get(p.id, 0))
                       for p in projects)
    scored = [c for c in criteria if c.kind == CriterionKind.SCORED]
    score_rows = []
    for j in range(1, sizes.members + 1):
        leniency = rng.gauss(0, 0.4)
        for n, project in enumerate(projects):
            for criterion in scored:
                value = min(5, max(0, round(quality[n] + leniency + rng.gauss(0, 0.7))))
                score_rows.append((round_.id, staff[f"member{j:02d}"], project.id, criterion.id, value,
                                   now - timedelta(days=45), now - timedelta(days=45)))
    bulk_insert("score", ("round_id", "user_id", "project_id", "criterion_id", "value", "created_at", "updated_at"),
                score_rows)
    round_.status = RoundStatus.CLOSED
    round_.closed_at = now - timedelta(days=40)
    db.session.flush()
    chair = db.session.get(User, chair_id)
    from services.ranking import publish

    publish(round_, chair)
    log(f"  committee: {len(projects)} projects, {len(score_rows):,} scores, published "
        f"({time.perf_counter() - started:.1f} s)")

    # Envelopes, version 1 of the programme, the council's decision, execution: the demo's own steps.
    from services.demo_programme import seed_programme

    programme = seed_programme(commune, plan, rng=rng, chair=chair, admin=db.session.get(User, staff["admin"]),
                               observer=db.session.get(User, staff["observer"]))
    db.session.commit()
    log(f"  programme: {programme} ({time.perf_counter() - started:.1f} s)")

    # The idea page scenario: a popular idea with its comments — the 90th percentile of comment counts
    # (the busiest idea's thread, thousands of comments, is reported apart by bench/run.py).
    by_comments = sorted(public, key=lambda i: (sum(by_id[i]["comments"].values()), i))
    busiest = by_comments[-1]
    popular = by_comments[int(len(by_comments) * 0.9)]
    sample = by_id[public[len(public) // 3]]
    word = normalize(sample["title"]).split()[0] if sample["title"] else ""
    result = Generated(
        sizes=sizes, commune_slug=commune.slug, commune_id=commune.id, plan_id=plan.id,
        seconds=time.perf_counter() - started, idea_page_id=popular, busiest_idea_id=busiest,
        comments_on={i: sum(by_id[i]["comments"].values()) for i in (popular, busiest)},
        search={"axis": sample["axis"], "neighbourhood": sample["hood"], "q": word}, round_id=round_.id,
    )
    result.counts = counts_in_database(commune.id)
    return result


def _bisect(cum: list[float], x: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def counts_in_database(commune_id: int) -> dict[str, int]:
    """Rows per table of the campaign (what the data set really holds)."""
    from models import Association, Comment, CommitteeMember, Criterion, Idea, Membership, Project, Score, Support

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {
        "residents": count(Membership, Membership.commune_id == commune_id, Membership.role == "resident"),
        "associations": count(Association, Association.commune_id == commune_id),
        "ideas": count(Idea, Idea.commune_id == commune_id),
        "supports": count(Support),
        "comments": count(Comment),
        "projects": count(Project, Project.commune_id == commune_id),
        "committee_members": count(CommitteeMember, CommitteeMember.kind != "observer"),
        "criteria": count(Criterion),
        "scores": count(Score),
    }


def counters_consistent() -> list[str]:
    """Ideas whose maintained counters disagree with their rows (empty when the data set is valid)."""
    from models import AssociationSupport, Comment, Idea, Support

    supports = dict(db.session.execute(select(Support.idea_id, func.count()).group_by(Support.idea_id)).all())
    associations = dict(db.session.execute(
        select(AssociationSupport.idea_id, func.count()).group_by(AssociationSupport.idea_id)).all())
    comments = dict(db.session.execute(
        select(Comment.idea_id, func.count()).where(Comment.hidden.is_(False)).group_by(Comment.idea_id)).all())
    problems = []
    for idea_id, s, a, c in db.session.execute(
            select(Idea.id, Idea.support_count, Idea.association_support_count, Idea.comment_count)):
        if (s, a, c) != (supports.get(idea_id, 0), associations.get(idea_id, 0), comments.get(idea_id, 0)):
            problems.append(f"idea {idea_id}: counters {(s, a, c)} rows "
                            f"{(supports.get(idea_id, 0), associations.get(idea_id, 0), comments.get(idea_id, 0))}")
    return problems


__all__ = ["BENCH_DOMAIN", "BENCH_PASSWORD", "Generated", "Sizes", "bulk_insert", "counters_consistent",
           "counts_in_database", "generate"]
