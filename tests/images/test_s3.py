"""S3 mode, against moto's S3 in server mode, through django-storages and a real worker.

moto does not enforce a presigned POST's conditions, so the size check that protects us when
S3 is misconfigured is ours (``photo_complete``), and tested here.
"""

from __future__ import annotations

import base64
import datetime
import json
import time

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from images.models import PendingObjectDeletion, Photo
from images.pure.upload_tickets import UPLOAD_LANDING_GRACE
from images.services.deletions import objects_delete_pending
from images.services.moves import photos_move
from images.services.photos import photo_process, photo_reprocess
from tests.factories import PetFactory, UserFactory, ready_photo
from tests.fixtures.aws import CREDENTIALS
from tests.images import corpus
from tests.images.helpers import ask_ticket, complete, using_s3_bucket

pytestmark = pytest.mark.redis
BUCKET = "pettracker-test-images"


@pytest.fixture
def s3(moto_endpoint, monkeypatch, settings, worker_env):
    with using_s3_bucket(
        BUCKET, moto_endpoint, settings=settings, monkeypatch=monkeypatch
    ) as client:
        worker_env.update(
            CREDENTIALS,
            AWS_STORAGE_BUCKET_NAME=BUCKET,
            AWS_S3_ENDPOINT_URL=moto_endpoint,
            AWS_S3_REGION_NAME="us-east-1",
        )
        yield client


@pytest.fixture
def s3_worker(s3, start_own_worker):
    """A worker of this test's own: it stores in the bucket (``s3`` set its environment)."""
    return start_own_worker()


def keys_in(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def post_to_s3(ticket: dict, data: bytes) -> requests.Response:
    return requests.post(
        ticket["upload"]["url"],
        data=ticket["upload"]["fields"],
        files={"file": ("photo.jpg", data, "image/jpeg")},
        timeout=30,
    )


def wait_until(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {predicate.__name__}")


def test_the_ticket_is_a_presigned_post_for_exactly_one_key(s3, pet, owner):
    client = Client()
    client.force_login(owner)
    ticket = ask_ticket(client, pet, data=b"x" * 100).json()
    fields = ticket["upload"]["fields"]
    assert ticket["upload"]["url"].startswith(s3.meta.endpoint_url)
    assert fields["key"] == Photo.objects.get().original_key
    assert fields["Content-Type"] == "image/jpeg"
    assert {"policy", "x-amz-signature", "x-amz-credential", "x-amz-algorithm"} <= set(fields)
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 100] in conditions  # the declared size, no more
    assert {"key": fields["key"]} in conditions


def test_upload_process_and_delete_through_s3(s3, s3_worker):
    owner = UserFactory(username="s3-owner")
    pet = PetFactory(owner=owner)
    client = Client()
    client.force_login(owner)
    data = corpus.jpeg(size=(1600, 1200), gps=True)

    ticket = ask_ticket(client, pet, data=data).json()
    assert post_to_s3(ticket, data).status_code == 204
    assert complete(client, ticket["photo"]).status_code == 202
    wait_until(lambda: Photo.objects.get(pk=ticket["photo"]).state == Photo.State.READY)

    photo = Photo.objects.get(pk=ticket["photo"])
    keys = {photo.original_key, *photo.renditions.values_list("key", flat=True)}
    assert keys_in(s3) == keys
    thumb = s3.head_object(Bucket=BUCKET, Key=photo.renditions.get(name="thumb").key)
    assert thumb["ContentType"] == "image/webp"
    assert thumb["CacheControl"] == "public, max-age=31536000, immutable"

    assert client.delete(f"/api/photos/{photo.pk}").status_code == 204
    wait_until(lambda: not keys_in(s3))


def test_an_object_larger_than_allowed_is_refused_on_completion(s3, pet, owner, settings):
    client = Client()
    client.force_login(owner)
    ticket = ask_ticket(client, pet, data=b"x" * 100).json()
    settings.PHOTO_MAX_UPLOAD_BYTES = 50  # S3 would have refused it; moto does not
    assert post_to_s3(ticket, b"x" * 100).status_code == 204
    response = complete(client, ticket["photo"])
    assert response.status_code == 413
    photo = Photo.objects.get(pk=ticket["photo"])
    assert photo.state == Photo.State.FAILED
    assert "over the size limit" in photo.error
    assert PendingObjectDeletion.objects.filter(key=photo.original_key).exists()
    objects_delete_pending()  # what the queued task does
    assert photo.original_key not in keys_in(s3)
    assert not default_storage.exists(photo.original_key)


def test_replaying_a_ticket_after_completion_cannot_swap_the_bytes_behind_the_photo(
    s3, pet, owner, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(owner)
    first, second = corpus.jpeg(size=(640, 480)), corpus.jpeg(size=(320, 240), gps=True)
    ticket = ask_ticket(client, pet, data=first, size=max(len(first), len(second))).json()
    assert post_to_s3(ticket, first).status_code == 204
    with django_capture_on_commit_callbacks():  # processed here, not by a worker
        assert complete(client, ticket["photo"]).status_code == 202
    photo = Photo.objects.get(pk=ticket["photo"])
    assert photo.original_etag == s3.head_object(Bucket=BUCKET, Key=photo.original_key)["ETag"]
    assert photo_process(photo_id=photo.pk).state == Photo.State.READY

    assert post_to_s3(ticket, second).status_code == 204  # the same ticket, other bytes
    photo_reprocess(photo=Photo.objects.get(pk=photo.pk))
    again = photo_process(photo_id=photo.pk)
    assert again.state == Photo.State.FAILED
    assert "replaced after its upload finished" in again.error
    assert (again.width, again.height) == (640, 480)  # never the replayed file's


def test_an_upload_landing_after_its_photo_was_deleted_goes_once_the_ticket_expires(s3, pet, owner):
    client = Client()
    client.force_login(owner)
    data = corpus.jpeg()
    ticket = ask_ticket(client, pet, data=data).json()
    assert client.delete(f"/api/photos/{ticket['photo']}").status_code == 204
    objects_delete_pending()
    assert post_to_s3(ticket, data).status_code == 204  # S3 honours the ticket till it expires
    key = ticket["upload"]["fields"]["key"]
    assert key in keys_in(s3)

    expired = datetime.datetime.fromisoformat(ticket["expires_at"]) + UPLOAD_LANDING_GRACE
    objects_delete_pending(now=expired)
    assert key not in keys_in(s3)


@pytest.mark.django_db
def test_a_move_copies_renditions_inside_the_bucket_with_their_headers(s3, pet, owner):
    photo = ready_photo(pet=pet)
    old = list(photo.renditions.values_list("key", flat=True))
    for key in old:
        default_storage.save(key, ContentFile(b"webp bytes"))
    other = PetFactory(owner=owner)
    assert photos_move(photos=Photo.objects.filter(pk=photo.pk), to_pet=other) == 1
    new = list(photo.renditions.values_list("key", flat=True))
    assert all(key.startswith(f"renditions/{other.pk}/") for key in new)
    head = s3.head_object(Bucket=BUCKET, Key=new[0])
    assert (head["ContentType"], head["CacheControl"]) == (
        "image/webp",
        "public, max-age=31536000, immutable",
    )
    objects_delete_pending()
    assert keys_in(s3) == set(new)
    with pytest.raises(FileNotFoundError):
        default_storage.copy_object(old[0], f"renditions/{pet.pk}/{photo.pk}/copy.webp")


def test_an_object_is_read_in_chunks_as_s3_sends_it_and_a_missing_one_says_so(s3):
    """Downloads (issue 16) stream objects: never whole in memory, nor spooled."""
    from django.core.files.base import ContentFile

    data = bytes(range(256)) * 1000
    default_storage.save("renditions/x/y/full-0123456789abcdef.jpg", ContentFile(data))
    chunks = list(
        default_storage.read_chunks("renditions/x/y/full-0123456789abcdef.jpg", chunk_size=10_000)
    )
    assert b"".join(chunks) == data
    assert len(chunks) > 1
    assert max(len(chunk) for chunk in chunks) <= 10_000
    with pytest.raises(FileNotFoundError):
        list(default_storage.read_chunks("renditions/x/y/gone-0123456789abcdef.jpg"))
