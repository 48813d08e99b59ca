"""Re-encrypt every stored CDN private key under the first of SIGNING_KEY_ENCRYPTION_KEYS.

To rotate the encryption key: put a new Fernet key first in SIGNING_KEY_ENCRYPTION_KEYS
(keep the old one after it), deploy, run this, then drop the old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cdn.encryption import UndecryptableKey, re_encrypt
from cdn.models import SigningKey


class Command(BaseCommand):
    help = "Re-encrypt the stored CDN private keys under the newest encryption key."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        keys = list(SigningKey.objects.select_for_update().exclude(state=SigningKey.State.RETIRED))
        for key in keys:
            try:
                key.encrypted_private_key = re_encrypt(key.encrypted_private_key)
            except UndecryptableKey as exc:
                raise CommandError(f"{key}: {exc} Nothing was changed.") from exc
            key.save(update_fields=["encrypted_private_key"])
        self.stdout.write(f"Re-encrypted {len(keys)} signing key(s) under the newest key.")
