"""Django settings, read from the environment with safe defaults.

Embedded default: SQLite (WAL) and Huey on SQLite under CHENGYUN_DATA_DIR.
Production: CHENGYUN_DATABASE_URL (PostgreSQL) and CHENGYUN_REDIS_URL (Huey + cache).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from django.utils.translation import gettext_lazy as _

from chengyun.ops import config as _ops  # Django-free rules

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CHENGYUN_DATA_DIR", "./var")).resolve()
if _data_dir_problem := _ops.data_dir_problem(DATA_DIR):  # read-only or full: one line, before any write
    raise _ops.UnsafeSettings(_data_dir_problem)

VERSION = __import__("chengyun").__version__


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_port(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name}={value!r} is not a port number (1-65535)")
    return int(value)


def _secret_key() -> str:
    # A generated key is kept in the data directory so sessions survive restarts
    # without anyone having to invent a secret for a demo or a single-host install.
    if os.environ.get("CHENGYUN_SECRET_KEY"):
        return os.environ["CHENGYUN_SECRET_KEY"]
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def database_from_url(url: str) -> dict:
    """Turn postgresql://user:pw@host:port/name?opt=v (or sqlite:///path) into a DATABASES entry."""
    parsed = urlparse(url)
    if parsed.scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")) or "chengyun",
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parsed.scheme == "sqlite":
        return _sqlite(Path(unquote(parsed.path)))
    raise ValueError(f"CHENGYUN_DATABASE_URL: unsupported scheme {parsed.scheme!r} (use postgresql:// or sqlite://)")


def _sqlite(path: Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # WAL lets the web app read while the worker and ingesters write; the busy
        # timeout makes concurrent writers wait instead of failing at once.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA busy_timeout=20000; PRAGMA foreign_keys=ON;"
            ),
        },
        "TEST": {"NAME": None},
    }


SECRET_KEY = _secret_key()
DEBUG = _env_bool("CHENGYUN_DEBUG", False)
# production (default) | demo (`chengyun demo`) | test; production refuses unsafe settings (end of file).
MODE = os.environ.get("CHENGYUN_MODE", "production").strip().lower()
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("CHENGYUN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CHENGYUN_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

DATABASE_URL = os.environ.get("CHENGYUN_DATABASE_URL", "")
DATABASES = {"default": database_from_url(DATABASE_URL) if DATABASE_URL else _sqlite(DATA_DIR / "chengyun.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("CHENGYUN_REDIS_URL", "")

# Domain apps register themselves (navigation, API routers, demo data, demo services)
# through their AppConfig; see chengyun.core.registry.
CHENGYUN_APPS = [
    "chengyun.core",
    "chengyun.people",
    "chengyun.geo",
    "chengyun.monitoring",
    "chengyun.cases",
    "chengyun.reports",
    "chengyun.supervision",
    "chengyun.water",
    "chengyun.demo",
    "chengyun.drainage", "chengyun.roads",
    "chengyun.ops",
    "chengyun.renewal",
    "chengyun.villagefund",
    "chengyun.watershed",
    "chengyun.streets",
    "chengyun.sanitation",
    "chengyun.waste",
    "chengyun.property",
    "chengyun.cockpit",
    "chengyun.notifications",
    "chengyun.briefing",
    "chengyun.research",
]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "ninja",  # its Swagger UI served from static files (no CDN; works under the CSP)
    *CHENGYUN_APPS,
]

MIDDLEWARE = [
    "chengyun.ops.middleware.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "chengyun.ops.middleware.SecurityHeadersMiddleware",
    "chengyun.ops.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "chengyun.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "chengyun.ops.middleware.RateLimitMiddleware",  # after the locale: its 429 speaks the user's language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chengyun.core.middleware.ActorMiddleware",
    "chengyun.people.middleware.AccountSecurityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chengyun.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "chengyun.urls"
WSGI_APPLICATION = "chengyun.wsgi.application"

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
                "chengyun.core.context.shell",
                "chengyun.notifications.context.unread",
            ],
        },
    }
]

# Password policy (docs/security.md §1): length, character classes, not the username, not common.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": int(os.environ.get("CHENGYUN_PASSWORD_MIN_LENGTH", "8"))}},
    {"NAME": "chengyun.people.passwords.CharacterClassesValidator",
     "OPTIONS": {"min_classes": int(os.environ.get("CHENGYUN_PASSWORD_MIN_CLASSES", "3"))}},
    {"NAME": "chengyun.people.passwords.NotUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# 0 = passwords do not expire.
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("CHENGYUN_PASSWORD_MAX_AGE_DAYS", "0"))
# Argon2 first (new and re-hashed passwords); the rest only verify hashes made before.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
# Cookies only over HTTPS in production; a plain-HTTP install must say CHENGYUN_SECURE_COOKIES=0.
SESSION_COOKIE_SECURE = _env_bool("CHENGYUN_SECURE_COOKIES", MODE == "production")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Pages read the token from <meta name="csrf-token">, so scripts never need the cookie.
CSRF_COOKIE_HTTPONLY = True

# Failed logins allowed per username and per client address (and per API token or Open311
# api_key) in the window; at the limit the account, address or token is locked for a period.
LOGIN_THROTTLE_ATTEMPTS = int(os.environ.get("CHENGYUN_LOGIN_THROTTLE_ATTEMPTS", "5"))
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("CHENGYUN_LOGIN_THROTTLE_WINDOW", "900"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("CHENGYUN_LOGIN_LOCKOUT_SECONDS", "1800"))
# Sessions: idle timeout and absolute lifetime, enforced on the server (chengyun.people.sessions).
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("CHENGYUN_SESSION_IDLE_TIMEOUT", "1800"))
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("CHENGYUN_SESSION_ABSOLUTE_LIFETIME", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# Roles that must sign in with a second factor (TOTP). Comma-separated role codes; empty = none.
TWO_FACTOR_ROLES = frozenset(r.strip() for r in os.environ.get(
    "CHENGYUN_2FA_ROLES", "sysadmin,security_admin,auditor,district_leader").split(",") if r.strip())
TWO_FACTOR_ISSUER = os.environ.get("CHENGYUN_2FA_ISSUER", "城运中心")
# 三员: system administrator, security administrator and auditor are held by different people.
ALLOW_COMBINED_ADMIN_ROLES = _env_bool("CHENGYUN_ALLOW_COMBINED_ADMIN_ROLES", False)
# Audit log kept at least this many days (never less than 180, GB/T 22239-2019 8.1.4.3).
AUDIT_RETENTION_DAYS = max(180, int(os.environ.get("CHENGYUN_AUDIT_RETENTION_DAYS", "180")))
# A job running longer than this on a worker of another host is taken for abandoned and run again
# (chengyun.ops.inflight); on the worker's own host a dead process is seen at once.
JOB_LEASE_SECONDS = int(os.environ.get("CHENGYUN_JOB_LEASE_SECONDS", "3600"))
# Citizens' names and phone numbers on closed cases are anonymized after this many days (0 = kept).
CITIZEN_DATA_RETENTION_DAYS = int(os.environ.get("CHENGYUN_CITIZEN_DATA_RETENTION_DAYS", "730"))
# Optional field-level encryption of reporters' phone numbers (chengyun.core.fieldcrypto): off
# unless a 64-hex-digit key is set; aes-gcm, or sm4 where 密评 requires commercial cryptography.
FIELD_KEY = os.environ.get("CHENGYUN_FIELD_KEY", "")
FIELD_KEY_PREVIOUS = os.environ.get("CHENGYUN_FIELD_KEY_PREVIOUS", "")
FIELD_CIPHER = os.environ.get("CHENGYUN_FIELD_CIPHER", "aes-gcm")
# Roles allowed to reveal a reporter's full name and phone number (a deliberate, audited action).
PERSONAL_DATA_ROLES = frozenset(r.strip() for r in os.environ.get(
    "CHENGYUN_PERSONAL_DATA_ROLES", "ops_acceptor,ops_shift_leader,ops_dispatcher").split(",") if r.strip())

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# Static files are served from the app directories directly, so a fresh checkout
# needs no collectstatic step (district intranets: everything vendored, no CDN).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by every process on the host (web workers, the job worker),
    # which the locate index version needs (sign-in lockouts live in the database).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(DATA_DIR / "cache")}}

HUEY = {
    # Distinct names let several installations (or a test run) share one Redis.
    "name": os.environ.get("CHENGYUN_HUEY_NAME", "chengyun"),
    "immediate": _env_bool("CHENGYUN_HUEY_IMMEDIATE", False),
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

# Basemap tiles, e.g. 天地图: https://t0.tianditu.gov.cn/vec_w/wmts?...&tk=KEY. Empty = no tiles;
# the map still draws the district's vector boundaries on a plain background.
TILE_URL = os.environ.get("CHENGYUN_TILE_URL", "")
TILE_ATTRIBUTION = os.environ.get("CHENGYUN_TILE_ATTRIBUTION", "")

# Where the services listen and what they connect to (README, "Settings"). `chengyun demo`
# options override them for one run, so two instances on one host get disjoint ports.
WEB_PORT = _env_port("CHENGYUN_WEB_PORT", 8000)
HJ212_PORT = _env_port("CHENGYUN_HJ212_PORT", 9212)
MQTT_URL = os.environ.get("CHENGYUN_MQTT_URL", "").strip() or "mqtt://127.0.0.1:1883"
# HJ 212 receivers accept the vendor deviations that lose no meaning (lower-case CRC hex, a
# DataTime with milliseconds) and log them; strict refuses them (a device's own CRC setting
# still applies). See docs/standards/hj212.md.
HJ212_STRICT = _env_bool("CHENGYUN_HJ212_STRICT", False)

UPLOAD_MAX_BYTES = int(os.environ.get("CHENGYUN_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
# Decoded size limit for photos (width × height): refuses decompression bombs.
UPLOAD_MAX_PIXELS = int(os.environ.get("CHENGYUN_UPLOAD_MAX_PIXELS", "40000000"))
# A request body larger than this is refused with 413 before it is read (nginx: client_max_body_size).
REQUEST_MAX_BYTES = int(os.environ.get("CHENGYUN_REQUEST_MAX_BYTES", str(60 * 1024 * 1024)))
# Non-file form fields and JSON bodies (files are streamed to disk and limited per file).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("CHENGYUN_FORM_MAX_BYTES", str(10 * 1024 * 1024)))

# ---------------------------------------------------------------- hardening (chengyun.ops)

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = _ops.content_security_policy(tile_url=TILE_URL)
# Behind nginx terminating TLS: trust its X-Forwarded-Proto and send HSTS.
BEHIND_TLS = _env_bool("CHENGYUN_BEHIND_TLS", False)
if BEHIND_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("CHENGYUN_HSTS_SECONDS", "31536000"))
# Proxies whose X-Real-IP / X-Forwarded-For name the real client (rate limits, audit, lockout).
TRUSTED_PROXIES = frozenset(p.strip() for p in os.environ.get("CHENGYUN_TRUSTED_PROXIES", "").split(",") if p.strip())
# Public write endpoints, per client address: "count/seconds"; "0" turns a limit off.
RATE_LIMITS = {
    "open311": (("POST",), r"^/open311/v2/requests(\.json|\.xml)?$", _ops.parse_rate(os.environ.get("CHENGYUN_RATE_LIMIT_OPEN311", "30/60"))),
    "report": (("POST",), r"^/cases/report/$", _ops.parse_rate(os.environ.get("CHENGYUN_RATE_LIMIT_REPORT", "10/60"))),
}
# Health and metrics: /metrics answers these addresses, or a caller with "Authorization: Bearer <token>".
METRICS_ALLOWED_IPS = frozenset(p.strip() for p in os.environ.get("CHENGYUN_METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",") if p.strip())
METRICS_TOKEN = os.environ.get("CHENGYUN_METRICS_TOKEN", "")
READY_MAX_QUEUE = int(os.environ.get("CHENGYUN_READY_MAX_QUEUE", "10000"))
HEARTBEAT_INTERVAL_SECONDS = float(os.environ.get("CHENGYUN_HEARTBEAT_INTERVAL", "15"))
HEARTBEAT_STALE_SECONDS = float(os.environ.get("CHENGYUN_HEARTBEAT_STALE", "60"))
# Receivers readiness insists on even before they first beat, e.g. "hj212-server,mqtt-ingest".
REQUIRED_RECEIVERS = [r.strip() for r in os.environ.get("CHENGYUN_REQUIRED_RECEIVERS", "").split(",") if r.strip()]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHENGYUN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

_ops.check_production(mode=MODE, debug=DEBUG, secret_key=SECRET_KEY)

# Who this platform is in the cross-boundary data exchange (chengyun.watershed): the party code and
# name neighbours see on every message.
EXCHANGE_PARTY_CODE = os.environ.get("CHENGYUN_EXCHANGE_PARTY_CODE", "HHQ")
EXCHANGE_PARTY_NAME = os.environ.get("CHENGYUN_EXCHANGE_PARTY_NAME", "河湟区")
# Every this many minutes the job worker pulls each neighbour's feed (its platform or feed file);
# 0 turns the periodic pull off (`chengyun exchange pull` still works by hand).
EXCHANGE_PULL_MINUTES = max(0, int(os.environ.get("CHENGYUN_EXCHANGE_PULL_MINUTES", "5")))
