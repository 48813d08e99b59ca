"""Compare what storage holds with what the rows reference: queue the orphans for deletion,
report missing objects, process again the photos missing renditions, remove empty local
directories. Beat runs the same sweep daily; ``--dry-run`` only counts."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.audit import audit_record_system
from images.models import ReconciliationRun
from images.services.reconciliation import orphan_margin, storage_reconcile
from images.storage import OBJECT_STORE_ERRORS

ACTION = "storage.reconcile"
VIA = "manage.py storage_reconcile"


class Command(BaseCommand):
    help = (
        "Find stored objects no row references (queued for deletion once older than the "
        "margin) and rows whose objects are missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only count and show examples: queue, process and remove nothing.",
        )
        parser.add_argument(
            "--margin",
            type=int,
            metavar="SECONDS",
            help="How old an unreferenced object must be to be deleted (default: "
            "STORAGE_ORPHAN_MIN_AGE_SECONDS).",
        )

    def handle(self, *args, dry_run: bool = False, margin: int | None = None, **options) -> None:
        try:
            run = storage_reconcile(dry_run=dry_run, margin=margin)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        except OBJECT_STORE_ERRORS as exc:
            raise CommandError(f"Storage could not be read: {exc}") from exc
        if not dry_run:
            audit_record_system(
                action=ACTION,
                target=run,
                via=VIA,
                details={"orphans_queued": run.orphans_queued, "reprocessed": run.reprocessed},
            )
        margin_shown = datetime.timedelta(seconds=margin) if margin else orphan_margin()
        self.stdout.write(report(run, margin_shown))


def report(run: ReconciliationRun, margin: datetime.timedelta) -> str:
    """The run, for a person: counts, each followed by a few of its keys."""
    examples = run.examples
    if run.dry_run:
        lines = ["Dry run: nothing was queued, processed or removed."]
        queued = "none queued (dry run)"
        reprocess_title = "Photos that would be processed again to make them:"
        directories_title = "Empty directories that would be removed:"
    else:
        lines = ["Storage reconciled."]
        queued = f"{run.orphans_queued} queued for deletion"
        reprocess_title = f"Photos processed again to make them: {run.reprocessed}"
        directories_title = f"Empty directories removed: {run.empty_directories_removed}"
    lines += [
        f"Objects seen: {run.objects_seen}",
        f"Orphans (no row references them, older than {margin}): {run.orphans}, {queued}",
        *_keys(examples.get("orphans"), run.orphans),
        f"Unreferenced but younger than {margin}, left for now: {run.recent_unreferenced}",
        *_keys(examples.get("recent_unreferenced"), run.recent_unreferenced),
    ]
    if examples.get("already_queued"):
        lines += ["Already waiting in the deletion queue:", *_keys(examples["already_queued"])]
    lines += [
        f"Photos whose original is missing: {run.missing_originals}",
        *_keys(examples.get("missing_originals"), run.missing_originals),
        f"Renditions missing: {run.missing_renditions}",
        *_keys(examples.get("missing_renditions"), run.missing_renditions),
    ]
    if examples.get("reprocess"):
        lines += [reprocess_title, *_keys(examples["reprocess"])]
    if examples.get("empty_directories"):
        lines += [directories_title, *_keys(examples["empty_directories"])]
    return "\n".join(lines)


def _keys(keys: list[str] | None, total: int = 0) -> list[str]:
    keys = list(keys or ())
    more = [f"  … and {total - len(keys)} more"] if total > len(keys) else []
    return [*(f"  {key}" for key in keys), *more]
