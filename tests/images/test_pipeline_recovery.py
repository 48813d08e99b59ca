"""The pipeline under faults: objects that cannot be deleted, uploads landing after their photo
was deleted, uploads never finished, tasks the broker did not take, storage failing for long.
(With a real worker and redis: test_faults.py. S3 replays: test_s3.py.)"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from images import tasks
from images.models import PendingObjectDeletion, Photo, Rendition, UploadTicket
from images.pure.object_keys import photo_renditions_prefix
from images.pure.upload_tickets import UPLOAD_LANDING_GRACE
from images.services.deletions import (
    DELETION_ATTEMPTS_BEFORE_SET_ASIDE,
    DELETION_MAX_BACKOFF,
    object_deletions_retry,
    objects_delete_pending,
    objects_queue_deletion,
)
from images.services.photos import (
    TRANSIENT_RETRY_DELAYS,
    photo_delete,
    photo_fail,
    photo_process,
    photo_reprocess,
    photos_expire_pending,
    photos_retry_failed,
    photos_send_unqueued,
)
from images.services.uploads import photo_complete, photo_create_upload
from tests.factories import PetFactory, PhotoFactory, UserFactory
from tests.images import corpus
from tests.images.test_pipeline import stored_photo

pytestmark = pytest.mark.django_db


def store(key: str, data: bytes = b"x") -> str:
    default_storage.save(key, ContentFile(data))
    return key


def refusing_to_delete(monkeypatch, *blocked: str) -> None:
    """Storage that cannot delete ``blocked`` (an object lock, a missing permission)."""
    storage = default_storage._wrapped if default_storage.location else None
    real_delete = storage.delete

    def delete(name):
        if name in blocked:
            raise PermissionError(13, "Permission denied", name)
        real_delete(name)

    monkeypatch.setattr(storage, "delete", delete)


# --- The deletion outbox -------------------------------------------------------------------


def test_one_undeletable_object_holds_back_no_other(monkeypatch):
    keys = [store(f"originals/1/2026/11/{n:02}.jpg") for n in range(24)]
    blocker = keys[0]  # queued first, as in the trial
    refusing_to_delete(monkeypatch, blocker)
    objects_queue_deletion(keys)

    assert objects_delete_pending() == 24
    assert [key for key in keys if default_storage.exists(key)] == [blocker]
    left = PendingObjectDeletion.objects.get()
    assert left.key == blocker
    assert left.attempts == 1
    assert "Permission denied" in left.last_error
    assert left.not_before > timezone.now()  # backs off: the next run does not try it


def test_a_key_that_keeps_failing_backs_off_longer_then_is_set_aside(monkeypatch):
    refusing_to_delete(monkeypatch, store("originals/1/2026/11/locked.jpg"))
    objects_queue_deletion(["originals/1/2026/11/locked.jpg"])
    waits, now = [], timezone.now()
    for _ in range(DELETION_ATTEMPTS_BEFORE_SET_ASIDE):
        assert objects_delete_pending(now=now) == 1
        row = PendingObjectDeletion.objects.get()
        waits.append(row.not_before - now)
        now = row.not_before
    assert waits[:3] == [datetime.timedelta(minutes=m) for m in (1, 2, 4)]
    assert max(waits) == DELETION_MAX_BACKOFF
    assert row.set_aside_at is not None
    assert objects_delete_pending(now=now + datetime.timedelta(days=30)) == 0


def test_set_aside_deletions_can_be_tried_again(monkeypatch):
    key = store("originals/1/2026/11/was-locked.jpg")
    objects_queue_deletion([key])
    PendingObjectDeletion.objects.update(set_aside_at=timezone.now(), attempts=30)
    assert objects_delete_pending() == 0
    object_deletions_retry(deletions=PendingObjectDeletion.objects.set_aside())
    assert objects_delete_pending() == 1
    assert not default_storage.exists(key)
    assert not PendingObjectDeletion.objects.exists()


def test_a_deleted_photos_whole_rendition_folder_goes_even_files_no_row_knew(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    folder = photo_renditions_prefix(pet_id=pet.pk, photo_id=photo.pk)
    leftover = store(f"{folder}large-0000000000000000.webp", b"")  # a failed run's 0 bytes
    photo_delete(photo=photo)
    objects_delete_pending()
    assert not default_storage.exists(leftover)
    assert not Path(default_storage.path(folder)).exists()  # nor its empty folder


def test_a_failed_run_leaves_nothing_under_the_photo_but_what_rows_still_use(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    kept = list(photo.renditions.values_list("key", flat=True))
    folder = photo_renditions_prefix(pet_id=pet.pk, photo_id=photo.pk)
    leftover = store(f"{folder}medium-1111111111111111.webp")
    photo_fail(photo_id=photo.pk, reason="the image took too long to process")
    objects_delete_pending()
    assert not default_storage.exists(leftover)
    assert all(default_storage.exists(key) for key in kept)


def test_nothing_is_deleted_under_a_photo_being_processed(pet):
    photo = stored_photo(pet, corpus.jpeg())
    folder = photo_renditions_prefix(pet_id=pet.pk, photo_id=photo.pk)
    written = store(f"{folder}thumb-2222222222222222.webp")  # its row comes when it finishes
    objects_queue_deletion([folder])
    objects_delete_pending()
    assert default_storage.exists(written)


def test_processing_again_does_not_rewrite_renditions_that_hold_their_bytes(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    paths = [default_storage.path(key) for key in photo.renditions.values_list("key", flat=True)]
    before = {path: _inode_and_mtime(path) for path in paths}
    photo_reprocess(photo=photo)
    assert photo_process(photo_id=photo.pk).state == Photo.State.READY
    assert {path: _inode_and_mtime(path) for path in paths} == before


def _inode_and_mtime(path: str) -> tuple[int, int]:
    import os

    status = os.stat(path)
    return status.st_ino, status.st_mtime_ns


# --- Tickets that outlive their photo ------------------------------------------------------


def pending_upload(pet, *, size=100_000):
    photo, ticket = photo_create_upload(
        pet=pet,
        uploader=pet.owner,
        filename="late.jpg",
        content_type="image/jpeg",
        size=size,
        local_url="/uploads/",
    )
    return photo, ticket


def test_an_upload_landing_after_its_photo_was_deleted_is_deleted_once_the_ticket_expires(pet):
    photo, ticket = pending_upload(pet)
    photo_delete(photo=photo)
    objects_delete_pending()  # the first deletion: nothing there yet
    store(photo.original_key, corpus.jpeg())  # the still-valid ticket brings the file in

    assert objects_delete_pending() == 0  # not before the ticket expired
    assert default_storage.exists(photo.original_key)
    after_expiry = ticket.expires_at + UPLOAD_LANDING_GRACE
    assert objects_delete_pending(now=after_expiry) == 1
    assert not default_storage.exists(photo.original_key)


def test_deleting_a_pet_deletes_its_pending_uploads_again_after_their_tickets(pet):
    from images.services.pets import pet_delete

    photo, ticket = pending_upload(pet)
    pet_delete(pet=pet)
    late = PendingObjectDeletion.objects.filter(
        key=photo.original_key, not_before__gt=timezone.now()
    )
    assert late.get().not_before == ticket.expires_at + UPLOAD_LANDING_GRACE


def test_deleting_a_finished_photo_queues_no_second_deletion(pet):
    photo = photo_process(photo_id=stored_photo(pet, corpus.jpeg()).pk)
    UploadTicket.objects.create(
        photo_id=photo.pk,
        uploader=pet.owner,
        original_key=photo.original_key,
        size=1,
        created_at=timezone.now() - datetime.timedelta(hours=1),
        expires_at=timezone.now() - datetime.timedelta(minutes=55),
    )
    photo_delete(photo=photo)
    assert not PendingObjectDeletion.objects.filter(not_before__gt=timezone.now()).exists()


# --- Uploads never finished ----------------------------------------------------------------


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


# --- Tasks the broker did not take ---------------------------------------------------------


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


# --- Failures of the server's, retried ------------------------------------------------------


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
    assert Rendition.objects.filter(photo=ready).count() == 3


def test_nobody_elses_objects_are_touched_by_a_deletion(monkeypatch):
    other = PetFactory(owner=UserFactory())
    theirs = photo_process(photo_id=stored_photo(other, corpus.jpeg()).pk)
    mine = photo_process(photo_id=stored_photo(PetFactory(), corpus.jpeg()).pk)
    photo_delete(photo=mine)
    objects_delete_pending()
    assert default_storage.exists(theirs.original_key)
    assert all(default_storage.exists(r.key) for r in theirs.renditions.all())


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
