"""Starting a production database from the command line: `flask commune create`, `flask commune list`
and `flask admin create` (cli.py; the rules in services/communes.py)."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AuditEntry, Axis, Commune, Membership, Neighbourhood, Notification, Phase, Plan, User
from services import communes
from tests.conftest import TOTP_SECRET_SHOWN, fresh_totp_code, login, make_user, post

PASSWORD = "olive-harbour-minaret-42"  # 24 characters: the staff policy wants 15
ENV = "TASHARUK_ADMIN_PASSWORD"

TETOUAN = ["commune", "create", "--slug", "tetouan", "--name-ar", "جماعة تطوان", "--name-fr", "Commune de Tétouan",
           "--name-zgh", "ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ", "--population", "380787", "--cndp-reference", "D-GC-123/2026",
           "--contact-email", "Contact@Tetouan.ma", "--plan-start", "2023"]
CHEFCHAOUEN = ["commune", "create", "--slug", "chefchaouen", "--name-ar", "جماعة شفشاون",
               "--name-fr", "Commune de Chefchaouen", "--name-zgh", "ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵛⴼⵛⴰⵡⵏ", "--population", "42786",
               "--cndp-reference", "D-GC-456/2026", "--plan-start", "2023", "--plan-end", "2028"]

TABLES = (Commune, Plan, Phase, Axis, Neighbourhood, User, Membership, AuditEntry, Notification)


def _counts() -> dict[str, int]:
    db.session.rollback()  # read what the command committed
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def _with(args: list[str], option: str, value: str | None) -> list[str]:
    """`args` with `option` set to `value` (None: the option left out)."""
    out = list(args)
    if option in out:
        i = out.index(option)
        del out[i:i + 2]
    if value is not None:
        out += [option, value]
    return out


def _admin(runner, slug="tetouan", email="amina@tetouan.ma", name="Amina Benali", password=PASSWORD, *extra):
    return runner.invoke(args=["admin", "create", "--commune", slug, "--email", email, "--name", name, *extra],
                         env={ENV: password})


@pytest.fixture()
def tetouan(runner):
    result = runner.invoke(args=TETOUAN)
    assert result.exit_code == 0, result.output
    db.session.rollback()
    return db.session.scalar(select(Commune).where(Commune.slug == "tetouan"))


# --- flask commune create / list -------------------------------------------------------------------

def test_create_makes_the_commune_its_plan_and_six_phases_and_nothing_else(runner):
    result = runner.invoke(args=TETOUAN)
    assert result.exit_code == 0, result.output
    commune = db.session.scalar(select(Commune).where(Commune.slug == "tetouan"))
    assert (commune.name_ar, commune.name_fr, commune.name_zgh) == ("جماعة تطوان", "Commune de Tétouan",
                                                                    "ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ")
    assert commune.population == 380787 and commune.has_arrondissements is False
    assert commune.cndp_reference == "D-GC-123/2026" and commune.contact_email == "contact@tetouan.ma"
    plan = db.session.scalar(select(Plan).where(Plan.commune_id == commune.id))
    assert (plan.start_year, plan.end_year, plan.support_limit) == (2023, 2028, None)
    assert plan.title_ar == "برنامج عمل جماعة تطوان 2023–2028"
    assert "ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ" in plan.title_zgh and "Commune de Tétouan" in plan.title_fr
    got = sorted((p.kind, p.starts_on, p.ends_on) for p in plan.phases)
    assert got == sorted(communes.default_phase_dates(2023))
    assert {p.kind for p in plan.phases} == {"collection", "support", "assessment", "drafting", "adoption", "execution"}
    execution = next(p for p in plan.phases if p.kind == "execution")
    assert (execution.starts_on, execution.ends_on) == (date(2023, 1, 1), date(2028, 12, 31))
    counts = _counts()
    assert (counts["axis"], counts["neighbourhood"], counts["user_account"], counts["membership"]) == (0, 0, 0, 0)
    entry = db.session.scalar(select(AuditEntry))
    assert entry.action == "commune.create" and entry.actor_id is None and entry.commune_id == commune.id
    assert '"via":"command line"' in entry.details
    # what it created and the next step
    assert "Created the commune tetouan" in result.output and "2023–2028" in result.output
    assert "2022-02-01 to 2022-04-30" in result.output
    assert "flask admin create --commune tetouan" in result.output

    listing = runner.invoke(args=["commune", "list"])
    assert listing.exit_code == 0, listing.output
    line = next(row for row in listing.output.splitlines() if row.startswith("tetouan "))
    assert "2023–2028" in line and "Commune de Tétouan" in line and "ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ" in line
    assert line.split()[2] == "0"  # no administrator yet
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_list_on_an_empty_database(runner):
    result = runner.invoke(args=["commune", "list"])
    assert result.exit_code == 0 and "No commune yet" in result.output


def test_arrondissements_flag_and_plan_titles(runner):
    args = [*CHEFCHAOUEN, "--arrondissements", "--plan-title-fr", "PAC de Chefchaouen 2023-2028"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    commune = db.session.scalar(select(Commune).where(Commune.slug == "chefchaouen"))
    assert commune.has_arrondissements is True and commune.contact_email is None
    assert commune.plans[0].title_fr == "PAC de Chefchaouen 2023-2028"


BAD = [
    ("--slug", "Tetouan", "--slug: Use 2 to 60 lowercase letters"),
    ("--slug", "tet ouan", "--slug: Use 2 to 60"),
    ("--slug", "-tetouan", "--slug: Use 2 to 60"),
    ("--slug", "tet--ouan", "--slug: Use 2 to 60"),
    ("--slug", "t", "--slug: Use 2 to 60"),
    ("--slug", "tétouan", "--slug: Use 2 to 60"),
    ("--slug", "x" * 61, "--slug: Use 2 to 60"),
    ("--slug", "login", "--slug: “login” is used by the platform's own addresses"),
    ("--slug", "static", "--slug: “static” is used by the platform's own addresses"),
    ("--name-ar", "", "--name-ar: Enter the name in Arabic."),
    ("--name-fr", "   ", "--name-fr: Enter the name in French."),
    ("--name-fr", "Tétouan<script>alert(1)</script>", "--name-fr: "),
    ("--name-zgh", "", "--name-zgh: Enter the name in Amazigh"),
    ("--name-zgh", "Tamgunt n Tittawin", "--name-zgh: Write the Amazigh name in Tifinagh letters"),
    ("--name-zgh", "جماعة تطوان", "--name-zgh: Write the Amazigh name in Tifinagh letters"),
    ("--name-zgh", "ⵜⵉⵟⵟⴰⵡⵉⵏ x", "--name-zgh: Write the Amazigh name in Tifinagh letters"),
    ("--population", "0", "--population: Give the commune's population"),
    ("--population", "-380787", "--population: Give the commune's population"),
    ("--population", "380787000", "--population: Give the commune's population"),
    ("--cndp-reference", " ", "--cndp-reference: Enter the CNDP declaration"),
    ("--contact-email", "contact-at-tetouan", "--contact-email: Enter a valid e-mail address."),
    ("--plan-start", "2010", "--plan-start: The plan's first year must be from 2016"),
    ("--plan-start", "2203", "--plan-start: The plan's first year must be from 2016"),
    ("--plan-end", "2027", "--plan-end: A commune action plan covers 6 years"),
    ("--plan-end", "2029", "--plan-end: A commune action plan covers 6 years"),
    ("--plan-title-zgh", "Agharas n tigawt", "--plan-title-zgh: Write the Amazigh name in Tifinagh letters"),
    ("--plan-title-ar", "a" * 301, "--plan-title-ar: Use at most 300 characters."),
]


@pytest.mark.parametrize(("option", "value", "message"), BAD, ids=[f"{o}={v[:12]!r}" for o, v, _m in BAD])
def test_every_bad_value_is_refused_and_nothing_is_written(runner, option, value, message):
    before = _counts()
    result = runner.invoke(args=_with(TETOUAN, option, value))
    assert result.exit_code == 1, result.output
    assert f"Error: {message}" in result.output
    assert "Created" not in result.output
    assert _counts() == before


@pytest.mark.parametrize(("option", "value"), [("--name-zgh", None), ("--plan-start", None), ("--population", "many"),
                                               ("--cndp-reference", None)])
def test_missing_or_malformed_options_are_refused_by_click(runner, option, value):
    before = _counts()
    result = runner.invoke(args=_with(TETOUAN, option, value))
    assert result.exit_code == 2, result.output
    assert option in result.output
    assert _counts() == before


def test_running_create_twice_refuses_and_changes_nothing(runner, tetouan):
    before = _counts()
    again = runner.invoke(args=_with(_with(TETOUAN, "--population", "1"), "--name-fr", "Autre nom"))
    assert again.exit_code == 1, again.output
    assert "Error: --slug: A commune with the short name “tetouan” already exists: Commune de Tétouan" in again.output
    assert "Nothing was changed." in again.output
    assert _counts() == before
    commune = db.session.scalar(select(Commune).where(Commune.slug == "tetouan"))
    assert (commune.population, commune.name_fr) == (380787, "Commune de Tétouan")


def test_service_refuses_a_duplicate_slug_directly(app, tetouan):
    from services.errors import Conflict

    data = communes.NewCommune(slug="tetouan", name_ar="ب", name_fr="B", name_zgh="ⴱ", population=5,
                               cndp_reference="D-1", plan_start=2023)
    with pytest.raises(Conflict) as err:
        communes.create_commune(data, today=date(2026, 1, 1))
    assert err.value.field == "slug"


def test_default_phases_lay_out_the_year_before_the_plan_and_its_six_years():
    phases = communes.default_phase_dates(2029)
    assert [kind for kind, _s, _e in phases] == ["collection", "support", "assessment", "drafting", "adoption",
                                                 "execution"]
    for (_k, start, end), (_k2, next_start, _e2) in zip(phases, phases[1:]):
        assert start <= end < next_start  # in order, without overlap
    assert phases[0][1] == date(2028, 2, 1) and phases[4][2] == date(2028, 11, 30)
    assert (phases[5][1], phases[5][2]) == (date(2029, 1, 1), date(2034, 12, 31))


# --- flask admin create --------------------------------------------------------------------------

def test_admin_from_the_environment_variable(runner, tetouan):
    result = _admin(runner)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert "Created the account amina@tetouan.ma (Amina Benali), administrator of tetouan." in result.output
    user = db.session.scalar(select(User).where(User.email == "amina@tetouan.ma"))
    assert user.password_hash.startswith("$argon2id$")
    assert user.consented_at is not None and user.totp_secret is None and user.active
    assert user.roles_in(tetouan.id) == {"admin"}
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id, entry.commune_id, entry.target_id) == (
        "account.create_admin", None, tetouan.id, user.id)
    assert '"via":"command line"' in entry.details and '"role":"admin"' in entry.details
    line = next(r for r in runner.invoke(args=["commune", "list"]).output.splitlines() if r.startswith("tetouan "))
    assert line.split()[2] == "1"


def test_the_password_is_never_an_option(runner):
    result = runner.invoke(args=["admin", "create", "--help"])
    assert result.exit_code == 0 and "--password" not in result.output and ENV in result.output


@pytest.mark.parametrize(("password", "message"), [
    ("short-pass-12", "Use at least 15 characters."),                       # a resident's length, not staff's
    ("aaaaaaaaaaaaaaaaaaaa", "This password is too common."),
    ("tetouan-city-hall-2026", "must not contain your name"),             # the commune's name
    ("amina-benali-the-admin", "must not contain your name"),              # the person's name
])
def test_a_weak_password_is_refused_and_nothing_is_written(runner, tetouan, password, message):
    before = _counts()
    result = _admin(runner, password=password)
    assert result.exit_code == 1, result.output
    assert f"Error: {ENV}: " in result.output and message in result.output
    assert password not in result.output
    assert _counts() == before


def test_password_prompt_is_hidden_asked_twice_and_re_asked_when_weak(runner, tetouan):
    result = runner.invoke(
        args=["admin", "create", "--commune", "tetouan", "--email", "amina@tetouan.ma", "--name", "Amina Benali"],
        input=f"short\n{PASSWORD}\n{PASSWORD}\n", env={ENV: None})
    assert result.exit_code == 0, result.output
    assert "Use at least 15 characters." in result.output and "Repeat the password" in result.output
    assert PASSWORD not in result.output
    user = db.session.scalar(select(User).where(User.email == "amina@tetouan.ma"))
    from services import accounts
    assert accounts.verify_password(user, PASSWORD)


def test_password_prompt_mismatch_then_end_of_input_writes_nothing(runner, tetouan):
    before = _counts()
    result = runner.invoke(
        args=["admin", "create", "--commune", "tetouan", "--email", "amina@tetouan.ma", "--name", "Amina Benali"],
        input=f"{PASSWORD}\n{PASSWORD}-typo\n", env={ENV: None})
    assert result.exit_code == 1, result.output
    assert "do not match" in result.output
    assert _counts() == before


@pytest.mark.parametrize(("args", "message"), [
    (["--commune", "rabat", "--email", "amina@tetouan.ma", "--name", "Amina"],
     "Error: --commune: No commune has the short name “rabat”."),
    (["--commune", "tetouan", "--email", "amina-at-tetouan", "--name", "Amina"],
     "Error: --email: Enter a valid e-mail address."),
    (["--commune", "tetouan", "--email", "0612345678", "--name", "Amina"],
     "Error: --email: Enter a valid e-mail address."),
    (["--commune", "tetouan", "--email", "amina@tetouan.ma"], "Error: --name: Enter your name."),
    (["--commune", "tetouan", "--email", "amina@tetouan.ma", "--name", "<b>Amina</b>"], "Error: --name: "),
])
def test_admin_create_bad_input_is_refused(runner, tetouan, args, message):
    before = _counts()
    result = runner.invoke(args=["admin", "create", *args], env={ENV: PASSWORD})
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert _counts() == before


def test_grant_to_an_existing_resident_account_keeps_name_and_password(runner, tetouan):
    resident = make_user(tetouan, ("resident",), email="karim@tetouan.ma", name="Karim")
    old_hash = resident.password_hash
    before = _counts()
    result = runner.invoke(args=["admin", "create", "--commune", "tetouan", "--email", "Karim@Tetouan.MA",
                                 "--name", "Another Name"], env={ENV: None})  # no password asked
    assert result.exit_code == 0, result.output
    assert "Granted the administrator role of tetouan to the existing account karim@tetouan.ma" in result.output
    db.session.rollback()
    user = db.session.get(User, resident.id)
    assert user.roles_in(tetouan.id) == {"resident", "admin"}
    assert (user.display_name, user.password_hash) == ("Karim", old_hash)
    after = _counts()
    assert after["user_account"] == before["user_account"]
    assert after["membership"] == before["membership"] + 1
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id, entry.target_id) == ("role.grant", None, resident.id)
    assert '"via":"command line"' in entry.details
    note = db.session.scalar(select(Notification).where(Notification.user_id == resident.id))
    assert note.kind == "role_granted"

    again = runner.invoke(args=["admin", "create", "--commune", "tetouan", "--email", "karim@tetouan.ma"])
    assert again.exit_code == 1 and "is already an administrator of Commune de Tétouan" in again.output
    assert _counts() == after


def test_a_disabled_account_is_not_made_administrator(runner, tetouan):
    person = make_user(tetouan, ("resident",), email="off@tetouan.ma")
    person.active = False
    db.session.commit()
    before = _counts()
    result = runner.invoke(args=["admin", "create", "--commune", "tetouan", "--email", "off@tetouan.ma"])
    assert result.exit_code == 1 and "closed or disabled" in result.output
    assert _counts() == before


# --- the administrator on the web ---------------------------------------------------------------

def test_new_admin_sets_up_the_second_factor_then_reaches_the_admin_pages(runner, client, tetouan):
    assert _admin(runner).exit_code == 0
    user = db.session.scalar(select(User).where(User.email == "amina@tetouan.ma"))
    # the public pages of a commune without axes or neighbourhoods work
    for path in ("/tetouan/", "/tetouan/register", "/tetouan/ideas"):
        assert client.get(path).status_code == 200, path
    # The password alone leads to the second factor's set-up, not to the admin pages.
    first = post(client, "/login", {"identifier": "amina@tetouan.ma", "password": PASSWORD})
    assert first.status_code in (302, 303)
    assert urlsplit(first.headers["Location"]).path == "/login/second-factor/setup"
    assert client.get("/tetouan/admin").status_code in (302, 303, 401, 403)
    page = client.get("/login/second-factor/setup").get_data(as_text=True)
    secret = TOTP_SECRET_SHOWN.search(page).group(1).replace(" ", "")
    done = post(client, "/login/second-factor/setup", {"code": fresh_totp_code(user.id, secret)})
    assert done.status_code in (302, 303), done.get_data(as_text=True)[:300]
    db.session.rollback()
    assert db.session.get(User, user.id).totp_secret  # the second factor is now set up

    assert client.get("/tetouan/admin").status_code == 200
    audit_page = client.get("/tetouan/admin/audit").get_data(as_text=True)
    assert "Command line (server)" in audit_page and "Administrator account created" in audit_page
    assert "Commune and its action plan created" in audit_page
    plan_page = client.get("/tetouan/admin/plan")
    assert plan_page.status_code == 200 and "2022-02-01" in plan_page.get_data(as_text=True)
    # the admin pages that set up the rest: axes, neighbourhoods, roles, privacy
    for path in ("/tetouan/admin/axes/new", "/tetouan/admin/neighbourhoods/new", "/tetouan/admin/roles",
                 "/tetouan/admin/privacy"):
        assert client.get(path).status_code == 200, path


def test_two_communes_side_by_side_and_their_admins_stay_in_their_own(runner, client, tetouan):
    assert _admin(runner).exit_code == 0
    result = runner.invoke(args=CHEFCHAOUEN)
    assert result.exit_code == 0, result.output
    result = _admin(runner, "chefchaouen", "admin@chefchaouen.ma", "Rachid Ouazzani")
    assert result.exit_code == 0, result.output

    listing = runner.invoke(args=["commune", "list"]).output.splitlines()
    rows = {row.split()[0]: row.split() for row in listing[1:]}
    assert set(rows) == {"chefchaouen", "tetouan"}
    assert rows["chefchaouen"][1:3] == ["2023–2028", "1"] and rows["tetouan"][1:3] == ["2023–2028", "1"]

    other = db.session.scalar(select(User).where(User.email == "admin@chefchaouen.ma"))
    login(client, other, PASSWORD)
    assert client.get("/chefchaouen/admin").status_code == 200
    assert client.get("/tetouan/admin").status_code == 403
    assert client.get("/tetouan/admin/roles").status_code == 403
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
