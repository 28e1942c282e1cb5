"""Django settings for kam.

Everything an operator may need to change comes from the environment:

- ``DATABASE_URL``: any URL dj-database-url understands; SQLite file ``var/kam.sqlite3``
  when unset.
- ``KAM_DATA_DIR``: where the SQLite file, the secret key, the transaction store and
  collected static files live (default ``$XDG_DATA_HOME/kam`` or ``~/.local/share/kam``,
  never the current directory; ``kam.datadir``).
- ``KAM_SECRET_KEY``: the secret key; generated once into ``KAM_DATA_DIR`` when unset.
- ``KAM_DEBUG``: ``1`` for Django's debug pages (never in production).
- ``KAM_ALLOWED_HOSTS``: comma-separated host names (default ``127.0.0.1,localhost``).
- ``KAM_HTTPS``, ``KAM_PROXY_SSL_HEADER``, ``KAM_HSTS_*``: HTTPS in production (the block
  "Production: HTTPS and Content-Security-Policy" below; docs/operations.md).
- ``KAM_BASE_URL``: the address people open kam at, for links in e-mails.
- ``KAM_EMAIL_URL`` (or ``KAM_EMAIL_HOST``/``PORT``/``USER``/``PASSWORD``/``USE_TLS``/
  ``USE_SSL``) and ``KAM_EMAIL_FROM``: the mail relay (docs/operations.md, "E-mail").
- ``KAM_TASKS_BACKEND``: the django-tasks backend of the background jobs (default the
  database backend that ``kam worker`` serves; docs/operations.md).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from kam.datadir import DataDirError, data_dir, data_dir_ensure
from kam.notifications.email_url import EmailConfigError, email_settings

BASE_DIR = Path(__file__).resolve().parent
# The data directory: KAM_DATA_DIR, else a per-user directory, never the current one
# (kam.datadir). The kam command checks it first and exits 2 with this message.
DATA_DIR = data_dir()
try:
    data_dir_ensure(DATA_DIR)
except DataDirError as exc:
    raise ImproperlyConfigured(str(exc)) from None
(DATA_DIR / "static").mkdir(exist_ok=True)  # whitenoise expects STATIC_ROOT to exist


def _secret_key() -> str:
    if key := os.environ.get("KAM_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret_key"
    try:  # created 0600 in one step, and only once when two processes start together
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("KAM_DEBUG", "") == "1"
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("KAM_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("KAM_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# --- Production: HTTPS and Content-Security-Policy (docs/operations.md) -------------------
# KAM_HTTPS=1 when kam is reached over HTTPS (directly or behind a proxy): Secure cookies,
# redirect of plain HTTP, HSTS. `kam manage check --deploy` is clean in that mode.
KAM_HTTPS = os.environ.get("KAM_HTTPS", "") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = KAM_HTTPS
SECURE_SSL_REDIRECT = KAM_HTTPS and os.environ.get("KAM_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("KAM_HSTS_SECONDS", "31536000")) if KAM_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("KAM_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("KAM_HSTS_PRELOAD", "1") == "1"
# Behind a proxy that ends TLS: the header it sets to "https" (e.g. X-Forwarded-Proto). Only
# when told, since a client could send the header itself where no proxy replaces it.
if _proxy_header := os.environ.get("KAM_PROXY_SSL_HEADER", "").strip():
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# On every response (csp.middleware.CSPMiddleware): scripts only from kam's own files (no
# inline script, no eval: the charts use Vega's expression interpreter, `ast: true`).
# style-src keeps 'unsafe-inline' for now: templates still carry style="" attributes, which
# another issue removes; then it goes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "simple_history",
    "csp",
    "kam.web",
    "kam.organisation",
    "kam.users",
    "kam.accounts",
    "kam.portfolio",
    "kam.guide",
    "kam.casefor",
    "kam.activities",
    "kam.allocation",
    "kam.relationships",
    "kam.reports",
    "kam.plans",
    "kam.economics",
    "kam.notifications",
    "django_tasks",
    "django_tasks_db",
    "kam.jobs",
    # the pages that read several apps (start, audit history, timeline, groups): no models
    "kam.pages",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # who changed what: the audit history (kam/web/history_records.py) reads the user here
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # a broken rule a page view did not handle: the one error page (kam/web/page_errors.py)
    "kam.web.page_errors.ApplicationErrorMiddleware",
]
# Refuses a request body above KAM_MAX_UPLOAD_BYTES before it is read (413).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.locale.LocaleMiddleware") + 1,
    "kam.web.limits.RequestSizeMiddleware",
)
# An id in the path or a number in an API query that no row can have: 404/422, not 500.
MIDDLEWARE.insert(
    MIDDLEWARE.index("kam.web.limits.RequestSizeMiddleware") + 1,
    "kam.web.ranges.NumberRangeMiddleware",
)

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"

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
                "kam.pages.context_processors.kam",
            ],
        },
    },
]

# Every form draws its fields with kam's own form and field templates (kam.web.form_renderer).
FORM_RENDERER = "kam.web.form_renderer.FormRenderer"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'kam.sqlite3'}",
        conn_max_age=int(os.environ.get("KAM_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # Concurrent writers wait for each other (up to 20 s) instead of failing with
            # "database is locked": the write lock is taken when a transaction begins.
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"  # the start page (docs/start.md)
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One date format per language on every page (kam/web/locale_formats); numbers follow
# the language too (kam.web.formats).
FORMAT_MODULE_PATH = ["kam.web.locale_formats"]
TIME_ZONE = os.environ.get("KAM_TIME_ZONE", "Europe/Amsterdam")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100_000
# An uploaded file larger than this goes to a temporary file (FILE_UPLOAD_TEMP_DIR, else
# the system's) as it arrives, not into the worker's memory (Django's default, 2.5 MB): an
# invoice-lines file of gigabytes is streamed to disk and then copied to the import folder
# in chunks (docs/operations.md, "Uploads").
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("KAM_UPLOAD_MEMORY_BYTES", 2_621_440))

# Limits on what arrives (kam/imports/limits.py, docs/import.md "Limits"): each one from the
# environment, with a default real files stay far below.
KAM_MAX_UPLOAD_BYTES = int(os.environ.get("KAM_MAX_UPLOAD_BYTES", 25 * 1024 * 1024))
KAM_MAX_LINES_UPLOAD_BYTES = int(os.environ.get("KAM_MAX_LINES_UPLOAD_BYTES", 2 * 1024**3))
# A request body that is not a file (a form, a JSON body): Django refuses a larger one.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("KAM_MAX_BODY_BYTES", 5 * 1024 * 1024))
KAM_IMPORT_MAX_COLUMNS = int(os.environ.get("KAM_IMPORT_MAX_COLUMNS", 200))
KAM_IMPORT_MAX_ROWS = int(os.environ.get("KAM_IMPORT_MAX_ROWS", 100_000))
KAM_IMPORT_MAX_PROBLEMS = int(os.environ.get("KAM_IMPORT_MAX_PROBLEMS", 1_000))
KAM_IMPORT_MAX_OCCURRENCES = int(os.environ.get("KAM_IMPORT_MAX_OCCURRENCES", 10_000))
KAM_IMPORT_MAX_XLSX_BYTES = int(os.environ.get("KAM_IMPORT_MAX_XLSX_BYTES", 100 * 1024 * 1024))
KAM_IMPORT_MAX_XLSX_RATIO = int(os.environ.get("KAM_IMPORT_MAX_XLSX_RATIO", 100))
KAM_IMPORT_SECONDS = int(os.environ.get("KAM_IMPORT_SECONDS", 60))
KAM_IMPORT_FIRST_YEAR = int(os.environ.get("KAM_IMPORT_FIRST_YEAR", 1900))
KAM_IMPORT_LAST_YEAR = int(os.environ.get("KAM_IMPORT_LAST_YEAR", 2100))

NINJA_PAGINATION_PER_PAGE = 100

# --- E-mail (docs/operations.md, "E-mail"): console backend unless a relay is named ---
# KAM_BASE_URL: where people open kam; every absolute link in an e-mail (notifications,
# password reset) starts with it.
# Unset: password-reset links use the request's host, notifications http://127.0.0.1:8000.
KAM_BASE_URL = os.environ.get("KAM_BASE_URL", "").rstrip("/")
try:
    globals().update(email_settings(os.environ))  # EMAIL_*, DEFAULT_FROM_EMAIL, SERVER_EMAIL
except EmailConfigError as exc:  # a clear message, not a traceback
    sys.stderr.write(f"kam: {exc}\n")
    raise SystemExit(2) from None

# Background jobs (kam.jobs, docs/operations.md): django-tasks on its database backend, run
# by `kam worker`; another django-tasks backend (RQ, Celery …) by KAM_TASKS_BACKEND.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("KAM_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
#: Jobs the worker enqueues on a schedule: [{"task": dotted path, "weekday": 0-6 (Monday 0;
#: absent: every day), "hour": 0-23}], in TIME_ZONE.
#: cron may run the same work with ``kam manage send_digest`` and ``send_reminders``.
KAM_PERIODIC_TASKS: list[dict[str, object]] = [
    {"task": "kam.notifications.tasks.send_digests", "weekday": 0, "hour": 7},
    {"task": "kam.notifications.tasks.send_due_reminders", "weekday": 0, "hour": 8},
    {"task": "kam.notifications.tasks.send_due_reminders", "weekday": 3, "hour": 8},
    # findings change with time too (a contact not met within the cadence): daily
    {"task": "kam.relationships.tasks.findings_refresh_all", "hour": 5},
    # the account P&Ls stored per period (kam.economics.ledger_store) and the invoice lines
    # summed per account and period (kam.economics.lines.line_totals_store) belong to today's
    # date: both are stored again as soon as the day begins (the task sums the lines first;
    # until it has run, the economics pages and the start page compute every account)
    {"task": "kam.economics.tasks.ledger_refresh_all", "hour": 0},
    # the actual-time page's sums of the twelve months up to today
    # (kam.activities.hours_store): the period moves with the date
    {"task": "kam.activities.tasks.hours_refresh_all", "hour": 0},
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Share-link tokens never reach the log (kam/web/redact.py).
    "filters": {"redact_share_tokens": {"()": "kam.web.redact.RedactShareTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_share_tokens"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("KAM_LOG_LEVEL", "WARNING")},
}

# --- Sign-in and sessions (docs/operations.md, "Signing in") -----------------------------
# Throttling (django-axes): a user name + client address pair is locked out after
# KAM_LOGIN_FAILURES wrong passwords for KAM_LOGIN_COOLOFF_MINUTES. The client address is
# REMOTE_ADDR unless the request comes from one of KAM_TRUSTED_PROXIES (then the right-most
# untrusted address of KAM_CLIENT_IP_HEADER, default X-Forwarded-For).
# Idle timeout: a session ends after KAM_IDLE_MINUTES without a request and in any case
# KAM_SESSION_MAX_DAYS after the sign-in. Single sign-on: KAM_OIDC_* (off unless set).
INSTALLED_APPS.append("axes")
MIDDLEWARE += ["kam.users.middleware.IdleTimeoutMiddleware", "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "kam.users.throttle.LoginThrottleBackend",  # axes' AxesStandaloneBackend, first
    "django.contrib.auth.backends.ModelBackend",
    "kam.users.oidc.OidcBackend",  # answers only on the OpenID callback, when configured
]
AXES_FAILURE_LIMIT = int(os.environ.get("KAM_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("KAM_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "kam.users.throttle.locked_out"
AXES_CLIENT_IP_CALLABLE = "kam.users.throttle.client_ip"
AXES_VERBOSE = False
KAM_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("KAM_TRUSTED_PROXIES", "").split(",")]
KAM_TRUSTED_PROXIES = [p for p in KAM_TRUSTED_PROXIES if p]
KAM_CLIENT_IP_HEADER = os.environ.get("KAM_CLIENT_IP_HEADER", "X-Forwarded-For")
PASSWORD_RESET_TIMEOUT = 60 * 60 * int(os.environ.get("KAM_PASSWORD_RESET_HOURS", "24"))
KAM_IDLE_MINUTES = int(os.environ.get("KAM_IDLE_MINUTES", str(8 * 60)))
SESSION_COOKIE_AGE = 60 * 60 * 24 * int(os.environ.get("KAM_SESSION_MAX_DAYS", "14"))
SESSION_EXPIRE_AT_BROWSER_CLOSE = os.environ.get("KAM_SESSION_BROWSER_CLOSE", "") == "1"
KAM_OIDC = {
    "issuer": os.environ.get("KAM_OIDC_ISSUER", "").rstrip("/"),
    "authorization_endpoint": os.environ.get("KAM_OIDC_AUTHORIZATION_ENDPOINT", ""),
    "token_endpoint": os.environ.get("KAM_OIDC_TOKEN_ENDPOINT", ""),
    "userinfo_endpoint": os.environ.get("KAM_OIDC_USERINFO_ENDPOINT", ""),
    "jwks_uri": os.environ.get("KAM_OIDC_JWKS_ENDPOINT", ""),
    "client_id": os.environ.get("KAM_OIDC_CLIENT_ID", ""),
    "client_secret": os.environ.get("KAM_OIDC_CLIENT_SECRET", ""),
    "sign_algo": os.environ.get("KAM_OIDC_SIGN_ALGO", "RS256"),
    "scopes": os.environ.get("KAM_OIDC_SCOPES", "openid email profile"),
    "provider_name": os.environ.get("KAM_OIDC_PROVIDER_NAME", "single sign-on"),
    "create_users": os.environ.get("KAM_OIDC_CREATE_USERS", "") == "1",
    "username_claim": os.environ.get("KAM_OIDC_USERNAME_CLAIM", ""),
    "role_claim": os.environ.get("KAM_OIDC_ROLE_CLAIM", ""),
    "roles": os.environ.get("KAM_OIDC_ROLES", ""),  # "group=role,group=role"
    "default_role": os.environ.get("KAM_OIDC_DEFAULT_ROLE", "viewer"),  # "" refuses
}
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 15
