"""Revocation at the edge: access floors.

Rendition URLs never change (browsers keep their caches), so a revocation cannot make a new
URL; it raises the pet's *access floor* instead, an integer in epoch seconds. Every grant of a
pet's renditions (a custom policy, in signed cookies or a signed query) names when it starts as
``DateGreaterThan`` (``cdn.signer.grant_start``: two minutes before its signing window began,
or the pet's floor when that is later), and a grant opens the pet's renditions only if its
``DateGreaterThan`` (none counts as 0) is at least the pet's floor (``floor_admits``). Pets
never revoked have no floor. Originals (canned policies) have no floors.

A revocation sets ``floor = max(now - 59, old floor + 1)`` (``raised_floor``): grants signed
afterwards carry the new floor, 59 seconds in the past so that an edge whose clock is behind
still finds them started, while every grant signed before carries a lower one (or none).

Two edges apply the rule: the local edge (``cdn.edge``) reads the floors from the database
through a ``FLOOR_CACHE_SECONDS`` cache; CloudFront reads them from a KeyValueStore
(``cdn.keyvaluestore``) in the renditions' viewer-request function. The floors reach the store
after commit (``cdn.tasks.push_access_floors``), or at beat's next sweep (every 10 s) when the
broker did not take the task; a failed push is retried with backoff, never given up.

Floors are dropped once nothing they refuse is still valid (``access_floors_prune``, hourly):
grants signed by then start later than the floor anyway, and the KeyValueStore (5 MB) does not
fill up over the years.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cdn.keyvaluestore import MAX_KEYS_PER_UPDATE, KeyValueStore, KvsError, StaleETag
from cdn.keyvaluestore import key_value_store as configured_store
from cdn.models import AccessFloor
from cdn.signer import CLOCK_SKEW_SECONDS as EDGE_CLOCK_SKEW_SECONDS
from cdn.signer import longest_url_life
from pettracker.celery import app

logger = logging.getLogger(__name__)

# What people are told: a revocation closes every edge within this (pages say so).
EDGE_REVOCATION_SECONDS = 60
# A new floor lies this far in the past: an edge whose clock is behind ours by up to this much
# still finds a grant signed at once after the revocation started.
CLOCK_SKEW_SECONDS = EDGE_REVOCATION_SECONDS - 1
# How long a process's local edge may use a floor it read (the local edge's share of the
# 60 seconds; the process that revokes forgets its copies at commit).
FLOOR_CACHE_SECONDS = 5
FLOOR_CACHE_LIMIT = 10_000  # pets whose floors a process keeps (then it starts afresh)
# A push that fails is tried again after 10 s, then twice as long each time, at most 15 min.
PUSH_FIRST_BACKOFF = datetime.timedelta(seconds=10)
PUSH_MAX_BACKOFF = datetime.timedelta(minutes=15)
PUSH_TASK = "cdn.tasks.push_access_floors"
# A request that read a pet's floor just before a revocation committed signs its grant with the
# old floor a moment later: floors are kept this much longer than the grants' life.
PRUNE_SLACK_SECONDS = 300
PRUNE_BATCH = 2000  # floors dropped per run at most (the next run goes on)


def _pet_ids(pet_ids: Iterable) -> list[uuid.UUID]:
    return sorted(
        {value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for value in pet_ids}
    )


# --- The rule ------------------------------------------------------------------------------


def floor_admits(date_greater_than: int | None, floor: int | None) -> bool:
    """Whether a grant with this ``DateGreaterThan`` (``None``: none) opens a pet with this
    access floor (``None``: never revoked)."""
    return floor is None or (date_greater_than or 0) >= floor


def raised_floor(old_floor: int | None, now: int) -> int:
    """A pet's floor after a revocation at ``now``: above every grant signed before (which
    carry ``old_floor`` at most), and ``CLOCK_SKEW_SECONDS`` in the past."""
    return max(now - CLOCK_SKEW_SECONDS, (old_floor or 0) + 1)


# --- Reading and raising floors ------------------------------------------------------------


def access_floors(pet_ids: Iterable) -> dict[uuid.UUID, int]:
    """The access floors of those of ``pet_ids`` that have one (one query)."""
    ids = _pet_ids(pet_ids)
    if not ids:
        return {}
    return dict(AccessFloor.objects.filter(pet_id__in=ids).values_list("pet_id", "floor"))


def renditions_revoke(pet_ids: Iterable, *, now: int | None = None) -> dict[uuid.UUID, int]:
    """Raise the access floors of ``pet_ids``, in the caller's transaction: once it commits,
    no grant signed before opens their renditions at the local edge (within
    ``FLOOR_CACHE_SECONDS`` in other processes) or, once pushed, at CloudFront. Returns the new
    floors."""
    ids = _pet_ids(pet_ids)
    if not ids:
        return {}
    now = int(time.time()) if now is None else int(now)
    with transaction.atomic():
        rows = _locked_rows(ids)
        moment = timezone.now()
        for row in rows:
            row.floor = raised_floor(row.floor, now)
            row.not_before, row.attempts, row.last_error = moment, 0, ""
            row.updated_at = moment
        AccessFloor.objects.bulk_update(
            rows, ["floor", "not_before", "attempts", "last_error", "updated_at"]
        )
        transaction.on_commit(forget_cached_floors)
        transaction.on_commit(_send_push_task, robust=True)
    return {row.pet_id: row.floor for row in rows}


def _locked_rows(ids: list[uuid.UUID]) -> list[AccessFloor]:
    """A row for each pet (floor 0 stands for none), locked: concurrent revocations of the
    same pets wait for each other. An insert that met an existing row does nothing and takes
    no lock, so a prune may delete that row before we lock it: it is then made again (a new
    row, floor 0, is never pruned), which takes two rounds at most."""
    rows: list[AccessFloor] = []
    missing = ids
    while missing:
        AccessFloor.objects.bulk_create(
            [AccessFloor(pet_id=pet_id, floor=0) for pet_id in missing], ignore_conflicts=True
        )
        locking = AccessFloor.objects.select_for_update().filter(pet_id__in=missing)
        rows += locking.order_by("pk")
        missing = sorted(set(missing) - {row.pet_id for row in rows})
    return sorted(rows, key=lambda row: row.pk)


def _send_push_task() -> None:
    """Queue the push; when the broker does not take it, beat's sweep pushes within 10 s of
    its return (``on_commit(robust=True)`` logs the failure)."""
    app.tasks[PUSH_TASK].delay()


# --- Pushing floors to CloudFront's KeyValueStore -------------------------------------------


def access_floors_push(
    *,
    now: datetime.datetime | None = None,
    batch: int = 500,
    store: Callable[[], KeyValueStore | None] = configured_store,
) -> int:
    """Push the floors the KeyValueStore may not hold yet and whose try is due; returns how
    many were pushed. A failed call is recorded on its rows (``attempts``, ``last_error``,
    ``not_before``), never raised: beat's sweep tries them again. Without a store (no
    CloudFront), rows are simply marked pushed: the local edge reads the database."""
    moment = now or timezone.now()
    due = AccessFloor.objects.due(moment).order_by("not_before", "pk")
    pet_ids = list(due.values_list("pet_id", flat=True)[:batch])
    if not pet_ids:
        return 0
    kvs = store()
    if kvs is None:
        AccessFloor.objects.filter(pk__in=pet_ids).update(
            pushed_floor=F("floor"), attempts=0, last_error=""
        )
        return len(pet_ids)
    pushed, etag = 0, None
    for start in range(0, len(pet_ids), MAX_KEYS_PER_UPDATE):
        chunk = pet_ids[start : start + MAX_KEYS_PER_UPDATE]
        try:
            etag, floors = _push(kvs, chunk, etag)
        except KvsError as exc:
            _record_push_failure(chunk, exc, moment)
            etag = None
            continue
        _record_pushed(floors)
        pushed += len(floors)
    return pushed


def _push(kvs: KeyValueStore, pet_ids: list[uuid.UUID], etag: str | None):
    """Put the current floors of ``pet_ids``; a write that raced another is tried once more.

    The floors are read *after* the ETag the write names: a floor another process wrote
    before that ETag was read from the database before it, so ours is at least as high, and a
    write after it makes ours stale. Either way no pushed floor ever goes down.

    Only floors not yet recorded as pushed are put: one another pusher put meanwhile is there
    already, and may since have been pruned (``access_floors_prune``), which a late write
    must not undo."""
    for attempt in (1, 2):
        if etag is None:
            etag = kvs.etag()
        floors = _unpushed_floors(pet_ids)
        if not floors:
            return etag, floors
        values = {str(pet_id): str(floor) for pet_id, floor in floors.items()}
        try:
            return kvs.put(values, etag=etag), floors
        except StaleETag:
            if attempt == 2:
                raise
            etag = None
    raise AssertionError("unreachable")


def _unpushed_floors(pet_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = AccessFloor.objects.unpushed().filter(pet_id__in=pet_ids)
    return dict(rows.values_list("pet_id", "floor"))


def _record_pushed(floors: dict[uuid.UUID, int]) -> None:
    """What the store holds now; never lowered (a slower pusher may finish after a faster
    one). One query per distinct floor: a revocation of many pets gives them one."""
    pets_by_floor: dict[int, list[uuid.UUID]] = {}
    for pet_id, floor in floors.items():
        pets_by_floor.setdefault(floor, []).append(pet_id)
    for floor, pet_ids in pets_by_floor.items():
        AccessFloor.objects.filter(pk__in=pet_ids).filter(
            Q(pushed_floor__isnull=True) | Q(pushed_floor__lt=floor)
        ).update(pushed_floor=floor, attempts=0, last_error="")


def _record_push_failure(pet_ids, exc: Exception, moment: datetime.datetime) -> None:
    error = f"{type(exc).__name__}: {exc}"[:1000]
    for row in AccessFloor.objects.filter(pk__in=pet_ids):
        row.attempts += 1
        row.last_error = error
        row.not_before = moment + min(
            PUSH_MAX_BACKOFF, PUSH_FIRST_BACKOFF * 2 ** (row.attempts - 1)
        )
        row.save(update_fields=["attempts", "last_error", "not_before", "updated_at"])
    logger.warning(
        "could not push %d access floors to the key value store: %s", len(pet_ids), error
    )


# --- Pruning floors nothing needs any more --------------------------------------------------


def prunable_below(now: int, window: int) -> int:
    """Floors below this refuse no grant still valid at ``now``, at any edge.

    A floor lies ``CLOCK_SKEW_SECONDS`` before its revocation; every grant it refuses was
    signed before the revocation committed (``PRUNE_SLACK_SECONDS`` covers a request that read
    the floor just before) and expires ``longest_url_life`` after it was signed at most, by
    CloudFront's clock, which may lag ours by the signer's ``CLOCK_SKEW_SECONDS``."""
    life = int(longest_url_life(window).total_seconds())
    return now - (CLOCK_SKEW_SECONDS + PRUNE_SLACK_SECONDS + life + EDGE_CLOCK_SKEW_SECONDS)


def access_floors_prune(
    now: int | None = None,
    *,
    batch: int = PRUNE_BATCH,
    store: Callable[[], KeyValueStore | None] = configured_store,
) -> int:
    """Drop the floors below ``prunable_below`` that the store holds (``pushed_floor ==
    floor``): first their keys in the KeyValueStore, then their rows. Returns how many rows
    were deleted; a failed call is logged, its rows kept for the next run.

    Why it is safe:

    * Every grant such a floor refuses has expired, at every edge; and every grant signed now
      starts (``cdn.signer.grant_start``) after it, so the floor refuses none of them either,
      wherever it is still seen (a process's floor cache, an edge the deletion has not reached).
    * Keys before rows all the same: a row deleted while its key is left would leave an entry
      nothing ever removes. So a row goes only once its key is deleted, and without a store
      (no CloudFront) there is nothing to delete remotely.
    * A key never goes while its row holds a higher floor. The rows are read again after the
      ETag the deletion names (as ``_push`` does): a revocation committed before that read is
      seen, and its key kept; its push written after the read makes our deletion stale. A
      revocation committed after that read may see its key deleted, so rows are deleted only
      where ``floor`` is still the floor we read (``filter(pk=..., floor=old)``); the others
      are marked unpushed and pushed again at once: the store ends up with the new floor,
      having held none for a moment, as before any push of a revocation.
    * A late push cannot bring a pruned key back: pushes put only floors not yet recorded as
      pushed, read after their ETag (``_push``).
    * A revocation racing the deletion of its pet's row makes the row again (``_locked_rows``).
    """
    now = int(time.time()) if now is None else int(now)
    below = prunable_below(now, settings.CDN_SIGNING_WINDOW_SECONDS)
    old = AccessFloor.objects.filter(floor__lt=below, pushed_floor=F("floor"))
    # In no fixed order: a key the store keeps refusing to delete does not hold back the same
    # neighbours in its call at every run.
    floors = dict(old.order_by("?").values_list("pet_id", "floor")[:batch])
    if not floors:
        return 0
    kvs = store()
    if kvs is None:
        return _delete_rows(floors)[0]
    deleted, etag, changed = 0, None, []
    pet_ids = list(floors)
    for start in range(0, len(pet_ids), MAX_KEYS_PER_UPDATE):
        chunk = {pet_id: floors[pet_id] for pet_id in pet_ids[start : start + MAX_KEYS_PER_UPDATE]}
        try:
            etag, gone = _delete_keys(kvs, chunk, etag)
        except KvsError as exc:
            logger.warning("could not prune %d access floors, kept for now: %s", len(chunk), exc)
            etag = None
            continue
        count, kept = _delete_rows(gone)
        deleted += count
        changed += kept
    if changed:
        AccessFloor.objects.filter(pk__in=changed).update(
            pushed_floor=None, not_before=timezone.now(), attempts=0
        )
        access_floors_push(store=lambda: kvs)
    return deleted


def _delete_keys(kvs: KeyValueStore, floors: dict[uuid.UUID, int], etag: str | None):
    """Delete the keys of those of ``floors`` whose rows still hold that floor, pushed, read
    after the ETag the deletion names; a deletion that raced a write is tried once more.
    Returns the new ETag and the floors whose keys were deleted."""
    for attempt in (1, 2):
        if etag is None:
            etag = kvs.etag()
        rows = AccessFloor.objects.filter(pk__in=list(floors), pushed_floor=F("floor"))
        unchanged = {
            pet_id: floor
            for pet_id, floor in rows.values_list("pet_id", "floor")
            if floor == floors[pet_id]
        }
        if not unchanged:
            return etag, unchanged
        try:
            return kvs.delete([str(pet_id) for pet_id in unchanged], etag=etag), unchanged
        except StaleETag:
            if attempt == 2:
                raise
            etag = None
    raise AssertionError("unreachable")


def _delete_rows(floors: dict[uuid.UUID, int]) -> tuple[int, list[uuid.UUID]]:
    """Delete the rows still at the floors given (one query per distinct floor); returns how
    many went and the pets whose rows stayed (a revocation raised them meanwhile)."""
    pets_by_floor: dict[int, list[uuid.UUID]] = {}
    for pet_id, floor in floors.items():
        pets_by_floor.setdefault(floor, []).append(pet_id)
    deleted = 0
    for floor, pet_ids in pets_by_floor.items():
        deleted += AccessFloor.objects.filter(pk__in=pet_ids, floor=floor).delete()[0]
    kept = []
    if deleted < len(floors):
        kept = list(AccessFloor.objects.filter(pk__in=list(floors)).values_list("pk", flat=True))
    return deleted, kept


# --- The local edge's cache ----------------------------------------------------------------


class FloorCache:
    """Each pet's floor (or its absence) as read within the last ``ttl`` seconds: the local
    edge asks the database once per pet and ``ttl``, not once per image."""

    def __init__(
        self,
        *,
        ttl: float = FLOOR_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        load: Callable[[list[uuid.UUID]], dict[uuid.UUID, int]] = access_floors,
    ):
        self.ttl, self.clock, self.load = ttl, clock, load
        self._entries: dict[uuid.UUID, tuple[int | None, float]] = {}
        self._generation = 0  # counts forget(): a read it overtook is not kept
        self._lock = threading.Lock()

    def floor(self, pet_id: uuid.UUID) -> int | None:
        now = self.clock()
        entry = self._entries.get(pet_id)
        if entry is not None and now < entry[1]:
            return entry[0]
        generation = self._generation
        floor = self.load([pet_id]).get(pet_id)
        with self._lock:
            if generation == self._generation:
                if len(self._entries) >= FLOOR_CACHE_LIMIT:
                    self._entries.clear()
                self._entries[pet_id] = (floor, now + self.ttl)
        return floor

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()


floor_cache = FloorCache()


def cached_floor(pet_id: uuid.UUID) -> int | None:
    """The pet's floor as this process's local edge applies it (at most
    ``FLOOR_CACHE_SECONDS`` old)."""
    return floor_cache.floor(pet_id)


def forget_cached_floors() -> None:
    floor_cache.forget()
