"""Open data (law 31-13): the data dictionary page and the downloads — each dataset as CSV (with
its CSVW metadata companion) and JSON, and the support rounds in the Pabulib format. Public; no
personal data (services.opendata says what is left out and why).
"""
from __future__ import annotations

from flask import Blueprint, g, make_response, url_for

from blueprints._access import public
from blueprints._helpers import render
from models._base import utcnow
from services import opendata, phases

bp = Blueprint("opendata", __name__)

# Only the allowlisted datasets match these URLs; anything else is a 404 from the router.
_DATASET = "any(" + ", ".join(opendata.DATASETS) + "):dataset"


def _download(body: str, mimetype: str, name: str, *, disposition: str = "attachment"):
    """The file with its name (commune, dataset, date: the source and date travel with it)."""
    response = make_response(body)
    response.mimetype = mimetype
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<commune>/open-data")
@public
def index(**_):
    plan = phases.current_plan(g.commune)
    return render("opendata/index.html", plan=plan, datasets=list(opendata.DATASETS.values()),
                  licence=opendata.LICENCE, rounds=opendata.support_rounds_of(g.commune), today=phases.today())


@bp.get(f"/<commune>/open-data/<{_DATASET}>.<any(csv, json):fmt>")
@public
def download(dataset, fmt, **_):
    commune = g.commune
    plan = phases.current_plan(commune)
    records = opendata.rows(dataset, commune, plan)
    now = utcnow()
    name = opendata.file_name(commune, dataset, phases.today(), fmt)
    if fmt == "csv":
        body = opendata.to_csv(opendata.dataset(dataset).names, records)
        response = _download(body, "text/csv", name)
        response.headers["Link"] = (f'<{url_for("opendata.csv_metadata", dataset=dataset, _external=True)}>; '
                                    'rel="describedby"; type="application/csvm+json"')
        return response
    url = url_for("opendata.download", dataset=dataset, fmt="json", _external=True)
    return _download(opendata.to_json(commune, dataset, records, url=url, generated_at=now), "application/json", name)


@bp.get(f"/<commune>/open-data/<{_DATASET}>.csv-metadata.json")
@public
def csv_metadata(dataset, **_):
    commune = g.commune
    body = opendata.csv_metadata(
        commune, dataset, csv_url=url_for("opendata.download", dataset=dataset, fmt="csv", _external=True),
        dictionary_url=url_for("opendata.index", _external=True), generated_at=utcnow())
    name = opendata.file_name(commune, dataset, phases.today(), "csv-metadata.json")
    return _download(body, "application/csvm+json", name, disposition="inline")


@bp.get("/<commune>/open-data/support-rounds/<int:round_id>.pb")
@public
def support_round_pb(round_id, **_):
    commune = g.commune
    body = opendata.support_round_pb(commune, round_id)
    name = opendata.file_name(commune, f"support-round-{round_id}", phases.today(), "pb")
    return _download(body, "text/plain", name)
