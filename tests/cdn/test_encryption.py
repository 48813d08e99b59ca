import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from cdn.encryption import (
    UndecryptableKey,
    decrypt_private_key,
    encrypt_private_key,
    re_encrypt,
)

PEM = b"-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"


def test_a_private_key_round_trips_and_is_not_stored_in_clear(settings):
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = encrypt_private_key(PEM)
    assert b"secret" not in token.encode()
    assert decrypt_private_key(token) == PEM


def test_the_encryption_key_can_be_rotated_without_losing_a_private_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [old]
    token = encrypt_private_key(PEM)
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [new, old]
    assert decrypt_private_key(token) == PEM
    rotated = re_encrypt(token)
    settings.SIGNING_KEY_ENCRYPTION_KEYS = [new]
    assert decrypt_private_key(rotated) == PEM
    with pytest.raises(UndecryptableKey, match="No key in SIGNING_KEY_ENCRYPTION_KEYS"):
        decrypt_private_key(token)


def test_a_malformed_encryption_key_is_reported_as_configuration(settings):
    settings.SIGNING_KEY_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="not a Fernet key"):
        encrypt_private_key(PEM)
