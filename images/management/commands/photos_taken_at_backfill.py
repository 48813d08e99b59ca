"""Read when photos uploaded before dates were read (issue 15) were taken, from their originals.

    manage.py photos_taken_at_backfill [--batch N]

Migration 0009 gave them their upload time; this reads each one's original through the storage
interface (only its metadata: a PNG's pixels, which its text may follow, are decoded too) and
sets the date it says. One whose original is missing, replaced, not an image or silent keeps its
upload time. Idempotent: a photo read is never read again, so a second run reads nothing (setup
runs it at every start, ``scripts/run``). A storage error leaves the photo for the next run."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from images.management.commands.renditions_backfill import positive
from images.services.photos import photos_read_taken_at

DEFAULT_BATCH = 200


class Command(BaseCommand):
    help = "Read the date taken of photos uploaded before dates were read, from their originals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            type=positive,
            default=DEFAULT_BATCH,
            metavar="N",
            help=f"Photos fetched a query (default {DEFAULT_BATCH}).",
        )

    def handle(self, *args, batch: int = DEFAULT_BATCH, **options):
        done = photos_read_taken_at(batch=batch)
        self.stdout.write(
            f"Dates taken read from originals: {done.read}; upload time kept (the original "
            f"says nothing, is missing or unreadable): {done.upload_time}"
        )
        if done.skipped:
            self.stdout.write(f"Left for a later run (storage failed): {done.skipped}")
