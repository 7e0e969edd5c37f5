"""Accounts: the password policy, hashing, identifiers, registration, sign-in, sign-out,
joining a commune, the account page and password change (SECURITY.md §4, without TOTP)."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from markupsafe import escape
from sqlalchemy import func, select

from extensions import db
from models import Membership, User, UserSession
from services import accounts
from services.errors import Conflict, ServiceError
from tests.conftest import DEFAULT_PASSWORD, csrf_token, login, make_user, post

REAL_HASHER = accounts._hasher
GOOD_PASSWORD = "olive-lantern-river-42"
NEXT_ATTACKS = ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)",
                "http:/evil.example", " //evil.example", "/\r\nLocation: https://evil.example",
                "\\\\evil.example", "evil.example/path", "/\t/evil.example"]


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    """Cheap argon2id parameters for speed; tests about parameters put the real hasher back."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture()
def in_request(app):
    """Lazy messages are translated in a request (English, the msgids these tests read)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.fixture()
def client(isolated_client):
    # Each request in its own app context: no current_user cached from one request to the next.
    return isolated_client


def count_users() -> int:
    db.session.rollback()  # read what the requests committed, not an old snapshot
    return db.session.scalar(select(func.count(User.id)))


def field_error(html: str, field: str) -> str | None:
    """The error message shown under a field (templates/_partials/form_field.html)."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return match.group(1).strip() if match else None


def input_tag(html: str, field: str) -> str:
    match = re.search(rf'<input [^>]*\bid="{field}"[^>]*>', html)
    assert match, f"no input {field}"
    return match.group(0)


def without_csrf_signature(response) -> str:
    """The body with the CSRF token's signed form blanked: it carries a timestamp (same session token)."""
    return re.sub(r'(name="csrf[-_]token"[^>]*?(?:content|value)=")[^"]*', r"\1", response.get_data(as_text=True))


def register_data(**overrides):
    data = {
        "display_name": "Salma Bennani",
        "identifier": "salma@example.com",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def sign_in(client, identifier, password=DEFAULT_PASSWORD, **kwargs):
    return post(client, "/login", {"identifier": identifier, "password": password}, **kwargs)


# --- the password policy (service) ----------------------------------------------------------

@pytest.mark.parametrize(
    ("password", "staff", "refused"),
    [
        ("lune-vent-ma", False, False),  # 12: the resident minimum
        ("lune-vent-m", False, True),  # 11
        ("x7" + "lune-vent-ma" * 10 + "abcdef", False, False),  # 128
        ("x7" + "lune-vent-ma" * 10 + "abcdefg", False, True),  # 129
        ("lune-vent-mar-", True, True),  # 14 for staff
        ("lune-vent-mare-", True, False),  # 15 for staff
    ],
)
def test_password_length_bounds(password, staff, refused):
    assert (accounts.password_problem(password, staff=staff) is not None) is refused


def test_common_passwords_are_refused_whatever_the_case(in_request):
    assert "1q2w3e4r1234" in accounts.common_passwords()
    for password in ("1q2w3e4r1234", "1Q2W3E4R1234", "aaaaaaaaaaaaaaa", "abababababababab"):
        problem = accounts.password_problem(password)
        assert problem is not None and "common" in str(problem)


@pytest.mark.parametrize(
    "password",
    ["salma-bennani-1", "my bennani pass", "salma.b@example.com!", "0612345678-abc", "212612345678xyz",
     "i-love-tetouan-2026", "tasharuk-rocks!!", "ⵜⵉⵟⵟⴰⵡⵉⵏ-ⵜⵉⵟⵟⴰⵡⵉⵏ"],
)
def test_context_passwords_are_refused(commune, in_request, password):
    context = accounts.context_words("Salma Bennani", "salma.b@example.com", commune)
    context += accounts.context_words("Salma Bennani", "+212612345678", commune)
    problem = accounts.password_problem(password, context=context)
    assert problem is not None and "must not contain" in str(problem)


def test_an_unrelated_password_is_accepted_with_context(commune):
    context = accounts.context_words("Salma Bennani", "+212612345678", commune)
    assert accounts.password_problem(GOOD_PASSWORD, context=context) is None


# --- hashing ----------------------------------------------------------------------------------

def test_stored_hash_is_argon2id_with_current_parameters(monkeypatch, commune):
    monkeypatch.setattr(accounts, "_hasher", REAL_HASHER)
    user = accounts.register(commune=commune, identifier="hash@example.com", display_name="Hash Test",
                             password=GOOD_PASSWORD, consent=True, locale="ar")
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    assert not REAL_HASHER.check_needs_rehash(user.password_hash)


def test_password_is_rehashed_at_sign_in_when_parameters_change(monkeypatch, commune):
    user = make_user(commune, email="rehash@example.com")
    old_hash = user.password_hash
    assert "m=1024,t=1,p=1" in old_hash
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert accounts.authenticate("rehash@example.com", DEFAULT_PASSWORD) is not None
    db.session.commit()
    assert user.password_hash != old_hash
    assert user.password_hash.startswith("$argon2id$v=19$m=2048,t=2,p=1$")
    # and the new hash still opens the account
    assert accounts.authenticate("rehash@example.com", DEFAULT_PASSWORD) is not None


def test_no_rehash_when_parameters_are_unchanged(commune):
    user = make_user(commune, email="same@example.com")
    old_hash = user.password_hash
    assert accounts.authenticate("same@example.com", DEFAULT_PASSWORD) is not None
    assert user.password_hash == old_hash


def test_dummy_hash_follows_the_current_parameters(monkeypatch):
    """Checking an unknown account costs the same as checking a real one."""
    monkeypatch.setattr(accounts, "_hasher", REAL_HASHER)
    assert not REAL_HASHER.check_needs_rehash(accounts._dummy_hash())
    other = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(accounts, "_hasher", other)
    assert not other.check_needs_rehash(accounts._dummy_hash())


def test_every_sign_in_checks_exactly_one_hash(monkeypatch, commune):
    make_user(commune, email="known@example.com")
    calls = []
    hasher = accounts._hasher

    class Spy:
        def verify(self, stored, password):
            calls.append(stored)
            return hasher.verify(stored, password)

        def __getattr__(self, name):
            return getattr(hasher, name)

    monkeypatch.setattr(accounts, "_hasher", Spy())
    for identifier, password in [("known@example.com", "wrong-password-123"), ("nobody@example.com", "x" * 12),
                                 ("0612345678", "x" * 12), ("not an identifier", "x" * 12), ("", "")]:
        calls.clear()
        assert accounts.authenticate(identifier, password) is None
        assert len(calls) == 1, identifier


def test_same_password_typed_in_another_unicode_form_still_signs_in(commune):
    user = make_user(commune, email="unicode@example.com", password="كلمة-سر-طويلة-é")  # composed é
    assert accounts.authenticate("unicode@example.com", "كلمة-سر-طويلة-e\u0301") == user  # e + combining accent


# --- identifiers ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0612345678", "+212612345678"),
        ("06 12 34 56 78", "+212612345678"),
        ("06-12-34-56-78", "+212612345678"),
        ("+212 6 12 34 56 78", "+212612345678"),
        ("00212612345678", "+212612345678"),
        ("0712345678", "+212712345678"),
        ("0539123456", "+212539123456"),
        ("٠٦١٢٣٤٥٦٧٨", "+212612345678"),  # Arabic-Indic digits
        ("۰۶۱۲۳۴۵۶۷۸", "+212612345678"),  # Eastern Arabic-Indic digits
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0612345", None),
        ("0412345678", None),
        ("612345678", None),
        ("+212abc", None),
        ("", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert accounts.normalize_phone(raw) == expected


def test_parse_identifier():
    assert accounts.parse_identifier("  Salma.B@Example.COM ") == ("email", "salma.b@example.com")
    assert accounts.parse_identifier("0612345678") == ("phone", "+212612345678")
    for bad in ("salma@", "@example.com", "بريد", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "12ab", "a" * 250 + "@example.com"):
        with pytest.raises(ServiceError) as info:
            accounts.parse_identifier(bad)
        assert info.value.field == "identifier"


def test_login_key_is_lenient_and_rate_limit_key_is_normalised():
    # reserved test domains are refused at registration but still looked up at sign-in
    assert accounts.login_key("Person1@Example.TEST") == ("email", "person1@example.test")
    assert accounts.identifier_key("0612345678") == accounts.identifier_key("+212 6 12 34 56 78")
    assert accounts.identifier_key("Salma@Example.com") == accounts.identifier_key("salma@example.com ")
    assert accounts.identifier_key("foo") != accounts.identifier_key("bar")


# --- registration (service) -------------------------------------------------------------------

def test_register_service_refuses_duplicates_in_any_form(commune):
    accounts.register(commune=commune, identifier="0612345678", display_name="Phone Person",
                      password=GOOD_PASSWORD, consent=True, locale="fr")
    with pytest.raises(Conflict) as info:
        accounts.register(commune=commune, identifier="+212 6 12 34 56 78", display_name="Other",
                          password=GOOD_PASSWORD, consent=True, locale="fr")
    assert info.value.field == "identifier"


def test_register_service_requires_consent_and_plain_names(commune):
    with pytest.raises(ServiceError) as info:
        accounts.register(commune=commune, identifier="c@example.com", display_name="No Consent",
                          password=GOOD_PASSWORD, consent=False, locale="ar")
    assert info.value.field == "consent"
    with pytest.raises(ServiceError) as info:
        accounts.register(commune=commune, identifier="c@example.com", display_name="Evil\u202eName",
                          password=GOOD_PASSWORD, consent=True, locale="ar")
    assert info.value.field == "display_name"
    assert count_users() == 0


def test_register_service_gives_the_resident_role(commune):
    user = accounts.register(commune=commune, identifier="r@example.com", display_name="  Résidente  ",
                             password=GOOD_PASSWORD, consent=True, locale="zgh")
    assert user.display_name == "Résidente"
    assert user.roles_in(commune.id) == {"resident"}
    assert user.consented_at is not None and user.locale == "zgh"


# --- registration (HTTP) ----------------------------------------------------------------------

def test_register_page_names_the_data_controller_purpose_and_cndp_reference(client, commune):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)  # the Arabic default interface
    html = client.get("/tetouan/register").get_data(as_text=True)
    consent = re.search(r'<label for="consent">(.*?)</label>', html, re.S).group(1)
    assert commune.name_ar in consent  # the page is in Arabic by default
    assert "المسؤولة عن المعالجة" in consent and "برنامج عمل الجماعة" in consent  # controller, purpose
    assert commune.cndp_reference.replace("(", "") in consent.replace("(", "")
    assert "09-08" in consent
    assert 'autocomplete="name"' in html and 'autocomplete="username"' in html
    assert html.count('autocomplete="new-password"') == 2
    assert 'inputmode="email"' in html
    assert "12" in html  # the password rule, explained
    assert 'aria-describedby="password-hint"' in html


def test_register_page_as_htmx_fragment(client, commune):
    response = client.get("/tetouan/register", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and '<form method="post" action="/tetouan/register"' in html
    assert "HX-Request" in response.headers["Vary"]


def test_register_by_email_signs_in_and_goes_home(client, commune):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)  # the Arabic default interface
    response = post(client, "/tetouan/register", register_data())
    assert response.status_code == 303
    assert response.headers["Location"] == "/tetouan/"
    user = db.session.scalar(select(User).where(User.email == "salma@example.com"))
    assert user.roles_in(commune.id) == {"resident"} and user.locale == "ar"
    assert user.password_hash.startswith("$argon2id$")
    with client.session_transaction() as session:
        assert session["sid"] and session["_user_id"] == str(user.id)
    assert "حسابك جاهز" in client.get("/tetouan/").get_data(as_text=True)  # "Your account is ready", in Arabic
    assert client.get("/account").status_code == 200


def test_register_by_phone_normalises_the_number(client, commune):
    response = post(client, "/tetouan/register", register_data(identifier="0612345678"))
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.phone == "+212612345678"))
    assert user is not None and user.email is None


@pytest.mark.parametrize("identifier", ["salma@example.com", "SALMA@example.com"])
def test_register_duplicate_is_refused_next_to_the_field(client, commune, identifier):
    make_user(commune, email="salma@example.com")
    response = post(client, "/tetouan/register", register_data(identifier=identifier))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already uses this e-mail or phone" in field_error(html, "identifier")
    assert f'value="{identifier}"' in html and 'value="Salma Bennani"' in html
    assert GOOD_PASSWORD not in html
    assert count_users() == 1


BAD_REGISTRATIONS = [
    # (field with the error, overrides, words of the expected message)
    ("display_name", {"display_name": ""}, "Enter your name"),
    ("display_name", {"display_name": "   "}, "Enter your name"),
    ("display_name", {"display_name": "S"}, "at least 2"),
    ("display_name", {"display_name": "س" * 81}, "at most 80"),
    ("display_name", {"display_name": "<script>alert(1)</script>"}, "HTML tags"),
    ("display_name", {"display_name": '<img src=x onerror="alert(1)">'}, "HTML tags"),
    ("display_name", {"display_name": "javascript:alert(1)"}, "HTML tags"),
    ("display_name", {"display_name": "Salma\u202eanni"}, "direction-control"),
    ("display_name", {"display_name": "فاطمة\u2067الزهراء"}, "direction-control"),
    ("display_name", {"display_name": "Salma\x07B"}, "control characters"),
    ("identifier", {"identifier": ""}, "Enter your e-mail address or phone number"),
    ("identifier", {"identifier": "not-an-address"}, "valid e-mail address or phone"),
    ("identifier", {"identifier": "12345"}, "valid e-mail address or phone"),
    ("identifier", {"identifier": "0412345678"}, "valid e-mail address or phone"),
    ("identifier", {"identifier": "بريد إلكتروني"}, "valid e-mail address or phone"),
    ("identifier", {"identifier": "ⵜⴰⵎⴰⵣⵉⵖⵜ@ⵜⴰⵎⴰⵣⵉⵖⵜ"}, "valid e-mail address or phone"),
    ("identifier", {"identifier": '"><script>alert(1)</script>@x.ma'}, "valid e-mail address or phone"),
    ("identifier", {"identifier": "a" * 250 + "@example.com"}, "at most 254"),
    ("identifier", {"identifier": "salma\u202e@example.com"}, "valid e-mail address or phone"),
    ("password", {"password": "", "confirm": ""}, "Choose a password"),
    ("password", {"password": "lune-vent-m", "confirm": "lune-vent-m"}, "at least 12"),
    ("password", {"password": "x" + "lune-vent-ma" * 10 + "abcdefgh", "confirm": "x" + "lune-vent-ma" * 10 + "abcdefgh"},
     "at most 128"),
    ("password", {"password": "1q2w3e4r1234", "confirm": "1q2w3e4r1234"}, "too common"),
    ("password", {"password": "bennani-forever", "confirm": "bennani-forever"}, "must not contain"),
    ("password", {"password": "salma@example.com", "confirm": "salma@example.com"}, "must not contain"),
    ("password", {"password": "tetouan-ma-ville", "confirm": "tetouan-ma-ville"}, "must not contain"),
    ("confirm", {"confirm": "something-else-entirely"}, "not the same"),
    ("confirm", {"confirm": None}, "second time"),
    ("consent", {"consent": None}, "accept the processing"),
]


@pytest.mark.parametrize(("field", "overrides", "message"), BAD_REGISTRATIONS,
                         ids=[f"{f}-{i}" for i, (f, _o, _m) in enumerate(BAD_REGISTRATIONS)])
def test_register_bad_input_is_shown_next_to_the_field(client, commune, field, overrides, message):
    data = register_data(**overrides)
    response = post(client, "/tetouan/register", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, field)
    assert error is not None and message in error, (field, error)
    assert re.search(rf'aria-describedby="[^"]*\b{field}-error"', input_tag(html, field))
    assert "<script>alert(1)</script>" not in html and "onerror=\"alert" not in html
    # typed values come back (escaped), passwords never do
    for kept in ("display_name", "identifier"):
        typed = data[kept].strip()
        if typed:
            assert f'value="{escape(typed)}"' in input_tag(html, kept), kept
    assert 'aria-invalid="true"' in input_tag(html, field)
    assert not re.search(r'type="password" value="[^"]', html)
    if data.get("password"):
        assert data["password"] not in html.replace(str(escape(data["display_name"])), "").replace(
            str(escape(data["identifier"])), "")
    assert count_users() == 0


def test_register_keeps_arabic_and_tifinagh_text_on_error(client, commune):
    response = post(client, "/tetouan/register",
                    register_data(display_name="فاطمة الزهراء ⵜⵉⴼⴰⵡⵜ", password="short", confirm="short"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="فاطمة الزهراء ⵜⵉⴼⴰⵡⵜ"' in html
    assert 'dir="auto"' in html
    assert count_users() == 0


@pytest.mark.parametrize("name", ["فاطمة الزهراء", "ⵜⵉⴼⴰⵡⵜ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ", "Zineb El Alaoui-Ḥassani"])
def test_register_accepts_names_in_any_script(client, commune, name):
    response = post(client, "/tetouan/register", register_data(display_name=name))
    assert response.status_code == 303
    assert db.session.scalar(select(User.display_name)) == name
    assert f'<dd><bdi>{name}</bdi></dd>' in client.get("/account").get_data(as_text=True)


def test_register_as_htmx(client, commune):
    bad = post(client, "/tetouan/register", register_data(consent=None), htmx=True)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "<html" not in html and field_error(html, "consent")
    assert 'role="alert"' in html and "data-focus-after-swap" in html
    good = post(client, "/tetouan/register", register_data(), htmx=True)
    assert good.status_code == 204
    assert good.headers["HX-Redirect"] == "/tetouan/"
    assert count_users() == 1


def test_register_without_csrf_token_is_refused(client, commune):
    response = post(client, "/tetouan/register", register_data(), token=False)
    assert response.status_code == 400
    assert count_users() == 0


def test_registration_is_limited_per_ip(client, commune):
    token = csrf_token(client)
    for i in range(10):
        response = client.post("/tetouan/register", data=register_data(identifier=f"p{i}@example.com",
                                                                       csrf_token=token, consent=None))
        assert response.status_code == 400
    response = client.post("/tetouan/register", data=register_data(csrf_token=token))
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert count_users() == 0


def test_register_page_for_a_member_goes_home(client, commune):
    user = make_user(commune)
    login(client, user)
    response = client.get("/tetouan/register")
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"


# --- joining another commune ------------------------------------------------------------------

def _second_commune():
    from services import demo

    other, _plan = demo.create_commune(slug="chefchaouen")
    other.name_fr, other.cndp_reference = "Commune de Chefchaouen", "D-CH-42/2026"
    db.session.commit()
    return other


def test_join_another_commune_with_its_own_consent(client, commune):
    other = _second_commune()
    user = make_user(commune)
    login(client, user)
    page = client.get("/chefchaouen/register")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'action="/chefchaouen/join"' in html
    assert "D-CH-42/2026" in html
    refused = post(client, "/chefchaouen/join", {})
    assert refused.status_code == 400
    assert field_error(refused.get_data(as_text=True), "consent")
    db.session.rollback()
    assert db.session.get(User, user.id).roles_in(other.id) == frozenset()
    joined = post(client, "/chefchaouen/join", {"consent": "y"})
    assert joined.status_code == 303 and joined.headers["Location"] == "/chefchaouen/"
    db.session.expire_all()
    assert db.session.get(User, user.id).roles_in(other.id) == {"resident"}
    # joining twice keeps one role
    assert post(client, "/chefchaouen/join", {"consent": "y"}).status_code == 303
    assert db.session.scalar(select(func.count(Membership.id)).where(Membership.user_id == user.id)) == 2


def test_join_needs_a_signed_in_person_and_a_token(client, commune):
    _second_commune()
    anonymous = post(client, "/chefchaouen/join", {"consent": "y"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    user = make_user(commune)
    login(client, user)
    assert post(client, "/chefchaouen/join", {"consent": "y"}, token=False).status_code == 400


def test_join_service(commune):
    other = _second_commune()
    user = make_user(commune)
    with pytest.raises(ServiceError):
        accounts.join_commune(user, other, consent=False)
    accounts.join_commune(user, other)
    accounts.join_commune(user, other)
    db.session.commit()
    assert user.roles_in(other.id) == {"resident"}


# --- sign-in ----------------------------------------------------------------------------------

def test_login_page(client, commune):
    response = client.get("/login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert 'href="/tetouan/register"' in html
    fragment = client.get("/login", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'hx-post="/login"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("typed", ["salma@example.com", "  SALMA@Example.com "])
def test_login_by_email(client, commune, typed):
    make_user(commune, email="salma@example.com")
    response = sign_in(client, typed)
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("typed", ["0612345678", "+212 6 12 34 56 78", "٠٦١٢٣٤٥٦٧٨"])
def test_login_by_phone_in_any_form(client, commune, typed):
    make_user(commune, phone="+212612345678")
    assert sign_in(client, typed).status_code == 303
    assert client.get("/account").status_code == 200


def test_login_records_the_time(client, commune):
    user = make_user(commune)
    assert user.last_login_at is None
    login(client, user)
    db.session.expire_all()
    assert db.session.get(User, user.id).last_login_at is not None


def test_login_follows_a_local_next(client, commune):
    user = make_user(commune)
    page = client.get("/login?next=/tetouan/ideas%3Fpage%3D2").get_data(as_text=True)
    assert 'name="next" value="/tetouan/ideas?page=2"' in page
    response = post(client, "/login", {"identifier": user.email, "password": DEFAULT_PASSWORD,
                                       "next": "/tetouan/ideas?page=2"})
    assert response.headers["Location"] == "/tetouan/ideas?page=2"


@pytest.mark.parametrize("target", NEXT_ATTACKS)
def test_login_next_never_leaves_the_site(client, commune, target):
    user = make_user(commune)
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    login_form = page.split('<div id="login-region">', 1)[1].split("</form>", 1)[0]
    assert 'name="identifier"' in login_form
    assert "evil.example" not in login_form and "javascript:" not in login_form
    response = post(client, "/login", {"identifier": user.email, "password": DEFAULT_PASSWORD, "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/tetouan/"


def test_unknown_account_and_wrong_password_get_the_same_answer(client, commune):
    """The same identifier before and after the account exists: status and body identical."""
    unknown = sign_in(client, "later@example.com", "not-the-password")
    make_user(commune, email="later@example.com")
    wrong = sign_in(client, "later@example.com", "not-the-password")
    assert unknown.status_code == wrong.status_code == 400
    assert without_csrf_signature(unknown) == without_csrf_signature(wrong)
    assert "is not right" in wrong.get_data(as_text=True)
    # another unknown identifier differs only by the identifier typed back
    other = sign_in(client, "someone@example.com", "not-the-password")
    assert without_csrf_signature(other).replace("someone@", "later@") == without_csrf_signature(wrong)


def test_disabled_account_cannot_sign_in(client, commune):
    user = make_user(commune, email="off@example.com")
    user.active = False
    db.session.commit()
    response = sign_in(client, "off@example.com")
    assert response.status_code == 400 and "is not right" in response.get_data(as_text=True)


def test_sixth_bad_login_for_one_account_is_refused(client, commune):
    make_user(commune, email="target@example.com")
    make_user(commune, email="bystander@example.com")
    for typed in ["target@example.com", "TARGET@example.com", " target@example.com", "target@EXAMPLE.com",
                  "target@example.com"]:
        assert sign_in(client, typed, "guess-guess-guess").status_code == 400
    blocked = sign_in(client, "target@example.com", DEFAULT_PASSWORD)  # even the right password
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert sign_in(client, "bystander@example.com").status_code == 303


def test_phone_forms_share_one_limit(client, commune):
    make_user(commune, phone="+212612345678")
    for typed in ["0612345678", "+212612345678", "06 12 34 56 78", "00212612345678", "٠٦١٢٣٤٥٦٧٨"]:
        assert sign_in(client, typed, "guess-guess-guess").status_code == 400
    assert sign_in(client, "+212 612 345 678").status_code == 429


def test_form_typos_do_not_count_as_bad_logins(client, commune):
    user = make_user(commune, email="typo@example.com")
    for _ in range(6):
        assert sign_in(client, "typo@example.com", "").status_code == 400
    assert sign_in(client, user.email).status_code == 303


def test_twenty_first_login_from_one_ip_is_refused(client, commune):
    user = make_user(commune, email="real@example.com")
    for i in range(20):
        assert sign_in(client, f"nobody{i}@example.com", "guess-guess-guess").status_code == 400
    assert sign_in(client, user.email).status_code == 429


def test_successful_logins_do_not_use_up_the_limits(client, commune):
    user = make_user(commune)
    for _ in range(7):
        assert sign_in(client, user.email).status_code == 303


def test_login_without_csrf_token_is_refused(client, commune):
    user = make_user(commune)
    response = sign_in(client, user.email, token=False)
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_login_as_htmx(client, commune):
    user = make_user(commune)
    bad = sign_in(client, user.email, "wrong-wrong-wrong", htmx=True)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "<html" not in html
    assert 'role="alert"' in html and "is not right" in html
    assert f'value="{user.email}"' in html and "wrong-wrong-wrong" not in html
    good = sign_in(client, user.email, htmx=True)
    assert good.status_code == 204 and good.headers["HX-Redirect"] == "/tetouan/"


def test_login_page_when_signed_in_goes_on(client, commune):
    user = make_user(commune)
    login(client, user)
    response = client.get("/login?next=//evil.example")
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"


def test_person_without_commune_lands_on_the_site_home(client, commune):
    user = make_user(commune, roles=())
    response = login(client, user)
    assert response.headers["Location"] == "/"


# --- sign-out ---------------------------------------------------------------------------------

def test_logout_ends_the_session(client, commune):
    user = make_user(commune)
    login(client, user)
    response = post(client, "/logout", {"next": "/tetouan/"})
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"
    assert "You are signed out" in client.get("/tetouan/").get_data(as_text=True)
    db.session.rollback()
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert record.revoked_at is not None
    assert client.get("/account").status_code == 302
    with client.session_transaction() as session:
        assert "sid" not in session and "_user_id" not in session


@pytest.mark.parametrize("target", NEXT_ATTACKS)
def test_logout_next_stays_local(client, commune, target):
    login(client, make_user(commune))
    response = post(client, "/logout", {"next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/tetouan/"


def test_logout_without_csrf_token_is_refused(client, commune):
    login(client, make_user(commune))
    assert post(client, "/logout", {}, token=False).status_code == 400
    assert client.get("/account").status_code == 200


def test_logout_needs_a_signed_in_person(client, commune):
    response = post(client, "/logout", {})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logout_as_htmx(client, commune):
    login(client, make_user(commune))
    response = post(client, "/logout", {"next": "/tetouan/"}, htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/tetouan/"
    assert client.get("/account").status_code == 302


def test_header_shows_sign_out_with_a_local_next(client, commune):
    login(client, make_user(commune))
    html = client.get("/tetouan/").get_data(as_text=True)
    assert 'action="/logout"' in html and 'name="next" value="/tetouan/"' in html
    assert 'href="/account"' in html


# --- the account page -------------------------------------------------------------------------

def test_account_needs_sign_in(client, commune):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Faccount")


def test_account_shows_identity_and_roles_per_commune(client, commune):
    other = _second_commune()
    user = make_user(commune, roles=("resident", "moderator"), email="me@example.com", name="Amina <b>")
    user.phone = "+212612345678"
    db.session.add(Membership(user_id=user.id, commune_id=other.id, role="committee"))
    db.session.commit()
    login(client, user)
    client.set_cookie("tasharuk_lang", "en")
    html = client.get("/account").get_data(as_text=True)
    assert "Amina &lt;b&gt;" in html and "Amina <b>" not in html
    assert "me@example.com" in html and "+212612345678" in html
    assert "Commune de Tétouan" in html and "Commune de Chefchaouen" in html
    assert "Resident" in html and "Moderator" in html and "Committee member" in html
    assert 'action="/account/password"' in html
    assert "At least 15 characters" in html  # a staff member's rule


def test_account_page_as_htmx_fragment(client, commune):
    login(client, make_user(commune))
    response = client.get("/account", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'hx-post="/account/password"' in html


# --- changing the password --------------------------------------------------------------------

def _change(client, current=DEFAULT_PASSWORD, new=GOOD_PASSWORD, confirm=None, **kwargs):
    data = {"current_password": current, "new_password": new, "confirm": new if confirm is None else confirm}
    return post(client, "/account/password", data, **kwargs)


def test_change_password(client, commune):
    user = make_user(commune, email="change@example.com")
    login(client, user)
    response = _change(client)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    db.session.expire_all()
    assert accounts.authenticate("change@example.com", GOOD_PASSWORD) is not None
    assert accounts.authenticate("change@example.com", DEFAULT_PASSWORD) is None
    assert client.get("/account").status_code == 200  # this session goes on


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("wrong-current-pw", GOOD_PASSWORD, None, "current_password", "not right"),
        ("", GOOD_PASSWORD, None, "current_password", "current password"),
        (DEFAULT_PASSWORD, "lune-vent-m", None, "new_password", "at least 12"),
        (DEFAULT_PASSWORD, "1q2w3e4r1234", None, "new_password", "too common"),
        (DEFAULT_PASSWORD, "change-password-please", None, "new_password", "must not contain"),
        (DEFAULT_PASSWORD, DEFAULT_PASSWORD, None, "new_password", "different"),
        (DEFAULT_PASSWORD, GOOD_PASSWORD, "something-else-entirely", "confirm", "not the same"),
    ],
)
def test_change_password_refusals(client, commune, current, new, confirm, field, message):
    user = make_user(commune, email="change@example.com")
    old_hash = user.password_hash
    login(client, user)
    response = _change(client, current, new, confirm)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in (field_error(html, field) or ""), html[:3000]
    assert not re.search(r'type="password" value="[^"]', html)
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_staff_need_fifteen_characters(client, commune):
    user = make_user(commune, roles=("resident", "admin"))
    login(client, user)
    refused = _change(client, new="lune-vent-mar-")  # 14
    assert refused.status_code == 400
    assert "at least 15" in field_error(refused.get_data(as_text=True), "new_password")
    assert _change(client, new="lune-vent-mare-").status_code == 303  # 15


def test_change_password_as_htmx(client, commune):
    login(client, make_user(commune))
    response = _change(client, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'role="status"' in html and "Your password is changed" in html
    assert GOOD_PASSWORD not in html
    bad = _change(client, current="nope-nope-nope", htmx=True)
    assert bad.status_code == 400 and field_error(bad.get_data(as_text=True), "current_password")


def test_change_password_without_csrf_token_is_refused(client, commune):
    user = make_user(commune)
    old_hash = user.password_hash
    login(client, user)
    assert _change(client, token=False).status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == old_hash


def test_guessing_the_current_password_is_limited(client, commune):
    login(client, make_user(commune))
    for _ in range(5):
        assert _change(client, current="guess-guess-guess").status_code == 400
    assert _change(client).status_code == 429


def test_change_password_service_checks_the_current_one(commune):
    user = make_user(commune)
    with pytest.raises(ServiceError) as info:
        accounts.change_password(user, current="wrong", new=GOOD_PASSWORD, except_token=None)
    assert info.value.field == "current_password"

