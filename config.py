"""Configuration classes, read from the environment.

Development and testing have safe defaults; production refuses to start
without SECRET_KEY (and never falls back to a key written in the code).
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Shared settings. Subclasses only change what differs."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or (
        "sqlite:///" + str(BASE_DIR / "instance" / "tasharuk.sqlite")
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    REDIS_URL = os.environ.get("REDIS_URL")

    # Sessions: the cookie only carries a random session id checked server-side.
    SESSION_COOKIE_NAME = "tasharuk_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    # Writing last_seen on every request would turn reads into writes.
    SESSION_TOUCH_INTERVAL = timedelta(seconds=60)

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token is tied to the session, which expires itself
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    BABEL_DEFAULT_LOCALE = "ar"
    BABEL_DEFAULT_TIMEZONE = "Africa/Casablanca"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    LANGUAGES = ("ar", "fr", "zgh", "en")
    LANGUAGE_COOKIE = "tasharuk_lang"
    # Language of messages rendered outside a request (CLI output, background work).
    OFFLINE_LANGUAGE = os.environ.get("TASHARUK_OFFLINE_LANGUAGE", "ar")

    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust
    # (0 = none). Behind one nginx, set TRUSTED_PROXIES=1 so rate limits see real client IPs.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

    # Public pages for visitors not signed in are kept this many seconds (0: off) and shared
    # through Redis when REDIS_URL is set (blueprints/_page_cache.py). Content changes show at
    # once; support and signature counts on those copies may be this many seconds old.
    PUBLIC_CACHE_SECONDS = int(os.environ.get("PUBLIC_CACHE_SECONDS", "10"))
    PUBLIC_CACHE_MAX_MB = int(os.environ.get("PUBLIC_CACHE_MAX_MB", "32"))  # per process, without Redis

    IDEAS_PER_PAGE = 20
    HSTS = False

    # E-mail digests of notifications (services/mailer.py; README "E-mail"). No MAIL_SERVER:
    # nothing is mailed, notifications stay in-app only.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_FROM = os.environ.get("MAIL_FROM", "tasharuk@localhost")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "20"))  # seconds, per SMTP operation
    MAIL_DIGEST_MINUTES = int(os.environ.get("MAIL_DIGEST_MINUTES", "60"))  # at most one e-mail per person per window
    MAIL_MAX_ATTEMPTS = int(os.environ.get("MAIL_MAX_ATTEMPTS", "8"))  # then the digest is kept as failed
    MAIL_RETRY_MINUTES = int(os.environ.get("MAIL_RETRY_MINUTES", "5"))  # first retry delay, doubled each time
    MAIL_WORKER = os.environ.get("MAIL_WORKER", "")  # "thread": send from a daemon thread of the app process
    MAIL_WORKER_INTERVAL = int(os.environ.get("MAIL_WORKER_INTERVAL", "60"))  # seconds between passes
    # Links in e-mails are absolute: the address people reach the platform at.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000")

    @classmethod
    def check(cls) -> None:
        """Raise if the configuration is unsafe for this environment."""


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    # A development-only key: fine on a laptop, refused in production below.
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret-change-me"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    # Service tests read the English msgids of the messages they expect.
    OFFLINE_LANGUAGE = "en"
    # Tests read their own writes at once; the page cache's tests turn it on themselves.
    PUBLIC_CACHE_SECONDS = 0
    # Mail tests start their own SMTP server and set these themselves.
    MAIL_SERVER = None
    MAIL_WORKER = ""


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    HSTS = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def check(cls) -> None:
        if not os.environ.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY must be set in the environment in production "
                "(generate one with: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        cls.SECRET_KEY = os.environ["SECRET_KEY"]


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("TASHARUK_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError as exc:
        raise RuntimeError(f"TASHARUK_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from exc
