"""The one settings module. Every knob comes from an environment variable with a safe default.

Embedded default: SQLite (WAL) under the data folder, local-memory cache, eager tasks.
At scale: DATABASE_URL=postgres://…, REDIS_URL=redis://… (see docs/operations.md).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import dj_database_url

from yiwang.sso.keys import oidc_private_key
from yiwang.sso.scopes import SCOPES as SSO_SCOPES

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("YIWANG_DATA_DIR", REPO_DIR / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


def _secret_key() -> str:
    """Secret from the environment; otherwise one generated once into the data folder (never the repo)."""
    if key := os.environ.get("YIWANG_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("YIWANG_DEBUG", False)
ALLOWED_HOSTS = _env_list("YIWANG_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _env_list("YIWANG_CSRF_TRUSTED_ORIGINS", "")

# Which node this deployment is: its region code (a province by default: the demo province).
YIWANG_REGION_CODE = os.environ.get("YIWANG_REGION_CODE", "330000")
# Parallel audit chains (core.audit): about the number of concurrently writing threads is enough.
YIWANG_AUDIT_CHAINS = int(os.environ.get("YIWANG_AUDIT_CHAINS", "16"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "yiwang.core",
    "yiwang.accounts",
    "yiwang.sso",  # before oauth2_provider, so our consent template wins
    "oauth2_provider",
    "yiwang.catalog",
    "yiwang.cases",
    "yiwang.search",
    "yiwang.appointments",
    "yiwang.payments",
    "yiwang.licences",
    "yiwang.exchange",
    "yiwang.reviews",
    "yiwang.interaction",
    "yiwang.supervision",
    "yiwang.assessment",
    "yiwang.opendata",
    "yiwang.federation",
    "yiwang.workbench",
    "yiwang.web",
]

MIDDLEWARE = [
    "yiwang.core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "yiwang.core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "yiwang.accounts.middleware.StaffSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "yiwang.urls"
WSGI_APPLICATION = "yiwang.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yiwang.web.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url:
    # Health checks catch a connection the server closed (restart, failover) before a request uses it;
    # on a sound connection they cost a socket poll, not a round trip (see the backend below).
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url,
            conn_max_age=int(os.environ.get("YIWANG_DB_CONN_MAX_AGE", "600")),
            conn_health_checks=_env_bool("YIWANG_DB_HEALTH_CHECKS", True),
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that polls the socket instead of sending SELECT 1 on a
        # sound connection (yiwang/core/dbbackends/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "yiwang.core.dbbackends.postgresql"
    if DATABASES["default"]["ENGINE"] == "yiwang.core.dbbackends.postgresql" and _env_bool(
        "YIWANG_DB_PREPARED_STATEMENTS", False
    ):
        # Opt-in (docs/benchmarks.md, "Prepared statements"): server-side binding lets psycopg prepare a
        # statement after 2 runs on a connection. The catalogue's list SQL carries its values as literals,
        # so its plan is made once per connection (planning cost more than running it). Every statement
        # with parameters is still planned for its values (force_custom_plan): a generic plan took the
        # workbench's "to decide" count from 19 ms to 2.2 s on skewed data. Off under a transaction-pooling
        # PgBouncer, which cannot keep prepared statements; the test suite runs with it off.
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            {
                "server_side_binding": True,
                "prepare_threshold": 2,
                "options": "-c plan_cache_mode=force_custom_plan",
            }
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("YIWANG_SQLITE_PATH", str(DATA_DIR / "yiwang.sqlite3")),
            # Keep each thread's connection (and its page cache and PRAGMAs) between requests: reopening
            # SQLite per request cost the catalogue API ~80% of its throughput (docs/benchmarks.md).
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
                # two writers queue instead of failing on a lock upgrade.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                    " PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------------
_redis_url = os.environ.get("REDIS_URL", "").strip()
# Each pytest-xdist worker has its own test database, so its cache keys must never meet another worker's.
_cache_prefix = os.environ.get("YIWANG_CACHE_PREFIX", "yiwang") + os.environ.get("PYTEST_XDIST_WORKER", "")
if _redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _redis_url,
            "KEY_PREFIX": _cache_prefix,
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": _cache_prefix}
    }

# --- Accounts and security ------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "yiwang.accounts.hashers.OwaspArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "yiwang.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:signin"
LOGIN_REDIRECT_URL = "accounts:me"
# SMS gateway: "file" (data/sms-outbox.log, development), "console", or a dotted path to a gateway class.
YIWANG_SMS_GATEWAY = os.environ.get("YIWANG_SMS_GATEWAY", "file")
# E-mail notices: files in data/mail/ unless an SMTP relay is configured (Django's default would try an
# SMTP server on localhost:25 and log a failure for every notice).
EMAIL_HOST = os.environ.get("YIWANG_EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(os.environ.get("YIWANG_EMAIL_PORT", "465"))
    EMAIL_HOST_USER = os.environ.get("YIWANG_EMAIL_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("YIWANG_EMAIL_PASSWORD", "")
    EMAIL_USE_SSL = EMAIL_PORT == 465
    EMAIL_USE_TLS = not EMAIL_USE_SSL and _env_bool("YIWANG_EMAIL_STARTTLS", True)
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("YIWANG_EMAIL_FROM", "一网通办 <noreply@localhost>")
# OpenID Connect provider (yiwang.sso, django-oauth-toolkit): RS256 key from env or the data folder.
# Named explicitly so our migrations can depend on the (swappable) token model.
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"  # noqa: S105 - a model name
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": oidc_private_key(DATA_DIR),
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "PKCE_REQUIRED": True,
    "OAUTH2_VALIDATOR_CLASS": "yiwang.sso.validators.YiwangValidator",
    "SCOPES": SSO_SCOPES,
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": 900,
    "ROTATE_REFRESH_TOKEN": True,
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("YIWANG_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The public catalogue API keeps its answers in each process's memory (catalog.readcache), at most this
# many MiB per process (0: off), and reads the catalogue change marker from the database at most once per
# this many seconds: another process serves a publication or withdrawal within about that interval.
YIWANG_CATALOG_READ_CACHE_MB = float(os.environ.get("YIWANG_CATALOG_READ_CACHE_MB", "32"))
YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS = float(
    os.environ.get("YIWANG_CATALOG_READ_CACHE_CHECK_SECONDS", "1")
)

# Rate limits on public APIs: requests per minute per client address.
YIWANG_PUBLIC_API_RATE = int(os.environ.get("YIWANG_PUBLIC_API_RATE", "600"))
# Proxies (addresses or networks) whose X-Forwarded-For header is believed; empty: use REMOTE_ADDR only.
YIWANG_TRUSTED_PROXIES = _env_list("YIWANG_TRUSTED_PROXIES", "")

# Identity registries (accounts.registries): the built-in tables, or — in production and in `make demo` —
# the population and legal-entity registries read through the data-sharing gateway, every check a
# granted, logged call (docs/apps/exchange.md).
YIWANG_POPULATION_REGISTRY = os.environ.get(
    "YIWANG_POPULATION_REGISTRY", "yiwang.accounts.registries.BuiltinPopulationRegistry"
)
YIWANG_LEGAL_ENTITY_REGISTRY = os.environ.get(
    "YIWANG_LEGAL_ENTITY_REGISTRY", "yiwang.accounts.registries.BuiltinLegalEntityRegistry"
)

# Federation (docs/apps/federation.md, federation-identity.md): unset YIWANG_NODE_CODE = a standalone
# deployment. The hub's OIDC client credentials for this node, and other peers' (JSON: {code: {…}}).
YIWANG_HUB_OIDC_CLIENT_ID = os.environ.get("YIWANG_HUB_OIDC_CLIENT_ID", "")
YIWANG_HUB_OIDC_CLIENT_SECRET = os.environ.get("YIWANG_HUB_OIDC_CLIENT_SECRET", "")
YIWANG_PEER_OIDC_CLIENTS = json.loads(os.environ.get("YIWANG_PEER_OIDC_CLIENTS", "{}") or "{}")
YIWANG_NODE_CODE = os.environ.get("YIWANG_NODE_CODE", "").strip()
YIWANG_NODE_NAME = os.environ.get("YIWANG_NODE_NAME", "").strip()
YIWANG_NODE_ROLE = os.environ.get("YIWANG_NODE_ROLE", "node").strip()
YIWANG_NODE_URL = os.environ.get("YIWANG_NODE_URL", "").strip()

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("zh-hant", "繁體中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every start when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Logging: one JSON object per line ------------------------------------------------------------
LOG_LEVEL = os.environ.get("YIWANG_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "yiwang.core.logs.json_formatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # Eager tasks (no broker: the embedded default) would log every run at INFO.
        "celery.app.trace": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        "jieba": {"level": "WARNING"},
    },
}
