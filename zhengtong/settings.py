"""Zhengtong settings: one module, every option read from the environment.

Each option is documented in docs/configuration.md (a test checks this).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from zhengtong.conf import ConfigurationError, env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Under pytest (which exports PYTEST_VERSION) the default is the test environment.
ENV = env_str("ZHENGTONG_ENV", "test" if os.environ.get("PYTEST_VERSION") else "development")
if ENV not in {"development", "test", "production"}:
    raise ConfigurationError(f"ZHENGTONG_ENV must be development, test or production, got {ENV!r}")
PRODUCTION = ENV == "production"
TESTING = ENV == "test"

VAR_DIR = Path(env_str("ZHENGTONG_VAR_DIR", str(BASE_DIR / "var")))
SECRET_KEY = env_secret("SECRET_KEY", var_dir=VAR_DIR, production=PRODUCTION)
# Key for keyed pseudonymization (HMAC-SHA256) of personal identifiers: never bare hashes.
PSEUDONYM_KEY = env_secret("PSEUDONYM_KEY", var_dir=VAR_DIR, production=PRODUCTION)
DEBUG = env_bool("DEBUG", default=ENV == "development")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
HTTPS = env_bool("ZHENGTONG_HTTPS", default=PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "ninja",
    "zhengtong.core",
    "zhengtong.audit",
    "zhengtong.accounts",
    "zhengtong.registry",
    "zhengtong.privacy",
    "zhengtong.seals",
    "zhengtong.datastore",
    "zhengtong.catalog",
    "zhengtong.services",
    "zhengtong.sharing",
    "zhengtong.payments",
    "zhengtong.notify",
    "zhengtong.workorders",
    "zhengtong.codes",
    "zhengtong.grid",
    "zhengtong.sandbox",
    "zhengtong.credit",
    "zhengtong.supervision",
    "zhengtong.identity",
    "zhengtong.workspace",
    "zhengtong.datause",
    "zhengtong.cockpit",
    "zhengtong.opengov",
    "zhengtong.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zhengtong.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "zhengtong.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhengtong.portal.middleware.PreferencesMiddleware",
    "zhengtong.portal.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "zhengtong.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Compress pages and API answers when the client accepts gzip. Production leaves it to the proxy
# (nginx `gzip on;`, docs/deployment.md) unless this is turned on. Django masks the CSRF token anew in
# every response, which defeats BREACH against it.
HTML_GZIP = env_bool("HTML_GZIP", default=not PRODUCTION)
if HTML_GZIP:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "django.middleware.gzip.GZipMiddleware",
    )

ROOT_URLCONF = "zhengtong.urls"
WSGI_APPLICATION = "zhengtong.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

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
                "zhengtong.portal.context_processors.portal",
            ],
        },
    }
]

# Databases: SQLite (embedded, WAL) by default, PostgreSQL through DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'zhengtong.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    Path(_db["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _db["CONN_MAX_AGE"] = 0
    _db["OPTIONS"] = {
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so concurrent writers
        # queue instead of failing half-way (and the audit chain stays a single line).
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file (not :memory:) so tests with threads see one database with real locking; one file
    # per test process so parallel runs never share it.
    _db["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
elif _db["ENGINE"] in {"django.db.backends.postgresql", "django.db.backends.postgresql_psycopg2"}:
    _db["ENGINE"] = "django.db.backends.postgresql"
    _db.setdefault("OPTIONS", {})
    if env_bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        # Parameters bound by the server, and a statement run 5 times on a connection is prepared
        # (parsed and planned once): measured, a third less database CPU per request on the hot
        # write paths. Turn off behind a transaction-pooling PgBouncer without prepared-statement
        # support.
        _db["OPTIONS"]["server_side_binding"] = True
        _db["OPTIONS"]["prepare_threshold"] = env_int("DATABASE_PREPARE_THRESHOLD", 5, minimum=0)
else:
    raise ConfigurationError("DATABASE_URL must be a sqlite:// or postgres:// URL")
DATABASES = {"default": _db}
# Read replicas (core.replicas, docs/deployment.md §9): PostgreSQL streaming replicas that GET pages
# and API lists read from when they have replayed the client's last write.
DATABASE_REPLICA_URLS = env_list("DATABASE_REPLICA_URLS", [])
DATABASE_REPLICA_MAX_LAG_SECONDS = env_int("DATABASE_REPLICA_MAX_LAG_SECONDS", 5, minimum=0)
DATABASE_REPLICA_PIN_SECONDS = env_int("DATABASE_REPLICA_PIN_SECONDS", 300, minimum=1)
DATABASE_REPLICA_PROBE_MS = env_int("DATABASE_REPLICA_PROBE_MS", 1000, minimum=0)
DATABASE_REPLICA_RETRY_SECONDS = env_int("DATABASE_REPLICA_RETRY_SECONDS", 30, minimum=0)
DATABASE_REPLICA_PRIMARY_PATHS = env_list(
    "DATABASE_REPLICA_PRIMARY_PATHS", ["/admin/", "/accounts/", "/oidc/", "/.well-known/"]
)
for _number, _replica_url in enumerate(DATABASE_REPLICA_URLS, start=1):
    _replica = dj_database_url.parse(_replica_url, conn_max_age=_db["CONN_MAX_AGE"])
    if _db["ENGINE"] != "django.db.backends.postgresql" or not _replica["ENGINE"].startswith(
        "django.db.backends.postgresql"
    ):
        raise ConfigurationError("DATABASE_REPLICA_URLS needs postgres:// URLs and a PostgreSQL DATABASE_URL")
    _replica["ENGINE"] = "django.db.backends.postgresql"
    _replica["OPTIONS"] = dict(_db["OPTIONS"])
    # Tests read the primary's test database through the replica aliases.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
DATABASE_ROUTERS = ["zhengtong.core.replicas.ReplicaRouter"] if DATABASE_REPLICA_URLS else []
if DATABASE_REPLICA_URLS:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("zhengtong.core.middleware.RequestContextMiddleware") + 1,
        "zhengtong.core.replicas.ReplicaReadsMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The shared cache behind core.cache and core.ratelimit (docs/configuration.md, "Cache").
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "zhengtong.core.rediscache.RedisCache", "LOCATION": REDIS_URL}}
elif TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    # Every process of one node shares these files: a get costs about 15 us, an incr about 0.2 ms
    # (measured; the database cache costs a query per get and needs createcachetable).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
# How often a process rereads a namespace version for values core.cache keeps in-process.
CACHE_LOCAL_REVALIDATE_SECONDS = env_int("CACHE_LOCAL_REVALIDATE_SECONDS", 2, minimum=0)
# How often a process adds the counts it tallied (core.ratelimit.tally: every answer's channel and
# status class) to the shared counters; 0 adds each at once (tests).
RATELIMIT_TALLY_FLUSH_SECONDS = env_int("RATELIMIT_TALLY_FLUSH_SECONDS", 0 if TESTING else 1, minimum=0)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 is deliberately slow; tests create many users. Production keeps Argon2 first.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:account"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 50, minimum=1)
REGISTRATIONS_PER_ADDRESS_PER_HOUR = env_int("REGISTRATIONS_PER_ADDRESS_PER_HOUR", 20, minimum=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "zhengtong.portal.views.auth.lockout_response"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp"]

SESSION_COOKIE_AGE = env_int("SESSION_MAX_AGE_SECONDS", 8 * 3600, minimum=300)
# Sessions in the database, read through the shared cache (a cache GET instead of a query on the
# hot paths; writes and deletions go to both, so a sign-out holds in every process at once).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every response (core.middleware.ContentSecurityPolicyMiddleware):
# scripts only from this origin (no inline scripts or handlers, no eval); inline style attributes
# are allowed (charts and swatches set them); empty turns the header off.
CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
)

# Maps (portal/static/portal/map.js): the base map's tiles. An XYZ URL template ({z}/{x}/{y}, also a
# WMTS KVP GetTile URL with TILEMATRIX={z}&TILEROW={y}&TILECOL={x}), {s} for a subdomain and {key}
# for MAP_TILES_KEY; empty: the boundaries are drawn on a plain background (nothing fetched outside).
MAP_TILES_URL = env_str("MAP_TILES_URL", "")
MAP_TILES_OVERLAY_URL = env_str("MAP_TILES_OVERLAY_URL", "")
MAP_TILES_KEY = env_str("MAP_TILES_KEY", "")
MAP_TILES_SUBDOMAINS = env_str("MAP_TILES_SUBDOMAINS", "abc")
MAP_TILES_ATTRIBUTION = env_str("MAP_TILES_ATTRIBUTION", "")
MAP_TILES_MAX_ZOOM = env_int("MAP_TILES_MAX_ZOOM", 18, minimum=1)


def _tile_source(url: str) -> str:
    """The CSP source of a tile URL template: scheme and host, a templated label becoming ``*``."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{", "%7B").replace("}", "%7D"))
    labels = parts.hostname.split(".") if parts.hostname else []
    if labels and "%7b" in labels[0].lower():
        labels[0] = "*"
    return f"{parts.scheme}://{'.'.join(labels)}" if labels else ""


# Tiles are images from another origin: the policy allows exactly that origin in img-src.
for _url in (MAP_TILES_URL, MAP_TILES_OVERLAY_URL):
    if _url and CONTENT_SECURITY_POLICY and (_src := _tile_source(_url)):
        CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self'", f"img-src 'self' {_src}", 1
        )

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "zhengtong" / "locale"]
LANGUAGE_COOKIE_NAME = "zt_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING or DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# Background tasks: django-tasks with its database backend (works on SQLite and PostgreSQL).
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default", "sla"],
    }
}

# Service levels: how many working days before a deadline a clock counts as due soon,
# and how often the worker scans the clocks.
SLA_DUE_SOON_DAYS = env_int("SLA_DUE_SOON_DAYS", 2, minimum=0)
SLA_SCAN_INTERVAL_SECONDS = env_int("SLA_SCAN_INTERVAL_SECONDS", 300, minimum=10)

# The transactional outbox (zhengtong.core.outbox): retries of a failed delivery, how long a first
# attempt may wait for the worker before the sweep makes it, and how often the worker sweeps.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 60, minimum=1)
OUTBOX_SWEEP_DELAY_SECONDS = env_int("OUTBOX_SWEEP_DELAY_SECONDS", 120, minimum=1)
OUTBOX_SWEEP_INTERVAL_SECONDS = env_int("OUTBOX_SWEEP_INTERVAL_SECONDS", 15, minimum=1)

# Working days a registry holder's correction request (数据纠错) may take.
REGISTRY_CORRECTION_DAYS = env_int("REGISTRY_CORRECTION_DAYS", 5, minimum=1)

API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90, minimum=1)
if API_TOKEN_DEFAULT_DAYS > 366:
    raise ConfigurationError("API_TOKEN_DEFAULT_DAYS must be at most 366")
# Seconds a person's record (and the userinfo claims and API grants derived from it) is kept per
# process for bearer calls; every change of the person or their role grants drops it at once
# (CACHE_LOCAL_REVALIDATE_SECONDS in other processes). 0: read on every call.
ACCOUNTS_USER_CACHE_SECONDS = env_int("ACCOUNTS_USER_CACHE_SECONDS", 60, minimum=0)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200, minimum=50)
# How many reverse proxies (nginx, load balancer) stand in front of the web nodes: the client
# address is then read from X-Forwarded-For. 0 trusts REMOTE_ADDR only.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

TOTP_ISSUER = env_str("TOTP_ISSUER", "Zhengtong")
REGION_CODE = env_str("ZHENGTONG_REGION_CODE", "330000")
SITE_NAME = _("Zhengtong digital government")

# Error reports (the development 500 page, error e-mails) hide connection URLs too: they hold passwords.
DEFAULT_EXCEPTION_REPORTER_FILTER = "zhengtong.core.debug.ExceptionReporterFilter"

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# The task queue logs two lines per task run (enqueued/started, finished); the worker's scheduled
# loops make that a flood at INFO, so it has its own level (failures are logged at WARNING/ERROR).
TASKS_LOG_LEVEL = env_str("TASKS_LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"pii": {"()": "zhengtong.core.logging.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["pii"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": TASKS_LOG_LEVEL},
        "django_tasks_db": {"level": TASKS_LOG_LEVEL},
    },
}

# Each module's own settings (read from the environment through zhengtong.conf, so they are in
# DECLARED and documented in docs/configuration.md) live in zhengtong/<module>/settings.py.
from zhengtong.audit.settings import *  # noqa: E402,F403
from zhengtong.catalog.settings import *  # noqa: E402,F403
from zhengtong.cockpit.settings import *  # noqa: E402,F403
from zhengtong.codes.settings import *  # noqa: E402,F403
from zhengtong.credit.settings import *  # noqa: E402,F403
from zhengtong.datastore.settings import *  # noqa: E402,F403
from zhengtong.datause.settings import *  # noqa: E402,F403
from zhengtong.grid.settings import *  # noqa: E402,F403
from zhengtong.identity.settings import *  # noqa: E402,F403
from zhengtong.notify.settings import *  # noqa: E402,F403
from zhengtong.opengov.settings import *  # noqa: E402,F403
from zhengtong.payments.settings import *  # noqa: E402,F403
from zhengtong.privacy.settings import *  # noqa: E402,F403
from zhengtong.sandbox.settings import *  # noqa: E402,F403
from zhengtong.seals.settings import *  # noqa: E402,F403
from zhengtong.services.settings import *  # noqa: E402,F403
from zhengtong.sharing.settings import *  # noqa: E402,F403
from zhengtong.supervision.settings import *  # noqa: E402,F403
from zhengtong.workorders.settings import *  # noqa: E402,F403
from zhengtong.workspace.settings import *  # noqa: E402,F403
