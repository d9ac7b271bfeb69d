"""Django settings, all read from VIGISANTE_* variables (see config/env.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from vigisante.config import env

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env.data_dir()

SECRET_KEY = env.secret_key()
# Second-factor secrets and attachments are encrypted at rest (core.crypto): first key encrypts.
ENCRYPTION_KEYS = env.encryption_keys()
PG_BIN_DIR = env.get("VIGISANTE_PG_BIN_DIR")
DEBUG = env.get_bool("VIGISANTE_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in env.get("VIGISANTE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]
SITE_URL = env.get("VIGISANTE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "vigisante.core.staticfiles.VigisanteStaticFilesConfig",  # django.contrib.staticfiles
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "vigisante.core",
    "vigisante.accounts",
    "vigisante.establishments",
    "vigisante.reports",
    "vigisante.triage",
    "vigisante.observatory",
    "vigisante.clocks",
    "vigisante.notifications",
    "vigisante.indicators",
    "vigisante.sharing",
    "vigisante.drafts",
    "vigisante.taxii",
    "vigisante.authorities",
    "vigisante.demo",  # above every feature app: it imports them, nothing imports it
]

MIDDLEWARE = [
    "vigisante.core.middleware.RequestIdMiddleware",
    "vigisante.core.middleware.DatabaseRetryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their long cache; every other answer gets the CSP,
    # Permissions-Policy and Cache-Control: no-store (core.security_headers).
    "csp.middleware.CSPMiddleware",
    "vigisante.core.security_headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vigisante.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vigisante.accounts.middleware.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "vigisante.core.middleware.AuditAccessMiddleware",
    # An out-of-range value met by a page (OverflowError) is a 400 page, not a 500.
    "vigisante.core.middleware.InputOverflowMiddleware",
    # Last: it answers a locked-out login (django-axes) with our page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "vigisante.config.urls"
WSGI_APPLICATION = "vigisante.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_sqlite_path = DATA_DIR / "vigisante.sqlite3"
if not env.get("VIGISANTE_DATABASE_URL"):
    env.private_file(_sqlite_path)  # SQLite then creates its -wal and -shm files alike
DATABASES = {
    "default": dj_database_url.parse(
        env.get("VIGISANTE_DATABASE_URL") or f"sqlite:///{_sqlite_path}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
        # the start of a transaction so concurrent submissions queue instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a login of a locked-out e-mail + IP pair before any password check.
    "vigisante.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Brute force (django-axes): a lockout per e-mail address AND IP address, for a while only,
# so that an attacker elsewhere cannot lock a director out during a crisis.
PROXY_COUNT = int(env.get("VIGISANTE_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = int(env.get("VIGISANTE_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env.get("VIGISANTE_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "vigisante.core.client.client_ip"
AXES_USERNAME_CALLABLE = "vigisante.accounts.lockout.username_of"
AXES_LOCKOUT_CALLABLE = "vigisante.accounts.lockout.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit trail already
AXES_VERBOSE = False

# Sessions: an idle timeout per role and an absolute lifetime (accounts.middleware).
SESSION_IDLE_MINUTES = int(env.get("VIGISANTE_SESSION_IDLE_MINUTES", "240"))
STAFF_SESSION_IDLE_MINUTES = int(env.get("VIGISANTE_STAFF_SESSION_IDLE_MINUTES", "30"))
SESSION_MAX_HOURS = int(env.get("VIGISANTE_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

REQUIRE_2FA = env.get_bool("VIGISANTE_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "Vigisanté"
# The admin never shows a TOTP secret (nor its QR code) of an existing device.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# One date format per language on every page (vigisante/formats/<lang>/formats.py).
FORMAT_MODULE_PATH = ["vigisante.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    # Attachments live in the data folder, never under a URL: they are served only by a
    # view that checks who may see the report. They are encrypted on disk (core.crypto).
    "default": {
        "BACKEND": "vigisante.core.crypto.EncryptedFileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "attachments"), "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "attachments"
MAX_ATTACHMENT_BYTES = int(env.get("VIGISANTE_MAX_ATTACHMENT_MB", "20")) * 1024 * 1024
LOGCHECK_MAX_UPLOAD_MB = int(env.get("VIGISANTE_LOGCHECK_MAX_UPLOAD_MB", "200"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

_email_backends = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
EMAIL_BACKEND = _email_backends[env.get("VIGISANTE_EMAIL_BACKEND", "console")]
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env.get("VIGISANTE_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env.get("VIGISANTE_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env.get("VIGISANTE_EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.get("VIGISANTE_EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.get_bool("VIGISANTE_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env.get("VIGISANTE_DEFAULT_FROM_EMAIL", "vigisante@localhost")
CERT_EMAIL = env.get("VIGISANTE_CERT_EMAIL", "cert@localhost")

CSRF_FAILURE_VIEW = "vigisante.core.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env.get_bool("VIGISANTE_SECURE_COOKIES"):
    # Production: HTTPS behind the documented TLS proxy. `vigisante check --deploy` gives no
    # warning with these settings.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = True
    # A load balancer probes the health check over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    env.refuse_unsafe_production(debug=DEBUG, secret_key=SECRET_KEY)

# Content-Security-Policy (django-csp): the site's own scripts, styles and images only; no
# inline script or style anywhere (the API docs page has a looser policy of its own).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vigisante.accounts.authentication.ApiTokenAuthentication",
        "vigisante.accounts.authentication.OTPSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "vigisante.core.api.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "vigisante.core.api.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Per token (or user) and per client IP; wrong tokens have a stricter limit of their
    # own (accounts.throttling). Counters live in the "throttle" cache, shared by the
    # processes of one server (CACHES below).
    "DEFAULT_THROTTLE_CLASSES": [
        "vigisante.accounts.throttling.TokenRateThrottle",
        "vigisante.accounts.throttling.IPRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env.get("VIGISANTE_API_RATE", "600/minute"),
        "ip": env.get("VIGISANTE_API_IP_RATE", "1200/minute"),
        "auth_failure": env.get("VIGISANTE_API_AUTH_FAILURE_RATE", "20/minute"),
    },
    "NUM_PROXIES": PROXY_COUNT,
}
# The API's throttling counters: files in the data folder (folder 700, files 600), so that
# every process of one server counts against the same limit (a per-process memory cache
# let each of the 2 x cores + 1 processes grant the whole rate again). Each application
# server behind a proxy counts on its own (docs/operations.md).
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "throttle"),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Vigisanté API",
    "DESCRIPTION": "Report IT security incidents of health establishments, in stages.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for users of the API: log in first. Swagger UI comes from
    # the drf-spectacular-sidecar package, never from a CDN (the site works offline).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for a choice set shared by several fields (else a warning per schema build).
    "ENUM_NAME_OVERRIDES": {
        "TriStateEnum": "vigisante.reports.models.TriState",
        # Shared choice sets of the indicators API (else a warning in `check --deploy`).
        "IndicatorTypeEnum": "vigisante.indicators.models.IndicatorType",
        "CampaignStatusEnum": "vigisante.indicators.models.CampaignStatus",
    },
}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
    }
}

# Regulatory clocks (vigisante.clocks): reminder schedule of `vigisante worker`.
CLOCK_SCAN_SECONDS = float(env.get("VIGISANTE_CLOCK_SCAN_SECONDS", "60"))
CLOCK_REMINDER_HOURS = [
    int(h) for h in env.get("VIGISANTE_CLOCK_REMINDER_HOURS", "12,2").split(",") if h.strip()
]
TRANSMISSION_TARGET_MINUTES = int(env.get("VIGISANTE_TRANSMISSION_TARGET_MINUTES", "60"))
TRANSMISSION_REMINDER_MINUTES = [
    int(m) for m in env.get("VIGISANTE_TRANSMISSION_REMINDER_MINUTES", "15").split(",")
    if m.strip()
]
CLOCK_OVERDUE_WINDOW_HOURS = int(
    env.get("VIGISANTE_CLOCK_OVERDUE_WINDOW_HOURS", "168")
)

# Health, idempotency keys (vigisante.core, vigisante.reports).
HEALTH_MAX_HEARTBEAT_SECONDS = float(env.get("VIGISANTE_HEALTH_MAX_HEARTBEAT_SECONDS", "120"))
IDEMPOTENCY_KEY_DAYS = float(env.get("VIGISANTE_IDEMPOTENCY_KEY_DAYS", "30"))

# Jobs of `vigisante worker` besides its task queue: (dotted path, period in seconds).
PERIODIC_JOBS = [
    ("vigisante.core.audit.flush", 1.0),
    ("vigisante.core.maintenance.purge_heartbeats", 3600.0),
    ("vigisante.reports.idempotency.purge_expired", 3600.0),
    # TAXII (vigisante.taxii): bring the collections up to date, poll due subscriptions.
    ("vigisante.taxii.tasks.schedule_publication", 300.0),
    ("vigisante.taxii.tasks.schedule_polls", 60.0),
    # transmissions to the authorities: lost deliveries and e-mails, reminders to the CERT
    ("vigisante.authorities.services.sweep", 30.0),
]

# TAXII 2.1 server (vigisante.taxii, docs/taxii.md).
# DRF routes a machine account's token may reach (the MISP feed); TAXII and /feeds/ are plain
# views with their own authentication (accounts.machine).
MACHINE_TOKEN_PATHS = ["/alerts/misp/feed/"]
TAXII_MAX_CONTENT_LENGTH = 10 * 1024 * 1024     # bytes of one "add objects" request
TAXII_MAX_OBJECTS_PER_REQUEST = 10_000
TAXII_DEFAULT_PAGE_SIZE = 1000
TAXII_MAX_PAGE_SIZE = 10_000

LOG_FORMAT = env.get("VIGISANTE_LOG_FORMAT", "json").strip().lower()

# Correlation of reports (vigisante.indicators).
CORRELATION_WINDOW_DAYS = int(env.get("VIGISANTE_CORRELATION_WINDOW_DAYS", "14"))
CORRELATION_NOISE_REPORTS = int(env.get("VIGISANTE_CORRELATION_NOISE_REPORTS", "25"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "vigisante.core.logs.RequestIdFilter"},
                "handled_failures": {"()": "vigisante.core.logs.HandledFailuresFilter"}},
    "formatters": {
        "json": {"()": "vigisante.core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "vigisante.core.logs.StderrHandler",
                             "filters": ["request_id"],
                             "formatter": "text" if LOG_FORMAT == "text" else "json"}},
    "root": {"handlers": ["console"], "level": env.get("VIGISANTE_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                # 503s (database unavailable, /healthz) are handled: warnings, not errors
                "django.request": {"filters": ["handled_failures"]},
                "axes": {"level": "WARNING"}},
}

# Languages in which the worker prints each observatory snapshot's PDF (the HTML, the page
# and the CSVs are always stored in French and English).
OBSERVATORY_PDF_LANGUAGES: tuple[str, ...] = ("fr", "en")
