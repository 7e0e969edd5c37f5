"""The programme part of the Tetouan demo: budget envelopes 2023–2028, version 1 of the programme
built from the published round 1 (one project pinned, one dropped, both justified), the equality
body's opinion, the council's adoption and the governor's visa, the execution follow-up of every
plan year up to the current one (reports and milestones), and the platform's support round.

Called at the end of services.demo_committee.seed_committee with the demo's random generator, so
the demo stays reproducible for a given seed. Everything goes through the services
(services.programme, services.execution, services.pb_rounds): the data obeys their rules and every
step is in the audit log. Stored text (justifications, opinion, causes of delay, milestones) is
what the commune's staff would type: French, some Arabic; it is data, not interface text.

Dates. The demo's plan phases are dated around today (services.demo.demo_phases): the adoption
phase is still ahead, yet the plan runs 2023–2028 and its execution is followed from 2023. So
when the adoption phase is not over, the council's session is put where a real commune holds it:
the ordinary October session (organic law 113-14, art. 33: first week of October) of the year
before the plan starts — Thursday 6 October 2022 for Tetouan, matching "Délibération
n° 118/2022" — the equality body's opinion a week before, the visa 12 days after. When the
adoption phase is over (a demo seeded long ago), a date inside it is used instead.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from extensions import db
from models import (
    Axis,
    Commune,
    EntryState,
    ExecutionStatus,
    Phase,
    Plan,
    ProgrammeEntry,
    ProgrammeVersion,
    RoundStatus,
    ScoringRound,
    SupportRound,
    User,
)
from services import execution, pb_rounds, phases, programme
from services.errors import Conflict

# --- envelopes -----------------------------------------------------------------------------------

# MAD per year. The first three years are costed in detail (studies done, partners' conventions
# signed): larger. Later years are prudent estimates, raised at the mid-term revision if needed.
ENVELOPES = {2023: 86_000_000, 2024: 90_000_000, 2025: 88_000_000,
             2026: 72_000_000, 2027: 66_000_000, 2028: 62_000_000}
PARTICIPATORY_SHARE = 0.10  # of each year's envelope, for the projects residents choose
# Axis caps (axis position in services.demo.AXES -> {year: MAD}): the markets axis is held back
# while the wholesale market is rebuilt; heritage is capped to what the restorers can absorb.
AXIS_CAPS = {
    4: {2025: 9_000_000, 2026: 9_000_000, 2027: 9_000_000, 2028: 9_000_000},
    8: {2024: 5_000_000, 2025: 5_000_000, 2026: 5_000_000, 2027: 5_000_000},
}

# --- the committee's decisions on version 1 --------------------------------------------------------

# (start of the French title, justification) — the first project of round 1 found is used.
PIN = [
    ("Espace des coopératives féminines",
     "Le cofinancement de l'INDH (1,5 million de dirhams) n'est acquis que pour une convention signée en "
     "2025 : le projet est fixé à 2025 pour ne pas perdre cette contribution."),
    ("Rampes d'accès aux annexes",
     "La mise en accessibilité des annexes est une obligation de la loi 10-03 : le comité la fixe à la "
     "première année du programme, quel que soit son rang."),
]
PIN_OTHER = ("Le comité fixe ce projet à sa première année possible : son partenaire a confirmé sa "
             "contribution pour cette année-là seulement.")
DROP = [
    ("Tri sélectif des déchets",
     "Le tri sélectif est désormais prévu par le nouveau contrat de gestion déléguée de la propreté, "
     "signé par le groupement de communes : le financer ici ferait double emploi."),
    ("Panneaux d'information sur le budget",
     "Les panneaux seront financés sur le budget de fonctionnement (communication) : le projet n'a pas "
     "besoin d'une ligne d'investissement du programme."),
]
DROP_OTHER = ("Le comité retire ce projet de la version 1 : sa faisabilité foncière n'est pas établie. "
              "Il sera réexaminé à la révision à mi-parcours.")

# --- the council's decision --------------------------------------------------------------------------

DECISION_REFERENCE = "Délibération n° 118/2022"
VOTES = (41, 6, 3)  # for, against, abstaining
VISA_AFTER_DAYS = 12
OPINION_BEFORE_DAYS = 7
OPINION_SIGNED_BY = "Fatima Zahra El Alami, présidente de l'IEECAG"

OPINION_FR = (
    "Avis de l'Instance de l'équité, de l'égalité des chances et de l'approche genre (IEECAG) sur la "
    "version {number} du programme d'action 2023–2028, rendu en application de l'article 120 de la loi "
    "organique n° 113-14. L'Instance relève que {gender} des {placed} projets programmés ont l'égalité "
    "entre les femmes et les hommes pour objectif significatif ou principal, dont {gender_main} pour "
    "objectif principal, soit {gender_share} % du coût programmé. Elle salue la place donnée à "
    "l'accessibilité ({access} projets, dont {access_main} en font leur objectif principal), mais demande "
    "que les normes de la loi 10-03 figurent dans tous les cahiers des charges, y compris ceux des projets "
    "qui ne la ciblent pas. Elle recommande de ventiler par sexe, âge et situation de handicap les "
    "bénéficiaires de chaque projet et d'en rendre compte dans le rapport annuel d'exécution. Les projets "
    "d'éclairage, de transport et de cheminements devraient être conçus avec les habitantes des quartiers "
    "concernés, car la sécurité des déplacements conditionne leur accès aux services. Sous ces réserves, "
    "l'Instance émet un avis favorable et demande à être associée au suivi de l'exécution."
)
OPINION_AR = (
    "رأي هيئة المساواة وتكافؤ الفرص ومقاربة النوع بشأن النسخة {number} من برنامج عمل الجماعة 2023–2028، "
    "طبقا للمادة 120 من القانون التنظيمي رقم 113.14. تسجل الهيئة أن عدد المشاريع المبرمجة التي تجعل "
    "المساواة بين النساء والرجال هدفا مهما أو رئيسيا يبلغ {gender} من أصل {placed}، منها {gender_main} "
    "تجعلها هدفها الرئيسي، أي {gender_share} في المائة من الكلفة المبرمجة. وتنوه بالمكانة التي أوليت "
    "للولوجيات (عدد المشاريع المعنية: {access}، منها {access_main} تجعلها هدفها الرئيسي)، لكنها تطلب إدراج "
    "معايير القانون 10.03 في جميع دفاتر التحملات، بما فيها دفاتر المشاريع التي لا تستهدفها مباشرة. وتوصي "
    "بتصنيف المستفيدين من كل مشروع حسب الجنس والسن ووضعية الإعاقة، وبتقديم حصيلة ذلك في التقرير السنوي "
    "للتنفيذ. كما ترى أن مشاريع الإنارة والنقل والممرات ينبغي أن تصمم بإشراك نساء الأحياء المعنية، لأن "
    "أمن التنقل شرط لولوجهن إلى الخدمات. ومع مراعاة هذه الملاحظات، تبدي الهيئة رأيا إيجابيا وتطلب "
    "إشراكها في تتبع التنفيذ."
)

# --- execution ---------------------------------------------------------------------------------------

# When (in years from the 1st of January of its first year) a project leaves studies, then tendering;
# works take the rest of its duration. Milestones are dated on the same clock.
STUDIES_UNTIL, TENDERING_UNTIL = 0.35, 0.6
WORKS_FROM = 15  # % complete when works start (studies and tendering done)
# Highest % complete a status is reported with, and the share of the year's scheduled amount spent.
PERCENT_CAP = {ExecutionStatus.STUDIES: 10, ExecutionStatus.TENDERING: 20, ExecutionStatus.WORKS: 99,
               ExecutionStatus.DONE: 100}
SPENT_SHARE = {ExecutionStatus.STUDIES: (0.08, 0.15), ExecutionStatus.TENDERING: (0.15, 0.3),
               ExecutionStatus.WORKS: (0.82, 0.98), ExecutionStatus.DONE: (0.93, 1.0)}
OVERRUN = 1.12  # the one year a project spends more than scheduled
DELAYED = 2  # projects behind schedule this year (besides the blocked one)
# (cause, what it holds the project at: "studies" / "tendering" / "works"). A project started this
# year is held at tendering; one started earlier slows down in its works.
TENDER_CAUSE = ("Appel d'offres infructueux (aucune offre conforme) ; relancé en {month} {year} avec un cahier "
                "des charges révisé.", "tendering")
DELAY_CAUSES = [
    ("Indisponibilité du foncier : une partie de l'assiette relève du domaine privé de l'État et l'arrêté "
     "de mise à disposition n'a été obtenu qu'en {month} {year}.", "works"),
    ("Retard du versement de la contribution du partenaire : le chantier a tourné au ralenti en attendant "
     "l'avenant à la convention.", "works"),
    ("توقفت الأشغال عدة أسابيع بسبب التساقطات المطرية الغزيرة وارتفاع منسوب الوادي.", "works"),
]
OVERRUN_CAUSE = ("Travaux supplémentaires imprévus (reprise des réseaux découverts en cours de chantier) : "
                 "dépassement couvert par un avenant au marché, et deux mois de plus sur le chantier.")
BLOCKED_REASON = ("Chantier suspendu : un riverain conteste l'emprise du projet devant le tribunal "
                  "administratif ; les travaux reprendront après le jugement.")
BLOCKED_CAUSE = "Litige foncier sur l'emprise du projet."
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]
MILESTONES = {
    "start": "Lancement des études techniques et topographiques",
    "studies": "Études d'exécution et dossier d'appel d'offres validés",
    "tendering": "Marché attribué après appel d'offres ouvert",
    "works": "Ordre de service de démarrage des travaux",
    "done": "Réception provisoire des travaux",
}
STAGES = ["start", "studies", "tendering", "works", "done"]
MAX_MILESTONES = 3


# --- dates ---------------------------------------------------------------------------------------------

def session_date(plan: Plan, today: date) -> date:
    """The council's session: inside the adoption phase when it is over (and the visa too), else the
    ordinary October session (first Thursday) of the year before the plan starts (module docstring)."""
    phase = db.session.scalar(select(Phase).where(Phase.plan_id == plan.id, Phase.kind == "adoption"))
    if phase is not None and phase.ends_on + timedelta(days=VISA_AFTER_DAYS) < today:
        return min(phase.starts_on + timedelta(days=7), phase.ends_on)
    first = date(plan.start_year - 1, 10, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7)  # Thursday


def _year_fraction(year: int, today: date) -> float:
    """How much of `year` has gone by (1 for past years)."""
    if year < today.year:
        return 1.0
    start = date(year, 1, 1)
    return min(1.0, max(0.05, (today - start).days / 365))


# --- steps ---------------------------------------------------------------------------------------------

def _envelopes(commune: Commune, plan: Plan, chair: User) -> None:
    axis_ids = {a.position: a.id for a in db.session.scalars(select(Axis).where(Axis.commune_id == commune.id))}
    rows = []
    for year in programme.plan_years(plan):
        amount = ENVELOPES.get(year, min(ENVELOPES.values()))
        caps = {axis_ids[position]: str(by_year[year]) for position, by_year in AXIS_CAPS.items()
                if position in axis_ids and year in by_year}
        rows.append(programme.EnvelopeInput(year, str(amount), str(round(amount * PARTICIPATORY_SHARE)), caps))
    programme.save_envelopes(plan, rows, chair)


def _published_round(plan: Plan) -> ScoringRound | None:
    return db.session.scalar(select(ScoringRound).where(ScoringRound.plan_id == plan.id,
                                                        ScoringRound.status == RoundStatus.PUBLISHED)
                             .order_by(ScoringRound.id).limit(1))


def _choose(version: ProgrammeVersion, wanted: list[tuple[str, str]], other: str, *, exclude: set[int],
            states: tuple[str, ...]) -> tuple[ProgrammeEntry, str] | None:
    entries = [e for e in sorted(version.entries, key=lambda e: (e.position, e.id))
               if e.project_id not in exclude and e.state in states]
    for prefix, justification in wanted:
        for entry in entries:
            if entry.project.title_fr.startswith(prefix):
                return entry, justification
    return (entries[-1], other) if entries else None


def _version(plan: Plan, round_: ScoringRound, chair: User, support_round: SupportRound | None) -> ProgrammeVersion:
    """Version 1 from the published ranking (the participatory share filled with residents' choices
    from the platform's support round), one project pinned and one dropped (justified)."""
    version = programme.build_version(plan, round_.id, chair,
                                      support_round_id=support_round.id if support_round else None)
    done: set[int] = set()
    pin = _choose(version, PIN, PIN_OTHER, exclude=done, states=(EntryState.PLACED,))
    if pin is not None:
        entry, justification = pin
        project = entry.project
        year = max(project.earliest_start_year, plan.start_year)
        if year + project.duration_years - 1 > plan.end_year:
            year = plan.end_year - project.duration_years + 1
        try:
            programme.change_entry(plan, version, entry.project_id, "pin", year, justification, chair)
            done.add(entry.project_id)
        except Conflict:  # the envelopes cannot hold it there: the committee leaves it to the builder
            pass
    drop = _choose(version, DROP, DROP_OTHER, exclude=done, states=(EntryState.PLACED, EntryState.SKIPPED))
    if drop is not None and sum(e.state == EntryState.PLACED for e in version.entries) > 1:
        entry, justification = drop
        programme.change_entry(plan, version, entry.project_id, "drop", None, justification, chair)
    return version


def _opinion_text(version: ProgrammeVersion) -> str:
    placed = [e.project for e in version.entries if e.state == EntryState.PLACED]
    total = sum(p.total_cost for p in placed) or 1
    values = {
        "number": version.number, "placed": len(placed),
        "gender": sum(p.marker_gender >= 1 for p in placed), "gender_main": sum(p.marker_gender == 2 for p in placed),
        "gender_share": round(100 * sum(p.total_cost for p in placed if p.marker_gender >= 1) / total),
        "access": sum(p.marker_accessibility >= 1 for p in placed),
        "access_main": sum(p.marker_accessibility == 2 for p in placed),
    }
    return OPINION_FR.format(**values) + "\n\n" + OPINION_AR.format(**values)


def _decide(plan: Plan, version: ProgrammeVersion, *, chair: User, admin: User, observer: User,
            today: date) -> None:
    session = session_date(plan, today)
    programme.propose(plan, version, chair)
    programme.record_opinion(plan, version, programme.OpinionInput(
        _opinion_text(version), OPINION_SIGNED_BY, session - timedelta(days=OPINION_BEFORE_DAYS)), observer)
    votes_for, against, abstaining = VOTES
    programme.record_adoption(plan, version, programme.AdoptionInput(
        session, DECISION_REFERENCE, votes_for, against, abstaining), admin)
    programme.record_visa(plan, version, session + timedelta(days=VISA_AFTER_DAYS), admin)


@dataclass
class _Year:
    year: int
    status: str
    percent: int
    spent: int
    delay_causes: str = ""
    reason: str = ""


def _stage(elapsed: float, duration: int) -> tuple[str, int]:
    """Status and % complete after `elapsed` years of a project of `duration` years."""
    if elapsed >= duration:
        return ExecutionStatus.DONE, 100
    if elapsed < STUDIES_UNTIL:
        return ExecutionStatus.STUDIES, max(1, round(PERCENT_CAP[ExecutionStatus.STUDIES] * elapsed / STUDIES_UNTIL))
    if elapsed < TENDERING_UNTIL:
        return ExecutionStatus.TENDERING, PERCENT_CAP[ExecutionStatus.STUDIES] + 2
    works = (elapsed - TENDERING_UNTIL) / (duration - TENDERING_UNTIL)
    return ExecutionStatus.WORKS, min(99, round(WORKS_FROM + (100 - WORKS_FROM) * works))


_HOLD = {"studies": (ExecutionStatus.STUDIES, PERCENT_CAP[ExecutionStatus.STUDIES]),
         "tendering": (ExecutionStatus.TENDERING, WORKS_FROM)}


def _course(rng: random.Random, entry: ProgrammeEntry, last_year: int, today: date, *, trouble: str | None,
            cause: tuple[str, str] | None, overrun: bool) -> list[_Year]:
    """A project's yearly reports from its start to `last_year` (or until done): progress by the
    share of its duration gone by; `trouble` ("delayed"/"blocked") strikes in the last year."""
    project = entry.project
    scheduled = {line.year: line.amount for line in entry.schedule}
    years: list[_Year] = []
    elapsed = 0.0
    for year in range(entry.start_year, last_year + 1):
        elapsed += _year_fraction(year, today)
        status, percent = _stage(elapsed, project.duration_years)
        share = rng.uniform(*SPENT_SHARE[status])
        spent = round(scheduled.get(year, 0) * share * min(1.0, _year_fraction(year, today) + 0.1))
        row = _Year(year, status, percent, spent)
        before = years[-1].percent if years else 0
        if year == last_year and trouble == "blocked":
            row.status, row.percent = ExecutionStatus.BLOCKED, before
            row.spent = round(scheduled.get(year, 0) * rng.uniform(0.05, 0.15))
            row.reason, row.delay_causes = BLOCKED_REASON, BLOCKED_CAUSE
        elif year == last_year and trouble == "delayed" and cause is not None:
            text, hold = cause
            held = _HOLD.get(hold)
            if held is not None and before < held[1]:
                row.status, row.percent = held[0], max(before, held[1] - rng.randint(2, 4))
                row.spent = round(scheduled.get(year, 0) * rng.uniform(*SPENT_SHARE[held[0]]))
            else:  # works slowed down: about half of the year's expected progress and spending
                row.status = ExecutionStatus.WORKS
                row.percent = min(95, max(before + 1, before + (row.percent - before) // 2))
                row.spent = round(row.spent * rng.uniform(0.35, 0.6))
            month = MONTHS[rng.randint(1, max(1, min(10, today.month - 2 if year == today.year else 10)))]
            row.delay_causes = text.format(month=month, year=year)
        elif overrun and status == ExecutionStatus.WORKS and scheduled.get(year):
            row.spent = round(scheduled[year] * OVERRUN)
            row.delay_causes = OVERRUN_CAUSE
            overrun = False
        row.percent = max(row.percent, before)
        years.append(row)
        if row.status == ExecutionStatus.DONE:
            break
    return years


# When each stage's milestone happens, in years from the 1st of January of the project's first year
# (None: at the end of its duration).
STAGE_AT = {"start": 0.08, "studies": STUDIES_UNTIL, "tendering": TENDERING_UNTIL - 0.04,
            "works": TENDERING_UNTIL + 0.04, "done": None}


def _milestones(rng: random.Random, course: list[_Year], duration: int, today: date) -> list[tuple[date, str]]:
    """1–3 dated milestones among the stages the reports show reached (the latest ones), each dated
    on the project's clock, inside the year whose report first shows it, never after a few days ago."""
    reached: list[tuple[int, str]] = [(course[0].year, "start")]
    top = {ExecutionStatus.STUDIES: 0, ExecutionStatus.TENDERING: 1, ExecutionStatus.WORKS: 3,
           ExecutionStatus.DONE: 4}
    for row in course:
        if row.status in top:
            reached += [(row.year, stage) for stage in STAGES[1:top[row.status] + 1]
                        if all(stage != s for _y, s in reached)]
    origin = date(course[0].year, 1, 1)
    out: list[tuple[date, str]] = []
    for year, stage in reached[-rng.randint(1, MAX_MILESTONES):]:
        at = STAGE_AT[stage] if STAGE_AT[stage] is not None else duration - 0.06
        day = origin + timedelta(days=round(365 * at) + rng.randint(-8, 8))
        day = min(max(day, date(year, 1, 8)), date(year, 12, 20), today - timedelta(days=3))
        if day.weekday() >= 5:  # a Saturday or Sunday: the Friday before
            day -= timedelta(days=day.weekday() - 4)
        if out and day <= out[-1][0]:
            day = out[-1][0] + timedelta(days=1)
        out.append((min(day, today), MILESTONES[stage]))
    return out


def _execution(rng: random.Random, plan: Plan, version: ProgrammeVersion, *, chair: User, admin: User,
               today: date) -> tuple[int, int]:
    last_year = min(today.year, plan.end_year)
    placed = sorted((e for e in version.entries if e.state == EntryState.PLACED and e.start_year is not None
                     and e.start_year <= last_year), key=lambda e: (e.project.code, e.id))
    # Trouble this year strikes projects scheduled to run on: one blocked and one delayed among those
    # that started earlier, and a project starting this year held up by its tender.
    running = [e for e in placed if e.start_year < last_year
               and e.start_year + e.project.duration_years - 1 >= last_year]
    starting = [e for e in placed if e.start_year == last_year and e.project.duration_years >= 2]
    troubled = rng.sample(running, k=min(len(running), DELAYED + 1 - min(1, len(starting))))
    blocked = troubled[0] if troubled else None
    delayed = troubled[1:]
    causes = rng.sample(DELAY_CAUSES, k=len(delayed))
    if starting:
        delayed.append(rng.choice(starting))
        causes.append(TENDER_CAUSE)
    troubled = [blocked, *delayed]
    calm = [e for e in placed if e not in troubled and e.start_year < last_year and e.project.duration_years >= 2]
    overrun = rng.choice(calm) if calm else None
    reports = milestones = 0
    for entry in placed:
        trouble = "blocked" if entry is blocked else "delayed" if entry in delayed else None
        cause = causes[delayed.index(entry)] if entry in delayed else None
        course = _course(rng, entry, last_year, today, trouble=trouble, cause=cause, overrun=entry is overrun)
        for row in course:
            execution.save_report(plan, entry.project, row.year, execution.ReportInput(
                row.status, row.percent, row.spent, row.delay_causes, row.reason), chair)
            reports += 1
        for day, label in _milestones(rng, course, entry.project.duration_years, today):
            execution.add_milestone(plan, entry.project, execution.MilestoneInput(day, label), admin,
                                    upload_root="", today=today)
            milestones += 1
    return reports, milestones


def _support_round(plan: Plan, chair: User) -> SupportRound | None:
    """The platform's round over residents' supports, budget = the envelopes' participatory share."""
    try:
        return pb_rounds.platform_round(plan, chair, pb_rounds.participatory_budget(plan))
    except Conflict:  # a tiny demo: no project, or no supports on them
        return None


# --- entry point ----------------------------------------------------------------------------------------

def seed_programme(commune: Commune, plan: Plan, *, rng: random.Random, chair: User, admin: User,
                   observer: User) -> dict:
    """Envelopes, the adopted version 1 with its execution follow-up, and the platform's support round."""
    today = phases.today()
    _envelopes(commune, plan, chair)
    made: dict = {"envelopes": len(programme.plan_years(plan))}
    support_round = _support_round(plan, chair)
    if support_round is not None:
        made["support_round"] = support_round.id
    round_ = _published_round(plan)
    if round_ is not None:
        version = _version(plan, round_, chair, support_round)
        if any(e.state == EntryState.PLACED for e in version.entries):
            _decide(plan, version, chair=chair, admin=admin, observer=observer, today=today)
            made["reports"], made["milestones"] = _execution(rng, plan, version, chair=chair, admin=admin,
                                                             today=today)
        made["version"] = version.id
    db.session.flush()
    return made
