"""Uploads: a ticket to send one original straight to storage, within the uploader's rate and
quota; the browser's word that it is done; and server-side imports (the demo data).

Refusals are ``images.services.errors`` (the API answers each with its status).
"""

from __future__ import annotations

import datetime
import logging
import math
import re
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat, pluralize
from django.utils import timezone

from accounts.models import User
from cdn.objects import EXTENSIONS
from images.models import Pet, Photo, UploadTicket, upload_usage
from images.pure.object_keys import (
    original_key,
)
from images.pure.upload_tickets import Ticket, UploadPolicy
from images.services.deletions import objects_queue_deletion
from images.services.errors import (
    AlreadyThere,
    InvalidRequest,
    NotUploaded,
    OverQuota,
    TooFast,
    TooLarge,
    UnsupportedType,
)
from images.services.photos import photo_fail, photo_queue_processing
from pettracker.metrics import increment
from pettracker.text import possessive

logger = logging.getLogger(__name__)


SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def validate_upload_request(
    *,
    filename: object,
    content_type: object,
    size: object,
    content_hash: object = None,
    duplicate: object = None,
) -> None:
    """Refuse what no ticket should be made for."""
    if content_hash is not None and not (
        isinstance(content_hash, str) and SHA256.fullmatch(content_hash)
    ):
        raise InvalidRequest("content_hash must be the file's SHA-256, 64 hexadecimal digits.")
    if duplicate not in (None, "allow"):
        raise InvalidRequest(
            'duplicate must be "allow" (to upload a file already there) or absent.'
        )
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
        raise InvalidRequest("filename must be a non-empty string of at most 255 characters.")
    if "\x00" in filename:
        raise InvalidRequest("filename must not contain NUL characters.")
    if not isinstance(content_type, str) or content_type not in EXTENSIONS:
        accepted = ", ".join(sorted(EXTENSIONS))
        raise UnsupportedType(f"Only these image types are accepted: {accepted}.")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidRequest("size must be a whole number of bytes, at least 1.")
    if size > settings.PHOTO_MAX_UPLOAD_BYTES:
        limit_mb = settings.PHOTO_MAX_UPLOAD_BYTES / (1024 * 1024)
        raise TooLarge(f"The file is larger than the {limit_mb:.0f} MB limit.")


@transaction.atomic
def photo_create_upload(
    *,
    pet: Pet,
    uploader: User,
    filename: str,
    content_type: str,
    size: int,
    local_url: str,
    content_hash: str | None = None,
    duplicate: str | None = None,
) -> tuple[Photo, Ticket]:
    """A pending photo and the ticket to upload its original, at most ``size`` bytes,
    straight to storage.

    Refused past UPLOAD_TICKETS_PER_MINUTE (``TooFast``), when the photo would take
    ``uploader`` over their quota, and (``AlreadyThere``) when ``content_hash``, the file's
    SHA-256 as the uploader's browser computed it, is one of the pet's photos already, unless
    ``duplicate="allow"``. The caller has checked that they may contribute to ``pet``.
    """
    validate_upload_request(
        filename=filename,
        content_type=content_type,
        size=size,
        content_hash=content_hash,
        duplicate=duplicate,
    )
    if content_hash and duplicate != "allow":
        _refuse_if_already_there(pet, uploader, content_hash.lower())
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
        # The client's word until processing hashes the bytes: a second copy of the file sent
        # while this one is processing is told it is already there.
        content_hash=(content_hash or "").lower(),
    )
    policy = UploadPolicy(
        key=photo.original_key,
        content_type=content_type,
        max_bytes=size,  # the quota counted this size: the ticket lets no more in
        expires_at=now + datetime.timedelta(seconds=settings.PHOTO_UPLOAD_TICKET_SECONDS),
    )
    _record_ticket(photo, policy, now)
    return photo, default_storage.upload_ticket(policy, local_url=local_url)


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


def _refuse_if_already_there(pet: Pet, uploader: User, content_hash: str) -> None:
    """``AlreadyThere`` when a photo of ``pet`` the uploader sees in its gallery has these
    bytes: a ready one, or one of their own still processing (the same file twice in a batch).
    The hash is the client's word: a wrong one only costs its sender the warning."""
    same = Photo.objects.filter(pet=pet, content_hash=content_hash)
    seen = same.filter(models.Q(state=Photo.State.READY) | models.Q(uploader=uploader))
    found = seen.exclude(state__in=[Photo.State.FAILED, Photo.State.PENDING])
    duplicate = found.order_by("created_at").first()
    if duplicate is not None:
        raise AlreadyThere(f"Already in {possessive(pet.name)} photos.", duplicate=duplicate)


RATE_WINDOW = datetime.timedelta(seconds=60)

WHAT_TO_DO_WHEN_FULL = (
    "Delete photos you no longer need, or ask an administrator to raise your quota."
)


def _refuse_if_too_fast(uploader: User, now: datetime.datetime) -> None:
    """``TooFast`` when ``uploader`` took UPLOAD_TICKETS_PER_MINUTE tickets in the last minute,
    counted from the tickets' rows; ``retry_after`` is when the oldest leaves the minute."""
    limit = settings.UPLOAD_TICKETS_PER_MINUTE
    recent = UploadTicket.objects.filter(uploader=uploader)  # deleting photos forgets none
    oldest_counted = recent.nth_newest_created_at(limit, since=now - RATE_WINDOW)
    if oldest_counted is None:
        return
    wait = max(1, math.ceil((oldest_counted + RATE_WINDOW - now).total_seconds()))
    raise TooFast(
        f"{limit} uploads a minute is the most allowed; "
        f"try again in {wait} second{pluralize(wait)}.",
        retry_after=wait,
    )


def _refuse_if_over_quota(uploader: User, size: int, now: datetime.datetime) -> None:
    """``OverQuota`` when one more photo of ``size`` bytes would take ``uploader`` over their
    quota. Photos deleted while their tickets are valid still count: their uploads may land."""
    quota = uploader.upload_quota()
    used = upload_usage(uploader, now)
    if used.photos + 1 > quota.photos:
        raise OverQuota(
            f"You have used {used.photos:,} of your {quota.photos:,} photos (uploads not yet "
            f"finished count too). {WHAT_TO_DO_WHEN_FULL}",
        )
    if used.bytes + size > quota.bytes:
        raise OverQuota(
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
        raise UnsupportedType(f"{content_type!r} is not an accepted image type.")
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
    photo_queue_processing(photo.pk)
    return photo


def photo_complete(*, photo: Photo) -> Photo:
    """The browser says the upload is done: check the object and queue processing.

    Completing again, or completing a photo already past ``pending``, changes nothing.
    """
    if photo.state != Photo.State.PENDING:
        return photo
    stored = default_storage.stored_version(photo.original_key)
    if stored is None:
        raise NotUploaded("The file has not been uploaded yet; upload it, then complete.")
    # The ticket allowed the announced size: a storage that ignored it (moto, a misconfigured
    # S3-compatible one) must not let more past the quota.
    if not 1 <= stored.size <= min(photo.size, settings.PHOTO_MAX_UPLOAD_BYTES):
        photo_fail(photo_id=photo.pk, reason="the stored file is empty or over the size limit")
        objects_queue_deletion([photo.original_key])
        raise TooLarge("The stored file is empty or larger than the size limit.")
    with transaction.atomic():
        locked = Photo.objects.select_for_update().get(pk=photo.pk)
        if locked.state != Photo.State.PENDING:
            return locked  # a concurrent completion won
        locked.state = Photo.State.PROCESSING
        locked.size, locked.original_etag = stored.size, stored.etag
        locked.save(update_fields=["state", "size", "original_etag", "updated_at"])
        photo_queue_processing(locked.pk)
    increment("uploads_completed")
    return locked
