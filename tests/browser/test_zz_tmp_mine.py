import pytest
from tests.browser.conftest import axe_check, set_language, sign_in
from tests.conftest import make_association, make_idea, make_user
from extensions import db
pytestmark = pytest.mark.browser

def _setup(commune, admin):
    from services import moderation, notifications, audit
    from tests.test_moderation import make_comment
    rep = make_user(commune, roles=("resident",))
    make_association(commune, rep, verified=False, name="جمعية الشباب")
    idea = make_idea(commune, rep, title="إحداث حديقة للقرب", status="submitted")
    c = make_comment(idea, rep, body="تعليق")
    u = make_user(commune, roles=("resident",))
    moderation.report(u, commune.id, "comment", c.id, "insult")
    moderation.report(u, commune.id, "idea", idea.id, "spam", "note")
    moderation.decide(admin, commune.id, "idea", make_idea(commune, admin, title="x").id, "reject", "سبب")
    notifications.notify(admin.id, "idea_rejected", commune_id=commune.id, idea_id=idea.id, title="عنوان", reason="سبب")
    db.session.commit()
    return {"idea_id": idea.id}

PATHS = ["/tetouan/admin", "/tetouan/admin/axes", "/tetouan/admin/axes/new", "/tetouan/admin/axes/1", "/tetouan/admin/plan",
         "/tetouan/admin/roles", "/tetouan/admin/associations", "/tetouan/admin/audit", "/tetouan/moderation",
         "/me/notifications", "/tetouan/me", "/tetouan/associations/new", "/tetouan/report/comment/1", "/tetouan/report/idea/{idea_id}"]

@pytest.mark.parametrize("lang", ["ar", "zgh"])
@pytest.mark.parametrize("path", PATHS)
def test_mine(path, lang, app, commune, live_server, context, page):
    admin = make_user(commune, roles=("admin", "moderator", "resident"))
    values = _setup(commune, admin)
    sign_in(page, admin)
    set_language(context, live_server, lang)
    r = page.goto(path.format(**values))
    assert r.status == 200, path
    assert page.locator("h1").count() == 1
    axe_check(page)
