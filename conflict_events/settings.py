"""Settings for the Conflict Events API, all driven by environment variables.

Without any configuration the project runs in development mode on an SQLite file inside the project.
Production mode is `DEBUG=false`; it then requires `SECRET_KEY` and `ALLOWED_HOSTS` and turns on the
security settings that `manage.py check --deploy` asks for. Bad values fail loudly at start-up.
"""

import os
import re
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from conflict_events import __version__

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {sorted(_TRUE | _FALSE)}, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false")
    # Development only: a fixed key so sessions survive restarts of the dev server.
    SECRET_KEY = DEVELOPMENT_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG=false: give at least 50 random characters (not the development key)."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false (comma-separated host names)")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "core",
    "access",
    "locations",
    "actors",
    "sources",
    "events",
    "ingest",
]

MIDDLEWARE = [
    # One JSON line per request on stdout (core/http.py); outermost, so it times and sees every response.
    "core.http.RequestLogMiddleware",
    # A database that does not answer: 503 with Retry-After for any request, never a 500 (core/outage.py).
    "core.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Any origin may read /api/ (GET, HEAD, OPTIONS; no credentials); preflights are answered right here.
    "core.http.ReadOnlyCorsMiddleware",
    "access.middleware.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every HTML page (the admin, the browsable API, the API docs).
    "core.http.ContentSecurityPolicyMiddleware",
    # Records the request's user on every history row written during the request.
    "simple_history.middleware.HistoryRequestMiddleware",
]
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    # Safe requests read from the replica (core/db/replica.py); outermost but the log, so the whole request.
    MIDDLEWARE.insert(1, "core.db.replica.ReplicaReadsMiddleware")

if not DEBUG:
    # Production serves collected static files itself; in development runserver does.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("access.middleware.RequestBodyLimitMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "conflict_events.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "conflict_events.wsgi.application"

# SQLite file in the project unless DATABASE_URL says otherwise (postgres://user@host:port/name).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Connections are kept between requests (a new one cost 8–14 ms on PostgreSQL, and SQLite re-reads
        # its schema); 0 opens one per request.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        # A persistent connection (DB_CONN_MAX_AGE > 0) is checked before a request reuses it, so the first
        # request after a database restart reconnects instead of failing on a dead connection.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that does not answer at all fails a request in seconds instead of holding a worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
# A read replica (PostgreSQL streaming replication, say): safe requests read there (core/db/replica.py).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "").strip()
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)),
        "CONN_HEALTH_CHECKS": True,
        # Tests read the primary through this alias: a test database has no replica of its own.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["core.db.replica.ReplicaRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with the parameter limit of the SQLite actually linked (core/db/sqlite3).
    DATABASES["default"]["ENGINE"] = "core.db.sqlite3"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets readers run while a curator or an import writes; NORMAL sync is safe with WAL. A page
            # cache per connection larger than SQLite's 2 MB, which a persistent connection keeps between
            # requests while nothing is written: at a million events the pages of a word's 2,000 events no
            # longer come back through the file on every request (in process, text search's p50 31.0 →
            # 25.6 ms; bench/RESULTS.md). Memory-mapped reads (SQLITE_MMAP_MB) save a little more, but are
            # off by default: every mapped page counts in the process's resident size (a server's peak
            # 101 → 397 MB) and a failed read of the file ends the process (SIGBUS) instead of one request.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA mmap_size={env_int('SQLITE_MMAP_MB', 0) * 2**20}; "
            f"PRAGMA cache_size=-{env_int('SQLITE_CACHE_MB', 64) * 2**10};",
            "transaction_mode": "IMMEDIATE",
        }
    )

FIXTURE_DIRS = [BASE_DIR / "fixtures"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security. Development keeps plain HTTP; production turns on everything `check --deploy` asks for.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets this header itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Checked at start-up, not at the first anonymous request: "<count>/<second|minute|hour|day>".
ANON_THROTTLE_RATE = os.environ.get("ANON_THROTTLE_RATE", "3000/hour")
if not re.fullmatch(r"[0-9]+/(s|sec|second|m|min|minute|h|hour|d|day)", ANON_THROTTLE_RATE):
    raise ImproperlyConfigured(
        f"ANON_THROTTLE_RATE must look like 3000/hour or 10/minute, not {ANON_THROTTLE_RATE!r}."
    )

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"],
    "EXCEPTION_HANDLER": "access.authentication.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "core.api.negotiation.JSONParser",
        "rest_framework.parsers.FormParser",  # the browsable API's forms; not in the schema
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.negotiation.ExplicitFormatNegotiation",
    "DEFAULT_RENDERER_CLASSES": [
        "core.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "access.authentication.BearerTokenAuthentication",
        "access.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ConflictEventsAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's rate and key, counted at a constant cost per request (core/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.AnonWindowThrottle"],
    # Anonymous reads per client address; authenticated users are not throttled.
    "DEFAULT_THROTTLE_RATES": {"anon": ANON_THROTTLE_RATE},
    # The client is the connecting address unless TRUSTED_PROXIES reverse proxies sit in front and append to
    # X-Forwarded-For; with DRF's default (None) any client could name itself anew in that header on each
    # request and never be throttled.
    "NUM_PROXIES": env_int("TRUSTED_PROXIES", 0),
}
# The largest request body the API accepts (bytes); larger ones get 413 before they are read.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 1_000_000, minimum=1)

# The shared cache: DRF's throttle counters and anything else every worker process must see alike.
# REDIS_URL (redis://host:6379/0) selects Redis; otherwise a table in the database, which `migrate` creates
# (core.http.create_cache_tables) and so does `createcachetable` (make serve / serve-prod run it).
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's, keeping its redis-py clients instead of making two per request (core/cache.py).
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer fails the request in seconds instead of holding the worker.
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
else:
    CACHES = {
        "default": {
            # Django's, except that on SQLite a write waits a quarter of a second for the lock (core/cache.py).
            "BACKEND": "core.cache.DatabaseCache",
            "LOCATION": "cache_table",
            # One entry per throttled client address; Django's default (300) would forget counts under load.
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        }
    }
if "pytest" in sys.modules:
    # The test suite, explicitly: per-process memory, whatever REDIS_URL says. tests/conftest.py empties the
    # cache before every test, also before tests that may not touch the database, and a test run must never
    # flush a shared Redis. tests/test_production.py runs the real backends in separate processes.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Live-server tests answer each request in its own thread; a connection kept open there outlives the test
    # and PostgreSQL then cannot drop the test database.
    DATABASES["default"]["CONN_MAX_AGE"] = 0

SPECTACULAR_SETTINGS = {
    "TITLE": "Conflict Events API",
    "DESCRIPTION": "Armed-conflict events with the claims, sources and verification behind each one.",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A package version: generated SDKs take it as theirs (PEP 440 / semver); the path says /v1/.
    "VERSION": __version__,
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are JSON: the browsable API keeps its forms, the schema (and so every SDK) sends JSON only.
    "PARSER_WHITELIST": ["core.api.negotiation.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.describe_generic_fields",
        "core.api.schema.blank_or_url_is_any_of",
        "core.api.schema.integer_enum_names",
        "core.api.schema.package_version",
        "core.api.schema.non_empty_query_parameters",
        "core.api.schema.stated_value_ranges",
    ],
    "ENUM_NAME_OVERRIDES": {
        "VerificationEnum": "events.models.Verification",
        "LocationLevelEnum": "locations.models.Location.Level",
        "DatePrecisionEnum": "events.precision.DatePrecision",
        "GeoPrecisionEnum": "events.precision.GeoPrecision",
        "ActorKindEnum": "actors.models.ActorKind",
        "SourceKindEnum": "sources.models.SourceKind",
        "EventCoordinatesFromEnum": ["event", "location", "enclosing_area"],
        "LocationCoordinatesFromEnum": ["location", "enclosing_area"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"message": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # The request log (core.http.RequestLogMiddleware): one JSON object per line, on stdout.
        "requests": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "message"},
    },
    "loggers": {
        # Its level is LOG_LEVEL's: with LOG_LEVEL=WARNING only the lines of 5xx responses remain.
        "conflict_events.requests": {"handlers": ["requests"], "propagate": False},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
