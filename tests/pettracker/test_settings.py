"""Settings are loaded in a fresh interpreter per case, exactly as a deployment would."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.pettracker.helpers import PRODUCTION, ROOT, load_settings

pytestmark = pytest.mark.slow  # each test starts the product in a fresh interpreter


def test_production_is_switched_on_by_environment_variables_alone():
    result = load_settings(
        PRODUCTION,
        "s.DEBUG, s.DATABASES['default']['ENGINE'], s.STORAGES['default']['BACKEND'], "
        "s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.CDN_BASE_URL",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "False django.db.backends.postgresql images.storage.PhotoS3Storage True True "
        "https://cdn.pets.example.com"
    )


def test_local_defaults_need_no_configuration(tmp_path):
    result = load_settings(
        {"VAR_DIR": str(tmp_path)},
        "s.DEBUG, s.DATABASES['default']['ENGINE'], s.STORAGES['default']['BACKEND'], "
        "s.CDN_BASE_URL",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "images.storage.PhotoFileSystemStorage",
        "/cdn",
    ]


def test_connections_persist_and_sessions_are_cached_on_sqlite_and_postgresql(tmp_path):
    expression = (
        "s.DATABASES['default']['ENGINE'].rsplit('.', 1)[1], "
        "s.DATABASES['default']['CONN_MAX_AGE'], s.DATABASES['default']['CONN_HEALTH_CHECKS'], "
        "s.SESSION_ENGINE.rsplit('.', 1)[1], s.CACHES['default']['LOCATION']"
    )
    local = load_settings({"VAR_DIR": str(tmp_path)}, expression)
    production = load_settings(PRODUCTION, expression)
    given = load_settings({**PRODUCTION, "CACHE_URL": "redis://cache.internal:6379/0"}, expression)
    # The cache: the broker's Redis, the next database, unless CACHE_URL says otherwise.
    assert local.stdout.split() == [
        "sqlite3",
        "60",
        "True",
        "cached_db",
        "redis://127.0.0.1:6390/1",
    ]
    assert production.stdout.split() == [
        "postgresql",
        "60",
        "True",
        "cached_db",
        "redis://broker.internal:6379/1",
    ]
    assert given.stdout.split()[-1] == "redis://cache.internal:6379/0"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must be set"),
        ({"SIGNING_KEY_ENCRYPTION_KEYS": ""}, "SIGNING_KEY_ENCRYPTION_KEYS must be set"),
        ({"DEBUG": "nope"}, "DEBUG='nope' is not a boolean"),
        ({"CDN_SIGNING_WINDOW_SECONDS": "5"}, "CDN_SIGNING_WINDOW_SECONDS=5 is below the minimum"),
        ({"PHOTO_MAX_UPLOAD_BYTES": "lots"}, "PHOTO_MAX_UPLOAD_BYTES='lots' is not a whole number"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL is not a database URL"),
        ({"CACHE_URL": "memcached://cache:11211"}, "CACHE_URL must be a redis"),
    ],
)
def test_production_settings_fail_loudly_on_a_missing_or_bad_value(change, message):
    result = load_settings({**PRODUCTION, **change}, "'loaded'")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_pass_the_deploy_check_without_a_warning():
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64)}
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "VAR_DIR"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_cookies_are_secure_http_only_and_same_site():
    result = load_settings(
        PRODUCTION,
        "s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_PRELOAD",
    )
    assert result.stdout.split() == ["True", "True", "Lax", "True", "31536000", "True"]


def deploy_guide_environment() -> dict[str, str]:
    """The deploy guide's "minimum for production", with its ``...`` filled in."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    block = text.split("The minimum for production:", 1)[1].split("```sh", 1)[1].split("```")[0]
    env = {}
    for line in block.splitlines():
        for assignment in line.split("#")[0].split():
            name, _, value = assignment.partition("=")
            env[name] = value
    fillers = {
        "SECRET_KEY": "k" * 64,
        "SIGNING_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ORIGIN_SECRET": "o" * 48,
    }
    env.update({name: value for name, value in fillers.items() if name in env})
    return {name: value for name, value in env.items() if "..." not in value}


def test_the_deploy_guides_settings_give_the_one_way_in():
    env = deploy_guide_environment()
    assert env["PROXIES"] == "cloudfront,load-balancer"
    result = load_settings(env, "s.PROXIES, len(s.ORIGIN_SECRET) >= 32")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['cloudfront', 'load-balancer'] True"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ORIGIN_SECRET": ""}, "ORIGIN_SECRET must be set"),
        ({"ORIGIN_SECRET": "short"}, "ORIGIN_SECRET must be set"),
        ({"TRUSTED_PROXY_COUNT": "2"}, "TRUSTED_PROXY_COUNT is replaced by PROXIES"),
        ({"PROXIES": "cloudfront,nginx"}, "PROXIES names the hops"),
        ({"PROXIES": "load-balancer,cloudfront"}, "cloudfront comes first"),
    ],
)
def test_a_way_in_that_does_not_hold_together_is_refused(change, message):
    result = load_settings({**deploy_guide_environment(), **change}, "s.PROXIES")
    assert result.returncode != 0
    assert message in result.stderr


def test_production_static_files_include_the_viewers_library_hashed(tmp_path):
    """collectstatic with the manifest storage takes PhotoSwipe from node_modules (npm ci) under
    vendor/photoswipe/, which is what the pages' {% static %} then name."""
    env = {**PRODUCTION, "VAR_DIR": str(tmp_path)}
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "VAR_DIR"}
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    for name in (
        "vendor/photoswipe/photoswipe.esm.min.js",
        "vendor/photoswipe/photoswipe-lightbox.esm.min.js",
        "vendor/photoswipe/photoswipe.css",
        "js/viewer.js",
        "css/viewer.css",
    ):
        hashed = manifest[name]
        assert hashed != name
        assert (tmp_path / "static" / hashed).is_file()


def test_the_sites_address_for_mails_is_local_by_default_and_given_in_production(tmp_path):
    local = load_settings({"VAR_DIR": str(tmp_path)}, "repr(s.SITE_URL)")
    production = load_settings(PRODUCTION, "repr(s.SITE_URL)")
    given = load_settings({**PRODUCTION, "SITE_URL": "https://pets.example/"}, "repr(s.SITE_URL)")
    assert local.stdout.strip() == "'http://localhost:8000'"
    assert production.stdout.strip() == "''"  # no digest then (social.tasks.send_digests)
    assert given.stdout.strip() == "'https://pets.example'"


def test_an_smtp_server_that_stops_answering_times_out():
    env = {**PRODUCTION, "EMAIL_HOST": "smtp.internal"}
    assert load_settings(env, "s.EMAIL_TIMEOUT").stdout.strip() == "30"
    assert load_settings({**env, "EMAIL_TIMEOUT": "5"}, "s.EMAIL_TIMEOUT").stdout.strip() == "5"
