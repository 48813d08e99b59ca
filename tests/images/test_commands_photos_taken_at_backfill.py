"""``manage.py photos_taken_at_backfill``: photos uploaded before dates were read get theirs
from their originals, once; and migrations 0009-0010, which give existing photos their upload
time so that the column can be required. (What the service does with each original:
tests/images/services/test_photos_taken_at.py.)"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from images.models import Photo
from tests.factories import PhotoFactory
from tests.images import corpus
from tests.images.helpers import stored_photo


def backfill(*args: str) -> str:
    out = io.StringIO()
    call_command("photos_taken_at_backfill", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_reads_each_photo_once(pet):
    photo = stored_photo(pet, corpus.jpeg_with_dates())
    silent = stored_photo(pet, corpus.png())
    Photo.objects.update(state=Photo.State.READY)
    output = backfill("--batch", "1")
    assert "Dates taken read from originals: 1;" in output
    assert "says nothing, is missing or unreadable): 1" in output
    photo.refresh_from_db()
    silent.refresh_from_db()
    assert photo.taken_at.year == 2024
    assert silent.taken_at_source == Photo.TakenAtSource.UPLOAD
    assert "read from originals: 0; upload time kept (the original says nothing, is " in backfill()


BEFORE = [("images", "0008_photo_pet_state_index")]
AFTER = [("images", "0010_photo_taken_at_required")]


@pytest.mark.django_db(transaction=True)
def test_existing_photos_are_dated_by_their_upload_until_their_originals_are_read(migrate):
    apps = migrate(BEFORE)
    User, Pet, Photo = (
        apps.get_model(*name)
        for name in (("accounts", "User"), ("images", "Pet"), ("images", "Photo"))
    )
    owner = User.objects.create(username="old-timer")
    pet = Pet.objects.create(owner=owner, name="Miso")
    uploaded = datetime.datetime(2021, 4, 5, 6, 7, 8, tzinfo=datetime.UTC)
    photo = Photo.objects.create(pet=pet, original_key="originals/1/old.jpg", size=1, state="ready")
    Photo.objects.filter(pk=photo.pk).update(created_at=uploaded)
    Photo = migrate(AFTER).get_model("images", "Photo")
    migrated = Photo.objects.get(pk=photo.pk)
    assert migrated.taken_at == uploaded
    assert migrated.taken_at_source == ""  # for the command to read


@pytest.mark.django_db(transaction=True)
def test_existing_photos_get_the_day_they_were_taken_on_the_places_clock(migrate):
    apps = migrate([("images", "0011_database_defaults")])
    User, Pet, Photo = (
        apps.get_model(*name)
        for name in (("accounts", "User"), ("images", "Pet"), ("images", "Photo"))
    )
    pet = Pet.objects.create(owner=User.objects.create(username="night-owl"), name="Miso")
    evening = datetime.datetime(2024, 4, 1, 3, 30, tzinfo=datetime.UTC)  # 23:30 the 31st, UTC-4
    photo = Photo.objects.create(
        pet=pet, original_key="o/1.jpg", size=1, taken_at=evening, taken_at_offset=-240
    )
    Photo = migrate([("images", "0012_photo_taken_on")]).get_model("images", "Photo")
    assert Photo.objects.get(pk=photo.pk).taken_on == datetime.date(2024, 3, 31)


def test_failed_photos_are_left_to_processing_not_read_at_every_start(pet):
    failed = PhotoFactory(pet=pet, state="failed", error="Not an image", taken_at_source="")
    assert failed not in Photo.objects.taken_at_unread()
