"""Django settings, all read from ``LEXBILL_*`` environment variables.

The defaults run a demo on a laptop with nothing set: SQLite in the data directory, a generated
secret key kept beside it, DEBUG off so that what the demo shows is what production does.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("LEXBILL_DATA_DIR", Path.cwd() / "data")).resolve()
# LEXBILL_ENV=production turns on what a server on the internet needs (docs/operations): secure
# cookies, HSTS, HTTPS redirect, and refuses to start without a secret key and host names.
LEXBILL_ENV = os.environ.get("LEXBILL_ENV", "development")
PRODUCTION = LEXBILL_ENV == "production"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None or value == "" else value.lower() in ("1", "true", "yes")


def _secret_key() -> str:
    """Use LEXBILL_SECRET_KEY, else one generated once and kept in the data directory."""
    if key := os.environ.get("LEXBILL_SECRET_KEY"):
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "LEXBILL_ENV=production needs LEXBILL_SECRET_KEY: set it to a long random value "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))') kept outside "
            "the data directory; Lexbill will not start in production with a generated key"
        )
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url() -> str:
    return os.environ.get("LEXBILL_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'lexbill.sqlite3'}"


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("LEXBILL_DEBUG", "") == "1"
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("LEXBILL_DEBUG=1 is refused with LEXBILL_ENV=production")
if PRODUCTION and not os.environ.get("LEXBILL_ALLOWED_HOSTS", "").strip(","):
    raise ImproperlyConfigured(
        "LEXBILL_ENV=production needs LEXBILL_ALLOWED_HOSTS: the host names the site is served "
        "under, comma-separated (e.g. billing.example.com)"
    )
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("LEXBILL_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "lexbill.audit",
    "lexbill.firm",
    "lexbill.clients",
    "lexbill.entries",
    "lexbill.billing",
    "lexbill.receivables",
    "lexbill.ebilling",
    "lexbill.compliance",
    "lexbill.disputes",
    "lexbill.plans",
    "lexbill.reminders",
    "lexbill.banking",
    "lexbill.latecharges",
    "lexbill.trust",
    "lexbill.reports",
    "lexbill.api",
    "lexbill.imports",
    "lexbill.exports",
    "lexbill.web",
    "axes",
    # django-ninja's own static Swagger UI for /api/docs (not its CDN: the CSP allows 'self' only)
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "lexbill.api.middleware.ApiTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "lexbill.web.security.ContentSecurityPolicyMiddleware",
    "lexbill.web.security.SessionTimeoutMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "lexbill.audit.middleware.AuditActorMiddleware",
    "lexbill.web.middleware.PermissionDeniedMiddleware",
    # Last, as django-axes asks: it turns a locked-out log-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lexbill.urls"
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
                "lexbill.web.context_processors.layout",
            ],
        },
    },
]
WSGI_APPLICATION = "lexbill.wsgi.application"

DATABASES = {"default": dj_database_url.parse(database_url(), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a bill run writes; IMMEDIATE avoids lock upgrades that
    # fail with "database is locked" under concurrent writers.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "firm.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Log-in throttling (django-axes): 5 failed attempts for one user name from one address lock that
# pair out for 15 minutes; while locked even the right password is refused. A success resets the
# count. Axes' backend must come first so it sees every attempt.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = _flag("LEXBILL_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS only, for a year, subdomains included; preload is a promise to the browsers' lists, so it
# is opt-in (LEXBILL_HSTS_PRELOAD=1).
SECURE_HSTS_SECONDS = int(
    os.environ.get("LEXBILL_HSTS_SECONDS") or (31_536_000 if PRODUCTION else 0)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("LEXBILL_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _flag("LEXBILL_HSTS_PRELOAD", False)
SECURE_SSL_REDIRECT = _flag("LEXBILL_SSL_REDIRECT", PRODUCTION)
# Preload off is a decision, not an oversight: `check --deploy` need not warn about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (only then, or anyone
# could claim HTTPS).
if _flag("LEXBILL_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content security policy, sent on every response in every environment (lexbill.web.security),
# so the test suite and the browser tests prove each page works under it: no inline scripts,
# event handlers or style attributes anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
# Sessions: a working day at most (LEXBILL_SESSION_HOURS, from log-in), and logged out after
# LEXBILL_SESSION_IDLE_MINUTES without a request (lexbill.web.security.SessionTimeoutMiddleware).
SESSION_COOKIE_AGE = int(float(os.environ.get("LEXBILL_SESSION_HOURS") or 8) * 3600)
SESSION_IDLE_TIMEOUT = int(float(os.environ.get("LEXBILL_SESSION_IDLE_MINUTES") or 30) * 60)

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("LEXBILL_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# The layout's stylesheet and vendored scripts (src/lexbill/static/lexbill/…).
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves from the finders; the root only has to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# E-mail: LEXBILL_EMAIL_URL as smtp://host:port, smtp+tls://user:pass@host:587 or
# smtps://user:pass@host:465; unset, messages are printed to the console (the demo).
_email_url = os.environ.get("LEXBILL_EMAIL_URL", "")
if _email_url:
    _mail = urlsplit(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("LEXBILL_EMAIL_FROM", "billing@localhost")
EMAIL_TIMEOUT = 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LEXBILL_LOG_LEVEL", "WARNING")},
}

# The JSON API (lexbill.api): list pages are ?limit=&offset=, 100 items by default, 500 at most.
NINJA_PAGINATION_MAX_LIMIT = 500
