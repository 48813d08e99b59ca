"""Celery tasks of photos: thin, taking ids, calling the services.

Acknowledgement, prefetch and time limits are set in settings (CELERY_*), not here.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from images.services import deletions, invitations, photos, sharing
from images.services.reconciliation import storage_reconcile
from images.storage import OBJECT_STORE_ERRORS
from pettracker.celery import TASK_MAX_RETRIES, retry_backoff

logger = logging.getLogger(__name__)

# Errors of the storage, the network or the database (a restart, a lock), worth another try.
STORAGE_ERRORS = (*OBJECT_STORE_ERRORS, OperationalError, InterfaceError)
MAX_RETRIES = TASK_MAX_RETRIES
DELETION_BATCH = 200
DELETION_RUN_SECONDS = 60


@shared_task(bind=True, max_retries=MAX_RETRIES)
def process_photo(self, photo_id: str) -> str | None:
    """Make a photo's renditions; retried with backoff on storage errors."""
    try:
        photo = photos.photo_process(photo_id=photo_id)
    except STORAGE_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            photos.photo_fail(
                photo_id=photo_id, reason="storage could not be reached", transient=True
            )
            logger.exception("photo %s: storage kept failing", photo_id)
            return "failed"
        raise self.retry(exc=exc, countdown=retry_backoff(self.request.retries)) from exc
    except SoftTimeLimitExceeded:
        photos.photo_fail(photo_id=photo_id, reason="the image took too long to process")
        return "failed"
    except Exception:
        # A bug, not the file's fault: say so, try again later, and let Celery log it. Never a
        # dead worker.
        photos.photo_fail(
            photo_id=photo_id, reason="processing failed unexpectedly", transient=True
        )
        raise
    return photo.state if photo else None


@shared_task(bind=True, max_retries=MAX_RETRIES)
def delete_pending_objects(self) -> int:
    """Delete stored objects whose photos are gone: batch after batch while any is due, for a
    minute at most (a deleted pet may leave thousands). Returns how many keys were tried."""
    deadline = time.monotonic() + DELETION_RUN_SECONDS
    tried = 0
    try:
        while True:
            done = deletions.objects_delete_pending(batch=DELETION_BATCH)
            tried += done
            if done < DELETION_BATCH or time.monotonic() > deadline:
                return tried
    except STORAGE_ERRORS as exc:
        raise self.retry(exc=exc, countdown=retry_backoff(self.request.retries)) from exc


@shared_task
def requeue_stuck_photos() -> int:
    """Beat: queue again the photos stuck in processing."""
    return photos.photos_requeue_stuck()


@shared_task
def send_unqueued_photos() -> int:
    """Beat: send the processing tasks the broker did not take (a blip while completing)."""
    return photos.photos_send_unqueued()


@shared_task
def retry_failed_photos() -> int:
    """Beat: process again the photos failed for a transient reason, when their retry is due."""
    return photos.photos_retry_failed()


@shared_task
def expire_pending_photos() -> int:
    """Beat: delete photos whose upload never came, long after their ticket expired."""
    return photos.photos_expire_pending()


@shared_task
def expire_share_links() -> int:
    """Beat, every minute: a link that expired stops opening its pet's images at the CDN."""
    return sharing.share_links_expire()


@shared_task
def prune_share_invitations() -> int:
    """Beat, daily: invitations that ended a lifetime ago go, with the addresses they hold."""
    return invitations.share_invitations_prune()


@shared_task(bind=True, max_retries=2, soft_time_limit=3000, time_limit=3300)
def reconcile_storage(self) -> dict[str, int]:
    """Beat, daily: compare storage with the rows (``images.services.reconciliation``). Its
    time limits stay under the broker's redelivery window, so a long sweep is never started
    twice."""
    try:
        run = storage_reconcile()  # records its own error on the run, then raises
    except STORAGE_ERRORS as exc:
        raise self.retry(exc=exc, countdown=900) from exc
    return {
        "run": run.pk,
        "orphans_queued": run.orphans_queued,
        "missing_originals": run.missing_originals,
        "missing_renditions": run.missing_renditions,
        "reprocessed": run.reprocessed,
    }
