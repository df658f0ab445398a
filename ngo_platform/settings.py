"""Terpadu settings: one module, switched by environment variables.

Production is the default. With DEBUG unset or 0 the app refuses to start without a real
SECRET_KEY (and FIELD_ENCRYPTION_KEY, CONSORTIUM_LINKAGE_SECRET). `make run` and the tests set
DEBUG=1.

In the development profile (DEBUG=1), an unset DATABASE_URL / REDIS_URL starts (or reuses) an
embedded PostgreSQL / Redis under DATA_DIR; set either variable and the real server is used with
no other difference. With DEBUG off both are required: the embedded servers are never started.
"""

import os
from pathlib import Path
from typing import overload

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ngo_platform.redis_urls import redis_url_for

BASE_DIR = Path(__file__).resolve().parent.parent


@overload
def env(name: str, default: str) -> str: ...
@overload
def env(name: str, default: None = None) -> str | None: ...
def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)
DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / ".data"))).resolve()

_INSECURE_KEY_PREFIX = "insecure-development-key"
SECRET_KEY = env("SECRET_KEY") or (_INSECURE_KEY_PREFIX + "-only-for-debug" if DEBUG else None)
if not DEBUG and (not SECRET_KEY or SECRET_KEY.startswith(_INSECURE_KEY_PREFIX)):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a long random value when DEBUG is off "
        "(for development set DEBUG=1; `make run` does this for you)."
    )

# Key for encrypting sensitive child fields (NIK) at rest. Development derives one from SECRET_KEY.
_field_encryption_key = env("FIELD_ENCRYPTION_KEY") or (SECRET_KEY if DEBUG else None)
if not _field_encryption_key:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when DEBUG is off.")
FIELD_ENCRYPTION_KEY: str = _field_encryption_key

# Key of the keyed hash (HMAC-SHA256) every NGO computes for each child so that the consortium
# counts children served by more than one NGO without seeing who they are; each consortium's
# key is derived from it with HKDF (network/reporting/linkage.py). The same value for every NGO
# of the deployment, never stored in a table. Development derives one from SECRET_KEY.
_linkage_secret = env("CONSORTIUM_LINKAGE_SECRET") or (SECRET_KEY if DEBUG else None)
if not _linkage_secret:
    raise ImproperlyConfigured("CONSORTIUM_LINKAGE_SECRET must be set when DEBUG is off.")
CONSORTIUM_LINKAGE_SECRET: str = _linkage_secret
# How many calendar months (up to the current one) each NGO's rollup counts into the consortium's
# aggregate table (network/reporting/rollup.py): the reports' furthest reach back.
REPORTING_MONTHS = int(env("REPORTING_MONTHS", "24"))
if REPORTING_MONTHS < 12:  # figures are published per calendar year (publication.py)
    raise ImproperlyConfigured(
        f"REPORTING_MONTHS must be at least 12 (a calendar year), got {REPORTING_MONTHS}."
    )

# Checked before anything starts: with DEBUG off a missing URL must not boot an embedded server.
_missing_services = [name for name in ("DATABASE_URL", "REDIS_URL") if env(name) is None]
if not DEBUG and _missing_services:
    raise ImproperlyConfigured(
        f"{' and '.join(_missing_services)} must be set when DEBUG is off: the embedded "
        "PostgreSQL and Redis are for the development profile only (DEBUG=1)."
    )

BASE_DOMAIN = env("BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS") or [BASE_DOMAIN, f".{BASE_DOMAIN}"]
if DEBUG:
    ALLOWED_HOSTS += ["127.0.0.1", "testserver"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Reverse proxies in front of the app that append to X-Forwarded-For (audit events record the
# client's address, not the proxy's). 0 = use the connection's address.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# --- Applications -----------------------------------------------------------------------------
# The public schema holds the platform and the consortium layer; each NGO's schema holds its own
# staff accounts and case records. Apps listed in both get tables in both.
SHARED_APPS = [
    "django_tenants",  # schema routing; must come first
    "tenants",  # Consortium, NGO (tenant model), Domain: public only
    "network",  # agency directory, agreements, referral envelopes, aggregates: public only
    "django.contrib.contenttypes",  # both: auth and admin need it in every schema
    "django.contrib.auth",  # both: operator/coordinators in public, NGO staff in their schema
    "django.contrib.sessions",  # both: a session exists only in the schema that issued it
    "django.contrib.messages",  # no tables; needed by admin
    "django.contrib.admin",  # both: operator admin on public, NGO admin on each NGO host
    "django.contrib.staticfiles",  # no tables
    "rest_framework",  # no tables
    "rest_framework.authtoken",  # both: a token is valid only on the host that issued it
    "drf_spectacular",  # no tables; OpenAPI
    "drf_spectacular_sidecar",  # no tables; vendored Swagger UI / Redoc assets
    "django_filters",  # no tables
    "ngo_platform",  # templates, health, operator console: no tables
    "demo",  # no tables; the seed_demo command (needs the demo extra)
]

TENANT_APPS = [
    "django.contrib.contenttypes",  # per schema content types for auth permissions
    "django.contrib.auth",  # NGO staff accounts live in the NGO's schema
    "django.contrib.sessions",  # sessions bound to the NGO's schema
    "django.contrib.admin",  # admin log entries per NGO
    "rest_framework.authtoken",  # API tokens issued by the NGO's host
    "casework",  # children, cases and everything inside one NGO
    "network.referrals",  # the NGO's side of referrals: key pairs, referrals, outbox
]

INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

# What a newly provisioned NGO needs, created inside its schema in the provisioning transaction.
# Each is a callable taking `tenant=`; the tenancy layer calls them without knowing the apps.
TENANT_INITIALIZERS = [
    "casework.services.ngo.tenant_initialize",  # the NGO's settings row
]
# Called (with actor= and child_id=) in the same transaction when a child's consent is withdrawn.
CONSENT_WITHDRAWN_HANDLERS = [
    "network.referrals.services.referrals_withdraw_for_child",  # pending referrals, payloads
]
# What other apps add to casework's pages (casework imports none of them): callables taking
# `request=` (and `case=` on the case page) that return HTML, or "" to add nothing...
CASE_PAGE_PANELS = [
    "network.pages.panels.case_panel",  # the case's referrals and the refer button
]
HOME_PAGE_PANELS = [
    "network.pages.panels.home_panel",  # referral counts: inbox waiting, overdue either way
]
# Called with case_id= when a case page shows its timeline; each returns entries with `at` (an
# aware datetime), `kind`, `title` and `detail` (text in the active language), oldest first.
CASE_TIMELINE_PROVIDERS = [
    "network.referrals.selectors.case_referral_entries",  # each step of the case's referrals
]
# Catalogs of notification codes (code -> renderer called in the reader's language): stored
# notifications are codes with parameters (casework/messages.py).
NOTIFICATION_MESSAGE_CATALOGS = [
    "casework.messages.CATALOG",  # overdue follow-ups
    "network.referrals.messages.CATALOG",  # referrals received, state changes
]
# Links added to the NGO pages' header menu and to a case's actions (casework/navigation.py):
# callables returning casework.navigation.Link lists.
CASEWORK_NAV_ITEMS = [
    "network.pages.panels.nav_items",  # referrals (or the directory, for the M&E officer)
]
CASE_PAGE_ACTIONS: list[str] = []
# Celery tasks (by name, each taking `run_key`) that beat's daily fan-out runs in every ready,
# active NGO's schema.
TENANT_DAILY_TASKS = [
    "casework.tasks.daily_maintenance",  # overdue follow-ups and their notifications
    "network.tasks.ngo_summary_refresh",  # the console's staff and case counts (NGOSummary)
]

TENANT_MODEL = "tenants.NGO"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "ngo_platform.urls_public"
ROOT_URLCONF = "ngo_platform.urls_ngo"
# Provisioning: "replay" runs the tenant migrations' collected SQL in one round trip and copies
# the bookkeeping rows from the registered template; "clone" copies the template with
# django-tenants' clone_schema; "migrate" runs migrations. Chosen by bench/provision.py
# (docs/adr/0002-provisioning.md).
TENANT_PROVISION_METHOD = env("TENANT_PROVISION_METHOD", "replay")
TENANT_TEMPLATE_SCHEMA = "ngo_template"
# On: django-tenants issues `SET search_path` once per schema switch instead of before every
# statement (half the statements of a request: bench/load.py, bench/referrals.py). Safe from
# 4.0.1, which re-issues it after a rollback or savepoint rollback (PostgreSQL reverts a SET
# made inside them): tests/casework/test_search_path.py switches tenants across both.
TENANT_LIMIT_SET_CALLS = env_bool("TENANT_LIMIT_SET_CALLS", default=True)
GET_EXECUTOR_FUNCTION = "tenants.migration.get_executor"
# Processes migrate_schemas migrates tenant schemas with (tenants/migration.py): a migration
# applied to 1,000 NGO schemas is CPU-bound in Django (~0.3 s of model-state rendering per
# schema, bench/scale.py). 1 = one after another in the command's own process.
TENANT_MIGRATION_PROCESSES = int(env("TENANT_MIGRATION_PROCESSES", "2"))

MIDDLEWARE = [
    # Outermost: NUL characters in addresses get 400, errors under /api/ the JSON error format.
    "ngo_platform.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files are the same for every NGO: served before the host's tenant is looked up
    # (no database query per stylesheet).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API bodies gzip-compressed (Django's middleware pads against BREACH).
    "django.middleware.gzip.GZipMiddleware",
    "tenants.middleware.NGOTenantMiddleware",  # picks the schema from the host
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.TenantStatusMiddleware",  # suspended / archived NGOs are blocked
    "casework.context.AuditContextMiddleware",  # the client IP for audit events
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "ngo_platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

WSGI_APPLICATION = "ngo_platform.wsgi.application"
FORM_RENDERER = "ngo_platform.forms.FormRenderer"

# --- Database ---------------------------------------------------------------------------------
_database_url = env("DATABASE_URL")
if _database_url is None:
    from ngo_platform import embedded

    _database_url = embedded.postgres_url(DATA_DIR)
# Seconds a connection is kept for the next request of its thread (gunicorn's threads live
# on). `make run`'s runserver starts a thread per request, whose connection no request would
# reuse or close: the devserver sets 0 there (closed at each request's end).
DATABASE_CONN_MAX_AGE = int(env("DATABASE_CONN_MAX_AGE", "60"))
# Requests a connection serves before it is replaced (ngo_platform/connections.py): a
# PostgreSQL backend keeps the catalog entries of every NGO schema it touched, so one that
# serves many NGOs grows with their number (bench/scale.py, deploy/README.md "Sizing").
# 0 = no bound (CONN_MAX_AGE alone). 200: at most ~60 MB of cached catalog per backend.
DATABASE_CONN_MAX_REQUESTS = int(env("DATABASE_CONN_MAX_REQUESTS", "200"))
DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=DATABASE_CONN_MAX_AGE)}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: one DB number per purpose ---------------------------------------------------------
_redis_url = env("REDIS_URL")
if _redis_url is None:
    from ngo_platform import embedded

    _redis_url = embedded.redis_url(DATA_DIR)
REDIS_URL: str = _redis_url

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url_for(REDIS_URL, offset=2),
        # Cache keys carry the schema: one NGO never reads another's cached value.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "TIMEOUT": 300,
    }
}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = redis_url_for(REDIS_URL, offset=0, celery=True)
CELERY_RESULT_BACKEND = redis_url_for(REDIS_URL, offset=1, celery=True)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TENANT_CACHE_SECONDS = 30
# Publishing while Redis is down fails within milliseconds instead of retrying for ~7 s (which
# would hang the request that queued it). Work that must not be lost sits in an outbox that beat
# sweeps (docs/adr/0003-referrals.md); the worker's own reconnection loop is not affected.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_TRANSPORT_OPTIONS = dict(_PUBLISH_RETRY)
CELERY_TASK_PUBLISH_RETRY_POLICY = dict(_PUBLISH_RETRY)
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

# --- Auth, i18n, static -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "id"
LANGUAGES = [("id", "Bahasa Indonesia"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "ngo_platform" / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
FORMAT_MODULE_PATH = ["ngo_platform.formats"]
LANGUAGE_COOKIE_NAME = "terpadu_language"
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media/"
# Hashed, gzip-compressed static files served by whitenoise with a cache lifetime of a year
# (its manifest storage, filled by collectstatic): always in production, and under `make run`,
# whose devserver runs collectstatic and sets STATIC_MANIFEST=1 so a phone on a slow connection
# gets what production sends. Tests and a bare runserver serve the files from the finders.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    # Uploaded files are stored under MEDIA_ROOT/<schema>/...: tenant-keyed.
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "ngo_platform.storage.HashedStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
WHITENOISE_AUTOREFRESH = not STATIC_MANIFEST
# Files served at the site's root (favicon.ico, asked for by every browser's first load).
WHITENOISE_ROOT = BASE_DIR / "ngo_platform" / "root"
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Email ------------------------------------------------------------------------------------
EMAIL_URL = env("EMAIL_URL")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Terpadu <no-reply@localhost>")
if EMAIL_URL:
    from ngo_platform.email_url import email_settings

    globals().update(email_settings(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token authentication, with the account's staff profile in the same query.
        "ngo_platform.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "ngo_platform.api.exceptions.api_exception_handler",
    # JSON bodies only (inputs nest objects and lists, which form encodings cannot carry, so the
    # OpenAPI document names only JSON); uploads and token login declare their own parsers.
    "DEFAULT_PARSER_CLASSES": ["ngo_platform.api.parsers.BoundedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 50,
}
# Largest API request body: an attachment (5 MB, casework's MAX_ATTACHMENT_BYTES) plus its form
# fields. Other bodies are limited by DATA_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB default).
API_MAX_UPLOAD_REQUEST_BYTES = 6 * 1024 * 1024
SPECTACULAR_SETTINGS = {
    "TITLE": "Terpadu API",
    "DESCRIPTION": "Case management and referral network for NGO consortia.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents its error body ({"code", "message", "fields"}) as `default`.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "ngo_platform.api.openapi.document_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "RiskLevelEnum": "casework.models.Case.Risk",
        "CaseStatusEnum": "casework.models.Case.Status",
        "ClosureReasonEnum": "casework.models.Case.ClosureReason",
        "NGOStatusEnum": "tenants.models.NGO.Status",
        "AssessmentStatusEnum": "casework.models.Assessment.Status",
        "PlanStatusEnum": "casework.models.CasePlan.Status",
        "FollowUpKindEnum": "casework.models.FollowUp.Kind",
        "AttachmentKindEnum": "casework.models.Attachment.Kind",
        # The network API (network/api/).
        "ServiceTypeEnum": "casework.models.Intervention.Type",
        "AgencyKindEnum": "network.models.Agency.Kind",
        "AgencyStatusEnum": "network.models.Agency.Status",
        "AgreementDirectionEnum": "network.models.ReferralAgreement.Direction",
        "AgreementStatusEnum": "network.models.ReferralAgreement.Status",
        "SharedFieldEnum": "network.models.SharedField",
        "UrgencyEnum": "network.models.Urgency",
        "ReferralStateEnum": "network.models.ReferralState",
        "ReferralAnswerEnum": "network.api.serializers.ANSWER_STATES",
        "ReferralDirectionEnum": "network.referrals.models.Referral.Direction",
        "AgreedActionStatusEnum": "network.capacity.models.AgreedAction.Status",
    },
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
