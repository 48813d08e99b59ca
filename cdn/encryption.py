"""Encryption at rest of CDN private keys (MultiFernet over ``SIGNING_KEY_ENCRYPTION_KEYS``).

The first key encrypts; every key decrypts, so the encryption key itself can be rotated:
put a new key first, run ``re_encrypt`` over the stored tokens, then drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableKey(Exception):
    """A stored private key that none of the configured encryption keys can open."""


def _fernet() -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in settings.SIGNING_KEY_ENCRYPTION_KEYS])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "SIGNING_KEY_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def encrypt_private_key(pem: bytes) -> str:
    return _fernet().encrypt(pem).decode("ascii")


def decrypt_private_key(token: str) -> bytes:
    try:
        return _fernet().decrypt(token.encode("ascii"))
    except InvalidToken:
        raise UndecryptableKey(
            "No key in SIGNING_KEY_ENCRYPTION_KEYS opens this private key; "
            "was an encryption key removed before re-encrypting?"
        ) from None


def re_encrypt(token: str) -> str:
    """The same private key, encrypted under the first (newest) encryption key."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise UndecryptableKey(
            "No key in SIGNING_KEY_ENCRYPTION_KEYS opens this private key; "
            "keep the old encryption key in the list until every key is re-encrypted."
        ) from None
