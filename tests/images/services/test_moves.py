"""Photos moved to another pet of their owner (``photos_move``): renditions under the new pet's
prefix, the old ones queued for deletion and invalidation, all or nothing."""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.storage import default_storage
from django.db import connection

from cdn.models import PendingInvalidation
from images.models import PendingObjectDeletion, Pet, Photo
from images.pure.object_keys import photo_renditions_prefix
from images.services import deletions, moves
from images.services.deletions import objects_delete_pending
from images.services.errors import InvalidRequest, StillProcessing, StorageUnavailable
from images.services.moves import photos_move
from images.services.pets import pet_set_cover
from images.storage import PhotoFileSystemStorage
from tests.factories import PetFactory, PhotoFactory, ready_photo
from tests.images.helpers import queued_for_deletion, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_pet(owner):
    return PetFactory(owner=owner, name="Pepper")


def stored_ready_photo(pet, **fields) -> Photo:
    """A ready photo whose renditions' objects are in storage (a few bytes each)."""
    photo = ready_photo(pet=pet, **fields)
    for key in photo.renditions.values_list("key", flat=True):
        store(key, f"{key} bytes".encode())
    return photo


def keys_of(photo: Photo) -> list[str]:
    return sorted(photo.renditions.values_list("key", flat=True))


def test_a_moved_photo_has_its_renditions_under_the_new_pets_prefix(pet, other_pet, contributor):
    photo = stored_ready_photo(pet, caption="On the beach", uploader=contributor)
    old_keys = keys_of(photo)
    assert photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet) == 1
    photo.refresh_from_db()
    assert photo.pet == other_pet
    assert (photo.caption, photo.uploader) == ("On the beach", contributor)
    new_keys = keys_of(photo)
    assert all(key.startswith(f"renditions/{other_pet.pk}/{photo.pk}/") for key in new_keys)
    assert [k.rsplit("/", 1)[1] for k in new_keys] == [k.rsplit("/", 1)[1] for k in old_keys]
    assert all(default_storage.exists(key) for key in new_keys)


def test_the_old_objects_are_queued_for_deletion_and_invalidation_and_then_go(pet, other_pet):
    photo = stored_ready_photo(pet)
    old_keys = keys_of(photo)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet)
    assert queued_for_deletion(old_keys)
    invalidated = set(PendingInvalidation.objects.values_list("path", flat=True))
    assert {f"/{key}" for key in old_keys} <= invalidated
    objects_delete_pending()
    assert not any(default_storage.exists(key) for key in old_keys)
    assert all(default_storage.exists(key) for key in keys_of(photo))


def test_the_original_stays_where_it_is_since_its_key_names_the_owner(pet, other_pet):
    photo = stored_ready_photo(pet)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet)
    moved = Photo.objects.get(pk=photo.pk)
    assert moved.original_key == photo.original_key
    assert f"/{photo.original_key}" not in PendingInvalidation.objects.values_list(
        "path", flat=True
    )


def test_the_old_pets_cover_moving_away_leaves_it_to_fall_back(pet, other_pet):
    cover = stored_ready_photo(pet)
    stays = stored_ready_photo(pet)
    pet_set_cover(pet=pet, photo=cover)
    photos_move(photos=Photo.objects.filter(pk=cover.pk), to_pet=other_pet)
    assert Pet.objects.get(pk=pet.pk).cover_photo is None
    assert Pet.objects.with_cover().get(pk=pet.pk).cover_id == stays.pk


def test_a_failing_copy_changes_nothing_and_queues_the_copies_made(pet, other_pet, monkeypatch):
    photos = [stored_ready_photo(pet) for _ in range(2)]
    before = {p.pk: keys_of(p) for p in photos}
    copies = []
    real_copy = PhotoFileSystemStorage.copy_object

    def copy_then_fail(storage, source, target):
        if len(copies) == 5:
            raise OSError("storage went away")
        real_copy(storage, source, target)
        copies.append(target)

    monkeypatch.setattr(PhotoFileSystemStorage, "copy_object", copy_then_fail)
    with pytest.raises(StorageUnavailable):
        photos_move(photos=Photo.objects.filter(pk__in=before), to_pet=other_pet)
    for photo in photos:
        photo.refresh_from_db()
        assert photo.pet == pet
        assert keys_of(photo) == before[photo.pk]
    assert len(copies) == 5
    assert set(PendingObjectDeletion.objects.values_list("key", flat=True)) == set(copies)
    assert not PendingInvalidation.objects.exists()
    objects_delete_pending()
    assert not any(default_storage.exists(key) for key in copies)
    assert all(default_storage.exists(key) for keys in before.values() for key in keys)


def test_photos_still_processing_are_refused_and_nothing_moves(pet, other_pet):
    ready = stored_ready_photo(pet)
    PhotoFactory(pet=pet, state=Photo.State.PROCESSING)
    with pytest.raises(StillProcessing, match="1 of these photos is still being processed"):
        photos_move(photos=Photo.objects.filter(pet=pet), to_pet=other_pet)
    assert Photo.objects.get(pk=ready.pk).pet == pet
    assert not PendingObjectDeletion.objects.exists()


def test_photos_move_only_between_pets_of_one_owner(pet, stranger):
    photo = stored_ready_photo(pet)
    theirs = PetFactory(owner=stranger)
    with pytest.raises(InvalidRequest):
        photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=theirs)
    assert Photo.objects.get(pk=photo.pk).pet == pet


def test_a_failed_photo_moves_too_and_its_folder_is_queued(pet, other_pet):
    failed = PhotoFactory(pet=pet, state=Photo.State.FAILED, error="not an image")
    assert photos_move(photos=Photo.objects.filter(pk=failed.pk), to_pet=other_pet) == 1
    assert Photo.objects.get(pk=failed.pk).pet == other_pet
    assert queued_for_deletion([photo_renditions_prefix(pet_id=pet.pk, photo_id=failed.pk)])


def test_a_duplicate_pair_split_by_a_move_is_no_longer_one(pet, other_pet):
    first = stored_ready_photo(pet)
    second = stored_ready_photo(pet, duplicate_of=first)
    photos_move(photos=Photo.objects.filter(pk=first.pk), to_pet=other_pet)
    assert Photo.objects.get(pk=second.pk).duplicate_of is None


def test_moving_many_photos_takes_a_bounded_number_of_queries(
    pet, other_pet, django_assert_max_num_queries
):
    for _ in range(12):
        stored_ready_photo(pet)
    with django_assert_max_num_queries(20):
        photos_move(photos=Photo.objects.filter(pet=pet), to_pet=other_pet)
    assert Photo.objects.filter(pet=other_pet).count() == 12


def test_a_rendition_missing_from_storage_does_not_hold_the_move_back(pet, other_pet):
    photo = stored_ready_photo(pet)
    missing = photo.renditions.get(name="thumb").key
    default_storage.delete(missing)
    assert photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet) == 1
    moved = photo.renditions.get(name="thumb").key
    assert moved.startswith(f"renditions/{other_pet.pk}/")
    assert not default_storage.exists(moved)  # as before: reconciliation makes it again


def test_a_photo_moved_there_and_back_keeps_every_object(pet, other_pet):
    photo = stored_ready_photo(pet)
    home = keys_of(photo)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=pet)
    objects_delete_pending()
    assert keys_of(photo) == home
    assert all(default_storage.exists(key) for key in home)
    assert not any(default_storage.exists(k.replace(str(pet.pk), str(other_pet.pk))) for k in home)


# --- Moved back while the outbox deletes the folder it comes back to -------------------------


def test_a_photo_moved_back_before_the_outbox_runs_cancels_the_deletion_of_its_folder(
    pet, other_pet
):
    photo = stored_ready_photo(pet)
    home = keys_of(photo)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet)
    assert queued_for_deletion(home)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=pet)
    assert not queued_for_deletion(home)
    assert queued_for_deletion([k.replace(str(pet.pk), str(other_pet.pk)) for k in home])


def test_the_outbox_running_just_before_the_move_back_commits_leaves_no_row_without_its_object(
    pet, other_pet, monkeypatch
):
    photo = stored_ready_photo(pet)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet)
    real_commit = moves._commit

    def commit_after_the_outbox_ran(*args, **kwargs):
        objects_delete_pending()  # move 1's deletion task, run between move 2's copy and commit
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(moves, "_commit", commit_after_the_outbox_ran)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=pet)
    assert all(k.startswith(f"renditions/{pet.pk}/") for k in keys_of(photo))
    assert [k for k in keys_of(photo) if not default_storage.exists(k)] == []


@pytest.mark.django_db(transaction=True)
def test_a_move_back_committing_while_the_outbox_deletes_waits_for_it_and_copies_again(
    pet, other_pet, monkeypatch
):
    """The outbox has found an object of the old folder unneeded and is about to delete it
    when the move back commits: the commit waits for the deletion, then copies again."""
    photo = stored_ready_photo(pet)
    photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other_pet)
    real_check = deletions._still_needed
    mover = ThreadPoolExecutor(max_workers=1)
    moving = []

    def found_unneeded_then_the_move_back_runs(key):
        needed = real_check(key)
        if not moving:
            moving.append(mover.submit(move_back, photo.pk, pet))
            with contextlib.suppress(TimeoutError):
                moving[0].result(timeout=0.5)  # done at once unless it waits for our lock
        return needed

    monkeypatch.setattr(deletions, "_still_needed", found_unneeded_then_the_move_back_runs)
    objects_delete_pending()
    assert moving[0].result(timeout=10) == 1
    mover.shutdown()
    assert all(k.startswith(f"renditions/{pet.pk}/") for k in keys_of(photo))
    assert [k for k in keys_of(photo) if not default_storage.exists(k)] == []


def move_back(photo_id, pet) -> int:
    try:
        return photos_move(photos=Photo.objects.filter(pk=photo_id), to_pet=pet)
    finally:
        connection.close()  # the thread's own connection
