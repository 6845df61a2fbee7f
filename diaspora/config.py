"""Configuration classes.

Every secret and every deployment-specific value comes from the environment; the classes only
hold safe defaults for development and tests. Production refuses to start without a
``SECRET_KEY`` of at least ``MIN_SECRET_KEY_BYTES``; development without one generates a random
key once into ``instance/secret_key`` (see ``diaspora.create_app``).
"""
from __future__ import annotations

import os
from pathlib import Path

MIN_SECRET_KEY_BYTES = 32
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def default_database_url(instance_path: str) -> str:
    """The embedded default: an SQLite file under ``instance/``."""
    return "sqlite:///" + str(Path(instance_path) / "diaspora.sqlite3")


class Config:
    """Defaults shared by every environment."""

    ENV_NAME = "development"
    # The components the app is made of besides the registry: packages the factory imports by
    # name, calling each one's ``register(app)`` in this order (see README "Architecture").
    COMPONENTS = ("missions",)
    # None outside production means "the random key in instance/secret_key".
    SECRET_KEY = os.environ.get("SECRET_KEY")
    # None means "the SQLite file under instance/", resolved by the factory.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_MINUTES", 8 * 60) * 60
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Login protection (diaspora/auth/throttle.py): a rate limit per client address, counted in
    # Redis when configured, else in the database, so that every web worker counts together;
    # and a doubling wait per e-mail and client address after repeated failures.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "database://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LOCKOUT_THRESHOLD = _int("LOGIN_LOCKOUT_THRESHOLD", 5)
    LOGIN_BACKOFF_SECONDS = _int("LOGIN_BACKOFF_SECONDS", 30)
    LOGIN_BACKOFF_MAX_MINUTES = _int("LOGIN_BACKOFF_MAX_MINUTES", 60)
    PASSWORD_MIN_LENGTH = _int("PASSWORD_MIN_LENGTH", 10)

    # Internationalisation and time
    LANGUAGES = ("en", "fr", "pt")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    DEFAULT_TIMEZONE = os.environ.get("DEFAULT_TIMEZONE", "Africa/Accra")

    # Consent wording shown at registration; bump the version when the wording changes.
    CONSENT_VERSION = os.environ.get("CONSENT_VERSION", "2026-01")

    # Mail: unset MAIL_SERVER means in-app inbox only (the offline default).
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "no-reply@diaspora-registry.local")
    MAIL_TIMEOUT_SECONDS = _int("MAIL_TIMEOUT_SECONDS", 30)
    # Replies go to the programme's reply-to address, else its managers, else this (if set).
    MAIL_REPLY_TO = os.environ.get("MAIL_REPLY_TO")
    # How long the accept / decline links of a proposal e-mail work.
    ANSWER_LINK_DAYS = _int("ANSWER_LINK_DAYS", 14)
    # The address people reach the site at: links in e-mails and calendar feeds.
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")

    # Geocoding: offline gazetteer by default; Nominatim only when a user agent is configured.
    NOMINATIM_USER_AGENT = os.environ.get("NOMINATIM_USER_AGENT")

    # Scheduler: started in-process only when asked (``make run`` or ``flask missions scheduler``).
    SCHEDULER_ENABLED = _bool("SCHEDULER_ENABLED", False)
    SCHEDULER_INTERVAL_SECONDS = _int("SCHEDULER_INTERVAL_SECONDS", 60)
    # Rows delivered per transaction: larger batches load their missions fewer times, smaller
    # ones hold SQLite's write lock (or PostgreSQL's row locks) for less time.
    SCHEDULER_BATCH_SIZE = _int("SCHEDULER_BATCH_SIZE", 1000)
    # How long a dispatcher holds e-mails it is sending before another may take them over.
    SCHEDULER_LEASE_SECONDS = _int("SCHEDULER_LEASE_SECONDS", 300)
    # Crash tests only (missions/notifications/pause.py): stop mid-batch, e.g. "inbox:10".
    SCHEDULER_PAUSE_AT = os.environ.get("SCHEDULER_PAUSE_AT")
    SCHEDULER_PAUSE_FILE = os.environ.get("SCHEDULER_PAUSE_FILE")

    # Background jobs (diaspora/jobs): "embedded" (a worker thread beside the scheduler, or
    # `flask diaspora jobs-worker`) or "rq" (also queued in Redis for `rq worker`).
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "embedded")
    JOBS_WORKER_ENABLED = _bool("JOBS_WORKER_ENABLED", False)
    JOBS_POLL_SECONDS = _float("JOBS_POLL_SECONDS", 2.0)
    JOBS_STALE_SECONDS = _int("JOBS_STALE_SECONDS", 600)
    JOBS_MAX_ATTEMPTS = _int("JOBS_MAX_ATTEMPTS", 3)
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL", "redis://127.0.0.1:6379/0")
    JOBS_RQ_QUEUE = os.environ.get("JOBS_RQ_QUEUE", "diaspora-jobs")
    # Largest import file accepted by the upload pages (bytes).
    IMPORT_MAX_BYTES = _int("IMPORT_MAX_BYTES", 50_000_000)

    # Matching weights (documented in README "Matching").
    MATCH_WEIGHTS = {
        "skill": _float("MATCH_WEIGHT_SKILL", 0.30),
        "availability": _float("MATCH_WEIGHT_AVAILABILITY", 0.20),
        "language": _float("MATCH_WEIGHT_LANGUAGE", 0.15),
        "timezone": _float("MATCH_WEIGHT_TIMEZONE", 0.10),
        "distance": _float("MATCH_WEIGHT_DISTANCE", 0.05),
        "continuity": _float("MATCH_WEIGHT_CONTINUITY", 0.10),
        "fairness": _float("MATCH_WEIGHT_FAIRNESS", 0.10),
    }

    # Fairness in matching: a mission ended this recently lowers a person's fairness score, and
    # this many missions in a year bring it to zero (spread the load; don't ask again at once).
    MATCH_RECENT_RETURN_DAYS = _int("MATCH_RECENT_RETURN_DAYS", 90)
    MATCH_BUSY_MISSIONS_PER_YEAR = _int("MATCH_BUSY_MISSIONS_PER_YEAR", 4)

    # Compression (Flask-Compress): pages, JSON, CSS, JS, SVG, calendars and CSV over 500 bytes,
    # for clients that accept it. Streamed responses are left alone (the library's streaming
    # path never closes a sent file); files sent from disk are read into memory first instead
    # (diaspora/web.py ``buffer_sent_files``), so they are compressed like pages.
    COMPRESS_MIN_SIZE = 500
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "application/json", "image/svg+xml", "text/calendar", "text/csv",
                          "text/plain"]
    COMPRESS_ALGORITHM = ["zstd", "br", "gzip", "deflate"]
    COMPRESS_STREAMS = False

    # API
    API_TITLE = "Diaspora skills registry API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_TOKEN_TTL_DAYS = _int("API_TOKEN_TTL_DAYS", 90)
    PAGE_SIZE = 25
    MAX_PAGE_SIZE = 100

    # Request limits (diaspora/limits.py): a larger body is refused with 413 before it is read,
    # a JSON body nested deeper with 400. The largest form or JSON body the registry takes (an
    # outcome report, a profile) is a few tens of kilobytes.
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 1024 * 1024)
    JSON_MAX_DEPTH = _int("JSON_MAX_DEPTH", 20)
    # Idempotency-Key headers and form submission tokens are remembered this long.
    IDEMPOTENCY_RETENTION_HOURS = _int("IDEMPOTENCY_RETENTION_HOURS", 24)

    # Data retention (issue: privacy): inactive accounts are flagged after this many days.
    RETENTION_INACTIVE_DAYS = _int("RETENTION_INACTIVE_DAYS", 3 * 365)
    # A host facility reads a professional's contact while the mission is confirmed or running
    # and for this many days after it ends (each read audited).
    CONTACT_VISIBLE_DAYS_AFTER = _int("CONTACT_VISIBLE_DAYS_AFTER", 30)

    # Documents (diaspora/documents): the largest upload, where files are kept ("local": a
    # directory, by default instance/documents; "s3": an S3-compatible bucket), and how long a
    # document is kept once no licence in force rests on it.
    DOCUMENT_MAX_BYTES = _int("DOCUMENT_MAX_BYTES", 10 * 1024 * 1024)
    DOCUMENT_STORAGE = os.environ.get("DOCUMENT_STORAGE", "local")
    DOCUMENT_STORAGE_PATH = os.environ.get("DOCUMENT_STORAGE_PATH")
    DOCUMENT_S3_BUCKET = os.environ.get("DOCUMENT_S3_BUCKET")
    DOCUMENT_S3_ENDPOINT_URL = os.environ.get("DOCUMENT_S3_ENDPOINT_URL")
    DOCUMENT_S3_REGION = os.environ.get("DOCUMENT_S3_REGION")
    DOCUMENT_RETENTION_DAYS = _int("DOCUMENT_RETENTION_DAYS", 6 * 365)
    # The public certificate check answers this often per client address.
    CERTIFICATE_CHECK_RATE_LIMIT = os.environ.get("CERTIFICATE_CHECK_RATE_LIMIT", "20 per minute")


class DevelopmentConfig(Config):
    ENV_NAME = "development"


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
    SCHEDULER_ENABLED = False
    JOBS_WORKER_ENABLED = False
    # Cheap argon2 parameters keep the suite fast; production uses the library defaults.
    ARGON2_FAST = True
    MAIL_SERVER = None


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
