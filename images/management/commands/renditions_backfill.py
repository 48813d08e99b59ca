"""Make the renditions ready photos lack since the set grew (the 512 px square, issue 14).

    manage.py renditions_backfill [--dry-run] [--batch N]

Queues the processing task of the ``N`` newest ready photos lacking a rendition of the current
set; it makes only those, from the original, adds their rows and leaves the photos ready, their
other renditions untouched. Run it again until nothing is left: once processed, a photo is never
queued again. The storage reconciliation does not count a rendition a photo has no row for as
missing, so until then nothing reports these photos as broken."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.audit import audit_record_system
from images.services.photos import (
    RENDITION_NAMES,
    RenditionsBackfill,
    photos_queue_missing_renditions,
)

ACTION = "renditions.backfill"
VIA = "manage.py renditions_backfill"
DEFAULT_BATCH = 1000


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Queue the ready photos lacking a rendition of the current set, newest first, to have "
        "only those made."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count the photos lacking a rendition: queue nothing.",
        )
        parser.add_argument(
            "--batch",
            type=positive,
            default=DEFAULT_BATCH,
            metavar="N",
            help=f"Queue at most N photos this run (default {DEFAULT_BATCH}): they share the "
            "queue with new uploads. Run again for the rest once the workers have caught up.",
        )

    def handle(self, *args, dry_run: bool = False, batch: int = DEFAULT_BATCH, **options):
        backfill = photos_queue_missing_renditions(batch=batch, dry_run=dry_run)
        if backfill.queued:
            audit_record_system(
                action=ACTION,
                via=VIA,
                details={"queued": backfill.queued, "lacking": backfill.lacking},
            )
        self.stdout.write(report(backfill, dry_run=dry_run))
        if backfill.error:
            raise CommandError(
                f"The broker did not take the tasks ({backfill.error}): queued "
                f"{backfill.queued} of {backfill.chosen}; run it again once it is back."
            )


def report(backfill: RenditionsBackfill, *, dry_run: bool) -> str:
    names = ", ".join(RENDITION_NAMES)
    lines = [f"Ready photos lacking a rendition ({names}): {backfill.lacking}"]
    if dry_run:
        lines.insert(0, "Dry run: nothing was queued.")
        lines.append(f"Would queue: {backfill.chosen} (the newest, at most --batch)")
        return "\n".join(lines)
    lines.append(f"Queued for processing: {backfill.queued}")
    left = backfill.lacking - backfill.queued
    if left > 0:
        lines.append(f"Left for a later run: {left} (run it again once the workers caught up)")
    return "\n".join(lines)
