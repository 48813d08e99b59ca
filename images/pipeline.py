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
from django.db import DatabaseError, transaction
from django.template.defaultfilters import filesizeformat, pluralize
from django.utils import timezone

from accounts.models import User
from images.inventory import OBJECT_STORE_ERRORS, storage_keys_under
from images.keys import (
    EXTENSIONS,
    original_key,
    photo_id_of_rendition_key,
    photo_renditions_prefix,
    rendition_key,
)
from images.models import (
    PendingInvalidation,
    PendingObjectDeletion,
    Pet,
    Photo,
    Rendition,
    UploadTicket,
)
from images.originals import OriginalReplaced, open_original, stored_version
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
    stored = stored_version(photo.original_key)
    if stored is None:
        raise PhotoError(409, "The file has not been uploaded yet; upload it, then complete.")
    # The ticket allowed the announced size: a storage that ignored it (moto, a misconfigured
    # S3-compatible one) must not let more past the quota.
    if not 1 <= stored.size <= min(photo.size, settings.PHOTO_MAX_UPLOAD_BYTES):
        photo_fail(photo_id=photo.pk, reason="the stored file is empty or over the size limit")
        objects_queue_deletion([photo.original_key])
        raise PhotoError(413, "The stored file is empty or larger than the size limit.")
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.state != Photo.State.PENDING:
            return locked  # a concurrent completion won
        locked.state = Photo.State.PROCESSING
        locked.size, locked.original_etag = stored.size, stored.etag
        locked.save(update_fields=["state", "size", "original_etag", "updated_at"])
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
    try:
        with open_original(photo.original_key, etag=photo.original_etag) as stream:
            content_hash = sha256_of(stream)
            result = process_image(
                stream,
                max_pixels=settings.PHOTO_MAX_PIXELS,
                max_decoded_bytes=settings.PHOTO_MAX_DECODED_BYTES,
            )
    except FileNotFoundError:
        return photo_fail(photo_id=photo.pk, reason="the uploaded file is missing; upload again")
    except OriginalReplaced:
        return photo_fail(
            photo_id=photo.pk,
            reason="the uploaded file was replaced after its upload finished; upload it again",
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
    """Write each rendition under its content-hashed key. A key already holding its bytes is
    left alone: objects served as immutable are never rewritten under their readers."""
    written = {}
    for rendered in result.renditions:
        key = rendition_key(
            pet_id=photo.pet_id,
            photo_id=photo.pk,
            name=rendered.name,
            content_hash=rendered.content_hash,
        )
        if not _holds(key, len(rendered.data)):
            default_storage.save(key, ContentFile(rendered.data))
        written[rendered.name] = key
    return written


def _holds(key: str, size: int) -> bool:
    try:
        return default_storage.size(key) == size
    except FileNotFoundError:
        return False


@transaction.atomic
def _finish(photo_id, result: ProcessedPhoto, content_hash: str, written: dict[str, str]):
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:  # deleted while we worked: what we wrote must go too
        objects_queue_deletion(written.values())
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
    objects_queue_deletion(stale)
    photo.content_type = result.content_type
    photo.width, photo.height = result.width, result.height
    photo.content_hash = content_hash
    photo.duplicate_of = _earlier_duplicate(photo, content_hash)
    photo.placeholder_color = result.placeholder_color
    photo.state, photo.error = Photo.State.READY, ""
    photo.retry_at, photo.transient_failures = None, 0
    photo.processed_at = timezone.now()
    photo.save()
    made = len(result.renditions)
    transaction.on_commit(lambda: (increment("photos_ready"), increment("renditions_made", made)))
    return photo


def _earlier_duplicate(photo: Photo, content_hash: str) -> Photo | None:
    same = Photo.objects.filter(pet_id=photo.pet_id, content_hash=content_hash)
    return same.exclude(pk=photo.pk).order_by("created_at").first()


# A photo failed for the server's reason (storage unreachable, a bug) is processed again after
# these delays, for about a day in all; after that, or for the file's own fault, it stays failed.
TRANSIENT_RETRY_DELAYS = tuple(datetime.timedelta(minutes=5 * 2**n) for n in range(8))


@transaction.atomic
def photo_fail(*, photo_id, reason: str, transient: bool = False) -> Photo | None:
    """Mark a photo failed with ``reason``, a sentence its uploader can act on. A ``transient``
    failure (the server's, not the file's) is tried again later by beat, while retries last.
    Whatever a failed run wrote under the photo's rendition folder is queued for deletion."""
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:
        return None
    photo.retry_at = None
    if transient and photo.transient_failures < len(TRANSIENT_RETRY_DELAYS):
        photo.retry_at = timezone.now() + TRANSIENT_RETRY_DELAYS[photo.transient_failures]
        photo.transient_failures += 1
        reason = f"{reason}; it will be tried again automatically"
    elif transient:
        reason = f"{reason} for a day; use “Process again” later"
    photo.state, photo.error = Photo.State.FAILED, reason[:1000]
    photo.save(update_fields=["state", "error", "retry_at", "transient_failures", "updated_at"])
    objects_queue_deletion([photo_renditions_prefix(pet_id=photo.pet_id, photo_id=photo.pk)])
    transaction.on_commit(lambda: increment("photos_failed"))
    logger.info("photo %s failed: %s", photo_id, reason)
    return photo


@transaction.atomic
def photo_reprocess(*, photo: Photo) -> Photo:
    """Queue a failed (or ready) photo to be processed again from its original."""
    locked = Photo.objects.select_for_update().get(pk=photo.pk)
    if locked.state in (Photo.State.FAILED, Photo.State.READY):
        _requeue(locked)
    return locked


def _requeue(photo: Photo) -> None:
    photo.state, photo.error, photo.attempts, photo.retry_at = Photo.State.PROCESSING, "", 0, None
    photo.save(update_fields=["state", "error", "attempts", "retry_at", "updated_at"])
    _queue_processing(photo.pk)


def photos_retry_failed(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Beat: queue again the photos failed for a transient reason whose retry is due."""
    due = Photo.objects.filter(state=Photo.State.FAILED, retry_at__lte=now or timezone.now())
    count = 0
    for photo_id in list(due.values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
            if photo and photo.state == Photo.State.FAILED and photo.retry_at is not None:
                _requeue(photo)
                count += 1
    return count


def photos_expire_pending(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Beat: delete the photos still waiting for their upload long after their ticket expired
    (tickets never used, uploads never completed), with whatever of them landed."""
    ticket_life = datetime.timedelta(seconds=settings.PHOTO_UPLOAD_TICKET_SECONDS)
    cutoff = (now or timezone.now()) - ticket_life - UPLOAD_LANDING_GRACE
    stale = Photo.objects.filter(state=Photo.State.PENDING, created_at__lt=cutoff)
    ids = list(stale.values_list("pk", flat=True)[:batch])
    return photos_delete(photos=Photo.objects.filter(pk__in=ids)) if ids else 0


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
    transaction.on_commit(lambda: _send_processing(photo_id))


def _send_processing(photo_id) -> bool:
    """Send the photo's processing task; when the broker does not take it (down, hung), the
    request that committed still succeeds, and the photo is marked for beat to send again."""
    from images.tasks import process_photo  # tasks import this module

    try:
        process_photo.delay(str(photo_id))
    except Exception:  # any broker failure: the photo must not wait for the stuck threshold
        logger.warning("photo %s: the broker did not take its task", photo_id, exc_info=True)
        _mark_unqueued(photo_id)
        return False
    return True


def _mark_unqueued(photo_id) -> None:
    try:
        Photo.objects.filter(pk=photo_id, unqueued_since__isnull=True).update(
            unqueued_since=timezone.now()
        )
    except DatabaseError:  # then only the stuck threshold finds it
        logger.exception("photo %s: could not record its unsent task", photo_id)


def photos_send_unqueued(*, batch: int = 500) -> int:
    """Beat: send the processing tasks the broker did not take when their photos were
    completed; returns how many were sent. Stops at the first that fails (the broker is still
    away: the next tick tries again)."""
    waiting = Photo.objects.filter(unqueued_since__isnull=False)
    waiting.exclude(state=Photo.State.PROCESSING).update(unqueued_since=None)
    sent = 0
    for photo_id in list(waiting.values_list("pk", flat=True)[:batch]):
        Photo.objects.filter(pk=photo_id).update(unqueued_since=None)
        if not _send_processing(photo_id):
            break
        sent += 1
    return sent


# --- Deletion ------------------------------------------------------------------------------


@transaction.atomic
def photo_delete(*, photo: Photo) -> None:
    """Delete ``photo`` now; its objects go in a task and its CDN paths are queued for
    invalidation. The caller has checked that the actor may delete it."""
    photos_delete(photos=Photo.objects.filter(pk=photo.pk))


@transaction.atomic
def photos_delete(*, photos) -> int:
    """Delete a queryset of photos at once (a few queries whatever their number); returns
    how many. Their originals and everything under their rendition folders are queued for
    deletion, their CDN paths for invalidation. An original whose upload ticket is still valid
    is deleted again once the ticket has expired: the upload may land after the deletion."""
    rows = list(photos.values_list("pk", "pet_id", "original_key"))
    renditions = Rendition.objects.filter(photo__in=[pk for pk, _pet, _key in rows])
    originals = [key for _pk, _pet, key in rows]
    paths = [*originals, *renditions.values_list("key", flat=True)]
    PendingInvalidation.objects.bulk_create(PendingInvalidation(path=f"/{key}") for key in paths)
    Photo.objects.filter(pk__in=[pk for pk, _pet, _key in rows]).delete()
    folders = [photo_renditions_prefix(pet_id=pet, photo_id=pk) for pk, pet, _key in rows]
    objects_queue_deletion([*originals, *folders])
    _queue_deletion_after_tickets([pk for pk, _pet, _key in rows])
    return len(rows)


# How long after its ticket expired an upload may still be landing (S3 checks the policy's
# expiry when the request starts; a large file on a slow line takes minutes).
UPLOAD_LANDING_GRACE = datetime.timedelta(minutes=15)


def _queue_deletion_after_tickets(photo_ids) -> None:
    alive = UploadTicket.objects.filter(photo_id__in=photo_ids, expires_at__gt=timezone.now())
    for key, expires_at in alive.values_list("original_key", "expires_at"):
        objects_queue_deletion([key], not_before=expires_at + UPLOAD_LANDING_GRACE)


def renditions_delete(*, renditions) -> int:
    """Delete a queryset of renditions (an admin's removal): their objects are queued for
    deletion and their CDN paths for invalidation, as a photo's are. Returns how many."""
    keys = list(renditions.values_list("key", flat=True))
    PendingInvalidation.objects.bulk_create(PendingInvalidation(path=f"/{key}") for key in keys)
    Rendition.objects.filter(key__in=keys).delete()
    objects_queue_deletion(keys)
    return len(keys)


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
        from images.tasks import delete_pending_objects

        transaction.on_commit(delete_pending_objects.delay, robust=True)
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
        for stored in storage_keys_under(key):
            _delete_unneeded(stored)
        return
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
        from images.tasks import delete_pending_objects

        transaction.on_commit(delete_pending_objects.delay, robust=True)
    return count
