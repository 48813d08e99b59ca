"""Values that were published in PetTracker's source, and so protect nothing where they are in
use. Settings refuse them in production; a local run refuses to listen beyond loopback while
any of them (or a demo account's published password) is in use (``pettracker.checks``)."""

from __future__ import annotations

import base64
import hashlib

# The local default SECRET_KEY of earlier versions.
PUBLISHED_SECRET_KEYS = frozenset({"local-development-only-not-a-secret-key-0123456789abcdef"})


def derived_encryption_key(secret_key: str) -> str:
    """The signing-key encryption key earlier versions derived from SECRET_KEY locally."""
    digest = hashlib.sha256(f"signing-keys:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


PUBLISHED_ENCRYPTION_KEYS = frozenset(derived_encryption_key(k) for k in PUBLISHED_SECRET_KEYS)
