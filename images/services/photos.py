"""The life of a photo after its upload: processing → ready or failed (retried when the fault
was the server's) → deletion; and its caption. (Tickets and completion: ``uploads``; the
objects' deletion: ``deletions``.)

Services here are called by the API views, the tasks and the admin. Work that may run twice
(redelivered messages, re-queued photos) is idempotent: rows are locked before they change,
renditions are keyed by their content's hash, and state checks make a repeat a no-op.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import operator
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from cdn.models import PendingInvalidation
from images import jobs
from images.models import Photo, Rendition, UploadTicket
from images.pure.imaging import (
    FULL,
    RENDITION_SPECS,
    ImageRejected,
    ProcessedPhoto,
    process_image,
    read_taken_at_of,
    render_full,
    sha256_of,
)
from images.pure.object_keys import (
    photo_renditions_prefix,
    rendition_key,
)
from images.pure.taken_at import EARLIEST_YEAR, TakenAt
from images.pure.upload_tickets import UPLOAD_LANDING_GRACE
from images.services.deletions import objects_queue_deletion
from images.storage import (
    OriginalReplaced,
)
from pettracker.metrics import increment

logger = logging.getLogger(__name__)

# The renditions every ready photo has, once processed with the current set: those pages
# show, and the ``full`` one downloads are made of (issue 16).
RENDITION_NAMES = (*(spec.name for spec in RENDITION_SPECS), FULL)


# --- Processing ----------------------------------------------------------------------------


def photo_process(*, photo_id: uuid.UUID | str) -> Photo | None:
    """Make ``photo_id``'s renditions and mark it ready, or failed with a reason.

    A ready photo lacking renditions of the current set (processed before they existed:
    ``photos_queue_missing_renditions`` sends those here) only has them made and added; it
    stays ready whatever happens, and nothing else of it changes (``_add_missing``).

    Returns ``None`` when there is nothing to do (deleted, not waiting to be processed, or
    ready with every rendition). Storage errors propagate, for the task to retry.
    """
    photo, missing = _start_attempt(photo_id)
    if photo is None:
        return None
    if photo.state == Photo.State.READY:
        return _add_missing(photo, missing)
    if photo.attempts > settings.PHOTO_MAX_ATTEMPTS:
        return photo_fail(photo_id=photo.pk, reason="processing kept failing; upload it again")
    try:
        with default_storage.open_version(photo.original_key, photo.original_etag) as stream:
            content_hash = sha256_of(stream)
            result = _render(stream)
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


def _render(stream, *, names: list[str] | None = None) -> ProcessedPhoto:
    """The renditions of the photo in ``stream`` (only ``names``, when given): those pages show
    from one decode (``process_image``), then ``full`` from a decode of its own
    (``render_full``), so a worker holds one at a time. A photo lacking only ``full`` (made
    before it existed) is decoded once, for it alone."""
    limits = {
        "max_pixels": settings.PHOTO_MAX_PIXELS,
        "max_decoded_bytes": settings.PHOTO_MAX_DECODED_BYTES,
    }
    shown = None if names is None else [name for name in names if name != FULL]
    result = process_image(stream, names=shown, **limits) if shown != [] else None
    if names is not None and FULL not in names:
        return result
    full = render_full(stream, read_taken=result is None, **limits)
    if result is None:
        return full
    return dataclasses.replace(result, renditions=(*result.renditions, *full.renditions))


@transaction.atomic
def _start_attempt(photo_id) -> tuple[Photo | None, list[str]]:
    """Count one more attempt on a photo waiting to be processed, or on a ready photo lacking
    renditions (with their names); ``None`` if it is neither."""
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:
        return None, []
    if photo.state == Photo.State.READY:
        missing = _missing_names(photo)
        if not missing:
            return None, []  # made already: a repeated message, or queued twice
        photo.attempts += 1
        photo.save(update_fields=["attempts"])  # still ready: not "updated"
        return photo, missing
    if photo.state != Photo.State.PROCESSING:
        return None, []
    photo.attempts += 1
    photo.save(update_fields=["attempts", "updated_at"])
    return photo, []


def _missing_names(photo: Photo) -> list[str]:
    have = set(photo.renditions.values_list("name", flat=True))
    return [name for name in RENDITION_NAMES if name not in have]


def _add_missing(photo: Photo, missing: list[str]) -> Photo | None:
    """Make only the ``missing`` renditions of a ready photo from its original and add them.
    Its other renditions are neither made nor written again, and it stays ready: what keeps
    them from being made (the original gone or replaced, limits lowered since) is logged, and
    the photo is left as it was. Its attempts (reset when it is queued) bound a file that
    kills its worker every time."""
    if photo.attempts > settings.PHOTO_MAX_ATTEMPTS:
        logger.warning("photo %s: its missing renditions kept failing; left as it is", photo.pk)
        return None
    try:
        with default_storage.open_version(photo.original_key, photo.original_etag) as stream:
            result = _render(stream, names=missing)
    except (FileNotFoundError, OriginalReplaced, ImageRejected) as exc:
        logger.warning(
            "photo %s: its missing renditions (%s) cannot be made: %s",
            photo.pk,
            ", ".join(missing),
            str(exc) or type(exc).__name__,
        )
        return photo
    written = _store_renditions(photo, result)
    return _record_added(photo.pk, result, written)


@transaction.atomic
def _record_added(photo_id, result: ProcessedPhoto, written: dict[str, str]) -> Photo | None:
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None or photo.state != Photo.State.READY or _moved(photo, written):
        # Deleted, or failed or being processed again meanwhile (that run makes them all), or
        # moved to another pet (what was made is under the old one's prefix: the backfill
        # makes it again): what no row uses goes (the outbox keeps keys a processing photo
        # may write again).
        objects_queue_deletion(written.values())
        return photo
    have = set(photo.renditions.values_list("name", flat=True))
    added = [rendered for rendered in result.renditions if rendered.name not in have]
    if photo.taken_at_source == Photo.TakenAtSource.UNREAD:
        _set_taken(photo, result.taken_at)
        photo.save(update_fields=TAKEN_FIELDS)
    Rendition.objects.bulk_create(
        Rendition(
            photo=photo,
            name=rendered.name,
            key=written[rendered.name],
            width=rendered.width,
            height=rendered.height,
            bytes=len(rendered.data),
        )
        for rendered in added
    )
    if added:  # the photo's tiles change (a gallery page is kept by when its photos changed)
        Photo.objects.filter(pk=photo.pk).update(updated_at=timezone.now())
    # Added meanwhile by a twin of this run: the same key (then kept: a row uses it) or none.
    objects_queue_deletion(written[r.name] for r in result.renditions if r.name in have)
    made = len(added)
    transaction.on_commit(lambda: increment("renditions_made", made))
    return photo


def _moved(photo: Photo, written: dict[str, str]) -> bool:
    """Whether ``photo`` moved to another pet (``photos_move``) since ``written`` was stored."""
    prefix = photo_renditions_prefix(pet_id=photo.pet_id, photo_id=photo.pk)
    return not all(key.startswith(prefix) for key in written.values())


def _store_renditions(photo: Photo, result: ProcessedPhoto) -> dict[str, str]:
    """Write each rendition under its content-hashed key. A key a rendition row already has
    and that still holds its bytes (processing again) is left alone: objects served as
    immutable are never rewritten under their readers. A first run asks storage nothing."""
    recorded = set(photo.renditions.values_list("key", flat=True))
    written = {}
    for rendered in result.renditions:
        key = rendition_key(
            pet_id=photo.pet_id,
            photo_id=photo.pk,
            name=rendered.name,
            content_hash=rendered.content_hash,
            content_type=rendered.content_type,
        )
        if key not in recorded or not _holds(key, len(rendered.data)):
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
    if photo.taken_at_source != Photo.TakenAtSource.OWNER:  # the owner's word stands
        _set_taken(photo, result.taken_at)
    photo.state, photo.error = Photo.State.READY, ""
    photo.retry_at, photo.transient_failures = None, 0
    # When it first turned ready: what the activity and the digests call new ("Frank added 5
    # photos"); processing it again (an admin's "Process again") does not make it news again.
    photo.processed_at = photo.processed_at or timezone.now()
    photo.save()
    made = len(result.renditions)
    transaction.on_commit(lambda: (increment("photos_ready"), increment("renditions_made", made)))
    return photo


# With updated_at: a gallery page shows the date (cached pages are kept by when a photo of the
# pet last changed, PetQuerySet.with_gallery_version).
TAKEN_FIELDS = ["taken_at", "taken_at_source", "taken_at_offset", "taken_on", "updated_at"]


def _set_taken(photo: Photo, taken: TakenAt | None) -> None:
    """When ``photo`` was taken, as its original's metadata says, else its upload time."""
    if taken is None:
        photo.taken_at, photo.taken_at_source = photo.created_at, Photo.TakenAtSource.UPLOAD
        photo.taken_at_offset = None
    else:
        photo.taken_at, photo.taken_at_source = taken.when, taken.source
        photo.taken_at_offset = int(taken.when.utcoffset().total_seconds() // 60)
    photo.taken_on = photo.local_taken_at().date()


def _earlier_duplicate(photo: Photo, content_hash: str) -> Photo | None:
    """An earlier photo of the pet with the same bytes (hashed by processing: uploads not yet
    processed carry only their client's word, and may never be)."""
    same = Photo.objects.filter(pet_id=photo.pet_id, content_hash=content_hash)
    done = same.filter(state=Photo.State.READY).exclude(pk=photo.pk)
    return done.order_by("created_at").first()


# A photo failed for the server's reason (storage unreachable, a bug) is processed again after
# these delays, for about a day in all; after that, or for the file's own fault, it stays failed.
TRANSIENT_RETRY_DELAYS = tuple(datetime.timedelta(minutes=5 * 2**n) for n in range(8))


@transaction.atomic
def photo_fail(*, photo_id, reason: str, transient: bool = False) -> Photo | None:
    """Mark a photo failed with ``reason``, a sentence its uploader can act on. A ``transient``
    failure (the server's, not the file's) is tried again later by beat, while retries last.
    Whatever a failed run wrote under the photo's rendition folder is queued for deletion.

    A ready photo is left as it is: the only run that meets one adds missing renditions
    (``_add_missing``), and its failure (storage down, the time limit) must not take down the
    renditions the photo already has."""
    photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
    if photo is None:
        return None
    if photo.state == Photo.State.READY:
        logger.warning("photo %s: a run on it failed (%s); it stays ready", photo_id, reason)
        return photo
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
    photo_queue_processing(photo.pk)


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
            photo_queue_processing(photo_id)
        count += 1
    return count


def photo_queue_processing(photo_id) -> None:
    """Send the photo's processing task once the caller's transaction commits."""
    transaction.on_commit(lambda: _send_processing(photo_id))


def _send_processing(photo_id) -> bool:
    """Send the photo's processing task; when the broker does not take it (down, hung), the
    request that committed still succeeds, and the photo is marked for beat to send again."""
    try:
        jobs.send(jobs.PROCESS_PHOTO, str(photo_id))
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


# --- Renditions added to the set ----------------------------------------------------------

# Photo ids a query names at once (SQLite allows a limited number of parameters).
QUEUE_CHUNK = 500


def photos_lacking_renditions() -> QuerySet:
    """Ready photos lacking a rendition of the current set (``RENDITION_NAMES``): processed
    before it was added to the set (the 512 px square, issue 14), or one an admin removed."""
    lacking = functools.reduce(
        operator.or_,
        (
            ~Exists(Rendition.objects.filter(photo=OuterRef("pk"), name=name))
            for name in RENDITION_NAMES
        ),
    )
    return Photo.objects.filter(lacking, state=Photo.State.READY)


@dataclass(frozen=True)
class RenditionsBackfill:
    lacking: int  # ready photos lacking a rendition when the run started
    chosen: int  # the newest of them, at most the batch: queued (a dry run: would be)
    queued: int
    error: str = ""  # the broker's refusal, which stopped the run


def photos_queue_missing_renditions(*, batch: int, dry_run: bool = False) -> RenditionsBackfill:
    """Queue the processing task of the ``batch`` newest ready photos lacking a rendition of
    the current set: ``photo_process`` makes only what each lacks, adds its rows and leaves it
    ready, its other renditions untouched. Each photo's attempts are reset first (they bound a
    file that kills its worker). The batch paces the work: the tasks wait in the queue new
    uploads use, so a whole library queued at once would hold them up; run it again once the
    workers have caught up. A photo queued twice (run again before its task ran) costs its
    second task one query. Stops at the first task the broker does not take."""
    lacking = photos_lacking_renditions()
    total = lacking.count()
    ids = list(lacking.order_by("-created_at", "pk").values_list("pk", flat=True)[:batch])
    if dry_run:
        return RenditionsBackfill(lacking=total, chosen=len(ids), queued=0)
    for start in range(0, len(ids), QUEUE_CHUNK):
        chunk = ids[start : start + QUEUE_CHUNK]
        Photo.objects.filter(pk__in=chunk, state=Photo.State.READY).update(attempts=0)
    queued = 0
    for photo_id in ids:
        try:
            jobs.send(jobs.PROCESS_PHOTO, str(photo_id))
        except Exception as exc:  # any broker failure: what was sent stays sent
            logger.warning("renditions backfill: the broker did not take a task", exc_info=True)
            error = f"{type(exc).__name__}: {exc}"
            return RenditionsBackfill(total, len(ids), queued, error=error)
        queued += 1
    return RenditionsBackfill(lacking=total, chosen=len(ids), queued=queued)


# --- The date taken -------------------------------------------------------------------------


def validate_taken_at(taken_at: datetime.datetime) -> None:
    """Refuse, with a sentence saying why, a date taken in the future or before photography."""
    if taken_at > timezone.now():
        raise ValidationError("That is in the future: give the date the photo was taken.")
    if taken_at.year < EARLIEST_YEAR:
        raise ValidationError(f"Photography began in {EARLIEST_YEAR}: give a date from then on.")


def photo_set_taken_at(*, photo: Photo, taken_at: datetime.datetime) -> Photo:
    """The pet's owner says when ``photo`` was taken (an aware datetime): processing it again
    keeps it. Raises ``ValidationError`` for a date in the future or before photography
    (1826); nothing is written then. The caller has checked that the actor owns the pet."""
    validate_taken_at(taken_at)
    photo.taken_at, photo.taken_at_source = taken_at, Photo.TakenAtSource.OWNER
    photo.taken_on = photo.local_taken_at().date()
    Photo.objects.filter(pk=photo.pk).update(
        taken_at=taken_at,
        taken_at_source=photo.taken_at_source,
        taken_on=photo.taken_on,
        updated_at=timezone.now(),
    )
    return photo


@dataclass(frozen=True)
class TakenAtBackfill:
    read: int = 0  # from the original's metadata
    upload_time: int = 0  # the original said nothing, was missing, replaced or not an image
    skipped: int = 0  # storage failed: left for the next run


def photos_read_taken_at(*, batch: int = 200) -> TakenAtBackfill:
    """Read when each photo uploaded before dates were read (``taken_at_unread``) was taken,
    from its original through the storage interface, ``batch`` photos a query; one that says
    nothing, is missing, replaced or unreadable keeps its upload time. Idempotent: a photo read
    is never read again, and one whose date was set meanwhile (its processing, its owner) is
    left as it is. A storage error leaves the photo for the next run."""
    done, after = TakenAtBackfill(), None
    while True:
        unread = Photo.objects.taken_at_unread().order_by("pk")
        if after is not None:
            unread = unread.filter(pk__gt=after)
        rows = list(unread.values_list("pk", "original_key", "original_etag")[:batch])
        for photo_id, key, etag in rows:
            done = _read_one_taken_at(photo_id, key, etag, done)
        if len(rows) < batch:
            return done
        after = rows[-1][0]


def _read_one_taken_at(photo_id, key: str, etag: str, done: TakenAtBackfill) -> TakenAtBackfill:
    try:
        with default_storage.open_version(key, etag) as stream:
            taken = read_taken_at_of(
                stream,
                max_pixels=settings.PHOTO_MAX_PIXELS,
                max_decoded_bytes=settings.PHOTO_MAX_DECODED_BYTES,
            )
    except (FileNotFoundError, OriginalReplaced, ImageRejected):
        taken = None
    except Exception:  # storage down, a bug: this photo waits for the next run
        logger.warning("photo %s: its date taken could not be read", photo_id, exc_info=True)
        return TakenAtBackfill(done.read, done.upload_time, done.skipped + 1)
    with transaction.atomic():
        photo = Photo.objects.select_for_update().filter(pk=photo_id).first()
        if photo is not None and photo.taken_at_source == Photo.TakenAtSource.UNREAD:
            _set_taken(photo, taken)
            photo.save(update_fields=TAKEN_FIELDS)
    if taken is None:
        return TakenAtBackfill(done.read, done.upload_time + 1, done.skipped)
    return TakenAtBackfill(done.read + 1, done.upload_time, done.skipped)


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


def _queue_deletion_after_tickets(photo_ids) -> None:
    alive = UploadTicket.objects.filter(photo_id__in=photo_ids, expires_at__gt=timezone.now())
    for key, expires_at in alive.values_list("original_key", "expires_at"):
        objects_queue_deletion([key], not_before=expires_at + UPLOAD_LANDING_GRACE)


def renditions_delete(*, renditions) -> int:
    """Delete a queryset of renditions (an admin's removal): their objects are queued for
    deletion and their CDN paths for invalidation, as a photo's are. Returns how many."""
    rows = list(renditions.values_list("key", "photo_id"))
    keys, photo_ids = [key for key, _ in rows], {photo_id for _, photo_id in rows}
    PendingInvalidation.objects.bulk_create(PendingInvalidation(path=f"/{key}") for key in keys)
    Rendition.objects.filter(key__in=keys).delete()
    # Their photos' pages change: cached gallery pages are kept by when a photo last changed.
    Photo.objects.filter(pk__in=photo_ids).update(updated_at=timezone.now())
    objects_queue_deletion(keys)
    return len(keys)


def photo_update_caption(*, photo: Photo, caption: str) -> Photo:
    """Change a photo's caption (500 characters at most)."""
    photo.caption = caption.strip()
    photo.full_clean(validate_unique=False, validate_constraints=False)
    Photo.objects.filter(pk=photo.pk).update(caption=photo.caption, updated_at=timezone.now())
    return photo
