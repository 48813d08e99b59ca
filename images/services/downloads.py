"""Downloads (issue 16): which stored object stands for each photo in a ZIP, and under which
name; and how many downloads one holder has under way. Who may download what is decided by
the callers, through the querysets (``Photo.objects.readable_by``, ``through_link``); the
bytes are read from storage chunk by chunk only as the archive is sent (``images.pure.zips``).

A download holds a web worker's thread for as long as its client takes to read it, so each
holder (a signed-in user; a share link, for everyone holding it) has at most
``DOWNLOADS_AT_ONCE`` under way: a count in the cache (the shared Redis in production), taken
when the response is made and given back when its stream ends or is closed (the server closes
it, a client gone or not: ``images.pure.streams.Ending``). The count lives
``DOWNLOAD_SLOTS_SECONDS`` from its first download, so a slot a dead worker never gave back
comes back by then; a download longer than that stops being counted. A cache that does not
answer counts nothing (``pettracker.cache``): downloads are then unlimited."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Callable, Iterable, Iterator
from enum import StrEnum

from django.core.cache import cache
from django.core.files.storage import default_storage

from cdn.objects import EXTENSIONS
from images.models import Photo, Rendition, RenditionName
from images.pure.zips import Entry, Member, member_names

logger = logging.getLogger(__name__)

# The most photos one ZIP holds: a request streams for as long as it takes to send them.
MAX_PHOTOS = 1000
# Downloads one holder has under way at once, and how long their count lives at most (the
# longest the cache keeps anything: MAX_TIMEOUT in CACHES).
DOWNLOADS_AT_ONCE = 3
DOWNLOAD_SLOTS_SECONDS = 600


class Kind(StrEnum):
    FULL = "full"  # the full rendition: every pixel, no metadata (anyone who may download)
    ORIGINAL = "original"  # the file as uploaded, GPS and all (the pet's owner only)


# A ready photo made before the full rendition existed, until the backfill reaches it: the
# largest rendition it has instead.
_STAND_INS = (RenditionName.FULL, RenditionName.LARGE)


def photos_zip_members(*, photos: Iterable[Photo], kind: Kind = Kind.FULL) -> list[Member]:
    """The archive's members for ``photos`` (ready ones, with their pet selected), in their
    order: each named ``<date taken> <caption or pet's name>.<ext>``, an original by the name
    it was uploaded with (in a folder per pet when
    they are of several), dated when it was taken on the place's clock, read from storage only
    when the archive reaches it."""
    photos = list(photos)
    objects = _originals(photos) if kind == Kind.ORIGINAL else _full_renditions(photos)
    photos = [photo for photo in photos if photo.pk in objects]  # (ready: never without)
    several_pets = len({photo.pet_id for photo in photos}) > 1
    entries = []
    for photo in photos:
        _, _, content_type = objects[photo.pk]
        entries.append(
            Entry(
                taken=photo.day_taken(),
                caption=photo.caption or photo.pet.name,
                extension=EXTENSIONS.get(content_type, "bin"),
                folder=photo.pet.name if several_pets else "",
                # Originals keep the name they were uploaded with (the camera's, the phone's).
                stem=_upload_stem(photo) if kind == Kind.ORIGINAL else "",
            )
        )
    names = member_names(entries)
    return [
        Member(
            name=name,
            modified=photo.local_taken_at().replace(tzinfo=None),
            size=objects[photo.pk][1],
            chunks=_reader(objects[photo.pk][0]),
        )
        for name, photo in zip(names, photos, strict=True)
    ]


def _upload_stem(photo: Photo) -> str:
    """The name ``photo``'s original was uploaded with, without its extension ("" if none)."""
    stem, _, _ = photo.original_filename.rpartition(".")
    return stem or photo.original_filename


def photo_full_rendition(*, photo: Photo) -> tuple[str, int, str] | None:
    """The key, size and type of the object a single download of ``photo`` sends."""
    return _full_renditions([photo]).get(photo.pk)


def _full_renditions(photos: list[Photo]) -> dict:
    rows = Rendition.objects.filter(photo__in=[p.pk for p in photos], name__in=_STAND_INS)
    found: dict = {}
    for photo_id, name, key, size in rows.values_list("photo_id", "name", "key", "bytes"):
        if photo_id not in found or name == RenditionName.FULL:
            found[photo_id] = (key, size, _content_type(key))
    return found


def _originals(photos: list[Photo]) -> dict:
    return {p.pk: (p.original_key, p.size, p.content_type) for p in photos}


def _content_type(key: str) -> str:
    extension = key.rsplit(".", 1)[-1]
    return next((t for t, e in EXTENSIONS.items() if e == extension), "")


def _reader(key: str):
    def chunks() -> Iterator[bytes]:
        try:
            yield from default_storage.read_chunks(key)
        except FileNotFoundError:
            # Deleted after the archive began: its headers are sent, so it stays, empty.
            logger.warning("download: %s was gone when the archive reached it", key)

    return chunks


def download_slot_take(*, holder: str) -> Callable[[], None] | None:
    """One of ``holder``'s download slots (``"user:<id>"``, ``"link:<id>"``), or None when
    all ``DOWNLOADS_AT_ONCE`` are taken: the function that gives it back (call it once)."""
    key = f"downloads-under-way:{holder}"
    if not cache.add(key, 1, DOWNLOAD_SLOTS_SECONDS):
        try:
            taken = cache.incr(key)
        except ValueError:  # it expired between the two calls: a new count
            cache.add(key, 1, DOWNLOAD_SLOTS_SECONDS)
            taken = 1
        if taken > DOWNLOADS_AT_ONCE:
            _slot_give_back(key)
            return None
    return functools.partial(_slot_give_back, key)


def _slot_give_back(key: str) -> None:
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        cache.decr(key)
