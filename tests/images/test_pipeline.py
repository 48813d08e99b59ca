import datetime
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from images.models import (
    PendingObjectDeletion,
    Photo,
    PhotoQuerySet,
    Rendition,
    UploadTicketQuerySet,
)
from images.services import photos
from images.services.deletions import objects_delete_pending
from images.services.errors import OverQuota, PhotoError, TooFast
from images.services.photos import (
    _store_renditions,
    photo_delete,
    photo_process,
    photo_reprocess,
    photos_requeue_stuck,
)
from images.services.uploads import photo_create_upload, photo_import
from tests.factories import PetFactory, PhotoFactory
from tests.images import corpus
from tests.images.helpers import queued_for_deletion

pytestmark = pytest.mark.django_db


def stored_photo(pet, data: bytes, **fields) -> Photo:
    """A photo whose original is in storage and which waits to be processed."""
    photo = PhotoFactory(pet=pet, state=Photo.State.PROCESSING, **fields)
    default_storage.save(photo.original_key, ContentFile(data))
    return photo


def stored_files(prefix: str) -> list[str]:
    folder = Path(default_storage.path(prefix))
    return [str(p) for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_processing_makes_three_renditions_and_records_the_photo(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(orientation=6)).pk)
    assert photo.state == Photo.State.READY
    assert (photo.width, photo.height) == (480, 640)
    assert len(photo.content_hash) == 64
    assert photo.placeholder_color.startswith("#")
    names = set(photo.renditions.values_list("name", flat=True))
    assert names == {"thumb", "medium", "large"}
    for rendition in photo.renditions.all():
        assert rendition.key.startswith(f"renditions/{pet.pk}/{photo.pk}/{rendition.name}-")
        assert default_storage.size(rendition.key) == rendition.bytes


def test_running_twice_rewrites_the_same_keys_and_rows(pet):
    photo = stored_photo(pet, corpus.jpeg())
    photo_process(photo_id=photo.pk)
    first = sorted(Rendition.objects.values_list("key", flat=True))
    Photo.objects.filter(pk=photo.pk).update(state=Photo.State.PROCESSING)  # a redelivery
    photo_process(photo_id=photo.pk)
    assert sorted(Rendition.objects.values_list("key", flat=True)) == first
    assert Rendition.objects.count() == 3
    objects_delete_pending()
    assert all(default_storage.exists(key) for key in first)


def test_a_photo_not_waiting_for_processing_is_left_alone(pet):
    for state in (Photo.State.PENDING, Photo.State.READY, Photo.State.FAILED):
        photo = PhotoFactory(pet=pet, state=state, error="x" if state == "failed" else "")
        assert photo_process(photo_id=photo.pk) is None
        assert Photo.objects.get(pk=photo.pk).state == state
    assert photo_process(photo_id="00000000-0000-4000-8000-000000000000") is None


def test_a_rejected_file_fails_with_the_reason(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.png_bomb()).pk)
    assert photo.state == Photo.State.FAILED
    assert photo.error == "image too large: 50000×50000 px (the limit is 50 megapixels)"
    assert not photo.renditions.exists()


def test_a_missing_original_fails_with_the_reason(pet):
    photo = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    assert photo_process(photo_id=photo.pk).error.startswith("the uploaded file is missing")


def test_attempts_are_bounded(pet, settings):
    settings.PHOTO_MAX_ATTEMPTS = 2
    photo = stored_photo(pet, corpus.jpeg(), attempts=2)
    result = photo_process(photo_id=photo.pk)
    assert result.state == Photo.State.FAILED
    assert "kept failing" in result.error


def test_a_photo_deleted_while_processing_leaves_no_objects(pet, monkeypatch):
    photo = stored_photo(pet, corpus.jpeg())
    real_store = _store_renditions

    def store_then_delete(photo, result):
        written = real_store(photo, result)
        photo_delete(photo=photo)  # the owner deletes it meanwhile
        return written

    monkeypatch.setattr(photos, "_store_renditions", store_then_delete)
    assert photo_process(photo_id=photo.pk) is None
    objects_delete_pending()
    assert not PendingObjectDeletion.objects.exists()
    assert stored_files(f"renditions/{pet.pk}/{photo.pk}") == []


def test_an_exact_duplicate_within_the_pet_is_flagged(pet):
    data = corpus.jpeg()
    first = photo_process(photo_id=stored_photo(pet, data).pk)
    second = photo_process(photo_id=stored_photo(pet, data).pk)
    other = photo_process(photo_id=stored_photo(pet, corpus.png()).pk)
    assert first.duplicate_of is None
    assert second.duplicate_of == first
    assert other.duplicate_of is None


def test_stuck_photos_are_queued_again(pet, django_capture_on_commit_callbacks):
    stuck = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    fresh = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    Photo.objects.filter(pk=stuck.pk).update(
        updated_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks() as callbacks:
        assert photos_requeue_stuck() == 1
    assert len(callbacks) == 1
    fresh.refresh_from_db()
    stuck.refresh_from_db()
    assert stuck.updated_at > timezone.now() - datetime.timedelta(minutes=1)


def test_an_age_of_zero_requeues_everything_processing(pet, django_capture_on_commit_callbacks):
    PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    with django_capture_on_commit_callbacks():
        assert photos_requeue_stuck(older_than=datetime.timedelta(0)) == 1


def test_a_failed_photo_can_be_processed_again(pet, django_capture_on_commit_callbacks):
    photo = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="storage was down", attempts=5)
    with django_capture_on_commit_callbacks() as callbacks:
        again = photo_reprocess(photo=photo)
    assert (again.state, again.error, again.attempts) == (Photo.State.PROCESSING, "", 0)
    assert len(callbacks) == 1


def test_deleting_queues_every_object_and_the_sweep_deletes_them(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    keys = [photo.original_key, *photo.renditions.values_list("key", flat=True)]
    photo_delete(photo=photo)
    assert queued_for_deletion(keys)
    assert objects_delete_pending() == 2  # the original, the rendition folder
    assert not any(default_storage.exists(key) for key in keys)
    assert objects_delete_pending() == 0


def test_photo_import_stores_the_original_and_queues_it(
    pet, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        photo = photo_import(
            pet=pet, uploader=owner, content=b"\xff\xd8bytes", content_type="image/jpeg"
        )
    now = timezone.now()
    assert photo.original_key == f"originals/{owner.pk}/{now:%Y/%m}/{photo.pk}.jpg"
    assert photo.state == Photo.State.PROCESSING
    assert len(callbacks) == 1
    with default_storage.open(photo.original_key) as stored:
        assert stored.read() == b"\xff\xd8bytes"


def test_photo_import_refuses_a_type_we_do_not_accept_and_stores_nothing(pet, owner):
    with pytest.raises(PhotoError, match="not an accepted image type"):
        photo_import(pet=pet, uploader=owner, content=b"<svg/>", content_type="image/svg+xml")
    assert not Photo.objects.exists()


# --- Upload limits under concurrency -------------------------------------------------------


def slowed_down(method):
    """``method``, then a pause: widens the gap between reading the usage and writing the new
    photo, where concurrent requests would otherwise all see room for one more."""

    def slow(*args, **kwargs):
        result = method(*args, **kwargs)
        time.sleep(0.1)
        return result

    return slow


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("setting", "refusal"),
    [("PHOTO_QUOTA_COUNT", "OverQuota"), ("UPLOAD_TICKETS_PER_MINUTE", "TooFast")],
)
def test_concurrent_ticket_requests_of_one_user_do_not_overshoot_a_limit(
    pet, owner, settings, monkeypatch, setting, refusal
):
    setattr(settings, setting, 3)
    for queryset in (PhotoQuerySet, UploadTicketQuerySet):
        for name in ("usage", "nth_newest_created_at"):
            monkeypatch.setattr(queryset, name, slowed_down(getattr(queryset, name)))
    start = threading.Barrier(8)

    def ask_for_a_ticket(_) -> int:
        start.wait()
        try:
            photo_create_upload(
                pet=pet,
                uploader=owner,
                filename="walk.jpg",
                content_type="image/jpeg",
                size=1000,
                local_url="http://testserver/uploads/",
            )
            return "created"
        except PhotoError as error:
            return type(error).__name__
        finally:
            connection.close()  # each thread has its own connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = Counter(pool.map(ask_for_a_ticket, range(8)))
    assert answers == {"created": 3, refusal: 5}
    assert Photo.objects.filter(uploader=owner).count() == 3


# --- Deleting pending photos frees nothing a ticket may still use ---------------------------


def take_ticket(pet, uploader, size=4000):
    return photo_create_upload(
        pet=pet,
        uploader=uploader,
        filename="walk.jpg",
        content_type="image/jpeg",
        size=size,
        local_url="http://testserver/uploads/",
    )[0]


@pytest.mark.django_db
def test_deleting_pending_photos_does_not_reset_the_rate_of_tickets(pet, owner, settings):
    settings.UPLOAD_TICKETS_PER_MINUTE = 2
    for _ in range(2):
        photo_delete(photo=take_ticket(pet, owner))
    with pytest.raises(TooFast):
        take_ticket(pet, owner)


@pytest.mark.django_db
def test_a_deleted_pending_photo_counts_against_the_quota_until_its_ticket_expires(
    pet, owner, settings
):
    from images.models import UploadTicket

    settings.PHOTO_QUOTA_BYTES = 5000
    photo_delete(photo=take_ticket(pet, owner))
    with pytest.raises(OverQuota):
        take_ticket(pet, owner)  # the first upload may still land
    UploadTicket.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert take_ticket(pet, owner).state == Photo.State.PENDING


@pytest.mark.django_db
def test_deleting_the_pet_frees_no_live_tickets_quota(pet, owner, settings):
    from images.services.pets import pet_delete

    settings.PHOTO_QUOTA_COUNT = 1
    take_ticket(pet, owner)
    pet_delete(pet=pet)
    with pytest.raises(OverQuota):
        take_ticket(PetFactory(owner=owner), owner)
