"""The reconciliation sweep: what storage holds, compared with what the rows reference.

Objects under ``originals/`` and ``renditions/`` that no row references and that are older than
a safety margin (orphans: a failed upload's leftovers, a deletion lost before the outbox
existed) are queued in the deletion outbox, never deleted here; rows whose objects are missing
are reported, and a ready photo missing renditions is processed again from its original. Empty
directories left on the local disk are removed. Each sweep is written down as a
``ReconciliationRun``, shown on the admin dashboard and in ``/metrics``.

Memory is bounded by one folder: storage is listed folder by folder (``originals/<owner>/``,
``renditions/<pet>/``) and each folder is compared with the keys the rows hold under it.

Referenced, and so never an orphan: any photo's original (whatever its state), any rendition,
the key of an upload ticket that may still receive its upload, and anything already waiting in
the outbox (counted as such, never queued twice). The margin must exceed a ticket's life plus
the time an upload may still be landing and a processing run: anything younger is only counted.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import DatabaseError, transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils import timezone

from cdn.objects import ORIGINALS_PREFIX, RENDITIONS_PREFIX
from images.models import (
    PendingObjectDeletion,
    Photo,
    ReconciliationRun,
    Rendition,
    UploadTicket,
)
from images.pure.upload_tickets import UPLOAD_LANDING_GRACE
from images.services.deletions import objects_queue_deletion
from images.services.photos import photo_reprocess
from images.storage import StoredObject

logger = logging.getLogger(__name__)

EXAMPLES_PER_KIND = 10
EXAMPLE_KINDS = (
    "orphans",
    "already_queued",
    "recent_unreferenced",
    "missing_originals",
    "missing_renditions",
    "reprocess",  # photo ids: made again (or, in a dry run, that would be)
    "empty_directories",  # removed (or, in a dry run, that would be)
)
# A directory younger than this may have just been made by an upload about to write into it.
EMPTY_DIRECTORY_MIN_AGE = datetime.timedelta(minutes=1)
# Photos in these states have had their original uploaded: it must be in storage.
EXPECTED_STATES = (Photo.State.READY, Photo.State.PROCESSING)
# Keys per ``IN (...)`` look-up (SQLite allows a limited number of parameters).
LOOKUP_CHUNK = 500


# --- The decision, pure --------------------------------------------------------------------


@dataclass
class Classification:
    """One folder's objects, sorted into what the sweep does with them."""

    seen: int = 0
    orphans: list[str] = field(default_factory=list)
    already_queued: list[str] = field(default_factory=list)
    recent_unreferenced: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def classify(
    stored: Iterable[StoredObject],
    *,
    referenced: Iterable[str],
    expected: Iterable[str],
    queued: Iterable[str],
    cutoff: datetime.datetime,
) -> Classification:
    """Sort ``stored`` (the objects of one folder) against the rows.

    ``referenced``: keys a row needs kept; ``expected``: keys a row needs present (missing when
    not stored); ``queued``: keys in the deletion outbox, a key ending in ``/`` standing for
    everything under it. An unreferenced object not yet queued is an orphan when modified
    before ``cutoff``, else only counted. A folder marker (a key ending in ``/``, as S3
    consoles make) is never an orphan: queued, it would stand for every object under it.
    """
    referenced = set(referenced)
    queued = set(queued)
    queued_folders = tuple(key for key in queued if key.endswith("/"))
    result = Classification()
    seen = set()
    for stored_object in stored:
        key = stored_object.key
        result.seen += 1
        seen.add(key)
        if key in referenced or key.endswith("/"):
            continue
        if key in queued or key.startswith(queued_folders):
            result.already_queued.append(key)
        elif stored_object.modified < cutoff:
            result.orphans.append(key)
        else:
            result.recent_unreferenced.append(key)
    result.missing = sorted(set(expected) - seen)
    return result


def ancestors(key: str) -> list[str]:
    """The folders above ``key``, each ending in ``/``: ``a/``, ``a/b/`` for ``a/b/c``."""
    parts = key.split("/")[:-1]
    return ["/".join(parts[: depth + 1]) + "/" for depth in range(len(parts))]


# --- The sweep -----------------------------------------------------------------------------


def orphan_margin() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.STORAGE_ORPHAN_MIN_AGE_SECONDS)


def minimum_margin() -> datetime.timedelta:
    """The shortest safe margin: an upload ticket's life, the time its upload may still be
    landing after it expired, and a processing run (renditions are written before their rows)."""
    return (
        datetime.timedelta(seconds=settings.PHOTO_UPLOAD_TICKET_SECONDS)
        + UPLOAD_LANDING_GRACE
        + datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    )


def storage_reconcile(
    *,
    dry_run: bool = False,
    margin: datetime.timedelta | float | None = None,
    now: datetime.datetime | None = None,
) -> ReconciliationRun:
    """Compare storage with the rows, queue the orphans for deletion, process again the ready
    photos missing renditions, remove empty local directories; a dry run only counts. Returns
    the run, saved. A storage (or any other) error is recorded on the run, then raised.

    ``margin``: how old an unreferenced object must be to be an orphan (a timedelta or
    seconds; default ``STORAGE_ORPHAN_MIN_AGE_SECONDS``); a margin shorter than
    ``minimum_margin()`` is refused with ValueError. ``now``: the moment ages are measured from.
    """
    if margin is None:
        margin = orphan_margin()
    elif not isinstance(margin, datetime.timedelta):
        margin = datetime.timedelta(seconds=margin)
    if margin < minimum_margin():
        raise ValueError(
            f"a margin of {margin.total_seconds():.0f} s could take an upload or a processing "
            f"run in progress for an orphan; it must be at least "
            f"{minimum_margin().total_seconds():.0f} s"
        )
    now = now or timezone.now()
    run = ReconciliationRun.objects.create(started_at=now, dry_run=dry_run)
    sweep = _Sweep(run, storage=default_storage, now=now, cutoff=now - margin, dry_run=dry_run)
    clock = time.monotonic()
    try:
        sweep.run()
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:1000]
        logger.exception("the storage reconciliation failed")
        with contextlib.suppress(DatabaseError):
            _record(run, sweep, now, clock)
        raise
    _record(run, sweep, now, clock)
    logger.info(
        "storage reconciliation%s: %d objects, %d orphans (%d queued), %d recent unreferenced, "
        "%d missing originals, %d missing renditions, %d photos reprocessed, "
        "%d empty directories removed",
        " (dry run)" if dry_run else "",
        run.objects_seen,
        run.orphans,
        run.orphans_queued,
        run.recent_unreferenced,
        run.missing_originals,
        run.missing_renditions,
        run.reprocessed,
        run.empty_directories_removed,
    )
    return run


def _record(run: ReconciliationRun, sweep: _Sweep, now: datetime.datetime, clock: float) -> None:
    run.examples = sweep.examples
    run.finished_at = now + datetime.timedelta(seconds=time.monotonic() - clock)
    run.save()


@dataclass(frozen=True)
class _Side:
    """``originals/`` or ``renditions/``, and the rows whose keys live there."""

    top: str
    name: str  # "originals", "renditions"

    def rows(self) -> QuerySet:
        if self.name == "originals":
            return Photo.objects.order_by()
        return Rendition.objects.order_by()

    @property
    def key_field(self) -> str:
        return "original_key" if self.name == "originals" else "key"


ORIGINALS = _Side(ORIGINALS_PREFIX, "originals")
RENDITIONS = _Side(RENDITIONS_PREFIX, "renditions")


@dataclass(frozen=True)
class _Unit:
    """What one step compares: a folder (``originals/12/``), or the objects lying directly
    under a top-level prefix (``loose``: none should, but a stray one is still an orphan)."""

    prefix: str
    loose: bool = False
    files: tuple[str, ...] = ()  # loose only: the keys storage listed


class _Sweep:
    def __init__(
        self,
        run: ReconciliationRun,
        *,
        storage: Storage,
        now: datetime.datetime,
        cutoff: datetime.datetime,
        dry_run: bool,
    ):
        self.run_row, self.storage, self.now, self.cutoff = run, storage, now, cutoff
        self.dry_run = dry_run
        self.examples: dict[str, list[str]] = {kind: [] for kind in EXAMPLE_KINDS}

    def run(self) -> None:
        for side in (ORIGINALS, RENDITIONS):
            for unit in self._units(side):
                self._reconcile(side, unit)
        if self.storage.keeps_directories:
            for top in (ORIGINALS_PREFIX, RENDITIONS_PREFIX):
                self._remove_empty_directories(top)

    def _example(self, kind: str, keys: Iterable[str]) -> None:
        room = EXAMPLES_PER_KIND - len(self.examples[kind])
        if room > 0:
            self.examples[kind].extend(list(keys)[:room])

    # --- Which folders -----------------------------------------------------------------

    def _units(self, side: _Side) -> Iterator[_Unit]:
        """Every folder storage has under ``side.top``, and every one the rows expect objects
        in (a folder gone from storage holds missing objects), then the loose keys."""
        try:
            directories, files = self.storage.listdir(side.top)
        except FileNotFoundError:  # the local disk has no such directory yet
            directories, files = [], []
        folders = {f"{side.top}{name}/" for name in directories}
        from_rows = set(_folders_of_rows(side))
        loose_rows = side.top in from_rows
        folders |= from_rows - {side.top}
        for folder in sorted(folders):
            yield _Unit(folder)
        if files or loose_rows:
            yield _Unit(side.top, loose=True, files=tuple(f"{side.top}{name}" for name in files))

    def _listed(self, unit: _Unit) -> list[StoredObject]:
        if not unit.loose:
            return list(self.storage.stored_objects(unit.prefix))
        listed = []
        for key in unit.files:
            try:
                size, modified = self.storage.size(key), self.storage.get_modified_time(key)
            except FileNotFoundError:  # deleted since it was listed
                continue
            listed.append(StoredObject(key, size, modified))
        return listed

    # --- One folder --------------------------------------------------------------------

    def _reconcile(self, side: _Side, unit: _Unit) -> None:
        # Listed before the rows are read: an object a row references by then is kept.
        stored = self._listed(unit)
        referenced, expected = set(), set()
        rows = _under(side.rows(), side.key_field, unit)
        if side is ORIGINALS:
            for key, state in rows.values_list("original_key", "state").iterator(2000):
                referenced.add(key)
                if state in EXPECTED_STATES:
                    expected.add(key)
        else:
            referenced = set(rows.values_list("key", flat=True).iterator(2000))
            expected = referenced
        unreferenced = [
            s.key for s in stored if s.key not in referenced and not s.key.endswith("/")
        ]
        queued: set[str] = set()
        if unreferenced:
            if side is ORIGINALS:
                referenced |= self._ticket_keys(unreferenced)
            queued = _queued_among(unreferenced)
        result = classify(
            stored, referenced=referenced, expected=expected, queued=queued, cutoff=self.cutoff
        )
        run = self.run_row
        run.objects_seen += result.seen
        run.recent_unreferenced += len(result.recent_unreferenced)
        self._example("recent_unreferenced", result.recent_unreferenced)
        self._example("already_queued", result.already_queued)
        if result.orphans:
            self._orphans(result.orphans)
        if result.missing:
            if side is ORIGINALS:
                self._missing_originals(result.missing)
            else:
                self._missing_renditions(result.missing)

    def _ticket_keys(self, keys: list[str]) -> set[str]:
        """Those of ``keys`` whose upload ticket may still see its upload land."""
        landing = self.now - UPLOAD_LANDING_GRACE
        found = set()
        for chunk in _chunks(keys):
            tickets = UploadTicket.objects.filter(original_key__in=chunk, expires_at__gt=landing)
            found.update(tickets.values_list("original_key", flat=True))
        return found

    def _orphans(self, orphans: list[str]) -> None:
        self.run_row.orphans += len(orphans)
        self._example("orphans", orphans)
        if self.dry_run:
            return
        # Due at once; the outbox's beat task deletes them (and keeps any key a photo being
        # processed writes again meanwhile).
        with transaction.atomic():
            queued = objects_queue_deletion(orphans, not_before=timezone.now())
        self.run_row.orphans_queued += queued

    def _missing_originals(self, keys: list[str]) -> None:
        still_expected = set()
        for chunk in _chunks(keys):
            photos = Photo.objects.filter(original_key__in=chunk, state__in=EXPECTED_STATES)
            still_expected.update(photos.values_list("original_key", flat=True))
        # Checked again: an upload completed since the folder was listed is no loss.
        missing = [key for key in keys if key in still_expected and not self.storage.exists(key)]
        self.run_row.missing_originals += len(missing)
        self._example("missing_originals", missing)

    def _missing_renditions(self, keys: list[str]) -> None:
        photo_of = {}
        for chunk in _chunks(keys):
            photo_of.update(Rendition.objects.filter(key__in=chunk).values_list("key", "photo_id"))
        missing = [key for key in keys if key in photo_of and not self.storage.exists(key)]
        self.run_row.missing_renditions += len(missing)
        self._example("missing_renditions", missing)
        if missing:
            self._reprocess({photo_of[key] for key in missing})

    def _reprocess(self, photo_ids: set) -> None:
        """Process again the ready photos among ``photo_ids`` whose original is still there:
        their renditions are made again (those present are left as they are)."""
        ready = Photo.objects.filter(pk__in=photo_ids, state=Photo.State.READY).order_by("pk")
        for photo in ready:
            if not self.storage.exists(photo.original_key):
                continue  # nothing to make them from: the original is reported missing
            self._example("reprocess", [str(photo.pk)])
            if self.dry_run:
                continue
            try:
                photo = photo_reprocess(photo=photo)
            except Photo.DoesNotExist:  # deleted meanwhile
                continue
            if photo.state == Photo.State.PROCESSING:
                self.run_row.reprocessed += 1

    # --- Empty directories (local disk) ---------------------------------------------

    def _remove_empty_directories(self, top: str) -> None:
        """Remove the empty directories under ``top``, deepest first, but not ``top`` itself,
        nor any changed within EMPTY_DIRECTORY_MIN_AGE. Their ages are read before anything
        is removed, since removing a directory changes its parent's."""
        root = os.path.normpath(self.storage.path(top))
        if not os.path.isdir(root):
            return
        modified = {}
        for directory, subdirectories, _files in os.walk(root):
            for name in subdirectories:
                path = os.path.join(directory, name)
                with contextlib.suppress(FileNotFoundError):
                    modified[path] = os.stat(path).st_mtime
        old_before = (self.now - EMPTY_DIRECTORY_MIN_AGE).timestamp()
        removed: set[str] = set()
        for directory, _subdirectories, _files in os.walk(root, topdown=False):
            if directory == root or modified.get(directory, old_before) >= old_before:
                continue
            try:
                entries = os.listdir(directory)
            except FileNotFoundError:
                continue
            if any(os.path.join(directory, entry) not in removed for entry in entries):
                continue
            if not self.dry_run:
                try:
                    os.rmdir(directory)
                except OSError:  # written into meanwhile, or gone
                    continue
                self.run_row.empty_directories_removed += 1
            removed.add(directory)
            relative = os.path.relpath(directory, self.storage.location).replace(os.sep, "/")
            self._example("empty_directories", [f"{relative}/"])


def _under(rows: QuerySet, key_field: str, unit: _Unit) -> QuerySet:
    """The rows whose key lies in ``unit``: under its folder, or directly under the top."""
    rows = rows.filter(**{f"{key_field}__startswith": unit.prefix})
    if unit.loose:
        rest = Substr(key_field, len(unit.prefix) + 1)
        rows = rows.alias(_slash=StrIndex(rest, Value("/"))).filter(_slash=0)
    return rows


def _folders_of_rows(side: _Side) -> Iterator[str]:
    """The distinct folders (``originals/12/``) holding objects the rows expect, counted by the
    database; ``side.top`` itself stands for keys lying directly under it."""
    key_field, start = side.key_field, len(side.top)
    rows = side.rows().filter(**{f"{key_field}__startswith": side.top})
    if side is ORIGINALS:
        rows = rows.filter(state__in=EXPECTED_STATES)
    slash = StrIndex(Substr(key_field, start + 1), Value("/"))
    folders = rows.annotate(_folder=Substr(key_field, 1, slash + start)).values_list(
        "_folder", flat=True
    )
    return folders.distinct().iterator(2000)


def _queued_among(keys: list[str]) -> set[str]:
    """The outbox's keys that stand for any of ``keys``: themselves, or a folder above them.
    Looked up by the keys themselves: the outbox is small, and not indexed by key."""
    candidates = set(keys)
    for key in keys:
        candidates.update(ancestors(key))
    queued = set()
    for chunk in _chunks(sorted(candidates)):
        queued.update(
            PendingObjectDeletion.objects.filter(key__in=chunk).values_list("key", flat=True)
        )
    return queued


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), LOOKUP_CHUNK):
        yield items[start : start + LOOKUP_CHUNK]
