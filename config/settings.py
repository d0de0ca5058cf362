"""Settings for the 1M Register, driven by environment variables (see README)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.database import database_config
from config.storages import storages_setting

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Required unless DEBUG. Left empty here so that tooling (makemigrations, collectstatic) runs without
# secrets; serving refuses to start without it (config/wsgi.py, config/asgi.py) and
# `check --deploy` reports it (register/checks.py).
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else "")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_filters",
    "import_export",
    "simple_history",
    "csp",
    "axes",
    "procrastinate.contrib.django",
    "register",
    "events",
    "outbox",
    "payments",
    # Last: what spans the apps (staff roles, applied after migrate).
    "portal",
]

MIDDLEWARE = [
    # Request counts and latency per view for /metrics (portal/operations.py); its pair sits before axes.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id: the proxy's X-Request-ID, or a new one; in every log line and the response's header.
    "log_request_id.middleware.RequestIDMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in person's saved language wins over the cookie and the browser's (register/i18n.py).
    "register.i18n.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": database_config(BASE_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "register.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # allauth's email login, only by an address the account owns (register/auth.py).
    "register.auth.OwnAddressBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "register:garage"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Sign-up, login and password reset answer the same for known and unknown addresses. For sign-up that
# needs mandatory verification: a new account and an address already registered both get "we have
# sent you an email" (the owner of a registered address is told so by mail), and nobody is signed in
# before the link is followed; following it signs in.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_FORMS = {"signup": "register.forms.SignupForm"}
# allauth's emails in the language of the account they go to.
ACCOUNT_ADAPTER = "register.i18n.AccountAdapter"
# Failed logins are throttled by django-axes (staff can unlock in the admin), not twice.
ACCOUNT_RATE_LIMITS = {"login_failed": None}

# Login brute force: 5 failures for the same email from the same address lock it for an hour;
# staff unlock by deleting the access attempt in the admin ("Axes" section) or `manage.py axes_reset`.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "register.auth.login_identifier"
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_RESET_ON_SUCCESS = True
# Behind N reverse proxies, the client address is the Nth from the right in X-Forwarded-For; without
# this every visitor would share the proxy's address in the login limits.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT or None
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
# Our catalogue first; then the libraries' German strings rewritten with "du" (locale/README.md).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_overrides"]
# Dates with the weekday and a 24-hour clock in both languages (config/formats/<language>/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")
# Private documents (claim evidence): outside MEDIA_ROOT, so no URL serves them.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "var" / "private")
# Files go through Django's storages only (common/storage.py): "default" holds the public photos, served by the
# app at MEDIA_URL; "private" the documents nobody reaches by URL (common.storage.private_storage). On the disk
# above, or with S3_ENDPOINT_URL set in two buckets of an S3-compatible object store: S3_ACCESS_KEY_ID,
# S3_SECRET_ACCESS_KEY, S3_REGION (default us-east-1), S3_PUBLIC_BUCKET, S3_PRIVATE_BUCKET (README, "Object storage").
STORAGES = storages_setting(env.ENVIRON, debug=DEBUG)
WHITENOISE_USE_FINDERS = DEBUG
# Photos: at most 15 MB per upload; anything larger is refused by the form. (Django's
# DATA_UPLOAD_MAX_MEMORY_SIZE counts form fields, not files: its 2.5 MB default is plenty.)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PHOTO_MAX_BYTES = 15 * 1024 * 1024
PHOTO_MAX_PIXELS = 50_000_000
# Memory per photo: decoded pixels × bytes per pixel at most this (a JPEG is decoded downscaled, so
# only PNG, WebP and HEIC meet it: 25 MP RGB or RGBA, 12 MP as WebP), and at most this many decodes at
# once per process. Peak memory per upload, measured: BENCHMARKS.md, "Memory per photo upload".
PHOTO_DECODE_MAX_BYTES = env.int("PHOTO_DECODE_MAX_BYTES", default=96 * 1024 * 1024)
PHOTO_DECODES_AT_ONCE = env.int("PHOTO_DECODES_AT_ONCE", default=2)

# Every email is queued in the outbox, in the transaction of the change that causes it (outbox/);
# the worker (`manage.py procrastinate worker`) delivers it with EMAIL_DELIVERY_BACKEND.
EMAIL_BACKEND = "outbox.backends.QueueBackend"
EMAIL_DELIVERY_BACKEND = env("EMAIL_DELIVERY_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Seconds the SMTP connection may wait for the server: a server that never answers is retried later.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="1M Register <register@example.org>")
# Temporary failures (server down, timeout, SMTP 4xx) are retried after MAIL_RETRY_WAIT, doubling up to
# MAIL_RETRY_MAX_WAIT between tries, until MAIL_GIVE_UP_AFTER has passed since the message was queued.
MAIL_RETRY_WAIT = timedelta(seconds=env.float("MAIL_RETRY_WAIT", default=30))
MAIL_RETRY_MAX_WAIT = timedelta(seconds=env.float("MAIL_RETRY_MAX_WAIT", default=3600))
MAIL_GIVE_UP_AFTER = timedelta(seconds=env.float("MAIL_GIVE_UP_AFTER", default=48 * 3600))
# A worker that sent no heartbeat for MAIL_STALLED_AFTER is taken for dead and its jobs run again
# (checked on MAIL_STALLED_CHECK_CRON; a sixth field counts seconds).
MAIL_WORKER_HEARTBEAT = env.float("MAIL_WORKER_HEARTBEAT", default=10)
MAIL_STALLED_AFTER = timedelta(seconds=3 * MAIL_WORKER_HEARTBEAT)
MAIL_STALLED_CHECK_CRON = env("MAIL_STALLED_CHECK_CRON", default="* * * * *")
# Slot changes after a roster is published are told to each driver once they have settled: changes
# within this window of each other make one email (events.PendingNotice).
NOTICE_BATCH_WINDOW = timedelta(minutes=env.float("NOTICE_BATCH_MINUTES", default=10))
PROCRASTINATE_WORKER_DEFAULTS = {
    "update_heartbeat_interval": MAIL_WORKER_HEARTBEAT,
    "stalled_worker_timeout": MAIL_STALLED_AFTER.total_seconds(),
}

# Entry fees are paid by bank transfer to this account (the payment box, the GiroCode in the email). Required
# unless DEBUG: `check --deploy` reports them missing or invalid (events/checks.py). The DEBUG defaults are a
# well-known test IBAN, never a real account.
PAYMENT_ACCOUNT_HOLDER = env("PAYMENT_ACCOUNT_HOLDER", default="1M Register e.V." if DEBUG else "")
PAYMENT_IBAN = env("PAYMENT_IBAN", default="DE89370400440532013000" if DEBUG else "")
PAYMENT_BIC = env("PAYMENT_BIC", default="COBADEFFXXX" if DEBUG else "")
# Days before the payment deadline that the driver is reminded.
PAYMENT_REMINDER_DAYS = env.int("PAYMENT_REMINDER_DAYS", default=3)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

SITE_NAME = "1M Register"
# Where the site is reached, for links in emails (which are sent without a request). Required unless DEBUG:
# `check --deploy` reports it missing, local or not https (register/checks.py); `make run` follows PORT.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

# Production hardening: on whenever DEBUG is off.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# No inline scripts anywhere; inline style attributes (Bootstrap progress bars, chart bar
# widths, the admin) are allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        # The installable web app: its manifest and its service worker, both served by this site (portal/webapp.py).
        "manifest-src": [SELF],
        "worker-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Logs: plain text, or JSON lines with LOG_FORMAT=json (one object per line: time, level, logger, message and the
# request id). The id is the proxy's X-Request-ID (nginx's $request_id, config/cluster/site.conf) or one made
# here; it is echoed in the response's X-Request-ID. LOG_REQUESTS=1 adds a line per request (method, path,
# status), which ties the proxy's access log to the app's lines of the same request.
LOG_FORMAT = env("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOG_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
GENERATE_REQUEST_ID_IF_NOT_IN_HEADER = True
REQUEST_ID_RESPONSE_HEADER = "X-Request-ID"
LOG_USER_ATTRIBUTE = None  # no account ids in the request lines
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "log_request_id.filters.RequestIDFilter"}},
    "formatters": {
        "text": {"format": "%(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601 in UTC
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {
        # mt-940 logs a line it cannot parse, payer's name and IBAN included, at ERROR; the uploader is told instead
        # (payments.statements.StatementError), and a log is no place for bank details.
        "mt940": {"level": "CRITICAL"},
        "log_request_id.middleware": {"level": "INFO" if LOG_REQUESTS else "WARNING"},
    },
}

# Operators (portal/operations.py): /metrics for Prometheus answers requests from METRICS_ALLOWED_IPS (addresses
# or networks) or with "Authorization: Bearer METRICS_TOKEN"; anyone else gets a 404. Behind a proxy, both the
# proxy's address and the client's (X-Forwarded-For, TRUSTED_PROXY_COUNT as for the login limits) must be
# allowed, so a visitor coming through the proxy never counts as the proxy's loopback address.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# "Is this VIN registered?" answers per account and per client address and hour (add-car and claim forms).
VIN_CHECKS_PER_HOUR = env.int("VIN_CHECKS_PER_HOUR", default=10)

# Housekeeping, once a day by the mail worker (HOUSEKEEPING_CRON; a sixth field counts seconds): finished queue
# jobs older than QUEUE_JOBS_KEPT_HOURS go (the outbox row stays the record of each mail), VIN-check counters
# unused for VIN_CHECK_COUNTERS_KEPT_DAYS go (they hold client addresses), and claim evidence that no claim
# refers to (left by a rolled-back upload) goes.
HOUSEKEEPING_CRON = env("HOUSEKEEPING_CRON", default="17 3 * * *")
QUEUE_JOBS_KEPT_HOURS = env.int("QUEUE_JOBS_KEPT_HOURS", default=7 * 24)
VIN_CHECK_COUNTERS_KEPT = timedelta(days=env.float("VIN_CHECK_COUNTERS_KEPT_DAYS", default=30))

# Personal data's time limits, applied once a day by the retention job (portal/privacy/retention.py, on
# HOUSEKEEPING_CRON) and listed on /privacy/: sent or failed mail records and the addresses of messages to
# entrants after MAIL_RECORDS_KEPT_DAYS, login records (django-axes) after LOGIN_RECORDS_KEPT_DAYS, expired login
# sessions at once; payers' names and IBANs are part of the books, kept BOOKS_KEPT_YEARS after the end of the
# year they were booked in (HGB §257, AO §147).
MAIL_RECORDS_KEPT = timedelta(days=env.float("MAIL_RECORDS_KEPT_DAYS", default=180))
LOGIN_RECORDS_KEPT = timedelta(days=env.float("LOGIN_RECORDS_KEPT_DAYS", default=90))
BOOKS_KEPT_YEARS = env.int("BOOKS_KEPT_YEARS", default=10)
# Signed declarations (events/declarations.py): the signer's name, drawing and PDF are kept DECLARATIONS_KEPT_YEARS
# after the end of the event's year (the regular limitation period, BGB §§ 195, 199), then emptied; the PDF's
# SHA-256 stays. A passenger's name is emptied PASSENGER_NAMES_KEPT_DAYS after the event's last day.
DECLARATIONS_KEPT_YEARS = env.int("DECLARATIONS_KEPT_YEARS", default=3)
PASSENGER_NAMES_KEPT = timedelta(days=env.float("PASSENGER_NAMES_KEPT_DAYS", default=30))
# What the gate knows of an entry beyond its ticket (the driver's emergency contact, an organiser's attention note)
# is for the event's days: erased GATE_DATA_KEPT_DAYS after the event's last day (events/attention.py).
GATE_DATA_KEPT_DAYS = env.int("GATE_DATA_KEPT_DAYS", default=30)

# Phone numbers (emergency contacts): typed without a country code, a number is read as German.
PHONENUMBER_DEFAULT_REGION = "DE"
