"""The application factory: the only way to get an app. Nothing else global."""
from __future__ import annotations

import logging
import os

from flask import Flask, abort, g, render_template, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

import database
from config import Config, config_from_env
from extensions import babel, csrf, db, limiter, login_manager, migrate

# ar and fr are formatted as used in Morocco (CLDR ar_MA, fr_MA); zgh and en as they are.
FORMAT_LOCALES = {"ar": "ar_MA", "fr": "fr_MA", "zgh": "zgh", "en": "en"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'"
)


def select_language() -> str:
    """The interface language: explicit choice (cookie), then the person's setting, then the browser."""
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI, services and their tests
        return current_app.config["OFFLINE_LANGUAGE"]
    languages = current_app.config["LANGUAGES"]
    choice = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if choice in languages:
        return choice
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_locale() -> str:
    return FORMAT_LOCALES[select_language()]


def create_app(config: type[Config] | dict | None = None, overrides: dict | None = None) -> Flask:
    """Build an app from a config class (default: TASHARUK_ENV) plus optional overrides.

    `create_app({...})` is short for the environment's config with those overrides.
    """
    if isinstance(config, dict):
        config, overrides = None, config
    config_class = config or config_from_env()
    config_class.check()
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config_class)
    app.config.from_mapping(overrides or {})
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    logging.basicConfig(level=logging.INFO)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.session_protection = "basic"
    with app.app_context():
        database.configure_engine(db.engine)

    import models  # noqa: F401  (register the models with the metadata)

    _register_session_loader(app)
    _register_commune_urls(app)
    _register_access_check(app)
    _register_page_cache(app)
    _register_templates(app)
    _register_headers(app)
    _register_errors(app)
    _register_blueprints(app)
    _register_cli(app)
    return app


def _register_session_loader(app: Flask) -> None:
    from services import accounts

    from flask import current_app

    # login_manager is one object per process: read the config of the app serving the request,
    # not of the last app built (tests and tools build several).
    @login_manager.user_loader
    def load_user(user_id: str):
        config = current_app.config
        # The session, the person with their roles and their unread notifications: one statement.
        found = accounts.signed_in_person(
            session.get("sid"),
            int(user_id),
            idle=config["SESSION_IDLE_TIMEOUT"],
            absolute=config["SESSION_ABSOLUTE_TIMEOUT"],
            touch_every=config["SESSION_TOUCH_INTERVAL"],
        )
        if found is None:
            return None
        record, user, unread = found
        if not user.is_active:
            return None
        g.user_session = record
        g.unread_notifications = unread  # for this request only (blueprints/me: the account menu)
        return user


def _register_commune_urls(app: Flask) -> None:
    """`<commune>` in a URL is resolved once, before access checks, into g.commune."""
    from models import Commune
    from services import phases

    @app.url_value_preprocessor
    def pull_commune(endpoint, values):  # noqa: ARG001
        # This runs before any before_request function and makes the request's first query
        # (the commune), so the transaction kind must be chosen here: a POST that began
        # deferred would defeat BEGIN IMMEDIATE (see database.py).
        database.write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))
        g.commune = None
        if values and "commune" in values:
            slug = values.pop("commune")
            if request.method in ("GET", "HEAD"):  # a page: its current plan in the same statement
                g.commune = phases.commune_with_plan(slug)
            else:
                g.commune = db.session.scalar(select(Commune).where(Commune.slug == slug))
            if g.commune is None:
                abort(404)

    @app.teardown_request
    def forget_commune_plan(exc):  # noqa: ARG001
        phases.forget_plan(g.get("commune"))

    @app.url_defaults
    def add_commune(endpoint, values):
        if "commune" in values or not getattr(g, "commune", None):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "commune"):
            values["commune"] = g.commune.slug


def _register_access_check(app: Flask) -> None:
    from blueprints._access import PUBLIC, SIGNED_IN, declaration, second_factor_missing, step_up_redirect
    from services import access

    @app.before_request
    def enforce_access():
        # Safe methods start deferred (read) transactions; others BEGIN IMMEDIATE on SQLite.
        database.write_intent.set(request.method not in ("GET", "HEAD", "OPTIONS"))
        if request.endpoint is None or request.endpoint == "static":
            return None
        decl = declaration(app.view_functions.get(request.endpoint))
        if decl is None:
            app.logger.error("view %s declares no access rule: refused", request.endpoint)
            abort(403)
        kind, action = decl
        if kind == PUBLIC:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if kind == SIGNED_IN:
            return None
        commune = getattr(g, "commune", None)
        if not access.can(current_user, action, commune.id if commune else None):
            abort(403)
        if second_factor_missing(action):  # a committee/admin action in a session without TOTP
            return step_up_redirect()
        return None


def _register_page_cache(app: Flask) -> None:
    """Anonymous visitors' public pages from a short-lived shared cache (blueprints/_page_cache.py)."""
    from blueprints import _page_cache
    from blueprints._access import PUBLIC, declaration

    def is_public(endpoint: str | None) -> bool:
        decl = declaration(app.view_functions.get(endpoint)) if endpoint else None
        return decl is not None and decl[0] == PUBLIC

    _page_cache.init_app(app, is_public, select_language)


def _register_templates(app: Flask) -> None:
    from babel import Locale

    from blueprints._helpers import ButtonForm
    from blueprints._page_cache import csrf_token_value
    from services import access

    @app.context_processor
    def inject():
        lang = select_language()
        commune = getattr(g, "commune", None)
        user = current_user if current_user and current_user.is_authenticated else None
        return {
            "lang": lang,
            "text_dir": Locale.parse(FORMAT_LOCALES[lang]).text_direction,
            "languages": app.config["LANGUAGES"],
            "commune": commune,
            "roles": access.roles_of(user, commune.id if commune else None),
            "can": lambda action: access.can(user, action, commune.id if commune else None),
            "button_form": ButtonForm,
            "csrf_token_value": csrf_token_value,
        }

    from blueprints import labels
    from services import formatting

    app.jinja_env.filters["mad"] = formatting.mad
    app.jinja_env.filters["number"] = formatting.number
    app.jinja_env.filters["date"] = formatting.date
    app.jinja_env.filters["datetime"] = formatting.datetime_
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["phase_names"] = labels.PHASE_NAMES
    app.jinja_env.globals["labels"] = labels
    # The live mapping, not a copy: blueprints are registered after this runs.
    app.jinja_env.globals["url_endpoints"] = app.view_functions


def _register_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("HSTS"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Decided from the session, not current_user: loading the person here would query the
        # database after the response was built (and fail again when the database is down).
        loaded = g.get("_login_user")
        if "_user_id" in session or (loaded is not None and getattr(loaded, "is_authenticated", False)):
            h["Cache-Control"] = "private, no-store"
        response.vary.add("Cookie")
        return response


def _register_errors(app: Flask) -> None:
    from blueprints._helpers import is_htmx
    from services.errors import ServiceError

    messages = {
        400: _l("The request could not be understood. Check the form and try again."),
        403: _l("You are not allowed to do this."),
        404: _l("This page does not exist."),
        405: _l("This action is not available here."),
        413: _l("What you sent is too large."),
        429: _l("Too many attempts. Please wait a minute and try again."),
        500: _l("Something went wrong on our side. Nothing you sent was saved; please try again later."),
    }

    def page(status: int, message):
        template = "_partials/error.html" if is_htmx() else "error.html"
        return render_template(template, status=status, message=message), status

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        db.session.rollback()
        return page(exc.status, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        db.session.rollback()
        status = exc.code or 500
        if status in (301, 302, 303, 307, 308):
            return exc
        message = messages.get(status, messages[400] if status < 500 else messages[500])
        if status == 400 and "CSRF" in (exc.description or ""):
            message = _l("Your form expired or was sent from elsewhere. Reload the page and try again.")
        body, status = page(status, message)
        # Keep the exception's own headers (Allow on a 405, Retry-After on a 429), not its body.
        extra = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        return body, status, extra

    from sqlalchemy.exc import InterfaceError, OperationalError

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(exc):
        """Database down, unreachable or locked: a 503 page that needs no database itself."""
        try:
            db.session.rollback()  # nothing half-written stays; the connection may be gone already
        except Exception:  # noqa: BLE001
            app.logger.warning("rollback after a database error failed too", exc_info=True)
        if "_login_user" not in g:  # rendering must not ask the database who is signed in
            g._login_user = login_manager.anonymous_user()
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        # The route's pattern, not the path: a path may hold a token (password reset, unsubscribe).
        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        app.logger.error("database unavailable during %s %s: %s", request.method, route,
                         detail[0] if detail else type(exc).__name__)
        body, status = page(503, messages[500])
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return page(500, messages[500])

    @app.teardown_request
    def rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()
        # Outside requests (CLI, workers, tests) every transaction is a write transaction again.
        database.write_intent.set(True)


def _register_blueprints(app: Flask) -> None:
    from blueprints import registry

    for blueprint in registry.all_blueprints():
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from cli import register

    register(app)
