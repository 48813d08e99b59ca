"""Which stored object stands for each photo in a download, and under which name (issue 16)."""

import datetime
import io
import zipfile

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from images.models import Photo
from images.pure.zips import zip_chunks
from images.services.downloads import (
    Kind,
    download_slot_take,
    photo_full_rendition,
    photos_zip_members,
)
from tests.factories import PetFactory, ready_photo, store_full, store_renditions

pytestmark = pytest.mark.django_db


def dated(pet, caption, day, **fields):
    when = datetime.datetime.fromisoformat(f"{day}T08:15:00+00:00")
    photo = ready_photo(pet=pet, caption=caption, taken_at=when, taken_on=when.date(), **fields)
    store_full(photo)
    return Photo.objects.select_related("pet").get(pk=photo.pk)


def unzipped(members) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(zip_chunks(members))))


def test_members_are_the_full_renditions_named_and_dated_as_taken(pet):
    photo = dated(pet, "On the beach", "2024-06-01")
    (member,) = photos_zip_members(photos=[photo])
    full = photo.renditions.get(name="full")
    assert member.name == "2024-06-01 On the beach.jpg"
    assert member.size == full.bytes
    assert member.modified == datetime.datetime(2024, 6, 1, 8, 15)
    assert b"".join(member.chunks()) == default_storage.open(full.key).read()


def test_the_clock_of_the_place_names_the_day(pet):
    when = datetime.datetime(2024, 6, 1, 23, 30, tzinfo=datetime.UTC)
    photo = ready_photo(
        pet=pet, taken_at=when, taken_at_offset=120, taken_on=datetime.date(2024, 6, 2)
    )
    store_full(photo)
    (member,) = photos_zip_members(photos=[Photo.objects.select_related("pet").get(pk=photo.pk)])
    assert member.name == "2024-06-02 Biscuit.jpg"
    assert member.modified.replace(tzinfo=None) == datetime.datetime(2024, 6, 2, 1, 30)


def test_originals_keep_their_type_and_bytes(pet):
    photo = dated(pet, "", "2021-01-01")
    (member,) = photos_zip_members(photos=[photo], kind=Kind.ORIGINAL)
    assert member.name == "2021-01-01 Biscuit.jpg"
    assert b"".join(member.chunks()) == default_storage.open(photo.original_key).read()


def test_several_pets_get_a_folder_each_and_one_pet_none(owner, pet):
    rex = PetFactory(owner=owner, name="Rex")
    mine, theirs = dated(pet, "Nap", "2024-01-01"), dated(rex, "Nap", "2024-01-01")
    assert [m.name for m in photos_zip_members(photos=[mine, theirs])] == [
        "Biscuit/2024-01-01 Nap.jpg",
        "Rex/2024-01-01 Nap.jpg",
    ]
    assert [m.name for m in photos_zip_members(photos=[mine])] == ["2024-01-01 Nap.jpg"]


def test_a_photo_without_its_full_rendition_yet_stands_in_with_its_large(pet):
    photo = ready_photo(pet=pet, caption="Old")
    store_renditions(photo)
    assert photo_full_rendition(photo=photo)[0].endswith(".webp")
    assert photo_full_rendition(photo=photo)[0] == photo.renditions.get(name="large").key


def test_a_file_gone_after_the_archive_began_leaves_an_empty_member_and_a_valid_zip(pet, caplog):
    gone, kept = dated(pet, "Gone", "2024-01-01"), dated(pet, "Kept", "2024-01-02")
    members = photos_zip_members(photos=[gone, kept])
    default_storage.delete(gone.renditions.get(name="full").key)
    archive = unzipped(members)
    assert archive.testzip() is None
    assert archive.read("2024-01-01 Gone.jpg") == b""
    assert archive.read("2024-01-02 Kept.jpg")
    assert "was gone when the archive reached it" in caplog.text


def test_a_holder_takes_three_download_slots_and_a_slot_given_back_is_free_again():
    cache.clear()
    slots = [download_slot_take(holder="user:1") for _ in range(3)]
    assert all(slots)
    assert download_slot_take(holder="user:1") is None
    assert download_slot_take(holder="link:1") is not None  # another holder's own slots
    slots[0]()
    assert download_slot_take(holder="user:1") is not None
    assert download_slot_take(holder="user:1") is None
    cache.clear()
