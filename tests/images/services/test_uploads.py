"""The upload services: tickets within the rate and the quota (also under concurrent
requests, and after deletions), and photos imported from bytes. (Through the API:
tests/images/views/test_api.py; the ticket's policy: tests/images/pure/test_upload_tickets.py.)"""

from __future__ import annotations

import datetime
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from images.models import Photo, PhotoQuerySet, UploadTicket, UploadTicketQuerySet
from images.services.errors import OverQuota, PhotoError, TooFast
from images.services.pets import pet_delete
from images.services.photos import photo_delete
from images.services.uploads import photo_create_upload, photo_import
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db


# --- Importing -----------------------------------------------------------------------------------


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


# --- Upload limits under concurrency -------------------------------------------------------------


def slowed_down(method):
    """``method``, then a pause: widens the gap between reading the usage and writing the new
    photo, where concurrent requests would otherwise all see room for one more."""

    def slow(*args, **kwargs):
        result = method(*args, **kwargs)
        time.sleep(0.1)
        return result

    return slow


@pytest.mark.slow  # threads held at a barrier, each pausing: seconds
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


# --- Deleting pending photos frees nothing a ticket may still use --------------------------------


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
    settings.PHOTO_QUOTA_BYTES = 5000
    photo_delete(photo=take_ticket(pet, owner))
    with pytest.raises(OverQuota):
        take_ticket(pet, owner)  # the first upload may still land
    UploadTicket.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert take_ticket(pet, owner).state == Photo.State.PENDING


@pytest.mark.django_db
def test_deleting_the_pet_frees_no_live_tickets_quota(pet, owner, settings):
    settings.PHOTO_QUOTA_COUNT = 1
    take_ticket(pet, owner)
    pet_delete(pet=pet)
    with pytest.raises(OverQuota):
        take_ticket(PetFactory(owner=owner), owner)
