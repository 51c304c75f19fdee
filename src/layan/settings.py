"""Django settings for Layan, read from the environment with embedded defaults.

With nothing set, Layan runs on SQLite, an in-process Huey queue (SQLite storage) and the
in-memory channel layer, all under ``./var/`` (or ``LAYAN_DATA_DIR``). ``DATABASE_URL`` and
``REDIS_URL`` switch to PostgreSQL and Redis. Every variable is listed in the README.
"""

import json
import os
import secrets
import time
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


DATA_DIR = Path(os.environ.get("LAYAN_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment; embedded installs get one generated once into DATA_DIR."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    for _attempt in range(50):  # the creator may not have written it yet
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{key_file} is empty; delete it or set SECRET_KEY")


SECRET_KEY = _secret_key()
DEBUG = _env_bool("LAYAN_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
LAYAN_BASE_URL = os.environ.get("LAYAN_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "huey.contrib.djhuey",
    "django_htmx",
    "layan.accounts",
    "layan.customers",
    "layan.connectors",
    "layan.conversations",
    "layan.delivery",
    "layan.automation",
    "layan.servicelevels",
    "layan.routing",
    "layan.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "layan.urls"
ASGI_APPLICATION = "layan.asgi.application"
WSGI_APPLICATION = None

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "layan.sqlite3",
        }
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + busy timeout + IMMEDIATE transactions: the web process and the in-process worker
    # take the write lock at BEGIN instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- redis: queue, channel layer, cache -----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("LAYAN_REDIS_PREFIX", "layan")},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("LAYAN_REDIS_PREFIX", "layan"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LAYAN_HUEY_IMMEDIATE = _env_bool("LAYAN_HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("LAYAN_REDIS_PREFIX", "layan"),
        "url": REDIS_URL,
        "immediate": LAYAN_HUEY_IMMEDIATE,
        "results": False,
        "consumer": {"workers": _env_int("LAYAN_WORKERS", 4), "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "layan",
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": LAYAN_HUEY_IMMEDIATE,
        "results": False,
        "consumer": {"workers": _env_int("LAYAN_WORKERS", 2), "worker_type": "thread"},
    }

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LAYAN_LANGUAGE", "id")
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("LAYAN_TIME_ZONE", "Asia/Jakarta")
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("LAYAN_MEDIA_DIR", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- limits ---------------------------------------------------------------------------------
LAYAN_MAX_ATTACHMENT_BYTES = _env_int("LAYAN_MAX_ATTACHMENT_BYTES", 25 * 1024 * 1024)
# Attachments travel base64-encoded in JSON (4/3 larger), plus room for the rest of the body.
DATA_UPLOAD_MAX_MEMORY_SIZE = _env_int(
    "LAYAN_MAX_REQUEST_BYTES", LAYAN_MAX_ATTACHMENT_BYTES * 4 // 3 + 1024 * 1024
)
LAYAN_MAX_MESSAGE_CHARS = 100_000
# A whole raw mail, as the webhook and the SMTP listener accept it (attachments over the attachment
# limit are left out of the message but stay in the stored original).
LAYAN_MAX_EMAIL_BYTES = _env_int("LAYAN_MAX_EMAIL_BYTES", 60 * 1024 * 1024)
LAYAN_API_PAGE_SIZE = 25
LAYAN_API_MAX_PAGE_SIZE = 100

# --- outbox (docs/flows/outbox.md) ------------------------------------------------------------
# How long a worker may hold an item it is sending before the sweeper presumes it died.
LAYAN_OUTBOX_SEND_LEASE_SECONDS = _env_int("LAYAN_OUTBOX_SEND_LEASE_SECONDS", 600)
# Sends per second per inbox, by kind, over the adapters' published defaults: e.g.
# '{"email": 14, "whatsapp": 1000}'; 0 lifts a kind's limit.
try:
    LAYAN_OUTBOX_RATE_LIMITS = {str(k): float(v) for k, v in
                                json.loads(os.environ.get("LAYAN_OUTBOX_RATE_LIMITS") or "{}").items()}
except (ValueError, TypeError, AttributeError) as exc:
    raise ImproperlyConfigured(
        'LAYAN_OUTBOX_RATE_LIMITS must be a JSON object of sends per second, e.g. {"email": 14}') from exc

# --- staffing forecast (docs/flows/contact-center.md) -----------------------------------------
# Overrides of the forecast's history and channel groups, e.g.
# '{"history_weeks": 6, "groups": {"chat": {"target_seconds": 30, "concurrency": 2}}}'.
try:
    LAYAN_STAFFING = json.loads(os.environ.get("LAYAN_STAFFING") or "{}")
    if not isinstance(LAYAN_STAFFING, dict):
        raise TypeError
except (ValueError, TypeError) as exc:
    raise ImproperlyConfigured(
        'LAYAN_STAFFING must be a JSON object, e.g. {"groups": {"chat": {"target_seconds": 30}}}') from exc

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if _env_bool("LAYAN_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

EMAIL_BACKEND = os.environ.get("LAYAN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# The relay of the SMTP backend, for email inboxes without relay settings of their own.
EMAIL_HOST = os.environ.get("LAYAN_EMAIL_HOST", "localhost")
EMAIL_PORT = _env_int("LAYAN_EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("LAYAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("LAYAN_EMAIL_PASSWORD", "")
_EMAIL_SECURITY = os.environ.get("LAYAN_EMAIL_SECURITY", "starttls").lower()
EMAIL_USE_TLS = _EMAIL_SECURITY == "starttls"
EMAIL_USE_SSL = _EMAIL_SECURITY == "tls"
EMAIL_TIMEOUT = 60
# The sender of mail Layan itself sends (password resets); replies go out from their inbox's address.
DEFAULT_FROM_EMAIL = os.environ.get("LAYAN_FROM_EMAIL", "Layan <layan@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LAYAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
