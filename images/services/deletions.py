"""The deletion outbox: stored objects whose rows are gone, deleted by a worker.

Keys are queued in the same transaction as the rows' deletion, so a broker outage cannot leave a
deleted photo's original (and its GPS) behind; each key is then tried on its own (see
``objects_delete_pending``).
"""

from __future__ import annotations

import datetime
import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from images import jobs
from images.models import PendingObjectDeletion, Photo, Rendition
from images.pure.object_keys import (
    photo_id_of_rendition_key,
)
from images.storage import (
    OBJECT_STORE_ERRORS,
)

logger = logging.getLogger(__name__)


def objects_queue_deletion(keys, *, not_before: datetime.datetime | None = None) -> int:
    """Queue stored objects for deletion, in the caller's transaction; a worker deletes them
    (from ``not_before``, when given). A key ending in ``/`` stands for every object under it.
    Returns how many keys were queued."""
    keys = list(keys)
    if not keys:
        return 0
    due = {"not_before": not_before} if not_before else {}
    PendingObjectDeletion.objects.bulk_create(PendingObjectDeletion(key=key, **due) for key in keys)
    if not_before is None:
        transaction.on_commit(_send_deletion_task, robust=True)
    return len(keys)


# A key that keeps failing is retried after 1, 2, 4 ... minutes, at most an hour apart, and
# set aside for a person to look at once it has failed for about a day.
DELETION_FIRST_BACKOFF = datetime.timedelta(minutes=1)

DELETION_MAX_BACKOFF = datetime.timedelta(hours=1)

DELETION_ATTEMPTS_BEFORE_SET_ASIDE = 30


def objects_delete_pending(*, batch: int = 200, now: datetime.datetime | None = None) -> int:
    """Delete the stored objects queued for deletion and due; returns how many keys were tried.

    Each key is tried on its own: one that cannot be deleted (permissions, object lock) gets
    its error and next try recorded and never holds back the keys behind it. Objects a photo
    still needs are kept: a rendition key a later run wrote again (same content, same key),
    and anything under a photo that is being processed.
    """
    tried = 0
    now = now or timezone.now()
    for pending in PendingObjectDeletion.objects.due(now).order_by("not_before", "pk")[:batch]:
        try:
            _delete_unneeded(pending.key)
        except OBJECT_STORE_ERRORS as exc:
            _record_deletion_failure(pending, exc, now)
        else:
            pending.delete()
        tried += 1
    return tried


def _delete_unneeded(key: str) -> None:
    if key.endswith("/"):
        for stored in default_storage.stored_objects(key):
            _delete_unneeded(stored.key)
        return
    # The check and the deletion hold the photo's row lock, as a move's commit does while it
    # makes sure the objects its rows will point at are there: a photo moved back to the folder
    # queued here keeps its objects or has them copied again (``images.services.moves``).
    with transaction.atomic():
        photo_id = photo_id_of_rendition_key(key)
        if photo_id:
            list(Photo.objects.select_for_update().filter(pk=photo_id).values_list("pk"))
        if _still_needed(key):
            return
        default_storage.delete(key)


def _still_needed(key: str) -> bool:
    if Rendition.objects.filter(key=key).exists():
        return True
    photo_id = photo_id_of_rendition_key(key)
    return (
        bool(photo_id) and Photo.objects.filter(pk=photo_id, state=Photo.State.PROCESSING).exists()
    )


def _record_deletion_failure(
    pending: PendingObjectDeletion, exc: Exception, now: datetime.datetime
) -> None:
    pending.attempts += 1
    pending.last_error = f"{type(exc).__name__}: {exc}"[:1000]
    backoff = min(DELETION_MAX_BACKOFF, DELETION_FIRST_BACKOFF * 2 ** (pending.attempts - 1))
    pending.not_before = now + backoff
    if pending.attempts >= DELETION_ATTEMPTS_BEFORE_SET_ASIDE:
        pending.set_aside_at = now
    pending.save(update_fields=["attempts", "last_error", "not_before", "set_aside_at"])
    logger.warning(
        "could not delete stored object %s (attempt %d): %s",
        pending.key,
        pending.attempts,
        pending.last_error,
    )


def object_deletions_retry(*, deletions) -> int:
    """Try set-aside (or backing-off) deletions again at the next run; returns how many."""
    count = deletions.update(set_aside_at=None, not_before=timezone.now(), attempts=0)
    if count:
        transaction.on_commit(_send_deletion_task, robust=True)
    return count


def _send_deletion_task() -> None:
    jobs.send(jobs.DELETE_PENDING_OBJECTS)
