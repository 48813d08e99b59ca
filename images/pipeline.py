"""The life of a photo: upload ticket → complete → processing → ready or failed → deletion.

Services here are called by the API views, the tasks and the admin. Work that may run twice
(redelivered messages, re-queued photos) is idempotent: rows are locked before they change,
renditions are keyed by their content's hash, and state checks make a repeat a no-op.
"""

from __future__ import annotations

import datetime
import logging
import math
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat, pluralize
from django.utils import timezone

from accounts.models import User
from images.keys import EXTENSIONS, original_key, rendition_key
from images.models import (
    PendingInvalidation,
    PendingObjectDeletion,
    Pet,
    Photo,
    Rendition,
    UploadTicket,
)
from images.processing import ImageRejected, ProcessedPhoto, process_image, sha256_of
from images.uploads import Ticket, UploadPolicy, make_ticket
from pettracker.metrics import increment

logger = logging.getLogger(__name__)


class PhotoError(Exception):
    """A request about a photo that cannot be honoured; ``status`` is the HTTP answer and
    ``retry_after``, when set, the seconds after which the same request may succeed."""

    def __init__(self, status: int, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


# --- Uploads -------------------------------------------------------------------------------


def validate_upload_request(*, filename: object, content_type: object, size: object) -> None:
    """Refuse what no ticket should be made for, with the status the API answers."""
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
        raise PhotoError(400, "filename must be a non-empty string of at most 255 characters.")
    if "\x00" in filename:
        raise PhotoError(400, "filename must not contain NUL characters.")
    if not isinstance(content_type, str) or content_type not in EXTENSIONS:
        accepted = ", ".join(sorted(EXTENSIONS))
        raise PhotoError(415, f"Only these image types are accepted: {accepted}.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise PhotoError(400, "size must be a whole number of bytes, at least 1.")
    if size > settings.PHOTO_MAX_UPLOAD_BYTES:
        limit_mb = settings.PHOTO_MAX_UPLOAD_BYTES / (1024 * 1024)
        raise PhotoError(413, f"The file is larger than the {limit_mb:.0f} MB limit.")


@transaction.atomic
def photo_create_upload(
    *, pet: Pet, uploader: User, filename: str, content_type: str, size: int, local_url: str
) -> tuple[Photo, Ticket]:
    """A pending photo and the ticket to upload its original, at most ``size`` bytes,
    straight to storage.

    Refused with 429 past UPLOAD_TICKETS_PER_MINUTE, and with 413 when the photo would take
    ``uploader`` over their quota. The caller has checked that they may contribute to ``pet``.
    """
    validate_upload_request(filename=filename, content_type=content_type, size=size)
    # One ticket at a time per user: concurrent requests would each see room for one more.
    # (SQLite ignores the lock, but its IMMEDIATE transactions already run one at a time.)
    uploader = User.objects.select_for_update().get(pk=uploader.pk)
    now = timezone.now()
    _refuse_if_too_fast(uploader, now)
    _refuse_if_over_quota(uploader, size, now)
    photo_id = uuid.uuid4()
    photo = Photo.objects.create(
        id=photo_id,
        pet=pet,
        uploader=uploader,
        original_key=original_key(
            owner_id=pet.owner_id, photo_id=photo_id, when=now, content_type=content_type
        ),
        original_filename=PurePosixPath(filename.replace("\\", "/")).name[:255],
        content_type=content_type,
        size=size,
    )
    policy = UploadPolicy(
        key=photo.original_key,
        content_type=content_type,
        max_bytes=size,  # the quota counted this size: the ticket lets no more in
        expires_at=now + datetime.timedelta(seconds=settings.PHOTO_UPLOAD_TICKET_SECONDS),
    )
    _record_ticket(photo, policy, now)
    return photo, make_ticket(default_storage, policy, local_url=local_url)


# Tickets are kept this long after they expire (enough for the rate's window), then pruned.
TICKET_RECORD_KEPT = datetime.timedelta(hours=1)


def _record_ticket(photo: Photo, policy: UploadPolicy, now: datetime.datetime) -> None:
    UploadTicket.objects.filter(
        uploader=photo.uploader_id, expires_at__lt=now - TICKET_RECORD_KEPT
    ).delete()
    UploadTicket.objects.create(
        photo_id=photo.pk,
        uploader_id=photo.uploader_id,
        original_key=policy.key,
        size=policy.max_bytes,
        created_at=now,
        expires_at=policy.expires_at,
    )


RATE_WINDOW = datetime.timedelta(seconds=60)
WHAT_TO_DO_WHEN_FULL = (
    "Delete photos you no longer need, or ask an administrator to raise your quota."
)


def _refuse_if_too_fast(uploader: User, now: datetime.datetime) -> None:
    """429 when ``uploader`` took UPLOAD_TICKETS_PER_MINUTE tickets in the last minute, counted
    from their photos' rows; Retry-After is when the oldest of those leaves the minute."""
    limit = settings.UPLOAD_TICKETS_PER_MINUTE
    recent = UploadTicket.objects.filter(uploader=uploader)  # deleting photos forgets none
    oldest_counted = recent.nth_newest_created_at(limit, since=now - RATE_WINDOW)
    if oldest_counted is None:
        return
    wait = max(1, math.ceil((oldest_counted + RATE_WINDOW - now).total_seconds()))
    raise PhotoError(
        429,
        f"{limit} uploads a minute is the most allowed; "
        f"try again in {wait} second{pluralize(wait)}.",
        retry_after=wait,
    )


def _refuse_if_over_quota(uploader: User, size: int, now: datetime.datetime) -> None:
    """413 when one more photo of ``size`` bytes would take ``uploader`` over their quota.
    Photos deleted while their tickets are valid still count: their uploads may land."""
    quota = uploader.upload_quota()
    tickets_of_deleted = UploadTicket.objects.filter(uploader=uploader).of_deleted_photos(now)
    used = Photo.objects.uploaded_by(uploader).usage().plus(tickets_of_deleted.usage())
    if used.photos + 1 > quota.photos:
        raise PhotoError(
            413,
            f"You have used {used.photos:,} of your {quota.photos:,} photos (uploads not yet "
            f"finished count too). {WHAT_TO_DO_WHEN_FULL}",
        )
    if used.bytes + size > quota.bytes:
        raise PhotoError(
            413,
            f"This {_human_size(size)} photo would take you over your storage quota: "
            f"{_human_size(used.bytes)} of {_human_size(quota.bytes)} used. "
            f"{WHAT_TO_DO_WHEN_FULL}",
        )


def _human_size(size: int) -> str:
    return filesizeformat(size).replace("\xa0", " ")  # plain spaces in a JSON message


@transaction.atomic
def photo_import(*, pet: Pet, uploader: User, content: bytes, content_type: str) -> Photo:
    """Store ``content`` as a new original of ``pet`` and queue it for processing: for
    server-side imports such as the demo data (browsers upload straight to storage)."""
    if content_type not in EXTENSIONS:
        raise PhotoError(415, f"{content_type!r} is not an accepted image type.")
    photo_id = uuid.uuid4()
    key = original_key(
        owner_id=pet.owner_id, photo_id=photo_id, when=timezone.now(), content_type=content_type
    )
    photo = Photo.objects.create(
        id=photo_id,
        pet=pet,
        uploader=uploader,
        original_key=key,
        content_type=content_type,
        size=len(content),
        state=Photo.State.PROCESSING,
    )
    stored_as = default_storage.save(key, ContentFile(content))
    if stored_as != key:  # a storage that renames would orphan the row
        raise RuntimeError(f"storage stored {key!r} as {stored_as!r}; enable overwriting")
    _queue_processing(photo.pk)
    return photo


def photo_complete(*, photo: Photo) -> Photo:
    """The browser says the upload is done: check the object and queue processing.

    Completing again, or completing a photo already past ``pending``, changes nothing.
    """
    if photo.state != Photo.State.PENDING:
        return photo
    if not default_storage.exists(photo.original_key):
        raise PhotoError(409, "The file has not been uploaded yet; upload it, then complete.")
    stored_size = default_storage.size(photo.original_key)
    # The ticket allowed the announced size: a storage that ignored it (moto, a misconfigured
    # S3-compatible one) must not let more past the quota.
    if not 1 <= stored_size <= min(photo.size, settings.PHOTO_MAX_UPLOAD_BYTES):
        photo_fail(photo_id=photo.pk, reason="the stored file is empty or over the size limit")
        _queue_object_deletions([photo.original_key])
        raise PhotoError(413, "The stored file is empty or larger than the size limit.")
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.state != Photo.State.PENDING:
            return locked  # a concurrent completion won
        locked.state = Photo.State.PROCESSING
        locked.size = stored_size
        locked.save(update_fields=["state", "size", "updated_at"])
        _queue_processing(locked.pk)
    increment("uploads_completed")
    return locked


# --- Processing ----------------------------------------------------------------------------


def photo_process(*, photo_id: uuid.UUID | str) -> Photo | None:
    """Make ``photo_id``'s renditions and mark it ready, or failed with a reason.

    Returns ``None`` when there is nothing to do (deleted, or not waiting to be processed).
    Storage errors propagate, for the task to retry.
    """
    photo = _start_attempt(photo_id)
    if photo is None:
        return None
    if photo.attempts > settings.PHOTO_MAX_ATTEMPTS:
        return photo_fail(photo_id=photo.pk, reason="processing kept failing; upload it again")
    if not default_storage.exists(photo.original_key):
        return photo_fail(photo_id=photo.pk, reason="the uploaded file is missing; upload again")
    try:
        with default_storage.open(photo.original_key, "rb") as stream:
            content_hash = sha256_of(stream)
            result = process_image(
                stream,
                max_pixels=settings.PHOTO_MAX_PIXELS,
                max_decoded_bytes=settings.PHOTO_MAX_DECODED_BYTES,
            )
    except ImageRejected as rejection:
        return photo_fail(photo_id=photo.pk, reason=str(rejection))
    written = _store_renditions(photo, result)
    return _finish(photo.pk, result, content_hash, written)


@transaction.atomic
def _start_attempt(photo_id) -> Photo | None:
    """Count one more attempt on a photo waiting to be processed; ``None`` if none is."""
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None or photo.state != Photo.State.PROCESSING:
        return None
    photo.attempts += 1
    photo.save(update_fields=["attempts", "updated_at"])
    return photo


def _store_renditions(photo: Photo, result: ProcessedPhoto) -> dict[str, str]:
    """Write each rendition under its content-hashed key; a rerun rewrites the same bytes."""
    written = {}
    for rendered in result.renditions:
        key = rendition_key(
            pet_id=photo.pet_id,
            photo_id=photo.pk,
            name=rendered.name,
            content_hash=rendered.content_hash,
        )
        default_storage.save(key, ContentFile(rendered.data))
        written[rendered.name] = key
    return written


@transaction.atomic
def _finish(photo_id, result: ProcessedPhoto, content_hash: str, written: dict[str, str]):
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:  # deleted while we worked: what we wrote must go too
        _queue_object_deletions(written.values())
        return None
    stale = list(photo.renditions.exclude(key__in=written.values()).values_list("key", flat=True))
    for rendered in result.renditions:
        Rendition.objects.update_or_create(
            photo=photo,
            name=rendered.name,
            defaults={
                "key": written[rendered.name],
                "width": rendered.width,
                "height": rendered.height,
                "bytes": len(rendered.data),
            },
        )
    _queue_object_deletions(stale)
    photo.content_type = result.content_type
    photo.width, photo.height = result.width, result.height
    photo.content_hash = content_hash
    photo.duplicate_of = _earlier_duplicate(photo, content_hash)
    photo.placeholder_color = result.placeholder_color
    photo.state, photo.error = Photo.State.READY, ""
    photo.processed_at = timezone.now()
    photo.save()
    made = len(result.renditions)
    transaction.on_commit(lambda: (increment("photos_ready"), increment("renditions_made", made)))
    return photo


def _earlier_duplicate(photo: Photo, content_hash: str) -> Photo | None:
    same = Photo.objects.filter(pet_id=photo.pet_id, content_hash=content_hash)
    return same.exclude(pk=photo.pk).order_by("created_at").first()


@transaction.atomic
def photo_fail(*, photo_id, reason: str) -> Photo | None:
    """Mark a photo failed with ``reason``, a sentence its uploader can act on."""
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:
        return None
    photo.state, photo.error = Photo.State.FAILED, reason[:1000]
    photo.save(update_fields=["state", "error", "updated_at"])
    transaction.on_commit(lambda: increment("photos_failed"))
    logger.info("photo %s failed: %s", photo_id, reason)
    return photo


@transaction.atomic
def photo_reprocess(*, photo: Photo) -> Photo:
    """Queue a failed (or ready) photo to be processed again from its original."""
    locked = Photo.objects.select_for_update().get(pk=photo.pk)
    if locked.state in (Photo.State.FAILED, Photo.State.READY):
        locked.state, locked.error, locked.attempts = Photo.State.PROCESSING, "", 0
        locked.save(update_fields=["state", "error", "attempts", "updated_at"])
        _queue_processing(locked.pk)
    return locked


def photos_requeue_stuck(*, older_than: datetime.timedelta | None = None) -> int:
    """Queue again the photos left ``processing`` too long (a lost message, a dead worker,
    a broker that was down when they were completed). Returns how many."""
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.PHOTO_STUCK_AFTER_SECONDS)
    stuck = Photo.objects.filter(
        state=Photo.State.PROCESSING, updated_at__lt=timezone.now() - older_than
    ).values_list("pk", flat=True)
    count = 0
    for photo_id in list(stuck[:500]):
        with transaction.atomic():
            Photo.objects.filter(pk=photo_id).update(updated_at=timezone.now())
            _queue_processing(photo_id)
        count += 1
    return count


def _queue_processing(photo_id) -> None:
    from images.tasks import process_photo  # tasks import this module

    # robust: a broker outage must not fail the request that committed; the photo stays
    # "processing" and photos_requeue_stuck queues it again later.
    transaction.on_commit(lambda: process_photo.delay(str(photo_id)), robust=True)


# --- Deletion ------------------------------------------------------------------------------


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete ``photo`` now; its objects go in a task and its CDN paths are queued for
    invalidation. The caller has checked that the actor may delete it."""
    photos_delete(photos=Photo.objects.filter(pk=photo.pk))


@transaction.atomic
def photos_delete(*, photos) -> int:
    """Delete a queryset of photos at once (a few queries whatever their number); returns
    how many. Their originals and renditions are queued for deletion and CDN invalidation."""
    originals = list(photos.values_list("original_key", flat=True))
    renditions = Rendition.objects.filter(photo__in=photos.values("pk"))
    keys = [*originals, *renditions.values_list("key", flat=True)]
    PendingInvalidation.objects.bulk_create(PendingInvalidation(path=f"/{key}") for key in keys)
    Photo.objects.filter(pk__in=photos.values("pk")).delete()
    _queue_object_deletions(keys)
    return len(originals)


def renditions_delete(*, renditions) -> int:
    """Delete a queryset of renditions (an admin's removal): their objects are queued for
    deletion and their CDN paths for invalidation, as a photo's are. Returns how many."""
    keys = list(renditions.values_list("key", flat=True))
    PendingInvalidation.objects.bulk_create(PendingInvalidation(path=f"/{key}") for key in keys)
    Rendition.objects.filter(key__in=keys).delete()
    _queue_object_deletions(keys)
    return len(keys)


def _queue_object_deletions(keys) -> None:
    keys = list(keys)
    if not keys:
        return
    PendingObjectDeletion.objects.bulk_create(PendingObjectDeletion(key=key) for key in keys)
    from images.tasks import delete_pending_objects

    transaction.on_commit(delete_pending_objects.delay, robust=True)


def objects_delete_pending(*, batch: int = 200) -> int:
    """Delete the stored objects queued for deletion; returns how many rows were done.
    A rendition key that a later run wrote again (same content, same key) is kept."""
    done = 0
    for pending in PendingObjectDeletion.objects.all()[:batch]:
        if not Rendition.objects.filter(key=pending.key).exists():
            default_storage.delete(pending.key)
        pending.delete()
        done += 1
    return done
