"""Helpers of the project's tests: settings loaded as a deployment loads them."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 64,
    "ALLOWED_HOSTS": "pets.example.com",
    "SIGNING_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DATABASE_URL": "postgres://pets:secret@db.internal:5432/pettracker",
    "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "pettracker-images",
    "CDN_BASE_URL": "https://cdn.pets.example.com",
    "CDN_COOKIE_DOMAIN": "pets.example.com",
}


def load_settings(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "VAR_DIR"}
    code = f"import pettracker.settings as s; print({expression})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
