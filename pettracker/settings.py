"""PetTracker settings.

Every value comes from the environment (see README.md, "Configuration"), read with the
helpers in ``pettracker.env`` that refuse malformed values. The defaults serve a local run:
SQLite and files under ``var/``, a local Redis broker, the local CDN edge. Production is
switched on by environment variables alone; the code never asks "am I in production"
beyond choosing these back ends here.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from pettracker.defaults import PUBLISHED_SECRET_KEYS
from pettracker.env import env_bool, env_int, env_list, env_required, env_str, local_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

# --- Core --------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", True)

if DEBUG:
    # A local run makes its own secret on first start and keeps it in var/: a key published
    # in the source would let anyone who reaches the server forge upload policies and sessions.
    SECRET_KEY = env_str("SECRET_KEY") or local_secret(
        VAR_DIR / "secret_key", lambda: secrets.token_urlsafe(64)
    )
else:
    SECRET_KEY = env_required("SECRET_KEY", reason="production (DEBUG=false) needs its own key.")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
    if SECRET_KEY in PUBLISHED_SECRET_KEYS:
        raise ImproperlyConfigured("SECRET_KEY is one published in PetTracker's source; make one.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "pettracker.apps.PetTrackerAdminConfig",
    # Before staticfiles: its runserver refuses a public address while published defaults
    # (demo passwords) are in use; and the project's system checks.
    "pettracker.apps.PetTrackerConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "accounts",
    "cdn",
    "images",
    "social",
]

MIDDLEWARE = [
    # First: one log line per request, whatever answers it.
    "pettracker.logs.RequestLogMiddleware",
    # Next: requests that did not come the configured way in are refused before anything.
    "pettracker.net.OriginGuardMiddleware",
    # Then a Content-Length that is not a number is a 400, before anything reads the body.
    "pettracker.framing.ContentLengthMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app (hashed names, far-future caching); CloudFront's
    # /static/* behaviour caches them at the edge.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages and API answers gzipped for clients that accept it (not images: see the module).
    # Below WhiteNoise, whose static files are precompressed; above everything that writes a
    # response's body, so that it compresses the final one.
    "pettracker.compression.TextGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "cdn.middleware.NoSigningKeyMiddleware",
    # Last, as django-axes requires: it turns a lockout into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pettracker.urls"
WSGI_APPLICATION = "pettracker.wsgi.application"

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
                "accounts.themes.theme",
                "social.context_processors.activity",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------


def _database(url: str) -> dict:
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    # A connection is kept between requests (and tasks) for DATABASE_CONN_MAX_AGE seconds, and
    # checked before reuse, so a database restart costs one reconnection instead of failed
    # requests.
    config["CONN_HEALTH_CHECKS"] = True
    if config["ENGINE"] == "django.db.backends.postgresql":
        # JIT compilation pays off for analytics, not for a page's small queries: it added
        # ~250 ms to the home page at 100,000 photos (benchmarks/scale.py).
        config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker and beat share one file: WAL and a busy timeout keep them from
        # failing with "database is locked"; IMMEDIATE takes the write lock up front.
        # Connections persist as PostgreSQL's do: opening one (and running the PRAGMAs) cost
        # 4 % of a page (issue 14). Safe with WAL and several processes: between requests and
        # tasks Django is in autocommit with no transaction open, so a kept connection holds
        # no snapshot (it reads what the others committed, and does not hold back the WAL's
        # checkpoints) and no lock; each process, thread and forked Celery child has its own
        # (Celery's Django fix-up closes what a child inherits). SQLite's health check is a
        # no-op (it always answers); its connection survives anything but the file being
        # replaced, which needs the processes restarted anyway.
        config["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    return config


DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default lives in var/
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": _database(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts ----------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # AxesStandaloneBackend refuses a locked-out username/address before any password check.
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
LOGOUT_REDIRECT_URL = "home"

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failures for one username from
# one address, that pair is refused for LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The way in: the hops in front of the app, outermost first ("cloudfront", "load-balancer").
# The client's address is the one the outermost hop saw: each hop appends the address it saw to
# X-Forwarded-For, so it is the entry that many places from the end; entries before it are the
# client's own and can be forged. The count holds only if every request takes the same path:
# with CloudFront in front, the app refuses requests that lack the secret header CloudFront
# adds (ORIGIN_SECRET), so nobody reaches it through the load balancer alone with one hop less.
# One rule (pettracker.net.client_ip) serves log-in throttling, the edge and the audit trail.
PROXY_KINDS = ("cloudfront", "load-balancer")
PROXIES = env_list("PROXIES")
if set(PROXIES) - set(PROXY_KINDS) or len(set(PROXIES)) != len(PROXIES):
    raise ImproperlyConfigured(
        f"PROXIES names the hops in front of the app, outermost first, each once: "
        f"{', '.join(PROXY_KINDS)} (got {','.join(PROXIES)!r})."
    )
if PROXIES and PROXIES[0] != "cloudfront" and "cloudfront" in PROXIES:
    raise ImproperlyConfigured("PROXIES: cloudfront comes first (the viewer reaches it first).")
if env_str("TRUSTED_PROXY_COUNT"):
    raise ImproperlyConfigured(
        "TRUSTED_PROXY_COUNT is replaced by PROXIES: name the hops in front of the app, "
        "e.g. PROXIES=cloudfront,load-balancer (see docs/deploy.md)."
    )
ORIGIN_SECRET = env_str("ORIGIN_SECRET")
if "cloudfront" in PROXIES and len(ORIGIN_SECRET) < 32:
    raise ImproperlyConfigured(
        "ORIGIN_SECRET must be set (32+ characters) when PROXIES names cloudfront: CloudFront "
        "adds it to every request as X-Origin-Secret, and the app refuses requests without "
        "it, so the client's address can't be forged by skipping CloudFront."
    )
AXES_CLIENT_IP_CALLABLE = "pettracker.net.client_ip"
AXES_VERBOSE = False

# --- Internationalisation ----------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and object storage ------------------------------------------------------

STATIC_URL = "/static/"
# PhotoSwipe, the photo viewer, comes from the npm registry (package-lock.json; the setup
# commands run `npm ci`) and is served from its package's dist folder under a prefix, hashed
# by the manifest storage like our own files: nothing is copied into static/ by hand.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/photoswipe", BASE_DIR / "node_modules" / "photoswipe" / "dist"),
]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME", "us-east-1")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None


def _object_storage() -> dict:
    """S3 when a bucket is named, otherwise private files under ``var/media``.

    Neither is served directly: browsers reach objects only through signed CDN URLs.
    """
    if AWS_STORAGE_BUCKET_NAME:
        return {
            "BACKEND": "images.storage.PhotoS3Storage",
            "OPTIONS": {
                "bucket_name": AWS_STORAGE_BUCKET_NAME,
                "region_name": AWS_S3_REGION_NAME,
                "endpoint_url": AWS_S3_ENDPOINT_URL,
                "default_acl": None,
                # Keys are made by the application (content-hashed for renditions), so an
                # overwrite is always the same object written again.
                "file_overwrite": True,
                "querystring_auth": True,
                # SigV4 everywhere: presigned POSTs signed with SigV2 fail in newer regions.
                "signature_version": "s3v4",
            },
        }
    # Atomic saves (no partial file on a full disk), no empty directories left by deletions.
    return {
        "BACKEND": "images.storage.PhotoFileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "allow_overwrite": True},
    }


STORAGES = {
    "default": _object_storage(),
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "pettracker.staticfiles.StaticFilesStorage"
    },
}

# --- CDN and signing keys ----------------------------------------------------------------

# Where browsers fetch photos: the CloudFront domain in production, the local edge otherwise.
CDN_BASE_URL = env_str("CDN_BASE_URL", "/cdn").rstrip("/")
# Pages open images with CloudFront's signed cookies, so the CDN must receive the site's
# cookies: either it serves the site's own host (one distribution for the app and the images,
# CDN_BASE_URL=https://example.com), or it is a sub-domain and this names the parent domain the
# cookies are set for (CDN_BASE_URL=https://images.example.com, CDN_COOKIE_DOMAIN=example.com).
# `manage.py check` says when neither holds (docs/deploy.md, "CDN layouts").
CDN_COOKIE_DOMAIN = env_str("CDN_COOKIE_DOMAIN").lstrip(".")
CLOUDFRONT_DISTRIBUTION_ID = env_str("CLOUDFRONT_DISTRIBUTION_ID")
# Another CloudFront API endpoint (moto in the tests); unset, boto3's own.
CLOUDFRONT_ENDPOINT_URL = env_str("CLOUDFRONT_ENDPOINT_URL") or None
# Signed URLs are byte-identical for a whole window, so browsers and the CDN cache them.
# Revoked access ends at the CDN at most two windows later.
CDN_SIGNING_WINDOW_SECONDS = env_int("CDN_SIGNING_WINDOW_SECONDS", 600, minimum=60, maximum=86400)
SIGNING_KEY_MAX_AGE_DAYS = env_int("SIGNING_KEY_MAX_AGE_DAYS", 90, minimum=1)
# The algorithm of newly generated keys; docs/architecture.md, "Key algorithms", lists them.
SIGNING_KEY_ALGORITHM = env_str("SIGNING_KEY_ALGORITHM", "rsa-2048-sha1")
if SIGNING_KEY_ALGORITHM not in ("rsa-2048-sha1", "rsa-2048-sha256", "ecdsa-p256-sha256"):
    raise ImproperlyConfigured(
        "SIGNING_KEY_ALGORITHM must be rsa-2048-sha1, rsa-2048-sha256 or ecdsa-p256-sha256."
    )
# The trusted key group the app keeps in step with its published keys (found by this name,
# created when missing).
CLOUDFRONT_KEY_GROUP_NAME = env_str("CLOUDFRONT_KEY_GROUP_NAME", "pettracker-signing")
# A newly published key signs only after CloudFront has had this long to spread it to its
# edges; 0 where no CloudFront distribution is managed (the local edge trusts it at once).
SIGNING_KEY_PROPAGATION_SECONDS = env_int(
    "SIGNING_KEY_PROPAGATION_SECONDS", 900 if CLOUDFRONT_DISTRIBUTION_ID else 0, minimum=0
)


def _signing_key_encryption_keys() -> list[str]:
    """Fernet keys that encrypt CDN private keys at rest; the first encrypts, all decrypt."""
    keys = env_list("SIGNING_KEY_ENCRYPTION_KEYS")
    if keys:
        return keys
    if not DEBUG:
        raise ImproperlyConfigured(
            "SIGNING_KEY_ENCRYPTION_KEYS must be set when DEBUG=false "
            '(make one with: python -c "from cryptography.fernet import Fernet; '
            'print(Fernet.generate_key().decode())").'
        )
    # Local runs only: a key made on first start and kept in var/ (never derived from
    # SECRET_KEY, so knowing one opens nothing of the other).
    path = VAR_DIR / "signing_key_encryption_key"
    return [local_secret(path, lambda: Fernet.generate_key().decode())]


SIGNING_KEY_ENCRYPTION_KEYS = _signing_key_encryption_keys()

# Revocation at the edge (cdn.revocation): the CloudFront KeyValueStore holding the pets' access
# floors, read by the renditions' viewer-request function (the stack's KeyValueStoreArn output).
# Empty: no store, the local edge reads the floors from the database.
CLOUDFRONT_KEY_VALUE_STORE_ARN = env_str("CLOUDFRONT_KEY_VALUE_STORE_ARN")

# --- Photos ------------------------------------------------------------------------------

PHOTO_MAX_UPLOAD_BYTES = env_int("PHOTO_MAX_UPLOAD_BYTES", 40 * 1024 * 1024, minimum=1)
# Decoded size limit: refuses decompression bombs before any pixel is decoded.
PHOTO_MAX_PIXELS = env_int("PHOTO_MAX_PIXELS", 50_000_000, minimum=1_000_000)
# Memory a photo's decode may take, checked from the header before decoding: pixels × the bytes
# Pillow holds a pixel in (4 for RGB and RGBA, 1 for greyscale or palette) plus what the decoder
# keeps beside them (WebP 12, HEIC 5, a progressive JPEG's coefficients). 250 MB admits every
# JPEG camera photo within PHOTO_MAX_PIXELS (draft decodes a 50 MP one at a half or quarter
# scale: 13-50 MB; progressive at 4:2:0, 200 MB), a 24 MP iPhone HEIC (220 MB) and RGBA PNGs up
# to the pixel limit (200 MB); it refuses a 48 MP HEIC (440 MB) and WebPs over 15.6 MP. The
# worst file it admits peaks a worker process at about 380 MiB with the full rendition for
# downloads (benchmarks/worker_memory.py), which docs/deploy.md sizes workers by.
PHOTO_MAX_DECODED_BYTES = env_int("PHOTO_MAX_DECODED_BYTES", 250_000_000, minimum=1_000_000)
# How long an upload ticket (a presigned POST) stays valid.
PHOTO_UPLOAD_TICKET_SECONDS = env_int("PHOTO_UPLOAD_TICKET_SECONDS", 300, minimum=30, maximum=3600)
# Upload tickets one user may take in any 60 seconds (more: 429 with Retry-After). The upload
# page sends three files at a time and waits a 429 out, so a few hundred dropped photos still
# go through unattended; 120 a minute is more than most uplinks carry (four-megabyte phone
# photos over 20 Mbit/s come to about 40 a minute), so only a fast line with small files waits.
UPLOAD_TICKETS_PER_MINUTE = env_int("UPLOAD_TICKETS_PER_MINUTE", 120, minimum=1)
# What one user may keep (more: 413), counting every photo they uploaded, unfinished uploads
# by their announced size; a user's own quota, set in the admin, replaces these. Phone photos
# are 2–5 MB, so 20 GB holds 4,000–10,000 originals: years of a keen owner's photos, at about
# $0.50 a month in S3 Standard. The count also bounds what size cannot: each photo costs rows,
# a worker's run and three renditions, however small its original.
PHOTO_QUOTA_COUNT = env_int("PHOTO_QUOTA_COUNT", 10_000, minimum=0)
PHOTO_QUOTA_BYTES = env_int("PHOTO_QUOTA_BYTES", 20 * 1024**3, minimum=0)
# A photo still "processing" after this long is queued again (a lost message loses no photo).
PHOTO_STUCK_AFTER_SECONDS = env_int("PHOTO_STUCK_AFTER_SECONDS", 600, minimum=1)
# An object no row references is deleted by the reconciliation sweep once this old: longer than
# an upload ticket's life, the 15 minutes its upload may still land, and a processing run.
STORAGE_ORPHAN_MIN_AGE_SECONDS = env_int(
    "STORAGE_ORPHAN_MIN_AGE_SECONDS", 6 * 3600, minimum=2 * 3600
)
# Processing attempts before a photo is marked failed for good.
PHOTO_MAX_ATTEMPTS = env_int("PHOTO_MAX_ATTEMPTS", 5, minimum=1)
# A download (POST /photos/download/) posts one field per photo, up to 1,000 of them
# (images.services.downloads.MAX_PHOTOS) with the CSRF token and its kind: Django's default
# of 1,000 fields would refuse the largest with a bare 400 before the view says why.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2_000
# The first retry after a storage, network or database error waits this long; each next one
# twice as long (at most 5 minutes).
TASK_RETRY_BACKOFF_SECONDS = env_int("TASK_RETRY_BACKOFF_SECONDS", 5, minimum=0)
# Files above this are spooled to disk by the local upload endpoint, never held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Likes and comments (social) ------------------------------------------------------------
# Comments one person may post in any 60 seconds, and in any 24 hours (more: 429 saying when).
# Typing a comment takes some seconds: ten a minute lets a quick exchange through untouched and
# stops a script (or a stuck key) before it floods friends' photos. Two hundred a day is a
# comment on every photo of a large new album, and bounds what one account can write.
COMMENTS_PER_MINUTE = env_int("COMMENTS_PER_MINUTE", 10, minimum=1)
COMMENTS_PER_DAY = env_int("COMMENTS_PER_DAY", 200, minimum=1)

# --- Celery ------------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6390/0")
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message not acknowledged within this time is delivered again; it must exceed the
    # longest task (see the time limits) or long tasks would run twice.
    "visibility_timeout": 3600,
    # Every connect and every command (PING, publish, ack, LLEN) waits at most 1 s: a broker
    # that accepts connections but never answers (a stopped or wedged redis) would otherwise
    # hold a web request, or beat, forever. Redis answers in milliseconds when healthy. An
    # idle worker is not affected: its BRPOP (sent with a 1 s server-side timeout) is read only
    # once the event loop sees the socket readable, so this timeout never runs out on it.
    "socket_timeout": 1,
    "socket_connect_timeout": 1,
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# Publishing must not hang a request when the broker is down or hung: two tries (each bounded
# by the socket timeouts above, ~2 s in all), then the request carries on and beat sends the
# work later. (This dict replaces Celery's default policy whole: interval_max is set here.)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
# Acknowledge after the task has run, and give the message back if the worker dies, so a
# killed worker loses no job; the tasks are idempotent, so running twice is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_WORKER_MAX_TASKS_PER_CHILD = 500
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "requeue-stuck-photos": {
        "task": "images.tasks.requeue_stuck_photos",
        "schedule": env_int("PHOTO_REQUEUE_EVERY_SECONDS", 120, minimum=1),
    },
    # A photo completed while the broker was away is sent as soon as it answers again.
    "send-unqueued-photos": {
        "task": "images.tasks.send_unqueued_photos",
        "schedule": env_int("PHOTO_RESEND_EVERY_SECONDS", 10, minimum=1),
    },
    "retry-failed-photos": {
        "task": "images.tasks.retry_failed_photos",
        "schedule": env_int("PHOTO_RETRY_EVERY_SECONDS", 60, minimum=1),
    },
    "expire-pending-photos": {
        "task": "images.tasks.expire_pending_photos",
        "schedule": 600,
    },
    "expire-share-links": {
        "task": "images.tasks.expire_share_links",
        "schedule": 60,
    },
    "prune-share-invitations": {
        "task": "images.tasks.prune_share_invitations",
        "schedule": 24 * 3600,
    },
    "delete-pending-objects": {
        "task": "images.tasks.delete_pending_objects",
        "schedule": env_int("OBJECT_DELETE_EVERY_SECONDS", 60, minimum=1),
    },
    "reconcile-storage": {
        "task": "images.tasks.reconcile_storage",
        "schedule": env_int("STORAGE_RECONCILE_EVERY_SECONDS", 24 * 3600, minimum=3600),
    },
    "maintain-signing-keys": {
        "task": "cdn.tasks.maintain_signing_keys",
        "schedule": 300,
    },
    "submit-invalidations": {
        "task": "cdn.tasks.submit_invalidations",
        "schedule": env_int("CDN_INVALIDATE_EVERY_SECONDS", 60, minimum=1),
    },
    "poll-invalidations": {
        "task": "cdn.tasks.poll_invalidations",
        "schedule": 60,
    },
    # Access floors the broker did not take at commit, or whose push failed and is due again.
    "push-access-floors": {
        "task": "cdn.tasks.push_access_floors",
        "schedule": env_int("CDN_FLOOR_PUSH_EVERY_SECONDS", 10, minimum=1, maximum=50),
    },
    # Floors old enough that no grant they refuse is still valid: the KeyValueStore stays small.
    "prune-access-floors": {
        "task": "cdn.tasks.prune_access_floors",
        "schedule": env_int("CDN_FLOOR_PRUNE_EVERY_SECONDS", 3600, minimum=60),
    },
    # E-mail digests of the period just ended (yesterday, last week), to those due, in batches.
    "send-digests": {
        "task": "social.tasks.send_digests",
        "schedule": env_int("DIGEST_EVERY_SECONDS", 3600, minimum=60),
    },
}

# --- E-mail ------------------------------------------------------------------------------

EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
    # A server that stops answering must not hold a request or a worker (a digest batch)
    # until its time limit: the send fails, and says so.
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PetTracker <noreply@localhost>")
# Scheme and host of the site, for links in mails sent without a request (the digests: their
# pets' pages, the unsubscribe link); pages' own mails use the request's. Digests are not sent
# while it is unset in production (social.tasks.send_digests says so in the log).
SITE_URL = env_str("SITE_URL", "http://localhost:8000" if DEBUG else "").rstrip("/")
# How long an invitation mailed to an address without an account (or that the owner cannot
# know has one) may be accepted: its signed link and its row both end then.
SHARE_INVITATION_DAYS = env_int("SHARE_INVITATION_DAYS", 14, minimum=1, maximum=90)
# Invitation mails one person may send in any 24 hours (invitations, re-invitations and
# resends): enough to invite a family, too few to use the site for flooding mailboxes. One
# address gets at most SHARE_INVITATION_MAILS_PER_ADDRESS a day from everyone together.
SHARE_INVITATIONS_PER_DAY = env_int("SHARE_INVITATIONS_PER_DAY", 30, minimum=1)
SHARE_INVITATION_MAILS_PER_ADDRESS = env_int("SHARE_INVITATION_MAILS_PER_ADDRESS", 5, minimum=1)

# --- Security ----------------------------------------------------------------------------

SECURE_REFERRER_POLICY = "same-origin"  # signed URLs must not leak through Referer
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A failed CSRF check on an API call answers JSON like the API's other refusals.
CSRF_FAILURE_VIEW = "pettracker.errors.csrf_failure"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The header only allows preloading; the domain joins the list only when submitted.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Content-Security-Policy (django-csp): scripts and styles from our own origin only, nothing
# inline; images also from the CDN; uploads also to the bucket (browsers POST to it directly).


def _origin(url: str | None) -> list[str]:
    parts = urlsplit(url or "")
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


def _upload_origins() -> list[str]:
    if not AWS_STORAGE_BUCKET_NAME:
        return []
    if AWS_S3_ENDPOINT_URL:
        return _origin(AWS_S3_ENDPOINT_URL)
    bucket, region = AWS_STORAGE_BUCKET_NAME, AWS_S3_REGION_NAME
    return [f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", *_origin(CDN_BASE_URL)],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "connect-src": ["'self'", *_upload_origins()],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging -----------------------------------------------------------------------------

# One JSON object a line in production (for the log pipeline), plain lines locally.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pettracker.logs.JsonFormatter"},
    },
    "filters": {"redact_secret_paths": {"()": "pettracker.logs.RedactSecretPaths"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact_secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every successful log-in at INFO; only its warnings matter here.
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's own loggers write through our handler too (its defaults have handlers of
        # their own), so that every line is formatted alike and secrets are redacted.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # pettracker.request logs every request already.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# --- Cache and sessions ---------------------------------------------------------------------

# Sessions are read from the cache and kept in the database too (cached_db): a warm session
# costs a page no query, and a flushed, restarted or unreachable Redis loses none. The cache
# is a database of the broker's Redis of its own (the broker's number plus one, /1 for the
# default broker's /0): the Redis that is there already, but the cache's clear() (FLUSHDB)
# must never empty the broker's queues or the metrics' counters. "locmem://" keeps it in the
# process (tests, benchmarks in one process).


def _cache_url(broker_url: str) -> str:
    parts = urlsplit(broker_url)
    number = parts.path.strip("/") or "0"
    if parts.scheme not in ("redis", "rediss") or not number.isdigit():
        raise ImproperlyConfigured(
            f"CACHE_URL must be set: the broker ({parts.scheme}://) is not a redis:// or "
            "rediss:// URL whose database the cache could be put beside."
        )
    return parts._replace(path=f"/{int(number) + 1}").geturl()


def _cache(url: str) -> dict:
    if url == "locmem://":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            "CACHE_URL must be a redis://, rediss:// or unix:// URL, or locmem://."
        )
    return {
        # Django's RedisCache, whose errors are misses: pages carry on from the database.
        "BACKEND": "pettracker.cache.ForgivingRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "pettracker",
        "OPTIONS": {
            # A hung Redis must not hang pages: each connect and command waits 0.25 s at most
            # (as the metrics' Redis), then the cache stands aside for RETRY_AFTER seconds.
            "socket_timeout": 0.25,
            "socket_connect_timeout": 0.25,
            "RETRY_AFTER": 5,
            # No copy outlives its row by more than this, even one whose deletion failed while
            # Redis did not answer (a log-out's); a warm session is read again every 10 min.
            "MAX_TIMEOUT": 600,
        },
    }


CACHE_URL = env_str("CACHE_URL") or _cache_url(CELERY_BROKER_URL)
CACHES = {
    "default": _cache(CACHE_URL),
    # Kept pages (pettracker.pages) this process read or made last, before the shared cache:
    # at most MAX_ENTRIES of them (a 50-photo gallery is about 30 KB).
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "kept-pages",
        "OPTIONS": {"MAX_ENTRIES": 300},
    },
}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Metrics -------------------------------------------------------------------------------

# Counters shared by all processes live in this Redis (the broker's, unless told otherwise).
METRICS_REDIS_URL = env_str("METRICS_REDIS_URL", CELERY_BROKER_URL)
# /metrics answers a request carrying "Authorization: Bearer <METRICS_TOKEN>", or staff.
METRICS_TOKEN = env_str("METRICS_TOKEN")
