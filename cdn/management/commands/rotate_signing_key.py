"""Rotate the CDN signing key: generate, publish to CloudFront, activate; the previous key
keeps verifying until every URL it signed has expired, then the beat task retires it."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.audit import audit_record_system
from cdn.encryption import UndecryptableKey, decrypt_private_key
from cdn.models import SigningKey
from cdn.rotation import SigningKeyError, ready_to_sign_at, signing_key_due, signing_key_rotate

ACTION = "signing_key.rotate"
VIA = "manage.py rotate_signing_key"


class Command(BaseCommand):
    help = "Rotate the CDN signing key (a new key signs; the old one retires once safe)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-due",
            action="store_true",
            help="Only when no key is active or the active one is older than "
            "SIGNING_KEY_MAX_AGE_DAYS (for start-up scripts).",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="Wait for CloudFront to spread a newly published key, then activate it.",
        )

    def handle(self, *args, if_due: bool = False, wait: bool = False, **options) -> None:
        previous = SigningKey.objects.active()
        opens = _opens(previous)
        if if_due and not signing_key_due() and opens:
            self.stdout.write(f"Key {previous.public_key_id} is active and not due; nothing to do.")
            return
        if not opens:
            self.stderr.write(
                "The active key cannot be opened with SIGNING_KEY_ENCRYPTION_KEYS (a local "
                "database from before var/signing_key_encryption_key?); a new key replaces it."
            )
        try:
            key = self._rotate()
            if key.state == SigningKey.State.PUBLISHED and wait:
                time.sleep(max(0.0, (ready_to_sign_at(key) - timezone.now()).total_seconds()))
                key = self._rotate()
        except SigningKeyError as exc:
            audit_record_system(action=ACTION, via=VIA, details={"refused": str(exc)})
            raise CommandError(str(exc)) from exc
        self.stdout.write(self._report(key, previous))

    def _rotate(self) -> SigningKey:
        key = signing_key_rotate()
        audit_record_system(action=ACTION, target=key, via=VIA, details={"state": key.state})
        return key

    def _report(self, key: SigningKey, previous: SigningKey | None) -> str:
        if key.state == SigningKey.State.PUBLISHED:
            return (
                f"Key {key.public_key_id} is published; CloudFront needs until "
                f"{ready_to_sign_at(key):%Y-%m-%d %H:%M:%S} UTC to spread it. Run this again "
                "then (or with --wait) to activate it."
            )
        lines = [f"Key {key.public_key_id} is now active ({key.algorithm})."]
        if previous is not None:
            previous.refresh_from_db()
            lines.append(
                f"Key {previous.public_key_id} is retiring: trusted until "
                f"{previous.trusted_until:%Y-%m-%d %H:%M:%S} UTC, then retired by beat."
            )
        return "\n".join(lines)


def _opens(key: SigningKey | None) -> bool:
    """Whether ``key`` (none counts as fine) decrypts with the configured encryption keys."""
    if key is None:
        return True
    try:
        decrypt_private_key(key.encrypted_private_key)
    except UndecryptableKey:
        return False
    return True
