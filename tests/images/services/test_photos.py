"""The photo services: processing into renditions, failing with a reason, retries of the
server's failures, sending tasks the broker did not take, expiring uploads never finished,
deleting. (Their task, run eagerly: tests/images/test_tasks.py. With a real worker and redis:
test_worker.py, test_faults.py. S3 replays: test_s3.py.)"""

from __future__ import annotations

import datetime
import os

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.storage import default_storage
from django.utils import timezone

from cdn.models import PendingInvalidation
from images import tasks
from images.models import PendingObjectDeletion, Photo, Rendition
from images.pure.object_keys import photo_renditions_prefix
from images.services import photos
from images.services.deletions import objects_delete_pending
from images.services.moves import photos_move
from images.services.photos import (
    RENDITION_NAMES,
    TRANSIENT_RETRY_DELAYS,
    _store_renditions,
    photo_delete,
    photo_fail,
    photo_process,
    photo_reprocess,
    photos_expire_pending,
    photos_lacking_renditions,
    photos_queue_missing_renditions,
    photos_requeue_stuck,
    photos_retry_failed,
    photos_send_unqueued,
)
from images.services.uploads import photo_complete
from tests.factories import PetFactory, PhotoFactory, RenditionFactory, ready_photo
from tests.images import corpus
from tests.images.helpers import (
    pending_upload,
    queued_for_deletion,
    store,
    stored_files,
    stored_photo,
)

pytestmark = pytest.mark.django_db


# --- Processing ----------------------------------------------------------------------------------


def test_processing_makes_every_rendition_and_records_the_photo(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(orientation=6)).pk)
    assert photo.state == Photo.State.READY
    assert (photo.width, photo.height) == (480, 640)
    assert len(photo.content_hash) == 64
    assert photo.placeholder_color.startswith("#")
    sizes = {r.name: (r.width, r.height) for r in photo.renditions.all()}
    assert sizes == {
        "full": (480, 640),  # every pixel, upright: for downloads (issue 16)
        "large": (480, 640),
        "medium": (480, 640),
        "square": (480, 480),  # never upscaled: the short side
        "thumb": (256, 256),
    }
    for rendition in photo.renditions.all():
        assert rendition.key.startswith(f"renditions/{pet.pk}/{photo.pk}/{rendition.name}-")
        assert default_storage.size(rendition.key) == rendition.bytes


def test_a_large_photo_gets_a_512_px_square(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(1200, 900))).pk)
    square = photo.renditions.get(name="square")
    assert (square.width, square.height) == (512, 512)
    assert default_storage.size(square.key) == square.bytes


def test_running_twice_rewrites_the_same_keys_and_rows(pet):
    photo = stored_photo(pet, corpus.jpeg())
    photo_process(photo_id=photo.pk)
    first = sorted(Rendition.objects.values_list("key", flat=True))
    Photo.objects.filter(pk=photo.pk).update(state=Photo.State.PROCESSING)  # a redelivery
    photo_process(photo_id=photo.pk)
    assert sorted(Rendition.objects.values_list("key", flat=True)) == first
    assert Rendition.objects.count() == len(RENDITION_NAMES)
    objects_delete_pending()
    assert all(default_storage.exists(key) for key in first)


def test_a_photo_not_waiting_for_processing_is_left_alone(pet):
    for state in (Photo.State.PENDING, Photo.State.FAILED):
        photo = PhotoFactory(pet=pet, state=state, error="x" if state == "failed" else "")
        assert photo_process(photo_id=photo.pk) is None
        assert Photo.objects.get(pk=photo.pk).state == state
    complete = with_every_rendition(ready_photo(pet=pet))
    assert photo_process(photo_id=complete.pk) is None
    assert Photo.objects.get(pk=complete.pk).attempts == complete.attempts
    assert photo_process(photo_id="00000000-0000-4000-8000-000000000000") is None


def ready_before_the_square(pet, **fields) -> Photo:
    """A ready photo's rows as processing left them before the 512 px square existed."""
    photo = ready_photo(pet=pet, **fields)
    photo.renditions.filter(name="square").delete()
    return photo


def with_every_rendition(photo: Photo) -> Photo:
    """``ready_photo`` with the renditions of the current set it lacks."""
    for name in set(RENDITION_NAMES) - set(photo.renditions.values_list("name", flat=True)):
        RenditionFactory(photo=photo, name=name)
    return photo


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


def test_processing_again_does_not_rewrite_renditions_that_hold_their_bytes(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    paths = [default_storage.path(key) for key in photo.renditions.values_list("key", flat=True)]
    before = {path: _inode_and_mtime(path) for path in paths}
    photo_reprocess(photo=photo)
    assert photo_process(photo_id=photo.pk).state == Photo.State.READY
    assert {path: _inode_and_mtime(path) for path in paths} == before


def test_processing_again_writes_back_a_rendition_whose_object_went_missing(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    thumb = photo.renditions.get(name="thumb")
    default_storage.delete(thumb.key)  # what the reconciliation finds, then re-processes
    photo_reprocess(photo=photo)
    photo_process(photo_id=photo.pk)
    assert default_storage.size(thumb.key) == thumb.bytes


def test_a_first_run_does_not_ask_storage_whether_its_renditions_exist(pet, monkeypatch):
    asked = []
    monkeypatch.setattr(photos, "_holds", lambda key, size: asked.append(key) or False)
    assert photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk).state == Photo.State.READY
    assert asked == []


def _inode_and_mtime(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns


def test_a_failed_run_leaves_nothing_under_the_photo_but_what_rows_still_use(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    kept = list(photo.renditions.values_list("key", flat=True))
    folder = photo_renditions_prefix(pet_id=pet.pk, photo_id=photo.pk)
    leftover = store(f"{folder}medium-1111111111111111.webp")
    photo_reprocess(photo=photo)  # processed again (a ready photo is never failed)
    photo_fail(photo_id=photo.pk, reason="the image took too long to process")
    objects_delete_pending()
    assert not default_storage.exists(leftover)
    assert all(default_storage.exists(key) for key in kept)


def test_an_original_replaced_after_completion_is_never_processed(pet):
    photo, _ticket = pending_upload(pet)
    store(photo.original_key, corpus.jpeg(size=(640, 480)))
    photo_complete(photo=photo)
    assert photo_process(photo_id=photo.pk).state == Photo.State.READY

    store(photo.original_key, corpus.jpeg(size=(320, 240)))  # a racing second POST
    photo_reprocess(photo=Photo.objects.get(pk=photo.pk))
    again = photo_process(photo_id=photo.pk)
    assert again.state == Photo.State.FAILED
    assert "replaced after its upload finished" in again.error
    assert (again.width, again.height) == (640, 480)


# --- Processing again: stuck, failed, or never sent ----------------------------------------------


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


def test_a_photo_processed_again_keeps_when_it_first_turned_ready(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(640, 480))).pk)
    first = photo.processed_at - datetime.timedelta(days=30)
    Photo.objects.filter(pk=photo.pk).update(processed_at=first)
    photo_reprocess(photo=Photo.objects.get(pk=photo.pk))
    again = photo_process(photo_id=photo.pk)
    assert again.state == Photo.State.READY
    # Not news again: the activity and the digests count photos by when they turned ready.
    assert again.processed_at == first


class BrokerDown(Exception):
    pass


def broker_refusing(monkeypatch):
    def refuse(*args, **kwargs):
        raise BrokerDown("Connection refused")

    monkeypatch.setattr(tasks.process_photo, "delay", refuse)


def test_a_photo_whose_task_was_not_sent_is_marked_and_sent_at_the_next_tick(
    pet, monkeypatch, django_capture_on_commit_callbacks
):
    photo = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="x")
    broker_refusing(monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        photo_reprocess(photo=photo)
    photo.refresh_from_db()
    assert photo.state == Photo.State.PROCESSING
    assert photo.unqueued_since is not None

    sent = []
    monkeypatch.setattr(tasks.process_photo, "delay", sent.append)
    assert photos_send_unqueued() == 1
    assert sent == [str(photo.pk)]
    photo.refresh_from_db()
    assert photo.unqueued_since is None


def test_resending_stops_while_the_broker_is_still_away_and_keeps_the_marks(pet, monkeypatch):
    photos = [
        PhotoFactory(pet=pet, state=Photo.State.PROCESSING, unqueued_since=timezone.now())
        for _ in range(3)
    ]
    broker_refusing(monkeypatch)
    assert photos_send_unqueued() == 0
    assert Photo.objects.filter(unqueued_since__isnull=False).count() == len(photos)


# --- Failures of the server's, retried -----------------------------------------------------------


def test_a_transient_failure_is_retried_by_beat_with_growing_delays_for_about_a_day(pet):
    photo = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    delays = []
    for _ in TRANSIENT_RETRY_DELAYS:
        failed_at = timezone.now()
        failed = photo_fail(photo_id=photo.pk, reason="storage down", transient=True)
        assert failed.error == "storage down; it will be tried again automatically"
        delays.append(round((failed.retry_at - failed_at).total_seconds() / 60))
        assert photos_retry_failed(now=failed.retry_at) == 1
        photo.refresh_from_db()
        assert (photo.state, photo.error, photo.retry_at) == (Photo.State.PROCESSING, "", None)
    assert delays == [5, 10, 20, 40, 80, 160, 320, 640]  # minutes: 21 hours in all
    final = photo_fail(photo_id=photo.pk, reason="storage down", transient=True)
    assert final.retry_at is None
    assert "for a day" in final.error
    assert photos_retry_failed(now=timezone.now() + datetime.timedelta(days=7)) == 0


def test_a_retry_is_not_due_before_its_time_and_a_files_fault_is_never_retried(pet):
    transient = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    own_fault = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    photo_fail(photo_id=transient.pk, reason="storage down", transient=True)
    photo_fail(photo_id=own_fault.pk, reason="this is not an image")
    assert photos_retry_failed() == 0
    later = timezone.now() + datetime.timedelta(days=2)
    assert photos_retry_failed(now=later) == 1
    own_fault.refresh_from_db()
    assert own_fault.state == Photo.State.FAILED


def test_a_photo_that_becomes_ready_starts_its_transient_count_afresh(pet):
    photo = stored_photo(pet, corpus.jpeg())
    photo_fail(photo_id=photo.pk, reason="storage down", transient=True)
    photos_retry_failed(now=timezone.now() + datetime.timedelta(hours=1))
    ready = photo_process(photo_id=photo.pk)
    assert (ready.state, ready.transient_failures, ready.retry_at) == (Photo.State.READY, 0, None)
    assert Rendition.objects.filter(photo=ready).count() == len(RENDITION_NAMES)


# --- Renditions added to the set: the backfill ---------------------------------------------------


def processed_before_the_square(pet) -> Photo:
    """A photo processed when the set was large, medium and thumb: processed now, then its
    square taken away, row and object."""
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(1200, 900))).pk)
    square = photo.renditions.get(name="square")
    square.delete()
    default_storage.delete(square.key)
    return Photo.objects.get(pk=photo.pk)


def files_of(photo: Photo) -> dict[str, tuple[str, tuple[int, int]]]:
    return {
        r.name: (r.key, _inode_and_mtime(default_storage.path(r.key)))
        for r in photo.renditions.all()
    }


@pytest.mark.usefixtures("eager_celery")
def test_the_backfill_adds_only_the_missing_square_and_the_photo_stays_ready(pet):
    photo = processed_before_the_square(pet)
    made_once = stored_photo(pet, corpus.jpeg(size=(1200, 900)))  # what a full run makes
    square_key = photo_process(photo_id=made_once.pk).renditions.get(name="square").key
    before = files_of(photo)
    assert set(before) == {"large", "medium", "thumb", "full"}

    backfill = photos_queue_missing_renditions(batch=100)
    assert (backfill.lacking, backfill.queued, backfill.error) == (1, 1, "")

    after = Photo.objects.get(pk=photo.pk)
    square = after.renditions.get(name="square")
    assert (square.width, square.height) == (512, 512)
    assert default_storage.size(square.key) == square.bytes
    assert square.key.split("-")[-1] == square_key.split("-")[-1]  # the same bytes
    assert {name: files_of(after)[name] for name in before} == before  # not written again
    for field in ("state", "processed_at", "placeholder_color", "content_hash"):
        assert getattr(after, field) == getattr(photo, field)
    # Its tiles changed (a new srcset entry): cached gallery pages are kept by this.
    assert after.updated_at > photo.updated_at
    assert not PendingObjectDeletion.objects.exists()
    # Once processed, it is never queued again.
    assert photos_queue_missing_renditions(batch=100).queued == 0


def test_the_backfill_queues_only_ready_photos_lacking_a_rendition_newest_first(pet, monkeypatch):
    complete = with_every_rendition(ready_photo(pet=pet))
    old = ready_before_the_square(pet)  # thumb, medium, large
    older = ready_before_the_square(pet)
    older.renditions.get(name="thumb").delete()  # and no thumbnail either (an admin's removal)
    Photo.objects.filter(pk=older.pk).update(created_at=timezone.now() - datetime.timedelta(1))
    Photo.objects.filter(pk=old.pk).update(attempts=3)
    PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    PhotoFactory(pet=pet, state=Photo.State.FAILED, error="not an image")
    assert set(photos_lacking_renditions()) == {old, older}
    sent = []
    monkeypatch.setattr(tasks.process_photo, "delay", sent.append)

    dry = photos_queue_missing_renditions(batch=1, dry_run=True)
    assert (dry.lacking, dry.chosen, dry.queued, sent) == (2, 1, 0, [])

    first = photos_queue_missing_renditions(batch=1)
    assert (first.lacking, first.chosen, first.queued) == (2, 1, 1)
    assert sent == [str(old.pk)]
    assert Photo.objects.get(pk=old.pk).attempts == 0  # a fresh bound for its run
    assert photos_queue_missing_renditions(batch=10).queued == 2  # not yet processed: again
    assert str(complete.pk) not in sent


def test_the_backfill_stops_when_the_broker_refuses_and_says_so(pet, monkeypatch):
    ready_before_the_square(pet)
    broker_refusing(monkeypatch)
    backfill = photos_queue_missing_renditions(batch=10)
    assert (backfill.queued, backfill.error) == (0, "BrokerDown: Connection refused")


def test_a_ready_photo_whose_original_is_gone_keeps_its_renditions_and_stays_ready(pet):
    photo = processed_before_the_square(pet)
    default_storage.delete(photo.original_key)
    assert photo_process(photo_id=photo.pk).state == Photo.State.READY
    after = Photo.objects.get(pk=photo.pk)
    assert (after.state, after.error) == (Photo.State.READY, "")
    names = set(after.renditions.values_list("name", flat=True))
    assert names == {"large", "medium", "thumb", "full"}
    assert not PendingObjectDeletion.objects.exists()


def test_a_ready_photo_whose_run_fails_in_the_task_stays_ready_with_its_renditions(
    pet, monkeypatch
):
    photo = processed_before_the_square(pet)

    def too_slow(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(photos, "process_image", too_slow)
    tasks.process_photo.apply(args=[str(photo.pk)])
    after = Photo.objects.get(pk=photo.pk)
    assert (after.state, after.error, after.retry_at) == (Photo.State.READY, "", None)
    assert not PendingObjectDeletion.objects.exists()  # its folder is not queued for deletion


def test_adding_renditions_is_bounded_by_attempts(pet, settings):
    settings.PHOTO_MAX_ATTEMPTS = 2
    photo = processed_before_the_square(pet)
    Photo.objects.filter(pk=photo.pk).update(attempts=2)
    assert photo_process(photo_id=photo.pk) is None
    after = Photo.objects.get(pk=photo.pk)
    assert (after.state, after.renditions.count()) == (Photo.State.READY, 4)


def test_a_photo_deleted_while_its_square_was_made_leaves_no_objects(pet, monkeypatch):
    photo = processed_before_the_square(pet)
    real_store = _store_renditions

    def store_then_delete(photo, result):
        written = real_store(photo, result)
        photo_delete(photo=photo)
        return written

    monkeypatch.setattr(photos, "_store_renditions", store_then_delete)
    assert photo_process(photo_id=photo.pk) is None
    objects_delete_pending()
    assert stored_files(f"renditions/{pet.pk}/{photo.pk}") == []


def test_a_photo_moved_while_its_square_was_made_gets_no_rendition_under_its_old_pet(
    pet, monkeypatch
):
    photo = processed_before_the_square(pet)
    for key in photo.renditions.values_list("key", flat=True):
        store(key)
    other = PetFactory(owner=pet.owner)
    real_store = _store_renditions

    def store_then_move(photo, result):
        written = real_store(photo, result)
        photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other)
        return written

    monkeypatch.setattr(photos, "_store_renditions", store_then_move)
    photo_process(photo_id=photo.pk)
    moved = Photo.objects.get(pk=photo.pk)
    assert moved.pet == other
    assert all(
        k.startswith(f"renditions/{other.pk}/")
        for k in moved.renditions.values_list("key", flat=True)
    )
    objects_delete_pending()
    assert stored_files(f"renditions/{pet.pk}/{photo.pk}") == []


# --- Uploads never finished ----------------------------------------------------------------------


def test_pending_photos_long_past_their_ticket_are_swept_with_what_landed(pet):
    old, _ticket = pending_upload(pet)
    store(old.original_key, corpus.jpeg())  # uploaded, never completed
    Photo.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(hours=2))
    recent, _ticket = pending_upload(pet)

    assert photos_expire_pending() == 1
    assert list(Photo.objects.values_list("pk", flat=True)) == [recent.pk]
    objects_delete_pending()
    assert not default_storage.exists(old.original_key)


def test_the_sweep_leaves_photos_past_pending_alone(pet):
    processing = PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    Photo.objects.filter(pk=processing.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    assert photos_expire_pending() == 0


# --- Deleting ------------------------------------------------------------------------------------


def test_deleting_queues_every_object_and_the_sweep_deletes_them(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    keys = [photo.original_key, *photo.renditions.values_list("key", flat=True)]
    photo_delete(photo=photo)
    assert queued_for_deletion(keys)
    assert objects_delete_pending() == 2  # the original, the rendition folder
    assert not any(default_storage.exists(key) for key in keys)
    assert objects_delete_pending() == 0


def test_deleting_a_photo_queues_its_paths(db):
    photo = PhotoFactory()
    rendition = RenditionFactory(photo=photo)
    photo_delete(photo=photo)
    assert set(PendingInvalidation.objects.values_list("path", flat=True)) == {
        f"/{photo.original_key}",
        f"/{rendition.key}",
    }


@pytest.mark.usefixtures("eager_celery")
def test_a_photo_made_before_the_full_rendition_gets_it_alone_from_the_backfill(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg(size=(1200, 900))).pk)
    full = photo.renditions.get(name="full")
    full.delete()
    default_storage.delete(full.key)
    before = files_of(photo)
    assert "full" not in before

    assert photos_queue_missing_renditions(batch=100).queued == 1

    after = Photo.objects.get(pk=photo.pk)
    added = after.renditions.get(name="full")
    assert (added.width, added.height) == (1200, 900)
    assert added.key.endswith(".jpg")
    assert default_storage.size(added.key) == added.bytes
    assert {name: files_of(after)[name] for name in before} == before  # not written again
    assert after.state == Photo.State.READY
