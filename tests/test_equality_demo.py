"""The equality body's part of the Tetouan demo (services.demo_equality): the committee's response to
the body's opinion on the adopted version 1, an opinion on a project, a thematic one on disability,
all through the services (audit chain intact)."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from extensions import db

ARABIC = re.compile(r"[\u0600-\u06ff]")


def test_demo_has_three_opinions_and_a_response(app, client):
    from models import AuditEntry, Commune, EqualityOpinion, Notification, ProgrammeVersion, User
    from services import audit, demo, equality

    demo.seed_tetouan(n_ideas=300, seed=2023, n_residents=40)
    db.session.commit()
    commune = db.session.scalar(select(Commune).where(Commune.slug == "tetouan"))
    member = db.session.scalar(select(User).where(User.email == "observer@demo.tasharuk.ma"))
    chair = db.session.scalar(select(User).where(User.email == "committee@demo.tasharuk.ma"))
    assert "equality" in member.roles_in(commune.id)
    opinions = {o.subject_kind: o for o in equality.list_opinions(commune)}
    assert set(opinions) == {"version", "project", "theme"}
    on_version = opinions["version"]
    assert on_version.version.status == "adopted" and on_version.on_behalf
    assert on_version.responded and on_version.responded_by_id == chair.id and ARABIC.search(on_version.response_body)
    assert not opinions["project"].responded and not opinions["project"].on_behalf
    assert opinions["project"].signed_by == member.display_name and opinions["project"].recommendations
    assert opinions["theme"].theme == "disability" and ARABIC.search(opinions["theme"].title)
    assert "للولوجيات" in opinions["theme"].plan_title
    note = db.session.scalar(select(Notification).where(Notification.kind == "equality_response"))
    assert note.user_id == member.id and set(json.loads(note.params)["title"]) == {"ar", "fr", "zgh"}
    actions = [a for a in db.session.scalars(select(AuditEntry.action)) if a.startswith("equality.")]
    assert sorted(actions) == ["equality.opinion_published"] * 2 + ["equality.response_recorded"]
    assert audit.verify().ok
    # shown on the body's page and with the documents answered
    html = client.get("/tetouan/equality").get_data(as_text=True)
    assert "3 opinions" in html
    project_page = client.get(f"/tetouan/projects/{opinions['project'].project.code}").get_data(as_text=True)
    assert 'id="project-opinions-title"' in project_page
    version_page = client.get(f"/tetouan/programme/versions/{on_version.version_id}").get_data(as_text=True)
    assert "The committee's response" in version_page
    assert db.session.get(ProgrammeVersion, on_version.version_id).opinion.id == on_version.id
