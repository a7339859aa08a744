"""Tweezer settings. Every environment variable the project reads is read here and nowhere else.

Defaults run on a fresh machine with no server installed: SQLite under var/ and Celery's
filesystem broker under var/broker/. Set DATABASE_URL for PostgreSQL and REDIS_URL for Redis;
more workers on more machines then share the same database and broker.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TWEEZER_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


# Served over HTTPS (directly or behind a TLS proxy): secure cookies, HSTS, redirects to https,
# and a secret key that must come from the environment, so `manage.py check --deploy` is clean.
HTTPS = _env_bool("TWEEZER_HTTPS", False)


def _secret_key() -> str:
    """TWEEZER_SECRET_KEY, else (not under TWEEZER_HTTPS) a random key kept in var/ so sessions survive restarts."""
    key = os.environ.get("TWEEZER_SECRET_KEY", "")
    if HTTPS and (len(key) < 50 or len(set(key)) < 5):
        raise ImproperlyConfigured(
            "TWEEZER_HTTPS=1 needs TWEEZER_SECRET_KEY from the environment: 50 or more random characters, the same "
            "on every web process and worker (python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("TWEEZER_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("TWEEZER_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "template_partials",
    "labeling",
    "frontend",
]

MIDDLEWARE = [
    "config.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("TWEEZER_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if _env_bool("TWEEZER_BEHIND_PROXY", False):
        # Only behind a proxy that sets X-Forwarded-Proto itself and drops a client's: trusting it otherwise
        # would let any client claim https.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Database -------------------------------------------------------------------------------
# SQLite is shared by the web processes and the Celery worker, so every transaction that may
# write takes the write lock when it begins (IMMEDIATE) and waits its turn up to `timeout`
# seconds. With SQLite's default (DEFERRED), a transaction that read first and writes second
# fails at once with "database is locked" whenever another process is writing. WAL lets pages
# be read while the worker writes.
SQLITE_OPTIONS = {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        # Tests set 0 so the live-server thread lets go of the test database at the end.
        conn_max_age=int(os.environ.get("TWEEZER_DB_CONN_MAX_AGE", "60")),
        # A kept connection the server dropped (a restart, pg_terminate_backend) is replaced at the
        # start of the next request instead of failing it.
        conn_health_checks=_env_bool("TWEEZER_DB_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "config.postgresql"  # the same backend, a cheaper health check
    # Parameters travel apart from the SQL, so a kept connection prepares each query it has run
    # five times and from then on skips parsing and planning it: half of PostgreSQL's CPU per
    # label served under load (bench/results/load.md). Django's default binds on the client.
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so a Celery worker process started by the tests sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:project-list"
LOGOUT_REDIRECT_URL = "frontend:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"  # item images; served through an access-checked view
ARTIFACT_ROOT = VAR_DIR / "artifacts"  # models, embeddings, rankings; unused when TWEEZER_S3_BUCKET is set
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Served by WhiteNoise straight from the apps' static folders: no collectstatic step.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
if S3_BUCKET := os.environ.get("TWEEZER_S3_BUCKET", ""):
    # Models, embeddings and rankings in a bucket, so workers on several machines share them.
    # Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, ...).
    S3_ENDPOINT_URL = os.environ.get("TWEEZER_S3_ENDPOINT_URL") or None  # MinIO or another S3-compatible server
    STORAGES["artifacts"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": S3_ENDPOINT_URL,
            "region_name": os.environ.get("TWEEZER_S3_REGION") or None,
            # Bucket in the path, not the host name: a server like http://minio:9000 has no DNS per bucket.
            "addressing_style": "path" if S3_ENDPOINT_URL else None,
            "location": "artifacts",  # key prefix, so the bucket can hold other things too
            "file_overwrite": False,  # artifact names are written once; a reused name is an error
            "max_memory_size": 64 * 2**20,  # downloads past 64 MiB spool to a temporary file, not RAM
        },
    }

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an anonymous API call gets 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "labeling.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON bodies only: a form-encoded blank field reads as "not given" in DRF and would be skipped,
    # not refused. Upload endpoints set parser_classes = [MultiPartParser] themselves.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "labeling.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "labeling.api.errors.exception_handler",
    # `?format=` belongs to the export endpoint, not to DRF's content negotiation.
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tweezer API",
    "VERSION": "0.1.0",
    "DESCRIPTION": 'Every 4xx answers `{"message": "...", "extra": {...}}` (the `Error` schema).',
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_INCLUDE_SCHEMA": False,  # request and response components apart: read-only fields are not inputs
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "labeling.api.schema.add_shared_errors"],
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_DIR = Path(os.environ.get("TWEEZER_BROKER_DIR", VAR_DIR / "broker"))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # Embedded broker: messages are files, so a separate worker process needs no server.
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.2,  # seconds between looks at the queue folder (default 1)
    }
CELERY_TASK_IGNORE_RESULT = True  # the database is the record, never a result backend
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {  # the heavy tensor work goes to GPU workers; the rest stays on default
    "labeling.tasks.model_version_train": {"queue": "gpu"},
    "labeling.tasks.embeddings_compute_task": {"queue": "gpu"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    name: {"task": f"labeling.tasks.{task}", "schedule": float(os.environ.get("TWEEZER_SWEEP_EVERY_SECONDS", "60"))}
    for name, task in [
        ("sweep-stale-retrains", "model_version_sweep_stale"),
        ("sweep-stale-replays", "strategy_replay_sweep_stale"),
        ("sweep-stale-embeddings", "embedding_run_sweep_stale"),
        ("sweep-orphan-artifacts", "orphan_artifacts_sweep_stale"),
    ]
}
# No sign of life for this long: the worker (or the message) is gone, redo the run.
RETRAIN_STALE_AFTER_SECONDS = int(os.environ.get("TWEEZER_STALE_AFTER_SECONDS", "120"))
RETRAIN_HEARTBEAT_SECONDS = min(10.0, RETRAIN_STALE_AFTER_SECONDS / 4)  # a running run stamps its row this often
# Model and ranking files that no model version names are deleted once this old (a run still
# writing its files is younger than this; a crashed one left them behind).
ORPHAN_MIN_AGE_SECONDS = int(os.environ.get("TWEEZER_ORPHAN_MIN_AGE_SECONDS", "3600"))
RETRAIN_MAX_ATTEMPTS = 3  # give up (failed) on a run (retrain, embedding) that lost its worker this many times
RANKING_QUEUE_HEAD = 5000  # ranks of the newest ranking kept as rows for the annotator queue
# Items one embedding task embeds before it queues itself again, letting retrains through (about 10 s on a CPU).
EMBEDDING_CHUNK_ITEMS = int(os.environ.get("TWEEZER_EMBEDDING_CHUNK", "1000"))
# The largest upload (a file, or a zip unpacked) that an import in the browser or over REST takes.
TWEEZER_MAX_UPLOAD_BYTES = int(os.environ.get("TWEEZER_MAX_UPLOAD_MB", "200")) * 1024 * 1024
# How long an annotator holds an item they were given; the annotator's page renews its leases as it works.
ANNOTATION_LEASE_SECONDS = int(os.environ.get("TWEEZER_LEASE_SECONDS", "600"))

# --- Learner --------------------------------------------------------------------------------
LEARNER_DEVICE = os.environ.get("TWEEZER_DEVICE", "auto")
# Pretrained encoders load from their wheels; never let a library reach for a model hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("TWEEZER_LOG_LEVEL", "INFO")},
}
