"""Open data (law 31-13): the commune's ideas, projects, rankings, programme versions, execution
and aggregated supports as CSV and JSON, with their data dictionary; support rounds in the Pabulib
format.

No personal data in any export (law 31-13 art. 7, law 09-08): no author, supporter, committee
member or staff identity, no user id, no e-mail, phone, IP or token; supports only as counts;
hidden and non-public ideas left out; draft programme versions left out; milestone photos' file
names left out. An association's name is published when the association itself proposed the idea:
associations are legal persons and the idea page already shows it; a resident's name never is.

Reuse is allowed with the source and the date (art. 6): the JSON files carry both; a CSV carries
them in its file name and in its companion CSVW metadata file. CSV is UTF-8 with a BOM (for
spreadsheets) and stays rectangular; a text cell that a spreadsheet could run as a formula
(starting with = + - @, a tab or a carriage return) gets a leading apostrophe.

Functions take plain data and never touch the request: the view passes the URLs.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from extensions import db
from models import (
    PUBLIC_STATUSES,
    Axis,
    Commune,
    ExecutionReport,
    Idea,
    Milestone,
    Neighbourhood,
    Plan,
    ProgrammeVersion,
    Project,
    ProjectIdea,
    SupportRound,
)
from prioritization import pabulib
from services import projects as project_service
from services import public_programme, ranking, support_rounds
from services.errors import NotFound

LICENCE = _l("Reuse is free, provided the source (the commune, through Tasharuk) and the date of the file "
             "are mentioned (law 31-13 on the right of access to information, article 6). "
             "No personal data is published (article 7).")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


# --- the CSV cell rule ---------------------------------------------------------------------------

def neutralise(value):
    """A text cell a spreadsheet could run as a formula gets a leading apostrophe; numbers, dates
    and other text stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def _stamp(moment: datetime) -> str:
    """ISO 8601 in UTC (stored times are naive UTC)."""
    text = moment.isoformat(timespec="seconds")
    return text + "Z" if moment.tzinfo is None else text


def _json_value(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


# --- the datasets --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    name: str
    type: str  # integer, number, string, boolean, date, datetime (CSVW datatypes)
    meaning: object  # lazy string, in the reader's language


@dataclass(frozen=True)
class Dataset:
    key: str
    title: object
    description: object
    columns: tuple[Column, ...]
    rows: Callable[[Commune, Plan], list[dict]]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


def _axes(commune: Commune) -> dict[int, Axis]:
    return {a.id: a for a in db.session.scalars(select(Axis).where(Axis.commune_id == commune.id))}


def _hoods(commune: Commune) -> dict[int, Neighbourhood]:
    return {h.id: h for h in db.session.scalars(select(Neighbourhood).where(Neighbourhood.commune_id == commune.id))}


def _public_ideas(plan: Plan):
    return (Idea.plan_id == plan.id, Idea.status.in_([s.value for s in PUBLIC_STATUSES]), Idea.hidden.is_(False))


def _idea_rows(commune: Commune, plan: Plan) -> list[dict]:
    axes, hoods = _axes(commune), _hoods(commune)
    ideas = list(db.session.scalars(
        select(Idea).where(*_public_ideas(plan)).options(selectinload(Idea.association)).order_by(Idea.id)))
    codes = dict(db.session.execute(
        select(ProjectIdea.idea_id, Project.code).join(Project, Project.id == ProjectIdea.project_id)
        .where(ProjectIdea.idea_id.in_([i.id for i in ideas]))).all()) if ideas else {}
    rows = []
    for i in ideas:
        rows.append({
            "id": i.id, "title": i.title, "description": i.description,
            "axis_id": i.axis_id, "axis": axes[i.axis_id].name if i.axis_id in axes else None,
            "neighbourhood_id": i.neighbourhood_id,
            "neighbourhood": hoods[i.neighbourhood_id].name if i.neighbourhood_id in hoods else None,
            "location": i.location_text, "estimated_cost": i.estimated_cost, "status": i.status,
            "proposing_association": i.association.name if i.association is not None else None,
            "submitted_at": i.submitted_at, "reviewed_at": i.reviewed_at,
            "support_count": i.support_count, "association_support_count": i.association_support_count,
            "comment_count": i.comment_count, "comments_for": i.comments_for,
            "comments_neutral": i.comments_neutral, "comments_against": i.comments_against,
            "project_code": codes.get(i.id),
        })
    return rows


def _project_rows(commune: Commune, plan: Plan) -> list[dict]:
    axes = _axes(commune)
    projects = list(db.session.scalars(
        select(Project).where(Project.plan_id == plan.id)
        .options(selectinload(Project.neighbourhoods), selectinload(Project.indicators),
                 selectinload(Project.partners), selectinload(Project.idea_links))
        .order_by(Project.code)))
    ids = [p.id for p in projects]
    citizens = project_service.citizen_support(ids) if ids else {}
    associations = project_service.association_support(ids) if ids else {}
    rows = []
    for p in projects:
        rows.append({
            "code": p.code, "title_ar": p.title_ar, "title_fr": p.title_fr, "title_zgh": p.title_zgh,
            "axis_id": p.axis_id, "axis": axes[p.axis_id].name if p.axis_id in axes else None,
            "neighbourhoods": " | ".join(h.name for h in p.neighbourhoods),
            "sector": p.sector, "competence": p.competence, "objectives": p.objectives,
            "beneficiaries_total": p.beneficiaries_total, "beneficiaries_women": p.beneficiaries_women,
            "beneficiaries_men": p.beneficiaries_men, "beneficiaries_disabled": p.beneficiaries_disabled,
            "indicators": " | ".join(
                f"{i.label} ({i.unit or ''}): {'' if i.baseline is None else i.baseline} → "
                f"{'' if i.target is None else i.target}" for i in p.indicators),
            "total_cost": p.total_cost, "commune_share": p.commune_share,
            "partners": " | ".join(f"{x.name}: {x.amount}" for x in p.partners),
            "duration_years": p.duration_years, "earliest_start_year": p.earliest_start_year,
            "executing_department": p.executing_department, "sdgs": p.sdgs,
            "marker_gender": p.marker_gender, "marker_environment": p.marker_environment,
            "marker_accessibility": p.marker_accessibility,
            "citizen_support": citizens.get(p.id, 0), "association_support": associations.get(p.id, 0),
            "idea_ids": ",".join(str(link.idea_id) for link in sorted(p.idea_links, key=lambda x: x.idea_id)),
        })
    return rows


def _ranking_rows(commune: Commune, plan: Plan) -> list[dict]:
    rows = []
    for round_ in reversed(ranking.published_rounds(plan)):  # oldest first
        data = ranking.published(round_)
        for row in data.get("rows", []):
            title = row.get("title") or {}
            rows.append({
                "round": data.get("round", round_.name), "published_at": data.get("published_at"),
                "rank": row.get("rank"), "computed_rank": row.get("computed_rank"), "project_code": row.get("code"),
                "title_ar": title.get("ar"), "title_fr": title.get("fr"), "title_zgh": title.get("zgh"),
                "composite": row.get("composite"), "disagreement": row.get("disagreement"),
                "contested": row.get("contested"), "supports": row.get("supports"), "cost": row.get("cost"),
                "criterion_values": " | ".join(f"{k}={v}" for k, v in sorted((row.get("values") or {}).items())),
                "members": row.get("members"), "recusals": row.get("recusals"),
                "top_k": data.get("top_k"), "top_k_fraction": row.get("top_k_fraction"),
                "zscore_rank": row.get("zscore_rank"), "override_justification": row.get("justification"),
            })
    return rows


def _programme_rows(commune: Commune, plan: Plan) -> list[dict]:
    rows = []
    for version in reversed(public_programme.public_versions(plan)):  # oldest first
        base = db.session.get(ProgrammeVersion, version.based_on_id) if version.based_on_id else None
        opinion = version.opinion
        head = {
            "version": version.number, "version_status": version.status,
            "based_on_version": base.number if base is not None else None, "is_revision": version.is_revision,
            "proposed_at": version.proposed_at, "session_date": version.session_date,
            "decision_reference": version.decision_reference, "votes_for": version.votes_for,
            "votes_against": version.votes_against, "votes_abstaining": version.votes_abstaining,
            "visa_date": version.visa_date, "visa_deemed_on": version.visa_deemed_on,
            "equality_opinion_given_on": opinion.given_on if opinion is not None else None,
            "equality_opinion": opinion.body if opinion is not None else None,
        }
        for entry in public_programme._entries(version):
            skip = public_programme.skip_reason(entry) if entry.state == "skipped" else None
            common = {**head, "project_code": entry.project.code, "position": entry.position,
                      "state": entry.state, "start_year": entry.start_year, "pinned_year": entry.pinned_year,
                      "participatory": entry.participatory, "skip_reason": skip.code if skip else None,
                      "skip_year": skip.year if skip else None, "skip_shortfall": skip.shortfall if skip else None,
                      "justification": entry.justification}
            schedule = public_programme.schedule_of(entry) if entry.state == "placed" else {}
            if not schedule:
                rows.append({**common, "year": None, "amount": None})
            for year, amount in sorted(schedule.items()):
                rows.append({**common, "year": year, "amount": amount})
    return rows


def _plan_projects(plan: Plan) -> dict[int, str]:
    return dict(db.session.execute(select(Project.id, Project.code).where(Project.plan_id == plan.id)).all())


def _execution_rows(commune: Commune, plan: Plan) -> list[dict]:
    codes = _plan_projects(plan)
    if not codes:
        return []
    reports = db.session.scalars(select(ExecutionReport).where(ExecutionReport.project_id.in_(list(codes)))
                                 .order_by(ExecutionReport.project_id, ExecutionReport.year))
    return [{"project_code": codes[r.project_id], "year": r.year, "status": r.status,
             "percent_complete": r.percent_complete, "amount_spent": r.amount_spent,
             "delay_causes": r.delay_causes, "reason": r.reason, "updated_at": r.updated_at}
            for r in reports]


def _milestone_rows(commune: Commune, plan: Plan) -> list[dict]:
    codes = _plan_projects(plan)
    if not codes:
        return []
    milestones = db.session.scalars(select(Milestone).where(Milestone.project_id.in_(list(codes)))
                                    .order_by(Milestone.happened_on, Milestone.id))
    return [{"project_code": codes[m.project_id], "happened_on": m.happened_on, "label": m.label,
             "has_photo": m.photo is not None, "photo_description": m.photo_alt if m.photo else None}
            for m in milestones]


def _support_rows(commune: Commune, plan: Plan) -> list[dict]:
    axes, hoods = _axes(commune), _hoods(commune)
    totals = db.session.execute(
        select(Idea.axis_id, Idea.neighbourhood_id, func.count(Idea.id), func.sum(Idea.support_count),
               func.sum(Idea.association_support_count))
        .where(*_public_ideas(plan)).group_by(Idea.axis_id, Idea.neighbourhood_id)).all()
    rows = []
    for axis_id, hood_id, ideas, supports, assoc in totals:
        rows.append({"axis_id": axis_id, "axis": axes[axis_id].name if axis_id in axes else None,
                     "neighbourhood_id": hood_id, "neighbourhood": hoods[hood_id].name if hood_id in hoods else None,
                     "ideas": ideas, "supports": int(supports or 0), "association_supports": int(assoc or 0)})
    order = {a: (x.position, a) for a, x in axes.items()}
    hood_order = {h: (x.position, h) for h, x in hoods.items()}
    rows.sort(key=lambda r: (order.get(r["axis_id"], (0, 0)), hood_order.get(r["neighbourhood_id"], (0, 0))))
    return rows


def _c(name, type_, meaning) -> Column:
    return Column(name, type_, meaning)


_AXIS = (_c("axis_id", "integer", _l("Number of the strategic axis of the plan")),
         _c("axis", "string", _l("Name of the strategic axis, in the language of this page")))
_HOOD = (_c("neighbourhood_id", "integer", _l("Number of the neighbourhood")),
         _c("neighbourhood", "string", _l("Name of the neighbourhood, in the language of this page")))
_TITLES = (_c("title_ar", "string", _l("Title in Arabic")), _c("title_fr", "string", _l("Title in French")),
           _c("title_zgh", "string", _l("Title in Amazigh (Tifinagh)")))

DATASETS: dict[str, Dataset] = {d.key: d for d in (
    Dataset("ideas", _l("Residents' ideas"),
            _l("The public ideas of the plan (submitted or accepted, not hidden). No author is named."),
            (_c("id", "integer", _l("Number of the idea (its page is /ideas/<number>)")),
             _c("title", "string", _l("Title, as the resident wrote it")),
             _c("description", "string", _l("Description, as the resident wrote it")),
             *_AXIS, *_HOOD,
             _c("location", "string", _l("Where exactly, as the resident wrote it")),
             _c("estimated_cost", "integer", _l("Rough cost given by the resident, in dirhams (MAD)")),
             _c("status", "string", _l("submitted (awaiting moderation) or accepted")),
             _c("proposing_association", "string",
                _l("Name of the association when an association proposed the idea in its own name (a legal "
                   "person); empty when a resident proposed it")),
             _c("submitted_at", "datetime", _l("When the idea was made public (UTC)")),
             _c("reviewed_at", "datetime", _l("When a moderator admitted it (UTC)")),
             _c("support_count", "integer", _l("Number of residents who support it")),
             _c("association_support_count", "integer", _l("Number of associations that support it")),
             _c("comment_count", "integer", _l("Number of comments")),
             _c("comments_for", "integer", _l("Comments for the idea")),
             _c("comments_neutral", "integer", _l("Neutral comments")),
             _c("comments_against", "integer", _l("Comments against the idea")),
             _c("project_code", "string", _l("Code of the project the idea became, if any"))),
            _idea_rows),
    Dataset("projects", _l("Projects"),
            _l("The project sheets of the plan, with the citizen support counted from their ideas."),
            (_c("code", "string", _l("Code of the project")), *_TITLES, *_AXIS,
             _c("neighbourhoods", "string", _l("Neighbourhoods concerned, separated by | (empty: the whole commune)")),
             _c("sector", "string", _l("Sector")),
             _c("competence", "string", _l("Commune competence it relies on: own, shared or transferred")),
             _c("objectives", "string", _l("Objectives")),
             _c("beneficiaries_total", "integer", _l("Expected beneficiaries in total")),
             _c("beneficiaries_women", "integer", _l("Expected beneficiaries: women")),
             _c("beneficiaries_men", "integer", _l("Expected beneficiaries: men")),
             _c("beneficiaries_disabled", "integer", _l("Expected beneficiaries: persons with disabilities")),
             _c("indicators", "string", _l("Indicators: label (unit): baseline → target, separated by |")),
             _c("total_cost", "integer", _l("Total cost in dirhams (MAD)")),
             _c("commune_share", "integer", _l("Commune's share in dirhams (MAD)")),
             _c("partners", "string", _l("Co-funders and their amounts in MAD, separated by |")),
             _c("duration_years", "integer", _l("Duration in years")),
             _c("earliest_start_year", "integer", _l("Earliest start year")),
             _c("executing_department", "string", _l("Executing department")),
             _c("sdgs", "string", _l("Sustainable Development Goals served (numbers, separated by commas)")),
             _c("marker_gender", "integer", _l("Gender equality marker: 0 not targeted, 1 significant, 2 principal")),
             _c("marker_environment", "integer", _l("Environment marker: 0 not targeted, 1 significant, 2 principal")),
             _c("marker_accessibility", "integer", _l("Accessibility marker: 0 not targeted, 1 significant, 2 principal")),
             _c("citizen_support", "integer", _l("Residents who supported at least one of its ideas (each counted once)")),
             _c("association_support", "integer", _l("Associations that supported at least one of its ideas")),
             _c("idea_ids", "string", _l("Numbers of the ideas merged into the project, separated by commas"))),
            _project_rows),
    Dataset("rankings", _l("Published rankings"),
            _l("Each project's line in the committee's published rankings: aggregated scores only, never a "
               "member's own scores."),
            (_c("round", "string", _l("Name of the scoring round")),
             _c("published_at", "datetime", _l("When the ranking was published (UTC)")),
             _c("rank", "integer", _l("Final rank")),
             _c("computed_rank", "integer", _l("Rank computed from the scores, before any move by the chair")),
             _c("project_code", "string", _l("Code of the project")), *_TITLES,
             _c("composite", "number", _l("Composite score, 0 to 5")),
             _c("disagreement", "number", _l("Disagreement between the members")),
             _c("contested", "boolean", _l("Whether the project is contested")),
             _c("supports", "integer", _l("Citizen supports counted for the ranking")),
             _c("cost", "integer", _l("Cost in dirhams (MAD)")),
             _c("criterion_values", "string", _l("Value of each criterion (code=value on 0 to 5), separated by |")),
             _c("members", "integer", _l("Number of members who scored the project")),
             _c("recusals", "integer", _l("Number of members who declared a conflict of interest")),
             _c("top_k", "integer", _l("Size of the top group used for robustness")),
             _c("top_k_fraction", "number", _l("Share of weight draws in which the project stays in the top group")),
             _c("zscore_rank", "integer", _l("Rank with the z-score normalisation")),
             _c("override_justification", "string", _l("The chair's justification when the project was moved"))),
            _ranking_rows),
    Dataset("programme", _l("Programme versions"),
            _l("The versions of the programme proposed to or adopted by the council (drafts are not public): "
               "one line per project and year of its schedule; projects not placed have one line without year."),
            (_c("version", "integer", _l("Number of the version")),
             _c("version_status", "string", _l("proposed, adopted or superseded")),
             _c("based_on_version", "integer", _l("Number of the version it revises")),
             _c("is_revision", "boolean", _l("Whether it is a mid-term revision")),
             _c("proposed_at", "datetime", _l("When it was proposed to the council (UTC)")),
             _c("session_date", "date", _l("Date of the council session that adopted it")),
             _c("decision_reference", "string", _l("Reference of the council's decision")),
             _c("votes_for", "integer", _l("Votes for")),
             _c("votes_against", "integer", _l("Votes against")),
             _c("votes_abstaining", "integer", _l("Abstentions")),
             _c("visa_date", "date", _l("Date of the governor's visa, if recorded")),
             _c("visa_deemed_on", "date", _l("Date the visa is deemed given without an answer (session + 20 days)")),
             _c("equality_opinion_given_on", "date", _l("Date of the equality body's opinion on this version")),
             _c("equality_opinion", "string", _l("The equality body's opinion")),
             _c("project_code", "string", _l("Code of the project")),
             _c("position", "integer", _l("Order used by the builder (rank)")),
             _c("state", "string", _l("placed, skipped (did not fit) or dropped (by the committee)")),
             _c("start_year", "integer", _l("Start year of a placed project")),
             _c("pinned_year", "integer", _l("Start year fixed by the committee, if any")),
             _c("participatory", "boolean", _l("Funded from the share reserved for residents' choices")),
             _c("skip_reason", "string", _l("Why it did not fit: envelope, axis_cap, ends_after_plan, …")),
             _c("skip_year", "integer", _l("First year that did not fit")),
             _c("skip_shortfall", "integer", _l("By how much it did not fit, in MAD")),
             _c("justification", "string", _l("The committee's justification for a pin, move or drop")),
             _c("year", "integer", _l("Year of the schedule line")),
             _c("amount", "integer", _l("Amount scheduled that year, in MAD"))),
            _programme_rows),
    Dataset("execution", _l("Execution follow-up"),
            _l("Where each project stands, year by year."),
            (_c("project_code", "string", _l("Code of the project")),
             _c("year", "integer", _l("Year")),
             _c("status", "string", _l("not_started, studies, tendering, works, done, blocked or dropped")),
             _c("percent_complete", "integer", _l("Progress, 0 to 100")),
             _c("amount_spent", "integer", _l("Amount spent that year, in MAD")),
             _c("delay_causes", "string", _l("Causes of delay")),
             _c("reason", "string", _l("Reason given for going back, a blocked or a dropped status")),
             _c("updated_at", "datetime", _l("Last update (UTC)"))),
            _execution_rows),
    Dataset("milestones", _l("Execution milestones"),
            _l("Dated milestones of the projects (photos are on the project pages)."),
            (_c("project_code", "string", _l("Code of the project")),
             _c("happened_on", "date", _l("Date")),
             _c("label", "string", _l("What happened")),
             _c("has_photo", "boolean", _l("Whether a photo was published with it")),
             _c("photo_description", "string", _l("Text description of the photo"))),
            _milestone_rows),
    Dataset("supports", _l("Supports by axis and neighbourhood"),
            _l("Counts of public ideas and their supports per axis and neighbourhood. Who supported what is "
               "never published."),
            (*_AXIS, *_HOOD,
             _c("ideas", "integer", _l("Number of public ideas")),
             _c("supports", "integer", _l("Residents' supports of these ideas")),
             _c("association_supports", "integer", _l("Associations' supports of these ideas"))),
            _support_rows),
)}


def dataset(key: str) -> Dataset:
    if key not in DATASETS:
        raise NotFound(_l("This dataset does not exist."))
    return DATASETS[key]


def rows(key: str, commune: Commune, plan: Plan) -> list[dict]:
    d = dataset(key)
    return [{name: row.get(name) for name in d.names} for row in d.rows(commune, plan)]


# --- the files -------------------------------------------------------------------------------------

def file_name(commune: Commune, key: str, day: date, extension: str) -> str:
    """e.g. tetouan-projects-2026-11-23.csv: the source and the date travel with the file."""
    return f"{commune.slug}-{key}-{day.isoformat()}.{extension}"


def to_csv(columns: Iterable[str], records: Iterable[dict]) -> str:
    """UTF-8 text with a BOM, one header line, one line per record, formula-like cells neutralised."""
    columns = list(columns)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(name)) for name in columns])
    return out.getvalue()


def source(commune: Commune) -> str:
    return f"{commune.name} — Tasharuk"


def to_json(commune: Commune, key: str, records: list[dict], *, url: str, generated_at: datetime) -> str:
    d = dataset(key)
    payload = {
        "source": source(commune),
        "url": url,
        "generated_at": _stamp(generated_at),
        "licence": str(LICENCE),
        "dataset": key,
        "title": str(d.title),
        "columns": [{"name": c.name, "type": c.type, "meaning": str(c.meaning)} for c in d.columns],
        "data": [{k: _json_value(v) for k, v in r.items()} for r in records],
    }
    return json.dumps(payload, ensure_ascii=False, indent=1)


def csv_metadata(commune: Commune, key: str, *, csv_url: str, dictionary_url: str, generated_at: datetime) -> str:
    """The CSV's companion description (CSV on the Web, W3C): source, date, licence and columns."""
    d = dataset(key)
    payload = {
        "@context": "http://www.w3.org/ns/csvw",
        "url": csv_url,
        "dc:title": str(d.title),
        "dc:description": str(d.description),
        "dc:source": source(commune),
        "dc:created": _stamp(generated_at),
        "dc:license": str(LICENCE),
        "rdfs:seeAlso": dictionary_url,
        "dialect": {"encoding": "utf-8", "header": True},
        "notes": [str(_l("A text cell that starts with = + - @ (or a tab or carriage return) is written with a "
                         "leading apostrophe so that spreadsheets do not run it as a formula."))],
        "tableSchema": {"columns": [
            {"name": c.name, "titles": c.name, "datatype": c.type, "dc:description": str(c.meaning)}
            for c in d.columns]},
    }
    return json.dumps(payload, ensure_ascii=False, indent=1)


# --- support rounds in the Pabulib format ----------------------------------------------------------

def support_rounds_of(commune: Commune) -> list[SupportRound]:
    return list(db.session.scalars(select(SupportRound).where(SupportRound.commune_id == commune.id)
                                   .order_by(SupportRound.id)))


def support_round_pb(commune: Commune, round_id: int) -> str:
    """The round as Pabulib text (anonymous ballots numbered 1..n), or NotFound."""
    round_ = db.session.get(SupportRound, round_id)
    if round_ is None or round_.commune_id != commune.id:
        raise NotFound(_l("This support round does not exist."))
    return pabulib.write(support_rounds.to_instance(round_))
