"""Photos moved to another pet of their owner: their renditions copied under the new pet's
prefix, the rows changed in one transaction, the old objects deleted and invalidated.

Who sees a photo follows its pet: once the rows commit, the new pet's sharers see it (their
cookies already open ``renditions/<new pet>/``) and the old pet's no longer do (pages and the
API at once, through the querysets). At the edge, the old objects are deleted through the
outbox and their paths invalidated: no grant reaches the photo under the new prefix but the
new pet's. The old pet's access floor is not raised: its sharers remain its sharers, and a
regrant would open the old prefix to them again at once, so a floor would cut nothing the
deletion and invalidation do not (and would make every one of them fetch new cookies).

The copies are made before the transaction, in the request (a page of photos at most,
``MOVE_MAX_PHOTOS``): if one fails, no row changes and the copies made are queued for deletion
(no row references them; reconciliation would find them too). Photos still being processed are
refused: their worker writes under the pet it read when it started.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from cdn.models import PendingInvalidation
from images.models import PendingObjectDeletion, Pet, Photo, Rendition
from images.pure.object_keys import moved_rendition_key, photo_renditions_prefix
from images.services.deletions import objects_queue_deletion
from images.services.errors import (
    ChangedMeanwhile,
    InvalidRequest,
    StillProcessing,
    StorageUnavailable,
)
from images.storage import OBJECT_STORE_ERRORS

logger = logging.getLogger(__name__)

# The most photos one move takes: each costs a copy per rendition, made in the request.
MOVE_MAX_PHOTOS = 100

MOVABLE_STATES = (Photo.State.READY, Photo.State.FAILED)


@dataclass(frozen=True)
class _Copy:
    rendition_id: int
    old_key: str
    new_key: str


def photos_move(
    *, photos, to_pet: Pet, record: Callable[[dict[uuid.UUID, uuid.UUID]], None] | None = None
) -> int:
    """Move ``photos`` (a queryset) to ``to_pet``, another pet of their owner; returns how many
    moved. Their caption, dates, uploader, favourites and originals stay (originals are keyed
    by owner, not by pet). A pet whose cover moves away falls back to its newest photo. All or
    nothing: ``StillProcessing`` for a photo not yet ready or failed, ``InvalidRequest`` for a
    pet of another owner or too many photos, ``StorageUnavailable`` when storage fails,
    ``ChangedMeanwhile`` when a photo changes during the copy. ``record``, if given, is called
    with each moved photo's id and the pet it left, inside the move's transaction (the audit
    trail): if it raises, nothing moves. The caller has checked that the actor owns both
    pets."""
    rows = list(photos.exclude(pet=to_pet).values_list("pk", "pet_id", "pet__owner_id", "state"))
    if not rows:
        return 0
    _refuse(rows, to_pet)
    copies = _plan(rows, to_pet)
    _copy_all(copies)
    try:
        return _commit(rows, copies, to_pet, record)
    except Exception:
        _discard(copies)
        raise


def _refuse(rows, to_pet: Pet) -> None:
    if len(rows) > MOVE_MAX_PHOTOS:
        raise InvalidRequest(f"Move at most {MOVE_MAX_PHOTOS} photos at once.")
    if any(owner != to_pet.owner_id for _pk, _pet, owner, _state in rows):
        raise InvalidRequest("Photos move only between pets of the same owner.")
    waiting = sum(1 for *_rest, state in rows if state not in MOVABLE_STATES)
    if waiting:
        raise StillProcessing(
            f"{waiting} of these photos {'is' if waiting == 1 else 'are'} still being "
            "processed: move them once they are ready."
        )


def _plan(rows, to_pet: Pet) -> list[_Copy]:
    renditions = Rendition.objects.filter(photo_id__in=[pk for pk, *_ in rows]).order_by("pk")
    return [
        _Copy(rendition_id, key, moved_rendition_key(key, to_pet_id=to_pet.pk))
        for rendition_id, key in renditions.values_list("pk", "key")
    ]


STORAGE_DOWN = (
    "The photos could not be moved (storage did not answer); nothing was changed. "
    "Try again in a minute."
)


def _copy_all(copies: list[_Copy]) -> None:
    made = []
    for copy in copies:
        try:
            copied = _copy(copy)
        except OBJECT_STORE_ERRORS as exc:
            logger.warning("move: could not copy %s: %s", copy.old_key, type(exc).__name__)
            _discard(made)
            raise StorageUnavailable(STORAGE_DOWN) from exc
        if copied:
            made.append(copy)


def _copy(copy: _Copy) -> bool:
    """Copy one rendition's object to its new key; False when it is missing already: the
    photo lacks it wherever it is, and reconciliation has it made again (missing renditions),
    so it must not hold the move back."""
    try:
        default_storage.copy_object(copy.old_key, copy.new_key)
    except FileNotFoundError:
        logger.warning("move: %s is missing; moved without it", copy.old_key)
        return False
    return True


def _discard(copies: list[_Copy]) -> None:
    """Queue the copies made for deletion: no row references them, so the outbox deletes them
    (a key that a row does reference, a photo moved back and forth, is kept)."""
    if copies:
        with transaction.atomic():
            objects_queue_deletion(copy.new_key for copy in copies)


@transaction.atomic
def _commit(rows, copies: list[_Copy], to_pet: Pet, record=None) -> int:
    ids = [pk for pk, *_ in rows]
    locked = {
        pk: (pet_id, state)
        for pk, pet_id, state in Photo.objects.select_for_update()
        .filter(pk__in=ids)
        .order_by("pk")
        .values_list("pk", "pet_id", "state")
    }
    now_keys = dict(Rendition.objects.filter(photo_id__in=ids).values_list("pk", "key"))
    unchanged = all(locked.get(pk, (None, None))[0] == pet for pk, pet, _o, _s in rows) and all(
        state in MOVABLE_STATES for _pet, state in locked.values()
    )
    if not unchanged or now_keys != {c.rendition_id: c.old_key for c in copies}:
        raise ChangedMeanwhile("Some of these photos changed while they were moved; try again.")
    _keep_targets(rows, copies, to_pet)
    _point_renditions(copies)
    from_pets = {pet for _pk, pet, _o, _s in rows}
    Photo.objects.filter(pk__in=ids).update(
        pet=to_pet, duplicate_of=None, updated_at=timezone.now()
    )
    # A duplicate is of an earlier photo of the same pet: the pair no longer is.
    Photo.objects.filter(duplicate_of__in=ids).update(duplicate_of=None)
    Pet.objects.filter(pk__in=from_pets, cover_photo__in=ids).update(cover_photo=None)
    _forget_old(rows, copies)
    if record is not None:
        record({pk: pet_id for pk, pet_id, _o, _s in rows})
    return len(rows)


def _keep_targets(rows, copies: list[_Copy], to_pet: Pet) -> None:
    """Make sure the objects the rows are about to point at are there, and stay.

    A photo moved back to a pet it has just left comes back to keys the first move queued for
    deletion (its old folder). Those deletions are cancelled (anything else left in the folder
    is an orphan reconciliation finds). The outbox may have deleted the objects already, after
    our copy (which, on local storage, kept the targets it found); it checks and deletes under
    the photo's row lock, which we hold, so what it deleted is gone now and what it has not it
    will keep (the rows point at it once we commit). What is gone is copied again."""
    folders = [photo_renditions_prefix(pet_id=to_pet.pk, photo_id=pk) for pk, *_ in rows]
    PendingObjectDeletion.objects.filter(key__in=[*folders, *(c.new_key for c in copies)]).delete()
    try:
        # One listing per photo rather than a look-up per rendition.
        stored = {obj.key for folder in folders for obj in default_storage.stored_objects(folder)}
        for copy in copies:
            if copy.new_key not in stored:
                _copy(copy)
    except OBJECT_STORE_ERRORS as exc:
        raise StorageUnavailable(STORAGE_DOWN) from exc


def _point_renditions(copies: list[_Copy]) -> None:
    renditions = [Rendition(pk=c.rendition_id, key=c.new_key) for c in copies]
    Rendition.objects.bulk_update(renditions, ["key"], batch_size=500)


def _forget_old(rows, copies: list[_Copy]) -> None:
    """Queue the old objects for deletion (each photo's old folder: whatever a failed run left
    there too) and their CDN paths for invalidation, in the move's transaction."""
    PendingInvalidation.objects.bulk_create(
        PendingInvalidation(path=f"/{c.old_key}") for c in copies
    )
    objects_queue_deletion(
        photo_renditions_prefix(pet_id=pet_id, photo_id=pk) for pk, pet_id, _o, _s in rows
    )
