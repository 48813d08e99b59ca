"""The deletion outbox: one undeletable object holds back no other, keys that keep failing
back off then are set aside, whole rendition folders go, nothing goes under a photo being
processed, and uploads landing after their photo was deleted go once their ticket expired."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from images.models import PendingObjectDeletion, UploadTicket
from images.pure.object_keys import photo_renditions_prefix
from images.pure.upload_tickets import UPLOAD_LANDING_GRACE
from images.services.deletions import (
    DELETION_ATTEMPTS_BEFORE_SET_ASIDE,
    DELETION_MAX_BACKOFF,
    object_deletions_retry,
    objects_delete_pending,
    objects_queue_deletion,
)
from images.services.pets import pet_delete
from images.services.photos import photo_delete, photo_process
from tests.factories import PetFactory, UserFactory
from tests.images import corpus
from tests.images.helpers import pending_upload, store, stored_photo

pytestmark = pytest.mark.django_db


def refusing_to_delete(monkeypatch, *blocked: str) -> None:
    """Storage that cannot delete ``blocked`` (an object lock, a missing permission)."""
    storage = default_storage._wrapped if default_storage.location else None
    real_delete = storage.delete

    def delete(name):
        if name in blocked:
            raise PermissionError(13, "Permission denied", name)
        real_delete(name)

    monkeypatch.setattr(storage, "delete", delete)


# --- The deletion outbox -------------------------------------------------------------------------


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


def test_nothing_is_deleted_under_a_photo_being_processed(pet):
    photo = stored_photo(pet, corpus.jpeg())
    folder = photo_renditions_prefix(pet_id=pet.pk, photo_id=photo.pk)
    written = store(f"{folder}thumb-2222222222222222.webp")  # its row comes when it finishes
    objects_queue_deletion([folder])
    objects_delete_pending()
    assert default_storage.exists(written)


def test_nobody_elses_objects_are_touched_by_a_deletion(monkeypatch):
    other = PetFactory(owner=UserFactory())
    theirs = photo_process(photo_id=stored_photo(other, corpus.jpeg()).pk)
    mine = photo_process(photo_id=stored_photo(PetFactory(), corpus.jpeg()).pk)
    photo_delete(photo=mine)
    objects_delete_pending()
    assert default_storage.exists(theirs.original_key)
    assert all(default_storage.exists(r.key) for r in theirs.renditions.all())


# --- Tickets that outlive their photo ------------------------------------------------------------


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
