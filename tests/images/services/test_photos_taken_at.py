"""The date taken: set by processing from the original's metadata (else the upload time), kept
when the owner set it, corrected by the owner within bounds, and read for photos uploaded
before dates were (``photos_read_taken_at``)."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from images.models import Photo
from images.services.photos import (
    photo_process,
    photo_reprocess,
    photo_set_taken_at,
    photos_read_taken_at,
)
from tests.factories import PhotoFactory
from tests.images import corpus
from tests.images.helpers import stored_photo

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def zone(hours: float) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours))


def processed(pet, data: bytes) -> Photo:
    photo = photo_process(photo_id=stored_photo(pet, data).pk)
    photo.refresh_from_db()
    return photo


def test_processing_sets_the_date_the_exif_gives_with_its_offset(pet):
    photo = processed(pet, corpus.jpeg_with_dates())
    assert photo.taken_at == datetime.datetime(2024, 3, 4, 14, 5, 6, 250_000, tzinfo=zone(1))
    assert photo.taken_at_source == Photo.TakenAtSource.EXIF
    assert photo.taken_at_offset == 60


def test_a_heics_exif_date_is_read_too(pet):
    photo = processed(pet, corpus.heic_with_dates())
    assert photo.taken_at == datetime.datetime(2023, 7, 14, 9, 30, tzinfo=zone(-4))
    assert photo.taken_at_offset == -240


def test_a_file_that_says_nothing_is_dated_by_its_upload(pet):
    photo = processed(pet, corpus.png())
    assert photo.taken_at == photo.created_at
    assert photo.taken_at_source == Photo.TakenAtSource.UPLOAD
    assert photo.taken_at_offset is None


def test_the_renditions_of_a_dated_photo_carry_no_metadata(pet):
    photo = processed(pet, corpus.jpeg_with_dates())
    for rendition in photo.renditions.all():
        with default_storage.open(rendition.key) as stored:
            data = stored.read()
        image = Image.open(io.BytesIO(data))
        assert image.format == ("JPEG" if rendition.name == "full" else "WEBP")
        assert not image.getexif()
        assert not {"exif", "xmp", "icc_profile"} & set(image.info)
        for marker in (b"EXIF", b"Exif", b"XMP ", b"xmpmeta", b"2024"):
            assert marker not in data, (rendition.name, marker)


def test_the_owners_date_stands_when_the_photo_is_processed_again(pet):
    photo = processed(pet, corpus.jpeg_with_dates())
    chosen = datetime.datetime(2020, 2, 2, 12, 0, tzinfo=UTC)
    photo_set_taken_at(photo=photo, taken_at=chosen)
    photo_reprocess(photo=photo)
    photo = processed_again(photo)
    assert photo.state == Photo.State.READY
    assert photo.taken_at == chosen
    assert photo.taken_at_source == Photo.TakenAtSource.OWNER


def processed_again(photo: Photo) -> Photo:
    photo_process(photo_id=photo.pk)
    photo.refresh_from_db()
    return photo


def test_a_ready_photo_given_missing_renditions_gets_its_date_if_never_read(pet):
    photo = processed(pet, corpus.jpeg_with_dates())
    Photo.objects.filter(pk=photo.pk).update(
        taken_at=photo.created_at, taken_at_source=Photo.TakenAtSource.UNREAD
    )
    photo.renditions.filter(name="square").delete()
    photo = processed_again(photo)
    assert photo.taken_at_source == Photo.TakenAtSource.EXIF
    assert photo.taken_at.year == 2024


# --- The owner's correction ------------------------------------------------------------------


def test_the_owner_sets_the_date_taken(pet):
    photo = PhotoFactory(pet=pet, state=Photo.State.READY)
    when = datetime.datetime(2019, 8, 1, 9, 15, tzinfo=zone(2))
    photo_set_taken_at(photo=photo, taken_at=when)
    photo.refresh_from_db()
    assert photo.taken_at == when
    assert photo.taken_at_source == Photo.TakenAtSource.OWNER


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (timezone.now() + datetime.timedelta(hours=2), "in the future"),
        (datetime.datetime(1825, 12, 31, tzinfo=UTC), "Photography began in 1826"),
    ],
)
def test_a_date_in_the_future_or_before_photography_is_refused_and_nothing_changes(
    pet, when, message
):
    photo = PhotoFactory(pet=pet, state=Photo.State.READY)
    before = photo.taken_at
    with pytest.raises(ValidationError, match=message):
        photo_set_taken_at(photo=photo, taken_at=when)
    photo.refresh_from_db()
    assert photo.taken_at == before
    assert photo.taken_at_source == Photo.TakenAtSource.UNREAD


# --- Photos uploaded before dates were read ---------------------------------------------------


def uploaded_before_dates(pet, data: bytes | None, **fields) -> Photo:
    """A ready photo as migration 0009 leaves it: its upload time, never read."""
    photo = (
        stored_photo(pet, data, **fields) if data is not None else PhotoFactory(pet=pet, **fields)
    )
    Photo.objects.filter(pk=photo.pk).update(
        state=Photo.State.READY, taken_at=photo.created_at, taken_at_source=""
    )
    return photo


def test_the_backfill_reads_originals_and_keeps_the_upload_time_when_they_say_nothing(pet):
    dated = uploaded_before_dates(pet, corpus.jpeg_with_dates())
    silent = uploaded_before_dates(pet, corpus.png())
    missing = uploaded_before_dates(pet, None)
    garbage = uploaded_before_dates(pet, b"not an image at all")
    done = photos_read_taken_at(batch=2)
    assert (done.read, done.upload_time, done.skipped) == (1, 3, 0)
    taken = {p.pk: p for p in Photo.objects.all()}
    assert taken[dated.pk].taken_at == datetime.datetime(
        2024, 3, 4, 14, 5, 6, 250_000, tzinfo=zone(1)
    )
    for photo in (silent, missing, garbage):
        assert taken[photo.pk].taken_at == photo.created_at
        assert taken[photo.pk].taken_at_source == Photo.TakenAtSource.UPLOAD


def test_the_backfill_is_idempotent_and_leaves_set_dates_and_pending_uploads_alone(pet):
    uploaded_before_dates(pet, corpus.jpeg_with_dates())
    owned = PhotoFactory(pet=pet, state=Photo.State.READY, taken_at_source="owner")
    pending = PhotoFactory(pet=pet, state=Photo.State.PENDING)
    assert photos_read_taken_at().read == 1
    again = photos_read_taken_at()
    assert (again.read, again.upload_time, again.skipped) == (0, 0, 0)
    owned.refresh_from_db()
    pending.refresh_from_db()
    assert owned.taken_at_source == Photo.TakenAtSource.OWNER
    assert pending.taken_at_source == Photo.TakenAtSource.UNREAD


def test_a_storage_failure_leaves_the_photo_for_the_next_run(pet, monkeypatch):
    photo = uploaded_before_dates(pet, corpus.jpeg_with_dates())

    def unreachable(key, etag):
        raise ConnectionError("storage is down")

    with monkeypatch.context() as patch:
        patch.setattr(default_storage._wrapped, "open_version", unreachable)
        assert photos_read_taken_at().skipped == 1
    photo.refresh_from_db()
    assert photo.taken_at_source == Photo.TakenAtSource.UNREAD
    assert photos_read_taken_at().read == 1
